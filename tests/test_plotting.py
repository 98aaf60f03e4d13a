"""Tests for stdp_learn.plotting: the drawn data is the data given."""

import doctest

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from brian2 import DimensionMismatchError, mV, ms, second, volt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.image import AxesImage  # noqa: E402

from stdp_learn import plotting  # noqa: E402
from stdp_learn.plotting import (  # noqa: E402
    UNASSIGNED_LABEL,
    plot_class_counts,
    plot_confusion,
    plot_membrane,
    plot_raster,
    plot_receptive_fields,
    plot_stdp_window,
    plot_thresholds,
    plot_training_curve,
    plot_weight_histogram,
    tile_receptive_fields,
)

IMAGE_SHAPE = (3, 4)


@pytest.fixture(autouse=True)
def close_figures():
    """Close every figure a test leaves open."""
    yield
    plt.close("all")


@pytest.fixture(autouse=True)
def forbid_show(monkeypatch):
    """Fail any test in which the module shows a figure."""

    def show(*args, **kwargs):
        raise AssertionError("plotting must not call plt.show()")

    monkeypatch.setattr(plt, "show", show)


@pytest.fixture
def weights():
    """Return distinct weights for 7 neurons with 3x4 input images."""
    return np.arange(12 * 7, dtype=float).reshape(12, 7) / 100.0


