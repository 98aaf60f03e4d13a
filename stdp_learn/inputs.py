"""Checks on images and labels before any simulation: what cannot be meant is refused.

The estimator takes ``(n_images, height, width)`` or ``(n_images, n_pixels)`` arrays of
pixel values 0-255 and integer class labels 0..K-1; everything else gets a one-line
`ValueError` here, before a network is built or a block runs.
"""
from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["as_image_rows", "blank_images", "check_labels", "images_digest"]


def as_image_rows(X, n_input=None):
    """Return images as float rows of pixel values 0-255, refusing what cannot be meant.

    `X` is ``(n_images, height, width)`` or ``(n_images, n_pixels)``; `n_input`, once a
    model has learned, is the number of pixels it expects.
    """
    X = np.asarray(X)
    if X.dtype == bool or not (np.issubdtype(X.dtype, np.integer) or np.issubdtype(X.dtype, np.floating)):
        raise ValueError(f"images must hold numbers (pixel values 0-255), got dtype {X.dtype}")
    if X.ndim < 2:
        raise ValueError(f"images must have shape (n_images, ...) with n_images first, got {X.shape}")
    if X.shape[0] == 0:
        raise ValueError("no images: X holds 0 images")
    if X.ndim == 2 and n_input is None and X.shape[0] == X.shape[1]:
        raise ValueError(
            f"X of shape {X.shape} is ambiguous: one {X.shape[0]}x{X.shape[1]} image, or "
            f"{X.shape[0]} images of {X.shape[1]} pixels?  Give one image as X[np.newaxis] "
            "(shape (1, h, w)); give images as rows with a third axis, X.reshape(n, h, w)"
        )
    flat = X.reshape(X.shape[0], -1)
    if n_input is not None and flat.shape[1] != n_input:
        hint = (" (one image? give it as X[np.newaxis])"
                if X.ndim == 2 and X.size == n_input else "")
        raise ValueError(
            f"images have {flat.shape[1]} pixels but the model was trained on {n_input}; "
            f"give images of the training size{hint}"
        )
    if not np.all(np.isfinite(flat)):
        raise ValueError("pixel values must be finite numbers 0-255; X holds NaN or infinity")
    low, high = float(np.min(flat)), float(np.max(flat))
    if low < 0 or high > 255:
        raise ValueError(f"pixel values must lie in 0..255, got values from {low:g} to {high:g}")
    if np.issubdtype(X.dtype, np.floating) and 0 < high <= 1 and np.any(flat != np.round(flat)):
        raise ValueError(
            f"pixel values look scaled to [0, 1] (largest {high:g}); this model takes 0-255 "
            "(a scaled image would be shown almost black): pass X * 255"
        )
    return flat.astype(np.float64)


def images_digest(X, y) -> str:
    """Return a fingerprint of training images and labels, to resume only on the same ones."""
    digest = hashlib.blake2b(np.ascontiguousarray(X).tobytes(), digest_size=16)
    if y is not None:
        digest.update(np.ascontiguousarray(y, dtype=np.int64).tobytes())
    return digest.hexdigest()


def blank_images(X) -> int:
    """Return how many images have no pixel above 0 (they never make the input fire)."""
    return int(np.count_nonzero(X.max(axis=1) <= 0))


def check_labels(X, y):
    """Return labels `y` of the images `X` as int64 class indices 0..K-1, or None.

    Whole numbers only: NaN, fractions and booleans are refused, as are negative labels
    and a length other than the images'.
    """
    if y is None:
        return None
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), one label per image, got {y.shape}")
    if y.dtype == bool:
        raise ValueError("labels must be whole class numbers 0, 1, ..., got booleans")
    if np.issubdtype(y.dtype, np.floating):
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError("labels must be whole class numbers 0, 1, ...; y holds NaN or fractions")
        y = y.astype(np.int64)
    elif not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"labels must be whole class numbers 0, 1, ..., got dtype {y.dtype}")
    if y.size and y.min() < 0:
        raise ValueError(f"labels must be class numbers 0, 1, ..., got {y.min()}")
    return y
