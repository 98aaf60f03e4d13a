"""The training loop and the frozen passes: blocks, stop requests, checkpoints, progress.

The functions here drive a `DiehlCook2015` (any object with its learned attributes)
block by block through its simulator: `train` runs the learning blocks of `fit` and
`resume`, with checkpoints, stop requests, health checks and the accuracy estimated
while learning; `frozen_pass` shows images with the features frozen (test passes and
the readout's own pass); `responses` cuts a test pass into chunks that forked processes,
or the workers of a Dask cluster when a client is given, run side by side.  A stop
request or Ctrl-C ends any of them at a block boundary with `TrainingInterrupted`.
"""
from __future__ import annotations

import os
import threading
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from .metrics import accuracy
from .readout import assign_labels, predict_all_activity
from .simulation import NetworkState, SpikeTrains
from .inputs import as_image_rows

__all__ = ["Responses", "TrainingDiverged", "TrainingInterrupted", "TrainingLog", "frozen_pass",
           "progress_bar", "responses", "save_checkpoint", "train"]


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


def progress_bar(total, desc, enabled):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: without it, no bar
        return None
    return tqdm(total=total, desc=desc, unit="img", smoothing=0.1)


_FORKED_MODEL = None  # the model whose chunks forked workers transform


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
    return _transform_chunk(_FORKED_MODEL, chunk)




def save_checkpoint(model, path):
    """Write the model's whole training state to `path` (nothing when `path` is None)."""
    if path is None:
        return None
    return model.save(path)


def train(model, X, y, callback, checkpoint, checkpoint_interval, stop_requested):
    """Run `model`'s learning blocks from where it stands to the end of its epochs.

    Blocks start where an uninterrupted run's would, with the same seeds, so a resumed
    run computes what a whole one does.  After the last block the neurons are labelled
    from `y` (when given).  See `DiehlCook2015.fit` for the arguments.
    """
    simulator = model._simulator(model.n_input_)
    model._n_train_images = X.shape[0]
    total = X.shape[0] * model.epochs_
    bar = progress_bar(total, "train", model.progress)
    if bar is not None:
        bar.update(model.images_done_)
    log = model.training_log_
    last_saved = -np.inf  # the first block is always saved
    try:
        while model.images_done_ < total:
            if stop_requested is not None and stop_requested():
                raise TrainingInterrupted(save_checkpoint(model, checkpoint), model.images_done_)
            positions = np.arange(model.images_done_, min(total, model.images_done_ + model.block_size))
            shown = model._training_images(positions, X.shape[0])
            started = time.perf_counter()
            try:
                state, result = simulator.run_block(
                    model.state_, X[shown], plastic=True,
                    seed=model._block_seed(0, model.blocks_done_),
                    labels=None if model.readout is None else y[shown],
                )
            except KeyboardInterrupt:
                # Ctrl-C in Python (Jupyter's interrupt): the block is dropped, and fit
                # raises rather than return a model that differs from a whole run
                raise TrainingInterrupted(save_checkpoint(model, checkpoint),
                                          model.images_done_) from None
            except RuntimeError:
                if stop_requested is not None and stop_requested():
                    # the block was killed with the process group: drop it
                    raise TrainingInterrupted(save_checkpoint(model, checkpoint),
                                              model.images_done_) from None
                raise
            model.state_ = state
            log.record(result, time.perf_counter() - started)
            _check_health(model, result)
            # the images, not the presentations: what labelling needs with any order
            model._recent_counts.append((shown[: result.n_consumed], result.counts))
            _trim_recent(model)
            intervals_before = model.images_done_ // _interval(model)
            model.images_done_ += result.n_consumed
            model.blocks_done_ += 1
            if y is not None and model.images_done_ // _interval(model) > intervals_before:
                _evaluate_interval(model, X, y)
            if bar is not None:
                bar.update(result.n_consumed)
                bar.set_postfix(img_per_s=f"{log.images_per_second:.1f}")
            if callback is not None:
                callback(model, model.images_done_, total)
            if checkpoint is not None and time.perf_counter() - last_saved >= checkpoint_interval:
                save_checkpoint(model, checkpoint)
                last_saved = time.perf_counter()
    finally:
        if bar is not None:
            bar.close()
    if checkpoint is not None:
        save_checkpoint(model, checkpoint)
    _check_resting_thresholds(model)
    if y is not None:
        _assign(model, X, y)
    return model


def threshold_above_rest(model):
    """Return each excitatory neuron's firing threshold minus its resting potential (V).

    theta decays while the network learns (tau_theta) and grows only with the neuron's
    own spikes; where it falls below ``theta_offset - (v_threshold - v_rest)`` (7 mV with
    the paper's values) the threshold lies under rest and the neuron fires without input.
    """
    excitatory = model.network_params_.excitatory
    return (float(excitatory.v_threshold) - float(excitatory.theta_offset) - float(excitatory.v_rest)
            + np.asarray(model.state_.arrays["exc.theta"], dtype=float))