def tile(mosaic, k, n_columns, image_shape=IMAGE_SHAPE, pad=1):
    """Return tile k of a mosaic, counted row by row."""
    height, width = image_shape
    top = (k // n_columns) * (height + pad)
    left = (k % n_columns) * (width + pad)
    return mosaic[top : top + height, left : left + width]


def the_image(ax):
    """Return the single image drawn on ax."""
    images = [artist for artist in ax.get_images() if isinstance(artist, AxesImage)]
    assert len(images) == 1
    return images[0]


def new_axes():
    """Return fresh Axes and the figure numbers open after creating them."""
    _, ax = plt.subplots()
    return ax, set(plt.get_fignums())


# --- tile_receptive_fields -------------------------------------------------


def test_tiles_are_the_weight_columns(weights):
    mosaic = tile_receptive_fields(weights, IMAGE_SHAPE)
    n_columns = 3  # ceil(sqrt(7))
    assert mosaic.shape == (3 * 3 + 2, 3 * 4 + 2)
    for k in range(7):
        np.testing.assert_array_equal(
            tile(mosaic, k, n_columns), weights[:, k].reshape(IMAGE_SHAPE)
        )


def test_tiles_follow_order(weights):
    order = [6, 2, 0, 5, 1, 4, 3]
    mosaic = tile_receptive_fields(weights, IMAGE_SHAPE, order=order, n_columns=4, pad=2)
    assert mosaic.shape == (2 * 3 + 2, 4 * 4 + 3 * 2)
    for k, neuron in enumerate(order):
        np.testing.assert_array_equal(
            tile(mosaic, k, 4, pad=2), weights[:, neuron].reshape(IMAGE_SHAPE)
        )


def test_padding_and_empty_cells_are_nan(weights):
    mosaic = tile_receptive_fields(weights, IMAGE_SHAPE, pad=1)
    # separator rows and columns between tiles
    assert np.isnan(mosaic[3, :]).all() and np.isnan(mosaic[7, :]).all()
    assert np.isnan(mosaic[:, 4]).all() and np.isnan(mosaic[:, 9]).all()
    # grid cells 7 and 8 of the 3x3 grid hold no neuron
    assert np.isnan(tile(mosaic, 7, 3)).all() and np.isnan(tile(mosaic, 8, 3)).all()
    # and nothing else is NaN: 7 tiles of 12 pixels
    assert np.count_nonzero(~np.isnan(mosaic)) == 7 * 12


def test_tile_without_padding_is_dense():
    weights = np.arange(16.0).reshape(4, 4)
    mosaic = tile_receptive_fields(weights, (2, 2), pad=0)
    assert mosaic.shape == (4, 4)
    assert not np.isnan(mosaic).any()


def test_tile_rejects_wrong_image_shape(weights):
    with pytest.raises(ValueError, match="image_shape"):
        tile_receptive_fields(weights, (28, 28))


# --- plot_receptive_fields ------------------------------------------------


def test_receptive_field_image_holds_mosaic(weights):
    ax = plot_receptive_fields(weights, IMAGE_SHAPE)
    assert isinstance(ax, Axes)
    drawn = np.ma.filled(the_image(ax).get_array().astype(float), np.nan)
    np.testing.assert_array_equal(drawn, tile_receptive_fields(weights, IMAGE_SHAPE))
    colorbar_labels = [other.get_ylabel() for other in ax.figure.axes if other is not ax]
    assert "weight" in colorbar_labels


def test_receptive_fields_sorted_by_class(weights):
    assignments = np.array([3, -1, 0, 3, 1, 0, 2])
    ax = plot_receptive_fields(weights, IMAGE_SHAPE, assignments=assignments, sort_by_class=True)
    drawn = np.ma.filled(the_image(ax).get_array().astype(float), np.nan)
    expected_order = [2, 5, 4, 6, 0, 3, 1]  # classes 0,0,1,2,3,3 then unassigned
    for k, neuron in enumerate(expected_order):
        np.testing.assert_array_equal(tile(drawn, k, 3), weights[:, neuron].reshape(IMAGE_SHAPE))
    labels = [text.get_text() for text in ax.texts]
    assert labels == ["0", "0", "1", "2", "3", "3", UNASSIGNED_LABEL]


def test_receptive_field_labels_without_sorting(weights):
    assignments = [3, -1, 0, 3, 1, 0, 2]
    ax = plot_receptive_fields(weights, IMAGE_SHAPE, assignments=assignments)
    labels = [text.get_text() for text in ax.texts]
    assert labels == ["3", UNASSIGNED_LABEL, "0", "3", "1", "0", "2"]


def test_sort_by_class_needs_assignments(weights):
    with pytest.raises(ValueError, match="assignments"):
        plot_receptive_fields(weights, IMAGE_SHAPE, sort_by_class=True)


# --- plot_confusion ---------------------------------------------------------


def test_confusion_image_and_annotations():
    confusion = np.arange(100).reshape(10, 10)
    ax = plot_confusion(confusion)
    np.testing.assert_array_equal(the_image(ax).get_array(), confusion)
    numbers = [int(text.get_text()) for text in ax.texts]
    assert len(numbers) == 100
    assert sum(numbers) == confusion.sum()
    assert ax.get_ylabel() == "true class"
    assert ax.get_xlabel() == "predicted class"


def test_confusion_cells_are_row_true_column_predicted():
    confusion = np.zeros((10, 10), dtype=int)
    confusion[2, 7] = 5  # five images of class 2 predicted as 7
    ax = plot_confusion(confusion)
    (cell,) = [text for text in ax.texts if text.get_text() == "5"]
    assert cell.get_position() == (7, 2)  # (x = predicted, y = true)


def test_confusion_normalized_rows_sum_to_one():
    confusion = np.array([[3, 1, 0], [0, 0, 0], [2, 2, 4]])
    ax = plot_confusion(confusion, normalize=True)
    drawn = np.asarray(the_image(ax).get_array())
    np.testing.assert_allclose(drawn.sum(axis=1), [1, 0, 1])
    np.testing.assert_allclose(drawn[0], [0.75, 0.25, 0])


# --- plot_raster ------------------------------------------------------------


def test_raster_offsets_are_the_spikes_quantity():
    indices = np.array([0, 4, 2, 4])
    times = np.array([0.5, 1.25, 3.0, 7.5]) * ms
    ax = plot_raster(indices, times)
    (scatter,) = ax.collections
    np.testing.assert_allclose(scatter.get_offsets(), np.column_stack([times / ms, indices]))
    assert "(ms)" in ax.get_xlabel()
    assert ax.get_ylabel() == "neuron index"


def test_raster_plain_times_are_ms_and_seconds_convert():
    ax = plot_raster([1, 0], [2.0, 5.0])
    plot_raster([3], [0.004] * second, ax=ax, label="inhibitory", color="red")
    first, second_population = ax.collections
    np.testing.assert_allclose(first.get_offsets(), [[2.0, 1], [5.0, 0]])
    np.testing.assert_allclose(second_population.get_offsets(), [[4.0, 3]])
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["inhibitory"]


def test_raster_rejects_non_time_quantity():
    with pytest.raises(DimensionMismatchError):
        plot_raster([0], [1.0] * mV)


def test_raster_rejects_length_mismatch():
    with pytest.raises(ValueError, match="length"):
        plot_raster([0, 1], [1.0] * ms)


# --- plot_membrane ----------------------------------------------------------


def test_membrane_line_is_v_in_mV():
    times = np.arange(5) * 0.1 * ms
    v = np.array([-65.0, -60.0, -55.5, -52.1, -65.0]) * mV
    ax = plot_membrane(times, v, threshold=-52 * mV)
    trace = ax.get_lines()[0]
    np.testing.assert_allclose(trace.get_xdata(), times / ms)
    np.testing.assert_allclose(trace.get_ydata(), v / mV)
    threshold_line = ax.get_lines()[1]
    np.testing.assert_allclose(threshold_line.get_ydata(), [-52, -52])
    assert ax.get_xlabel() == "time (ms)"
    assert ax.get_ylabel() == "v (mV)"


def test_membrane_monitor_shaped_v_and_threshold_over_time():
    times = np.arange(4) * ms
    v = np.array([[-65.0, -64.0, -63.0, -62.0], [-70.0, -69.0, -68.0, -67.0]]) * mV
    threshold = np.array([-0.052, -0.051, -0.050, -0.049]) * volt
    ax = plot_membrane(times, v, threshold=threshold)
    lines = ax.get_lines()
    assert len(lines) == 3
    np.testing.assert_allclose(lines[0].get_ydata(), v[0] / mV)
    np.testing.assert_allclose(lines[1].get_ydata(), v[1] / mV)
    np.testing.assert_allclose(lines[2].get_ydata(), [-52, -51, -50, -49])


def test_membrane_plain_arrays_are_ms_and_mV():
    ax = plot_membrane([0.0, 1.0], [-65.0, -60.0])
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [-65.0, -60.0])


