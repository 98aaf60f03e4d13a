"""``python -m stdp_learn.evaluate``: a trained network judged without training it."""
import json

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
                 "--output", str(out), "--no-progress"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    record = json.loads((out / "record.json").read_text())
    assert metrics["n_images"] == 200 and metrics["accuracy"] > 0.6  # chance is 0.1
    assert sum(map(sum, metrics["confusion_matrix"])) + metrics["no_answer"] == 200
    assert record["split"] == "test" and record["results"]["accuracy"] == metrics["accuracy"]
    assert (out / "confusion.png").stat().st_size > 0
