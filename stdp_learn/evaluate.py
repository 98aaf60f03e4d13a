"""Command line: evaluate a trained network without training it.

    python -m stdp_learn.evaluate pretrained:400                  # the shipped network
    python -m stdp_learn.evaluate runs/mnist-100-seed0            # a run folder
    python -m stdp_learn.evaluate dc100.npz --split validation --size 2000

The run folder (``--output``) receives ``metrics.json`` (the model's evaluation report:
every readout's accuracy, the confusion matrix, spikes, the efficiency report, the early
exit), ``record.json`` (the result record, as a training run's) and ``confusion.png``.
The validation split is the last 10,000 MNIST training images, the split a training run
with ``--evaluate-on validation`` holds out; the test set is MNIST's 10,000 test images.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from .record import RunParts, command_line, make_record, peak_memory_mb, write_json_atomic

__all__ = ["build_parser", "load_any", "main"]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m stdp_learn.evaluate``."""
    parser = argparse.ArgumentParser(prog="python -m stdp_learn.evaluate",
                                     description="Evaluate a trained network on MNIST.")
    parser.add_argument("model", help="a run folder, a model file, or pretrained:N (100 or 400)")
    parser.add_argument("--split", choices=("test", "validation"), default="test",
                        help="MNIST's test set, or the last 10,000 training images")
    parser.add_argument("--size", type=int, default=None, help="first N images of the split")
    parser.add_argument("--readout", choices=("label_assignment", "rstdp"), default="label_assignment")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=None,
                        help="run folder (default runs/evaluate-<model>-<split>)")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True)
    return parser


def load_any(source, progress=False):
    """Return the model that `source` names: ``pretrained:N``, a run folder or a model file."""
    from .model import DiehlCook2015

    if source.startswith("pretrained:"):
        return DiehlCook2015.pretrained(int(source.split(":", 1)[1]), progress=progress)
    path = Path(source)
    if path.is_dir():
        path = path / "model.npz"
    return DiehlCook2015.load(path, progress=progress)


def main(argv=None) -> int:
    """Run the command line; return the exit status."""
    from .checkpoint import ModelFileError
    from .config import ConfigError
    from .data import DataError, load_dataset
    from .report import evaluation_report

    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    try:
        model = load_any(args.model, args.progress)
        data = load_dataset("mnist", args.data_dir)
    except (ModelFileError, ConfigError, DataError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    X, y = ((data.X_test, data.y_test) if args.split == "test"
            else (data.X_train[-10_000:], data.y_train[-10_000:]))
    if args.size is not None:
        if not 0 < args.size <= len(X):
            print(f"error: --size must be 1..{len(X)}", file=sys.stderr)
            return 2
        X, y = X[: args.size], y[: args.size]
    name = args.model.replace(":", "").replace("/", "_").strip("_.")
    output = args.output or Path("runs") / f"evaluate-{name}-{args.split}"
    output.mkdir(parents=True, exist_ok=True)
    parts = RunParts(output)
    parts.start(command_line(argv, "python -m stdp_learn.evaluate"))
    started = time.perf_counter()
    try:
        responses = model.responses(X)
        report = evaluation_report(model, responses, y, X, readout=args.readout)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    report["evaluation_seconds"] = seconds
    write_json_atomic(output / "metrics.json", report)
    parts.finish("finished", wall_seconds=seconds, evaluation_seconds=seconds,
                 peak_memory_mb=peak_memory_mb())
    results = {"label_assignment": report["accuracy_label_assignment"],
               "proportion_weighting": report["accuracy_proportion_weighting"],
               "readout": args.readout, "accuracy": report["accuracy"]}
    if "accuracy_rstdp" in report:
        results["rstdp"] = report["accuracy_rstdp"]
    record = make_record(
        parts=parts, configuration={"arguments": {"model": args.model, "split": args.split,
                                                  "size": len(X), "readout": args.readout},
                                    "model": model.configuration()},
        seed=model.random_state, split=args.split, sizes={args.split: len(X)}, results=results,
        training={}, peak_memory_mb=peak_memory_mb())
    write_json_atomic(output / "record.json", record)
    _confusion_figure(np.asarray(report["confusion_matrix"]), output)
    print(f"{args.split} accuracy {report['accuracy']:.4f} ({len(X)} images); results in {output}")
    return 0


def _confusion_figure(confusion, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import plot_confusion

    ax = plot_confusion(confusion)
    ax.figure.savefig(output / "confusion.png", dpi=120, bbox_inches="tight")
    plt.close(ax.figure)


if __name__ == "__main__":
    sys.exit(main())
