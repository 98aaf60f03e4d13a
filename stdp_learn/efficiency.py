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

A connectivity other than all-to-all sets the first and the last (`fan_out`): a locally
connected layer (`stdp_learn.locally_connected`) reaches ``n_synapses / n_input``
neurons per input spike on average and inhibits the other neurons of the patch.

The network computes lateral inhibition without its ``n_neurons (n_neurons - 1)``
synapses (`stdp_learn.network`), but the additions to the conductances are the same:
the operations counted are the model's.

The spike totals come from `stdp_learn.simulation.BlockResult.layer_spikes`: for every
accepted image, the spikes of the "input", "exc" and "inh" layers over all the slots it
took (retries included) and over whole slots (rest included).

A clocked simulation also updates every neuron at every time step, spikes or not:
``neuron updates = 2 n_neurons x steps per slot x slots per image`` (excitatory and
inhibitory layers, every slot an image took, rest included).  These are reported as
their own line, next to the SynOps, rather than folded into them.

Energy follows the convention of the SNN literature: an operation of a spiking network
is an accumulate (AC, one addition of a weight to a conductance), one of a dense
artificial layer a multiply-accumulate (MAC); with the 45 nm figures of Horowitz (2014)
for 32-bit floating point, ``E_AC = 0.9 pJ`` (one addition) and ``E_MAC = 4.6 pJ``
(3.7 pJ multiplication + 0.9 pJ addition).  A neuron update is charged one MAC, the
leaky integration ``v <- a v + b``.  The spiking network is compared with a dense layer
of the same shape twice: charged every one of its ``n_input x n_neurons`` MACs, and
charged only the MACs of non-zero pixels (a layer that skips zero inputs, as the
spiking network skips silent pixels).  Every assumption of the comparison is listed in
one place, `COMPARISON_ASSUMPTIONS`, and travels with each `efficiency_report`.

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
>>> neuron_updates(100)["total"]  # 2 x 100 neurons x 1000 steps of 0.5 ms, one slot
200000.0

References
----------
.. [1] Horowitz, M. (2014). Computing's energy problem (and what we can do about it).
   IEEE International Solid-State Circuits Conference (ISSCC), 10-14.
   doi:10.1109/ISSCC.2014.6757323
.. [2] Lemaire, E., Cordone, L., Castagnetti, A., Novac, P.-E., Courtois, J. &
   Miramond, B. (2022). An analytical estimation of spiking neural networks energy
   efficiency. ICONIP 2022; arXiv:2210.13107.
.. [3] Diehl, P. U. & Cook, M. (2015). Unsupervised learning of digit recognition
   using spike-timing-dependent plasticity. Frontiers in Computational Neuroscience
   9:99.
