"""The Bernoulli and latency encoders (stdp_learn/encoders/) in the real network.

The network is built by `stdp_learn.network.build_network` at the size of
tests/test_network.py (16 inputs, 4 excitatory neurons, 40 ms on and 15 ms rest at
dt = 0.1 ms), with the spike minimum off so that every slot shows the next image, and a
`SpikeMonitor` on the inputs.
"""
import numpy as np
import pytest
from brian2 import Hz, SpikeMonitor, ms, second

from stdp_learn import BernoulliEncoder, DiehlCook2015, LatencyEncoder, PoissonEncoder
from stdp_learn.config import ConfigError, ConnectivityParams, NetworkParams, PresentationParams
from stdp_learn.encoding import ENCODERS, encoder_from_dict
from stdp_learn.network import build_network, initial_weights, input_delays
from stdp_learn.rules import PairSTDP

from conftest import numpy_runtime, start_schedule

N_INPUT, N_NEURONS = 16, 4
DT = 0.1 * ms
PRESENTATION_TIME, REST_TIME = 40 * ms, 15 * ms
SLOT = PRESENTATION_TIME + REST_TIME
STEPS_ON = int(round(float(PRESENTATION_TIME / DT)))
# One of each grey level in every row of four inputs.
LEVELS = np.array([0, 64, 128, 255] * 4, dtype=float)


@pytest.fixture(autouse=True)
def _numpy_target_and_time_step():
    with numpy_runtime(DT):
        yield


def params(max_rate=500 * Hz, min_spikes=0):
    presentation = PresentationParams(presentation_time=PRESENTATION_TIME, rest_time=REST_TIME,
                                      dt=DT, max_rate=max_rate, min_spikes=min_spikes)
    return NetworkParams(connectivity=ConnectivityParams(weight_sum=3.0),
                         presentation=presentation)


def input_spikes(encoder, images, network_params=None):
    """Show `images` one per slot; return (input index, slot, time in the slot in ms)."""
    network_params = network_params or params()
    rng = np.random.default_rng(0)
    n_slots = len(images)
    handle = build_network(N_INPUT, N_NEURONS, network_params, PairSTDP(), n_slots,
                           weights=initial_weights(N_INPUT, N_NEURONS, network_params, rng),
                           delays=input_delays(N_INPUT, N_NEURONS, network_params, rng),
                           encoder=encoder)
    handle.block_images.values[:] = images
    start_schedule(handle, n_slots)
    monitor = SpikeMonitor(handle["input"], name="input_spikes")
    handle.network.add(monitor)
    handle.network.run(n_slots * SLOT, namespace={})
    times = np.asarray(monitor.t / second)
    slots = np.floor(times / float(SLOT) + 1e-9).astype(int)
    return np.asarray(monitor.i), slots, (times - slots * float(SLOT)) * 1e3


# -- latency --------------------------------------------------------------------------------

def test_latency_fires_every_lit_pixel_once_brighter_first_black_never():
    window = 30 * ms
    images = np.stack([LEVELS, np.roll(LEVELS, 1), np.arange(N_INPUT) * 17.0])
    index, slot, time_ms = input_spikes(LatencyEncoder(latency_window=window), images)
    for k, image in enumerate(images):
        in_slot = slot == k
        counts = np.bincount(index[in_slot], minlength=N_INPUT)
        np.testing.assert_array_equal(counts, (image > 0).astype(int))
        fired = index[in_slot]
        latency = time_ms[in_slot]
        # at the nearest time step to (1 - p / 255) * window, within the presentation
        expected = (1 - image[fired] / 255.0) * float(window / ms)
        np.testing.assert_allclose(latency, expected, atol=0.5 * float(DT / ms) + 1e-9)
        assert latency.max() < float(PRESENTATION_TIME / ms)
        # brighter pixels strictly earlier
        brighter = image[fired][:, None] > image[fired][None, :]
        assert np.all((latency[:, None] < latency[None, :])[brighter])


