"""Parameter searches: an Optuna study over named ranges, scored on the validation split.

    python -m stdp_learn.search mnist-sample --output searches/rates --trials 20 \\
        --range rule-option:nu_post=1e-3:1e-1:log --range neurons=50:200:int \\
        --range rule-option:tau_pre_ms=10ms:40ms --range encoding=poisson,bernoulli \\
        --train-size 600 --validation-size 200

Every trial is one ordinary run of ``python -m stdp_learn.train`` with the search's fixed
options (any option of that command after the dataset) and the trial's parameters, run by
the sweep's machinery (`stdp_learn.sweep.run_point`) in its own run folder
``OUTPUT/trials/trial<k>`` with the usual files and its result record, and always with
``--evaluate-on validation``: a search chooses settings, so it never scores on the test
set, and ``--evaluate-on test`` is refused.  Its score is the validation accuracy of a
readout of the record (``--objective``, default the label assignment), maximised.

A range names an option of the command line and its values:

``OPTION=LOW:HIGH[:KIND]``
    a number between LOW and HIGH (``--neurons``, ``--epochs``, ``--labelling-window``, ...);
    KIND is ``linear`` (the default), ``log`` (uniform in the logarithm), ``int`` or
    ``int-log``.
``rule-option:NAME=LOW:HIGH[:KIND]``, ``encoding-option:NAME=LOW:HIGH[:KIND]``
    a parameter of the rule or the encoding, as ``--rule-option NAME=VALUE`` takes it.  Its
    name carries its unit (``tau_pre_ms`` is in ms, ``v_thresh_mV`` in mV); its bounds may
    be written bare, in that unit, or with any unit of the same dimension (``10ms``,
    ``0.01s``), which is converted.
``OPTION=A,B,...`` (also ``rule-option:NAME=A,B,...``)
    one of the values listed (``--range encoding=poisson,bernoulli``).

The trials run as tasks of ``dask.distributed``, one per worker at a time, on a LocalCluster
of one single-threaded worker process per core or with ``--scheduler ADDRESS`` on a running
cluster whose workers see the same file system (see `stdp_learn.sweep`).  Optuna's sampler
(TPE, seeded by ``--sampler-seed``; a trial in flight counts as its mean score so that
parallel trials spread out) proposes each trial's parameters.

The study lives in ``OUTPUT/study.db`` (Optuna's RDB storage on SQLite), written as each
trial starts and ends, so it survives an interruption: running the same command again
continues the study.  Trials that ended are never rerun; a trial interrupted part way
resumes in its run folder (from its checkpoint, see `stdp_learn.sweep.run_point`); new
trials are asked for until the study holds ``--trials`` ended trials.  A trial that fails is
recorded as failed with its error and the others go on.  Ctrl-C stops the search cleanly
(exit status 130).

``OUTPUT`` receives ``trials.md`` and ``trials.json`` (every trial: its state, parameters,
validation score, run folder and error) and ``best.json`` (the best trial's parameters,
score and the command that runs it).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from .record import write_json_atomic
from .sweep import (SweepError, add_cluster_options, describe_error, grid_arguments, plan_sweep,
                    run_point, start_client, strict_train_parser)

__all__ = ["ParameterRange", "SearchError", "SearchResult", "build_parser", "main", "parse_range",
           "run_search"]

STUDY_FILE = "study.db"
STUDY_NAME = "stdp_learn-search"
OBJECTIVES = ("label_assignment", "proportion_weighting", "rstdp")
KINDS = ("linear", "log", "int", "int-log")
# Options whose values hold NAME=VALUE parameters of a building block.
_BLOCK_OPTIONS = ("rule-option", "encoding-option")
# The search chooses these for every trial; neither a range nor the fixed options may.
_SEARCH_OWNS = ("output", "seed", "resume", "overwrite", "progress", "evaluate-on")


class SearchError(SweepError):
    """A search that cannot run as asked; reported in one line, exit status 2."""


@dataclass(frozen=True)
class ParameterRange:
    """A named range of one option of ``python -m stdp_learn.train``.

    Attributes
    ----------
    option : str
        The option, as on the command line without ``--`` (``neurons``, ``rule-option``).
    name : str or None
        The parameter of a building block (``nu_post``) for ``rule-option`` and
        ``encoding-option``; None for a plain option.
    low, high : float or None
        The bounds of a numeric range, in the option's units.
    kind : str
        ``linear``, ``log``, ``int`` or ``int-log`` for a numeric range; ``choice`` for a list.
    choices : tuple of str
        The values of a ``choice``.
    """

    option: str
    name: str | None
    low: float | None = None
    high: float | None = None
    kind: str = "linear"
    choices: tuple = ()

    @property
    def label(self) -> str:
        """The parameter's name in the study: ``neurons``, ``rule-option:nu_post``."""
        return self.option if self.name is None else f"{self.option}:{self.name}"

    def distribution(self):
        """Return the Optuna distribution of the range."""
        from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

        if self.kind == "choice":
            return CategoricalDistribution(list(self.choices))
        if self.kind.startswith("int"):
            return IntDistribution(int(self.low), int(self.high), log=self.kind == "int-log")
        return FloatDistribution(self.low, self.high, log=self.kind == "log")

    def arguments(self, parser, value) -> list:
        """Return the command-line words that set the option to `value`."""
        if self.name is not None:
            return ["--" + self.option, f"{self.name}={value}"]
        return grid_arguments(parser, self.option, value)

    def extremes(self) -> list:
        """Return the values that bound the range (every value of a choice)."""
        return list(self.choices) if self.kind == "choice" else [self.low, self.high]


