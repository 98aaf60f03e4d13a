"""README's results tables: rendered from the records under experiments/results/."""
import importlib.util
import json
import math
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "render_results.py"


def _load_script():
    # The script is not part of the package: load it from its path.
    spec = importlib.util.spec_from_file_location("render_results", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render_results = _load_script()


def _record(seed, label_assignment, *, neurons=100, split="test", rstdp=None, **arguments):
    """Return a minimal record of schema 1 as the command line writes it."""
    arguments = {"dataset": "mnist", "neurons": neurons, "epochs": 1, "train_size": None,
                 "test_size": None, "evaluate_on": split, "readout": "label_assignment",
                 "seed": seed, "data_dir": None, "device": "cpp_standalone", "block_size": 500,
                 **arguments}
    results = {"label_assignment": label_assignment,
               "proportion_weighting": label_assignment + 0.01}
    if rstdp is not None:
        results["rstdp"] = rstdp
    command = f"python -m stdp_learn.train mnist --neurons {neurons} --seed {seed}"
    return {
        "schema": 1, "command": command, "commands": [command], "commit": "0123456789abcdef",
        "tree_clean": True, "environment": {"cores": 2},
        "configuration": {"arguments": arguments,
                          "model": {"n_neurons": neurons, "random_state": seed, "block_size": 500}},
        "seed": seed, "split": split,
        "sizes": {"train": 60000 if split == "test" else 50000, "epochs": 1, "labelling": 10000,
                  split: 10000},
        "results": results,
        "timings": {"parts": 1, "wall_seconds": 892.4, "train_images_per_second": 78.06},
        "peak_memory_mb": 639.2,
    }


def _write(folder, name, payload):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload))
    return path


@pytest.fixture
def results(tmp_path):
    """A results folder: three seeds of one configuration, a validation run, other JSON."""
    folder = tmp_path / "results"
    for seed, value in zip((0, 1, 2), (0.801, 0.815, 0.822)):
        _write(folder, f"mnist100_seed{seed}.json", _record(seed, value))
    _write(folder, "sub/mnist400_seed0.json", _record(0, 0.897, neurons=400, rstdp=0.894))
    _write(folder, "mnist100_validation.json", _record(0, 0.79, split="validation"))
    _write(folder, "base10k.json", {"name": "base10k", "accuracy": 0.667})  # no schema
    _write(folder, "future.json", {**_record(5, 0.5), "schema": 2})
    return folder


def _rows(table):
    return [line for line in table.splitlines()[2:] if line.startswith("|")]


def test_one_row_per_record_sorted_by_neurons_split_seed(results):
    table = render_results.runs_table(render_results.load_records(results))
    rows = _rows(table)
    names = [row.rstrip(" |").rsplit("| ", 1)[1] for row in rows]
    assert names == ["mnist100_seed0.json", "mnist100_seed1.json", "mnist100_seed2.json",
                     "mnist100_validation.json", "sub/mnist400_seed0.json"]
    first = rows[0]
    for cell in ("| 100 |", "| mnist |", "60,000 × 1", "| test 10,000 |", "| 80.10 % |",
                 "| 81.10 % |", "| – |", "| 78.1 |", "| 14 min 52 s |", "| 639 |",
                 "| 0123456 (clean) |",
                 "`python -m stdp_learn.train mnist --neurons 100 --seed 0`"):
        assert cell in first, cell
    assert "| validation 10,000 |" in rows[3]
    assert "| 89.40 % |" in rows[4]  # the R-STDP readout


def test_an_evaluated_saved_network_names_the_network_instead_of_training(tmp_path):
    record = _record(0, 0.9, neurons=400)
    record["configuration"]["arguments"] = {"model": "pretrained:400", "split": "test",
                                            "size": 10000}
    record["sizes"] = {"test": 10000, "labelled": 10000}
    _write(tmp_path, "evaluate400.json", record)
    row = _rows(render_results.runs_table(render_results.load_records(tmp_path)))[0]
    assert "| pretrained:400, evaluated |" in row and "| test 10,000 |" in row


