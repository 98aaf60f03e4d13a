"""Count what a Diehl & Cook (2015) network spends per image: operations, memory, energy.

A spiking network does work only when a spike arrives at a synapse.  The cost of one
image is therefore counted in synaptic operations (SynOps): every presynaptic spike of
a projection is delivered to each of its targets, ``SynOps = sum over neurons of
spikes x fan-out``.  The three projections of the network have the fan-outs

================  ===========================  ========================================
projection        fan-out of one spike         why
================  ===========================  ========================================
``input_exc``     ``n_neurons``                every pixel reaches every excitatory neuron
``exc_inh``       1                            each excitatory neuron drives its partner
``inh_exc``       ``n_neurons - 1``            each inhibitory neuron inhibits all others
================  ===========================  ========================================

The spike totals come from `stdp_learn.simulation.BlockResult.layer_spikes`: for every
accepted image, the spikes of the "input", "exc" and "inh" layers over all the slots it
took (retries included) and over whole slots (rest included).

Energy follows the convention of the SNN literature: an operation of a spiking network
is an accumulate (AC, one addition of a weight to a conductance), one of a dense
artificial layer a multiply-accumulate (MAC); with the 45 nm figures of Horowitz (2014)
for 32-bit floating point, ``E_AC = 0.9 pJ`` (one addition) and ``E_MAC = 4.6 pJ``
(3.7 pJ multiplication + 0.9 pJ addition).  These are arithmetic costs only: memory
access, which dominates on real hardware, is left out on both sides.

The arithmetic is plain numpy; Brian2 is imported only to read default parameters and
to check the unit of an energy given as a quantity.  Every function returns JSON-safe
values (Python ints, floats and dicts), so a report can go straight into
``metrics.json``.

Examples
--------
>>> import numpy as np
>>> layer_spikes = {"input": np.array([2000, 2400]), "exc": np.array([20, 30]),
...                 "inh": np.array([10, 14])}
>>> operations = synaptic_operations(layer_spikes, n_input=784, n_neurons=100)
>>> operations["input_exc"], operations["exc_inh"], operations["inh_exc"]
(220000.0, 25.0, 1188.0)
>>> round(energy_estimate(operations, 784, 100)["snn_to_ann_ratio"], 3)
0.552

References
----------
.. [1] Horowitz, M. (2014). Computing's energy problem (and what we can do about it).
   IEEE International Solid-State Circuits Conference (ISSCC), 10-14.
   doi:10.1109/ISSCC.2014.6757323
.. [2] Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit recognition
   using spike-timing-dependent plasticity. Frontiers in Computational Neuroscience
   9:99.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "E_AC_JOULES",
    "E_MAC_JOULES",
    "LAYERS",
    "PROJECTIONS",
    "MNIST_MEAN_PIXEL",
    "fan_out",
    "stack_layer_spikes",
    "synaptic_operations",
    "memory_bytes",
    "energy_estimate",
    "efficiency_report",
    "summary_line",
]

#: Energy of one 32-bit floating-point addition at 45 nm (Horowitz 2014), in joules.
E_AC_JOULES = 0.9e-12
#: Energy of one 32-bit floating-point multiplication plus addition at 45 nm, in joules.
E_MAC_JOULES = 4.6e-12

#: Layers whose spikes are counted, as in `BlockResult.layer_spikes`.
LAYERS = ("input", "exc", "inh")
#: Projections, each with its presynaptic layer.
PROJECTIONS = {"input_exc": "input", "exc_inh": "exc", "inh_exc": "inh"}

#: Mean pixel value of the MNIST training images (0.1307 of 255), for estimates
#: made before any image has been shown.
MNIST_MEAN_PIXEL = 0.1307 * 255

# Bytes of the C types Brian2 uses: float64 for every real variable (and times),
# int32 for integers and synapse indices, one byte for booleans, int64 for the index
# arrays of linked variables.
_FLOAT, _INT, _BOOL, _INDEX = 8, 4, 1, 8
# A std::vector header on a 64-bit system (libstdc++): three pointers.
_VECTOR_HEADER = 24

# Per-neuron variables of each group, read from the model strings of
# `stdp_learn.equations` and `stdp_learn.network`, plus those Brian2 adds: the index
# ``i``, ``lastspike`` and ``not_refractory`` of groups with a refractory period, and
# one int64 index array per linked variable.  (``_spikespace``, the buffer of this
# step's spikes, is counted with the spike buffers.)
_NEURON_VARIABLES = {
    # rate, next_spike | slot_spike_count, i | links: image_index, retries, slot_start, n_images
    "input": {"float": 2, "int": 2, "bool": 0, "index": 4},
    # v, ge, gi, theta, input_weight_sum, previous_spike, lastspike |
    # presentation_spikes, slot_spike_count, i | not_refractory | link: slot_start
    "exc": {"float": 7, "int": 3, "bool": 1, "index": 1},
    # v, ge, gi, lastspike | slot_spike_count, i | not_refractory
    "inh": {"float": 4, "int": 2, "bool": 1, "index": 0},
}
# The schedule is one neuron: image_index, retries, slot_spikes, n_images, label,
# random_seed, input_spikes, exc_spikes, inh_spikes, i (int32) and slot_start.
_SCHEDULE_BYTES = 10 * _INT + _FLOAT
# The shared flag `plastic` of the excitatory group.
_SHARED_BYTES = _BOOL


def _bytes(counts: dict) -> int:
    return (counts["float"] * _FLOAT + counts["int"] * _INT + counts["bool"] * _BOOL
            + counts["index"] * _INDEX)


def _positive_int(value, name, minimum=1) -> int:
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def fan_out(n_neurons) -> dict:
    """Return how many synapses one spike of each projection's source reaches.

    Parameters
    ----------
    n_neurons : int
        Excitatory (and inhibitory) neurons.

    Returns
    -------
    dict
        ``{"input_exc": n_neurons, "exc_inh": 1, "inh_exc": n_neurons - 1}``.
    """
    n_neurons = _positive_int(n_neurons, "n_neurons")
    return {"input_exc": n_neurons, "exc_inh": 1, "inh_exc": n_neurons - 1}


def _as_layer_spikes(layer_spikes) -> dict:
    """Return the three layers' spike totals as int64 arrays of one length, checked."""
    missing = [layer for layer in LAYERS if layer not in layer_spikes]
    if missing:
        raise ValueError(f"layer_spikes lacks the layer(s) {missing}; it needs {list(LAYERS)}")
    arrays = {}
    for layer in LAYERS:
        values = np.asarray(layer_spikes[layer])
        if values.ndim != 1:
            raise ValueError(f"layer_spikes[{layer!r}] must be 1-D (one total per image), "
                             f"got shape {values.shape}")
        if values.size and (not np.all(np.isfinite(values)) or np.any(values < 0)
                            or np.any(values != np.round(values))):
            raise ValueError(f"layer_spikes[{layer!r}] must hold spike counts (whole numbers >= 0)")
        arrays[layer] = values.astype(np.int64)
    lengths = {layer: values.size for layer, values in arrays.items()}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"layer_spikes arrays differ in length: {lengths}")
    if arrays["input"].size == 0:
        raise ValueError("layer_spikes holds no images")
    return arrays


