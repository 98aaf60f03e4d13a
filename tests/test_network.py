"""Tests for stdp_learn.network and the block simulators of stdp_learn.simulation.

A tiny network (16 inputs, 4 excitatory neurons) with short slots (40 ms on, 15 ms rest,
longer than the 10 ms maximum input delay so no spike is in flight at a slot's end) keeps
the runtime tests to a few seconds each.  Input weights are normalised to sum to 3 per
neuron (0.19 per input, against 78 / 784 = 0.1 in the paper), enough to make 16 inputs
drive the layer.

``max_rate`` is 1 / dt (10 kHz at dt = 0.1 ms): a white pixel (255) has a spike probability
of 1 per step, which the network clips to 0.999999, so it fires at every step of the
presentation unless a uniform draw falls below 1e-6.  Images of black and white pixels
therefore drive the network the same way whatever the random numbers, which lets the two
devices be compared spike for spike; grey pixels give ordinary Poisson input.
"""

import numpy as np
import pytest
from brian2 import StateMonitor, get_device, mV, ms, set_device
from numpy.testing import assert_allclose, assert_array_equal

from stdp_learn.config import ConfigError, ConnectivityParams, NetworkParams, PresentationParams
from stdp_learn.network import build_network, initial_weights, input_delays
from stdp_learn.plasticity import PairSTDP
from stdp_learn.simulation import BlockResult, NetworkState, RuntimeSimulator, StandaloneSimulator

from conftest import needs_compiler, numpy_runtime, start_schedule, use_runtime_device

N_INPUT, N_NEURONS = 16, 4
WEIGHT_SUM = 3.0
DT = 0.1 * ms
PRESENTATION = PresentationParams(presentation_time=40 * ms, rest_time=15 * ms, dt=DT,
                                  max_rate=1 / DT)
PARAMS = NetworkParams(connectivity=ConnectivityParams(weight_sum=WEIGHT_SUM),
                       presentation=PRESENTATION)
# Learning rates well above the paper's, so that a few slots visibly change the weights.
FAST_RULE = PairSTDP(nu_pre=0.01, nu_post=0.1)


@pytest.fixture(autouse=True)
def _numpy_target_and_time_step():
    """Run in runtime mode with numpy code, at the parameters' time step; then restore both.

    The time step is set on Brian2's default clock too, so that the tests below do not
    depend on whether the network takes its time step from the parameters.
    """
    with numpy_runtime(DT):
        yield


def weights_and_delays(params=PARAMS, seed=0):
    rng = np.random.default_rng(seed)
    weights = initial_weights(N_INPUT, N_NEURONS, params, rng)
    delays = input_delays(N_INPUT, N_NEURONS, params, rng)
    return weights, delays


def black_and_white_images(n):
    """Return n images with 6 white pixels each, at different places."""
    images = np.zeros((n, N_INPUT))
    for k in range(n):
        images[k, (np.arange(6) * 3 + k) % N_INPUT] = 255
    return images


def grey_images(n, seed):
    """Return n images of random grey pixels (spike probability up to 1/4 a step)."""
    return np.random.default_rng(seed).integers(0, 64, size=(n, N_INPUT)).astype(float)


# -- normalisation ----------------------------------------------------------------------------

def run_three_slots(plastic):
    """Build the network directly, show three images, and record w around normalisation."""
    weights, delays = weights_and_delays()
    handle = build_network(N_INPUT, N_NEURONS, PARAMS, FAST_RULE, 3,
                           weights=weights, delays=delays)
    handle.block_images.values[:] = black_and_white_images(3)
    start_schedule(handle, 3)
    handle["exc"].plastic = plastic
    slot = PARAMS.presentation.slot_duration
    # Every slot start runs the schedule, the input rates and the normalisation at orders
    # 0 to 4 of "start": record the weights before (-10) and after (10) all of them.
    before = StateMonitor(handle["input_exc"], "w", record=True, dt=slot, when="start",
                          order=-10, name="w_before")
    after = StateMonitor(handle["input_exc"], "w", record=True, dt=slot, when="start",
                         order=10, name="w_after")
    handle.network.add(before, after)
    handle.network.run(3 * slot, namespace={})
    shape = (N_INPUT, N_NEURONS)  # synapses are ordered by source, then target
    w_before = np.asarray(before.w).T.reshape(3, *shape)
    w_after = np.asarray(after.w).T.reshape(3, *shape)
    return weights, w_before, w_after, np.asarray(handle["input_exc"].w).reshape(shape)


