"""Triplet STDP (Pfister & Gerstner 2006), the minimal model with nearest-spike traces.

Each synapse keeps a presynaptic trace r1; each excitatory neuron keeps two postsynaptic
traces, o1 (fast) and o2 (slow), decaying with their own time constants and set to 1 by
every spike of their neuron (nearest-spike interaction).  Then

* a presynaptic arrival depresses:   w -= A2_minus * o1
* a postsynaptic spike potentiates:  w += r1 * (A2_plus + A3_plus * o2(t - eps))

where o2(t - eps) is the slow trace just before this spike (the synapses run before the
neuron's reset sets it to 1), so potentiation grows with the postsynaptic rate: the
triplet term.  The minimal model has no triplet depression (A3_minus = 0); A2_plus = 0
gives the minimal model that fitted the visual-cortex data.

References
----------
Pfister, J.-P. & Gerstner, W. (2006). Triplets of spikes in a model of spike timing-
dependent plasticity. *J. Neurosci.* 26(38):9673-9682.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from brian2 import Quantity, ms, second

from ..config import _check_number, _check_quantity, block_from_dict, block_to_dict
from .base import register_rule, spike_trace

__all__ = ["TripletSTDP"]

# The presynaptic trace in closed form from the last arrival, as PairSTDP's traces; the
# postsynaptic traces are state of the neuron, shared by its 784 synapses.
_SYNAPSE_MODEL = """
last_pre_arrival : second                                            # last presynaptic arrival
triplet_r1 = spike_trace((t - last_pre_arrival) / tau_plus) : 1      # r1 (pair potentiation)
"""


@register_rule
@dataclass(frozen=True)
class TripletSTDP:
    """Minimal triplet STDP with nearest-spike traces (Pfister & Gerstner 2006).

    Parameters
    ----------
    tau_plus, tau_minus, tau_y : Quantity
        Decay time constants of the presynaptic trace r1 and of the postsynaptic traces
        o1 and o2 (16.8 ms, 33.7 ms and 114 ms, the paper's visual-cortex values).
    a2_plus, a3_plus, a2_minus : float
        Amplitudes of pair potentiation (0, as the minimal visual-cortex model), triplet
        potentiation (1e-2) and pair depression (1e-4).  The amplitudes are on the scale
        of Diehl & Cook's learning rates (nu_post 1e-2, nu_pre 1e-4), for weights in
        [0, w_max] with normalisation, not the paper's fits to synaptic recordings.

    Examples
    --------
    >>> rule = TripletSTDP(a2_plus=1e-3)
    >>> "triplet_o2_post" in rule.on_post()
    True
    """

    tau_plus: Quantity = field(default_factory=lambda: 16.8 * ms)
    tau_minus: Quantity = field(default_factory=lambda: 33.7 * ms)
    tau_y: Quantity = field(default_factory=lambda: 114 * ms)
    a2_plus: float = 0.0
    a3_plus: float = 1e-2
    a2_minus: float = 1e-4

    name = "triplet"
    state_variables = ("last_pre_arrival",)
    time_variables = ("last_pre_arrival",)
    neuron_variables = {
        "triplet_o1": ("dtriplet_o1/dt = -triplet_o1 / triplet_tau_minus : 1  # o1", 0.0),
        "triplet_o2": ("dtriplet_o2/dt = -triplet_o2 / triplet_tau_y : 1  # o2", 0.0),
    }

    def validate(self):
        """Raise `ConfigError` on a wrong unit or sign; return self."""
        for name in ("tau_plus", "tau_minus", "tau_y"):
            _check_quantity("TripletSTDP", name, getattr(self, name), second, positive=True)
        for name in ("a2_plus", "a3_plus", "a2_minus"):
            _check_number("TripletSTDP", name, getattr(self, name), non_negative=True)
        return self

    def equations(self) -> str:
        """Return the synapse's model lines."""
        return _SYNAPSE_MODEL

    def on_pre(self) -> str:
        """Return the statements run when a presynaptic spike arrives."""
        return ("w = clip(w - a2_minus * triplet_o1_post * int(plastic), 0, w_max)\n"
                "last_pre_arrival = t")

    def on_post(self) -> str:
        """Return the statements run when the postsynaptic neuron fires, before its reset."""
        return ("w = clip(w + triplet_r1 * (a2_plus + a3_plus * triplet_o2_post) * int(plastic),"
                " 0, w_max)")

    def neuron_reset(self) -> str:
        """Return the statements added to the excitatory reset: both traces to 1."""
        return "triplet_o1 = 1\ntriplet_o2 = 1"

    def namespace(self) -> dict:
        """Return the constants the rule's code refers to (the neuron's and the synapse's)."""
        return {
            "spike_trace": spike_trace,
            "tau_plus": self.tau_plus,
            "triplet_tau_minus": self.tau_minus,
            "triplet_tau_y": self.tau_y,
            "a2_plus": self.a2_plus,
            "a3_plus": self.a3_plus,
            "a2_minus": self.a2_minus,
        }

    def to_dict(self) -> dict:
        """Return the rule as JSON values (quantities in ms)."""
        return block_to_dict(self, "rule", self.name)

    @classmethod
    def from_dict(cls, values: dict) -> "TripletSTDP":
        """Rebuild a rule written by `to_dict`."""
        return block_from_dict(cls, values, "rule")