"""
from __future__ import annotations

import numpy as np

from .equations import population_state

__all__ = [
    "E_AC_JOULES",
    "E_MAC_JOULES",
    "E_NEURON_UPDATE_JOULES",
    "COMPARISON_ASSUMPTIONS",
    "LAYERS",
    "PROJECTIONS",
    "MNIST_MEAN_PIXEL",
    "comparison_assumptions",
    "fan_out",
    "stack_layer_spikes",
    "synaptic_operations",
    "neuron_updates",
    "nonzero_pixels",
    "dense_operations",
    "memory_bytes",
    "energy_estimate",
    "efficiency_report",
    "summary_line",
]

#: Energy of one 32-bit floating-point addition at 45 nm (Horowitz 2014), in joules.
E_AC_JOULES = 0.9e-12
#: Energy of one 32-bit floating-point multiplication plus addition at 45 nm, in joules.
E_MAC_JOULES = 4.6e-12
#: Energy charged for one update of one neuron's state in one time step, in joules: one
#: multiply-accumulate, the leak ``v <- a v + b`` (Horowitz 2014 figures, as for
#: `E_MAC_JOULES`).  Analytical SNN energy models charge every neuron's membrane update
#: at every time step (Lemaire et al. 2022); one MAC is the least such an update takes.
E_NEURON_UPDATE_JOULES = E_MAC_JOULES

#: What the comparison of the spiking network with a dense layer assumes, in one place.
#: `efficiency_report` copies it into every report under ``"assumptions"``.
COMPARISON_ASSUMPTIONS = (
    "Arithmetic energy only, by default that of 32-bit floating point at 45 nm (Horowitz "
    "2014): an accumulate (AC) 0.9 pJ, a multiply-accumulate (MAC) 4.6 pJ; the figures "
    "used are under comparison/energy_per_operation_joules. Memory access, data "
    "movement, control and spike routing are left out on both sides; on real hardware "
    "memory access dominates.",
    "A synaptic operation (one spike delivered to one synapse) is one AC. The cost is "
    "that of inference: no weight or trace updates are charged.",
    "Every excitatory and inhibitory neuron is updated once per time step for the whole of "
    "every slot an image takes (presentation and rest, retries included), and each update "
    "is charged one MAC (the leak v <- a v + b). This is a floor: the conductance-based "
    "neurons also decay ge and gi (and theta), add the conductance terms and compare with "
    "a threshold. An event-driven implementation could skip updates of resting neurons.",
    "When the retries of the images are not given, each image is taken to need one slot, "
    "which undercounts the neuron updates of retried images.",
    "Generating the input spikes is not charged, as the dense layer is not charged for "
    "reading its pixels; neither side is charged for its readout (the label vote).",
    "The dense layer is one fully connected layer of the same shape (n_input x n_neurons) "
    "applied once per image, without activation or bias costs. It is charged two ways: "
    "all n_input x n_neurons MACs (what a dense processor does), and only the MACs of "
    "non-zero pixels (a layer that skips zero inputs, as the spiking network skips silent "
    "pixels; finding the non-zero pixels is not charged).",
    "Early-exit operation counts are estimates: the synaptic operations of a presentation "
    "are taken to be spread evenly over its time and scaled by the fraction of it shown.",
)

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
# The schedule is one neuron: image_index, retries, slot_spikes, n_images, label,
# random_seed, input_spikes, exc_spikes, inh_spikes, i (int32) and slot_start.
_SCHEDULE_BYTES = 11 * _INT + _FLOAT
# The shared flag `plastic` of the excitatory group.
_SHARED_BYTES = _BOOL


_KIND_BYTES = {"float": _FLOAT, "int": _INT, "bool": _BOOL, "index": _INDEX}


def _bytes(variables) -> int:
    """Return the bytes per neuron of a population's variables (`equations.StateVariable`)."""
    return sum(_KIND_BYTES[variable.kind] for variable in variables)


def _positive_int(value, name, minimum=1) -> int:
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {value!r}")
    return int(value)


def comparison_assumptions() -> list:
    """Return the assumptions of the spiking-versus-dense comparison, as a list of sentences.

    Returns
    -------
    list of str
        A copy of `COMPARISON_ASSUMPTIONS` (a list, so that a report read back from JSON
        equals the report written).
    """
    return list(COMPARISON_ASSUMPTIONS)


def fan_out(n_neurons, n_input=None, connectivity=None) -> dict:
    """Return how many synapses one spike of each projection's source reaches.

    Parameters
    ----------
    n_neurons : int
        Excitatory (and inhibitory) neurons.
    n_input : int, optional
        Input neurons; needed with `connectivity`.
    connectivity : Connectivity, optional
        The input synapses and the lateral inhibition (`stdp_learn.connectivity`);
        all-to-all by default.  Where inputs reach different numbers of neurons (a
        locally connected layer: a border pixel lies in fewer patches) the input fan-out
        is the mean over the inputs, ``n_synapses / n_input``, and the operations counted
        from it assume every input spikes alike.  The inhibitory fan-out is the number of
        lateral inhibition pairs per neuron (`Connectivity.inhibition_pairs`).

    Returns
    -------
    dict
        ``{"input_exc": n_neurons, "exc_inh": 1, "inh_exc": n_neurons - 1}`` all-to-all;
        a fan-out that is not a whole number is a float.
    """
    n_neurons = _positive_int(n_neurons, "n_neurons")
    if connectivity is None:
        return {"input_exc": n_neurons, "exc_inh": 1, "inh_exc": n_neurons - 1}
    n_input = _positive_int(n_input, "n_input")
    pairs = connectivity.inhibition_pairs(n_neurons)
    return {"input_exc": _whole_if_exact(connectivity.n_synapses(n_input, n_neurons), n_input),
            "exc_inh": 1,
            "inh_exc": (n_neurons - 1 if pairs is None
                        else _whole_if_exact(len(pairs[0]), n_neurons))}


