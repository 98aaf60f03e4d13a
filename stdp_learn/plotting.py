"""Plot the state and the results of a Diehl & Cook (2015) network.

Every function takes plain arrays, or Brian2 quantities where the value has a
physical unit, draws on the Axes given as ``ax`` (or on a new figure when
``ax`` is None) and returns that Axes. Nothing here shows, saves or switches
matplotlib into interactive mode; that is left to the caller.

Times and voltages may be given as Brian2 quantities, which are converted to
milliseconds and millivolts, or as plain numbers, which are taken to be in
milliseconds and millivolts already. Weights, accuracies and counts are
dimensionless.

This is the only module of ``stdp_learn`` that imports matplotlib.

References
----------
.. [1] Diehl, P. U. and Cook, M. (2015). Unsupervised learning of digit
   recognition using spike-timing-dependent plasticity. Frontiers in
   Computational Neuroscience 9:99. doi:10.3389/fncom.2015.00099
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from brian2 import DimensionMismatchError, Quantity, get_dimensions, have_same_dimensions, mV, ms
from matplotlib.axes import Axes

__all__ = [
    "tile_receptive_fields",
    "tile_patch_receptive_fields",
    "plot_receptive_fields",
    "plot_patch_receptive_fields",
    "plot_thresholds",
    "plot_class_counts",
    "plot_confusion",
    "plot_training_curve",
    "plot_learning_strip",
    "animate_learning",
    "plot_weight_histogram",
    "plot_raster",
    "plot_membrane",
    "plot_stdp_window",
]

#: Text shown for a neuron that has no class assigned (assignment -1).
UNASSIGNED_LABEL = "\u2013"

#: Colour of the NaN padding between receptive-field tiles.
_PADDING_COLOR = "0.75"


def _axes(ax: Axes | None) -> Axes:
    """Return `ax`, or the Axes of a new figure when `ax` is None."""
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _in_unit(value, unit: Quantity, name: str) -> np.ndarray:
    """Return `value` as a float array of numbers in `unit`.

    A Brian2 quantity (or a list of them) is divided by `unit`; it must have
    the same dimensions. A plain number or array is taken to be in `unit`
    already and is returned unchanged.
    """
    quantity = Quantity(value)
    if get_dimensions(quantity).is_dimensionless:
        return np.asarray(quantity, dtype=float)
    if not have_same_dimensions(quantity, unit):
        raise DimensionMismatchError(
            f"{name} must have the dimensions of {unit!r}", get_dimensions(quantity)
        )
    return np.asarray(quantity / unit, dtype=float)


def _as_assignments(assignments, n_neurons: int | None = None) -> np.ndarray:
    """Return `assignments` as a 1-D integer array, checking its length."""
    assignments = np.asarray(assignments)
    if assignments.ndim != 1:
        raise ValueError(f"assignments must be 1-D, got shape {assignments.shape}")
    if assignments.size and not np.issubdtype(assignments.dtype, np.integer):
        if not np.array_equal(assignments, np.round(assignments)):
            raise ValueError("assignments must be integer class labels (or -1)")
    assignments = assignments.astype(int)
    if n_neurons is not None and assignments.size != n_neurons:
        raise ValueError(
            f"assignments has {assignments.size} entries but there are {n_neurons} neurons"
        )
    if np.any(assignments < -1):
        raise ValueError("assignments must be class labels >= 0, or -1 for unassigned")
    return assignments


def _class_label(assignment: int) -> str:
    """Return the text shown for one neuron's class assignment."""
    return UNASSIGNED_LABEL if assignment < 0 else str(assignment)


