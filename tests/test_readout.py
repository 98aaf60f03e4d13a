"""Tests for stdp_learn.readout: label assignment and the two voting readouts."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from stdp_learn.readout import (
    assign_labels,
    early_exit,
    early_exit_curve,
    predict_all_activity,
    predict_proportion_weighting,
)

# Hand-built example: 5 labelled images, 4 neurons, 3 classes.
# Neuron 0 fires for class 0, neuron 1 mostly for class 1, neuron 2 for
# every class but most for class 2, and neuron 3 never fires.
HAND_COUNTS = np.array(
    [
        [4, 0, 1, 0],  # class 0
        [0, 3, 1, 0],  # class 1
        [0, 1, 2, 0],  # class 2
        [2, 0, 1, 0],  # class 0
        [0, 1, 1, 0],  # class 1
    ]
)
HAND_LABELS = np.array([0, 1, 2, 0, 1])
HAND_N_CLASSES = 3

# Mean count per class (class 0 = images 0 and 3, class 1 = images 1 and 4,
# class 2 = image 2), worked out by hand.
HAND_RATES = np.array(
    [
        [3.0, 0.0, 0.0],  # neuron 0: (4 + 2) / 2 for class 0
        [0.0, 2.0, 1.0],  # neuron 1: (3 + 1) / 2 for class 1
        [1.0, 1.0, 2.0],  # neuron 2
        [0.0, 0.0, 0.0],  # neuron 3: silent
    ]
)
HAND_ASSIGNMENTS = np.array([0, 1, 2, -1])
HAND_PROPORTIONS = np.array(
    [
        [1.0, 0.0, 0.0],
        [0.0, 2 / 3, 1 / 3],
        [0.25, 0.25, 0.5],
        [0.0, 0.0, 0.0],
    ]
)

# Images to classify with the hand example, and their predictions by hand.
HAND_TEST_COUNTS = np.array(
    [
        # all-activity: class means (1, 2, 0) -> 1.
        # proportion:   (1*1, 2*2/3, 0)       -> 1.
        [1, 2, 0, 5],
        # Only the silent neuron fires: no answer from either readout.
        [0, 0, 0, 7],
        # all-activity: (2, 1, 3)             -> 2.
        # proportion:   (2*1, 1*2/3, 3*0.5)   -> 0.
        [2, 1, 3, 0],
        # all-activity: (2, 2, 0), a tie      -> 0.
        # proportion:   (2, 4/3, 0)           -> 0.
        [2, 2, 0, 0],
    ]
)
HAND_ALL_ACTIVITY = np.array([1, -1, 2, 0])
HAND_PROPORTION_WEIGHTING = np.array([1, -1, 0, 0])


def test_assign_labels_matches_hand_computation():
    assignments, proportions, rates = assign_labels(
        HAND_COUNTS, HAND_LABELS, n_classes=HAND_N_CLASSES
    )
    assert_allclose(rates, HAND_RATES)
    assert_array_equal(assignments, HAND_ASSIGNMENTS)
    assert_allclose(proportions, HAND_PROPORTIONS)
    assert assignments.dtype == np.int64
    assert rates.shape == proportions.shape == (4, HAND_N_CLASSES)


def test_predictions_match_hand_computation():
    assignments, proportions, _ = assign_labels(
        HAND_COUNTS, HAND_LABELS, n_classes=HAND_N_CLASSES
    )
    all_activity = predict_all_activity(
        HAND_TEST_COUNTS, assignments, n_classes=HAND_N_CLASSES
    )
    weighted = predict_proportion_weighting(
        HAND_TEST_COUNTS, assignments, proportions, n_classes=HAND_N_CLASSES
    )
    assert_array_equal(all_activity, HAND_ALL_ACTIVITY)
    assert_array_equal(weighted, HAND_PROPORTION_WEIGHTING)
    assert all_activity.dtype == weighted.dtype == np.int64


def test_proportions_sum_to_one_for_active_neurons():
    _, proportions, _ = assign_labels(HAND_COUNTS, HAND_LABELS, n_classes=HAND_N_CLASSES)
    assert_allclose(proportions.sum(axis=1), [1.0, 1.0, 1.0, 0.0])


def test_silent_neuron_is_unassigned_and_never_votes():
    # Neuron 1 never fires on the labelled images.
    counts = np.array([[3, 0], [0, 0]])
    labels = np.array([0, 1])
    assignments, proportions, rates = assign_labels(counts, labels, n_classes=2)
    assert assignments[1] == -1
    assert_array_equal(proportions[1], [0.0, 0.0])
    assert_array_equal(rates[1], [0.0, 0.0])

    # However hard the silent neuron fires later, it must not produce an
    # answer on its own, nor outvote the assigned neuron.
    test_counts = np.array([[0, 100], [1, 100]])
    assert_array_equal(predict_all_activity(test_counts, assignments, n_classes=2), [-1, 0])
    assert_array_equal(
        predict_proportion_weighting(test_counts, assignments, proportions, n_classes=2),
        [-1, 0],
    )


def test_absent_class_is_never_assigned_and_has_zero_rate():
    # Class 1 never occurs in the labels. Neuron 1 has mean 1 for both
    # classes 0 and 2, so the absent class sits between two tied classes: a
    # NaN or positive value in its column would change the answer.
    counts = np.array([[5, 2], [0, 1], [1, 0]])
    labels = np.array([0, 2, 0])
    assignments, proportions, rates = assign_labels(counts, labels, n_classes=3)
    assert not np.any(np.isnan(rates))
    assert not np.any(np.isnan(proportions))
    assert_array_equal(rates[:, 1], [0.0, 0.0])
    assert_array_equal(proportions[:, 1], [0.0, 0.0])
    assert not np.any(assignments == 1)
    assert_array_equal(assignments, [0, 0])


def test_class_without_neurons_never_wins():
    # No neuron is assigned to class 2; every image must be predicted as
    # class 0 or 1 (or no answer), never 2.
    assignments = np.array([0, 1, 1])
    proportions = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    counts = np.array([[0, 0, 1], [1, 0, 0], [0, 0, 0]])
    assert_array_equal(predict_all_activity(counts, assignments, n_classes=3), [1, 0, -1])
    assert_array_equal(
        predict_proportion_weighting(counts, assignments, proportions, n_classes=3),
        [1, 0, -1],
    )


def test_image_without_spikes_predicts_no_answer():
    assignments, proportions, _ = assign_labels(
        HAND_COUNTS, HAND_LABELS, n_classes=HAND_N_CLASSES
    )
    no_spikes = np.zeros((2, 4))
    assert_array_equal(
        predict_all_activity(no_spikes, assignments, n_classes=HAND_N_CLASSES), [-1, -1]
    )
    assert_array_equal(
        predict_proportion_weighting(
            no_spikes, assignments, proportions, n_classes=HAND_N_CLASSES
        ),
        [-1, -1],
    )


def test_all_neurons_silent_gives_no_answer_everywhere():
    assignments, proportions, _ = assign_labels(np.zeros((3, 2)), [0, 1, 1], n_classes=2)
    assert_array_equal(assignments, [-1, -1])
    counts = np.array([[4, 1], [0, 0]])
    assert_array_equal(predict_all_activity(counts, assignments, n_classes=2), [-1, -1])
    assert_array_equal(
        predict_proportion_weighting(counts, assignments, proportions, n_classes=2),
        [-1, -1],
    )


def test_proportion_weighting_and_all_activity_disagree():
    # Labelled set: neuron 0 responds to both classes (6 vs 4 spikes),
    # neuron 1 only to class 1.
    counts = np.array([[6, 0], [4, 2]])
    labels = np.array([0, 1])
    assignments, proportions, _ = assign_labels(counts, labels, n_classes=2)
    assert_array_equal(assignments, [0, 1])
    assert_allclose(proportions, [[0.6, 0.4], [0.0, 1.0]])

    # Neuron 0 fires 4 times, neuron 1 three times. All-activity compares
    # 4 with 3 and picks class 0; proportion weighting compares 4 * 0.6 = 2.4
    # with 3 * 1.0 = 3 and picks class 1, because neuron 0 is poorly selective.
    image = np.array([[4, 3]])
    assert_array_equal(predict_all_activity(image, assignments, n_classes=2), [0])
    assert_array_equal(
        predict_proportion_weighting(image, assignments, proportions, n_classes=2), [1]
    )


def test_all_activity_averages_rather_than_sums():
    # Class 0 has three neurons firing 1 spike each (sum 3, mean 1); class 1
    # has one neuron firing 2 spikes (mean 2). A summed vote would pick 0.
    assignments = np.array([0, 0, 0, 1])
    counts = np.array([[1, 1, 1, 2]])
    assert_array_equal(predict_all_activity(counts, assignments, n_classes=2), [1])


def test_assignment_tie_goes_to_lower_class():
    # Neuron 0 has mean 2 for both class 1 and class 2.
    counts = np.array([[0], [2], [2]])
    labels = np.array([0, 2, 1])
    assignments, proportions, _ = assign_labels(counts, labels, n_classes=3)
    assert_array_equal(assignments, [1])
    assert_allclose(proportions, [[0.0, 0.5, 0.5]])


def test_prediction_tie_goes_to_lower_class():
    # Classes 1 and 2 both average 3 spikes; class 0 averages less.
    assignments = np.array([2, 1, 0])
    proportions = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    counts = np.array([[3, 3, 1]])
    assert_array_equal(predict_all_activity(counts, assignments, n_classes=3), [1])
    assert_array_equal(
        predict_proportion_weighting(counts, assignments, proportions, n_classes=3), [1]
    )


def test_inputs_are_not_modified():
    counts = HAND_COUNTS.copy()
    labels = HAND_LABELS.copy()
    assignments, proportions, _ = assign_labels(counts, labels, n_classes=HAND_N_CLASSES)
    assignments_before = assignments.copy()
    proportions_before = proportions.copy()
    predict_all_activity(counts, assignments, n_classes=HAND_N_CLASSES)
    predict_proportion_weighting(counts, assignments, proportions, n_classes=HAND_N_CLASSES)
    assert_array_equal(counts, HAND_COUNTS)
    assert_array_equal(labels, HAND_LABELS)
    assert_array_equal(assignments, assignments_before)
    assert_array_equal(proportions, proportions_before)


@pytest.mark.parametrize(
    "counts, labels, n_classes, message",
    [
        (np.zeros(4), [0, 1, 0, 1], 2, "2-D"),
        (np.zeros((2, 3, 1)), [0, 1], 2, "2-D"),
        (np.zeros((3, 2)), [0, 1], 2, "match counts"),
        (np.array([[1, -1], [0, 0]]), [0, 1], 2, "non-negative"),
        (np.array([[1.0, np.nan], [0, 0]]), [0, 1], 2, "finite"),
        (np.zeros((2, 2)), [0, 2], 2, r"\[0, n_classes\)"),
        (np.zeros((2, 2)), [-1, 0], 2, r"\[0, n_classes\)"),
        (np.zeros((2, 2)), [0.5, 1], 2, "integers"),
        (np.zeros((2, 2)), [0, 1], 0, "n_classes"),
        (np.zeros((2, 2)), [0, 1], 2.0, "n_classes"),
    ],
)
def test_assign_labels_rejects_bad_input(counts, labels, n_classes, message):
    with pytest.raises(ValueError, match=message):
        assign_labels(counts, labels, n_classes=n_classes)


def test_assign_labels_accepts_whole_number_float_labels():
    assignments, _, _ = assign_labels(HAND_COUNTS, HAND_LABELS.astype(float), n_classes=3)
    assert_array_equal(assignments, HAND_ASSIGNMENTS)


@pytest.mark.parametrize(
    "counts, assignments, message",
    [
        (np.zeros(3), [0, 1, 0], "2-D"),
        (np.zeros((2, 3)), [0, 1], "match counts"),
        (np.array([[0, -2, 0]]), [0, 1, 0], "non-negative"),
        (np.zeros((2, 3)), [0, 2, 1], r"\[-1, n_classes\)"),
        (np.zeros((2, 3)), [0, -2, 1], r"\[-1, n_classes\)"),
        (np.zeros((2, 3)), [0, 1.5, 1], "integers"),
    ],
)
def test_predictions_reject_bad_input(counts, assignments, message):
    proportions = np.full((3, 2), 0.5)
    with pytest.raises(ValueError, match=message):
        predict_all_activity(counts, assignments, n_classes=2)
    with pytest.raises(ValueError, match=message):
        predict_proportion_weighting(counts, assignments, proportions, n_classes=2)


@pytest.mark.parametrize(
    "proportions, message",
    [
        (np.full((3, 3), 0.5), "shape"),
        (np.full((2, 2), 0.5), "shape"),
        (np.array([[0.5, 0.5], [1.0, -0.1], [0.0, 1.0]]), "non-negative"),
        (np.array([[0.5, np.nan], [1.0, 0.0], [0.0, 1.0]]), "finite"),
    ],
)
def test_proportion_weighting_rejects_bad_proportions(proportions, message):
    with pytest.raises(ValueError, match=message):
        predict_proportion_weighting(np.ones((2, 3)), [0, 1, -1], proportions, n_classes=2)


# --- Randomised comparison with an explicit-loop reference -------------------


def _reference_assign_labels(counts, labels, n_classes):
    """Assign labels one neuron and one class at a time, as the paper's code does."""
    n_samples, n_neurons = counts.shape
    rates = np.zeros((n_neurons, n_classes))
    assignments = np.full(n_neurons, -1)
    proportions = np.zeros((n_neurons, n_classes))
    for neuron in range(n_neurons):
        for label in range(n_classes):
            total = 0.0
            n_images = 0
            for sample in range(n_samples):
                if labels[sample] == label:
                    total += counts[sample, neuron]
                    n_images += 1
            rates[neuron, label] = total / n_images if n_images else 0.0
        best_rate = 0.0
        for label in range(n_classes):
            # Strictly greater: an earlier class keeps a tie, and a neuron
            # with no positive rate stays -1.
            if rates[neuron, label] > best_rate:
                best_rate = rates[neuron, label]
                assignments[neuron] = label
        response_sum = sum(rates[neuron])
        if response_sum > 0:
            for label in range(n_classes):
                proportions[neuron, label] = rates[neuron, label] / response_sum
    return assignments, proportions, rates


