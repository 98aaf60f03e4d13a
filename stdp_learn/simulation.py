"""Running blocks of presentations on a Brian2 device.

A block is up to a fixed number of 500 ms slots run in one simulation call.  Each slot
shows one image (a new one, or the previous one again, brighter, after too few spikes); how
many images a block gets through therefore depends on the network.  Once all of its images
are done, the block stops (in the first time step of the next slot) rather than run empty
slots, and the next block starts afresh with its first image.  Between blocks the whole
dynamic state is carried over in numpy arrays, so a run split into blocks, or stopped and
resumed at a block boundary, computes the same thing as one long run.

Extensions (further layers, such as a readout trained by reward) plug in through four
members, and a fifth if they learn: ``build(handle)`` returns their Brian2 objects; ``carried_variables`` maps group
names to the variables carried between blocks (``time_variables`` lists those that hold
times); ``initial_arrays(n_neurons, rng)`` returns their starting values as
``{"group.variable": array}``; ``block_result(handle, slots)`` reads what they did in a
block (`SlotRecord` says which slots showed which image); ``learning_switch`` names the
shared learning flag ``(group, variable)`` that every block sets.

Two back ends share this: `RuntimeSimulator` runs the network in Brian2's runtime mode
(Python drives every time step), and `StandaloneSimulator` compiles it once to C++ with
the ``cpp_standalone`` device (or to CUDA with brian2cuda's ``cuda_standalone``) and
reruns the binary for every block with new images, weights and state through
``device.run(run_args=...)``, without recompiling.
"""
from __future__ import annotations

import atexit
import contextlib
import fcntl
import gc
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import brian2
from brian2 import Quantity, get_device, set_device

from .backend import (
    SPIKE_QUEUES,
    STANDALONE_DEVICES,
    brian2_preferences,
    run_standalone,
    sorted_clocks,
    spike_queue,
    standalone_owner,
)
from .config import ConfigError
from .equations import LONG_AGO, population_state
from .network import NetworkHandle, build_network, presentation_accepted

__all__ = [
    "SpikeTrains",
    "BlockResult",
    "NetworkState",
    "SlotRecord",
    "RuntimeSimulator",
    "StandaloneSimulator",
    "make_simulator",
    "compiler_available",
    "default_build_root",
]

@dataclass
class NetworkState:
    """The dynamic state of a network at a block boundary, in SI units.

    ``arrays`` maps ``"group.variable"`` to a float array; ``schedule`` holds the
    position of the presentation schedule relative to the next block's first image.
    """

    arrays: dict
    schedule: dict = field(
        # "the slot before the first one was accepted": the first slot shows image 0
        default_factory=lambda: {"image_index": -1, "retries": 0, "slot_spikes": 2**30}
    )

    @property
    def weights(self):
        """Return the input weights, shape (n_input, n_neurons)."""
        w = self.arrays["input_exc.w"]
        return w.reshape(self.arrays["input_exc.shape"].astype(int))

    @property
    def theta(self):
        """Return the excitatory thresholds' adaptation theta, in volt."""
        return self.arrays["exc.theta"] * brian2.volt

    def copy(self):
        """Return a deep copy."""
        return NetworkState({k: v.copy() for k, v in self.arrays.items()}, dict(self.schedule))


@dataclass
class BlockResult:
    """What one block did: the images it finished and the responses to them.

    Attributes
    ----------
    n_consumed : int
        Images of the block that were shown and accepted.
    counts : ndarray, shape (n_consumed, n_neurons)
        Excitatory spikes during the accepted presentation of each image.
    retries : ndarray, shape (n_consumed,)
        How many times each image was shown again before it was accepted.
    slots_used : int
        Slots that showed an image (the rest of the block was idle).
    layer_spikes : dict of ndarray, shape (n_consumed,)
        Spikes of the "input", "exc" and "inh" layers for each image, over all its
        slots (retries included) and whole slots (rest included).
    spikes : SpikeTrains
        The excitatory spikes that `counts` counts, with their times.
    unanswered : ndarray of bool, shape (n_consumed,)
        Images accepted at the retry cap with fewer than ``min_spikes`` spikes.
    """

    n_consumed: int
    counts: np.ndarray
    retries: np.ndarray
    slots_used: int
    layer_spikes: dict = field(default_factory=dict)
    extensions: dict = field(default_factory=dict)
    spikes: "SpikeTrains | None" = None
    unanswered: "np.ndarray | None" = None