def _whole_if_exact(numerator, denominator):
    """Return numerator / denominator, an int when it divides exactly."""
    whole, remainder = divmod(int(numerator), int(denominator))
    return whole if remainder == 0 else numerator / denominator


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


def synaptic_operations(layer_spikes, n_input, n_neurons, *, per_image=False,
                        connectivity=None) -> dict:
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
    connectivity : Connectivity, optional
        Sets the fan-outs (`fan_out`); all-to-all by default.

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
    fan = fan_out(n_neurons, n_input, connectivity)
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


def _steps_per_slot(params) -> int:
    """Return the time steps of one presentation slot (presentation and rest)."""
    if params is None:
        from .config import NetworkParams

        params = NetworkParams()
    pres = params.presentation
    return int(round(_seconds(pres.slot_duration) / _seconds(pres.dt)))


def neuron_updates(n_neurons, *, params=None, retries=None) -> dict:
    """Return the neuron-state updates per image of the excitatory and inhibitory layers.

    The simulation advances every neuron once per time step whether it spikes or not, so
    an image costs ``n_neurons x steps per slot x slots`` updates in each layer, where a
    slot is a presentation and its rest and an image takes ``1 + retries`` slots.

    Parameters
    ----------
    n_neurons : int
        Excitatory (and inhibitory) neurons.
    params : NetworkParams, optional
        Supplies the slot duration and the time step; the paper's by default (500 ms at
        0.5 ms, 1000 steps).
    retries : array_like of int, shape (n_images,), optional
        Retries of each image (`stdp_learn.simulation.BlockResult.retries`, or the
        ``retries`` of a training log).  By default every image takes one slot, which
        undercounts retried images.

    Returns
    -------
    dict
        ``"exc"``, ``"inh"`` and ``"total"``: mean updates per image (float);
        ``"steps_per_slot"`` (int), ``"mean_slots_per_image"`` (float) and
        ``"retries_given"`` (bool: False when one slot per image was assumed).

    Examples
    --------
    >>> updates = neuron_updates(4, retries=[0, 1])  # 1.5 slots of 1000 steps on average
    >>> updates["exc"], updates["total"]
    (6000.0, 12000.0)
    """
    n_neurons = _positive_int(n_neurons, "n_neurons")
    steps = _steps_per_slot(params)
    if retries is None:
        mean_slots = 1.0
    else:
        retries = np.asarray(retries, dtype=float).ravel()
        if retries.size == 0:
            raise ValueError("retries holds no images")
        if (not np.all(np.isfinite(retries)) or np.any(retries < 0)
                or np.any(retries != np.round(retries))):
            raise ValueError("retries must be whole numbers >= 0, one per image")
        mean_slots = float(np.mean(retries + 1))
    per_layer = float(n_neurons * steps * mean_slots)
    return {
        "exc": per_layer,
        "inh": per_layer,
        "total": 2 * per_layer,
        "steps_per_slot": steps,
        "mean_slots_per_image": mean_slots,
        "retries_given": retries is not None,
    }