def test_normalisation_rescales_each_neuron_to_weight_sum_at_every_slot_start():
    weights, w_before, w_after, w_end = run_three_slots(plastic=True)

    assert_array_equal(w_before[0], weights)
    for slot in range(3):
        sums = w_before[slot].sum(axis=0)
        assert_allclose(w_after[slot].sum(axis=0), WEIGHT_SUM, rtol=1e-12)
        # A rescaling per neuron (column), not a shift: relative weights are kept.
        assert_allclose(w_after[slot], w_before[slot] * WEIGHT_SUM / sums, rtol=1e-12)
    # Learning moved the sums away from the target between slot starts, so each
    # normalisation had something to do.
    assert np.abs(w_before[1:].sum(axis=1) - WEIGHT_SUM).max() > 1e-3


def test_normalisation_and_learning_are_off_when_not_plastic():
    weights, w_before, w_after, w_end = run_three_slots(plastic=False)

    assert np.abs(weights.sum(axis=0) - WEIGHT_SUM).max() > 0.1  # would be rescaled
    for slot in range(3):
        assert_array_equal(w_before[slot], weights)
        assert_array_equal(w_after[slot], weights)
    assert_array_equal(w_end, weights)


# -- lateral inhibition ---------------------------------------------------------------------

def inhibition_after_one_step(spiking):
    """Return exc.gi after the inhibitory neurons `spiking` fire in the first time step."""
    weights, delays = weights_and_delays()
    handle = build_network(N_INPUT, N_NEURONS, PARAMS, FAST_RULE, 1, weights=weights * 0,
                           delays=delays)
    start_schedule(handle, 1)
    inh = handle["inh"]
    inh.v = PARAMS.inhibitory.v_rest
    inh.v[np.array(spiking, dtype=int)] = 0 * mV  # above threshold: these fire in the first step
    gi = StateMonitor(handle["exc"], "gi", record=True, when="end", name="gi_end")
    handle.network.add(gi)
    handle.network.run(DT, namespace={})
    return np.asarray(gi.gi)[:, 0]


@pytest.mark.parametrize("spiking", [(), (1,), (0, 2), (0, 1, 3)])
def test_lateral_inhibition_reaches_every_excitatory_neuron_but_the_partner(spiking):
    """Each inhibitory spike adds w_inh_exc to the conductance of every other neuron.

    The network adds the step's spikes, minus the partner's, instead of using N(N - 1)
    synapses; several spikes in one step are the case a count could get wrong.
    """
    gi = inhibition_after_one_step(spiking)
    w = PARAMS.connectivity.w_inh_exc
    expected = np.array([w * sum(1 for k in spiking if k != j) for j in range(N_NEURONS)])
    assert_array_equal(gi, expected)


def test_repeated_add_adds_one_step_at_a_time():
    from stdp_learn.network import repeated_add

    # below half a unit in the last place, each single addition to 1.0 rounds away: two of
    # them leave 1.0, while one addition of twice the step would not
    step = 1.1e-16
    value = repeated_add(np.array([1.0, 0.1, 5.0]), step, np.array([2, 0, 3]))
    assert value[0] == 1.0 and 1.0 + 2 * step != 1.0
    assert value[1] == 0.1
    assert value[2] == ((5.0 + step) + step) + step


# -- the presentation schedule --------------------------------------------------------------

