"""Fashion-MNIST and Kuzushiji-MNIST by name: their registry entries, checks and download.

Both datasets publish MD5 checksums of their .gz files, so they are registered with
``checksums_of='gz'``.  The tests write small IDX files themselves and never use the
network: the module's URL opener is replaced by a fake server.  Where a test needs the
loader to accept its small files, it registers the dataset again with the MD5s of those
files (and, for downloads, a fake mirror); everything else in the entry stays as shipped.
"""
import dataclasses
import gzip
import hashlib
import io
import json

import numpy as np
import pytest

from stdp_learn import data
from stdp_learn.data import DATASETS, DataError, load_dataset, register_dataset, write_idx
from stdp_learn.train import build_parser, main

FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
MIRROR = "https://mirror.example/files/"
NAMED = {"fashion-mnist": "STDP_LEARN_FASHION_MNIST_DATA",
         "kuzushiji-mnist": "STDP_LEARN_KUZUSHIJI_MNIST_DATA"}


def refuse_network(url, timeout=None):
    raise AssertionError(f"the test tried to open {url}")


@pytest.fixture(autouse=True)
def isolated_registry(tmp_path, monkeypatch):
    """Restore the registry after each test, cache into tmp_path, forbid the network."""
    monkeypatch.setattr(data, "DATASETS", dict(DATASETS))
    for variable in ("STDP_LEARN_DATA", *NAMED.values()):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))
    monkeypatch.setattr(data, "_urlopen", refuse_network)


def small_arrays(n_train=40, n_test=20, seed=0):
    """Return 28 x 28 images with every one of the 10 classes present, as the IDX files hold."""
    generator = np.random.default_rng(seed)
    return {
        FILES[0]: generator.integers(0, 256, (n_train, 28, 28), np.uint8),
        FILES[1]: (np.arange(n_train) % 10).astype(np.uint8),
        FILES[2]: generator.integers(0, 256, (n_test, 28, 28), np.uint8),
        FILES[3]: (np.arange(n_test)[::-1] % 10).astype(np.uint8),
    }


def write_gz_files(folder, arrays):
    """Write the arrays as .gz IDX files; return {file name: MD5 of the .gz file}."""
    folder.mkdir(parents=True, exist_ok=True)
    checksums = {}
    for name, array in arrays.items():
        path = folder / f"{name}.gz"
        write_idx(path, array)
        checksums[name] = hashlib.md5(path.read_bytes()).hexdigest()
    return checksums


def trust(name, checksums, **changes):
    """Register `name` again with the checksums of the test's own files."""
    return register_dataset(dataclasses.replace(DATASETS[name], files=checksums, **changes),
                            replace=True)


@pytest.mark.parametrize("name", sorted(NAMED))
def test_registered_with_their_published_gz_checksums_and_own_folder_variable(name):
    spec = DATASETS[name]
    assert tuple(spec.files) == FILES
    assert spec.checksums_of == "gz"
    assert spec.image_shape == (28, 28) and spec.n_classes == 10
    assert spec.data_dir_variable == NAMED[name]
    assert spec.mirrors and all(mirror.endswith("/") for mirror in spec.mirrors)
    published = {"fashion-mnist": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                 "kuzushiji-mnist": "bdb82020997e1d708af4cf47b453dcf7"}
    assert spec.files["train-images-idx3-ubyte"] == published[name]


@pytest.mark.parametrize("name", sorted(NAMED))
def test_loads_by_name_from_a_folder_or_its_variable(name, tmp_path, monkeypatch):
    arrays = small_arrays()
    folder = tmp_path / name
    trust(name, write_gz_files(folder, arrays))
    dataset = load_dataset(name, folder)
    np.testing.assert_array_equal(dataset.X_test, arrays[FILES[2]])
    assert dataset.y_train.dtype == np.int64 and dataset.n_classes == 10

    # MNIST's variable names MNIST's folder (same file names, other images): not looked at.
    monkeypatch.setenv("STDP_LEARN_DATA", str(folder))
    with pytest.raises(DataError, match="missing from the cache folder"):
        load_dataset(name, download=False)
    monkeypatch.setenv(NAMED[name], str(folder))
    np.testing.assert_array_equal(load_dataset(name).y_test, arrays[FILES[3]])


def test_other_files_fail_the_published_checksum(tmp_path):
    folder = tmp_path / "fashion"
    write_gz_files(folder, small_arrays())
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz: checksum mismatch: the file "
                       r"has MD5 [0-9a-f]{32}, expected 8d4fb7e6c68d591d4c3dfef9ec88bf0d; .*"
                       r"not the official Fashion-MNIST") as caught:
        load_dataset("fashion-mnist", folder)
    assert "\n" not in str(caught.value)


