"""Compare the paper's label assignment with a readout layer trained by reward-modulated STDP.

A Diehl & Cook (2015) network learns features from MNIST by pair STDP while a
`RewardReadout` (10 x k output neurons, reward-modulated STDP) learns the classes from
the labels in the same presentations; then, unless ``--no-readout-pass``, the readout
learns once more over the training images with the features frozen
(`DiehlCook2015.fit_readout`).  Both readouts are scored with learning off on the
validation split (the last 10,000 training images, never trained on) unless
``--evaluate-on test`` asks for the test set, for a final figure:

* label assignment: every excitatory neuron gets the class it responded to most over the
  training images, and an image gets the class whose neurons fired most on average;
* R-STDP readout: an image gets the class whose output neurons fired most.

The options change one readout setting at a time, to screen variants on the same
features (the readout sends nothing back to the network, so a seed gives the same
features and label assignment whatever the readout):

    STDP_LEARN_DATA=/path/to/mnist python experiments/rstdp_readout.py --train-size 2000 --seed 0
    python experiments/rstdp_readout.py --train-size 2000 --reward-policy first_spike --lateral-mv 20

``--model RUN/model.npz`` takes the features of a saved network (trained on this split's
training images, which is checked) and gives it a fresh readout of the chosen settings,
trained by the frozen passes only; label assignment is then the network's own.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

from brian2 import mV, ms, second

from stdp_learn import DiehlCook2015, load_mnist
from stdp_learn.metrics import accuracy
from stdp_learn.record import script_record, write_json_atomic
from stdp_learn.train import split_images
from stdp_learn.reward import REWARD_POLICIES, RewardReadout

__all__ = ["build_parser", "main", "readout_from_args"]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of this script."""
    parser = argparse.ArgumentParser(
        description="Train a Diehl & Cook network with an R-STDP readout on MNIST and compare "
                    "label assignment with the readout on test images.",
    )
    parser.add_argument("--train-size", type=int, default=None,
                        help="training images (first N; default 2000, or all of the split's "
                             "with --model, as the saved network learned from them)")
    parser.add_argument("--test-size", type=int, default=1000,
                        help="images of the evaluation split (first N)")
    parser.add_argument("--evaluate-on", choices=("validation", "test"), default="validation",
                        help="validation (default: compare settings here) or test (final figures)")
    parser.add_argument("--validation-size", type=int, default=None)
    parser.add_argument("--validation-block", choices=("last", "first"), default="last",
                        help="the training images held out for validation (as the training command)")
    parser.add_argument("--model", default=None,
                        help="a saved network whose features the readout learns from, instead of "
                             "training new ones; its training images must be this split's")
    parser.add_argument("--name", default=None,
                        help="write the record to experiments/results/<split>/<name>.json")
    parser.add_argument("--seed", type=int, default=0, help="seeds weights, delays and spikes")
    parser.add_argument("--neurons", type=int, default=100, help="excitatory neurons")
    parser.add_argument("--n-per-class", type=int, default=None, help="readout neurons per class")
    parser.add_argument("--reward-policy", choices=REWARD_POLICIES, default=None)
    parser.add_argument("--teacher-drive", type=float, default=None,
                        help="mV/ms driving the label's outputs under --reward-policy teacher")
    parser.add_argument("--psp-mv", type=float, default=None,
                        help="potential step of an output for a synapse of weight 1")
    parser.add_argument("--lateral-mv", type=float, default=None,
                        help="lateral inhibition between outputs")
    parser.add_argument("--tau-membrane-ms", type=float, default=None,
                        help="membrane time constant of the outputs")
    parser.add_argument("--tau-eligibility-ms", type=float, default=None,
                        help="decay of the eligibility trace")
    parser.add_argument("--learning-rate", type=float, default=None, help="R-STDP learning rate in 1/s")
    parser.add_argument("--readout-pass", action=argparse.BooleanOptionalAction, default=True,
                        help="train the readout once more on the frozen features")
    parser.add_argument("--readout-passes", type=int, default=1,
                        help="passes over the training images with the features frozen (with "
                             "--readout-pass); the validation split is scored after every pass, "
                             "the test set after the last")
    parser.add_argument("--readout-window", type=int, default=None,
                        help="frozen passes over the last N training images only (the command "
                             "line's labelling window; default all)")
    parser.add_argument("--rate-decay", type=float, default=1.0,
                        help="each frozen pass learns at this factor times the pass before's rate")
    parser.add_argument("--data-dir", default=None, help="folder of the MNIST files")
    parser.add_argument("--build-dir", default=None, help="cache of compiled networks")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    return parser


