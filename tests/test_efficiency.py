"""Operation counts, memory and energy: by hand, and against a running Brian2 network."""
import doctest
import gc
import json
from collections import defaultdict

import numpy as np
import pytest
from brian2 import SpikeMonitor, mV, ms, pjoule, second
from brian2.core.variables import ArrayVariable

from stdp_learn import NetworkParams, PairSTDP, PresentationParams, efficiency
from stdp_learn.efficiency import (
    COMPARISON_ASSUMPTIONS,
    E_AC_JOULES,
    E_MAC_JOULES,
    E_NEURON_UPDATE_JOULES,
    dense_operations,
    efficiency_report,
    energy_estimate,
    fan_out,
    memory_bytes,
    neuron_updates,
    nonzero_pixels,
    stack_layer_spikes,
    summary_line,
    synaptic_operations,
)
from stdp_learn.simulation import RuntimeSimulator

# --- synaptic operations by hand ----------------------------------------------------------


def test_fan_out_of_each_projection():
    assert fan_out(7) == {"input_exc": 7, "exc_inh": 1, "inh_exc": 6}
    assert fan_out(1)["inh_exc"] == 0  # a lone neuron inhibits nobody


def test_synaptic_operations_are_spikes_times_fan_out():
    layer_spikes = {"input": np.array([10, 0, 7]), "exc": np.array([3, 1, 0]),
                    "inh": np.array([2, 5, 0])}
    ops = synaptic_operations(layer_spikes, n_input=6, n_neurons=4, per_image=True)
    # image 0: 10 inputs x 4 targets, 3 exc x 1, 2 inh x 3 others = 40 + 3 + 6 = 49
    # image 1: 0 + 1 + 15 = 16;  image 2: 28 + 0 + 0 = 28
    np.testing.assert_array_equal(ops["per_image"]["input_exc"], [40, 0, 28])
    np.testing.assert_array_equal(ops["per_image"]["exc_inh"], [3, 1, 0])
    np.testing.assert_array_equal(ops["per_image"]["inh_exc"], [6, 15, 0])
    np.testing.assert_array_equal(ops["per_image"]["total"], [49, 16, 28])
    assert ops["input_exc"] == pytest.approx(68 / 3)
    assert ops["exc_inh"] == pytest.approx(4 / 3)
    assert ops["inh_exc"] == pytest.approx(7)
    assert ops["total"] == pytest.approx(93 / 3)
    assert ops["n_images"] == 3
    # 68/3 events per image over 6 x 4 input synapses = 17/3 / 6 spikes per pixel
    assert ops["events_per_input_synapse"] == pytest.approx((17 / 3) / 6)


def test_synaptic_operations_without_arrays_is_json_safe():
    ops = synaptic_operations({"input": [1], "exc": [0], "inh": [0]}, 2, 3)
    assert "per_image" not in ops
    json.dumps(ops)


@pytest.mark.parametrize(
    "layer_spikes, message",
    [({"input": [1], "exc": [1]}, "inh"),
     ({"input": [1, 2], "exc": [1], "inh": [1]}, "length"),
     ({"input": [-1], "exc": [1], "inh": [1]}, "counts"),
     ({"input": [1.5], "exc": [1], "inh": [1]}, "counts"),
     ({"input": [], "exc": [], "inh": []}, "no images"),
     ({"input": [[1]], "exc": [[1]], "inh": [[1]]}, "1-D")],
)
def test_synaptic_operations_rejects_bad_spike_totals(layer_spikes, message):
    with pytest.raises(ValueError, match=message):
        synaptic_operations(layer_spikes, 4, 2)


def test_stack_layer_spikes_keeps_block_order():
    joined = stack_layer_spikes([
        {"input": np.array([5, 6]), "exc": np.array([1, 2]), "inh": np.array([0, 1])},
        {"input": np.array([7]), "exc": np.array([3]), "inh": np.array([2])},
    ])
    assert joined["input"].tolist() == [5, 6, 7]
    assert joined["inh"].tolist() == [0, 1, 2]
    assert stack_layer_spikes([])["exc"].size == 0


# --- energy by hand -------------------------------------------------------------------------


