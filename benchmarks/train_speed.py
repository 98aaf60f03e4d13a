"""Measure training and testing speed of the Diehl & Cook network on real MNIST images.

    python benchmarks/train_speed.py --neurons 100 400 --train 1000 --test 500

For each network size and available device: training images/s (learning on, the paper's
protocol: 350 + 150 ms per slot at dt 0.5 ms, 0-10 ms input delays, retry below 5 spikes,
normalisation before every presentation), test images/s (learning off), the compile time
of a cold build (empty cache) and of a cached one, and peak memory (the Python process
and the compiled simulation; each size runs in a process of its own, so each peak is that
size's).  Figures are wall-clock seconds of the simulation calls.  ``--record FILE``
writes the rows with the command, code version and machine.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
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


def _measure_in_subprocess(n, device, args):
    """Measure one size in a process of its own, so that its peak memory is its own."""
    command = [sys.executable, __file__, "--one", str(n), "--devices", device,
               "--train", str(args.train), "--test", str(args.test),
               "--block-size", str(args.block_size)]
    if args.data_dir:
        command += ["--data-dir", args.data_dir]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _measure_one(n, device, args):
    from stdp_learn import load_mnist

    data = load_mnist(args.data_dir)
    X_train, X_test = data.X_train[: args.train], data.X_test[: args.test]
    with tempfile.TemporaryDirectory() as build_root:
        row = measure(n, device, X_train, X_test, build_root, args.block_size)
    own, child = _peak_mb()
    row.update(device=device, n_neurons=n, peak_mb_python=own, peak_mb_simulation=child)
    return row


def main(argv=None):
    from stdp_learn.record import code_version, command_line, environment, write_json_atomic
    from stdp_learn.simulation import compiler_available

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, nargs="+", default=[100, 400])
    parser.add_argument("--devices", nargs="+", default=None, help="default: every available device")
    parser.add_argument("--train", type=int, default=1000, help="training images (default 1000)")
    parser.add_argument("--test", type=int, default=500, help="test images (default 500)")
    parser.add_argument("--block-size", type=int, default=500)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--record", default=None,
                        help="also write the rows, command, code version and machine to this JSON file")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    devices = args.devices or (["cpp_standalone"] if compiler_available() else ["runtime"])
    if args.one is not None:  # the child process of one size: print its row as JSON
        print(json.dumps(_measure_one(args.one, devices[0], args)))
        return
    print(f"{args.train} training and {args.test} test images; {os.cpu_count()} cores; "
          f"python {sys.version.split()[0]}")
    header = (f"{'device':<15}{'N':>6}{'train img/s':>13}{'ms/slot':>9}{'test img/s':>12}"
              f"{'compile cold s':>16}{'cached s':>10}{'retries/img':>13}{'peak MB (py/sim)':>18}")
    print(header)
    print("-" * len(header))
    rows = []
    for device in devices:
        for n in args.neurons:
            row = _measure_in_subprocess(n, device, args)
            rows.append(row)
            print(f"{device:<15}{n:>6}{row['train_img_s']:>13.1f}{row['train_ms_per_slot']:>9.1f}"
                  f"{row['test_img_s']:>12.1f}"
                  f"{row['compile_cold_s']:>16.1f}{row['compile_cached_s']:>10.1f}"
                  f"{row['retries_per_image']:>13.2f}"
                  f"{row['peak_mb_python']:>10.0f}/{row['peak_mb_simulation']:<7.0f}", flush=True)
    if args.record:
        write_json_atomic(args.record, {
            "command": command_line(argv, "python benchmarks/train_speed.py"),
            "code": code_version(), "environment": environment(),
            "train_images": args.train, "test_images": args.test, "block_size": args.block_size,
            "rows": rows,
        })


if __name__ == "__main__":
    main()
