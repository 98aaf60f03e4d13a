"""Train and evaluate one variant of the Diehl & Cook recipe; write its result record.

    python experiments/run_variant.py --name default --neurons 100
    python experiments/run_variant.py --name lockout50 --spike-lockout-ms 50

Every option maps onto a named parameter of stdp_learn; the defaults are the library's
(the paper's).  Variants are compared on the validation split (the last 10,000 training
images held out, training on the 50,000 before them): that is the default, and
``--evaluate-on test`` must be asked for, for a final figure once a choice is made.  The
record (see `stdp_learn.record`) goes to experiments/results/<split>/<name>.json, and
experiments/README.md keeps the table of what each variant scored.
"""
from __future__ import annotations

import argparse
import sys
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
from stdp_learn.record import script_record, write_json_atomic
from stdp_learn.train import split_images


def build_parser():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--neurons", type=int, default=100)
    parser.add_argument("--train-size", type=int, default=None, help="first N training images (default all)")
    parser.add_argument("--test-size", type=int, default=None,
                        help="first N images of the evaluation split (default all)")
    parser.add_argument("--evaluate-on", choices=("validation", "test"), default="validation",
                        help="validation (default: choose variants here) or test (final figures)")
    parser.add_argument("--validation-size", type=int, default=None)
    parser.add_argument("--validation-block", choices=("last", "first"), default="last",
                        help="the training images held out for validation (as the training command)")
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
    argv = sys.argv[1:] if argv is None else argv
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
    args.dataset = "mnist"
    split = split_images(data, args)
    X_train, y_train, X_eval, y_eval = split["X_train"], split["y_train"], split["X_eval"], split["y_eval"]
    model = DiehlCook2015(n_neurons=args.neurons, rule=rule, params=params, labelling=args.labelling,
                          labelling_window=args.labelling_window, random_state=args.seed)
    started = time.perf_counter()
    model.fit(X_train, y_train, epochs=args.epochs)
    train_seconds = time.perf_counter() - started
    counts = model.transform(X_eval)
    evaluation_seconds = time.perf_counter() - started - train_seconds
    log = model.training_log_
    results = {
        "label_assignment": accuracy(y_eval, model.predict_from_counts(counts)),
        "proportion_weighting": accuracy(y_eval, model.predict_from_counts(counts, "proportion_weighting")),
    }
    if args.labelling == "training":
        # The same network, labelled instead from a frozen pass over the labelling images.
        window = min(args.labelling_window, len(X_train))
        frozen_counts = model.transform(X_train[-window:])
        model.assign_labels(frozen_counts, y_train[-window:])
        results["frozen_labelling"] = accuracy(y_eval, model.predict_from_counts(counts))
    options = {k: v for k, v in vars(args).items() if k not in ("data_dir", "output")}
    record = script_record(
        "python experiments/run_variant.py", argv, model, arguments=options, split=args.evaluate_on,
        sizes={"train": len(X_train), "epochs": args.epochs,
               "labelling": min(args.labelling_window, len(X_train)), args.evaluate_on: len(X_eval)},
        results=results, train_seconds=train_seconds, evaluation_seconds=evaluation_seconds)
    record["name"] = args.name
    record["diagnostics"] = {
        "mean_retries": float(np.mean(log.retries)),
        "max_retries": int(np.max(log.retries)),
        "mean_retries_last_10000": float(np.mean(log.retries[-10_000:])),
        "mean_spikes_last_10000": float(np.mean(log.spikes[-10_000:])),
        "mean_evaluation_spikes": float(counts.sum(axis=1).mean()),
        "theta_mean_mV": float(np.mean(model.theta_ / mV)),
    }
    out = Path(__file__).parent / "results" / args.evaluate_on / f"{args.name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out, record)
    if args.output:
        Path(args.output).mkdir(parents=True, exist_ok=True)
        model.save(Path(args.output) / "model.npz")
    print(f"{args.name}: {args.evaluate_on.upper()} accuracy {results['label_assignment']:.4f} "
          f"on {len(X_eval)} {args.evaluate_on} images; record in {out}")


if __name__ == "__main__":
    main()