def _reference_predict(counts, assignments, proportions, n_classes):
    """Vote one image, class and neuron at a time; proportions=None means all-activity."""
    n_samples, n_neurons = counts.shape
    predictions = np.full(n_samples, -1)
    for sample in range(n_samples):
        best_score = 0.0
        for label in range(n_classes):
            score = 0.0
            n_voters = 0
            for neuron in range(n_neurons):
                if assignments[neuron] == label:
                    weight = 1.0 if proportions is None else proportions[neuron, label]
                    score += counts[sample, neuron] * weight
                    n_voters += 1
            if n_voters and score / n_voters > best_score:
                best_score = score / n_voters
                predictions[sample] = label
    return predictions


def test_vectorised_readout_matches_loop_reference():
    rng = np.random.default_rng(20150901)
    n_classes = 6
    n_neurons = 30
    # Classes 3 and 5 never occur in the labelled set.
    labels = rng.choice([0, 1, 2, 4], size=80)
    # Each neuron prefers one class; several neurons are made silent.
    preferred = rng.integers(0, n_classes, size=n_neurons)
    mean_counts = 0.3 + 2.0 * (labels[:, np.newaxis] == preferred[np.newaxis, :])
    counts = rng.poisson(mean_counts)
    silent_neurons = [3, 11, 27]
    counts[:, silent_neurons] = 0

    assignments, proportions, rates = assign_labels(counts, labels, n_classes=n_classes)
    ref_assignments, ref_proportions, ref_rates = _reference_assign_labels(
        counts, labels, n_classes
    )
    assert_allclose(rates, ref_rates, rtol=1e-12, atol=0)
    assert_allclose(proportions, ref_proportions, rtol=1e-12, atol=0)
    assert_array_equal(assignments, ref_assignments)
    # The set-up must actually exercise silent neurons and absent classes.
    assert_array_equal(assignments[silent_neurons], -1)
    assert not np.any(np.isin(assignments, [3, 5]))

    # Sparse test images, so some get no answer.
    test_counts = rng.poisson(0.05 + 0.4 * rng.random((50, n_neurons)))
    test_counts[:5] = 0
    all_activity = predict_all_activity(test_counts, assignments, n_classes=n_classes)
    weighted = predict_proportion_weighting(
        test_counts, assignments, proportions, n_classes=n_classes
    )
    assert_array_equal(
        all_activity, _reference_predict(test_counts, assignments, None, n_classes)
    )
    assert_array_equal(
        weighted, _reference_predict(test_counts, assignments, proportions, n_classes)
    )
    assert np.all(all_activity[:5] == -1)
    # The two readouts should not be identical on this data; otherwise the
    # weighted path would not really be tested.
    assert np.any(all_activity != weighted)


