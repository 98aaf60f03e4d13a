"""Nothing lost, nothing silently wrong: the catalogue of README's reliability section.

Each test reproduces one way a run used to go wrong (concurrent runs of one network shape,
--overwrite, blank images, interrupts, late validation, file-system failures, --resume
with other flags) and checks what happens now.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

from stdp_learn import (
    ConfigError,
    DiehlCook2015,
    ModelFileError,
    NetworkParams,
    PresentationParams,
    RewardReadout,
)
from stdp_learn.model import TrainingInterrupted
from stdp_learn.simulation import compiler_available
from stdp_learn.train import main

from conftest import needs_compiler

DEVICE = "cpp_standalone" if compiler_available() else "runtime"


@pytest.fixture(scope="module")
def sample(mnist_sample):
    return mnist_sample


@pytest.fixture(scope="module")
def tiny_model(sample, build_root):
    """Ten neurons trained on 100 sample images, blocks of 20."""
    build = build_root
    model = DiehlCook2015(n_neurons=10, device=DEVICE, block_size=20, random_state=0, build_dir=build)
    return model.fit(sample.X_train[:100], sample.y_train[:100])


def _cli(args, build, **kwargs):
    env = dict(os.environ, STDP_LEARN_BUILD=str(build))
    return subprocess.Popen([sys.executable, "-m", "stdp_learn.train", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


# -- 1. concurrent runs of one network shape --------------------------------------------
@needs_compiler
def test_concurrent_runs_of_one_shape_each_get_their_solo_result(tmp_path):
    """Two processes, same shape, different seeds, started together on an empty build cache."""
    build = tmp_path / "builds"  # empty: both processes want to compile the same program
    common = ["mnist-sample", "--neurons", "10", "--train-size", "300", "--test-size", "100",
              "--block-size", "20", "--device", "cpp_standalone", "--no-progress"]
    together = [_cli(common + ["--seed", str(seed), "--output", str(tmp_path / f"together{seed}")], build)
                for seed in (0, 1)]
    for process in together:
        _, stderr = process.communicate(timeout=900)
        assert process.returncode == 0, stderr
    for seed in (0, 1):
        solo = _cli(common + ["--seed", str(seed), "--output", str(tmp_path / f"solo{seed}")], build)
        _, stderr = solo.communicate(timeout=900)
        assert solo.returncode == 0, stderr
    for seed in (0, 1):
        with np.load(tmp_path / f"solo{seed}" / "model.npz") as solo, \
                np.load(tmp_path / f"together{seed}" / "model.npz") as together:
            np.testing.assert_array_equal(solo["state/input_exc.w"], together["state/input_exc.w"])
            np.testing.assert_array_equal(solo["assignments"], together["assignments"])
        solo_metrics = json.loads((tmp_path / f"solo{seed}" / "metrics.json").read_text())
        together_metrics = json.loads((tmp_path / f"together{seed}" / "metrics.json").read_text())
        assert solo_metrics["accuracy"] == together_metrics["accuracy"]
        assert solo_metrics["confusion_matrix"] == together_metrics["confusion_matrix"]
    # the shared build folder holds the program only: no run left files behind in it
    (folder,) = [p for p in build.iterdir() if p.is_dir()]
    assert not list(folder.glob("work-*"))
    assert not list((folder / "static_arrays").glob("init_*"))


def test_stale_work_folders_are_removed_only_for_processes_of_this_machine(tmp_path):
    """Workers of a cluster may share a build folder; another machine's process ids say
    nothing here, so only this machine's dead processes lose their work folders."""
    from stdp_learn.simulation import _host_name, _remove_stale_work_folders

    dead = 4_194_400  # above Linux's largest process id: no such process
    here = _host_name()
    names = {f"work-{dead}-{here}-0a0a": False, f"work-{dead}-0b0b": False,  # earlier format
             f"work-{dead}-elsewhere.cluster-0c0c": True, f"work-{os.getpid()}-{here}-0d0d": True}
    for name in names:
        (tmp_path / name).mkdir()
    _remove_stale_work_folders(tmp_path)
    assert {name: (tmp_path / name).exists() for name in names} == names


