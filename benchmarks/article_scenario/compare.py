"""Side-by-side benchmark of activetext and small-text 1.4.1 on the small-text article scenario.

Run from the repository root with activetext's interpreter:

    .venv/bin/python benchmarks/article_scenario/compare.py

Steps:
1. creates benchmarks/.venv-small-text if it is missing
   (python -m venv + pip install -r benchmarks/requirements-small-text.txt);
2. prepares the data once (20 Newsgroups rec.sport.baseball vs rec.sport.hockey, headers/footers/quotes
   removed, TF-IDF fitted on train, rows L2-normalized, balanced 10+10 initial sets per seed) into
   benchmarks/.work/article_scenario/;
3. runs both runner scripts, each in its own venv as a subprocess, one (strategy, seed) per call and
   alternating which library goes first, so that machine noise hits both alike;
4. writes benchmarks/results/article_scenario.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from common import (
    BENCHMARKS_DIR,
    DEFAULT_WORK_DIR,
    NUM_INITIAL_PER_CLASS,
    NUM_ITERATIONS,
    NUM_QUERIES,
    SEEDS,
    STRATEGIES,
)
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

REPO_ROOT = BENCHMARKS_DIR.parent
SCRIPT_DIR = Path(__file__).resolve().parent
SMALL_TEXT_VENV = BENCHMARKS_DIR / ".venv-small-text"
SMALL_TEXT_REQUIREMENTS = BENCHMARKS_DIR / "requirements-small-text.txt"
DEFAULT_RESULTS = BENCHMARKS_DIR / "results" / "article_scenario.json"
DEFAULT_DATA_DIR = REPO_ROOT.parent / "shared" / "datasets" / "20newsgroups"

CATEGORIES = ("rec.sport.baseball", "rec.sport.hockey")
REMOVE = ("headers", "footers", "quotes")
REPORT_LABELS = (40, 100, 200, 320)
LIBRARIES = ("small-text", "activetext")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------------

def small_text_python() -> Path:
    return SMALL_TEXT_VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_small_text_venv() -> Path:
    python = small_text_python()
    if not python.exists():
        log(f"creating {SMALL_TEXT_VENV} ...")
        subprocess.run([sys.executable, "-m", "venv", str(SMALL_TEXT_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(SMALL_TEXT_REQUIREMENTS)],
                       check=True)
    return python


# --------------------------------------------------------------------------------------------------
# Data preparation (done once, with activetext's venv)
# --------------------------------------------------------------------------------------------------

def _read_jsonl_corpus(data_dir: Path, subset: str) -> tuple[list[str], np.ndarray]:
    """Fallback loader: sklearn.datasets.fetch_20newsgroups(remove=...) semantics on the shared JSONL."""
    from sklearn.datasets._twenty_newsgroups import (
        strip_newsgroup_footer,
        strip_newsgroup_header,
        strip_newsgroup_quoting,
    )

    names = (data_dir / "labels.txt").read_text().split()
    wanted = {names.index(c): i for i, c in enumerate(sorted(CATEGORIES))}
    texts, labels = [], []
    with open(data_dir / f"{subset}.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["label"] in wanted:
                texts.append(row["text"])
                labels.append(wanted[row["label"]])
    # Same order as sklearn: headers, then footers, then quotes.
    texts = [strip_newsgroup_header(t) for t in texts]
    texts = [strip_newsgroup_footer(t) for t in texts]
    texts = [strip_newsgroup_quoting(t) for t in texts]
    return texts, np.asarray(labels, dtype=np.int64)


def load_corpus(data_dir: Path, subset: str) -> tuple[list[str], np.ndarray, str]:
    """Load one split; prefers activetext.datasets.fetch_20newsgroups, falls back to the raw JSONL."""
    try:
        from activetext.datasets import fetch_20newsgroups
    except ImportError:
        texts, labels = _read_jsonl_corpus(data_dir, subset)
        return texts, labels, "jsonl+sklearn.strip_newsgroup_*"
    try:
        bunch = fetch_20newsgroups(subset=subset, categories=list(CATEGORIES), remove=REMOVE, shuffle=False)
    except (OSError, ValueError) as exc:  # e.g. the shared data is not where the loader looks
        warnings.warn(f"activetext.datasets.fetch_20newsgroups failed ({exc!r}); reading the JSONL directly",
                      stacklevel=2)
        texts, labels = _read_jsonl_corpus(data_dir, subset)
        return texts, labels, "jsonl+sklearn.strip_newsgroup_*"
    labels = np.asarray(bunch.target, dtype=np.int64)
    return list(bunch.data), labels, "activetext.datasets.fetch_20newsgroups"


def balanced_initial_indices(y: np.ndarray, seed: int, per_class: int = NUM_INITIAL_PER_CLASS) -> np.ndarray:
    rng = np.random.default_rng(seed)
    parts = [rng.choice(np.flatnonzero(y == c), size=per_class, replace=False) for c in np.unique(y)]
    return np.concatenate(parts).astype(np.int64)


def prepare_data(data_dir: Path, work_dir: Path, seeds: list[int]) -> dict[str, Any]:
    start = time.perf_counter()
    train_texts, y_train, loader = load_corpus(data_dir, "train")
    test_texts, y_test, _ = load_corpus(data_dir, "test")

    vectorizer = TfidfVectorizer(stop_words="english")
    x_train = normalize(vectorizer.fit_transform(train_texts))
    x_test = normalize(vectorizer.transform(test_texts))

    work_dir.mkdir(parents=True, exist_ok=True)
    sp.save_npz(work_dir / "x_train.npz", x_train.tocsr())
    sp.save_npz(work_dir / "x_test.npz", x_test.tocsr())
    np.save(work_dir / "y_train.npy", y_train)
    np.save(work_dir / "y_test.npy", y_test)
    initial = {str(seed): balanced_initial_indices(y_train, seed).tolist() for seed in seeds}
    (work_dir / "initial_indices.json").write_text(json.dumps(initial))

    info = {
        "loader": loader,
        "categories": list(CATEGORIES),
        "remove": list(REMOVE),
        "num_train": int(x_train.shape[0]),
        "num_test": int(x_test.shape[0]),
        "num_features": int(x_train.shape[1]),
        "train_class_counts": np.bincount(y_train).tolist(),
        "test_class_counts": np.bincount(y_test).tolist(),
    }
    log(f"prepared data in {time.perf_counter() - start:.1f}s: {info}")
    return info


# --------------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------------

def run_one(library: str, python: Path, work_dir: Path, strategy: str, seed: int, iterations: int,
            queries: int, repeats: int) -> dict[str, Any]:
    script = SCRIPT_DIR / ("run_small_text.py" if library == "small-text" else "run_activetext.py")
    output = work_dir / "runs" / f"{library}_{strategy}_{seed}.json"
    cmd = [str(python), str(script), "--work-dir", str(work_dir), "--strategies", strategy,
           "--seeds", str(seed), "--iterations", str(iterations), "--queries", str(queries),
           "--repeats", str(repeats), "--output", str(output)]
    subprocess.run(cmd, check=True, cwd=REPO_ROOT)
    return json.loads(output.read_text())


def run_all(pythons: dict[str, Path], work_dir: Path, strategies: list[str], seeds: list[int],
            iterations: int, queries: int, repeats: int) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {lib: {"runs": []} for lib in pythons}
    job = 0
    for seed in seeds:
        for strategy in strategies:
            order = list(pythons) if job % 2 == 0 else list(reversed(list(pythons)))
            job += 1
            for library in order:
                out = run_one(library, pythons[library], work_dir, strategy, seed, iterations, queries,
                              repeats)
                run = out["runs"][0]
                results[library]["runs"].append(run)
                results[library]["library_version"] = out["library_version"]
                results[library]["versions"] = out["versions"]
                log(f"{library:>10} {strategy:>18} seed={seed}: loop {1000 * run['loop_seconds']:.1f} ms, "
                    f"final acc {run['accuracy'][-1]:.4f}")
    return results


# --------------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------------

def _mean_std(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values, dtype=float)
    return {"mean": float(arr.mean()), "std": float(arr.std(ddof=1)) if arr.size > 1 else 0.0}


def _auc(num_labels: list[int], accuracy: list[float]) -> float:
    x = np.asarray(num_labels, dtype=float)
    return float(np.trapezoid(accuracy, x) / (x[-1] - x[0]))


def summarize(results: dict[str, dict[str, Any]], strategies: list[str]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for library, lib_results in results.items():
        per_strategy = {}
        for strategy in strategies:
            runs = [r for r in lib_results["runs"] if r["strategy"] == strategy]
            runs.sort(key=lambda r: r["seed"])
            if not runs:
                continue
            labels = runs[0]["num_labels"]
            acc = np.asarray([r["accuracy"] for r in runs])
            entry: dict[str, Any] = {
                "seeds": [r["seed"] for r in runs],
                "accuracy_at": {
                    str(n): _mean_std(acc[:, labels.index(n)].tolist()) for n in REPORT_LABELS if n in labels
                },
                "auc": _mean_std([_auc(labels, r["accuracy"]) for r in runs]),
                "loop_seconds": _mean_std([r["loop_seconds"] for r in runs]),
                "timings_mean": {
                    k: float(np.mean([r["timings"][k] for r in runs])) for k in runs[0]["timings"]
                },
                "learning_curve": {"num_labels": labels, "accuracy_mean": acc.mean(axis=0).round(6).tolist()},
            }
            per_strategy[strategy] = entry
        summary[library] = per_strategy

    comparison: dict[str, Any] = {}
    if set(LIBRARIES) <= set(results):
        total = {lib: 0.0 for lib in LIBRARIES}
        for strategy in strategies:
            st = {r["seed"]: r for r in results["small-text"]["runs"] if r["strategy"] == strategy}
            at = {r["seed"]: r for r in results["activetext"]["runs"] if r["strategy"] == strategy}
            seeds = sorted(set(st) & set(at))
            if not seeds:
                continue
            st_time = summary["small-text"][strategy]["loop_seconds"]["mean"]
            at_time = summary["activetext"][strategy]["loop_seconds"]["mean"]
            total["small-text"] += st_time
            total["activetext"] += at_time
            comparison[strategy] = {
                "time_ratio_activetext_over_small_text": at_time / st_time,
                "auc_difference_activetext_minus_small_text": _mean_std(
                    [_auc(at[s]["num_labels"], at[s]["accuracy"])
                     - _auc(st[s]["num_labels"], st[s]["accuracy"]) for s in seeds]),
                "final_accuracy_difference_activetext_minus_small_text": _mean_std(
                    [at[s]["accuracy"][-1] - st[s]["accuracy"][-1] for s in seeds]),
                "query_overlap": _mean_std(
                    [len(set(at[s]["queried_indices"]) & set(st[s]["queried_indices"]))
                     / max(1, len(st[s]["queried_indices"])) for s in seeds]),
            }
        if total["small-text"] > 0:
            comparison["all_strategies"] = {
                "time_ratio_activetext_over_small_text": total["activetext"] / total["small-text"]}
    return {"libraries": summary, "comparison": comparison}


def markdown_table(summary: dict[str, Any], strategies: list[str]) -> str:
    libs = [lib for lib in LIBRARIES if lib in summary["libraries"]]
    any_entry = next(iter(summary["libraries"][libs[0]].values()))
    report = list(any_entry["accuracy_at"])
    header = (["strategy", "library"] + [f"acc@{n}" for n in report]
              + ["AUC", "loop ms/run", "time ratio at/st"])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for strategy in strategies:
        for lib in libs:
            entry = summary["libraries"][lib].get(strategy)
            if entry is None:
                continue
            cells = [strategy, lib]
            cells += [f"{entry['accuracy_at'][n]['mean']:.4f} ± {entry['accuracy_at'][n]['std']:.4f}"
                      for n in report]
            cells.append(f"{entry['auc']['mean']:.4f} ± {entry['auc']['std']:.4f}")
            loop_ms = {k: 1000 * v for k, v in entry["loop_seconds"].items()}
            cells.append(f"{loop_ms['mean']:.1f} ± {loop_ms['std']:.1f}")
            ratio = summary["comparison"].get(strategy, {}).get("time_ratio_activetext_over_small_text")
            cells.append(f"{ratio:.2f}" if (ratio is not None and lib == "activetext") else "")
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| strategy | library | initialize ms | query ms (15 rounds) | update ms (15 rounds) |",
              "|---|---|---|---|---|"]
    for strategy in strategies:
        for lib in libs:
            entry = summary["libraries"][lib].get(strategy)
            if entry is not None:
                phases = entry["timings_mean"]
                lines.append(f"| {strategy} | {lib} | {1000 * phases['initialize']:.1f} | "
                             f"{1000 * phases['query']:.1f} | {1000 * phases['update']:.1f} |")
    overall = summary["comparison"].get("all_strategies")
    if overall:
        lines.append("")
        lines.append(f"Overall wall-time ratio activetext/small-text (sum of per-strategy means): "
                     f"{overall['time_ratio_activetext_over_small_text']:.2f}")
    return "\n".join(lines)


def git_revision() -> str | None:
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=REPO_ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return rev + ("+dirty-src" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="shared 20newsgroups folder (train.jsonl, test.jsonl, labels.txt)")
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--results", type=Path, default=None,
                        help=f"results JSON (default {DEFAULT_RESULTS.relative_to(REPO_ROOT)}; "
                             "with --quick: <work-dir>/quick_results.json)")
    parser.add_argument("--libraries", nargs="+", default=list(LIBRARIES), choices=LIBRARIES)
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES)
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--iterations", type=int, default=NUM_ITERATIONS)
    parser.add_argument("--queries", type=int, default=NUM_QUERIES)
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed repetitions of each (strategy, seed) run; the median is reported")
    parser.add_argument("--quick", action="store_true", help="smoke test: seed 0, 3 iterations")
    args = parser.parse_args()

    if args.quick:
        args.seeds, args.iterations, args.repeats = [0], 3, 1
    results_path = args.results or (args.work_dir / "quick_results.json" if args.quick else DEFAULT_RESULTS)

    pythons: dict[str, Path] = {}
    if "small-text" in args.libraries:
        pythons["small-text"] = ensure_small_text_venv()
    if "activetext" in args.libraries:
        pythons["activetext"] = Path(sys.executable)

    data_info = prepare_data(args.data_dir, args.work_dir, args.seeds)
    start = time.perf_counter()
    results = run_all(pythons, args.work_dir, args.strategies, args.seeds, args.iterations, args.queries,
                      args.repeats)
    total_seconds = time.perf_counter() - start
    summary = summarize(results, args.strategies)

    output = {
        "scenario": {
            "description": "20 Newsgroups rec.sport.baseball vs rec.sport.hockey (headers, footers, "
                           "quotes removed); TfidfVectorizer(stop_words='english') fitted on train, rows "
                           "L2-normalized; ConfidenceEnhancedLinearSVC via SklearnClassifierFactory",
            "initial_labels": 2 * NUM_INITIAL_PER_CLASS,
            "iterations": args.iterations,
            "queries_per_iteration": args.queries,
            "seeds": args.seeds,
            "strategies": args.strategies,
            "std": "sample standard deviation over seeds (ddof=1)",
            "auc": "trapezoid area of test accuracy vs number of labels, divided by the label range",
            "timing": "time.perf_counter summed around initialize_data, query and update; "
                      "evaluation excluded; per (strategy, seed) the median of `repeats` timed loops",
            "repeats": args.repeats,
            "data": data_info,
        },
        "metadata": {
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "activetext_git_revision": git_revision(),
            "libraries": {lib: {"version": res.get("library_version"), **res.get("versions", {})}
                          for lib, res in results.items()},
            "benchmark_wall_seconds": round(total_seconds, 1),
        },
        **summary,
    }
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(output, indent=2) + "\n")
    (args.work_dir / "raw_runs.json").write_text(json.dumps(results))
    log(f"wrote {results_path}")
    print(markdown_table(summary, args.strategies))


if __name__ == "__main__":
    main()
