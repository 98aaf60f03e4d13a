"""Symmetric STDP (Hao et al. 2020): potentiation for both spike orders.

In the symmetric window observed in hippocampal CA3 and used by Hao et al. (2020), a
presynaptic and a postsynaptic spike close in time strengthen the synapse whichever came
first.  With nearest-spike traces,

* a presynaptic arrival potentiates:  w += nu_pre * x_post - nu_offset
* a postsynaptic spike potentiates:   w += nu_post * x_pre - nu_offset

where x_pre and x_post are exp(-(time since the other side's latest spike) / tau), and the
weight is clipped to [0, w_max].  A pre and a post spike ``|dt|`` apart therefore change
the weight by ``nu * exp(-|dt| / tau)`` on either side of ``dt = 0``.

The window has no depressing half: which inputs lose weight is decided by the weight
normalisation of this network (`ConnectivityParams.weight_sum`, the sum of each
excitatory neuron's input weights reset before every training presentation).  The inputs
that took part in a neuron's spikes gain, and the rescaling takes that gain from all the
others, the role synaptic scaling plays in Hao et al.  ``nu_offset`` adds an optional
constant depression at every update event, for use without normalisation.

References
----------
Hao, Y., Huang, X., Dong, M. & Xu, B. (2020). A biologically plausible supervised learning
method for spiking neural networks using the symmetric STDP rule. *Neural Networks*
121:387-395.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from brian2 import Quantity, ms, second

from ..config import _check_number, _check_quantity, block_from_dict, block_to_dict
from .base import register_rule, spike_trace

__all__ = ["SymmetricSTDP"]

# Nearest-spike traces in closed form from spike times, as PairSTDP's: each spike sets its
# trace to 1, which then decays exponentially, so the trace is exp(-(time since the latest
# spike) / tau).  `lastspike_post` is the postsynaptic neuron's latest spike.
_TRACES = """
last_pre_arrival : second                                           # last presynaptic arrival
pre_trace = spike_trace((t - last_pre_arrival) / tau_pre) : 1       # x_pre
post_trace = spike_trace((t - lastspike_post) / tau_post) : 1       # x_post
"""


@register_rule
@dataclass(frozen=True)
class SymmetricSTDP:
    """Symmetric STDP with nearest-spike traces (Hao et al. 2020).

    A presynaptic arrival at ``dt`` after the postsynaptic neuron's latest spike adds
    ``nu_pre * exp(-dt / tau_post)``; a postsynaptic spike at ``dt`` after the latest
    presynaptic arrival adds ``nu_post * exp(-dt / tau_pre)``.  Each update also
    subtracts ``nu_offset`` (0 by default); the weight stays in ``[0, w_max]``, and
    nothing changes while ``plastic`` is off.  Only the nearest spike of the other side
    counts: a trace is set to 1 by a spike, not increased.

    In this network the unused inputs are depressed by the weight normalisation, which
    keeps the sum of each excitatory neuron's input weights fixed: potentiating the
    inputs of a neuron's spikes lowers all its other weights at the next rescaling.

    Parameters
    ----------
    tau_pre, tau_post : Quantity
        Decay time constants of the presynaptic and postsynaptic traces (20 ms each,
        Diehl & Cook's tau_pre and tau_post1).
    nu_pre, nu_post : float
        Potentiation on a presynaptic arrival and on a postsynaptic spike (1e-2 each,
        Diehl & Cook's potentiation rate nu_post, on both sides of the symmetric window).
    nu_offset : float
        Constant depression subtracted at every update event, presynaptic or
        postsynaptic (0: the normalisation does the depressing).

    Examples
    --------
    >>> from brian2 import ms
    >>> rule = SymmetricSTDP(tau_pre=15 * ms, nu_offset=1e-4)
    >>> "post_trace" in rule.on_pre()
    True
    """

    tau_pre: Quantity = field(default_factory=lambda: 20 * ms)
    tau_post: Quantity = field(default_factory=lambda: 20 * ms)
    nu_pre: float = 1e-2
    nu_post: float = 1e-2
    nu_offset: float = 0.0

    name = "symmetric"
    state_variables = ("last_pre_arrival",)
    time_variables = ("last_pre_arrival",)
    neuron_variables = {}  # the post trace is computed from the neuron's spike times

    def neuron_reset(self) -> str:
        """Return the statements added to the excitatory reset (none)."""
        return ""

    def validate(self):
        """Raise `ConfigError` on a wrong unit or sign; return self."""
        for name in ("tau_pre", "tau_post"):
            _check_quantity("SymmetricSTDP", name, getattr(self, name), second, positive=True)
        for name in ("nu_pre", "nu_post", "nu_offset"):
            _check_number("SymmetricSTDP", name, getattr(self, name), non_negative=True)
        return self

    def equations(self) -> str:
        """Return the model lines of the two traces."""
        return _TRACES

    def on_pre(self) -> str:
        """Return the statements run when a presynaptic spike arrives."""
        return ("w = clip(w + (nu_pre * post_trace - nu_offset) * int(plastic), 0, w_max)\n"
                "last_pre_arrival = t")

    def on_post(self) -> str:
        """Return the statements run when the postsynaptic neuron fires."""
        return "w = clip(w + (nu_post * pre_trace - nu_offset) * int(plastic), 0, w_max)"

    def namespace(self) -> dict:
        """Return the constants the rule's code refers to."""
        return {
            "spike_trace": spike_trace,
            "tau_pre": self.tau_pre,
            "tau_post": self.tau_post,
            "nu_pre": self.nu_pre,
            "nu_post": self.nu_post,
            "nu_offset": self.nu_offset,
        }

    def to_dict(self) -> dict:
        """Return the rule as JSON values (quantities in ms)."""
        return block_to_dict(self, "rule", self.name)

    @classmethod
    def from_dict(cls, values: dict) -> "SymmetricSTDP":
        """Rebuild a rule written by `to_dict`."""
        return block_from_dict(cls, values, "rule")
