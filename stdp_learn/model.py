"""The Diehl & Cook (2015) model as an estimator: fit, predict, score, evaluate, save, load.

The estimator holds the settings and the learned state; the training loop and the
frozen passes live in `stdp_learn.training`, the file formats in `stdp_learn.checkpoint`,
the input checks in `stdp_learn.inputs` and the evaluation report in
`stdp_learn.report`.

Examples
--------
>>> from stdp_learn import DiehlCook2015, load_mnist_sample
>>> data = load_mnist_sample()
>>> model = DiehlCook2015(n_neurons=100, random_state=0)       # doctest: +SKIP
>>> model.fit(data.X_train, data.y_train).score(data.X_test, data.y_test)  # doctest: +SKIP
"""
from __future__ import annotations

import numpy as np

from . import checkpoint as _files
from . import training as _training
from .checkpoint import ModelFileError
from .config import ConfigError, NetworkParams
from .connectivity import AllToAll
from .encoding import PoissonEncoder
from .metrics import accuracy
from .network import initial_weights, input_delays
from .readout import assign_labels, predict_all_activity, predict_proportion_weighting
from .rules import PairSTDP
from .simulation import NetworkState, make_simulator
from .training import Responses, TrainingDiverged, TrainingInterrupted, TrainingLog
from .inputs import as_image_rows, blank_images, check_labels, images_digest

__all__ = ["DiehlCook2015", "Responses", "TrainingLog", "ModelFileError",
           "TrainingInterrupted", "TrainingDiverged"]

_LABELLING = ("training", "frozen")
# Random streams of `fit_readout` passes (training blocks use phase 0, test chunks 1, 2, ...).
_READOUT_PHASE = 2**40
# Random stream of the training order (`shuffle`), apart from every simulation's.
_SHUFFLE_PHASE = 2**41
_PREDICTORS = ("all_activity", "proportion_weighting", "rstdp")


