"""Triplet STDP (stdp_learn/rules/triplet.py) against the analytic triplet window.

One synapse between a `SpikeGeneratorGroup` and a postsynaptic neuron that fires at chosen
time steps; the neuron carries what the rule adds to the excitatory population (its
per-neuron traces o1 and o2 and their reset), as `stdp_learn.network` assembles it.  The
expected changes are the minimal nearest-spike model of Pfister & Gerstner (2006):

    pre arrival at t:  w -= A2- * exp(-(t - t_post_last) / tau_minus)
    post spike at t:   w += exp(-(t - t_pre_last) / tau_plus)
                            * (A2+ + A3+ * exp(-(t - t_post_previous) / tau_y))
"""
import numpy as np
import pytest
from brian2 import ms

from stdp_learn import DiehlCook2015, TripletSTDP
from stdp_learn.rules import RULES, rule_from_dict

from conftest import rule_weight_after

TAU_PLUS, TAU_MINUS, TAU_Y = 16.8, 33.7, 114.0  # ms, the rule's defaults

pytestmark = pytest.mark.usefixtures("runtime_numpy")


final_weight = rule_weight_after


@pytest.mark.parametrize("lag_ms", [1.0, 10.0, 40.0])
def test_post_then_pre_depresses_by_a2_minus_exp(lag_ms):
    rule = TripletSTDP()
    change = final_weight(rule, pre_ms=[5.0 + lag_ms], post_ms=[5.0]) - 0.5
    assert change == pytest.approx(-rule.a2_minus * np.exp(-lag_ms / TAU_MINUS), rel=1e-6)


@pytest.mark.parametrize("gap_ms", [5.0, 20.0, 80.0])
def test_pre_post_potentiation_grows_with_the_previous_post_spike(gap_ms):
    """The triplet term: the nearer the previous postsynaptic spike, the larger the gain."""
    rule = TripletSTDP(a2_minus=0.0)
    t_pre, t_post = 100.0, 106.0
    t_previous = t_post - gap_ms
    change = final_weight(rule, pre_ms=[t_pre], post_ms=[t_previous, t_post]) - 0.5
    expected = np.exp(-(t_post - t_pre) / TAU_PLUS) * (
        rule.a2_plus + rule.a3_plus * np.exp(-gap_ms / TAU_Y))
    if t_previous > t_pre:  # the earlier post spike also saw the pre trace
        expected += np.exp(-(t_previous - t_pre) / TAU_PLUS) * rule.a2_plus
    assert change == pytest.approx(expected, rel=1e-6)


def test_a_lone_pair_potentiates_only_through_a2_plus():
    minimal = final_weight(TripletSTDP(a2_minus=0.0), pre_ms=[10.0], post_ms=[14.0]) - 0.5
    assert minimal == 0.0  # minimal model: no triplet partner, no pair term
    rule = TripletSTDP(a2_plus=5e-3, a2_minus=0.0)
    change = final_weight(rule, pre_ms=[10.0], post_ms=[14.0]) - 0.5
    assert change == pytest.approx(5e-3 * np.exp(-4.0 / TAU_PLUS), rel=1e-6)


def test_the_whole_window_with_depression_and_potentiation():
    rule = TripletSTDP(a2_plus=2e-3)
    t_first, t_pre, t_post = 20.0, 30.0, 45.0
    change = final_weight(rule, pre_ms=[t_pre], post_ms=[t_first, t_post]) - 0.5
    depression = rule.a2_minus * np.exp(-(t_pre - t_first) / TAU_MINUS)
    potentiation = np.exp(-(t_post - t_pre) / TAU_PLUS) * (
        rule.a2_plus + rule.a3_plus * np.exp(-(t_post - t_first) / TAU_Y))
    assert change == pytest.approx(potentiation - depression, rel=1e-6)


def test_the_rule_is_registered_and_round_trips():
    assert RULES["triplet"] is TripletSTDP
    rule = TripletSTDP(tau_y=90 * ms, a2_plus=1e-3)
    assert rule_from_dict(rule.to_dict()) == rule


def test_a_network_learns_with_triplet_stdp_and_its_file_keeps_the_rule(mnist_sample, tmp_path):
    """The rule's per-neuron traces are carried between blocks, saved and loaded."""
    model = DiehlCook2015(n_neurons=5, rule=TripletSTDP(), device="runtime", block_size=10,
                          random_state=0)
    model.fit(mnist_sample.X_train[:20], mnist_sample.y_train[:20])
    traces = model.state_.arrays["exc.triplet_o2"]
    assert traces.shape == (5,) and np.all((traces >= 0) & (traces <= 1)) and traces.max() > 0
    assert not np.allclose(model.weights_.sum(axis=0), 0)
    loaded = DiehlCook2015.load(model.save(tmp_path / "triplet.npz"), device="runtime")
    assert loaded.rule == model.rule
    np.testing.assert_array_equal(loaded.state_.arrays["exc.triplet_o2"], traces)
