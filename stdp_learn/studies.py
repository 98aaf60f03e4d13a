"""The evaluation studies of a trained network: robustness, baselines, pruning, labels, memory.

Each study is a function that returns JSON-able results, and `study_table` renders any
of them as a Markdown table; ``python -m stdp_learn.evaluate MODEL --studies ...`` runs
them and writes a table and a figure per study into its run folder.

==============  =========================================================================
study           what it reports
==============  =========================================================================
robustness      accuracy against the level of each corruption (`stdp_learn.corruptions`),
                the network re-run on the corrupted images, the baselines judged on the
                same corrupted images
baselines       logistic regression on the pixels and on the network's spike counts, and
                a dense network with one hidden layer of ``n_neurons`` units
                (`stdp_learn.baselines`), beside the network: accuracy and operations
                per image
pruning         accuracy and operations per image as the least useful neurons are removed
                (`stdp_learn.pruning`)
labels          accuracy against the labelled images used to label the neurons
                (`stdp_learn.label_efficiency`)
memory          M = Mw + Mp + Ms at each bit width (`stdp_learn.memory`), beside the bytes
                of Brian2's allocations (`stdp_learn.efficiency.memory_bytes`)
==============  =========================================================================

The labelled images (``X_label``, ``y_label``) label the neurons in the labels study and
train the baselines; they must not be the images evaluated.  The command line takes them
from the training images just before the evaluation split.
"""
from __future__ import annotations

import numpy as np

from .corruptions import CORRUPTIONS, check_level, corrupt
from .efficiency import memory_bytes, neuron_updates, synaptic_operations
from .label_efficiency import LABELS_PER_CLASS, label_efficiency_curve, rstdp_label_efficiency
from .memory import BIT_WIDTHS, inference_memory, input_peak_spikes, peak_spikes_per_step
from .metrics import accuracy
from .pruning import KEPT_FRACTIONS, pruning_curve

__all__ = ["STUDIES", "DEFAULT_LEVELS", "robustness_study", "baselines_study", "pruning_study",
           "labels_study", "memory_study", "study_table"]

#: The studies, in the order they are run.
STUDIES = ("robustness", "baselines", "pruning", "labels", "memory")
#: Corruption levels of the robustness curves besides level 0 (the clean images).
DEFAULT_LEVELS = (0.1, 0.2, 0.3)


def _network_accuracy(model, counts, y):
    return accuracy(y, model.predict_from_counts(counts))


def robustness_study(model, X, y, *, corruptions=tuple(CORRUPTIONS), levels=DEFAULT_LEVELS,
                     seed=0, baselines=None, clean_responses=None) -> dict:
    """Return accuracy against corruption level for the network and the baselines.

    Parameters
    ----------
    model : DiehlCook2015
        A fitted model with labelled neurons.
    X, y : arrays
        Images (0-255) and their classes.
    corruptions : iterable of str
        Names from `stdp_learn.corruptions.CORRUPTIONS`.
    levels : iterable of float in [0, 1]
        Levels besides 0; level 0 (the clean images) is always the first point.
    seed : int
        Seeds the corruptions (`corrupt`): every model sees the same corrupted images.
    baselines : dict of str to Baseline, optional
        Fitted baselines (`fit_baselines`), judged on the same images; the one that
        reads spike counts reads the network's counts on the corrupted images.
    clean_responses : Responses, optional
        The network's responses to `X`, if already computed (level 0).

    Returns
    -------
    dict
        ``"levels"``, ``"seed"`` and ``"curves"``: for each corruption a list of points
        ``{"level", "accuracy", "baselines": {name: accuracy}}`` (accuracy of the
        network's label assignment).  The images of all levels of one corruption are
        shown in one test pass (`DiehlCook2015.responses`, in chunks with random
        streams of their own).
    """
    levels = sorted({check_level(level) for level in levels} | {0.0})
    y = np.asarray(y)
    X = np.asarray(X)
    if clean_responses is None:
        clean_responses = model.responses(X)
    baselines = baselines or {}

    def point(level, images, counts):
        return {"level": level, "accuracy": _network_accuracy(model, counts, y),
                "baselines": {name: accuracy(y, baseline.predict(images, counts))
                              for name, baseline in baselines.items()}}

    clean = point(0.0, X, clean_responses.counts)
    curves = {}
    for name in corruptions:
        corrupted = [corrupt(X, name, level, seed) for level in levels[1:]]
        # one test pass for all levels of a corruption: more chunks to run side by side
        counts = (model.responses(np.concatenate(corrupted)).counts if corrupted else None)
        curve = [clean]
        for k, (level, images) in enumerate(zip(levels[1:], corrupted)):
            curve.append(point(level, images, counts[k * len(X): (k + 1) * len(X)]))
        curves[name] = curve
    return {"levels": levels, "seed": int(seed), "curves": curves}