def test_membrane_rejects_shape_mismatch():
    with pytest.raises(ValueError, match="n_times"):
        plot_membrane(np.arange(3) * ms, np.zeros(4) * mV)


# --- the other plots --------------------------------------------------------


def test_thresholds_bars_in_mV():
    theta = np.array([0.02, 0.0225, 0.019]) * volt
    ax = plot_thresholds(theta)
    heights = [patch.get_height() for patch in ax.patches]
    np.testing.assert_allclose(heights, [20.0, 22.5, 19.0])
    assert ax.get_ylabel() == "theta (mV)"


def test_thresholds_reject_non_voltage():
    with pytest.raises(DimensionMismatchError):
        plot_thresholds([1.0, 2.0] * ms)


def test_class_counts_with_unassigned():
    ax = plot_class_counts([0, 0, 3, 9, -1, -1, 3, 3], n_classes=10)
    heights = [patch.get_height() for patch in ax.patches]
    assert heights == [2, 0, 0, 3, 0, 0, 0, 0, 0, 1, 2]
    assert ax.get_xticklabels()[-1].get_text() == UNASSIGNED_LABEL


def test_class_counts_without_unassigned_has_no_extra_bar():
    ax = plot_class_counts([1, 1, 2], n_classes=4)
    assert [patch.get_height() for patch in ax.patches] == [0, 2, 1, 0]


