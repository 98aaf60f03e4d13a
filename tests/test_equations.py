"""Tests for stdp_learn.equations: the two LIF neuron models against their analytic behaviour.

The excitatory conductance ``ge`` is a state variable that decays with ``tau_ge``.  To drive
a neuron with a constant conductance, each test neuron gets a parameter ``g_drive`` and a
``run_regularly`` operation writes it into ``ge`` before the state update of every step.
With ``ge = g`` fixed, the membrane equation is linear,

    tau_m dv/dt = (v_rest - v) + g (E_exc - v),

so v relaxes to ``v_inf = (v_rest + g E_exc) / (1 + g)`` with the time constant
``tau_m / (1 + g)``, and a neuron reset to ``v_reset`` fires again after

    T = t_ref + tau_m / (1 + g) * ln((v_inf - v_reset) / (v_inf - v_threshold))

(or never, if ``v_inf`` is below threshold).  The "exponential_euler" method integrates this
linear equation exactly over a step, so the only error left is that spikes are detected on
the time grid: at most one step per interval.
"""

import numpy as np
import pytest
from brian2 import (
    Equations,
    Network,
    NeuronGroup,
    SpikeMonitor,
    StateMonitor,
    linked_var,
    mV,
    ms,
    second,
)
from numpy.testing import assert_allclose, assert_array_equal

from stdp_learn.config import ExcitatoryParams, InhibitoryParams
from stdp_learn.equations import (
    INHIBITORY_RESET,
    INHIBITORY_THRESHOLD,
    excitatory_equations,
    excitatory_reset,
    excitatory_threshold,
    inhibitory_equations,
)

# A test-only parameter: the conductance each neuron's ge is held at.
DRIVE = Equations("g_drive : 1 (constant)")
CLAMP_GE = "ge = g_drive"
METHOD = "exponential_euler"


pytestmark = pytest.mark.usefixtures("runtime_numpy")


def analytic_period(v_rest, e_excitatory, tau_membrane, refractory, v_reset, v_threshold, g):
    """Return the interspike interval (seconds) of an LIF neuron held at conductance g."""
    v_inf = (v_rest + g * e_excitatory) / (1 + g)
    if v_inf <= v_threshold:
        return np.inf
    tau_effective = tau_membrane / (1 + g)
    return refractory + tau_effective * np.log((v_inf - v_reset) / (v_inf - v_threshold))


def steady_rate(spike_times):
    """Return the firing rate (Hz) from the first to the last spike, skipping the onset."""
    t = np.asarray(spike_times)
    if t.size < 2:
        return 0.0
    return (t.size - 1) / (t[-1] - t[0])


def inhibitory_group(drives, dt, params=None, clamp=True):
    """Return one inhibitory neuron per drive level, at rest, with ge held at its drive."""
    params = params or InhibitoryParams()
    group = NeuronGroup(
        len(drives), inhibitory_equations(params) + DRIVE,
        threshold=INHIBITORY_THRESHOLD, reset=INHIBITORY_RESET,
        refractory=params.refractory, method=METHOD, dt=dt, name="inh_test",
        namespace={"v_threshold": params.v_threshold, "v_reset": params.v_reset},
    )
    group.g_drive = drives
    group.v = params.v_rest
    if clamp:
        group.run_regularly(CLAMP_GE, when="before_groups", name="inh_test_clamp")
    return group, []


