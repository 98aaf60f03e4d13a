"""Compare the paper's label assignment with a readout layer trained by reward-modulated STDP.

A Diehl & Cook (2015) network learns features from MNIST by pair STDP while a
`RewardReadout` (10 x k output neurons, reward-modulated STDP) learns the classes from
the labels in the same presentations; then, unless ``--no-readout-pass``, the readout
learns once more over the training images with the features frozen
(`DiehlCook2015.fit_readout`).  Both readouts are scored on test images with learning off:

* label assignment: every excitatory neuron gets the class it responded to most over the
  training images, and an image gets the class whose neurons fired most on average;
* R-STDP readout: an image gets the class whose output neurons fired most.

The options change one readout setting at a time, to screen variants on the same
features (the readout sends nothing back to the network, so a seed gives the same
features and label assignment whatever the readout):

    STDP_LEARN_DATA=/path/to/mnist python experiments/rstdp_readout.py --train-size 2000 --seed 0
    python experiments/rstdp_readout.py --train-size 2000 --reward-policy first_spike --lateral-mv 20
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace

from brian2 import mV, ms, second

from stdp_learn import DiehlCook2015, load_mnist
from stdp_learn.metrics import accuracy
from stdp_learn.reward import REWARD_POLICIES, RewardReadout

__all__ = ["build_parser", "main", "readout_from_args"]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of this script."""
    parser = argparse.ArgumentParser(
        description="Train a Diehl & Cook network with an R-STDP readout on MNIST and compare "
                    "label assignment with the readout on test images.",
    )
    parser.add_argument("--train-size", type=int, default=2000, help="training images (first N)")
    parser.add_argument("--test-size", type=int, default=1000, help="test images (first N)")
    parser.add_argument("--seed", type=int, default=0, help="seeds weights, delays and spikes")
    parser.add_argument("--neurons", type=int, default=100, help="excitatory neurons")
    parser.add_argument("--n-per-class", type=int, default=None, help="readout neurons per class")
    parser.add_argument("--reward-policy", choices=REWARD_POLICIES, default=None)
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


def main(argv=None) -> int:
    """Run the comparison and print both accuracies; return the exit status."""
    args = build_parser().parse_args(argv)
    data = load_mnist(args.data_dir, download=False)
    X_train, y_train = data.X_train[: args.train_size], data.y_train[: args.train_size]
    X_test, y_test = data.X_test[: args.test_size], data.y_test[: args.test_size]
    readout = readout_from_args(args)
    model = DiehlCook2015(n_neurons=args.neurons, random_state=args.seed, build_dir=args.build_dir,
                          readout=readout)
    started = time.perf_counter()
    model.fit(X_train, y_train)
    if args.readout_pass:
        model.fit_readout(X_train, y_train)
    train_seconds = time.perf_counter() - started
    responses = model.responses(X_test)
    figures = {
        "seed": args.seed,
        "readout": readout.to_dict(),
        "readout_pass": args.readout_pass,
        "label_assignment": accuracy(y_test, model.predict_from_responses(responses)),
        "rstdp": accuracy(y_test, model.predict_from_responses(responses, "rstdp")),
        "rstdp_no_answer": float((responses.readout_counts.sum(axis=1) == 0).mean()),
        "train_seconds": train_seconds,
    }
    print(f"label assignment {figures['label_assignment']:.3f}, R-STDP readout "
          f"{figures['rstdp']:.3f} (no output spike on {figures['rstdp_no_answer']:.1%}); "
          f"training {train_seconds:.0f} s")
    if args.json:
        with open(args.json, "w") as file:
            json.dump(figures, file, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
