"""Tests for stdp_learn.reward: RewardSTDP in one synapse, and the RewardReadout layer.

One synapse is assembled the way the rule's docstring says: ``w : 1`` plus the rule's
lines, its on_pre/on_post code and namespace with ``w_max``, and its weight update run
every ``update_interval`` at the end of the time step.  The postsynaptic neuron fires at
chosen time steps and holds the neuromodulator ``reward`` (the rule's
``reward_equations``), to which a second spike source delivers rewards.

The expected values are written out from the rule's definition.  A causal pair (pre at
t_pre, post at t_post) sets the eligibility to ``c = a_plus * exp(-(t_post - t_pre) /
tau_plus)``, which then decays with tau_eligibility.  A reward R at t_r makes ``d = R
exp(-(t - t_r) / tau_reward)``, and the weight integrates ``learning_rate * d * c``; the
update at each tick t_k adds the exact integral over [t_k, t_k + update_interval], so a
reward at a tick followed by K ticks changes the weight by ``learning_rate * R * c(t_r) *
tau_product * (1 - exp(-K * update_interval / tau_product))``.
"""

import json
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pytest
from brian2 import (
    Clock,
    Network,
    NeuronGroup,
    SpikeGeneratorGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    TimedArray,
    get_device,
    mV,
    ms,
    second,
    set_device,
)
from numpy.testing import assert_array_equal

from stdp_learn.config import ConfigError, ConnectivityParams, NetworkParams, PresentationParams
from stdp_learn.network import initial_weights, input_delays
from stdp_learn.plasticity import PairSTDP
from stdp_learn.reward import RewardReadout, RewardSTDP
from stdp_learn.simulation import RuntimeSimulator, StandaloneSimulator

from conftest import needs_compiler, numpy_runtime, use_runtime_device

DT = 0.1 * ms
LONG_AGO = -1e4 * second  # "never", as the simulators initialise spike times


@pytest.fixture(autouse=True)
def _numpy_target_and_time_step():
    with numpy_runtime(DT):
        yield


# -- one synapse ------------------------------------------------------------------------------

def one_synapse(rule, pre_ms, post_ms, *, rewards=(), plastic=True, w_start=0.5, w_max=1.0):
    """Return (network, synapse) for one synapse; `rewards` holds (time in ms, amount) pairs."""
    end_ms = max(list(pre_ms) + list(post_ms) + [r[0] for r in rewards]) + 1.0
    fires = np.zeros(int(round(end_ms / float(DT / ms))) + 1)
    fires[np.round(np.asarray(post_ms) / float(DT / ms)).astype(int)] = 1.0
    post_fires = TimedArray(fires, dt=DT, name="post_fires")

    pre = SpikeGeneratorGroup(1, np.zeros(len(pre_ms), dtype=int), np.asarray(pre_ms) * ms,
                              name="pre")
    post = NeuronGroup(
        1, "plastic : boolean (shared)\n" + rule.reward_equations(),
        threshold="post_fires(t) > 0.5", refractory=0 * ms,  # refractory gives lastspike
        method="exact", name="post",
        namespace={"post_fires": post_fires, "tau_reward": rule.tau_reward},
    )
    post.plastic = plastic
    times = [r[0] for r in rewards]
    source = SpikeGeneratorGroup(max(1, len(rewards)), np.arange(len(rewards)),
                                 np.asarray(times) * ms, name="reward_source")
    delivery = Synapses(source, post, "amount : 1", on_pre="reward_post += amount",
                        name="delivery")
    delivery.connect()
    delivery.amount = [r[1] for r in rewards] or [0.0]

    namespace = dict(rule.namespace())
    namespace["w_max"] = w_max
    synapse = Synapses(pre, post, model="w : 1\n" + rule.equations(), on_pre=rule.on_pre(),
                       on_post=rule.on_post(), name="pre_post", namespace=namespace)
    synapse.connect()
    synapse.w = w_start
    for name in rule.time_variables:
        setattr(synapse, name, LONG_AGO)
    synapse.run_regularly(rule.weight_update(), dt=rule.update_interval, when="end",
                          name="weight_update")
    return Network(pre, post, source, delivery, synapse), synapse


