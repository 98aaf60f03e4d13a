"""The learning-rule seam: what a rule provides, and the registry of rules by name.

A rule is a frozen dataclass that returns Brian2 code for the input -> excitatory
synapses.  The network adds the weight ``w``, the conductance transmission
``ge_post += w`` and the shared switch ``plastic``; a new rule never changes the network,
the simulators, the files or the command line: it is one file in this package that
registers itself with `register_rule`, plus its import line in ``rules/__init__.py``.

The rule interface (`LearningRule`)
-----------------------------------
``name``               the registry key (``--rule NAME``, and ``"rule"`` in files).
``equations()``        Brian2 model lines for the rule's own per-synapse state.
``on_pre()``           statements run when a presynaptic spike arrives.
``on_post()``          statements run when the postsynaptic neuron fires (before the
                       neuron's reset: postsynaptic variables still hold their values
                       from before this spike).
``namespace()``        the constants used by the strings above.
``state_variables``    the per-synapse variables the rule keeps (carried between blocks).
``time_variables``     those of them that hold times (shifted when a block's clock restarts).
``neuron_variables``   per-neuron variables the rule adds to the excitatory population:
                       ``{name: (model line, initial value in SI units)}``; they are carried
                       between blocks like the neuron's own state.
``neuron_reset()``     statements the rule adds to the excitatory reset.
``validate()``, ``to_dict()``, ``from_dict()``  checking and the JSON round trip.

Rules may read these variables of the postsynaptic neuron: ``plastic`` (learning on),
``lastspike_post`` (its latest spike), ``previous_spike_post`` (the spike before the one
being processed), ``v_post`` (its membrane potential, in volt), and their own
``neuron_variables`` with the ``_post`` suffix.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np
from brian2 import check_units, implementation

from ..config import Registry

__all__ = ["LearningRule", "RULES", "register_rule", "rule_from_dict", "spike_trace"]


@runtime_checkable
class LearningRule(Protocol):
    """What the network, the simulators and the model files need from a learning rule."""

    name: str
    state_variables: tuple
    time_variables: tuple
    neuron_variables: dict

    def equations(self) -> str: ...
    def on_pre(self) -> str: ...
    def on_post(self) -> str: ...
    def namespace(self) -> dict: ...
    def neuron_reset(self) -> str: ...
    def validate(self): ...
    def to_dict(self) -> dict: ...


#: Learning rules by name; each rule's module adds itself with `register_rule`.
RULES = Registry("learning rule", "rule")
register_rule = RULES.register
rule_from_dict = RULES.from_dict


# Why a function of its own, and why the cap: without the cap, the spike times of silent
# neurons, long ago, make exp() underflow, whose slow path in the C library took a quarter
# of the simulation time; with it, most arrivals at a large network meet a neuron that has
# not fired for 40 time constants, and the compiled code returns the capped value without
# calling exp() (the same number exp() gives, so results do not change).
_SPIKE_TRACE_CPP = """
double spike_trace(const double elapsed)
{
    static const double capped = exp(-40.0);
    if (elapsed >= 40.0)
        return capped;
    return exp(elapsed > 0.0 ? -elapsed : 0.0);
}
"""

# Device code cannot initialise a static from a function call: exp(-40.0) is written inline.
_SPIKE_TRACE_CUDA = """
__host__ __device__ static inline double spike_trace(const double elapsed)
{
    if (elapsed >= 40.0)
        return exp(-40.0);
    return exp(elapsed > 0.0 ? -elapsed : 0.0);
}
"""


@implementation("cpp", _SPIKE_TRACE_CPP)
@implementation("cuda", _SPIKE_TRACE_CUDA)
@check_units(elapsed=1, result=1)
def spike_trace(elapsed):
    """Return the nearest-spike trace exp(-clip(elapsed, 0, 40)), elapsed in time constants."""
    return np.exp(-np.clip(elapsed, 0, 40))