def stack_layer_spikes(results) -> dict:
    """Join the per-image layer totals of several blocks, in order.

    Parameters
    ----------
    results : iterable of dict or of BlockResult
        ``BlockResult.layer_spikes`` dicts, or objects with a ``layer_spikes`` attribute.

    Returns
    -------
    dict of ndarray
        ``{"input": ..., "exc": ..., "inh": ...}``, one int64 entry per image.

    Examples
    --------
    >>> joined = stack_layer_spikes([{"input": [5, 6], "exc": [1, 2], "inh": [0, 1]},
    ...                              {"input": [7], "exc": [3], "inh": [2]}])
    >>> joined["input"].tolist()
    [5, 6, 7]
    """
    parts = {layer: [] for layer in LAYERS}
    for result in results:
        spikes = getattr(result, "layer_spikes", result)
        for layer in LAYERS:
            parts[layer].append(np.asarray(spikes[layer], dtype=np.int64).ravel())
    return {layer: (np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64))
            for layer, arrays in parts.items()}


def synaptic_operations(layer_spikes, n_input, n_neurons, *, per_image=False) -> dict:
    """Return the synaptic operations per image of each projection, and their sum.

    A synaptic operation is the delivery of one presynaptic spike to one synapse:
    ``SynOps = presynaptic spikes x fan-out`` (see `fan_out`).

    Parameters
    ----------
    layer_spikes : dict of array_like, each of shape (n_images,)
        Spikes of the "input", "exc" and "inh" layers for each image, as in
        `stdp_learn.simulation.BlockResult.layer_spikes`.
    n_input : int
        Input neurons (pixels per image).
    n_neurons : int
        Excitatory (and inhibitory) neurons.
    per_image : bool
        Also return the operations of every image, under ``"per_image"``.

    Returns
    -------
    dict
        ``"input_exc"``, ``"exc_inh"``, ``"inh_exc"`` and ``"total"``: mean operations
        per image (float).  ``"n_images"``: images averaged over.
        ``"events_per_input_synapse"``: mean ``input_exc`` operations per input synapse,
        which equals the mean spikes per input neuron and image; a dense layer does one
        MAC per synapse and image.  With ``per_image=True``, ``"per_image"`` maps the
        projections and ``"total"`` to int64 arrays of shape (n_images,).

    Examples
    --------
    >>> operations = synaptic_operations(
    ...     {"input": [100], "exc": [4], "inh": [3]}, n_input=16, n_neurons=5)
    >>> operations["total"] == 100 * 5 + 4 * 1 + 3 * 4
    True
    """
    n_input = _positive_int(n_input, "n_input")
    fan = fan_out(n_neurons)
    spikes = _as_layer_spikes(layer_spikes)
    by_image = {projection: spikes[source] * fan[projection]
                for projection, source in PROJECTIONS.items()}
    by_image["total"] = sum(by_image[projection] for projection in PROJECTIONS)
    out = {name: float(values.mean()) for name, values in by_image.items()}
    out["n_images"] = int(spikes["input"].size)
    out["events_per_input_synapse"] = out["input_exc"] / (n_input * fan["input_exc"])
    if per_image:
        out["per_image"] = by_image
    return out


