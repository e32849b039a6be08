"""activetext's ready-made simulation configurations, side by side with the same protocol on small-text 1.4.1.

For each configuration (default: the three in ``configs/``):

1. runs activetext's simulation into ``benchmarks/.work/simulation/<name>/`` (resumes: finished runs are kept);
2. creates ``benchmarks/.venv-small-text`` when it is missing and runs ``run_small_text.py`` there on the same
   prepared features, into ``benchmarks/.work/simulation/<name>/small-text.csv`` (resumes as well);
3. builds the joint report in ``benchmarks/results/simulation/<name>/`` (learning curves, AUC, labels needed and
   saved), copies both tidy tables (gzipped above 1 MB) and both metadata files next to it, and writes
   ``summary.json``: per data set, classifier, strategy and library the mean normalized AUC, its rank and the
   labels saved against random sampling at 90/95/99 % of the passive score.

Run from the repository root with activetext's interpreter:

    .venv/bin/python benchmarks/simulation/compare.py --configs configs/literature-tfidf.toml
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT / "benchmarks"
DEFAULT_CONFIGS = (
    ROOT / "configs" / "literature-tfidf.toml",
    ROOT / "configs" / "literature-tfidf-multi-label.toml",
    ROOT / "configs" / "literature-frozen-encoder.toml",
)
WORK = BENCHMARKS / ".work" / "simulation"
RESULTS = BENCHMARKS / "results" / "simulation"
VENV = BENCHMARKS / ".venv-small-text"
REQUIREMENTS = BENCHMARKS / "requirements-small-text.txt"
RUNNER = Path(__file__).resolve().parent / "run_small_text.py"
GZIP_ABOVE = 1024 * 1024


class _Progress:
    """Prints one line per finished activetext run (the harness's progress protocol)."""

    def __init__(self) -> None:
        self.total = 0
        self.count = 0
        self.t0 = time.perf_counter()

    def preparing(self, description: str) -> None:
        print(f"  {description}", flush=True)

    def started(self, runs: Any, skipped: int) -> None:
        self.total = len(runs)
        print(f"  activetext: {len(runs)} runs to do, {skipped} done before", flush=True)

    def step(self, key: str, step: int) -> None:
        pass

    def finished(self, result: Any) -> None:
        self.count += 1
        status = "ok" if result.status == "ok" else "FAILED"
        print(
            f"  [{self.count}/{self.total} {time.perf_counter() - self.t0:7.0f}s] {result.spec.describe()}: "
            f"{status} ({result.seconds:.1f}s)",
            flush=True,
        )


def ensure_venv() -> Path:
    """small-text's interpreter; the venv is created from the pinned requirements when missing."""
    python = VENV / "bin" / "python"
    if python.exists():
        return python
    print(f"creating {VENV} (small-text 1.4.1 from PyPI)", flush=True)
    subprocess.run(["python3", "-m", "venv", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)], check=True)
    return python


def run_activetext(config_path: Path, folder: Path, workers: int) -> None:
    from activetext.simulation import load_config, simulate

    summary = simulate(load_config(config_path), folder, workers=workers, progress=_Progress())
    print(
        f"  activetext: {len(summary.runs)} runs, {summary.skipped} done before, {len(summary.failed)} failed",
        flush=True,
    )


def run_small_text(
    config_path: Path, folder: Path, workers: int, output_name: str = "small-text.csv", extra: tuple[str, ...] = ()
) -> Path:
    python = ensure_venv()
    output = folder / output_name
    command = [
        str(python),
        str(RUNNER),
        "--config",
        str(config_path),
        "--cache",
        str(folder / "cache"),
        "--output",
        str(output),
        "--workers",
        str(workers),
        *extra,
    ]
    completed = subprocess.run(command, cwd=ROOT, check=False)
    if completed.returncode != 0:
        print(f"  small-text runner exited with {completed.returncode} (failed runs are listed above)", flush=True)
    if not output.exists():
        raise SystemExit(f"{output} was not written")
    return output


