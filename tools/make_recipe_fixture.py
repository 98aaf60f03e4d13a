"""Write tests/fixtures/recipe_1000.json: the default recipe after 1,000 MNIST images.

    STDP_LEARN_DATA=/path/to/mnist python tools/make_recipe_fixture.py

The fixture holds SHA-256 digests of the weights, thresholds and label assignments that
the default network (100 neurons, seed 0, cpp_standalone) reaches after the first 1,000
training images, with the thresholds themselves; `tests/test_recipe.py` checks that the
code still computes exactly these.  Regenerate it only for a change that is meant to
alter the recipe's numbers, and say so in the commit.
"""
import hashlib
import json
import subprocess
from pathlib import Path

import numpy as np
from brian2 import volt

from stdp_learn import DiehlCook2015, load_mnist


def digest(array) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def recipe_state(X, y, build_dir=None):
    """Return the fingerprint of the default network trained on `X`, `y`."""
    model = DiehlCook2015(n_neurons=100, random_state=0, device="cpp_standalone", build_dir=build_dir)
    model.fit(X, y)
    weights = np.asarray(model.weights_, dtype=np.float64)
    theta = np.asarray(model.theta_ / volt, dtype=np.float64)
    return {
        "weights_sha256": digest(weights),
        "theta_sha256": digest(theta),
        "assignments_sha256": digest(np.asarray(model.assignments_, dtype=np.int64)),
        "theta_volt": theta.tolist(),
        "assignments": np.asarray(model.assignments_).tolist(),
        "weights_sum": float(weights.sum()),
        "retries": int(np.sum(model.training_log_.retries)),
    }


def main():
    data = load_mnist()
    state = recipe_state(data.X_train[:1000], data.y_train[:1000])
    commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    state["generated_at_commit"] = commit
    out = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "recipe_1000.json"
    out.write_text(json.dumps(state, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
