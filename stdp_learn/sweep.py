"""Sweeps: many ordinary command-line runs over a grid, on a Dask cluster.

    python -m stdp_learn.sweep mnist-sample --output sweeps/sizes --seeds 0 1 \\
        --neurons 20 40 --train-size 300 --test-size 200 --evaluate-on validation
    python -m stdp_learn.sweep mnist --output sweeps/rules --seeds 0 1 2 \\
        --grid encoding=poisson,bernoulli --grid rule-option=nu_post=0.005,nu_post=0.01 \\
        --evaluate-on validation --scheduler tcp://10.0.0.5:8786

Every point of the grid (each combination of the grid's values, for every seed) is one run
of ``python -m stdp_learn.train`` with the sweep's fixed options (any option of that
command after the dataset), in its own run folder ``OUTPUT/runs/<setting>/seed<k>`` with the
usual files and its result record.  The grid takes any option of the command line:
``--neurons`` and ``--grid OPTION=V1,V2,...`` (``rule``, ``encoding``, ``epochs``,
``rule-option`` and ``encoding-option`` with NAME=VALUE in the block's units, ...).

The points run as tasks of ``dask.distributed``: by default on a LocalCluster of one
single-threaded worker process per core (the compiled device runs one thread, so a core
runs one simulation), or with ``--scheduler ADDRESS`` on a cluster already running, whose
workers must see the same file system.  A point whose run folder holds its record is
finished and never runs again, so rerunning the command continues a sweep; a point whose
worker dies is rescheduled by Dask, and resumes from its checkpoint; a point that fails is
reported with its error and the others go on.  Ctrl-C stops the sweep (running points keep
their checkpoints) and exits with status 130.

Workers share compiled networks safely: a network is built under a lock per structure
(`stdp_learn.simulation`), and every worker process runs its own copy from a work folder.

At the end ``OUTPUT`` receives ``points.json`` (every point: its settings, seed, run
folder, status and error), ``table.md`` and ``table.json`` (per setting: mean ± sample
standard deviation over seeds of each readout's accuracy and of training images/s) and
``accuracy.png``.
"""
from __future__ import annotations

import argparse
import itertools
import logging
import math
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .record import RECORD_FILE, read_record, write_json_atomic

__all__ = ["SweepPoint", "SweepResult", "add_cluster_options", "build_parser", "describe_error",
           "grid_arguments", "main", "plan_sweep", "run_point", "run_sweep", "start_client",
           "strict_train_parser", "summarise"]

# The sweep chooses these for every point; neither the grid nor the fixed options may.
_SWEEP_OWNS = ("output", "seed", "resume", "overwrite", "progress")


class SweepError(Exception):
    """A sweep that cannot run as asked; reported in one line, exit status 2."""


@dataclass(frozen=True)
class SweepPoint:
    """One run of a sweep: a setting of the grid and a seed.

    Attributes
    ----------
    settings : tuple of (str, str)
        The grid's option names (as on the command line, without ``--``) and values.
    seed : int
    run_dir : Path
        The run folder of this point.
    argv : tuple of str
        The arguments of ``python -m stdp_learn.train`` that run it.
    """

    settings: tuple
    seed: int
    run_dir: Path
    argv: tuple

    @property
    def label(self) -> str:
        """The setting, as ``neurons=20 rule=pair`` (``default`` for an empty grid)."""
        return " ".join(f"{name}={value}" for name, value in self.settings) or "default"

    def finished(self) -> bool:
        """Return whether the point's run folder holds its result record."""
        return (self.run_dir / RECORD_FILE).is_file()


@dataclass
class SweepResult:
    """What a sweep did.

    Attributes
    ----------
    points : list of dict
        Per point: ``settings``, ``seed``, ``run_dir``, ``status`` ("finished", "done
        before", "failed" or "not run") and ``error`` (the failure, or None).
    table : list of dict
        Per setting: the seeds finished and each readout's mean and standard deviation.
    ran : int
        Points run by this call (finished ones are never rerun).
    output : Path
    failed : list of dict
        The points of `points` that failed.
    """

    points: list
    table: list
    ran: int
    output: Path
    failed: list = field(default_factory=list)


