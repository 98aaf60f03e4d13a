"""Tests of the dataset registry in stdp_learn.data: specs, registration, arrays.

A dataset is registered at test time from small IDX files written into
tmp_path; downloads go to a fake server, never to the network.
"""

import dataclasses
import gzip
import hashlib
import io

import numpy as np
import pytest

from stdp_learn import data
from stdp_learn.data import (
    DATASETS,
    DataError,
    Dataset,
    DatasetSpec,
    as_dataset,
    dataset_names,
    load_dataset,
    load_mnist_sample,
    register_dataset,
    write_idx,
)

FILES = ("letters-train-images", "letters-train-labels",
         "letters-test-images", "letters-test-labels")
IMAGE_SHAPE = (4, 5)
N_CLASSES = 3
MIRROR = "https://letters.example/files/"


def refuse_network(url, timeout=None):
    raise AssertionError(f"the test tried to open {url}")


@pytest.fixture(autouse=True)
def isolated_registry(tmp_path, monkeypatch):
    """Restore the registry after each test, cache into tmp_path, forbid the network."""
    monkeypatch.setattr(data, "DATASETS", dict(DATASETS))
    monkeypatch.delenv("STDP_LEARN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    monkeypatch.setattr(data, "_urlopen", refuse_network)


def letters_arrays():
    """Return small arrays of 4 x 5 images in 3 classes, every class present."""
    generator = np.random.default_rng(7)
    return {
        FILES[0]: generator.integers(0, 256, (6, *IMAGE_SHAPE), np.uint8),
        FILES[1]: np.array([0, 1, 2, 2, 1, 0], np.uint8),
        FILES[2]: generator.integers(0, 256, (3, *IMAGE_SHAPE), np.uint8),
        FILES[3]: np.array([2, 0, 1], np.uint8),
    }


def content_md5(path):
    content = path.read_bytes()
    if path.name.endswith(".gz"):
        content = gzip.decompress(content)
    return hashlib.md5(content).hexdigest()


def write_letters(folder, arrays, suffix=".gz"):
    """Write the arrays as IDX into folder; return {file name: MD5 of content}."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        write_idx(folder / f"{name}{suffix}", array)
    return {name: content_md5(folder / f"{name}{suffix}") for name in arrays}


def letters_spec(checksums, **changes):
    fields = dict(name="letters", files=checksums, image_shape=IMAGE_SHAPE, n_classes=N_CLASSES,
                  title="Letters", description="four letters, made up for the tests")
    fields.update(changes)
    return DatasetSpec(**fields)


# Registration and loading by name


def test_registered_idx_dataset_loads_by_name(tmp_path):
    arrays = letters_arrays()
    folder = tmp_path / "letters"
    register_dataset(letters_spec(write_letters(folder, arrays)))
    assert dataset_names()[-1] == "letters"
    dataset = load_dataset("letters", folder)
    assert isinstance(dataset, Dataset)
    assert dataset.image_shape == IMAGE_SHAPE
    assert dataset.n_classes == N_CLASSES
    np.testing.assert_array_equal(dataset.X_train, arrays[FILES[0]])
    assert dataset.y_test.tolist() == [2, 0, 1] and dataset.y_test.dtype == np.int64
    X_train, y_train, X_test, y_test = dataset  # still unpacks as four arrays
    assert X_test.shape == (3, *IMAGE_SHAPE)


def test_registered_checksum_mismatch_is_refused(tmp_path):
    arrays = letters_arrays()
    folder = tmp_path / "letters"
    checksums = write_letters(folder, arrays)
    checksums[FILES[2]] = hashlib.md5(b"other content").hexdigest()
    register_dataset(letters_spec(checksums))
    with pytest.raises(DataError, match=r"letters-test-images.gz: checksum mismatch.*Letters"
                       ) as caught:
        load_dataset("letters", folder)
    assert "\n" not in str(caught.value)


def test_sha256_checksums_are_accepted_and_checked(tmp_path):
    arrays = letters_arrays()
    folder = tmp_path / "letters"
    write_letters(folder, arrays, suffix="")
    checksums = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in FILES}
    register_dataset(letters_spec(checksums))
    assert load_dataset("letters", folder).n_classes == N_CLASSES

    checksums[FILES[1]] = "0" * 64
    register_dataset(letters_spec(checksums), replace=True)
    with pytest.raises(DataError, match=r"letters-train-labels: checksum mismatch.*SHA-256"):
        load_dataset("letters", folder)


def test_labels_beyond_the_registered_classes_are_refused(tmp_path):
    arrays = letters_arrays()
    arrays[FILES[1]][4] = 3
    folder = tmp_path / "letters"
    register_dataset(letters_spec(write_letters(folder, arrays)))
    with pytest.raises(DataError, match=r"label 3 at position 4 is outside 0\.\.2.*Letters"):
        load_dataset("letters", folder)


def test_images_of_another_size_than_registered_are_refused(tmp_path):
    folder = tmp_path / "letters"
    register_dataset(letters_spec(write_letters(folder, letters_arrays()), image_shape=(5, 4)))
    with pytest.raises(DataError, match=r"images of \(4, 5\) pixels but Letters images have"):
        load_dataset("letters", folder)


def test_unknown_name_lists_the_registry(tmp_path):
    register_dataset(letters_spec(write_letters(tmp_path / "letters", letters_arrays())))
    with pytest.raises(DataError) as caught:
        load_dataset("cifar")
    assert str(caught.value) == (
        "unknown dataset 'cifar'; choose one of 'mnist', 'mnist-sample', 'fashion-mnist', "
        "'kuzushiji-mnist', 'letters'"
    )


def test_duplicate_registration_is_refused(tmp_path):
    checksums = write_letters(tmp_path / "letters", letters_arrays())
    first = register_dataset(letters_spec(checksums))
    with pytest.raises(DataError, match=r"'letters' is registered already.*replace=True"):
        register_dataset(letters_spec(checksums, n_classes=5))
    assert data.DATASETS["letters"] is first
    with pytest.raises(DataError, match=r"'mnist' is registered already"):
        register_dataset(letters_spec(checksums, name="mnist"))

    second = register_dataset(letters_spec(checksums, n_classes=5), replace=True)
    assert data.DATASETS["letters"] is second
    assert dataset_names().count("letters") == 1


def test_register_takes_only_specs():
    with pytest.raises(TypeError, match="takes a DatasetSpec, got dict"):
        register_dataset({"name": "letters"})


def test_missing_files_of_a_dataset_without_mirrors(tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    register_dataset(letters_spec(write_letters(elsewhere, letters_arrays())))
    # STDP_LEARN_DATA names MNIST's folder; other datasets are not looked for there.
    monkeypatch.setenv("STDP_LEARN_DATA", str(elsewhere))
    with pytest.raises(DataError, match=r"Letters files are missing from the cache folder .*"
                       r"letters: letters-train-images\[\.gz\].*no download mirrors"):
        load_dataset("letters", download=True)
    assert not (tmp_path / "cache-home").exists()
    assert load_dataset("letters", elsewhere).n_classes == N_CLASSES


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"files": {"only-one": "0" * 32}}, r"files must name 4 files"),
        ({"files": dict.fromkeys(FILES, "not hex")}, r"checksum of letters-train-images must be"),
        ({"image_shape": (28, 0)}, r"image_shape must be positive whole numbers"),
        ({"n_classes": 0}, r"n_classes must be a positive whole number"),
        ({"mirrors": ("https://no-slash.example",)}, r"must end with '/'"),
    ],
)
def test_spec_fields_that_cannot_work(changes, message):
    with pytest.raises(DataError, match=message):
        letters_spec(dict.fromkeys(FILES, "0" * 32), **changes)


# Download of a registered dataset


class FakeServer:
    """Serve gzipped IDX bytes for the files under MIRROR, recording requests."""

    def __init__(self, arrays, corrupt=()):
        self.arrays = arrays
        self.corrupt = corrupt
        self.requested = []

    def __call__(self, url, timeout=None):
        self.requested.append(url)
        name = url.removeprefix(MIRROR).removesuffix(".gz")
        folder = io.BytesIO()
        content = self.arrays[name]
        header = bytes([0, 0, 0x08, content.ndim]) + b"".join(
            size.to_bytes(4, "big") for size in content.shape)
        payload = header + content.tobytes()
        if name in self.corrupt:
            payload = payload[:-1] + bytes([payload[-1] ^ 0xFF])
        folder.write(gzip.compress(payload))
        folder.seek(0)
        return folder


def test_registered_dataset_downloads_into_its_cache_folder(tmp_path, monkeypatch):
    arrays = letters_arrays()
    checksums = write_letters(tmp_path / "reference", arrays)
    register_dataset(letters_spec(checksums, mirrors=(MIRROR,)))
    server = FakeServer(arrays)
    monkeypatch.setattr(data, "_urlopen", server)
    dataset = load_dataset("letters")
    assert server.requested == [f"{MIRROR}{name}.gz" for name in FILES]
    cache = tmp_path / "cache-home" / "stdp_learn" / "letters"
    assert sorted(path.name for path in cache.iterdir()) == sorted(f"{n}.gz" for n in FILES)
    np.testing.assert_array_equal(dataset.X_test, arrays[FILES[2]])
    assert dataset.n_classes == N_CLASSES


def test_registered_download_checksum_mismatch_keeps_nothing(tmp_path, monkeypatch):
    arrays = letters_arrays()
    checksums = write_letters(tmp_path / "reference", arrays)
    register_dataset(letters_spec(checksums, mirrors=(MIRROR,)))
    monkeypatch.setattr(data, "_urlopen", FakeServer(arrays, corrupt={FILES[1]}))
    with pytest.raises(DataError, match=r"letters-train-labels.gz: download failed from every "
                       r"mirror .*checksum mismatch.*four Letters files yourself") as caught:
        load_dataset("letters")
    assert "\n" not in str(caught.value)
    cache = tmp_path / "cache-home" / "stdp_learn" / "letters"
    assert [path.name for path in cache.iterdir()] == [f"{FILES[0]}.gz"]


# The packaged sample and the Dataset properties


def test_sample_is_registered_with_its_shape_and_classes():
    sample = load_dataset("mnist-sample")
    assert sample.image_shape == DATASETS["mnist-sample"].image_shape == (28, 28)
    assert sample.n_classes == DATASETS["mnist-sample"].n_classes == 10
    np.testing.assert_array_equal(sample.y_train, load_mnist_sample().y_train)


def test_sample_checksums_are_checked():
    spec = DATASETS["mnist-sample"]
    files = dict(spec.files, **{"t10k-labels-idx1-ubyte": "0" * 32})
    register_dataset(dataclasses.replace(spec, files=files), replace=True)
    with pytest.raises(DataError, match=r"packaged file .*t10k-labels.*checksum mismatch.*"
                       r"reinstall stdp_learn"):
        load_mnist_sample()


# Arrays already in memory


def test_as_dataset_round_trip():
    generator = np.random.default_rng(3)
    X_train = generator.integers(0, 256, (5, 3, 2), np.uint8)
    X_test = generator.random((2, 3, 2)) * 255
    dataset = as_dataset(X_train, [0, 4, 1, 1, 0], X_test, np.array([2, 3]), name="mine")
    assert dataset.image_shape == (3, 2)
    assert dataset.n_classes == 5
    assert dataset.X_train is X_train and dataset.X_test is X_test
    assert dataset.y_train.dtype == np.int64 and dataset.y_train.tolist() == [0, 4, 1, 1, 0]
    X_train_back, y_train_back, X_test_back, y_test_back = dataset
    np.testing.assert_array_equal(y_test_back, [2, 3])


def test_as_dataset_takes_feature_rows():
    dataset = as_dataset(np.zeros((3, 784)), [0, 1, 1], np.ones((1, 784)), [1])
    assert dataset.image_shape == (784,) and dataset.n_classes == 2


@pytest.mark.parametrize(
    "arrays, message",
    [
        ((np.zeros(4), [0] * 4, np.zeros((1, 2)), [0]),
         r"mine: X_train must have shape \(n, rows, columns\) or \(n, features\), got \(4,\)"),
        ((np.zeros((0, 2)), [], np.zeros((1, 2)), [0]), r"mine: X_train holds no images"),
        ((np.zeros((2, 2), bool), [0, 1], np.zeros((1, 2)), [0]),
         r"X_train must hold pixel values"),
        ((np.full((2, 2), 256), [0, 1], np.zeros((1, 2)), [0]),
         r"values from 256 to 256.*0\.\.255"),
        ((np.full((2, 2), np.nan), [0, 1], np.zeros((1, 2)), [0]), r"X_train holds NaN"),
        ((np.zeros((2, 2)), [0, 1], np.zeros((1, 3)), [0]),
         r"X_train has images of shape \(2,\) but X_test has \(3,\)"),
        ((np.zeros((2, 2)), [0, 1, 1], np.zeros((1, 2)), [0]),
         r"mine: X_train holds 2 images but y_train holds 3 labels"),
        ((np.zeros((2, 2)), [0.0, 1.0], np.zeros((1, 2)), [0]),
         r"y_train must hold integer labels 0\.\.K-1, got dtype float64; .*astype\(int\)"),
        ((np.zeros((2, 2)), [True, False], np.zeros((1, 2)), [0]), r"got dtype bool"),
        ((np.zeros((2, 2)), [[0, 1]], np.zeros((1, 2)), [0]), r"y_train must be 1-D"),
        ((np.zeros((2, 2)), [0, 1], np.zeros((1, 2)), [-1]),
         r"mine: y_test has label -1 at position 0; labels must be 0\.\.K-1"),
    ],
)
def test_as_dataset_refuses(arrays, message):
    with pytest.raises(DataError, match=message) as caught:
        as_dataset(*arrays, name="mine")
    assert "\n" not in str(caught.value)
