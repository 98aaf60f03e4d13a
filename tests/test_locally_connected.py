"""The locally connected layer (stdp_learn/locally_connected.py): connectivity, competition,
normalisation over each neuron's patch, its operation count and a run on the sample.

The small layer of most tests covers 8 x 8 images with 4-pixel patches every 2 pixels:
3 x 3 patches, 2 neurons each, 18 neurons of 16 inputs.
"""
import json

import numpy as np
import pytest
from brian2 import StateMonitor, ms
from numpy.testing import assert_allclose, assert_array_equal

from stdp_learn import AllToAll, DiehlCook2015, LocalPatches
from stdp_learn.config import ConfigError, ConnectivityParams, NetworkParams, PresentationParams
from stdp_learn.connectivity import CONNECTIVITIES, connectivity_from_dict
from stdp_learn.efficiency import fan_out, memory_bytes, synaptic_operations
from stdp_learn.network import build_network, initial_weights, input_delays
from stdp_learn.rules import PairSTDP
from stdp_learn.simulation import StandaloneSimulator, compiler_available
from stdp_learn.train import main

from conftest import needs_compiler, numpy_runtime, start_schedule, use_runtime_device

SIDE, PATCH, STRIDE, PER_PATCH = 8, 4, 2, 2
N_INPUT, N_NEURONS = SIDE * SIDE, 9 * PER_PATCH
# normalised to the tiny network's weight per input (the default, 78 per neuron, is MNIST's)
LAYER = LocalPatches(patch_size=PATCH, stride=STRIDE, neurons_per_patch=PER_PATCH,
                     patch_weight_sum=None)
WEIGHT_SUM = 3.0  # over all 64 inputs; a 16-pixel patch's share is 0.75
DT = 0.1 * ms
PARAMS = NetworkParams(
    connectivity=ConnectivityParams(weight_sum=WEIGHT_SUM),
    presentation=PresentationParams(presentation_time=40 * ms, rest_time=15 * ms, dt=DT,
                                    max_rate=1 / DT))
FAST_RULE = PairSTDP(nu_pre=0.01, nu_post=0.1)
DEVICE = "cpp_standalone" if compiler_available() else "runtime"


