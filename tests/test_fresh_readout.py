"""A fitted network takes a readout of other settings, trained on its frozen features."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from stdp_learn import DiehlCook2015, RewardReadout
from stdp_learn.config import ConfigError

from conftest import needs_compiler

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"


def experiment_script(name):
    spec = importlib.util.spec_from_file_location(name, EXPERIMENTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fitted(mnist_sample, build_root):
    X, y = mnist_sample.X_train[:100], mnist_sample.y_train[:100]
    return DiehlCook2015(n_neurons=20, block_size=100, random_state=3, build_dir=build_root).fit(X, y)


@needs_compiler
def test_a_fresh_readout_learns_on_the_features_and_leaves_them(fitted, mnist_sample, tmp_path):
    model = fitted
    X, y = mnist_sample.X_train[:100], mnist_sample.y_train[:100]
    features = {name: model.state_.arrays[name].copy() for name in ("input_exc.w", "exc.theta")}
    assignments = model.assignments_.copy()

    model.reset_readout(RewardReadout(n_per_class=2))
    start = model.state_.arrays["readout_input.w"].copy()
    assert start.size == 20 * 20 and model.readout_passes_ == 0
    model.fit_readout(X[-60:], y[-60:])
    assert model.readout_passes_ == 1
    assert np.any(model.state_.arrays["readout_input.w"] != start)
    for name, values in features.items():
        assert_array_equal(model.state_.arrays[name], values, err_msg=name)
    assert_array_equal(model.assignments_, assignments)
    predicted = model.predict(mnist_sample.X_test[:30], method="rstdp")
    assert predicted.shape == (30,)

    # The file keeps the readout it was given.
    model.save(tmp_path / "model.npz")
    loaded = DiehlCook2015.load(tmp_path / "model.npz", build_dir=model.build_dir)
    assert loaded.readout == model.readout and loaded.readout_passes_ == 1
    assert_array_equal(loaded.state_.arrays["readout_input.w"], model.state_.arrays["readout_input.w"])

    # Starting again draws the same initial weights (one seed, one readout) ...
    model.reset_readout()
    assert_array_equal(model.state_.arrays["readout_input.w"], start)
    assert model.readout_passes_ == 0
    # ... and a readout under another name replaces this one's state, not adds to it.
    model.reset_readout(RewardReadout(n_per_class=3, name="wide"))
    assert not any(name.startswith("readout_") for name in model.state_.arrays)
    assert model.state_.arrays["wide_input.w"].size == 20 * 30


def test_reset_readout_refuses_what_is_not_a_readout(fitted):
    with pytest.raises(ConfigError, match="RewardReadout"):
        fitted.reset_readout("rstdp")
    with pytest.raises(ValueError, match="n_classes=10"):
        fitted.reset_readout(RewardReadout(n_classes=5))
    with pytest.raises(RuntimeError, match="not been fitted"):
        DiehlCook2015(n_neurons=5).reset_readout(RewardReadout())


def test_a_model_knows_the_images_it_learned_from(fitted, mnist_sample):
    X, y = mnist_sample.X_train[:100], mnist_sample.y_train[:100]
    assert fitted.trained_on(X, y)
    assert not fitted.trained_on(X[:99], y[:99])
    assert not fitted.trained_on(X, (y + 1) % 10)
    assert not fitted.trained_on(mnist_sample.X_train[100:200], mnist_sample.y_train[100:200])


def test_the_readout_study_refuses_features_trained_on_other_images(fitted, tmp_path):
    script = experiment_script("rstdp_readout")
    path = tmp_path / "model.npz"
    fitted.save(path)
    other = np.zeros((10, 784))
    other[:, :50] = 255
    with pytest.raises(SystemExit, match="did not learn from this split"):
        script.saved_features(path, RewardReadout(), other, np.arange(10), fitted.build_dir)


@pytest.mark.parametrize("name", ["rstdp_readout", "run_variant"])
def test_experiment_scripts_hold_out_either_validation_block(name):
    parser = experiment_script(name).build_parser()
    required = ["--name", "x"] if name == "run_variant" else []
    assert parser.parse_args(required).validation_block == "last"
    assert parser.parse_args(required + ["--validation-block", "first"]).validation_block == "first"


@needs_compiler
def test_the_readout_study_trains_a_fresh_readout_on_saved_features(mnist_dir, build_root, tmp_path):
    from stdp_learn import load_mnist

    data = load_mnist(mnist_dir, download=False)
    X, y = data.X_train[:300], data.y_train[:300]  # the validation split's first training images
    model = DiehlCook2015(n_neurons=20, block_size=100, random_state=3, build_dir=build_root).fit(X, y)
    model.save(tmp_path / "model.npz")
    out = tmp_path / "record.json"
    status = experiment_script("rstdp_readout").main([
        "--model", str(tmp_path / "model.npz"), "--train-size", "300", "--test-size", "100",
        "--n-per-class", "2", "--readout-passes", "2", "--rate-decay", "0.5",
        "--data-dir", str(mnist_dir), "--build-dir", str(build_root), "--json", str(out)])
    assert status == 0
    record = json.loads(out.read_text())
    results = record["results"]
    assert results["rstdp_after_each_frozen_pass"][0] is None  # nothing learned before pass 1
    assert len(results["rstdp_after_each_frozen_pass"]) == 3
    assert results["rstdp"] == results["rstdp_after_each_frozen_pass"][-1] > 0.2  # chance: 0.1
    assert results["label_assignment"] > 0.2
    assert record["sizes"]["readout_passes"] == 2
    assert record["configuration"]["arguments"]["model"] == str(tmp_path / "model.npz")