def _network_operations(model, responses):
    operations = synaptic_operations(responses.log.layer_spikes, model.n_input_, model.n_neurons)
    updates = neuron_updates(model.n_neurons, params=model.network_params_,
                             retries=responses.log.retries)
    return operations["total"], updates["total"]


def baselines_study(model, baselines, X, y, responses) -> dict:
    """Return the network and each fitted baseline on the same images: accuracy and cost.

    Returns
    -------
    dict
        ``"rows"``: one per model, ``{"model", "accuracy", "multiply_adds",
        "synaptic_operations", "neuron_updates", "layer_shapes"}``; the network's row
        has its synaptic operations and neuron updates per image (no multiply-adds), the
        baselines their multiply-adds (the count baseline also the network's operations,
        which it needs to get its features).  ``"n_images"``.
    """
    synops, updates = _network_operations(model, responses)
    rows = [{"model": f"spiking network ({model.n_neurons} neurons)",
             "accuracy": _network_accuracy(model, responses.counts, y), "multiply_adds": 0,
             "synaptic_operations": synops, "neuron_updates": updates,
             "layer_shapes": [[model.n_input_, model.n_neurons]]}]
    for name, baseline in baselines.items():
        on_counts = baseline.reads == "spike_counts"
        rows.append({"model": name,
                     "accuracy": accuracy(y, baseline.predict(X, responses.counts)),
                     "multiply_adds": baseline.multiply_adds,
                     "synaptic_operations": synops if on_counts else 0.0,
                     "neuron_updates": updates if on_counts else 0.0,
                     "layer_shapes": [list(shape) for shape in baseline.layer_shapes]})
    return {"rows": rows, "n_images": int(len(y))}


def pruning_study(model, responses, y, *, kept_fractions=KEPT_FRACTIONS) -> dict:
    """Return the pruning curve (`stdp_learn.pruning.pruning_curve`) as ``{"curve": ...}``."""
    return {"curve": pruning_curve(model, responses, y, kept_fractions=kept_fractions),
            "evaluated_on": "recorded responses (columns of the removed neurons dropped)"}


def labels_study(model, label_responses, y_label, responses, y, *,
                 labels_per_class=LABELS_PER_CLASS, seed=0, rstdp_images=None) -> dict:
    """Return accuracy against the labelled images used to label the neurons.

    ``"curve"``: `label_efficiency_curve` of the labelling responses; ``"as_given"``: the
    accuracy with the model's own labels (``assignments_`` as trained or loaded).  With
    ``rstdp_images=(X_label, X)`` and a model with a readout, ``"rstdp_curve"`` holds the
    reward readout trained afresh on each subset (`rstdp_label_efficiency`).
    """
    curve = label_efficiency_curve(label_responses.counts, y_label, responses.counts, y,
                                   n_classes=model.n_classes_, labels_per_class=labels_per_class,
                                   seed=seed)
    out = {"curve": curve, "n_labelling_images": int(len(y_label)),
           "as_given": _network_accuracy(model, responses.counts, y), "seed": int(seed)}
    if model.readout is not None and rstdp_images is not None:
        X_label, X = rstdp_images
        out["rstdp_curve"] = rstdp_label_efficiency(model, X_label, y_label, X, y,
                                                    labels_per_class=labels_per_class, seed=seed)
    return out


