"""M = Mw + Mp + Ms: each term from the network's sizes, the bit width and the spike peaks."""
import numpy as np
import pytest

from stdp_learn import NetworkParams
from stdp_learn.memory import inference_memory, input_peak_spikes, peak_spikes_per_step
from stdp_learn.simulation import SpikeTrains


def test_memory_is_the_sum_of_weights_neurons_and_spike_buffers():
    params = NetworkParams()
    m8 = inference_memory(784, 100, bits=8, peak_exc_per_step=3, peak_input_in_window=40, params=params)
    m16 = inference_memory(784, 100, bits=16, peak_exc_per_step=3, peak_input_in_window=40, params=params)
    terms = m8["terms"]
    assert terms["input_weights"] == 784 * 100 * 8
    # delays 0-10 ms at 0.5 ms: 21 values, 5 bits
    assert terms["input_delays"] == 784 * 100 * 5
    assert terms["excitatory_state"] == 100 * 5 * 8 and terms["inhibitory_state"] == 100 * 4 * 8
    assert terms["input_buffer"] == 40 * 10  # 784 inputs: 10-bit addresses
    assert terms["excitatory_buffer"] == terms["inhibitory_buffer"] == 3 * 7  # 100 neurons: 7 bits
    assert m8["M"] == m8["Mw"] + m8["Mp"] + m8["Ms"] == sum(terms.values())
    assert m8["M_bytes"] == m8["M"] / 8
    # doubling the width doubles every stored number, not the delays or the addresses
    assert m16["Mw"] - m8["Mw"] == 784 * 100 * 8 + 2 * 8
    assert m16["Mp"] == 2 * m8["Mp"] and m16["Ms"] == m8["Ms"]
    with pytest.raises(ValueError, match="bits"):
        inference_memory(784, 100, bits=0, peak_exc_per_step=3, peak_input_in_window=40, params=params)


def test_the_peak_is_the_most_spikes_in_one_time_step_of_one_image():
    # image 0: two spikes in the step [1.0, 1.5) ms; image 1: three in the step [0, 0.5) ms
    spikes = SpikeTrains(image=np.array([0, 0, 0, 1, 1, 1]),
                         time=np.array([1.0, 1.2, 2.0, 0.1, 0.2, 0.3]) * 1e-3,
                         neuron=np.array([0, 1, 2, 3, 4, 5]))
    assert peak_spikes_per_step(spikes, 0.5e-3) == 3
    assert peak_spikes_per_step(spikes, 0.1e-3) == 1


def test_input_peaks_follow_the_rates():
    params = NetworkParams()
    blank = np.zeros((5, 784))
    assert input_peak_spikes(blank, params, window_steps=21) == 0
    bright = np.full((5, 784), 255.0)
    # 784 pixels at 63.75 Hz: 25 spikes per 0.5 ms step on average
    one = input_peak_spikes(bright, params, window_steps=1)
    window = input_peak_spikes(bright, params, window_steps=21)
    assert 25 < one < 60 and 21 * 25 < window < 21 * 25 + 150
