"""Pair-based STDP of Diehl & Cook (2015), with three weight dependences.

The rule interface is described in `stdp_learn.rules.base`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from brian2 import Quantity, ms, second

from ..config import ConfigError, _check_number, _check_quantity, block_from_dict, block_to_dict
from .base import register_rule, spike_trace

__all__ = ["PairSTDP", "WEIGHT_DEPENDENCES"]

# The traces are nearest-spike traces: each spike sets its trace to 1, which then decays
# exponentially.  Such a trace is exactly exp(-(time since the last spike) / tau), so it is
# written in closed form from spike times instead of being stored and decayed in every
# synapse: one exponential per event instead of three.  `lastspike_post` is the time of the
# postsynaptic neuron's latest spike; `previous_spike_post` the one before it while the
# synapses process a new spike (the neuron updates it at reset), which gives the paper's
# post2 "read before its own update".  `spike_trace` caps the exponent at 40 time constants
# (a trace of 4e-18).
_TRACES = """
last_pre_arrival : second                                              # last presynaptic arrival
pre_trace = spike_trace((t - last_pre_arrival) / tau_pre) : 1          # x_pre
post1_trace = spike_trace((t - lastspike_post) / tau_post1) : 1        # x_post1 (depression)
post2_trace = spike_trace((t - previous_spike_post) / tau_post2) : 1   # x_post2 before this spike
"""

# Each weight dependence: (update on a presynaptic arrival, update on a postsynaptic spike).
WEIGHT_DEPENDENCES = {
    # The original code: additive updates, hard bounds at 0 and w_max.
    "additive": (
        "w = clip(w - nu_pre * post1_trace * int(plastic), 0, w_max)",
        "w = clip(w + nu_post * pre_trace * post2_trace * int(plastic), 0, w_max)",
    ),
    # Multiplicative (soft) bounds: depression scales with w, potentiation with w_max - w.
    "soft_bound": (
        "w = clip(w - nu_pre * post1_trace * w * int(plastic), 0, w_max)",
        "w = clip(w + nu_post * pre_trace * post2_trace * (w_max - w) * int(plastic), 0, w_max)",
    ),
    # The paper's eq. 3: dw = nu_post (x_pre - x_target) (w_max - w)^mu at each postsynaptic
    # spike; inputs whose trace is below x_target are depressed, so no presynaptic update.
    "power_law": (
        "",
        "w = clip(w + nu_post * (pre_trace - x_target) * (w_max - w)**mu * int(plastic), 0, w_max)",
    ),
}


@register_rule
@dataclass(frozen=True)
class PairSTDP:
    """Pair-based STDP with exponential traces (Diehl & Cook 2015).

    On a presynaptic spike the weight is depressed by ``nu_pre * post1``; on a
    postsynaptic spike it is potentiated by ``nu_post * pre * post2``, and clipped to
    ``[0, w_max]``.  ``post2`` is read before the spike that triggers the update, so
    potentiation needs an earlier postsynaptic spike (a triplet-like rule): with a
    presynaptic spike at ``t_pre`` and postsynaptic spikes at ``t_prev < t_post``, the
    weight grows by ``nu_post * exp(-(t_post - t_pre) / tau_pre) * exp(-(t_post - t_prev)
    / tau_post2)``; a presynaptic spike at ``dt = t_pre - t_post > 0`` after a
    postsynaptic spike depresses by ``nu_pre * exp(-dt / tau_post1)``.

    Parameters
    ----------
    tau_pre, tau_post1, tau_post2 : Quantity
        Decay time constants of the presynaptic trace and of the two postsynaptic traces
        (20 ms, 20 ms, 40 ms).
    nu_pre, nu_post : float
        Learning rates of depression (1e-4) and potentiation (1e-2).
    weight_dependence : {"additive", "soft_bound", "power_law"}
        How the update depends on the weight.  "additive" is the original code (default);
        "soft_bound" scales depression by ``w`` and potentiation by ``w_max - w``;
        "power_law" is the paper's eq. 3 with ``x_target`` and ``mu``.
    x_target, mu : float
        Target presynaptic trace (0.4) and exponent (0.2) of the "power_law" form.

    Examples
    --------
    >>> from brian2 import ms
    >>> rule = PairSTDP(tau_pre=20 * ms, weight_dependence="soft_bound")
    >>> "post1_trace" in rule.on_pre()
    True
    """

    tau_pre: Quantity = field(default_factory=lambda: 20 * ms)
    tau_post1: Quantity = field(default_factory=lambda: 20 * ms)
    tau_post2: Quantity = field(default_factory=lambda: 40 * ms)
    nu_pre: float = 1e-4
    nu_post: float = 1e-2
    weight_dependence: str = "additive"
    x_target: float = 0.4
    mu: float = 0.2

    name = "pair"
    state_variables = ("last_pre_arrival",)
    time_variables = ("last_pre_arrival",)
    neuron_variables = {}  # the post traces are computed from the neuron's spike times

    def neuron_reset(self) -> str:
        """Return the statements added to the excitatory reset (none)."""
        return ""

    def validate(self):
        """Raise `ConfigError` on a wrong unit, sign or option; return self."""
        for name in ("tau_pre", "tau_post1", "tau_post2"):
            _check_quantity("PairSTDP", name, getattr(self, name), second, positive=True)
        for name in ("nu_pre", "nu_post", "mu"):
            _check_number("PairSTDP", name, getattr(self, name), non_negative=True)
        _check_number("PairSTDP", "x_target", self.x_target)
        if self.weight_dependence not in WEIGHT_DEPENDENCES:
            raise ConfigError(
                f"PairSTDP.weight_dependence must be one of {sorted(WEIGHT_DEPENDENCES)}, "
                f"got {self.weight_dependence!r}"
            )
        return self

    def equations(self) -> str:
        """Return the model lines of the three traces."""
        return _TRACES

    def on_pre(self) -> str:
        """Return the statements run when a presynaptic spike arrives."""
        depression, _ = WEIGHT_DEPENDENCES[self.weight_dependence]
        return "\n".join(line for line in (depression, "last_pre_arrival = t") if line)

    def on_post(self) -> str:
        """Return the statements run when the postsynaptic neuron fires."""
        _, potentiation = WEIGHT_DEPENDENCES[self.weight_dependence]
        return potentiation

    def namespace(self) -> dict:
        """Return the constants the rule's code refers to."""
        return {
            "spike_trace": spike_trace,
            "tau_pre": self.tau_pre,
            "tau_post1": self.tau_post1,
            "tau_post2": self.tau_post2,
            "nu_pre": self.nu_pre,
            "nu_post": self.nu_post,
            "x_target": self.x_target,
            "mu": self.mu,
        }

    def to_dict(self) -> dict:
        """Return the rule as JSON values (quantities in ms)."""
        return block_to_dict(self, "rule", "PairSTDP")

    @classmethod
    def from_dict(cls, values: dict) -> "PairSTDP":
        """Rebuild a rule written by `to_dict`."""
        return block_from_dict(cls, values, "rule")
