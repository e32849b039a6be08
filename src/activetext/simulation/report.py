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
"""

from __future__ import annotations

import base64
import html
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from activetext.exceptions import InvalidArgumentError, MissingDependencyError
from activetext.simulation.store import IDENTITY_COLUMNS
from activetext.utils.curves import normalized_area_under_curve

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_FRACTIONS", "REQUIRED_COLUMNS", "Report", "build_report", "load_results"]

#: The columns every results table must hold; the score columns (``accuracy``, ``micro_f1``, ...) are checked
#: when the metric is chosen.
REQUIRED_COLUMNS = IDENTITY_COLUMNS

#: The shares of the passive score whose labels-needed are reported.
DEFAULT_FRACTIONS = (0.90, 0.95, 0.99)

STOP_PREFIX = "stop:"
RANDOM_STRATEGY = "random"

_STRING_COLUMNS = ("library", "run_key", "dataset", "classifier", "strategy", "initialization", "kind")
_INTEGER_COLUMNS = ("seed", "step", "labels")
# numeric columns that are not scores where higher is better, so never a metric of the report
_NOT_SCORES = frozenset({"seed", "step", "labels", "train_seconds", "query_seconds"})
_LOSSES = frozenset({"hamming_loss"})
_RUN = ["library", "dataset", "classifier", "strategy", "initialization", "seed", "run_key"]
_CURVE = ["dataset", "classifier", "library", "strategy", "curve"]
_GROUP = ["dataset", "classifier"]
# a mean score counts as reaching a target when it falls short by less than this (float noise in fraction * passive)
_TOLERANCE = 1e-9


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
    pd = _pandas()
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
    pd = _pandas()
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
    pd = _pandas()
    _require_matplotlib()
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
    metrics = _metric_by_dataset(table, metric)
    table["score"] = _scores(table, metrics)

    active = table[table["kind"] == "active"].copy()
    passive = table[table["kind"] == "passive"]
    if active.empty:
        raise InvalidArgumentError("results holds no active-learning rows (kind 'active'); nothing to report")
    many_libraries = active["library"].nunique() > 1
    active["curve"] = [
        f"{strategy} ({library})" if many_libraries else strategy
        for strategy, library in zip(active["strategy"], active["library"], strict=True)
    ]
    active = active.sort_values([*_RUN, "step"], kind="stable").reset_index(drop=True)
    _check_runs(active)
    active["metric"] = active["dataset"].map(metrics)

    curves = _mean_curves(active)
    auc = _auc_table(active)
    baselines = _passive_baselines(passive)
    labels_needed = _labels_needed(curves, baselines, fractions)
    labels_saved = _labels_saved(labels_needed, auc)
    stopping = _stopping(active)
    notes = _notes(active, curves, baselines, auc)

    folder = Path(output)
    folder.mkdir(parents=True, exist_ok=True)
    figures = _plot_all(curves, baselines, folder / "curves")
    auc_csv, labels_needed_csv = folder / "auc.csv", folder / "labels_needed.csv"
    auc.to_csv(auc_csv, index=False)
    labels_needed.to_csv(labels_needed_csv, index=False)

    blocks = _blocks(table, active, metrics, figures, auc, labels_needed, labels_saved, stopping, notes, fractions)
    markdown = folder / "report.md"
    markdown.write_text(_render_markdown(blocks, folder), encoding="utf-8")
    page = folder / "report.html"
    page.write_text(_render_html(blocks), encoding="utf-8")
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


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as error:
        raise MissingDependencyError('the simulation report needs pandas: pip install "activetext[pandas]"') from error
    return pandas


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise MissingDependencyError(
            'the simulation report needs matplotlib: pip install "activetext[plot]"'
        ) from error


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
    pd = _pandas()
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
    for name in _stop_columns(table):
        table[name] = _as_bool(table[name], name, allow_missing=True)
    return table


def _as_bool(values: pd.Series, name: str, *, allow_missing: bool) -> pd.Series:
    """``values`` as a nullable boolean column; accepts bools, 0/1 and the strings true/false in any case."""
    pd = _pandas()
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


def _stop_columns(table: pd.DataFrame) -> list[str]:
    return sorted(name for name in table.columns if isinstance(name, str) and name.startswith(STOP_PREFIX))


def _metric_by_dataset(table: pd.DataFrame, metric: Any) -> dict[str, str]:
    """The score column to report for each data set."""
    pd = _pandas()
    candidates = sorted(
        name
        for name in table.columns
        if isinstance(name, str)
        and name not in _NOT_SCORES
        and name not in _LOSSES
        and name not in REQUIRED_COLUMNS
        and not name.startswith(STOP_PREFIX)
        and pd.api.types.is_numeric_dtype(table[name])
        and not pd.api.types.is_bool_dtype(table[name])
    )
    if not isinstance(metric, str):
        raise InvalidArgumentError(f"metric must be 'auto' or the name of a score column, got {metric!r}")
    if metric in _LOSSES:
        raise InvalidArgumentError(
            f"metric {metric!r} is a loss (lower is better); the report needs a score where higher is better, "
            f"one of {candidates}"
        )
    datasets = sorted(table["dataset"].unique())
    if metric != "auto":
        if metric not in candidates:
            raise InvalidArgumentError(
                f"metric must be 'auto' or a numeric score column of the results, one of {candidates}; got {metric!r}"
            )
        return dict.fromkeys(datasets, metric)
    metrics = {}
    flags = table.groupby("dataset")["multi_label"].unique()
    for dataset in datasets:
        values = set(flags[dataset].tolist())
        if len(values) > 1:
            raise InvalidArgumentError(
                f"results: dataset {dataset!r} has rows with multi_label True and False; with metric='auto' "
                "each data set must be one or the other"
            )
        chosen = "micro_f1" if values.pop() else "accuracy"
        if chosen not in table.columns:
            raise InvalidArgumentError(
                f"results: metric='auto' reports {chosen!r} for dataset {dataset!r}, but the table has no such column"
            )
        metrics[dataset] = chosen
    return metrics


def _scores(table: pd.DataFrame, metrics: Mapping[str, str]) -> np.ndarray:
    pd = _pandas()
    scores = np.full(len(table), np.nan)
    for dataset, column in metrics.items():
        rows = (table["dataset"] == dataset).to_numpy()
        values = pd.to_numeric(table.loc[rows, column], errors="coerce").to_numpy(dtype=np.float64)
        if np.isnan(values).any():
            raise InvalidArgumentError(
                f"results: column {column!r} has missing or non-numeric values for dataset {dataset!r}"
            )
        scores[rows] = values
    return scores


def _check_runs(active: pd.DataFrame) -> None:
    """Each run has each step once and more labels at each step; ``active`` is sorted by run and step."""
    for key, run in active.groupby(_RUN, sort=False):
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


# --- the tables ---------------------------------------------------------------------------------------------


def _mean_curves(active: pd.DataFrame) -> pd.DataFrame:
    """Mean, sample std and number of runs at each labels value of each curve."""
    curves = (
        active.groupby([*_CURVE, "metric", "labels"], sort=True)["score"]
        .agg(mean="mean", std="std", runs="count")
        .reset_index()
    )
    curves["std"] = curves["std"].fillna(0.0)
    return curves


def _auc_table(active: pd.DataFrame) -> pd.DataFrame:
    pd = _pandas()
    keys = [*_CURVE, "metric", *_RUN[4:]]
    per_run = pd.DataFrame(
        [
            (*key, normalized_area_under_curve(run["labels"].to_numpy(), run["score"].to_numpy()))
            for key, run in active.groupby(keys, sort=True)
        ],
        columns=[*keys, "auc"],
    )
    auc = per_run.groupby([*_CURVE, "metric"], sort=True)["auc"].agg(auc_mean="mean", auc_std="std", runs="count")
    auc = auc.reset_index()
    auc["auc_std"] = auc["auc_std"].fillna(0.0)
    # rank on rounded means so float noise does not split ties
    auc["rank"] = auc.assign(key=auc["auc_mean"].round(12)).groupby(_GROUP)["key"].rank(ascending=False, method="min")
    auc["rank"] = auc["rank"].astype(np.int64)
    auc["mean_rank"] = auc.groupby(["classifier", "curve"])["rank"].transform("mean")
    random = auc[auc["strategy"] == RANDOM_STRATEGY].set_index([*_GROUP, "library"])["auc_mean"]
    keys = list(zip(auc["dataset"], auc["classifier"], auc["library"], strict=True))
    auc["auc_diff_random"] = auc["auc_mean"].to_numpy() - np.array([random.get(key, np.nan) for key in keys])
    return auc.sort_values([*_GROUP, "rank", "curve"], kind="stable").reset_index(drop=True)


def _passive_baselines(passive: pd.DataFrame) -> pd.DataFrame:
    """Mean and sample std of the passive score per (dataset, classifier), over its runs (all libraries)."""
    baselines = (
        passive.groupby(_GROUP, sort=True)
        .agg(passive_score=("score", "mean"), passive_std=("score", "std"), runs=("score", "count"))
        .join(passive.groupby(_GROUP)["labels"].max().rename("passive_labels"))
        .reset_index()
    )
    baselines["passive_std"] = baselines["passive_std"].fillna(0.0)
    return baselines


def _labels_needed(curves: pd.DataFrame, baselines: pd.DataFrame, fractions: Sequence[float]) -> pd.DataFrame:
    pd = _pandas()
    passive = baselines.set_index(_GROUP)["passive_score"]
    rows = []
    for key, curve in curves.groupby(_CURVE, sort=True):
        dataset, classifier = key[0], key[1]
        if (dataset, classifier) not in passive.index:
            continue
        score = float(passive[(dataset, classifier)])
        labels, means = curve["labels"].to_numpy(), curve["mean"].to_numpy()
        for fraction in fractions:
            target = fraction * score
            reached = np.flatnonzero(means >= target - _TOLERANCE)
            rows.append(
                {
                    **dict(zip(_CURVE, key, strict=True)),
                    "metric": curve["metric"].iloc[0],
                    "passive_score": score,
                    "fraction": fraction,
                    "target": target,
                    "labels_needed": float(labels[reached[0]]) if reached.size else np.nan,
                    "max_labels": int(labels[-1]),
                }
            )
    columns = [*_CURVE, "metric", "passive_score", "fraction", "target", "labels_needed", "max_labels"]
    return pd.DataFrame(rows, columns=columns)


def _labels_saved(labels_needed: pd.DataFrame, auc: pd.DataFrame) -> pd.DataFrame:
    pd = _pandas()
    columns = [
        *_CURVE,
        "metric",
        "fraction",
        "labels_needed",
        "random_labels_needed",
        "labels_saved",
        "labels_saved_pct",
        "auc_diff_random",
    ]
    is_random = labels_needed["strategy"] == RANDOM_STRATEGY
    random = labels_needed[is_random][[*_GROUP, "library", "fraction", "labels_needed"]]
    random = random.rename(columns={"labels_needed": "random_labels_needed"})
    saved = labels_needed[~is_random].merge(random, on=[*_GROUP, "library", "fraction"], how="inner")
    if saved.empty:
        return pd.DataFrame(columns=columns)
    saved["labels_saved"] = saved["random_labels_needed"] - saved["labels_needed"]
    saved["labels_saved_pct"] = 100.0 * saved["labels_saved"] / saved["random_labels_needed"]
    saved = saved.merge(auc[[*_CURVE, "auc_diff_random"]], on=_CURVE, how="left")
    return saved[columns].sort_values([*_GROUP, "curve", "fraction"], kind="stable").reset_index(drop=True)


def _stopping(active: pd.DataFrame) -> pd.DataFrame:
    pd = _pandas()
    columns = [
        *_CURVE,
        "criterion",
        "metric",
        "runs",
        "runs_stopped",
        "labels_at_stop",
        "score_at_stop",
        "best_score",
        "score_lost",
        "max_labels",
    ]
    rows = []
    for name in _stop_columns(active):
        per_run = []
        for key, run in active.groupby([*_CURVE, "metric", *_RUN[4:]], sort=True):
            verdicts = run[name]
            if verdicts.isna().all():
                continue  # this criterion was not evaluated in this run
            fired = np.flatnonzero(verdicts.fillna(False).to_numpy(dtype=bool))
            best = float(run["score"].max())
            first = fired[0] if fired.size else None
            per_run.append(
                {
                    **dict(zip([*_CURVE, "metric"], key[:6], strict=True)),
                    "stopped": first is not None,
                    "labels_at_stop": float(run["labels"].iloc[first]) if first is not None else np.nan,
                    "score_at_stop": float(run["score"].iloc[first]) if first is not None else np.nan,
                    "best_score": best,
                    "score_lost": best - float(run["score"].iloc[first]) if first is not None else np.nan,
                    "max_labels": float(run["labels"].iloc[-1]),
                }
            )
        if not per_run:
            continue
        frame = pd.DataFrame(per_run)
        summary = frame.groupby([*_CURVE, "metric"], sort=True).agg(
            runs=("stopped", "size"),
            runs_stopped=("stopped", "sum"),
            labels_at_stop=("labels_at_stop", "mean"),
            score_at_stop=("score_at_stop", "mean"),
            best_score=("best_score", "mean"),
            score_lost=("score_lost", "mean"),
            max_labels=("max_labels", "mean"),
        )
        summary = summary.reset_index()
        summary["criterion"] = name[len(STOP_PREFIX) :]
        rows.append(summary)
    if not rows:
        return pd.DataFrame(columns=columns)
    stopping = pd.concat(rows, ignore_index=True)[columns]
    stopping["runs_stopped"] = stopping["runs_stopped"].astype(np.int64)
    return stopping.sort_values([*_GROUP, "curve", "criterion"], kind="stable").reset_index(drop=True)


def _notes(active: pd.DataFrame, curves: pd.DataFrame, baselines: pd.DataFrame, auc: pd.DataFrame) -> list[str]:
    notes = []
    with_passive = set(zip(baselines["dataset"], baselines["classifier"], strict=True))
    for dataset, classifier in sorted(set(zip(active["dataset"], active["classifier"], strict=True))):
        if (dataset, classifier) not in with_passive:
            notes.append(
                f"{dataset} / {classifier}: no passive baseline, so no labels-needed or labels-saved rows "
                "and no dashed line in the figure."
            )
    for dataset, classifier in sorted(with_passive - set(zip(active["dataset"], active["classifier"], strict=True))):
        notes.append(f"{dataset} / {classifier}: a passive baseline but no active-learning runs; not shown.")
    for (dataset, classifier, library), group in auc.groupby([*_GROUP, "library"], sort=True):
        if RANDOM_STRATEGY not in set(group["strategy"]):
            notes.append(
                f"{dataset} / {classifier} ({library}): no random-sampling curve, so no labels-saved rows and no "
                "AUC difference to random."
            )
    for key, curve in curves.groupby(_CURVE, sort=True):
        runs = curve["runs"].to_numpy()
        if runs.min() != runs.max():
            uneven = curve["labels"].to_numpy()[runs < runs.max()]
            notes.append(
                f"{key[0]} / {key[1]} / {key[4]}: its runs have different numbers of steps; the points at "
                f"{_join_numbers(uneven)} labels average only the runs that reached them (as few as "
                f"{runs.min()} of {runs.max()})."
            )
    per_seed = active.groupby([*_CURVE, "seed"])["run_key"].nunique()
    for key in sorted({key[:5] for key in per_seed[per_seed > 1].index}):
        notes.append(
            f"{key[0]} / {key[1]} / {key[4]}: more than one run per seed (several initializations or run keys); "
            "the statistics are over all its runs."
        )
    return notes


def _join_numbers(values: np.ndarray, limit: int = 6) -> str:
    shown = ", ".join(str(int(value)) for value in values[:limit])
    return shown + (", ..." if len(values) > limit else "")


# --- figures ------------------------------------------------------------------------------------------------


def _plot_all(curves: pd.DataFrame, baselines: pd.DataFrame, folder: Path) -> dict[tuple[str, str], tuple[Path, Path]]:
    """Draw one figure per (dataset, classifier); return the PNG and SVG paths by (dataset, classifier)."""
    folder.mkdir(parents=True, exist_ok=True)
    strategies = sorted(curves["strategy"].unique())
    colors = {strategy: f"C{index % 10}" for index, strategy in enumerate(strategies)}
    libraries = sorted(curves["library"].unique(), key=lambda library: (library != "activetext", library))
    # solid for activetext, dotted and dash-dotted for other libraries; dashed is the passive baseline's
    styles = {library: ("-", ":", "-.")[index % 3] for index, library in enumerate(libraries)}
    passive = baselines.set_index(_GROUP)
    figures: dict[tuple[str, str], tuple[Path, Path]] = {}
    used: set[str] = set()
    for (dataset, classifier), group in curves.groupby(_GROUP, sort=True):
        stem = _file_stem(dataset, classifier, used)
        baseline = passive.loc[(dataset, classifier)] if (dataset, classifier) in passive.index else None
        paths = (folder / f"{stem}.png", folder / f"{stem}.svg")
        _plot_one(group, baseline, paths, colors, styles)
        figures[(dataset, classifier)] = paths
    return figures


def _plot_one(
    group: pd.DataFrame,
    baseline: Any,
    paths: tuple[Path, Path],
    colors: Mapping[str, str],
    styles: Mapping[str, str],
) -> None:
    # a Figure without pyplot: no global backend switch, no figure registry to clean up
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6.4, 4.0), dpi=120)
    axes = figure.subplots()
    for (library, strategy, curve), points in group.groupby(["library", "strategy", "curve"], sort=True):
        x = points["labels"].to_numpy(dtype=np.float64)
        mean, std = points["mean"].to_numpy(), points["std"].to_numpy()
        reference = strategy == RANDOM_STRATEGY  # the line every strategy is compared with stands out
        color = "dimgray" if reference else colors[strategy]
        axes.plot(
            x,
            mean,
            color=color,
            linestyle=styles[library],
            linewidth=2.4 if reference else 1.5,
            marker="o",
            markersize=3,
            label=_tex_safe(curve),
        )
        axes.fill_between(x, mean - std, mean + std, color=color, alpha=0.15, linewidth=0)
    if baseline is not None:
        axes.axhline(
            baseline["passive_score"],
            color="black",
            linestyle="--",
            linewidth=1,
            label=f"passive ({int(baseline['passive_labels'])} labels)",
        )
    dataset, classifier, metric = group["dataset"].iloc[0], group["classifier"].iloc[0], group["metric"].iloc[0]
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("labeled documents")
    axes.set_ylabel(_tex_safe(metric))
    axes.set_title(_tex_safe(f"{dataset} / {classifier}"))
    axes.grid(alpha=0.3)
    axes.legend(loc="best", fontsize="small")
    figure.tight_layout()
    figure.savefig(paths[0])
    figure.savefig(paths[1], metadata={"Date": None})


def _tex_safe(text: str) -> str:
    """Text for matplotlib with dollar signs shown as such, not read as mathtext."""
    return str(text).replace("$", r"\$")


def _file_stem(dataset: str, classifier: str, used: set[str]) -> str:
    """A unique, file-name-safe ``<dataset>__<classifier>``: letters, digits, ``.``, ``_`` and ``-`` only."""

    def safe(name: str) -> str:
        return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:60] or "unnamed"

    stem = f"{safe(dataset)}__{safe(classifier)}"
    unique, counter = stem, 2
    while unique.lower() in used:
        unique, counter = f"{stem}-{counter}", counter + 1
    used.add(unique.lower())
    return unique


# --- rendering ----------------------------------------------------------------------------------------------

# A report is a list of blocks, rendered twice: ("h", level, text), ("p", text), ("ul", items),
# ("table", headers, rows), ("img", png path, alt text). Every text is plain; the renderers escape it.
_Block = tuple


def _blocks(
    table: pd.DataFrame,
    active: pd.DataFrame,
    metrics: Mapping[str, str],
    figures: Mapping[tuple[str, str], tuple[Path, Path]],
    auc: pd.DataFrame,
    labels_needed: pd.DataFrame,
    labels_saved: pd.DataFrame,
    stopping: pd.DataFrame,
    notes: Sequence[str],
    fractions: Sequence[float],
) -> list[_Block]:
    runs = active.groupby(_RUN).ngroups
    passive_rows = int((table["kind"] == "passive").sum())
    blocks: list[_Block] = [
        ("h", 1, "Simulation report"),
        (
            "p",
            f"{runs} active-learning runs and {passive_rows} passive baselines; libraries: "
            f"{', '.join(sorted(active['library'].unique()))}; data sets: {len(metrics)}; "
            f"classifiers: {', '.join(sorted(active['classifier'].unique()))}.",
        ),
        ("table", ["dataset", "metric"], [[dataset, metric] for dataset, metric in sorted(metrics.items())]),
    ]
    if notes:
        blocks += [("h", 2, "Notes"), ("ul", list(notes))]

    blocks.append(("h", 2, "Learning curves"))
    blocks.append(
        (
            "p",
            "Mean over the runs (seeds) at each number of labels, with a band of one sample standard deviation; "
            "the dashed line is the mean passive score (trained on all training labels).",
        )
    )
    for (dataset, classifier), (png, _svg) in figures.items():
        blocks += [("h", 3, f"{dataset} / {classifier}"), ("img", png, f"learning curves, {dataset} / {classifier}")]

    blocks.append(("h", 2, "Normalized area under the learning curve"))
    blocks.append(
        (
            "p",
            "Area under each run's curve divided by its label range (the mean score over the labels axis), mean ± "
            "sample standard deviation over the runs; rank 1 is the best mean within a data set and classifier.",
        )
    )
    blocks.append(
        (
            "table",
            ["dataset", "classifier", "curve", "runs", "AUC", "rank", "AUC - random"],
            [
                [
                    row.dataset,
                    row.classifier,
                    row.curve,
                    str(row.runs),
                    f"{_number(row.auc_mean)} ± {_number(row.auc_std)}",
                    str(row.rank),
                    _signed(row.auc_diff_random),
                ]
                for row in auc.itertuples()
            ],
        )
    )
    ranks = auc.groupby(["classifier", "curve"], sort=True).agg(
        mean_rank=("rank", "mean"), datasets=("dataset", "nunique")
    )
    blocks.append(("h", 3, "Mean rank over the data sets"))
    blocks.append(
        (
            "table",
            ["classifier", "curve", "mean rank", "data sets"],
            [
                [row.classifier, row.curve, f"{row.mean_rank:.2f}", str(row.datasets)]
                for row in ranks.reset_index().sort_values(["classifier", "mean_rank"], kind="stable").itertuples()
            ],
        )
    )

    percents = [f"{fraction * 100:g} %" for fraction in fractions]
    blocks.append(("h", 2, "Labels needed to reach the passive score"))
    blocks.append(
        (
            "p",
            "The first number of labels at which the mean curve reaches the given share of the mean passive score; "
            "“> n” means not reached within the n labels of the curve.",
        )
    )
    if labels_needed.empty:
        blocks.append(("p", "No data set and classifier has a passive baseline."))
    else:
        rows = []
        for key, group in labels_needed.groupby(_CURVE, sort=True):
            needed = dict(zip(group["fraction"], group["labels_needed"], strict=True))
            maximum = int(group["max_labels"].iloc[0])
            rows.append(
                [key[0], key[1], key[4], _number(group["passive_score"].iloc[0])]
                + [_needed(needed[fraction], maximum) for fraction in fractions]
            )
        blocks.append(("table", ["dataset", "classifier", "curve", "passive", *percents], rows))

    blocks.append(("h", 2, "Labels saved against random sampling"))
    blocks.append(
        (
            "p",
            "Random sampling's labels needed minus the strategy's (and as a share of random's), where both reach "
            "the target; “—” where one does not. Compared with random sampling of the same library.",
        )
    )
    if labels_saved.empty:
        blocks.append(("p", "No curve has both a passive baseline and a random-sampling curve to compare with."))
    else:
        rows = []
        for key, group in labels_saved.groupby(_CURVE, sort=True):
            saved = {row.fraction: row for row in group.itertuples()}
            rows.append(
                [key[0], key[1], key[4]]
                + [_saved(saved[fraction].labels_saved, saved[fraction].labels_saved_pct) for fraction in fractions]
                + [_signed(group["auc_diff_random"].iloc[0])]
            )
        blocks.append(("table", ["dataset", "classifier", "curve", *percents, "AUC - random"], rows))

    if not stopping.empty:
        blocks.append(("h", 2, "Stopping criteria"))
        blocks.append(
            (
                "p",
                "Where each criterion first says stop: mean labels and score there over the runs that stopped, the "
                "mean best score of the runs, and the score lost by stopping (best minus score at the stop, per "
                "run). “max labels” is the mean budget of the runs.",
            )
        )
        blocks.append(
            (
                "table",
                [
                    "dataset",
                    "classifier",
                    "curve",
                    "criterion",
                    "stopped",
                    "labels at stop",
                    "score at stop",
                    "best score",
                    "score lost",
                    "max labels",
                ],
                [
                    [
                        row.dataset,
                        row.classifier,
                        row.curve,
                        row.criterion,
                        f"{row.runs_stopped} of {row.runs}",
                        _count(row.labels_at_stop),
                        _number(row.score_at_stop),
                        _number(row.best_score),
                        _number(row.score_lost),
                        _count(row.max_labels),
                    ]
                    for row in stopping.itertuples()
                ],
            )
        )
    return blocks


def _number(value: float) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:.3f}"


def _signed(value: float) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:+.3f}"


def _count(value: float) -> str:
    if value is None or not np.isfinite(value):
        return "—"
    return f"{value:.0f}" if abs(value - round(value)) < 1e-9 else f"{value:.1f}"


def _needed(value: float, maximum: int) -> str:
    return f"> {maximum}" if not np.isfinite(value) else _count(value)


def _saved(labels: float, percent: float) -> str:
    if not np.isfinite(labels):
        return "—"
    return f"{_count(labels) if labels <= 0 else '+' + _count(labels)} ({percent:+.1f} %)"


def _render_markdown(blocks: Sequence[_Block], folder: Path) -> str:
    def text(value: str) -> str:
        # entities for & and < (no tags, no entity tricks from the data); > alone opens nothing inside a line
        escaped = str(value).replace("&", "&amp;").replace("<", "&lt;")
        return escaped.replace("|", "\\|").replace("\r", " ").replace("\n", " ")

    lines: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind == "h":
            lines += ["#" * block[1] + " " + text(block[2]), ""]
        elif kind == "p":
            lines += [text(block[1]), ""]
        elif kind == "ul":
            lines += [f"- {text(item)}" for item in block[1]] + [""]
        elif kind == "table":
            headers, rows = block[1], block[2]
            lines.append("| " + " | ".join(text(header) for header in headers) + " |")
            lines.append("|" + "|".join("---" for _ in headers) + "|")
            lines += ["| " + " | ".join(text(cell) for cell in row) + " |" for row in rows]
            lines.append("")
        elif kind == "img":
            alt = text(block[2]).replace("[", "(").replace("]", ")")
            lines += [f"![{alt}]({block[1].relative_to(folder).as_posix()})", ""]
    return "\n".join(lines)


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 72rem;
       padding: 0 1rem; color: #222; line-height: 1.45; }
h1, h2, h3 { line-height: 1.2; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: .2rem; margin-top: 2.2rem; }
table { border-collapse: collapse; margin: .8rem 0 1.2rem; font-size: .92rem; }
th, td { border: 1px solid #ccc; padding: .25rem .6rem; text-align: left; }
th { background: #f3f3f3; }
td { font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafafa; }
img { max-width: 100%; height: auto; }
"""


def _render_html(blocks: Sequence[_Block]) -> str:
    def text(value: str) -> str:
        return html.escape(str(value), quote=True)

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        "<title>Simulation report</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
    ]
    for block in blocks:
        kind = block[0]
        if kind == "h":
            parts.append(f"<h{block[1]}>{text(block[2])}</h{block[1]}>")
        elif kind == "p":
            parts.append(f"<p>{text(block[1])}</p>")
        elif kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{text(item)}</li>" for item in block[1]) + "</ul>")
        elif kind == "table":
            headers, rows = block[1], block[2]
            head = "".join(f"<th>{text(header)}</th>" for header in headers)
            body = "".join("<tr>" + "".join(f"<td>{text(cell)}</td>" for cell in row) + "</tr>" for row in rows)
            parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif kind == "img":
            data = base64.b64encode(block[1].read_bytes()).decode("ascii")
            parts.append(f'<p><img src="data:image/png;base64,{data}" alt="{text(block[2])}"></p>')
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)