def _check_resting_thresholds(model):
    # While learning, such a neuron's own spikes raise theta again; with theta frozen, as
    # in the test pass, it fires through every presentation and its inhibition silences
    # the layer (most neurons of a 6,400-neuron network after one epoch of the paper's recipe).
    if model.network_params_.excitatory.theta_in_frozen_pass == "adapting":
        return  # their spikes raise theta in the test pass too
    below = int(np.sum(threshold_above_rest(model) < 0))
    if below:
        _warn(model, f"{below} of {model.n_neurons} neurons end training with their threshold "
                     "below the resting potential: with theta frozen, as in the "
                     "test pass, they fire without input and their inhibition silences the rest "
                     "(theta_in_frozen_pass='adapting' lets their spikes raise it)")


def _interval(model):
    # the curve is read from the responses kept for labelling
    return min(model.evaluation_interval, model.labelling_window)


def _evaluate_interval(model, X, y):
    """Score the last interval's responses with the labels of the interval before."""
    seen, counts = (part[-_interval(model):] for part in model.recent_responses_)
    labels = y[seen % X.shape[0]]
    if model._curve_assignments is not None:
        predictions = predict_all_activity(counts, model._curve_assignments, model.n_classes_)
        model._curve[0].append(model.images_done_)
        model._curve[1].append(accuracy(labels, predictions))
    model._curve_assignments = assign_labels(counts, labels, model.n_classes_)[0]


def _check_health(model, result):
    """Stop on NaN; warn when the layer has gone quiet or answers every digit alike."""
    state = model.state_
    for name in ("input_exc.w", "exc.theta", "exc.v"):
        if not np.all(np.isfinite(state.arrays[name])):
            raise TrainingDiverged(
                f"{name} became NaN or infinite after {model.images_done_} images; "
                "check the parameters (time step, learning rates)"
            )
    unanswered = 0 if result.unanswered is None else int(result.unanswered.sum())
    if unanswered:
        _warn(model, f"block {model.blocks_done_}: {unanswered} images drew fewer than "
                   f"{model._min_spikes()} spikes even after the last retry (blank or nearly "
                   "blank); they were accepted unanswered (training_log_.unanswered)")
    if result.n_consumed == 0:
        message = (f"block {model.blocks_done_}: no image drew {model._min_spikes()} spikes in "
                   f"{model.block_size} presentations; the excitatory layer is nearly silent")
    elif result.retries.mean() > 5:
        message = (f"block {model.blocks_done_}: images needed {result.retries.mean():.1f} retries "
                   "on average; the excitatory layer is going silent")
    elif result.counts.shape[0] >= 20 and np.all((result.counts > 0).mean(axis=0) > 0.9):
        message = (f"block {model.blocks_done_}: every neuron fired for more than 90 % of the "
                   "images; the network no longer selects")
    else:
        return
    _warn(model, message)


def _warn(model, message):
    model.training_log_.warnings.append(message)
    warnings.warn(message, RuntimeWarning, stacklevel=4)


def _trim_recent(model):
    kept, n = [], 0
    for seen, counts in reversed(model._recent_counts):
        if n >= model.labelling_window:
            break
        take = min(len(seen), model.labelling_window - n)
        kept.append((seen[len(seen) - take:], counts[len(seen) - take:]))
        n += take
    model._recent_counts = kept[::-1]


def _assign(model, X, y):
    seen, counts = model.recent_responses_
    if model.labelling != "training":
        counts = model.transform(X[seen % X.shape[0]])
    model.assign_labels(counts, y[seen % X.shape[0]])


def responses(model, X, n_jobs=None, *, stop_requested=None, client=None) -> "Responses":
    """Run the test pass of `DiehlCook2015.responses`, in chunks of ``model.chunk_size``:
    in this process, in forked processes (`n_jobs`), or as tasks of the Dask `client`."""
    model._check_fitted()
    X = as_image_rows(X, model.n_input_)
    model._check_presentable(X)
    simulator = model._simulator(model.n_input_)
    starts = list(range(0, X.shape[0], model.chunk_size))
    chunks = [(index, X[start: start + model.chunk_size]) for index, start in enumerate(starts)]
    n_jobs = os.cpu_count() if n_jobs is None else int(n_jobs)
    bar = progress_bar(X.shape[0], "test", model.progress)
    try:
        if client is not None:
            results = _dask_chunks(model, chunks, client, bar, stop_requested)
        elif n_jobs > 1 and len(chunks) > 1 and simulator.device_name == "cpp_standalone":
            results = _parallel_chunks(model, simulator, chunks, n_jobs, bar, stop_requested)
        else:
            results = []
            for chunk in chunks:
                results.append(_transform_chunk(model, chunk, stop_requested))
                if bar is not None:
                    bar.update(results[-1].counts.shape[0])
    finally:
        if bar is not None:
            bar.close()
    return Responses.concatenate(results, model.n_neurons, model._n_outputs())


