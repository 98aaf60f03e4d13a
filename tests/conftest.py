"""Shared test setup: a fresh Brian2 scope and seed per test, and the data/build folders."""
import contextlib
import os
from pathlib import Path

import brian2
import pytest

from stdp_learn.simulation import compiler_available


@pytest.fixture(autouse=True)
def _brian2_scope():
    brian2.start_scope()
    brian2.seed(20150301)
    yield


@pytest.fixture(scope="session")
def build_root(tmp_path_factory):
    """Folder for compiled networks, shared by the tests of one session."""
    root = os.environ.get("STDP_LEARN_BUILD")
    return Path(root) if root else tmp_path_factory.mktemp("builds")


@pytest.fixture(scope="session")
def mnist_dir():
    """Folder of the full MNIST files; tests that need it skip without STDP_LEARN_DATA."""
    folder = os.environ.get("STDP_LEARN_DATA")
    if not folder:
        pytest.skip("set STDP_LEARN_DATA to the folder of the MNIST IDX files to run this test")
    return Path(folder)


@pytest.fixture(scope="session")
def mnist_sample():
    """The 1,000 + 1,000 MNIST images packaged with the library."""
    from stdp_learn import load_mnist_sample

    return load_mnist_sample()


needs_compiler = pytest.mark.skipif(not compiler_available(), reason="no C++ compiler for cpp_standalone")


def use_runtime_device():
    """Switch Brian2 back to runtime mode after tests that compiled a network."""
    from stdp_learn.backend import standalone_owner

    standalone_owner.release()


@contextlib.contextmanager
def numpy_runtime(dt):
    """Run in runtime mode with numpy code at time step `dt` (also Brian2's default clock's,
    so that tests do not depend on where a network takes its step from); then restore."""
    previous = brian2.prefs.codegen.target, brian2.defaultclock.dt
    use_runtime_device()  # earlier tests may have left the compiled device active
    brian2.prefs.codegen.target = "numpy"
    brian2.defaultclock.dt = dt
    try:
        yield
    finally:
        brian2.prefs.codegen.target, brian2.defaultclock.dt = previous


@pytest.fixture
def runtime_numpy():
    """Run in Brian2's runtime mode with numpy code generation, then restore the target."""
    previous = brian2.prefs.codegen.target
    use_runtime_device()
    brian2.prefs.codegen.target = "numpy"
    yield
    brian2.prefs.codegen.target = previous


def rule_weight_after(rule, pre_ms, post_ms, *, w_start=0.5, plastic=True, w_max=1.0,
                      dt=0.1 * brian2.ms, post_state=None):
    """Return w of one synapse under `rule` after presynaptic spikes at `pre_ms` and
    postsynaptic spikes at `post_ms` (milliseconds).

    The synapse is assembled as `stdp_learn.network` assembles ``input_exc``: model
    ``w : 1`` plus the rule's lines, its on_pre/on_post code and namespace, and ``w_max``.
    The postsynaptic neuron fires at the chosen time steps and offers what a rule may read:
    the shared flag ``plastic``, ``lastspike``, ``previous_spike`` (set at its reset) and the
    rule's own per-neuron variables with their reset; with `post_state` ({name: quantity},
    e.g. the membrane potential ``v`` and threshold adaptation ``theta``), also those
    variables, held at those values.  Runs in the runtime device.
    """
    import numpy as np

    long_ago = -1e4 * brian2.second  # "never spiked", as the simulators initialise spike times
    end_ms = max(list(pre_ms) + list(post_ms)) + 1.0
    step_ms = float(dt / brian2.ms)
    fires = np.zeros(int(round(end_ms / step_ms)) + 1)
    fires[np.round(np.asarray(post_ms) / step_ms).astype(int)] = 1.0
    pre = brian2.SpikeGeneratorGroup(1, np.zeros(len(pre_ms), dtype=int),
                                     np.asarray(pre_ms) * brian2.ms, dt=dt, name="pre")
    neuron_lines = "".join(line + "\n" for line, _ in rule.neuron_variables.values())
    held = dict(post_state or {})
    neuron_lines += "".join(f"{name} : {brian2.get_unit(brian2.get_dimensions(value))!r}\n"
                            for name, value in held.items())
    reset = "previous_spike = t\n" + rule.neuron_reset()
    namespace = dict(rule.namespace(),
                     post_fires=brian2.TimedArray(fires, dt=dt, name="post_fires"))
    post = brian2.NeuronGroup(
        1, "plastic : boolean (shared)\nprevious_spike : second\n" + neuron_lines,
        threshold="post_fires(t) > 0.5", reset=reset,
        refractory=0 * brian2.ms,  # gives the neuron its lastspike variable
        method="exact", dt=dt, name="post", namespace=namespace)
    post.plastic = plastic
    post.previous_spike = long_ago
    post.lastspike = long_ago
    for name, value in held.items():
        setattr(post, name, value)
    synapse = brian2.Synapses(pre, post, model="w : 1\n" + rule.equations(), on_pre=rule.on_pre(),
                              on_post=rule.on_post(), dt=dt, name="pre_post",
                              namespace=dict(rule.namespace(), w_max=w_max))
    synapse.connect()
    synapse.w = w_start
    for name in rule.time_variables:
        setattr(synapse, name, long_ago)
    brian2.Network(pre, post, synapse).run(end_ms * brian2.ms, namespace={})
    return float(synapse.w[0])


def fit_tiny_network(rule, images, labels):
    """Return a 5-neuron network fitted with `rule` on the runtime device (seed 0).

    The tests of a rule compare it with the same run without learning (same seed).
    """
    from stdp_learn import DiehlCook2015

    model = DiehlCook2015(n_neurons=5, rule=rule, device="runtime", block_size=10,
                          random_state=0)
    return model.fit(images, labels)


@pytest.fixture
def dask_client(build_root, monkeypatch):
    """A LocalCluster of two single-threaded worker processes building into `build_root`.

    Tests that use it skip where dask.distributed is not installed.
    """
    distributed = pytest.importorskip("dask.distributed")
    monkeypatch.setenv("STDP_LEARN_BUILD", str(build_root))  # the workers inherit it
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  memory_limit=0, dashboard_address=None) as local:
        with distributed.Client(local) as client:
            yield client


def start_schedule(handle, n_images):
    """Set a directly built network's schedule as the simulators start a block.

    "The slot before the first one was accepted", so the first slot shows image 0.
    """
    schedule = handle["schedule"]
    schedule.n_images = n_images
    schedule.image_index = -1
    schedule.slot_spikes = 2**30