def _copy_table(source: Path, target_folder: Path, name: str) -> Path:
    """Copy a CSV, gzipped when it is larger than 1 MB; remove a stale copy in the other form."""
    plain, packed = target_folder / name, target_folder / f"{name}.gz"
    if source.stat().st_size > GZIP_ABOVE:
        with source.open("rb") as reader, gzip.open(packed, "wb", compresslevel=9) as writer:
            shutil.copyfileobj(reader, writer)
        plain.unlink(missing_ok=True)
        return packed
    shutil.copyfile(source, plain)
    packed.unlink(missing_ok=True)
    return plain


def _number(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else round(value, 6)


def summarize(report: Any) -> dict[str, Any]:
    """The summary.json content: per (dataset, classifier, strategy, library) AUC, rank and labels saved."""
    auc = report.auc.copy()
    auc["rank_in_library"] = (
        auc.assign(key=auc["auc_mean"].round(12))
        .groupby(["dataset", "classifier", "library"])["key"]
        .rank(ascending=False, method="min")
        .astype(int)
    )
    saved = report.labels_saved
    needed = report.labels_needed
    entries = []
    for row in auc.itertuples(index=False):
        key = (row.dataset, row.classifier, row.curve)
        entry: dict[str, Any] = {
            "dataset": row.dataset,
            "classifier": row.classifier,
            "strategy": row.strategy,
            "library": row.library,
            "metric": row.metric,
            "runs": int(row.runs),
            "auc_mean": _number(row.auc_mean),
            "auc_std": _number(row.auc_std),
            "rank": int(row.rank),
            "rank_in_library": int(row.rank_in_library),
            "auc_diff_random": _number(row.auc_diff_random),
            "labels_needed": {},
            "labels_saved_vs_random": {},
        }
        mine = needed[(needed["dataset"] == key[0]) & (needed["classifier"] == key[1]) & (needed["curve"] == key[2])]
        for item in mine.itertuples(index=False):
            entry["labels_needed"][f"{item.fraction:.2f}"] = _number(item.labels_needed)
        mine = saved[(saved["dataset"] == key[0]) & (saved["classifier"] == key[1]) & (saved["curve"] == key[2])]
        for item in mine.itertuples(index=False):
            entry["labels_saved_vs_random"][f"{item.fraction:.2f}"] = {
                "labels_needed": _number(item.labels_needed),
                "random_labels_needed": _number(item.random_labels_needed),
                "labels_saved": _number(item.labels_saved),
                "labels_saved_pct": _number(item.labels_saved_pct),
            }
        entries.append(entry)

    # over the data sets: mean AUC and mean rank per (classifier, strategy, library), and the paired AUC
    # difference activetext - small-text where both libraries ran the strategy on the same data set
    overall = (
        auc.groupby(["classifier", "strategy", "library"])
        .agg(
            datasets=("dataset", "nunique"),
            auc_mean=("auc_mean", "mean"),
            rank_mean=("rank", "mean"),
            rank_in_library_mean=("rank_in_library", "mean"),
            auc_diff_random_mean=("auc_diff_random", "mean"),
        )
        .reset_index()
    )
    paired = auc.pivot_table(index=["dataset", "classifier", "strategy"], columns="library", values="auc_mean")
    differences = []
    others = [library for library in paired.columns if library != "activetext"]
    for other in others if "activetext" in paired.columns else []:
        both = paired.dropna(subset=["activetext", other])
        diff = (both["activetext"] - both[other]).rename("diff").reset_index()
        for (classifier, strategy), group in diff.groupby(["classifier", "strategy"]):
            differences.append(
                {
                    "library": other,
                    "classifier": classifier,
                    "strategy": strategy,
                    "datasets": len(group),
                    "auc_diff_mean": _number(group["diff"].mean()),
                    "auc_diff_min": _number(group["diff"].min()),
                    "auc_diff_max": _number(group["diff"].max()),
                    "per_dataset": {d: _number(v) for d, v in zip(group["dataset"], group["diff"], strict=True)},
                }
            )
    return {
        "metrics": dict(report.metrics),
        "fractions": sorted({f"{f:.2f}" for f in report.labels_needed["fraction"]}) if len(needed) else [],
        "notes": list(report.notes),
        "curves": entries,
        "overall": [
            {k: (_number(v) if isinstance(v, float) else (int(v) if k == "datasets" else v)) for k, v in row.items()}
            for row in overall.to_dict(orient="records")
        ],
        "auc_activetext_minus_other": differences,
    }


SMALL_TEXT_TABLES = ("small-text.csv", "small-text-aligned.csv")
"""The small-text tables of a results folder that go into the report when present (see ``--aligned-datasets``)."""


def report(name: str, folder: Path, out: Path) -> dict[str, Any]:
    from activetext.simulation.report import build_report

    tables = [folder / table for table in SMALL_TEXT_TABLES if (folder / table).exists()]
    out.mkdir(parents=True, exist_ok=True)
    built = build_report([folder, *tables], out)
    copied = [_copy_table(folder / "results.csv", out, "activetext-results.csv")]
    for table in tables:
        stem = table.name.removesuffix(".csv")
        copied.append(_copy_table(table, out, f"{stem}-results.csv"))
        for suffix in (".metadata.json", ".failures.json"):
            extra = table.with_name(table.name + suffix)
            if extra.exists():
                shutil.copyfile(extra, out / f"{stem}{suffix}")
    for source, target in (
        (folder / "metadata.json", "activetext-metadata.json"),
        (folder / "failures.json", "activetext-failures.json"),
    ):
        if source.exists():
            shutil.copyfile(source, out / target)
    summary = {"config": name, **summarize(built)}
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"  report: {built.markdown}, {built.html}; tables {', '.join(p.name for p in copied)}", flush=True)
    return summary