def test_energy_by_hand():
    energy = energy_estimate(1000, n_input=10, n_neurons=5)
    assert energy["snn_joules_per_image"] == pytest.approx(1000 * 0.9e-12)
    assert energy["macs_per_image"] == 50
    assert energy["ann_joules_per_image"] == pytest.approx(50 * 4.6e-12)
    assert energy["snn_to_ann_ratio"] == pytest.approx(900 / 230)
    assert (energy["e_ac_joules"], energy["e_mac_joules"]) == (E_AC_JOULES, E_MAC_JOULES)


def test_energy_takes_the_total_of_an_operation_count_and_other_costs():
    ops = synaptic_operations({"input": [100], "exc": [2], "inh": [1]}, 16, 4)
    energy = energy_estimate(ops, 16, 4, e_ac=1e-12, e_mac=2e-12)
    assert energy["synops_per_image"] == 100 * 4 + 2 + 3
    assert energy["snn_joules_per_image"] == pytest.approx(405e-12)
    assert energy["ann_joules_per_image"] == pytest.approx(64 * 2e-12)


def test_energy_of_the_paper_network():
    # 400 neurons, about 2290 input spikes per MNIST image: 0.92 M SynOps, 0.82 uJ,
    # against 784 x 400 MACs, 1.44 uJ
    energy = energy_estimate(2290 * 400, 784, 400)
    assert energy["snn_joules_per_image"] == pytest.approx(0.824e-6, rel=1e-3)
    assert energy["ann_joules_per_image"] == pytest.approx(1.443e-6, rel=1e-3)


def test_energy_takes_brian2_energies():
    energy = energy_estimate(10, 2, 2, e_ac=1 * pjoule, e_mac=5 * pjoule)
    assert energy["e_ac_joules"] == pytest.approx(1e-12)
    assert energy["ann_joules_per_image"] == pytest.approx(4 * 5e-12)


@pytest.mark.parametrize("kwargs", [{"synops_per_image": -1.0}, {"synops_per_image": np.nan},
                                    {"synops_per_image": 1.0, "e_ac": 0.0},
                                    {"synops_per_image": 1.0, "e_mac": 4.6 * mV}])
def test_energy_rejects_bad_numbers(kwargs):
    kwargs = {"n_input": 4, "n_neurons": 2, **kwargs}
    with pytest.raises(ValueError):
        energy_estimate(**kwargs)


# --- memory by hand -------------------------------------------------------------------------


def test_memory_weights_are_float64_per_input_synapse():
    memory = memory_bytes(784, 100)
    assert memory["weights"] == 784 * 100 * 8
    kinds = ("weights", "neuron_state", "synapse_state", "spike_buffers")
    assert memory["total"] == sum(memory[kind] for kind in kinds)
    assert sum(memory["by_object"].values()) + memory["weights"] == memory["total"]
    assert "presentation_buffers" not in memory
    json.dumps(memory)


def test_memory_counts_by_hand_for_a_tiny_network():
    memory = memory_bytes(3, 2, input_spikes_per_image=0)
    by_object = memory["by_object"]
    # input: rate, next_spike (8 B) + slot_spike_count, i (4 B) + 4 link indices (8 B)
    assert by_object["input"] == 3 * (2 * 8 + 2 * 4 + 4 * 8)
    # exc: 7 float64, 3 int32, not_refractory, 1 link index, and the shared flag
    assert by_object["exc"] == 2 * (7 * 8 + 3 * 4 + 1 + 8) + 1
    assert by_object["inh"] == 2 * (4 * 8 + 2 * 4 + 1)
    # 6 synapses: i, j (int32) + delays of both pathways, axonal_delay, last_pre_arrival
    # (float64), plus N_outgoing (3), N_incoming (2) and N
    assert by_object["input_exc"] == 6 * (2 * 4 + 4 * 8) + (3 + 2 + 1) * 4
    assert by_object["exc_inh"] == 2 * (2 * 4 + 8) + (2 + 2 + 1) * 4
    # lateral inhibition: 2 synapses into the schedule's single neuron, 2 out of it
    assert by_object["inh_exc"] == 2 * (2 * 4 + 8) + (2 + 1 + 1) * 4
    assert by_object["lateral_inhibition"] == 2 * (2 * 4 + 8) + (1 + 2 + 1) * 4
    assert by_object["spike_spaces"] == (4 + 3 + 3 + 2) * 4


