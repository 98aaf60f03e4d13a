"""Corrupt images by a level in [0, 1], to measure how robust a classifier is.

Four corruptions, each ``f(images, level, rng)`` on pixel values 0-255: level 0 returns
the images unchanged and level 1 is the corruption at its fullest.

=====================  ===============================================================
corruption             at ``level``
=====================  ===============================================================
``gaussian_noise``     adds normal noise of standard deviation ``level x 255`` to every
                       pixel, clipped to 0-255 (level 1: noise as wide as the range)
``salt_and_pepper``    sets a fraction ``level`` of the pixels, chosen at random, to 0
                       or 255 with equal chance (level 1: every pixel black or white)
``occlusion``          blanks (sets to 0) one square covering a fraction ``level`` of
                       the image, at a random place in each image (level 1: the whole
                       image blank)
``contrast``           pulls every pixel towards the image's mean by ``level``:
                       ``mean + (1 - level) (x - mean)`` (level 1: a uniform image at
                       its mean brightness, no contrast left)
=====================  ===============================================================

Results are rounded to whole pixel values and returned as ``uint8`` in the shape given;
at level 0 a copy of the images is returned as given.
Every random draw comes from the generator `rng` (a `numpy.random.Generator` or a
seed), so a fixed seed gives the same corrupted images to the network and to the
baselines (`stdp_learn.baselines`), which makes their robustness curves comparable.

Examples
--------
>>> import numpy as np
>>> images = np.full((2, 4, 4), 200, dtype=np.uint8)
>>> occlusion(images, 0.25, rng=0).reshape(2, -1).sum(axis=1).tolist()  # 2x2 of 4x4 blanked
[2400, 2400]
>>> int(contrast(images, 1.0, rng=0).max())
200
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["CORRUPTIONS", "gaussian_noise", "salt_and_pepper", "occlusion", "contrast",
           "corrupt", "check_level"]


def check_level(level) -> float:
    """Return `level` as a float, refusing anything outside [0, 1]."""
    try:
        value = float(level)
    except (TypeError, ValueError):
        raise ValueError(f"a corruption level must be a number in [0, 1], got {level!r}") from None
    if not 0.0 <= value <= 1.0:  # also refuses NaN
        raise ValueError(f"a corruption level must lie in [0, 1], got {level!r}")
    return value


def _prepared(images, level, rng):
    images = np.asarray(images)
    if images.ndim < 2:
        raise ValueError(f"images must hold one image per row, got shape {images.shape}")
    flat = images.reshape(images.shape[0], -1).astype(np.float64)
    if flat.size and (flat.min() < 0 or flat.max() > 255):
        raise ValueError("pixel values must lie in 0..255")
    return images.shape, flat, check_level(level), np.random.default_rng(rng)


def _finished(flat, shape):
    return np.clip(np.rint(flat), 0, 255).astype(np.uint8).reshape(shape)


def gaussian_noise(images, level, rng=None) -> np.ndarray:
    """Return `images` plus normal noise of standard deviation ``level x 255``, clipped."""
    shape, flat, level, rng = _prepared(images, level, rng)
    if level == 0:
        return np.array(images, copy=True)
    flat = flat + rng.normal(0.0, level * 255.0, size=flat.shape)
    return _finished(flat, shape)


def salt_and_pepper(images, level, rng=None) -> np.ndarray:
    """Return `images` with a fraction `level` of pixels set to 0 or 255 (half each)."""
    shape, flat, level, rng = _prepared(images, level, rng)
    if level == 0:
        return np.array(images, copy=True)
    hit = rng.random(flat.shape) < level if level < 1 else np.ones(flat.shape, dtype=bool)
    white = rng.random(flat.shape) < 0.5
    flat = np.where(hit, np.where(white, 255.0, 0.0), flat)
    return _finished(flat, shape)


def _image_shape(shape):
    """Return (height, width) of images of array shape `shape` (square when given as rows)."""
    if len(shape) >= 3:
        return int(shape[1]), int(np.prod(shape[2:]))
    side = math.isqrt(int(shape[1]))
    if side * side != shape[1]:
        raise ValueError(f"occlusion needs square images or images of shape (n, height, width); "
                         f"got rows of {shape[1]} pixels")
    return side, side


def occlusion(images, level, rng=None) -> np.ndarray:
    """Return `images` with one blank square of area `level` (of the image) at a random place.

    The square's side is ``round(sqrt(level) x side)`` for square images (for an
    oblong image, that fraction of each side), so level 1 blanks the whole image.
    """
    shape, flat, level, rng = _prepared(images, level, rng)
    if level == 0:
        return np.array(images, copy=True)
    height, width = _image_shape(shape)
    rows = flat.reshape(-1, height, width)
    size_h, size_w = round(math.sqrt(level) * height), round(math.sqrt(level) * width)
    if size_h and size_w:
        tops = rng.integers(0, height - size_h + 1, size=rows.shape[0])
        lefts = rng.integers(0, width - size_w + 1, size=rows.shape[0])
        for image, top, left in zip(rows, tops, lefts):
            image[top: top + size_h, left: left + size_w] = 0.0
    return _finished(rows, shape)


def contrast(images, level, rng=None) -> np.ndarray:
    """Return `images` pulled towards each image's mean: ``mean + (1 - level)(x - mean)``.

    Draws no random numbers (`rng` is accepted for a common signature).
    """
    shape, flat, level, _ = _prepared(images, level, rng)
    if level == 0:
        return np.array(images, copy=True)
    mean = flat.mean(axis=1, keepdims=True)
    return _finished(mean + (1.0 - level) * (flat - mean), shape)


#: The corruptions by name, in the order the studies report them.
CORRUPTIONS = {"gaussian_noise": gaussian_noise, "salt_and_pepper": salt_and_pepper,
               "occlusion": occlusion, "contrast": contrast}


def corrupt(images, name, level, seed=0) -> np.ndarray:
    """Return `images` corrupted by the corruption `name` at `level`, drawn from `seed`.

    The seed is combined with the corruption's name, so that each corruption draws its
    own numbers and the same call always gives the same images.
    """
    if name not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {name!r}; choose from {list(CORRUPTIONS)}")
    rng = np.random.default_rng([int(seed), list(CORRUPTIONS).index(name)])
    return CORRUPTIONS[name](images, level, rng)
