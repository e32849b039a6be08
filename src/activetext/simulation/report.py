"""The report of a simulation: learning curves, areas under them, labels needed and saved, stopping points.

:func:`build_report` reads the tidy results table the simulation harness writes (one row per step of a run, see
:data:`REQUIRED_COLUMNS`) and writes into one folder:

- ``curves/<dataset>__<classifier>.png`` and ``.svg``: the mean learning curve of each strategy over the seeds,
  with a band of one standard deviation and the passive baseline as a dashed line;
- ``auc.csv``: the normalized area under each run's learning curve, mean and standard deviation over the runs,
  the rank within each data set and classifier, and the mean rank over the data sets;
- ``labels_needed.csv``: the labels each mean curve needs to reach 90, 95 and 99 % of the passive score;
- ``report.md`` and ``report.html``: these tables, the labels saved against random sampling and, when the
  table holds ``stop:<criterion>`` columns, where each stopping criterion stops and what that costs. The HTML page
  is self-contained (images inlined as base64 PNG, no external resources).

:func:`load_results` reads one or more results folders or files (``.parquet`` or ``.csv``) into one table, so runs
of activetext and of small-text can be reported together; a curve is then named ``"strategy (library)"``.

This module reads and checks the results and puts the report together; the tables are computed in
:mod:`activetext.simulation.analysis`, the figures and pages drawn in :mod:`activetext.simulation.rendering`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from activetext.exceptions import InvalidArgumentError, MissingDependencyError
from activetext.simulation.analysis import (
    RANDOM_STRATEGY,
    REQUIRED_COLUMNS,
    RUN_COLUMNS,
    STOP_PREFIX,
    auc_table,
    labels_needed_table,
    labels_saved_table,
    mean_curves,
    metric_by_dataset,
    metric_scores,
    passive_baselines,
    report_notes,
    require_pandas,
    stop_columns,
    stopping_table,
)
from activetext.simulation.rendering import plot_curves, render_html, render_markdown, report_blocks, require_matplotlib

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_FRACTIONS",
    "RANDOM_STRATEGY",
    "REQUIRED_COLUMNS",
    "STOP_PREFIX",
    "Report",
    "build_report",
    "load_results",
]

#: The shares of the passive score whose labels-needed are reported.
DEFAULT_FRACTIONS = (0.90, 0.95, 0.99)

_STRING_COLUMNS = ("library", "run_key", "dataset", "classifier", "strategy", "initialization", "kind")
_INTEGER_COLUMNS = ("seed", "step", "labels")


@dataclass(frozen=True, eq=False)
class Report:
    """What :func:`build_report` wrote, and the tables behind it.

    Attributes
    ----------
    folder : pathlib.Path
        The output folder.
    markdown : pathlib.Path
        ``report.md``: the tables in Markdown, with links to the PNG figures.
    html : pathlib.Path
        ``report.html``: the same report as one self-contained page.
    auc_csv : pathlib.Path
        ``auc.csv``, the :attr:`auc` table.
    labels_needed_csv : pathlib.Path
        ``labels_needed.csv``, the :attr:`labels_needed` table.
    figures : tuple of pathlib.Path
        The learning-curve figures, a PNG and an SVG per (dataset, classifier).
    metrics : tuple of (str, str)
        ``(dataset, metric column)`` pairs: the score reported for each data set.
    curves : pandas.DataFrame
        The mean learning curves: one row per (dataset, classifier, curve, labels) with ``mean``, ``std`` and
        ``runs`` (the runs that reached that number of labels).
    auc : pandas.DataFrame
        One row per (dataset, classifier, curve): ``auc_mean``, ``auc_std``, ``runs``, ``rank`` (1 = best within
        the dataset and classifier), ``mean_rank`` (over the data sets, per classifier) and ``auc_diff_random``
        (the curve's mean AUC minus random sampling's, same library).
    labels_needed : pandas.DataFrame
        One row per (dataset, classifier, curve, fraction) where a passive baseline exists: ``passive_score``,
        ``target`` (fraction times the passive score), ``labels_needed`` (NaN when not reached) and
        ``max_labels``.
    labels_saved : pandas.DataFrame
        One row per (dataset, classifier, curve, fraction) for the curves other than random sampling, where both a
        passive baseline and a random-sampling curve (same library) exist: ``labels_needed``,
        ``random_labels_needed``, ``labels_saved`` and ``labels_saved_pct`` (NaN unless both reach the target),
        and ``auc_diff_random``.
    stopping : pandas.DataFrame
        One row per (dataset, classifier, curve, criterion): ``runs`` (runs with a verdict), ``runs_stopped``,
        ``labels_at_stop`` and ``score_at_stop`` (means over the runs that stopped, at the first step whose
        verdict is stop), ``best_score`` (mean over the runs of each run's best score), ``score_lost`` (mean over
        the runs that stopped of best score minus score at the stop) and ``max_labels`` (mean labels at each
        run's last step). Empty without ``stop:*`` columns.
    notes : tuple of str
        What the report says about missing baselines, uneven runs and pooled runs.
    """

    folder: Path
    markdown: Path
    html: Path
    auc_csv: Path
    labels_needed_csv: Path
    figures: tuple[Path, ...]
    metrics: tuple[tuple[str, str], ...]
    curves: pd.DataFrame
    auc: pd.DataFrame
    labels_needed: pd.DataFrame
    labels_saved: pd.DataFrame
    stopping: pd.DataFrame
    notes: tuple[str, ...]


# --- loading ------------------------------------------------------------------------------------------------


def load_results(paths: str | os.PathLike | Sequence[str | os.PathLike]) -> pd.DataFrame:
    """Read one or more simulation results into one table.

    Parameters
    ----------
    paths : path or sequence of paths
        Results folders written by the harness (``results.parquet`` is read, or ``results.csv`` when there is no
        Parquet file or no Parquet reader), or ``.parquet`` / ``.csv`` files. The tables are concatenated in this
        order; a ``stop:*`` column missing from one of them is empty (NaN) in its rows.

    Returns
    -------
    pandas.DataFrame
        The rows of all the tables, with a fresh index.

    Raises
    ------
    InvalidArgumentError
        If a path does not exist, is a folder without results, is not a ``.parquet`` or ``.csv`` file, or a table
        lacks one of :data:`REQUIRED_COLUMNS` (the message names the columns and the file).
    MissingDependencyError
        If pandas is not installed, or a ``.parquet`` file is given and no Parquet reader (pyarrow) is.
    """
    pd = require_pandas()
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    elif not isinstance(paths, Sequence) or not paths:
        raise InvalidArgumentError(f"paths must be a path or a non-empty sequence of paths, got {paths!r}")
    tables = []
    for entry in paths:
        if not isinstance(entry, (str, os.PathLike)):
            raise InvalidArgumentError(f"paths must hold str or os.PathLike items, got {entry!r}")
        file = _results_file(Path(entry))
        table = _read_table(file)
        _check_columns(table, f"{file}")
        tables.append(table)
    return pd.concat(tables, ignore_index=True, sort=False)


def _results_file(path: Path) -> Path:
    """The results file a path names: the path itself, or the Parquet (else CSV) file of a results folder."""
    if path.is_dir():
        parquet, csv = path / "results.parquet", path / "results.csv"
        if parquet.is_file() and (_has_parquet_reader() or not csv.is_file()):
            return parquet
        if csv.is_file():
            return csv
        raise InvalidArgumentError(f"paths: the folder {path} holds neither results.parquet nor results.csv")
    if not path.exists():
        raise InvalidArgumentError(f"paths: {path} does not exist")
    if path.suffix.lower() not in (".parquet", ".csv"):
        raise InvalidArgumentError(f"paths: {path} is neither a results folder nor a .parquet or .csv file")
    return path


def _read_table(file: Path) -> pd.DataFrame:
    pd = require_pandas()
    if file.suffix.lower() == ".csv":
        return pd.read_csv(file, dtype={name: str for name in _STRING_COLUMNS})
    if not _has_parquet_reader():
        raise MissingDependencyError(f"reading {file} needs pyarrow: pip install pyarrow (or pass results.csv)")
    return pd.read_parquet(file)


def _has_parquet_reader() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _check_columns(table: Any, source: str) -> None:
    missing = [name for name in REQUIRED_COLUMNS if name not in table.columns]
    if missing:
        raise InvalidArgumentError(
            f"{source}: the results table lacks the required columns {missing}; it has {list(table.columns)}"
        )


# --- the report ---------------------------------------------------------------------------------------------


def build_report(
    results: pd.DataFrame | str | os.PathLike | Sequence[str | os.PathLike],
    output: str | os.PathLike,
    metric: str = "auto",
    *,
    fractions: Sequence[float] = DEFAULT_FRACTIONS,
) -> Report:
    """Write the report of a simulation into a folder and return its tables.

    Parameters
    ----------
    results : pandas.DataFrame, path or sequence of paths
        The tidy results table (one row per step of a run; see :data:`REQUIRED_COLUMNS`), or what
        :func:`load_results` reads it from.
    output : path
        The folder to write into; created when missing. Files of an earlier report there are overwritten.
    metric : str, default="auto"
        The score to report: ``"auto"`` takes ``accuracy`` for single-label data sets and ``micro_f1`` for
        multi-label ones (decided per data set from the ``multi_label`` column), or the name of a score column of
        the table where higher is better (``accuracy``, ``macro_f1``, ``micro_f1``, ...).
    fractions : sequence of float, default=(0.90, 0.95, 0.99)
        The shares of the passive score for the labels-needed and labels-saved tables, each in (0, 1].

    Returns
    -------
    Report

    Raises
    ------
    InvalidArgumentError
        If ``results`` lacks required columns, holds no active-learning rows or malformed values (a kind other
        than ``active``/``passive``, a step twice in a run, labels not increasing over a run's steps, a missing
        score), if ``metric`` is not a score column of the table, or if ``fractions`` is not a non-empty sequence
        of numbers in (0, 1].
    MissingDependencyError
        If pandas or matplotlib is not installed.

    Notes
    -----
    The mean curve of a strategy averages, at each number of labels, the runs that reached it: when a run stopped
    early, the points beyond its last step average the remaining runs only (the ``runs`` column of
    :attr:`Report.curves` counts them). The standard deviation is the sample standard deviation over the runs
    (0 for a single run). Each run's normalized AUC is taken over its own label range. Labels needed are read off
    the mean curve: the first number of labels whose mean score is at least the fraction times the mean passive
    score. Labels saved compare with random sampling of the same library.
    """
    pd = require_pandas()
    require_matplotlib()
    if not isinstance(output, (str, os.PathLike)):
        raise InvalidArgumentError(f"output must be a folder path (str or os.PathLike), got {output!r}")
    if isinstance(results, pd.DataFrame):
        _check_columns(results, "results")
        table = results
    elif isinstance(results, (str, os.PathLike, Sequence)):
        table = load_results(results)
    else:
        raise InvalidArgumentError(
            f"results must be a pandas.DataFrame or results path(s), got {type(results).__name__}"
        )
    fractions = _check_fractions(fractions)
    table = _prepare(table)
    metrics = metric_by_dataset(table, metric)
    table["score"] = metric_scores(table, metrics)

    active = table[table["kind"] == "active"].copy()
    passive = table[table["kind"] == "passive"]
    if active.empty:
        raise InvalidArgumentError("results holds no active-learning rows (kind 'active'); nothing to report")
    many_libraries = active["library"].nunique() > 1
    active["curve"] = [
        f"{strategy} ({library})" if many_libraries else strategy
        for strategy, library in zip(active["strategy"], active["library"], strict=True)
    ]
    active = active.sort_values([*RUN_COLUMNS, "step"], kind="stable").reset_index(drop=True)
    _check_runs(active)
    active["metric"] = active["dataset"].map(metrics)

    curves = mean_curves(active)
    auc = auc_table(active)
    baselines = passive_baselines(passive)
    labels_needed = labels_needed_table(curves, baselines, fractions)
    labels_saved = labels_saved_table(labels_needed, auc)
    stopping = stopping_table(active)
    notes = report_notes(active, curves, baselines, auc)

    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    figures = plot_curves(curves, baselines, folder / "curves")
    auc_csv, labels_needed_csv = folder / "auc.csv", folder / "labels_needed.csv"
    auc.to_csv(auc_csv, index=False)
    labels_needed.to_csv(labels_needed_csv, index=False)

    blocks = report_blocks(
        table, active, metrics, figures, auc, labels_needed, labels_saved, stopping, notes, fractions
    )
    markdown = folder / "report.md"
    markdown.write_text(render_markdown(blocks, folder), encoding="utf-8")
    page = folder / "report.html"
    page.write_text(render_html(blocks), encoding="utf-8")
    return Report(
        folder=folder,
        markdown=markdown,
        html=page,
        auc_csv=auc_csv,
        labels_needed_csv=labels_needed_csv,
        figures=tuple(path for pair in figures.values() for path in pair),
        metrics=tuple(sorted(metrics.items())),
        curves=curves,
        auc=auc,
        labels_needed=labels_needed,
        labels_saved=labels_saved,
        stopping=stopping,
        notes=tuple(notes),
    )


def _check_fractions(fractions: Any) -> tuple[float, ...]:
    if isinstance(fractions, (str, bytes)) or not isinstance(fractions, Iterable):
        raise InvalidArgumentError(f"fractions must be a sequence of numbers in (0, 1], got {fractions!r}")
    values = tuple(fractions)
    if not values or not all(
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, bool)
        and 0 < value <= 1
        and math.isfinite(value)
        for value in values
    ):
        raise InvalidArgumentError(f"fractions must be a non-empty sequence of numbers in (0, 1], got {values!r}")
    return tuple(sorted({float(value) for value in values}))


def _prepare(results: pd.DataFrame) -> pd.DataFrame:
    """A copy of the table with checked types: str identities, int steps, bool flags, nullable-bool stop columns."""
    pd = require_pandas()
    if results.empty:
        raise InvalidArgumentError("results has no rows")
    table = results.copy()
    for name in _STRING_COLUMNS:
        if table[name].isna().any():
            raise InvalidArgumentError(f"results: column {name!r} has missing values")
        table[name] = table[name].astype(str)
    for name in _INTEGER_COLUMNS:
        values = pd.to_numeric(table[name], errors="coerce")
        if values.isna().any() or not np.all(values == np.round(values)):
            bad = table[name][values.isna() | (values != np.round(values))].head(3).tolist()
            raise InvalidArgumentError(f"results: column {name!r} must hold integers, got {bad}")
        table[name] = values.astype(np.int64)
    kinds = set(table["kind"]) - {"active", "passive"}
    if kinds:
        raise InvalidArgumentError(f"results: column 'kind' must be 'active' or 'passive', got {sorted(kinds)}")
    table["multi_label"] = _as_bool(table["multi_label"], "multi_label", allow_missing=False)
    for name in stop_columns(table):
        table[name] = _as_bool(table[name], name, allow_missing=True)
    return table


def _as_bool(values: pd.Series, name: str, *, allow_missing: bool) -> pd.Series:
    """``values`` as a nullable boolean column; accepts bools, 0/1 and the strings true/false in any case."""
    pd = require_pandas()
    words = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}

    def convert(value: Any) -> Any:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return pd.NA
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        key = str(value).strip().lower()
        if key in words:
            return words[key]
        raise InvalidArgumentError(f"results: column {name!r} must hold booleans, got {value!r}")

    converted = pd.Series([convert(value) for value in values], index=values.index, dtype="boolean")
    if not allow_missing:
        if converted.isna().any():
            raise InvalidArgumentError(f"results: column {name!r} has missing values")
        return converted.astype(bool)
    return converted


def _check_runs(active: pd.DataFrame) -> None:
    """Each run has each step once and more labels at each step; ``active`` is sorted by run and step."""
    for key, run in active.groupby(RUN_COLUMNS, sort=False):
        steps, labels = run["step"].to_numpy(), run["labels"].to_numpy()
        name = f"run {key[-1]!r} ({key[0]}, {key[1]}, {key[2]}, {key[3]}, seed {key[5]})"
        if np.any(np.diff(steps) == 0):
            raise InvalidArgumentError(
                f"results: {name} has a step more than once (steps {steps.tolist()}); was the same table loaded twice?"
            )
        if np.any(np.diff(labels) <= 0):
            raise InvalidArgumentError(
                f"results: {name} has labels {labels.tolist()} over its steps; they must increase with each step"
            )
