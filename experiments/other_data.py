"""Image data other than MNIST's 28 x 28 digits, through the public API with no code change.

    STDP_LEARN_DATA=/path/to/mnist python experiments/other_data.py --variant downsample14
    python experiments/other_data.py --variant crop20
    python experiments/other_data.py --variant digits0to4

Three data sets made from MNIST: every image averaged down to 14 x 14 (196 inputs), every
image cut to its central 20 x 20 (400 inputs), and the digits 0-4 only (five classes).
The network is the default one; what follows the data (the normalisation target, the
input rates, the number of classes) is derived from the arrays it is given.  Each run
trains on the first `--train-size` training images of the variant and scores the first
`--test-size` of its test images; it writes its record to
experiments/results/test/other_<variant>.json.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from stdp_learn import DiehlCook2015, load_mnist
from stdp_learn.record import script_record, write_json_atomic

VARIANTS = ("downsample14", "crop20", "digits0to4")


def make_variant(data, variant):
    """Return (X_train, y_train, X_test, y_test) of a variant of MNIST."""
    X_train, y_train, X_test, y_test = data.X_train, data.y_train, data.X_test, data.y_test
    if variant == "downsample14":
        def shrink(X):
            return X.reshape(len(X), 14, 2, 14, 2).mean(axis=(2, 4))
        return shrink(X_train), y_train, shrink(X_test), y_test
    if variant == "crop20":
        return X_train[:, 4:24, 4:24], y_train, X_test[:, 4:24, 4:24], y_test
    if variant == "digits0to4":
        train, test = y_train < 5, y_test < 5
        return X_train[train], y_train[train], X_test[test], y_test[test]
    raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", choices=VARIANTS, required=True)
    parser.add_argument("--neurons", type=int, default=100)
    parser.add_argument("--train-size", type=int, default=5000)
    parser.add_argument("--test-size", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)
    X_train, y_train, X_test, y_test = make_variant(load_mnist(args.data_dir), args.variant)
    X_train, y_train = X_train[: args.train_size], y_train[: args.train_size]
    X_test, y_test = X_test[: args.test_size], y_test[: args.test_size]
    model = DiehlCook2015(n_neurons=args.neurons, random_state=args.seed)
    started = time.perf_counter()
    model.fit(X_train, y_train)
    train_seconds = time.perf_counter() - started
    report = model.evaluate(X_test, y_test)
    evaluation_seconds = time.perf_counter() - started - train_seconds
    results = {"label_assignment": report["accuracy_label_assignment"],
               "proportion_weighting": report["accuracy_proportion_weighting"]}
    options = {k: v for k, v in vars(args).items() if k != "data_dir"}
    options["dataset"] = f"mnist-{args.variant}"
    record = script_record(
        "python experiments/other_data.py", argv, model, arguments=options, split="test",
        sizes={"train": len(X_train), "epochs": 1, "labelling": min(10_000, len(X_train)),
               "test": len(X_test)},
        results=results, train_seconds=train_seconds, evaluation_seconds=evaluation_seconds)
    record["name"] = f"other_{args.variant}"
    record["data"] = {"image_shape": list(X_train.shape[1:]), "n_classes": model.n_classes_,
                      "n_inputs": int(np.prod(X_train.shape[1:]))}
    record["diagnostics"] = {"mean_retries": float(np.mean(model.training_log_.retries)),
                             "neurons_per_class": report["neurons_per_class"]}
    out = Path(__file__).parent / "results" / "test" / f"other_{args.variant}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out, record)
    print(f"{args.variant}: TEST accuracy {results['label_assignment']:.4f} on {len(X_test)} images "
          f"({model.n_classes_} classes, {record['data']['n_inputs']} inputs); record in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
