"""Command line: evaluate a trained network without training it.

    python -m stdp_learn.evaluate pretrained:400                  # the shipped network
    python -m stdp_learn.evaluate runs/mnist-100-seed0            # a run folder
    python -m stdp_learn.evaluate dc100.npz --split validation --size 2000
    python -m stdp_learn.evaluate pretrained:100 --test-size 1000 --studies none

The run folder (``--output``) receives ``metrics.json`` (the model's evaluation report:
every readout's accuracy, the confusion matrix, spikes, the efficiency report, the early
exit), ``record.json`` (the result record, as a training run's) and ``confusion.png``.
The validation split is the last 10,000 MNIST training images (``--validation-block
first``: the first), the split a training run with ``--evaluate-on validation`` holds
out; the test set is MNIST's 10,000 test images.

Every study of `stdp_learn.studies` is run unless ``--studies`` names some of them
(``robustness,baselines,pruning,labels,memory``) or ``none``; each writes ``<study>.md``
(a table) and ``<study>.png`` into the run folder, and its results under ``"studies"`` in
``metrics.json``.  The
labelled images that the labels study labels the neurons with and the baselines learn
from (``--label-size``) are the training images just before the evaluated split: the
last ones of the 60,000 for the test set and for the first block, the ones before the
validation split for the last.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from .baselines import require_sklearn
from .config import THETA_IN_FROZEN_PASS
from .corruptions import CORRUPTIONS, check_level
from .memory import BIT_WIDTHS
from .record import RunParts, command_line, make_record, peak_memory_mb, write_json_atomic
from .studies import DEFAULT_LEVELS, STUDIES

__all__ = ["build_parser", "load_any", "main", "run_studies", "write_studies"]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m stdp_learn.evaluate``."""
    parser = argparse.ArgumentParser(prog="python -m stdp_learn.evaluate",
                                     description="Evaluate a trained network on MNIST.")
    parser.add_argument("model", help="a run folder, a model file, or pretrained:N (100 or 400)")
    parser.add_argument("--split", choices=("test", "validation"), default="test",
                        help="MNIST's test set, or 10,000 training images held out")
    parser.add_argument("--validation-block", choices=("last", "first"), default="last",
                        help="the training images of the validation split: the last 10,000 "
                             "(default) or the first, as the training run held out")
    parser.add_argument("--size", "--test-size", dest="size", type=int, default=None,
                        help="first N images of the split")
    parser.add_argument("--readout", choices=("label_assignment", "rstdp"), default="label_assignment")
    parser.add_argument("--theta-in-frozen-pass", choices=THETA_IN_FROZEN_PASS, default=None,
                        help="keep theta as training left it ('fixed', the paper) or let it keep "
                             "adapting with the weights fixed ('adapting'); default: the model's own")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=None,
                        help="run folder (default runs/evaluate-<model>-<split>)")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True)
    studies = parser.add_argument_group("studies (stdp_learn.studies)")
    studies.add_argument("--studies", default="all",
                         help=f"comma-separated studies to run, of {','.join(STUDIES)}; "
                              "'all' (the default) or 'none'")
    studies.add_argument("--all", action="store_true", help="run every study (the default)")
    studies.add_argument("--levels", default=",".join(f"{level:g}" for level in DEFAULT_LEVELS),
                         help="corruption levels in [0, 1] of the robustness curves "
                              "(0 is always in)")
    studies.add_argument("--corruptions", default=",".join(CORRUPTIONS),
                         help="comma-separated corruptions of the robustness curves")
    studies.add_argument("--label-size", type=int, default=10_000,
                         help="labelled training images for the labels study and the baselines")
    studies.add_argument("--bits", default=",".join(map(str, BIT_WIDTHS)),
                         help="bit widths of the memory study")
    studies.add_argument("--seed", type=int, default=0,
                         help="seeds the corruptions, the label subsets and the baselines")
    return parser


# The studies that show the network the labelled images, or fit the baselines on them.
_NEEDS_LABELLED = {"labels", "baselines", "robustness"}


class _ArgumentError(ValueError):
    """A command-line value that cannot be meant (exit status 2, one line)."""