def test_memory_spikes_in_flight_follow_littles_law():
    params = NetworkParams()
    quiet = memory_bytes(784, 100, params=params, input_spikes_per_image=0)
    busy = memory_bytes(784, 100, params=params, input_spikes_per_image=3500)
    # 3500 spikes in 0.35 s = 10 kHz, to 100 targets each, for 5 ms on average
    assert busy["spike_buffers"] - quiet["spike_buffers"] == 10_000 * 100 * 0.005 * 4
    default = memory_bytes(784, 100, params=params)  # an average MNIST image
    expected_spikes = 784 * 0.1307 * 63.75 * 0.350
    assert default["spike_buffers"] - quiet["spike_buffers"] == pytest.approx(
        expected_spikes / 0.35 * 100 * 0.005 * 4, abs=4)


def test_memory_presentation_buffers_grow_with_the_block():
    small = memory_bytes(784, 100, n_slots=10)
    large = memory_bytes(784, 100, n_slots=20)
    # per slot: one image (784 float64) and label, one record of 100 + 3 + 2 int32 values
    # and 3 times
    per_slot = 784 * 8 + 8 + (100 + 3 + 2) * 4 + 3 * 8
    assert large["presentation_buffers"] - small["presentation_buffers"] == 10 * per_slot


def test_memory_grows_with_the_rule_state():
    class RuleWithTrace(PairSTDP):
        state_variables = ("last_pre_arrival", "eligibility")

    plain = memory_bytes(10, 4)
    richer = memory_bytes(10, 4, rule=RuleWithTrace())
    assert richer["synapse_state"] - plain["synapse_state"] == 10 * 4 * 8


# --- the report -----------------------------------------------------------------------------


def test_report_combines_the_parts_and_is_json_safe():
    layer_spikes = {"input": [2000, 2600], "exc": [20, 40], "inh": [10, 20]}
    report = efficiency_report(layer_spikes, 784, 100, n_slots=50)
    text = json.dumps(report)
    assert json.loads(text) == report
    assert report["n_images"] == 2
    assert report["spikes_per_image"] == {"input": 2300.0, "exc": 30.0, "inh": 15.0}
    ops = report["synaptic_operations_per_image"]
    assert ops["total"] == 2300 * 100 + 30 + 15 * 99
    assert report["energy"]["synops_per_image"] == ops["total"]
    assert report["memory_bytes"] == memory_bytes(784, 100, n_slots=50,
                                                  input_spikes_per_image=2300.0)
    line = summary_line(report)
    assert "\n" not in line
    assert "SynOps" in line and "784x100" in line and "pJ" in line


# --- neuron updates and the two dense comparisons ----------------------------------------

# 2 ms on and 1 ms off at 0.5 ms: 6 steps per slot
TINY = NetworkParams(presentation=PresentationParams(presentation_time=2 * ms, rest_time=1 * ms,
                                                     dt=0.5 * ms))


def test_neuron_updates_are_both_layers_every_step_of_every_slot():
    updates = neuron_updates(3, params=TINY, retries=[0, 2, 1])
    # slots 1, 3 and 2: 2 on average; 3 neurons x 6 steps x 2 slots per layer
    assert updates["steps_per_slot"] == 6
    assert updates["mean_slots_per_image"] == 2.0
    assert updates["exc"] == updates["inh"] == 3 * 6 * 2
    assert updates["total"] == 2 * 3 * 6 * 2
    assert updates["retries_given"] is True


def test_neuron_updates_without_retries_assume_one_slot():
    updates = neuron_updates(3, params=TINY)
    assert updates["total"] == 2 * 3 * 6
    assert updates["retries_given"] is False
    assert neuron_updates(100)["total"] == 2 * 100 * 1000  # the paper's 500 ms at 0.5 ms


@pytest.mark.parametrize("retries", [[-1], [0.5], [np.nan], []])
def test_neuron_updates_reject_bad_retries(retries):
    with pytest.raises(ValueError, match="retries"):
        neuron_updates(3, retries=retries)