def test_training_curve_in_percent():
    ax = plot_training_curve([100, 200, 400], [0.25, 0.5, 0.875])
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), [25.0, 50.0, 87.5])
    np.testing.assert_allclose(line.get_xdata(), [100, 200, 400])
    assert ax.get_xlabel() == "training images"
    assert "(%)" in ax.get_ylabel()


def test_training_curve_rejects_percentages():
    with pytest.raises(ValueError, match="fraction"):
        plot_training_curve([100, 200], [50.0, 80.0])


def test_weight_histogram_counts_every_weight(weights):
    ax = plot_weight_histogram(weights, bins=7)
    heights = [patch.get_height() for patch in ax.patches]
    assert len(heights) == 7
    assert sum(heights) == weights.size


def test_stdp_window_in_ms_sorted_by_delta_t():
    delta_t = np.array([0.01, -0.02, 0.005]) * second
    delta_w = np.array([0.3, -0.1, 0.6])
    ax = plot_stdp_window(delta_t, delta_w)
    curve = ax.get_lines()[0]
    np.testing.assert_allclose(curve.get_xdata(), [-20.0, 5.0, 10.0])
    np.testing.assert_allclose(curve.get_ydata(), [-0.1, 0.6, 0.3])
    assert ax.get_xlabel() == "\u0394t = t_post \u2212 t_pre (ms)"
    assert ax.get_ylabel() == "\u0394w"


# --- the Axes contract ------------------------------------------------------

CALLS = {
    "receptive_fields": lambda ax: plot_receptive_fields(
        np.ones((12, 4)), IMAGE_SHAPE, assignments=[0, 1, -1, 1], ax=ax
    ),
    "thresholds": lambda ax: plot_thresholds([20.0, 21.0] * mV, ax=ax),
    "class_counts": lambda ax: plot_class_counts([0, 1, -1], ax=ax),
    "confusion": lambda ax: plot_confusion(np.eye(10, dtype=int), ax=ax),
    "training_curve": lambda ax: plot_training_curve([1, 2], [0.1, 0.2], ax=ax),
    "weight_histogram": lambda ax: plot_weight_histogram(np.ones((12, 4)), ax=ax),
    "raster": lambda ax: plot_raster([0], [1.0] * ms, ax=ax),
    "membrane": lambda ax: plot_membrane([0, 1] * ms, [-65, -60] * mV, ax=ax),
    "stdp_window": lambda ax: plot_stdp_window([-1, 1] * ms, [-0.1, 0.1], ax=ax),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_given_axes_is_returned_and_no_figure_is_made(name):
    ax, figures_before = new_axes()
    returned = CALLS[name](ax)
    assert returned is ax
    assert set(plt.get_fignums()) == figures_before


@pytest.mark.parametrize("name", sorted(CALLS))
def test_new_figure_only_without_axes(name):
    figures_before = set(plt.get_fignums())
    returned = CALLS[name](None)
    assert isinstance(returned, Axes)
    new_figures = set(plt.get_fignums()) - figures_before
    assert new_figures == {returned.figure.number}


def test_interactive_mode_stays_off():
    assert not matplotlib.is_interactive()
    for call in CALLS.values():
        call(None)
    assert not matplotlib.is_interactive()


def test_docstring_examples_run():
    result = doctest.testmod(plotting, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


# --- cost and single-neuron plots -----------------------------------------------------------

from brian2 import Hz  # noqa: E402

from stdp_learn.plotting import (  # noqa: E402
    plot_early_exit,
    plot_efficiency_tradeoff,
    plot_rate_curve,
    plot_synaptic_operations,
)


def test_tradeoff_against_presentation_time_in_percent():
    ax = plot_efficiency_tradeoff([350, 100, 200], [0.74, 0.61, 0.70])
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_xdata(), [100, 200, 350])
    np.testing.assert_allclose(line.get_ydata(), [61.0, 70.0, 74.0])
    assert ax.get_xlabel() == "presentation time per image (ms)"
    assert ax.get_ylabel() == "accuracy (%)"
    assert len(ax.texts) == 0


def test_tradeoff_against_synops_labels_points_with_their_time():
    times = np.array([0.35, 0.1]) * second
    ax = plot_efficiency_tradeoff(times, [0.74, 0.61], synops=[2.6e5, 8.1e4])
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_xdata(), [8.1e4, 2.6e5])
    np.testing.assert_allclose(line.get_ydata(), [61.0, 74.0])
    assert ax.get_xlabel() == "synaptic operations per image"
    annotations = {text.get_text(): text.xy for text in ax.texts}
    assert annotations == {"350 ms": (2.6e5, 74.0), "100 ms": (8.1e4, 61.0)}


