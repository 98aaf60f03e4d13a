"""Assembly of the Diehl & Cook (2015) network, with its presentation schedule inside.

One network serves training and testing: the shared flag ``plastic`` switches learning,
theta growth and weight normalisation on and off.  The schedule (which image is shown,
the 350 ms on / 150 ms rest slots, the low-activity retry, normalisation before each
training presentation) runs in the simulation itself through ``run_regularly``
operations and a `TimedArray` indexed by a state variable, so a compiled device can run
a whole block of presentations in one call.

Named objects
-------------
``schedule``        one bookkeeping neuron: current image, retries, spikes in this slot.
``input``           Poisson inputs, one per pixel.
``exc``, ``inh``    excitatory and inhibitory populations.
``input_exc``       plastic input synapses (the learning rule's code).
``exc_inh``         one-to-one excitation of the inhibitory partner.
``inh_exc``         counts each time step's inhibitory spikes into the schedule.
``lateral_inhibition``  in a step with inhibitory spikes, inhibits every excitatory neuron
                    but the partners of the spiking neurons (N synapses, not N^2); or,
                    when the connectivity names the pairs (`Connectivity.inhibition_pairs`,
                    the neurons of one patch of a locally connected layer), explicit
                    inhibitory -> excitatory synapses, and no ``inh_exc``.
``exc_schedule``    adds up the excitatory layer's spikes for the retry decision.
``responses``       each excitatory neuron's spike count in every slot.
``layer_spikes``    each layer's total spike count in every slot (operation counts).
``schedule_log``    the image index and retry count of every slot.

Order of operations at the start of every slot (``when="start"``): the layer's spike
counts of the slot that ended are summed into the schedule (order -2) and recorded
(order -1); the schedule decides what this slot shows (0); the inputs take their new
rates (1); the counts are zeroed and, while learning, the input weights normalised (2-4).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import (
    Clock,
    Network,
    NeuronGroup,
    SpikeMonitor,
    StateMonitor,
    Synapses,
    TimedArray,
    check_units,
    declare_types,
    implementation,
    linked_var,
    second,
)

from .backend import StableClock, end_block, end_block_code_object, simulation_clock_name
from .config import NetworkParams
from .connectivity import AllToAll
from .encoding import PoissonEncoder
from .integration import state_updater
from .equations import (
    INHIBITORY_RESET,
    INHIBITORY_THRESHOLD,
    excitatory_equations,
    excitatory_reset,
    excitatory_threshold,
    inhibitory_equations,
)

__all__ = ["NetworkHandle", "build_network", "initial_weights", "input_delays",
           "presentation_accepted", "retry_limit"]

# A retry cap of None means "until the network answers"; the compiled code needs a number.
_UNLIMITED_RETRIES = 2**30


def retry_limit(presentation) -> int:
    """Return the retries after which a presentation is accepted whatever its response."""
    return _UNLIMITED_RETRIES if presentation.max_retries is None else presentation.max_retries


def presentation_accepted(slot_spikes, retries, presentation) -> bool:
    """Return whether a slot's presentation is accepted: the rule `_SCHEDULE_STEP` runs."""
    return slot_spikes >= presentation.min_spikes or retries >= retry_limit(presentation)

_SCHEDULE_MODEL = """
image_index : integer   # row of block_images shown in this slot
retries : integer       # how many times this image has been shown again
slot_spikes : integer   # excitatory spikes during this slot's presentation time
slot_start : second     # when this slot began
n_images : integer      # rows of block_images that hold images (the rest are padding)
label : integer         # class of the image shown (-1: unknown), for reward signals
random_seed : integer   # seeds the compiled device's random numbers for this block
input_spikes : integer  # spikes of each layer in the slot that ended, for operation counts
exc_spikes : integer
inh_spikes : integer
inh_step_spikes : integer  # inhibitory spikes of the current time step
"""

# At the start of every slot decide on the previous one: accept it (next image, base
# intensity) if it drew enough spikes or ran out of retries, else show it again brighter.
# `presentation_accepted` is the same rule for the slot a block ends on.
_SCHEDULE_STEP = """
accepted = slot_spikes >= min_spikes or retries >= max_retries
image_index += int(accepted)
retries = (retries + 1) * int(not accepted)
input_spikes = 0
exc_spikes = 0
inh_spikes = 0
label = int(block_labels(image_index * second))
slot_spikes = 0
slot_start = t
block_over = end_block(int(image_index >= n_images))  # called for its effect
"""

# Lateral inhibition spares the partner of a spiking inhibitory neuron (see `build_network`).
_PARTNER_LINK = """
partner_lastspike : second (linked)  # last spike of this neuron's inhibitory partner
"""