def tile_receptive_fields(
    weights, image_shape=(28, 28), order=None, n_columns=None, pad=1
) -> np.ndarray:
    """Arrange the input weights of each neuron as images on a grid.

    Tile ``k`` of the grid, counted row by row, is
    ``weights[:, order[k]].reshape(image_shape)``. Its top-left pixel is at
    row ``(k // n_columns) * (image_shape[0] + pad)`` and column
    ``(k % n_columns) * (image_shape[1] + pad)`` of the mosaic. The padding
    between tiles, and grid cells left without a tile, hold NaN.

    Parameters
    ----------
    weights : array_like, shape (n_input, n_neurons)
        Dimensionless input weights; column ``j`` holds neuron ``j``'s weights.
    image_shape : tuple of int, optional
        Shape ``(height, width)`` of one input image, with
        ``height * width == n_input``.
    order : array_like of int, optional
        Neuron indices in the order their tiles are placed. Defaults to
        ``range(n_neurons)``. It may leave neurons out or repeat them.
    n_columns : int, optional
        Number of tiles per grid row. Defaults to ``ceil(sqrt(n_tiles))``.
    pad : int, optional
        Number of NaN pixels between neighbouring tiles.

    Returns
    -------
    mosaic : ndarray of float
        The tiled weights, of shape ``(n_rows * (height + pad) - pad,
        n_columns * (width + pad) - pad)`` with
        ``n_rows = ceil(n_tiles / n_columns)``.

    Examples
    --------
    >>> import numpy as np
    >>> weights = np.arange(8.0).reshape(4, 2)   # two neurons, 2x2 images
    >>> tile_receptive_fields(weights, image_shape=(2, 2))
    array([[ 0.,  2., nan,  1.,  3.],
           [ 4.,  6., nan,  5.,  7.]])
    """
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2:
        raise ValueError(f"weights must have shape (n_input, n_neurons), got {weights.shape}")
    height, width = (int(size) for size in image_shape)
    n_input, n_neurons = weights.shape
    if height * width != n_input:
        raise ValueError(
            f"image_shape {tuple(image_shape)} holds {height * width} pixels "
            f"but weights has {n_input} inputs per neuron"
        )
    order = np.arange(n_neurons) if order is None else np.asarray(order, dtype=int).ravel()
    if order.size and (order.min() < -n_neurons or order.max() >= n_neurons):
        raise IndexError(f"order holds an index outside [0, {n_neurons})")
    pad = int(pad)
    if pad < 0:
        raise ValueError(f"pad must be >= 0, got {pad}")
    n_tiles = order.size
    if n_columns is None:
        n_columns = max(1, math.ceil(math.sqrt(n_tiles)))
    n_columns = int(n_columns)
    if n_columns < 1:
        raise ValueError(f"n_columns must be >= 1, got {n_columns}")
    n_rows = max(1, math.ceil(n_tiles / n_columns))

    mosaic = np.full(
        (n_rows * (height + pad) - pad, n_columns * (width + pad) - pad), np.nan
    )
    for k, neuron in enumerate(order):
        top = (k // n_columns) * (height + pad)
        left = (k % n_columns) * (width + pad)
        mosaic[top : top + height, left : left + width] = weights[:, neuron].reshape(height, width)
    return mosaic


def tile_patch_receptive_fields(weights, layer, pad=1) -> np.ndarray:
    """Arrange a locally connected layer's weights by patch, each patch where it lies.

    The patches sit on a grid as they sit on the image (patch ``p`` in grid row
    ``p // n_patch_columns``); each grid cell holds the weights of the patch's neurons
    over the patch alone, side by side (`tile_receptive_fields` of the cropped weights,
    ``ceil(sqrt(neurons_per_patch))`` tiles per row).  Cells are ``2 * pad`` NaN pixels
    apart, tiles within a cell `pad`.

    Parameters
    ----------
    weights : array_like, shape (n_input, n_neurons)
        Dimensionless input weights (zero outside each neuron's patch).
    layer : LocalPatches
        The layer's connectivity (`stdp_learn.locally_connected.LocalPatches`): its
        ``patch_corners``, ``patch_pixels``, ``patch_size`` and ``neurons_per_patch``.
    pad : int, optional
        NaN pixels between the tiles of one patch.

    Returns
    -------
    mosaic : ndarray of float

    Examples
    --------
    >>> import numpy as np
    >>> from stdp_learn import LocalPatches
    >>> layer = LocalPatches(patch_size=2, stride=2, neurons_per_patch=1)
    >>> tile_patch_receptive_fields(np.eye(16)[:, [0, 2, 8, 10]] + np.eye(16)[:, [5, 7, 13, 15]],
    ...                             layer).shape
    (6, 6)
    """
    weights = np.asarray(weights, dtype=float)
    n_input, n_neurons = weights.shape
    corners = layer.patch_corners(n_input)
    per_patch, size = int(layer.neurons_per_patch), int(layer.patch_size)
    if n_neurons != len(corners) * per_patch:
        raise ValueError(
            f"weights has {n_neurons} neurons; the layer has {len(corners) * per_patch}")
    grid_rows, grid_columns = len(np.unique(corners[:, 0])), len(np.unique(corners[:, 1]))
    cells = [tile_receptive_fields(weights[layer.patch_pixels(n_input, patch)],
                                   (size, size), order=np.arange(per_patch) + patch * per_patch,
                                   pad=pad)
             for patch in range(len(corners))]
    cell_height, cell_width = cells[0].shape
    gap = 2 * pad
    mosaic = np.full((grid_rows * (cell_height + gap) - gap,
                      grid_columns * (cell_width + gap) - gap), np.nan)
    for patch, cell in enumerate(cells):
        top = (patch // grid_columns) * (cell_height + gap)
        left = (patch % grid_columns) * (cell_width + gap)
        mosaic[top: top + cell_height, left: left + cell_width] = cell
    return mosaic


def _draw_weight_mosaic(ax, mosaic, cmap):
    """Draw a mosaic of weights (NaN padding in grey) with a colour bar, no ticks."""
    colormap = plt.get_cmap(cmap).with_extremes(bad=_PADDING_COLOR)
    image = ax.imshow(mosaic, cmap=colormap, interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label="weight")
    ax.set_xticks([])
    ax.set_yticks([])


def plot_patch_receptive_fields(weights, layer, ax=None, cmap="hot_r") -> Axes:
    """Show a locally connected layer's receptive fields patch by patch, in place.

    The mosaic of `tile_patch_receptive_fields` is drawn with ``imshow`` and a colour
    bar labelled ``weight``; the padding is grey.

    Parameters
    ----------
    weights : array_like, shape (n_input, n_neurons)
        Dimensionless input weights.
    layer : LocalPatches
        The layer's connectivity.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. A new figure is created when None.
    cmap : str or matplotlib.colors.Colormap, optional
        Colour map for the weights.

    Returns
    -------
    ax : matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> from stdp_learn import LocalPatches
    >>> weights = np.random.default_rng(0).uniform(0, 0.3, size=(784, 100))
    >>> ax = plot_patch_receptive_fields(weights, LocalPatches())
    """
    mosaic = tile_patch_receptive_fields(weights, layer)
    ax = _axes(ax)
    _draw_weight_mosaic(ax, mosaic, cmap)
    ax.set_title(f"{layer.neurons_per_patch} neurons per {layer.patch_size} x {layer.patch_size} "
                 f"patch, every {layer.stride} pixels")
    return ax


def plot_receptive_fields(
    weights, image_shape=(28, 28), assignments=None, sort_by_class=False, ax=None, cmap="hot_r"
) -> Axes:
    """Show each neuron's input weights as an image on a grid.

    The mosaic from :func:`tile_receptive_fields` is drawn with ``imshow``
    and a colour bar labelled ``weight``. The padding between tiles is grey.

    Parameters
    ----------
    weights : array_like, shape (n_input, n_neurons)
        Dimensionless input weights; column ``j`` holds neuron ``j``'s weights.
    image_shape : tuple of int, optional
        Shape ``(height, width)`` of one input image.
    assignments : array_like of int, shape (n_neurons,), optional
        Class assigned to each neuron, -1 for none. When given, each tile
        carries its class in the top-left corner (``–`` for -1).
    sort_by_class : bool, optional
        Order the tiles by assigned class, keeping neuron order within a
        class; unassigned neurons come last. Requires `assignments`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. A new figure is created when None.
    cmap : str or matplotlib.colors.Colormap, optional
        Colour map for the weights.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> weights = np.random.default_rng(0).uniform(0, 0.3, size=(784, 16))
    >>> ax = plot_receptive_fields(weights, assignments=np.arange(16) % 10)
    """
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2:
        raise ValueError(f"weights must have shape (n_input, n_neurons), got {weights.shape}")
    n_neurons = weights.shape[1]
    order = np.arange(n_neurons)
    if assignments is not None:
        assignments = _as_assignments(assignments, n_neurons)
        if sort_by_class:
            # lexsort is stable; its last key is the primary one.
            order = np.lexsort((assignments, assignments < 0))
    elif sort_by_class:
        raise ValueError("sort_by_class=True needs assignments")

    height, width = (int(size) for size in image_shape)
    pad = 1
    n_columns = max(1, math.ceil(math.sqrt(n_neurons)))
    mosaic = tile_receptive_fields(
        weights, (height, width), order=order, n_columns=n_columns, pad=pad
    )

    ax = _axes(ax)
    _draw_weight_mosaic(ax, mosaic, cmap)
    if assignments is not None:
        for k, neuron in enumerate(order):
            top = (k // n_columns) * (height + pad)
            left = (k % n_columns) * (width + pad)
            ax.text(
                left,
                top,
                _class_label(assignments[neuron]),
                fontsize="x-small",
                horizontalalignment="left",
                verticalalignment="top",
                color="tab:blue",
            )
    return ax


def plot_thresholds(theta, ax=None) -> Axes:
    """Draw each neuron's adaptive threshold increase theta as a bar.

    Parameters
    ----------
    theta : Quantity or array_like, shape (n_neurons,)
        Threshold increase of each excitatory neuron, a voltage. Plain
        numbers are taken to be in mV.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. A new figure is created when None.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on.

    Examples
    --------
    >>> from brian2 import mV
    >>> ax = plot_thresholds([20.0, 22.5, 19.0] * mV)
    """
    theta_mV = np.ravel(_in_unit(theta, mV, "theta"))
    ax = _axes(ax)
    ax.bar(np.arange(theta_mV.size), theta_mV, width=1.0)
    ax.set_xlabel("neuron index")
    ax.set_ylabel("theta (mV)")
    return ax


def plot_class_counts(assignments, n_classes=10, ax=None) -> Axes:
    """Draw how many neurons are assigned to each class.

    Parameters
    ----------
    assignments : array_like of int, shape (n_neurons,)
        Class assigned to each neuron, in ``[0, n_classes)``, or -1 for none.
        Unassigned neurons get a grey bar of their own, labelled ``–``, when
        there are any.
    n_classes : int, optional
        Number of classes.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. A new figure is created when None.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on.

    Examples
    --------
    >>> ax = plot_class_counts([0, 0, 3, 9, -1], n_classes=10)
    """
    assignments = _as_assignments(assignments)
    if np.any(assignments >= n_classes):
        raise ValueError(f"assignments holds a class >= n_classes ({n_classes})")
    counts = np.bincount(assignments[assignments >= 0], minlength=n_classes)
    n_unassigned = int(np.count_nonzero(assignments < 0))

    ax = _axes(ax)
    positions = list(range(n_classes))
    labels = [str(label) for label in positions]
    ax.bar(positions, counts)
    if n_unassigned:
        ax.bar([n_classes], [n_unassigned], color="0.6")
        positions.append(n_classes)
        labels.append(UNASSIGNED_LABEL)
    ax.set_xticks(positions, labels)
    ax.set_xlabel("assigned class")
    ax.set_ylabel("number of neurons")
    return ax


def plot_confusion(confusion, ax=None, normalize=False) -> Axes:
    """Draw a confusion matrix with the value written in each cell.

    Parameters
    ----------
    confusion : array_like, shape (n_classes, n_classes)
        Counts of test images; row ``i`` is the true class and column ``j``
        the predicted class.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. A new figure is created when None.
    normalize : bool, optional
        Divide each row by its sum, so that cells show the fraction of the
        true class predicted as each class. Rows summing to zero stay zero.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> ax = plot_confusion(np.array([[5, 1], [0, 4]]))
    """
    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"confusion must be a square matrix, got shape {confusion.shape}")
    n_classes = confusion.shape[0]
    if normalize:
        row_sums = confusion.sum(axis=1, keepdims=True)
        values = np.divide(
            confusion, row_sums, out=np.zeros(confusion.shape), where=row_sums != 0
        )
        text_format = "{:.2f}"
    else:
        values = confusion
        is_integer = np.issubdtype(values.dtype, np.integer)
        text_format = "{:d}" if is_integer else "{:g}"

    ax = _axes(ax)
    image = ax.imshow(values, cmap="Blues", interpolation="nearest")
    low, high = image.get_clim()
    middle = (low + high) / 2
    for true_class in range(n_classes):
        for predicted_class in range(n_classes):
            value = values[true_class, predicted_class]
            ax.text(
                predicted_class,
                true_class,
                text_format.format(value),
                horizontalalignment="center",
                verticalalignment="center",
                fontsize="small",
                color="white" if value > middle else "black",
            )
    ax.set_xticks(range(n_classes))
    ax.set_yticks(range(n_classes))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    return ax


def plot_training_curve(images_seen, accuracy, ax=None) -> Axes:
    """Draw accuracy against the number of training images seen.

    Parameters
    ----------
    images_seen : array_like, shape (n_points,)
        Number of training images presented before each evaluation.
    accuracy : array_like, shape (n_points,)
        Fraction of correct predictions, in ``[0, 1]``; it is drawn in percent.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. A new figure is created when None.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on.

    Examples
    --------
    >>> ax = plot_training_curve([1000, 2000, 5000], [0.52, 0.71, 0.83])
    """
    images_seen = np.ravel(np.asarray(images_seen, dtype=float))
    accuracy = np.ravel(np.asarray(accuracy, dtype=float))
    if images_seen.shape != accuracy.shape:
        raise ValueError(
            f"images_seen and accuracy differ in length ({images_seen.size} vs {accuracy.size})"
        )
    if np.any((accuracy < 0) | (accuracy > 1)):
        raise ValueError("accuracy must be a fraction in [0, 1], not a percentage")
    ax = _axes(ax)
    ax.plot(images_seen, 100 * accuracy, marker="o")
    ax.set_ylim(0, 100)
    ax.set_xlabel("training images")
    ax.set_ylabel("accuracy (%)")
    return ax


def _snapshot_mosaics(snapshots, images_seen, image_shape, n_shown, cmap):
    """Return (mosaics, images_seen, shared colour maximum, colour map) of the snapshots."""
    snapshots = np.asarray(snapshots, dtype=float)
    if snapshots.ndim != 3:
        raise ValueError(
            f"snapshots must have shape (n_snapshots, n_input, n_neurons), got {snapshots.shape}"
        )
    n_shown = snapshots.shape[2] if n_shown is None else min(int(n_shown), snapshots.shape[2])
    order = np.arange(n_shown)
    mosaics = [tile_receptive_fields(weights, image_shape, order=order) for weights in snapshots]
    images_seen = np.ravel(np.asarray(images_seen))
    if images_seen.size != len(mosaics):
        raise ValueError(f"{len(mosaics)} snapshots but {images_seen.size} values of images_seen")
    vmax = max(float(np.nanmax(m)) for m in mosaics) if mosaics else 1.0
    return mosaics, images_seen, vmax, plt.get_cmap(cmap).with_extremes(bad=_PADDING_COLOR)


def plot_learning_strip(snapshots, images_seen, image_shape=(28, 28), n_shown=None,
                        cmap="hot_r"):
    """Draw receptive fields taken at several points of training side by side.

    Panel ``k`` is the mosaic of :func:`tile_receptive_fields` for the first `n_shown`
    neurons of ``snapshots[k]``, titled with ``images_seen[k]``; all panels share one
    colour scale.

    Parameters
    ----------
    snapshots : array_like, shape (n_snapshots, n_input, n_neurons)
        Input weights at each snapshot.
    images_seen : array_like of int, shape (n_snapshots,)
        Training images presented before each snapshot.
    image_shape : tuple of int, optional
        Shape ``(height, width)`` of one input image.
    n_shown : int, optional
        Neurons drawn per panel (default: all).
    cmap : str or matplotlib.colors.Colormap, optional
        Colour map for the weights.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure, one Axes per snapshot.

    Examples
    --------
    >>> import numpy as np
    >>> weights = np.random.default_rng(0).uniform(0, 1, size=(2, 784, 9))
    >>> fig = plot_learning_strip(weights, [500, 1000])
    """
    mosaics, images_seen, vmax, colormap = _snapshot_mosaics(snapshots, images_seen, image_shape,
                                                             n_shown, cmap)
    fig, axes = plt.subplots(1, len(mosaics), figsize=(2.4 * len(mosaics), 2.8), squeeze=False)
    for ax, mosaic, seen in zip(axes[0], mosaics, images_seen):
        ax.imshow(mosaic, cmap=colormap, vmin=0, vmax=vmax, interpolation="nearest")
        ax.set_title(f"{int(seen):,} images", fontsize="small")
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


def animate_learning(snapshots, images_seen, image_shape=(28, 28), n_shown=None,
                     cmap="hot_r", interval_ms=500):
    """Return an animation of the receptive fields over training, one frame per snapshot.

    Frame ``k`` shows the same mosaic as panel ``k`` of :func:`plot_learning_strip`.
    Save it with ``animation.save("learning.gif", writer="pillow")``.

    Returns
    -------
    animation : matplotlib.animation.FuncAnimation
    """
    from matplotlib.animation import FuncAnimation

    mosaics, images_seen, vmax, colormap = _snapshot_mosaics(snapshots, images_seen, image_shape,
                                                             n_shown, cmap)
    if not mosaics:
        raise ValueError("an animation needs at least one snapshot")
    fig, ax = plt.subplots(figsize=(5, 5))
    image = ax.imshow(mosaics[0], cmap=colormap, vmin=0, vmax=vmax, interpolation="nearest")
    fig.colorbar(image, ax=ax, label="weight")
    ax.set_xticks([])
    ax.set_yticks([])
    title = ax.set_title("")

    def draw(k):
        image.set_data(mosaics[k])
        title.set_text(f"after {int(images_seen[k]):,} training images")
        return image, title

    draw(0)
    return FuncAnimation(fig, draw, frames=len(mosaics), interval=interval_ms, blit=False)


def plot_weight_histogram(weights, bins=50, ax=None) -> Axes:
    """Draw the distribution of all synaptic weights.

    Parameters
    ----------
    weights : array_like
        Dimensionless weights of any shape; all entries are counted.
    bins : int or array_like, optional
        Number of bins, or bin edges, as for :func:`numpy.histogram`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. A new figure is created when None.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> ax = plot_weight_histogram(np.random.default_rng(0).uniform(0, 1, (784, 100)))
    """
    weights = np.ravel(np.asarray(weights, dtype=float))
    ax = _axes(ax)
    ax.hist(weights, bins=bins)
    ax.set_xlabel("weight")
    ax.set_ylabel("number of synapses")
    return ax


def plot_raster(spike_indices, spike_times, ax=None, label=None, color=None) -> Axes:
    """Draw one dot per spike at (spike time, neuron index).

    Call it once per population on the same Axes to overlay them.

    Parameters
    ----------
    spike_indices : array_like of int, shape (n_spikes,)
        Index of the neuron that fired each spike.
    spike_times : Quantity or array_like, shape (n_spikes,)
        Time of each spike. Plain numbers are taken to be in ms.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. A new figure is created when None.
    label : str, optional
        Legend entry for these spikes; when given, the legend is (re)drawn.
    color : color, optional
        Dot colour. Defaults to the next colour of the Axes' cycle.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on.

    Examples
    --------
    >>> from brian2 import ms
    >>> ax = plot_raster([0, 2, 1], [1.5, 3.0, 7.25] * ms, label="excitatory")
    """
    spike_indices = np.ravel(np.asarray(spike_indices))
    times_ms = np.ravel(_in_unit(spike_times, ms, "spike_times"))
    if spike_indices.shape != times_ms.shape:
        raise ValueError(
            f"spike_indices and spike_times differ in length "
            f"({spike_indices.size} vs {times_ms.size})"
        )
    ax = _axes(ax)
    style = {"marker": ".", "s": 4, "linewidths": 0}
    if color is not None:
        style["color"] = color
    ax.scatter(times_ms, spike_indices, label=label, **style)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("neuron index")
    if label is not None:
        ax.legend(loc="upper right", markerscale=3)
    return ax


def plot_membrane(times, v, threshold=None, ax=None) -> Axes:
    """Draw membrane potential traces against time.

    Parameters
    ----------
    times : Quantity or array_like, shape (n_times,)
        Sample times. Plain numbers are taken to be in ms.
    v : Quantity or array_like, shape (n_times,) or (n_recorded, n_times)
        Membrane potential, one row per recorded neuron as in a Brian2
        ``StateMonitor``. Plain numbers are taken to be in mV.
    threshold : Quantity or array_like, optional
        Firing threshold, drawn dashed: a scalar gives a horizontal line; an
        array shaped like `v` (or like `times`) gives a line over time, e.g.
        ``v_thresh + theta`` of an adaptive neuron. Plain numbers are taken to
        be in mV.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. A new figure is created when None.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on. The membrane traces are its first lines.

    Examples
    --------
    >>> import numpy as np
    >>> from brian2 import ms, mV
    >>> t = np.arange(0, 20, 0.5) * ms
    >>> ax = plot_membrane(t, -65 * mV + 10 * mV * np.sin(t / (3 * ms)), threshold=-52 * mV)
    """
    times_ms = np.ravel(_in_unit(times, ms, "times"))
    v_mV = _in_unit(v, mV, "v")
    if v_mV.ndim not in (1, 2) or v_mV.shape[-1] != times_ms.size:
        raise ValueError(
            f"v must have shape (n_times,) or (n_recorded, n_times) with n_times = "
            f"{times_ms.size}, got {v_mV.shape}"
        )
    ax = _axes(ax)
    ax.plot(times_ms, v_mV.T)
    if threshold is not None:
        threshold_mV = _in_unit(threshold, mV, "threshold")
        style = {"color": "0.4", "linestyle": "--", "label": "threshold"}
        if threshold_mV.ndim == 0:
            ax.axhline(float(threshold_mV), **style)
        elif threshold_mV.shape[-1] == times_ms.size and threshold_mV.ndim <= 2:
            ax.plot(times_ms, threshold_mV.T, **style)
        else:
            raise ValueError(
                f"threshold must be a scalar or have n_times = {times_ms.size} "
                f"columns, got shape {threshold_mV.shape}"
            )
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("v (mV)")
    return ax


def plot_stdp_window(delta_t, delta_w, ax=None) -> Axes:
    """Draw the weight change against the pre/post spike time difference.

    The points are joined in order of increasing ``delta_t``.

    Parameters
    ----------
    delta_t : Quantity or array_like, shape (n_pairs,)
        Spike time difference ``t_post - t_pre``; positive when the
        postsynaptic spike comes later. Plain numbers are taken to be in ms.
    delta_w : array_like, shape (n_pairs,)
        Dimensionless weight change for each pair.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. A new figure is created when None.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> from brian2 import ms
    >>> delta_t = np.linspace(-50, 50, 21) * ms
    >>> delta_w = np.where(delta_t > 0, 0.01, -0.0001) * np.exp(-abs(delta_t) / (20 * ms))
    >>> ax = plot_stdp_window(delta_t, delta_w)
    """
    delta_t_ms = np.ravel(_in_unit(delta_t, ms, "delta_t"))
    delta_w = np.ravel(np.asarray(delta_w, dtype=float))
    if delta_t_ms.shape != delta_w.shape:
        raise ValueError(
            f"delta_t and delta_w differ in length ({delta_t_ms.size} vs {delta_w.size})"
        )
    order = np.argsort(delta_t_ms, kind="stable")
    ax = _axes(ax)
    ax.plot(delta_t_ms[order], delta_w[order], marker="o", markersize=3)
    ax.axhline(0, color="0.7", linewidth=0.8, zorder=0)
    ax.axvline(0, color="0.7", linewidth=0.8, zorder=0)
    ax.set_xlabel("\u0394t = t_post \u2212 t_pre (ms)")
    ax.set_ylabel("\u0394w")
    return ax


# --- cost and single-neuron plots -------------------------------------------------------------

__all__ += ["plot_early_exit", "plot_efficiency_tradeoff", "plot_rate_curve",
            "plot_synaptic_operations"]


def _fractions(accuracy, name="accuracy") -> np.ndarray:
    """Return `accuracy` as a 1-D float array, refusing values outside [0, 1]."""
    accuracy = np.ravel(np.asarray(accuracy, dtype=float))
    if np.any((accuracy < 0) | (accuracy > 1)):
        raise ValueError(f"{name} must be a fraction in [0, 1], not a percentage")
    return accuracy


def plot_efficiency_tradeoff(presentation_time_ms, accuracy, synops=None, ax=None, *,
                             estimated=False) -> Axes:
    """Draw accuracy against the cost of an image: its presentation time or its SynOps.

    Without `synops` the x axis is the presentation time per image.  With `synops`
    it is the number of synaptic operations per image, and each point is labelled
    with its presentation time.  Points are joined in order of increasing x.

    Parameters
    ----------
    presentation_time_ms : Quantity or array_like, shape (n_points,)
        Mean presentation time per image of each setting (for example the
        presentation time times the mean number of slots per image, retries
        included). Plain numbers are taken to be in ms.
    accuracy : array_like, shape (n_points,)
        Fraction of correct predictions, in ``[0, 1]``; it is drawn in percent.
    synops : array_like, shape (n_points,), optional
        Mean synaptic operations per image of each setting, for example the
        ``"total"`` of :func:`stdp_learn.efficiency.synaptic_operations`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. A new figure is created when None.
    estimated : bool
        The `synops` are estimates, not counts (as those of an early-exit curve): the
        axis and the legend say so.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on.

    Examples
    --------
    >>> ax = plot_efficiency_tradeoff([100, 200, 350], [0.61, 0.70, 0.74],
    ...                               synops=[8.1e4, 1.5e5, 2.6e5])
    """
    times_ms = np.ravel(_in_unit(presentation_time_ms, ms, "presentation_time_ms"))
    accuracy = _fractions(accuracy)
    if times_ms.shape != accuracy.shape:
        raise ValueError(
            f"presentation_time_ms and accuracy differ in length "
            f"({times_ms.size} vs {accuracy.size})"
        )
    if synops is None:
        x = times_ms
        xlabel = "presentation time per image (ms)"
    else:
        x = np.ravel(np.asarray(synops, dtype=float))
        if x.shape != accuracy.shape:
            raise ValueError(
                f"synops and accuracy differ in length ({x.size} vs {accuracy.size})"
            )
        xlabel = "synaptic operations per image"
        if estimated:
            xlabel = "estimated " + xlabel + " (scaled by the time shown)"
    order = np.argsort(x, kind="stable")
    ax = _axes(ax)
    label = "estimated SynOps" if synops is not None and estimated else None
    ax.plot(x[order], 100 * accuracy[order], marker="o", label=label)
    if synops is not None:
        for x_value, y_value, time_ms in zip(x, 100 * accuracy, times_ms):
            ax.annotate(
                f"{time_ms:.0f} ms",
                (x_value, y_value),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize="small",
            )
    ax.set_ylim(0, 100)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("accuracy (%)")
    if label is not None:
        ax.legend(loc="lower right")
    return ax


def plot_early_exit(curve, ax=None) -> Axes:
    """Draw an early-exit curve: accuracy against the estimated SynOps of each margin.

    Parameters
    ----------
    curve : sequence of dict
        Points of :func:`stdp_learn.readout.early_exit_curve` (or of the
        ``"early_exit"`` entry of ``metrics.json``), each with ``accuracy`` and
        ``mean_presentation_ms``.  With ``estimated_mean_synops`` in every point the x
        axis is those estimated operations, labelled as estimates; without, the
        presentation time.  (``mean_synops``, the name in older ``metrics.json`` files,
        holds the same estimate and is drawn as one.)
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. A new figure is created when None.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on.

    Examples
    --------
    >>> curve = [{"margin": 2.0, "accuracy": 0.6, "mean_presentation_ms": 120.0,
    ...           "estimated_mean_synops": 9.0e4},
    ...          {"margin": None, "accuracy": 0.7, "mean_presentation_ms": 350.0,
    ...           "estimated_mean_synops": 2.6e5}]
    >>> plot_early_exit(curve).get_xlabel()
    'estimated synaptic operations per image (scaled by the time shown)'
    """
    curve = list(curve)
    times_ms = [point["mean_presentation_ms"] for point in curve]
    accuracy = [point["accuracy"] for point in curve]
    synops = None
    for key in ("estimated_mean_synops", "mean_synops"):
        if curve and all(key in point for point in curve):
            synops = [point[key] for point in curve]
            break
    return plot_efficiency_tradeoff(times_ms, accuracy, synops=synops, ax=ax,
                                    estimated=synops is not None)


def plot_rate_curve(conductance, rate, theory_rate=None, ax=None, label=None) -> Axes:
    """Draw a neuron's firing rate against a constant input conductance.

    The measured rates are drawn as points; a theoretical curve, when given, as a
    line labelled ``theory``. Call it again on the same Axes to add another
    measurement.

    Parameters
    ----------
    conductance : array_like, shape (n_points,)
        Constant excitatory conductance, dimensionless (in units of the leak
        conductance, as ``ge`` in the model equations).
    rate : Quantity or array_like, shape (n_points,)
        Measured firing rate at each conductance. Plain numbers are taken to be
        in Hz.
    theory_rate : Quantity or array_like, shape (n_points,), optional
        Predicted firing rate at each conductance. Plain numbers are in Hz.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. A new figure is created when None.
    label : str, optional
        Legend entry of the measured rates; the legend is drawn when there is a
        label or a theory curve.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on.

    Examples
    --------
    >>> import numpy as np
    >>> from brian2 import Hz
    >>> g = np.linspace(0, 2, 5)
    >>> ax = plot_rate_curve(g, [0, 0, 40, 90, 120] * Hz, label="simulation")
    """
    from brian2 import Hz

    conductance = np.ravel(np.asarray(conductance, dtype=float))
    rate_hz = np.ravel(_in_unit(rate, Hz, "rate"))
    if conductance.shape != rate_hz.shape:
        raise ValueError(
            f"conductance and rate differ in length ({conductance.size} vs {rate_hz.size})"
        )
    ax = _axes(ax)
    ax.plot(conductance, rate_hz, marker="o", linestyle="none", label=label)
    if theory_rate is not None:
        theory_hz = np.ravel(_in_unit(theory_rate, Hz, "theory_rate"))
        if theory_hz.shape != conductance.shape:
            raise ValueError(
                f"conductance and theory_rate differ in length "
                f"({conductance.size} vs {theory_hz.size})"
            )
        order = np.argsort(conductance, kind="stable")
        ax.plot(conductance[order], theory_hz[order], color="0.3", label="theory")
    ax.set_xlabel("excitatory conductance (units of the leak conductance)")
    ax.set_ylabel("firing rate (Hz)")
    if label is not None or theory_rate is not None:
        ax.legend()
    return ax


def plot_synaptic_operations(operations, labels, ax=None) -> Axes:
    """Draw the synaptic operations per image of each projection, for several settings.

    One group of bars per setting, one bar per projection, on a logarithmic
    axis (the input projection outnumbers the lateral ones by orders of
    magnitude).

    Parameters
    ----------
    operations : sequence of dict
        One dict per setting, mapping each projection (``"input_exc"``,
        ``"exc_inh"``, ``"inh_exc"``) to its mean operations per image, as
        returned by :func:`stdp_learn.efficiency.synaptic_operations`.
    labels : sequence of str
        Name of each setting, shown under its group.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on. A new figure is created when None.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The Axes drawn on; its bar containers are in projection order.

    Examples
    --------
    >>> ops = [{"input_exc": 4.6e4, "exc_inh": 20.0, "inh_exc": 380.0},
    ...        {"input_exc": 2.1e4, "exc_inh": 12.0, "inh_exc": 228.0}]
    >>> ax = plot_synaptic_operations(ops, ["350 ms", "150 ms"])
    """
    projections = ("input_exc", "exc_inh", "inh_exc")
    operations = list(operations)
    labels = [str(label) for label in labels]
    if len(labels) != len(operations):
        raise ValueError(
            f"operations and labels differ in length ({len(operations)} vs {len(labels)})"
        )
    for setting in operations:
        missing = [name for name in projections if name not in setting]
        if missing:
            raise ValueError(f"operations lack the projection(s) {missing}")
    ax = _axes(ax)
    positions = np.arange(len(operations))
    width = 0.8 / len(projections)
    for k, projection in enumerate(projections):
        heights = [float(setting[projection]) for setting in operations]
        ax.bar(positions + (k - 1) * width, heights, width=width,
               label=projection.replace("_", "\u2192"))
    ax.set_yscale("log")
    low, high = ax.get_ylim()
    ax.set_ylim(low, high * 30)  # headroom for the legend above the bars
    ax.set_xticks(positions, labels)
    ax.set_ylabel("synaptic operations per image")
    ax.legend(loc="upper center", ncols=len(projections))
    return ax


# --- evaluation studies (stdp_learn.studies) ---------------------------------------------------

__all__ += ["plot_robustness", "plot_baselines", "plot_pruning", "plot_label_efficiency",
            "plot_memory"]


def plot_robustness(curve, ax=None, title=None) -> Axes:
    """Draw the accuracy of the network and the baselines against one corruption's level.

    Parameters
    ----------
    curve : sequence of dict
        Points ``{"level", "accuracy", "baselines": {name: accuracy}}`` of one corruption
        (`stdp_learn.studies.robustness_study`).
    ax : matplotlib.axes.Axes, optional
    title : str, optional
        The corruption's name.

    Examples
    --------
    >>> ax = plot_robustness([{"level": 0, "accuracy": 0.9, "baselines": {"mlp": 0.95}},
    ...                       {"level": 0.5, "accuracy": 0.7, "baselines": {"mlp": 0.4}}])
    """
    curve = list(curve)
    ax = _axes(ax)
    levels = [float(point["level"]) for point in curve]
    ax.plot(levels, 100 * _fractions([p["accuracy"] for p in curve]), marker="o", lw=2,
            label="spiking network")
    for name in curve[0]["baselines"] if curve else ():
        ax.plot(levels, 100 * _fractions([p["baselines"][name] for p in curve]), marker=".",
                ls="--", label=name.replace("_", " "))
    ax.set_ylim(0, 100)
    ax.set_xlabel("corruption level")
    ax.set_ylabel("accuracy (%)")
    if title:
        ax.set_title(title.replace("_", " "))
    ax.legend(fontsize="small")
    return ax


def plot_baselines(rows, ax=None) -> Axes:
    """Draw accuracy against operations per image for the network and the baselines.

    The network's operations are its synaptic operations (accumulates); a baseline's are
    its multiply-adds (plus the network's operations when it reads the spike counts).

    Examples
    --------
    >>> ax = plot_baselines([{"model": "network", "accuracy": 0.8, "multiply_adds": 0,
    ...                       "synaptic_operations": 1e5},
    ...                      {"model": "logistic", "accuracy": 0.9, "multiply_adds": 7840,
    ...                       "synaptic_operations": 0}])
    """
    ax = _axes(ax)
    costs = []
    for row in rows:
        cost = max(float(row["multiply_adds"]) + float(row["synaptic_operations"]), 1.0)
        costs.append(cost)
        ax.scatter([cost], [100 * float(row["accuracy"])], s=40)
        ax.annotate(row["model"].replace("_", " "), (cost, 100 * float(row["accuracy"])),
                    textcoords="offset points", xytext=(5, 3), fontsize="small")
    ax.set_xscale("log")
    if costs:  # room on the right for the names
        ax.set_xlim(min(costs) / 3, max(costs) * 100)
    ax.set_ylim(0, 100)
    ax.set_xlabel("operations per image (synaptic operations + multiply-adds)")
    ax.set_ylabel("accuracy (%)")
    return ax


def plot_pruning(curve, ax=None) -> Axes:
    """Draw accuracy, and synaptic operations per image, against the neurons kept.

    Examples
    --------
    >>> ax = plot_pruning([{"n_kept": 100, "accuracy": 0.8, "synaptic_operations": 2e5},
    ...                    {"n_kept": 50, "accuracy": 0.7, "synaptic_operations": 1e5}])
    """
    curve = list(curve)
    ax = _axes(ax)
    kept = [int(p["n_kept"]) for p in curve]
    ax.plot(kept, 100 * _fractions([p["accuracy"] for p in curve]), marker="o", label="accuracy")
    ax.set_ylim(0, 100)
    ax.set_xlabel("excitatory neurons kept")
    ax.set_ylabel("accuracy (%)")
    twin = ax.twinx()
    twin.plot(kept, [float(p["synaptic_operations"]) for p in curve], color="tab:orange",
              marker=".", ls="--", label="synaptic operations")
    twin.set_ylabel("synaptic operations per image")
    twin.set_ylim(bottom=0)
    ax.invert_xaxis()
    lines = ax.get_lines() + twin.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], fontsize="small", loc="lower left")
    return ax