def _joules(value, name) -> float:
    """Return an energy (a Brian2 quantity, or a number of joules) as float joules."""
    if getattr(value, "dim", None) is not None and not value.dim.is_dimensionless:
        from brian2 import get_dimensions, joule

        if get_dimensions(value) != get_dimensions(joule):
            raise ValueError(f"{name} must be an energy (for example 0.9 * pjoule), got {value!r}")
    joules = float(value)
    if not np.isfinite(joules) or joules <= 0:
        raise ValueError(f"{name} must be a positive energy in joules, got {value!r}")
    return joules


def _seconds(value) -> float:
    """Return a Brian2 time quantity (or a plain number of seconds) as float seconds."""
    return float(value)


def memory_bytes(n_input, n_neurons, *, params=None, rule=None, n_slots=None,
                 input_spikes_per_image=None) -> dict:
    """Return the bytes the simulated network holds, by kind and by object.

    The count follows what Brian2 allocates for the network of `stdp_learn.network`:
    every state variable of the model strings, the variables Brian2 adds itself
    (indices, ``lastspike``, ``not_refractory``, synapse counts) and the buffers that
    carry spikes.  Reals are float64, integers and synapse indices int32.

    Parameters
    ----------
    n_input : int
        Input neurons (pixels per image).
    n_neurons : int
        Excitatory (and inhibitory) neurons.
    params : NetworkParams, optional
        Supplies the input delays, the time step, the presentation time and the maximal
        rate; the paper's by default.
    rule : learning rule, optional
        Its ``state_variables`` are float64 per input synapse, and a non-empty
        ``on_post()`` adds a postsynaptic pathway; `PairSTDP` (one variable,
        ``last_pre_arrival``, and a postsynaptic pathway) by default.
    n_slots : int, optional
        Presentation slots per block.  When given, the block's image store and the
        monitors that record every slot are counted under ``"presentation_buffers"``.
    input_spikes_per_image : float, optional
        Input spikes during one presentation, for the estimate of the spikes in flight
        (below).  By default that of an average MNIST image:
        ``n_input * MNIST_MEAN_PIXEL / 255 * max_rate * presentation_time``.

    Returns
    -------
    dict
        ``"weights"``: the input weights ``w``, ``n_input * n_neurons * 8``.
        ``"neuron_state"``: the variables of the groups ``input``, ``exc``, ``inh`` and
        ``schedule``.
        ``"synapse_state"``: the other per-synapse arrays: ``axonal_delay``, one delay
        per pathway, the rule's variables, the pre- and postsynaptic indices (int32),
        and Brian2's per-neuron synapse counts; of the three projections and of the
        synapses that sum each layer's spikes into the schedule.
        ``"spike_buffers"``: the spike space of each spiking group (one int32 per
        neuron and one more), and the spike queue of every pathway (below).
        ``"presentation_buffers"``: with `n_slots` only, see above.
        ``"total"``: the sum of the above.  ``"by_object"``: the same bytes by Brian2
        object.  All values are ints.

    Notes
    -----
    The spike queues are estimated from Brian2's C++ ``CSpikeQueue``: per synapse, its
    delay in time steps and its index in its source's list (two int32), a vector
    header (24 bytes) per source neuron and per delay step of the ring, and the events
    in flight.  Only ``input_exc`` has delays, so only its queue holds events between
    time steps; by Little's law it holds on average
    ``(input spikes per second while an image is on) x n_neurons x mean delay``
    events of 4 bytes, with the mean delay half of ``input_delay_max``.  A vector keeps
    its largest size, so the queue's real footprint sits at the high end of that
    average's fluctuations.  The numpy copy of the carried state that the model keeps
    between blocks, and the code, are not counted.

    Examples
    --------
    >>> memory = memory_bytes(784, 100)
    >>> memory["weights"]
    627200
    >>> memory["total"] == sum(memory[kind] for kind in
    ...     ("weights", "neuron_state", "synapse_state", "spike_buffers"))
    True
    """
    n_input = _positive_int(n_input, "n_input")
    n_neurons = _positive_int(n_neurons, "n_neurons")
    if params is None:
        from .config import NetworkParams

        params = NetworkParams()
    if rule is None:
        from .plasticity import PairSTDP

        rule = PairSTDP()
    pres, conn = params.presentation, params.connectivity
    dt = _seconds(pres.dt)
    presentation_time = _seconds(pres.presentation_time)
    delay_max = _seconds(conn.input_delay_max)
    if input_spikes_per_image is None:
        input_spikes_per_image = (n_input * MNIST_MEAN_PIXEL / 255.0 * float(pres.max_rate)
                                  * presentation_time)
    input_spikes_per_image = float(input_spikes_per_image)
    if not np.isfinite(input_spikes_per_image) or input_spikes_per_image < 0:
        raise ValueError(f"input_spikes_per_image must be >= 0, got {input_spikes_per_image!r}")

    n_plastic = n_input * n_neurons
    n_lateral = n_neurons * (n_neurons - 1)
    rule_variables = len(tuple(rule.state_variables))
    has_post_pathway = bool(rule.on_post().strip())
    by_object = {}

    # -- neurons --------------------------------------------------------------------------
    by_object["input"] = n_input * _bytes(_NEURON_VARIABLES["input"])
    by_object["exc"] = n_neurons * _bytes(_NEURON_VARIABLES["exc"]) + _SHARED_BYTES
    by_object["inh"] = n_neurons * _bytes(_NEURON_VARIABLES["inh"])
    by_object["schedule"] = _SCHEDULE_BYTES
    neuron_state = sum(by_object[name] for name in ("input", "exc", "inh", "schedule"))

    # -- synapses -------------------------------------------------------------------------
    def synapses(n_synapses, n_sources, n_targets, n_pathways, floats_per_synapse=0):
        # pre/post indices, a delay per pathway, model variables; N_outgoing per
        # source, N_incoming per target, and the scalar N.
        per_synapse = 2 * _INT + (n_pathways + floats_per_synapse) * _FLOAT
        return n_synapses * per_synapse + (n_sources + n_targets + 1) * _INT

    weights = n_plastic * _FLOAT
    n_input_pathways = 1 + int(has_post_pathway)
    # axonal_delay and the rule's variables; w is counted as "weights"
    by_object["input_exc"] = synapses(n_plastic, n_input, n_neurons, n_input_pathways,
                                      1 + rule_variables)
    by_object["exc_inh"] = synapses(n_neurons, n_neurons, n_neurons, 1)
    by_object["inh_exc"] = synapses(n_lateral, n_neurons, n_neurons, 1)
    # input_schedule, exc_schedule, inh_schedule: every neuron to the one schedule neuron
    by_object["spike_counters"] = sum(synapses(n, n, 1, 0) for n in (n_input, n_neurons, n_neurons))
    synapse_state = sum(by_object[name] for name in
                        ("input_exc", "exc_inh", "inh_exc", "spike_counters"))

    # -- spike buffers --------------------------------------------------------------------
    by_object["spike_spaces"] = (n_input + 1 + 2 * (n_neurons + 1)) * _INT
    delay_steps = int(np.ceil(delay_max / dt - 1e-9))

    def queue(n_synapses, n_sources, ring_steps):
        headers = (n_sources + ring_steps + 1) * _VECTOR_HEADER
        return n_synapses * 2 * _INT + headers

    in_flight = input_spikes_per_image / presentation_time * n_neurons * delay_max / 2
    queues = queue(n_plastic, n_input, delay_steps) + int(round(in_flight)) * _INT
    if has_post_pathway:
        queues += queue(n_plastic, n_neurons, 0)
    queues += queue(n_neurons, n_neurons, 0) + queue(n_lateral, n_neurons, 0)
    by_object["spike_queues"] = queues
    spike_buffers = by_object["spike_spaces"] + by_object["spike_queues"]

    out = {
        "weights": weights,
        "neuron_state": neuron_state,
        "synapse_state": synapse_state,
        "spike_buffers": spike_buffers,
    }
    if n_slots is not None:
        n_slots = _positive_int(n_slots, "n_slots")
        # block_images (n_slots, n_input) and block_labels (n_slots + 1) as float64
        by_object["image_store"] = (n_slots * n_input + n_slots + 1) * _FLOAT
        # one record per slot: its time (float64) and the recorded int32 values, plus
        # the indices of the recorded neurons and the record count N, of responses
        # (every excitatory neuron), layer_spikes (3 totals) and schedule_log (image
        # index and retries)
        by_object["monitors"] = sum(
            n_slots * (_FLOAT + n_values * _INT) + (n_recorded + 1) * _INT
            for n_values, n_recorded in ((n_neurons, n_neurons), (3, 1), (2, 1))
        )
        out["presentation_buffers"] = by_object["image_store"] + by_object["monitors"]
    out["total"] = sum(out.values())
    out["by_object"] = {name: int(value) for name, value in by_object.items()}
    return {name: (int(value) if not isinstance(value, dict) else value)
            for name, value in out.items()}