def final_weight(rule, pre_ms, post_ms, run_ms, **kwargs):
    network, synapse = one_synapse(rule, pre_ms, post_ms, **kwargs)
    network.run(run_ms * ms, namespace={})
    return float(synapse.w[0])


def expected_change(rule, eligibility, reward, n_ticks):
    tau = float(rule.tau_product)
    interval = float(rule.update_interval)
    return (float(rule.learning_rate) * reward * eligibility * tau
            * (1 - np.exp(-n_ticks * interval / tau)))


FAST = RewardSTDP(tau_eligibility=100 * ms, tau_reward=50 * ms, learning_rate=10 / second)


@pytest.mark.parametrize("rule", [RewardSTDP(), FAST], ids=["izhikevich", "fast"])
@pytest.mark.parametrize("reward", [1.0, -0.5])
def test_causal_pair_then_reward_changes_w_by_the_integral_of_d_times_c(rule, reward):
    # pre at 10 ms, post at 15 ms: c = a_plus exp(-5 / tau_plus); reward at 20 ms, then
    # the weight updates at the ticks 20, 21, ..., 299 ms (280 of them).
    c_at_reward = rule.a_plus * np.exp(-5.0 / float(rule.tau_plus / ms)) * np.exp(
        -5.0 / float(rule.tau_eligibility / ms))
    w = final_weight(rule, [10.0], [15.0], 300.0, rewards=[(20.0, reward)])
    assert w - 0.5 == pytest.approx(expected_change(rule, c_at_reward, reward, 280), rel=1e-6)
    assert (w > 0.5) == (reward > 0)  # reward potentiates, punishment depresses


def test_without_reward_the_weight_stays():
    assert final_weight(FAST, [10.0], [15.0], 200.0) == 0.5
    assert final_weight(FAST, [15.0], [10.0], 200.0) == 0.5


def test_reward_without_a_pairing_changes_nothing():
    assert final_weight(FAST, [], [], 200.0, rewards=[(20.0, 1.0)]) == 0.5


def test_reward_long_after_the_pair_finds_the_eligibility_decayed():
    # The same pair, rewarded at 20 ms or at 120 ms: the change shrinks by
    # exp(-100 ms / tau_eligibility) (both with the same number of remaining ticks).
    near = final_weight(FAST, [10.0], [15.0], 300.0, rewards=[(20.0, 1.0)]) - 0.5
    far = final_weight(FAST, [10.0], [15.0], 400.0, rewards=[(120.0, 1.0)]) - 0.5
    assert far / near == pytest.approx(np.exp(-100.0 / 100.0), rel=1e-6)


@pytest.mark.parametrize("tau_ms", [1000.0, 25.0])
def test_eligibility_decays_as_exp_of_minus_t_over_tau_eligibility(tau_ms):
    rule = RewardSTDP(tau_eligibility=tau_ms * ms)
    network, synapse = one_synapse(rule, [10.0], [15.0])
    network.run(20 * ms, namespace={})
    start = rule.a_plus * np.exp(-5.0 / 20.0)  # just after the postsynaptic spike at 15 ms
    assert float(synapse.eligibility[0]) == pytest.approx(start * np.exp(-5.0 / tau_ms), rel=1e-9)
    network.run(40 * ms, namespace={})
    assert float(synapse.eligibility[0]) == pytest.approx(start * np.exp(-45.0 / tau_ms), rel=1e-9)


def test_anticausal_pair_writes_a_negative_trace():
    rule = RewardSTDP(a_minus=0.7, tau_minus=30 * ms, tau_eligibility=1 * second)
    network, synapse = one_synapse(rule, [18.0], [10.0])
    network.run(20 * ms, namespace={})
    expected = -0.7 * np.exp(-8.0 / 30.0) * np.exp(-2.0 / 1000.0)
    assert float(synapse.eligibility[0]) == pytest.approx(expected, rel=1e-9)
    assert final_weight(rule, [18.0], [10.0], 100.0, rewards=[(20.0, 1.0)]) < 0.5


def test_x_target_makes_a_lone_postsynaptic_spike_negative():
    # No presynaptic spike: x_pre = 0, so the postsynaptic spike adds -a_plus * x_target.
    rule = RewardSTDP(a_plus=0.5, x_target=0.2)
    network, synapse = one_synapse(rule, [], [10.0])
    network.run(10.1 * ms, namespace={})
    assert float(synapse.eligibility[0]) == pytest.approx(-0.1 * np.exp(-0.1 / 1000.0), rel=1e-9)


