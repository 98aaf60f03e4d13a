"""The Diehl & Cook (2015) model as an estimator: fit, predict, score, save, load.

Examples
--------
>>> from stdp_learn import DiehlCook2015, load_mnist_sample
>>> data = load_mnist_sample()
>>> model = DiehlCook2015(n_neurons=100, random_state=0)       # doctest: +SKIP
>>> model.fit(data.X_train, data.y_train).score(data.X_test, data.y_test)  # doctest: +SKIP
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .config import ConfigError, NetworkParams
from .metrics import accuracy
from .network import initial_weights, input_delays
from .plasticity import PairSTDP
from .readout import assign_labels, predict_all_activity, predict_proportion_weighting
from .simulation import NetworkState, SpikeTrains, make_simulator

__all__ = ["DiehlCook2015", "Responses", "TrainingLog", "ModelFileError",
           "TrainingInterrupted", "TrainingDiverged"]

_FORMAT_VERSION = 1
_LABELLING = ("training", "frozen")
# Random streams of `fit_readout` passes (training blocks use phase 0, test chunks 1, 2, ...).
_READOUT_PHASE = 2**40
_PREDICTORS = ("all_activity", "proportion_weighting", "rstdp")


class ModelFileError(ValueError):
    """A saved model cannot be read: missing, corrupt, or of another format or shape."""


class TrainingInterrupted(Exception):
    """A pass stopped on request (Ctrl-C, SIGTERM); the checkpoint holds the progress.

    `phase` is the pass that stopped: "training", or a pass after it ("readout",
    "evaluation"), which a resumed run repeats from its start.
    """

    def __init__(self, checkpoint, images_done, phase="training"):
        self.checkpoint = checkpoint
        self.images_done = images_done
        self.phase = phase
        where = f"; progress saved in {checkpoint}" if checkpoint else ""
        super().__init__(f"{phase} interrupted after {images_done} images{where}")


class TrainingDiverged(RuntimeError):
    """The network reached a state that cannot learn (NaN weights or thresholds)."""


@dataclass
class Responses:
    """What the network did on a set of images, learning off (see `DiehlCook2015.responses`).

    Attributes
    ----------
    counts : ndarray of int, shape (n_images, n_neurons)
        Excitatory spikes during each image's accepted presentation.
    readout_counts : ndarray of int, shape (n_images, n_outputs), or None
        Spikes of the reward-trained readout's outputs (None without a readout).
    log : TrainingLog
        Retries, layer spikes and timing of the presentations.
    spikes : SpikeTrains
        The excitatory spikes of `counts` with their times in the presentation (for
        `stdp_learn.readout.early_exit`).
    """

    counts: np.ndarray
    readout_counts: np.ndarray | None
    log: "TrainingLog"
    spikes: SpikeTrains | None = None

    @classmethod
    def concatenate(cls, parts, n_neurons, n_outputs=None) -> "Responses":
        """Join the responses to consecutive runs of images (`n_outputs`: None without a readout)."""
        parts = list(parts)
        counts = (np.concatenate([p.counts for p in parts]) if parts
                  else np.zeros((0, n_neurons), dtype=np.int64))
        readout_counts = None
        if n_outputs is not None:
            readout_counts = (np.concatenate([p.readout_counts for p in parts]) if parts
                              else np.zeros((0, n_outputs), dtype=np.int64))
        log = TrainingLog()
        for part in parts:
            log.merge(part.log)
        spikes = SpikeTrains.concatenate([p.spikes for p in parts],
                                         [p.counts.shape[0] for p in parts])
        return cls(counts, readout_counts, log, spikes)


@dataclass
class TrainingLog:
    """What happened while learning: per-image retries and spikes, and timing."""

    images_seen: int = 0
    slots: int = 0
    seconds: float = 0.0
    retries: list = field(default_factory=list)
    spikes: list = field(default_factory=list)
    layer_spikes: dict = field(default_factory=lambda: {"input": [], "exc": [], "inh": []})
    warnings: list = field(default_factory=list)
    unanswered: int = 0  # images accepted at the retry cap without drawing min_spikes

    def record(self, result, seconds):
        """Add one block's `BlockResult`."""
        self.seconds += seconds
        self.images_seen += result.n_consumed
        if result.unanswered is not None:
            self.unanswered += int(result.unanswered.sum())
        self.slots += result.slots_used
        self.retries.extend(result.retries.tolist())
        self.spikes.extend(result.counts.sum(axis=1).tolist())
        for layer, values in result.layer_spikes.items():
            self.layer_spikes[layer].extend(values.tolist())

    def merge(self, other: "TrainingLog"):
        """Append another log (of the images that followed)."""
        self.images_seen += other.images_seen
        self.unanswered += other.unanswered
        self.slots += other.slots
        self.seconds += other.seconds
        self.retries.extend(other.retries)
        self.spikes.extend(other.spikes)
        for layer, values in other.layer_spikes.items():
            self.layer_spikes[layer].extend(values)
        self.warnings.extend(other.warnings)

    def to_arrays(self) -> dict:
        """Return the log as arrays, for a checkpoint."""
        arrays = {
            "log/retries": np.asarray(self.retries, dtype=np.int64),
            "log/spikes": np.asarray(self.spikes, dtype=np.int64),
            "log/totals": np.array([self.images_seen, self.slots, self.seconds]),
            "log/unanswered": np.array(self.unanswered, dtype=np.int64),
        }
        for layer, values in self.layer_spikes.items():
            arrays[f"log/layer_{layer}"] = np.asarray(values, dtype=np.int64)
        return arrays

    @classmethod
    def from_arrays(cls, arrays) -> "TrainingLog":
        """Rebuild a log written by `to_arrays`."""
        images_seen, slots, seconds = arrays["log/totals"]
        return cls(
            images_seen=int(images_seen), slots=int(slots), seconds=float(seconds),
            retries=arrays["log/retries"].tolist(), spikes=arrays["log/spikes"].tolist(),
            layer_spikes={layer: arrays[f"log/layer_{layer}"].tolist() for layer in ("input", "exc", "inh")},
            unanswered=int(arrays["log/unanswered"]) if "log/unanswered" in arrays else 0,
        )

    @property
    def images_per_second(self) -> float:
        """Return accepted training images per wall-clock second."""
        return self.images_seen / self.seconds if self.seconds > 0 else float("nan")


