"""The Diehl & Cook recipe computes exactly what it computed when the fixture was made.

`tests/fixtures/recipe_1000.json` (written by `tools/make_recipe_fixture.py`) holds
digests of the weights, thresholds and label assignments of the default network after
the first 1,000 MNIST training images, seed 0, on the compiled device.  Refactoring the
framework must not change one bit of them.
"""
import json
import sys
from pathlib import Path

import pytest

from conftest import needs_compiler

ROOT = Path(__file__).resolve().parents[1]


@needs_compiler
def test_default_recipe_is_bit_identical_to_the_fixture(mnist_dir, build_root):
    from stdp_learn import load_mnist

    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from make_recipe_fixture import recipe_state
    finally:
        sys.path.pop(0)
    expected = json.loads((ROOT / "tests" / "fixtures" / "recipe_1000.json").read_text())
    data = load_mnist(mnist_dir, download=False)
    state = recipe_state(data.X_train[:1000], data.y_train[:1000], build_dir=build_root)
    assert state["retries"] == expected["retries"]
    assert state["theta_volt"] == pytest.approx(expected["theta_volt"], rel=0, abs=0)
    assert state["assignments"] == expected["assignments"]
    # the digests below hold every bit of the weights; their sum is numpy's arithmetic,
    # whose order of summation changed between numpy releases (2.2 and 2.5 differ in the
    # last bit for the same weights)
    assert state["weights_sum"] == pytest.approx(expected["weights_sum"], rel=1e-14)
    for name in ("weights_sha256", "theta_sha256", "assignments_sha256"):
        assert state[name] == expected[name], name
