"""Nothing lost: checkpoints, resuming, interruption, and runaway detection."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from stdp_learn import DiehlCook2015, ModelFileError, load_mnist_sample
from stdp_learn.model import TrainingInterrupted
from stdp_learn.simulation import compiler_available

DEVICE = "cpp_standalone" if compiler_available() else "runtime"


@pytest.fixture(scope="module")
def sample():
    return load_mnist_sample()


def _model(build_root, seed=5):
    return DiehlCook2015(n_neurons=20, device=DEVICE, block_size=50, random_state=seed,
                         build_dir=build_root)


def test_stopped_and_resumed_training_equals_one_go(sample, build_root, tmp_path):
    X, y = sample.X_train[:200], sample.y_train[:200]
    whole = _model(build_root).fit(X, y)

    blocks = []

    def stop_after_two_blocks():
        return len(blocks) >= 2

    checkpoint = tmp_path / "checkpoint.npz"
    with pytest.raises(TrainingInterrupted) as stopped:
        _model(build_root).fit(X, y, checkpoint=checkpoint, checkpoint_interval=1e9,
                               callback=lambda *a: blocks.append(a[1]),
                               stop_requested=stop_after_two_blocks)
    assert stopped.value.images_done == blocks[-1] < 200
    resumed = DiehlCook2015.resume(checkpoint, X, y, device=DEVICE, build_dir=build_root)
    np.testing.assert_array_equal(resumed.weights_, whole.weights_)
    np.testing.assert_array_equal(resumed.theta_, whole.theta_)
    np.testing.assert_array_equal(resumed.assignments_, whole.assignments_)
    assert resumed.training_log_.retries == whole.training_log_.retries


def test_resume_refuses_other_training_images(sample, build_root, tmp_path):
    X, y = sample.X_train[:100], sample.y_train[:100]
    checkpoint = tmp_path / "checkpoint.npz"
    _model(build_root).fit(X, y, checkpoint=checkpoint)
    with pytest.raises(ModelFileError, match="same training images"):
        DiehlCook2015.resume(checkpoint, sample.X_train[:150], sample.y_train[:150],
                             device=DEVICE, build_dir=build_root)
    with pytest.raises(ValueError, match="784"):
        DiehlCook2015.resume(checkpoint, np.zeros((100, 8, 8)), y, device=DEVICE, build_dir=build_root)


def test_checkpoint_with_nan_is_refused(sample, build_root, tmp_path):
    X, y = sample.X_train[:60], sample.y_train[:60]
    path = _model(build_root).fit(X, y).save(tmp_path / "model.npz")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["state/exc.theta"][3] = np.nan
    bad = tmp_path / "bad.npz"
    np.savez(bad, **arrays)
    with pytest.raises(ModelFileError, match="NaN"):
        DiehlCook2015.load(bad)


def test_newer_format_is_refused(sample, build_root, tmp_path):
    path = _model(build_root).fit(sample.X_train[:60]).save(tmp_path / "model.npz")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["meta"]))
    meta["format"] = 99
    arrays["meta"] = np.array(json.dumps(meta))
    newer = tmp_path / "newer.npz"
    np.savez(newer, **arrays)
    with pytest.raises(ModelFileError, match="format 99"):
        DiehlCook2015.load(newer)


def test_negative_labels_are_refused(sample):
    y = sample.y_train[:10].astype(int)
    y[4] = -1
    with pytest.raises(ValueError, match="class numbers"):
        DiehlCook2015(n_neurons=5).fit(sample.X_train[:10], y)


def test_sigterm_saves_and_resume_finishes(tmp_path, build_root):
    """A real process: SIGTERM during training saves, exits 130, and --resume completes."""
    run = tmp_path / "run"
    env = dict(os.environ, STDP_LEARN_BUILD=str(build_root))
    argv = [sys.executable, "-m", "stdp_learn.train", "mnist-sample", "--neurons", "20",
            "--train-size", "400", "--test-size", "50", "--block-size", "50", "--device", DEVICE,
            "--output", str(run), "--no-progress"]
    process = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while not (run / "checkpoint.npz").exists() and time.time() < deadline:
        if process.poll() is not None:
            break
        time.sleep(0.2)
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=300)
    if process.returncode == 0:
        pytest.skip("training finished before the signal arrived")
    assert process.returncode == 130, stderr
    assert "--resume" in stderr
    assert (run / "checkpoint.npz").exists() and not (run / "metrics.json").exists()
    finished = subprocess.run([sys.executable, "-m", "stdp_learn.train", "--resume", str(run),
                               "--no-progress"], env=env, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["train_size"] == 400 and metrics["n_neurons"] == 20
    assert not (run / "checkpoint.npz").exists()


def test_checkpoint_of_another_network_shape_is_refused(sample, build_root, tmp_path):
    path = _model(build_root).fit(sample.X_train[:60]).save(tmp_path / "model.npz")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["meta"]))
    meta["n_neurons"] = 30  # the stored weights are 784 x 20
    arrays["meta"] = np.array(json.dumps(meta))
    other = tmp_path / "other.npz"
    np.savez(other, **arrays)
    with pytest.raises(ModelFileError, match="shape"):
        DiehlCook2015.load(other)