def readout_from_args(args) -> RewardReadout:
    """Return the default readout with the settings the command line changes."""
    options = {}
    if args.n_per_class is not None:
        options["n_per_class"] = args.n_per_class
    if args.reward_policy is not None:
        options["reward_policy"] = args.reward_policy
    if args.teacher_drive is not None:
        options["teacher_drive"] = args.teacher_drive * mV / ms
    if args.psp_mv is not None:
        options["psp_amplitude"] = args.psp_mv * mV
    if args.lateral_mv is not None:
        options["lateral_inhibition"] = args.lateral_mv * mV
    if args.tau_membrane_ms is not None:
        options["tau_membrane"] = args.tau_membrane_ms * ms
    readout = RewardReadout(**options)
    rule_options = {}
    if args.learning_rate is not None:
        rule_options["learning_rate"] = args.learning_rate / second
    if args.tau_eligibility_ms is not None:
        rule_options["tau_eligibility"] = args.tau_eligibility_ms * ms
    if rule_options:
        readout = replace(readout, rule=replace(readout.rule, **rule_options))
    return readout.validate()


def saved_features(path, readout, X_train, y_train, build_dir=None) -> DiehlCook2015:
    """Return the saved network at `path` with `readout`, fresh, in place of its own.

    Refused (SystemExit) unless the network learned from exactly these training images,
    so that the images scored were never trained on.
    """
    model = DiehlCook2015.load(path, build_dir=build_dir)
    if not model.trained_on(X_train, y_train):
        raise SystemExit(f"{path} did not learn from this split's training images: give the "
                         "--evaluate-on, --validation-block and --train-size it was trained with")
    return model.reset_readout(readout)


def main(argv=None) -> int:
    """Run the comparison and print both accuracies; return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.train_size is None and not args.model:
        args.train_size = 2000  # the screening runs' size
    data = load_mnist(args.data_dir, download=False)
    args.dataset = "mnist"
    split = split_images(data, args)
    X_train, y_train, X_eval, y_eval = split["X_train"], split["y_train"], split["X_eval"], split["y_eval"]
    if args.model and not args.readout_pass:
        parser.error("--model gives a fresh readout, which learns only in the frozen passes: "
                     "drop --no-readout-pass")
    readout = readout_from_args(args)
    started = time.perf_counter()
    if args.model:
        model = saved_features(args.model, readout, X_train, y_train, args.build_dir)
    else:
        model = DiehlCook2015(n_neurons=args.neurons, random_state=args.seed,
                              build_dir=args.build_dir, readout=readout)
        model.fit(X_train, y_train)
    train_seconds = time.perf_counter() - started
    evaluation_seconds = 0.0
    # A fresh readout on saved features has learned nothing before its first pass: not scored.
    first = 1 if args.model else 0
    by_pass = [None] * first
    last = args.readout_passes if args.readout_pass else 0
    for frozen_pass in range(first, last + 1):
        if frozen_pass:
            rule = model.readout.rule
            model.readout = replace(model.readout, rule=replace(
                rule, learning_rate=rule.learning_rate * (args.rate_decay if frozen_pass > 1 else 1)))
            lap = time.perf_counter()
            model.fit_readout(X_train, y_train, last=args.readout_window)
            train_seconds += time.perf_counter() - lap
        if args.evaluate_on == "test" and frozen_pass < last:
            by_pass.append(None)  # the test set is scored once, after the chosen passes
            continue
        lap = time.perf_counter()
        responses = model.responses(X_eval)
        evaluation_seconds += time.perf_counter() - lap
        by_pass.append(accuracy(y_eval, model.predict_from_responses(responses, "rstdp")))
        print(f"after {frozen_pass} frozen passes: R-STDP readout {by_pass[-1]:.4f}", flush=True)
    results = {
        "label_assignment": accuracy(y_eval, model.predict_from_responses(responses)),
        "proportion_weighting": accuracy(
            y_eval, model.predict_from_responses(responses, "proportion_weighting")),
        "rstdp": by_pass[-1],
        "rstdp_no_answer": float((responses.readout_counts.sum(axis=1) == 0).mean()),
    }
    if len(by_pass) > 1:
        results["rstdp_after_each_frozen_pass"] = by_pass
    print(f"{args.evaluate_on.upper()}: label assignment {results['label_assignment']:.3f}, R-STDP "
          f"readout {results['rstdp']:.3f} (no output spike on {results['rstdp_no_answer']:.1%}); "
          f"training {train_seconds:.0f} s")
    if args.name or args.json:
        options = {k: v for k, v in vars(args).items() if k not in ("data_dir", "build_dir", "json")}
        record = script_record(
            "python experiments/rstdp_readout.py", argv, model, arguments=options,
            split=args.evaluate_on, results=results,
            sizes={"train": len(X_train), "epochs": getattr(model, "epochs_", 1),
                   "labelling": len(X_train),
                   "readout_passes": len(by_pass) - 1,
                   args.evaluate_on: len(X_eval)},
            train_seconds=train_seconds, evaluation_seconds=evaluation_seconds)
        folder = Path(__file__).parent / "results" / args.evaluate_on
        out = Path(args.json) if args.json else folder / f"{args.name}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(out, record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
