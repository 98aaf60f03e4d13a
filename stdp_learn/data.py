"""Read, check and download image datasets, MNIST first among them.

A dataset is described once, by a `DatasetSpec` in the `DATASETS` registry:
its files with their checksums, the mirrors to download them from, the size
of its images and its number of classes. `load_dataset` loads any registered
dataset by name: it finds the files in a folder (downloading missing ones
into the user's cache folder when the spec has mirrors), checks them against
their checksums and returns them as a `Dataset`. Adding a dataset is one call
to `register_dataset`; a dataset in a format other than IDX also gives the
function that decodes one of its files.

Four datasets are registered: ``'mnist'`` (`load_mnist`);
``'mnist-sample'`` (`load_mnist_sample`), a 1,000 + 1,000 image excerpt that
ships with the package, for examples and tests that must not depend on a
download; and two drop-in replacements for MNIST in the same IDX format and
sizes, ``'fashion-mnist'`` (Zalando's article images [2]_) and
``'kuzushiji-mnist'`` (cursive Japanese characters [3]_). Arrays that are
already in memory become a `Dataset` with `as_dataset`.

Every problem with the data raises `DataError`, whose one-line message names
the file, says what is wrong with it and what to do about it.

References
----------
.. [1] Y. LeCun, C. Cortes and C. J. C. Burges, "The MNIST database of
   handwritten digits", http://yann.lecun.com/exdb/mnist/ (the IDX format is
   described there).
.. [2] H. Xiao, K. Rasul and R. Vollgraf, "Fashion-MNIST: a novel image
   dataset for benchmarking machine learning algorithms", arXiv:1708.07747
   (2017); https://github.com/zalandoresearch/fashion-mnist
.. [3] T. Clanuwat, M. Bober-Irizar, A. Kitamoto, A. Lamb, K. Yamamoto and
   D. Ha, "Deep learning for classical Japanese literature", arXiv:1812.01718
   (2018); https://github.com/rois-codh/kmnist
"""

import dataclasses
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
import types
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from http.client import HTTPException
from typing import NamedTuple

import numpy as np

