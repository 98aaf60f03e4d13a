"""Tests of stdp_learn.data: IDX reading and writing, MNIST checks and download.

The tests never use the network: the module's URL opener is replaced by fakes.
Tests on the full MNIST files run only when STDP_LEARN_DATA names their folder.
"""

import dataclasses
import gzip
import hashlib
import io
import os
import pathlib
import struct
import urllib.error

import numpy as np
import pytest

from stdp_learn import data
from stdp_learn.data import (
    DataError,
    Dataset,
    default_data_dir,
    load_dataset,
    load_mnist,
    load_mnist_sample,
    read_idx,
    write_idx,
)

# Read before the autouse fixture below removes the variable from each test's
# environment, so that only the tests meant for real data see it.
REAL_DATA_DIR = os.environ.get("STDP_LEARN_DATA")
needs_real_data = pytest.mark.skipif(
    not REAL_DATA_DIR, reason="set STDP_LEARN_DATA to the folder of the full MNIST files"
)

MNIST_NAMES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
TRAIN_CLASS_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_CLASS_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def refuse_network(url, timeout=None):
    raise AssertionError(f"the test tried to open {url}")


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """Point the cache into tmp_path, hide STDP_LEARN_DATA and forbid the network."""
    monkeypatch.delenv("STDP_LEARN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    monkeypatch.setattr(data, "_urlopen", refuse_network)


@pytest.fixture
def cache_folder(tmp_path):
    return tmp_path / "cache-home" / "stdp_learn" / "mnist"


def idx_bytes(array):
    """Return the uncompressed IDX encoding of a uint8 array, built independently."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def fake_mnist(n_train=6, n_test=4, rows=3, columns=2, seed=0):
    """Return small MNIST-like arrays keyed by the standard file names."""
    generator = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": generator.integers(0, 256, (n_train, rows, columns), np.uint8),
        "train-labels-idx1-ubyte": generator.integers(0, 10, n_train, np.uint8),
        "t10k-images-idx3-ubyte": generator.integers(0, 256, (n_test, rows, columns), np.uint8),
        "t10k-labels-idx1-ubyte": generator.integers(0, 10, n_test, np.uint8),
    }


def trust_checksums(monkeypatch, arrays):
    """Make the registered MNIST accept the given arrays (of 3 x 2 images, as fake_mnist
    makes them) instead of the official files."""
    table = {name: hashlib.md5(idx_bytes(arrays[name])).hexdigest() for name in MNIST_NAMES}
    fake = dataclasses.replace(data.DATASETS["mnist"], files=table, image_shape=(3, 2))
    monkeypatch.setitem(data.DATASETS, "mnist", fake)


def write_fake_folder(folder, monkeypatch, arrays, trusted=None):
    """Write raw IDX files into folder; trust the MD5 of `trusted` (default: all)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        (folder / name).write_bytes(idx_bytes(array))
    trust_checksums(monkeypatch, arrays if trusted is None else trusted)
    return folder


class FakeServer:
    """Stand in for urllib's urlopen, serving bytes per URL and recording requests."""

    def __init__(self, respond):
        self.respond = respond
        self.requested = []

    def __call__(self, url, timeout=None):
        self.requested.append(url)
        return io.BytesIO(self.respond(url))


def file_name_of(url):
    return url.rsplit("/", 1)[1]


# IDX reading and writing


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("shape", [(7,), (5, 4, 3), (2, 3, 4, 5)])
def test_idx_round_trip(tmp_path, suffix, shape):
    array = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    path = tmp_path / f"array-idx{len(shape)}-ubyte{suffix}"
    write_idx(path, array)
    loaded = read_idx(path)
    assert loaded.dtype == np.uint8
    np.testing.assert_array_equal(loaded, array)
    # The temporary file used for the atomic write must be gone.
    assert [entry.name for entry in tmp_path.iterdir()] == [path.name]


def test_written_idx_has_the_standard_layout(tmp_path):
    array = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.uint8)
    write_idx(tmp_path / "raw", array)
    write_idx(tmp_path / "packed.gz", array)
    assert (tmp_path / "raw").read_bytes() == idx_bytes(array)
    assert gzip.decompress((tmp_path / "packed.gz").read_bytes()) == idx_bytes(array)