def _progress_bar(total, desc, enabled):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: without it, no bar
        return None
    return tqdm(total=total, desc=desc, unit="img", smoothing=0.1)


def _flatten(X, n_input=None):
    """Return images as float rows of pixel values 0-255, refusing what cannot be meant.

    `X` is ``(n_images, height, width)`` or ``(n_images, n_pixels)``; `n_input`, once a
    model has learned, is the number of pixels it expects.
    """
    X = np.asarray(X)
    if X.dtype == bool or not (np.issubdtype(X.dtype, np.integer) or np.issubdtype(X.dtype, np.floating)):
        raise ValueError(f"images must hold numbers (pixel values 0-255), got dtype {X.dtype}")
    if X.ndim < 2:
        raise ValueError(f"images must have shape (n_images, ...) with n_images first, got {X.shape}")
    if X.shape[0] == 0:
        raise ValueError("no images: X holds 0 images")
    if X.ndim == 2 and n_input is None and X.shape[0] == X.shape[1]:
        raise ValueError(
            f"X of shape {X.shape} is ambiguous: one {X.shape[0]}x{X.shape[1]} image, or "
            f"{X.shape[0]} images of {X.shape[1]} pixels?  Give one image as X[np.newaxis] "
            "(shape (1, h, w)); give images as rows with a third axis, X.reshape(n, h, w)"
        )
    flat = X.reshape(X.shape[0], -1)
    if n_input is not None and flat.shape[1] != n_input:
        hint = (" (one image? give it as X[np.newaxis])"
                if X.ndim == 2 and X.size == n_input else "")
        raise ValueError(
            f"images have {flat.shape[1]} pixels but the model was trained on {n_input}; "
            f"give images of the training size{hint}"
        )
    if not np.all(np.isfinite(flat)):
        raise ValueError("pixel values must be finite numbers 0-255; X holds NaN or infinity")
    low, high = float(np.min(flat)), float(np.max(flat))
    if low < 0 or high > 255:
        raise ValueError(f"pixel values must lie in 0..255, got values from {low:g} to {high:g}")
    if np.issubdtype(X.dtype, np.floating) and 0 < high <= 1 and np.any(flat != np.round(flat)):
        raise ValueError(
            f"pixel values look scaled to [0, 1] (largest {high:g}); this model takes 0-255 "
            "(a scaled image would be shown almost black): pass X * 255"
        )
    return flat.astype(np.float64)


def _digest(X, y) -> str:
    """Return a fingerprint of training images and labels, to resume only on the same ones."""
    digest = hashlib.blake2b(np.ascontiguousarray(X).tobytes(), digest_size=16)
    if y is not None:
        digest.update(np.ascontiguousarray(y, dtype=np.int64).tobytes())
    return digest.hexdigest()


