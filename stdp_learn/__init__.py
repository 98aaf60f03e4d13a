"""stdp_learn: unsupervised learning in spiking networks with STDP, on Brian2.

The public API fits in a notebook cell::

    from stdp_learn import DiehlCook2015, PairSTDP, load_mnist
    data = load_mnist()
    model = DiehlCook2015(n_neurons=100, random_state=0).fit(data.X_train, data.y_train)
    print(model.score(data.X_test, data.y_test))
"""
__version__ = "0.1.0"

from .config import (  # noqa: E402
    ConfigError,
    ConnectivityParams,
    ExcitatoryParams,
    InhibitoryParams,
    NetworkParams,
    PresentationParams,
)
from .data import (  # noqa: E402
    DataError,
    Dataset,
    DatasetSpec,
    as_dataset,
    dataset_names,
    load_dataset,
    load_mnist,
    load_mnist_sample,
    register_dataset,
)
from .connectivity import AllToAll  # noqa: E402
from .locally_connected import LocalPatches  # noqa: E402
from .encoding import PoissonEncoder  # noqa: E402
from .encoders import BernoulliEncoder, LatencyEncoder  # noqa: E402
from .model import DiehlCook2015, ModelFileError, Responses  # noqa: E402
from .rules import VDSP, PairSTDP, SymmetricSTDP, TripletSTDP  # noqa: E402
from .reward import RewardReadout, RewardSTDP  # noqa: E402

__all__ = [
    "__version__",
    "AllToAll",
    "BernoulliEncoder",
    "LatencyEncoder",
    "LocalPatches",
    "PoissonEncoder",
    "ConfigError",
    "ConnectivityParams",
    "DataError",
    "Dataset",
    "DatasetSpec",
    "DiehlCook2015",
    "ExcitatoryParams",
    "InhibitoryParams",
    "ModelFileError",
    "NetworkParams",
    "PairSTDP",
    "PresentationParams",
    "Responses",
    "SymmetricSTDP",
    "TripletSTDP",
    "VDSP",
    "as_dataset",
    "dataset_names",
    "RewardReadout",
    "RewardSTDP",
    "load_dataset",
    "load_mnist",
    "load_mnist_sample",
    "register_dataset",
]