class DiehlCook2015:
    """Unsupervised digit learning with STDP (Diehl & Cook 2015).

    Parameters
    ----------
    n_neurons : int
        Excitatory (and inhibitory) neurons: 100, 400, 1600 or 6400 in the paper.
    rule : learning rule, optional
        The input synapses' rule; `PairSTDP()` (the paper's) by default.
    params : NetworkParams, optional
        Neuron, synapse and presentation parameters; the paper's by default.
    labelling : {"training", "frozen"}
        Where the neurons' class labels come from.  "training" (the paper) uses the
        responses to the last `labelling_window` training presentations, recorded while
        the network learns; "frozen" shows those images again with learning off.
    labelling_window : int
        How many of the last training images assign the labels (10,000 in the paper).
    evaluation_interval : int
        While learning with labels, every this many images (10,000, as the paper) the
        responses to the images of the interval are classified with the labels assigned
        from the interval before, which gives `training_curve_` at no simulation cost.
        Intervals longer than `labelling_window` are cut to it.
    device : {"auto", "cpp_standalone", "runtime", "cuda_standalone"}
        Brian2 device.  "auto" compiles to C++ when a compiler is available;
        "cuda_standalone" (brian2cuda) needs an NVIDIA GPU.
    block_size : int
        Presentation slots per simulation call.  Larger blocks run faster; results
        depend on it only through where the random number streams are reseeded.
    random_state : int or None
        Seeds the initial weights, the delays and every block's random numbers.
    build_dir : str or Path, optional
        Cache folder of compiled networks (default: $STDP_LEARN_BUILD or the user cache).
    progress : bool
        Show a progress bar.
    readout : RewardReadout, optional
        A layer of class outputs trained by reward-modulated STDP alongside the features
        (`stdp_learn.reward.RewardReadout`).  It learns from the labels `y` given to
        `fit`, during the same presentations; `predict(X, method="rstdp")` uses it.
    encoder : Encoder, optional
        How images become input spikes (`stdp_learn.encoding`); the paper's Poisson
        rates, brighter at every retry, by default.
    connectivity : Connectivity, optional
        Which inputs reach which excitatory neurons (`stdp_learn.connectivity`);
        all-to-all (the paper) by default.
    shuffle : bool
        Show the training images in a new random order every epoch, drawn from
        `random_state`, instead of in their file order (the paper's).  With file order
        the last images learned are always the same block, and a rule that follows
        recent images closely carries that block's bias into the test pass.

    Attributes
    ----------
    weights_ : ndarray, shape (n_input, n_neurons)
        Learned input weights; column j is neuron j's receptive field.
    theta_ : Quantity, shape (n_neurons,)
        Adaptive threshold increments.
    assignments_ : ndarray of int, shape (n_neurons,)
        Class of each neuron (-1: silent during labelling).
    proportions_, rates_ : ndarray, shape (n_neurons, n_classes)
        Label-assignment statistics (see `stdp_learn.readout.assign_labels`).
    training_log_ : TrainingLog
        Retries, spike counts and speed of the training presentations.
    training_curve_ : tuple of ndarray (images_seen, accuracy)
        Accuracy estimated while learning (see `evaluation_interval`); empty without labels
        or before two intervals have passed.
    """

    def __init__(
        self,
        n_neurons=100,
        *,
        rule=None,
        params=None,
        labelling="training",
        labelling_window=10_000,
        evaluation_interval=10_000,
        device="auto",
        block_size=500,
        random_state=None,
        build_dir=None,
        progress=False,
        readout=None,
        encoder=None,
        connectivity=None,
        shuffle=False,
    ):
        self.n_neurons = n_neurons
        self.rule = rule
        self.params = params
        self.labelling = labelling
        self.labelling_window = labelling_window
        self.evaluation_interval = evaluation_interval
        self.device = device
        self.block_size = block_size
        self.random_state = random_state
        self.build_dir = build_dir
        self.progress = progress
        self.readout = readout
        self.encoder = encoder
        self.connectivity = connectivity
        self.shuffle = shuffle

    # -- parameters ---------------------------------------------------------------------
    def get_params(self) -> dict:
        """Return the constructor arguments."""
        names = ("n_neurons", "rule", "params", "labelling", "labelling_window",
                 "evaluation_interval", "device",
                 "block_size", "random_state", "build_dir", "progress", "readout", "encoder",
                 "connectivity", "shuffle")
        return {name: getattr(self, name) for name in names}

    def _validated(self):
        for name in ("n_neurons", "block_size", "labelling_window", "evaluation_interval"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ConfigError(f"{name} must be a positive whole number, got {value!r}")
        if not isinstance(self.shuffle, (bool, np.bool_)):
            raise ConfigError(f"shuffle must be True or False, got {self.shuffle!r}")
        if self.labelling not in _LABELLING:
            raise ConfigError(f"labelling must be one of {_LABELLING}, got {self.labelling!r}")
        if self.device not in ("auto", "runtime", "cpp_standalone", "cuda_standalone"):
            raise ConfigError(
                f"device must be 'auto', 'runtime', 'cpp_standalone' or 'cuda_standalone', "
                f"got {self.device!r}"
            )
        params = (self.params if self.params is not None else NetworkParams()).validate()
        rule = (self.rule if self.rule is not None else PairSTDP()).validate()
        if self.readout is not None:
            from .reward import RewardReadout

            if not isinstance(self.readout, RewardReadout):
                raise ConfigError(f"readout must be a RewardReadout or None, got {self.readout!r}")
            self.readout.validate()
        return params, rule

    def _extensions(self):
        return () if self.readout is None else (self.readout,)

    def _seed_sequence(self):
        if self.random_state is None:
            if not hasattr(self, "_entropy"):
                self._entropy = np.random.SeedSequence().entropy
            return np.random.SeedSequence(self._entropy)
        if isinstance(self.random_state, bool) or not isinstance(self.random_state, (int, np.integer)) \
                or self.random_state < 0:
            raise ConfigError(f"random_state must be a non-negative int or None, got {self.random_state!r}")
        return np.random.SeedSequence(int(self.random_state))

    def _block_seed(self, phase, block):
        entropy = self._seed_sequence().entropy
        sequence = np.random.SeedSequence([int(entropy) % 2**63, phase, block])
        return int(sequence.generate_state(1)[0] % 2**31)

    def _training_images(self, positions, n_images):
        """Return the indices of the images shown at training presentations `positions`.

        Presentation p is in epoch ``p // n_images``; without `shuffle` it shows image
        ``p % n_images``, with it that epoch's permutation of the images, which depends on
        the seed and the epoch only (so a resumed run shows what a whole one does).
        """
        positions = np.asarray(positions, dtype=np.int64)
        if not self.shuffle:
            return positions % n_images
        epochs = positions // n_images
        images = np.empty_like(positions)
        entropy = int(self._seed_sequence().entropy) % 2**63
        for epoch in np.unique(epochs):
            rng = np.random.default_rng(np.random.SeedSequence([entropy, _SHUFFLE_PHASE, int(epoch)]))
            in_epoch = epochs == epoch
            images[in_epoch] = rng.permutation(n_images)[positions[in_epoch] % n_images]
        return images

    @property
    def network_params_(self) -> NetworkParams:
        """Return the parameters as the network uses them: scaled to its input count.

        See `NetworkParams.for_input_count`: at MNIST's 784 inputs these are `params`.
        """
        params, _ = self._validated()
        return params.for_input_count(self.n_input_)

    def _blocks(self):
        """Return the encoder and the connectivity, the paper's where none is given."""
        encoder = self.encoder if self.encoder is not None else PoissonEncoder()
        connectivity = self.connectivity if self.connectivity is not None else AllToAll()
        return encoder, connectivity

    def _simulator(self, n_input):
        _, rule = self._validated()
        params = self._validated()[0].for_input_count(n_input)
        extensions = self._extensions()
        encoder, connectivity = self._blocks()
        key = (n_input, params.to_dict().__repr__(), repr(rule.to_dict()), self.device, self.block_size,
               repr([extension.to_dict() for extension in extensions]), repr(encoder.to_dict()),
               repr(connectivity.to_dict()))
        if getattr(self, "_simulator_key", None) != key:
            self._sim = make_simulator(self.device, n_input, self.n_neurons, params, rule,
                                       self.block_size, build_root=self.build_dir,
                                       extensions=extensions, encoder=encoder,
                                       connectivity=connectivity)
            self._simulator_key = key
        return self._sim

    # -- learning -----------------------------------------------------------------------
    def fit(self, X, y=None, *, epochs=1, callback=None, checkpoint=None,
            checkpoint_interval=30.0, stop_requested=None):
        """Learn features from `X` by STDP, then assign labels from `y`.

        Parameters
        ----------
        X : array, shape (n_images, ...) of pixel values 0-255
            Training images, shown `epochs` times: in order, or shuffled (`shuffle`).
        y : array of int, shape (n_images,), optional
            Labels, used to assign classes to neurons after learning and, with a
            `readout`, to reward it while it learns (the features never see them).
        epochs : int
            Passes over `X`.
        callback : callable, optional
            Called as ``callback(model, images_done, images_total)`` after every block.
        checkpoint : str or Path, optional
            File that receives the whole training state (atomically) after a block, at
            most every `checkpoint_interval` seconds, when training stops on request
            and at the end; `resume` continues from it.
        checkpoint_interval : float
            Seconds between checkpoints.
        stop_requested : callable, optional
            Polled after every block; when it returns True, the checkpoint is written
            and `TrainingInterrupted` is raised.

        Returns
        -------
        self
        """
        _, rule = self._validated()
        X = as_image_rows(X)
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ConfigError(f"epochs must be a positive whole number, got {epochs!r}")
        y = check_labels(X, y)
        if self.readout is not None and y is None:
            raise ValueError("a model with a readout learns it from labels: give fit() the labels y")
        self._check_presentable(X)
        self._check_classes(y)
        self.n_input_ = X.shape[1]
        self.n_classes_ = None if y is None else self._n_classes(y)
        self._train_digest = images_digest(X, y)
        params = self.network_params_
        rng = np.random.default_rng(self._seed_sequence().spawn(1)[0])
        weights = initial_weights(self.n_input_, self.n_neurons, params, rng)
        delays = input_delays(self.n_input_, self.n_neurons, params, rng)
        simulator = self._simulator(self.n_input_)
        self.state_ = simulator.initial_state(weights, delays, rng)
        self.training_log_ = TrainingLog()
        self.images_done_ = 0
        self.blocks_done_ = 0
        self.epochs_ = epochs
        self._recent_counts = []
        self._curve = ([], [])
        self._curve_assignments = None
        return _training.train(self, X, y, callback, checkpoint, checkpoint_interval, stop_requested)

    @classmethod
    def resume(cls, checkpoint, X, y=None, *, device="auto", build_dir=None, progress=False,
               callback=None, checkpoint_interval=30.0, stop_requested=None):
        """Continue the training saved in `checkpoint` on the same images `X`, `y`.

        The result is identical to an uninterrupted `fit` with the same seed on the same
        device: blocks start where they would have, with the same random seeds.
        """
        model = cls.load(checkpoint, device=device, build_dir=build_dir, progress=progress)
        if not hasattr(model, "training_log_"):
            raise ModelFileError(f"{checkpoint}: holds a finished model, not a training checkpoint")
        X = as_image_rows(X, model.n_input_)
        y = check_labels(X, y)
        if X.shape[0] != model._n_train_images:
            raise ModelFileError(
                f"{checkpoint}: training was on {model._n_train_images} images, got {X.shape[0]}; "
                "resume with the same training images"
            )
        if model._train_digest is not None and model._train_digest != images_digest(X, y):
            raise ModelFileError(f"{checkpoint}: these are not the images (or labels) training "
                                 "began with; resume with the same training images")
        if y is not None and model.n_classes_ is None:
            model.n_classes_ = model._n_classes(y)
        return _training.train(model, X, y, callback, checkpoint, checkpoint_interval, stop_requested)

    def trained_on(self, X, y=None) -> bool:
        """Return whether `X` and `y` are the images and labels the model learned from.

        A check before scoring or refitting a loaded model on a split, so that held-out
        images are not ones it trained on.
        """
        self._check_fitted()
        digest = getattr(self, "_train_digest", None)
        if digest is None:
            raise ModelFileError("this model does not record the images it learned from")
        X = as_image_rows(X, self.n_input_)
        return digest == images_digest(X, check_labels(X, y))

    def _n_classes(self, y) -> int:
        """Return the number of classes: one more than the largest label (at least 2)."""
        return max(int(y.max()) + 1, 2) if y.size else 2

    def _check_classes(self, y):
        if y is None or self.readout is None:
            return
        if self._n_classes(y) > self.readout.n_classes:
            raise ValueError(
                f"the labels have {self._n_classes(y)} classes but the readout "
                f"{self.readout.n_classes}; give RewardReadout(n_classes={self._n_classes(y)})")

    def _check_presentable(self, X):
        """Refuse blank images where the retry has no cap: they would be shown forever."""
        params, _ = self._validated()
        if params.presentation.max_retries is None and params.presentation.min_spikes > 0:
            blank = blank_images(X)
            if blank:
                raise ValueError(
                    f"{blank} blank images (every pixel 0) would be shown again forever with "
                    "max_retries=None; remove them or set PresentationParams(max_retries=...)"
                )

    @property
    def recent_responses_(self):
        """Return (positions, counts) of the last training presentations, recorded while
        learning: the responses that label the neurons (at most `labelling_window`).

        ``positions`` counts presentations from the start of training; the image shown
        is ``X[positions % len(X)]`` of the images `fit` was given.  ``counts`` has shape
        (len(positions), n_neurons).
        """
        self._check_fitted()
        recent = getattr(self, "_recent_counts", [])
        if not recent:
            return np.zeros(0, dtype=np.int64), np.zeros((0, self.n_neurons))
        return (np.concatenate([seen for seen, _ in recent]),
                np.concatenate([counts for _, counts in recent]))

    @property
    def n_train_images_(self) -> int:
        """Return how many images `fit` was given (one epoch's length)."""
        self._check_fitted()
        return int(getattr(self, "_n_train_images", 0))

    @property
    def training_curve_(self):
        """Return (images_seen, accuracy) arrays of the evaluations made while learning."""
        self._check_fitted()
        images, scores = getattr(self, "_curve", ([], []))
        return np.asarray(images, dtype=np.int64), np.asarray(scores, dtype=float)

    def _min_spikes(self):
        params, _ = self._validated()
        return params.presentation.min_spikes

    def fit_readout(self, X, y, *, epochs=1, last=None, stop_requested=None):
        """Train the reward readout on the learned features, frozen; return self.

        The images are shown as in a test pass (no STDP, no threshold growth, no weight
        normalisation of the features) while the readout learns from the labels `y`: it
        learns on the responses it will be tested on, not on features that are still
        changing.  `epochs` passes over the images; with `last`, over the last `last`
        of them only (the command line passes the labelling window).  A stop request (`stop_requested`
        returns True) or Ctrl-C raises `TrainingInterrupted` and leaves the model as it was.
        """
        self._check_fitted()
        if self.readout is None:
            raise ValueError("fit_readout needs a model built with a readout "
                             "(DiehlCook2015(readout=RewardReadout()))")
        X = as_image_rows(X, self.n_input_)
        y = check_labels(X, y)
        if y is None:
            raise ValueError("fit_readout learns from labels: give it the labels y")
        if last is not None:
            X, y = X[-int(last):], y[-int(last):]
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ConfigError(f"epochs must be a positive whole number, got {epochs!r}")
        simulator = self._simulator(self.n_input_)
        state = self.state_.copy()
        bar = _training.progress_bar(X.shape[0] * epochs, "readout", self.progress)
        try:
            for epoch in range(epochs):
                phase = _READOUT_PHASE + self.readout_passes_ + epoch
                passes = _training.frozen_pass(self, simulator, state, X, phase, y,
                                               stop_requested=stop_requested, phase_name="readout")
                for state, result, _ in passes:
                    if bar is not None:
                        bar.update(result.n_consumed)
        finally:
            if bar is not None:
                bar.close()
        state.schedule = NetworkState({}).schedule
        self.state_ = state
        self.readout_passes_ += epochs
        return self

    def reset_readout(self, readout=None):
        """Give the fitted model a readout that has learned nothing yet; return self.

        `readout` (a `RewardReadout`) replaces the model's own, which may be absent: other
        outputs per class, another rule or other settings on the same features.  Without
        it the model's own readout starts again.  The initial weights come from a stream
        of the model's seed of their own, so one seed gives one readout; `fit_readout`
        then trains it on the frozen features.
        """
        self._check_fitted()
        from .reward import RewardReadout

        readout = self.readout if readout is None else readout
        if not isinstance(readout, RewardReadout):
            raise ConfigError(f"reset_readout needs a RewardReadout, got {readout!r}")
        readout.validate()
        if self.n_classes_ is not None and self.n_classes_ > readout.n_classes:
            raise ValueError(f"the model knows {self.n_classes_} classes but the readout "
                             f"{readout.n_classes}; give RewardReadout(n_classes={self.n_classes_})")
        arrays = self.state_.arrays
        if self.readout is not None:
            own = (f"{self.readout.name}_output.", f"{self.readout.name}_input.")
            for name in [name for name in arrays if name.startswith(own)]:
                del arrays[name]
        self.readout = readout
        rng = np.random.default_rng(self._seed_sequence().spawn(2)[1])
        arrays.update(readout.initial_arrays(self.n_neurons, rng))
        self.readout_passes_ = 0
        return self

    @property
    def readout_passes_(self) -> int:
        """Return how many passes `fit_readout` has made (each draws its own spikes)."""
        return getattr(self, "_readout_passes", 0)

    @readout_passes_.setter
    def readout_passes_(self, value):
        self._readout_passes = int(value)

    def assign_labels(self, counts, labels, n_classes=None):
        """Assign a class to every neuron from its responses `counts` to images of `labels`.

        `n_classes` defaults to the classes of the training labels.
        """
        labels = np.asarray(labels)
        if n_classes is None:
            n_classes = getattr(self, "n_classes_", None) or self._n_classes(labels)
        self.n_classes_ = int(n_classes)
        self.assignments_, self.proportions_, self.rates_ = assign_labels(counts, labels, n_classes)
        return self

    # -- learned state ------------------------------------------------------------------
    @property
    def device_name_(self):
        """Return the Brian2 device this model runs on ("cpp_standalone", "cuda_standalone" or
        "runtime")."""
        self._check_fitted()
        return self._simulator(self.n_input_).device_name

    @property
    def weights_(self):
        self._check_fitted()
        return self.state_.weights

    @property
    def theta_(self):
        self._check_fitted()
        return self.state_.theta

    def _check_fitted(self, labels=False):
        if not hasattr(self, "state_"):
            raise RuntimeError("this model has not been fitted yet: call fit() or load() first")
        if labels and not hasattr(self, "assignments_"):
            raise RuntimeError("neurons have no class labels: fit with labels y, or call assign_labels()")

    # -- inference ----------------------------------------------------------------------
    def transform(self, X, n_jobs=None, return_log=False, *, client=None):
        """Return the excitatory spike counts, shape (n_images, n_neurons), learning off.

        Parameters
        ----------
        X : array, shape (n_images, ...)
            Images, pixel values 0-255.
        n_jobs : int, optional
            Processes for the compiled device (default: one per core); see `responses`.
        return_log : bool
            Also return a `TrainingLog` of the presentations (retries, layer spikes).
        client : dask.distributed.Client, optional
            Run the chunks as tasks of this Dask cluster instead; see `responses`.
        """
        responses = self.responses(X, n_jobs, client=client)
        return (responses.counts, responses.log) if return_log else responses.counts

    def responses(self, X, n_jobs=None, *, stop_requested=None, client=None) -> Responses:
        """Show `X` with learning off; return the spikes of every layer as `Responses`.

        The images are cut into chunks of `chunk_size` (2,000) images; each chunk starts
        from the learned state with random streams of its own, so the result does not
        depend on how many processes share the work.  With the compiled device the
        weights are frozen and the chunks independent, so `n_jobs` processes (default:
        one per core) run them side by side.  With a Dask `client` the chunks run as tasks
        of its cluster instead (any device): the model travels to each worker as its model
        file, and the counts equal those of a pass here.  `stop_requested` (a callable) is
        polled between blocks; when it returns True, or on Ctrl-C, the pass stops and
        `TrainingInterrupted` is raised.
        """
        return _training.responses(self, X, n_jobs, stop_requested=stop_requested, client=client)

    def evaluate(self, X, y, *, readout="label_assignment", n_jobs=None, stop_requested=None,
                 client=None) -> dict:
        """Return the report of this model on images `X` with labels `y` (a JSON-able dict).

        Every readout's accuracy, the confusion matrix and unanswered images of
        `readout`, spikes per image, the efficiency report (operations, memory, energy)
        and the early-exit curve; see `stdp_learn.report.evaluation_report`.  The test
        pass runs as `responses` runs it (`n_jobs` processes, or the Dask `client`).
        """
        from .report import READOUTS, evaluation_report

        if readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
        self._check_fitted(labels=True)
        X = as_image_rows(X, self.n_input_)
        y = check_labels(X, y)
        if y is None:
            raise ValueError("evaluate needs the labels y of the images")
        responses = self.responses(X, n_jobs, stop_requested=stop_requested, client=client)
        return evaluation_report(self, responses, y, X, readout=readout)

    def _n_outputs(self):
        return None if self.readout is None else self.readout.n_outputs

    #: Images per chunk of a test pass (each chunk has its own random streams).
    chunk_size = 2000

    def predict(self, X, method="all_activity"):
        """Return the predicted class of each image (-1 where no assigned neuron fired).

        `method` is "all_activity" (the paper: the class whose labelled neurons fired
        most on average), "proportion_weighting" (each neuron's spikes weighted by how
        often it answered each class) or "rstdp" (the class whose readout outputs fired
        most; needs a `readout`).
        """
        if method not in _PREDICTORS:
            raise ValueError(f"method must be one of {_PREDICTORS}, got {method!r}")
        if method == "rstdp" and self.readout is None:
            raise ValueError("method 'rstdp' needs a model built with a readout "
                             "(DiehlCook2015(readout=RewardReadout()))")
        self._check_fitted(labels=method != "rstdp")
        X = as_image_rows(X, self.n_input_)
        return self.predict_from_responses(self.responses(X), method)

    def predict_from_responses(self, responses, method="all_activity"):
        """Return class predictions from `Responses` already computed by `responses`."""
        if method == "rstdp":
            self._check_fitted()
            if self.readout is None or responses.readout_counts is None:
                raise ValueError("method 'rstdp' needs a model built with a readout "
                                 "(DiehlCook2015(readout=RewardReadout()))")
            return self.readout.predict(responses.readout_counts)
        return self.predict_from_counts(responses.counts, method)

    def predict_from_counts(self, counts, method="all_activity"):
        """Return label-assignment predictions from excitatory counts computed by `transform`."""
        self._check_fitted(labels=True)
        if method == "rstdp":
            raise ValueError("method 'rstdp' reads the readout's spikes: use predict_from_responses")
        if method == "all_activity":
            return predict_all_activity(counts, self.assignments_, self.n_classes_)
        if method == "proportion_weighting":
            return predict_proportion_weighting(
                counts, self.assignments_, self.proportions_, self.n_classes_
            )
        raise ValueError(f"method must be one of {_PREDICTORS}, got {method!r}")

    def score(self, X, y, method="all_activity"):
        """Return the fraction of images of `X` classified as `y`."""
        X = as_image_rows(X, getattr(self, "n_input_", None))
        y = check_labels(X, y)
        if y is None:
            raise ValueError("score needs the labels y of the images")
        return accuracy(y, self.predict(X, method))

    # -- files --------------------------------------------------------------------------
    @classmethod
    def pretrained(cls, n_neurons=100, *, device="auto", build_dir=None, progress=False):
        """Return the network of `n_neurons` (100 or 400) trained on MNIST, shipped with the package.

        Each was trained by ``python -m stdp_learn.train mnist --neurons N --seed 0`` (one
        pass over the 60,000 training images, labels from the last 10,000); its test
        accuracy is in the README and in ``stdp_learn/pretrained/README.md``.
        """
        from importlib import resources

        name = f"dc{int(n_neurons)}.npz"
        folder = resources.files("stdp_learn") / "pretrained"
        if not (folder / name).is_file():
            shipped = sorted(p.name for p in folder.iterdir() if p.name.endswith(".npz"))
            raise ModelFileError(f"no pretrained model with {n_neurons} neurons; shipped: {shipped}")
        with resources.as_file(folder / name) as path:
            return cls.load(path, device=device, build_dir=build_dir, progress=progress)

    def save(self, path, compact=False):
        """Write the fitted model to `path` (.npz), atomically.

        With ``compact=True`` only what classifies is kept: input weights and delays in
        single precision, thresholds, labels (about a fifth of the size; no training
        state, so it cannot resume).  The network starts each test pass from rest
        anyway, so the answers differ from the full file's only by the rounding of the
        weights to single precision.
        """
        return _files.save_model(self, path, compact=compact)

    @classmethod
    def load(cls, path, *, device="auto", build_dir=None, progress=False):
        """Read a model written by `save` (a full file or a compact one)."""
        return _files.load_model(cls, path, device=device, build_dir=build_dir, progress=progress)

    def configuration(self) -> dict:
        """Return everything that defines this model's network and learning, as JSON values."""
        params, rule = self._validated()
        encoder, connectivity = self._blocks()
        return {
            "n_neurons": self.n_neurons,
            "params": params.to_dict(),
            "rule": rule.to_dict(),
            "encoder": encoder.to_dict(),
            "connectivity": connectivity.to_dict(),
            "readout": None if self.readout is None else self.readout.to_dict(),
            "labelling": self.labelling,
            "labelling_window": self.labelling_window,
            "evaluation_interval": self.evaluation_interval,
            "block_size": self.block_size,
            "random_state": self.random_state,
            "shuffle": self.shuffle,
            "device": getattr(self, "device_name_", self.device),
        }
