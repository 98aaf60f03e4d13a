"""Tests for stdp_learn.plasticity: PairSTDP's weight changes in one synapse.

The synapse is assembled the way `stdp_learn.network.build_network` assembles ``input_exc``
(model ``w : 1`` plus the rule's lines, the rule's on_pre/on_post code and namespace, and
``w_max``), between a `SpikeGeneratorGroup` and a postsynaptic neuron that fires at chosen
time steps.  The postsynaptic neuron offers what the plasticity module says a rule may read:
the shared flag ``plastic``, ``lastspike`` and ``previous_spike`` (set at its reset).

The expected changes are written out by hand from the rule's definition (Diehl & Cook's
original code): every spike sets its trace to 1, so a trace is exp(-(time since the last
spike) / tau); a presynaptic arrival depresses by ``nu_pre * post1``, a postsynaptic spike
potentiates by ``nu_post * pre * post2``, where post2 is the value *before* this spike,
i.e. it decays from the previous postsynaptic spike.
"""

import json

import numpy as np
import pytest
from brian2 import ms

from stdp_learn.config import ConfigError
from stdp_learn.plasticity import WEIGHT_DEPENDENCES, PairSTDP

from conftest import rule_weight_after

TAU_PRE, TAU_POST1, TAU_POST2 = 20.0, 20.0, 40.0  # ms, PairSTDP's defaults
NU_PRE, NU_POST = 1e-4, 1e-2


pytestmark = pytest.mark.usefixtures("runtime_numpy")


final_weight = rule_weight_after


# -- the additive rule (the original code) ---------------------------------------------------

@pytest.mark.parametrize("lag_ms", [0.5, 3.0, 10.0, 25.0, 60.0])
def test_post_before_pre_depresses_by_nu_pre_exp(lag_ms):
    # dt = t_post - t_pre = -lag: the arrival reads post1 = exp(dt / tau_post1).
    w = final_weight(PairSTDP(), pre_ms=[5.0 + lag_ms], post_ms=[5.0])
    expected = -NU_PRE * np.exp(-lag_ms / TAU_POST1)
    assert w - 0.5 == pytest.approx(expected, rel=1e-6)


def test_lone_pre_before_post_pair_does_not_potentiate():
    # Potentiation is nu_post * pre * post2, with post2 read before this postsynaptic spike
    # updates it: without an earlier postsynaptic spike post2 is 0 (the original code's
    # "post2before"), however close the pair.
    assert final_weight(PairSTDP(), pre_ms=[5.0], post_ms=[6.0]) == 0.5


@pytest.mark.parametrize("lag_ms", [0.5, 3.0, 10.0, 25.0, 60.0])
def test_pre_before_post_potentiates_by_nu_post_exp(lag_ms):
    # A first postsynaptic spike at 1 ms primes post2; the pair follows 60 ms later.
    #   arrival at t_pre:  w -= nu_pre * exp(-(t_pre - 1) / tau_post1)
    #   post at t_post:    w += nu_post * exp(-lag / tau_pre) * exp(-(t_post - 1) / tau_post2)
    t_first, t_pre = 1.0, 61.0
    t_post = t_pre + lag_ms
    w = final_weight(PairSTDP(), pre_ms=[t_pre], post_ms=[t_first, t_post])
    depression = NU_PRE * np.exp(-(t_pre - t_first) / TAU_POST1)
    potentiation = NU_POST * np.exp(-lag_ms / TAU_PRE) * np.exp(-(t_post - t_first) / TAU_POST2)
    assert w - 0.5 == pytest.approx(potentiation - depression, rel=1e-6)
    assert w > 0.5


def test_potentiation_decays_with_tau_pre():
    # Same post-post interval, different pre timing: the ratio isolates exp(-dt / tau_pre).
    rule = PairSTDP(nu_pre=0.0)
    gain_near = final_weight(rule, pre_ms=[39.0], post_ms=[1.0, 41.0]) - 0.5
    gain_far = final_weight(rule, pre_ms=[21.0], post_ms=[1.0, 41.0]) - 0.5
    assert gain_far / gain_near == pytest.approx(np.exp(-(20.0 - 2.0) / TAU_PRE), rel=1e-6)


def test_traces_pair_with_the_nearest_spike_only():
    # Two arrivals before the postsynaptic spike: the trace is reset to 1 by the second
    # one, not incremented, so only the nearest arrival counts.
    rule = PairSTDP(nu_pre=0.0)
    one = final_weight(rule, pre_ms=[35.0], post_ms=[1.0, 41.0])
    two = final_weight(rule, pre_ms=[30.0, 35.0], post_ms=[1.0, 41.0])
    assert two == pytest.approx(one, rel=1e-12)
    assert one > 0.5


def test_nothing_changes_when_not_plastic():
    spikes = {"pre_ms": [20.0, 45.0], "post_ms": [1.0, 25.0, 40.0]}
    assert final_weight(PairSTDP(), **spikes) != 0.5
    assert final_weight(PairSTDP(), plastic=False, **spikes) == 0.5
    for dependence in WEIGHT_DEPENDENCES:
        rule = PairSTDP(weight_dependence=dependence)
        assert final_weight(rule, plastic=False, **spikes) == 0.5


