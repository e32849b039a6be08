"""The tables of a simulation report, computed from the tidy results table with pandas.

Every function here is a pure function of DataFrames: it reads the prepared results (one row per step of a run,
with a ``score`` column holding the reported metric) and returns a new table, never writing files. The active
rows carry a ``curve`` column (the strategy, or ``"strategy (library)"`` when several libraries are reported
together) and a ``metric`` column (the score column reported for the row's data set).

:func:`metric_by_dataset` and :func:`metric_scores` choose and read the score; :func:`mean_curves`,
:func:`auc_table`, :func:`passive_baselines`, :func:`labels_needed_table`, :func:`labels_saved_table` and
:func:`stopping_table` compute the report's tables, and :func:`report_notes` what the report says about gaps in
the results. The column constants are shared with :mod:`activetext.simulation.rendering` and
:mod:`activetext.simulation.report`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from activetext.exceptions import InvalidArgumentError, MissingDependencyError
from activetext.simulation.store import IDENTITY_COLUMNS
from activetext.utils.curves import normalized_area_under_curve

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CURVE_COLUMNS",
    "GROUP_COLUMNS",
    "RANDOM_STRATEGY",
    "REQUIRED_COLUMNS",
    "RUN_COLUMNS",
    "STOP_PREFIX",
    "auc_table",
    "labels_needed_table",
    "labels_saved_table",
    "mean_curves",
    "metric_by_dataset",
    "metric_scores",
    "passive_baselines",
    "report_notes",
    "require_pandas",
    "stop_columns",
    "stopping_table",
]

#: The columns every results table must hold; the score columns (``accuracy``, ``micro_f1``, ...) are checked
#: when the metric is chosen.
REQUIRED_COLUMNS = IDENTITY_COLUMNS

#: The prefix of the columns holding a stopping criterion's verdict at each step (``stop:<criterion>``).
STOP_PREFIX = "stop:"
#: The strategy every other strategy is compared with (labels saved, AUC difference, the reference line).
RANDOM_STRATEGY = "random"

#: The columns that identify a run.
RUN_COLUMNS = ["library", "dataset", "classifier", "strategy", "initialization", "seed", "run_key"]
#: The columns that identify a curve (the runs of one strategy, averaged over the seeds).
CURVE_COLUMNS = ["dataset", "classifier", "library", "strategy", "curve"]
#: The columns that identify a figure, a passive baseline and a ranking.
GROUP_COLUMNS = ["dataset", "classifier"]

# numeric columns that are not scores where higher is better, so never a metric of the report
_NOT_SCORES = frozenset({"seed", "step", "labels", "train_seconds", "query_seconds"})
_LOSSES = frozenset({"hamming_loss"})
# a mean score counts as reaching a target when it falls short by less than this (float noise in fraction * passive)
_TOLERANCE = 1e-9


def require_pandas() -> Any:
    """Import pandas, which the report needs.

    Returns
    -------
    module
        The ``pandas`` module.

    Raises
    ------
    MissingDependencyError
        If pandas is not installed.
    """
    try:
        import pandas
    except ImportError as error:
        raise MissingDependencyError('the simulation report needs pandas: pip install "activetext[pandas]"') from error
    return pandas


def stop_columns(table: pd.DataFrame) -> list[str]:
    """The stopping-criterion columns of a results table.

    Parameters
    ----------
    table : pandas.DataFrame
        A results table.

    Returns
    -------
    list of str
        The names of its ``stop:<criterion>`` columns, sorted.
    """
    return sorted(name for name in table.columns if isinstance(name, str) and name.startswith(STOP_PREFIX))


def metric_by_dataset(table: pd.DataFrame, metric: Any) -> dict[str, str]:
    """The score column to report for each data set.

    Parameters
    ----------
    table : pandas.DataFrame
        The prepared results table (``multi_label`` holding bools).
    metric : str
        ``"auto"`` (``accuracy`` for single-label data sets, ``micro_f1`` for multi-label ones) or the name of a
        numeric score column of the table where higher is better.

    Returns
    -------
    dict of str to str
        The metric column by data set.

    Raises
    ------
    InvalidArgumentError
        If ``metric`` is not a string, is a loss, or is not a numeric score column of the table; with ``"auto"``,
        if a data set mixes single- and multi-label rows or the table lacks the column it calls for.
    """
    pd = require_pandas()
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


def metric_scores(table: pd.DataFrame, metrics: Mapping[str, str]) -> np.ndarray:
    """The reported score of each row: the value of its data set's metric column.

    Parameters
    ----------
    table : pandas.DataFrame
        The prepared results table.
    metrics : mapping of str to str
        The metric column by data set, as :func:`metric_by_dataset` returns it.

    Returns
    -------
    numpy.ndarray
        One float per row of ``table``, in its order.

    Raises
    ------
    InvalidArgumentError
        If a data set's metric column has a missing or non-numeric value.
    """
    pd = require_pandas()
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


# --- the tables ---------------------------------------------------------------------------------------------


def mean_curves(active: pd.DataFrame) -> pd.DataFrame:
    """Mean, sample std and number of runs at each labels value of each curve.

    Parameters
    ----------
    active : pandas.DataFrame
        The active-learning rows, with ``curve``, ``metric`` and ``score`` columns.

    Returns
    -------
    pandas.DataFrame
        One row per (dataset, classifier, curve, labels): the :data:`CURVE_COLUMNS`, ``metric``, ``labels``,
        ``mean``, ``std`` (0 for a single run) and ``runs`` (the runs that reached that number of labels).
    """
    curves = (
        active.groupby([*CURVE_COLUMNS, "metric", "labels"], sort=True)["score"]
        .agg(mean="mean", std="std", runs="count")
        .reset_index()
    )
    curves["std"] = curves["std"].fillna(0.0)
    return curves


def auc_table(active: pd.DataFrame) -> pd.DataFrame:
    """The normalized area under each run's learning curve, summarized per curve and ranked.

    Parameters
    ----------
    active : pandas.DataFrame
        The active-learning rows, with ``curve``, ``metric`` and ``score`` columns, sorted by run and step.

    Returns
    -------
    pandas.DataFrame
        One row per (dataset, classifier, curve): ``auc_mean``, ``auc_std`` (0 for a single run), ``runs``,
        ``rank`` (1 = best within the dataset and classifier), ``mean_rank`` (over the data sets, per classifier)
        and ``auc_diff_random`` (the mean AUC minus random sampling's of the same library, NaN without one),
        sorted by dataset, classifier and rank.
    """
    pd = require_pandas()
    keys = [*CURVE_COLUMNS, "metric", *RUN_COLUMNS[4:]]
    per_run = pd.DataFrame(
        [
            (*key, normalized_area_under_curve(run["labels"].to_numpy(), run["score"].to_numpy()))
            for key, run in active.groupby(keys, sort=True)
        ],
        columns=[*keys, "auc"],
    )
    auc = per_run.groupby([*CURVE_COLUMNS, "metric"], sort=True)["auc"].agg(
        auc_mean="mean", auc_std="std", runs="count"
    )
    auc = auc.reset_index()
    auc["auc_std"] = auc["auc_std"].fillna(0.0)
    # rank on rounded means so float noise does not split ties
    auc["rank"] = (
        auc.assign(key=auc["auc_mean"].round(12)).groupby(GROUP_COLUMNS)["key"].rank(ascending=False, method="min")
    )
    auc["rank"] = auc["rank"].astype(np.int64)
    auc["mean_rank"] = auc.groupby(["classifier", "curve"])["rank"].transform("mean")
    random = auc[auc["strategy"] == RANDOM_STRATEGY].set_index([*GROUP_COLUMNS, "library"])["auc_mean"]
    keys = list(zip(auc["dataset"], auc["classifier"], auc["library"], strict=True))
    auc["auc_diff_random"] = auc["auc_mean"].to_numpy() - np.array([random.get(key, np.nan) for key in keys])
    return auc.sort_values([*GROUP_COLUMNS, "rank", "curve"], kind="stable").reset_index(drop=True)


def passive_baselines(passive: pd.DataFrame) -> pd.DataFrame:
    """Mean and sample std of the passive score per (dataset, classifier), over its runs (all libraries).

    Parameters
    ----------
    passive : pandas.DataFrame
        The passive rows (kind ``passive``), with a ``score`` column.

    Returns
    -------
    pandas.DataFrame
        One row per (dataset, classifier): ``passive_score``, ``passive_std`` (0 for a single run), ``runs`` and
        ``passive_labels`` (the most labels a passive run was trained on).
    """
    baselines = (
        passive.groupby(GROUP_COLUMNS, sort=True)
        .agg(passive_score=("score", "mean"), passive_std=("score", "std"), runs=("score", "count"))
        .join(passive.groupby(GROUP_COLUMNS)["labels"].max().rename("passive_labels"))
        .reset_index()
    )
    baselines["passive_std"] = baselines["passive_std"].fillna(0.0)
    return baselines


def labels_needed_table(curves: pd.DataFrame, baselines: pd.DataFrame, fractions: Sequence[float]) -> pd.DataFrame:
    """The labels each mean curve needs to reach shares of the passive score.

    Parameters
    ----------
    curves : pandas.DataFrame
        The mean curves, as :func:`mean_curves` returns them.
    baselines : pandas.DataFrame
        The passive baselines, as :func:`passive_baselines` returns them.
    fractions : sequence of float
        The shares of the passive score, each in (0, 1].

    Returns
    -------
    pandas.DataFrame
        One row per (dataset, classifier, curve, fraction) where a passive baseline exists: ``passive_score``,
        ``target`` (fraction times the passive score), ``labels_needed`` (the first number of labels whose mean
        score reaches the target, NaN when none does) and ``max_labels``.
    """
    pd = require_pandas()
    passive = baselines.set_index(GROUP_COLUMNS)["passive_score"]
    rows = []
    for key, curve in curves.groupby(CURVE_COLUMNS, sort=True):
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
                    **dict(zip(CURVE_COLUMNS, key, strict=True)),
                    "metric": curve["metric"].iloc[0],
                    "passive_score": score,
                    "fraction": fraction,
                    "target": target,
                    "labels_needed": float(labels[reached[0]]) if reached.size else np.nan,
                    "max_labels": int(labels[-1]),
                }
            )
    columns = [*CURVE_COLUMNS, "metric", "passive_score", "fraction", "target", "labels_needed", "max_labels"]
    return pd.DataFrame(rows, columns=columns)


def labels_saved_table(labels_needed: pd.DataFrame, auc: pd.DataFrame) -> pd.DataFrame:
    """The labels each curve saves against random sampling of the same library.

    Parameters
    ----------
    labels_needed : pandas.DataFrame
        The labels needed, as :func:`labels_needed_table` returns them.
    auc : pandas.DataFrame
        The AUC table, as :func:`auc_table` returns it.

    Returns
    -------
    pandas.DataFrame
        One row per (dataset, classifier, curve, fraction) for the curves other than random sampling that have a
        random-sampling curve to compare with: ``labels_needed``, ``random_labels_needed``, ``labels_saved`` and
        ``labels_saved_pct`` (NaN unless both reach the target) and ``auc_diff_random``.
    """
    pd = require_pandas()
    columns = [
        *CURVE_COLUMNS,
        "metric",
        "fraction",
        "labels_needed",
        "random_labels_needed",
        "labels_saved",
        "labels_saved_pct",
        "auc_diff_random",
    ]
    is_random = labels_needed["strategy"] == RANDOM_STRATEGY
    random = labels_needed[is_random][[*GROUP_COLUMNS, "library", "fraction", "labels_needed"]]
    random = random.rename(columns={"labels_needed": "random_labels_needed"})
    saved = labels_needed[~is_random].merge(random, on=[*GROUP_COLUMNS, "library", "fraction"], how="inner")
    if saved.empty:
        return pd.DataFrame(columns=columns)
    saved["labels_saved"] = saved["random_labels_needed"] - saved["labels_needed"]
    saved["labels_saved_pct"] = 100.0 * saved["labels_saved"] / saved["random_labels_needed"]
    saved = saved.merge(auc[[*CURVE_COLUMNS, "auc_diff_random"]], on=CURVE_COLUMNS, how="left")
    return saved[columns].sort_values([*GROUP_COLUMNS, "curve", "fraction"], kind="stable").reset_index(drop=True)


def stopping_table(active: pd.DataFrame) -> pd.DataFrame:
    """Where each stopping criterion first says stop, and what stopping there costs.

    Parameters
    ----------
    active : pandas.DataFrame
        The active-learning rows, with ``curve``, ``metric`` and ``score`` columns and nullable-bool
        ``stop:<criterion>`` columns, sorted by run and step.

    Returns
    -------
    pandas.DataFrame
        One row per (dataset, classifier, curve, criterion): ``runs`` (runs with a verdict), ``runs_stopped``,
        ``labels_at_stop`` and ``score_at_stop`` (means over the runs that stopped), ``best_score``,
        ``score_lost`` and ``max_labels``. Empty without ``stop:*`` columns.
    """
    pd = require_pandas()
    columns = [
        *CURVE_COLUMNS,
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
    for name in stop_columns(active):
        per_run = []
        for key, run in active.groupby([*CURVE_COLUMNS, "metric", *RUN_COLUMNS[4:]], sort=True):
            verdicts = run[name]
            if verdicts.isna().all():
                continue  # this criterion was not evaluated in this run
            fired = np.flatnonzero(verdicts.fillna(False).to_numpy(dtype=bool))
            best = float(run["score"].max())
            first = fired[0] if fired.size else None
            per_run.append(
                {
                    **dict(zip([*CURVE_COLUMNS, "metric"], key[:6], strict=True)),
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
        summary = frame.groupby([*CURVE_COLUMNS, "metric"], sort=True).agg(
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
    return stopping.sort_values([*GROUP_COLUMNS, "curve", "criterion"], kind="stable").reset_index(drop=True)


def report_notes(active: pd.DataFrame, curves: pd.DataFrame, baselines: pd.DataFrame, auc: pd.DataFrame) -> list[str]:
    """What the report says about missing baselines, uneven runs and pooled runs.

    Parameters
    ----------
    active : pandas.DataFrame
        The active-learning rows, with a ``curve`` column.
    curves : pandas.DataFrame
        The mean curves, as :func:`mean_curves` returns them.
    baselines : pandas.DataFrame
        The passive baselines, as :func:`passive_baselines` returns them.
    auc : pandas.DataFrame
        The AUC table, as :func:`auc_table` returns it.

    Returns
    -------
    list of str
        One sentence per note, in plain text.
    """
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
    for (dataset, classifier, library), group in auc.groupby([*GROUP_COLUMNS, "library"], sort=True):
        if RANDOM_STRATEGY not in set(group["strategy"]):
            notes.append(
                f"{dataset} / {classifier} ({library}): no random-sampling curve, so no labels-saved rows and no "
                "AUC difference to random."
            )
    for key, curve in curves.groupby(CURVE_COLUMNS, sort=True):
        runs = curve["runs"].to_numpy()
        if runs.min() != runs.max():
            uneven = curve["labels"].to_numpy()[runs < runs.max()]
            notes.append(
                f"{key[0]} / {key[1]} / {key[4]}: its runs have different numbers of steps; the points at "
                f"{_join_numbers(uneven)} labels average only the runs that reached them (as few as "
                f"{runs.min()} of {runs.max()})."
            )
    per_seed = active.groupby([*CURVE_COLUMNS, "seed"])["run_key"].nunique()
    for key in sorted({key[:5] for key in per_seed[per_seed > 1].index}):
        notes.append(
            f"{key[0]} / {key[1]} / {key[4]}: more than one run per seed (several initializations or run keys); "
            "the statistics are over all its runs."
        )
    return notes


def _join_numbers(values: np.ndarray, limit: int = 6) -> str:
    shown = ", ".join(str(int(value)) for value in values[:limit])
    return shown + (", ..." if len(values) > limit else "")
