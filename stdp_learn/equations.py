"""Neuron models of the Diehl & Cook (2015) network as Brian2 equation strings.

Both populations are leaky integrate-and-fire neurons with conductance-based synapses,
written as in the paper (eq. 1-2): ``tau dv/dt = (E_rest - v) + g_e (E_exc - v) +
g_i (E_inh - v)``, with dimensionless conductances that decay exponentially.  The
parameters are substituted by name from `stdp_learn.config`, so the strings below read
against the paper.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from brian2 import Equations

from .config import ExcitatoryParams, InhibitoryParams, NetworkParams

__all__ = [
    "StateVariable",
    "population_state",
    "excitatory_equations",
    "excitatory_threshold",
    "excitatory_reset",
    "inhibitory_equations",
    "INHIBITORY_THRESHOLD",
    "INHIBITORY_RESET",
]

_CONDUCTANCE_LIF = """
dv/dt = ((v_rest - v) + ge * (e_excitatory - v) + gi * (e_inhibitory - v)) / tau_membrane : volt {refractory_flag}
dge/dt = -ge / tau_ge : 1   # excitatory conductance, in units of the leak conductance
dgi/dt = -gi / tau_gi : 1   # inhibitory conductance
"""

# theta decays (tau_theta = 1e7 ms) and grows only while the network learns: in the test
# phase the paper freezes it.  With theta_in_frozen_pass="adapting" it adapts in every pass.
_THETA_GATE = {"fixed": " * int(plastic)", "adapting": ""}
_ADAPTIVE_THRESHOLD = """
dtheta/dt = -theta / tau_theta{theta_gate} : volt   # adaptive threshold
plastic : boolean (shared)                            # learning on (training) or off (testing)
input_weight_sum : 1                                  # sum of input weights, for normalisation
previous_spike : second                               # last spike, updated at reset
presentation_spikes : integer                         # spikes while this slot's input is on
slot_spike_count : integer                            # all spikes in this slot
slot_start : second (linked)                          # when the current slot began
"""


def _conductance_lif(params, extra_lines="", **extra_constants) -> Equations:
    # "hold_v": v stays at reset while refractory; "no_spike": it integrates, and the
    # refractory period only keeps the threshold from firing (Brian2 adds that itself).
    flag = "(unless refractory)" if params.refractory_mode == "hold_v" else ""
    return Equations(
        _CONDUCTANCE_LIF.format(refractory_flag=flag) + extra_lines,
        v_rest=params.v_rest,
        e_excitatory=params.e_excitatory,
        e_inhibitory=params.e_inhibitory,
        tau_membrane=params.tau_membrane,
        tau_ge=params.tau_ge,
        tau_gi=params.tau_gi,
        **extra_constants,
    )


def excitatory_equations(params: ExcitatoryParams, rule=None) -> Equations:
    """Return the excitatory LIF equations with an adaptive threshold theta.

    A learning rule with per-neuron variables (``rule.neuron_variables``) adds their
    model lines.
    """
    extra = "".join(line + "\n" for line, _ in getattr(rule, "neuron_variables", {}).values())
    threshold = _ADAPTIVE_THRESHOLD.format(theta_gate=_THETA_GATE[params.theta_in_frozen_pass])
    return _conductance_lif(params, threshold + extra, tau_theta=params.tau_theta)


def excitatory_threshold(params: ExcitatoryParams) -> str:
    """Return the spike condition: v above the adapted threshold, outside the lockout."""
    condition = "v > v_threshold - theta_offset + theta"
    if float(params.spike_lockout) > 0:
        condition += " and t - lastspike > spike_lockout"
    return condition


def excitatory_reset(rule=None, params: ExcitatoryParams | None = None) -> str:
    """Return the reset: back to v_reset, and theta grows by theta_plus while learning
    (in every pass with ``params.theta_in_frozen_pass == "adapting"``).

    A learning rule with per-neuron variables adds its own reset statements.
    """
    gate = _THETA_GATE["fixed" if params is None else params.theta_in_frozen_pass]
    reset = (
        "v = v_reset\n"
        f"theta += theta_plus{gate}\n"
        "previous_spike = t\n"
        "presentation_spikes += int(t - slot_start < presentation_time)\n"
        "slot_spike_count += 1"
    )
    extra = rule.neuron_reset() if rule is not None else ""
    return reset + ("\n" + extra if extra else "")


def inhibitory_equations(params: InhibitoryParams) -> Equations:
    """Return the inhibitory LIF equations (no adaptation)."""
    return _conductance_lif(params, "slot_spike_count : integer  # spikes in this slot\n")


INHIBITORY_THRESHOLD = "v > v_threshold"
INHIBITORY_RESET = "v = v_reset\nslot_spike_count += 1"


# -- the inventory of every population's state ------------------------------------------

#: "Long ago", in seconds: the last spike of a neuron that has not fired.
LONG_AGO = -1e4


@dataclass(frozen=True)
class StateVariable:
    """One per-neuron variable of a population, as the simulators and reports see it.

    Attributes
    ----------
    name : str
        The Brian2 variable.
    kind : {"float", "int", "bool", "index"}
        Its storage (float64, int32, bool, or an int32 index of a linked variable), for
        the memory count of `stdp_learn.efficiency`.
    initial : float or callable, optional
        The value of a new network in SI units, or a function of the `NetworkParams`
        returning it; None for variables the network sets itself each slot.
    carried : bool
        Carried from one block to the next (a block ends and the next starts from the
        values it left).
    time : bool
        Holds a time, stored relative to the end of the block (every block's clock
        starts again at zero).
    """

    name: str
    kind: str
    initial: "float | Callable | None" = None
    carried: bool = False
    time: bool = False

    def initial_value(self, params: NetworkParams) -> float:
        """Return the value of this variable in a new network."""
        return self.initial(params) if callable(self.initial) else float(self.initial)


def _carried(name, kind, initial, time=False):
    return StateVariable(name, kind, initial, carried=True, time=time)


# Every variable of the three populations, Brian2's own (i, lastspike, not_refractory)
# included; the schedule's single neuron is counted apart (stdp_learn.efficiency).
_POPULATIONS = {
    "exc": (
        _carried("v", "float", lambda p: float(p.excitatory.v_rest)),
        _carried("ge", "float", 0.0),
        _carried("gi", "float", 0.0),
        _carried("theta", "float", lambda p: float(p.excitatory.theta_init)),
        _carried("lastspike", "float", LONG_AGO, time=True),
        _carried("previous_spike", "float", LONG_AGO, time=True),
        _carried("presentation_spikes", "int", 0.0),
        _carried("slot_spike_count", "int", 0.0),
        StateVariable("input_weight_sum", "float"),   # summed afresh every slot
        StateVariable("i", "int"),
        StateVariable("not_refractory", "bool"),
        StateVariable("slot_start", "index"),          # linked to the schedule
    ),
    "inh": (
        _carried("v", "float", lambda p: float(p.inhibitory.v_rest)),
        _carried("ge", "float", 0.0),
        _carried("gi", "float", 0.0),
        _carried("lastspike", "float", LONG_AGO, time=True),
        _carried("slot_spike_count", "int", 0.0),
        StateVariable("i", "int"),
        StateVariable("not_refractory", "bool"),
    ),
    "input": (
        _carried("slot_spike_count", "int", 0.0),
        StateVariable("i", "int"),
        *(StateVariable(name, "index") for name in ("image_index", "retries", "slot_start", "n_images")),
    ),
}


def population_state(rule=None, encoder=None) -> dict:
    """Return ``{population: (StateVariable, ...)}`` for the network with this rule and encoder.

    The excitatory population holds the learning rule's per-neuron variables too
    (``rule.neuron_variables``, carried between blocks), the input population the
    encoder's (``encoder.input_variables``, none without an encoder).
    """
    populations = dict(_POPULATIONS)
    extra = tuple(_carried(name, "float", initial)
                  for name, (_, initial) in getattr(rule, "neuron_variables", {}).items())
    populations["exc"] = populations["exc"] + extra
    populations["input"] = tuple(getattr(encoder, "input_variables", ())) + populations["input"]
    return populations
