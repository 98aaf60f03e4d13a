"""Pruning: silent neurons go first, then the least selective; operations drop with them."""
import numpy as np
import pytest

from stdp_learn.efficiency import synaptic_operations
from stdp_learn.pruning import pruned_operations, pruning_order, selectivity_scores


def test_silent_neurons_go_first_then_the_least_selective():
    rates = np.array([[4.0, 1.0, 1.0],   # score 3
                      [0.0, 0.0, 0.0],   # silent
                      [1.0, 2.0, 0.0],   # score 1.5
                      [0.5, 0.5, 3.5],   # score 3
                      [0.0, 0.0, 0.0]])  # silent
    assignments = np.array([0, -1, 1, 2, -1])
    np.testing.assert_allclose(selectivity_scores(rates, assignments), [3.0, -np.inf, 1.5, 3.0, -np.inf])
    assert pruning_order(rates, assignments).tolist() == [1, 4, 2, 0, 3]


def test_keeping_every_neuron_counts_the_full_operations_and_fewer_count_less():
    rng = np.random.default_rng(0)
    counts = rng.poisson(1.0, size=(50, 10))
    layer_spikes = {"input": rng.integers(1000, 3000, 50), "exc": counts.sum(axis=1) + 2,
                    "inh": counts.sum(axis=1)}
    full = pruned_operations(layer_spikes, counts, np.arange(10), 784, 10)
    expected = synaptic_operations(layer_spikes, 784, 10)
    assert full["synaptic_operations"]["total"] == expected["total"]
    assert full["neuron_updates"] == 2 * 10 * 1000
    half = pruned_operations(layer_spikes, counts, np.arange(5), 784, 10)
    ops = half["synaptic_operations"]
    assert ops["input_exc"] == pytest.approx(expected["input_exc"] / 2)
    share = counts[:, :5].sum(axis=1) / counts.sum(axis=1)
    assert ops["exc_inh"] == pytest.approx(np.mean(layer_spikes["exc"] * share))
    assert ops["inh_exc"] == pytest.approx(np.mean(layer_spikes["inh"] * share * 4))
    assert half["neuron_updates"] == full["neuron_updates"] / 2