def test_nothing_changes_when_not_plastic():
    network, synapse = one_synapse(FAST, [10.0], [15.0], rewards=[(20.0, 1.0)], plastic=False)
    network.run(100 * ms, namespace={})
    assert float(synapse.w[0]) == 0.5
    assert float(synapse.eligibility[0]) == 0.0


def test_weights_are_clipped_to_zero_and_w_max():
    rule = RewardSTDP(learning_rate=1e4 / second)
    assert final_weight(rule, [10.0], [15.0], 50.0, rewards=[(20.0, 1.0)], w_max=0.8) == 0.8
    assert final_weight(rule, [10.0], [15.0], 50.0, rewards=[(20.0, -1.0)]) == 0.0


# -- configuration --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "changes",
    [
        {"tau_plus": 20},                       # a bare number, not a time
        {"tau_eligibility": -1 * second},
        {"tau_reward": 0 * ms},
        {"learning_rate": 0.1},                 # a rate per second, not a number
        {"learning_rate": -1 / second},
        {"a_plus": 1 * ms},
        {"update_interval": 1 * mV},
    ],
)
def test_rule_validate_rejects_bad_values(changes):
    with pytest.raises(ConfigError):
        RewardSTDP(**changes).validate()


def test_rule_round_trips_through_json():
    rule = RewardSTDP(tau_plus=15 * ms, tau_minus=30 * ms, a_plus=0.8, a_minus=0.4, x_target=0.1,
                      tau_eligibility=25 * ms, tau_reward=0.1 * second,
                      learning_rate=3 / second, update_interval=0.5 * ms)
    again = RewardSTDP.from_dict(json.loads(json.dumps(rule.to_dict())))
    assert again.to_dict() == rule.to_dict()
    assert float(again.learning_rate * second) == pytest.approx(3.0)
    assert float(again.tau_eligibility / ms) == pytest.approx(25.0)


def test_readout_round_trips_through_json_and_validates():
    readout = RewardReadout(n_per_class=4, reward_policy="every_spike", episodic=False,
                            psp_amplitude=5 * mV, weight_sum=None)
    again = RewardReadout.from_dict(json.loads(json.dumps(readout.to_dict())))
    assert again.to_dict() == readout.to_dict()
    for changes in ({"reward_policy": "sometimes"}, {"n_per_class": 0}, {"w_init_max": 2.0},
                    {"psp_amplitude": 5 * ms}, {"name": "not a name"}):
        with pytest.raises(ConfigError):
            RewardReadout(**changes).validate()


def test_predict_takes_the_class_with_most_output_spikes():
    readout = RewardReadout(n_per_class=2, n_classes=3)
    counts = np.array([
        [0, 0, 2, 1, 1, 1],   # class 1 (3 spikes) beats class 2 (2)
        [1, 0, 0, 1, 0, 0],   # a tie goes to the lowest class
        [0, 0, 0, 0, 0, 0],   # no output fired: no answer
    ])
    assert_array_equal(readout.predict(counts), [1, 0, -1])
    with pytest.raises(ValueError):
        readout.predict(np.zeros((2, 5)))


# -- the readout on a synthetic task -------------------------------------------------------

@dataclass
class _Handle:
    """What RewardReadout.build reads of a network handle."""

    groups: dict
    params: NetworkParams
    n_neurons: int
    clock: Clock
    slot_clock: Clock

    def __getitem__(self, name):
        return self.groups[name]


SYNTH_DT = 0.5 * ms
SYNTH_PRESENTATION = PresentationParams(presentation_time=100 * ms, rest_time=50 * ms, dt=SYNTH_DT)
N_FEATURES, N_CLASSES = 20, 4


