"""Supervised baselines of the network's size, trained by scikit-learn on the same images.

Three classifiers judge what the spiking network's accuracy is worth:

=========================  ============================  ===================================
baseline                   input                         multiply-adds per image
=========================  ============================  ===================================
``logistic_pixels``        the pixels, scaled to [0, 1]  ``n_input x n_classes``
``logistic_spike_counts``  the network's spike counts    ``n_neurons x n_classes`` (after
                                                         the network's own operations)
``hidden_layer``           the pixels, scaled to [0, 1]  ``n_input x n_hidden +
                           (one hidden layer of          n_hidden x n_classes``
                           ``n_hidden`` ReLU units,
                           backpropagation)
=========================  ============================  ===================================

``n_hidden`` is the network's number of excitatory neurons, so the dense network has
the same first layer (``n_input x n_neurons``) as the spiking one.  Logistic regression
on the spike counts is what a supervised readout could get from the features the
network learned without labels; label assignment is the paper's readout of the same
counts.  The baselines learn from the labelled images the network's neurons are
labelled with (`stdp_learn.studies`), so both sides see the same labels.  Biases and
activations are not counted in the multiply-adds; the network's operations are
accumulates, counted in `stdp_learn.efficiency`.

scikit-learn is an optional dependency (``pip install stdp_learn[evaluation]``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["BASELINES", "Baseline", "require_sklearn", "multiply_adds", "fit_baselines"]

#: The baselines, in the order the studies report them.
BASELINES = ("logistic_pixels", "logistic_spike_counts", "hidden_layer")


def require_sklearn():
    """Import scikit-learn, or raise an ImportError that says how to install it."""
    try:
        import sklearn  # noqa: F401  (only whether it imports)
    except ImportError:
        raise ImportError("the baselines need scikit-learn: pip install 'stdp_learn[evaluation]' "
                          "(or pip install scikit-learn)") from None


def multiply_adds(name, n_input, n_neurons, n_classes) -> int:
    """Return the multiply-adds per image of baseline `name` (weights only, no biases)."""
    if name == "logistic_pixels":
        return n_input * n_classes
    if name == "logistic_spike_counts":
        return n_neurons * n_classes
    if name == "hidden_layer":
        return n_input * n_neurons + n_neurons * n_classes
    raise ValueError(f"unknown baseline {name!r}; choose from {list(BASELINES)}")


@dataclass
class Baseline:
    """A fitted baseline: its scikit-learn estimator, what it reads and what it costs.

    Attributes
    ----------
    name : str
        One of `BASELINES`.
    estimator : sklearn estimator
        Fitted; `predict` takes the features of `reads`.
    reads : {"pixels", "spike_counts"}
        What the baseline classifies.
    multiply_adds : int
        Multiply-adds per image of its weights (see `multiply_adds`).
    layer_shapes : list of tuple
        Shapes of its weight matrices, as fitted.
    """

    name: str
    estimator: object
    reads: str
    multiply_adds: int
    layer_shapes: list = field(default_factory=list)

    def predict(self, images=None, counts=None) -> np.ndarray:
        """Return the predicted classes of images (0-255) or of their spike counts."""
        features = counts if self.reads == "spike_counts" else images
        if features is None:
            raise ValueError(f"baseline {self.name} reads {self.reads}; give them")
        return self.estimator.predict(_features(features, self.reads))


def _features(values, reads):
    values = np.asarray(values, dtype=np.float64)
    values = values.reshape(values.shape[0], -1)
    # pixels to [0, 1]; counts as they are (a few spikes per neuron)
    return values / 255.0 if reads == "pixels" else values


def fit_baselines(images, counts, labels, n_neurons, *, names=BASELINES, random_state=0,
                  max_iter=300) -> dict:
    """Fit the baselines on labelled images and their spike counts; return them by name.

    Parameters
    ----------
    images : array, shape (n_images, n_input)
        Labelled images, pixel values 0-255.
    counts : array, shape (n_images, n_neurons), or None
        The network's spike counts on the same images (needed by
        ``logistic_spike_counts`` only).
    labels : array of int, shape (n_images,)
    n_neurons : int
        Hidden units of ``hidden_layer``: the network's excitatory neurons.
    names : iterable of str
        Which baselines to fit.
    random_state : int
        Seeds the solvers (the hidden layer's initial weights and batches).
    max_iter : int
        Iterations of the solvers.

    Returns
    -------
    dict of str to Baseline
    """
    require_sklearn()
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    import warnings

    images = np.asarray(images).reshape(len(images), -1)
    labels = np.asarray(labels)
    n_input = images.shape[1]
    n_classes = int(labels.max()) + 1
    fitted = {}
    for name in names:
        if name not in BASELINES:
            raise ValueError(f"unknown baseline {name!r}; choose from {list(BASELINES)}")
        if name == "hidden_layer":
            estimator = MLPClassifier(hidden_layer_sizes=(int(n_neurons),), max_iter=max_iter,
                                      random_state=random_state)
        else:
            estimator = LogisticRegression(max_iter=max_iter)
        reads = "spike_counts" if name == "logistic_spike_counts" else "pixels"
        source = counts if reads == "spike_counts" else images
        if source is None:
            raise ValueError(f"baseline {name} needs the spike counts of the labelled images")
        with warnings.catch_warnings():
            # a solver stopped at max_iter still gives a usable (slightly less fitted) model
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(_features(source, reads), labels)
        shapes = ([tuple(w.shape) for w in estimator.coefs_] if name == "hidden_layer"
                  else [tuple(estimator.coef_.T.shape)])
        fitted[name] = Baseline(name, estimator, reads,
                                multiply_adds(name, n_input, int(n_neurons), n_classes), shapes)
    return fitted
