"""Sweeps on a Dask LocalCluster: the table, resumption, a worker killed mid-sweep, errors."""
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from conftest import needs_compiler
from stdp_learn.sweep import SweepError, main, plan_sweep, run_sweep

distributed = pytest.importorskip("dask.distributed")

# Tiny networks on few images: each point trains and evaluates in seconds once built.
OPTIONS = ["--train-size", "60", "--evaluate-on", "validation", "--validation-size", "40",
           "--block-size", "30", "--device", "cpp_standalone", "--evaluation-interval", "30"]


def _records(result):
    return {point["run_dir"]: json.loads((Path(point["run_dir"]) / "record.json").read_text())
            for point in result.points}


@needs_compiler
def test_two_seeds_two_sizes_write_the_table_and_a_rerun_runs_nothing(tmp_path, dask_client):
    output = tmp_path / "sweep"
    result = run_sweep("mnist-sample", output, seeds=[0, 1], grid={"neurons": [10, 20]},
                       options=OPTIONS, client=dask_client, progress=False)
    assert result.ran == 4 and not result.failed
    assert [p["status"] for p in result.points] == ["finished"] * 4
    records = _records(result)
    for point in result.points:
        record = records[point["run_dir"]]
        assert record["seed"] == point["seed"]
        assert record["configuration"]["arguments"]["neurons"] == int(point["settings"]["neurons"])
        assert record["command"].startswith("python -m stdp_learn.train mnist-sample")
    # the table: one row per size, mean and sample sd of the two seeds' records
    table = json.loads((output / "table.json").read_text())
    assert [row["settings"] for row in table] == [{"neurons": "10"}, {"neurons": "20"}]
    for row in table:
        accuracies = [records[p["run_dir"]]["results"]["label_assignment"] for p in result.points
                      if p["settings"] == row["settings"]]
        assert row["seeds"] == [0, 1] and row["split"] == ["validation"]
        assert row["label_assignment"]["mean"] == pytest.approx(sum(accuracies) / 2)
        assert row["label_assignment"]["sd"] == pytest.approx(abs(accuracies[0] - accuracies[1]) / 2 ** 0.5)
    markdown = (output / "table.md").read_text()
    assert "| neurons | seeds | split | label_assignment |" in markdown and " ± " in markdown
    assert (output / "accuracy.png").stat().st_size > 0

    # a rerun finds every point finished: nothing runs, no cluster starts, no record changes
    stamps = {path: os.stat(os.path.join(path, "record.json")).st_mtime_ns for path in records}
    again = run_sweep("mnist-sample", output, seeds=[0, 1], grid={"neurons": [10, 20]},
                      options=OPTIONS, scheduler="tcp://127.0.0.1:9", progress=False)
    assert again.ran == 0 and [p["status"] for p in again.points] == ["done before"] * 4
    assert stamps == {path: os.stat(os.path.join(path, "record.json")).st_mtime_ns for path in records}
    assert json.loads((output / "table.json").read_text()) == table


