"""The studies on the shipped network agree with its evaluation where they must.

Pruning nothing is the full evaluation; labelling from every labelled image is the
accuracy the network has when labelled from them; the clean point of every robustness
curve is the clean accuracy; the memory study's Brian2 bytes are the efficiency
report's.  One test pass of the 100-neuron network on the packaged sample is shared.
"""
import numpy as np
import pytest

from stdp_learn import DiehlCook2015
from stdp_learn.corruptions import corrupt
from stdp_learn.report import evaluation_report
from stdp_learn.studies import (labels_study, memory_study, pruning_study, robustness_study,
                                study_table)

from conftest import needs_compiler

pytestmark = needs_compiler


@pytest.fixture(scope="module")
def shipped(build_root, mnist_sample):
    model = DiehlCook2015.pretrained(100, build_dir=build_root)
    X, y = mnist_sample.X_test[:300], mnist_sample.y_test[:300]
    responses = model.responses(X)
    report = evaluation_report(model, responses, y, X)
    return model, X, y, responses, report


def test_pruning_nothing_is_the_full_evaluation(shipped):
    model, X, y, responses, report = shipped
    curve = pruning_study(model, responses, y)["curve"]
    full = curve[0]
    assert full["n_kept"] == 100 and full["n_silent_removed"] == 0
    assert full["accuracy"] == report["accuracy_label_assignment"]
    assert full["accuracy_proportion_weighting"] == report["accuracy_proportion_weighting"]
    assert full["no_answer"] == report["no_answer"]
    efficiency = report["efficiency"]
    assert full["synaptic_operations"] == efficiency["synaptic_operations_per_image"]["total"]
    assert full["neuron_updates"] == efficiency["neuron_updates_per_image"]["total"]
    operations = [point["synaptic_operations"] for point in curve]
    assert operations == sorted(operations, reverse=True) and curve[-1]["n_kept"] == 10
    assert curve[-1]["accuracy"] < full["accuracy"]
    assert "| 100% | 100 |" in study_table("pruning", {"curve": curve})


def test_every_label_gives_the_accuracy_of_labelling_from_them(shipped, mnist_sample, build_root):
    model, X, y, responses, report = shipped
    X_label, y_label = mnist_sample.X_train[:500], mnist_sample.y_train[:500]
    label_responses = model.responses(X_label)
    result = labels_study(model, label_responses, y_label, responses, y, labels_per_class=(5, 20, None))
    assert result["as_given"] == report["accuracy"]  # the network's own labels
    relabelled = DiehlCook2015.pretrained(100, build_dir=build_root)
    relabelled.assign_labels(label_responses.counts, y_label)
    today = evaluation_report(relabelled, responses, y)
    assert result["curve"][-1]["n_labels"] == 500
    assert result["curve"][-1]["accuracy"] == today["accuracy_label_assignment"]
    assert result["curve"][-1]["accuracy_proportion_weighting"] == today["accuracy_proportion_weighting"]
    assert [p["n_labels"] for p in result["curve"][:2]] == [50, 200]


def test_robustness_curves_start_at_the_clean_accuracy_and_full_occlusion_leaves_nothing(shipped):
    model, X, y, responses, report = shipped
    result = robustness_study(model, X[:40], y[:40], corruptions=("occlusion", "contrast"),
                              levels=(1.0, 0.2), seed=0)
    assert result["levels"] == [0.0, 0.2, 1.0]
    clean = np.mean(model.predict_from_counts(responses.counts[:40]) == y[:40])
    for curve in result["curves"].values():
        assert curve[0]["level"] == 0.0 and curve[0]["accuracy"] == clean
    assert result["curves"]["occlusion"][-1]["accuracy"] == 0.0  # blank images: no answer
    # the levels of a corruption share one test pass, in order
    shown = np.concatenate([corrupt(X[:40], "occlusion", level, seed=0) for level in (0.2, 1.0)])
    occluded = model.responses(shown).counts[:40]
    expected = np.mean(model.predict_from_counts(occluded) == y[:40])
    assert result["curves"]["occlusion"][1]["accuracy"] == expected


def test_memory_sits_beside_the_efficiency_report_s_bytes(shipped):
    model, X, y, responses, report = shipped
    result = memory_study(model, responses, X, bit_widths=(32, 8))
    assert result["brian2_bytes"] == report["efficiency"]["memory_bytes"]["total"]
    assert result["peak_excitatory_spikes_per_step"] >= 1
    assert result["peak_input_spikes_in_delay_window"] > 21  # more than one spike per step
    m32, m8 = result["rows"]
    assert m32["bits"] == 32 and m32["M"] > m8["M"] and m32["M_bytes"] < result["brian2_bytes"]