def retry_simulator(min_spikes, max_retries, n_slots=4):
    presentation = PRESENTATION.replace(min_spikes=min_spikes, max_retries=max_retries)
    params = NetworkParams(connectivity=ConnectivityParams(weight_sum=WEIGHT_SUM),
                           presentation=presentation)
    return RuntimeSimulator(N_INPUT, N_NEURONS, params, PairSTDP(), n_slots)


def schedule_log(simulator):
    log = simulator.handle["schedule_log"]
    return np.asarray(log.image_index[0]), np.asarray(log.retries[0])


def test_silent_image_is_retried_up_to_max_retries_then_skipped():
    simulator = retry_simulator(min_spikes=1, max_retries=2)
    weights, delays = weights_and_delays()
    state = simulator.initial_state(weights, delays)
    blank = np.zeros((2, N_INPUT))  # no input, so no excitatory spike at all

    state, result = simulator.run_block(state, blank, plastic=False, seed=1)
    image_index, retries = schedule_log(simulator)
    assert_array_equal(image_index, [0, 0, 0, 1])
    assert_array_equal(retries, [0, 1, 2, 0])
    assert isinstance(result, BlockResult)
    assert result.n_consumed == 1
    assert_array_equal(result.retries, [2])
    assert_array_equal(result.counts, np.zeros((1, N_NEURONS)))
    assert result.slots_used == 4

    # The last slot showed image 1 once, without an answer: the next block, whose first
    # image is that image again, carries on retrying it from there.
    state, result = simulator.run_block(state, blank, plastic=False, seed=2)
    image_index, retries = schedule_log(simulator)
    assert_array_equal(image_index, [0, 0, 1, 1])
    assert_array_equal(retries, [1, 2, 0, 1])
    assert result.n_consumed == 1
    assert_array_equal(result.retries, [2])


def test_every_slot_moves_on_without_a_spike_minimum():
    simulator = retry_simulator(min_spikes=0, max_retries=None)
    weights, delays = weights_and_delays()
    state = simulator.initial_state(weights, delays)

    state, result = simulator.run_block(state, np.zeros((3, N_INPUT)), plastic=False, seed=1)
    image_index, retries = schedule_log(simulator)
    assert_array_equal(image_index, [0, 1, 2, 3])  # slot 3 has no image left: idle
    assert_array_equal(retries, [0, 0, 0, 0])
    assert result.n_consumed == 3
    assert result.slots_used == 3
    assert_array_equal(result.retries, [0, 0, 0])
    assert result.counts.shape == (3, N_NEURONS)


def test_a_block_stops_once_its_images_are_done_and_the_next_starts_afresh():
    # Two images in a block of six slots: the simulation stops in the first time step of
    # slot 2 instead of running four empty slots.  Up to there it is the same simulation
    # as a block of exactly two slots (same random numbers), one time step longer.
    weights, delays = weights_and_delays()
    images = grey_images(2, seed=4) * 4
    long_block = RuntimeSimulator(N_INPUT, N_NEURONS, PARAMS, FAST_RULE, 6)
    exact_block = RuntimeSimulator(N_INPUT, N_NEURONS, PARAMS, FAST_RULE, 2)
    start = long_block.initial_state(weights, delays)
    long_end, long_result = long_block.run_block(start, images, plastic=True, seed=9)
    assert long_block.handle.network.t == 2 * PRESENTATION.slot_duration + DT
    exact_end, exact_result = exact_block.run_block(start, images, plastic=True, seed=9)

    assert long_result.counts.sum() > 0
    assert_array_equal(long_result.counts, exact_result.counts)
    assert long_result.slots_used == exact_result.slots_used == 2
    # Spike times are carried relative to the end of the block, one step further on.
    dt = float(DT)
    spiked = exact_end.arrays["exc.lastspike"] > -1e3
    assert spiked.any()
    assert_allclose(long_end.arrays["exc.lastspike"][spiked],
                    exact_end.arrays["exc.lastspike"][spiked] - dt, atol=1e-12)

    # Every image was accepted, so the next block shows its first image at once, not as
    # a retry of a leftover slot.
    assert long_end.schedule == NetworkState({}).schedule
    _, result = long_block.run_block(long_end, images, plastic=False, seed=10)
    image_index, retries = schedule_log(long_block)
    assert image_index[0] == 0 and retries[0] == 0