def test_weights_are_clipped_at_zero():
    rule = PairSTDP(nu_pre=1.0)
    assert final_weight(rule, pre_ms=[6.0], post_ms=[5.0], w_start=0.3) == 0.0


def test_weights_are_clipped_at_w_max():
    rule = PairSTDP(nu_pre=0.0, nu_post=1.0)
    w = final_weight(rule, pre_ms=[4.0], post_ms=[1.0, 5.0], w_start=0.7, w_max=0.8)
    assert w == 0.8


# -- the other weight dependences ---------------------------------------------------------

def test_soft_bound_scales_depression_by_w():
    rule = PairSTDP(weight_dependence="soft_bound", nu_pre=0.2)
    for w_start in (0.2, 0.6):
        w = final_weight(rule, pre_ms=[8.0], post_ms=[5.0], w_start=w_start)
        assert w - w_start == pytest.approx(-0.2 * np.exp(-3.0 / TAU_POST1) * w_start, rel=1e-6)


def test_soft_bound_scales_potentiation_by_w_max_minus_w():
    rule = PairSTDP(weight_dependence="soft_bound", nu_pre=0.0, nu_post=0.5)
    pre_trace = np.exp(-4.0 / TAU_PRE)
    post2 = np.exp(-10.0 / TAU_POST2)
    for w_start, w_max in ((0.2, 1.0), (0.6, 1.0), (0.6, 0.7)):
        w = final_weight(rule, pre_ms=[7.0], post_ms=[1.0, 11.0], w_start=w_start, w_max=w_max)
        expected = 0.5 * pre_trace * post2 * (w_max - w_start)
        assert w - w_start == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("lag_ms", [2.0, 10.0, 18.0, 30.0])
def test_power_law_follows_eq_3_of_the_paper(lag_ms):
    # dw = nu_post * (x_pre - x_target) * (w_max - w)^mu at the postsynaptic spike; a lone
    # pair is enough (no post2), and the sign flips where exp(-lag / tau_pre) = x_target
    # (lag = 18.3 ms with the defaults).
    rule = PairSTDP(weight_dependence="power_law", nu_post=0.05, x_target=0.4, mu=0.2)
    w = final_weight(rule, pre_ms=[5.0], post_ms=[5.0 + lag_ms], w_start=0.5)
    expected = 0.05 * (np.exp(-lag_ms / TAU_PRE) - 0.4) * (1.0 - 0.5) ** 0.2
    assert w - 0.5 == pytest.approx(expected, rel=1e-6)
    assert (w > 0.5) == (lag_ms < TAU_PRE * np.log(1 / 0.4))


def test_power_law_has_no_presynaptic_update():
    # Post then pre: the postsynaptic spike sees no presynaptic trace (x_pre = 0) and
    # depresses by nu_post * x_target * (w_max - w)^mu; the later arrival changes nothing.
    rule = PairSTDP(weight_dependence="power_law", nu_post=0.05, mu=0.5)
    after_post = final_weight(rule, pre_ms=[], post_ms=[5.0], w_start=0.36)
    after_both = final_weight(rule, pre_ms=[10.0], post_ms=[5.0], w_start=0.36)
    assert after_post - 0.36 == pytest.approx(-0.05 * 0.4 * (1.0 - 0.36) ** 0.5, rel=1e-6)
    assert after_both == after_post


# -- configuration --------------------------------------------------------------------------

def test_validate_accepts_the_defaults():
    rule = PairSTDP()
    assert rule.validate() is rule


@pytest.mark.parametrize(
    "changes",
    [
        {"tau_pre": 20},  # a bare number, not a time
        {"tau_post1": 20 * ms / ms},
        {"tau_post2": -40 * ms},
        {"nu_pre": -1e-4},
        {"nu_post": 1 * ms},  # a learning rate has no unit
        {"weight_dependence": "multiplicative"},
        {"mu": float("nan")},
    ],
)
def test_validate_rejects_bad_values(changes):
    with pytest.raises(ConfigError):
        PairSTDP(**changes).validate()


def test_to_dict_from_dict_round_trip_through_json():
    rule = PairSTDP(tau_pre=17.5 * ms, tau_post1=12 * ms, tau_post2=33 * ms, nu_pre=2e-4,
                    nu_post=3e-3, weight_dependence="power_law", x_target=0.3, mu=0.7)
    values = json.loads(json.dumps(rule.to_dict()))
    again = PairSTDP.from_dict(values)
    assert isinstance(again, PairSTDP)
    for name in ("tau_pre", "tau_post1", "tau_post2"):
        assert float(getattr(again, name) / ms) == pytest.approx(float(getattr(rule, name) / ms))
    for name in ("nu_pre", "nu_post", "weight_dependence", "x_target", "mu"):
        assert getattr(again, name) == getattr(rule, name)
    assert again.on_pre() == rule.on_pre() and again.on_post() == rule.on_post()


def test_from_dict_validates():
    values = PairSTDP().to_dict()
    values["weight_dependence"] = "unknown"
    with pytest.raises(ConfigError):
        PairSTDP.from_dict(values)