def test_tradeoff_labels_estimated_synops_as_estimates():
    ax = plot_efficiency_tradeoff([100, 350], [0.6, 0.7], synops=[9e4, 2.6e5], estimated=True)
    assert ax.get_xlabel().startswith("estimated synaptic operations per image")
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["estimated SynOps"]
    # counted operations carry no such label
    ax = plot_efficiency_tradeoff([100, 350], [0.6, 0.7], synops=[9e4, 2.6e5])
    assert "estimated" not in ax.get_xlabel() and ax.get_legend() is None


EARLY_EXIT_CURVE = [
    {"margin": 2.0, "accuracy": 0.6, "mean_presentation_ms": 120.0,
     "estimated_mean_synops": 9e4},
    {"margin": None, "accuracy": 0.7, "mean_presentation_ms": 350.0,
     "estimated_mean_synops": 2.6e5},
]


def test_early_exit_plot_draws_the_estimated_synops():
    ax = plot_early_exit(EARLY_EXIT_CURVE)
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_xdata(), [9e4, 2.6e5])
    np.testing.assert_allclose(line.get_ydata(), [60.0, 70.0])
    assert "estimated" in ax.get_xlabel()
    assert {text.get_text() for text in ax.texts} == {"120 ms", "350 ms"}


def test_early_exit_plot_reads_older_files_as_estimates_and_falls_back_to_time():
    older = [{key.replace("estimated_", ""): value for key, value in point.items()}
             for point in EARLY_EXIT_CURVE]
    ax = plot_early_exit(older)
    assert "estimated" in ax.get_xlabel()
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [9e4, 2.6e5])
    without = [{key: value for key, value in point.items() if "synops" not in key}
               for point in EARLY_EXIT_CURVE]
    ax = plot_early_exit(without)
    assert ax.get_xlabel() == "presentation time per image (ms)"
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [120.0, 350.0])


def test_tradeoff_rejects_percentages_and_length_mismatch():
    with pytest.raises(ValueError, match="fraction"):
        plot_efficiency_tradeoff([100, 200], [61.0, 70.0])
    with pytest.raises(ValueError, match="length"):
        plot_efficiency_tradeoff([100, 200], [0.6])
    with pytest.raises(ValueError, match="length"):
        plot_efficiency_tradeoff([100, 200], [0.6, 0.7], synops=[1.0])
    with pytest.raises(DimensionMismatchError):
        plot_efficiency_tradeoff([100, 200] * mV, [0.6, 0.7])


def test_rate_curve_points_and_theory_in_hz():
    g = np.array([0.0, 1.0, 2.0])
    ax = plot_rate_curve(g, [0.0, 40.0, 90.0] * Hz, theory_rate=[0.0, 0.042, 0.088] * Hz * 1e3,
                         label="simulation")
    points, theory = ax.get_lines()
    np.testing.assert_allclose(points.get_xdata(), g)
    np.testing.assert_allclose(points.get_ydata(), [0.0, 40.0, 90.0])
    assert points.get_linestyle() == "None"
    np.testing.assert_allclose(theory.get_ydata(), [0.0, 42.0, 88.0])
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["simulation", "theory"]
    assert ax.get_ylabel() == "firing rate (Hz)"
    assert "conductance" in ax.get_xlabel()


