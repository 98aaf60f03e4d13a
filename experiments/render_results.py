"""Render the results tables of README from the records under ``experiments/results/``.

Every command-line run writes ``record.json`` (see ``stdp_learn/record.py``); a record
committed under ``experiments/results/`` (any ``*.json`` of schema 1, in any sub-folder)
is a row of the tables.  JSON files without ``"schema": 1`` (the older variant results)
are skipped.

Two tables are rendered:

* every run: one row per record, sorted by neurons, split and seed;
* seeds: test-set records grouped by identical configuration except the seed, with the
  mean and sample standard deviation of the label-assignment accuracy.

Records belong to one group when everything that can change their figures is equal: the
command-line arguments (``configuration.arguments``) less ``seed``, ``data_dir``,
``progress`` and ``output`` (where the data or the run folder lie, and how progress is
shown, change nothing), together with the model's configuration
(``configuration.model``) less its ``random_state``.  The model's configuration is part
of the key because the same arguments gave different networks when a default changed;
``block_size`` and ``device`` stay in the key, since a block reseeds the random stream
and the two devices draw different streams.

README holds the rendering between ``<!-- results:begin -->`` and
``<!-- results:end -->``::

    python experiments/render_results.py            # print the rendering
    python experiments/render_results.py --write    # rewrite README's section in place
    python experiments/render_results.py --check    # exit 1 if README's section is stale

``--write`` and ``--check`` exit with status 2 where README has no markers.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

__all__ = ["BEGIN", "END", "MissingMarkers", "load_records", "runs_table", "seeds_table",
           "render", "check", "write", "main"]

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
README = HERE.parent / "README.md"
BEGIN = "<!-- results:begin -->"
END = "<!-- results:end -->"
SCHEMA = 1
# Arguments that do not change a run's figures: they stay out of the seeds table's key.
NOT_IN_KEY = ("seed", "data_dir", "progress", "output")
DASH = "–"


class MissingMarkers(ValueError):
    """README lacks one pair of results markers."""


def load_records(results_dir) -> list:
    """Return the records under `results_dir` as ``(name, record)`` pairs.

    Parameters
    ----------
    results_dir : path-like
        Folder searched recursively for ``*.json`` files.

    Returns
    -------
    list of (str, dict)
        The file's path relative to `results_dir` (POSIX form) and its record, for every
        file holding a JSON object with ``"schema": 1``; other JSON files are skipped.

    Raises
    ------
    ValueError
        A file that is not valid JSON: a broken committed result should not vanish from
        the table unnoticed.
    """
    results_dir = Path(results_dir)
    records = []
    for path in sorted(results_dir.rglob("*.json")):
        try:
            payload = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not valid JSON ({error})") from None
        if isinstance(payload, dict) and payload.get("schema") == SCHEMA:
            records.append((path.relative_to(results_dir).as_posix(), payload))
    return records


def _arguments(record) -> dict:
    return record.get("configuration", {}).get("arguments", {})


def _neurons(record):
    model = record.get("configuration", {}).get("model", {})
    return model.get("n_neurons", _arguments(record).get("neurons"))


def _dataset(record) -> str:
    """Return the dataset a record names, or the record's own name (the scripts that make
    data sets of their own name them so)."""
    return _arguments(record).get("dataset") or record.get("name") or DASH


def _percent(value) -> str:
    return DASH if value is None else f"{100 * value:.2f} %"


def _duration(seconds) -> str:
    if seconds is None:
        return DASH
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def _cell(text) -> str:
    # A pipe would end the cell, even inside backticks.
    return str(text).replace("|", "\\|")


def _training(record) -> str:
    sizes = record.get("sizes", {})
    model = _arguments(record).get("model")
    if "train" not in sizes and model:
        # a saved network scored by python -m stdp_learn.evaluate: trained by another run
        theta = _arguments(record).get("theta_in_frozen_pass")
        return f"{model}, evaluated" + (f" with theta {theta}" if theta else "")
    return f"{sizes.get('train', 0):,} × {sizes.get('epochs', 1)}"


def _split(record) -> str:
    split = record.get("split")
    size = record.get("sizes", {}).get(split)
    return f"{split} {size:,}" if size is not None else str(split)


def _commit(record) -> str:
    commit = record.get("commit")
    if not commit:
        return DASH
    clean = {True: " (clean)", False: " (modified)"}.get(record.get("tree_clean"), "")
    return f"{commit[:7]}{clean}"


def _command(record) -> str:
    text = f"`{record.get('command')}`"
    resumes = len(record.get("commands", [])) - 1
    if resumes > 0:  # the figures sum every part; say that the run was resumed
        text += f" (+{resumes} resume{'s' if resumes > 1 else ''})"
    return text


def _row(cells) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _table(header, rows) -> str:
    lines = [_row(header), "| " + " | ".join("---" for _ in header) + " |"]
    return "\n".join(lines + [_row(r) for r in rows])


def _sort_key(item):
    name, record = item
    return (_neurons(record) or 0, str(record.get("split")), record.get("seed") or 0, name)


def runs_table(records) -> str:
    """Return the Markdown table with one row per record.

    Parameters
    ----------
    records : list of (str, dict)
        As returned by `load_records`.

    Returns
    -------
    str
        The table, sorted by neurons, split, seed (then file name).
    """
    header = ("neurons", "dataset", "training images × epochs", "split", "label assignment",
              "proportion weighting", "R-STDP", "seed", "train images/s", "wall time",
              "peak MB", "commit", "command", "record")
    rows = []
    for name, record in sorted(records, key=_sort_key):
        results, timings = record.get("results", {}), record.get("timings", {})
        speed = timings.get("train_images_per_second")
        memory = record.get("peak_memory_mb")
        rows.append((
            _neurons(record), _dataset(record), _training(record),
            _split(record), _percent(results.get("label_assignment")),
            _percent(results.get("proportion_weighting")), _percent(results.get("rstdp")),
            record.get("seed"), DASH if speed is None else f"{speed:.1f}",
            _duration(timings.get("wall_seconds")),
            DASH if memory is None else f"{memory:.0f}", _commit(record), _command(record), name,
        ))
    return _table(header, rows)


def _group_key(record) -> str:
    """Return the configuration of `record` less its seed, as canonical JSON."""
    configuration = record.get("configuration", {})
    arguments = {k: v for k, v in configuration.get("arguments", {}).items() if k not in NOT_IN_KEY}
    model = {k: v for k, v in configuration.get("model", {}).items() if k != "random_state"}
    return json.dumps({"arguments": arguments, "model": model}, sort_keys=True)


def _mean_sd(values) -> str:
    """Return ``mean ± sd`` in percent (sample sd), or the value and ``1 seed``."""
    values = 100 * np.asarray(values, dtype=float)
    if len(values) == 1:
        return f"{values[0]:.2f} % (1 seed)"
    return f"{values.mean():.2f} ± {values.std(ddof=1):.2f} %"


def seeds_table(records) -> str:
    """Return the Markdown table of test-set records grouped by all but their seed.

    Parameters
    ----------
    records : list of (str, dict)
        As returned by `load_records`; records scored on a validation split are left out.

    Returns
    -------
    str
        One row per group: the mean ± sample sd of the label-assignment accuracy over its
        seeds, the seeds and the record files.
    """
    groups = {}
    for name, record in sorted(records, key=_sort_key):
        if record.get("split") == "test":
            groups.setdefault(_group_key(record), []).append((name, record))
    header = ("neurons", "dataset", "training images × epochs", "test images", "readout",
              "seeds", "label assignment", "seed values", "records")
    rows = []
    for members in groups.values():
        first = members[0][1]
        accuracies = [r.get("results", {}).get("label_assignment") for _, r in members]
        rows.append((
            _neurons(first), _dataset(first), _training(first),
            f"{first.get('sizes', {}).get('test', 0):,}", _arguments(first).get("readout", DASH),
            len(members), _mean_sd(accuracies),
            ", ".join(str(r.get("seed")) for _, r in members),
            ", ".join(name for name, _ in members),
        ))
    return _table(header, rows)


def _block_names(record):
    arguments = _arguments(record)
    return (arguments.get("rule") or "pair", arguments.get("encoding") or "poisson",
            arguments.get("topology") or "all_to_all")


def blocks_table(records) -> str:
    """Return the building blocks compared at 100 neurons on 10,000 training images.

    Every record scored on the validation split that says what its images cost
    (``cost``), one row each: rule, encoder and topology with their options, the
    validation accuracy and the cost per scored image.
    """
    header = ["rule", "encoding", "topology", "options", "validation accuracy",
              "input synapses", "input spikes per image", "synaptic operations per image",
              "record"]
    rows = []
    for name, record in records:
        sizes = record.get("sizes", {})
        cost = record.get("cost")
        if (cost is None or record.get("split") != "validation" or _neurons(record) != 100
                or sizes.get("train") != 10_000):
            continue
        arguments = _arguments(record)
        options = [*(arguments.get("rule_option") or []), *(arguments.get("encoding_option") or []),
                   *(arguments.get("topology_option") or [])]
        rows.append((*_block_names(record), " ".join(options) if options else DASH,
                     _percent(record.get("results", {}).get("label_assignment")),
                     f"{cost['input_synapses']:,}", f"{cost['input_spikes_per_image']:,.0f}",
                     f"{cost['synaptic_operations_per_image']:,.0f}", name))
    if not rows:
        return "No building-block records yet."
    return _table(header, sorted(rows))


def render(results_dir=RESULTS) -> str:
    """Return the Markdown that README holds between its results markers.

    Parameters
    ----------
    results_dir : path-like
        Folder of the records.

    Returns
    -------
    str
        Both tables, ending with a newline.
    """
    records = load_records(results_dir)
    note = ("<!-- rendered by `python experiments/render_results.py --write` from "
            "experiments/results/; edit the records, not this section -->")
    if not records:
        return f"{note}\n\nNo result records yet.\n"
    return (f"{note}\n\nEvery recorded run (accuracy on the split named):\n\n"
            f"{runs_table(records)}\n\n"
            f"Test-set runs that differ only in their seed (mean ± sample standard deviation):"
            f"\n\n{seeds_table(records)}\n\n"
            f"Building blocks at 100 neurons after 10,000 training images, scored on the "
            f"validation split (one seed; the cost is per scored image):\n\n"
            f"{blocks_table(records)}\n")


def _split_readme(text):
    """Return README's text before, inside and after its results markers."""
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise MissingMarkers(f"no single {BEGIN} ... {END} pair of markers")
    before, rest = text.split(BEGIN)
    inside, after = rest.split(END)
    return before, inside, after


