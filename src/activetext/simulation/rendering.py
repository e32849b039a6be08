"""The figures and pages of a simulation report: learning-curve plots, Markdown and self-contained HTML.

:func:`plot_curves` draws one figure per data set and classifier with matplotlib (a PNG and an SVG, no pyplot
state). :func:`report_blocks` lays the report's tables out as a list of blocks (headings, paragraphs, lists,
tables, images, all plain text), which :func:`render_markdown` and :func:`render_html` render: the HTML page
inlines its images as base64 PNG and its CSS, so it needs no external resource. The tables come from
:mod:`activetext.simulation.analysis`.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from activetext.exceptions import MissingDependencyError
from activetext.simulation.analysis import CURVE_COLUMNS, GROUP_COLUMNS, RANDOM_STRATEGY, RUN_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Block", "plot_curves", "render_html", "render_markdown", "report_blocks", "require_matplotlib"]


def require_matplotlib() -> None:
    """Check that matplotlib, which draws the report's figures, is installed.

    Raises
    ------
    MissingDependencyError
        If matplotlib is not installed.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError as error:
        raise MissingDependencyError(
            'the simulation report needs matplotlib: pip install "activetext[plot]"'
        ) from error


# --- figures ------------------------------------------------------------------------------------------------


def plot_curves(
    curves: pd.DataFrame, baselines: pd.DataFrame, folder: Path
) -> dict[tuple[str, str], tuple[Path, Path]]:
    """Draw one figure of the mean learning curves per (dataset, classifier).

    Parameters
    ----------
    curves : pandas.DataFrame
        The mean curves, as :func:`activetext.simulation.analysis.mean_curves` returns them.
    baselines : pandas.DataFrame
        The passive baselines, as :func:`activetext.simulation.analysis.passive_baselines` returns them; drawn as
        a dashed line where one exists.
    folder : pathlib.Path
        The folder to write the figures into; created when missing.

    Returns
    -------
    dict of (str, str) to (pathlib.Path, pathlib.Path)
        The PNG and SVG paths by (dataset, classifier), in sorted order; the file names are
        ``<dataset>__<classifier>`` made file-name safe and unique.
    """
    folder.mkdir(parents=True, exist_ok=True)
    strategies = sorted(curves["strategy"].unique())
    colors = {strategy: f"C{index % 10}" for index, strategy in enumerate(strategies)}
    libraries = sorted(curves["library"].unique(), key=lambda library: (library != "activetext", library))
    # solid for activetext, dotted and dash-dotted for other libraries; dashed is the passive baseline's
    styles = {library: ("-", ":", "-.")[index % 3] for index, library in enumerate(libraries)}
    passive = baselines.set_index(GROUP_COLUMNS)
    figures: dict[tuple[str, str], tuple[Path, Path]] = {}
    used: set[str] = set()
    for (dataset, classifier), group in curves.groupby(GROUP_COLUMNS, sort=True):
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

    figure = Figure(figsize=(8.8, 4.4), dpi=120)
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
    # beside the axes: with a dozen curves or more a legend inside would hide them
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", frameon=False)
    figure.tight_layout()
    figure.savefig(paths[0], bbox_inches="tight")
    figure.savefig(paths[1], bbox_inches="tight", metadata={"Date": None})


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

#: A report is a list of blocks, rendered twice: ("h", level, text), ("p", text), ("ul", items),
#: ("table", headers, rows), ("img", png path, alt text). Every text is plain; the renderers escape it.
Block = tuple


def report_blocks(
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
) -> list[Block]:
    """Lay the report out as blocks: the overview, notes, figures and tables.

    Parameters
    ----------
    table : pandas.DataFrame
        The prepared results table (active and passive rows).
    active : pandas.DataFrame
        Its active-learning rows, with a ``curve`` column.
    metrics : mapping of str to str
        The metric column by data set.
    figures : mapping of (str, str) to (pathlib.Path, pathlib.Path)
        The PNG and SVG paths by (dataset, classifier), as :func:`plot_curves` returns them.
    auc, labels_needed, labels_saved, stopping : pandas.DataFrame
        The tables of :mod:`activetext.simulation.analysis`; the stopping section is left out when ``stopping``
        is empty.
    notes : sequence of str
        The notes, shown as a list when there are any.
    fractions : sequence of float
        The shares of the passive score, one column each in the labels-needed and labels-saved tables.

    Returns
    -------
    list of Block
        The blocks, in the order of the report.
    """
    runs = active.groupby(RUN_COLUMNS).ngroups
    passive_rows = int((table["kind"] == "passive").sum())
    blocks: list[Block] = [
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
        for key, group in labels_needed.groupby(CURVE_COLUMNS, sort=True):
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
        for key, group in labels_saved.groupby(CURVE_COLUMNS, sort=True):
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


def render_markdown(blocks: Sequence[Block], folder: Path) -> str:
    """Render blocks as Markdown.

    Parameters
    ----------
    blocks : sequence of Block
        The report, as :func:`report_blocks` returns it.
    folder : pathlib.Path
        The folder the Markdown file is written into; images are linked relative to it.

    Returns
    -------
    str
        The Markdown text; ``&``, ``<`` and ``|`` in the data are escaped and line breaks in cells replaced.
    """

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


def render_html(blocks: Sequence[Block]) -> str:
    """Render blocks as one self-contained HTML page.

    Parameters
    ----------
    blocks : sequence of Block
        The report, as :func:`report_blocks` returns it.

    Returns
    -------
    str
        The page: every text HTML-escaped, the CSS inline and each image read and inlined as a base64 PNG.
    """

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