def patch_pixels_by_hand(neuron):
    """Return the pixels neuron `neuron` should see, from the layout written out."""
    patch = neuron // PER_PATCH
    top, left = STRIDE * (patch // 3), STRIDE * (patch % 3)
    return {(top + row) * SIDE + left + column for row in range(PATCH) for column in range(PATCH)}


def weights_and_delays(seed=0):
    rng = np.random.default_rng(seed)
    return (initial_weights(N_INPUT, N_NEURONS, PARAMS, rng),
            input_delays(N_INPUT, N_NEURONS, PARAMS, rng))


def test_layout_counts_and_json_round_trip():
    assert LAYER.n_neurons_for(N_INPUT) == N_NEURONS
    assert LAYER.n_synapses(N_INPUT, N_NEURONS) == N_NEURONS * PATCH**2
    assert LocalPatches().n_neurons_for(784) == 100  # 5 x 5 patches of 12 pixels, 4 neurons each
    assert CONNECTIVITIES["local"] is LocalPatches
    assert connectivity_from_dict(json.loads(json.dumps(LAYER.to_dict()))) == LAYER
    assert LocalPatches().normalisation_target(78.0, 784) == 78.0
    per_input = LocalPatches(patch_size=4, patch_weight_sum=None)
    assert per_input.normalisation_target(78.0, 784) == pytest.approx(78.0 * 16 / 784)
    assert AllToAll().normalisation_target(78.0, 784) == 78.0
    assert LocalPatches(patch_weight_sum=40).normalisation_target(78.0, 784) == 40.0


@pytest.mark.parametrize("kwargs, message", [
    ({"patch_size": 0}, "patch_size"),
    ({"stride": 1.5}, "stride"),
    ({"competition": "global"}, "competition"),
    ({"image_height": 28}, "both image_height and image_width"),
    ({"patch_weight_sum": -1.0}, "patch_weight_sum"),
])
def test_bad_options_are_refused(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        LocalPatches(**kwargs).validate()


def test_sizes_that_do_not_fit_are_refused_in_one_line():
    with pytest.raises(ConfigError, match="has 18 neurons, not 20"):
        LAYER.n_synapses(N_INPUT, 20)
    with pytest.raises(ConfigError, match="not a square image"):
        LAYER.synapse_index(60, N_NEURONS)
    with pytest.raises(ConfigError, match="do not fit"):
        LocalPatches(patch_size=9).n_neurons_for(N_INPUT)
    # a non-square image, given its shape
    wide = LocalPatches(patch_size=4, stride=2, neurons_per_patch=1, image_height=4, image_width=8)
    assert wide.n_neurons_for(32) == 3


def test_every_neuron_is_connected_to_exactly_its_patch():
    with numpy_runtime(DT):
        weights, delays = weights_and_delays()
        handle = build_network(N_INPUT, N_NEURONS, PARAMS, FAST_RULE, 2, weights=weights,
                               delays=delays, connectivity=LAYER)
        synapses = handle["input_exc"]
        pre, post = np.asarray(synapses.i[:]), np.asarray(synapses.j[:])
        w = np.asarray(synapses.w[:])
    for neuron in range(N_NEURONS):
        assert set(pre[post == neuron]) == patch_pixels_by_hand(neuron)
        assert np.sum(post == neuron) == PATCH**2  # no pixel twice
    # the synapses are in the order the simulators gather the dense arrays in
    assert_array_equal(pre * N_NEURONS + post, LAYER.synapse_index(N_INPUT, N_NEURONS))
    assert_array_equal(w, weights[pre, post])


def test_inhibition_reaches_the_other_neurons_of_the_patch_only():
    with numpy_runtime(DT):
        weights, delays = weights_and_delays()
        handle = build_network(N_INPUT, N_NEURONS, PARAMS, FAST_RULE, 2, weights=weights,
                               delays=delays, connectivity=LAYER)
        inhibition = handle["lateral_inhibition"]
        source, target = np.asarray(inhibition.i[:]), np.asarray(inhibition.j[:])
    pairs = set(zip(source.tolist(), target.tolist()))
    expected = {(a, b) for a in range(N_NEURONS) for b in range(N_NEURONS)
                if a != b and a // PER_PATCH == b // PER_PATCH}
    assert pairs == expected and len(source) == len(expected)
    between = LocalPatches(patch_size=PATCH, stride=STRIDE, neurons_per_patch=PER_PATCH,
                           competition="layer")
    assert between.inhibition_pairs(N_NEURONS) is None  # the whole layer's O(N) inhibition
    with numpy_runtime(DT):
        handle = build_network(N_INPUT, N_NEURONS, PARAMS, FAST_RULE, 2, weights=weights,
                               delays=delays, connectivity=between)
        assert len(handle["lateral_inhibition"]) == N_NEURONS  # schedule -> every neuron
        assert len(handle["inh_exc"]) == N_NEURONS  # every inhibitory spike counted


def test_normalisation_scales_each_neuron_over_its_own_patch():
    """At every training slot start each neuron's patch weights are rescaled to the
    patch's target, and the weights outside the patch stay absent (zero)."""
    target = WEIGHT_SUM * PATCH**2 / N_INPUT
    assert LAYER.normalisation_target(WEIGHT_SUM, N_INPUT) == pytest.approx(target)
    with numpy_runtime(DT):
        weights, delays = weights_and_delays()
        handle = build_network(N_INPUT, N_NEURONS, PARAMS, FAST_RULE, 3, weights=weights,
                               delays=delays, connectivity=LAYER)
        images = np.zeros((3, N_INPUT))
        images[:, ::3] = 255
        handle.block_images.values[:] = images
        start_schedule(handle, 3)
        handle["exc"].plastic = True
        slot = PARAMS.presentation.slot_duration
        before = StateMonitor(handle["input_exc"], "w", record=True, dt=slot, when="start",
                              order=-10, name="w_before")
        after = StateMonitor(handle["input_exc"], "w", record=True, dt=slot, when="start",
                             order=10, name="w_after")
        handle.network.add(before, after)
        handle.network.run(3 * slot, namespace={})
        post = np.asarray(handle["input_exc"].j[:])
        w_before, w_after = np.asarray(before.w).T, np.asarray(after.w).T  # (slots, synapses)
    for slot_index in range(3):
        sums_before = np.bincount(post, weights=w_before[slot_index], minlength=N_NEURONS)
        sums_after = np.bincount(post, weights=w_after[slot_index], minlength=N_NEURONS)
        assert_allclose(sums_after, target, rtol=1e-12)
        assert_allclose(w_after[slot_index], w_before[slot_index] * target / sums_before[post],
                        rtol=1e-12)
    # learning moved the sums between slot starts, so each normalisation had work to do
    assert np.abs(np.bincount(post, weights=w_before[1]) - target).max() > 1e-4


def test_operations_and_memory_count_the_patches():
    fans = fan_out(N_NEURONS, N_INPUT, LAYER)
    assert fans == {"input_exc": N_NEURONS * PATCH**2 / N_INPUT, "exc_inh": 1,
                    "inh_exc": PER_PATCH - 1}
    assert fan_out(N_NEURONS, N_INPUT, AllToAll()) == fan_out(N_NEURONS)
    ops = synaptic_operations({"input": [640], "exc": [5], "inh": [4]}, N_INPUT, N_NEURONS,
                              connectivity=LAYER)
    assert ops["input_exc"] == pytest.approx(640 * 4.5)
    assert ops["inh_exc"] == 4 * (PER_PATCH - 1)
    local = memory_bytes(N_INPUT, N_NEURONS, connectivity=LAYER)
    dense = memory_bytes(N_INPUT, N_NEURONS)
    assert local["weights"] == N_NEURONS * PATCH**2 * 8
    assert local["weights"] < dense["weights"] and local["total"] < dense["total"]


def test_weights_stay_zero_outside_the_patches_and_survive_save_and_load(tmp_path):
    images = np.zeros((6, SIDE, SIDE))
    for k in range(6):
        images[k, k % SIDE, :] = 255
        images[k, :, (3 * k) % SIDE] = 255
    labels = np.arange(6) % 2
    params = NetworkParams(presentation=PresentationParams(presentation_time=40 * ms,
                                                           rest_time=15 * ms))
    model = DiehlCook2015(n_neurons=N_NEURONS, connectivity=LAYER, params=params,
                          rule=FAST_RULE, device="runtime", block_size=3, random_state=0)
    model.fit(images, labels)
    use_runtime_device()
    outside = np.ones((N_INPUT, N_NEURONS), dtype=bool)
    outside.ravel()[LAYER.synapse_index(N_INPUT, N_NEURONS)] = False
    assert np.all(model.weights_[outside] == 0)
    assert np.all(np.where(outside, 0.0, model.weights_).sum(axis=0) > 0)  # each patch learned
    for compact in (False, True):
        loaded = DiehlCook2015.load(model.save(tmp_path / f"local{compact}.npz", compact=compact),
                                    device="runtime")
        assert loaded.connectivity == LAYER
        assert np.all(loaded.weights_[outside] == 0)
        # the compact file keeps the weights in float32
        assert_allclose(loaded.weights_, model.weights_, rtol=1e-6 if compact else 0)


@needs_compiler
def test_compiled_device_orders_the_synapses_as_the_dense_arrays(build_root):
    """The compiled program creates the patch synapses in `synapse_index` order, so the
    dense state arrays' entries land on the right synapses."""
    simulator = StandaloneSimulator(N_INPUT, N_NEURONS, PARAMS, FAST_RULE, 2,
                                    build_root=build_root, connectivity=LAYER)
    weights, delays = weights_and_delays()
    state = simulator.initial_state(weights, delays)
    images = np.zeros((2, N_INPUT))
    images[:, ::5] = 255
    new_state, _ = simulator.run_block(state, images, plastic=False, seed=1)
    synapses = simulator.handle["input_exc"]
    pre = np.asarray(synapses.variables["_synaptic_pre"].get_value())
    post = np.asarray(synapses.variables["_synaptic_post"].get_value())
    use_runtime_device()
    assert_array_equal(pre * N_NEURONS + post, LAYER.synapse_index(N_INPUT, N_NEURONS))
    inside = np.zeros((N_INPUT, N_NEURONS), dtype=bool)
    inside[pre, post] = True
    assert_array_equal(new_state.weights, np.where(inside, weights, 0.0))  # learning off


def test_patch_mosaic_shows_each_neuron_over_its_own_patch_where_the_patch_lies():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from stdp_learn.plotting import plot_patch_receptive_fields, tile_patch_receptive_fields

    weights = np.zeros((N_INPUT, N_NEURONS))
    index = LAYER.synapse_index(N_INPUT, N_NEURONS)
    pixel, neuron = np.divmod(index, N_NEURONS)
    weights[pixel, neuron] = neuron + 1 + pixel / 100  # which neuron, and which pixel
    mosaic = tile_patch_receptive_fields(weights, LAYER, pad=1)
    # a 3 x 3 grid of cells, each two 4 x 4 tiles side by side; cells 2 apart
    cell_height, cell_width = PATCH, 2 * PATCH + 1
    assert mosaic.shape == (3 * (cell_height + 2) - 2, 3 * (cell_width + 2) - 2)
    for n in range(N_NEURONS):
        patch, slot = divmod(n, PER_PATCH)
        top = (patch // 3) * (cell_height + 2)
        left = (patch % 3) * (cell_width + 2) + slot * (PATCH + 1)
        tile = mosaic[top: top + PATCH, left: left + PATCH]
        pixels = np.array(sorted(patch_pixels_by_hand(n))).reshape(PATCH, PATCH)
        assert_allclose(tile, n + 1 + pixels / 100)
    ax = plot_patch_receptive_fields(weights, LAYER)
    assert ax.images[0].get_array().shape == mosaic.shape
    plt.close(ax.figure)


def test_cli_refuses_a_neuron_count_the_patches_do_not_make(tmp_path, capsys):
    status = main(["mnist-sample", "--topology", "local", "--neurons", "50",
                   "--train-size", "20", "--test-size", "20", "--output", str(tmp_path / "run"),
                   "--no-progress"])
    assert status == 2
    assert "has 100 neurons, not 50" in capsys.readouterr().err


def test_cli_refuses_an_unknown_topology_option(tmp_path, capsys):
    status = main(["mnist-sample", "--topology", "local", "--topology-option", "kernel=3",
                   "--output", str(tmp_path / "run"), "--no-progress"])
    assert status == 2
    assert "patch_size" in capsys.readouterr().err


def test_topology_local_trains_on_the_sample_above_chance(tmp_path, build_root, monkeypatch):
    monkeypatch.setenv("STDP_LEARN_BUILD", str(build_root))
    out = tmp_path / "run"
    status = main(["mnist-sample", "--topology", "local", "--train-size", "300",
                   "--test-size", "200", "--block-size", "100", "--device", DEVICE,
                   "--output", str(out), "--no-progress"])
    use_runtime_device()
    assert status == 0
    metrics = json.loads((out / "metrics.json").read_text())
    record = json.loads((out / "record.json").read_text())
    assert record["configuration"]["model"]["connectivity"]["connectivity"] == "local"
    efficiency = metrics["efficiency"]
    assert efficiency["memory_bytes"]["weights"] == 100 * 144 * 8
    operations, spikes = efficiency["synaptic_operations_per_image"], efficiency["spikes_per_image"]
    assert operations["input_exc"] == pytest.approx(spikes["input"] * 14400 / 784)
    assert operations["inh_exc"] == pytest.approx(spikes["inh"] * 3)
    assert (out / "receptive_fields_by_patch.png").stat().st_size > 0
    assert metrics["accuracy"] > 0.2  # chance is 0.1