def test_nonzero_pixels_count_each_image():
    images = np.zeros((3, 2, 2))
    images[0, 0, 1] = 7
    images[2] = 255
    assert nonzero_pixels(images).tolist() == [1, 0, 4]
    with pytest.raises(ValueError, match="row"):
        nonzero_pixels(np.ones(4))


def test_dense_operations_charge_every_pixel_or_the_nonzero_ones():
    assert dense_operations(6, 5) == {"all_pixels": 30, "nonzero_pixels": None,
                                      "mean_nonzero_pixels": None}
    dense = dense_operations(6, 5, nonzero_pixels_per_image=[2, 4])
    assert dense["nonzero_pixels"] == 3 * 5
    assert dense_operations(6, 5, nonzero_pixels_per_image=3.0)["nonzero_pixels"] == 15
    with pytest.raises(ValueError, match="n_input"):
        dense_operations(6, 5, nonzero_pixels_per_image=[7])


def test_report_charges_both_lines_of_the_spiking_network():
    layer_spikes = {"input": [40, 20], "exc": [3, 1], "inh": [2, 0]}
    report = efficiency_report(layer_spikes, 6, 3, params=TINY, retries=[0, 1],
                               nonzero_pixels_per_image=[2, 4])
    synops = (40 + 20) / 2 * 3 + (3 + 1) / 2 + (2 + 0) / 2 * 2
    updates = 2 * 3 * 6 * 1.5
    assert report["neuron_updates_per_image"]["total"] == updates
    comparison = report["comparison"]
    spiking = comparison["spiking"]
    assert spiking["synops"] == synops
    assert spiking["neuron_updates"] == updates
    assert spiking["synops_joules"] == pytest.approx(synops * E_AC_JOULES)
    assert spiking["neuron_update_joules"] == pytest.approx(updates * E_NEURON_UPDATE_JOULES)
    assert spiking["joules"] == pytest.approx(synops * 0.9e-12 + updates * 4.6e-12)
    every_pixel = comparison["dense_all_pixels"]
    assert every_pixel["macs"] == 6 * 3
    assert every_pixel["spiking_to_dense_ratio"] == pytest.approx(
        spiking["joules"] / (18 * 4.6e-12))
    assert every_pixel["synops_to_dense_ratio"] == pytest.approx(
        report["energy"]["snn_to_ann_ratio"])
    nonzero = comparison["dense_nonzero_pixels"]
    assert nonzero["macs"] == 3 * 3 and nonzero["mean_nonzero_pixels"] == 3
    assert nonzero["joules"] == pytest.approx(9 * 4.6e-12)
    assert nonzero["input_spikes_per_nonzero_pixel"] == pytest.approx(30 / 3)
    assert comparison["left_out"] == []
    assert json.loads(json.dumps(report)) == report


def test_report_leaves_out_the_nonzero_comparison_and_says_so():
    report = efficiency_report({"input": [40], "exc": [3], "inh": [2]}, 6, 3, params=TINY)
    comparison = report["comparison"]
    assert comparison["dense_nonzero_pixels"] is None
    assert any("non-zero" in reason for reason in comparison["left_out"])
    assert report["neuron_updates_per_image"]["retries_given"] is False
    line = summary_line(report)
    assert "non-zero pixels not given" in line and "retries not given" in line


def test_report_carries_the_assumptions():
    report = efficiency_report({"input": [40], "exc": [3], "inh": [2]}, 6, 3)
    assert report["assumptions"] == list(COMPARISON_ASSUMPTIONS)
    text = " ".join(report["assumptions"])
    for subject in ("Memory access", "non-zero", "neuron",
                    "Early-exit operation counts are estimates"):
        assert subject in text, subject


@pytest.mark.parametrize("kwargs", [{"retries": [0, 1, 2]}, {"nonzero_pixels_per_image": [1, 2, 3]},
                                    {"retries": [[0, 1]]}])
def test_report_wants_one_value_per_image(kwargs):
    with pytest.raises(ValueError, match="per image"):
        efficiency_report({"input": [4, 5], "exc": [1, 1], "inh": [0, 0]}, 6, 3, **kwargs)