def _study_options(args, n_train, split_size):
    """Return (studies, levels, corruptions, bits) from the arguments, or raise _ArgumentError."""
    names = [n.strip() for n in args.studies.split(",") if n.strip()]
    if args.all or names == ["all"]:
        names = list(STUDIES)
    elif names == ["none"]:
        names = []
    unknown = [n for n in names if n not in STUDIES]
    if unknown:
        raise _ArgumentError(f"unknown study {unknown[0]!r}; choose from {','.join(STUDIES)}")
    try:
        levels = [check_level(level) for level in args.levels.split(",") if level.strip()]
    except ValueError as error:
        raise _ArgumentError(f"--levels: {error}") from None
    corruptions = [c.strip() for c in args.corruptions.split(",") if c.strip()]
    unknown = [c for c in corruptions if c not in CORRUPTIONS]
    if unknown:
        raise _ArgumentError(f"unknown corruption {unknown[0]!r}; "
                             f"choose from {','.join(CORRUPTIONS)}")
    try:
        bits = [int(b) for b in args.bits.split(",") if b.strip()]
    except ValueError:
        raise _ArgumentError(f"--bits must be whole numbers, got {args.bits!r}") from None
    if any(b < 1 for b in bits):
        raise _ArgumentError(f"--bits must be whole numbers >= 1, got {args.bits!r}")
    available = n_train - split_size
    if _NEEDS_LABELLED & set(names) and not 0 < args.label_size <= available:
        raise _ArgumentError(f"--label-size must be 1..{available}")
    if {"baselines", "robustness"} & set(names):
        try:
            require_sklearn()
        except ImportError as error:
            raise _ArgumentError(str(error)) from None
    return names, levels, corruptions, bits


def load_any(source, progress=False):
    """Return the model that `source` names: ``pretrained:N``, a run folder or a model file."""
    from .model import DiehlCook2015

    if source.startswith("pretrained:"):
        size = source.split(":", 1)[1]
        if not size.isdigit():
            raise ValueError(f"unknown model {source!r}: give pretrained:100 or pretrained:400")
        return DiehlCook2015.pretrained(int(size), progress=progress)
    path = Path(source)
    if path.is_dir():
        path = path / "model.npz"
    return DiehlCook2015.load(path, progress=progress)


def _learned_every_training_image(model, data) -> bool:
    """Whether `model` learned from all of `data`'s training images (False: unknown, as
    for a network saved without the digest of its training images)."""
    from .checkpoint import ModelFileError

    try:
        return model.trained_on(data.X_train, data.y_train)
    except ModelFileError:
        return False


