"""Symmetric STDP (stdp_learn/rules/symmetric.py) against the analytic symmetric window.

One synapse between a `SpikeGeneratorGroup` and a postsynaptic neuron that fires at chosen
time steps and keeps its latest spike time (``lastspike``), as the excitatory neurons do.
The expected changes are the nearest-spike symmetric window of Hao et al. (2020):

    pre arrival at t:  w += nu_pre * exp(-(t - t_post_last) / tau_post) - nu_offset
    post spike at t:   w += nu_post * exp(-(t - t_pre_last) / tau_pre) - nu_offset
"""
import numpy as np
import pytest
from brian2 import ms

from stdp_learn import DiehlCook2015
from stdp_learn.rules import RULES, SymmetricSTDP, rule_from_dict

from conftest import fit_tiny_network, rule_weight_after

TAU = 20.0  # ms, the rule's default tau_pre and tau_post

pytestmark = pytest.mark.usefixtures("runtime_numpy")


final_weight = rule_weight_after


@pytest.mark.parametrize("lag_ms", [1.0, 10.0, 40.0])
def test_both_spike_orders_potentiate_by_the_same_exponential_window(lag_ms):
    rule = SymmetricSTDP()
    pre_first = final_weight(rule, pre_ms=[10.0], post_ms=[10.0 + lag_ms]) - 0.5
    post_first = final_weight(rule, pre_ms=[10.0 + lag_ms], post_ms=[10.0]) - 0.5
    expected = rule.nu_post * np.exp(-lag_ms / TAU)
    assert pre_first > 0 and post_first > 0
    assert pre_first == pytest.approx(expected, rel=1e-6)
    assert post_first == pytest.approx(expected, rel=1e-6)


def test_each_side_has_its_own_rate_and_time_constant():
    rule = SymmetricSTDP(tau_pre=10 * ms, tau_post=30 * ms, nu_pre=2e-3, nu_post=5e-3)
    pre_first = final_weight(rule, pre_ms=[10.0], post_ms=[16.0]) - 0.5
    post_first = final_weight(rule, pre_ms=[16.0], post_ms=[10.0]) - 0.5
    assert pre_first == pytest.approx(5e-3 * np.exp(-6.0 / 10.0), rel=1e-6)
    assert post_first == pytest.approx(2e-3 * np.exp(-6.0 / 30.0), rel=1e-6)


def test_only_the_nearest_spike_of_the_other_side_counts():
    rule = SymmetricSTDP()
    # The post spike at 30 ms pairs with the arrival at 20 ms only, not also with 10 ms;
    # both later arrivals pair with that post spike.
    change = final_weight(rule, pre_ms=[10.0, 20.0, 35.0, 45.0], post_ms=[30.0]) - 0.5
    expected = (rule.nu_post * np.exp(-10.0 / TAU)
                + rule.nu_pre * (np.exp(-5.0 / TAU) + np.exp(-15.0 / TAU)))
    assert change == pytest.approx(expected, rel=1e-6)


def test_the_offset_depresses_at_every_update_event():
    rule = SymmetricSTDP(nu_offset=1e-3)
    change = final_weight(rule, pre_ms=[10.0, 50.0], post_ms=[15.0]) - 0.5
    expected = rule.nu_post * (np.exp(-5.0 / TAU) + np.exp(-35.0 / TAU)) - 3 * 1e-3
    assert change == pytest.approx(expected, rel=1e-6)


def test_weights_stay_within_bounds():
    rule = SymmetricSTDP(nu_pre=1.0, nu_post=1.0)
    assert final_weight(rule, pre_ms=[10.0], post_ms=[11.0], w_start=0.9) == 1.0
    assert final_weight(SymmetricSTDP(nu_offset=1.0), pre_ms=[10.0], post_ms=[], w_start=0.5) == 0.0


def test_nothing_changes_when_not_plastic():
    rule = SymmetricSTDP(nu_offset=1e-3)
    assert final_weight(rule, pre_ms=[10.0, 30.0], post_ms=[20.0], plastic=False) == 0.5


def test_the_rule_is_registered_and_round_trips():
    assert RULES["symmetric"] is SymmetricSTDP
    rule = SymmetricSTDP(tau_pre=15 * ms, tau_post=25 * ms, nu_pre=3e-3, nu_offset=1e-4)
    assert rule.to_dict()["tau_pre_ms"] == pytest.approx(15.0)
    assert rule_from_dict(rule.to_dict()) == rule
    assert rule_from_dict({"rule": "SymmetricSTDP", **rule.to_dict()}) == rule


def test_negative_rates_are_refused():
    from stdp_learn.config import ConfigError

    with pytest.raises(ConfigError, match="nu_offset"):
        SymmetricSTDP(nu_offset=-1e-3).validate()
    with pytest.raises(ConfigError, match="tau_post"):
        SymmetricSTDP(tau_post=20.0).validate()


def test_a_network_learns_with_symmetric_stdp_and_its_file_keeps_the_rule(mnist_sample, tmp_path):
    """Against the same run without plasticity (same seed), the weights moved."""
    images, labels = mnist_sample.X_train[:20], mnist_sample.y_train[:20]

    model = fit_tiny_network(SymmetricSTDP(), images, labels)
    frozen = fit_tiny_network(SymmetricSTDP(nu_pre=0.0, nu_post=0.0), images, labels)
    assert sum(model.training_log_.spikes) > 0  # the layer answered, so the rule acted
    assert np.abs(model.weights_ - frozen.weights_).max() > 1e-3
    loaded = DiehlCook2015.load(model.save(tmp_path / "symmetric.npz"), device="runtime")
    assert loaded.rule == model.rule
    np.testing.assert_array_equal(loaded.weights_, model.weights_)