def test_summary_line_shows_both_spiking_lines_and_both_dense_comparisons():
    report = efficiency_report({"input": [2000], "exc": [20], "inh": [10]}, 784, 100,
                               retries=[1], nonzero_pixels_per_image=[150])
    line = summary_line(report)
    assert "\n" not in line
    assert "2.01e+05 SynOps" in line
    assert "4e+05 neuron updates" in line and "2 slots" in line
    assert "all pixels 361 nJ" in line
    # 150 x 100 MACs at 4.6 pJ
    assert "150 non-zero pixels 69 nJ" in line


def test_docstring_examples_run():
    result = doctest.testmod(efficiency, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


# --- against a running network -------------------------------------------------------------

N_INPUT, N_NEURONS, N_SLOTS = 16, 4, 4


class SpikeRecorder:
    """An extension that records every spike of the three layers with SpikeMonitors.

    The extension hook of `stdp_learn.simulation` lets a test add Brian2 objects to the
    simulator's own network, so the monitors see exactly the spikes the schedule counts.
    """

    name = "spike_recorder"
    carried_variables = {}
    time_variables = ()

    def build(self, handle):
        self.monitors = {layer: SpikeMonitor(handle[layer], name=f"{layer}_spike_recorder")
                         for layer in efficiency.LAYERS}
        return list(self.monitors.values())

    def initial_arrays(self, n_neurons, rng):
        return {}

    def block_result(self, handle, slots):
        return {
            "spikes": {layer: (np.asarray(monitor.i[:]), np.asarray(monitor.t[:] / second))
                       for layer, monitor in self.monitors.items()},
            "image_index": slots.image_index.copy(),
            "valid": slots.valid.copy(),
        }

    def to_dict(self):
        return {"extension": self.name}


@pytest.fixture(scope="module")
def recorded_block():
    """Run one runtime block of 4 slots on 2 images, each shown twice, with monitors.

    ``min_spikes`` is out of reach and one retry is allowed, so image 0 fills slots 0-1
    and image 1 slots 2-3: the totals must include the retries.  Strong weights, learning
    off, make both populations fire.
    """
    import brian2

    brian2.start_scope()
    presentation = PresentationParams(min_spikes=10**6, max_retries=1)
    params = NetworkParams(presentation=presentation)
    simulator = RuntimeSimulator(N_INPUT, N_NEURONS, params, PairSTDP(), N_SLOTS,
                                 extensions=(SpikeRecorder(),))
    rng = np.random.default_rng(0)
    state = simulator.initial_state(np.ones((N_INPUT, N_NEURONS)),
                                    rng.random((N_INPUT, N_NEURONS)) * 0.01)
    images = np.vstack([np.full(N_INPUT, 255.0), np.linspace(0, 255, N_INPUT)])
    _, result = simulator.run_block(state, images, plastic=False, seed=7)
    yield simulator, result
    # Free the network's names ("exc", its code objects), so that networks built later in
    # this process get the same generated code, and compiled builds stay cached.
    simulator.handle = None
    gc.collect()


def spikes_by_image(recorded, layer, params):
    """Return (image of each spike, source neuron of each spike) of one layer."""
    indices, times = recorded["spikes"][layer]
    dt = float(params.presentation.dt)
    steps_per_slot = int(round(float(params.presentation.slot_duration) / dt))
    slot = np.round(times / dt).astype(int) // steps_per_slot
    in_valid_slot = recorded["valid"][slot]
    return recorded["image_index"][slot][in_valid_slot], indices[in_valid_slot]


def test_block_showed_each_image_twice(recorded_block):
    _, result = recorded_block
    assert result.n_consumed == 2
    np.testing.assert_array_equal(result.retries, [1, 1])


def test_neuron_updates_cover_every_step_the_network_ran(recorded_block):
    simulator, result = recorded_block
    updates = neuron_updates(N_NEURONS, params=simulator.params, retries=result.retries)
    steps_run = int(round(float(simulator.handle.network.t / simulator.params.presentation.dt)))
    # the block's slots all went to its images (2 images, 2 slots each)
    assert updates["total"] * result.n_consumed == 2 * N_NEURONS * steps_run


def test_layer_totals_equal_the_spikes_a_monitor_records(recorded_block):
    simulator, result = recorded_block
    recorded = result.extensions["spike_recorder"]
    for layer in efficiency.LAYERS:
        image, _ = spikes_by_image(recorded, layer, simulator.params)
        expected = np.bincount(image, minlength=result.n_consumed)
        np.testing.assert_array_equal(result.layer_spikes[layer], expected, err_msg=layer)
        assert expected.sum() > 0, f"no {layer} spikes: the check would be empty"
    # every input spike falls in a presentation (inputs are silent in the rest)
    _, times = recorded["spikes"]["input"]
    on = float(simulator.params.presentation.presentation_time)
    slot = float(simulator.params.presentation.slot_duration)
    assert np.all(np.mod(times, slot) < on + 1e-9)


def test_operations_equal_the_events_of_the_real_connectivity(recorded_block):
    """SynOps per image = sum over spikes of the out-degree of the spiking neuron.

    The out-degrees come from the synapses Brian2 built, not from `fan_out`, so this
    checks the formula against the network's connectivity.
    """
    simulator, result = recorded_block
    recorded = result.extensions["spike_recorder"]
    ops = synaptic_operations(result.layer_spikes, N_INPUT, N_NEURONS, per_image=True)
    for projection, layer in efficiency.PROJECTIONS.items():
        synapses = simulator.handle[projection]
        n_sources = len(synapses.source)
        out_degree = np.bincount(np.asarray(synapses.i[:]), minlength=n_sources)
        if projection == "inh_exc":
            # lateral inhibition reaches every excitatory neuron but the partner without
            # synapses of its own (test_network checks the conductances it adds)
            out_degree = np.full(n_sources, N_NEURONS - 1)
        image, source = spikes_by_image(recorded, layer, simulator.params)
        events = np.bincount(image, weights=out_degree[source], minlength=result.n_consumed)
        np.testing.assert_array_equal(ops["per_image"][projection], events, err_msg=projection)


def allocated_bytes(network, block_images, block_labels):
    """Return the bytes of every state array of the network, by owner and kind."""
    by_owner = defaultdict(int)
    seen = set()
    for obj in network.objects:
        tables = [obj.variables] + [path.variables for path in getattr(obj, "_pathways", ())]
        for variables in tables:
            for variable in variables.values():
                if not isinstance(variable, ArrayVariable) or id(variable) in seen:
                    continue
                seen.add(id(variable))
                owner = getattr(variable.owner, "name", None)
                # spikes, and the schedule's "inhibition" events (stdp_learn.network)
                events = ("_spikespace", "_inhibitionspace")
                key = "spike_spaces" if variable.name in events else owner
                if owner == "input_exc" and variable.name == "w":
                    key = "weights"
                by_owner[key] += np.asarray(variable.get_value()).nbytes
    by_owner["image_store"] = block_images.values.nbytes + block_labels.values.nbytes
    return by_owner


def test_memory_matches_the_arrays_brian2_allocated(recorded_block):
    simulator, _ = recorded_block
    handle = simulator.handle
    actual = allocated_bytes(handle.network, handle.block_images, handle.block_labels)
    memory = memory_bytes(N_INPUT, N_NEURONS, params=simulator.params, rule=simulator.rule,
                          n_slots=N_SLOTS)
    by_object = memory["by_object"]
    assert memory["weights"] == actual["weights"]
    for name in ("input", "exc", "inh", "schedule", "input_exc", "exc_inh", "inh_exc",
                 "lateral_inhibition", "spike_spaces", "image_store"):
        assert by_object[name] == actual[name], name
    counters = sum(actual[f"{layer}_schedule"] for layer in efficiency.LAYERS)
    assert by_object["spike_counters"] == counters
    monitors = sum(actual[name] for name in ("responses", "layer_spikes", "schedule_log"))
    assert by_object["monitors"] == monitors
    neuron_groups = sum(actual[name] for name in ("input", "exc", "inh", "schedule"))
    assert memory["neuron_state"] == neuron_groups