def _folder_name(settings) -> str:
    """Return a file-system-safe folder name for a setting of the grid."""
    if not settings:
        return "default"
    text = "_".join(f"{name}-{value}" for name, value in settings)
    return re.sub(r"[^A-Za-z0-9.=+-]+", "_", text)


def strict_train_parser():
    """Return the train command's parser, raising `SweepError` instead of exiting."""
    from .train import build_parser as train_parser

    parser = train_parser()

    def error(message):
        raise SweepError(f"{parser.prog}: {message}")

    parser.error = error
    return parser


def grid_arguments(parser, name, value):
    """Return the command-line words that set option `name` to `value`."""
    flag = "--" + name.replace("_", "-")
    action = next((a for a in parser._actions if flag in a.option_strings), None)
    if action is None:
        raise SweepError(f"the grid names {name!r}, which is no option of python -m stdp_learn.train")
    if isinstance(action, argparse.BooleanOptionalAction):
        text = str(value).lower()
        if text not in ("true", "false"):
            raise SweepError(f"{flag} takes true or false in a grid, got {value!r}")
        return [flag if text == "true" else "--no-" + flag[2:]]
    return [flag, str(value)]


def plan_sweep(dataset, output, *, seeds=(0,), grid=None, options=()) -> list:
    """Return the points of a sweep, each checked as a command line before anything runs.

    Parameters
    ----------
    dataset : str
        A registered dataset (``mnist``, ``mnist-sample``, ...).
    output : path
        The sweep's folder; the points run in ``output/runs/<setting>/seed<k>``.
    seeds : sequence of int
    grid : dict, optional
        Option name (as on the command line, ``neurons``, ``rule``, ``rule-option``, ...)
        to the list of its values; every combination is a setting.
    options : sequence of str
        Fixed options of every point, as on the command line (``["--train-size", "300"]``).

    Returns
    -------
    list of SweepPoint
    """
    grid = dict(grid or {})
    options = [str(word) for word in options]
    seeds = [int(seed) for seed in seeds]
    if not seeds or any(seed < 0 for seed in seeds) or len(set(seeds)) != len(seeds):
        raise SweepError(f"seeds must be distinct whole numbers of at least 0, got {seeds}")
    parser = strict_train_parser()
    owned = [f"--{prefix}{name}" for name in _SWEEP_OWNS for prefix in ("", "no-")]
    for word in options:
        flag = word.split("=")[0]
        # argparse takes any unambiguous prefix of an option: "--out" is --output
        if len(flag) > 2 and flag.startswith("--") and any(o.startswith(flag) for o in owned):
            raise SweepError(f"{word}: the sweep sets the output, seed and resumption of every point")
    names = []
    for name, values in grid.items():
        key = name.replace("-", "_")
        if key in _SWEEP_OWNS:
            raise SweepError(f"the grid cannot set {name!r}: the sweep sets the output, seed and "
                             "resumption of every point (seeds are the sweep's own argument)")
        if isinstance(values, (str, bytes)) or not list(values):
            raise SweepError(f"the grid's {name!r} needs a list of values, got {values!r}")
        names.append(name.replace("_", "-"))
    if len(set(names)) != len(names):
        raise SweepError(f"the grid names an option twice: {names}")
    output = Path(output)
    points = []
    for combination in itertools.product(*(list(values) for values in grid.values())):
        settings = tuple((name, str(value)) for name, value in zip(names, combination))
        for seed in seeds:
            run_dir = output / "runs" / _folder_name(settings) / f"seed{seed}"
            argv = [dataset, *options]
            for name, value in settings:
                argv += grid_arguments(parser, name, value)
            argv += ["--seed", str(seed), "--output", str(run_dir), "--no-progress"]
            parser.parse_args(argv)  # a typo fails here, before any point runs
            points.append(SweepPoint(settings, seed, run_dir, tuple(argv)))
    folders = [point.run_dir for point in points]
    if len(set(folders)) != len(folders):
        raise SweepError("two settings of the grid map to one run folder; make their values differ "
                         "in letters or digits")
    return points