# -- early exit ---------------------------------------------------------------------------

def test_early_exit_stops_when_a_class_leads_by_the_margin():
    # image 0: class 3 leads by 2 at the second spike; image 1: never leads by 2
    image = [0, 0, 0, 0, 1, 1]
    time = [0.010, 0.020, 0.030, 0.040, 0.005, 0.006]
    neuron = [0, 0, 1, 1, 1, 0]
    assignments = [3, 5]
    predictions, decided = early_exit(image, time, neuron, 2, assignments, margin=2)
    assert predictions.tolist() == [3, 3]  # image 1: a 1-1 tie goes to the lower class
    assert decided.tolist() == [0.020, 0.35]


def test_early_exit_counts_every_spike_of_the_stopping_time_step():
    # two spikes in one step: the lead of 2 is reached only with both
    predictions, decided = early_exit([0, 0, 0], [0.01, 0.01, 0.02], [0, 0, 1], 1, [4, 7], margin=2)
    assert decided.tolist() == [0.01] and predictions.tolist() == [4]
    # one spike of a step never stops the presentation alone when its partner would undo it
    predictions, decided = early_exit([0, 0], [0.01, 0.01], [0, 1], 1, [4, 7], margin=1)
    assert decided.tolist() == [0.35]


def test_early_exit_after_max_spikes():
    _, decided = early_exit([0, 0, 0], [0.01, 0.02, 0.03], [0, 1, 0], 1, [2, 6], max_spikes=2)
    assert decided.tolist() == [0.02]


