"""Everything that reaches into Brian2's internals, in one place, each with its reason.

Checked against Brian2 2.9.0 (Python 3.11), 2.10.1 (Python 3.12) and 2.11.0 (Python 3.13).
A Brian2 upgrade has these places to look at:

* `end_block`: C++ that sets ``Network::_globally_stopped`` (the stop flag both devices
  read between time steps), so a block ends once its images are done.  On brian2cuda's
  device the GPU marks it in device memory and `end_block_code_object`'s template
  (``cuda/stateupdate.cu``) sets the flag on the host.
* `simulation_clock_name`: on brian2cuda's device the time-step clock is called
  ``defaultclock``, the name brian2cuda's synapses template expects.
* `StableClock`: a clock whose hash does not change between processes, because the
  compiled device writes clocks into main.cpp in set order.
* `sorted_clocks`: the device's clock list, sorted for the same reason.
* `brian2_preferences`: preferences set for a block and restored after it.
* `spike_queue`: the compiled device's ``copy_source_files``, replaced while it builds,
  to install our spike queue (``cpp/spikequeue.h``).  Brian2 2.10 splits its queue into
  ``brianlib/spikequeue.h`` and ``spikequeue.cpp``, whose stream operators (the queue's
  state, written with a run's results) compile against our header: it declares them.
* `run_standalone`: ``device.project_dir`` pointed at a process's own work folder, and the
  shapes Brian2 remembers for monitors' 2-d arrays reset after every run.
* `StandaloneOwner`: which simulator's build the single global compiled device holds.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import zlib
from pathlib import Path

import brian2
import numpy as np
from brian2 import Clock, StateMonitor, check_units, declare_types, get_device, implementation
from brian2 import stop as brian2_stop

__all__ = ["SPIKE_QUEUES", "STANDALONE_DEVICES", "StableClock", "StandaloneOwner",
           "brian2_preferences", "end_block", "end_block_code_object", "run_standalone",
           "simulation_clock_name", "sorted_clocks", "spike_queue", "standalone_owner"]

#: The compiled devices: Brian2's C++ and brian2cuda's CUDA (an optional package).
STANDALONE_DEVICES = ("cpp_standalone", "cuda_standalone")


# Every image of the block was shown and accepted: the simulation stops after this time
# step, instead of running the block's remaining slots without input.  The stop takes
# effect once the step is complete (both devices check the flag between steps).
_END_BLOCK_CPP = """
int end_block(const int done)
{
    if (done)
        Network::_globally_stopped = true;
    return done;
}
"""


# On the GPU the operation that calls end_block runs as a kernel, which cannot reach the
# host's stop flag: it marks the block over in device memory, and the code object's host
# side (cuda/stateupdate.cu, the template of `end_block_code_object`) copies the mark to
# ``Network::_globally_stopped`` once the kernel is done.  That template must therefore
# run every operation that calls end_block on the CUDA device.
_END_BLOCK_CUDA = """
static __device__ int _end_block_done = 0;

