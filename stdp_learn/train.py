"""Command line: train a Diehl & Cook network on MNIST and evaluate it.

    python -m stdp_learn.train mnist                      # the paper's 100-neuron recipe
    python -m stdp_learn.train mnist-sample --train-size 1000 --test-size 1000
    python -m stdp_learn.train fashion-mnist              # or kuzushiji-mnist: MNIST's format
    python -m stdp_learn.train --resume runs/mnist-100-seed0   # after Ctrl-C or a crash
    python -m stdp_learn.train mnist --readout rstdp      # plus a readout trained by reward

The run folder (``--output``) receives ``args.json`` and, while training,
``checkpoint.npz`` and ``snapshots/`` (the input weights every ``--snapshot-interval``
images, as ``weights_NNNNNN.npy`` and ``rf_NNNNNN.png``); at the end ``metrics.json``,
``model.npz`` (weights, thresholds, labels), ``receptive_fields.png`` (a locally connected
layer's also patch by patch, ``receptive_fields_by_patch.png``), ``confusion.png``,
``learning_strip.png`` (the snapshots side by side), ``training_curve.png`` (accuracy
estimated every ``--evaluation-interval`` images while learning) and, with
``--animation``, ``learning.gif``.  Ctrl-C or SIGTERM stop after
saving the checkpoint; ``--resume`` continues and gives the same result as a run that was
never stopped.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import time
from pathlib import Path

import numpy as np

from .record import RECORD_FILE, RunParts, command_line, make_record, peak_memory_mb, write_json_atomic

__all__ = ["block_from_options", "build_parser", "main", "parse_arguments"]

_DEVICES = ("auto", "cpp_standalone", "runtime", "cuda_standalone")


class UsageError(Exception):
    """A command-line value that cannot work; reported in one line, exit status 2."""


def _whole_number(minimum):
    """Return an argparse type accepting whole numbers of at least `minimum`."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