def feature_spikes(labels, rng, rate_on=40.0, rate_off=2.0):
    """Return (steps, N_FEATURES) spike flags: class c drives features 5c .. 5c + 7 (mod 20).

    Neighbouring classes share three of their eight features; every presentation draws
    new Poisson spikes.
    """
    steps = int(round(float(SYNTH_PRESENTATION.slot_duration / SYNTH_DT)))
    on = int(round(float(SYNTH_PRESENTATION.presentation_time / SYNTH_DT)))
    flags = np.zeros((len(labels) * steps, N_FEATURES))
    for k, label in enumerate(labels):
        rates = np.full(N_FEATURES, rate_off)
        rates[(5 * label + np.arange(8)) % N_FEATURES] = rate_on
        flags[k * steps: k * steps + on] = rng.random((on, N_FEATURES)) < rates * float(SYNTH_DT)
    return flags


def synthetic_network(readout, labels, flags, n_train):
    """Return (handle, network): `readout` on feature neurons that fire as `flags` say.

    The first `n_train` slots show their label, the rest show none (-1).
    """
    clock = Clock(dt=SYNTH_DT, name="synthetic_clock")
    drive = TimedArray(flags, dt=SYNTH_DT, name="drive")
    shown = np.append(np.where(np.arange(len(labels)) < n_train, labels, -1), -1)
    slot_labels = TimedArray(shown.astype(float), dt=SYNTH_PRESENTATION.slot_duration,
                             name="slot_labels")
    features = NeuronGroup(flags.shape[1], "plastic : boolean (shared)",
                           threshold="drive(t, i) > 0.5", reset="", name="exc", clock=clock,
                           namespace={"drive": drive})
    features.plastic = True
    schedule = NeuronGroup(1, "label : integer", name="schedule", clock=clock,
                           namespace={"slot_labels": slot_labels})
    schedule.run_regularly("label = int(slot_labels(t))", dt=SYNTH_PRESENTATION.slot_duration,
                           when="start", order=0, name="schedule_step")
    slot_clock = Clock(dt=SYNTH_PRESENTATION.slot_duration, name="synthetic_slot_clock")
    handle = _Handle({"exc": features, "schedule": schedule},
                     NetworkParams(presentation=SYNTH_PRESENTATION), flags.shape[1], clock,
                     slot_clock)
    objects = readout.build(handle)
    handle.groups.update({obj.name: obj for obj in objects})
    for key, value in readout.initial_arrays(flags.shape[1], np.random.default_rng(0)).items():
        group, name = key.split(".")
        handle[group].variables[name].set_value(value)
    return handle, Network(features, schedule, *objects)


def test_most_spikes_policy_judges_the_output_that_fired_most_when_the_presentation_ends():
    # One feature fires every 10 ms.  Output 0 (class 0) fires at each of its spikes,
    # output 1 (class 1) at every second one: output 0 gives the answer and is judged,
    # punished when the label is 1, rewarded when it is 0.  Output 1 is judged only as the
    # best output of the label's class beside a wrong answer: rewarded when the label is 1.
    readout = RewardReadout(n_per_class=1, n_classes=2, weight_sum=None,
                            rule=RewardSTDP(learning_rate=0 / second))
    steps = int(round(float(SYNTH_PRESENTATION.slot_duration / SYNTH_DT)))
    on = int(round(float(SYNTH_PRESENTATION.presentation_time / SYNTH_DT)))
    flags = np.zeros((2 * steps, 2))
    for slot in range(2):
        flags[slot * steps: slot * steps + on: 20, 0] = 1
    handle, network = synthetic_network(readout, np.array([1, 0]), flags, n_train=2)
    handle["readout_input"].w = [0.9, 0.3, 0.0, 0.0]  # (feature, output), row-major
    reward = StateMonitor(handle["readout_output"], ["reward", "presentation_spikes"],
                          record=True, when="end")
    network.add(reward)
    network.run(2 * SYNTH_PRESENTATION.slot_duration, namespace={})

    decay = np.exp(-float(SYNTH_DT / readout.rule.tau_reward))  # one step after delivery
    for slot, expected in ((0, [-1.0, 1.0]), (1, [1.0, 0.0])):
        end = slot * steps + on  # the first step after the presentation time
        spikes = reward.presentation_spikes[:, end - 1]
        assert spikes[0] > spikes[1] > 0
        assert_array_equal(reward.reward[:, end - 1], [0.0, 0.0])  # nothing before the end
        np.testing.assert_allclose(reward.reward[:, end], np.array(expected) * decay)


