"""The frozen test pass on a Dask cluster: its chunks as tasks, the same counts as here."""
import numpy as np
import pytest

from conftest import needs_compiler
from stdp_learn import DiehlCook2015, load_mnist_sample
from stdp_learn import training

distributed = pytest.importorskip("dask.distributed")


def _loaded_models():
    return len(training._DASK_MODELS)


@needs_compiler
def test_the_test_pass_on_a_cluster_gives_the_counts_of_a_local_pass(build_root, dask_client):
    sample = load_mnist_sample()
    model = DiehlCook2015(n_neurons=10, device="cpp_standalone", block_size=30, random_state=3,
                          build_dir=build_root, progress=False)
    model.fit(sample.X_train[:60], sample.y_train[:60])
    model.chunk_size = 15  # three chunks of 40 images, shared by the two workers
    X, y = sample.X_test[:40], sample.y_test[:40]
    local = model.responses(X, n_jobs=1)
    remote = model.responses(X, client=dask_client)
    assert local.counts.sum() > 0
    np.testing.assert_array_equal(remote.counts, local.counts)
    assert remote.log.images_seen == local.log.images_seen == 40
    # the chunks ran in the workers, which loaded the model from its file
    assert sum(dask_client.run(_loaded_models).values()) >= 1
    assert model.evaluate(X, y, n_jobs=1)["accuracy"] == model.evaluate(X, y, client=dask_client)["accuracy"]
    # a stop request ends the pass on the cluster as it ends a local one
    with pytest.raises(training.TrainingInterrupted):
        model.responses(X, client=dask_client, stop_requested=lambda: True)