def test_gzip_output_is_reproducible(tmp_path):
    array = np.random.default_rng(2).integers(0, 256, (10, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / "first.gz", array)
    write_idx(tmp_path / "second.gz", array)
    first = (tmp_path / "first.gz").read_bytes()
    assert first == (tmp_path / "second.gz").read_bytes()
    assert first[4:8] == b"\x00\x00\x00\x00"  # gzip mtime field


def test_read_idx_returns_writable_array(tmp_path):
    write_idx(tmp_path / "array", np.zeros(3, dtype=np.uint8))
    loaded = read_idx(tmp_path / "array")
    loaded[0] = 9
    assert loaded[0] == 9


def test_write_idx_rejects_other_dtypes(tmp_path):
    with pytest.raises(DataError, match="dtype float64.*astype"):
        write_idx(tmp_path / "floats", np.zeros((2, 2)))
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_truncated_file(tmp_path, suffix):
    content = idx_bytes(np.arange(24, dtype=np.uint8).reshape(2, 3, 4))[:-1]
    path = tmp_path / f"short{suffix}"
    path.write_bytes(gzip.compress(content) if suffix else content)
    with pytest.raises(DataError, match=r"short.*truncated.*needs 40 bytes.*only 39") as caught:
        read_idx(path)
    assert "\n" not in str(caught.value)


def test_truncated_header(tmp_path):
    path = tmp_path / "header-only"
    path.write_bytes(bytes([0, 0, 0x08, 3, 0, 0, 0, 2]))
    with pytest.raises(DataError, match="truncated.*16-byte header"):
        read_idx(path)


def test_wrong_magic_number(tmp_path):
    path = tmp_path / "not-idx"
    path.write_bytes(b"\x08\x03\x00\x00" + bytes(20))
    with pytest.raises(DataError, match=r"not-idx: not an IDX file: magic number 0x08030000"):
        read_idx(path)


def test_unsupported_element_type(tmp_path):
    path = tmp_path / "floats-idx1"
    path.write_bytes(bytes([0, 0, 0x0D, 1]) + struct.pack(">I", 1) + bytes(4))
    with pytest.raises(DataError, match=r"element type 0x0d \(float\) is not supported"):
        read_idx(path)


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_trailing_garbage(tmp_path, suffix):
    content = idx_bytes(np.arange(6, dtype=np.uint8)) + b"junk"
    path = tmp_path / f"padded{suffix}"
    path.write_bytes(gzip.compress(content) if suffix else content)
    with pytest.raises(DataError, match="4 trailing bytes after the 14 bytes"):
        read_idx(path)


def corrupt_stream(kind):
    good = gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8)), mtime=0)
    if kind == "cut short":  # EOFError inside gzip
        return good[: len(good) // 2]
    if kind == "bad crc":  # gzip.BadGzipFile
        return good[:-8] + bytes([good[-8] ^ 0xFF]) + good[-7:]
    if kind == "bad deflate block":  # zlib.error
        return good[:10] + b"\xff" * 30
    return idx_bytes(np.arange(200, dtype=np.uint8))  # not gzip at all


@pytest.mark.parametrize("kind", ["cut short", "bad crc", "bad deflate block", "not gzip"])
def test_corrupt_gzip(tmp_path, kind):
    path = tmp_path / "broken-idx1-ubyte.gz"
    path.write_bytes(corrupt_stream(kind))
    with pytest.raises(DataError, match=r"broken-idx1-ubyte.gz: corrupt gzip data") as caught:
        read_idx(path)
    assert "\n" not in str(caught.value)


# Checks made by load_mnist on local folders


def test_load_mnist_reads_a_folder(tmp_path, monkeypatch):
    arrays = fake_mnist()
    folder = write_fake_folder(tmp_path / "mnist", monkeypatch, arrays)
    dataset = load_mnist(folder)
    assert isinstance(dataset, Dataset)
    np.testing.assert_array_equal(dataset.X_train, arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(dataset.y_test, arrays["t10k-labels-idx1-ubyte"])
    assert dataset.X_train.dtype == np.uint8
    assert dataset.y_train.dtype == np.int64 and dataset.y_test.dtype == np.int64


def test_load_mnist_uses_environment_folder(tmp_path, monkeypatch):
    arrays = fake_mnist(seed=3)
    folder = write_fake_folder(tmp_path / "from-env", monkeypatch, arrays)
    monkeypatch.setenv("STDP_LEARN_DATA", str(folder))
    np.testing.assert_array_equal(load_mnist().y_train, arrays["train-labels-idx1-ubyte"])


def test_count_mismatch_names_both_files(tmp_path, monkeypatch):
    arrays = fake_mnist(n_train=6)
    arrays["train-labels-idx1-ubyte"] = arrays["train-labels-idx1-ubyte"][:5]
    folder = write_fake_folder(tmp_path / "mnist", monkeypatch, arrays)
    with pytest.raises(
        DataError,
        match=r"train-images-idx3-ubyte holds 6 images but .*train-labels-idx1-ubyte holds 5",
    ):
        load_mnist(folder)


def test_label_out_of_range(tmp_path, monkeypatch):
    arrays = fake_mnist()
    arrays["t10k-labels-idx1-ubyte"][2] = 11
    folder = write_fake_folder(tmp_path / "mnist", monkeypatch, arrays)
    with pytest.raises(
        DataError, match=r"t10k-labels-idx1-ubyte: label 11 at position 2 is outside 0\.\.9"
    ):
        load_mnist(folder)


def test_images_must_be_three_dimensional(tmp_path, monkeypatch):
    arrays = fake_mnist()
    arrays["train-images-idx3-ubyte"] = arrays["train-images-idx3-ubyte"].reshape(6, 6)
    folder = write_fake_folder(tmp_path / "mnist", monkeypatch, arrays)
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: images must be 3-D"):
        load_mnist(folder)


def test_train_and_test_image_sizes_must_agree(tmp_path, monkeypatch):
    arrays = fake_mnist()
    arrays["t10k-images-idx3-ubyte"] = arrays["t10k-images-idx3-ubyte"].reshape(4, 2, 3)
    folder = write_fake_folder(tmp_path / "mnist", monkeypatch, arrays)
    with pytest.raises(DataError, match=r"images of \(3, 2\) pixels but .* has \(2, 3\)"):
        load_mnist(folder)


def test_local_checksum_mismatch(tmp_path, monkeypatch):
    arrays = fake_mnist()
    trusted = dict(arrays, **{"t10k-images-idx3-ubyte": arrays["t10k-images-idx3-ubyte"] + 1})
    folder = write_fake_folder(tmp_path / "mnist", monkeypatch, arrays, trusted=trusted)
    with pytest.raises(
        DataError, match=r"t10k-images-idx3-ubyte: checksum mismatch.*not the official MNIST"
    ):
        load_mnist(folder)


def test_gzipped_and_raw_files_can_be_mixed(tmp_path, monkeypatch):
    arrays = fake_mnist()
    folder = write_fake_folder(tmp_path / "mnist", monkeypatch, arrays)
    raw = folder / "train-images-idx3-ubyte"
    write_idx(folder / "train-images-idx3-ubyte.gz", read_idx(raw))
    raw.unlink()
    np.testing.assert_array_equal(load_mnist(folder).X_train, arrays["train-images-idx3-ubyte"])


def test_sha256sums_are_checked(tmp_path, monkeypatch):
    arrays = fake_mnist()
    folder = write_fake_folder(tmp_path / "mnist", monkeypatch, arrays)
    lines = [
        f"{hashlib.sha256((folder / name).read_bytes()).hexdigest()}  {name}"
        for name in MNIST_NAMES
    ]
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    load_mnist(folder)  # matching sums pass

    lines[1] = "0" * 64 + "  train-labels-idx1-ubyte"
    (folder / "SHA256SUMS").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte: SHA-256 .* listed in"):
        load_mnist(folder)


def test_malformed_sha256sums(tmp_path, monkeypatch):
    folder = write_fake_folder(tmp_path / "mnist", monkeypatch, fake_mnist())
    (folder / "SHA256SUMS").write_text("not a checksum line\n")
    with pytest.raises(DataError, match=r"SHA256SUMS: line 1 is not"):
        load_mnist(folder)


def test_missing_explicit_folder(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DataError, match=r"nowhere \(from the data_dir argument\) does not exist"):
        load_mnist(missing)
    assert not missing.exists()


def test_missing_environment_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("STDP_LEARN_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match=r"nowhere \(from STDP_LEARN_DATA\) does not exist"):
        load_mnist()


def test_missing_file_is_not_downloaded_into_explicit_folder(tmp_path, monkeypatch):
    arrays = fake_mnist()
    folder = write_fake_folder(tmp_path / "mnist", monkeypatch, arrays)
    (folder / "t10k-labels-idx1-ubyte").unlink()
    # The autouse fixture makes any network access fail the test.
    expected = r"file is missing from the folder .*mnist: t10k-labels-idx1-ubyte\[\.gz\];"
    with pytest.raises(DataError, match=expected):
        load_mnist(folder, download=True)


def test_missing_cache_files_without_download(cache_folder):
    expected = r"missing from the cache folder .*download=True"
    with pytest.raises(DataError, match=expected) as caught:
        load_mnist(download=False)
    message = str(caught.value)
    assert str(cache_folder) in message and "train-images-idx3-ubyte" in message
    assert "STDP_LEARN_DATA" in message


# Download into the cache folder


def test_download_checksum_mismatch_keeps_nothing(monkeypatch, cache_folder):
    server = FakeServer(lambda url: gzip.compress(b"not the file you are looking for"))
    monkeypatch.setattr(data, "_urlopen", server)
    with pytest.raises(DataError, match=r"checksum mismatch.*downloaded file was removed"):
        load_mnist()
    assert server.requested == [
        mirror + "train-images-idx3-ubyte.gz" for mirror in data.DATASETS["mnist"].mirrors
    ]
    assert list(cache_folder.iterdir()) == []


def test_download_network_failure_keeps_nothing(monkeypatch, cache_folder):
    def unreachable(url, timeout=None):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(data, "_urlopen", unreachable)
    with pytest.raises(DataError, match=r"download failed from every mirror.*no route to host"):
        load_mnist()
    assert list(cache_folder.iterdir()) == []


def test_download_cut_short_keeps_nothing(monkeypatch, cache_folder):
    arrays = fake_mnist()
    trust_checksums(monkeypatch, arrays)

    def cut_short(url):
        full = gzip.compress(idx_bytes(arrays[file_name_of(url).removesuffix(".gz")]))
        return full[: len(full) // 2]

    monkeypatch.setattr(data, "_urlopen", FakeServer(cut_short))
    with pytest.raises(DataError, match=r"corrupt gzip data.*downloaded file was removed"):
        load_mnist()
    assert list(cache_folder.iterdir()) == []


def test_download_falls_back_to_next_mirror(monkeypatch, cache_folder):
    arrays = fake_mnist(seed=4)
    trust_checksums(monkeypatch, arrays)

    def second_mirror_only(url):
        if url.startswith(data.DATASETS["mnist"].mirrors[0]):
            raise urllib.error.HTTPError(url, 503, "Service Unavailable", {}, None)
        return gzip.compress(idx_bytes(arrays[file_name_of(url).removesuffix(".gz")]))

    server = FakeServer(second_mirror_only)
    monkeypatch.setattr(data, "_urlopen", server)
    dataset = load_mnist()
    for field, name in zip(Dataset._fields, MNIST_NAMES):
        np.testing.assert_array_equal(getattr(dataset, field), arrays[name])
    assert sorted(entry.name for entry in cache_folder.iterdir()) == sorted(
        f"{name}.gz" for name in MNIST_NAMES
    )
    assert len(server.requested) == 8  # two mirrors per file

    # Once cached, nothing is fetched again.
    monkeypatch.setattr(data, "_urlopen", refuse_network)
    np.testing.assert_array_equal(load_mnist().y_test, arrays["t10k-labels-idx1-ubyte"])


@needs_real_data
def test_download_of_real_label_files(monkeypatch, cache_folder):
    # Serve the real (recompressed) files; the official MD5 table stays in force.
    real_folder = pathlib.Path(REAL_DATA_DIR)
    server = FakeServer(lambda url: (real_folder / file_name_of(url)).read_bytes())
    monkeypatch.setattr(data, "_urlopen", server)
    cache_folder.mkdir(parents=True)
    # Pre-seed the two large image files so that only the label files are fetched.
    for name in ("train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"):
        (cache_folder / name).symlink_to(real_folder / name)
    dataset = load_mnist()
    assert server.requested == [
        data.DATASETS["mnist"].mirrors[0] + "train-labels-idx1-ubyte.gz",
        data.DATASETS["mnist"].mirrors[0] + "t10k-labels-idx1-ubyte.gz",
    ]
    assert np.bincount(dataset.y_test).tolist() == TEST_CLASS_COUNTS


# Folder defaults


def test_default_data_dir_order(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "xdg" / "stdp_learn" / "mnist"
    monkeypatch.setenv("STDP_LEARN_DATA", str(tmp_path / "chosen"))
    assert default_data_dir() == tmp_path / "chosen"


def test_default_data_dir_ignores_relative_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert default_data_dir() == tmp_path / "home" / ".cache" / "stdp_learn" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_data_dir() == tmp_path / "home" / ".cache" / "stdp_learn" / "mnist"


# Packaged sample and dataset names


def test_sample_shapes_and_labels():
    sample = load_mnist_sample()
    assert sample.X_train.shape == (1000, 28, 28) and sample.X_test.shape == (1000, 28, 28)
    assert sample.X_train.dtype == np.uint8
    assert sample.y_train.dtype == np.int64 and sample.y_train.shape == (1000,)
    # The first labels of each MNIST split, as widely reproduced.
    assert sample.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert sample.y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert set(np.unique(sample.y_test).tolist()) == set(range(10))


def test_load_dataset_by_name():
    by_name = load_dataset("mnist-sample")
    np.testing.assert_array_equal(by_name.X_test, load_mnist_sample().X_test)
    with pytest.raises(DataError, match=r"unknown dataset 'cifar'; choose one of 'mnist', "):
        load_dataset("cifar")


def test_load_dataset_passes_folder_to_load_mnist(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("mnist", tmp_path / "nowhere")


@pytest.fixture(scope="module")
def real_mnist():
    return load_mnist(REAL_DATA_DIR, download=False)


@needs_real_data
def test_real_mnist_sizes_and_class_counts(real_mnist):
    assert real_mnist.X_train.shape == (60000, 28, 28)
    assert real_mnist.X_test.shape == (10000, 28, 28)
    assert np.bincount(real_mnist.y_train).tolist() == TRAIN_CLASS_COUNTS
    assert np.bincount(real_mnist.y_test).tolist() == TEST_CLASS_COUNTS


@needs_real_data
def test_sample_is_the_start_of_real_mnist(real_mnist):
    sample = load_mnist_sample()
    np.testing.assert_array_equal(sample.X_train, real_mnist.X_train[:1000])
    np.testing.assert_array_equal(sample.y_train, real_mnist.y_train[:1000])
    np.testing.assert_array_equal(sample.X_test, real_mnist.X_test[:1000])
    np.testing.assert_array_equal(sample.y_test, real_mnist.y_test[:1000])