def _unit_number(text, name):
    """Return `text` (a number, or a number and a unit) in the unit named by `name`'s suffix."""
    import brian2.units
    from brian2 import Unit, get_dimensions

    from .config import _BLOCK_UNITS

    number_pattern = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
    match = re.fullmatch(rf"\s*({number_pattern})\s*\*?\s*([A-Za-z]*)\s*", text)
    if match is None:
        raise SearchError(f"{text!r} is not a number")
    number, unit_name = float(match.group(1)), match.group(2)
    if not unit_name:
        return number
    suffix, unit = next(((s, u) for s, u in _BLOCK_UNITS.items() if name and name.endswith(s)),
                        (None, None))
    if unit is None:
        raise SearchError(f"{text!r}: {name or 'this option'} takes a plain number, without a unit")
    # Brian2's names (ms, mV, second, volt, ...), and s and V as Brian2 writes them
    given = {"s": brian2.units.second, "V": brian2.units.volt}.get(
        unit_name, getattr(brian2.units, unit_name, None))
    if not isinstance(given, Unit):
        raise SearchError(f"{text!r}: {unit_name!r} is no unit")
    if get_dimensions(given) != get_dimensions(unit):
        raise SearchError(f"{text!r}: {name} is in {suffix[1:]}, and {unit_name!r} is not a unit "
                          "of that dimension")
    return float(number * given / unit)


