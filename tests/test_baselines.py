"""Baselines of the network's size: their multiply-adds follow their fitted layers."""
import sys

import numpy as np
import pytest

from stdp_learn.baselines import BASELINES, fit_baselines, multiply_adds, require_sklearn


def test_multiply_adds_are_the_weights_of_each_layer():
    assert multiply_adds("logistic_pixels", 784, 400, 10) == 784 * 10
    assert multiply_adds("logistic_spike_counts", 784, 400, 10) == 400 * 10
    assert multiply_adds("hidden_layer", 784, 400, 10) == 784 * 400 + 400 * 10
    with pytest.raises(ValueError, match="unknown baseline"):
        multiply_adds("svm", 784, 400, 10)


def test_fitted_baselines_have_layers_of_the_network_s_size(mnist_sample):
    pytest.importorskip("sklearn")
    X, y = mnist_sample.X_train[:300], mnist_sample.y_train[:300]
    n_neurons = 20
    rng = np.random.default_rng(0)
    # counts that carry the class: neuron 2c and 2c+1 fire for class c
    counts = rng.poisson(0.3, size=(300, n_neurons))
    counts[np.arange(300), 2 * y] += 5
    fitted = fit_baselines(X, counts, y, n_neurons, random_state=0)
    assert list(fitted) == list(BASELINES)
    for baseline in fitted.values():
        macs = sum(int(np.prod(shape)) for shape in baseline.layer_shapes)
        assert macs == baseline.multiply_adds
    assert fitted["hidden_layer"].layer_shapes == [(784, n_neurons), (n_neurons, 10)]
    assert fitted["logistic_spike_counts"].layer_shapes == [(n_neurons, 10)]
    X_test, y_test = mnist_sample.X_test[:200], mnist_sample.y_test[:200]
    assert np.mean(fitted["logistic_pixels"].predict(X_test) == y_test) > 0.6  # chance 0.1
    test_counts = rng.poisson(0.3, size=(200, n_neurons))
    test_counts[np.arange(200), 2 * y_test] += 5
    assert np.mean(fitted["logistic_spike_counts"].predict(counts=test_counts) == y_test) > 0.9
    with pytest.raises(ValueError, match="reads spike_counts"):
        fitted["logistic_spike_counts"].predict(X_test)


def test_without_scikit_learn_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    with pytest.raises(ImportError, match=r"pip install"):
        require_sklearn()
