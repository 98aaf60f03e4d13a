"""The four corruptions: level 0 leaves images alone, level 1 does what its name says."""
import numpy as np
import pytest

from stdp_learn.corruptions import CORRUPTIONS, contrast, corrupt, gaussian_noise, occlusion, salt_and_pepper


@pytest.fixture
def images():
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, size=(20, 28, 28)).astype(np.uint8)


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_level_0_leaves_the_images_unchanged(name, images):
    for given in (images, images.reshape(20, -1), images.astype(float) * 0.99):
        out = corrupt(given, name, 0.0, seed=3)
        assert out.shape == given.shape and out.dtype == given.dtype
        np.testing.assert_array_equal(out, given)
        assert out is not given


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_the_same_seed_gives_the_same_images_and_levels_outside_0_1_are_refused(name, images):
    np.testing.assert_array_equal(corrupt(images, name, 0.3, seed=5), corrupt(images, name, 0.3, seed=5))
    for level in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            corrupt(images, name, level)


def test_full_gaussian_noise_is_as_wide_as_the_pixel_range():
    grey = np.full((50, 784), 128, dtype=np.uint8)
    out = gaussian_noise(grey, 1.0, rng=0).astype(float)
    # noise of sd 255 around 128, clipped: most pixels pinned at 0 or 255
    assert np.mean((out == 0) | (out == 255)) > 0.5
    assert abs(out.mean() - 128) < 5
    mild = gaussian_noise(grey, 0.1, rng=0).astype(float)
    assert 24 < np.std(mild - 128) < 27  # sd 25.5, hardly clipped


def test_salt_and_pepper_replaces_the_level_s_fraction_of_pixels(images):
    grey = np.full((50, 784), 128, dtype=np.uint8)
    full = salt_and_pepper(grey, 1.0, rng=0)
    assert set(np.unique(full)) == {0, 255}
    assert 0.45 < np.mean(full == 255) < 0.55
    part = salt_and_pepper(grey, 0.3, rng=0)
    assert 0.28 < np.mean(part != 128) < 0.32


def test_occlusion_blanks_one_square_of_the_level_s_area():
    white = np.full((30, 28, 28), 255, dtype=np.uint8)
    assert not occlusion(white, 1.0, rng=0).any()  # the whole image blank
    out = occlusion(white.reshape(30, -1), 0.25, rng=0).reshape(30, 28, 28)
    for image in out:
        rows, cols = np.nonzero(image == 0)
        assert rows.size == 14 * 14  # a quarter of the area: a 14x14 square
        assert rows.max() - rows.min() == 13 and cols.max() - cols.min() == 13
    tops = {int(np.nonzero(image == 0)[0].min()) for image in out}
    assert len(tops) > 1  # at a random place


def test_full_contrast_reduction_leaves_each_image_uniform_at_its_mean(images):
    out = contrast(images, 1.0).reshape(20, -1)
    means = np.rint(images.reshape(20, -1).mean(axis=1))
    np.testing.assert_array_equal(out, np.repeat(means[:, None], 784, axis=1))
    half = contrast(images, 0.5).reshape(20, -1).astype(float)
    spread = images.reshape(20, -1).std(axis=1)
    np.testing.assert_allclose(half.std(axis=1), spread / 2, rtol=0.02)


def test_each_corruption_draws_its_own_numbers(images):
    assert not np.array_equal(corrupt(images, "gaussian_noise", 0.5, seed=0),
                              corrupt(images, "gaussian_noise", 0.5, seed=1))
    with pytest.raises(ValueError, match="unknown corruption"):
        corrupt(images, "blur", 0.5)