def check(results_dir=RESULTS, readme=README):
    """Return why README's results section is stale, or None where it agrees.

    Parameters
    ----------
    results_dir : path-like
        Folder of the records.
    readme : path-like
        The README holding the markers.

    Returns
    -------
    str or None
        A one-line message where the section differs from `render`; None otherwise.

    Raises
    ------
    MissingMarkers
        README has no markers.
    """
    _, inside, _ = _split_readme(Path(readme).read_text())
    # Blank lines next to the markers are layout, not content.
    if inside.strip() == render(results_dir).strip():
        return None
    return (f"{readme}: the results section differs from the records in {results_dir}; "
            f"run python experiments/render_results.py --write")


def write(results_dir=RESULTS, readme=README) -> bool:
    """Rewrite README's results section in place; return whether anything changed.

    Raises
    ------
    MissingMarkers
        README has no markers; nothing is written.
    """
    readme = Path(readme)
    text = readme.read_text()
    before, _, after = _split_readme(text)
    new = f"{before}{BEGIN}\n{render(results_dir)}{END}{after}"
    if new != text:
        readme.write_text(new)
    return new != text


def main(argv=None) -> int:
    """Run the command line; return its exit status."""
    parser = argparse.ArgumentParser(description="Render README's results tables from the records.")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="rewrite README's results section")
    action.add_argument("--check", action="store_true", help="exit 1 if README's section is stale")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder of the records")
    parser.add_argument("--readme", type=Path, default=README, help="README to check or rewrite")
    args = parser.parse_args(argv)
    if not (args.write or args.check):
        sys.stdout.write(render(args.results))
        return 0
    try:
        if args.write:
            changed = write(args.results, args.readme)
            state = "rewritten" if changed else "already up to date"
            print(f"{args.readme}: results section {state}")
            return 0
        message = check(args.results, args.readme)
    except MissingMarkers as error:
        print(f"{args.readme}: {error}", file=sys.stderr)
        return 2
    if message:
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