@dataclass
class SpikeTrains:
    """Excitatory spikes during the accepted presentations of a run of images.

    Spike ``k`` was fired by neuron ``neuron[k]`` at ``time[k]`` seconds after the start of
    the presentation of image ``image[k]``; spikes are ordered by image, then by time.
    """

    image: np.ndarray
    time: np.ndarray
    neuron: np.ndarray

    @classmethod
    def concatenate(cls, parts, n_images_each) -> "SpikeTrains":
        """Join the trains of consecutive runs of `n_images_each` images."""
        offsets = np.concatenate([[0], np.cumsum(n_images_each)[:-1]]).astype(np.int64)
        parts = list(parts)
        if not parts:
            return cls(np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
        return cls(
            np.concatenate([p.image + offset for p, offset in zip(parts, offsets)]),
            np.concatenate([p.time for p in parts]),
            np.concatenate([p.neuron for p in parts]),
        )

    def counts(self, n_images, n_neurons) -> np.ndarray:
        """Return the spikes of each neuron per image, shape (n_images, n_neurons)."""
        counts = np.zeros((n_images, n_neurons), dtype=np.int64)
        np.add.at(counts, (self.image, self.neuron), 1)
        return counts


@dataclass
class SlotRecord:
    """Which image every slot of a block showed, and which presentations were accepted."""

    image_index: np.ndarray   # (n_run,) row of the block's images shown in each slot begun
    retries: np.ndarray       # (n_run,)
    valid: np.ndarray         # (n_run,) the slot showed an image (not padding)
    accepted: np.ndarray      # (n_run,) the slot's presentation was accepted
    n_consumed: int


#: Bytes per input synapse at peak, measured: 876 MB for the Python process and 818 MB
#: for the compiled program at 784 x 6,400 synapses (benchmarks/README.md), summed: the
#: simulator's state arrays, the block's input files and Brian2's copies of each variable.
BYTES_PER_SYNAPSE = 350


def memory_estimate(n_input, n_neurons, extensions=()) -> int:
    """Return the bytes a network of this size needs at peak, about (see BYTES_PER_SYNAPSE)."""
    synapses = int(n_input) * int(n_neurons)
    return synapses * BYTES_PER_SYNAPSE + 100 * 2**20  # plus the interpreter and Brian2


def memory_available() -> int | None:
    """Return the bytes this process may still use: free memory, a cgroup or ulimit cap."""
    import resource

    limits = []
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
    except OSError:
        pass
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        limits.append(soft)
    try:
        text = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if text != "max":
            limits.append(int(text))
    except (OSError, ValueError):
        pass
    return min(limits) if limits else None


def check_memory(n_input, n_neurons, extensions=()):
    """Raise `ConfigError` before building a network that cannot fit in memory."""
    needed, available = memory_estimate(n_input, n_neurons, extensions), memory_available()
    if available is not None and needed > available:
        raise ConfigError(
            f"a network of {n_neurons} neurons on {n_input} inputs needs about "
            f"{needed / 2**30:.1f} GiB, and this process can use {available / 2**30:.1f} GiB; "
            "use fewer neurons or a machine with more memory"
        )


def compiler_available() -> bool:
    """Return whether a C++ compiler for the cpp_standalone device is on this machine."""
    return any(shutil.which(c) for c in ("g++", "c++", "clang++"))


def default_build_root() -> Path:
    """Return the folder that caches compiled networks ($STDP_LEARN_BUILD or the user cache)."""
    root = os.environ.get("STDP_LEARN_BUILD")
    if root:
        return Path(root)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(cache) / "stdp_learn" / "builds"


class _Simulator:
    """Shared logic: building, state transfer and reading a block's results."""

    device_name = ""

    def __init__(self, n_input, n_neurons, params, rule, n_slots, extensions=(), encoder=None,
                 connectivity=None):
        from .connectivity import AllToAll
        from .encoding import PoissonEncoder

        self.encoder = encoder if encoder is not None else PoissonEncoder()
        self.connectivity = connectivity if connectivity is not None else AllToAll()
        self.extensions = tuple(extensions)
        self.n_input = int(n_input)
        self.n_neurons = int(n_neurons)
        self.params = params
        self.rule = rule
        self.n_slots = int(n_slots)
        self.handle: NetworkHandle | None = None
        # The input synapses' entries of the dense (n_input, n_neurons) state arrays, in
        # the network's synapse order (checks the network's size against the connectivity).
        self._synapse_index = self.connectivity.synapse_index(self.n_input, self.n_neurons)
        # ascending and unique: as many as the entries means every entry, in order
        self._every_entry = self._synapse_index.size == self.n_input * self.n_neurons
        pres = params.presentation
        self._steps_per_slot = int(round(float(pres.slot_duration / pres.dt)))
        self._steps_on = int(round(float(pres.presentation_time / pres.dt)))

    # -- state --------------------------------------------------------------------------
    def _populations(self):
        return population_state(self.rule, self.encoder)

    def _carried(self):
        # Times of last events are carried relative to the end of the block, because
        # every block's clock starts again at zero (see `_time_variables`).
        carried = {group: tuple(v.name for v in variables if v.carried)
                   for group, variables in self._populations().items()}
        carried["input_exc"] = ("w",) + tuple(self.rule.state_variables)
        for extension in self.extensions:
            carried.update(extension.carried_variables)
        return carried

    def _time_variables(self):
        names = {v.name for variables in self._populations().values() for v in variables if v.time}
        names |= set(self.rule.time_variables)
        for extension in self.extensions:
            names |= set(extension.time_variables)
        return names

    def initial_state(self, weights, delays, rng=None) -> NetworkState:
        """Return the state of a new network with these input weights and delays.

        `rng` (a numpy Generator) draws the extensions' initial values.
        """
        sizes = {"exc": self.n_neurons, "inh": self.n_neurons, "input": self.n_input}
        arrays = {}
        for group, variables in self._populations().items():
            for variable in variables:
                if variable.carried:
                    arrays[f"{group}.{variable.name}"] = np.full(
                        sizes[group], variable.initial_value(self.params))
        index = self._synapse_index
        arrays.update({
            "input_exc.w": self._dense(np.asarray(weights, dtype=float).ravel()[index]),
            "input_exc.delay": self._dense(np.asarray(delays, dtype=float).ravel()[index]),
            "input_exc.shape": np.array(weights.shape, dtype=float),
        })
        for name in self.rule.state_variables:
            start = LONG_AGO if name in self.rule.time_variables else 0.0
            arrays[f"input_exc.{name}"] = self._dense(np.full(index.size, start))
        for extension in self.extensions:
            arrays.update(extension.initial_arrays(self.n_neurons,
                                                   rng if rng is not None else np.random.default_rng(0)))
        return NetworkState(arrays)

    def _dense(self, values, dense=None) -> np.ndarray:
        """Return the input synapses' `values` scattered into a dense flat array.

        The entries of absent synapses are zero, or those of `dense` when given; where
        every entry is a synapse (all-to-all), `values` are the dense array.
        """
        index = self._synapse_index
        if self._every_entry:
            return np.array(values, dtype=float)
        out = (np.zeros(self.n_input * self.n_neurons) if dense is None
               else np.array(dense, dtype=float))
        out[index] = values
        return out

    def _read_state(self, previous: NetworkState, t_end: float) -> NetworkState:
        arrays = dict(previous.arrays)
        for group_name, names in self._carried().items():
            group = self.handle[group_name]
            for name in names:
                value = np.array(group.variables[name].get_value(), dtype=float)
                if name in self._time_variables():
                    value = value - t_end
                key = f"{group_name}.{name}"
                if group_name == "input_exc":  # back into the dense arrays
                    value = self._dense(value, arrays[key])
                arrays[key] = value
        return NetworkState(arrays, previous.schedule)

    # -- results ------------------------------------------------------------------------
    def _block_result(self, n_images) -> tuple[BlockResult, dict, float]:
        handle = self.handle
        log = handle["schedule_log"]
        image_index = np.asarray(log.image_index[0], dtype=np.int64)
        retries = np.asarray(log.retries[0], dtype=np.int64)
        n_run = image_index.size  # slots begun: fewer than n_slots when the block ended early
        # responses[k] holds the counts of slot k - 1 (recorded as slot k starts); the last
        # slot's counts are still in the neurons.
        recorded = np.asarray(handle["responses"].presentation_spikes[:], dtype=np.int64).T
        final = np.asarray(handle["exc"].variables["presentation_spikes"].get_value(), dtype=np.int64)
        counts = np.vstack([recorded[1:], final[np.newaxis, :]])
        final_spikes = int(final.sum())

        # A slot is accepted when the next slot moved on to the next image; the last slot's
        # fate is decided by the next block, from the carried schedule state.
        moved_on = np.zeros(n_run, dtype=bool)
        moved_on[:-1] = image_index[1:] != image_index[:-1]
        pres = self.params.presentation
        moved_on[-1] = presentation_accepted(final_spikes, int(retries[-1]), pres)
        valid = image_index < n_images
        accepted = moved_on & valid
        n_consumed = int(accepted.sum())
        if not np.array_equal(image_index[accepted], np.arange(n_consumed)):
            raise RuntimeError("the presentation schedule skipped an image")  # invariant

        ended_early = n_run > 0 and int(image_index[-1]) >= n_images
        if ended_early:
            # the slot after the last image stopped the simulation in its first time step
            steps = (n_run - 1) * self._steps_per_slot + 1
            next_schedule = NetworkState({}).schedule  # every image done: start afresh
        else:
            steps = self.n_slots * self._steps_per_slot
            next_schedule = {
                "image_index": int(image_index[-1]) - n_consumed,
                "retries": int(retries[-1]),
                "slot_spikes": 0,  # the carried presentation_spikes are summed again
            }
        # Layer totals, recorded like the responses: entry k is slot k - 1.
        totals = handle["layer_spikes"]
        layer_spikes = {}
        for layer in ("input", "exc", "inh"):
            recorded_total = np.asarray(getattr(totals, f"{layer}_spikes")[0], dtype=np.int64)
            final_total = int(handle[layer].variables["slot_spike_count"].get_value().sum())
            per_slot = np.append(recorded_total[1:], final_total)
            layer_spikes[layer] = np.bincount(
                image_index[valid], weights=per_slot[valid], minlength=n_consumed
            )[:n_consumed].astype(np.int64)
        slots = SlotRecord(image_index, retries, valid, accepted, n_consumed)
        spikes = self._presentation_spikes(image_index, accepted)
        accepted_counts = counts[accepted]
        result = BlockResult(
            n_consumed=n_consumed,
            counts=accepted_counts,
            retries=retries[accepted],
            unanswered=accepted_counts.sum(axis=1) < pres.min_spikes,
            slots_used=int(valid.sum()),
            layer_spikes=layer_spikes,
            extensions={ext.name: ext.block_result(handle, slots) for ext in self.extensions},
            spikes=spikes,
        )
        return result, next_schedule, steps * float(self.params.presentation.dt)

    def _presentation_spikes(self, image_index, accepted) -> SpikeTrains:
        """Return the excitatory spikes of the accepted presentations, timed from their start."""
        monitor = self.handle["exc_spike_times"]
        times = np.asarray(monitor.t_[:], dtype=float)
        neurons = np.asarray(monitor.i[:], dtype=np.int64)
        pres = self.params.presentation
        dt = float(pres.dt)
        steps_per_slot = int(round(float(pres.slot_duration) / dt))
        slot = np.round(times / dt).astype(np.int64) // steps_per_slot
        # the same comparison, in the same floating point, as the neurons' presentation count
        since_start = times - (slot * steps_per_slot).astype(float) * dt
        keep = (slot < self.n_slots) & (since_start < float(pres.presentation_time))
        keep[keep] = accepted[slot[keep]]
        order = np.lexsort((times[keep], image_index[slot[keep]]))
        since_start = np.maximum(since_start[keep][order], 0.0)  # a slot's first step: 0, not -1e-18
        return SpikeTrains(image_index[slot[keep]][order], since_start, neurons[keep][order])

    # -- driving ------------------------------------------------------------------------
    def _check_block(self, images, labels):
        images = np.asarray(images)
        if images.ndim != 2 or images.shape[1] != self.n_input:
            raise ValueError(
                f"images must have shape (n, {self.n_input}), got {images.shape}"
            )
        if images.shape[0] > self.n_slots:
            raise ValueError(f"a block holds at most {self.n_slots} images, got {images.shape[0]}")
        padded = np.zeros((self.n_slots, self.n_input))
        padded[: images.shape[0]] = images
        padded_labels = np.full(self.n_slots + 1, -1.0)
        if labels is not None:
            labels = np.asarray(labels)
            if labels.shape != (images.shape[0],):
                raise ValueError(f"labels must have shape ({images.shape[0]},), got {labels.shape}")
            padded_labels[: images.shape[0]] = labels
        return padded, padded_labels, images.shape[0]

    def run_block(self, state: NetworkState, images, *, plastic: bool, seed: int, labels=None,
                  extensions_plastic: bool | None = None):
        """Run one block of slots from `state`, showing `images` in order.

        Parameters
        ----------
        state : NetworkState
            The state to start from (not modified).
        images : ndarray, shape (n, n_input)
            Pixel values 0-255 of the next images; at most `n_slots` are used.
        plastic : bool
            Learn (training) or keep weights and thresholds fixed (testing).
        seed : int
            Seed of the block's random numbers.
        labels : ndarray of int, shape (n,), optional
            Classes of the images, for extensions that learn from reward (-1: unknown).
        extensions_plastic : bool, optional
            Whether the extensions learn (default: as `plastic`); ``plastic=False,
            extensions_plastic=True`` trains a readout on frozen features.

        Returns
        -------
        (NetworkState, BlockResult)
            The state after the block and what happened in it.
        """
        padded, padded_labels, n_images = self._check_block(images, labels)
        learning = (bool(plastic), bool(plastic if extensions_plastic is None else extensions_plastic))
        self._run(state, padded, padded_labels, n_images, learning, int(seed))
        result, next_schedule, t_end = self._block_result(n_images)
        new_state = self._read_state(state, t_end)
        new_state.schedule = next_schedule
        return new_state, result

    def _values(self, state, learning, n_images):
        """Return {(group name, variable): SI value} to set before a block.

        `learning` is (features learn, extensions learn).
        """
        values = {}
        for group_name, names in self._carried().items():
            for name in names:
                values[(group_name, name)] = state.arrays[f"{group_name}.{name}"]
        values[("input_exc", "axonal_delay")] = state.arrays["input_exc.delay"]
        for (group_name, name), value in values.items():
            if group_name == "input_exc" and not self._every_entry:
                values[(group_name, name)] = value[self._synapse_index]  # the synapses' entries
        features_plastic, extensions_plastic = learning
        values[("exc", "plastic")] = features_plastic
        for extension in self.extensions:
            switch = getattr(extension, "learning_switch", None)  # extensions that learn
            if switch is not None:
                values[switch] = extensions_plastic
        for name, value in state.schedule.items():
            values[("schedule", name)] = value
        values[("schedule", "n_images")] = n_images
        return values


class RuntimeSimulator(_Simulator):
    """Run blocks in Brian2's runtime mode (numpy code generation, Python per time step)."""

    device_name = "runtime"

    def use_results_directory(self, name):
        """Runtime mode keeps results in memory: nothing to do."""

    def _ensure_built(self, delays):
        if get_device() is not brian2.devices.all_devices["runtime"]:
            # a compiled build elsewhere switched the global device: switch back, and that
            # compiled build must rebuild when it runs again
            standalone_owner.release()
        if self.handle is not None:
            return
        self.handle = build_network(
            self.n_input, self.n_neurons, self.params, self.rule, self.n_slots,
            weights=np.zeros((self.n_input, self.n_neurons)), delays=delays,
            extensions=self.extensions, encoder=self.encoder, connectivity=self.connectivity,
        )
        self.handle.network.store("block_start")

    def _run(self, state, padded, padded_labels, n_images, learning, seed):
        shape = state.arrays["input_exc.shape"].astype(int)
        self._ensure_built(state.arrays["input_exc.delay"].reshape(shape))
        handle = self.handle
        handle.network.restore("block_start")  # clock and monitors back to zero
        # the numpy implementation of a TimedArray reads these arrays at every call
        handle.block_images.values[:] = padded
        handle.block_labels.values[:] = padded_labels
        for (group_name, name), value in self._values(state, learning, n_images).items():
            variable = handle[group_name].variables[name]
            variable.set_value(np.asarray(value, dtype=variable.dtype))
        brian2.seed(seed)
        # Brian2 would end the run early on Ctrl-C and return as if the block were whole
        # numpy code generation: the network is rebuilt for no other target.  Brian2 would
        # end the run early on Ctrl-C and return as if the block were whole.
        with brian2_preferences(codegen__target="numpy", core__stop_on_keyboard_interrupt=False):
            handle.network.run(self.n_slots * self.params.presentation.slot_duration, namespace={})


@contextlib.contextmanager
def _exclusive(lock_path):
    """Hold an exclusive lock on `lock_path` (other processes wait; released if we die)."""
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_WORK_PREFIX = "work-"


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _host_name() -> str:
    """This machine's name as it appears in work folders' names (no dashes)."""
    return re.sub(r"[^A-Za-z0-9_.]", "_", socket.gethostname()) or "host"


def _remove_stale_work_folders(build_dir):
    """Remove the work folders of processes that ended without removing their own.

    Only this machine's processes can be checked: the workers of a cluster may share a
    build folder, and a process id says nothing about another machine's processes.
    """
    host = _host_name()
    for folder in build_dir.glob(_WORK_PREFIX + "*"):
        fields = folder.name[len(_WORK_PREFIX):].split("-")
        try:
            pid = int(fields[0])
        except ValueError:
            continue
        # work-<pid>-<host>-<token>; folders of earlier versions, work-<pid>-<token>, are local
        if len(fields) >= 3 and "-".join(fields[1:-1]) != host:
            continue
        if not _process_alive(pid):
            shutil.rmtree(folder, ignore_errors=True)


def _make_work_folder(build_dir) -> Path:
    """Return a new folder holding this process's copy of the compiled program.

    The shared build folder is only read once built: each process runs its own copy of
    ``main`` and of the static arrays, and Brian2 writes a block's input files
    (``static_arrays/init_*``) and its results into this folder, so runs of the same
    network in other processes never see them.
    """
    work = build_dir / f"{_WORK_PREFIX}{os.getpid()}-{_host_name()}-{secrets.token_hex(4)}"
    (work / "results").mkdir(parents=True)
    shutil.copy2(build_dir / "main", work / "main")
    shutil.copytree(build_dir / "static_arrays", work / "static_arrays",
                    ignore=shutil.ignore_patterns("init_*", "*.lock"))
    atexit.register(shutil.rmtree, work, True)
    return work


class StandaloneSimulator(_Simulator):
    """Run blocks as a compiled program: C++ (Brian2's cpp_standalone device) or CUDA
    (brian2cuda's cuda_standalone device), chosen by `device`.

    The program is generated and compiled once per network structure into a cache folder
    keyed by everything that changes the generated code, under a lock, so that processes
    building the same network wait for each other; every block reruns the program with
    new values through ``device.run(run_args=...)``, from a work folder of this process's
    own (see `_make_work_folder`).  The two devices share all of this; what differs (the
    spike queue, the seeding code, the compiler preferences) is chosen by `device`.
    """

    device_name = "cpp_standalone"

    def __init__(self, n_input, n_neurons, params, rule, n_slots, extensions=(), build_root=None,
                 spike_queue=None, encoder=None, connectivity=None, profile=False,
                 device="cpp_standalone"):
        super().__init__(n_input, n_neurons, params, rule, n_slots, extensions, encoder, connectivity)
        if device not in STANDALONE_DEVICES:
            raise ConfigError(f"device must be one of {STANDALONE_DEVICES}, got {device!r}")
        self.device_name = device
        if spike_queue is None:
            spike_queue = "sorted" if device == "cpp_standalone" else "brian2"
        if spike_queue not in SPIKE_QUEUES:
            raise ConfigError(f"spike_queue must be one of {SPIKE_QUEUES}, got {spike_queue!r}")
        if device == "cuda_standalone" and spike_queue != "brian2":
            # cpp/spikequeue.h replaces Brian2's C++ queue; brian2cuda's queue is GPU code
            # of its own (which already groups a spike's synapses by delay, in bundles)
            raise ConfigError("device 'cuda_standalone' uses brian2cuda's spike queue: "
                              "spike_queue must be 'brian2'")
        self.spike_queue = spike_queue
        # Brian2 times every code object of a profiled build (benchmarks/profile.py)
        self.profile = bool(profile)
        self.build_root = Path(build_root) if build_root else default_build_root()
        self.build_dir = self.build_root / self._structure_key()
        self.work_dir: Path | None = None
        self.compile_seconds = None

    def _structure_key(self) -> str:
        description = {
            "n_input": self.n_input,
            "n_neurons": self.n_neurons,
            "n_slots": self.n_slots,
            "params": self.params.to_dict(),
            "rule": self.rule.to_dict(),
            "extensions": [ext.to_dict() for ext in self.extensions],
            "encoder": self.encoder.to_dict(),
            "connectivity": self.connectivity.to_dict(),
            "brian2": brian2.__version__,
            "spike_queue": self.spike_queue,
            "format": 3,
        }
        if self.profile:
            description["profile"] = True
        if self.device_name != "cpp_standalone":  # the C++ builds keep their folders
            import brian2cuda

            description["device"] = self.device_name
            description["brian2cuda"] = brian2cuda.__version__
        text = json.dumps(description, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def _ensure_built(self, delays):
        if standalone_owner.holds(self):
            return
        start = time.perf_counter()
        self._build(delays, compile=True)
        self.compile_seconds = time.perf_counter() - start

    def generate(self, delays):
        """Write the program's source files for a network with these input delays into
        the build folder, without compiling them.

        Code generation needs no compiler, and for ``cuda_standalone`` no GPU (given
        brian2cuda's preferences for one: ``devices.cuda_standalone.cuda_backend``);
        the next block compiles the program again.
        """
        self._build(np.asarray(delays, dtype=float), compile=False)
        standalone_owner.release()

    def _build(self, delays, compile):
        standalone_owner.claim(self)
        self.handle = None
        # Objects of an earlier build still alive keep their names, and the new ones would
        # be renamed (input_1, ...), changing every file of the cached build: free them,
        # the code objects the other standalone device still holds included.
        for name in STANDALONE_DEVICES:
            if name in brian2.devices.all_devices:
                brian2.devices.all_devices[name].reinit()
        gc.collect()
        self.build_dir.mkdir(parents=True, exist_ok=True)
        set_device(self.device_name, directory=str(self.build_dir), build_on_run=False)
        preferences = dict(
            # Ctrl-C must kill the program, not end the block early with partial results
            core__stop_on_keyboard_interrupt=False,
            # One thread: with OpenMP the barrier at every 0.5 ms step costs more than it
            # saves (brian2cuda refuses any other value).
            devices__cpp_standalone__openmp_threads=0,
            # Brian2 runs `make -j` without a limit; bound the compile jobs by the cores.
            devices__cpp_standalone__extra_make_args_unix=["-j", str(os.cpu_count() or 1)],
        )
        link_args = list(brian2.prefs.codegen.cpp.extra_link_args)
        if self.device_name == "cpp_standalone" and "-ffast-math" not in link_args:
            # Linked with -ffast-math, the program flushes subnormal numbers to zero.  The
            # conductances of a silent neuron decay into that range, where every operation
            # on them takes a slow path in the processor: 10 % of the running time at N = 400.
            # Not for CUDA: there nvcc links, and it refuses the flag ("nvcc fatal: Unknown
            # option '-ffast-math'"); the neurons are integrated on the GPU anyway.
            preferences["codegen__cpp__extra_link_args"] = link_args + ["-ffast-math"]
        with brian2_preferences(**preferences):
            self._generate(delays, compile)

    def _generate(self, delays, compile):
        device = get_device()
        self.handle = build_network(
            self.n_input, self.n_neurons, self.params, self.rule, self.n_slots,
            weights=np.zeros((self.n_input, self.n_neurons)), delays=delays,
            extensions=self.extensions, encoder=self.encoder, connectivity=self.connectivity,
        )
        device.apply_run_args()
        # The pathway's delays cannot be set from the command line: copy them from the
        # synaptic variable that can, before the spike queue is prepared.
        synapses = self.handle["input_exc"]
        delay_array = device.get_array_name(synapses.pre.variables["delay"], access_data=False)
        source_array = device.get_array_name(synapses.variables["axonal_delay"], access_data=False)
        device.insert_code(
            "main",
            f"for (size_t k = 0; k < brian::{source_array}.size(); k++)"
            f" brian::{delay_array}[k] = brian::{source_array}[k];",
        )
        # Seed the random numbers from a variable, so every block draws its own stream.
        seed_array = device.get_array_name(self.handle["schedule"].variables["random_seed"])
        seed_code = _SEED_CODE[self.device_name].format(seed=f"brian::{seed_array}[0]")
        device.insert_code("main", seed_code)
        self.handle.network.run(self.n_slots * self.params.presentation.slot_duration, namespace={},
                                profile=self.profile)
        sorted_clocks(device)  # a cached build's main.cpp stays as it is
        with _exclusive(self.build_dir.parent / f"{self.build_dir.name}.lock"):
            _remove_stale_work_folders(self.build_dir)
            with spike_queue(device, self.spike_queue):
                device.build(directory=str(self.build_dir), compile=compile, run=False,
                             with_output=False)
            self._drop_work_folder()
            if compile:
                self.work_dir = _make_work_folder(self.build_dir)

    def _run(self, state, padded, padded_labels, n_images, learning, seed):
        shape = state.arrays["input_exc.shape"].astype(int)
        self._ensure_built(state.arrays["input_exc.delay"].reshape(shape))
        handle = self.handle
        run_args = {handle.block_images: padded, handle.block_labels: padded_labels}
        values = self._values(state, learning, n_images)
        values[("schedule", "random_seed")] = seed
        for (group_name, name), value in values.items():
            group = handle[group_name]
            variable = group.variables[name]
            key = getattr(group, name)
            array = np.asarray(value, dtype=variable.dtype)
            run_args[key] = Quantity(array, dim=variable.dim)
        device = get_device()
        run_standalone(device, self.work_dir, self._results_directory, run_args, handle.network)
        if not self._parallel:
            device.delete(code=False, data=False, run_args=True, directory=False)

    _results_directory = "results"
    _parallel = False

    def profiling_info(self) -> dict:
        """Return {code object: seconds} of the last block of a profiled build."""
        path = self.work_dir / self._results_directory / "profiling_info.txt"
        times = {}
        for line in path.read_text().splitlines():
            name, _, seconds = line.strip().rpartition("\t")
            if name:
                times[name] = float(seconds)
        return times

    def use_results_directory(self, name):
        """Write this process's results to `name` inside the build folder (parallel runs)."""
        if self._parallel:
            self._results_directory = name

    def prepare_parallel(self, state):
        """Let forked processes run the program side by side, each with its own results.

        The program is built here first, for the network of `state`: processes forked
        before it exists would each build it, into the same folder at the same time.
        """
        shape = state.arrays["input_exc.shape"].astype(int)
        self._ensure_built(state.arrays["input_exc.delay"].reshape(shape))
        self._parallel = True

    def finish_parallel(self):
        """Remove the input files and results the parallel runs left behind."""
        self._parallel = False
        for path in (self.work_dir / "static_arrays").glob("init_*"):
            path.unlink(missing_ok=True)
        for path in self.work_dir.glob("results_*"):
            shutil.rmtree(path, ignore_errors=True)

    def _drop_work_folder(self):
        if self.work_dir is not None:
            shutil.rmtree(self.work_dir, ignore_errors=True)
            self.work_dir = None


#: C++ that seeds the program's random numbers from ``{seed}`` before the block runs.
_SEED_CODE = {
    "cpp_standalone": "brian::_random_generators[0].seed((unsigned long) {seed});",
    # brian2cuda draws from cuRAND; the line its own seed() writes into main
    "cuda_standalone": "brian::random_number_buffer.set_seed((unsigned long long) {seed});",
}


def _nvidia_gpus() -> list:
    """Return the NVIDIA GPUs that ``nvidia-smi -L`` lists (none without the driver)."""
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return []
    if listing.returncode != 0:
        return []
    return [line for line in listing.stdout.splitlines() if line.startswith("GPU ")]


def _check_cuda():
    """Raise `ConfigError` in one line where the CUDA device cannot run here."""
    try:
        import brian2cuda  # noqa: F401
    except ImportError:
        raise ConfigError(
            "device 'cuda_standalone' needs the brian2cuda package, which is not installed "
            "(it requires Python 3.12 or newer with brian2 2.10.1) and an NVIDIA GPU; use "
            "'cpp_standalone' (compiled C++, the default) or 'runtime'"
        ) from None
    if not _nvidia_gpus():
        raise ConfigError(
            "device 'cuda_standalone': brian2cuda is installed but no NVIDIA GPU was found "
            "(nvidia-smi lists none); use 'cpp_standalone' or 'runtime'"
        )
    from brian2cuda.utils.gputools import get_nvcc_path

    try:
        nvcc = get_nvcc_path()
    except RuntimeError:
        nvcc = None
    if nvcc is None or not os.path.exists(nvcc):
        raise ConfigError(
            "device 'cuda_standalone': brian2cuda and a GPU are here but not nvcc, the CUDA "
            "compiler (set CUDA_PATH to the CUDA toolkit); use 'cpp_standalone' or 'runtime'"
        )


def check_device(device) -> str:
    """Return the device that `device` names on this machine, or raise `ConfigError`."""
    if device == "auto":
        return "cpp_standalone" if compiler_available() else "runtime"
    if device == "cuda_standalone":
        _check_cuda()
        return device
    if device == "cpp_standalone" and not compiler_available():
        raise ConfigError("device 'cpp_standalone' needs a C++ compiler (g++ or clang++); use 'runtime'")
    if device not in ("runtime", "cpp_standalone"):
        raise ConfigError(f"unknown device {device!r}; choose 'auto', 'runtime', 'cpp_standalone' "
                          "or 'cuda_standalone'")
    return device


def make_simulator(device, n_input, n_neurons, params, rule, n_slots, build_root=None,
                   extensions=(), encoder=None, connectivity=None):
    """Return the simulator for ``device``: "runtime", "cpp_standalone", "cuda_standalone"
    or "auto"."""
    device = check_device(device)
    check_memory(n_input, n_neurons, extensions)
    if device == "runtime":
        return RuntimeSimulator(n_input, n_neurons, params, rule, n_slots, extensions,
                                encoder=encoder, connectivity=connectivity)
    return StandaloneSimulator(n_input, n_neurons, params, rule, n_slots, extensions, build_root,
                               encoder=encoder, connectivity=connectivity, device=device)