def energy_estimate(synops_per_image, n_input, n_neurons, e_ac=E_AC_JOULES,
                    e_mac=E_MAC_JOULES) -> dict:
    """Return the arithmetic energy per image of the network and of a dense layer.

    ``E_SNN = SynOps x E_AC``: every synaptic operation adds a weight to a conductance.
    ``E_ANN = MACs x E_MAC`` for the dense layer of the same shape, which does
    ``n_input x n_neurons`` multiply-accumulates per image.  The defaults are the
    32-bit floating-point costs at 45 nm and 0.9 V of Horowitz (2014): an addition
    0.9 pJ, a multiplication 3.7 pJ, so a MAC 4.6 pJ.  Memory access is not included
    on either side.

    Parameters
    ----------
    synops_per_image : float or dict
        Synaptic operations per image, or the dict of `synaptic_operations`, whose
        ``"total"`` is used.
    n_input : int
        Input neurons (pixels per image).
    n_neurons : int
        Excitatory neurons.
    e_ac, e_mac : float or Quantity
        Energy of one accumulate and of one multiply-accumulate: a Brian2 energy, or a
        number of joules.

    Returns
    -------
    dict
        ``"synops_per_image"``, ``"macs_per_image"``, ``"e_ac_joules"``,
        ``"e_mac_joules"``, ``"snn_joules_per_image"``, ``"ann_joules_per_image"`` and
        ``"snn_to_ann_ratio"`` (``E_SNN / E_ANN``: below 1 the spiking network spends
        less).

    References
    ----------
    .. [1] Horowitz, M. (2014). Computing's energy problem (and what we can do about
       it). IEEE ISSCC, 10-14. doi:10.1109/ISSCC.2014.6757323

    Examples
    --------
    >>> energy = energy_estimate(100_000, n_input=784, n_neurons=100)
    >>> energy["snn_joules_per_image"], energy["macs_per_image"]
    (9e-08, 78400)
    """
    if isinstance(synops_per_image, dict):
        synops_per_image = synops_per_image["total"]
    synops = float(synops_per_image)
    if not np.isfinite(synops) or synops < 0:
        raise ValueError(f"synops_per_image must be a number >= 0, got {synops_per_image!r}")
    e_ac, e_mac = _joules(e_ac, "e_ac"), _joules(e_mac, "e_mac")
    macs = _positive_int(n_input, "n_input") * _positive_int(n_neurons, "n_neurons")
    snn = synops * e_ac
    ann = macs * e_mac
    return {
        "synops_per_image": synops,
        "macs_per_image": int(macs),
        "e_ac_joules": e_ac,
        "e_mac_joules": e_mac,
        "snn_joules_per_image": snn,
        "ann_joules_per_image": ann,
        "snn_to_ann_ratio": snn / ann,
    }