def _parallel_chunks(model, simulator, chunks, n_jobs, bar, stop_requested):
    """Run `chunks` in forked processes; stop them all when a stop is requested."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    simulator.prepare_parallel(model.state_)
    # fork: the workers inherit the compiled device and rerun its program.  A worker
    # that dies breaks the pool with an error instead of leaving its chunk unanswered.
    global _FORKED_MODEL
    _FORKED_MODEL = model
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


def _model_file(model) -> bytes:
    """Return the full model file of `model` (what a Dask worker rebuilds it from)."""
    import tempfile

    from .checkpoint import save_model

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.npz")
        save_model(model, path)
        with open(path, "rb") as file:
            return file.read()


def _dask_chunks(model, chunks, client, bar, stop_requested):
    """Run `chunks` as tasks of the Dask `client`; stop them all when a stop is requested.

    The model travels once to every worker as its model file (the workers need not see
    this machine's files); each worker process loads it once per pass and runs its chunks
    with the model's own seeds, so the counts equal those of a pass in this process.
    """
    import hashlib

    payload = _model_file(model)
    digest = hashlib.sha256(payload).hexdigest()[:16]
    [shared] = client.scatter([payload], broadcast=True, hash=False)
    token = os.urandom(4).hex()
    build_dir = None if model.build_dir is None else str(model.build_dir)
    futures = [client.submit(_transform_chunk_on_dask, type(model), shared, digest, model.device,
                             build_dir, chunk, pure=False,
                             key=f"stdp-test-chunk-{digest}-{token}-{chunk[0]}")
               for chunk in chunks]
    pending, done_images = list(futures), 0
    try:
        while pending:
            if stop_requested is not None and stop_requested():
                raise TrainingInterrupted(None, done_images, "evaluation")
            finished = [future for future in pending if future.done()]
            if not finished:
                time.sleep(0.2)
                continue
            for future in finished:
                result = future.result()  # a chunk's error, raised here
                pending.remove(future)
                done_images += result.counts.shape[0]
                if bar is not None:
                    bar.update(result.counts.shape[0])
        return [future.result() for future in futures]
    except KeyboardInterrupt:
        raise TrainingInterrupted(None, done_images, "evaluation") from None
    finally:
        if pending:
            client.cancel(pending)  # an unfinished pass is thrown away whole
        client.cancel([shared])


_DASK_MODELS = {}  # digest of a model file -> the model a worker process loaded from it
_DASK_LOCK = threading.Lock()  # Brian2's device is one per process: one chunk at a time


def _transform_chunk_on_dask(cls, payload, digest, device, build_dir, chunk):
    # Runs in a Dask worker: the model is loaded (and its network built or found built)
    # once per worker process and pass, then runs chunk after chunk.
    import tempfile

    with _DASK_LOCK:
        model = _DASK_MODELS.get(digest)
        if model is None:
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, "model.npz")
                with open(path, "wb") as file:
                    file.write(payload)
                model = cls.load(path, device=device, build_dir=build_dir)
            _DASK_MODELS.clear()  # the previous pass's model is done with
            _DASK_MODELS[digest] = model
        return _transform_chunk(model, chunk)


def _transform_chunk(model, chunk, stop_requested=None):
    index, X = chunk
    simulator = model._simulator(model.n_input_)
    simulator.use_results_directory(f"results_{os.getpid()}")
    blocks = []
    passes = frozen_pass(model, simulator, model.state_.copy(), X, 1 + index,
                               stop_requested=stop_requested, phase_name="evaluation")
    for _, result, seconds in passes:
        log = TrainingLog()
        log.record(result, seconds)
        readout_counts = (None if model.readout is None
                          else result.extensions[model.readout.name]["counts"])
        blocks.append(Responses(result.counts, readout_counts, log, result.spikes))
    return Responses.concatenate(blocks, model.n_neurons, model._n_outputs())


def frozen_pass(model, simulator, state, X, phase, y=None, *, stop_requested=None,
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
        stop = done + model.block_size
        try:
            state, result = simulator.run_block(
                state, X[done:stop], plastic=False, extensions_plastic=y is not None,
                labels=None if y is None else y[done:stop], seed=model._block_seed(phase, block))
        except KeyboardInterrupt:
            raise TrainingInterrupted(None, done, phase_name) from None
        except RuntimeError:
            if stop_requested is not None and stop_requested():
                raise TrainingInterrupted(None, done, phase_name) from None
            raise
        yield state, result, time.perf_counter() - started
        done += result.n_consumed
        block += 1

