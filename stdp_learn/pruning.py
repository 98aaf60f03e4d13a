"""Remove the least useful excitatory neurons and see what accuracy and operations remain.

What is removed.  An excitatory neuron together with everything that exists only for
it: its ``n_input`` input synapses, its inhibitory partner (one ``exc_inh`` synapse)
and that partner's ``n_neurons - 1`` lateral synapses; the neuron's vote in the label
assignment goes with it.

In what order.  First the silent neurons: those that never fired while the network was
labelled (assignment -1, a zero row of ``rates_``), which cannot vote.  Then the others
by ascending *selectivity score*

    ``score_j = rates[j, a_j] - mean over c != a_j of rates[j, c]``

where ``rates[j, c]`` is neuron j's mean spike count on the labelling images of class c
and ``a_j`` its assigned class: how many more spikes per image the neuron gives to the
images of its class than to the others, which is what its vote adds to the margin of
the right class.  Both come from the labelling statistics (``model.rates_``), never from
the images evaluated; ties go to the lower index.

How it is evaluated.  On recorded responses: the columns of the removed neurons are
dropped from the spike-count matrix of one full test pass and the rest are classified
with their labels as they are.  A network rebuilt without those neurons would differ a
little, because the removed neurons' inhibition no longer reaches the others; the
recorded responses give the answer of the trained network with the removed neurons'
votes and costs taken away, at no simulation cost.  Keeping every neuron therefore
reproduces the full evaluation exactly.

Operations per image drop accordingly: ``input_exc`` = input spikes x kept neurons;
``exc_inh`` = the excitatory spikes of the kept neurons; ``inh_exc`` = the inhibitory
spikes of their partners x (kept - 1), where the partners' share of the inhibitory
spikes is taken to be the kept neurons' share of the excitatory spikes in that image
(each inhibitory neuron is driven by its excitatory partner alone; per-neuron
inhibitory spikes are not recorded).  Neuron updates are ``2 x kept x time steps``.
"""
from __future__ import annotations

import numpy as np

from .efficiency import PROJECTIONS, neuron_updates, synaptic_operations
from .metrics import accuracy
from .readout import predict_all_activity, predict_proportion_weighting

__all__ = ["selectivity_scores", "pruning_order", "pruned_operations", "pruning_curve",
           "KEPT_FRACTIONS"]

#: Fractions of the layer kept, from all of it down to 10 %.
KEPT_FRACTIONS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1)


def selectivity_scores(rates, assignments) -> np.ndarray:
    """Return each neuron's selectivity score (see the module); -inf for silent neurons.

    Parameters
    ----------
    rates : array, shape (n_neurons, n_classes)
        Mean spike count per class on the labelling images (`assign_labels`).
    assignments : array of int, shape (n_neurons,)
        Assigned class, -1 for silent neurons.

    Examples
    --------
    >>> selectivity_scores([[4.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 0.0]], [0, -1, 1]).tolist()
    [3.0, -inf, 1.5]
    """
    rates = np.asarray(rates, dtype=np.float64)
    assignments = np.asarray(assignments, dtype=np.int64)
    n_neurons, n_classes = rates.shape
    silent = (assignments < 0) | (rates.sum(axis=1) == 0)
    own = rates[np.arange(n_neurons), np.where(silent, 0, assignments)]
    others = (rates.sum(axis=1) - own) / max(n_classes - 1, 1)
    return np.where(silent, -np.inf, own - others)


def pruning_order(rates, assignments) -> np.ndarray:
    """Return the neurons in the order they are removed: silent first, then by score."""
    scores = selectivity_scores(rates, assignments)
    return np.lexsort((np.arange(scores.size), scores))  # by score, ties by index


