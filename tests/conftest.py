"""Shared test setup: a fresh Brian2 scope and seed per test, and the data/build folders."""
import os
from pathlib import Path

import brian2
import pytest

from stdp_learn.simulation import compiler_available


@pytest.fixture(autouse=True)
def _brian2_scope():
    brian2.start_scope()
    brian2.seed(20150301)
    yield


@pytest.fixture(scope="session")
def build_root(tmp_path_factory):
    """Folder for compiled networks, shared by the tests of one session."""
    root = os.environ.get("STDP_LEARN_BUILD")
    return Path(root) if root else tmp_path_factory.mktemp("builds")


@pytest.fixture(scope="session")
def mnist_dir():
    """Folder of the full MNIST files; tests that need it skip without STDP_LEARN_DATA."""
    folder = os.environ.get("STDP_LEARN_DATA")
    if not folder:
        pytest.skip("set STDP_LEARN_DATA to the folder of the MNIST IDX files to run this test")
    return Path(folder)


@pytest.fixture(scope="session")
def mnist_sample():
    """The 1,000 + 1,000 MNIST images packaged with the library."""
    from stdp_learn import load_mnist_sample

    return load_mnist_sample()


needs_compiler = pytest.mark.skipif(not compiler_available(), reason="no C++ compiler for cpp_standalone")


def use_runtime_device():
    """Switch Brian2 back to runtime mode after tests that compiled a network."""
    from stdp_learn.backend import standalone_owner

    standalone_owner.release()


@pytest.fixture
def runtime_numpy():
    """Run in Brian2's runtime mode with numpy code generation, then restore the target."""
    previous = brian2.prefs.codegen.target
    use_runtime_device()
    brian2.prefs.codegen.target = "numpy"
    yield
    brian2.prefs.codegen.target = previous