__all__ = [
    "DATASETS",
    "DataError",
    "Dataset",
    "DatasetSpec",
    "as_dataset",
    "dataset_names",
    "default_data_dir",
    "load_dataset",
    "load_mnist",
    "load_mnist_sample",
    "read_idx",
    "register_dataset",
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

# A checksum's algorithm is told by its length in hex digits.
_DIGEST_NAMES = {32: "MD5", 64: "SHA-256"}

# What a registered checksum is taken over: the uncompressed content, or the
# .gz file byte for byte (the form some datasets publish their checksums in).
_CHECKSUMS_OF = ("content", "gz")

# What each axis after the first holds, by the number of axes of one image.
_IMAGE_AXES = {1: "features", 2: "rows, columns", 3: "rows, columns, channels"}

_DOWNLOAD_TIMEOUT_SECONDS = 60
_CHUNK_BYTES = 1 << 20
_SHA256SUMS_NAME = "SHA256SUMS"

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
    X_train : numpy.ndarray, shape (n_train, rows, cols) or (n_train, features)
        Training images; 0 is background, 255 is full ink. Uint8 when loaded
        from files.
    y_train : numpy.ndarray of int64, shape (n_train,)
        Class of each training image, 0 to ``n_classes - 1``.
    X_test : numpy.ndarray, shape (n_test, rows, cols) or (n_test, features)
        Test images, same size as the training images.
    y_test : numpy.ndarray of int64, shape (n_test,)
        Class of each test image, 0 to ``n_classes - 1``.
    image_shape : tuple of int
        Shape of one image (a property, not unpacked).
    n_classes : int
        1 + the largest label (a property, not unpacked).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    # Properties rather than fields: a fifth field would break the four-name
    # unpacking above, which examples and user code rely on.
    @property
    def image_shape(self):
        """Return the shape of one image, e.g. ``(28, 28)`` for MNIST."""
        return tuple(self.X_train.shape[1:])

    @property
    def n_classes(self):
        """Return the number of classes the labels span: 1 + the largest label of either split.

        Loading checks the labels against the registered number of classes, so
        this equals `DatasetSpec.n_classes` whenever the highest class occurs.
        """
        return max((int(labels.max()) + 1 for labels in (self.y_train, self.y_test) if labels.size),
                   default=0)


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """Describe a dataset of four files so that `load_dataset` can find, check and read it.

    Parameters
    ----------
    name : str
        Name given to `load_dataset` and shown by `dataset_names`, e.g. ``'mnist'``.
    files : mapping of str to str
        The four file names without ``.gz``, in the order training images,
        training labels, test images, test labels, each mapped to its
        checksum: MD5 (32 hex digits) or SHA-256 (64), of what `checksums_of`
        says.
    image_shape : tuple of int
        Shape of one image, e.g. ``(28, 28)``; every file's images must have it.
    n_classes : int
        Number of classes; labels must lie in 0 to ``n_classes - 1``.
    mirrors : tuple of str, default ()
        Base URLs, each ending in ``/``, that serve ``<file name>.gz``. They
        are tried in order; every download is checked against `files`, so a
        mirror cannot substitute other content. Without mirrors nothing is
        downloaded.
    title : str, default `name`
        Name of the dataset in messages, e.g. ``'MNIST'``.
    description : str, default ''
        One line on what the dataset is, who made it and under which licence.
    decode : callable or None, default None
        ``decode(content, source)`` turns the uncompressed bytes of one file
        into a numpy array, raising `DataError` (with `source`, a string
        naming the file, in its message) if they are not valid. None reads
        IDX; give a function only for files in another format.
    data_dir_variable : str or None, default None
        Environment variable that, when set, names the folder of the files
        (``STDP_LEARN_DATA`` for MNIST).
    package_data : tuple of (str, str) or None, default None
        ``(package, folder)``: the files ship inside an installed package, in
        that folder of it; `load_dataset` then ignores `data_dir` and
        `download`.
    checksums_of : {'content', 'gz'}, default 'content'
        What the checksums in `files` are taken over. ``'content'``: the
        uncompressed bytes, so that a file may be stored raw or gzipped (the
        same content is often recompressed, and so gets another checksum).
        ``'gz'``: the published ``.gz`` file byte for byte, for datasets whose
        authors publish checksums of their archives (Fashion-MNIST); such a
        dataset must be stored as its ``.gz`` files, since a raw file could
        not be checked.

    Raises
    ------
    DataError
        If a field cannot work: not four files, a checksum that is neither
        MD5 nor SHA-256, a mirror without a trailing ``/``, an image shape
        or number of classes that is not positive, or `checksums_of` not one
        of its two values.

    See Also
    --------
    register_dataset : Add a spec to the registry.

    Examples
    --------
    >>> spec = DATASETS["mnist"]
    >>> spec.image_shape, spec.n_classes
    ((28, 28), 10)
    >>> list(spec.files)[0]
    'train-images-idx3-ubyte'
    """

    name: str
    files: Mapping[str, str]
    image_shape: tuple[int, ...]
    n_classes: int
    mirrors: tuple[str, ...] = ()
    title: str = ""
    description: str = ""
    decode: Callable[[bytes, str], np.ndarray] | None = None
    data_dir_variable: str | None = None
    package_data: tuple[str, str] | None = None
    checksums_of: str = "content"

    def __post_init__(self):
        # Frozen, so the normalised values are set through object.__setattr__.
        if not isinstance(self.name, str) or not self.name.strip():
            raise DataError(f"dataset name must be a non-empty string, got {self.name!r}")
        files = dict(self.files)
        if len(files) != 4:
            raise DataError(
                f"dataset {self.name!r}: files must name 4 files (training images, training "
                f"labels, test images, test labels), got {len(files)}"
            )
        for file_name, checksum in files.items():
            if not (isinstance(checksum, str) and len(checksum) in _DIGEST_NAMES
                    and re.fullmatch(r"[0-9a-fA-F]+", checksum)):
                raise DataError(
                    f"dataset {self.name!r}: checksum of {file_name} must be an MD5 (32 hex "
                    f"digits) or SHA-256 (64) of the uncompressed file, got {checksum!r}"
                )
        image_shape = tuple(self.image_shape)
        if not image_shape or not all(
            isinstance(size, (int, np.integer)) and size > 0 for size in image_shape
        ):
            raise DataError(
                f"dataset {self.name!r}: image_shape must be positive whole numbers, "
                f"got {self.image_shape!r}"
            )
        if not isinstance(self.n_classes, int) or self.n_classes < 1:
            raise DataError(
                f"dataset {self.name!r}: n_classes must be a positive whole number, "
                f"got {self.n_classes!r}"
            )
        if self.checksums_of not in _CHECKSUMS_OF:
            raise DataError(
                f"dataset {self.name!r}: checksums_of must be 'content' (checksums of the "
                f"uncompressed files) or 'gz' (of the .gz files), got {self.checksums_of!r}"
            )
        mirrors = (self.mirrors,) if isinstance(self.mirrors, str) else tuple(self.mirrors)
        for mirror in mirrors:
            if not mirror.endswith("/"):
                raise DataError(
                    f"dataset {self.name!r}: mirror {mirror!r} must end with '/', "
                    "as file names are appended to it"
                )
        normalised = {
            "files": types.MappingProxyType({name: sum_.lower() for name, sum_ in files.items()}),
            "image_shape": tuple(int(size) for size in image_shape),
            "mirrors": mirrors,
            "title": self.title or self.name,
        }
        for field, value in normalised.items():
            object.__setattr__(self, field, value)


# Tried in this order; the original site comes last because it is plain HTTP
# and often rate-limited.
_MNIST = DatasetSpec(
    name="mnist",
    title="MNIST",
    description="MNIST handwritten digits, Y. LeCun, C. Cortes and C. J. C. Burges, CC BY-SA 3.0",
    # MD5 of the uncompressed official files, as published with MNIST.
    files={
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    },
    image_shape=(28, 28),
    n_classes=10,
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    data_dir_variable=_DATA_DIR_VARIABLE,
)

_MNIST_SAMPLE = DatasetSpec(
    name="mnist-sample",
    title="MNIST sample",
    description="the first 1,000 training and 1,000 test images of MNIST, shipped with "
    "stdp_learn, CC BY-SA 3.0",
    # MD5 of the uncompressed packaged files (see sample_data/README.md).
    files={
        "train-images-idx3-ubyte": "da098a60089079029bd38673813e12db",
        "train-labels-idx1-ubyte": "175d5a7a457f2ceaab77379a72a89e61",
        "t10k-images-idx3-ubyte": "bac4371a484d0b5651e81d99305acb5a",
        "t10k-labels-idx1-ubyte": "556860b2f10365a8f7444c1e79c7e9af",
    },
    image_shape=(28, 28),
    n_classes=10,
    # Named explicitly rather than via __package__, which is empty when this
    # file is imported on its own (as doctest collection may do).
    package_data=("stdp_learn", "sample_data"),
)

# Zalando publishes the MD5 of each .gz file in the dataset's README; the same
# files are served from its web site and from its GitHub repository.
_FASHION_MNIST = DatasetSpec(
    name="fashion-mnist",
    title="Fashion-MNIST",
    description="Fashion-MNIST article images in 10 classes, H. Xiao, K. Rasul and "
    "R. Vollgraf (Zalando Research), MIT licence",
    files={
        "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
    },
    checksums_of="gz",
    image_shape=(28, 28),
    n_classes=10,
    mirrors=(
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
    data_dir_variable="STDP_LEARN_FASHION_MNIST_DATA",
)

# CODH serves the files without published checksums; these MD5s of the .gz
# files are the ones torchvision's KMNIST checks its downloads against.
_KUZUSHIJI_MNIST = DatasetSpec(
    name="kuzushiji-mnist",
    title="Kuzushiji-MNIST",
    description="Kuzushiji-MNIST cursive Japanese (hiragana) characters in 10 classes, "
    "'KMNIST Dataset' (created by CODH), adapted from 'Kuzushiji Dataset' (created by NIJL "
    "and others), doi:10.20676/00000341, CC BY-SA 4.0",
    files={
        "train-images-idx3-ubyte": "bdb82020997e1d708af4cf47b453dcf7",
        "train-labels-idx1-ubyte": "e144d726b3acfaa3e44228e80efcd344",
        "t10k-images-idx3-ubyte": "5c965bf0a639b31b8f53240b1b52f4d7",
        "t10k-labels-idx1-ubyte": "7320c461ea6c1c855c0b718fb2a4b134",
    },
    checksums_of="gz",
    image_shape=(28, 28),
    n_classes=10,
    mirrors=("http://codh.rois.ac.jp/kmnist/dataset/kmnist/",),
    data_dir_variable="STDP_LEARN_KUZUSHIJI_MNIST_DATA",
)

# Every dataset `load_dataset` knows, by name; add to it with register_dataset.
DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec for spec in (_MNIST, _MNIST_SAMPLE, _FASHION_MNIST, _KUZUSHIJI_MNIST)
}


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


def default_data_dir(name="mnist"):
    """Return the folder where `load_dataset` looks for a dataset's files by default.

    Parameters
    ----------
    name : str, default 'mnist'
        A registered dataset that is read from a folder (not one shipped
        inside a package).

    Returns
    -------
    pathlib.Path
        The folder named by the dataset's environment variable
        (``$STDP_LEARN_DATA`` for MNIST, ``$STDP_LEARN_FASHION_MNIST_DATA``
        and ``$STDP_LEARN_KUZUSHIJI_MNIST_DATA`` for the other two) if it is
        set and not empty;
        otherwise the user cache folder ``$XDG_CACHE_HOME/stdp_learn/<name>``,
        or ``~/.cache/stdp_learn/<name>`` when ``XDG_CACHE_HOME`` is unset or
        not an absolute path (the XDG specification says to ignore relative
        ones). The folder may not exist yet.

    Raises
    ------
    DataError
        If `name` is not registered, or its files ship inside a package.

    Examples
    --------
    >>> default_data_dir()  # doctest: +SKIP
    PosixPath('/home/ada/.cache/stdp_learn/mnist')
    """
    spec = _registered(name)
    if spec.package_data is not None:
        raise DataError(
            f"dataset {name!r} ships inside the {spec.package_data[0]} package and has no "
            "data folder; load it with load_dataset"
        )
    folder, _ = _resolve_folder(spec, None)
    return folder


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
    byte as stored. Images must be 28 x 28 and labels 1-D, each split must
    have as many labels as images, labels must lie in 0..9, and training and
    test images must have the same size.

    This is ``load_dataset('mnist', data_dir, download=download)``.

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
    load_dataset : Any registered dataset, by name.

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
    return load_dataset("mnist", data_dir, download=download)


def load_mnist_sample():
    """Load the 1,000 + 1,000 image MNIST excerpt that ships with the package.

    The excerpt holds the first 1,000 training images and labels and the
    first 1,000 test images and labels of MNIST, in their original order. It
    needs no download, so examples and tests can rely on it. This is
    ``load_dataset('mnist-sample')``.

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
    >>> int(sample.y_train[0]), sample.n_classes
    (5, 10)
    """
    return load_dataset("mnist-sample")


def load_dataset(name, data_dir=None, *, download=True):
    """Load a registered dataset by name.

    The files are looked for in `data_dir` if given, else in the folder named
    by the dataset's environment variable (``$STDP_LEARN_DATA`` for MNIST) if
    it is set, else in the user cache folder (see `default_data_dir`); a
    dataset shipped inside a package is read from there. Each file may be
    gzipped (name ending in ``.gz``, preferred when both exist) or raw, and
    its uncompressed content must match the checksum in the registry (for a
    dataset registered with ``checksums_of='gz'``, such as Fashion-MNIST, the
    file must be the published ``.gz`` and match byte for byte). If the
    folder holds a ``SHA256SUMS`` file (lines ``<sha256>  <name>``), the
    files it lists are also checked against it, byte for byte as stored.
    Images must have the registered shape, labels must lie in 0 to
    ``n_classes - 1`` and each split must have as many labels as images.

    Parameters
    ----------
    name : str
        A name in `DATASETS`: ``'mnist'``, ``'mnist-sample'``,
        ``'fashion-mnist'``, ``'kuzushiji-mnist'`` or one added with
        `register_dataset`.
    data_dir : str or os.PathLike, optional
        Folder holding the dataset's files. It must exist; files are never
        downloaded into it. A dataset shipped inside a package ignores it.
    download : bool, default True
        Download missing files into the cache folder from the dataset's
        mirrors. Applies only when neither `data_dir` nor the environment
        variable is given, so that nothing is ever written into a folder the
        user chose. Each file is streamed to a temporary name, checked against
        its checksum and only then moved into place.

    Returns
    -------
    Dataset
        The training and test split; images as uint8 (for IDX files), labels
        as int64.

    Raises
    ------
    DataError
        If `name` is not registered, the folder or a file is missing (and
        cannot be downloaded), a file is corrupt or fails a checksum, or the
        files are inconsistent.

    See Also
    --------
    register_dataset : Make another dataset loadable by name.
    dataset_names : The names that can be loaded.

    Examples
    --------
    >>> load_dataset("mnist-sample").X_test.shape
    (1000, 28, 28)
    """
    spec = _registered(name)
    if spec.package_data is not None:
        return _load_packaged(spec)
    folder, origin = _resolve_folder(spec, data_dir)
    uses_cache = origin is None
    if not uses_cache:
        _require_folder(spec, folder, origin)

    missing = [file for file in spec.files if _find_file(folder, file) is None]
    if missing:
        if not (uses_cache and download and spec.mirrors):
            raise DataError(_missing_files_message(spec, folder, origin, missing, download))
        folder.mkdir(parents=True, exist_ok=True)
        for file in missing:
            _download(spec, folder, file)

    remedy = (
        "delete it and re-download it (or copy the official file)"
        if spec.mirrors
        else "replace it with the official file"
    )
    sha256sums = _read_sha256sums(folder)
    arrays = {}
    sources = {}
    for file in spec.files:
        path = _find_file(folder, file)
        sources[file] = path
        arrays[file] = _read_verified(spec, path, path, sha256sums, remedy)
    return _assemble_dataset(spec, arrays, sources)


def register_dataset(spec, *, replace=False):
    """Add a dataset to the registry, so that `load_dataset` loads it by name.

    Parameters
    ----------
    spec : DatasetSpec
        The dataset's files, checksums, mirrors, image shape and classes.
    replace : bool, default False
        Replace a dataset already registered under ``spec.name``.

    Returns
    -------
    DatasetSpec
        `spec`, so that a registration can also name it.

    Raises
    ------
    DataError
        If ``spec.name`` is registered already and `replace` is False.
    TypeError
        If `spec` is not a `DatasetSpec`.

    Examples
    --------
    >>> import hashlib, pathlib, tempfile
    >>> import numpy as np
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> arrays = {"train-images": np.zeros((4, 2, 2), np.uint8),
    ...           "train-labels": np.array([0, 1, 2, 3], np.uint8),
    ...           "test-images": np.ones((2, 2, 2), np.uint8),
    ...           "test-labels": np.array([3, 0], np.uint8)}
    >>> for file, array in arrays.items():
    ...     write_idx(folder / file, array)
    >>> md5 = {file: hashlib.md5((folder / file).read_bytes()).hexdigest() for file in arrays}
    >>> spec = register_dataset(
    ...     DatasetSpec(name="tiny", files=md5, image_shape=(2, 2), n_classes=4))
    >>> tiny = load_dataset("tiny", folder)
    >>> tiny.image_shape, tiny.n_classes, tiny.y_test.tolist()
    ((2, 2), 4, [3, 0])
    >>> del DATASETS["tiny"]  # leave the registry as it was
    """
    if not isinstance(spec, DatasetSpec):
        raise TypeError(f"register_dataset takes a DatasetSpec, got {type(spec).__name__}")
    if spec.name in DATASETS and not replace:
        raise DataError(
            f"dataset {spec.name!r} is registered already; choose another name, or pass "
            "replace=True to replace it"
        )
    DATASETS[spec.name] = spec
    return spec


def dataset_names():
    """Return the names `load_dataset` accepts, in the order they were registered.

    Examples
    --------
    >>> dataset_names()[:2]
    ('mnist', 'mnist-sample')
    """
    return tuple(DATASETS)


def as_dataset(X_train, y_train, X_test, y_test, name="arrays"):
    """Check arrays already in memory and return them as a `Dataset`.

    Parameters
    ----------
    X_train, X_test : array_like, shape (n, rows, columns) or (n, features)
        Images as pixel values 0-255 (integers or floats), at least one per
        split, of the same size in both splits.
    y_train, y_test : array_like of int, shape (n,)
        Class of each image, 0 to K - 1; K, the `Dataset`'s ``n_classes``, is
        1 + the largest label.
    name : str, default 'arrays'
        What the arrays are, to start error messages with.

    Returns
    -------
    Dataset
        The images as given (not copied when already arrays) and the labels
        as int64.

    Raises
    ------
    DataError
        If an image array has the wrong number of axes, no images, values
        that are not numbers in 0..255, or a size that differs between the
        splits; or if labels are not 1-D integers of 0 or more, one per image.

    Examples
    --------
    >>> import numpy as np
    >>> images = np.zeros((4, 2, 3), dtype=np.uint8)
    >>> data = as_dataset(images, [0, 1, 2, 1], images[:2], [2, 0])
    >>> data.image_shape, data.n_classes
    ((2, 3), 3)
    """
    X_train = _checked_images(name, "X_train", X_train)
    X_test = _checked_images(name, "X_test", X_test)
    if X_train.shape[1:] != X_test.shape[1:]:
        raise DataError(
            f"{name}: X_train has images of shape {X_train.shape[1:]} but X_test has "
            f"{X_test.shape[1:]}; training and test images must have the same size"
        )
    return Dataset(
        X_train=X_train,
        y_train=_checked_labels(name, "y_train", y_train, "X_train", len(X_train)),
        X_test=X_test,
        y_test=_checked_labels(name, "y_test", y_test, "X_test", len(X_test)),
    )


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


def _registered(name):
    """Return the spec registered under `name`, or raise a DataError listing the names."""
    try:
        return DATASETS[name]
    except (KeyError, TypeError):
        choices = ", ".join(repr(choice) for choice in DATASETS)
        raise DataError(f"unknown dataset {name!r}; choose one of {choices}") from None


def _checked_images(name, argument, images):
    """Return `images` as an array after checking its axes and pixel values."""
    images = np.asarray(images)
    if images.dtype == bool or not (
        np.issubdtype(images.dtype, np.integer) or np.issubdtype(images.dtype, np.floating)
    ):
        raise DataError(
            f"{name}: {argument} must hold pixel values (numbers 0-255), got dtype {images.dtype}"
        )
    if images.ndim not in (2, 3):
        raise DataError(
            f"{name}: {argument} must have shape (n, rows, columns) or (n, features), "
            f"got {images.shape}"
        )
    if images.shape[0] == 0:
        raise DataError(f"{name}: {argument} holds no images; give at least one")
    if not np.all(np.isfinite(images)):
        raise DataError(f"{name}: {argument} holds NaN or infinity; pixel values must be 0-255")
    low, high = images.min(), images.max()
    if low < 0 or high > 255:
        raise DataError(
            f"{name}: {argument} holds values from {low:g} to {high:g}; pixel values must lie "
            "in 0..255 (multiply values in [0, 1] by 255)"
        )
    return images


def _checked_labels(name, argument, labels, images_argument, n_images):
    """Return `labels` as int64 after checking they are integers 0 or more, one per image."""
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise DataError(
            f"{name}: {argument} must be 1-D, one label per image, got shape {labels.shape}"
        )
    if labels.dtype == bool or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(
            f"{name}: {argument} must hold integer labels 0..K-1, got dtype {labels.dtype}; "
            "convert whole-number labels with .astype(int)"
        )
    if labels.shape[0] != n_images:
        raise DataError(
            f"{name}: {images_argument} holds {n_images} images but {argument} holds "
            f"{labels.shape[0]} labels; give one label per image"
        )
    negative = np.flatnonzero(labels < 0)
    if negative.size:
        position = int(negative[0])
        raise DataError(
            f"{name}: {argument} has label {int(labels[position])} at position {position}; "
            "labels must be 0..K-1"
        )
    return labels.astype(np.int64)


def _load_packaged(spec):
    """Read a dataset shipped inside an installed package, checking its checksums."""
    package, folder_name = spec.package_data
    folder = importlib.resources.files(package) / folder_name
    remedy = f"reinstall {package}"
    arrays = {}
    sources = {}
    for file in spec.files:
        resource = _find_file(folder, file)
        if resource is None:
            raise DataError(
                f"packaged file {folder / file}[.gz] of {spec.title} is missing; the "
                f"installation is incomplete, reinstall {package}"
            )
        source = f"packaged file {resource}"
        sources[file] = source
        arrays[file] = _read_verified(spec, resource, source, {}, remedy)
    return _assemble_dataset(spec, arrays, sources)


def _cache_dir(name):
    cache_home = os.environ.get("XDG_CACHE_HOME")
    if cache_home and os.path.isabs(cache_home):
        base = pathlib.Path(cache_home)
    else:
        base = pathlib.Path.home() / ".cache"
    return base / "stdp_learn" / name


def _resolve_folder(spec, data_dir):
    """Return the dataset's folder and what chose it (None for the cache folder)."""
    if data_dir is not None:
        return pathlib.Path(data_dir).expanduser(), "the data_dir argument"
    variable = spec.data_dir_variable
    from_environment = os.environ.get(variable) if variable else None
    if from_environment:
        return pathlib.Path(from_environment).expanduser(), variable
    return _cache_dir(spec.name), None


def _choose_folder(spec):
    """Return how a user names a folder for `spec`: 'pass data_dir or set ...'."""
    if spec.data_dir_variable:
        return f"pass data_dir or set {spec.data_dir_variable}"
    return "pass data_dir"


def _require_folder(spec, folder, origin):
    if not folder.exists():
        cache_use = "use (and download into)" if spec.mirrors else "use"
        unset = f"unset {spec.data_dir_variable} and " if spec.data_dir_variable else ""
        raise DataError(
            f"{spec.title} folder {folder} (from {origin}) does not exist; create it and put "
            f"the four {spec.title} files there, or {unset}pass no data_dir to {cache_use} "
            f"the cache folder {_cache_dir(spec.name)}"
        )
    if not folder.is_dir():
        raise DataError(
            f"{spec.title} folder {folder} (from {origin}) is a file, not a folder; "
            f"give the folder that holds the four {spec.title} files"
        )


def _find_file(folder, name):
    """Return `name`.gz or `name` in `folder`, whichever exists first, else None.

    `folder` is a pathlib.Path or a package's importlib.resources Traversable.
    """
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def _missing_files_message(spec, folder, origin, missing, download):
    missing_names = ", ".join(f"{name}[.gz]" for name in missing)
    files_are = "file is" if len(missing) == 1 else "files are"
    it_or_them = "it" if len(missing) == 1 else "them"
    elsewhere = f"{_choose_folder(spec)} to a folder that holds the four {spec.title} files"
    if origin is None and spec.mirrors:
        advice = (
            f"call load_dataset({spec.name!r}, download=True) to download {it_or_them}, "
            f"or {elsewhere}"
        )
    elif origin is None:
        advice = f"{spec.title} has no download mirrors, so put {it_or_them} there, or {elsewhere}"
    elif spec.mirrors:
        advice = (
            f"put {it_or_them} there, or {elsewhere} (downloads go only into the cache folder "
            f"{_cache_dir(spec.name)}, used when neither is given)"
        )
    else:
        advice = f"put {it_or_them} there, or {elsewhere}"
    where = "cache folder" if origin is None else f"folder (from {origin})"
    return (
        f"{spec.title} {files_are} missing from the {where} {folder}: {missing_names}; {advice}"
    )


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


def _new_digest(expected):
    """Return an empty hash of the algorithm that `expected` (hex) was made with."""
    if len(expected) == 64:
        return hashlib.sha256()
    return hashlib.md5(usedforsecurity=False)


def _read_verified(spec, path, source, sha256sums, remedy):
    """Read and decode a file, checking its SHA-256 (if listed) and its content's checksum.

    `remedy` says what to do with a file whose content fails its checksum.
    """
    file_bytes = path.read_bytes()
    expected_sha256 = sha256sums.get(path.name)
    if expected_sha256 is not None:
        actual_sha256 = hashlib.sha256(file_bytes).hexdigest()
        if actual_sha256 != expected_sha256:
            raise DataError(
                f"{source}: SHA-256 {actual_sha256} differs from {expected_sha256} listed in "
                f"{source.parent / _SHA256SUMS_NAME}; the file is corrupt or was replaced, "
                "copy it again (or update SHA256SUMS if the new file is intended)"
            )
    compressed = _is_gzip_name(path.name)
    if spec.checksums_of == "gz" and not compressed:
        raise DataError(
            f"{source}: {spec.title} is checked against the published checksums of its .gz "
            f"files, so an uncompressed file cannot be checked; put the official "
            f"{path.name}.gz there instead"
        )
    content = _gunzip(file_bytes, source) if compressed else file_bytes
    decode = spec.decode or _decode_idx
    array = decode(content, source)
    expected = spec.files[path.name.removesuffix(".gz")]
    digest = _new_digest(expected)
    digest.update(file_bytes if spec.checksums_of == "gz" else content)
    if digest.hexdigest() != expected:
        checked = "the file" if spec.checksums_of == "gz" else "the uncompressed content"
        raise DataError(
            f"{source}: checksum mismatch: {checked} has "
            f"{_DIGEST_NAMES[len(expected)]} {digest.hexdigest()}, expected {expected}; the "
            f"file is corrupt or not the official {spec.title}, {remedy}"
        )
    return array


def _assemble_dataset(spec, arrays, sources):
    """Check the four arrays against each other and the spec, and return a Dataset."""
    train_images, train_labels, test_images, test_labels = spec.files
    image_axes = len(spec.image_shape)
    axes_meaning = _IMAGE_AXES.get(image_axes, "image axes")
    for images_name, labels_name in ((train_images, train_labels), (test_images, test_labels)):
        images, labels = arrays[images_name], arrays[labels_name]
        images_source, labels_source = sources[images_name], sources[labels_name]
        if images.ndim != 1 + image_axes:
            raise DataError(
                f"{images_source}: images must be {1 + image_axes}-D (count, {axes_meaning}) "
                f"but the file has shape {images.shape}; check that image and label files "
                "are not swapped"
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
        out_of_range = np.flatnonzero((labels < 0) | (labels >= spec.n_classes))
        if out_of_range.size:
            position = int(out_of_range[0])
            raise DataError(
                f"{labels_source}: label {int(labels[position])} at position {position} is "
                f"outside 0..{spec.n_classes - 1} ({out_of_range.size} such labels); the file "
                f"is corrupt or not a {spec.title} label file, replace it"
            )
    train_shape, test_shape = arrays[train_images].shape[1:], arrays[test_images].shape[1:]
    if train_shape != test_shape:
        raise DataError(
            f"{sources[train_images]} has images of {train_shape} pixels but "
            f"{sources[test_images]} has {test_shape}; training and test "
            "images must have the same size, replace the file that does not belong"
        )
    if train_shape != spec.image_shape:
        raise DataError(
            f"{sources[train_images]} and {sources[test_images]} have images of {train_shape} "
            f"pixels but {spec.title} images have {spec.image_shape}; the files are not "
            f"{spec.title}, replace them"
        )
    return Dataset(
        X_train=arrays[train_images],
        y_train=arrays[train_labels].astype(np.int64),
        X_test=arrays[test_images],
        y_test=arrays[test_labels].astype(np.int64),
    )


class _DownloadRejected(Exception):
    """Signal that a downloaded file arrived but failed its check."""


def _download(spec, folder, name):
    """Download `name`.gz into `folder` from the first mirror that gives verified bytes."""
    file_name = f"{name}.gz"
    target = folder / file_name
    failures = []
    for mirror in spec.mirrors:
        url = mirror + file_name
        _LOGGER.info("Downloading %s to %s", url, target)
        try:
            _download_verified(url, target, spec.files[name], spec.checksums_of)
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
        f"kept; check the network connection, or download the four {spec.title} files "
        f"yourself and {_choose_folder(spec)} to their folder"
    )


def _download_verified(url, target, expected, checksums_of="content"):
    """Stream `url` to a temporary file, check its checksum, then move it to `target`.

    `checksums_of` says whether `expected` is over the uncompressed content or the .gz file.
    """
    temporary = _temporary_path(target)
    try:
        with _urlopen(url, timeout=_DOWNLOAD_TIMEOUT_SECONDS) as response:
            with open(temporary, "xb") as stream:
                shutil.copyfileobj(response, stream, _CHUNK_BYTES)
        if checksums_of == "gz":
            actual = _checksum_of_file(temporary, expected)
            checked = "the downloaded file"
        else:
            actual = _checksum_of_gzip_content(temporary, expected)
            checked = "the uncompressed download"
        if actual != expected:
            raise _DownloadRejected(
                f"checksum mismatch: {checked} has "
                f"{_DIGEST_NAMES[len(expected)]} {actual}, expected {expected}; "
                "the downloaded file was removed"
            )
        os.replace(temporary, target)
    finally:
        # After a successful os.replace the temporary name no longer exists;
        # after any failure this removes the partial or rejected download.
        temporary.unlink(missing_ok=True)


def _checksum_of_file(path, expected):
    """Return the hex checksum, of the algorithm `expected` uses, of a file's bytes as stored."""
    digest = _new_digest(expected)
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _checksum_of_gzip_content(path, expected):
    """Return the hex checksum, of the algorithm `expected` uses, of a gzip file's content."""
    digest = _new_digest(expected)
    try:
        with gzip.open(path, "rb") as stream:
            while chunk := stream.read(_CHUNK_BYTES):
                digest.update(chunk)
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise _DownloadRejected(
            f"corrupt gzip data ({_one_line(error)}); the downloaded file was removed"
        ) from error
    return digest.hexdigest()