def test_latency_retry_brightens_every_pixel():
    encoder = LatencyEncoder(latency_window=30 * ms, retry_gain=1.0)
    # No answer is enough: every slot is a retry of image 0 (up to max_retries, 40).
    never_enough = params(min_spikes=10**6)
    index, slot, time_ms = input_spikes(encoder, np.stack([LEVELS, LEVELS, LEVELS]),
                                        never_enough)
    for retries in range(3):
        in_slot = slot == retries
        intensity = np.minimum(1.0, LEVELS / 255.0 * (1 + retries))
        np.testing.assert_array_equal(np.bincount(index[in_slot], minlength=N_INPUT),
                                      (LEVELS > 0).astype(int))
        np.testing.assert_allclose(time_ms[in_slot], (1 - intensity[index[in_slot]]) * 30.0,
                                   atol=0.5 * float(DT / ms) + 1e-9)


def test_latency_window_must_fit_in_the_presentation():
    with pytest.raises(ConfigError, match="latency_window"):
        LatencyEncoder(latency_window=41 * ms).namespace(params())
    with pytest.raises(ConfigError, match="retry_gain"):
        LatencyEncoder(retry_gain=-1.0).validate()


# -- Bernoulli ------------------------------------------------------------------------------

def test_bernoulli_counts_match_the_rate_and_nothing_fires_in_the_rest():
    max_rate = 500 * Hz
    n_slots = 6
    images = np.stack([np.roll(LEVELS, k) for k in range(n_slots)])
    index, slot, time_ms = input_spikes(BernoulliEncoder(), images, params(max_rate=max_rate))
    assert np.all(time_ms < float(PRESENTATION_TIME / ms))  # nothing during the rest
    counts = np.zeros((n_slots, N_INPUT))
    np.add.at(counts, (slot, index), 1)
    assert np.all(counts[images == 0] == 0)
    for level in (64, 128, 255):
        observed = counts[images == level].sum()
        probability = level / 255.0 * float(max_rate * DT)
        trials = (images == level).sum() * STEPS_ON
        mean, sd = trials * probability, np.sqrt(trials * probability * (1 - probability))
        assert abs(observed - mean) < 5 * sd, (level, observed, mean)


def test_bernoulli_white_pixel_at_one_spike_per_step_fires_at_every_step_of_the_presentation():
    images = np.stack([LEVELS])
    index, slot, time_ms = input_spikes(BernoulliEncoder(), images, params(max_rate=1 / DT))
    white = np.flatnonzero(LEVELS == 255)
    for pixel in white:
        steps = np.round(time_ms[index == pixel] / float(DT / ms)).astype(int)
        np.testing.assert_array_equal(steps, np.arange(STEPS_ON))


# -- registry and the estimator -------------------------------------------------------------

def test_encoders_are_registered_and_round_trip():
    assert ENCODERS["bernoulli"] is BernoulliEncoder
    assert ENCODERS["latency"] is LatencyEncoder
    latency = LatencyEncoder(latency_window=20 * ms, retry_gain=0.25)
    assert encoder_from_dict(latency.to_dict()) == latency
    assert encoder_from_dict(BernoulliEncoder().to_dict()) == BernoulliEncoder()
    assert encoder_from_dict(None) == PoissonEncoder()


def test_the_estimator_trains_with_latency_input_and_keeps_the_encoder(mnist_sample, tmp_path):
    """Each training image sends one spike per non-black pixel, and the file keeps the encoder.

    One spike per pixel is a small fraction of the Poisson input, and with the paper's
    weights the layer seldom answers it; the spike minimum is off so that no image is
    retried up to the retry cap (which would cost minutes here, for the same input spikes).
    """
    presentation = PresentationParams(min_spikes=0)
    encoder = LatencyEncoder(latency_window=20 * ms)
    model = DiehlCook2015(n_neurons=5, encoder=encoder, device="runtime", block_size=10,
                          random_state=0, params=NetworkParams(presentation=presentation))
    images = mnist_sample.X_train[:20]
    model.fit(images, mnist_sample.y_train[:20])
    assert model.training_log_.images_seen == 20
    np.testing.assert_array_equal(model.training_log_.layer_spikes["input"],
                                  (images.reshape(len(images), -1) > 0).sum(axis=1))
    assert model.weights_.shape == (784, 5)
    loaded = DiehlCook2015.load(model.save(tmp_path / "latency.npz"), device="runtime")
    assert loaded.encoder == encoder