def test_files_without_schema_1_are_skipped(results):
    names = [name for name, _ in render_results.load_records(results)]
    assert "base10k.json" not in names and "future.json" not in names
    assert len(names) == 5
    assert "base10k" not in render_results.render(results)


def test_seeds_table_mean_and_sample_sd(results):
    rows = _rows(render_results.seeds_table(render_results.load_records(results)))
    assert len(rows) == 2  # the validation run is not a test-set figure
    values = [80.1, 81.5, 82.2]
    mean = sum(values) / 3
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / 2)
    assert f"| 3 | {mean:.2f} ± {sd:.2f} % | 0, 1, 2 |" in rows[0]
    assert f"{mean:.2f} ± {sd:.2f}" == "81.27 ± 1.07"
    assert "| 1 | 89.70 % (1 seed) | 0 |" in rows[1]


def test_seeds_group_apart_when_anything_but_the_seed_differs(tmp_path):
    folder = tmp_path / "results"
    _write(folder, "a.json", _record(0, 0.80, data_dir="/data/one"))
    _write(folder, "b.json", _record(1, 0.82, data_dir="/elsewhere"))  # same group
    _write(folder, "c.json", _record(2, 0.70, block_size=100))  # block size changes results
    rows = _rows(render_results.seeds_table(render_results.load_records(folder)))
    assert len(rows) == 2
    assert "| 2 |" in rows[0] and "a.json, b.json" in rows[0]
    assert "c.json" in rows[1]


def test_write_then_check_and_stale_section(results, tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\ntext before\n\n{render_results.BEGIN}\nold table\n"
                      f"{render_results.END}\n\ntext after\n")
    options = ["--results", str(results), "--readme", str(readme)]
    assert render_results.check(results, readme) is not None
    assert render_results.main(["--check", *options]) == 1
    message = capsys.readouterr().err
    assert message.count("\n") == 1 and "differs" in message

    assert render_results.main(["--write", *options]) == 0
    text = readme.read_text()
    assert text.startswith("# Title\n\ntext before\n\n") and text.endswith("\n\ntext after\n")
    assert "81.27 ± 1.07 %" in text and "old table" not in text
    assert render_results.check(results, readme) is None
    assert render_results.main(["--check", *options]) == 0

    _write(results, "mnist100_seed3.json", _record(3, 0.83))  # a new record: stale again
    assert render_results.main(["--check", *options]) == 1


def test_missing_markers_exit_2(results, tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n")
    options = ["--results", str(results), "--readme", str(readme)]
    for flag in ("--check", "--write"):
        assert render_results.main([flag, *options]) == 2
        assert capsys.readouterr().err.count("\n") == 1
    assert readme.read_text() == "# Title\n"


def test_readme_agrees_with_the_committed_records():
    """README's results section is what experiments/results/ renders."""
    try:
        difference = render_results.check()
    except render_results.MissingMarkers:
        pytest.skip(f"README.md has no {render_results.BEGIN} ... {render_results.END} markers yet")
    assert difference is None, difference


def test_building_blocks_table_holds_validation_runs_of_100_neurons_on_10000_images(tmp_path):
    cost = {"input_synapses": 14400, "input_spikes_per_image": 11952.4,
            "synaptic_operations_per_image": 219628.4, "neuron_updates_per_image": 674600.0}
    local = _record(0, 0.648, split="validation", topology="local",
                    topology_option=["patch_size=12"])
    local.update(cost=cost, sizes={"train": 10_000, "epochs": 1, "validation": 1000})
    no_cost = {**local, "cost": None}
    more_images = {**local, "sizes": {"train": 50_000, "validation": 1000}}
    for name, payload in (("local.json", local), ("no_cost.json", no_cost),
                          ("more.json", more_images)):
        _write(tmp_path, name, payload)
    rows = _rows(render_results.blocks_table(render_results.load_records(tmp_path)))
    assert rows == ["| pair | poisson | local | patch_size=12 | 64.80 % | 14,400 | 11,952 | "
                    "219,628 | local.json |"]
