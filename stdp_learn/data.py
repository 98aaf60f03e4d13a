"""Read, check and download the MNIST digits stored in the IDX format.

MNIST comes as four IDX files (training images and labels, test images and
labels), usually gzipped. `load_mnist` finds them in a folder, checks them
against the published checksums and returns them as a `Dataset`; when the
files are missing from the user's cache folder it downloads them first.
`load_mnist_sample` returns a 1,000 + 1,000 image excerpt that ships with the
package, for examples and tests that must not depend on a download.

Every problem with the data raises `DataError`, whose one-line message names
the file, says what is wrong with it and what to do about it.

References
----------
.. [1] Y. LeCun, C. Cortes and C. J. C. Burges, "The MNIST database of
   handwritten digits", http://yann.lecun.com/exdb/mnist/ (the IDX format is
   described there).
"""

import gzip
import hashlib
import importlib.resources
import io
import logging
import math
import os
import pathlib
import re
import secrets
import shutil
import struct
import urllib.request
import zlib
from http.client import HTTPException
from typing import NamedTuple

import numpy as np

__all__ = [
    "DataError",
    "Dataset",
    "default_data_dir",
    "load_dataset",
    "load_mnist",
    "load_mnist_sample",
    "read_idx",
    "write_idx",
]

_LOGGER = logging.getLogger(__name__)

_DATA_DIR_VARIABLE = "STDP_LEARN_DATA"

# IDX element type codes (third byte of the magic number); only unsigned bytes
# are supported because MNIST uses nothing else, but naming the others makes
# the error message for a float or int file say what the file actually holds.
_IDX_UNSIGNED_BYTE = 0x08
_IDX_TYPE_NAMES = {
    0x08: "unsigned byte",
    0x09: "signed byte",
    0x0B: "short",
    0x0C: "int",
    0x0D: "float",
    0x0E: "double",
}

# The four MNIST files in the order of the Dataset fields.
_MNIST_TRAIN_IMAGES = "train-images-idx3-ubyte"
_MNIST_TRAIN_LABELS = "train-labels-idx1-ubyte"
_MNIST_TEST_IMAGES = "t10k-images-idx3-ubyte"
_MNIST_TEST_LABELS = "t10k-labels-idx1-ubyte"
_MNIST_FILES = (
    _MNIST_TRAIN_IMAGES,
    _MNIST_TRAIN_LABELS,
    _MNIST_TEST_IMAGES,
    _MNIST_TEST_LABELS,
)

# MD5 of the uncompressed official files, as published with MNIST. The
# uncompressed bytes are checked rather than the .gz files because the same
# content is often recompressed (and so gets a different .gz checksum).
_MNIST_MD5 = {
    _MNIST_TRAIN_IMAGES: "6bbc9ace898e44ae57da46a324031adb",
    _MNIST_TRAIN_LABELS: "a25bea736e30d166cdddb491f175f624",
    _MNIST_TEST_IMAGES: "2646ac647ad5339dbf082846283269ea",
    _MNIST_TEST_LABELS: "27ae3e4e09519cfbb04c329615203637",
}

# Tried in this order; the original site comes last because it is plain HTTP
# and often rate-limited. Every download is checked against _MNIST_MD5, so a
# mirror cannot substitute other content.
_MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

_MNIST_CLASSES = 10
_DOWNLOAD_TIMEOUT_SECONDS = 60
_CHUNK_BYTES = 1 << 20
_SHA256SUMS_NAME = "SHA256SUMS"
_SAMPLE_FOLDER = "sample_data"
_DATASET_NAMES = ("mnist", "mnist-sample")

# Module-level so that tests can replace the network with a fake opener.
_urlopen = urllib.request.urlopen


class DataError(ValueError):
    """Report a missing, corrupt or inconsistent data file.

    The message is a single line that names the file, says what is wrong with
    it and what to do about it.
    """


