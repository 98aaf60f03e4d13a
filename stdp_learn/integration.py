"""How the neuron equations are integrated: Brian2's methods, and exponential Euler that
remembers its last exponential.

Exponential Euler updates the conductance-based membrane with one ``exp`` per neuron and
time step, because the membrane's decay rate depends on the conductances.  A neuron
whose conductances are zero (an inhibitory neuron whose partner has not fired for a few
hundred milliseconds: almost all of them in a large network) asks for the same
exponential at every step.  `exponential_euler_memo` writes Brian2's own exponential
Euler code with ``memo_exp`` in place of ``exp``: a function that returns the previous
value when called with the previous argument.  It returns exactly what ``exp`` returns
for every argument, so the results are bit-identical; only repeated calls are saved.
"""
from __future__ import annotations

import re

import numpy as np
from brian2 import check_units, implementation
from brian2.stateupdaters.exponential_euler import exponential_euler

__all__ = ["memo_exp", "exponential_euler_memo", "state_updater"]

# `thread_local`: with OpenMP every thread keeps its own last argument.  Each code object
# defines the function in its own translation unit, so a population's loop never sees
# another population's arguments.
_MEMO_EXP_CPP = """
static inline double memo_exp(const double x)
{
    static thread_local double last_x = 0.0;
    static thread_local double last_exp = 1.0;
    if (x != last_x)
    {
        last_x = x;
        last_exp = exp(x);
    }
    return last_exp;
}
"""

# On a GPU every thread integrates one neuron once per time step, so no thread ever sees
# its previous argument again; and device code has no thread_local.  The function is
# exp itself there.
_MEMO_EXP_CUDA = """
__host__ __device__ static inline double memo_exp(const double x)
{
    return exp(x);
}
"""


@implementation("cpp", _MEMO_EXP_CPP)
@implementation("cuda", _MEMO_EXP_CUDA)
@check_units(x=1, result=1)
def memo_exp(x):
    """Return ``exp(x)``; the compiled version reuses the last value for a repeated `x`."""
    return np.exp(x)


_EXP_CALL = re.compile(r"\bexp\(")


def exponential_euler_memo(equations, variables=None, method_options=None):
    """Brian2's exponential Euler with every ``exp`` of the update written ``memo_exp``.

    A state updater for ``NeuronGroup(method=...)``; the group's namespace must provide
    `memo_exp` (`state_updater` says which).
    """
    code = exponential_euler(equations, variables, method_options)
    return _EXP_CALL.sub("memo_exp(", code)


def state_updater(method: str):
    """Return ``(method for NeuronGroup, namespace entries it needs)`` for a method name.

    ``"exponential_euler"`` becomes `exponential_euler_memo` (same numbers, fewer
    exponentials); any other name is passed to Brian2 unchanged.
    """
    if method == "exponential_euler":
        return exponential_euler_memo, {"memo_exp": memo_exp}
    return method, {}
