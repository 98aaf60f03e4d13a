"""Model files: the full training state (checkpoints) and compact classifier files.

A model file is a compressed ``.npz`` archive written atomically (a temporary file, then a
rename): ``meta`` holds the settings and progress as JSON (parameters with their units,
the learning rule and readout by their registered names), the arrays hold the network's
state between blocks, the training log, the responses kept for labelling and the labels.
A *full* file can resume training (`DiehlCook2015.resume`); a *compact* one keeps only
what classifies (input weights and delays in single precision, thresholds, labels).

The functions take and return the estimator (any object with its attributes); this
module imports nothing of it.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from . import __version__
from .config import NetworkParams
from .connectivity import connectivity_from_dict
from .encoding import encoder_from_dict
from .rules import rule_from_dict
from .simulation import NetworkState
from .training import TrainingLog

__all__ = ["FORMAT_VERSION", "ModelFileError", "load_model", "model_meta", "save_model",
           "write_npz"]

FORMAT_VERSION = 1


class ModelFileError(ValueError):
    """A saved model cannot be read: missing, corrupt, or of another format or shape."""


def write_npz(path, meta, arrays):
    """Write `meta` (JSON) and `arrays` to `path` atomically: a temporary file, then a rename."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, meta=np.array(json.dumps(meta)), **arrays)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)  # a failed write (a full disk) leaves nothing behind
    return path


def check_finite(path, arrays):
    for name, value in arrays.items():
        if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise ModelFileError(f"{path}: {name} holds NaN or infinite values; the model is corrupt")


def save_model(model, path, compact=False):
    """Write the fitted `model` to `path` (.npz), atomically (see `DiehlCook2015.save`)."""
    model._check_fitted()
    path = Path(path)
    if compact:
        return _save_compact(model, path)
    meta = model_meta(model)
    arrays = {f"state/{k}": v for k, v in model.state_.arrays.items()}
    if hasattr(model, "training_log_"):
        arrays.update(model.training_log_.to_arrays())
        recent = model._recent_counts
        arrays["recent/seen"] = np.concatenate([s for s, _ in recent]) if recent else np.zeros(0, np.int64)
        arrays["recent/counts"] = (np.concatenate([c for _, c in recent]) if recent
                                   else np.zeros((0, model.n_neurons), np.int64))
    if hasattr(model, "assignments_"):
        arrays.update(assignments=model.assignments_, proportions=model.proportions_, rates=model.rates_)
    images, scores = model.training_curve_
    arrays.update({"curve/images": images, "curve/accuracy": scores})
    if getattr(model, "_curve_assignments", None) is not None:
        arrays["curve/assignments"] = model._curve_assignments
    return write_npz(path, meta, arrays)


def model_meta(model) -> dict:
    """Return the settings and progress that a model file records."""
    params, rule = model._validated()
    return {
        "format": FORMAT_VERSION,
        "stdp_learn": __version__,
        "n_neurons": model.n_neurons,
        "n_input": model.n_input_,
        "params": params.to_dict(),
        "rule": rule.to_dict(),
        "labelling": model.labelling,
        "labelling_window": model.labelling_window,
        "evaluation_interval": model.evaluation_interval,
        "block_size": model.block_size,
        "random_state": model.random_state,
        "shuffle": bool(model.shuffle),
        "schedule": model.state_.schedule,
        "images_done": int(getattr(model, "images_done_", 0)),
        "blocks_done": int(getattr(model, "blocks_done_", 0)),
        "epochs": int(getattr(model, "epochs_", 1)),
        "n_train_images": int(getattr(model, "_n_train_images", 0)),
        "train_digest": getattr(model, "_train_digest", None),
        "entropy": str(model._seed_sequence().entropy),
        "readout": None if model.readout is None else model.readout.to_dict(),
        "readout_passes": model.readout_passes_,
        "encoder": model._blocks()[0].to_dict(),
        "connectivity": model._blocks()[1].to_dict(),
        "n_classes": getattr(model, "n_classes_", None),
    }


def _save_compact(model, path):
    model._check_fitted(labels=True)
    # a test pass starts from rest: no carried schedule, and the readout is not kept
    meta = dict(model_meta(model), compact=True, schedule=NetworkState({}).schedule, readout=None)
    arrays = model.state_.arrays
    return write_npz(path, meta, {
        "weights": arrays["input_exc.w"].astype(np.float32),
        "delays": arrays["input_exc.delay"].astype(np.float32),
        "theta": arrays["exc.theta"],
        "assignments": model.assignments_,
        "proportions": model.proportions_,
        "rates": model.rates_,
    })


def load_model(cls, path, *, device="auto", build_dir=None, progress=False):
    """Return a model of class `cls` read from a file written by `save_model`."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            arrays = {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file") from None
    except Exception as error:  # zip, json and key errors all mean the same to a user
        raise ModelFileError(f"{path}: not a readable stdp_learn model ({error})") from None
    if meta.get("format") != FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: model format {meta.get('format')} is not supported by this version "
            f"(format {FORMAT_VERSION}); upgrade stdp_learn"
        )
    from .reward import RewardReadout

    readout = meta.get("readout")
    model = cls(
        n_neurons=meta["n_neurons"], rule=rule_from_dict(meta["rule"]),
        params=NetworkParams.from_dict(meta["params"]), labelling=meta["labelling"],
        labelling_window=meta["labelling_window"],
        evaluation_interval=meta.get("evaluation_interval", 10_000), device=device,
        block_size=meta["block_size"], random_state=meta["random_state"],
        build_dir=build_dir, progress=progress,
        readout=None if readout is None else RewardReadout.from_dict(readout),
        encoder=encoder_from_dict(meta.get("encoder")),
        connectivity=connectivity_from_dict(meta.get("connectivity")),
        shuffle=meta.get("shuffle", False),
    )
    if meta.get("compact"):
        return _load_compact(model, path, meta, arrays)
    state = {k[len("state/"):]: v for k, v in arrays.items() if k.startswith("state/")}
    check_finite(path, state)
    model.n_input_ = int(meta["n_input"])
    model.state_ = NetworkState(state, meta["schedule"])
    if model.state_.weights.shape != (model.n_input_, model.n_neurons):
        raise ModelFileError(f"{path}: weights do not match the stated network shape")
    model.n_classes_ = meta.get("n_classes")
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
        model.n_classes_ = int(model.rates_.shape[1])
    return model


def _load_compact(model, path, meta, arrays):
    model.n_input_ = int(meta["n_input"])
    shape = (model.n_input_, model.n_neurons)
    for name in ("weights", "delays", "theta", "assignments", "proportions", "rates"):
        if name not in arrays:
            raise ModelFileError(f"{path}: compact model without {name}")
    check_finite(path, arrays)
    if arrays["weights"].size != np.prod(shape) or arrays["theta"].shape != (model.n_neurons,):
        raise ModelFileError(f"{path}: weights do not match the stated network shape")
    simulator = model._simulator(model.n_input_)
    weights = arrays["weights"].astype(np.float64).reshape(shape)
    delays = arrays["delays"].astype(np.float64).reshape(shape)
    model.state_ = simulator.initial_state(weights, delays, np.random.default_rng(0))
    model.state_.arrays["exc.theta"] = arrays["theta"].astype(np.float64)
    model.images_done_ = meta.get("images_done", 0)
    if model.random_state is None:
        model._entropy = int(meta["entropy"])
    model._curve, model._curve_assignments = ([], []), None
    model.assignments_ = arrays["assignments"]
    model.proportions_ = arrays["proportions"]
    model.rates_ = arrays["rates"]
    model.n_classes_ = int(model.rates_.shape[1])
    return model