def print_headline(summary: dict[str, Any]) -> None:
    print(f"\n{summary['config']}: mean normalized AUC over the data sets (mean rank within the library)")
    rows = sorted(summary["overall"], key=lambda r: (r["classifier"], r["strategy"], r["library"]))
    for row in rows:
        print(
            f"  {row['classifier']:<16} {row['strategy']:<30} {row['library']:<18} "
            f"AUC {row['auc_mean']:.4f}  rank {row['rank_in_library_mean']:.2f}  "
            f"vs random {row['auc_diff_random_mean'] if row['auc_diff_random_mean'] is not None else float('nan'):+.4f}"
            f"  ({row['datasets']} data sets)"
        )
    for row in summary["auc_activetext_minus_other"]:
        print(
            f"  activetext - {row['library']}, {row['strategy']}: {row['auc_diff_mean']:+.4f} "
            f"(min {row['auc_diff_min']:+.4f}, max {row['auc_diff_max']:+.4f}, {row['datasets']} data sets)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", type=Path, default=list(DEFAULT_CONFIGS), help="TOML configurations")
    parser.add_argument("--skip-activetext", action="store_true", help="use the activetext results as they are")
    parser.add_argument("--skip-small-text", action="store_true", help="use the small-text CSV as it is")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for each library (default 2)")
    parser.add_argument(
        "--aligned-datasets",
        nargs="+",
        default=None,
        metavar="NAME",
        help="also run small-text with --align-classes on these data sets (small-text-aligned.csv; see "
        "run_small_text.py), reported as library 'small-text-aligned'",
    )
    parser.add_argument("--work-dir", type=Path, default=WORK, help=f"results folders (default {WORK})")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help=f"reports (default {RESULTS})")
    args = parser.parse_args(argv)

    from activetext.simulation import load_config

    for config_path in args.configs:
        config_path = config_path.resolve()
        name = load_config(config_path).name
        folder = args.work_dir / name
        print(f"== {name} ({config_path})", flush=True)
        started = time.perf_counter()
        if not args.skip_activetext:
            run_activetext(config_path, folder, args.workers)
        if not (folder / "results.csv").exists():
            raise SystemExit(f"{folder} holds no activetext results; run without --skip-activetext first")
        if not args.skip_small_text:
            run_small_text(config_path, folder, args.workers)
            if args.aligned_datasets:
                extra = ("--align-classes", "--datasets", *args.aligned_datasets)
                run_small_text(config_path, folder, args.workers, "small-text-aligned.csv", extra)
        summary = report(name, folder, args.results_dir / name)
        print_headline(summary)
        print(f"== {name}: {time.perf_counter() - started:.0f}s\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