def excitatory_group(drives, dt, params=None, plastic=False, presentation_time=1e4 * second,
                     clamp=True):
    """Return one excitatory neuron per drive level, as `build_network` initialises them.

    Returns the group and any helper objects the network must also contain.
    """
    params = params or ExcitatoryParams()
    equations = excitatory_equations(params) + DRIVE
    group = NeuronGroup(
        len(drives), equations,
        threshold=excitatory_threshold(params), reset=excitatory_reset(params=params),
        refractory=params.refractory, method=METHOD, dt=dt, name="exc_test",
        namespace={
            "v_threshold": params.v_threshold,
            "theta_offset": params.theta_offset,
            "theta_plus": params.theta_plus,
            "v_reset": params.v_reset,
            "spike_lockout": params.spike_lockout,
            "presentation_time": presentation_time,
        },
    )
    helpers = []
    if "slot_start" in equations.names:
        # The reset counts spikes relative to the schedule's slot start, a linked variable;
        # here the one slot starts at t = 0.
        schedule = NeuronGroup(1, "slot_start : second", dt=dt, name="schedule_test")
        group.slot_start = linked_var(schedule, "slot_start", index=np.zeros(len(drives), int))
        helpers.append(schedule)
    group.g_drive = drives
    group.v = params.v_rest
    group.theta = params.theta_init
    if "previous_spike" in equations.names:
        group.previous_spike = -1e4 * second
    group.plastic = plastic
    if clamp:
        group.run_regularly(CLAMP_GE, when="before_groups", name="exc_test_clamp")
    return group, helpers


def run_group(group, helpers, duration, *monitors):
    Network(group, *helpers, *monitors).run(duration, namespace={})


# -- firing rate under constant conductance -----------------------------------------------

def test_inhibitory_rate_matches_analytic_lif():
    params = InhibitoryParams()
    dt = 0.02 * ms
    # v_inf = -60 mV / (1 + g) crosses the -40 mV threshold at g = 0.5.
    drives = np.array([0.45, 0.55, 1.0, 3.0])
    group, helpers = inhibitory_group(drives, dt, params)
    spikes = SpikeMonitor(group)
    run_group(group, helpers, 0.4 * second, spikes)

    trains = spikes.spike_trains()
    assert len(trains[0]) == 0  # v_inf = -41.4 mV stays below threshold
    for k, g in enumerate(drives[1:], start=1):
        period = analytic_period(
            float(params.v_rest), float(params.e_excitatory), float(params.tau_membrane),
            float(params.refractory), float(params.v_reset), float(params.v_threshold), g,
        )
        assert len(trains[k]) > 20
        assert steady_rate(trains[k] / second) == pytest.approx(1 / period, rel=0.02)


def test_excitatory_rate_matches_analytic_lif_at_initial_threshold():
    # v held at reset while refractory; the default mode is tested below
    params = ExcitatoryParams(refractory_mode="hold_v")
    dt = 0.05 * ms
    # With theta frozen at theta_init the threshold is -52 - 20 + 20 = -52 mV, which
    # v_inf = -65 mV / (1 + g) crosses at g = 0.25.
    threshold = params.v_threshold - params.theta_offset + params.theta_init
    assert float(threshold / mV) == pytest.approx(-52.0)
    drives = np.array([0.2, 0.5, 1.0, 2.0])
    group, helpers = excitatory_group(drives, dt, params, plastic=False)
    spikes = SpikeMonitor(group)
    run_group(group, helpers, 1 * second, spikes)

    trains = spikes.spike_trains()
    assert len(trains[0]) == 0  # v_inf = -54.2 mV stays below threshold
    for k, g in enumerate(drives[1:], start=1):
        period = analytic_period(
            float(params.v_rest), float(params.e_excitatory), float(params.tau_membrane),
            float(params.refractory), float(params.v_reset), float(threshold), g,
        )
        assert len(trains[k]) > 10
        assert steady_rate(trains[k] / second) == pytest.approx(1 / period, rel=0.02)
    assert_array_equal(group.theta[:], params.theta_init)  # frozen while not plastic


@pytest.mark.parametrize("mode", ["hold_v", "no_spike"])
def test_refractory_mode_decides_whether_v_integrates_while_refractory(mode):
    # "hold_v": the neuron climbs from reset only once the refractory period is over;
    # "no_spike": it climbs from the spike on and fires as soon as it may.
    params = ExcitatoryParams(refractory_mode=mode)
    dt = 0.05 * ms
    threshold = float(params.v_threshold - params.theta_offset + params.theta_init)
    drives = np.array([0.5, 20.0])  # climbs of about 61 ms and 1.1 ms
    group, helpers = excitatory_group(drives, dt, params, plastic=False)
    spikes = SpikeMonitor(group)
    run_group(group, helpers, 1 * second, spikes)
    trains = spikes.spike_trains()
    refractory = float(params.refractory)
    for k, g in enumerate(drives):
        climb = analytic_period(float(params.v_rest), float(params.e_excitatory),
                                float(params.tau_membrane), 0.0, float(params.v_reset),
                                threshold, g)
        period = refractory + climb if mode == "hold_v" else max(refractory, climb)
        assert len(trains[k]) > 10
        assert steady_rate(trains[k] / second) == pytest.approx(1 / period, rel=0.02)


