"""Reward-modulated STDP, and a readout layer that learns the classes by it.

`RewardSTDP` is a three-factor learning rule: pre/post spike pairs do not change the
weight but write the pair-STDP amount into a per-synapse eligibility trace ``c``; the
weight follows the product of that trace and a neuromodulator ``d`` that the simulation
delivers (positive for reward, negative for punishment)::

    dc/dt = -c / tau_eligibility + STDP(pairs)            (eligibility trace)
    dd/dt = -d / tau_reward + rewards                     (neuromodulator, per neuron)
    dw/dt = learning_rate * d * c,  w clipped to [0, w_max]

(Izhikevich 2007 with ``tau_eligibility`` = 1 s, ``tau_reward`` = 200 ms; Florian's
MSTDPET with ``tau_eligibility`` = 25 ms.)

`RewardReadout` is an extension of the network (see `stdp_learn.simulation`): 10 x k
output neurons, driven by the excitatory layer through `RewardSTDP` synapses.  It
predicts the class whose outputs fire most; when a presentation ends, the output that
fired most (the readout's answer) is rewarded if its class is the image's, punished
otherwise.

How the continuous weight change is computed
--------------------------------------------
The eligibility trace is kept in closed form (its value and the time of its last change),
so it costs nothing between spikes.  The neuromodulator is a state variable of the
postsynaptic neuron (``reward``), integrated with the neuron.  The weight is brought up
to date by an operation that runs every ``update_interval`` (1 ms by default) after the
time step's spikes and rewards were processed: it adds the exact integral of
``learning_rate * d * c`` over the coming interval, ``d c tau_product (1 -
exp(-update_interval / tau_product))`` with ``1 / tau_product = 1 / tau_eligibility + 1 /
tau_reward``, and clips.  Between spikes and rewards this is exact; a jump of ``c`` or
``d`` inside an interval starts to count at the next update, which loses at most a
fraction ``update_interval / tau_product`` of its effect (0.6 % with the defaults, 4.5 %
with ``tau_eligibility`` = 25 ms).  The cost is one pass over the synapses per interval
(500 per 500 ms slot), against one per time step for a clock-driven ``dw/dt`` (1,000 per
slot at dt = 0.5 ms) that would in addition need a clipping pass of its own, and could
not be one of the rule's equations anyway: the network declares the weight ``w : 1``.

References
----------
Izhikevich, E. M. (2007). Solving the distal reward problem through linkage of STDP and
dopamine signaling. Cerebral Cortex 17:2443-2452.
Florian, R. V. (2007). Reinforcement learning through modulation of spike-timing-dependent
synaptic plasticity. Neural Computation 19:1468-1502.
Mozafari, M., Kheradpisheh, S. R., Masquelier, T., Nowzari-Dalini, A. & Ganjtabesh, M.
(2018). First-spike-based visual categorization using reward-modulated STDP. IEEE
Transactions on Neural Networks and Learning Systems 29:6178-6190.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from brian2 import (
    NeuronGroup,
    Quantity,
    StateMonitor,
    Synapses,
    linked_var,
    mV,
    ms,
    second,
    volt,
)

from .config import ConfigError, _check_number, _check_quantity
from .backend import StableClock
from .rules import spike_trace
from .readout import NO_CLASS

__all__ = ["RewardSTDP", "RewardReadout", "REWARD_POLICIES"]

# Nearest-spike pair traces in closed form, as in `PairSTDP`: a trace is exp(-(time since
# the spike) / tau), with the exponent capped at 40 time constants.  The eligibility trace
# c is stored as its value just after its last change and the time of that change, so it
# costs nothing between spikes; `eligibility` is its value now.
_ELIGIBILITY = """
last_pre_arrival : second      # last presynaptic arrival
eligibility_value : 1          # c just after its last change
eligibility_time : second      # when c last changed
eligibility = eligibility_value * spike_trace((t - eligibility_time) / tau_eligibility) : 1
"""

# A presynaptic arrival after a postsynaptic spike (post before pre) adds -a_minus * x_post;
# a postsynaptic spike after an arrival (pre before post) adds a_plus * (x_pre - x_target).
_ON_PRE = """
post_trace = spike_trace((t - lastspike_post) / tau_minus)
eligibility_value = eligibility - a_minus * post_trace * int(plastic_post)
eligibility_time = t
last_pre_arrival = t
"""
_ON_POST = """
pre_trace = spike_trace((t - last_pre_arrival) / tau_plus)
eligibility_value = eligibility + a_plus * (pre_trace - x_target) * int(plastic_post)
eligibility_time = t
"""
# The integral of learning_rate * d * c over the next update interval, both decaying.
_WEIGHT_UPDATE = (
    "w = clip(w + learning_rate * reward_post * eligibility * interval_integral"
    " * int(plastic_post), 0, w_max)"
)
_REWARD_EQUATION = "dreward/dt = -reward / tau_reward : 1  # neuromodulator d\n"


@dataclass(frozen=True)
class RewardSTDP:
    """Reward-modulated pair STDP with an eligibility trace (Izhikevich 2007).

    Every pre/post pairing adds the pair-STDP amount to the synapse's eligibility trace
    ``c``, which decays with ``tau_eligibility``: ``a_plus * (exp(-lag / tau_plus) -
    x_target)`` when the postsynaptic spike follows the nearest arrival by ``lag``,
    ``-a_minus * exp(-lag / tau_minus)`` when an arrival follows the latest postsynaptic
    spike.  The weight changes continuously by ``dw/dt = learning_rate * d * c`` and is
    clipped to ``[0, w_max]``, where ``d`` is the postsynaptic neuron's neuromodulator
    ``reward``.

    A positive ``d`` after a causal pair potentiates, a negative one depresses, and
    without ``d`` the weight stays.  A reward ``R`` given with the eligibility at ``c``
    changes the weight by ``learning_rate * R * c * tau_product`` in all (while it stays
    within bounds), ``tau_product = 1 / (1 / tau_eligibility + 1 / tau_reward)``.

    What the postsynaptic group must provide
    ----------------------------------------
    ``reward``     the neuromodulator d, dimensionless, decaying with ``tau_reward``: add
                   the line of `reward_equations` to its model and ``tau_reward`` to its
                   namespace (`namespace` has it); the simulation adds rewards to it.
    ``plastic``    boolean, shared or linked to a shared flag: nothing changes while False.
    ``lastspike``  its latest spike (a NeuronGroup has it when given a ``refractory``).

    The synapses get the model ``w : 1`` plus `equations`, the code `on_pre` and `on_post`,
    the namespace `namespace` plus ``w_max``, and the operation `weight_update` run every
    ``update_interval`` with ``when="end"`` (after the step's spikes and rewards).

    Parameters
    ----------
    tau_plus, tau_minus : Quantity
        Time constants of the potentiation (pre before post) and depression (post before
        pre) windows (20 ms each).
    a_plus, a_minus : float
        Eligibility added by a pair at zero lag (1.0 each).
    x_target : float
        Subtracted from the presynaptic trace at a postsynaptic spike (0: plain pair
        STDP).  Above 0, inputs that were silent before the spike get a negative trace,
        as in the paper's eq. 3 form of `PairSTDP` ("power_law").
    tau_eligibility : Quantity
        Decay of the eligibility trace (1 s as Izhikevich 2007; 25 ms gives Florian's
        MSTDPET).
    tau_reward : Quantity
        Decay of the neuromodulator (200 ms).
    learning_rate : Quantity
        In 1/second: weight change per second per unit of ``d * c``.
    update_interval : Quantity
        How often the weight is brought up to date (1 ms; see the module notes).

    Examples
    --------
    >>> from brian2 import ms, second
    >>> rule = RewardSTDP(tau_eligibility=1 * second)
    >>> "reward_post" in rule.weight_update()
    True
    >>> "w =" in rule.on_pre() + rule.on_post()   # pairs write the trace, not the weight
    False
    """

    tau_plus: Quantity = field(default_factory=lambda: 20 * ms)
    tau_minus: Quantity = field(default_factory=lambda: 20 * ms)
    a_plus: float = 1.0
    a_minus: float = 1.0
    x_target: float = 0.0
    tau_eligibility: Quantity = field(default_factory=lambda: 1 * second)
    tau_reward: Quantity = field(default_factory=lambda: 200 * ms)
    learning_rate: Quantity = field(default_factory=lambda: 0.1 / second)
    update_interval: Quantity = field(default_factory=lambda: 1 * ms)

    state_variables = ("last_pre_arrival", "eligibility_value", "eligibility_time")
    time_variables = ("last_pre_arrival", "eligibility_time")

    def validate(self):
        """Raise `ConfigError` on a wrong unit or sign; return self."""
        for name in ("tau_plus", "tau_minus", "tau_eligibility", "tau_reward", "update_interval"):
            _check_quantity("RewardSTDP", name, getattr(self, name), second, positive=True)
        _check_quantity("RewardSTDP", "learning_rate", self.learning_rate, 1 / second,
                        non_negative=True)
        for name in ("a_plus", "a_minus"):
            _check_number("RewardSTDP", name, getattr(self, name), non_negative=True)
        _check_number("RewardSTDP", "x_target", self.x_target)
        return self

    @property
    def tau_product(self) -> Quantity:
        """Return the decay time of ``d * c``: 1 / (1 / tau_eligibility + 1 / tau_reward)."""
        return 1 / (1 / self.tau_eligibility + 1 / self.tau_reward)

    def equations(self) -> str:
        """Return the model lines of the eligibility trace and the presynaptic trace."""
        return _ELIGIBILITY

    def on_pre(self) -> str:
        """Return the statements run when a presynaptic spike arrives."""
        return _ON_PRE

    def on_post(self) -> str:
        """Return the statements run when the postsynaptic neuron fires."""
        return _ON_POST

    def weight_update(self) -> str:
        """Return the weight update, to run every ``update_interval`` with ``when="end"``."""
        return _WEIGHT_UPDATE

    def reward_equations(self) -> str:
        """Return the model line of the neuromodulator for the postsynaptic group."""
        return _REWARD_EQUATION

    def namespace(self) -> dict:
        """Return the constants used by the code of the synapses and of `reward_equations`."""
        tau = self.tau_product
        return {
            "spike_trace": spike_trace,
            "tau_plus": self.tau_plus,
            "tau_minus": self.tau_minus,
            "a_plus": self.a_plus,
            "a_minus": self.a_minus,
            "x_target": self.x_target,
            "tau_eligibility": self.tau_eligibility,
            "tau_reward": self.tau_reward,
            "learning_rate": self.learning_rate,
            # the integral of exp(-s / tau_product) over one update interval
            "interval_integral": tau * (1 - np.exp(-float(self.update_interval / tau))),
        }

    def to_dict(self) -> dict:
        """Return the rule as JSON values (times in ms, the learning rate in 1/s)."""
        values = {"rule": "RewardSTDP"}
        for name in ("tau_plus", "tau_minus", "tau_eligibility", "tau_reward", "update_interval"):
            values[f"{name}_ms"] = float(getattr(self, name) / ms)
        values.update(a_plus=self.a_plus, a_minus=self.a_minus, x_target=self.x_target,
                      learning_rate_per_s=float(self.learning_rate * second))
        return values

    @classmethod
    def from_dict(cls, values: dict) -> "RewardSTDP":
        """Rebuild a rule written by `to_dict`."""
        values = dict(values)
        values.pop("rule", None)
        for name in ("tau_plus", "tau_minus", "tau_eligibility", "tau_reward", "update_interval"):
            values[name] = values.pop(f"{name}_ms") * ms
        values["learning_rate"] = values.pop("learning_rate_per_s") / second
        return cls(**values).validate()


# -- the readout --------------------------------------------------------------------------

#: When an output spike delivers reward (see `RewardReadout`).
REWARD_POLICIES = ("most_spikes", "first_spike", "every_spike", "teacher")

_OUTPUT_MODEL = """
dv/dt = (v_rest - v) / tau_membrane : volt (unless refractory)   # membrane potential
output_class : integer (constant)   # the class this neuron answers for
presentation_spikes : integer       # spikes while this slot's input is on
input_weight_sum : 1                # sum of the input weights, for normalisation
first_answer : second               # the readout's first spike in this presentation
label : integer (linked)            # class of the image shown (-1: unknown)
slot_start : second                 # when the current slot began (set at its start)
plastic : boolean (shared)          # the readout's learning switch
beaten : integer                    # outputs with more spikes in this presentation
beaten_in_class : integer           # outputs of its own class with more spikes
"""

# At each output spike: the reward for it goes into the neuron's own neuromodulator.
_OUTPUT_RESET = """
v = v_reset
presenting = t - slot_start < presentation_time
presentation_spikes += int(presenting)
"""
# A judged output: reward for the label's class, punishment for any other.
_JUDGE = """
right = output_class == label
reward += int(judged) * (reward_amount * int(right) - punishment_amount * int(not right))
"""
_SPIKE_REWARD = """
judged = plastic and label >= 0 and presenting{first_only}
""" + _JUDGE
# "most_spikes": when the presentation time is over, every output counts the outputs, of
# any class and of its own, that fired more than itself (through the all-to-all lateral
# synapses).  Those beaten by none gave the readout's answer; those of the label's class
# beaten by none of their class are its best.  Both are judged.
_PRESENTATION_END = "abs(t - slot_start{post} - presentation_time) < half_step"
_COUNT_BEATEN = """
more = {at_end} and presentation_spikes_pre > presentation_spikes_post
beaten_post += int(more)
beaten_in_class_post += int(more and output_class_pre == output_class_post)
""".format(at_end=_PRESENTATION_END.format(post="_post"))
_ANSWER_REWARD = """
fired = presentation_spikes > 0 and {at_end}
judged = plastic and label >= 0 and fired and (beaten == 0 or (output_class == label and beaten_in_class == 0))
""".format(at_end=_PRESENTATION_END.format(post="")) + _JUDGE + """
beaten = 0
beaten_in_class = 0
"""
# The spike that set first_answer in this very time step (ties included).
_FIRST_ONLY = " and t - first_answer < 0.5 * dt"

# Every output spike inhibits the other outputs; the first one of a presentation marks
# the time of the readout's answer in every output (itself included).  Brian2 warns that
# the second statement may depend on the order of the synapses: it does not, since every
# write either sets first_answer to t or leaves it (both devices give the same result).
_LATERAL = """
v_post -= lateral_inhibition * int(i != j)
unanswered = first_answer_post < slot_start_post and t - slot_start_post < presentation_time
first_answer_post = first_answer_post + (t - first_answer_post) * int(unanswered)
"""


def _q(default):
    return field(default_factory=lambda: Quantity(default, copy=True))


def _readout_rule():
    # The answer is judged when the presentation ends, so the eligibility must remember
    # the whole presentation: 1 s, as Izhikevich (2007); the episodic reset at every slot
    # start keeps it from reaching the next image.  The reward then acts during the 150 ms
    # rest: a reward R on eligibility c changes w by about 0.3 / s * R * c * 0.1 s.
    # The weight update every 5 ms instead of 1 ms costs a fifth of the passes and loses
    # at most 3 % of an effect with tau_product = 167 ms.
    return RewardSTDP(tau_plus=50 * ms, a_minus=0.0, tau_eligibility=1 * second,
                      learning_rate=0.3 / second, update_interval=5 * ms)


@dataclass(frozen=True)
class RewardReadout:
    """A layer of class outputs trained by reward-modulated STDP, attached to the network.

    ``n_classes * n_per_class`` leaky integrate-and-fire neurons receive every spike of the
    excitatory layer (``handle["exc"]``) through `RewardSTDP` synapses (a spike of weight
    ``w`` raises the membrane potential by ``w * psp_amplitude``).  Output ``o`` answers
    for class ``o // n_per_class``.  Each output spike lowers the potential of every other
    output by ``lateral_inhibition`` (winner-take-all).  The potential is set back to rest
    at the start of every slot.  While learning, every output's input weights are scaled
    to sum to ``weight_sum`` at the start of every slot, as the excitatory layer's are:
    potentiating some inputs then weakens the others, which makes the outputs selective.

    Reward policy
    -------------
    While the readout learns (its own shared ``plastic`` flag, which the simulators set
    for every block) and the label of the shown image is known (``label >= 0`` in the
    schedule), outputs are judged: a judged output gets ``+reward_amount`` in its
    neuromodulator if its class is the label, ``-punishment_amount`` otherwise.

    * ``"most_spikes"`` (default): when the presentation time ends, the output (or the
      outputs, on a tie) with the most spikes in this presentation is judged, if it fired
      at all: the answer the readout gives, made from the whole presentation.  When the
      answer is wrong, the output of the label's class with the most spikes is judged
      too (and rewarded), if it fired, so that the right class learns from the images it
      lost (a perceptron's update, in spikes).  The eligibility of the synapses
      remembers the whole presentation (``tau_eligibility`` 1 s), and the reward acts
      during the rest that follows.
    * ``"first_spike"`` (as Mozafari et al. 2018): the readout's first spike of a
      presentation is judged as it happens (outputs firing in that same time step all are).
    * ``"every_spike"``: every output spike during the presentation is judged as it happens.
    * ``"teacher"`` (supervised, after Hao et al. 2020): while a labelled image is shown,
      the outputs of its class are driven towards threshold by ``teacher_drive`` (a
      depolarising current, besides their input) and fire whatever their weights; every
      output spike is judged as it happens.  The driven outputs' rewarded spikes
      strengthen the synapses from the excitatory neurons active with them (Hebbian, in
      rates), and the outputs of other classes that fire are punished.  The drive acts
      only while the readout learns (`fit_readout` included), never when testing.

    Only judged neurons are rewarded or punished, and their eligibility comes from their
    own spikes, so credit goes to the synapses that made them fire.  Presentations that are
    shown again (the low-activity retry) are judged like any other.  With ``episodic``
    (default) the neuromodulator and the eligibility traces are cleared at the start of
    every slot, so that a reward never reaches the next image's spikes.

    On 100 excitatory neurons trained on 2,000 MNIST images (3 seeds, the validation
    split), "most_spikes" with a frozen pass scored 53.7 % against 49.8 % for label
    assignment, where "first_spike" with a winner-take-all scored 44.3 %: the first spike
    comes after one or two excitatory spikes, the answer of "most_spikes" uses all of
    them (about 14 per image).  See experiments/README.md.

    Cost: the weight update passes over the ``n_neurons * n_outputs`` synapses every
    ``rule.update_interval`` (100 times per 500 ms slot with the default rule);
    normalisation and the episodic reset add three passes per slot; "most_spikes" adds a
    pass over the ``n_outputs**2`` lateral synapses at every tick of a clock that divides
    both the presentation and the slot (50 ms with the paper's 350 + 150 ms); the rest
    happens at spikes.

    The prediction for an image is the class whose outputs fired most during its accepted
    presentation (ties to the lowest class, -1 when no output fired).

    Learning the features and the readout
    -------------------------------------
    The simulators switch the features (the excitatory layer's ``plastic`` flag) and the
    readout (its own flag) per block: ``run_block(..., plastic=True)`` trains both
    together, ``plastic=False, extensions_plastic=True`` trains the readout on frozen
    features (`DiehlCook2015.fit_readout`), as the test pass will show them.

    Parameters
    ----------
    n_per_class : int
        Output neurons per class (k).
    n_classes : int
        Number of classes (10).
    rule : RewardSTDP
        Rule of the excitatory -> output synapses.  The default is made for answers judged
        at the end of the presentation: potentiation window (tau_plus) 50 ms, as the
        inputs a few tens of ms before an output spike drove it; no depression term
        (a_minus = 0), since inputs after an output spike carry the same class;
        eligibility decay 1 s (the whole presentation); learning rate 0.3 / s; weight
        update every 5 ms.
    v_rest, v_reset, v_threshold : Quantity
        Resting, reset and threshold potentials of the outputs (-65, -65, -55 mV).
    tau_membrane : Quantity
        Membrane time constant of the outputs (1 s: an output adds up the evidence of
        the whole 350 ms presentation, the early spikes included).
    refractory : Quantity
        Refractory period of the outputs (5 ms).
    psp_amplitude : Quantity
        Potential step of a synapse of weight 1 (20 mV; with weight_sum 10 over 100
        excitatory neurons a fresh output needs about five input spikes to fire).
    lateral_inhibition : Quantity
        Potential step of every other output when one fires (0 mV: the outputs count
        evidence side by side; 20 mV makes a winner-take-all for "first_spike").
    w_max : float
        Upper bound of the weights (1).
    w_init_min, w_init_max : float
        Initial weights are uniform in this range (0.3, 0.5).
    reward_amount, punishment_amount : float
        Neuromodulator delivered for a right and a wrong answer (1, 1).
    reward_policy : {"most_spikes", "first_spike", "every_spike", "teacher"}
        Which output spikes are judged (above).
    teacher_drive : Quantity
        Depolarisation rate of the label's outputs under ``"teacher"`` (0.4 mV/ms: from
        rest, about twelve spikes in a 350 ms presentation without input); unused
        otherwise.
    episodic : bool
        Clear the neuromodulator and eligibility at every slot start (above).
    weight_sum : float or None
        Target sum of every output's input weights (10); None turns normalisation off.
    name : str
        Prefix of the Brian2 objects: ``{name}_output`` (neurons), ``{name}_input``
        (synapses from the excitatory layer), ``{name}_lateral``, ``{name}_responses``.

    Examples
    --------
    >>> readout = RewardReadout(n_per_class=2)
    >>> readout.n_outputs
    20
    >>> readout.predict(np.array([[0, 0, 3, 1] + [0] * 16])).tolist()
    [1]
    """

    n_per_class: int = 3
    n_classes: int = 10
    rule: RewardSTDP = field(default_factory=_readout_rule)
    v_rest: Quantity = _q(-65 * mV)
    v_reset: Quantity = _q(-65 * mV)
    v_threshold: Quantity = _q(-55 * mV)
    tau_membrane: Quantity = _q(1 * second)
    refractory: Quantity = _q(5 * ms)
    psp_amplitude: Quantity = _q(20 * mV)
    lateral_inhibition: Quantity = _q(0 * mV)
    w_max: float = 1.0
    w_init_min: float = 0.3
    w_init_max: float = 0.5
    reward_amount: float = 1.0
    punishment_amount: float = 1.0
    reward_policy: str = "most_spikes"
    teacher_drive: Quantity = _q(0.4 * mV / ms)
    episodic: bool = True
    weight_sum: float | None = 10.0
    name: str = "readout"

    # -- configuration ------------------------------------------------------------------
    @property
    def time_variables(self) -> tuple:
        """Return the names of carried variables that hold times."""
        return ("lastspike", "first_answer") + tuple(self.rule.time_variables)

    @property
    def n_outputs(self) -> int:
        """Return the number of output neurons."""
        return self.n_classes * self.n_per_class

    @property
    def output_classes(self) -> np.ndarray:
        """Return the class of every output neuron, shape (n_outputs,)."""
        return np.repeat(np.arange(self.n_classes), self.n_per_class)

    def validate(self):
        """Raise `ConfigError` on a wrong unit, sign or option; return self."""
        owner = "RewardReadout"
        for name in ("n_per_class", "n_classes"):
            _check_number(owner, name, getattr(self, name), positive=True, integer=True)
        self.rule.validate()
        for name in ("v_rest", "v_reset", "v_threshold", "psp_amplitude", "lateral_inhibition"):
            _check_quantity(owner, name, getattr(self, name), volt)
        for name in ("psp_amplitude", "lateral_inhibition"):
            _check_quantity(owner, name, getattr(self, name), volt, non_negative=True)
        _check_quantity(owner, "tau_membrane", self.tau_membrane, second, positive=True)
        _check_quantity(owner, "refractory", self.refractory, second, non_negative=True)
        _check_quantity(owner, "teacher_drive", self.teacher_drive, volt / second,
                        non_negative=True)
        for name in ("w_max", "w_init_min", "w_init_max", "reward_amount", "punishment_amount"):
            _check_number(owner, name, getattr(self, name), non_negative=True)
        if not self.w_init_min <= self.w_init_max <= self.w_max:
            raise ConfigError(f"{owner} needs w_init_min <= w_init_max <= w_max, got "
                              f"{self.w_init_min}, {self.w_init_max}, {self.w_max}")
        if not float(self.v_threshold) > float(self.v_reset):
            raise ConfigError(f"{owner}.v_threshold must lie above v_reset")
        if self.weight_sum is not None:
            _check_number(owner, "weight_sum", self.weight_sum, positive=True)
        if not isinstance(self.episodic, bool):
            raise ConfigError(f"{owner}.episodic must be True or False, got {self.episodic!r}")
        if self.reward_policy not in REWARD_POLICIES:
            raise ConfigError(f"{owner}.reward_policy must be one of {REWARD_POLICIES}, "
                              f"got {self.reward_policy!r}")
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ConfigError(f"{owner}.name must be an identifier, got {self.name!r}")
        return self

    # -- the extension interface --------------------------------------------------------
    @property
    def learning_switch(self) -> tuple:
        """Return (group name, variable) of the readout's own learning flag."""
        return f"{self.name}_output", "plastic"

    @property
    def carried_variables(self) -> dict:
        """Return {group name: variables carried from one block to the next}."""
        return {
            f"{self.name}_output": ("v", "reward", "presentation_spikes", "lastspike",
                                    "first_answer"),
            f"{self.name}_input": ("w",) + tuple(self.rule.state_variables),
        }

    def initial_arrays(self, n_neurons, rng) -> dict:
        """Return the starting state, ``{"group.variable": array}`` in SI units."""
        n_out, n_syn = self.n_outputs, int(n_neurons) * self.n_outputs
        output, synapses = f"{self.name}_output", f"{self.name}_input"
        long_ago = -1e4  # seconds: "never", as the simulators initialise spike times
        arrays = {
            f"{output}.v": np.full(n_out, float(self.v_rest)),
            f"{output}.reward": np.zeros(n_out),
            f"{output}.presentation_spikes": np.zeros(n_out),
            f"{output}.lastspike": np.full(n_out, long_ago),
            f"{output}.first_answer": np.full(n_out, long_ago),
            f"{synapses}.w": rng.uniform(self.w_init_min, self.w_init_max, n_syn),
        }
        for name in self.rule.state_variables:
            start = long_ago if name in self.rule.time_variables else 0.0
            arrays[f"{synapses}.{name}"] = np.full(n_syn, start)
        return arrays

    def build(self, handle) -> list:
        """Return the readout's Brian2 objects, connected to the network in `handle`.

        Uses ``handle["exc"]`` (spikes and its shared ``plastic`` flag),
        ``handle["schedule"]`` (its ``label``), ``handle.clock`` (the network's clock, on
        which the readout's neurons and synapses run), ``handle.slot_clock`` (the clock of
        the once-per-slot operations) and ``handle.params.presentation`` (slot and
        presentation times).
        """
        self.validate()
        rule = self.rule
        pres = handle.params.presentation
        n_out = self.n_outputs
        exc, schedule = handle["exc"], handle["schedule"]

        reset = _OUTPUT_RESET
        if self.reward_policy != "most_spikes":
            first_only = _FIRST_ONLY if self.reward_policy == "first_spike" else ""
            reset += _SPIKE_REWARD.format(first_only=first_only)
        output = NeuronGroup(
            n_out, _OUTPUT_MODEL + rule.reward_equations(),
            threshold="v > v_threshold", reset=reset, refractory=self.refractory,
            method="exact", name=f"{self.name}_output", clock=handle.clock,
            namespace={
                "v_rest": self.v_rest,
                "v_reset": self.v_reset,
                "v_threshold": self.v_threshold,
                "tau_membrane": self.tau_membrane,
                "tau_reward": rule.tau_reward,
                "presentation_time": pres.presentation_time,
                "reward_amount": self.reward_amount,
                "punishment_amount": self.punishment_amount,
                "half_step": 0.5 * pres.dt,
            } | ({"teacher_step": self.teacher_drive * pres.dt}
                 if self.reward_policy == "teacher" else {}),
        )
        zeros = np.zeros(n_out, dtype=int)
        output.label = linked_var(schedule, "label", index=zeros)
        output.plastic = True
        output.output_class = self.output_classes
        output.v = self.v_rest
        slot_reset = "v = v_rest\npresentation_spikes = 0\nslot_start = t\ninput_weight_sum = 0"
        if self.episodic:
            slot_reset += "\nreward = 0"
        output.run_regularly(slot_reset, clock=handle.slot_clock, when="start", order=2,
                             name=f"{self.name}_slot_reset")

        namespace = dict(rule.namespace())
        namespace.update(w_max=self.w_max, psp_amplitude=self.psp_amplitude,
                         weight_sum=self.weight_sum or 0.0)
        synapses = Synapses(
            exc, output, model="w : 1\n" + rule.equations(),
            on_pre="v_post += w * psp_amplitude\n" + rule.on_pre(), on_post=rule.on_post(),
            name=f"{self.name}_input", namespace=namespace, clock=handle.clock,
        )
        synapses.connect()  # ordered by source then target: (n_neurons, n_outputs)
        update_clock = StableClock(dt=rule.update_interval, name=f"{self.name}_update_clock")
        synapses.run_regularly(rule.weight_update(), clock=update_clock, when="end",
                               name=f"{self.name}_weight_update")
        if self.episodic:
            # one pass over the synapses per slot: every presentation starts without trace
            synapses.run_regularly("eligibility_value = 0\neligibility_time = t",
                                   clock=handle.slot_clock, when="start", order=2,
                                   name=f"{self.name}_eligibility_reset")

        if self.weight_sum is not None:
            # As the excitatory layer's input: once per slot, while learning, every output's
            # input weights are scaled to sum to weight_sum (two passes over the synapses).
            synapses.run_regularly("input_weight_sum_post += w", clock=handle.slot_clock,
                                   when="start", order=3, name=f"{self.name}_weight_sum")
            synapses.run_regularly(
                "w = w * (int(not plastic_post) + int(plastic_post) * weight_sum"
                " / (input_weight_sum_post + int(input_weight_sum_post == 0)))",
                clock=handle.slot_clock, when="start", order=4, name=f"{self.name}_normalise",
            )

        if self.reward_policy == "teacher":
            # The drive is added step by step (an Euler term) beside the exact leak, and
            # not while refractory, as the leak is not.
            output.run_regularly(
                "v += teacher_step * int(plastic and label == output_class and not_refractory"
                " and t - slot_start < presentation_time)",
                clock=handle.clock, when="before_thresholds", name=f"{self.name}_teacher")

        lateral = Synapses(output, output, on_pre=_LATERAL, name=f"{self.name}_lateral",
                           clock=handle.clock,
                           namespace={"lateral_inhibition": self.lateral_inhibition,
                                      "presentation_time": pres.presentation_time,
                                      "half_step": 0.5 * pres.dt})
        lateral.connect()  # all pairs, itself included: every output marks the answer
        if self.reward_policy == "most_spikes":
            # A clock that ticks at the end of every presentation (among other times):
            # steps of the largest time that divides both the presentation and the slot.
            dt = float(pres.dt)
            steps = math.gcd(int(round(float(pres.presentation_time) / dt)),
                             int(round(float(pres.slot_duration) / dt)))
            judge_clock = StableClock(dt=steps * pres.dt, name=f"{self.name}_judge_clock")
            lateral.run_regularly(_COUNT_BEATEN, clock=judge_clock, when="start", order=0,
                                  name=f"{self.name}_count_beaten")
            output.run_regularly(_ANSWER_REWARD, clock=judge_clock, when="start", order=1,
                                 name=f"{self.name}_judge_answer")

        responses = StateMonitor(output, "presentation_spikes", record=True,
                                 clock=handle.slot_clock, when="start", order=-1,
                                 name=f"{self.name}_responses")
        return [output, synapses, lateral, responses]

    def block_result(self, handle, slots) -> dict:
        """Return ``{"counts": (n_consumed, n_outputs)}``: output spikes per accepted image.

        Recorded row k holds the counts of slot k - 1 (recorded as slot k starts); the
        last slot's counts are still in the neurons.
        """
        recorded = np.asarray(handle[f"{self.name}_responses"].presentation_spikes[:],
                              dtype=np.int64).T
        final = np.asarray(
            handle[f"{self.name}_output"].variables["presentation_spikes"].get_value(),
            dtype=np.int64,
        )
        counts = np.vstack([recorded[1:], final[np.newaxis, :]])
        return {"counts": counts[slots.accepted]}

    def to_dict(self) -> dict:
        """Return the readout's configuration as JSON values (potentials in mV, times in ms)."""
        values = {"extension": "RewardReadout", "rule": self.rule.to_dict()}
        for name in ("v_rest", "v_reset", "v_threshold", "psp_amplitude", "lateral_inhibition"):
            values[f"{name}_mV"] = float(getattr(self, name) / mV)
        for name in ("tau_membrane", "refractory"):
            values[f"{name}_ms"] = float(getattr(self, name) / ms)
        values["teacher_drive_mV_per_ms"] = float(self.teacher_drive / (mV / ms))
        for name in ("n_per_class", "n_classes", "w_max", "w_init_min", "w_init_max",
                     "reward_amount", "punishment_amount", "reward_policy", "episodic",
                     "weight_sum", "name"):
            values[name] = getattr(self, name)
        return values

    @classmethod
    def from_dict(cls, values: dict) -> "RewardReadout":
        """Rebuild a readout written by `to_dict`."""
        values = dict(values)
        values.pop("extension", None)
        values["rule"] = RewardSTDP.from_dict(values["rule"])
        for name in ("v_rest", "v_reset", "v_threshold", "psp_amplitude", "lateral_inhibition"):
            values[name] = values.pop(f"{name}_mV") * mV
        for name in ("tau_membrane", "refractory"):
            values[name] = values.pop(f"{name}_ms") * ms
        # files written before the teacher policy have no drive: the default's
        values["teacher_drive"] = values.pop("teacher_drive_mV_per_ms", 0.4) * mV / ms
        return cls(**values).validate()

    # -- prediction ---------------------------------------------------------------------
    def class_scores(self, counts) -> np.ndarray:
        """Return the spikes of each class's outputs, shape (n_images, n_classes)."""
        counts = np.asarray(counts)
        if counts.ndim != 2 or counts.shape[1] != self.n_outputs:
            raise ValueError(
                f"counts must have shape (n_images, {self.n_outputs}), got {counts.shape}")
        return counts.reshape(counts.shape[0], self.n_classes, self.n_per_class).sum(axis=2)

    def predict(self, counts) -> np.ndarray:
        """Return the class whose outputs fired most per image (-1 where none fired)."""
        scores = self.class_scores(counts)
        winners = np.argmax(scores, axis=1)  # the first maximum: ties to the lowest class
        return np.where(scores.max(axis=1, initial=0) > 0, winners, NO_CLASS).astype(np.int64)