def _blank_images(X) -> int:
    """Return how many images have no pixel above 0 (they never make the input fire)."""
    return int(np.count_nonzero(X.max(axis=1) <= 0))


_FORKED_MODEL = None  # the model whose chunks forked workers transform


def _write_npz(path, meta, arrays):
    """Write `meta` (JSON) and `arrays` to `path` atomically: a temporary file, then a rename."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, meta=np.array(json.dumps(meta)), **arrays)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # a failed write (a full disk) leaves nothing behind
    return path


def _check_finite(path, arrays):
    for name, value in arrays.items():
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise ModelFileError(f"{path}: {name} holds NaN or infinite values; the model is corrupt")


def _worker_signals():
    # A forked worker inherits the command line's stop handlers, which only set a flag:
    # a worker ends on SIGTERM like any process, and leaves Ctrl-C to its parent, which
    # decides to stop and ends the workers (a terminal's Ctrl-C reaches the whole group).
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _transform_chunk_in_worker(chunk):
    # Runs in a forked process: the model (with its compiled device) is inherited, only
    # the chunk's images travel through the pipe.
    return _FORKED_MODEL._transform_chunk(chunk)


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
    device : {"auto", "cpp_standalone", "runtime"}
        Brian2 device.  "auto" compiles to C++ when a compiler is available.
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

    # -- parameters ---------------------------------------------------------------------
    def get_params(self) -> dict:
        """Return the constructor arguments."""
        names = ("n_neurons", "rule", "params", "labelling", "labelling_window",
                 "evaluation_interval", "device",
                 "block_size", "random_state", "build_dir", "progress", "readout")
        return {name: getattr(self, name) for name in names}

    def _validated(self):
        for name in ("n_neurons", "block_size", "labelling_window", "evaluation_interval"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ConfigError(f"{name} must be a positive whole number, got {value!r}")
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

    def _simulator(self, n_input):
        params, rule = self._validated()
        extensions = self._extensions()
        key = (n_input, params.to_dict().__repr__(), repr(rule.to_dict()), self.device, self.block_size,
               repr([extension.to_dict() for extension in extensions]))
        if getattr(self, "_simulator_key", None) != key:
            self._sim = make_simulator(self.device, n_input, self.n_neurons, params, rule,
                                       self.block_size, build_root=self.build_dir,
                                       extensions=extensions)
            self._simulator_key = key
        return self._sim

    # -- learning -----------------------------------------------------------------------
    def fit(self, X, y=None, *, epochs=1, callback=None, checkpoint=None,
            checkpoint_interval=30.0, stop_requested=None):
        """Learn features from `X` by STDP, then assign labels from `y`.

        Parameters
        ----------
        X : array, shape (n_images, ...) of pixel values 0-255
            Training images, shown in order, `epochs` times.
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
        params, rule = self._validated()
        X = _flatten(X)
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ConfigError(f"epochs must be a positive whole number, got {epochs!r}")
        y = self._check_labels(X, y)
        if self.readout is not None and y is None:
            raise ValueError("a model with a readout learns it from labels: give fit() the labels y")
        self._check_presentable(X)
        self.n_input_ = X.shape[1]
        self._train_digest = _digest(X, y)
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
        return self._continue_fit(X, y, callback, checkpoint, checkpoint_interval, stop_requested)

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
        X = _flatten(X, model.n_input_)
        y = model._check_labels(X, y)
        if X.shape[0] != model._n_train_images:
            raise ModelFileError(
                f"{checkpoint}: training was on {model._n_train_images} images, got {X.shape[0]}; "
                "resume with the same training images"
            )
        if model._train_digest is not None and model._train_digest != _digest(X, y):
            raise ModelFileError(f"{checkpoint}: these are not the images (or labels) training "
                                 "began with; resume with the same training images")
        return model._continue_fit(X, y, callback, checkpoint, checkpoint_interval, stop_requested)

    @staticmethod
    def _check_labels(X, y):
        if y is None:
            return None
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"y must have shape ({X.shape[0]},), one label per image, got {y.shape}")
        if y.dtype == bool:
            raise ValueError("labels must be whole numbers 0..9, got booleans")
        if np.issubdtype(y.dtype, np.floating):
            if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
                raise ValueError("labels must be whole numbers 0..9; y holds NaN or fractions")
            y = y.astype(np.int64)
        elif not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"labels must be whole numbers 0..9, got dtype {y.dtype}")
        if y.size and (y.min() < 0 or y.max() > 9):
            raise ValueError(f"labels must lie in 0..9, got values from {y.min()} to {y.max()}")
        return y

    def _check_presentable(self, X):
        """Refuse blank images where the retry has no cap: they would be shown forever."""
        params, _ = self._validated()
        if params.presentation.max_retries is None and params.presentation.min_spikes > 0:
            blank = _blank_images(X)
            if blank:
                raise ValueError(
                    f"{blank} blank images (every pixel 0) would be shown again forever with "
                    "max_retries=None; remove them or set PresentationParams(max_retries=...)"
                )

    def _continue_fit(self, X, y, callback, checkpoint, checkpoint_interval, stop_requested):
        simulator = self._simulator(self.n_input_)
        self._n_train_images = X.shape[0]
        total = X.shape[0] * self.epochs_
        bar = _progress_bar(total, "train", self.progress)
        if bar is not None:
            bar.update(self.images_done_)
        log = self.training_log_
        last_saved = -np.inf  # the first block is always saved
        try:
            while self.images_done_ < total:
                if stop_requested is not None and stop_requested():
                    raise TrainingInterrupted(self._save_checkpoint(checkpoint), self.images_done_)
                order = np.arange(self.images_done_, min(total, self.images_done_ + self.block_size))
                started = time.perf_counter()
                try:
                    state, result = simulator.run_block(
                        self.state_, X[order % X.shape[0]], plastic=True,
                        seed=self._block_seed(0, self.blocks_done_),
                        labels=None if self.readout is None else y[order % X.shape[0]],
                    )
                except KeyboardInterrupt:
                    # Ctrl-C in Python (Jupyter's interrupt): the block is dropped, and fit
                    # raises rather than return a model that differs from a whole run
                    raise TrainingInterrupted(self._save_checkpoint(checkpoint),
                                              self.images_done_) from None
                except RuntimeError:
                    if stop_requested is not None and stop_requested():
                        # the block was killed with the process group: drop it
                        raise TrainingInterrupted(self._save_checkpoint(checkpoint),
                                                  self.images_done_) from None
                    raise
                self.state_ = state
                log.record(result, time.perf_counter() - started)
                self._check_health(result)
                self._recent_counts.append((order[: result.n_consumed], result.counts))
                self._trim_recent()
                intervals_before = self.images_done_ // self._interval()
                self.images_done_ += result.n_consumed
                self.blocks_done_ += 1
                if y is not None and self.images_done_ // self._interval() > intervals_before:
                    self._evaluate_interval(X, y)
                if bar is not None:
                    bar.update(result.n_consumed)
                    bar.set_postfix(img_per_s=f"{log.images_per_second:.1f}")
                if callback is not None:
                    callback(self, self.images_done_, total)
                if checkpoint is not None and time.perf_counter() - last_saved >= checkpoint_interval:
                    self._save_checkpoint(checkpoint)
                    last_saved = time.perf_counter()
        finally:
            if bar is not None:
                bar.close()
        if checkpoint is not None:
            self._save_checkpoint(checkpoint)
        if y is not None:
            self._assign(X, y)
        return self

    def _interval(self):
        # the curve is read from the responses kept for labelling
        return min(self.evaluation_interval, self.labelling_window)

    def _evaluate_interval(self, X, y):
        """Score the last interval's responses with the labels of the interval before."""
        seen = np.concatenate([s for s, _ in self._recent_counts])[-self._interval():]
        counts = np.concatenate([c for _, c in self._recent_counts])[-self._interval():]
        labels = y[seen % X.shape[0]]
        if self._curve_assignments is not None:
            predictions = predict_all_activity(counts, self._curve_assignments, 10)
            self._curve[0].append(self.images_done_)
            self._curve[1].append(accuracy(labels, predictions))
        self._curve_assignments = assign_labels(counts, labels, 10)[0]

    @property
    def training_curve_(self):
        """Return (images_seen, accuracy) arrays of the evaluations made while learning."""
        self._check_fitted()
        images, scores = getattr(self, "_curve", ([], []))
        return np.asarray(images, dtype=np.int64), np.asarray(scores, dtype=float)

    def _check_health(self, result):
        """Stop on NaN; warn when the layer has gone quiet or answers every digit alike."""
        state = self.state_
        for name in ("input_exc.w", "exc.theta", "exc.v"):
            if not np.all(np.isfinite(state.arrays[name])):
                raise TrainingDiverged(
                    f"{name} became NaN or infinite after {self.images_done_} images; "
                    "check the parameters (time step, learning rates)"
                )
        unanswered = 0 if result.unanswered is None else int(result.unanswered.sum())
        if unanswered:
            self._warn(f"block {self.blocks_done_}: {unanswered} images drew fewer than "
                       f"{self._min_spikes()} spikes even after the last retry (blank or nearly "
                       "blank); they were accepted unanswered (training_log_.unanswered)")
        if result.n_consumed == 0:
            message = (f"block {self.blocks_done_}: no image drew {self._min_spikes()} spikes in "
                       f"{self.block_size} presentations; the excitatory layer is nearly silent")
        elif result.retries.mean() > 5:
            message = (f"block {self.blocks_done_}: images needed {result.retries.mean():.1f} retries "
                       "on average; the excitatory layer is going silent")
        elif result.counts.shape[0] >= 20 and np.all((result.counts > 0).mean(axis=0) > 0.9):
            message = (f"block {self.blocks_done_}: every neuron fired for more than 90 % of the "
                       "images; the network no longer selects")
        else:
            return
        self._warn(message)

    def _warn(self, message):
        self.training_log_.warnings.append(message)
        import warnings

        warnings.warn(message, RuntimeWarning, stacklevel=4)

    def _min_spikes(self):
        params, _ = self._validated()
        return params.presentation.min_spikes

    def _save_checkpoint(self, path):
        if path is None:
            return None
        return self.save(path)

    def _trim_recent(self):
        kept, n = [], 0
        for seen, counts in reversed(self._recent_counts):
            if n >= self.labelling_window:
                break
            take = min(len(seen), self.labelling_window - n)
            kept.append((seen[len(seen) - take:], counts[len(seen) - take:]))
            n += take
        self._recent_counts = kept[::-1]

    def _assign(self, X, y):
        seen = np.concatenate([s for s, _ in self._recent_counts])
        if self.labelling == "training":
            counts = np.concatenate([c for _, c in self._recent_counts])
        else:
            counts = self.transform(X[seen % X.shape[0]])
        self.assign_labels(counts, y[seen % X.shape[0]])

    def fit_readout(self, X, y, *, epochs=1, stop_requested=None):
        """Train the reward readout on the learned features, frozen; return self.

        The images are shown as in a test pass (no STDP, no threshold growth, no weight
        normalisation of the features) while the readout learns from the labels `y`: it
        learns on the responses it will be tested on, not on features that are still
        changing.  `epochs` passes over the images.  A stop request (`stop_requested`
        returns True) or Ctrl-C raises `TrainingInterrupted` and leaves the model as it was.
        """
        self._check_fitted()
        if self.readout is None:
            raise ValueError("fit_readout needs a model built with a readout "
                             "(DiehlCook2015(readout=RewardReadout()))")
        X = _flatten(X, self.n_input_)
        y = self._check_labels(X, y)
        if y is None:
            raise ValueError("fit_readout learns from labels: give it the labels y")
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ConfigError(f"epochs must be a positive whole number, got {epochs!r}")
        simulator = self._simulator(self.n_input_)
        state = self.state_.copy()
        bar = _progress_bar(X.shape[0] * epochs, "readout", self.progress)
        try:
            for epoch in range(epochs):
                phase = _READOUT_PHASE + self.readout_passes_ + epoch
                passes = self._frozen_pass(simulator, state, X, phase, y,
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

    @property
    def readout_passes_(self) -> int:
        """Return how many passes `fit_readout` has made (each draws its own spikes)."""
        return getattr(self, "_readout_passes", 0)

    @readout_passes_.setter
    def readout_passes_(self, value):
        self._readout_passes = int(value)

    def assign_labels(self, counts, labels, n_classes=10):
        """Assign a class to every neuron from its responses `counts` to images of `labels`."""
        self.assignments_, self.proportions_, self.rates_ = assign_labels(counts, labels, n_classes)
        return self

    # -- learned state ------------------------------------------------------------------
    @property
    def device_name_(self):
        """Return the Brian2 device this model runs on ("cpp_standalone" or "runtime")."""
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
    def transform(self, X, n_jobs=None, return_log=False):
        """Return the excitatory spike counts, shape (n_images, n_neurons), learning off.

        Parameters
        ----------
        X : array, shape (n_images, ...)
            Images, pixel values 0-255.
        n_jobs : int, optional
            Processes for the compiled device (default: one per core); see `responses`.
        return_log : bool
            Also return a `TrainingLog` of the presentations (retries, layer spikes).
        """
        responses = self.responses(X, n_jobs)
        return (responses.counts, responses.log) if return_log else responses.counts

    def responses(self, X, n_jobs=None, *, stop_requested=None) -> Responses:
        """Show `X` with learning off; return the spikes of every layer as `Responses`.

        The images are cut into chunks of `chunk_size` (2,000) images; each chunk starts
        from the learned state with random streams of its own, so the result does not
        depend on how many processes share the work.  With the compiled device the
        weights are frozen and the chunks independent, so `n_jobs` processes (default:
        one per core) run them side by side.  `stop_requested` (a callable) is polled
        between blocks; when it returns True, or on Ctrl-C, the pass stops and
        `TrainingInterrupted` is raised.
        """
        self._check_fitted()
        X = _flatten(X, self.n_input_)
        self._check_presentable(X)
        simulator = self._simulator(self.n_input_)
        starts = list(range(0, X.shape[0], self.chunk_size))
        chunks = [(index, X[start: start + self.chunk_size]) for index, start in enumerate(starts)]
        n_jobs = os.cpu_count() if n_jobs is None else int(n_jobs)
        bar = _progress_bar(X.shape[0], "test", self.progress)
        try:
            if n_jobs > 1 and len(chunks) > 1 and simulator.device_name == "cpp_standalone":
                results = self._parallel_chunks(simulator, chunks, n_jobs, bar, stop_requested)
            else:
                results = []
                for chunk in chunks:
                    results.append(self._transform_chunk(chunk, stop_requested))
                    if bar is not None:
                        bar.update(results[-1].counts.shape[0])
        finally:
            if bar is not None:
                bar.close()
        return Responses.concatenate(results, self.n_neurons, self._n_outputs())

    def _parallel_chunks(self, simulator, chunks, n_jobs, bar, stop_requested):
        """Run `chunks` in forked processes; stop them all when a stop is requested."""
        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        simulator.prepare_parallel(self.state_)
        # fork: the workers inherit the compiled device and rerun its program.  A worker
        # that dies breaks the pool with an error instead of leaving its chunk unanswered.
        global _FORKED_MODEL
        _FORKED_MODEL = self
        pool = ProcessPoolExecutor(min(n_jobs, len(chunks)), mp_context=multiprocessing.get_context("fork"),
                                   initializer=_worker_signals)
        futures = [pool.submit(_transform_chunk_in_worker, chunk) for chunk in chunks]
        pending, done_images = set(futures), 0
        try:
            while pending:
                finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                if stop_requested is not None and stop_requested():
                    raise TrainingInterrupted(None, done_images, "evaluation")
                for future in finished:
                    result = future.result()  # a worker's error, raised here
                    done_images += result.counts.shape[0]
                    if bar is not None:
                        bar.update(result.counts.shape[0])
            return [future.result() for future in futures]
        except KeyboardInterrupt:
            raise TrainingInterrupted(None, done_images, "evaluation") from None
        except Exception:
            if stop_requested is not None and stop_requested():
                # the workers' programs were stopped with the process group
                raise TrainingInterrupted(None, done_images, "evaluation") from None
            raise
        finally:
            for process in list(getattr(pool, "_processes", {}).values()):
                if pending and process.is_alive():
                    process.terminate()  # an unfinished pass is thrown away whole
            pool.shutdown(wait=True, cancel_futures=True)
            simulator.finish_parallel()

    def _n_outputs(self):
        return None if self.readout is None else self.readout.n_outputs

    chunk_size = 2000

    def _transform_chunk(self, chunk, stop_requested=None):
        index, X = chunk
        simulator = self._simulator(self.n_input_)
        simulator.use_results_directory(f"results_{os.getpid()}")
        blocks = []
        passes = self._frozen_pass(simulator, self.state_.copy(), X, 1 + index,
                                   stop_requested=stop_requested, phase_name="evaluation")
        for _, result, seconds in passes:
            log = TrainingLog()
            log.record(result, seconds)
            readout_counts = (None if self.readout is None
                              else result.extensions[self.readout.name]["counts"])
            blocks.append(Responses(result.counts, readout_counts, log, result.spikes))
        return Responses.concatenate(blocks, self.n_neurons, self._n_outputs())

    def _frozen_pass(self, simulator, state, X, phase, y=None, *, stop_requested=None,
                     phase_name="evaluation"):
        """Show `X` block by block with the features frozen, from `state` at rest.

        Yields (state after the block, `BlockResult`, seconds) per block.  With labels `y`
        the readout learns from them; without, nothing learns.  A stop request (polled
        between blocks) or Ctrl-C raises `TrainingInterrupted` naming `phase_name`.
        """
        state.schedule = NetworkState({}).schedule
        done, block = 0, 0
        while done < X.shape[0]:
            if stop_requested is not None and stop_requested():
                raise TrainingInterrupted(None, done, phase_name)
            started = time.perf_counter()
            stop = done + self.block_size
            try:
                state, result = simulator.run_block(
                    state, X[done:stop], plastic=False, extensions_plastic=y is not None,
                    labels=None if y is None else y[done:stop], seed=self._block_seed(phase, block))
            except KeyboardInterrupt:
                raise TrainingInterrupted(None, done, phase_name) from None
            except RuntimeError:
                if stop_requested is not None and stop_requested():
                    raise TrainingInterrupted(None, done, phase_name) from None
                raise
            yield state, result, time.perf_counter() - started
            done += result.n_consumed
            block += 1

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
        X = _flatten(X, self.n_input_)
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
            return predict_all_activity(counts, self.assignments_, self.rates_.shape[1])
        if method == "proportion_weighting":
            return predict_proportion_weighting(
                counts, self.assignments_, self.proportions_, self.rates_.shape[1]
            )
        raise ValueError(f"method must be one of {_PREDICTORS}, got {method!r}")

    def score(self, X, y, method="all_activity"):
        """Return the fraction of images of `X` classified as `y`."""
        y = self._check_labels(_flatten(X, getattr(self, "n_input_", None)), y)
        if y is None:
            raise ValueError("score needs the labels y of the images")
        return accuracy(y, self.predict(X, method))

    # -- files --------------------------------------------------------------------------
    def _load_compact(self, path, meta, arrays):
        self.n_input_ = int(meta["n_input"])
        shape = (self.n_input_, self.n_neurons)
        for name in ("weights", "delays", "theta", "assignments", "proportions", "rates"):
            if name not in arrays:
                raise ModelFileError(f"{path}: compact model without {name}")
        _check_finite(path, arrays)
        if arrays["weights"].size != np.prod(shape) or arrays["theta"].shape != (self.n_neurons,):
            raise ModelFileError(f"{path}: weights do not match the stated network shape")
        simulator = self._simulator(self.n_input_)
        weights = arrays["weights"].astype(np.float64).reshape(shape)
        delays = arrays["delays"].astype(np.float64).reshape(shape)
        self.state_ = simulator.initial_state(weights, delays, np.random.default_rng(0))
        self.state_.arrays["exc.theta"] = arrays["theta"].astype(np.float64)
        self.images_done_ = meta.get("images_done", 0)
        if self.random_state is None:
            self._entropy = int(meta["entropy"])
        self._curve, self._curve_assignments = ([], []), None
        self.assignments_ = arrays["assignments"]
        self.proportions_ = arrays["proportions"]
        self.rates_ = arrays["rates"]
        return self

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
        self._check_fitted()
        path = Path(path)
        if compact:
            return self._save_compact(path)
        meta = self._meta()
        arrays = {f"state/{k}": v for k, v in self.state_.arrays.items()}
        if hasattr(self, "training_log_"):
            arrays.update(self.training_log_.to_arrays())
            recent = self._recent_counts
            arrays["recent/seen"] = np.concatenate([s for s, _ in recent]) if recent else np.zeros(0, np.int64)
            arrays["recent/counts"] = (np.concatenate([c for _, c in recent]) if recent
                                       else np.zeros((0, self.n_neurons), np.int64))
        if hasattr(self, "assignments_"):
            arrays.update(assignments=self.assignments_, proportions=self.proportions_, rates=self.rates_)
        images, scores = self.training_curve_
        arrays.update({"curve/images": images, "curve/accuracy": scores})
        if getattr(self, "_curve_assignments", None) is not None:
            arrays["curve/assignments"] = self._curve_assignments
        return _write_npz(path, meta, arrays)

    def configuration(self) -> dict:
        """Return everything that defines this model's network and learning, as JSON values."""
        params, rule = self._validated()
        return {
            "n_neurons": self.n_neurons,
            "params": params.to_dict(),
            "rule": rule.to_dict(),
            "readout": None if self.readout is None else self.readout.to_dict(),
            "labelling": self.labelling,
            "labelling_window": self.labelling_window,
            "evaluation_interval": self.evaluation_interval,
            "block_size": self.block_size,
            "random_state": self.random_state,
            "device": getattr(self, "device_name_", self.device),
        }

    def _meta(self) -> dict:
        """Return the settings and progress that a model file records."""
        params, rule = self._validated()
        return {
            "format": _FORMAT_VERSION,
            "stdp_learn": __version__,
            "n_neurons": self.n_neurons,
            "n_input": self.n_input_,
            "params": params.to_dict(),
            "rule": rule.to_dict(),
            "labelling": self.labelling,
            "labelling_window": self.labelling_window,
            "evaluation_interval": self.evaluation_interval,
            "block_size": self.block_size,
            "random_state": self.random_state,
            "schedule": self.state_.schedule,
            "images_done": int(getattr(self, "images_done_", 0)),
            "blocks_done": int(getattr(self, "blocks_done_", 0)),
            "epochs": int(getattr(self, "epochs_", 1)),
            "n_train_images": int(getattr(self, "_n_train_images", 0)),
            "train_digest": getattr(self, "_train_digest", None),
            "entropy": str(self._seed_sequence().entropy),
            "readout": None if self.readout is None else self.readout.to_dict(),
            "readout_passes": self.readout_passes_,
        }

    def _save_compact(self, path):
        self._check_fitted(labels=True)
        # a test pass starts from rest: no carried schedule, and the readout is not kept
        meta = dict(self._meta(), compact=True, schedule=NetworkState({}).schedule, readout=None)
        arrays = self.state_.arrays
        return _write_npz(path, meta, {
            "weights": arrays["input_exc.w"].astype(np.float32),
            "delays": arrays["input_exc.delay"].astype(np.float32),
            "theta": arrays["exc.theta"],
            "assignments": self.assignments_,
            "proportions": self.proportions_,
            "rates": self.rates_,
        })

    @classmethod
    def load(cls, path, *, device="auto", build_dir=None, progress=False):
        """Read a model written by `save`."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                arrays = {k: data[k] for k in data.files}
        except FileNotFoundError:
            raise ModelFileError(f"{path}: no such model file") from None
        except Exception as error:  # zip, json and key errors all mean the same to a user
            raise ModelFileError(f"{path}: not a readable stdp_learn model ({error})") from None
        if meta.get("format") != _FORMAT_VERSION:
            raise ModelFileError(
                f"{path}: model format {meta.get('format')} is not supported by this version "
                f"(format {_FORMAT_VERSION}); upgrade stdp_learn"
            )
        from .plasticity import PairSTDP as _Pair
        from .reward import RewardReadout

        readout = meta.get("readout")
        model = cls(
            n_neurons=meta["n_neurons"], rule=_Pair.from_dict(meta["rule"]),
            params=NetworkParams.from_dict(meta["params"]), labelling=meta["labelling"],
            labelling_window=meta["labelling_window"],
            evaluation_interval=meta.get("evaluation_interval", 10_000), device=device,
            block_size=meta["block_size"], random_state=meta["random_state"],
            build_dir=build_dir, progress=progress,
            readout=None if readout is None else RewardReadout.from_dict(readout),
        )
        if meta.get("compact"):
            return model._load_compact(path, meta, arrays)
        state = {k[len("state/"):]: v for k, v in arrays.items() if k.startswith("state/")}
        _check_finite(path, state)
        model.n_input_ = int(meta["n_input"])
        model.state_ = NetworkState(state, meta["schedule"])
        if model.state_.weights.shape != (model.n_input_, model.n_neurons):
            raise ModelFileError(f"{path}: weights do not match the stated network shape")
        model.images_done_ = meta["images_done"]
        model.blocks_done_ = meta.get("blocks_done", 0)
        model.epochs_ = meta.get("epochs", 1)
        model._n_train_images = meta.get("n_train_images", 0)
        model._train_digest = meta.get("train_digest")
        model.readout_passes_ = meta.get("readout_passes", 0)
        if model.random_state is None:
            model._entropy = int(meta["entropy"])
        if "log/totals" in arrays:
            model.training_log_ = TrainingLog.from_arrays(arrays)
            model._recent_counts = [(arrays["recent/seen"], arrays["recent/counts"])]
        model._curve = (arrays["curve/images"].tolist(), arrays["curve/accuracy"].tolist()) \
            if "curve/images" in arrays else ([], [])
        model._curve_assignments = arrays.get("curve/assignments")
        if "assignments" in arrays:
            model.assignments_ = arrays["assignments"]
            model.proportions_ = arrays["proportions"]
            model.rates_ = arrays["rates"]
        return model
