"""VDSP (stdp_learn/rules/vdsp.py) against its analytic weight change on one synapse.

One synapse between a `SpikeGeneratorGroup` and a postsynaptic neuron whose membrane
potential ``v`` (and threshold adaptation ``theta``) are held at chosen values.  With
u = (v - set point) / v_scale, the set point v_set + theta ("threshold") or v_set
("fixed"), each presynaptic arrival changes the weight by

    u > 0:  dw = +nu_potentiation * (w_max - w) * (exp(u) - 1)
    u < 0:  dw = -nu_depression * w * (exp(-u) - 1)

and postsynaptic spikes change nothing.
"""
import json

import numpy as np
import pytest
from brian2 import mV

from stdp_learn import VDSP, DiehlCook2015
from stdp_learn.config import ConfigError
from stdp_learn.rules import RULES, rule_from_dict
from stdp_learn.simulation import compiler_available
from stdp_learn.train import main

from conftest import fit_tiny_network, rule_weight_after

DEVICE = "cpp_standalone" if compiler_available() else "runtime"


def expected_after_arrivals(rule, v_mV, n_arrivals, theta_mV=0.0, w=0.5, w_max=1.0):
    """Apply the analytic update once per arrival (each sees the weight the last left)."""
    set_point = float(rule.v_set / mV) + (theta_mV if rule.set_point == "threshold" else 0.0)
    u = (v_mV - set_point) / float(rule.v_scale / mV)
    for _ in range(n_arrivals):
        if u > 0:
            w += rule.nu_potentiation * (w_max - w) * np.expm1(u)
        elif u < 0:
            w -= rule.nu_depression * w * np.expm1(-u)
        w = min(max(w, 0.0), w_max)
    return w


def state(v_mV, theta_mV=20.0):
    return {"v": v_mV * mV, "theta": theta_mV * mV}


@pytest.mark.usefixtures("runtime_numpy")
class TestOneSynapse:
    @pytest.mark.parametrize("v_mV", [-52.5, -60.0])
    def test_an_arrival_changes_the_weight_by_the_analytic_amount(self, v_mV):
        # the default set point: v_set + theta = -74 mV + 20 mV = -54 mV
        rule = VDSP(nu_depression=1e-4)
        after = rule_weight_after(rule, pre_ms=[5.0], post_ms=[], post_state=state(v_mV))
        assert after == pytest.approx(expected_after_arrivals(rule, v_mV, 1, 20.0), rel=1e-9)
        assert (after > 0.5) == (v_mV > -54.0)  # potentiation above, depression below

    def test_the_set_point_follows_the_threshold_adaptation(self):
        rule = VDSP()
        low = rule_weight_after(rule, [5.0], [], post_state=state(-53.0, theta_mV=20.0))
        high = rule_weight_after(rule, [5.0], [], post_state=state(-53.0, theta_mV=25.0))
        assert low == pytest.approx(0.5 + 1e-2 * 0.5 * np.expm1(0.5), rel=1e-9)
        assert high == 0.5  # 4 mV below the raised set point, and no depression by default

    @pytest.mark.parametrize("v_mV", [-58.0, -80.0])
    def test_a_fixed_set_point_ignores_theta(self, v_mV):
        rule = VDSP(set_point="fixed", v_set=-65 * mV, v_scale=13 * mV,
                    nu_potentiation=2e-2, nu_depression=1e-2)
        after = rule_weight_after(rule, [5.0], [], post_state=state(v_mV, theta_mV=30.0))
        assert after == pytest.approx(expected_after_arrivals(rule, v_mV, 1), rel=1e-9)
        assert (after > 0.5) == (v_mV > -65.0)

    @pytest.mark.parametrize("v_mV", [-51.0, -58.0])
    def test_soft_bounds_make_each_arrival_see_the_weight_the_last_left(self, v_mV):
        rule = VDSP(nu_potentiation=0.2, nu_depression=0.05)
        after = rule_weight_after(rule, pre_ms=[2.0, 4.0, 6.0, 8.0], post_ms=[], w_start=0.3,
                                  post_state=state(v_mV))
        expected = expected_after_arrivals(rule, v_mV, 4, 20.0, w=0.3)
        assert after == pytest.approx(expected, rel=1e-9)
        assert 0.0 < after < 1.0 and after != pytest.approx(0.3)  # approached, not reached

    def test_nothing_changes_at_the_set_point_on_post_spikes_or_when_not_plastic(self):
        rule = VDSP(nu_potentiation=0.5, nu_depression=0.5)
        at_set_point = rule_weight_after(rule, [5.0], [], post_state=state(-54.0))
        assert at_set_point == pytest.approx(0.5, abs=1e-12)  # u is 0 up to rounding
        assert rule_weight_after(rule, [], [3.0, 6.0], post_state=state(-50.0)) == 0.5
        assert rule_weight_after(rule, [5.0], [], post_state=state(-50.0), plastic=False) == 0.5


def test_the_rule_is_registered_and_round_trips_with_potentials_in_mV():
    assert RULES["vdsp"] is VDSP
    rule = VDSP(nu_potentiation=3e-3, nu_depression=2e-4, set_point="fixed", v_set=-60 * mV,
                v_scale=10 * mV)
    values = rule.to_dict()
    assert values["v_set_mV"] == pytest.approx(-60.0)
    assert values["v_scale_mV"] == pytest.approx(10.0)
    assert rule_from_dict(values) == rule
    assert json.loads(json.dumps(values)) == values


def test_wrong_units_and_signs_are_refused():
    with pytest.raises(ConfigError, match="v_scale must be positive"):
        VDSP(v_scale=-1 * mV).validate()
    with pytest.raises(ConfigError, match="v_set must be a quantity in units of volt"):
        VDSP(v_set=-65.0).validate()
    with pytest.raises(ConfigError, match="nu_depression must not be negative"):
        VDSP(nu_depression=-1e-4).validate()
    with pytest.raises(ConfigError, match="set_point must be one of"):
        VDSP(set_point="rest").validate()


def test_a_network_learns_with_vdsp_and_its_file_keeps_the_rule(mnist_sample, tmp_path):
    images, labels = mnist_sample.X_train[:20], mnist_sample.y_train[:20]

    model = fit_tiny_network(VDSP(), images, labels)
    frozen = fit_tiny_network(VDSP(nu_potentiation=0.0, nu_depression=0.0), images, labels)
    assert np.abs(model.weights_ - frozen.weights_).max() > 1e-3
    loaded = DiehlCook2015.load(model.save(tmp_path / "vdsp.npz"), device="runtime")
    assert loaded.rule == model.rule
    np.testing.assert_array_equal(loaded.weights_, model.weights_)


def test_rule_vdsp_trains_on_the_sample_above_chance(tmp_path, build_root, monkeypatch):
    monkeypatch.setenv("STDP_LEARN_BUILD", str(build_root))
    out = tmp_path / "run"
    status = main(["mnist-sample", "--rule", "vdsp", "--rule-option", "v_scale_mV=2",
                   "--neurons", "20", "--train-size", "300", "--test-size", "200",
                   "--block-size", "100", "--device", DEVICE, "--output", str(out),
                   "--no-progress"])
    assert status == 0
    metrics = json.loads((out / "metrics.json").read_text())
    record = json.loads((out / "record.json").read_text())
    assert record["configuration"]["model"]["rule"]["rule"] == "vdsp"
    assert metrics["accuracy"] > 0.2  # chance is 0.1