def pruned_operations(layer_spikes, counts, kept, n_input, n_neurons, *, params=None,
                      retries=None) -> dict:
    """Return the operations per image of the network with only the neurons `kept`.

    Parameters
    ----------
    layer_spikes : dict of array, each of shape (n_images,)
        Spikes of the "input", "exc" and "inh" layers of the full network per image.
    counts : array, shape (n_images, n_neurons)
        Excitatory spike counts of the full network.
    kept : array of int
        Indices of the neurons kept.
    n_input, n_neurons : int
        Input neurons and excitatory neurons of the full network.
    params, retries
        As for `stdp_learn.efficiency.neuron_updates`.

    Returns
    -------
    dict
        ``"synaptic_operations"``: ``"input_exc"``, ``"exc_inh"``, ``"inh_exc"`` and
        ``"total"`` per image; ``"neuron_updates"``: per image; ``"n_kept"``.
    """
    kept = np.asarray(kept, dtype=np.int64)
    n_kept = int(kept.size)
    counts = np.asarray(counts)
    if n_kept == n_neurons:
        full = synaptic_operations(layer_spikes, n_input, n_neurons)
        operations = {name: full[name] for name in (*PROJECTIONS, "total")}
    else:
        spikes = {layer: np.asarray(values, dtype=np.float64)
                  for layer, values in layer_spikes.items()}
        totals = counts.sum(axis=1).astype(np.float64)
        # an image without excitatory spikes: share by head count
        share = np.divide(counts[:, kept].sum(axis=1), totals,
                          out=np.full(totals.shape, n_kept / n_neurons), where=totals > 0)
        operations = {"input_exc": float(np.mean(spikes["input"] * n_kept)),
                      "exc_inh": float(np.mean(spikes["exc"] * share)),
                      "inh_exc": float(np.mean(spikes["inh"] * share * max(n_kept - 1, 0)))}
        operations["total"] = sum(operations.values())
    updates = neuron_updates(n_kept, params=params, retries=retries)["total"] if n_kept else 0.0
    return {"synaptic_operations": operations, "neuron_updates": float(updates), "n_kept": n_kept}


def pruning_curve(model, responses, labels, *, kept_fractions=KEPT_FRACTIONS) -> list:
    """Return accuracy and operations per image as the least useful neurons are removed.

    Parameters
    ----------
    model : DiehlCook2015
        A fitted model with labelled neurons (``assignments_``, ``rates_``).
    responses : Responses
        A full test pass (`DiehlCook2015.responses`).
    labels : array of int, shape (n_images,)
    kept_fractions : iterable of float in (0, 1]
        Fractions of the layer kept; each keeps ``round(fraction x n_neurons)`` neurons
        (at least one).

    Returns
    -------
    list of dict
        One per fraction: ``"kept_fraction"``, ``"n_kept"``, ``"n_silent_removed"``,
        ``"accuracy"`` (all activity), ``"accuracy_proportion_weighting"``,
        ``"no_answer"``, ``"synaptic_operations"`` and ``"neuron_updates"`` per image.
    """
    counts = np.asarray(responses.counts)
    n_neurons = counts.shape[1]
    order = pruning_order(model.rates_, model.assignments_)
    scores = selectivity_scores(model.rates_, model.assignments_)
    silent = set(np.flatnonzero(np.isinf(scores)).tolist())
    n_classes = model.n_classes_
    curve = []
    for fraction in kept_fractions:
        fraction = float(fraction)
        if not 0 < fraction <= 1:
            raise ValueError(f"kept fractions must lie in (0, 1], got {fraction!r}")
        n_kept = max(1, int(round(fraction * n_neurons)))
        removed = order[: n_neurons - n_kept]
        kept = np.sort(order[n_neurons - n_kept:])
        assignments = model.assignments_[kept]
        predicted = predict_all_activity(counts[:, kept], assignments, n_classes)
        weighted = predict_proportion_weighting(counts[:, kept], assignments,
                                                model.proportions_[kept], n_classes)
        operations = pruned_operations(responses.log.layer_spikes, counts, kept, model.n_input_,
                                       n_neurons, params=model.network_params_,
                                       retries=responses.log.retries)
        curve.append({
            "kept_fraction": fraction,
            "n_kept": n_kept,
            "n_silent_removed": int(sum(int(j) in silent for j in removed)),
            "accuracy": accuracy(labels, predicted),
            "accuracy_proportion_weighting": accuracy(labels, weighted),
            "no_answer": int(np.sum(predicted < 0)),
            "synaptic_operations": operations["synaptic_operations"]["total"],
            "neuron_updates": operations["neuron_updates"],
        })
    return curve
