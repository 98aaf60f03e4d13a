"""How many labelled images the network needs: accuracy against labels used to assign.

The features are learned without labels; labels only name the neurons (label assignment,
`stdp_learn.readout.assign_labels`).  Here the features stay fixed (one recorded pass of
the network over a labelling set) and the neurons are labelled from ``k`` images of each
class, drawn at random without replacement with a fixed seed, for ``k`` from 10 up to
every labelling image.  With every labelling image the labels are those of
``model.assign_labels(counts, labels)``, so the last point of the curve is the accuracy
the network has when labelled from that set.

A network trained with a reward readout (`stdp_learn.reward.RewardReadout`) learns that
readout from labelled images during a simulation; `rstdp_label_efficiency` trains a fresh
readout on each labelled subset with `DiehlCook2015.fit_readout`.
"""
from __future__ import annotations

import numpy as np

from .metrics import accuracy
from .readout import assign_labels, predict_all_activity, predict_proportion_weighting

__all__ = ["LABELS_PER_CLASS", "labelled_subset", "label_efficiency_curve",
           "rstdp_label_efficiency"]

#: Labelled images per class of the curve; None stands for every labelling image.
LABELS_PER_CLASS = (10, 30, 100, 300, 1000, None)


def labelled_subset(labels, per_class, seed=0) -> np.ndarray:
    """Return the sorted indices of `per_class` images of each class (all: None), at random.

    A class with fewer images gives all it has.

    Examples
    --------
    >>> labelled_subset([0, 1, 0, 1, 0, 1], 2, seed=0).size
    4
    """
    labels = np.asarray(labels, dtype=np.int64)
    if per_class is None:
        return np.arange(labels.size)
    if isinstance(per_class, bool) or int(per_class) != per_class or per_class < 1:
        raise ValueError(f"labels per class must be a whole number >= 1 or None, got {per_class!r}")
    rng = np.random.default_rng(seed)
    chosen = [rng.permutation(np.flatnonzero(labels == c))[: int(per_class)]
              for c in np.unique(labels)]
    return np.sort(np.concatenate(chosen))


def label_efficiency_curve(label_counts, label_y, test_counts, test_y, *, n_classes=None,
                           labels_per_class=LABELS_PER_CLASS, seed=0) -> list:
    """Return the accuracy of label assignment against the labelled images used.

    Parameters
    ----------
    label_counts : array, shape (n_labelling, n_neurons)
        The network's spike counts on the labelling images (learning off).
    label_y : array of int, shape (n_labelling,)
        Their classes.
    test_counts : array, shape (n_test, n_neurons)
        The network's spike counts on the images evaluated.
    test_y : array of int, shape (n_test,)
    n_classes : int, optional
        Classes (default: one more than the largest label seen).
    labels_per_class : iterable of int or None
        Labelled images per class of each point (None: all).  Points that would use
        every labelling image anyway are dropped in favour of the None point.
    seed : int
        Draws the subsets.

    Returns
    -------
    list of dict
        ``"labels_per_class"`` (None for all), ``"n_labels"``, ``"accuracy"`` (all
        activity), ``"accuracy_proportion_weighting"``, ``"assigned_neurons"``
        (neurons that fired on the subset and got a class).
    """
    label_y = np.asarray(label_y, dtype=np.int64)
    test_y = np.asarray(test_y, dtype=np.int64)
    if n_classes is None:
        n_classes = int(max(label_y.max(), test_y.max())) + 1
    largest_class = int(np.bincount(label_y).max())
    curve = []
    for per_class in labels_per_class:
        if per_class is not None and per_class >= largest_class:
            continue  # the subset would be the whole set: the None point gives it
        chosen = labelled_subset(label_y, per_class, seed)
        assignments, proportions, _ = assign_labels(np.asarray(label_counts)[chosen],
                                                    label_y[chosen], n_classes)
        curve.append({
            "labels_per_class": per_class,
            "n_labels": int(chosen.size),
            "accuracy": accuracy(test_y, predict_all_activity(test_counts, assignments, n_classes)),
            "accuracy_proportion_weighting": accuracy(test_y, predict_proportion_weighting(
                test_counts, assignments, proportions, n_classes)),
            "assigned_neurons": int(np.sum(assignments >= 0)),
        })
    return curve


def rstdp_label_efficiency(model, X_label, y_label, X_test, y_test, *,
                           labels_per_class=LABELS_PER_CLASS, seed=0) -> list:
    """Return the reward readout's accuracy against the labelled images it learns from.

    For each point the readout starts again from fresh initial weights (drawn from a
    stream of the model's seed of their own) and `fit_readout` trains it on the
    labelled subset, features frozen; it is then scored on `X_test`.  Each point is a
    simulation of its subset and of the test images.  The model's own readout is put
    back afterwards.

    Returns
    -------
    list of dict
        ``"labels_per_class"``, ``"n_labels"``, ``"accuracy"``.
    """
    if model.readout is None:
        raise ValueError("the R-STDP label curve needs a model built with a readout")
    y_label = np.asarray(y_label, dtype=np.int64)
    largest_class = int(np.bincount(y_label).max())
    curve = []
    for per_class in labels_per_class:
        if per_class is not None and per_class >= largest_class:
            continue
        chosen = labelled_subset(y_label, per_class, seed)
        saved_state, saved_passes = model.state_.copy(), model.readout_passes_
        try:
            model.reset_readout()
            model.fit_readout(np.asarray(X_label)[chosen], y_label[chosen])
            predicted = model.predict(X_test, method="rstdp")
        finally:
            model.state_, model.readout_passes_ = saved_state, saved_passes
        curve.append({"labels_per_class": per_class, "n_labels": int(chosen.size),
                      "accuracy": accuracy(y_test, predicted)})
    return curve