def run_point(argv, run_dir) -> dict:
    """Run one point of a sweep, as ``python -m stdp_learn.train ARGV`` would; return its
    record.

    A point that finished before returns its record.  One that stopped part way (its
    worker died) resumes from its checkpoint; one that stopped before its first checkpoint
    starts again in its folder.  Runs in a Dask worker; errors propagate to the sweep.

    Brian2 installs a signal handler when it is imported, which Python allows only on a
    process's main thread, not on a worker's task threads: a worker imports this module,
    and with it the package and Brian2, on its main thread as it unpickles this function
    by name.
    """
    from .train import parse_arguments, run

    run_dir = Path(run_dir)
    if (run_dir / RECORD_FILE).is_file():
        return read_record(run_dir)
    argv = list(argv)
    if (run_dir / "checkpoint.npz").is_file():
        argv = ["--resume", str(run_dir), "--no-progress"]
    elif (run_dir / "args.json").is_file():
        argv.append("--overwrite")  # a start that left no checkpoint: nothing to keep
    args = parse_arguments(argv)
    run(args, stop_request=None, argv=argv)
    return read_record(run_dir)


def describe_error(error) -> str:
    """Return an error as one line: its type and the first line of its message."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def start_client(workers, scheduler):
    """Return (client, cluster or None): a LocalCluster unless `scheduler` is given."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise SweepError("sweeps run on dask.distributed: pip install 'stdp_learn[sweep]'") from None
    if scheduler:
        try:
            return Client(scheduler, timeout="30s"), None
        except OSError as error:
            raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
    n_workers = workers or os.cpu_count() or 1
    # One single-threaded process per core: a worker runs one simulation, and Brian2's
    # device is global to a process.  No memory limit: simulation.check_memory already
    # refuses a network too large, and a nanny killing a worker at its share of the
    # memory would restart large networks forever.  No dashboard (its port may be taken).
    # Failed points are reported by the sweep; the cluster's own warnings (a worker slow to
    # stop at the end) would only bury them.
    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                           memory_limit=0, dashboard_address=None, silence_logs=logging.ERROR)
    return Client(cluster), cluster


def run_sweep(dataset, output, *, seeds=(0,), grid=None, options=(), workers=None,
              scheduler=None, client=None, progress=True) -> SweepResult:
    """Run a sweep and write its table and plot; return what it did.

    Parameters
    ----------
    dataset, output, seeds, grid, options
        As in `plan_sweep`.
    workers : int, optional
        Workers of the LocalCluster (default: one per core).
    scheduler : str, optional
        Address of a running Dask scheduler to use instead of a LocalCluster.
    client : dask.distributed.Client, optional
        A client to use as it is (neither closed nor changed).
    progress : bool
        Show a progress bar of points done.

    Raises
    ------
    KeyboardInterrupt
        After Ctrl-C, once the sweep has stopped and its table holds the points finished.
    """
    from tqdm.auto import tqdm

    output = Path(output)
    points = plan_sweep(dataset, output, seeds=seeds, grid=grid, options=options)
    status = {point: ("done before" if point.finished() else "not run") for point in points}
    errors = {}
    pending = [point for point in points if status[point] == "not run"]
    ran = 0
    own_client = cluster = None
    if pending and client is None:  # before anything is written: Dask may be missing
        own_client, cluster = start_client(workers, scheduler)
    try:
        output.mkdir(parents=True, exist_ok=True)
        write_json_atomic(output / "sweep.json", {
            "dataset": dataset, "seeds": list(seeds), "options": list(options),
            "grid": {name: [str(v) for v in values] for name, values in (grid or {}).items()}})
        if pending:
            active = client or own_client
            from dask.distributed import as_completed

            futures = {active.submit(run_point, point.argv, str(point.run_dir), pure=False,
                                     key=f"stdp-point-{_folder_name(point.settings)}-seed{point.seed}-"
                                         f"{os.urandom(4).hex()}"): point
                       for point in pending}
            bar = tqdm(total=len(points), initial=len(points) - len(pending), unit="point",
                       desc="points done", disable=not progress, file=sys.stderr)
            try:
                for future in as_completed(futures):
                    point = futures[future]
                    try:
                        future.result()
                        status[point] = "finished"
                    except Exception as error:  # noqa: BLE001 - reported; the others go on
                        status[point] = "failed"
                        errors[point] = describe_error(error)
                        bar.write(f"failed: {point.label} seed {point.seed}: {errors[point]}",
                                  file=sys.stderr)
                    ran += 1
                    bar.update(1)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
            finally:
                bar.close()
    finally:
        if own_client is not None:
            own_client.close()
        if cluster is not None:
            cluster.close()
        result = _write_results(output, points, status, errors, ran)
    return result