_REPEATED_ADD_CPP = """
double repeated_add(double value, const double step, const int times)
{
    for (int k = 0; k < times; k++)
        value += step;
    return value;
}
"""
_REPEATED_ADD_CUDA = "__host__ __device__ static inline " + _REPEATED_ADD_CPP.lstrip()


@implementation("cpp", _REPEATED_ADD_CPP)
@implementation("cuda", _REPEATED_ADD_CUDA)
@declare_types(value="float", step="float", times="integer", result="float")
@check_units(value=1, step=1, times=1, result=1)
def repeated_add(value, step, times):
    """Return `value` with `step` added `times` times, one addition after another."""
    value = np.array(value, dtype=float, copy=True)
    times = np.broadcast_to(times, value.shape)
    for k in range(int(np.max(times, initial=0))):
        value = np.where(times > k, value + step, value)
    return value


# The schedule's variables every input reads, linked from the schedule's single neuron.
_INPUT_LINKS = """
slot_spike_count : integer    # spikes in the current slot
image_index : integer (linked)
retries : integer (linked)
slot_start : second (linked)
n_images : integer (linked)
"""


@dataclass
class NetworkHandle:
    """A built network with the objects a simulator needs to drive it."""

    network: Network
    block_images: TimedArray
    n_input: int
    n_neurons: int
    n_slots: int
    params: NetworkParams
    rule: object
    block_labels: TimedArray = None
    extensions: tuple = ()
    clock: Clock = None
    slot_clock: Clock = None

    def __getitem__(self, name):
        return self.network[name]


def initial_weights(n_input, n_neurons, params: NetworkParams, rng) -> np.ndarray:
    """Return initial input weights, shape (n_input, n_neurons): (U(0, 1) + 0.01) * w_init_max."""
    conn = params.connectivity
    return (rng.random((n_input, n_neurons)) + 0.01) * conn.w_init_max


def input_delays(n_input, n_neurons, params: NetworkParams, rng) -> np.ndarray:
    """Return the input synapses' delays in seconds, uniform in [0, input_delay_max]."""
    return rng.random((n_input, n_neurons)) * float(params.connectivity.input_delay_max)


