"""Compare the paper's label assignment with a readout layer trained by reward-modulated STDP.

A Diehl & Cook (2015) network learns features from MNIST by pair STDP while a
`RewardReadout` (10 x k output neurons, reward-modulated STDP) learns the classes from
the labels, in the same simulation.  Both readouts are then scored on test images with
learning off:

* label assignment: every excitatory neuron gets the class it responded to most over the
  training images, and an image gets the class whose neurons fired most on average
  (`stdp_learn.readout.predict_all_activity`);
* R-STDP readout: an image gets the class whose output neurons fired most.

With ``--frozen-pass`` the readout goes over the training images a second time on frozen
features (input rates zero, theta fixed), and the labels are assigned from the responses
of that pass.

    STDP_LEARN_DATA=/path/to/mnist python experiments/rstdp_readout.py --train-size 2000 --seed 0

With the compiled device 2,000 training images take about a minute, plus a compile.
Measured (seed 0, 100 neurons, 30 outputs, first 2,000 training and 1,000 test images,
cpp_standalone): label assignment 68.8 %, R-STDP readout 67.2 %; with ``--frozen-pass``
66.1 % and 63.0 %.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace

import numpy as np
from brian2 import mV, second

from stdp_learn.config import NetworkParams
from stdp_learn.data import load_mnist
from stdp_learn.metrics import accuracy
from stdp_learn.network import initial_weights, input_delays
from stdp_learn.plasticity import PairSTDP
from stdp_learn.readout import assign_labels, predict_all_activity
from stdp_learn.reward import REWARD_POLICIES, RewardReadout
from stdp_learn.simulation import NetworkState, make_simulator

__all__ = ["build_parser", "main", "run_pass", "frozen_feature_config"]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of this script."""
    parser = argparse.ArgumentParser(
        description="Train a 100-neuron Diehl & Cook network with an R-STDP readout on MNIST "
                    "and compare label assignment with the readout on test images.",
    )
    parser.add_argument("--train-size", type=int, default=1000, help="training images (first N)")
    parser.add_argument("--test-size", type=int, default=1000, help="test images (first N)")
    parser.add_argument("--seed", type=int, default=0, help="seeds weights, delays and spikes")
    parser.add_argument("--n-neurons", type=int, default=100, help="excitatory neurons")
    parser.add_argument("--n-per-class", type=int, default=3, help="readout neurons per class")
    parser.add_argument("--reward-policy", choices=REWARD_POLICIES, default="first_spike")
    parser.add_argument("--episodic", action=argparse.BooleanOptionalAction, default=True,
                        help="clear reward and eligibility at the start of every slot")
    parser.add_argument("--psp-mv", type=float, default=None,
                        help="potential step of an output for a synapse of weight 1 (default: the readout's)")
    parser.add_argument("--lateral-mv", type=float, default=None,
                        help="lateral inhibition between outputs (default: the readout's)")
    parser.add_argument("--learning-rate", type=float, default=None,
                        help="R-STDP learning rate in 1/s (default: the readout's)")
    parser.add_argument("--frozen-pass", action=argparse.BooleanOptionalAction, default=False,
                        help="train the readout a second time on frozen features")
    parser.add_argument("--device", choices=("auto", "cpp_standalone", "runtime"), default="auto")
    parser.add_argument("--block-size", type=int, default=250, help="slots per simulation call")
    parser.add_argument("--build-dir", default=None, help="cache of compiled networks")
    return parser


def frozen_feature_config(params: NetworkParams):
    """Return (params, rule) under which the excitatory layer keeps its features.

    The input rule learns at rate zero and theta neither grows nor decays, while the
    network's ``plastic`` flag stays on for the readout.  Normalisation still runs, but on
    weights that already have the target sums it changes nothing.
    """
    excitatory = params.excitatory.replace(theta_plus=0 * mV, tau_theta=1e12 * second)
    return params.replace(excitatory=excitatory), PairSTDP(nu_pre=0.0, nu_post=0.0)


def _block_seed(seed, phase, block):
    return int(np.random.SeedSequence([seed, phase, block]).generate_state(1)[0] % 2**31)