def _write_results(output, points, status, errors, ran) -> SweepResult:
    listed = [{"settings": dict(point.settings), "seed": point.seed, "run_dir": str(point.run_dir),
               "status": status[point], "error": errors.get(point)} for point in points]
    write_json_atomic(output / "points.json", listed)
    table = summarise(points)
    write_json_atomic(output / "table.json", table)
    (output / "table.md").write_text(_markdown(table))
    if any(row["seeds"] for row in table):
        _plot(table, output / "accuracy.png")
    failed = [row for row in listed if row["status"] == "failed"]
    return SweepResult(points=listed, table=table, ran=ran, output=output, failed=failed)


def _mean_sd(values):
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, None
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def summarise(points) -> list:
    """Return per setting the mean and sample standard deviation over its finished seeds.

    Each row holds ``settings``, ``seeds`` (those finished), ``split``, and for each readout
    in the records (``label_assignment``, ``proportion_weighting``, ``rstdp``) and for
    ``train_images_per_second`` a pair ``{"mean": ..., "sd": ...}`` (sd None for one seed).
    """
    rows = {}
    for point in points:
        row = rows.setdefault(point.settings, {"settings": dict(point.settings), "seeds": [],
                                               "records": []})
        if point.finished():
            row["seeds"].append(point.seed)
            row["records"].append(read_record(point.run_dir))
    table = []
    for row in rows.values():
        records = row.pop("records")
        readouts = [name for name in ("label_assignment", "proportion_weighting", "rstdp")
                    if any(name in r["results"] for r in records)]
        row["split"] = sorted({r["split"] for r in records})
        for name in readouts:
            mean, sd = _mean_sd([r["results"].get(name) for r in records])
            row[name] = {"mean": mean, "sd": sd}
        mean, sd = _mean_sd([r["timings"]["train_images_per_second"] for r in records])
        row["train_images_per_second"] = {"mean": mean, "sd": sd}
        table.append(row)
    return table


def _format(entry, percent=True):
    if not entry or entry["mean"] is None:
        return "–"
    scale, unit, digits = (100, " %", 2) if percent else (1, "", 1)
    text = f"{entry['mean'] * scale:.{digits}f}"
    if entry["sd"] is not None:
        text += f" ± {entry['sd'] * scale:.{digits}f}"
    return text + unit


