"""The shipped networks are today's default networks and score what their records say.

`stdp_learn/pretrained/dcN.json` holds each file's provenance (the command, commit and
seed of the default run it came from, its record) and its accuracy on the first 1,000
MNIST test images when it was shipped.  The test pass is deterministic for a given
network, seed and device; the tolerance of half a point covers other compilers and
Brian2 versions.
"""
import json
from importlib import resources

import pytest

from stdp_learn import DiehlCook2015, NetworkParams, load_mnist
from stdp_learn.record import read_record

from conftest import needs_compiler

TOLERANCE = 0.005
SHIPPED = (100, 400)


def provenance(n_neurons):
    folder = resources.files("stdp_learn") / "pretrained"
    return json.loads((folder / f"dc{n_neurons}.json").read_text())


@pytest.mark.parametrize("n_neurons", SHIPPED)
def test_each_shipped_network_comes_from_a_recorded_default_run(n_neurons):
    shipped = provenance(n_neurons)
    from pathlib import Path

    record = read_record(Path(__file__).resolve().parents[1] / shipped["record"])
    assert record["command"] == shipped["command"] and record["seed"] == shipped["seed"] == 0
    assert record["tree_clean"] and record["split"] == "test"
    assert record["results"]["label_assignment"] == shipped["test_accuracy"]
    model = DiehlCook2015.pretrained(n_neurons)
    assert model.n_neurons == n_neurons
    assert model.params.to_dict() == NetworkParams().to_dict()  # today's defaults


@needs_compiler
@pytest.mark.slow
@pytest.mark.parametrize("n_neurons", SHIPPED)
def test_each_shipped_network_scores_its_recorded_accuracy(n_neurons, mnist_dir, build_root):
    data = load_mnist(mnist_dir, download=False)
    model = DiehlCook2015.pretrained(n_neurons, build_dir=build_root)
    score = model.score(data.X_test[:1000], data.y_test[:1000])
    assert score == pytest.approx(provenance(n_neurons)["first_1000_test_images_accuracy"],
                                  abs=TOLERANCE)