_positive_int = _whole_number(1)
_non_negative_int = _whole_number(0)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m stdp_learn.train``."""
    parser = argparse.ArgumentParser(
        prog="python -m stdp_learn.train",
        description="Train a Diehl & Cook (2015) spiking network by STDP and evaluate it.",
    )
    from .config import THETA_IN_FROZEN_PASS
    from .data import dataset_names

    names = dataset_names()  # read when the parser is built: registered datasets included
    parser.add_argument("dataset", nargs="?", choices=names,
                        help="a registered dataset: " + ", ".join(names)
                             + " ('mnist-sample': the 1,000 + 1,000 images packaged with the library)")
    parser.add_argument("--resume", type=Path, default=None, metavar="RUN_DIR",
                        help="continue the interrupted run in RUN_DIR with its own settings")
    parser.add_argument("--neurons", type=_positive_int, default=100, help="excitatory neurons (default 100)")
    parser.add_argument("--epochs", type=_positive_int, default=1, help="passes over the training images (default 1)")
    parser.add_argument("--train-size", type=_positive_int, default=None, help="use the first N training images (default all)")
    parser.add_argument("--test-size", type=_positive_int, default=None, help="use the first N test images (default all)")
    parser.add_argument("--shuffle", action=argparse.BooleanOptionalAction, default=False,
                        help="show the training images in a new seeded random order every epoch "
                             "(default: file order, as the paper)")
    parser.add_argument("--labelling", choices=("training", "frozen"), default="training",
                        help="assign labels from responses while learning (paper) or from a frozen pass")
    parser.add_argument("--labelling-window", type=_positive_int, default=10_000,
                        help="last N training images that assign labels (default 10000)")
    parser.add_argument("--evaluation-interval", type=_positive_int, default=10_000,
                        help="estimate accuracy while learning every N images, from labels of the "
                             "N before (default 10000, as the paper)")
    parser.add_argument("--snapshot-interval", type=_positive_int, default=None,
                        help="save the receptive fields every N training images "
                             "(default: the evaluation interval)")
    parser.add_argument("--animation", action=argparse.BooleanOptionalAction, default=False,
                        help="also write learning.gif, the receptive fields over training")
    parser.add_argument("--theta-in-frozen-pass", choices=THETA_IN_FROZEN_PASS, default="fixed",
                        help="with learning off (labelling, test), keep theta as training left it "
                             "('fixed', the paper) or let it keep adapting with the weights fixed "
                             "('adapting'); see ExcitatoryParams.theta_in_frozen_pass")
    from .encoding import ENCODERS
    from .presets import PRESETS
    from .rules import RULES

    parser.add_argument("--preset", choices=sorted(PRESETS), default=None,
                        help="start from a named recipe (rule, encoding, topology, epochs, order; see "
                             "stdp_learn.presets); options given beside it win")
    parser.add_argument("--rule", choices=sorted(RULES), default="pair",
                        help="learning rule of the input synapses (default: the paper's pair STDP)")
    parser.add_argument("--rule-option", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter of the rule, as in its to_dict() (times in ms: "
                             "tau_pre_ms=20); repeat for several")
    parser.add_argument("--encoding", choices=sorted(ENCODERS), default="poisson",
                        help="how images become input spikes (default: the paper's Poisson rates)")
    parser.add_argument("--encoding-option", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter of the encoding, as in its to_dict(); repeat for several")
    from .connectivity import CONNECTIVITIES

    parser.add_argument("--topology", choices=sorted(CONNECTIVITIES), default="all_to_all",
                        help="which inputs reach which neurons (default: the paper's all-to-all; "
                             "local: neurons on image patches, whose number must be --neurons)")
    parser.add_argument("--topology-option", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter of the topology, as in its to_dict() (patch_size=12); "
                             "repeat for several")
    parser.add_argument("--readout", choices=("label_assignment", "rstdp"), default="label_assignment",
                        help="classify by the paper's label assignment, or by output neurons trained "
                             "by reward-modulated STDP alongside the features (both are reported)")
    parser.add_argument("--readout-per-class", type=_positive_int, default=3,
                        help="R-STDP readout neurons per class (default 3)")
    parser.add_argument("--readout-pass", action=argparse.BooleanOptionalAction, default=True,
                        help="after training, train the R-STDP readout once more on the frozen "
                             "features over the labelling window (default on)")
    parser.add_argument("--readout-passes", type=_positive_int, default=1,
                        help="passes of that frozen training over the labelling window (default 1)")
    parser.add_argument("--evaluate-on", choices=("test", "validation"), default="test",
                        help="score on the test set (training on every training image), or on a "
                             "validation split held out of the training images (training on the "
                             "rest); choose options on validation, quote the test set once")
    parser.add_argument("--validation-size", type=_positive_int, default=None,
                        help="images of the validation split: the last N training images "
                             "(default 10000, at most a sixth of the training set)")
    parser.add_argument("--validation-block", choices=("last", "first"), default="last",
                        help="which end of the training images the validation split is taken "
                             "from (default last); 'first' leaves the training images that a "
                             "test run learns last in the validation run too")
    parser.add_argument("--seed", type=_non_negative_int, default=0, help="random seed (default 0)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="folder of the dataset's IDX files (default: its variable, "
                             "$STDP_LEARN_DATA for MNIST, $STDP_LEARN_FASHION_MNIST_DATA, "
                             "$STDP_LEARN_KUZUSHIJI_MNIST_DATA; else a download cache)")
    parser.add_argument("--output", type=Path, default=None, help="run folder (default runs/<dataset>-<neurons>-<seed>)")
    parser.add_argument("--overwrite", action=argparse.BooleanOptionalAction, default=False,
                        help="replace an existing run folder")
    parser.add_argument("--device", choices=_DEVICES, default="auto",
                        help="Brian2 device; auto = cpp_standalone where a C++ compiler exists")
    parser.add_argument("--block-size", type=_positive_int, default=500, help="presentation slots per simulation call")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True, help="show progress bars")
    return parser


# Everything a run of this program writes into its run folder; --overwrite removes these
# and nothing else.
_RUN_FILES = ("args.json", "parts.json", "record.json", "metrics.json", "model.npz",
              "checkpoint.npz", "test_counts.npy", "receptive_fields.png",
              "receptive_fields_by_patch.png", "confusion.png",
              "training_curve.png", "early_exit.png", "learning_strip.png", "learning.gif")
_SNAPSHOT_PATTERNS = ("weights_*.npy", "rf_*.png")


def _is_run_file(path: Path, folder: Path) -> bool:
    name = path.name[: -len(".tmp")] if path.name.endswith(".tmp") else path.name
    if path.parent == folder:
        return path.is_file() and name in _RUN_FILES
    if path.parent == folder / "snapshots":
        return path.is_file() and any(path.match(pattern) for pattern in _SNAPSHOT_PATTERNS)
    return False


def _foreign_files(folder: Path) -> list:
    """Return what in a run folder this program did not write."""
    foreign = []
    for path in sorted(folder.iterdir()):
        if path.name == "snapshots" and path.is_dir():
            foreign += [p for p in sorted(path.iterdir()) if not _is_run_file(p, folder)]
        elif not _is_run_file(path, folder):
            foreign.append(path)
    return foreign


def _remove_run_files(folder: Path):
    for path in list(folder.iterdir()):
        if path.name == "snapshots" and path.is_dir():
            for snapshot in path.iterdir():
                snapshot.unlink()
            path.rmdir()
        else:
            path.unlink()


def _prepare_output(args):
    output = args.output or Path("runs") / f"{args.dataset}-{args.neurons}-seed{args.seed}"
    if output.exists() and not output.is_dir():
        raise UsageError(f"--output {output} is a file; give a folder for the run")
    if output.is_dir() and any(output.iterdir()):
        if not args.overwrite:
            raise UsageError(f"run folder {output} exists and is not empty; choose another --output "
                             "or pass --overwrite")
        if not (output / "args.json").is_file():
            raise UsageError(f"--overwrite refused: {output} is not a run folder of this program "
                             "(no args.json); nothing was removed")
        foreign = _foreign_files(output)
        if foreign:
            shown = ", ".join(str(p.relative_to(output)) for p in foreign[:3])
            more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            raise UsageError(f"--overwrite refused: {output} holds files this program did not write "
                             f"({shown}{more}); nothing was removed")
        _remove_run_files(output)  # never mix two runs in one folder
    try:
        output.mkdir(parents=True, exist_ok=True)
        probe = output / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise UsageError(f"cannot write the run folder {output}: {error.strerror or error}") from None
    return output


_SAVED_ARGS = ("dataset", "neurons", "epochs", "train_size", "test_size", "evaluate_on",
               "validation_size", "validation_block", "shuffle", "labelling",
               "labelling_window", "evaluation_interval", "snapshot_interval", "animation",
               "theta_in_frozen_pass",
               "readout", "readout_per_class", "readout_pass", "readout_passes", "seed", "data_dir", "device", "block_size",
               "preset", "rule", "rule_option", "encoding", "encoding_option", "topology", "topology_option")


def parse_arguments(argv=None, parser=None) -> argparse.Namespace:
    """Parse the command line `argv` with `parser` (default `build_parser()`).

    A ``--preset`` gives the defaults of the options its recipe sets; an option given on
    the command line wins over it (``--rule-option`` adds to the preset's options).
    """
    args = (parser or build_parser()).parse_args(argv)
    if args.preset is not None:
        from .presets import PRESETS

        given = _explicit_options(argv)
        for name, value in PRESETS[args.preset].command_line_defaults().items():
            if name not in given:
                setattr(args, name, value)
            elif name.endswith("_option"):
                setattr(args, name, value + given[name])
    return args


# Options that may differ on --resume: they change how a run is shown, not what it computes.
_RESUME_MAY_CHANGE = ("resume", "progress", "data_dir")


def _explicit_options(argv) -> dict:
    """Return the options given on the command line `argv` (not those left at default)."""
    parser = build_parser()
    for action in parser._actions:
        if action.option_strings:  # a positional's default must stay a valid choice
            action.default = argparse.SUPPRESS
    given = vars(parser.parse_args(argv))
    if given.get("dataset") is None:
        given.pop("dataset", None)
    return given


def _resumed_args(args, argv=None):
    run_dir = args.resume
    saved = run_dir / "args.json"
    if not saved.is_file():
        raise UsageError(f"{run_dir} holds no args.json: not a run folder of this program")
    if not (run_dir / "checkpoint.npz").is_file():
        if (run_dir / RECORD_FILE).is_file():
            raise UsageError(f"{run_dir}: the run finished (see {RECORD_FILE}); nothing to resume")
        raise UsageError(f"{run_dir} holds no checkpoint.npz: the run stopped before its first "
                         "checkpoint; start it again with --overwrite")
    try:
        values = json.loads(saved.read_text())
        if not isinstance(values, dict):
            raise ValueError("not a JSON object")
    except ValueError as error:
        raise UsageError(f"{saved} is unreadable ({error}); the run cannot be resumed") from None
    defaults = vars(build_parser().parse_args([]))
    given = _explicit_options(argv if argv is not None else [])
    conflicts = []
    for name in _SAVED_ARGS:
        value = values.get(name, defaults[name])
        value = Path(value) if name == "data_dir" and value else value
        if name in given and name not in _RESUME_MAY_CHANGE and given[name] != value:
            conflicts.append(f"--{name.replace('_', '-')} {given[name]} (the run has {value})")
        if name == "data_dir" and name in given:
            continue
        setattr(args, name, value)
    if "dataset" in given and given["dataset"] != values.get("dataset"):
        conflicts.append(f"{given['dataset']} (the run has {values.get('dataset')})")
    if conflicts:
        raise UsageError("--resume continues a run with its own settings; remove "
                         + "; ".join(conflicts))
    args.output = run_dir
    return args


class _StopRequest:
    """Turn SIGINT and SIGTERM into a request to stop after saving; a second Ctrl-C kills."""

    def __init__(self):
        self.requested = False
        self._previous = {}

    def __enter__(self):
        for number in (signal.SIGINT, signal.SIGTERM):
            self._previous[number] = signal.signal(number, self._handle)
        return self

    def _handle(self, number, frame):
        if self.requested and number == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True
        print("\nstopping: saving the checkpoint (Ctrl-C again to kill)", file=sys.stderr)

    def __exit__(self, *exc):
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        return False

    def __call__(self):
        return self.requested


class _Snapshots:
    """Save the input weights every `interval` training images into ``run/snapshots``."""

    def __init__(self, folder, interval, image_shape):
        self.folder = Path(folder)
        self.interval = interval
        self.image_shape = image_shape
        # read once: a resumed run continues after the snapshots already on disk
        self.saved = sorted(int(path.stem.split("_")[1])
                            for path in self.folder.glob("weights_*.npy"))

    def __call__(self, model, images_done, images_total):
        last = self.saved[-1] if self.saved else 0
        due = images_done // self.interval > last // self.interval
        if due or (images_done == images_total and images_done != last):
            self.save(model, images_done)

    def save(self, model, images_done):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from .plotting import plot_receptive_fields

        self.folder.mkdir(exist_ok=True)
        weights = np.asarray(model.weights_, dtype=np.float32)
        np.save(self.folder / f"weights_{images_done:06d}.npy", weights)
        ax = plot_receptive_fields(weights, image_shape=self.image_shape)
        ax.set_title(f"after {images_done:,} training images")
        ax.figure.savefig(self.folder / f"rf_{images_done:06d}.png", dpi=100, bbox_inches="tight")
        plt.close(ax.figure)
        self.saved.append(images_done)

    def load(self):
        """Return (images_seen, weights stacked) of every snapshot saved so far."""
        weights = [np.load(self.folder / f"weights_{n:06d}.npy") for n in self.saved]
        return np.array(self.saved), np.array(weights)


def run(args, stop_request=None, argv=None) -> dict:
    """Train and evaluate as `args` says; return the metrics written to metrics.json."""
    from . import load_dataset
    from .model import TrainingInterrupted

    if args.resume is not None:
        args = _resumed_args(args, argv)
    elif args.dataset is None:
        from .data import dataset_names

        raise UsageError(f"name a dataset ({', '.join(dataset_names())}), or --resume RUN_DIR")
    data = load_dataset(args.dataset, args.data_dir)
    split = split_images(data, args)
    X_train, y_train, X_test, y_test = split["X_train"], split["y_train"], split["X_eval"], split["y_eval"]
    from .simulation import check_device

    check_device(args.device)  # before anything is written
    if args.resume is None:
        output = _prepare_output(args)
        saved = {name: getattr(args, name) for name in _SAVED_ARGS}
        saved["data_dir"] = str(args.data_dir) if args.data_dir else None
        write_json_atomic(output / "args.json", saved)
    else:
        output = args.output
    args.output = output
    parts = RunParts(output)
    parts.start(command_line(argv))
    part_started = time.perf_counter()
    checkpoint = output / "checkpoint.npz"
    snapshots = _Snapshots(output / "snapshots", args.snapshot_interval or args.evaluation_interval,
                           data.X_train.shape[1:])
    phase_seconds = {}  # train and evaluation seconds of this part, kept if it is interrupted
    try:
        metrics = _train_and_evaluate(args, output, checkpoint, snapshots, parts, part_started,
                                      X_train, y_train, X_test, y_test, data, stop_request,
                                      phase_seconds)
    except BaseException as error:
        how = "interrupted" if isinstance(error, (KeyboardInterrupt, TrainingInterrupted)) else "failed"
        if how == "failed" and len(parts.parts) == 1 and not checkpoint.exists():
            # nothing to resume: leave no half-made run folder that would block a rerun
            with contextlib.suppress(OSError):
                _remove_run_files(output)
                output.rmdir()
        else:
            with contextlib.suppress(OSError):  # a full disk must not hide the first error
                parts.finish(how, wall_seconds=time.perf_counter() - part_started,
                             peak_memory_mb=peak_memory_mb(), **phase_seconds)
        raise
    return metrics



def split_images(data, args) -> dict:
    """Return the training images and the images that give the accuracy, as `args` says.

    ``--evaluate-on test``: every training image (or the first ``--train-size``) trains,
    the first ``--test-size`` test images evaluate.  ``--evaluate-on validation``: the
    last (``--validation-block first``: the first) ``--validation-size`` training images
    are held out and evaluate; training uses the others, in their order.  Sizes beyond
    what the split holds are refused.
    """
    X_all, y_all = data.X_train, data.y_train
    if args.evaluate_on == "validation":
        n_validation = args.validation_size or min(10_000, len(X_all) // 6)
        if n_validation >= len(X_all):
            raise UsageError(f"--validation-size {n_validation} leaves no training images "
                             f"({args.dataset} has {len(X_all)})")
        held_out = (slice(-n_validation, None) if args.validation_block == "last"
                    else slice(None, n_validation))
        kept = (slice(None, -n_validation) if args.validation_block == "last"
                else slice(n_validation, None))
        X_eval, y_eval = X_all[held_out], y_all[held_out]
        X_all, y_all = X_all[kept], y_all[kept]
        eval_name = "validation images"
    else:
        X_eval, y_eval = data.X_test, data.y_test
        eval_name = "test images"
    for size, available, what, flag in ((args.train_size, len(X_all), "training images", "--train-size"),
                                        (args.test_size, len(X_eval), eval_name, "--test-size")):
        if size is not None and size > available:
            raise UsageError(f"{flag} {size}: {args.dataset} has only {available} {what} "
                             f"with --evaluate-on {args.evaluate_on}")
    return {"X_train": X_all[: args.train_size], "y_train": y_all[: args.train_size],
            "X_eval": X_eval[: args.test_size], "y_eval": y_eval[: args.test_size]}


def with_theta_in_frozen_pass(params, theta):
    """Return `params` (None: the paper's) with ``theta_in_frozen_pass`` set to `theta`.

    None is given back for the paper's parameters with the paper's frozen theta, so that a
    default run is configured exactly as before the option existed; `theta` None keeps
    what `params` has.
    """
    from .config import NetworkParams

    if theta is None or (params is None and theta == "fixed"):
        return params
    params = params if params is not None else NetworkParams()
    return params.replace(excitatory=params.excitatory.replace(theta_in_frozen_pass=theta))


def block_from_options(registry, name, options, flag):
    """Return the registered building block `name` with `options` ("NAME=VALUE") applied."""
    values = {}
    for option in options:
        key, sep, text = option.partition("=")
        if not sep:
            raise UsageError(f"{flag} {option!r}: write NAME=VALUE")
        values[key] = _option_value(text)
    try:
        return registry.build(name, values)
    except (TypeError, ValueError) as error:
        raise UsageError(f"{flag} {', '.join(options)}: {error}") from None


def _option_value(text):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _train_and_evaluate(args, output, checkpoint, snapshots, parts, part_started,
                        X_train, y_train, X_test, y_test, data, stop_request, phase_seconds):
    from . import DiehlCook2015
    from .connectivity import CONNECTIVITIES
    from .encoding import ENCODERS
    from .rules import RULES
    from .inputs import blank_images
    from .report import evaluation_report

    started = time.perf_counter()

    def after_block(model, images_done, images_total):
        snapshots(model, images_done, images_total)
        parts.progress(train_seconds=time.perf_counter() - started,
                       wall_seconds=time.perf_counter() - part_started)

    if args.resume is None:
        from .reward import RewardReadout

        readout = (RewardReadout(n_per_class=args.readout_per_class)
                   if args.readout == "rstdp" else None)
        model = DiehlCook2015(
            n_neurons=args.neurons, labelling=args.labelling, labelling_window=args.labelling_window,
            rule=block_from_options(RULES, args.rule, args.rule_option, "--rule-option"),
            encoder=block_from_options(ENCODERS, args.encoding, args.encoding_option,
                                        "--encoding-option"),
            connectivity=block_from_options(CONNECTIVITIES, args.topology, args.topology_option,
                                             "--topology-option"),
            evaluation_interval=min(args.evaluation_interval, args.labelling_window),
            device=args.device, block_size=args.block_size, random_state=args.seed,
            progress=args.progress, readout=readout, shuffle=args.shuffle,
            params=with_theta_in_frozen_pass(None, args.theta_in_frozen_pass),
        )
        model.fit(X_train, y_train, epochs=args.epochs, checkpoint=checkpoint,
                  stop_requested=stop_request, callback=after_block)
    else:
        model = DiehlCook2015.resume(checkpoint, X_train, y_train, device=args.device,
                                     progress=args.progress, stop_requested=stop_request,
                                     callback=after_block)
    if model.readout is not None and args.readout_pass:
        # the readout learns once more on the frozen features, over the images that
        # labelled the neurons
        model.fit_readout(X_train, y_train, epochs=args.readout_passes, last=args.labelling_window,
                          stop_requested=stop_request)
    train_seconds = time.perf_counter() - started
    phase_seconds["train_seconds"] = train_seconds
    parts.progress(min_interval=0.0, train_seconds=train_seconds)  # this part's, in the totals

    test_started = time.perf_counter()
    responses = model.responses(X_test, stop_requested=stop_request)
    test_seconds = time.perf_counter() - test_started
    phase_seconds["evaluation_seconds"] = test_seconds
    report = evaluation_report(model, responses, y_test, X_test, readout=args.readout)
    counts, log = responses.counts, model.training_log_
    train_total = parts.total("train_seconds")
    metrics = {
        **report,
        "dataset": args.dataset,
        "n_neurons": args.neurons,
        "epochs": args.epochs,
        "train_size": int(len(X_train)),
        "test_size": int(len(X_test)),
        "seed": args.seed,
        "device": model.device_name_,
        "labelling": args.labelling,
        "labelling_window": args.labelling_window,
        "split": args.evaluate_on,
        "train_seconds": train_total,
        "test_seconds": test_seconds,
        "images_per_second": log.images_per_second,
        "images_per_second_wall": log.images_seen / train_total,
        "test_images_per_second": len(X_test) / test_seconds,
        "mean_retries_per_training_image": float(np.mean(log.retries)) if log.retries else 0.0,
        "max_retries_per_training_image": int(np.max(log.retries)) if log.retries else 0,
        "retry_cap": model.configuration()["params"]["presentation"]["max_retries"],
        "blank_training_images": blank_images(X_train.reshape(len(X_train), -1)),
        "unanswered_training_images": log.unanswered,
        "mean_spikes_per_training_image": float(np.mean(log.spikes)) if log.spikes else 0.0,
        "training_curve": {"images_seen": model.training_curve_[0].tolist(),
                           "accuracy": model.training_curve_[1].tolist()},
        "training_warnings": log.warnings,
        "peak_memory_mb": peak_memory_mb(),
    }
    model.save(output / "model.npz")
    np.save(output / "test_counts.npy", counts)
    _write_figures(model, metrics["confusion_matrix"], output, data.X_train.shape[1:])
    _write_learning_figures(model, snapshots, output, animation=args.animation)
    if "early_exit" in metrics:
        _write_early_exit_figure(metrics["early_exit"], output)
    write_json_atomic(output / "metrics.json", metrics)
    parts.finish("finished", wall_seconds=time.perf_counter() - part_started,
                 peak_memory_mb=metrics["peak_memory_mb"], **phase_seconds)
    results = {"label_assignment": metrics.get("accuracy_label_assignment", metrics["accuracy"]),
               "proportion_weighting": metrics["accuracy_proportion_weighting"]}
    if "accuracy_rstdp" in metrics:
        results["rstdp"] = metrics["accuracy_rstdp"]
    arguments = {name: getattr(args, name) for name in _SAVED_ARGS}
    arguments["data_dir"] = None  # where the files lie says nothing of the run
    configuration = {"arguments": arguments, "model": model.configuration()}
    record = make_record(
        parts=parts, configuration=configuration, seed=args.seed, split=args.evaluate_on,
        sizes={"train": int(len(X_train)), "epochs": args.epochs,
               "labelling": min(args.labelling_window, int(len(X_train))),
               args.evaluate_on: int(len(X_test))},
        results=results,
        training={"images_seen": log.images_seen, "seconds": log.seconds,
                  "images_per_second": log.images_per_second},
        peak_memory_mb=metrics["peak_memory_mb"])
    record["results"]["readout"] = args.readout
    record["results"]["accuracy"] = metrics["accuracy"]
    # the estimate read while learning, which a gap to the scored split is measured against
    record["training_curve"] = metrics["training_curve"]
    if "efficiency" in metrics:  # what the scored images cost, for tables of building blocks
        efficiency = metrics["efficiency"]
        _, connectivity = model._blocks()
        record["cost"] = {
            "input_synapses": connectivity.n_synapses(efficiency["n_input"], efficiency["n_neurons"]),
            "input_spikes_per_image": efficiency["spikes_per_image"]["input"],
            "synaptic_operations_per_image": efficiency["synaptic_operations_per_image"]["total"],
            "neuron_updates_per_image": efficiency["neuron_updates_per_image"]["total"],
        }
    write_json_atomic(output / RECORD_FILE, record)
    checkpoint.unlink(missing_ok=True)  # the run is complete: model.npz holds everything
    metrics["output"] = str(output)
    return metrics


def _write_figures(model, confusion, output, image_shape):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import plot_confusion, plot_receptive_fields

    ax = plot_receptive_fields(model.weights_, image_shape=image_shape, assignments=model.assignments_)
    ax.figure.savefig(output / "receptive_fields.png", dpi=120, bbox_inches="tight")
    plt.close(ax.figure)
    layer = model._blocks()[1]
    if hasattr(layer, "patch_corners"):  # a locally connected layer: also patch by patch
        from .plotting import plot_patch_receptive_fields

        ax = plot_patch_receptive_fields(model.weights_, layer)
        ax.figure.savefig(output / "receptive_fields_by_patch.png", dpi=120, bbox_inches="tight")
        plt.close(ax.figure)
    ax = plot_confusion(np.asarray(confusion))
    ax.figure.savefig(output / "confusion.png", dpi=120, bbox_inches="tight")
    plt.close(ax.figure)


def _write_early_exit_figure(curve, output):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import plot_early_exit

    ax = plot_early_exit(curve)
    ax.set_title("early exit: stop once a class leads by k spikes")
    ax.figure.savefig(output / "early_exit.png", dpi=120, bbox_inches="tight")
    plt.close(ax.figure)


def _write_learning_figures(model, snapshots, output, animation=False):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import animate_learning, plot_learning_strip, plot_training_curve

    images_seen, weights = snapshots.load()
    if len(images_seen):
        shown = min(25, weights.shape[2])  # a 5 x 5 mosaic per snapshot stays legible
        fig = plot_learning_strip(weights, images_seen, snapshots.image_shape, n_shown=shown)
        fig.savefig(output / "learning_strip.png", dpi=100, bbox_inches="tight")
        plt.close(fig)
        if animation:
            movie = animate_learning(weights, images_seen, snapshots.image_shape)
            movie.save(output / "learning.gif", writer="pillow", dpi=80)
            plt.close(movie._fig)
    curve_images, curve_accuracy = model.training_curve_
    if len(curve_images):
        ax = plot_training_curve(curve_images, curve_accuracy)
        ax.set_title(f"labels from the previous {model.evaluation_interval:,} images")
        ax.figure.savefig(output / "training_curve.png", dpi=120, bbox_inches="tight")
        plt.close(ax.figure)


def main(argv=None) -> int:
    """Run the command line; return the exit status."""
    from .config import ConfigError
    from .data import DataError
    from .model import ModelFileError, TrainingDiverged, TrainingInterrupted

    args = parse_arguments(argv)
    try:
        with _StopRequest() as stop_request:
            metrics = run(args, stop_request, argv)
    except TrainingInterrupted as stopped:
        print(f"{stopped}; continue with: python -m stdp_learn.train --resume {args.output}",
              file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print(f"killed; the last checkpoint in {args.output} can be resumed with --resume",
              file=sys.stderr)
        return 130
    except (UsageError, DataError, ConfigError, ModelFileError, TrainingDiverged) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a full disk, a folder that cannot be written
        where = f" ({error.filename})" if error.filename else ""
        print(f"error: {error.strerror or error}{where}", file=sys.stderr)
        return 2
    print(
        f"{metrics.get('split', 'test')} accuracy {metrics['accuracy']:.4f} "
        f"({metrics['test_size']} images); "
        f"training {metrics['images_per_second']:.1f} images/s; results in {metrics['output']}"
    )
    if "efficiency" in metrics:
        from .efficiency import summary_line

        print(summary_line(metrics["efficiency"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