def memory_study(model, responses, X, *, bit_widths=BIT_WIDTHS, seed=0) -> dict:
    """Return M = Mw + Mp + Ms at each bit width, the peaks it rests on, and Brian2's bytes."""
    params = model.network_params_
    dt = float(params.presentation.dt)
    delay_steps = int(np.ceil(float(params.connectivity.input_delay_max) / dt - 1e-9))
    peak_exc = peak_spikes_per_step(responses.spikes, dt)
    peak_input = input_peak_spikes(X, params, window_steps=delay_steps + 1, seed=seed)
    encoder, connectivity = model._blocks()
    rows = [inference_memory(model.n_input_, model.n_neurons, bits=bits, peak_exc_per_step=peak_exc,
                             peak_input_in_window=peak_input, params=params, encoder=encoder)
            for bits in bit_widths]
    input_spikes = float(np.mean(responses.log.layer_spikes["input"]))
    brian2 = memory_bytes(model.n_input_, model.n_neurons, params=params,
                          rule=model._validated()[1], n_slots=model.block_size,
                          input_spikes_per_image=input_spikes, encoder=encoder,
                          connectivity=connectivity)
    return {"rows": rows, "peak_excitatory_spikes_per_step": peak_exc,
            "peak_input_spikes_in_delay_window": peak_input, "delay_window_steps": delay_steps + 1,
            "brian2_bytes": brian2["total"], "brian2_bytes_by_kind": {
                kind: brian2[kind] for kind in ("weights", "neuron_state", "synapse_state",
                                                "spike_buffers", "presentation_buffers")
                if kind in brian2}}


# -- tables -------------------------------------------------------------------------------
def _percent(value):
    return "" if value is None else f"{100 * value:.2f} %"


def _count(value):
    return f"{value:,.0f}" if value else "0"


def _markdown(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def study_table(name, results) -> str:
    """Return the Markdown table of study `name` from its `results`."""
    if name == "robustness":
        baselines = sorted({name for curve in results["curves"].values() for point in curve
                            for name in point["baselines"]})
        header = ["corruption", "level", "network"] + baselines
        rows = [[corruption, f"{p['level']:g}", _percent(p["accuracy"])]
                + [_percent(p["baselines"].get(b)) for b in baselines]
                for corruption, curve in results["curves"].items() for p in curve]
        return _markdown(header, rows)
    if name == "baselines":
        header = ["model", "accuracy", "multiply-adds / image", "synaptic operations / image",
                  "neuron updates / image", "weight layers"]
        rows = [[r["model"], _percent(r["accuracy"]), _count(r["multiply_adds"]),
                 _count(r["synaptic_operations"]), _count(r["neuron_updates"]),
                 " + ".join("x".join(map(str, s)) for s in r["layer_shapes"])]
                for r in results["rows"]]
        return _markdown(header, rows)
    if name == "pruning":
        header = ["kept", "neurons", "silent removed", "accuracy",
                  "accuracy (proportion weighting)", "no answer", "synaptic operations / image", "neuron updates / image"]
        rows = [[f"{p['kept_fraction']:.0%}", p["n_kept"], p["n_silent_removed"],
                 _percent(p["accuracy"]), _percent(p["accuracy_proportion_weighting"]),
                 p["no_answer"], _count(p["synaptic_operations"]), _count(p["neuron_updates"])]
                for p in results["curve"]]
        return _markdown(header, rows)
    if name == "labels":
        rstdp = {p["n_labels"]: p["accuracy"] for p in results.get("rstdp_curve", [])}
        header = ["labels per class", "labelled images", "assigned neurons", "accuracy",
                  "accuracy (proportion weighting)"] + (["R-STDP readout"] if rstdp else [])
        rows = [["all" if p["labels_per_class"] is None else p["labels_per_class"], p["n_labels"],
                 p["assigned_neurons"], _percent(p["accuracy"]),
                 _percent(p["accuracy_proportion_weighting"])]
                + ([_percent(rstdp.get(p["n_labels"]))] if rstdp else [])
                for p in results["curve"]]
        rows.append(["the model's own labels", "", "", _percent(results["as_given"]), ""]
                    + ([""] if rstdp else []))
        return _markdown(header, rows)
    if name == "memory":
        header = ["bits", "Mw (bytes)", "Mp (bytes)", "Ms (bytes)", "M (bytes)",
                  "Brian2 allocations (bytes)"]
        rows = [[r["bits"], _count(r["Mw"] / 8), _count(r["Mp"] / 8), f"{r['Ms'] / 8:,.1f}",
                 _count(r["M_bytes"]), _count(results["brian2_bytes"])] for r in results["rows"]]
        return _markdown(header, rows)
    raise ValueError(f"unknown study {name!r}; choose from {list(STUDIES)}")