def learn_synthetic_task(readout, n_train=100, n_test=40):
    """Return (handle, labels, predicted) after `readout` learned the synthetic task.

    4 classes of Poisson patterns over 20 feature neurons, which stand in for the
    excitatory layer; `n_train` labelled presentations with learning, then `n_test`
    without labels.
    """
    rng = np.random.default_rng(1)
    labels = np.concatenate([rng.permutation(np.repeat(np.arange(N_CLASSES), n_train // N_CLASSES)),
                             rng.integers(0, N_CLASSES, n_test)])
    handle, network = synthetic_network(readout, labels, feature_spikes(labels, rng), n_train)
    network.run(len(labels) * SYNTH_PRESENTATION.slot_duration, namespace={})
    every_slot = SimpleNamespace(accepted=np.ones(len(labels), dtype=bool))
    counts = readout.block_result(handle, every_slot)["counts"]
    return handle, labels, readout.predict(counts)


def test_readout_learns_a_synthetic_task():
    n_train = 100
    readout = RewardReadout(n_per_class=2, n_classes=N_CLASSES, weight_sum=8.0,
                            psp_amplitude=4 * mV)
    handle, labels, predicted = learn_synthetic_task(readout, n_train)
    assert np.mean(predicted[n_train:] == labels[n_train:]) >= 0.95
    # every class has an output whose weights prefer the class's features
    w = np.asarray(handle["readout_input"].w[:]).reshape(N_FEATURES, readout.n_outputs)
    for label in range(N_CLASSES):
        preferred = np.isin(np.arange(N_FEATURES), (5 * label + np.arange(8)) % N_FEATURES)
        outputs = w[:, readout.output_classes == label]
        ratios = outputs[preferred].mean(axis=0) / outputs[~preferred].mean(axis=0)
        assert ratios.max() > 2.0


def test_teacher_drive_fires_the_labels_outputs_only_while_learning():
    # No input at all: under "teacher" only the outputs of the shown label fire, at the
    # rate the drive sets (from rest to threshold in 10 mV / drive, then refractory);
    # every spike is judged, so they are rewarded.  Without a label nothing fires.
    readout = RewardReadout(n_per_class=2, n_classes=2, weight_sum=None, reward_policy="teacher",
                            teacher_drive=0.5 * mV / ms, tau_membrane=1e6 * second,
                            rule=RewardSTDP(learning_rate=0 / second))
    steps = int(round(float(SYNTH_PRESENTATION.slot_duration / SYNTH_DT)))
    flags = np.zeros((3 * steps, 2))
    handle, network = synthetic_network(readout, np.array([1, 0, 1]), flags, n_train=2)
    spikes = SpikeMonitor(handle["readout_output"])
    reward = StateMonitor(handle["readout_output"], "reward", record=True, when="end")
    network.add(spikes, reward)
    network.run(3 * SYNTH_PRESENTATION.slot_duration, namespace={})

    times, outputs = np.asarray(spikes.t / ms), np.asarray(spikes.i)
    slot_ms = float(SYNTH_PRESENTATION.slot_duration / ms)
    per_slot = [np.bincount(outputs[(times >= k * slot_ms) & (times < (k + 1) * slot_ms)],
                            minlength=4).tolist() for k in range(3)]
    # 20 ms to threshold plus 5 ms refractory: 4 spikes in a 100 ms presentation
    assert per_slot == [[0, 0, 4, 4], [4, 4, 0, 0], [0, 0, 0, 0]]
    assert reward.reward[2:, : steps].max() > 0 and reward.reward[:2, : steps].min() == 0


def test_teacher_policy_learns_a_synthetic_task():
    readout = RewardReadout(n_per_class=2, n_classes=N_CLASSES, weight_sum=8.0,
                            psp_amplitude=4 * mV, reward_policy="teacher")
    _, labels, predicted = learn_synthetic_task(readout, n_train=100)
    assert np.mean(predicted[100:] == labels[100:]) >= 0.95


# -- the readout inside the simulators -----------------------------------------------------

N_INPUT, N_NEURONS = 16, 4
TINY = NetworkParams(
    connectivity=ConnectivityParams(weight_sum=3.0),
    presentation=PresentationParams(presentation_time=40 * ms, rest_time=15 * ms, dt=DT,
                                    max_rate=1 / DT, min_spikes=0),
)
TINY_READOUT = RewardReadout(n_per_class=2, n_classes=2, weight_sum=None, w_init_min=0.6,
                             w_init_max=0.9, psp_amplitude=8 * mV,
                             rule=RewardSTDP(tau_eligibility=50 * ms, learning_rate=50 / second))


def tiny_start(simulator, seed=0):
    rng = np.random.default_rng(seed)
    weights = initial_weights(N_INPUT, N_NEURONS, TINY, rng)
    delays = input_delays(N_INPUT, N_NEURONS, TINY, rng)
    return simulator.initial_state(weights, delays, rng)


def black_and_white_images(n, seed=0):
    # A white pixel fires at every step whatever the random numbers (see test_network.py).
    rng = np.random.default_rng(seed)
    return 255.0 * (rng.random((n, N_INPUT)) < 0.5)


def test_readout_runs_in_blocks_and_carries_its_state():
    config = (N_INPUT, N_NEURONS, TINY, PairSTDP(), 3)
    simulator = RuntimeSimulator(*config, extensions=[TINY_READOUT])
    start = tiny_start(simulator)
    for group, names in TINY_READOUT.carried_variables.items():
        for name in names:
            assert f"{group}.{name}" in start.arrays
    images = black_and_white_images(3)
    labels = np.array([0, 1, 0])

    middle, result = simulator.run_block(start, images, plastic=True, seed=1, labels=labels)
    counts = result.extensions["readout"]["counts"]
    assert counts.shape == (result.n_consumed, TINY_READOUT.n_outputs) == (3, 4)
    assert counts.sum() > 0
    assert np.any(middle.arrays["readout_input.w"] != start.arrays["readout_input.w"])
    assert np.any(middle.arrays["readout_output.reward"] != 0)

    # The next block from the carried state, in a fresh simulator: the same result.
    end, _ = simulator.run_block(middle, images, plastic=True, seed=2, labels=labels)
    fresh = RuntimeSimulator(*config, extensions=[TINY_READOUT])
    end_fresh, _ = fresh.run_block(middle, images, plastic=True, seed=2, labels=labels)
    for key in end.arrays:
        assert_array_equal(end.arrays[key], end_fresh.arrays[key], err_msg=key)

    # No labels: no reward.  Learning off: the readout's weights stay.
    unlabelled, _ = simulator.run_block(start, images, plastic=True, seed=1)
    assert np.all(unlabelled.arrays["readout_output.reward"] == 0)
    frozen, _ = simulator.run_block(start, images, plastic=False, seed=1, labels=labels)
    assert_array_equal(frozen.arrays["readout_input.w"], start.arrays["readout_input.w"])


@needs_compiler
@pytest.mark.standalone
def test_readout_runtime_and_standalone_devices_agree(build_root, monkeypatch):
    # Black and white images drive the network the same way on both devices, so the
    # readout's spikes, rewards and weights must agree.
    use_runtime_device()  # the compiled device holds no earlier build
    config = (N_INPUT, N_NEURONS, TINY, PairSTDP(), 4)
    images, labels = black_and_white_images(4, seed=3), np.array([0, 1, 1, 0])
    runtime = RuntimeSimulator(*config, extensions=[TINY_READOUT])
    start = tiny_start(runtime)
    runtime_state, runtime_result = runtime.run_block(start, images, plastic=True, seed=5,
                                                      labels=labels)
    try:
        standalone = StandaloneSimulator(*config, extensions=[TINY_READOUT], build_root=build_root)
        standalone_state, standalone_result = standalone.run_block(start, images, plastic=True,
                                                                   seed=5, labels=labels)
    finally:
        get_device().reinit()
        set_device("runtime")
    assert_array_equal(standalone_result.extensions["readout"]["counts"],
                       runtime_result.extensions["readout"]["counts"])
    assert runtime_result.extensions["readout"]["counts"].sum() > 0
    for key in ("readout_input.w", "readout_input.eligibility_value", "readout_output.reward"):
        np.testing.assert_allclose(standalone_state.arrays[key], runtime_state.arrays[key],
                                   rtol=1e-9, atol=1e-12, err_msg=key)
    assert np.any(runtime_state.arrays["readout_input.w"] != start.arrays["readout_input.w"])
