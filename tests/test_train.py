"""The command line: argument checking, exit status, and a real run on the packaged sample."""
import json

import numpy as np
import pytest

from stdp_learn import ConfigError, NetworkParams
from stdp_learn.simulation import compiler_available
from stdp_learn.train import build_parser, main

DEVICE = "cpp_standalone" if compiler_available() else "runtime"


@pytest.mark.parametrize(
    "argv",
    [["mnist", "--neurons", "0"], ["mnist", "--neurons", "-3"], ["mnist", "--train-size", "-1"],
     ["cifar"], ["mnist", "--device", "gpu"], ["mnist", "--epochs", "x"]],
)
def test_bad_values_exit_with_status_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_defaults_are_the_paper_recipe():
    args = build_parser().parse_args(["mnist"])
    assert (args.neurons, args.epochs, args.train_size, args.test_size) == (100, 1, None, None)
    assert args.labelling == "training" and args.labelling_window == 10_000


def test_existing_run_folder_is_not_touched(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.json").write_text("{}")
    status = main(["mnist-sample", "--output", str(run), "--no-progress"])
    assert status == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (run / "metrics.json").read_text() == "{}"


def test_missing_data_folder_exit_2(tmp_path, capsys):
    status = main(["mnist", "--data-dir", str(tmp_path / "nowhere"), "--output", str(tmp_path / "r")])
    assert status == 2
    assert "nowhere" in capsys.readouterr().err


def test_sample_run_writes_the_run_folder(tmp_path, build_root, monkeypatch):
    monkeypatch.setenv("STDP_LEARN_BUILD", str(build_root))
    out = tmp_path / "run"
    status = main(["mnist-sample", "--neurons", "20", "--train-size", "300", "--test-size", "200",
                   "--block-size", "100", "--device", DEVICE, "--output", str(out), "--no-progress"])
    assert status == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.0 <= metrics["accuracy"] <= 1.0
    assert metrics["accuracy"] > 0.2  # chance is 0.1
    assert (metrics["n_neurons"], metrics["train_size"], metrics["test_size"]) == (20, 300, 200)
    assert sum(map(sum, metrics["confusion_matrix"])) + metrics["no_answer"] == 200
    for name in ("model.npz", "receptive_fields.png", "confusion.png"):
        assert (out / name).stat().st_size > 0


def test_rstdp_readout_run_reports_both_readouts(tmp_path, build_root, monkeypatch):
    monkeypatch.setenv("STDP_LEARN_BUILD", str(build_root))
    out = tmp_path / "run"
    status = main(["mnist-sample", "--neurons", "20", "--train-size", "300", "--test-size", "200",
                   "--block-size", "100", "--device", DEVICE, "--output", str(out), "--no-progress",
                   "--readout", "rstdp", "--readout-per-class", "2"])
    assert status == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["readout"] == "rstdp" and metrics["readout_outputs"] == 20
    assert metrics["accuracy"] == metrics["accuracy_rstdp"]
    assert metrics["accuracy_label_assignment"] > 0.2  # chance is 0.1
    assert metrics["accuracy_rstdp"] > 0.2
    # the confusion matrix is the chosen readout's
    confusion = np.array(metrics["confusion_matrix"])
    assert np.trace(confusion) == round(metrics["accuracy"] * 200)


def test_cuda_without_brian2cuda_gives_a_clear_message(tmp_path, capsys):
    pytest.importorskip("brian2")
    try:
        import brian2cuda  # noqa: F401
        pytest.skip("brian2cuda is installed here")
    except ImportError:
        pass
    status = main(["mnist-sample", "--device", "cuda_standalone", "--train-size", "10",
                   "--output", str(tmp_path / "r"), "--no-progress"])
    assert status == 2
    assert "brian2cuda" in capsys.readouterr().err


def test_rule_and_encoding_options_reach_the_model_and_its_record(tmp_path, build_root, monkeypatch,
                                                                   capsys):
    monkeypatch.setenv("STDP_LEARN_BUILD", str(build_root))
    out = tmp_path / "run"
    assert main(["mnist-sample", "--rule", "triplet", "--rule-option", "unknown=1",
                 "--output", str(out), "--no-progress"]) == 2
    assert "a3_plus" in capsys.readouterr().err  # the message lists what the rule takes
    status = main(["mnist-sample", "--neurons", "5", "--train-size", "40", "--test-size", "20",
                   "--block-size", "20", "--device", "runtime", "--rule", "triplet",
                   "--rule-option", "a3_plus=0.02", "--encoding", "bernoulli",
                   "--output", str(out), "--no-progress"])
    assert status == 0
    model = json.loads((out / "record.json").read_text())["configuration"]["model"]
    assert model["rule"]["rule"] == "triplet" and model["rule"]["a3_plus"] == 0.02
    assert model["encoder"] == {"encoder": "bernoulli"}


def test_cuda_with_brian2cuda_but_no_gpu_says_so_in_one_line(tmp_path, capsys, monkeypatch):
    import sys
    import types

    from stdp_learn import simulation

    if "brian2cuda" not in sys.modules:
        try:
            import brian2cuda  # noqa: F401
        except ImportError:  # stands in for the package: only its presence is checked
            monkeypatch.setitem(sys.modules, "brian2cuda", types.ModuleType("brian2cuda"))
    monkeypatch.setattr(simulation, "_nvidia_gpus", lambda: [])
    status = main(["mnist-sample", "--device", "cuda_standalone", "--train-size", "10",
                   "--output", str(tmp_path / "r"), "--no-progress"])
    assert status == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no NVIDIA GPU" in err
    assert not (tmp_path / "r").exists()


def test_theta_in_the_frozen_pass_is_configured_only_when_asked():
    from stdp_learn.train import parse_arguments, with_theta_in_frozen_pass

    assert with_theta_in_frozen_pass(None, "fixed") is None  # a default run is configured as before
    adapting = with_theta_in_frozen_pass(None, "adapting")
    assert adapting.excitatory.theta_in_frozen_pass == "adapting"
    assert adapting.excitatory.replace(theta_in_frozen_pass="fixed") == NetworkParams().excitatory
    assert with_theta_in_frozen_pass(adapting, None) is adapting
    assert with_theta_in_frozen_pass(adapting, "fixed").excitatory.theta_in_frozen_pass == "fixed"
    assert parse_arguments(["mnist", "--theta-in-frozen-pass", "adapting"]).theta_in_frozen_pass == "adapting"
    assert parse_arguments(["mnist"]).theta_in_frozen_pass == "fixed"
    with pytest.raises(ConfigError, match="theta_in_frozen_pass must be one of"):
        NetworkParams().excitatory.replace(theta_in_frozen_pass="frozen")