def efficiency_report(layer_spikes, n_input, n_neurons, *, params=None, rule=None,
                      n_slots=None, e_ac=E_AC_JOULES, e_mac=E_MAC_JOULES) -> dict:
    """Return spikes, synaptic operations, energy and memory per image, JSON-safe.

    Parameters
    ----------
    layer_spikes : dict of array_like, each of shape (n_images,)
        Spikes of the "input", "exc" and "inh" layers for each image (see
        `synaptic_operations`).
    n_input, n_neurons : int
        Input and excitatory neurons.
    params, rule, n_slots
        As for `memory_bytes`; the measured mean input spikes per image set the
        estimate of the spikes in flight (an overestimate when images were retried,
        since retried images spread their spikes over more slots).
    e_ac, e_mac : float or Quantity
        As for `energy_estimate`.

    Returns
    -------
    dict
        ``"n_input"``, ``"n_neurons"``, ``"n_images"``; ``"spikes_per_image"``: mean
        spikes of each layer;
        ``"synaptic_operations_per_image"``: `synaptic_operations` without the count
        of images; ``"energy"``: `energy_estimate` of the total; ``"memory_bytes"``:
        `memory_bytes`.

    Examples
    --------
    >>> import json
    >>> report = efficiency_report({"input": [2000], "exc": [20], "inh": [10]}, 784, 100)
    >>> report["synaptic_operations_per_image"]["total"]
    201010.0
    >>> _ = json.dumps(report)
    """
    spikes = _as_layer_spikes(layer_spikes)
    operations = synaptic_operations(spikes, n_input, n_neurons)
    n_images = operations.pop("n_images")
    mean_spikes = {layer: float(values.mean()) for layer, values in spikes.items()}
    return {
        "n_input": int(n_input),
        "n_neurons": int(n_neurons),
        "n_images": n_images,
        "spikes_per_image": mean_spikes,
        "synaptic_operations_per_image": operations,
        "energy": energy_estimate(operations, n_input, n_neurons, e_ac, e_mac),
        "memory_bytes": memory_bytes(n_input, n_neurons, params=params, rule=rule,
                                     n_slots=n_slots,
                                     input_spikes_per_image=mean_spikes["input"]),
    }