def build_network(n_input, n_neurons, params: NetworkParams, rule, n_slots, *, weights, delays,
                  extensions=(), encoder=None, connectivity=None):
    """Build the network in the current Brian2 device.

    Parameters
    ----------
    n_input : int
        Number of input neurons (pixels per image).
    n_neurons : int
        Number of excitatory (and inhibitory) neurons.
    params : NetworkParams
        Neuron, synapse and presentation parameters.
    rule : learning rule
        Provides the plastic synapses' code (see `stdp_learn.rules`).
    n_slots : int
        Presentation slots per block; the image store holds this many images.
    weights, delays : ndarray, shape (n_input, n_neurons)
        Initial input weights and delays (seconds); only the entries of the synapses the
        connectivity creates are used.
    extensions : sequence
        Further layers attached to this network (for example a readout trained by
        reward).  Each has a method ``build(handle)`` that returns its Brian2 objects,
        built from the named objects of `handle`; see `stdp_learn.simulation` for the
        rest of the interface.
    encoder : Encoder, optional
        How images become input spikes (`stdp_learn.encoding`); Poisson rates by default.
    connectivity : Connectivity, optional
        Which inputs reach which excitatory neurons (`stdp_learn.connectivity`);
        all-to-all by default.

    Returns
    -------
    NetworkHandle
    """
    exc_p, inh_p = params.excitatory, params.inhibitory
    conn, pres = params.connectivity, params.presentation
    slot = pres.slot_duration
    max_retries = retry_limit(pres)

    block_images = TimedArray(np.zeros((n_slots, n_input)), dt=1 * second, name="block_images")
    # one extra row: the slot after the last image reads a label too
    block_labels = TimedArray(np.full(n_slots + 1, -1.0), dt=1 * second, name="block_labels")
    # Every group and synapse runs on this clock: the network's dt never depends on
    # Brian2's global default clock.
    clock = StableClock(dt=pres.dt, name=simulation_clock_name())
    slot_clock = StableClock(dt=slot, name="slot_clock")  # the once-per-slot operations

    schedule = NeuronGroup(
        1, _SCHEDULE_MODEL, name="schedule", clock=clock, events={"inhibition": "inh_step_spikes > 0"},
        namespace={"min_spikes": pres.min_spikes, "max_retries": max_retries,
                   "block_labels": block_labels, "end_block": end_block},
    )
    # it calls end_block, which on the GPU needs a code object of its own
    schedule.run_regularly(_SCHEDULE_STEP, clock=slot_clock, when="start", order=0,
                           name="schedule_step", codeobj_class=end_block_code_object())

    encoder = encoder if encoder is not None else PoissonEncoder()
    inputs = NeuronGroup(
        n_input, encoder.model() + _INPUT_LINKS, threshold=encoder.threshold(),
        reset=encoder.reset() + "slot_spike_count += 1\n", name="input", clock=clock,
        namespace=dict(encoder.namespace(params), block_images=block_images,
                       presentation_time=pres.presentation_time),
    )
    zeros = np.zeros(n_input, dtype=int)
    for name in ("image_index", "retries", "slot_start", "n_images"):
        setattr(inputs, name, linked_var(schedule, name, index=zeros))
    inputs.run_regularly(encoder.slot_start(), clock=slot_clock, when="start", order=1,
                         name="input_slot_start")

    exc_namespace = {
        "v_threshold": exc_p.v_threshold,
        "theta_offset": exc_p.theta_offset,
        "theta_plus": exc_p.theta_plus,
        "v_reset": exc_p.v_reset,
        "spike_lockout": exc_p.spike_lockout,
        "presentation_time": pres.presentation_time,
    }
    if rule.neuron_variables:  # the rule's per-neuron traces read its constants
        exc_namespace.update(rule.namespace())
    method, method_namespace = state_updater(pres.integration_method)
    exc_namespace.update(method_namespace)
    exc = NeuronGroup(
        n_neurons, excitatory_equations(exc_p, rule) + _PARTNER_LINK,
        threshold=excitatory_threshold(exc_p), reset=excitatory_reset(rule, exc_p),
        refractory=exc_p.refractory, method=method, name="exc", clock=clock,
        namespace=exc_namespace,
    )
    exc.slot_start = linked_var(schedule, "slot_start", index=np.zeros(n_neurons, dtype=int))
    exc.v = exc_p.v_rest
    exc.theta = exc_p.theta_init
    exc.previous_spike = -1e4 * second  # "long ago": no trace at the start
    exc.plastic = True

    inh = NeuronGroup(
        n_neurons, inhibitory_equations(inh_p),
        threshold=INHIBITORY_THRESHOLD, reset=INHIBITORY_RESET,
        refractory=inh_p.refractory, method=method, name="inh", clock=clock,
        namespace={"v_threshold": inh_p.v_threshold, "v_reset": inh_p.v_reset, **method_namespace},
    )
    inh.v = inh_p.v_rest

    connectivity = connectivity if connectivity is not None else AllToAll()
    namespace = dict(rule.namespace())
    weight_sum = (0.0 if conn.weight_sum is None
                  else connectivity.normalisation_target(conn.weight_sum, n_input))
    namespace.update(w_max=conn.w_max, weight_sum=weight_sum)
    input_exc = Synapses(
        inputs, exc,
        model="w : 1\naxonal_delay : second  # copied into the pathway's delay\n" + rule.equations(),
        on_pre="ge_post += w\n" + rule.on_pre(),
        on_post=rule.on_post(),
        name="input_exc", namespace=namespace, clock=clock,
    )
    connectivity.connect(input_exc)
    # The synapses' entries of the dense (n_input, n_neurons) arrays, in creation order
    # (all-to-all: every entry, row-major, as Brian2 orders them by source then target).
    synapse_index = connectivity.synapse_index(n_input, n_neurons)
    input_exc.w = np.asarray(weights, dtype=float).ravel()[synapse_index]
    input_exc.axonal_delay = np.asarray(delays, dtype=float).ravel()[synapse_index] * second
    for name in rule.time_variables:
        setattr(input_exc, name, -1e4 * second)
    input_exc.pre.delay = "axonal_delay"
    exc.run_regularly("presentation_spikes = 0\nslot_spike_count = 0\ninput_weight_sum = 0",
                      clock=slot_clock, when="start", order=2, name="exc_slot_reset")
    inh.run_regularly("slot_spike_count = 0", clock=slot_clock, when="start", order=2, name="inh_slot_reset")
    inputs.run_regularly("slot_spike_count = 0", clock=slot_clock, when="start", order=2,
                         name="input_slot_reset")
    if conn.weight_sum is not None:
        # Once per slot, O(synapses): add every weight to its column's sum, then rescale.
        input_exc.run_regularly("input_weight_sum_post += w", clock=slot_clock, when="start", order=3,
                                name="input_exc_weight_sum")
        input_exc.run_regularly(
            "w = w * (int(not plastic) + int(plastic) * weight_sum"
            " / (input_weight_sum_post + int(input_weight_sum_post == 0)))",
            clock=slot_clock, when="start", order=4, name="input_exc_normalise",
        )

    exc_inh = Synapses(exc, inh, on_pre="ge_post += w_exc_inh", name="exc_inh", clock=clock,
                       namespace={"w_exc_inh": conn.w_exc_inh})
    exc_inh.connect(j="i")
    # Lateral inhibition: each inhibitory spike adds w_inh_exc to the conductance of every
    # excitatory neuron but its partner.  Instead of N(N - 1) synapses, the step's spikes
    # are counted (one synapse per inhibitory neuron); in a step with any, the schedule
    # raises an "inhibition" event after the step's spikes were delivered (Brian2 runs
    # presynaptic pathways at order -1, postsynaptic ones at 1), and N synapses make every
    # excitatory neuron add the weight once per spike but its partner's: the additions the N(N - 1) synapses made, in the same order, so the same
    # numbers, at O(N) memory and O(N) work per step with inhibitory spikes.
    exc.partner_lastspike = linked_var(inh, "lastspike")
    inhibition_pairs = connectivity.inhibition_pairs(n_neurons)
    if inhibition_pairs is None:
        inh_exc = Synapses(inh, schedule, on_pre="inh_step_spikes_post += 1", name="inh_exc",
                           clock=clock)
        inh_exc.connect()
        schedule.set_event_schedule("inhibition", when="synapses", order=2)
        lateral_inhibition = Synapses(
            schedule, exc,
            on_pre="gi_post = repeated_add(gi_post, w_inh_exc,"
                   " inh_step_spikes_pre - int(partner_lastspike_post == t))",
            on_event="inhibition", name="lateral_inhibition", clock=clock,
            namespace={"w_inh_exc": conn.w_inh_exc, "repeated_add": repeated_add},
        )
        lateral_inhibition.connect()
        lateral_inhibition.pre.order = 3
        # one synapse per excitatory neuron: tells Brian2 no two synapses write one neuron's gi
        lateral_inhibition.variables["_postsynaptic_idx"].unique = True
        schedule.run_regularly("inh_step_spikes = 0", when="synapses", order=4,
                               name="inh_step_spikes_reset")
        inhibition = (inh_exc, lateral_inhibition)
    else:
        # Competition among few neurons (the connectivity's groups, such as the neurons of
        # one image patch): explicit synapses, as few as the pairs.
        sources, targets = inhibition_pairs
        lateral_inhibition = Synapses(inh, exc, on_pre="gi_post += w_inh_exc",
                                      name="lateral_inhibition", clock=clock,
                                      namespace={"w_inh_exc": conn.w_inh_exc})
        lateral_inhibition.connect(i=np.asarray(sources, dtype=int),
                                   j=np.asarray(targets, dtype=int))
        inhibition = (lateral_inhibition,)

    # Summing the layer's counts once per slot costs nothing per time step.
    exc_schedule = Synapses(exc, schedule, name="exc_schedule", clock=clock)
    exc_schedule.connect()
    exc_schedule.run_regularly(
        "slot_spikes_post += presentation_spikes_pre\nexc_spikes_post += slot_spike_count_pre",
        clock=slot_clock, when="start", order=-2, name="exc_schedule_sum",
    )
    counters = []
    for layer, total in ((inputs, "input_spikes"), (inh, "inh_spikes")):
        counter = Synapses(layer, schedule, name=f"{layer.name}_schedule", clock=clock)
        counter.connect()
        counter.run_regularly(f"{total}_post += slot_spike_count_pre", clock=slot_clock, when="start",
                              order=-2, name=f"{layer.name}_schedule_sum")
        counters.append(counter)
    layer_spikes = StateMonitor(schedule, ["input_spikes", "exc_spikes", "inh_spikes"], record=0,
                                clock=slot_clock, when="start", order=-1, name="layer_spikes")

    responses = StateMonitor(exc, "presentation_spikes", record=True, clock=slot_clock, when="start",
                             order=-1, name="responses")
    schedule_log = StateMonitor(schedule, ["image_index", "retries"], record=0, clock=slot_clock,
                                when="start", order=5, name="schedule_log")
    # ~10 spikes per presentation: their times cost little and show when the answer formed
    exc_spike_times = SpikeMonitor(exc, name="exc_spike_times")

    network = Network(schedule, inputs, exc, inh, input_exc, exc_inh, *inhibition,
                      exc_schedule, *counters, responses, layer_spikes, schedule_log, exc_spike_times,
                      name="diehl_cook")
    handle = NetworkHandle(network, block_images, n_input, n_neurons, n_slots, params, rule,
                           block_labels, tuple(extensions), clock, slot_clock)
    for extension in extensions:
        network.add(*extension.build(handle))
    return handle