__host__ __device__ static inline int end_block(const int done)
{
#if defined(__CUDA_ARCH__)
    if (done)
        _end_block_done = 1;
#endif
    return done;
}
"""


@implementation("cpp", _END_BLOCK_CPP, headers=['"network.h"'])
@implementation("cuda", _END_BLOCK_CUDA)
@declare_types(done="integer", result="integer")
@check_units(done=1, result=1)
def end_block(done):
    """Stop the running simulation after this time step when `done` is nonzero."""
    if np.any(done):
        brian2_stop()
    return done


def end_block_code_object():
    """Return the code object class for operations that call `end_block` on the current
    device: None (the device's own) but on ``cuda_standalone``, where it is a class whose
    host code after the kernel stops the network (see ``_END_BLOCK_CUDA``)."""
    if get_device() is not brian2.devices.all_devices.get("cuda_standalone"):
        return None
    global _EndBlockCodeObject
    if _EndBlockCodeObject is None:
        from brian2cuda.codeobject import CUDAStandaloneCodeObject

        class EndBlockCodeObject(CUDAStandaloneCodeObject):
            # our stateupdate.cu first, brian2cuda's templates for everything else
            templater = CUDAStandaloneCodeObject.templater.derive("stdp_learn",
                                                                  templates_dir="cuda")

        _EndBlockCodeObject = EndBlockCodeObject
    return _EndBlockCodeObject


_EndBlockCodeObject = None


def simulation_clock_name() -> str:
    """Return the name of the network's time-step clock on the current device.

    "simulation_clock", but "defaultclock" on ``cuda_standalone``: brian2cuda's
    synapses template (``synapses.cu``, the pathways whose synapses share one delay)
    reads the clock called ``defaultclock`` whatever clock the pathway runs on, and
    does not compile where no clock has that name.
    """
    if get_device() is brian2.devices.all_devices.get("cuda_standalone"):
        return "defaultclock"
    return "simulation_clock"


class StableClock(Clock):
    """A Brian2 clock whose hash is the same in every process.

    The compiled device keeps clocks in sets and writes their initialisation into
    main.cpp in set order; with Python's default hash (the object's address) the order,
    and so main.cpp, changes from one process to the next, and a cached build recompiles
    it each time.  Every clock of the network is a StableClock.
    """

    _pending_hash = 0  # Brian2 hashes a new object in __new__, before it has attributes
    # Brian2 lets only properties of the object's own class bypass its variables
    dt = Clock.__dict__["dt"]
    dt_ = Clock.__dict__["dt_"]

    def __new__(cls, dt, name):
        cls._pending_hash = zlib.crc32(name.encode())
        clock = super().__new__(cls, dt=dt, name=name)
        clock.__dict__["_stable_hash"] = cls._pending_hash
        return clock

    def __init__(self, dt, name):
        super().__init__(dt=dt, name=name)

    def __hash__(self):
        return self.__dict__.get("_stable_hash", type(self)._pending_hash)


def sorted_clocks(device):
    """Sort the device's clocks by name (Brian2 keeps them in a set, whose order changes
    from process to process and with it main.cpp, which a cached build then recompiles)."""
    device.clocks = sorted(device.clocks, key=lambda clock: clock.name)


@contextlib.contextmanager
def brian2_preferences(**values):
    """Set Brian2 preferences (``core__stop_on_keyboard_interrupt=False`` for
    ``core.stop_on_keyboard_interrupt``) for the duration of a block, then restore them."""
    names = {key.replace("__", "."): value for key, value in values.items()}
    previous = {name: brian2.prefs[name] for name in names}
    for name, value in names.items():
        brian2.prefs[name] = value
    try:
        yield
    finally:
        for name, value in previous.items():
            brian2.prefs[name] = value


#: Spike queues of the compiled device: "sorted" (stdp_learn/cpp/spikequeue.h: a spike's
#: synapses kept in runs of equal delay, each queued in one copy) or "brian2" (Brian2's own,
#: one synapse at a time).  Both queue the same synapses in the same order.
SPIKE_QUEUES = ("sorted", "brian2")
_SORTED_QUEUE = Path(__file__).parent / "cpp" / "spikequeue.h"


@contextlib.contextmanager
def spike_queue(device, kind):
    """Let `device` install the spike queue `kind` into the build folder while it builds."""
    if kind == "brian2":
        yield
        return
    brian2_copy = device.copy_source_files

    def copy_source_files(writer, directory):
        brian2_copy(writer, directory)
        target = Path(directory) / "brianlib" / "spikequeue.h"
        shutil.copyfile(_SORTED_QUEUE, target)
        # the source's time, as Brian2 copies its own: an unchanged queue compiles nothing
        stat = _SORTED_QUEUE.stat()
        os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    device.copy_source_files = copy_source_files
    try:
        yield
    finally:
        del device.copy_source_files


def run_standalone(device, work_dir, results_directory, run_args, network):
    """Run the compiled program from `work_dir`, this process's copy of it.

    Brian2 writes a run's input files (``static_arrays/init_*``) under
    ``device.project_dir``: pointing it at the work folder keeps them out of the shared
    build.  Brian2 also reads a monitor's 2-d array from disk in the shape of its
    previous read; a block that stopped early recorded fewer rows, so the file's length
    must decide: the remembered shapes are reset after the run.
    """
    device.project_dir = str(work_dir)
    device.run(directory=str(work_dir), results_directory=results_directory, with_output=False,
               run_args=run_args)
    for monitor in network.objects:
        if isinstance(monitor, StateMonitor):
            for variable in monitor.variables.values():
                if isinstance(getattr(variable, "size", None), tuple):
                    variable.size = (0, variable.size[1])


class StandaloneOwner:
    """Which simulator's network the compiled devices hold.

    Brian2 has one ``cpp_standalone`` device per process (and brian2cuda one
    ``cuda_standalone``), and one of them is active at a time: building a second network
    discards the first, which must rebuild before it runs again.
    """

    def __init__(self):
        self.holder = None

    def holds(self, simulator) -> bool:
        """Return whether the device holds `simulator`'s build and is the active device."""
        return (self.holder is simulator
                and get_device() is brian2.devices.all_devices.get(simulator.device_name))

    def claim(self, simulator):
        """Record that `simulator` builds into the device; the previous holder rebuilds later."""
        if self.holder is not None and self.holder is not simulator:
            self.holder.handle = None
        self.holder = simulator

    def release(self):
        """Switch Brian2 back to runtime mode; the holder rebuilds when it runs again."""
        if get_device() is not brian2.devices.all_devices["runtime"]:
            brian2.set_device("runtime")
        if self.holder is not None:
            self.holder.handle = None
        self.holder = None


#: The owner of this process's compiled device.
standalone_owner = StandaloneOwner()