def test_a_recompressed_file_fails_a_gz_checksum(tmp_path):
    """The same content gzipped again is not the published file: the check is byte for byte."""
    arrays = small_arrays()
    folder = tmp_path / "kuzushiji"
    checksums = write_gz_files(folder, arrays)
    trust("kuzushiji-mnist", checksums)
    path = folder / f"{FILES[1]}.gz"
    content = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(content, compresslevel=1))
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte.gz: checksum mismatch"):
        load_dataset("kuzushiji-mnist", folder)


def test_an_uncompressed_file_cannot_be_checked_against_a_gz_checksum(tmp_path):
    arrays = small_arrays()
    folder = tmp_path / "fashion"
    trust("fashion-mnist", write_gz_files(folder, arrays))
    (folder / f"{FILES[3]}.gz").unlink()
    write_idx(folder / FILES[3], arrays[FILES[3]])
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte: Fashion-MNIST is checked against "
                       r"the published checksums of its .gz files.*official "
                       r"t10k-labels-idx1-ubyte.gz"):
        load_dataset("fashion-mnist", folder)


def test_checksums_of_must_name_what_is_checked():
    with pytest.raises(DataError, match=r"checksums_of must be 'content' .* or 'gz'"):
        dataclasses.replace(DATASETS["fashion-mnist"], checksums_of="zip")


class FakeServer:
    """Serve the bytes of .gz files written by the test, recording the requests."""

    def __init__(self, folder, corrupt=()):
        self.folder = folder
        self.corrupt = corrupt
        self.requested = []

    def __call__(self, url, timeout=None):
        self.requested.append(url)
        file_name = url.removeprefix(MIRROR)
        payload = (self.folder / file_name).read_bytes()
        if file_name.removesuffix(".gz") in self.corrupt:
            payload = gzip.compress(gzip.decompress(payload), compresslevel=1)
        return io.BytesIO(payload)


def test_downloads_into_its_cache_folder_and_keeps_only_checked_files(tmp_path, monkeypatch):
    reference = tmp_path / "published"
    arrays = small_arrays()
    trust("fashion-mnist", write_gz_files(reference, arrays), mirrors=(MIRROR,))
    monkeypatch.setattr(data, "_urlopen", FakeServer(reference, corrupt={FILES[2]}))
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte.gz: download failed from every "
                       r"mirror .*checksum mismatch: the downloaded file has MD5"):
        load_dataset("fashion-mnist")
    cache = tmp_path / "cache-home" / "stdp_learn" / "fashion-mnist"
    assert sorted(path.name for path in cache.iterdir()) == [f"{FILES[0]}.gz", f"{FILES[1]}.gz"]

    server = FakeServer(reference)
    monkeypatch.setattr(data, "_urlopen", server)
    dataset = load_dataset("fashion-mnist")
    assert server.requested == [f"{MIRROR}{FILES[2]}.gz", f"{MIRROR}{FILES[3]}.gz"]
    np.testing.assert_array_equal(dataset.X_train, arrays[FILES[0]])
    for name in FILES:  # the cache holds the published bytes, not a recompression
        assert (cache / f"{name}.gz").read_bytes() == (reference / f"{name}.gz").read_bytes()


def test_the_command_line_resolves_the_names(tmp_path, capsys):
    assert build_parser().parse_args(["kuzushiji-mnist"]).dataset == "kuzushiji-mnist"
    folder = tmp_path / "fashion"
    write_gz_files(folder, small_arrays())
    status = main(["fashion-mnist", "--data-dir", str(folder), "--output", str(tmp_path / "run"),
                   "--no-progress"])
    assert status == 2
    assert "not the official Fashion-MNIST" in capsys.readouterr().err


def test_the_command_line_trains_on_a_named_dataset(tmp_path, monkeypatch):
    folder = tmp_path / "fashion"
    trust("fashion-mnist", write_gz_files(folder, small_arrays()))
    monkeypatch.setenv("STDP_LEARN_FASHION_MNIST_DATA", str(folder))
    out = tmp_path / "run"
    status = main(["fashion-mnist", "--neurons", "4", "--train-size", "20", "--test-size", "10",
                   "--block-size", "10", "--device", "runtime", "--output", str(out),
                   "--no-progress"])
    assert status == 0
    record = json.loads((out / "record.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    assert json.loads((out / "args.json").read_text())["dataset"] == "fashion-mnist"
    assert (metrics["train_size"], metrics["test_size"]) == (20, 10)
    assert "fashion-mnist" in json.dumps(record)
