"""The order of the training images: file order (the paper) or a seeded shuffle per epoch."""
import numpy as np
import pytest

from stdp_learn import DiehlCook2015, load_mnist_sample
from stdp_learn.config import ConfigError
from stdp_learn.model import TrainingInterrupted
from stdp_learn.simulation import compiler_available

DEVICE = "cpp_standalone" if compiler_available() else "runtime"


def test_file_order_shows_image_p_mod_n():
    model = DiehlCook2015(random_state=3)
    np.testing.assert_array_equal(model._training_images(np.arange(250), 100), np.arange(250) % 100)


def test_shuffle_gives_every_epoch_its_own_seeded_permutation():
    positions = np.arange(300)
    shown = DiehlCook2015(random_state=3, shuffle=True)._training_images(positions, 100)
    epochs = shown.reshape(3, 100)
    for epoch in epochs:
        np.testing.assert_array_equal(np.sort(epoch), np.arange(100))
    assert not np.array_equal(epochs[0], np.arange(100))
    assert not np.array_equal(epochs[0], epochs[1])
    # the same seed, asked block by block, gives the same order; another seed another
    again = DiehlCook2015(random_state=3, shuffle=True)
    pieces = [again._training_images(positions[i: i + 70], 100) for i in range(0, 300, 70)]
    np.testing.assert_array_equal(np.concatenate(pieces), shown)
    other = DiehlCook2015(random_state=4, shuffle=True)._training_images(positions, 100)
    assert not np.array_equal(other, shown)


def test_shuffle_must_be_a_bool():
    with pytest.raises(ConfigError, match="shuffle must be True or False"):
        DiehlCook2015(shuffle="yes").configuration()


def test_shuffled_training_resumed_equals_file_order_training_on_the_shuffled_images(
        build_root, tmp_path):
    """A shuffled run learns what a file-order run learns from the images in that order,
    labels its neurons with the labels of the images it showed, and resumes to the same."""
    sample = load_mnist_sample()
    X, y = sample.X_train[:100], sample.y_train[:100]

    def model(shuffle):
        return DiehlCook2015(n_neurons=20, device=DEVICE, block_size=50, random_state=5,
                             build_dir=build_root, shuffle=shuffle)

    blocks = []
    checkpoint = tmp_path / "checkpoint.npz"
    with pytest.raises(TrainingInterrupted):
        model(True).fit(X, y, epochs=2, checkpoint=checkpoint, checkpoint_interval=1e9,
                        callback=lambda *a: blocks.append(a[1]),
                        stop_requested=lambda: len(blocks) >= 3)
    shuffled = DiehlCook2015.resume(checkpoint, X, y, device=DEVICE, build_dir=build_root)
    assert shuffled.shuffle is True

    shown = model(True)._training_images(np.arange(200), 100)
    in_order = model(False).fit(X[shown], y[shown])
    np.testing.assert_array_equal(shuffled.weights_, in_order.weights_)
    np.testing.assert_array_equal(shuffled.theta_, in_order.theta_)
    np.testing.assert_array_equal(shuffled.assignments_, in_order.assignments_)
    np.testing.assert_array_equal(shuffled.proportions_, in_order.proportions_)


@pytest.mark.parametrize("block, held_out, kept", [("last", (50, 60), (0, 50)),
                                                    ("first", (0, 10), (10, 60))])
def test_the_validation_split_comes_from_either_end_and_training_keeps_file_order(block, held_out, kept):
    from types import SimpleNamespace

    from stdp_learn.train import parse_arguments, split_images

    numbers = np.arange(60)
    data = SimpleNamespace(X_train=numbers[:, None] * np.ones((1, 4)), y_train=numbers,
                           X_test=None, y_test=None)
    args = parse_arguments(["mnist-sample", "--evaluate-on", "validation",
                            "--validation-size", "10", "--validation-block", block])
    split = split_images(data, args)
    np.testing.assert_array_equal(split["y_eval"], np.arange(*held_out))
    np.testing.assert_array_equal(split["y_train"], np.arange(*kept))