# -- 2. --overwrite ---------------------------------------------------------------------
def test_overwrite_refuses_a_folder_holding_files_that_are_not_ours(tmp_path, capsys):
    folder = tmp_path / "thesis"
    (folder / "snapshots").mkdir(parents=True)
    for name in ("thesis.txt", "data.csv", "snapshots/my_photo.png"):
        (folder / name).write_text("mine")
    assert main(["mnist-sample", "--output", str(folder), "--overwrite", "--no-progress"]) == 2
    assert "not a run folder" in capsys.readouterr().err
    (folder / "args.json").write_text("{}")  # even beside a run's files
    assert main(["mnist-sample", "--output", str(folder), "--overwrite", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "did not write" in err and "thesis.txt" in err and len(err.strip().splitlines()) == 1
    for name in ("thesis.txt", "data.csv", "snapshots/my_photo.png", "args.json"):
        assert (folder / name).read_text() in ("mine", "{}")


def test_overwrite_removes_only_what_a_run_wrote(tmp_path):
    from stdp_learn.train import _foreign_files, _remove_run_files

    folder = tmp_path / "run"
    (folder / "snapshots").mkdir(parents=True)
    for name in ("args.json", "metrics.json", "record.json", "model.npz", "checkpoint.npz.tmp",
                 "snapshots/weights_001000.npy", "snapshots/rf_001000.png"):
        (folder / name).write_text("")
    assert _foreign_files(folder) == []
    _remove_run_files(folder)
    assert list(folder.iterdir()) == []
    (folder / "notes.md").write_text("")
    assert [p.name for p in _foreign_files(folder)] == ["notes.md"]


# -- 3. blank images --------------------------------------------------------------------
@needs_compiler
def test_a_blank_image_is_answered_at_the_retry_cap_and_counted(tiny_model, sample):
    X = sample.X_test[:30].copy()
    X[7] = 0
    responses = tiny_model.responses(X)  # used to never return
    assert responses.counts.shape == (30, 10)
    assert responses.log.retries[7] == PresentationParams().max_retries
    assert responses.counts[7].sum() < PresentationParams().min_spikes
    assert responses.log.unanswered >= 1
    assert tiny_model.predict_from_responses(responses)[7] == -1


@needs_compiler
def test_fit_with_a_blank_image_keeps_its_thresholds_and_says_so(sample, tiny_model):
    X, y = sample.X_train[:100].copy(), sample.y_train[:100]
    X[50] = 0
    model = DiehlCook2015(n_neurons=10, device=DEVICE, block_size=20, random_state=0,
                          build_dir=tiny_model.build_dir)
    with pytest.warns(RuntimeWarning, match="unanswered"):
        model.fit(X, y)
    assert model.training_log_.unanswered >= 1
    # 41 slots of rest decay theta by 0.2 % at most (it used to lose two thirds)
    ratio = float(model.theta_.mean() / tiny_model.theta_.mean())
    assert ratio > 0.9


def test_blank_images_are_refused_without_a_retry_cap(sample):
    params = NetworkParams(presentation=PresentationParams(max_retries=None))
    X = sample.X_train[:10].copy()
    X[3] = 0
    with pytest.raises(ValueError, match="blank images"):
        DiehlCook2015(n_neurons=5, params=params).fit(X, sample.y_train[:10])


# -- 4 and 6. interrupts ----------------------------------------------------------------
def test_ctrl_c_on_the_runtime_device_makes_fit_raise(sample, runtime_numpy):
    """Jupyter's interrupt is a SIGINT to the kernel while Brian2's runtime loop runs."""
    model = DiehlCook2015(n_neurons=5, device="runtime", block_size=5, random_state=0)
    # Python's own Ctrl-C handler, as in a terminal or a kernel (a background job ignores SIGINT)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(4.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(TrainingInterrupted):
            model.fit(sample.X_train[:400], sample.y_train[:400])
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert model.images_done_ < 400


@needs_compiler
def test_stop_requests_end_the_test_pass_and_the_readout_pass(tiny_model, sample, tmp_path):
    with pytest.raises(TrainingInterrupted, match="evaluation"):
        tiny_model.responses(sample.X_test[:40], stop_requested=lambda: True)
    parallel = DiehlCook2015.load(tiny_model.save(tmp_path / "model.npz"), device=DEVICE,
                                  build_dir=tiny_model.build_dir)
    parallel.chunk_size = 20  # two chunks: forked workers
    with pytest.raises(TrainingInterrupted, match="evaluation"):
        parallel.responses(sample.X_test[:40], n_jobs=2, stop_requested=lambda: True)
    assert parallel.responses(sample.X_test[:40], n_jobs=2).counts.shape == (40, 10)
    with_readout = DiehlCook2015(n_neurons=10, device=DEVICE, block_size=20, random_state=0,
                                 build_dir=tiny_model.build_dir, readout=RewardReadout(n_per_class=1))
    with_readout.fit(sample.X_train[:40], sample.y_train[:40])
    before = with_readout.state_.copy()
    with pytest.raises(TrainingInterrupted, match="readout"):
        with_readout.fit_readout(sample.X_train[:40], sample.y_train[:40], stop_requested=lambda: True)
    assert with_readout.readout_passes_ == 0
    for name, value in before.arrays.items():
        np.testing.assert_array_equal(with_readout.state_.arrays[name], value)


@needs_compiler
def test_sigterm_during_the_test_pass_exits_130_and_resume_gives_the_whole_result(tmp_path, monkeypatch):
    from stdp_learn import model as model_module

    build = os.environ.get("STDP_LEARN_BUILD") or tmp_path / "builds"
    monkeypatch.setenv("STDP_LEARN_BUILD", str(build))
    args = ["mnist-sample", "--neurons", "10", "--train-size", "100", "--test-size", "60",
            "--block-size", "20", "--device", "cpp_standalone", "--no-progress"]
    assert main(args + ["--output", str(tmp_path / "whole")]) == 0
    original = model_module.DiehlCook2015.responses

    def stopped(self, X, n_jobs=None, *, stop_requested=None):
        return original(self, X, n_jobs, stop_requested=lambda: True)

    monkeypatch.setattr(model_module.DiehlCook2015, "responses", stopped)
    assert main(args + ["--output", str(tmp_path / "stopped")]) == 130
    assert (tmp_path / "stopped" / "checkpoint.npz").exists()
    monkeypatch.setattr(model_module.DiehlCook2015, "responses", original)
    assert main(["--resume", str(tmp_path / "stopped"), "--no-progress"]) == 0
    whole = json.loads((tmp_path / "whole" / "metrics.json").read_text())
    resumed = json.loads((tmp_path / "stopped" / "metrics.json").read_text())
    assert resumed["confusion_matrix"] == whole["confusion_matrix"]
    record = json.loads((tmp_path / "stopped" / "record.json").read_text())
    assert record["timings"]["parts"] == 2 and len(record["commands"]) == 2
    assert record["timings"]["train_seconds"] > 0
    # each part's seconds counted once, in the record and in the metrics alike
    parts = json.loads((tmp_path / "stopped" / "parts.json").read_text())
    assert record["timings"]["train_seconds"] == pytest.approx(sum(p["train_seconds"] for p in parts))
    assert resumed["train_seconds"] == pytest.approx(record["timings"]["train_seconds"])


def test_a_running_part_keeps_its_seconds_if_it_is_killed(tmp_path):
    from stdp_learn.record import RunParts

    parts = RunParts(tmp_path)
    parts.start("python -m stdp_learn.train mnist")
    parts.progress(train_seconds=12.5, wall_seconds=13.0)
    parts.progress(train_seconds=99.0)  # within min_interval of the last: not written
    # the process dies here, without finish: a resume reads what progress wrote
    saved = RunParts(tmp_path).parts
    assert saved[-1]["ended"] is None
    assert (saved[-1]["train_seconds"], saved[-1]["wall_seconds"]) == (12.5, 13.0)
    parts.progress(min_interval=0.0, train_seconds=20.0)
    assert RunParts(tmp_path).total("train_seconds") == 20.0


# -- 5 and 7. inputs checked before any simulation --------------------------------------
@pytest.mark.parametrize("labels, message", [
    (np.full(10, np.nan), "NaN or fractions"),
    (np.full(10, 2.5), "NaN or fractions"),
    (np.ones(10, dtype=bool), "booleans"),
    (np.arange(11), "shape"),
])
def test_bad_labels_are_refused_before_training(sample, labels, message):
    with pytest.raises(ValueError, match=message):
        DiehlCook2015(n_neurons=5).fit(sample.X_train[:10], labels)


@pytest.mark.parametrize("X, message", [
    (np.zeros((0, 28, 28)), "0 images"),
    (np.zeros((28, 28)), "ambiguous"),
    (np.full((3, 28, 28), 0.5), r"scaled to \[0, 1\]"),
    (np.full((3, 28, 28), 300.0), "0..255"),
])
def test_bad_images_are_refused_before_training(X, message):
    with pytest.raises(ValueError, match=message):
        DiehlCook2015(n_neurons=5).fit(X)


@needs_compiler
def test_score_and_predict_check_their_arguments_before_the_test_pass(tiny_model, sample, monkeypatch):
    def no_simulation(*args, **kwargs):
        raise AssertionError("the test pass ran")

    monkeypatch.setattr(type(tiny_model), "responses", no_simulation)
    with pytest.raises(ValueError, match="shape"):
        tiny_model.score(sample.X_test[:20], sample.y_test[:19])
    with pytest.raises(ValueError, match="method"):
        tiny_model.predict(sample.X_test[:20], method="majority")
    with pytest.raises(ValueError, match="np.newaxis"):
        tiny_model.predict(sample.X_test[0])


# -- 8. file-system failures ------------------------------------------------------------
def test_output_that_is_a_file_exits_2_in_one_line(tmp_path, capsys):
    target = tmp_path / "file.txt"
    target.write_text("mine")
    assert main(["mnist-sample", "--output", str(target), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "is a file" in err and len(err.strip().splitlines()) == 1
    assert target.read_text() == "mine"


def test_a_full_disk_at_the_first_checkpoint_leaves_nothing_that_blocks_a_rerun(
        tmp_path, monkeypatch, capsys):
    from stdp_learn import model as model_module

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(model_module.np, "savez_compressed", full_disk)
    run = tmp_path / "run"
    status = main(["mnist-sample", "--neurons", "5", "--train-size", "40", "--test-size", "20",
                   "--block-size", "20", "--device", DEVICE, "--output", str(run), "--no-progress"])
    assert status == 2
    err = capsys.readouterr().err
    assert "No space left" in err and "Traceback" not in err
    assert not run.exists() or not list(run.rglob("*"))  # no args.json, no *.tmp left


def test_an_unwritable_build_folder_exits_2(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("STDP_LEARN_BUILD", str(blocker / "builds"))
    status = main(["mnist-sample", "--neurons", "5", "--train-size", "20", "--test-size", "20",
                   "--device", "cpp_standalone" if compiler_available() else "runtime",
                   "--output", str(tmp_path / "run"), "--no-progress"])
    if not compiler_available():
        pytest.skip("the runtime device builds nothing on disk")
    assert status == 2
    assert "Traceback" not in capsys.readouterr().err


def test_resume_of_a_truncated_args_file_exits_2(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "args.json").write_text('{"dataset": "mnist-sam')
    (run / "checkpoint.npz").write_text("")
    assert main(["--resume", str(run)]) == 2
    assert "unreadable" in capsys.readouterr().err


# -- 9. flags, sizes and memory ---------------------------------------------------------
def test_resume_refuses_conflicting_flags(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "args.json").write_text(json.dumps({"dataset": "mnist-sample", "neurons": 20, "seed": 0,
                                               "device": "cpp_standalone"}))
    (run / "checkpoint.npz").write_text("")
    status = main(["--resume", str(run), "--neurons", "50", "--seed", "7", "--device", "runtime"])
    assert status == 2
    err = capsys.readouterr().err
    assert "--neurons 50" in err and "--seed 7" in err and "--device runtime" in err


def test_sizes_beyond_the_dataset_are_refused(tmp_path, capsys):
    assert main(["mnist-sample", "--train-size", "5000", "--output", str(tmp_path / "r")]) == 2
    assert "only 1000 training images" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


@needs_compiler
def test_resume_refuses_other_images_of_the_same_count(sample, tiny_model, tmp_path):
    model = DiehlCook2015(n_neurons=10, device=DEVICE, block_size=20, random_state=0,
                          build_dir=tiny_model.build_dir)
    checkpoint = tmp_path / "checkpoint.npz"
    model.fit(sample.X_train[:40], sample.y_train[:40], checkpoint=checkpoint)
    with pytest.raises(ModelFileError, match="not the images"):
        DiehlCook2015.resume(checkpoint, sample.X_train[40:80], sample.y_train[40:80],
                             device=DEVICE, build_dir=tiny_model.build_dir)


def test_a_network_too_large_for_memory_is_refused_before_building(monkeypatch, capsys, tmp_path):
    from stdp_learn import simulation

    monkeypatch.setattr(simulation, "memory_available", lambda: 4 * 2**30)
    with pytest.raises(ConfigError, match="GiB"):
        simulation.check_memory(784, 20_000)
    simulation.check_memory(784, 6_400)  # 1.5 GiB fits
    status = main(["mnist-sample", "--neurons", "20000", "--train-size", "20", "--test-size", "20",
                   "--output", str(tmp_path / "r"), "--no-progress"])
    assert status == 2
    assert "needs about" in capsys.readouterr().err


def test_thresholds_below_rest_after_training_are_reported(sample):
    """theta below theta_offset - (v_threshold - v_rest) puts the threshold under rest: with
    theta frozen the neuron would fire without input, so training says so."""
    from brian2 import mV

    from stdp_learn import ExcitatoryParams, NetworkParams
    from stdp_learn.training import threshold_above_rest

    low = NetworkParams(excitatory=ExcitatoryParams(theta_init=5 * mV))
    with pytest.warns(RuntimeWarning, match="of 5 neurons end training with their threshold below"):
        model = DiehlCook2015(n_neurons=5, params=low, device="runtime", block_size=10,
                              random_state=0).fit(sample.X_train[:10])
    # -52 - 20 + 5 + 65 = -2 mV at the start; the neurons that fired rose by 0.05 mV a spike
    margin = threshold_above_rest(model)
    below = int(np.sum(margin < 0))
    assert 0 < below < 5 and np.all(margin > -2.001e-3)
    assert model.training_log_.warnings == [
        f"{below} of 5 neurons end training with their threshold below the resting potential: "
        "with theta frozen, as in the test pass, they fire without input and their inhibition "
        "silences the rest (theta_in_frozen_pass='adapting' lets their spikes raise it)"]
    quiet = DiehlCook2015(n_neurons=5, device="runtime", block_size=10, random_state=0)
    assert quiet.fit(sample.X_train[:10]).training_log_.warnings == []


def test_theta_adapting_in_the_frozen_pass_quiets_thresholds_below_rest(sample, tmp_path):
    """Frozen under rest, a neuron fires through every blank image; adapting, its spikes
    raise theta and it falls quiet, the weights untouched.  Every pass starts from the
    trained theta, so it gives the same counts twice."""
    from brian2 import mV

    from stdp_learn import ExcitatoryParams, NetworkParams, PresentationParams

    low = NetworkParams(excitatory=ExcitatoryParams(theta_init=5 * mV),
                        presentation=PresentationParams(max_retries=0))
    with pytest.warns(RuntimeWarning, match="theta_in_frozen_pass='adapting' lets"):
        model = DiehlCook2015(n_neurons=5, params=low, device="runtime", block_size=10,
                              random_state=0).fit(sample.X_train[:10], sample.y_train[:10])
    blank = np.zeros((6, 784))
    frozen = model.responses(blank).counts.sum(axis=1)
    assert frozen.min() > 0 and np.all(frozen[1:] == frozen[1])  # no input, no end
    weights, theta = model.weights_.copy(), model.theta_.copy()
    model.params = low.replace(excitatory=low.excitatory.replace(theta_in_frozen_pass="adapting"))
    adapting = model.responses(blank).counts.sum(axis=1)
    assert adapting[0] > 0 and adapting[-1] == 0
    np.testing.assert_array_equal(model.responses(blank).counts.sum(axis=1), adapting)
    np.testing.assert_array_equal(model.weights_, weights)
    np.testing.assert_array_equal(model.theta_, theta)
    model.save(tmp_path / "adapting.npz")
    loaded = DiehlCook2015.load(tmp_path / "adapting.npz", device="runtime")
    assert loaded.network_params_.excitatory.theta_in_frozen_pass == "adapting"
    # adapting, thresholds below rest are no longer reported
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = DiehlCook2015(n_neurons=5, params=model.params, device="runtime", block_size=10,
                              random_state=0).fit(sample.X_train[:10], sample.y_train[:10])
    assert not [w for w in again.training_log_.warnings if "below the resting potential" in w]
    np.testing.assert_array_equal(again.theta_, theta)  # learning is the same under both
