"""Parameter searches: an Optuna study whose trials run on a Dask LocalCluster, on validation."""
import _thread
import json
import threading
import time
from pathlib import Path

import pytest

from conftest import needs_compiler
from stdp_learn.search import SearchError, main, parse_range, run_search

distributed = pytest.importorskip("dask.distributed")
optuna = pytest.importorskip("optuna")

# Tiny networks on few images: each trial trains and evaluates in seconds once built (every
# value of nu_post is a network of its own, compiled once).
OPTIONS = ["--neurons", "10", "--train-size", "60", "--validation-size", "40", "--block-size", "30",
           "--device", "cpp_standalone", "--evaluation-interval", "30"]
RANGE = "rule-option:nu_post=1e-3:1e-1:log"


def _stamps(output):
    return {path: path.stat().st_mtime_ns for path in sorted((output / "trials").glob("*/record.json"))}


@needs_compiler
def test_a_search_scores_on_validation_and_a_rerun_continues_the_study(tmp_path, dask_client):
    output = tmp_path / "search"
    first = run_search("mnist-sample", output, [RANGE], trials=2, options=OPTIONS, client=dask_client,
                       progress=False)
    assert first.ran == 2 and [t["state"] for t in first.trials] == ["COMPLETE"] * 2
    for trial in first.trials:
        record = json.loads((Path(trial["run_dir"]) / "record.json").read_text())
        assert Path(trial["run_dir"]) == output / "trials" / f"trial{trial['number']}"
        assert record["split"] == "validation" and record["sizes"]["validation"] == 40
        assert "--evaluate-on validation" in record["command"]
        assert trial["value"] == record["results"]["label_assignment"]
        nu_post = trial["params"]["rule-option:nu_post"]
        assert 1e-3 <= nu_post <= 1e-1
        assert f"nu_post={nu_post!r}" in record["command"]
        assert record["configuration"]["model"]["rule"]["nu_post"] == pytest.approx(nu_post)
    assert first.trials[0]["params"] != first.trials[1]["params"]

    # the same search asked for 3 trials runs only the third; the others' records stay
    stamps = _stamps(output)
    again = run_search("mnist-sample", output, [RANGE], trials=3, options=OPTIONS, client=dask_client,
                       progress=False)
    assert again.ran == 1 and [t["number"] for t in again.trials] == [0, 1, 2]
    assert [t["state"] for t in again.trials] == ["COMPLETE"] * 3
    assert again.trials[:2] == first.trials
    assert {path: stamp for path, stamp in _stamps(output).items() if path in stamps} == stamps

    # the study, the table and the best trial on disk
    assert (output / "study.db").is_file()
    study = optuna.load_study(study_name="stdp_learn-search", storage=f"sqlite:///{output / 'study.db'}")
    assert [t.value for t in study.trials] == [t["value"] for t in again.trials]
    assert json.loads((output / "trials.json").read_text()) == again.trials
    best = json.loads((output / "best.json").read_text())
    assert best["value"] == max(t["value"] for t in again.trials) and best["split"] == "validation"
    assert best["command"].startswith("python -m stdp_learn.train mnist-sample --neurons 10")
    table = (output / "trials.md").read_text()
    assert "| trial | state | rule-option:nu_post | label_assignment (validation) |" in table
    assert table.count("| complete |") == 3 and f"Best: trial {best['number']}" in table

    # a trial left running by an interrupted search resumes in its folder; a complete study
    # then runs nothing and starts no cluster
    study.enqueue_trial(first.trials[0]["params"])  # a network built already
    interrupted = study.ask({"rule-option:nu_post": parse_range(RANGE).distribution()})
    resumed = run_search("mnist-sample", output, [RANGE], trials=4, options=OPTIONS, client=dask_client,
                         progress=False)
    assert resumed.ran == 1 and resumed.trials[3]["number"] == interrupted.number == 3
    assert resumed.trials[3]["state"] == "COMPLETE"
    assert (output / "trials" / "trial3" / "record.json").is_file()
    done = run_search("mnist-sample", output, [RANGE], trials=4, options=OPTIONS,
                      scheduler="tcp://127.0.0.1:9", progress=False)
    assert done.ran == 0 and done.trials == resumed.trials