def parse_range(text) -> ParameterRange:
    """Return the range written as on the command line (see the module's documentation).

    Raises
    ------
    SearchError
        The text is no range: a missing ``=``, bounds that are not numbers, LOW not below
        HIGH, a log range that reaches 0, an int range with fractional bounds, an unknown kind.
    """
    key, sep, values = text.partition("=")
    key = key.strip().lstrip("-")
    if not sep or not key or not values.strip():
        raise SearchError(f"--range {text!r}: expected OPTION=LOW:HIGH[:KIND], "
                          "OPTION:NAME=LOW:HIGH[:KIND] or OPTION=A,B,...")
    option, colon, name = key.partition(":")
    option = option.replace("_", "-")
    if option in _BLOCK_OPTIONS and not (colon and name):
        raise SearchError(f"--range {text!r}: {option} ranges name their parameter, as "
                          f"{option}:NAME=LOW:HIGH")
    if colon and option not in _BLOCK_OPTIONS:
        raise SearchError(f"--range {text!r}: only {' and '.join(_BLOCK_OPTIONS)} take OPTION:NAME")
    if option.replace("-", "_") in [o.replace("-", "_") for o in _SEARCH_OWNS]:
        raise SearchError(f"--range {text!r}: the search sets the output, seed, split and "
                          "resumption of every trial")
    name = name or None
    if "," in values:
        choices = tuple(v.strip() for v in values.split(",") if v.strip())
        if len(choices) < 2 or len(set(choices)) != len(choices):
            raise SearchError(f"--range {text!r}: a list needs two or more distinct values")
        return ParameterRange(option, name, kind="choice", choices=choices)
    parts = values.split(":")
    if len(parts) not in (2, 3):
        raise SearchError(f"--range {text!r}: expected LOW:HIGH or LOW:HIGH:KIND after '='")
    kind = parts[2].strip() if len(parts) == 3 else "linear"
    if kind not in KINDS:
        raise SearchError(f"--range {text!r}: the kind {kind!r} is not one of {', '.join(KINDS)}")
    try:
        low, high = (_unit_number(part, name) for part in parts[:2])
    except SearchError as error:
        raise SearchError(f"--range {text!r}: {error}") from None
    if not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise SearchError(f"--range {text!r}: LOW must be below HIGH, got {low:g} and {high:g}")
    if kind in ("log", "int-log") and low <= 0:
        raise SearchError(f"--range {text!r}: a {kind} range needs LOW above 0, got {low:g}")
    if kind.startswith("int"):
        if low != int(low) or high != int(high):
            raise SearchError(f"--range {text!r}: an {kind} range needs whole bounds, got {low:g} "
                              f"and {high:g}")
        low, high = int(low), int(high)
    return ParameterRange(option, name, low, high, kind)


@dataclass
class SearchResult:
    """What a search did.

    Attributes
    ----------
    trials : list of dict
        Per trial: ``number``, ``state`` ("COMPLETE", "FAIL", "RUNNING"), ``params``, ``value``
        (the validation score, None unless complete), ``run_dir`` and ``error``.
    best : dict or None
        The best trial's ``number``, ``value``, ``params`` and ``command``; None before one
        completes.
    ran : int
        Trials run by this call (ended trials are never rerun).
    output : Path
    """

    trials: list
    best: dict | None
    ran: int
    output: Path


class _Trials:
    """Command lines of the search's trials: the fixed options and each trial's parameters."""

    def __init__(self, dataset, output, ranges, options, seed):
        self.dataset, self.output, self.seed = dataset, Path(output), int(seed)
        self.ranges = list(ranges)
        self.options = [str(word) for word in options]
        self.parser = strict_train_parser()
        labels = [r.label for r in self.ranges]
        if not self.ranges:
            raise SearchError("a search needs at least one --range")
        if len(set(labels)) != len(labels):
            raise SearchError(f"a range is named twice: {labels}")
        owned = [f"--{prefix}{name}" for name in _SEARCH_OWNS for prefix in ("", "no-")]
        for word in self.options:
            flag = word.split("=")[0]
            # argparse takes any unambiguous prefix of an option: "--eval" is --evaluate-on
            if len(flag) > 2 and flag.startswith("--") and any(o.startswith(flag) for o in owned):
                if flag.startswith("--e"):
                    raise SearchError(f"{word}: a search scores on the validation split only, "
                                      "never on the test set (it adds --evaluate-on validation)")
                raise SearchError(f"{word}: the search sets the output, seed and resumption of "
                                  "every trial")
        # the fixed options, as the sweep checks them
        plan_sweep(dataset, self.output, seeds=[self.seed], options=self.options)
        # every bound of every range, as a trial would run it, before anything runs
        for r in self.ranges:
            for value in r.extremes():
                params = {other.label: other.extremes()[0] for other in self.ranges}
                params[r.label] = value
                self.check(params)

    def run_dir(self, number) -> Path:
        return self.output / "trials" / f"trial{number}"

    def argv(self, params, number) -> list:
        """Return the arguments of ``python -m stdp_learn.train`` that run a trial."""
        argv = [self.dataset, *self.options]
        for r in self.ranges:
            argv += r.arguments(self.parser, _plain(params[r.label]))
        return argv + ["--evaluate-on", "validation", "--seed", str(self.seed),
                       "--output", str(self.run_dir(number)), "--no-progress"]

    def check(self, params):
        """Raise `SearchError` if a trial with `params` is no valid command line."""
        from .train import UsageError, block_from_options, parse_arguments
        from .encoding import ENCODERS
        from .rules import RULES

        args = parse_arguments(self.argv(params, 0), self.parser)
        try:
            block_from_options(RULES, args.rule, args.rule_option, "--rule-option")
            block_from_options(ENCODERS, args.encoding, args.encoding_option, "--encoding-option")
        except UsageError as error:
            raise SearchError(str(error)) from None

    def command(self, params, number) -> str:
        words = [shlex.quote(word) for word in self.argv(params, number)]
        return " ".join(["python -m stdp_learn.train", *words])