# -- passive relaxation -----------------------------------------------------------------

@pytest.mark.parametrize("population", ["excitatory", "inhibitory"])
def test_membrane_and_conductances_decay_with_their_time_constants(population):
    dt = 0.05 * ms
    if population == "excitatory":
        params = ExcitatoryParams()
        group, helpers = excitatory_group([0.0], dt, params, clamp=False)
    else:
        params = InhibitoryParams()
        group, helpers = inhibitory_group([0.0], dt, params, clamp=False)
    # Start between rest and threshold, with small conductances: v stays subthreshold.
    v_start = params.v_rest + 5 * mV
    group.v = v_start
    group.ge = 1e-3
    group.gi = 2e-3
    run_group(group, helpers, 20 * ms)

    t = 20e-3
    assert group.ge[0] == pytest.approx(1e-3 * np.exp(-t / float(params.tau_ge)), rel=1e-9)
    assert group.gi[0] == pytest.approx(2e-3 * np.exp(-t / float(params.tau_gi)), rel=1e-9)
    # The conductances pull v a little; without them v - v_rest decays with tau_membrane.
    expected = float(params.v_rest) + 5e-3 * np.exp(-t / float(params.tau_membrane))
    assert float(group.v[0]) == pytest.approx(expected, abs=0.005e-3)
    assert float(group.v[0]) < float(v_start)


# -- adaptive threshold -------------------------------------------------------------------

@pytest.mark.parametrize("plastic, theta_in_frozen_pass",
                         [(True, "fixed"), (False, "adapting")])
def test_theta_grows_by_theta_plus_per_spike_while_plastic(plastic, theta_in_frozen_pass):
    """While learning, and with learning off where theta keeps adapting."""
    params = ExcitatoryParams(theta_in_frozen_pass=theta_in_frozen_pass)
    dt = 0.05 * ms
    duration = 0.3 * second
    group, helpers = excitatory_group([2.0], dt, params, plastic=plastic)
    spikes = SpikeMonitor(group)
    run_group(group, helpers, duration, spikes)

    spike_times = np.asarray(spikes.t / second)
    assert spike_times.size > 5
    # theta decays with tau_theta (1e4 s) in between: each increment has decayed since its
    # spike, the initial value since t = 0.  The decay is tiny, the comparison exact.
    tau = float(params.tau_theta)
    end = float(duration)
    decayed = np.exp(-(end - spike_times) / tau)
    expected_increments = float(params.theta_plus) * decayed.sum()
    increments = float(group.theta[0]) - float(params.theta_init) * np.exp(-end / tau)
    assert increments == pytest.approx(expected_increments, rel=1e-6)
    assert increments == pytest.approx(spike_times.size * float(params.theta_plus), rel=1e-3)


def test_theta_is_frozen_when_not_plastic():
    params = ExcitatoryParams()
    group, helpers = excitatory_group([2.0], 0.05 * ms, params, plastic=False)
    spikes = SpikeMonitor(group)
    run_group(group, helpers, 0.3 * second, spikes)

    assert spikes.num_spikes > 5
    assert group.theta[0] == params.theta_init  # no growth and no decay


def test_only_the_adapting_option_lets_theta_change_with_learning_off():
    """The paper's frozen theta keeps the code it had before the option existed."""
    fixed = ExcitatoryParams()
    adapting = ExcitatoryParams(theta_in_frozen_pass="adapting")
    assert str(excitatory_equations(fixed)["theta"].expr).endswith("* int(plastic)")
    assert "plastic" not in str(excitatory_equations(adapting)["theta"].expr)
    assert excitatory_reset() == excitatory_reset(params=fixed)
    assert "theta += theta_plus * int(plastic)\n" in excitatory_reset()
    assert "theta += theta_plus\n" in excitatory_reset(params=adapting)


