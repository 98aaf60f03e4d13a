"""Does the order of the training images, or their number, decide where a network ends?

The validation protocol trains on training images 0-49,999 and holds out 50,000-59,999;
the test protocol trains on all 60,000 in order, so its network learns the held-out
images last.  This script separates the two effects with training images only:

* ``--order repeat``: train on images 0-49,999 and then 0-9,999 again (as many
  presentations as the test protocol, without the held-out images) and score the
  held-out images 50,000-59,999;
* ``--score-first MODEL ...``: score saved networks on training images 0-9,999, which
  every one of them learned (a network that ends well scores them well).

The test set is never read.  The record goes to ``results/validation/<name>.json``::

    python experiments/order_effect.py --order repeat --rule triplet --name order_repeat_triplet
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from stdp_learn import DiehlCook2015, load_mnist
from stdp_learn.metrics import accuracy
from stdp_learn.presets import PRESETS
from stdp_learn.record import script_record, write_json_atomic

HELD_OUT = slice(50_000, 60_000)
FIRST = slice(0, 10_000)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--order", choices=("repeat",), default="repeat",
                        help="repeat: images 0-49,999, then 0-9,999 again")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="triplet")
    parser.add_argument("--neurons", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--score-first", nargs="*", default=[], metavar="MODEL",
                        help="also score these saved networks on training images 0-9,999")
    parser.add_argument("--name", required=True, help="record name under results/validation/")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--build-dir", default=None)
    return parser


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    data = load_mnist(args.data_dir, download=False)
    X, y = data.X_train, data.y_train
    order = np.r_[np.arange(50_000), np.arange(10_000)]
    model = PRESETS[args.preset].model(args.neurons, random_state=args.seed,
                                       build_dir=args.build_dir)
    started = time.perf_counter()
    model.fit(X[order], y[order])
    train_seconds = time.perf_counter() - started
    results = {"held_out_after_repeat": accuracy(
        y[HELD_OUT], model.predict_from_responses(model.responses(X[HELD_OUT])))}
    for path in args.score_first:
        saved = DiehlCook2015.load(path, build_dir=args.build_dir)
        results[f"first_10000:{path}"] = accuracy(
            y[FIRST], saved.predict_from_responses(saved.responses(X[FIRST])))
    evaluation_seconds = time.perf_counter() - started - train_seconds
    for key, value in results.items():
        print(f"VALIDATION {key}: {value:.4f}")
    record = script_record(
        "python experiments/order_effect.py", argv, model, arguments=vars(args),
        split="validation", results=results,
        sizes={"train": len(order), "epochs": 1, "labelling": 10_000, "validation": 10_000},
        train_seconds=train_seconds, evaluation_seconds=evaluation_seconds)
    write_json_atomic(Path(__file__).parent / "results" / "validation" / f"{args.name}.json", record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
