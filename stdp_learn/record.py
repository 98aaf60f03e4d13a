"""Result records: what a run was, where its figures came from, and what it cost.

Every command-line run writes ``record.json`` into its run folder.  A record holds the
exact command (every command, for a run that was interrupted and resumed), the git
commit of the code and whether its tree was clean, the versions of the library, Brian2,
numpy and Python, the full configuration, the seed, the split that gave the accuracy
(``"test"`` or ``"validation"``), the sizes, the accuracy of every readout, wall time and
images/s summed over every part of a run, peak memory and the machine's core count.

The figures quoted in README come from records committed under ``experiments/results/``
(``experiments/render_results.py`` renders the table from them).

While a run is in progress, ``parts.json`` in its run folder keeps the timing of each
invocation (a first start and every ``--resume``), so that a resumed run's record adds
the parts up instead of reporting the last one.
"""
from __future__ import annotations

import datetime as _datetime
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["RECORD_FILE", "RECORD_SCHEMA", "RunParts", "code_version", "command_line", "environment",
           "make_record", "peak_memory_mb", "read_record", "script_record", "write_json_atomic"]

RECORD_FILE = "record.json"
RECORD_SCHEMA = 1
PARTS_FILE = "parts.json"


def write_json_atomic(path, payload):
    """Write `payload` as JSON to `path` through a temporary file and a rename."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(payload, indent=2) + "\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_record(path) -> dict:
    """Return the record in `path` (a record file or a run folder holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / RECORD_FILE
    record = json.loads(path.read_text())
    if record.get("schema") != RECORD_SCHEMA:
        raise ValueError(f"{path}: not a result record of schema {RECORD_SCHEMA}")
    return record


def code_version() -> dict:
    """Return the git commit of the code that runs and whether its tree was clean.

    ``{"commit": None, "tree_clean": None}`` where the package is not in a git checkout
    (an installed wheel).
    """
    source = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "-C", str(source), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=20, check=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(source), "status", "--porcelain",
                                 "--untracked-files=no"], capture_output=True, text=True,
                                timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "tree_clean": None}
    return {"commit": commit, "tree_clean": status.strip() == ""}


def environment() -> dict:
    """Return the versions and the machine a run used."""
    import brian2
    import numpy

    from . import __version__

    return {
        "stdp_learn": __version__,
        "brian2": brian2.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "system": platform.system(),
    }


def command_line(argv=None, program="python -m stdp_learn.train") -> str:
    """Return the command that started this process, as a user would type it."""
    argv = sys.argv[1:] if argv is None else list(argv)
    return " ".join([program] + [shlex.quote(a) for a in argv])


class RunParts:
    """The invocations of one run folder (first start, then every resume), with their timing.

    `start` appends a part; `progress` stores its seconds while it runs and `finish`
    stores them and how it ended.  The file is rewritten atomically each time, so a
    killed process loses at most the time since its last `progress`.
    """

    def __init__(self, folder=None):
        # without a folder (an experiment script's single part) nothing is written
        self.path = None if folder is None else Path(folder) / PARTS_FILE
        self.parts = json.loads(self.path.read_text()) if self.path and self.path.is_file() else []

    def start(self, command):
        self.parts.append({"command": command, "started": _now(), "ended": None,
                           "train_seconds": 0.0, "evaluation_seconds": 0.0,
                           "wall_seconds": 0.0, "peak_memory_mb": None})
        self._write()
        return self.parts[-1]

    def progress(self, min_interval=30.0, **seconds):
        """Store the running part's seconds so far, at most every `min_interval` seconds:
        a part killed without the chance to finish keeps its time up to the last call."""
        now = time.monotonic()
        if now - getattr(self, "_last_progress", -float("inf")) < min_interval:
            return
        self._last_progress = now
        self.parts[-1].update(seconds)
        self._write()

    def finish(self, how, **seconds):
        part = self.parts[-1]
        part.update(seconds, ended=how)
        self._write()

    def _write(self):
        if self.path is not None:
            write_json_atomic(self.path, self.parts)

    def total(self, name) -> float:
        return float(sum(part.get(name) or 0.0 for part in self.parts))


def _now():
    return _datetime.datetime.now(_datetime.timezone.utc).isoformat(timespec="seconds")


def make_record(*, parts: RunParts, configuration: dict, seed, split, sizes: dict,
                results: dict, training: dict, peak_memory_mb: float) -> dict:
    """Return the record of a finished run.

    `results` maps each readout's name to its accuracy on `split`; `training` holds the
    simulation's own counts (images seen, simulated seconds) summed over every part.
    """
    train_wall = parts.total("train_seconds")
    images = training.get("images_seen", 0)
    memory = [p["peak_memory_mb"] for p in parts.parts if p.get("peak_memory_mb")]
    return {
        "schema": RECORD_SCHEMA,
        "command": parts.parts[0]["command"] if parts.parts else None,
        "commands": [p["command"] for p in parts.parts],
        "finished": _now(),
        **code_version(),
        "environment": environment(),
        "configuration": configuration,
        "seed": seed,
        "split": split,
        "sizes": sizes,
        "results": results,
        "timings": {
            "parts": len(parts.parts),
            "wall_seconds": parts.total("wall_seconds"),
            "train_seconds": train_wall,
            "evaluation_seconds": parts.total("evaluation_seconds"),
            "train_images_per_second": images / train_wall if train_wall > 0 else None,
            "simulation_seconds": training.get("seconds"),
            "simulation_images_per_second": training.get("images_per_second"),
        },
        "peak_memory_mb": max(memory + [peak_memory_mb]),
    }


def peak_memory_mb() -> float:
    """Return the peak resident memory of this process or its children (the compiled
    simulations), in MB."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024  # ru_maxrss is in kB on Linux


def script_record(program, argv, model, *, arguments, split, sizes, results,
                  train_seconds, evaluation_seconds) -> dict:
    """Return the record of one run of an experiment script (one part, no run folder).

    `program` is how the script is called (``"python experiments/run_variant.py"``),
    `argv` its arguments; `model` the fitted `DiehlCook2015`.
    """
    parts = RunParts()
    parts.start(command_line(argv, program))
    parts.finish("finished", wall_seconds=train_seconds + evaluation_seconds,
                 train_seconds=train_seconds, evaluation_seconds=evaluation_seconds,
                 peak_memory_mb=peak_memory_mb())
    log = model.training_log_
    return make_record(
        parts=parts, configuration={"arguments": arguments, "model": model.configuration()},
        seed=model.random_state, split=split, sizes=sizes, results=results,
        training={"images_seen": log.images_seen, "seconds": log.seconds,
                  "images_per_second": log.images_per_second},
        peak_memory_mb=peak_memory_mb())
