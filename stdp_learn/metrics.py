"""Score class predictions that may include "no answer".

The readout in :mod:`stdp_learn.readout` predicts ``-1`` for an image that
drove none of the labelled neurons. The functions here treat ``-1`` as an
explicit "no answer": it is always wrong for :func:`accuracy`, it is left out
of :func:`confusion_matrix`, and :func:`no_answer_count` reports how often it
happened, so that silence is never mistaken for a guess.
"""

import numpy as np

__all__ = ["accuracy", "confusion_matrix", "no_answer_count"]

#: Prediction meaning that the network gave no answer for an image.
NO_ANSWER = -1


def _as_label_array(values, name):
    """Return `values` as a 1-D int64 array, refusing values that are not whole numbers."""
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {values.shape}")
    if values.dtype == bool or not np.issubdtype(values.dtype, np.number):
        raise ValueError(f"{name} must be integers; got dtype {values.dtype}")
    if not np.issubdtype(values.dtype, np.integer):
        # Whole-number floats are accepted so that labels read from float
        # files work; fractional values mean the wrong array was passed.
        if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
            raise ValueError(f"{name} must be integers; found non-integer values")
    return values.astype(np.int64)


def _validate_pair(y_true, y_pred):
    """Return both label arrays as int64 after checking that they match in length."""
    y_true = _as_label_array(y_true, "y_true")
    y_pred = _as_label_array(y_pred, "y_pred")
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "y_true and y_pred must have the same length; "
            f"got {y_true.shape[0]} and {y_pred.shape[0]}"
        )
    if np.any(y_true < 0):
        raise ValueError(
            f"y_true must be non-negative class indices; found {y_true[y_true < 0][0]}"
        )
    if np.any(y_pred < NO_ANSWER):
        raise ValueError(
            "y_pred must be class indices or -1 (no answer); "
            f"found {y_pred[y_pred < NO_ANSWER][0]}"
        )
    return y_true, y_pred


def accuracy(y_true, y_pred):
    """Return the fraction of images whose predicted class is the true class.

    Parameters
    ----------
    y_true : array_like of int, shape (n_samples,)
        True class of each image; non-negative.
    y_pred : array_like of int, shape (n_samples,)
        Predicted class of each image, or ``-1`` for no answer.

    Returns
    -------
    float
        Fraction of correct predictions, in ``[0, 1]``. A prediction of
        ``-1`` (no answer) counts as wrong, so the denominator is always the
        total number of images.

    Raises
    ------
    ValueError
        If the arrays are not 1-D integer arrays of the same, non-zero
        length, if `y_true` is negative, or if `y_pred` is below ``-1``.

    See Also
    --------
    no_answer_count : How many of the wrong predictions were no answer.

    Examples
    --------
    >>> from stdp_learn.metrics import accuracy
    >>> accuracy([0, 1, 2, 2], [0, 1, -1, 1])
    0.5
    """
    y_true, y_pred = _validate_pair(y_true, y_pred)
    if y_true.size == 0:
        raise ValueError("accuracy is undefined for zero samples")
    # y_true is non-negative, so a -1 prediction can never equal it.
    return float(np.mean(y_true == y_pred))


def confusion_matrix(y_true, y_pred, n_classes=10):
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    y_true : array_like of int, shape (n_samples,)
        True class of each image, in ``[0, n_classes)``.
    y_pred : array_like of int, shape (n_samples,)
        Predicted class of each image, in ``[0, n_classes)``, or ``-1`` for no
        answer.
    n_classes : int, optional
        Number of classes.

    Returns
    -------
    ndarray of int64, shape (n_classes, n_classes)
        Entry ``[i, j]`` is the number of images of true class ``i``
        predicted as class ``j``: rows are true classes, columns predicted
        classes. Images with prediction ``-1`` are **not counted**, so the
        matrix sums to the number of answered images; use
        :func:`no_answer_count` for the rest.

    Raises
    ------
    ValueError
        If the arrays are not 1-D integer arrays of the same length, if a
        true class lies outside ``[0, n_classes)``, or if a prediction lies
        outside ``[-1, n_classes)``.

    Examples
    --------
    >>> from stdp_learn.metrics import confusion_matrix
    >>> confusion_matrix([0, 0, 1, 2], [0, 1, 1, -1], n_classes=3)
    array([[1, 1, 0],
           [0, 1, 0],
           [0, 0, 0]])
    """
    is_integer = isinstance(n_classes, (int, np.integer))
    if isinstance(n_classes, (bool, np.bool_)) or not is_integer:
        raise ValueError(f"n_classes must be a positive integer; got {n_classes!r}")
    if n_classes < 1:
        raise ValueError(f"n_classes must be a positive integer; got {n_classes}")
    n_classes = int(n_classes)
    y_true, y_pred = _validate_pair(y_true, y_pred)
    if np.any(y_true >= n_classes):
        raise ValueError(
            f"y_true must lie in [0, n_classes) = [0, {n_classes}); "
            f"found {y_true[y_true >= n_classes][0]}"
        )
    if np.any(y_pred >= n_classes):
        raise ValueError(
            f"y_pred must lie in [-1, n_classes) = [-1, {n_classes}); "
            f"found {y_pred[y_pred >= n_classes][0]}"
        )

    answered = y_pred != NO_ANSWER
    # Each (true, predicted) pair maps to one flat cell index, so a single
    # bincount fills the whole matrix.
    flat_cells = y_true[answered] * n_classes + y_pred[answered]
    cell_counts = np.bincount(flat_cells, minlength=n_classes * n_classes)
    return cell_counts.reshape(n_classes, n_classes).astype(np.int64)


def no_answer_count(y_pred):
    """Return the number of images for which the network gave no answer.

    Parameters
    ----------
    y_pred : array_like of int, shape (n_samples,)
        Predicted class of each image, or ``-1`` for no answer.

    Returns
    -------
    int
        Number of entries equal to ``-1``.

    Raises
    ------
    ValueError
        If `y_pred` is not a 1-D integer array or has values below ``-1``.

    Examples
    --------
    >>> from stdp_learn.metrics import no_answer_count
    >>> no_answer_count([3, -1, 0, -1])
    2
    """
    y_pred = _as_label_array(y_pred, "y_pred")
    if np.any(y_pred < NO_ANSWER):
        raise ValueError(
            "y_pred must be class indices or -1 (no answer); "
            f"found {y_pred[y_pred < NO_ANSWER][0]}"
        )
    return int(np.count_nonzero(y_pred == NO_ANSWER))