def _plain(value):
    """A parameter value as the command line writes it (a float in full precision)."""
    return repr(value) if isinstance(value, float) else str(value)


def _open_study(output, trials, sampler_seed):
    try:
        import optuna
    except ImportError:
        raise SearchError("searches run on Optuna and dask.distributed: "
                          "pip install 'stdp_learn[search]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the search reports its own progress
    # constant_liar is marked experimental in some Optuna releases; it is what parallel
    # trials need, so the warning would only be noise
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    storage = optuna.storages.RDBStorage(f"sqlite:///{Path(output).resolve() / STUDY_FILE}")
    sampler = optuna.samplers.TPESampler(seed=sampler_seed, constant_liar=True)
    study = optuna.create_study(storage=storage, study_name=STUDY_NAME, direction="maximize",
                                sampler=sampler, load_if_exists=True)
    described = {"dataset": trials.dataset, "options": trials.options, "seed": trials.seed,
                 "ranges": {r.label: repr(r.distribution()) for r in trials.ranges}}
    earlier = study.user_attrs.get("search")
    if earlier is None:
        study.set_user_attr("search", described)
    elif earlier != json.loads(json.dumps(described)):
        raise SearchError(f"{output} holds a study of another search (dataset, options, seed or "
                          "ranges differ); give a new --output")
    return optuna, storage, study


def run_search(dataset, output, ranges, *, trials=20, options=(), objective="label_assignment",
               seed=0, sampler_seed=0, workers=None, scheduler=None, client=None,
               progress=True) -> SearchResult:
    """Run (or continue) a search and write its table; return what it did.

    Parameters
    ----------
    dataset : str
        A registered dataset (``mnist``, ``mnist-sample``, ...).
    output : path
        The search's folder: its study, table and the trials' run folders.
    ranges : sequence of ParameterRange or str
        The parameters searched (strings are read by `parse_range`).
    trials : int
        Trials the study holds when the search ends (complete or failed); a rerun runs only
        those missing.
    options : sequence of str
        Fixed options of every trial, as on the command line; never ``--evaluate-on test``.
    objective : str
        The readout whose validation accuracy is maximised.
    seed : int
        The seed of every trial (trials differ only in their parameters).
    sampler_seed : int
        The seed of Optuna's sampler.
    workers, scheduler, client, progress
        As in `stdp_learn.sweep.run_sweep`.

    Raises
    ------
    SearchError
        Bad ranges or options, before anything runs.
    KeyboardInterrupt
        After Ctrl-C, once the search has stopped and its table holds the trials ended.
    """
    from tqdm.auto import tqdm

    if objective not in OBJECTIVES:
        raise SearchError(f"the objective must be one of {', '.join(OBJECTIVES)}, "
                          f"got {objective!r}")
    if int(trials) < 1:
        raise SearchError(f"a search needs at least 1 trial, got {trials}")
    ranges = [r if isinstance(r, ParameterRange) else parse_range(r) for r in ranges]
    output = Path(output)
    plan = _Trials(dataset, output, ranges, options, seed)
    output.mkdir(parents=True, exist_ok=True)
    optuna, storage, study = _open_study(output, plan, sampler_seed)
    TrialState = optuna.trial.TrialState
    study_id = storage.get_study_id_from_name(STUDY_NAME)
    distributions = {r.label: r.distribution() for r in ranges}

    ended = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.FAIL)))
    # trials left running by an interrupted search resume in their run folders
    interrupted = []
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        if set(t.params) == set(distributions):
            interrupted.append((t.number, t.params))
        else:  # stopped before its parameters were stored: it never ran
            trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, t.number)
            storage.set_trial_user_attr(trial_id, "error", "stopped before its parameters were set")
            study.tell(t.number, state=TrialState.FAIL)
            ended += 1
    to_start = max(0, int(trials) - ended - len(interrupted))
    ran = 0
    own_client = cluster = None
    if (interrupted or to_start) and client is None:
        own_client, cluster = start_client(workers, scheduler)
    try:
        if interrupted or to_start:
            from dask.distributed import as_completed

            active = client or own_client
            slots = max(1, sum(active.nthreads().values()))  # one trial per worker thread
            bar = tqdm(total=ended + len(interrupted) + to_start, initial=ended, unit="trial",
                       desc="trials done", disable=not progress, file=sys.stderr)
            futures = {}

            def submit(number, params):
                argv = plan.argv(params, number)
                future = active.submit(run_point, argv, str(plan.run_dir(number)), pure=False,
                                       key=f"stdp-trial{number}-{os.urandom(4).hex()}")
                futures[future] = number
                return future

            def ask():
                trial = study.ask(distributions)
                trial.set_user_attr("run_dir", str(plan.run_dir(trial.number)))
                trial.set_user_attr("command", plan.command(trial.params, trial.number))
                return submit(trial.number, trial.params)

            queue = [submit(number, params) for number, params in interrupted[:slots]]
            waiting = interrupted[slots:]
            while len(queue) < slots and to_start:
                queue.append(ask())
                to_start -= 1
            running = as_completed(queue)
            try:
                for future in running:
                    number = futures.pop(future)
                    try:
                        record = future.result()
                        if record.get("split") != "validation":
                            raise SearchError(f"the record of trial {number} scored on "
                                              f"{record.get('split')!r}")
                        value = record["results"].get(objective)
                        if value is None:
                            raise SearchError(f"the record of trial {number} has no {objective} "
                                              "accuracy")
                        study.tell(number, float(value))
                    except Exception as error:  # noqa: BLE001 - recorded; the others go on
                        trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, number)
                        storage.set_trial_user_attr(trial_id, "error", describe_error(error))
                        study.tell(number, state=TrialState.FAIL)
                        bar.write(f"failed: trial {number}: {describe_error(error)}", file=sys.stderr)
                    ran += 1
                    bar.update(1)
                    if waiting:
                        running.add(submit(*waiting.pop(0)))
                    elif to_start:
                        running.add(ask())
                        to_start -= 1
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
        result = _write_results(output, study, plan, ranges, objective, ran)
    return result


