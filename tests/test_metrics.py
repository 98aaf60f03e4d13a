"""Tests for stdp_learn.metrics: accuracy, confusion matrix and no-answer count."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from stdp_learn.metrics import accuracy, confusion_matrix, no_answer_count

# Six images of three classes; image 2 and image 5 got no answer.
Y_TRUE = np.array([0, 0, 1, 1, 2, 2])
Y_PRED = np.array([0, 1, -1, 1, 0, -1])


def test_accuracy_of_known_case():
    # Correct: images 0 and 3.
    assert accuracy(Y_TRUE, Y_PRED) == pytest.approx(2 / 6)
    assert isinstance(accuracy(Y_TRUE, Y_PRED), float)


def test_accuracy_counts_no_answer_as_wrong():
    # Two of four images are unanswered; they must stay in the denominator.
    assert accuracy([1, 2, 3, 4], [1, 2, -1, -1]) == pytest.approx(0.5)
    assert accuracy([0, 0], [-1, -1]) == 0.0


def test_accuracy_extremes():
    assert accuracy([3, 1, 4], [3, 1, 4]) == 1.0
    assert accuracy([3, 1, 4], [1, 4, 3]) == 0.0


def test_confusion_matrix_of_known_case():
    expected = np.array(
        [
            [1, 1, 0],  # true 0: predicted 0 once, 1 once
            [0, 1, 0],  # true 1: predicted 1 once, one no answer (not counted)
            [1, 0, 0],  # true 2: predicted 0 once, one no answer (not counted)
        ]
    )
    matrix = confusion_matrix(Y_TRUE, Y_PRED, n_classes=3)
    assert_array_equal(matrix, expected)
    assert matrix.dtype == np.int64
    assert matrix.shape == (3, 3)


def test_confusion_matrix_sums_to_answered_images():
    matrix = confusion_matrix(Y_TRUE, Y_PRED, n_classes=3)
    n_answered = len(Y_PRED) - no_answer_count(Y_PRED)
    assert matrix.sum() == n_answered == 4
    # The diagonal holds exactly the correct predictions.
    assert np.trace(matrix) == accuracy(Y_TRUE, Y_PRED) * len(Y_TRUE)


def test_confusion_matrix_is_not_transposed():
    # Every image of true class 2 is predicted as class 0: row 2, column 0.
    matrix = confusion_matrix([2, 2, 2], [0, 0, 0], n_classes=3)
    assert matrix[2, 0] == 3
    assert matrix[0, 2] == 0


def test_confusion_matrix_default_has_ten_classes():
    matrix = confusion_matrix([9, 0], [9, 9])
    assert matrix.shape == (10, 10)
    assert matrix[9, 9] == 1
    assert matrix[0, 9] == 1


def test_confusion_matrix_randomised_against_loop():
    rng = np.random.default_rng(7)
    n_classes = 5
    y_true = rng.integers(0, n_classes, size=200)
    y_pred = rng.integers(-1, n_classes, size=200)
    expected = np.zeros((n_classes, n_classes), dtype=np.int64)
    for true_class, predicted_class in zip(y_true, y_pred):
        if predicted_class != -1:
            expected[true_class, predicted_class] += 1
    assert_array_equal(confusion_matrix(y_true, y_pred, n_classes=n_classes), expected)


def test_no_answer_count():
    assert no_answer_count(Y_PRED) == 2
    assert no_answer_count([0, 1, 2]) == 0
    assert no_answer_count([]) == 0
    assert isinstance(no_answer_count(Y_PRED), int)


@pytest.mark.parametrize(
    "y_true, y_pred, message",
    [
        ([0, 1], [0], "same length"),
        ([[0, 1]], [[0, 1]], "1-D"),
        ([0, 1], [0, -2], "-1"),
        ([-1, 1], [0, 1], "non-negative"),
        ([0.5, 1], [0, 1], "integers"),
        (["a", "b"], [0, 1], "integers"),
        ([], [], "zero samples"),
    ],
)
def test_accuracy_rejects_bad_input(y_true, y_pred, message):
    with pytest.raises(ValueError, match=message):
        accuracy(y_true, y_pred)


@pytest.mark.parametrize(
    "y_true, y_pred, n_classes, message",
    [
        ([0, 3], [0, 1], 3, r"y_true must lie in \[0, n_classes\)"),
        ([0, 1], [0, 3], 3, r"y_pred must lie in \[-1, n_classes\)"),
        ([0, 1], [0, -2], 3, "-1"),
        ([0, 1, 2], [0, 1], 3, "same length"),
        ([0, 1], [0, 1], 0, "n_classes"),
    ],
)
def test_confusion_matrix_rejects_bad_input(y_true, y_pred, n_classes, message):
    with pytest.raises(ValueError, match=message):
        confusion_matrix(y_true, y_pred, n_classes=n_classes)


def test_no_answer_count_rejects_bad_input():
    with pytest.raises(ValueError, match="-1"):
        no_answer_count([0, -3])
    with pytest.raises(ValueError, match="1-D"):
        no_answer_count([[0, -1]])