def test_rate_curve_plain_numbers_are_hz_and_shapes_must_match():
    ax = plot_rate_curve([0.5, 1.5], [10.0, 20.0])
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [10.0, 20.0])
    assert ax.get_legend() is None
    with pytest.raises(ValueError, match="length"):
        plot_rate_curve([0.5, 1.5], [10.0])
    with pytest.raises(DimensionMismatchError):
        plot_rate_curve([0.5], [10.0] * ms)


def test_synaptic_operations_bars_per_projection_on_log_axis():
    ops = [{"input_exc": 4.6e4, "exc_inh": 20.0, "inh_exc": 380.0, "total": 0.0},
           {"input_exc": 2.1e4, "exc_inh": 12.0, "inh_exc": 228.0}]
    ax = plot_synaptic_operations(ops, ["350 ms", "150 ms"])
    heights = [[bar.get_height() for bar in container] for container in ax.containers]
    assert heights == [[4.6e4, 2.1e4], [20.0, 12.0], [380.0, 228.0]]
    assert ax.get_yscale() == "log"
    assert [label.get_text() for label in ax.get_xticklabels()] == ["350 ms", "150 ms"]
    assert ax.get_ylabel() == "synaptic operations per image"


def test_synaptic_operations_rejects_missing_projection_or_labels():
    with pytest.raises(ValueError, match="inh_exc"):
        plot_synaptic_operations([{"input_exc": 1.0, "exc_inh": 1.0}], ["a"])
    with pytest.raises(ValueError, match="length"):
        plot_synaptic_operations([{"input_exc": 1.0, "exc_inh": 1.0, "inh_exc": 1.0}], [])


COST_CALLS = {
    "efficiency_tradeoff": lambda ax: plot_efficiency_tradeoff([100, 350], [0.5, 0.7],
                                                               synops=[1e4, 3e4], ax=ax),
    "rate_curve": lambda ax: plot_rate_curve([0.0, 1.0], [0.0, 50.0] * Hz,
                                             theory_rate=[0.0, 48.0] * Hz, ax=ax),
    "synaptic_operations": lambda ax: plot_synaptic_operations(
        [{"input_exc": 10.0, "exc_inh": 1.0, "inh_exc": 3.0}], ["350 ms"], ax=ax),
}


@pytest.mark.parametrize("name", sorted(COST_CALLS))
def test_cost_plots_draw_on_the_given_axes_only(name):
    ax, figures_before = new_axes()
    assert COST_CALLS[name](ax) is ax
    assert set(plt.get_fignums()) == figures_before
    returned = COST_CALLS[name](None)
    assert isinstance(returned, Axes)
    assert set(plt.get_fignums()) - figures_before == {returned.figure.number}
    assert not matplotlib.is_interactive()


def test_learning_strip_panel_k_is_snapshot_k_tiled():
    rng = np.random.default_rng(1)
    snapshots = rng.uniform(0, 1, size=(3, 784, 12))
    fig = plotting.plot_learning_strip(snapshots, [100, 200, 300], n_shown=9)
    axes = fig.axes
    assert len(axes) == 3
    for k, ax in enumerate(axes):
        expected = plotting.tile_receptive_fields(snapshots[k][:, :9])
        np.testing.assert_array_equal(np.ma.filled(ax.images[0].get_array(), np.nan), expected)
        assert "{:,}".format(100 * (k + 1)) in ax.get_title()
    plt.close(fig)


def test_learning_strip_needs_one_count_per_snapshot():
    with pytest.raises(ValueError, match="snapshots"):
        plotting.plot_learning_strip(np.zeros((2, 784, 4)), [1, 2, 3])


def test_animation_has_one_frame_per_snapshot(tmp_path):
    snapshots = np.random.default_rng(2).uniform(0, 1, size=(4, 784, 4))
    movie = plotting.animate_learning(snapshots, [10, 20, 30, 40])
    movie.save(tmp_path / "learning.gif", writer="pillow", dpi=40)
    from PIL import Image

    with Image.open(tmp_path / "learning.gif") as gif:
        assert gif.n_frames == 4
    plt.close("all")