def _markdown(table) -> str:
    names = sorted({name for row in table for name in row["settings"]},
                   key=lambda n: next(i for i, r in enumerate(table) if n in r["settings"]))
    readouts = [n for n in ("label_assignment", "proportion_weighting", "rstdp")
                if any(n in row for row in table)]
    header = names + ["seeds", "split"] + readouts + ["train images/s"]
    lines = ["Mean ± sample standard deviation over the seeds finished.", "",
             "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in table:
        cells = [row["settings"].get(name, "") for name in names]
        cells += [", ".join(map(str, row["seeds"])) or "none", ", ".join(row["split"]) or "–"]
        cells += [_format(row.get(name)) for name in readouts]
        cells.append(_format(row["train_images_per_second"], percent=False))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _numeric(text):
    try:
        return float(text)
    except ValueError:
        return None


def _plot(table, path):
    """Accuracy (label assignment) against the grid: over the first numeric option when
    there is one (a line per setting of the others), else a bar per setting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [row for row in table if row["seeds"] and "label_assignment" in row]
    names = list(rows[0]["settings"]) if rows else []
    axis = next((name for name in names
                 if all(_numeric(row["settings"][name]) is not None for row in rows)), None)
    fig, ax = plt.subplots(figsize=(6, 4))
    if axis is not None:
        lines = {}
        for row in rows:
            rest = " ".join(f"{k}={v}" for k, v in row["settings"].items() if k != axis)
            lines.setdefault(rest, []).append(row)
        for rest, members in lines.items():
            members.sort(key=lambda r: _numeric(r["settings"][axis]))
            x = [_numeric(r["settings"][axis]) for r in members]
            y = [100 * r["label_assignment"]["mean"] for r in members]
            err = [100 * (r["label_assignment"]["sd"] or 0) for r in members]
            ax.errorbar(x, y, yerr=err, marker="o", capsize=3, label=rest or None)
        ax.set_xlabel(axis)
        if any(rest for rest in lines):
            ax.legend(fontsize="small")
    else:
        labels = [" ".join(f"{k}={v}" for k, v in r["settings"].items()) or "default" for r in rows]
        ax.bar(range(len(rows)), [100 * r["label_assignment"]["mean"] for r in rows],
               yerr=[100 * (r["label_assignment"]["sd"] or 0) for r in rows], capsize=3)
        ax.set_xticks(range(len(rows)), labels, rotation=30, ha="right", fontsize="small")
    split = ", ".join(sorted({s for r in rows for s in r["split"]}))
    ax.set_ylabel(f"accuracy, label assignment (%, {split})")
    ax.set_title("mean ± sd over seeds")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


def _grid_option(text):
    name, sep, values = text.partition("=")
    if not sep or not name or not values:
        raise argparse.ArgumentTypeError(f"expected OPTION=V1,V2,..., got {text!r}")
    return name.strip().lstrip("-"), [v for v in values.split(",") if v != ""]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m stdp_learn.sweep``."""
    parser = argparse.ArgumentParser(
        prog="python -m stdp_learn.sweep",
        description="Run python -m stdp_learn.train over a grid of settings and seeds on Dask; "
                    "other options are passed to every run.",
    )
    parser.add_argument("dataset", help="a registered dataset, as for python -m stdp_learn.train")
    parser.add_argument("--output", type=Path, required=True, help="the sweep's folder")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds of every setting (default 0)")
    parser.add_argument("--neurons", type=int, nargs="+", default=None, help="network sizes of the grid")
    parser.add_argument("--grid", type=_grid_option, action="append", default=[], metavar="OPTION=V1,V2",
                        help="an option of python -m stdp_learn.train and its values; repeat for several")
    add_cluster_options(parser, "points")
    return parser


def add_cluster_options(parser, units):
    """Add --workers, --scheduler and --progress (of `units` done) to a command's parser."""
    parser.add_argument("--workers", type=int, default=None,
                        help="workers of the local cluster (default: one per core)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on the Dask scheduler at ADDRESS instead of a local cluster")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                        help=f"show the {units} done")


def main(argv=None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args, options = parser.parse_known_args(argv)
    grid = {}
    if args.neurons:
        grid["neurons"] = args.neurons
    for name, values in args.grid:
        if name in grid:
            print(f"error: the grid names {name!r} twice", file=sys.stderr)
            return 2
        grid[name] = values
    if args.workers is not None and args.workers < 1:
        print(f"error: --workers must be at least 1, got {args.workers}", file=sys.stderr)
        return 2
    try:
        result = run_sweep(args.dataset, args.output, seeds=args.seeds, grid=grid, options=options,
                           workers=args.workers, scheduler=args.scheduler, progress=args.progress)
    except SweepError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a sweep folder that cannot be written
        where = f" ({error.filename})" if error.filename else ""
        print(f"error: {error.strerror or error}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"stopped; the points finished are in {args.output / 'table.md'}; run the same "
              "command again to continue", file=sys.stderr)
        return 130
    done = sum(point["status"] in ("finished", "done before") for point in result.points)
    print(f"{done} of {len(result.points)} points finished ({result.ran} run now, "
          f"{len(result.failed)} failed); table in {result.output / 'table.md'}")
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
