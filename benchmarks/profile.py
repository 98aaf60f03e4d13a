"""Where a training block's time goes, by part of the network, at several network sizes.

    STDP_LEARN_DATA=/path/to/mnist python benchmarks/profile.py --neurons 1600 6400 --images 100

A compiled network built with Brian2's profiling times every code object; this script
trains on the first `--images` MNIST images in one block (learning on, the paper's
protocol) after `--warmup` images, and groups the times by what the code does.  The
table goes into benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time

import numpy as np

#: What each code object does, by the start of its name (Brian2 names them after their
#: group or synapses and their role).
PARTS = (
    ("input -> exc: spike delivery (ge += w, depression)", ("input_exc_pre_codeobject",)),
    ("input -> exc: spike queue push", ("input_exc_pre_push_spikes",)),
    ("input -> exc: potentiation at exc spikes", ("input_exc_post",)),
    ("input -> exc: normalisation (once per slot)", ("input_exc_weight_sum", "input_exc_normalise")),
    ("excitatory neurons: state update", ("exc_stateupdater",)),
    ("excitatory neurons: threshold and reset", ("exc_spike_thresholder", "exc_spike_resetter")),
    ("inhibitory neurons: state update", ("inh_stateupdater",)),
    ("inhibitory neurons: threshold and reset", ("inh_spike_thresholder", "inh_spike_resetter")),
    ("lateral inhibition (inh -> exc)", ("inh_exc", "lateral_inhibition", "schedule_inhibition",
                                         "inh_step_spikes_reset")),
    ("exc -> inh", ("exc_inh",)),
    ("Poisson input: spikes and next-spike draws", ("input_spike_thresholder", "input_spike_resetter",
                                                    "input_slot_start")),
    ("schedule, counters and monitors", ("schedule", "exc_schedule", "inh_schedule",
                                         "input_schedule", "responses", "layer_spikes",
                                         "exc_spike_times", "exc_slot_reset", "inh_slot_reset",
                                         "input_slot_reset")),
)


def profile(n_neurons, X, warmup, build_root):
    from stdp_learn import DiehlCook2015
    from stdp_learn.simulation import StandaloneSimulator

    model = DiehlCook2015(n_neurons=n_neurons, random_state=0)
    params, rule = model._validated()
    block = len(X) - warmup
    simulator = StandaloneSimulator(X.shape[1], n_neurons, params, rule, block,
                                    build_root=build_root, profile=True)
    rng = np.random.default_rng(0)
    from stdp_learn.network import initial_weights, input_delays

    state = simulator.initial_state(initial_weights(X.shape[1], n_neurons, params, rng),
                                    input_delays(X.shape[1], n_neurons, params, rng), rng)
    if warmup:
        state, _ = simulator.run_block(state, X[:warmup], plastic=True, seed=1)
    started = time.perf_counter()
    state, result = simulator.run_block(state, X[warmup:], plastic=True, seed=2)
    wall = time.perf_counter() - started
    times = simulator.profiling_info()
    grouped = {}
    for label, prefixes in PARTS:
        grouped[label] = sum(t for name, t in times.items() if name.startswith(prefixes))
    grouped["other code objects"] = sum(times.values()) - sum(grouped.values())
    return grouped, wall, result.n_consumed, result.slots_used, times


def main(argv=None):
    from stdp_learn import load_mnist

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, nargs="+", default=[1600])
    parser.add_argument("--images", type=int, default=100, help="images of the profiled block")
    parser.add_argument("--warmup", type=int, default=20, help="images trained before it")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--code-objects", action="store_true",
                        help="also list the seconds of every code object")
    args = parser.parse_args(argv)
    X = load_mnist(args.data_dir).X_train[: args.warmup + args.images].reshape(-1, 784).astype(float)
    for n in args.neurons:
        with tempfile.TemporaryDirectory() as build_root:
            grouped, wall, images, slots, times = profile(n, X, args.warmup, build_root)
        total = sum(grouped.values())
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"\nN = {n}: {images} images in {slots} slots, {wall:.1f} s wall for the block "
              f"({images / wall:.1f} images/s), {total:.1f} s in code objects; "
              f"simulation peak {peak:.0f} MB; {os.cpu_count()} cores")
        print("| part | seconds | share | ms per slot |\n| --- | --- | --- | --- |")
        for label, seconds in sorted(grouped.items(), key=lambda item: -item[1]):
            print(f"| {label} | {seconds:.2f} | {seconds / total:.1%} | {1e3 * seconds / slots:.2f} |")
        rest = wall - total
        print(f"| outside code objects (start-up, file input and output, the spike queue's "
              f"advance) | {rest:.2f} | {rest / wall:.1%} of wall | {1e3 * rest / slots:.2f} |")
        if args.code_objects:
            for name, seconds in sorted(times.items(), key=lambda item: -item[1]):
                print(f"    {name:<60}{seconds:8.3f} s")


if __name__ == "__main__":
    main()
