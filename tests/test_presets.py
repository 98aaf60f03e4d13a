"""Named recipes: what they set, what the command line may change, and their evidence."""
import json
from pathlib import Path

import pytest

from stdp_learn import DiehlCook2015, PairSTDP, PoissonEncoder, TripletSTDP
from stdp_learn.config import ConfigError
from stdp_learn.connectivity import AllToAll
from stdp_learn.presets import PRESETS, Preset, register_preset
from stdp_learn.train import main, parse_arguments

VALIDATION_RECORDS = Path(__file__).resolve().parents[1] / "experiments" / "results" / "validation"


def test_the_papers_preset_is_the_default_recipe():
    paper = PRESETS["diehl-cook-2015"]
    assert paper.blocks() == {"rule": PairSTDP(), "encoder": PoissonEncoder(),
                              "connectivity": AllToAll()}
    assert paper.epochs == 1
    defaults = parse_arguments(["mnist"])
    assert vars(parse_arguments(["mnist", "--preset", "diehl-cook-2015"])) == {
        **vars(defaults), "preset": "diehl-cook-2015"}


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_builds_its_model_and_names_existing_validation_records(name):
    preset = PRESETS[name]
    model = preset.model(n_neurons=7, random_state=3)
    assert isinstance(model, DiehlCook2015) and model.n_neurons == 7 and model.random_state == 3
    assert model.rule == preset.blocks()["rule"]
    assert name == "diehl-cook-2015" or preset.evidence  # chosen on validation, and says where
    for record in preset.evidence:
        assert json.loads((VALIDATION_RECORDS / record).read_text())["split"] == "validation"


def test_options_beside_a_preset_win_and_rule_options_add_to_its_own():
    args = parse_arguments(["mnist", "--preset", "triplet"])
    assert (args.rule, args.rule_option, args.epochs) == ("triplet", [], 1)
    args = parse_arguments(["mnist", "--preset", "triplet", "--epochs", "2",
                            "--rule-option", "a3_plus=0.005"])
    assert (args.rule, args.rule_option, args.epochs) == ("triplet", ["a3_plus=0.005"], 2)
    assert parse_arguments(["mnist", "--preset", "triplet", "--rule", "pair"]).rule == "pair"
    assert parse_arguments(["mnist", "--preset", "triplet-shuffled"]).shuffle is True
    assert parse_arguments(["mnist", "--preset", "triplet-shuffled", "--no-shuffle"]).shuffle is False
    assert parse_arguments(["mnist", "--preset", "triplet"]).shuffle is False


def test_a_preset_with_a_wrong_option_is_refused_when_registered():
    with pytest.raises(ConfigError, match="no parameter 'a4_plus'"):
        register_preset(Preset("broken", "a typo", rule="triplet", rule_options={"a4_plus": 1}))
    with pytest.raises(ConfigError, match="already registered"):
        register_preset(Preset("triplet", "again"))
    assert "broken" not in PRESETS


def test_a_preset_run_trains_its_recipe_and_says_so_in_its_record(tmp_path, build_root,
                                                                   monkeypatch):
    monkeypatch.setenv("STDP_LEARN_BUILD", str(build_root))
    out = tmp_path / "run"
    status = main(["mnist-sample", "--preset", "triplet-shuffled", "--rule-option", "a3_plus=0.02",
                   "--neurons", "5", "--train-size", "40", "--test-size", "20",
                   "--block-size", "20", "--device", "runtime", "--output", str(out),
                   "--no-progress"])
    assert status == 0
    record = json.loads((out / "record.json").read_text())
    assert record["configuration"]["model"]["rule"] == {
        **TripletSTDP(a3_plus=0.02).to_dict()}
    assert record["configuration"]["model"]["shuffle"] is True
    assert set(record["training_curve"]) == {"images_seen", "accuracy"}
    assert json.loads((out / "args.json").read_text())["preset"] == "triplet-shuffled"
    assert "--preset triplet-shuffled" in record["command"]