class Dataset(NamedTuple):
    """Hold the training and test split of an image classification dataset.

    Unpacks as ``X_train, y_train, X_test, y_test = dataset``.

    Attributes
    ----------
    X_train : numpy.ndarray of uint8, shape (n_train, rows, cols)
        Training images; 0 is background, 255 is full ink.
    y_train : numpy.ndarray of int64, shape (n_train,)
        Class of each training image, 0 to 9.
    X_test : numpy.ndarray of uint8, shape (n_test, rows, cols)
        Test images, same size as the training images.
    y_test : numpy.ndarray of int64, shape (n_test,)
        Class of each test image, 0 to 9.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def read_idx(path):
    """Read an array of unsigned bytes from an IDX file.

    Parameters
    ----------
    path : str or os.PathLike
        IDX file; a name ending in ``.gz`` is read as gzip-compressed.

    Returns
    -------
    numpy.ndarray of uint8
        The array, with the shape given in the file's header.

    Raises
    ------
    DataError
        If the file is not valid gzip (for ``.gz``), its magic number is not
        an IDX one, its elements are not unsigned bytes, or its length does not
        match the shape in its header (truncated file or trailing bytes).
    FileNotFoundError
        If `path` does not exist.

    See Also
    --------
    write_idx : Write an array in the same format.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_idx(folder / "digits.gz", np.arange(6, dtype=np.uint8).reshape(2, 3))
    >>> read_idx(folder / "digits.gz")
    array([[0, 1, 2],
           [3, 4, 5]], dtype=uint8)
    """
    path = pathlib.Path(path)
    file_bytes = path.read_bytes()
    content = _gunzip(file_bytes, path) if _is_gzip_name(path) else file_bytes
    return _decode_idx(content, path)


def write_idx(path, array):
    """Write an array of unsigned bytes to an IDX file.

    The file is written to a temporary name in the same folder and then moved
    into place, so an interrupted write never leaves a partial file under
    `path`. A ``.gz`` file is compressed with gzip at level 9 and a zero
    modification time, so the same array always gives the same bytes.

    Parameters
    ----------
    path : str or os.PathLike
        File to create or replace; a name ending in ``.gz`` is compressed.
    array : array_like of uint8
        Array with 1 to 255 dimensions, each shorter than 2**32.

    Raises
    ------
    DataError
        If `array` is not of dtype uint8 or its shape cannot be stored in IDX.

    See Also
    --------
    read_idx : Read the file back.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "labels-idx1-ubyte"
    >>> write_idx(path, np.array([7, 2, 1], dtype=np.uint8))
    >>> path.read_bytes()
    b'\\x00\\x00\\x08\\x01\\x00\\x00\\x00\\x03\\x07\\x02\\x01'
    """
    path = pathlib.Path(path)
    array = np.asarray(array)
    if array.dtype != np.uint8:
        raise DataError(
            f"{path}: cannot write an array of dtype {array.dtype} as IDX unsigned bytes; "
            "convert it first, e.g. with array.astype(np.uint8) after checking its range"
        )
    if not 1 <= array.ndim <= 255:
        raise DataError(
            f"{path}: cannot write an array with {array.ndim} dimensions as IDX; "
            "IDX stores 1 to 255 dimensions, so reshape the array"
        )
    if max(array.shape) >= 2**32:
        raise DataError(
            f"{path}: cannot write shape {array.shape} as IDX, whose sizes are 32-bit; "
            "split the array into smaller files"
        )
    header = bytes([0, 0, _IDX_UNSIGNED_BYTE, array.ndim]) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    payload = header + np.ascontiguousarray(array).tobytes()
    if _is_gzip_name(path):
        payload = _gzip_deterministic(payload)
    temporary = _temporary_path(path)
    try:
        with open(temporary, "xb") as stream:
            stream.write(payload)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def default_data_dir():
    """Return the folder where `load_mnist` looks for MNIST by default.

    Returns
    -------
    pathlib.Path
        ``$STDP_LEARN_DATA`` if that variable is set and not empty; otherwise
        the user cache folder ``$XDG_CACHE_HOME/stdp_learn/mnist``, or
        ``~/.cache/stdp_learn/mnist`` when ``XDG_CACHE_HOME`` is unset or not
        an absolute path (the XDG specification says to ignore relative ones).
        The folder may not exist yet.

    Examples
    --------
    >>> default_data_dir()  # doctest: +SKIP
    PosixPath('/home/ada/.cache/stdp_learn/mnist')
    """
    from_environment = os.environ.get(_DATA_DIR_VARIABLE)
    if from_environment:
        return pathlib.Path(from_environment).expanduser()
    return _cache_dir()


def load_mnist(data_dir=None, *, download=True):
    """Load the MNIST training and test sets from IDX files.

    The folder is `data_dir` if given, else ``$STDP_LEARN_DATA`` if set, else
    the user cache folder (see `default_data_dir`). It must hold the four
    files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each either
    gzipped (name ending in ``.gz``, preferred when both exist) or raw.

    Each file's uncompressed content must match the MD5 published with MNIST.
    If the folder holds a ``SHA256SUMS`` file (lines ``<sha256>  <name>``),
    the files it lists among the four are also checked against it, byte for
    byte as stored. Images must be 3-D and labels 1-D, each split must have
    as many labels as images, labels must lie in 0..9, and training and test
    images must have the same size.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        Folder holding the four files. It must exist; files are never
        downloaded into it.
    download : bool, default True
        Download missing files into the cache folder. Applies only when
        neither `data_dir` nor ``$STDP_LEARN_DATA`` is given, so that nothing
        is ever written into a folder the user chose. Mirrors are tried in
        turn; each file is streamed to a temporary name, checked against the
        published MD5 and only then moved into place.

    Returns
    -------
    Dataset
        ``X_train`` (60000, 28, 28) and ``X_test`` (10000, 28, 28) as uint8;
        ``y_train`` (60000,) and ``y_test`` (10000,) as int64.

    Raises
    ------
    DataError
        If the folder or a file is missing (and cannot be downloaded), a file
        is corrupt or fails a checksum, or the files are inconsistent.

    See Also
    --------
    load_mnist_sample : The packaged 1,000 + 1,000 excerpt, without download.

    References
    ----------
    .. [1] Y. LeCun, C. Cortes and C. J. C. Burges, "The MNIST database of
       handwritten digits", http://yann.lecun.com/exdb/mnist/

    Examples
    --------
    >>> X_train, y_train, X_test, y_test = load_mnist()  # doctest: +SKIP
    >>> X_train.shape, X_test.shape  # doctest: +SKIP
    ((60000, 28, 28), (10000, 28, 28))
    """
    folder, origin = _resolve_folder(data_dir)
    uses_cache = origin is None
    if not uses_cache:
        _require_folder(folder, origin)

    missing = [name for name in _MNIST_FILES if _find_idx_file(folder, name) is None]
    if missing:
        if not (uses_cache and download):
            raise DataError(_missing_files_message(folder, origin, missing, download))
        folder.mkdir(parents=True, exist_ok=True)
        for name in missing:
            _download(folder, f"{name}.gz", _MNIST_MD5[name])

    sha256sums = _read_sha256sums(folder)
    arrays = {}
    sources = {}
    for name in _MNIST_FILES:
        path = _find_idx_file(folder, name)
        sources[name] = path
        arrays[name] = _read_verified(path, _MNIST_MD5[name], sha256sums)
    return _assemble_dataset(arrays, sources)


def load_mnist_sample():
    """Load the 1,000 + 1,000 image MNIST excerpt that ships with the package.

    The excerpt holds the first 1,000 training images and labels and the
    first 1,000 test images and labels of MNIST, in their original order. It
    needs no download, so examples and tests can rely on it.

    Returns
    -------
    Dataset
        ``X_train`` and ``X_test`` of shape (1000, 28, 28) as uint8;
        ``y_train`` and ``y_test`` of shape (1000,) as int64.

    Raises
    ------
    DataError
        If a packaged file is missing or corrupt (reinstall the package).

    See Also
    --------
    load_mnist : The full 60,000 + 10,000 images.

    Examples
    --------
    >>> sample = load_mnist_sample()
    >>> sample.X_train.shape, sample.y_test.shape
    ((1000, 28, 28), (1000,))
    >>> int(sample.y_train[0])
    5
    """
    # Named explicitly rather than via __package__, which is empty when this
    # file is imported on its own (as doctest collection may do).
    folder = importlib.resources.files("stdp_learn") / _SAMPLE_FOLDER
    arrays = {}
    sources = {}
    for name in _MNIST_FILES:
        resource = folder / f"{name}.gz"
        source = f"packaged sample file {resource}"
        try:
            file_bytes = resource.read_bytes()
        except FileNotFoundError as error:
            raise DataError(
                f"{source} is missing; the installation is incomplete, reinstall stdp_learn"
            ) from error
        sources[name] = source
        arrays[name] = _decode_idx(_gunzip(file_bytes, source), source)
    return _assemble_dataset(arrays, sources)


def load_dataset(name, data_dir=None, *, download=True):
    """Load a dataset by name.

    Parameters
    ----------
    name : {'mnist', 'mnist-sample'}
        ``'mnist'`` calls `load_mnist`; ``'mnist-sample'`` calls
        `load_mnist_sample`.
    data_dir : str or os.PathLike, optional
        Passed to `load_mnist`; the packaged sample ignores it.
    download : bool, default True
        Passed to `load_mnist`; the packaged sample ignores it.

    Returns
    -------
    Dataset
        The training and test split.

    Raises
    ------
    DataError
        If `name` is not one of the names above, or loading fails.

    Examples
    --------
    >>> load_dataset("mnist-sample").X_test.shape
    (1000, 28, 28)
    """
    if name == "mnist":
        return load_mnist(data_dir, download=download)
    if name == "mnist-sample":
        return load_mnist_sample()
    choices = ", ".join(repr(choice) for choice in _DATASET_NAMES)
    raise DataError(f"unknown dataset {name!r}; choose one of {choices}")


def _is_gzip_name(path):
    return pathlib.Path(path).name.endswith(".gz")


def _one_line(error):
    """Return an exception's text as one line, or its type name if empty."""
    return " ".join(str(error).split()) or type(error).__name__