@needs_compiler
def test_a_worker_killed_mid_sweep_leaves_the_sweep_complete(tmp_path, dask_client):
    output = tmp_path / "sweep"
    # more images per point than above, so that a point is caught running
    options = [*OPTIONS[:1], "240", *OPTIONS[2:]]
    outcome = {}
    sweep = threading.Thread(target=lambda: outcome.update(result=run_sweep(
        "mnist-sample", output, seeds=[0, 1], grid={"neurons": [10, 20]}, options=options,
        client=dask_client, progress=False)))
    sweep.start()
    pids = dask_client.run(os.getpid)
    killed = None
    deadline = time.monotonic() + 240
    while killed is None and time.monotonic() < deadline and sweep.is_alive():
        # the worker running a point that has written its first checkpoint
        for address, keys in dask_client.processing().items():
            for key in keys:
                name = str(key).split("stdp-point-")[1].rsplit("-", 1)[0]  # neurons-10-seed0
                setting, seed = name.rsplit("-seed", 1)
                if (output / "runs" / setting / f"seed{seed}" / "checkpoint.npz").is_file():
                    os.kill(pids[address], signal.SIGKILL)
                    killed = (setting, seed)
                    break
            if killed:
                break
        time.sleep(0.2)
    sweep.join(timeout=600)
    assert killed is not None, "no point was caught running with a checkpoint"
    result = outcome["result"]
    assert not result.failed
    assert [p["status"] for p in result.points] == ["finished"] * 4
    resumed = output / "runs" / killed[0] / f"seed{killed[1]}"
    parts = json.loads((resumed / "parts.json").read_text())
    # Dask ran the point again on the other worker, which resumed it from its checkpoint
    assert len(parts) == 2 and "--resume" in parts[1]["command"]
    table = json.loads((output / "table.json").read_text())
    assert all(row["seeds"] == [0, 1] for row in table)


@needs_compiler
def test_a_failing_point_is_reported_and_the_others_finish(tmp_path, dask_client, capsys):
    output = tmp_path / "sweep"
    # validation 40 of mnist-sample's 1,000 leaves 960 training images: 2000 fails at run time
    # on the running cluster by its scheduler's address, as --scheduler ADDRESS does
    result = run_sweep("mnist-sample", output, seeds=[0], grid={"train-size": [60, 2000]},
                       options=OPTIONS[2:] + ["--neurons", "10"], scheduler=dask_client.scheduler.address,
                       progress=False)
    assert [p["status"] for p in result.points] == ["finished", "failed"]
    assert "--train-size 2000" in result.points[1]["error"]
    assert "failed: train-size=2000 seed 0: UsageError" in capsys.readouterr().err
    table = json.loads((output / "table.json").read_text())
    assert [row["seeds"] for row in table] == [[0], []]
    assert "| 2000 | none | – |" in (output / "table.md").read_text()


def test_bad_grids_are_refused_before_anything_runs(tmp_path, capsys):
    with pytest.raises(SweepError, match="no option"):
        plan_sweep("mnist-sample", tmp_path, grid={"neuronz": [10]})
    with pytest.raises(SweepError, match="invalid choice"):
        plan_sweep("mnist-sample", tmp_path, grid={"rule": ["pair", "quadruplet"]})
    with pytest.raises(SweepError, match="sets the output"):
        plan_sweep("mnist-sample", tmp_path, options=["--overwrite"])
    with pytest.raises(SweepError, match="sets the output"):
        plan_sweep("mnist-sample", tmp_path, options=["--out", "elsewhere"])
    with pytest.raises(SweepError, match="seeds"):
        plan_sweep("mnist-sample", tmp_path, seeds=[0, 0])
    assert main(["mnist-sample", "--output", str(tmp_path / "s"), "--grid", "epochs=1,x"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert not (tmp_path / "s").exists()


def test_the_plan_is_the_grid_times_the_seeds_as_command_lines(tmp_path):
    points = plan_sweep("mnist-sample", tmp_path, seeds=[3, 4],
                        grid={"neurons": [10, 20], "rule-option": ["nu_post=0.01"], "animation": ["true"]},
                        options=["--train-size", "50"])
    assert len(points) == 4
    first = points[0]
    assert first.settings == (("neurons", "10"), ("rule-option", "nu_post=0.01"), ("animation", "true"))
    assert first.argv == ("mnist-sample", "--train-size", "50", "--neurons", "10", "--rule-option",
                          "nu_post=0.01", "--animation", "--seed", "3", "--output",
                          str(first.run_dir), "--no-progress")
    assert first.run_dir == tmp_path / "runs" / "neurons-10_rule-option-nu_post=0.01_animation-true" / "seed3"
    assert [(p.settings[0][1], p.seed) for p in points] == [("10", 3), ("10", 4), ("20", 3), ("20", 4)]