def _write_results(output, study, plan, ranges, objective, ran) -> SearchResult:
    listed = []
    for t in study.get_trials(deepcopy=False):
        listed.append({"number": t.number, "state": t.state.name, "params": dict(t.params),
                       "value": t.value if t.state.name == "COMPLETE" else None,
                       "run_dir": t.user_attrs.get("run_dir", str(plan.run_dir(t.number))),
                       "error": t.user_attrs.get("error")})
    complete = [t for t in listed if t["value"] is not None]
    best = None
    if complete:
        top = max(complete, key=lambda t: (t["value"], -t["number"]))
        best = {"number": top["number"], "value": top["value"], "objective": objective,
                "split": "validation", "params": top["params"],
                "command": plan.command(top["params"], top["number"])}
        write_json_atomic(output / "best.json", best)
    write_json_atomic(output / "trials.json", listed)
    (output / "trials.md").write_text(_markdown(listed, ranges, objective, best))
    return SearchResult(trials=listed, best=best, ran=ran, output=output)


def _cell(value):
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _markdown(listed, ranges, objective, best) -> str:
    labels = [r.label for r in ranges]
    header = ["trial", "state", *labels, f"{objective} (validation)"]
    lines = ["Trials of the search, scored on the validation split.", "",
             "| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for t in listed:
        score = "–" if t["value"] is None else f"{100 * t['value']:.2f} %"
        cells = [str(t["number"]), t["state"].lower(),
                 *(_cell(t["params"].get(label)) for label in labels), score]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    if best is None:
        lines.append("No trial has completed yet.")
    else:
        params = ", ".join(f"{k} = {_cell(v)}" for k, v in best["params"].items())
        lines += [f"Best: trial {best['number']}, {100 * best['value']:.2f} % on validation "
                  f"({params}).",
                  "", f"    {best['command']}"]
    failed = [t for t in listed if t["error"]]
    if failed:
        lines += ["", "Failures:", ""] + [f"- trial {t['number']}: {t['error']}" for t in failed]
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m stdp_learn.search``."""
    parser = argparse.ArgumentParser(
        prog="python -m stdp_learn.search",
        # a prefix of an option of the train command (--eval, --out) must reach the checks of
        # the fixed options, not be taken for an option of the search
        allow_abbrev=False,
        description="Search parameters of python -m stdp_learn.train with Optuna, trials on Dask, "
                    "scored on the validation split; other options are passed to every trial.",
    )
    parser.add_argument("dataset", help="a registered dataset, as for python -m stdp_learn.train")
    parser.add_argument("--output", type=Path, required=True,
                        help="the search's folder (its study lives there)")
    parser.add_argument("--range", dest="ranges", action="append", default=[],
                        metavar="OPTION[:NAME]=LOW:HIGH[:KIND]",
                        help="a parameter and its range (KIND: linear, log, int, int-log), or "
                             "OPTION=A,B,... for a list; repeat for several")
    parser.add_argument("--trials", type=int, default=20,
                        help="trials the study holds at the end, earlier ones included "
                             "(default 20)")
    parser.add_argument("--objective", choices=OBJECTIVES, default="label_assignment",
                        help="the readout whose validation accuracy is maximised "
                             "(default label_assignment)")
    parser.add_argument("--trial-seed", type=int, default=0,
                        help="seed of every trial's run (default 0)")
    parser.add_argument("--sampler-seed", type=int, default=0,
                        help="seed of Optuna's sampler (default 0)")
    add_cluster_options(parser, "trials")
    return parser


def main(argv=None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args, options = parser.parse_known_args(argv)
    if args.workers is not None and args.workers < 1:
        print(f"error: --workers must be at least 1, got {args.workers}", file=sys.stderr)
        return 2
    if args.trial_seed < 0:
        print(f"error: --trial-seed must be at least 0, got {args.trial_seed}", file=sys.stderr)
        return 2
    try:
        result = run_search(args.dataset, args.output, args.ranges, trials=args.trials,
                            options=options, objective=args.objective, seed=args.trial_seed,
                            sampler_seed=args.sampler_seed, workers=args.workers,
                            scheduler=args.scheduler, progress=args.progress)
    except SweepError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # a search folder that cannot be written
        where = f" ({error.filename})" if error.filename else ""
        print(f"error: {error.strerror or error}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"stopped; the trials ended are in {args.output / 'trials.md'}; run the same command "
              "again to continue the study", file=sys.stderr)
        return 130
    states = [t["state"] for t in result.trials]
    best = result.best
    summary = "no trial completed"
    if best:
        summary = (f"best: trial {best['number']}, {args.objective} {best['value']:.4f} on "
                   "validation, " + ", ".join(f"{k}={_cell(v)}" for k, v in best["params"].items()))
    print(f"{states.count('COMPLETE')} of {len(states)} trials complete ({result.ran} run now, "
          f"{states.count('FAIL')} failed); {summary}; table in {result.output / 'trials.md'}")
    return 0 if best else 1


if __name__ == "__main__":
    sys.exit(main())
