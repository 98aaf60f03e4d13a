"""The memory a trained network needs for inference: M = Mw + Mp + Ms at a stated bit width.

Where `stdp_learn.efficiency.memory_bytes` counts what Brian2 allocates for the
simulation (float64 everywhere, learning variables, indices, monitors), this counts what
an implementation of the trained network has to hold to classify, every number stored in
``bits`` bits:

``Mw`` (weights)
    the learned input weights (``n_input x n_neurons`` at ``bits``), their axonal delays
    (``n_input x n_neurons`` whole time steps, at the bits that count
    ``0 .. input_delay_max / dt``), and the two fixed lateral weights (excitatory to
    inhibitory, inhibitory to excitatory: one number each, shared by all their synapses).
``Mp`` (neuron parameters and state)
    per excitatory neuron its state ``v``, ``ge``, ``gi``, ``theta`` and its last spike
    time (for the refractory period); per inhibitory neuron ``v``, ``ge``, ``gi`` and its
    last spike time; per input neuron the encoder's own variables (Poisson: the rate and
    the next spike time); plus each population's parameters once (the numeric fields of
    `ExcitatoryParams` and `InhibitoryParams`), all at ``bits``.
``Ms`` (spike buffers)
    the addresses of the spikes in flight, ``ceil(log2(population))`` bits each: for the
    excitatory and inhibitory layers, the peak spikes in one time step; for the input
    layer, whose spikes reach their synapses up to ``input_delay_max`` later, the peak
    spikes within ``delay steps + 1`` consecutive time steps.

The excitatory peak is measured on the recorded spike trains of the images evaluated.
Inhibitory spikes are not recorded one by one; each inhibitory neuron is driven by its
excitatory partner alone, so its peak is taken to be the excitatory one.  Input spikes
are not recorded step by step either: they are drawn from the encoder's Poisson rates
for the same images (each time step's input spikes are Poisson with the image's summed
rate times dt), with a fixed seed.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

__all__ = ["BIT_WIDTHS", "peak_spikes_per_step", "input_peak_spikes", "inference_memory"]

#: Bit widths reported by default: single precision, half precision, 8-bit integers.
BIT_WIDTHS = (32, 16, 8)

# Per-neuron state a test pass integrates (see the module docstring).
_EXC_STATE = ("v", "ge", "gi", "theta", "lastspike")
_INH_STATE = ("v", "ge", "gi", "lastspike")


def _address_bits(n) -> int:
    return max(1, math.ceil(math.log2(max(int(n), 2))))


def peak_spikes_per_step(spikes, dt) -> int:
    """Return the most spikes fired in one time step of one presentation.

    Parameters
    ----------
    spikes : SpikeTrains
        Recorded spikes (``image``, ``time`` in seconds from the presentation's start).
    dt : Quantity or float
        Time step (seconds).
    """
    if spikes is None or len(spikes.time) == 0:
        return 0
    steps = np.floor(np.asarray(spikes.time) / float(dt) + 1e-9).astype(np.int64)
    keys = np.asarray(spikes.image, dtype=np.int64) * (int(steps.max()) + 1) + steps
    return int(np.unique(keys, return_counts=True)[1].max())


def input_peak_spikes(images, params, window_steps=1, seed=0) -> int:
    """Return the most input spikes in `window_steps` consecutive steps, drawn from the rates.

    Each image is shown at the encoder's first-presentation rates
    (``pixel / 255 x max_rate``) for the presentation time; the input spikes of a time
    step are Poisson with the summed rate times dt.
    """
    pres = params.presentation
    dt = float(pres.dt)
    n_steps = int(round(float(pres.presentation_time) / dt))
    images = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    per_step = images.sum(axis=1) / 255.0 * float(pres.max_rate) * dt
    rng = np.random.default_rng(seed)
    peak = 0
    window = min(int(window_steps), n_steps)
    for start in range(0, len(images), 1000):  # in parts: (1000, n_steps) draws at a time
        rates = per_step[start: start + 1000]
        drawn = rng.poisson(rates[:, None], size=(rates.size, n_steps))
        cumulative = np.concatenate([np.zeros((rates.size, 1), np.int64),
                                     np.cumsum(drawn, axis=1)], axis=1)
        peak = max(peak, int((cumulative[:, window:] - cumulative[:, :-window]).max()))
    return peak


def _parameter_count(block) -> int:
    """Return the numeric parameters of a parameter dataclass (quantities and numbers)."""
    count = 0
    for item in dataclasses.fields(block):
        value = getattr(block, item.name)
        if isinstance(value, bool) or value is None or isinstance(value, str):
            continue
        if np.ndim(value) == 0:
            count += 1
    return count


def inference_memory(n_input, n_neurons, *, bits, peak_exc_per_step, peak_input_in_window,
                     params, encoder=None) -> dict:
    """Return M = Mw + Mp + Ms in bits and bytes, with every term, at `bits` per number.

    Parameters
    ----------
    n_input, n_neurons : int
        Input neurons and excitatory (and inhibitory) neurons.
    bits : int
        Bits of every stored number (weights, parameters, state).
    peak_exc_per_step : int
        Most excitatory spikes in one time step (`peak_spikes_per_step`).
    peak_input_in_window : int
        Most input spikes within ``delay steps + 1`` time steps (`input_peak_spikes`).
    params : NetworkParams
        The network's parameters (as it uses them: `DiehlCook2015.network_params_`).
    encoder : Encoder, optional
        Its ``input_variables`` are the per-input state; Poisson's by default.

    Returns
    -------
    dict
        ``"bits"``; ``"Mw"``, ``"Mp"``, ``"Ms"`` and ``"M"`` in bits; ``"M_bytes"``;
        ``"terms"``: each term's parts in bits.
    """
    if isinstance(bits, bool) or int(bits) != bits or bits < 1:
        raise ValueError(f"bits must be a whole number >= 1, got {bits!r}")
    bits = int(bits)
    if encoder is None:
        from .encoding import PoissonEncoder

        encoder = PoissonEncoder()
    dt = float(params.presentation.dt)
    delay_steps = int(math.ceil(float(params.connectivity.input_delay_max) / dt - 1e-9))
    n_synapses = n_input * n_neurons
    weights = {"input_weights": n_synapses * bits,
               "input_delays": n_synapses * _address_bits(delay_steps + 1),
               "lateral_weights": 2 * bits}
    n_parameters = _parameter_count(params.excitatory) + _parameter_count(params.inhibitory)
    state = {"excitatory_state": n_neurons * len(_EXC_STATE) * bits,
             "inhibitory_state": n_neurons * len(_INH_STATE) * bits,
             "input_state": n_input * len(tuple(getattr(encoder, "input_variables", ()))) * bits,
             "parameters": n_parameters * bits}
    spikes = {"input_buffer": int(peak_input_in_window) * _address_bits(n_input),
              "excitatory_buffer": int(peak_exc_per_step) * _address_bits(n_neurons),
              "inhibitory_buffer": int(peak_exc_per_step) * _address_bits(n_neurons)}
    out = {"bits": bits, "Mw": sum(weights.values()), "Mp": sum(state.values()),
           "Ms": sum(spikes.values())}
    out["M"] = out["Mw"] + out["Mp"] + out["Ms"]
    out["M_bytes"] = out["M"] / 8
    out["terms"] = {**weights, **state, **spikes}
    return out
