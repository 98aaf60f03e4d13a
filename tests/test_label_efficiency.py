"""Labels needed: the subsets are drawn per class, and every label gives assign_labels' answer."""
import numpy as np
import pytest

from stdp_learn import DiehlCook2015, RewardReadout
from stdp_learn.label_efficiency import label_efficiency_curve, labelled_subset, rstdp_label_efficiency
from stdp_learn.readout import assign_labels, predict_all_activity

from conftest import needs_compiler


def test_subsets_hold_the_asked_images_of_each_class():
    labels = np.repeat(np.arange(10), 50)
    chosen = labelled_subset(labels, 10, seed=0)
    assert np.bincount(labels[chosen]).tolist() == [10] * 10
    assert not np.array_equal(chosen, labelled_subset(labels, 10, seed=1))
    np.testing.assert_array_equal(labelled_subset(labels, None), np.arange(500))


def test_the_curve_grows_with_labels_and_ends_at_assign_labels():
    rng = np.random.default_rng(0)
    n_neurons, n_classes = 40, 10
    preferred = np.arange(n_neurons) % n_classes

    def counts_for(labels):
        counts = rng.poisson(0.8, size=(labels.size, n_neurons))
        return counts + 2 * rng.poisson(1.0, size=counts.shape) * (preferred == labels[:, None])

    y_label = rng.integers(0, n_classes, 3000)
    y_test = rng.integers(0, n_classes, 1000)
    label_counts, test_counts = counts_for(y_label), counts_for(y_test)
    curve = label_efficiency_curve(label_counts, y_label, test_counts, y_test,
                                   labels_per_class=(1, 10, 100, 10_000, None))
    assert [p["labels_per_class"] for p in curve] == [1, 10, 100, None]  # 10,000 is all of them
    assert [p["n_labels"] for p in curve] == [10, 100, 1000, 3000]
    assignments, _, _ = assign_labels(label_counts, y_label, n_classes)
    everything = np.mean(predict_all_activity(test_counts, assignments, n_classes) == y_test)
    assert curve[-1]["accuracy"] == everything
    assert curve[0]["accuracy"] < curve[-1]["accuracy"]


@needs_compiler
def test_the_reward_readout_is_trained_afresh_per_subset_and_put_back(mnist_sample, build_root):
    model = DiehlCook2015(n_neurons=20, block_size=100, random_state=3, build_dir=build_root,
                          readout=RewardReadout(n_per_class=2))
    model.fit(mnist_sample.X_train[:100], mnist_sample.y_train[:100])
    before = model.state_.arrays["readout_input.w"].copy()
    X_label, y_label = mnist_sample.X_train[100:160], mnist_sample.y_train[100:160]
    X_test, y_test = mnist_sample.X_test[:30], mnist_sample.y_test[:30]
    curve = rstdp_label_efficiency(model, X_label, y_label, X_test, y_test, labels_per_class=(2, None))
    assert [p["n_labels"] for p in curve] == [20, 60]
    assert all(0.0 <= p["accuracy"] <= 1.0 for p in curve)
    np.testing.assert_array_equal(model.state_.arrays["readout_input.w"], before)
    assert model.readout_passes_ == 0
    with pytest.raises(ValueError, match="readout"):
        rstdp_label_efficiency(DiehlCook2015.pretrained(100, build_dir=build_root), X_label, y_label,
                               X_test, y_test)