def _gunzip(file_bytes, source):
    """Decompress gzip bytes, turning every kind of corruption into DataError."""
    try:
        return gzip.decompress(file_bytes)
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise DataError(
            f"{source}: corrupt gzip data ({_one_line(error)}); "
            "delete the file and download or copy it again"
        ) from error


def _gzip_deterministic(payload):
    """Gzip bytes with no file name and a zero mtime, so output is reproducible."""
    buffer = io.BytesIO()
    with gzip.GzipFile(
        filename="", mode="wb", compresslevel=9, fileobj=buffer, mtime=0
    ) as stream:
        stream.write(payload)
    return buffer.getvalue()


def _decode_idx(content, source):
    """Parse uncompressed IDX bytes into a uint8 array, checking the header and length."""
    if len(content) < 4:
        raise DataError(
            f"{source}: truncated IDX file: {len(content)} bytes, fewer than the 4-byte magic "
            "number; delete the file and download or copy it again"
        )
    if content[0] != 0 or content[1] != 0:
        raise DataError(
            f"{source}: not an IDX file: magic number 0x{content[:4].hex()} does not start "
            "with 0x0000; check that the path points to an uncompressed IDX file "
            "(or to a gzipped one whose name ends in .gz)"
        )
    type_code = content[2]
    if type_code != _IDX_UNSIGNED_BYTE:
        type_name = _IDX_TYPE_NAMES.get(type_code, "unknown type")
        raise DataError(
            f"{source}: IDX element type 0x{type_code:02x} ({type_name}) is not supported; "
            "only unsigned bytes (0x08) can be read, so convert the file"
        )
    n_dimensions = content[3]
    if n_dimensions == 0:
        raise DataError(
            f"{source}: IDX header declares 0 dimensions; the file is corrupt, "
            "delete it and download or copy it again"
        )
    header_bytes = 4 + 4 * n_dimensions
    if len(content) < header_bytes:
        raise DataError(
            f"{source}: truncated IDX file: {len(content)} bytes, fewer than the "
            f"{header_bytes}-byte header of {n_dimensions} dimensions; "
            "delete the file and download or copy it again"
        )
    shape = struct.unpack(f">{n_dimensions}I", content[4:header_bytes])
    expected_bytes = header_bytes + math.prod(shape)
    if len(content) < expected_bytes:
        raise DataError(
            f"{source}: truncated IDX file: shape {shape} needs {expected_bytes} bytes "
            f"but there are only {len(content)}; delete the file and download or copy it again"
        )
    if len(content) > expected_bytes:
        raise DataError(
            f"{source}: {len(content) - expected_bytes} trailing bytes after the "
            f"{expected_bytes} bytes that shape {shape} needs; the file is corrupt or not IDX, "
            "delete it and download or copy it again"
        )
    values = np.frombuffer(content, dtype=np.uint8, count=math.prod(shape), offset=header_bytes)
    # Copy so that callers get a writable array that does not pin the file's bytes.
    return values.reshape(shape).copy()