def test_network_runs_at_the_configured_time_step():
    # The fixture left Brian2's default clock at 0.1 ms; the parameters ask for 0.5 ms.
    params = NetworkParams(presentation=PRESENTATION.replace(dt=0.5 * ms))
    simulator = RuntimeSimulator(N_INPUT, N_NEURONS, params, PairSTDP(), 1)
    weights, delays = weights_and_delays(params)
    simulator.run_block(simulator.initial_state(weights, delays), np.zeros((1, N_INPUT)),
                        plastic=False, seed=1)
    for name in ("input", "exc", "inh", "input_exc"):
        assert float(simulator.handle[name].clock.dt / ms) == pytest.approx(0.5)


# -- determinism and the state carried between blocks ---------------------------------------

def assert_same_state(actual, expected):
    assert actual.arrays.keys() == expected.arrays.keys()
    for key in actual.arrays:
        assert_array_equal(actual.arrays[key], expected.arrays[key], err_msg=key)
    assert actual.schedule == expected.schedule


def test_blocks_are_deterministic_and_carry_their_whole_state():
    config = (N_INPUT, N_NEURONS, PARAMS, FAST_RULE, 3)
    simulator = RuntimeSimulator(*config)
    weights, delays = weights_and_delays()
    start = simulator.initial_state(weights, delays)
    first_images, second_images = grey_images(3, seed=1), grey_images(3, seed=2)

    middle, result = simulator.run_block(start, first_images, plastic=True, seed=11)
    assert np.abs(middle.weights - weights).max() > 1e-3  # it learned
    # theta grew where neurons fired (and decayed a little where they did not).
    assert float(np.max(middle.theta - start.theta) / mV) > 0.049  # at least one theta_plus

    end, _ = simulator.run_block(middle, second_images, plastic=True, seed=12)
    # The same block again, from the carried state, in a new simulator: identical.
    fresh = RuntimeSimulator(*config)
    end_fresh, _ = fresh.run_block(middle, second_images, plastic=True, seed=12)
    assert_same_state(end, end_fresh)
    # Another seed draws other input spikes, hence other weights.
    end_other, _ = simulator.run_block(middle, second_images, plastic=True, seed=13)
    assert np.abs(end_other.weights - end.weights).max() > 0


# -- runtime and standalone devices ---------------------------------------------------------

