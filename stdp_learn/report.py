"""The evaluation report: what a trained network does on a set of labelled images.

`evaluation_report` turns the `Responses` of a test (or validation) pass into one JSON-able
dict: the accuracy of every readout, the confusion matrix of the chosen one, how many
images got no answer, blank and unanswered images, spikes per image, the efficiency
report (operations, memory, energy) and the early-exit curve.  `DiehlCook2015.evaluate`
returns it; the command line writes it into ``metrics.json``.
"""
from __future__ import annotations

import numpy as np

from .efficiency import efficiency_report, nonzero_pixels, synaptic_operations
from .inputs import blank_images
from .metrics import accuracy, confusion_matrix, no_answer_count
from .readout import early_exit_curve

__all__ = ["READOUTS", "evaluation_report"]

#: The readouts a report can be judged by: the paper's label assignment, or the layer
#: trained by reward (a model built with a `RewardReadout`).
READOUTS = ("label_assignment", "rstdp")


def evaluation_report(model, responses, y, X=None, readout="label_assignment") -> dict:
    """Return the report of `model` on images with labels `y`, from their `responses`.

    Parameters
    ----------
    model : DiehlCook2015
        A fitted model with labelled neurons.
    responses : Responses
        What the network did on the images (`DiehlCook2015.responses`).
    y : array of int, shape (n_images,)
        The images' classes.
    X : array, shape (n_images, ...), optional
        The images themselves, for the blank-image count and the dense layer's
        operations on non-zero pixels in the efficiency report.
    readout : {"label_assignment", "rstdp"}
        The readout whose predictions give ``accuracy`` and the confusion matrix.
    """
    if readout not in READOUTS:
        raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
    y = np.asarray(y)
    n_classes = model.n_classes_
    counts = responses.counts
    predictions = {"label_assignment": model.predict_from_counts(counts),
                   "proportion_weighting": model.predict_from_counts(counts, "proportion_weighting")}
    if model.readout is not None:
        predictions["rstdp"] = model.predict_from_responses(responses, "rstdp")
    elif readout == "rstdp":
        raise ValueError("readout 'rstdp' needs a model built with a readout")
    chosen = predictions[readout]
    report = {
        "accuracy": accuracy(y, chosen),
        "readout": readout,
        **{f"accuracy_{name}": accuracy(y, values) for name, values in predictions.items()},
        "no_answer": no_answer_count(chosen),
        "confusion_matrix": confusion_matrix(y, chosen, n_classes).tolist(),
        "n_images": int(len(y)),
        "n_classes": n_classes,
        "neurons_per_class": np.bincount(model.assignments_[model.assignments_ >= 0],
                                         minlength=n_classes).tolist(),
        "mean_spikes_per_image": float(counts.sum(axis=1).mean()) if len(counts) else 0.0,
        "unanswered_images": responses.log.unanswered,
        "mean_retries_per_image": float(np.mean(responses.log.retries)) if responses.log.retries else 0.0,
    }
    if model.readout is not None:
        report["readout_outputs"] = model.readout.n_outputs
    if X is not None:
        report["blank_images"] = blank_images(np.asarray(X).reshape(len(X), -1)) if len(X) else 0
    if len(y):
        report["efficiency"] = efficiency_report(
            responses.log.layer_spikes, model.n_input_, model.n_neurons,
            params=model.network_params_, rule=model.rule, n_slots=model.block_size,
            retries=responses.log.retries,
            nonzero_pixels_per_image=None if X is None else nonzero_pixels(X),
            encoder=model._blocks()[0], connectivity=model._blocks()[1],
        )
        report["early_exit"] = _early_exit(model, responses, y)
    return report


def _early_exit(model, responses, y):
    """Accuracy against presentation time when presentations stop once the answer is clear."""
    synops = synaptic_operations(responses.log.layer_spikes, model.n_input_, model.n_neurons,
                                 per_image=True,
                                 connectivity=model._blocks()[1])["per_image"]["total"]
    curve = early_exit_curve(
        responses.spikes, y, model.assignments_, retries=responses.log.retries,
        presentation_time=float(model.network_params_.presentation.presentation_time),
        synops_per_image=synops, n_classes=model.n_classes_)
    for point in curve:  # JSON has no infinity: the full presentation has no margin
        point["margin"] = None if np.isinf(point["margin"]) else point["margin"]
    return curve