def _temporary_path(path):
    """Return an unused hidden name next to `path` for writing before os.replace."""
    return path.with_name(f".{path.name}.{secrets.token_hex(8)}.part")


def _cache_dir():
    cache_home = os.environ.get("XDG_CACHE_HOME")
    if cache_home and os.path.isabs(cache_home):
        base = pathlib.Path(cache_home)
    else:
        base = pathlib.Path.home() / ".cache"
    return base / "stdp_learn" / "mnist"


def _resolve_folder(data_dir):
    """Return the MNIST folder and what chose it (None for the cache folder)."""
    if data_dir is not None:
        return pathlib.Path(data_dir).expanduser(), "the data_dir argument"
    from_environment = os.environ.get(_DATA_DIR_VARIABLE)
    if from_environment:
        return pathlib.Path(from_environment).expanduser(), _DATA_DIR_VARIABLE
    return _cache_dir(), None


def _require_folder(folder, origin):
    if not folder.exists():
        raise DataError(
            f"MNIST folder {folder} (from {origin}) does not exist; create it and put the "
            f"four MNIST files there, or unset {_DATA_DIR_VARIABLE} and pass no data_dir to "
            f"use (and download into) the cache folder {_cache_dir()}"
        )
    if not folder.is_dir():
        raise DataError(
            f"MNIST folder {folder} (from {origin}) is a file, not a folder; "
            "give the folder that holds the four MNIST files"
        )


