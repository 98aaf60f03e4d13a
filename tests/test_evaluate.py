"""``python -m stdp_learn.evaluate``: a trained network judged without training it."""
import json

import numpy as np
import pytest

from stdp_learn.evaluate import main

from conftest import needs_compiler


def test_an_unreadable_model_exits_2_in_one_line(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere.npz"), "--output", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "no such model file" in err and len(err.strip().splitlines()) == 1


@needs_compiler
def test_the_shipped_network_is_evaluated_into_a_run_folder(tmp_path, mnist_dir, build_root,
                                                            monkeypatch):
    monkeypatch.setenv("STDP_LEARN_BUILD", str(build_root))
    out = tmp_path / "run"
    assert main(["pretrained:100", "--size", "200", "--data-dir", str(mnist_dir),
                 "--output", str(out), "--no-progress", "--studies", "none"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    record = json.loads((out / "record.json").read_text())
    assert metrics["n_images"] == 200 and metrics["accuracy"] > 0.6  # chance is 0.1
    assert sum(map(sum, metrics["confusion_matrix"])) + metrics["no_answer"] == 200
    assert record["split"] == "test" and record["results"]["accuracy"] == metrics["accuracy"]
    assert (out / "confusion.png").stat().st_size > 0
    assert "studies" not in metrics and not (out / "pruning.md").exists()
    # the shipped network's thresholds lie above rest: adapting, it answers much as frozen
    adapting = tmp_path / "adapting"
    assert main(["pretrained:100", "--size", "200", "--data-dir", str(mnist_dir),
                 "--output", str(adapting), "--no-progress", "--studies", "none",
                 "--theta-in-frozen-pass", "adapting"]) == 0
    configuration = json.loads((adapting / "record.json").read_text())["configuration"]
    assert configuration["arguments"]["theta_in_frozen_pass"] == "adapting"
    assert configuration["model"]["params"]["excitatory"]["theta_in_frozen_pass"] == "adapting"
    adapting_metrics = json.loads((adapting / "metrics.json").read_text())
    assert adapting_metrics["accuracy"] > 0.6
    assert adapting_metrics["confusion_matrix"] != metrics["confusion_matrix"]


def _one_line_error(capsys):
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_bad_arguments_exit_2_in_one_line(tmp_path, capsys, mnist_dir):
    out = ["--output", str(tmp_path / "run"), "--data-dir", str(mnist_dir)]
    assert main(["pretrained:abc"] + out) == 2
    assert "unknown model" in _one_line_error(capsys)
    assert main(["pretrained:250"] + out) == 2
    assert "no pretrained model with 250 neurons" in _one_line_error(capsys)
    for levels in ("0.5,1.5", "-0.1", "x"):
        assert main(["pretrained:100", "--all", "--levels", levels] + out) == 2
        assert "--levels" in _one_line_error(capsys)
    assert main(["pretrained:100", "--studies", "robustness,speed"] + out) == 2
    assert "unknown study 'speed'" in _one_line_error(capsys)
    assert main(["pretrained:100", "--all", "--label-size", "70000"] + out) == 2
    assert "--label-size must be 1..60000" in _one_line_error(capsys)
    assert not (tmp_path / "run").exists()


def test_a_model_that_learned_every_training_image_is_not_scored_on_validation(tmp_path, capsys,
                                                                              mnist_dir):
    from stdp_learn import DiehlCook2015, load_mnist
    from stdp_learn.inputs import as_image_rows, images_digest

    data = load_mnist(mnist_dir, download=False)
    model = DiehlCook2015.pretrained(100)
    model._train_digest = images_digest(as_image_rows(data.X_train, 784), data.y_train)
    model.save(tmp_path / "all.npz")
    assert main([str(tmp_path / "all.npz"), "--split", "validation", "--data-dir", str(mnist_dir),
                 "--output", str(tmp_path / "run"), "--no-progress"]) == 2
    assert "learned from all the training images" in _one_line_error(capsys)
    assert not (tmp_path / "run").exists()


@needs_compiler
def test_every_study_is_written_into_the_run_folder(tmp_path, mnist_dir, build_root, monkeypatch):
    pytest.importorskip("sklearn")
    monkeypatch.setenv("STDP_LEARN_BUILD", str(build_root))
    out = tmp_path / "run"
    # every study is run by default
    assert main(["pretrained:100", "--test-size", "100", "--label-size", "300", "--levels", "0.3",
                 "--data-dir", str(mnist_dir), "--output", str(out), "--no-progress"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    record = json.loads((out / "record.json").read_text())
    studies = metrics["studies"]
    assert list(studies) == ["robustness", "baselines", "pruning", "labels", "memory"]
    for name in studies:
        assert (out / f"{name}.png").stat().st_size > 0
        assert (out / f"{name}.md").read_text().startswith("| ")
    assert record["results"]["studies"] == studies and record["sizes"]["labelled"] == 300
    curves = studies["robustness"]["curves"]
    assert set(curves) == {"gaussian_noise", "salt_and_pepper", "occlusion", "contrast"}
    for curve in curves.values():
        assert [p["level"] for p in curve] == [0.0, 0.3]
        assert set(curve[0]["baselines"]) == {"logistic_pixels", "logistic_spike_counts", "hidden_layer"}
    rows = {row["model"]: row for row in studies["baselines"]["rows"]}
    assert rows["hidden_layer"]["multiply_adds"] == 784 * 100 + 100 * 10
    assert studies["pruning"]["curve"][0]["accuracy"] == metrics["accuracy_label_assignment"]
    assert studies["labels"]["curve"][-1]["n_labels"] == 300
    assert [row["bits"] for row in studies["memory"]["rows"]] == [32, 16, 8]


@needs_compiler
def test_the_validation_split_can_be_the_first_block(tmp_path, mnist_dir, build_root, monkeypatch):
    from stdp_learn import load_mnist

    monkeypatch.setenv("STDP_LEARN_BUILD", str(build_root))
    y_train = load_mnist(mnist_dir, download=False).y_train
    for block, labels in (("first", y_train[:40]), ("last", y_train[-10_000:][:40])):
        out = tmp_path / block
        assert main(["pretrained:100", "--split", "validation", "--validation-block", block,
                     "--size", "40", "--data-dir", str(mnist_dir), "--output", str(out),
                     "--no-progress", "--studies", "none"]) == 0
        metrics = json.loads((out / "metrics.json").read_text())
        record = json.loads((out / "record.json").read_text())
        # the confusion matrix's rows count the true classes of the images evaluated
        true_classes = [sum(row) for row in metrics["confusion_matrix"]]
        no_answer = metrics["no_answer"]
        assert sum(true_classes) + no_answer == 40
        if not no_answer:
            assert true_classes == np.bincount(labels, minlength=10).tolist()
        assert record["configuration"]["arguments"]["validation_block"] == block
