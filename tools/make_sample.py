"""Regenerate the packaged MNIST sample from the full MNIST files.

The sample is the first 1,000 training images and labels and the first 1,000
test images and labels, written as gzipped IDX with a zero gzip mtime, so that
running this script again on the official data reproduces the same bytes.

Usage::

    python tools/make_sample.py --source /path/to/mnist

``--source`` defaults to what `stdp_learn.data.load_mnist` uses (the
``STDP_LEARN_DATA`` folder, else the user cache, downloading if needed).
"""

import argparse
import hashlib
import pathlib
import sys

REPOSITORY_ROOT = pathlib.Path(__file__).resolve().parents[1]
# Let the script run from a checkout in which the package is not installed.
if str(REPOSITORY_ROOT) not in sys.path:
    sys.path.insert(0, str(REPOSITORY_ROOT))

import numpy as np  # noqa: E402

from stdp_learn.data import load_mnist, write_idx  # noqa: E402

N_TRAIN = 1000
N_TEST = 1000
DEFAULT_OUTPUT = REPOSITORY_ROOT / "stdp_learn" / "sample_data"


def build_parser():
    """Return the command-line parser of this script."""
    parser = argparse.ArgumentParser(
        description=(
            f"Write the first {N_TRAIN} training and first {N_TEST} test MNIST images and "
            "labels as gzipped IDX files."
        )
    )
    parser.add_argument(
        "--source",
        type=pathlib.Path,
        default=None,
        help="folder holding the four full MNIST files (default: as load_mnist decides)",
    )
    parser.add_argument(
        "--output",
        type=pathlib.Path,
        default=DEFAULT_OUTPUT,
        help=f"folder to write the sample into (default: {DEFAULT_OUTPUT})",
    )
    return parser


def main(argv=None):
    """Write the sample files and print their SHA-256; return the exit status."""
    arguments = build_parser().parse_args(argv)
    # load_mnist checks the published MD5s, so the sample is cut from the official data.
    dataset = load_mnist(arguments.source)
    arrays = {
        "train-images-idx3-ubyte.gz": dataset.X_train[:N_TRAIN],
        "train-labels-idx1-ubyte.gz": dataset.y_train[:N_TRAIN].astype(np.uint8),
        "t10k-images-idx3-ubyte.gz": dataset.X_test[:N_TEST],
        "t10k-labels-idx1-ubyte.gz": dataset.y_test[:N_TEST].astype(np.uint8),
    }
    arguments.output.mkdir(parents=True, exist_ok=True)
    for file_name, array in arrays.items():
        path = arguments.output / file_name
        write_idx(path, array)
        print(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {file_name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