def test_early_exit_with_infinite_margin_is_the_full_evaluation():
    rng = np.random.default_rng(5)
    n_images, n_neurons = 40, 12
    n_spikes = 300
    image = rng.integers(0, n_images, n_spikes)
    time = rng.integers(0, 700, n_spikes) * 0.0005
    neuron = rng.integers(0, n_neurons, n_spikes)
    assignments = rng.integers(-1, 10, n_neurons)
    predictions, decided = early_exit(image, time, neuron, n_images, assignments)
    counts = np.zeros((n_images, n_neurons))
    np.add.at(counts, (image, neuron), 1)
    np.testing.assert_array_equal(predictions, predict_all_activity(counts, assignments))
    assert np.all(decided == 0.35)


def test_early_exit_curve_trades_time_for_accuracy():
    from stdp_learn.simulation import SpikeTrains

    # neuron 0 (class 1) fires early on every image, neuron 1 (class 2) later and more
    image = np.repeat(np.arange(10), 4)
    time = np.tile([0.01, 0.1, 0.2, 0.3], 10)
    neuron = np.tile([0, 1, 1, 1], 10)
    spikes = SpikeTrains(image, time, neuron)
    curve = early_exit_curve(spikes, np.full(10, 2), [1, 2], margins=(1, np.inf),
                             retries=np.ones(10), synops_per_image=np.full(10, 700.0))
    quick, full = curve
    assert quick["accuracy"] == 0.0 and full["accuracy"] == 1.0
    assert quick["mean_presentation_ms"] == pytest.approx(350 + 10)
    assert full["mean_presentation_ms"] == pytest.approx(700)
    # the operations of the part shown, spread evenly over the time: labelled an estimate
    assert quick["estimated_mean_synops"] == pytest.approx(700 * 360 / 700)
    assert full["estimated_mean_synops"] == pytest.approx(700)
    assert not any("synops" in key and not key.startswith("estimated_")
                   for point in curve for key in point)
    assert full["stopped_early"] == 0.0 and quick["stopped_early"] == 1.0


def test_early_exit_rejects_a_bad_margin():
    with pytest.raises(ValueError, match="margin"):
        early_exit([0], [0.0], [0], 1, [0], margin=0)
