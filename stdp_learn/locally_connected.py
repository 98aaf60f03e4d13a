"""A locally connected layer on the connectivity seam (`stdp_learn.connectivity`).

After Saunders et al. (2019): the image is covered by square patches, ``patch_size``
pixels on a side, one every ``stride`` pixels across and down, and each patch has its
own ``neurons_per_patch`` excitatory neurons that see only that patch.  The neurons
compete through their inhibitory partners: each inhibitory spike inhibits the other
neurons of its own patch (``competition="patch"``), or every other neuron of the layer
as in the fully connected network (``competition="layer"``, competition between
patches too).

Neuron ``n`` belongs to patch ``n // neurons_per_patch``; patches are numbered row by
row from the top left.  The layer's size is therefore fixed by its options: 28 x 28
MNIST images with the defaults (12-pixel patches every 4 pixels, 5 x 5 patches, 4
neurons each) make 100 neurons of 144 inputs each, 14,400 input synapses instead of the
fully connected layer's 78,400.

References
----------
Saunders, D. J., Patel, D., Hazan, H., Siegelmann, H. T. & Kozma, R. (2019). Locally
connected spiking neural networks for unsupervised feature learning. Neural Networks 119,
332-340.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .config import ConfigError, _check_number, block_from_dict, block_to_dict
from .connectivity import register_connectivity

__all__ = ["LocalPatches"]

_COMPETITION = ("patch", "layer")


@register_connectivity
@dataclass(frozen=True)
class LocalPatches:
    """Neurons in groups, each group connected to one square patch of the image.

    Parameters
    ----------
    patch_size : int
        Side of a patch in pixels.
    stride : int
        Pixels between the top left corners of neighbouring patches (across and down).
    neurons_per_patch : int
        Excitatory neurons that see each patch; the network must have
        ``n_patches * neurons_per_patch`` neurons (`n_neurons_for`).
    competition : {"patch", "layer"}
        Whom an inhibitory spike inhibits: the other neurons of its patch (explicit
        synapses, ``n_neurons * (neurons_per_patch - 1)`` of them), or every other
        neuron of the layer (the fully connected network's lateral inhibition).
    image_height, image_width : int or None
        The image's shape; None takes a square image of the network's input count
        (28 x 28 for MNIST's 784).
    patch_weight_sum : float or None
        What each neuron's weights are normalised to: 78 (default), the sum the paper
        gives each neuron over all 784 inputs; None: the paper's weight per input over
        the patch (see Notes).  Normalisation is switched on and off by
        ``ConnectivityParams.weight_sum`` (None: off).

    Notes
    -----
    Each neuron's weights are normalised to the paper's per-neuron sum, 78, over its
    patch alone, so that a neuron is driven as hard as the paper's: a patch's weights
    are then several times the paper's weight per input.  The alternative,
    ``patch_weight_sum=None``, keeps the paper's weight per input (``weight_sum *
    patch_inputs / n_input``: 14.3 for a 12 x 12 patch); its neurons get too little
    input and go quiet.  The default was chosen on the validation split: after 10,000
    training images (100 neurons, seed 0, the first 1,000 validation images) 64.80 %
    against 30.30 % (records ``validation/quick10000_local_sum78.json`` and
    ``validation/quick10000_local.json``).

    Examples
    --------
    >>> layer = LocalPatches(patch_size=12, stride=4, neurons_per_patch=4)
    >>> layer.n_neurons_for(784), layer.n_synapses(784, 100)
    (100, 14400)
    """

    name = "local"

    patch_size: int = 12
    stride: int = 4
    neurons_per_patch: int = 4
    competition: str = "patch"
    image_height: int | None = None
    image_width: int | None = None
    patch_weight_sum: float | None = 78.0

    def validate(self) -> "LocalPatches":
        """Raise `ConfigError` on a size that is not a positive whole number; return self."""
        for name in ("patch_size", "stride", "neurons_per_patch"):
            _check_number("LocalPatches", name, getattr(self, name), positive=True, integer=True)
        for name in ("image_height", "image_width"):
            if getattr(self, name) is not None:
                _check_number("LocalPatches", name, getattr(self, name), positive=True,
                              integer=True)
        if self.patch_weight_sum is not None:
            _check_number("LocalPatches", "patch_weight_sum", self.patch_weight_sum, positive=True)
        if (self.image_height is None) != (self.image_width is None):
            raise ConfigError("LocalPatches needs both image_height and image_width, or neither")
        if self.competition not in _COMPETITION:
            raise ConfigError(
                f"LocalPatches.competition must be one of {_COMPETITION}, got {self.competition!r}")
        return self

    # -- layout ---------------------------------------------------------------------------
    def image_shape(self, n_input) -> tuple[int, int]:
        """Return ``(height, width)`` of images of `n_input` pixels."""
        n_input = int(n_input)
        if self.image_height is not None:
            height, width = int(self.image_height), int(self.image_width)
            if height * width != n_input:
                raise ConfigError(f"the local layer's images are {height} x {width} pixels, "
                                  f"but the network has {n_input} inputs")
            return height, width
        side = math.isqrt(n_input)
        if side * side != n_input:
            raise ConfigError(f"{n_input} inputs are not a square image; give the local layer "
                              "image_height and image_width")
        return side, side

    def patch_corners(self, n_input) -> np.ndarray:
        """Return the top left ``(row, column)`` of each patch, row by row: (n_patches, 2)."""
        height, width = self.image_shape(n_input)
        if self.patch_size > min(height, width):
            raise ConfigError(f"patches of {self.patch_size} pixels do not fit in "
                              f"{height} x {width} images")
        rows = np.arange(0, height - self.patch_size + 1, self.stride)
        columns = np.arange(0, width - self.patch_size + 1, self.stride)
        return np.stack(np.meshgrid(rows, columns, indexing="ij"), axis=-1).reshape(-1, 2)

    def n_neurons_for(self, n_input) -> int:
        """Return the number of excitatory neurons the layer has on `n_input` inputs."""
        return len(self.patch_corners(n_input)) * int(self.neurons_per_patch)

    def _check_size(self, n_input, n_neurons):
        expected = self.n_neurons_for(n_input)
        if int(n_neurons) != expected:
            height, width = self.image_shape(n_input)
            raise ConfigError(
                f"the local layer on {height} x {width} images ({len(self.patch_corners(n_input))} "
                f"patches of {self.patch_size} pixels every {self.stride}, "
                f"{self.neurons_per_patch} neurons each) has {expected} neurons, not {n_neurons}; "
                f"use {expected} neurons or change the patches")

    def patch_of(self, n_neurons) -> np.ndarray:
        """Return the patch of every neuron, shape (n_neurons,)."""
        return np.arange(int(n_neurons)) // int(self.neurons_per_patch)

    def patch_pixels(self, n_input, patch) -> np.ndarray:
        """Return the flat pixel indices of `patch`, ascending."""
        height, width = self.image_shape(n_input)
        row, column = self.patch_corners(n_input)[patch]
        rows = np.arange(row, row + self.patch_size)
        columns = np.arange(column, column + self.patch_size)
        return (rows[:, np.newaxis] * width + columns[np.newaxis, :]).ravel()

    # -- the connectivity interface ---------------------------------------------------------
    def connect(self, synapses) -> None:
        """Connect every neuron to the pixels of its patch, in `synapse_index` order."""
        n_input, n_neurons = int(synapses.source.N), int(synapses.target.N)
        index = self.synapse_index(n_input, n_neurons)
        synapses.connect(i=index // n_neurons, j=index % n_neurons)

    def n_synapses(self, n_input, n_neurons) -> int:
        """Return ``n_neurons * patch_size ** 2``."""
        self._check_size(n_input, n_neurons)
        return int(n_neurons) * int(self.patch_size) ** 2

    def synapse_index(self, n_input, n_neurons) -> np.ndarray:
        """Return the flat indices ``pixel * n_neurons + neuron`` of the synapses, ascending."""
        self._check_size(n_input, n_neurons)
        n_neurons = int(n_neurons)
        pixels = np.stack([self.patch_pixels(n_input, patch) for patch in range(
            len(self.patch_corners(n_input)))])                     # (n_patches, patch inputs)
        neuron_pixels = pixels[self.patch_of(n_neurons)]            # (n_neurons, patch inputs)
        index = neuron_pixels * n_neurons + np.arange(n_neurons)[:, np.newaxis]
        return np.sort(index.ravel())

    def normalisation_target(self, weight_sum, n_input) -> float:
        """Return `patch_weight_sum`, or (None) `weight_sum` scaled to a patch (see Notes)."""
        if self.patch_weight_sum is not None:
            return float(self.patch_weight_sum)
        return weight_sum * int(self.patch_size) ** 2 / int(n_input)

    def inhibition_pairs(self, n_neurons):
        """Return ``(inhibitory, excitatory)`` indices: the other neurons of the same patch.

        With ``competition="layer"``, None: every excitatory neuron but the partner.
        """
        if self.competition == "layer":
            return None
        group = int(self.neurons_per_patch)
        source, target = np.divmod(np.arange(int(n_neurons) * group), group)
        target = (source // group) * group + target  # the neurons of the source's patch
        keep = source != target
        return source[keep], target[keep]

    def receptive_field(self, weights, image_shape, neuron) -> np.ndarray:
        """Return column `neuron` of the weights as the image: its patch in place, zero around."""
        return np.asarray(weights)[:, neuron].reshape(image_shape)

    def to_dict(self) -> dict:
        """Return the connectivity as JSON values."""
        return block_to_dict(self, "connectivity", self.name)

    @classmethod
    def from_dict(cls, values) -> "LocalPatches":
        """Rebuild the connectivity written by `to_dict`."""
        return block_from_dict(cls, values, "connectivity")