@needs_compiler
@pytest.mark.standalone
def test_runtime_and_standalone_devices_agree(build_root, monkeypatch):
    # One compiled program serves both checks (a build takes tens of seconds): the images,
    # weights, seed and the plastic flag are all run-time arguments.  The runtime blocks
    # run first: once the standalone device is active, runtime networks cannot run.
    use_runtime_device()  # the compiled device holds no earlier build
    n_slots = 6
    # Without a spike minimum every slot is accepted, so `counts` holds every response.
    params = NetworkParams(connectivity=PARAMS.connectivity,
                           presentation=PRESENTATION.replace(min_spikes=0))
    config = (N_INPUT, N_NEURONS, params, PairSTDP(), n_slots)
    weights, delays = weights_and_delays(params)
    runtime = RuntimeSimulator(*config)
    start = runtime.initial_state(weights, delays)
    # 1. Black and white images do not depend on the random streams (which differ between
    #    devices), so both devices must produce the same spikes, hence the same counts,
    #    thresholds and, while learning, the same weights.
    exact_images = black_and_white_images(n_slots)
    runtime_learned, runtime_exact = runtime.run_block(start, exact_images, plastic=True,
                                                       seed=5)
    # 2. Grey images give Poisson input: the devices draw different spikes, so compare the
    #    total response to the same images (no learning) within its noise.
    poisson_images = grey_images(n_slots, seed=3)
    _, runtime_poisson = runtime.run_block(runtime_learned, poisson_images, plastic=False,
                                           seed=6)
    try:
        standalone = StandaloneSimulator(*config, build_root=build_root)
        standalone_learned, standalone_exact = standalone.run_block(
            start, exact_images, plastic=True, seed=5)
        _, standalone_poisson = standalone.run_block(runtime_learned, poisson_images,
                                                     plastic=False, seed=6)
        _, standalone_again = standalone.run_block(runtime_learned, poisson_images,
                                                   plastic=False, seed=6)
        _, standalone_other = standalone.run_block(runtime_learned, poisson_images,
                                                   plastic=False, seed=7)
    finally:
        get_device().reinit()
        set_device("runtime")

    assert runtime_exact.n_consumed == standalone_exact.n_consumed == n_slots
    assert runtime_exact.counts.sum() > 2 * n_slots
    assert_array_equal(standalone_exact.counts, runtime_exact.counts)
    assert_allclose(standalone_learned.theta / mV, runtime_learned.theta / mV, rtol=1e-9)
    assert_allclose(standalone_learned.weights, runtime_learned.weights, rtol=1e-9, atol=1e-12)
    assert np.abs(runtime_learned.weights - weights).max() > 1e-3  # learning happened

    # The total over the block is about 28 spikes; over 8 runtime seeds it varied with a
    # standard deviation of 1.3 (lateral inhibition makes it more regular than Poisson).
    # A difference of 25 % (about 7 spikes, 4 standard deviations of a difference) means
    # the devices do not compute the same thing.
    assert runtime_poisson.n_consumed == standalone_poisson.n_consumed == n_slots
    totals = np.array([runtime_poisson.counts.sum(), standalone_poisson.counts.sum()])
    assert totals.min() > 10
    assert abs(totals[0] - totals[1]) <= 0.25 * totals.mean()
    # Seeded standalone blocks are reproducible, and the seed matters.
    assert_array_equal(standalone_again.counts, standalone_poisson.counts)
    assert not np.array_equal(standalone_other.counts, standalone_poisson.counts)


@needs_compiler
@pytest.mark.standalone
def test_sorted_spike_queue_computes_exactly_what_brian2s_queue_does(build_root, monkeypatch):
    # The queue that copies a spike's synapses in runs of equal delay must deliver the same
    # synapses in the same order at every step: learning on Poisson input, with 0-10 ms
    # delays, ends in bit-identical states.
    use_runtime_device()  # the compiled device holds no earlier build
    config = (N_INPUT, N_NEURONS, PARAMS, FAST_RULE, 4)
    weights, delays = weights_and_delays()
    assert len(np.unique(np.round(delays / float(PARAMS.presentation.dt)))) > 10
    images = np.random.default_rng(8).integers(128, 256, size=(4, N_INPUT)).astype(float)
    ends = {}
    try:
        for kind in ("sorted", "brian2"):
            simulator = StandaloneSimulator(*config, build_root=build_root, spike_queue=kind)
            start = simulator.initial_state(weights, delays)
            ends[kind], result = simulator.run_block(start, images, plastic=True, seed=3)
            assert result.counts.sum() > 0
    finally:
        get_device().reinit()
        set_device("runtime")
    assert np.abs(ends["sorted"].weights - weights).max() > 1e-4  # it learned
    assert_same_state(ends["sorted"], ends["brian2"])


def test_unknown_spike_queue_is_refused():
    with pytest.raises(ConfigError, match="spike_queue"):
        StandaloneSimulator(N_INPUT, N_NEURONS, PARAMS, PairSTDP(), 4, spike_queue="fast")