def _si(value, unit) -> str:
    """Return `value` with an SI prefix, three significant digits: 1.23e-7 J -> 123 nJ."""
    prefixes = ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""), (1e-3, "m"), (1e-6, "\u00b5"),
                (1e-9, "n"), (1e-12, "p"))
    for scale, prefix in prefixes:
        if abs(value) >= scale:
            return f"{value / scale:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}"


def summary_line(report) -> str:
    """Return one line that sums up an `efficiency_report`, for a command line.

    Examples
    --------
    >>> report = efficiency_report({"input": [2000], "exc": [20], "inh": [10]}, 784, 100)
    >>> print(summary_line(report))  # doctest: +NORMALIZE_WHITESPACE
    cost per image: 2.01e+05 SynOps (99.5% input->exc, 2.55 input spikes per pixel),
    181 nJ at 0.9 pJ/op vs 361 nJ for a dense 784x100 layer at 4.6 pJ/MAC (0.5x);
    state 5.37 MB (weights 627 kB)
    """
    operations = report["synaptic_operations_per_image"]
    energy = report["energy"]
    memory = report["memory_bytes"]
    share = operations["input_exc"] / operations["total"] if operations["total"] else 0.0
    return (
        f"cost per image: {operations['total']:.3g} SynOps ({100 * share:.1f}% input->exc, "
        f"{operations['events_per_input_synapse']:.3g} input spikes per pixel), "
        f"{_si(energy['snn_joules_per_image'], 'J')} at {energy['e_ac_joules'] * 1e12:.2g} pJ/op "
        f"vs {_si(energy['ann_joules_per_image'], 'J')} for a dense "
        f"{report['n_input']}x{report['n_neurons']} layer "
        f"at {energy['e_mac_joules'] * 1e12:.2g} pJ/MAC ({energy['snn_to_ann_ratio']:.2g}x); "
        f"state {_si(memory['total'], 'B')} (weights {_si(memory['weights'], 'B')})"
    )