def test_theta_raises_the_threshold_and_slows_firing():
    # The same drive fires less often once theta has grown: 0.5 mV of extra threshold.
    params = ExcitatoryParams(refractory_mode="hold_v")
    group, helpers = excitatory_group([1.0, 1.0], 0.05 * ms, params, plastic=False)
    group.theta = [params.theta_init, params.theta_init + 0.5 * mV]
    spikes = SpikeMonitor(group)
    run_group(group, helpers, 0.5 * second, spikes)

    trains = spikes.spike_trains()
    rates = [steady_rate(trains[k] / second) for k in (0, 1)]
    period = analytic_period(-65e-3, 0.0, 0.1, 5e-3, -65e-3, -51.5e-3, 1.0)
    assert rates[1] < rates[0]
    assert rates[1] == pytest.approx(1 / period, rel=0.02)


# -- refractoriness -----------------------------------------------------------------------

@pytest.mark.parametrize("population", ["excitatory", "excitatory_no_spike", "inhibitory"])
def test_no_two_spikes_closer_than_the_refractory_period(population):
    dt = 0.05 * ms
    # A conductance of 1000 drives v from reset to threshold within one step, so the
    # refractory period alone sets the interval.
    if population.startswith("excitatory"):
        mode = "no_spike" if population.endswith("no_spike") else "hold_v"
        params = ExcitatoryParams(refractory_mode=mode)
        group, helpers = excitatory_group([1000.0], dt, params)
    else:
        params = InhibitoryParams()
        group, helpers = inhibitory_group([1000.0], dt, params)
    spikes = SpikeMonitor(group)
    voltage = StateMonitor(group, "v", record=0)
    run_group(group, helpers, 50 * ms, spikes, voltage)

    intervals = np.diff(np.asarray(spikes.t / second))
    refractory = float(params.refractory)
    assert intervals.size > 5
    assert intervals.min() >= refractory - 1e-12
    assert intervals.max() <= refractory + 2 * float(dt) + 1e-12  # the bound is reached
    times = np.asarray(voltage.t / second)
    first = float(spikes.t[0] / second)
    refractory_steps = (times > first + 1e-12) & (times < first + refractory - 1e-12)
    assert refractory_steps.sum() > 10
    v_refractory = voltage.v[0][refractory_steps] / mV
    if params.refractory_mode == "hold_v":  # v stays clamped at the reset value
        assert_allclose(v_refractory, float(params.v_reset / mV), rtol=0, atol=1e-9)
    else:  # "no_spike": v integrates, above threshold, unfired
        assert np.all(v_refractory[1:] > float(params.v_reset / mV) + 1)  # [0]: the reset


def test_spike_lockout_adds_to_the_refractory_period():
    dt = 0.05 * ms
    params = ExcitatoryParams(spike_lockout=20 * ms)
    group, helpers = excitatory_group([1000.0], dt, params)
    spikes = SpikeMonitor(group)
    run_group(group, helpers, 100 * ms, spikes)

    intervals = np.diff(np.asarray(spikes.t / second))
    assert intervals.size >= 3
    assert intervals.min() > 20e-3
    assert intervals.max() <= 20e-3 + 2 * float(dt) + 1e-12


def test_reset_counts_only_spikes_during_the_presentation():
    params = ExcitatoryParams()
    group, helpers = excitatory_group([2.0], 0.05 * ms, params, presentation_time=100 * ms)
    if "presentation_spikes" not in group.variables:
        pytest.skip("this version of the excitatory model does not count presentation spikes")
    spikes = SpikeMonitor(group)
    run_group(group, helpers, 0.3 * second, spikes)

    spike_times = np.asarray(spikes.t / second)
    assert (spike_times >= 0.1).sum() > 0  # some spikes come after the presentation
    assert int(group.presentation_spikes[0]) == int((spike_times < 0.1).sum())