def _find_idx_file(folder, name):
    """Return `name`.gz or `name` in `folder`, whichever exists first, else None."""
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def _missing_files_message(folder, origin, missing, download):
    missing_names = ", ".join(f"{name}[.gz]" for name in missing)
    files_are = "file is" if len(missing) == 1 else "files are"
    it_or_them = "it" if len(missing) == 1 else "them"
    if origin is None:
        advice = (
            f"call load_mnist(download=True) to download {it_or_them}, or pass data_dir or set "
            f"{_DATA_DIR_VARIABLE} to a folder that holds the four MNIST files"
        )
    else:
        advice = (
            f"put {it_or_them} there, or pass data_dir or set {_DATA_DIR_VARIABLE} to a folder "
            "that holds the four MNIST files (downloads go only into the cache folder "
            f"{_cache_dir()}, used when neither is given)"
        )
    where = "cache folder" if origin is None else f"folder (from {origin})"
    return f"MNIST {files_are} missing from the {where} {folder}: {missing_names}; {advice}"


def _read_sha256sums(folder):
    """Return {file name: SHA-256 hex} from the folder's SHA256SUMS, or {} if none."""
    path = folder / _SHA256SUMS_NAME
    if not path.is_file():
        return {}
    checksums = {}
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = stripped.split(maxsplit=1)
        if len(fields) != 2 or not re.fullmatch(r"[0-9a-fA-F]{64}", fields[0]):
            raise DataError(
                f"{path}: line {line_number} is not '<sha256>  <file name>'; "
                "fix the line or delete the SHA256SUMS file"
            )
        # sha256sum marks files hashed in binary mode with a leading '*'.
        checksums[fields[1].removeprefix("*")] = fields[0].lower()
    return checksums


def _read_verified(path, expected_md5, sha256sums):
    """Read an IDX file, checking its SHA-256 (if listed) and its content's MD5."""
    file_bytes = path.read_bytes()
    expected_sha256 = sha256sums.get(path.name)
    if expected_sha256 is not None:
        actual_sha256 = hashlib.sha256(file_bytes).hexdigest()
        if actual_sha256 != expected_sha256:
            raise DataError(
                f"{path}: SHA-256 {actual_sha256} differs from {expected_sha256} listed in "
                f"{path.parent / _SHA256SUMS_NAME}; the file is corrupt or was replaced, "
                "copy it again (or update SHA256SUMS if the new file is intended)"
            )
    content = _gunzip(file_bytes, path) if _is_gzip_name(path) else file_bytes
    array = _decode_idx(content, path)
    actual_md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
    if actual_md5 != expected_md5:
        raise DataError(
            f"{path}: checksum mismatch: the uncompressed content has MD5 {actual_md5}, "
            f"expected {expected_md5}; the file is corrupt or not the official MNIST, "
            "delete it and re-download it (or copy the official file)"
        )
    return array


