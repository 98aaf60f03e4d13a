"""Score a saved model (full or compact file, or a shipped one) on the MNIST test set.

    python experiments/evaluate_model.py --model runs/mnist-100-seed0/model.npz
    python experiments/evaluate_model.py --pretrained 100 --test-size 10000
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from stdp_learn import DiehlCook2015, load_mnist
from stdp_learn.metrics import accuracy


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a file written by DiehlCook2015.save")
    source.add_argument("--pretrained", type=int, help="a shipped network: 100 or 400 neurons")
    parser.add_argument("--test-size", type=int, default=10_000, help="first N test images")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)
    model = (DiehlCook2015.pretrained(args.pretrained) if args.pretrained
             else DiehlCook2015.load(args.model))
    data = load_mnist(args.data_dir)
    X, y = data.X_test[: args.test_size], data.y_test[: args.test_size]
    started = time.perf_counter()
    counts = model.transform(X)
    seconds = time.perf_counter() - started
    result = {
        "model": args.model or f"pretrained {args.pretrained}",
        "test_size": len(y),
        "accuracy": accuracy(y, model.predict_from_counts(counts)),
        "accuracy_proportion_weighting": accuracy(
            y, model.predict_from_counts(counts, "proportion_weighting")),
        "test_seconds": seconds,
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
