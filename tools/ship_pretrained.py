"""Ship the network of a finished default run as `DiehlCook2015.pretrained(N)`.

    STDP_LEARN_DATA=/path/to/mnist python tools/ship_pretrained.py runs/mnist-100-seed0

The run must come from the default command (``python -m stdp_learn.train mnist
[--neurons N] --seed S``, on a clean tree).  Its parameters are checked against today's
defaults: a run made before the retry cap existed (``max_retries=None``) is accepted
when no training image needed as many retries as the cap, because the cap then never
acted and today's default command trains the same network.  The compact file goes to
``stdp_learn/pretrained/dcN.npz`` with its provenance in ``dcN.json``: the command, the
commit, the seed, the record it came from, and its accuracy on the first 1,000 test
images, which ``tests/test_pretrained.py`` checks.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from stdp_learn import DiehlCook2015, NetworkParams, load_mnist
from stdp_learn.config import RETRY_CAP
from stdp_learn.record import read_record, write_json_atomic

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "stdp_learn" / "pretrained"
CHECK_IMAGES = 1000


def todays_parameters(saved: NetworkParams, max_retries_seen: int) -> NetworkParams:
    """Return today's default parameters, after checking the run used them."""
    today = NetworkParams()
    if saved.presentation.max_retries is None and max_retries_seen < RETRY_CAP:
        saved = saved.replace(presentation=saved.presentation.replace(max_retries=RETRY_CAP))
    if saved.to_dict() != today.to_dict():
        raise SystemExit("the run's parameters are not today's defaults; train it again")
    return today


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="run folder of a finished default run")
    args = parser.parse_args(argv)
    record = read_record(args.run)
    neurons = record["configuration"]["arguments"]["neurons"]
    seed = record["seed"]
    expected = "python -m stdp_learn.train mnist" + (f" --neurons {neurons}" if neurons != 100 else "")
    if not record["command"].startswith(f"{expected} --seed {seed}") or not record["tree_clean"]:
        raise SystemExit(f"{args.run}: not the default command on a clean tree: {record['command']}")
    model = DiehlCook2015.load(args.run / "model.npz")
    max_retries_seen = int(np.max(model.training_log_.retries))
    model.params = todays_parameters(model.params, max_retries_seen)
    target = FOLDER / f"dc{neurons}.npz"
    model.save(target, compact=True)
    shipped = DiehlCook2015.load(target)
    data = load_mnist()
    check = shipped.score(data.X_test[:CHECK_IMAGES], data.y_test[:CHECK_IMAGES])
    provenance = {
        "file": target.name,
        "n_neurons": neurons,
        "command": record["command"],
        "commit": record["commit"],
        "seed": seed,
        "record": f"experiments/results/test/mnist-{neurons}-seed{seed}.json",
        "test_accuracy": record["results"]["label_assignment"],
        "test_accuracy_proportion_weighting": record["results"]["proportion_weighting"],
        "max_retries_seen_in_training": max_retries_seen,
        "first_1000_test_images_accuracy": check,
    }
    write_json_atomic(FOLDER / f"dc{neurons}.json", provenance)
    print(json.dumps(provenance, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