def nonzero_pixels(images) -> np.ndarray:
    """Return the number of non-zero pixels of each image.

    Parameters
    ----------
    images : array_like, shape (n_images, ...)
        Images, one per row (any pixel shape).

    Returns
    -------
    ndarray of int64, shape (n_images,)

    Examples
    --------
    >>> nonzero_pixels([[0, 3, 0, 255], [0, 0, 0, 0]]).tolist()
    [2, 0]
    """
    images = np.asarray(images)
    if images.ndim < 2:
        raise ValueError(f"images must hold one image per row, got shape {images.shape}")
    return np.count_nonzero(images.reshape(images.shape[0], -1), axis=1).astype(np.int64)


def dense_operations(n_input, n_neurons, nonzero_pixels_per_image=None) -> dict:
    """Return the multiply-accumulates per image of a dense layer of the same shape.

    Parameters
    ----------
    n_input, n_neurons : int
        Input pixels and output neurons of the layer.
    nonzero_pixels_per_image : float or array_like, optional
        Non-zero pixels of each image (see `nonzero_pixels`), or their mean.  A layer
        that skips zero inputs does ``nonzero x n_neurons`` MACs.

    Returns
    -------
    dict
        ``"all_pixels"``: ``n_input x n_neurons`` (int).  ``"nonzero_pixels"``: mean
        ``nonzero x n_neurons`` (float), None without `nonzero_pixels_per_image`.
        ``"mean_nonzero_pixels"``: float or None.

    Examples
    --------
    >>> dense_operations(784, 100, nonzero_pixels_per_image=[150, 160])
    {'all_pixels': 78400, 'nonzero_pixels': 15500.0, 'mean_nonzero_pixels': 155.0}
    """
    n_input = _positive_int(n_input, "n_input")
    n_neurons = _positive_int(n_neurons, "n_neurons")
    out = {"all_pixels": n_input * n_neurons, "nonzero_pixels": None, "mean_nonzero_pixels": None}
    if nonzero_pixels_per_image is not None:
        nonzero = np.asarray(nonzero_pixels_per_image, dtype=float).ravel()
        if nonzero.size == 0:
            raise ValueError("nonzero_pixels_per_image holds no images")
        if (not np.all(np.isfinite(nonzero)) or np.any(nonzero < 0)
                or np.any(nonzero > n_input)):
            raise ValueError(f"nonzero_pixels_per_image must lie in [0, n_input={n_input}]")
        mean_nonzero = float(nonzero.mean())
        out["nonzero_pixels"] = mean_nonzero * n_neurons
        out["mean_nonzero_pixels"] = mean_nonzero
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
                 input_spikes_per_image=None, encoder=None, connectivity=None) -> dict:
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
    encoder : Encoder, optional
        Its ``input_variables`` are the input group's own (Poisson: rate, next spike).
    connectivity : Connectivity, optional
        Gives the number of input synapses (all-to-all: ``n_input * n_neurons``).

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
        from .rules import PairSTDP

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

    if connectivity is None:
        from .connectivity import AllToAll

        connectivity = AllToAll()
    n_plastic = connectivity.n_synapses(n_input, n_neurons)
    rule_variables = len(tuple(rule.state_variables))
    has_post_pathway = bool(rule.on_post().strip())
    by_object = {}

    # -- neurons --------------------------------------------------------------------------
    if encoder is None:
        from .encoding import PoissonEncoder

        encoder = PoissonEncoder()
    populations = population_state(rule, encoder)
    by_object["input"] = n_input * _bytes(populations["input"])
    by_object["exc"] = n_neurons * _bytes(populations["exc"]) + _SHARED_BYTES
    by_object["inh"] = n_neurons * _bytes(populations["inh"])
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
    # lateral inhibition: the step's inhibitory spikes counted into the schedule (one
    # synapse per inhibitory neuron), then one synapse from the schedule to every neuron
    # (a connectivity that names the pairs gets explicit inhibitory synapses instead)
    inhibition_pairs = connectivity.inhibition_pairs(n_neurons)
    if inhibition_pairs is None:
        by_object["inh_exc"] = synapses(n_neurons, n_neurons, 1, 1)
        by_object["lateral_inhibition"] = synapses(n_neurons, 1, n_neurons, 1)
    else:
        by_object["inh_exc"] = 0
        by_object["lateral_inhibition"] = synapses(len(inhibition_pairs[0]), n_neurons,
                                                   n_neurons, 1)
    # input_schedule, exc_schedule, inh_schedule: every neuron to the one schedule neuron
    by_object["spike_counters"] = sum(synapses(n, n, 1, 0) for n in (n_input, n_neurons, n_neurons))
    synapse_state = sum(by_object[name] for name in
                        ("input_exc", "exc_inh", "inh_exc", "lateral_inhibition",
                         "spike_counters"))

    # -- spike buffers --------------------------------------------------------------------
    # input, exc and inh spikes, and the schedule's "inhibition" events
    by_object["spike_spaces"] = (n_input + 1 + 2 * (n_neurons + 1) + 2) * _INT
    delay_steps = int(np.ceil(delay_max / dt - 1e-9))

    def queue(n_synapses, n_sources, ring_steps):
        headers = (n_sources + ring_steps + 1) * _VECTOR_HEADER
        return n_synapses * 2 * _INT + headers

    input_fan_out = n_plastic / n_input  # n_neurons all-to-all
    in_flight = input_spikes_per_image / presentation_time * input_fan_out * delay_max / 2
    queues = queue(n_plastic, n_input, delay_steps) + int(round(in_flight)) * _INT
    if has_post_pathway:
        queues += queue(n_plastic, n_neurons, 0)
    queues += queue(n_neurons, n_neurons, 0) + queue(n_neurons, n_neurons, 0) + queue(n_neurons, 1, 0)
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