@needs_compiler
def test_ctrl_c_stops_the_search_and_the_same_command_continues_it(tmp_path, build_root, monkeypatch,
                                                                    capsys):
    monkeypatch.setenv("STDP_LEARN_BUILD", str(build_root))  # the cluster's workers inherit it
    output = tmp_path / "search"
    # more images per trial than above, so that a trial is caught running
    options = [word if word != "60" else "240" for word in OPTIONS]
    argv = ["mnist-sample", "--output", str(output), "--range", RANGE, "--trials", "2",
            "--workers", "2", "--no-progress", *options]

    def interrupt_when_a_trial_has_a_checkpoint():
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            if list((output / "trials").glob("*/checkpoint.npz")):
                _thread.interrupt_main()  # what Ctrl-C does
                return
            time.sleep(0.2)

    threading.Thread(target=interrupt_when_a_trial_has_a_checkpoint, daemon=True).start()
    assert main(argv) == 130
    assert "run the same command again to continue" in capsys.readouterr().err
    stopped = json.loads((output / "trials.json").read_text())
    assert "RUNNING" in [t["state"] for t in stopped]
    assert main(argv) == 0
    ended = json.loads((output / "trials.json").read_text())
    assert [t["state"] for t in ended] == ["COMPLETE"] * 2
    assert [t["params"] for t in ended] == [t["params"] for t in stopped]  # continued, not new
    running = sum(t["state"] == "RUNNING" for t in stopped)
    assert f"2 of 2 trials complete ({running} run now" in capsys.readouterr().out


def test_bad_ranges_and_the_test_set_are_refused_in_one_line(tmp_path, capsys):
    output = tmp_path / "s"
    refused = [
        ["--range", "neurons=200:50:int"],
        ["--range", "neurons=1.5:3:int"],
        ["--range", "rule-option:nu_post=0:1:log"],
        ["--range", "rule-option:nu_post=1:2:cubic"],
        ["--range", "rule-option:tau_pre_ms=10mV:20mV"],
        ["--range", "rule-option:nu_postt=0.1:0.2"],
        ["--range", "neuronz=1:3:int"],
        ["--range", "rule-option=1:2"],
        ["--range", "seed=1:3:int"],
        ["--range", "neurons=0:3:int"],
        ["--range", "rule=pair,quadruplet"],
        ["--range", RANGE, "--range", RANGE],
        [],
        ["--range", RANGE, "--evaluate-on", "test"],
        ["--range", RANGE, "--eval=test"],
        ["--range", RANGE, "--out", "elsewhere"],
    ]
    for words in refused:
        assert main(["mnist-sample", "--output", str(output), *words]) == 2, words
        assert capsys.readouterr().err.count("\n") == 1, words
    assert not output.exists()
    with pytest.raises(SearchError, match="validation split only"):
        run_search("mnist-sample", output, [RANGE], options=["--evaluate-on", "test"])
    assert not output.exists()


def test_ranges_read_kinds_lists_and_units():
    rate = parse_range("rule-option:nu_post=1e-3:1e-1:log")
    assert (rate.option, rate.name, rate.low, rate.high, rate.kind) == ("rule-option", "nu_post", 1e-3, 1e-1, "log")
    assert rate.distribution().log and rate.label == "rule-option:nu_post"
    size = parse_range("neurons=50:200:int")
    assert (size.low, size.high, size.kind) == (50, 200, "int")
    assert isinstance(size.distribution(), optuna.distributions.IntDistribution)
    # a time given in any unit of time is converted to the unit its name carries
    tau = parse_range("rule-option:tau_pre_ms=10ms:0.04second")
    assert (tau.low, tau.high) == (pytest.approx(10.0), pytest.approx(40.0))
    choice = parse_range("encoding=poisson,bernoulli")
    assert choice.kind == "choice" and choice.choices == ("poisson", "bernoulli")
    with pytest.raises(SearchError, match="plain number"):
        parse_range("rule-option:nu_post=1ms:2ms")