def run_pass(simulator, state, images, labels, *, plastic, seed, phase, readout_name):
    """Show `images` in blocks; return (state, exc counts, readout counts, seconds)."""
    exc_counts, readout_counts, done, block = [], [], 0, 0
    started = time.perf_counter()
    while done < images.shape[0]:
        stop = done + simulator.n_slots
        state, result = simulator.run_block(
            state, images[done:stop], plastic=plastic, seed=_block_seed(seed, phase, block),
            labels=None if labels is None else labels[done:stop],
        )
        exc_counts.append(result.counts)
        readout_counts.append(result.extensions[readout_name]["counts"])
        done += result.n_consumed
        block += 1
    return (state, np.concatenate(exc_counts), np.concatenate(readout_counts),
            time.perf_counter() - started)


def _online(readout, counts, labels, last=500):
    # Judged during learning: the reward for an image's first output spike already acts on
    # the rest of its presentation, so this is above what the readout does on new images.
    accuracy_last = accuracy(labels[-last:], readout.predict(counts[-last:]))
    return (f"readout correct while learning on the last {min(last, len(labels))}: "
            f"{accuracy_last:.3f}")


def main(argv=None) -> int:
    """Run the comparison and print both accuracies; return the exit status."""
    args = build_parser().parse_args(argv)
    data = load_mnist(download=False)
    X_train = data.X_train[: args.train_size].reshape(args.train_size, -1).astype(float)
    y_train = data.y_train[: args.train_size]
    X_test = data.X_test[: args.test_size].reshape(args.test_size, -1).astype(float)
    y_test = data.y_test[: args.test_size]
    n_input = X_train.shape[1]

    params, rule = NetworkParams(), PairSTDP()
    options = {}
    if args.psp_mv is not None:
        options["psp_amplitude"] = args.psp_mv * mV
    if args.lateral_mv is not None:
        options["lateral_inhibition"] = args.lateral_mv * mV
    readout = RewardReadout(n_per_class=args.n_per_class, reward_policy=args.reward_policy,
                            episodic=args.episodic, **options)
    if args.learning_rate is not None:
        readout = replace(readout, rule=replace(readout.rule, learning_rate=args.learning_rate / second))
    readout.validate()
    rng = np.random.default_rng(args.seed)
    weights = initial_weights(n_input, args.n_neurons, params, rng)
    delays = input_delays(n_input, args.n_neurons, params, rng)

    def simulator_for(params, rule):
        return make_simulator(args.device, n_input, args.n_neurons, params, rule, args.block_size,
                              build_root=args.build_dir, extensions=[readout])

    simulator = simulator_for(params, rule)
    state = simulator.initial_state(weights, delays, rng)
    print(f"device {simulator.device_name}, {args.n_neurons} neurons, readout "
          f"{readout.n_outputs} outputs ({readout.reward_policy}, episodic={readout.episodic})")

    state, exc_counts, readout_counts, seconds = run_pass(
        simulator, state, X_train, y_train, plastic=True, seed=args.seed, phase=0,
        readout_name=readout.name)
    print(f"joint pass: {exc_counts.sum(axis=1).mean():.1f} excitatory and "
          f"{readout_counts.sum(axis=1).mean():.1f} readout spikes per image")
    print(f"joint pass: {len(y_train)} images in {seconds:.0f} s; "
          f"{_online(readout, readout_counts, y_train)}")

    if args.frozen_pass:
        frozen_params, frozen_rule = frozen_feature_config(params)
        simulator = simulator_for(frozen_params, frozen_rule)
        state.schedule = NetworkState({}).schedule
        state, exc_counts, readout_counts, seconds = run_pass(
            simulator, state, X_train, y_train, plastic=True, seed=args.seed, phase=1,
            readout_name=readout.name)
        print(f"frozen pass: {len(y_train)} images in {seconds:.0f} s; "
              f"{_online(readout, readout_counts, y_train)}")

    assignments, _, _ = assign_labels(exc_counts, y_train)
    state.schedule = NetworkState({}).schedule
    _, test_exc, test_readout, seconds = run_pass(
        simulator, state, X_test, None, plastic=False, seed=args.seed, phase=2,
        readout_name=readout.name)
    label_accuracy = accuracy(y_test, predict_all_activity(test_exc, assignments))
    readout_accuracy = accuracy(y_test, readout.predict(test_readout))
    silent = float(np.mean(test_readout.sum(axis=1) == 0))
    print(f"test: {len(y_test)} images in {seconds:.0f} s")
    print(f"label assignment accuracy {label_accuracy:.3f}")
    print(f"R-STDP readout accuracy   {readout_accuracy:.3f} (no output spike on {silent:.1%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