def plot_label_efficiency(curve, ax=None, rstdp_curve=None) -> Axes:
    """Draw accuracy against the number of labelled images used to label the neurons.

    Examples
    --------
    >>> ax = plot_label_efficiency([{"n_labels": 100, "accuracy": 0.6,
    ...                              "accuracy_proportion_weighting": 0.62},
    ...                             {"n_labels": 1000, "accuracy": 0.8,
    ...                              "accuracy_proportion_weighting": 0.81}])
    """
    curve = list(curve)
    ax = _axes(ax)
    n_labels = [int(p["n_labels"]) for p in curve]
    ax.plot(n_labels, 100 * _fractions([p["accuracy"] for p in curve]), marker="o",
            label="label assignment (all activity)")
    ax.plot(n_labels, 100 * _fractions([p["accuracy_proportion_weighting"] for p in curve]),
            marker=".", ls="--", label="proportion weighting")
    if rstdp_curve:
        ax.plot([int(p["n_labels"]) for p in rstdp_curve],
                100 * _fractions([p["accuracy"] for p in rstdp_curve]), marker="s", ls=":",
                label="R-STDP readout")
    ax.set_xscale("log")
    ax.set_ylim(0, 100)
    ax.set_xlabel("labelled images")
    ax.set_ylabel("accuracy (%)")
    ax.legend(fontsize="small")
    return ax


def plot_memory(rows, brian2_bytes=None, ax=None) -> Axes:
    """Draw M = Mw + Mp + Ms in bytes as stacked bars, one per bit width, and Brian2's bytes.

    Examples
    --------
    >>> ax = plot_memory([{"bits": 32, "Mw": 8e6, "Mp": 1e4, "Ms": 100},
    ...                   {"bits": 8, "Mw": 2e6, "Mp": 3e3, "Ms": 100}], brian2_bytes=5e6)
    """
    rows = list(rows)
    ax = _axes(ax)
    labels = [f"{int(r['bits'])} bits" for r in rows]
    bottom = np.zeros(len(rows))
    for term, label in (("Mw", "weights Mw"), ("Mp", "neurons Mp"), ("Ms", "spike buffers Ms")):
        heights = np.array([float(r[term]) / 8 for r in rows])
        ax.bar(labels, heights, bottom=bottom, label=label)
        bottom += heights
    if brian2_bytes is not None:
        ax.bar(["Brian2 allocations"], [float(brian2_bytes)], color="grey",
               label="Brian2 (float64)")
    ax.set_ylabel("memory (bytes)")
    ax.legend(fontsize="small")
    return ax
