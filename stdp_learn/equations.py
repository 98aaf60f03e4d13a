"""Neuron models of the Diehl & Cook (2015) network as Brian2 equation strings.

Both populations are leaky integrate-and-fire neurons with conductance-based synapses,
written as in the paper (eq. 1-2): ``tau dv/dt = (E_rest - v) + g_e (E_exc - v) +
g_i (E_inh - v)``, with dimensionless conductances that decay exponentially.  The
parameters are substituted by name from `stdp_learn.config`, so the strings below read
against the paper.
"""
from __future__ import annotations

from brian2 import Equations

from .config import ExcitatoryParams, InhibitoryParams

__all__ = [
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

# theta decays (tau_theta = 1e7 ms, practically constant) and grows only while the network
# learns: in the test phase the paper freezes it.
_ADAPTIVE_THRESHOLD = """
dtheta/dt = -theta / tau_theta * int(plastic) : volt   # adaptive threshold
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


def excitatory_equations(params: ExcitatoryParams) -> Equations:
    """Return the excitatory LIF equations with an adaptive threshold theta."""
    return _conductance_lif(params, _ADAPTIVE_THRESHOLD, tau_theta=params.tau_theta)


def excitatory_threshold(params: ExcitatoryParams) -> str:
    """Return the spike condition: v above the adapted threshold, outside the lockout."""
    condition = "v > v_threshold - theta_offset + theta"
    if float(params.spike_lockout) > 0:
        condition += " and t - lastspike > spike_lockout"
    return condition


def excitatory_reset() -> str:
    """Return the reset: back to v_reset, and theta grows by theta_plus while learning."""
    return (
        "v = v_reset\n"
        "theta += theta_plus * int(plastic)\n"
        "previous_spike = t\n"
        "presentation_spikes += int(t - slot_start < presentation_time)\n"
        "slot_spike_count += 1"
    )


def inhibitory_equations(params: InhibitoryParams) -> Equations:
    """Return the inhibitory LIF equations (no adaptation)."""
    return _conductance_lif(params, "slot_spike_count : integer  # spikes in this slot\n")


INHIBITORY_THRESHOLD = "v > v_threshold"
INHIBITORY_RESET = "v = v_reset\nslot_spike_count += 1"