def main(argv=None) -> int:
    """Run the command line; return the exit status."""
    from .checkpoint import ModelFileError
    from .config import ConfigError
    from .data import DataError, load_dataset
    from .report import evaluation_report
    from .train import with_theta_in_frozen_pass

    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    try:
        model = load_any(args.model, args.progress)
        model.params = with_theta_in_frozen_pass(model.params, args.theta_in_frozen_pass)
        data = load_dataset("mnist", args.data_dir)
    except (ModelFileError, ConfigError, DataError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.split == "validation" and _learned_every_training_image(model, data):
        print("error: the model learned from all the training images, the validation split "
              "among them: evaluate it with --split test", file=sys.stderr)
        return 2
    held_out = slice(-10_000, None) if args.validation_block == "last" else slice(None, 10_000)
    X, y = ((data.X_test, data.y_test) if args.split == "test"
            else (data.X_train[held_out], data.y_train[held_out]))
    n_held_out = 0 if args.split == "test" else 10_000  # training images that are the split
    try:
        studies, levels, corruptions, bits = _study_options(args, len(data.X_train), n_held_out)
    except _ArgumentError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
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
    if studies:
        # the training images just before the split, or the last ones when it is the first
        end = len(data.X_train) - (n_held_out if args.validation_block == "last" else 0)
        start = end - args.label_size
        labelled = (data.X_train[start:end], data.y_train[start:end])
        report["studies"] = run_studies(model, X, y, labelled, responses, studies, levels=levels,
                                        corruptions=corruptions, bit_widths=bits, seed=args.seed)
        write_studies(report["studies"], output)
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
    arguments = {"model": args.model, "split": args.split, "size": len(X), "readout": args.readout}
    if args.theta_in_frozen_pass is not None:
        arguments["theta_in_frozen_pass"] = args.theta_in_frozen_pass
    if args.split == "validation":
        arguments["validation_block"] = args.validation_block
    sizes = {args.split: len(X)}
    if studies:
        results["studies"] = report["studies"]
        arguments.update(studies=studies, levels=levels, corruptions=corruptions, bits=bits,
                         label_size=args.label_size, seed=args.seed)
        sizes["labelled"] = args.label_size
    record = make_record(
        parts=parts, configuration={"arguments": arguments, "model": model.configuration()},
        seed=model.random_state, split=args.split, sizes=sizes, results=results,
        training={}, peak_memory_mb=peak_memory_mb())
    write_json_atomic(output / "record.json", record)
    _confusion_figure(np.asarray(report["confusion_matrix"]), output)
    print(f"{args.split} accuracy {report['accuracy']:.4f} ({len(X)} images); results in {output}")
    return 0


def run_studies(model, X, y, labelled, responses, studies, *, levels=DEFAULT_LEVELS,
                corruptions=tuple(CORRUPTIONS), bit_widths=BIT_WIDTHS, seed=0) -> dict:
    """Return the results of `studies` (names of `stdp_learn.studies.STUDIES`), by name.

    `labelled` is ``(X_label, y_label)``, the labelled images of the labels study and
    the baselines; `responses` the network's responses to `X`.  The labelled images
    are shown to the network once, when a study needs their responses.
    """
    from . import studies as study

    results = {}
    X_label, y_label = labelled
    label_responses, baselines = None, {}
    if _NEEDS_LABELLED & set(studies):
        label_responses = model.responses(X_label)
    if {"baselines", "robustness"} & set(studies):
        from .baselines import fit_baselines

        baselines = fit_baselines(X_label, label_responses.counts, y_label, model.n_neurons,
                                  random_state=seed)
    for name in STUDIES:
        if name not in studies:
            continue
        if name == "robustness":
            results[name] = study.robustness_study(model, X, y, corruptions=corruptions,
                                                   levels=levels, seed=seed, baselines=baselines,
                                                   clean_responses=responses)
        elif name == "baselines":
            results[name] = study.baselines_study(model, baselines, X, y, responses)
            results[name]["n_labelled_images"] = int(len(y_label))
        elif name == "pruning":
            results[name] = study.pruning_study(model, responses, y)
        elif name == "labels":
            results[name] = study.labels_study(model, label_responses, y_label, responses, y,
                                               seed=seed, rstdp_images=(X_label, X))
        elif name == "memory":
            results[name] = study.memory_study(model, responses, X, bit_widths=bit_widths,
                                               seed=seed)
    return results


def write_studies(results, output):
    """Write ``<study>.md`` (its table) and ``<study>.png`` (its figure) for every study run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import plotting
    from .studies import study_table

    output = Path(output)
    for name, result in results.items():
        (output / f"{name}.md").write_text(study_table(name, result))
        if name == "robustness":
            curves = result["curves"]
            figure, axes = plt.subplots(1, len(curves), figsize=(4 * len(curves), 3.5),
                                        squeeze=False)
            for ax, (corruption, curve) in zip(axes[0], curves.items()):
                plotting.plot_robustness(curve, ax=ax, title=corruption)
        else:
            figure, ax = plt.subplots(figsize=(6, 4))
            if name == "baselines":
                plotting.plot_baselines(result["rows"], ax=ax)
            elif name == "pruning":
                plotting.plot_pruning(result["curve"], ax=ax)
            elif name == "labels":
                plotting.plot_label_efficiency(result["curve"], ax=ax,
                                               rstdp_curve=result.get("rstdp_curve"))
            elif name == "memory":
                plotting.plot_memory(result["rows"], result["brian2_bytes"], ax=ax)
        figure.tight_layout()
        figure.savefig(output / f"{name}.png", dpi=110)
        plt.close(figure)


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