def _assemble_dataset(arrays, sources):
    """Check the four MNIST arrays against each other and return a Dataset."""
    for images_name, labels_name in (
        (_MNIST_TRAIN_IMAGES, _MNIST_TRAIN_LABELS),
        (_MNIST_TEST_IMAGES, _MNIST_TEST_LABELS),
    ):
        images, labels = arrays[images_name], arrays[labels_name]
        images_source, labels_source = sources[images_name], sources[labels_name]
        if images.ndim != 3:
            raise DataError(
                f"{images_source}: images must be 3-D (count, rows, columns) but the file "
                f"has shape {images.shape}; check that image and label files are not swapped"
            )
        if labels.ndim != 1:
            raise DataError(
                f"{labels_source}: labels must be 1-D but the file has shape {labels.shape}; "
                "check that image and label files are not swapped"
            )
        if images.shape[0] != labels.shape[0]:
            raise DataError(
                f"{images_source} holds {images.shape[0]} images but {labels_source} holds "
                f"{labels.shape[0]} labels; both must come from the same split, "
                "replace the file that does not belong"
            )
        out_of_range = np.flatnonzero(labels >= _MNIST_CLASSES)
        if out_of_range.size:
            position = int(out_of_range[0])
            raise DataError(
                f"{labels_source}: label {int(labels[position])} at position {position} is "
                f"outside 0..{_MNIST_CLASSES - 1} ({out_of_range.size} such labels); the file "
                "is corrupt or not an MNIST label file, replace it"
            )
    train_images, test_images = arrays[_MNIST_TRAIN_IMAGES], arrays[_MNIST_TEST_IMAGES]
    if train_images.shape[1:] != test_images.shape[1:]:
        raise DataError(
            f"{sources[_MNIST_TRAIN_IMAGES]} has images of {train_images.shape[1:]} pixels but "
            f"{sources[_MNIST_TEST_IMAGES]} has {test_images.shape[1:]}; training and test "
            "images must have the same size, replace the file that does not belong"
        )
    return Dataset(
        X_train=train_images,
        y_train=arrays[_MNIST_TRAIN_LABELS].astype(np.int64),
        X_test=test_images,
        y_test=arrays[_MNIST_TEST_LABELS].astype(np.int64),
    )


class _DownloadRejected(Exception):
    """Signal that a downloaded file arrived but failed its check."""


def _download(folder, file_name, expected_md5):
    """Download `file_name` into `folder` from the first mirror that gives verified bytes."""
    target = folder / file_name
    failures = []
    for mirror in _MNIST_MIRRORS:
        url = mirror + file_name
        _LOGGER.info("Downloading %s to %s", url, target)
        try:
            _download_verified(url, target, expected_md5)
        except _DownloadRejected as rejection:
            failures.append(f"{url}: {rejection}")
        except (OSError, HTTPException) as error:
            # URLError, HTTPError, timeouts and dropped connections are all
            # OSError or HTTPException; any of them means: try the next mirror.
            failures.append(f"{url}: {_one_line(error)}")
        else:
            return
    raise DataError(
        f"{target}: download failed from every mirror ({'; '.join(failures)}); nothing was "
        "kept; check the network connection, or download the four MNIST files yourself and "
        f"pass data_dir or set {_DATA_DIR_VARIABLE} to their folder"
    )


def _download_verified(url, target, expected_md5):
    """Stream `url` to a temporary file, check its MD5, then move it to `target`."""
    temporary = _temporary_path(target)
    try:
        with _urlopen(url, timeout=_DOWNLOAD_TIMEOUT_SECONDS) as response:
            with open(temporary, "xb") as stream:
                shutil.copyfileobj(response, stream, _CHUNK_BYTES)
        actual_md5 = _md5_of_gzip_content(temporary)
        if actual_md5 != expected_md5:
            raise _DownloadRejected(
                f"checksum mismatch: the uncompressed download has MD5 {actual_md5}, "
                f"expected {expected_md5}; the downloaded file was removed"
            )
        os.replace(temporary, target)
    finally:
        # After a successful os.replace the temporary name no longer exists;
        # after any failure this removes the partial or rejected download.
        temporary.unlink(missing_ok=True)


def _md5_of_gzip_content(path):
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with gzip.open(path, "rb") as stream:
            while chunk := stream.read(_CHUNK_BYTES):
                digest.update(chunk)
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise _DownloadRejected(
            f"corrupt gzip data ({_one_line(error)}); the downloaded file was removed"
        ) from error
    return digest.hexdigest()