def _per_image(values, name, n_images):
    """Return a per-image argument as a float array: one value, or one per image."""
    values = np.asarray(values, dtype=float)
    if values.ndim > 1 or (values.ndim == 1 and values.size != n_images):
        raise ValueError(f"{name} must be one number or one per image ({n_images}), "
                         f"got shape {values.shape}")
    return values.ravel()


def efficiency_report(layer_spikes, n_input, n_neurons, *, params=None, rule=None,
                      n_slots=None, retries=None, nonzero_pixels_per_image=None,
                      encoder=None, connectivity=None,
                      e_ac=E_AC_JOULES, e_mac=E_MAC_JOULES,
                      e_neuron_update=E_NEURON_UPDATE_JOULES) -> dict:
    """Return spikes, operations, energy and memory per image, and the comparison, JSON-safe.

    The spiking network's cost has two lines, synaptic operations and neuron updates; it
    is compared with a dense layer of the same shape charged all its MACs and, when the
    non-zero pixels are given, only those of non-zero pixels.  The assumptions are in
    the report (`COMPARISON_ASSUMPTIONS`).

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
        since retried images spread their spikes over more slots).  `params` also sets
        the time steps per slot of `neuron_updates`.
    retries : array_like of int, shape (n_images,), optional
        Retries of each image, for `neuron_updates`; without them every image is taken
        to need one slot (``"retries_given"`` is then False).
    nonzero_pixels_per_image : float or array_like of shape (n_images,), optional
        Non-zero pixels of each image (`nonzero_pixels` of the images shown), or their
        mean.  Without them the comparison with a dense layer that skips zero pixels is
        left out, and ``"dense_nonzero_pixels"`` is None.
    e_ac, e_mac : float or Quantity
        As for `energy_estimate`.
    e_neuron_update : float or Quantity
        Energy of one neuron update, `E_NEURON_UPDATE_JOULES` (one MAC) by default.

    Returns
    -------
    dict
        ``"n_input"``, ``"n_neurons"``, ``"n_images"``; ``"spikes_per_image"``: mean
        spikes of each layer;
        ``"synaptic_operations_per_image"``: `synaptic_operations` without the count
        of images; ``"neuron_updates_per_image"``: `neuron_updates`; ``"energy"``:
        `energy_estimate` of the synaptic operations alone against every MAC of the
        dense layer; ``"comparison"``: both sides' operations and energy (below);
        ``"memory_bytes"``: `memory_bytes`; ``"assumptions"``: `comparison_assumptions`.

        ``"comparison"`` holds ``"energy_per_operation_joules"`` (``"accumulate"``,
        ``"multiply_accumulate"``, ``"neuron_update"``); ``"spiking"``: ``"synops"``,
        ``"neuron_updates"``, ``"synops_joules"``, ``"neuron_update_joules"`` and their
        sum ``"joules"``; ``"dense_all_pixels"`` and ``"dense_nonzero_pixels"`` (None
        when left out): ``"macs"``, ``"joules"``, ``"spiking_to_dense_ratio"`` (both
        lines of the spiking network over the dense layer: below 1 the spiking network
        spends less) and ``"synops_to_dense_ratio"`` (synaptic operations alone), the
        latter also ``"mean_nonzero_pixels"`` and ``"input_spikes_per_nonzero_pixel"``;
        ``"left_out"``: a sentence for each comparison not made.

    Examples
    --------
    >>> import json
    >>> report = efficiency_report({"input": [2000], "exc": [20], "inh": [10]}, 784, 100,
    ...                            retries=[1], nonzero_pixels_per_image=[150])
    >>> report["synaptic_operations_per_image"]["total"]
    201010.0
    >>> report["neuron_updates_per_image"]["total"]  # 2 x 100 neurons x 2 slots x 1000 steps
    400000.0
    >>> report["comparison"]["dense_nonzero_pixels"]["macs"]
    15000.0
    >>> _ = json.dumps(report)
    """
    spikes = _as_layer_spikes(layer_spikes)
    operations = synaptic_operations(spikes, n_input, n_neurons, connectivity=connectivity)
    n_images = operations.pop("n_images")
    mean_spikes = {layer: float(values.mean()) for layer, values in spikes.items()}
    if retries is not None:
        retries = _per_image(retries, "retries", n_images)
    if nonzero_pixels_per_image is not None:
        nonzero_pixels_per_image = _per_image(nonzero_pixels_per_image,
                                              "nonzero_pixels_per_image", n_images)
    updates = neuron_updates(n_neurons, params=params, retries=retries)
    dense = dense_operations(n_input, n_neurons, nonzero_pixels_per_image)
    e_ac, e_mac = _joules(e_ac, "e_ac"), _joules(e_mac, "e_mac")
    e_update = _joules(e_neuron_update, "e_neuron_update")

    synops_joules = operations["total"] * e_ac
    update_joules = updates["total"] * e_update
    spiking_joules = synops_joules + update_joules

    def against_dense(macs):
        joules = macs * e_mac
        # a layer that skips every pixel of a blank image spends nothing
        ratio = (lambda spent: spent / joules if joules else float("inf"))
        return {"macs": macs, "joules": joules, "spiking_to_dense_ratio": ratio(spiking_joules),
                "synops_to_dense_ratio": ratio(synops_joules)}

    comparison = {
        "energy_per_operation_joules": {"accumulate": e_ac, "multiply_accumulate": e_mac,
                                        "neuron_update": e_update},
        "spiking": {"synops": operations["total"], "neuron_updates": updates["total"],
                    "synops_joules": synops_joules, "neuron_update_joules": update_joules,
                    "joules": spiking_joules},
        "dense_all_pixels": against_dense(dense["all_pixels"]),
        "dense_nonzero_pixels": None,
        "left_out": [],
    }
    if dense["nonzero_pixels"] is None:
        comparison["left_out"].append(
            "dense_nonzero_pixels: the non-zero pixels per image were not given")
    else:
        nonzero = against_dense(dense["nonzero_pixels"])
        nonzero["mean_nonzero_pixels"] = dense["mean_nonzero_pixels"]
        nonzero["input_spikes_per_nonzero_pixel"] = (
            mean_spikes["input"] / dense["mean_nonzero_pixels"]
            if dense["mean_nonzero_pixels"] else float("inf"))
        comparison["dense_nonzero_pixels"] = nonzero
    return {
        "n_input": int(n_input),
        "n_neurons": int(n_neurons),
        "n_images": n_images,
        "spikes_per_image": mean_spikes,
        "synaptic_operations_per_image": operations,
        "neuron_updates_per_image": updates,
        "energy": energy_estimate(operations, n_input, n_neurons, e_ac, e_mac),
        "comparison": comparison,
        "memory_bytes": memory_bytes(n_input, n_neurons, params=params, rule=rule,
                                     n_slots=n_slots,
                                     input_spikes_per_image=mean_spikes["input"],
                                     encoder=encoder, connectivity=connectivity),
        "assumptions": comparison_assumptions(),
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

    The spiking network's two lines (synaptic operations, neuron updates) come first,
    then the dense layer charged all its MACs and, when known, only those of non-zero
    pixels, each with the ratio of the spiking network's energy to the dense layer's.

    Examples
    --------
    >>> report = efficiency_report({"input": [2000], "exc": [20], "inh": [10]}, 784, 100,
    ...                            nonzero_pixels_per_image=[150])
    >>> print(summary_line(report))  # doctest: +NORMALIZE_WHITESPACE
    cost per image: 2.01e+05 SynOps (99.5% input->exc, 2.55 input spikes per pixel)
    + 2e+05 neuron updates (2x100 neurons x 1000 steps x 1 slot, retries not given);
    energy 181 nJ + 920 nJ = 1.1 µJ (0.9 pJ/AC, 4.6 pJ/update);
    dense 784x100 at 4.6 pJ/MAC: all pixels 361 nJ (spiking/dense 3.05x),
    150 non-zero pixels 69 nJ (16x); state 5.14 MB (weights 627 kB)
    """
    operations = report["synaptic_operations_per_image"]
    memory = report["memory_bytes"]
    updates = report["neuron_updates_per_image"]
    comparison = report["comparison"]
    per_op = comparison["energy_per_operation_joules"]
    spiking = comparison["spiking"]
    share = operations["input_exc"] / operations["total"] if operations["total"] else 0.0
    slots = updates["mean_slots_per_image"]
    slots_text = (f"{slots:.3g} slot{'' if slots == 1 else 's'}"
                  + ("" if updates["retries_given"] else ", retries not given"))
    all_pixels = comparison["dense_all_pixels"]
    nonzero = comparison["dense_nonzero_pixels"]
    if nonzero is None:
        nonzero_text = "non-zero pixels not given"
    else:
        nonzero_text = (f"{nonzero['mean_nonzero_pixels']:.3g} non-zero pixels "
                        f"{_si(nonzero['joules'], 'J')} ({nonzero['spiking_to_dense_ratio']:.3g}x)")
    return (
        f"cost per image: {operations['total']:.3g} SynOps ({100 * share:.1f}% input->exc, "
        f"{operations['events_per_input_synapse']:.3g} input spikes per pixel) "
        f"+ {updates['total']:.3g} neuron updates (2x{report['n_neurons']} neurons x "
        f"{updates['steps_per_slot']} steps x {slots_text}); "
        f"energy {_si(spiking['synops_joules'], 'J')} "
        f"+ {_si(spiking['neuron_update_joules'], 'J')} = {_si(spiking['joules'], 'J')} "
        f"({per_op['accumulate'] * 1e12:.2g} pJ/AC, "
        f"{per_op['neuron_update'] * 1e12:.2g} pJ/update); "
        f"dense {report['n_input']}x{report['n_neurons']} at "
        f"{per_op['multiply_accumulate'] * 1e12:.2g} pJ/MAC: all pixels "
        f"{_si(all_pixels['joules'], 'J')} "
        f"(spiking/dense {all_pixels['spiking_to_dense_ratio']:.3g}x), "
        f"{nonzero_text}; "
        f"state {_si(memory['total'], 'B')} (weights {_si(memory['weights'], 'B')})"
    )
