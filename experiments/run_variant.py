"""Train and evaluate one variant of the Diehl & Cook recipe; write its metrics as JSON.

    python experiments/run_variant.py --name default --neurons 100
    python experiments/run_variant.py --name lockout50 --spike-lockout-ms 50

Every option maps onto a named parameter of stdp_learn; the defaults are the library's
(the paper's).  Results go to experiments/results/<name>.json, and experiments/README.md
keeps the table of what each variant scored.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from brian2 import Hz, ms, mV

from stdp_learn import (
    ConnectivityParams,
    DiehlCook2015,
    ExcitatoryParams,
    InhibitoryParams,
    NetworkParams,
    PairSTDP,
    PresentationParams,
    load_mnist,
)
from stdp_learn.metrics import accuracy


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--neurons", type=int, default=100)
    parser.add_argument("--train-size", type=int, default=60_000)
    parser.add_argument("--test-size", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--labelling", choices=("training", "frozen"), default="training")
    parser.add_argument("--labelling-window", type=int, default=10_000)
    parser.add_argument("--spike-lockout-ms", type=float, default=0.0)
    parser.add_argument("--integration-method", default="exponential_euler")
    parser.add_argument("--dt-ms", type=float, default=0.5)
    parser.add_argument("--min-spikes", type=int, default=5)
    parser.add_argument("--max-rate-hz", type=float, default=63.75)
    parser.add_argument("--theta-plus-mv", type=float, default=0.05)
    parser.add_argument("--input-delay-max-ms", type=float, default=10.0)
    parser.add_argument("--weight-dependence", default="additive")
    parser.add_argument("--refractory-mode", choices=("hold_v", "no_spike"), default="no_spike",
                        help="excitatory neurons: hold v at reset, or only block spikes "
                             "(Brian 1.4 with the original's reset string)")
    parser.add_argument("--inh-refractory-mode", choices=("hold_v", "no_spike"), default="hold_v",
                        help="inhibitory neurons (Brian 1.4 held v for their one-value reset)")
    parser.add_argument("--nu-pre", type=float, default=1e-4)
    parser.add_argument("--nu-post", type=float, default=1e-2)
    parser.add_argument("--output", default=None, help="folder for the trained model (optional)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    params = NetworkParams(
        excitatory=ExcitatoryParams(spike_lockout=args.spike_lockout_ms * ms,
                                    theta_plus=args.theta_plus_mv * mV,
                                    refractory_mode=args.refractory_mode),
        inhibitory=InhibitoryParams(refractory_mode=args.inh_refractory_mode),
        connectivity=ConnectivityParams(input_delay_max=args.input_delay_max_ms * ms),
        presentation=PresentationParams(dt=args.dt_ms * ms, min_spikes=args.min_spikes,
                                        max_rate=args.max_rate_hz * Hz,
                                        retry_rate_step=args.max_rate_hz / 2 * Hz,
                                        integration_method=args.integration_method),
    )
    rule = PairSTDP(weight_dependence=args.weight_dependence, nu_pre=args.nu_pre, nu_post=args.nu_post)
    data = load_mnist(args.data_dir)
    X_train, y_train = data.X_train[: args.train_size], data.y_train[: args.train_size]
    X_test, y_test = data.X_test[: args.test_size], data.y_test[: args.test_size]
    model = DiehlCook2015(n_neurons=args.neurons, rule=rule, params=params, labelling=args.labelling,
                          labelling_window=args.labelling_window, random_state=args.seed)
    started = time.perf_counter()
    model.fit(X_train, y_train, epochs=args.epochs)
    train_seconds = time.perf_counter() - started
    counts = model.transform(X_test)
    result = {
        "name": args.name,
        "options": vars(args),
        "accuracy": accuracy(y_test, model.predict_from_counts(counts)),
        "accuracy_proportion_weighting": accuracy(y_test, model.predict_from_counts(counts, "proportion_weighting")),
        "train_seconds": train_seconds,
        "images_per_second": model.training_log_.images_per_second,
        "mean_retries": float(np.mean(model.training_log_.retries)),
        "mean_retries_last_10000": float(np.mean(model.training_log_.retries[-10_000:])),
        "mean_spikes_last_10000": float(np.mean(model.training_log_.spikes[-10_000:])),
        "mean_test_spikes": float(counts.sum(axis=1).mean()),
        "theta_mean_mV": float(np.mean(model.theta_ / mV)),
    }
    if args.labelling == "training":
        # The same network, labelled instead from a frozen pass over the labelling images.
        frozen_counts = model.transform(X_train[-args.labelling_window:])
        model.assign_labels(frozen_counts, y_train[-args.labelling_window:])
        result["accuracy_frozen_labelling"] = accuracy(y_test, model.predict_from_counts(counts))
    out = Path(__file__).parent / "results" / f"{args.name}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    if args.output:
        Path(args.output).mkdir(parents=True, exist_ok=True)
        model.save(Path(args.output) / "model.npz")
    print(json.dumps({k: v for k, v in result.items() if k != "options"}, indent=2))


if __name__ == "__main__":
    main()
