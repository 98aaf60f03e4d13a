"""Measure training and testing speed of the Diehl & Cook network on real MNIST images.

    python benchmarks/train_speed.py --neurons 100 400 --train 1000 --test 500

For each network size and available device: training images/s (learning on, the paper's
protocol: 350 + 150 ms per slot at dt 0.5 ms, 0-10 ms input delays, retry below 5 spikes,
normalisation before every presentation), test images/s (learning off), the compile time
of a cold build (empty cache) and of a cached one, and peak memory (this process and the
compiled simulation).  Figures are wall-clock seconds of the simulation calls.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time

import numpy as np


def _peak_mb():
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def measure(n_neurons, device, X_train, X_test, build_root, block_size):
    from stdp_learn import DiehlCook2015

    model = DiehlCook2015(n_neurons=n_neurons, device=device, block_size=block_size,
                          random_state=0, build_dir=build_root)
    started = time.perf_counter()
    model.fit(X_train)
    fit_seconds = time.perf_counter() - started
    simulator = model._simulator(model.n_input_)
    compile_cold = getattr(simulator, "compile_seconds", None) or 0.0
    # the first block's call also compiled the program: that time has its own column
    log = model.training_log_
    train_rate = log.images_seen / (log.seconds - compile_cold)

    # A new model with the same structure: the compiled program is reused from the cache.
    cached = DiehlCook2015(n_neurons=n_neurons, device=device, block_size=block_size,
                           random_state=1, build_dir=build_root)
    cached.fit(X_train[:block_size // 4])
    compile_cached = getattr(cached._simulator(cached.n_input_), "compile_seconds", None) or 0.0

    started = time.perf_counter()
    model.transform(X_test)
    test_rate = len(X_test) / (time.perf_counter() - started)
    return {
        "train_img_s": train_rate,
        "train_img_s_wall": len(X_train) / fit_seconds,
        "train_ms_per_slot": 1e3 * (log.seconds - compile_cold) / log.slots,
        "test_img_s": test_rate,
        "compile_cold_s": compile_cold,
        "compile_cached_s": compile_cached,
        "retries_per_image": float(np.mean(model.training_log_.retries)),
    }


def main(argv=None):
    from stdp_learn import load_mnist
    from stdp_learn.simulation import compiler_available

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, nargs="+", default=[100, 400])
    parser.add_argument("--devices", nargs="+", default=None, help="default: every available device")
    parser.add_argument("--train", type=int, default=1000, help="training images (default 1000)")
    parser.add_argument("--test", type=int, default=500, help="test images (default 500)")
    parser.add_argument("--block-size", type=int, default=500)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args(argv)

    devices = args.devices or (["cpp_standalone"] if compiler_available() else ["runtime"])
    data = load_mnist(args.data_dir)
    X_train, X_test = data.X_train[: args.train], data.X_test[: args.test]
    print(f"{args.train} training and {args.test} test images; {os.cpu_count()} cores; "
          f"python {sys.version.split()[0]}")
    header = (f"{'device':<15}{'N':>6}{'train img/s':>13}{'ms/slot':>9}{'test img/s':>12}"
              f"{'compile cold s':>16}{'cached s':>10}{'retries/img':>13}{'peak MB (py/sim)':>18}")
    print(header)
    print("-" * len(header))
    for device in devices:
        for n in args.neurons:
            with tempfile.TemporaryDirectory() as build_root:
                row = measure(n, device, X_train, X_test, build_root, args.block_size)
            own, child = _peak_mb()
            print(f"{device:<15}{n:>6}{row['train_img_s']:>13.1f}{row['train_ms_per_slot']:>9.1f}"
                  f"{row['test_img_s']:>12.1f}"
                  f"{row['compile_cold_s']:>16.1f}{row['compile_cached_s']:>10.1f}"
                  f"{row['retries_per_image']:>13.2f}{own:>10.0f}/{child:<7.0f}", flush=True)


if __name__ == "__main__":
    main()
