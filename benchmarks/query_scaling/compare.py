# ruff: noqa: RUF001 - the Markdown tables use the multiplication sign and the en dash
"""Query scaling: one query of each strategy, activetext vs small-text 1.4.1, on pools of 10k, 100k and 1M.

Run from the repository root with activetext's interpreter:

    .venv/bin/python benchmarks/query_scaling/compare.py

Steps:
1. creates benchmarks/.venv-small-text if it is missing (as benchmarks/article_scenario/compare.py does) and
   installs hnswlib into it when it lacks it (small-text's SEALS and AnchorSubsampling need it; pinned in
   benchmarks/query_scaling/requirements-small-text-extras.txt);
2. writes the fixed inputs once to benchmarks/.work/query_scaling/ (probabilities, embeddings, labeled set;
   see common.py);
3. for every pool size (smallest first): measures the numpy floor, then every strategy of every library, each
   in a fresh subprocess of its own venv, alternating which library goes first. A run is killed when it
   exceeds --timeout seconds or its resident set exceeds --memory-limit-gib; that is recorded with the size,
   and by default the same (library, strategy) is not tried at larger sizes;
4. writes benchmarks/results/query_scaling.json and prints Markdown tables, with the targets met or missed;
5. with --profile-misses, runs cProfile on the missed targets and stores the top functions in the JSON.

One measurement at a time: never two 1M jobs at once (the machine has 24 GiB).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import pstats
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import DEFAULT_WORK_DIR, INPUT_DESCRIPTION, NUM_LABELED, NUM_QUERIES, SIZES, prepare_inputs

SCRIPT_DIR = Path(__file__).resolve().parent
BENCHMARKS_DIR = SCRIPT_DIR.parent
REPO_ROOT = BENCHMARKS_DIR.parent
SMALL_TEXT_VENV = BENCHMARKS_DIR / ".venv-small-text"
SMALL_TEXT_REQUIREMENTS = BENCHMARKS_DIR / "requirements-small-text.txt"
SMALL_TEXT_EXTRAS = SCRIPT_DIR / "requirements-small-text-extras.txt"
DEFAULT_RESULTS = BENCHMARKS_DIR / "results" / "query_scaling.json"
LIBRARIES = ("activetext", "small-text")
RUNNERS = {"activetext": "run_activetext.py", "small-text": "run_small_text.py"}
GIB = 1024**3
MIB = 1024**2

# strategies that exist in both libraries (same key in both runners' registries), in table order
MATCHED = (
    "random", "least_confidence", "prediction_entropy", "breaking_ties", "greedy_coreset", "lightweight_coreset",
    "embedding_kmeans", "contrastive_al", "discriminative_al", "cvirs", "seals", "anchor_al",
)
# activetext variants compared with the small-text strategy of the same family
VARIANT_OF = {"seals_hnsw": "seals", "anchor_al_hnsw": "anchor_al"}
EXTRA_VARIANTS = ("prob_cover_hnsw",)  # activetext-only variants (non-default index)
UNCERTAINTY = ("least_confidence", "prediction_entropy", "breaking_ties")
MEMORY_BUDGET_GIB = 24.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------------------

def small_text_python() -> Path:
    return SMALL_TEXT_VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_small_text_venv() -> Path:
    python = small_text_python()
    if not python.exists():
        log(f"creating {SMALL_TEXT_VENV} ...")
        subprocess.run([sys.executable, "-m", "venv", str(SMALL_TEXT_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(SMALL_TEXT_REQUIREMENTS)],
                       check=True)
    if subprocess.run([str(python), "-c", "import hnswlib"], capture_output=True).returncode != 0:
        log(f"installing {SMALL_TEXT_EXTRAS.name} into {SMALL_TEXT_VENV} ...")
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(SMALL_TEXT_EXTRAS)], check=True)
    return python


def list_strategies(python: Path, library: str) -> dict[str, Any]:
    out = subprocess.run([str(python), str(SCRIPT_DIR / RUNNERS[library]), "--list"], capture_output=True,
                         text=True, check=True, cwd=SCRIPT_DIR)
    return json.loads(out.stdout)


# --------------------------------------------------------------------------------------------------------
# Running one measurement under a time and memory limit
# --------------------------------------------------------------------------------------------------------

def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
CHILD_ENV = dict(os.environ)


def set_blas_threads(threads: int | None) -> None:
    """Limit BLAS / OpenMP threads of every runner (None: leave the environment as it is)."""
    if threads:
        CHILD_ENV.update({name: str(threads) for name in THREAD_VARIABLES})


def run_limited(cmd: list[str], timeout: float, memory_limit: int) -> dict[str, Any]:
    """Run ``cmd`` in its own process group; kill it past ``timeout`` seconds or ``memory_limit`` bytes of RSS."""
    start = time.perf_counter()
    process = subprocess.Popen(cmd, cwd=SCRIPT_DIR, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True, env=CHILD_ENV)
    max_seen, killed = 0, None
    while process.poll() is None:
        max_seen = max(max_seen, _rss_bytes(process.pid))
        elapsed = time.perf_counter() - start
        if elapsed > timeout:
            killed = "timeout"
        elif max_seen > memory_limit:
            killed = "memory"
        if killed:
            os.killpg(process.pid, signal.SIGKILL)
            break
        time.sleep(0.05 if elapsed < 5 else 0.25)
    stdout, stderr = process.communicate()
    return {"returncode": process.returncode, "killed": killed, "stdout": stdout, "stderr": stderr,
            "wall_seconds": time.perf_counter() - start, "max_rss_seen_bytes": max_seen}


def measure(library: str, python: Path, strategy: str, size: int, work_dir: Path, timeout: float,
            memory_limit: int, profile: Path | None = None) -> dict[str, Any]:
    output = work_dir / "runs" / f"{library}_{strategy}_{size}.json"
    output.unlink(missing_ok=True)
    cmd = [str(python), str(SCRIPT_DIR / RUNNERS[library]), "--work-dir", str(work_dir), "--strategy", strategy,
           "--size", str(size), "--n", str(NUM_QUERIES), "--output", str(output)]
    if profile is not None:
        cmd += ["--profile", str(profile)]
    load_before = os.getloadavg()[0]
    done = run_limited(cmd, timeout, memory_limit)
    entry: dict[str, Any] = {"library": library, "strategy": strategy, "size": size,
                             "load_average_1min_before": round(load_before, 2),
                             "max_rss_seen_bytes": done["max_rss_seen_bytes"],
                             "process_wall_seconds": round(done["wall_seconds"], 2)}
    tail = "\n".join(done["stderr"].strip().splitlines()[-6:])
    if done["killed"] == "timeout":
        entry.update(status="timeout", detail=f"killed after {timeout:.0f} s")
    elif done["killed"] == "memory":
        seen, limit = done["max_rss_seen_bytes"] / GIB, memory_limit / GIB
        entry.update(status="out of memory", detail=f"killed at {seen:.1f} GiB RSS (limit {limit:.0f} GiB)")
    elif done["returncode"] == 0 and output.exists():
        entry.update(status="ok", **json.loads(output.read_text()))
        entry["selected"] = entry["selected"][:NUM_QUERIES]
    elif "MemoryError" in done["stderr"] or "ArrayMemoryError" in done["stderr"]:
        entry.update(status="out of memory", detail=tail)
    elif done["returncode"] == -signal.SIGKILL:
        entry.update(status="out of memory", detail="killed by SIGKILL (the kernel's OOM killer)")
    else:
        entry.update(status="error", detail=tail or f"exit code {done['returncode']}")
    return entry


def projected_seconds(runs: list[dict[str, Any]], library: str, strategy: str, size: int) -> float | None:
    """A lower bound of the run's time: the largest smaller size's time scaled linearly (every strategy reads
    every candidate at least once, so none scales better than linearly in the pool)."""
    done = [r for r in runs if r["library"] == library and r["strategy"] == strategy and r["status"] == "ok"
            and r["size"] < size]
    if not done:
        return None
    previous = max(done, key=lambda r: r["size"])
    return previous["seconds"] * size / previous["size"]


def measure_floor(python: Path, size: int, work_dir: Path) -> dict[str, Any]:
    output = work_dir / "runs" / f"floor_{size}.json"
    cmd = [str(python), str(SCRIPT_DIR / "run_floor.py"), "--work-dir", str(work_dir), "--size", str(size),
           "--output", str(output)]
    subprocess.run(cmd, check=True, cwd=SCRIPT_DIR, env=CHILD_ENV)
    return json.loads(output.read_text())


# --------------------------------------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------------------------------------

def floor_seconds(floor: dict[str, Any], kind: str) -> float:
    ops = floor["operations"]
    if kind == "proba":
        return min(ops["proba_row_max"]["seconds"], ops["proba_row_max_columnwise"]["seconds"])
    return ops["embeddings_matvec"]["seconds"]


def fmt_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_run(run: dict[str, Any] | None) -> tuple[str, str]:
    if run is None:
        return "—", "—"
    if run["status"] != "ok":
        label = {"timeout": "timeout", "out of memory": "OOM", "error": "error", "skipped": "not run"}[run["status"]]
        return label, label
    return fmt_seconds(run["seconds"]), f"{run['peak_extra_bytes'] / MIB:.0f}"


def index_runs(runs: list[dict[str, Any]]) -> dict[tuple[str, str, int], dict[str, Any]]:
    return {(r["library"], r["strategy"], r["size"]): r for r in runs}


def evaluate_targets(runs: list[dict[str, Any]], floors: dict[int, dict[str, Any]], sizes: list[int],
                     strategies_at: list[str]) -> dict[str, Any]:
    by_key = index_runs(runs)
    targets: dict[str, Any] = {}

    # 1. uncertainty strategies within 2x the floor (row maxima of the probability matrix) at every size
    rows = []
    for strategy in UNCERTAINTY:
        for size in sizes:
            run = by_key.get(("activetext", strategy, size))
            if run is None or size not in floors:
                continue
            floor = floor_seconds(floors[size], "proba")
            np_max = floors[size]["operations"]["proba_row_max"]["seconds"]
            ok = run["status"] == "ok"
            ratio = run["seconds"] / floor if ok else None
            rows.append({"strategy": strategy, "size": size, "ratio_to_floor": ratio,
                         "ratio_to_np_max_axis1": run["seconds"] / np_max if ok else None,
                         "seconds": run.get("seconds"), "floor_seconds": floor, "np_max_axis1_seconds": np_max,
                         "met": ratio is not None and ratio <= 2.0,
                         "met_against_np_max_axis1": ok and run["seconds"] / np_max <= 2.0})
    targets["uncertainty_within_2x_floor"] = {"rows": rows, "met": bool(rows) and all(r["met"] for r in rows)}

    # 2. greedy coreset >= 10x faster than small-text at 100k, memory linear in the pool
    at = by_key.get(("activetext", "greedy_coreset", 100_000))
    st = by_key.get(("small-text", "greedy_coreset", 100_000))
    speedup = None
    if at and st and at["status"] == "ok" and st["status"] == "ok":
        speedup = st["seconds"] / at["seconds"]
    memory = []
    for size in sizes:
        run = by_key.get(("activetext", "greedy_coreset", size))
        if run and run["status"] == "ok":
            memory.append({"size": size, "peak_extra_bytes": run["peak_extra_bytes"],
                           "bytes_per_pool_row": run["peak_extra_bytes"] / size})
    growth = [b["peak_extra_bytes"] / max(a["peak_extra_bytes"], 1) / (b["size"] / a["size"])
              for a, b in itertools.pairwise(memory)]
    linear = bool(memory) and len(memory) == len(sizes) and all(g <= 1.5 for g in growth)
    targets["greedy_coreset_10x_at_100k_linear_memory"] = {
        "speedup_at_100k": speedup, "speedup_met": speedup is not None and speedup >= 10,
        "memory": memory, "growth_over_linear": growth, "memory_linear": linear,
        "met": speedup is not None and speedup >= 10 and linear,
    }

    # 3. every activetext strategy runs on 1M within 24 GiB
    rows = []
    for strategy in strategies_at:
        if strategy in VARIANT_OF or strategy in EXTRA_VARIANTS:
            continue  # configurations of a strategy measured above with its defaults
        run = by_key.get(("activetext", strategy, 1_000_000))
        if run is None:
            continue
        total = (run.get("baseline_rss_bytes", 0) + run.get("peak_extra_bytes", 0)) if run["status"] == "ok" else None
        rows.append({"strategy": strategy, "status": run["status"], "seconds": run.get("seconds"),
                     "peak_total_bytes": total, "peak_extra_bytes": run.get("peak_extra_bytes"),
                     "met": run["status"] == "ok" and total is not None and total < MEMORY_BUDGET_GIB * GIB})
    targets["every_activetext_strategy_on_1m_within_24gib"] = {
        "rows": rows, "met": bool(rows) and all(r["met"] for r in rows)}
    return targets


def markdown(result: dict[str, Any]) -> str:
    runs, floors = result["runs"], {int(k): v for k, v in result["floor"].items()}
    sizes = result["protocol"]["sizes"]
    by_key = index_runs(runs)
    strategies_at = result["strategies"]["activetext"]
    strategies_st = result["strategies"]["small-text"]
    out = []

    def size_label(size: int) -> str:
        return f"{size // 1000}k" if size < 1_000_000 else f"{size // 1_000_000}M"

    out.append("Floor (numpy alone, median of 7; the proba floor is the faster of the two row-maxima passes):\n")
    out.append("| operation | " + " | ".join(size_label(s) for s in sizes) + " |")
    out.append("|---|" + "---|" * len(sizes))
    names = {"proba_row_max": "`np.max(proba, axis=1)`",
             "proba_row_max_columnwise": "`np.maximum` over the 4 columns",
             "proba_gather_row_max": "`proba[unlabeled].max(axis=1)`",
             "embeddings_matvec": "`embeddings @ v` (384-d float32)"}
    for op, label in names.items():
        cells = [fmt_seconds(floors[s]["operations"][op]["seconds"]) if s in floors and op in
                 floors[s]["operations"] else "—" for s in sizes]
        out.append(f"| {label} | " + " | ".join(cells) + " |")

    out.append("\nSide by side (one `query(n=20)`; time = median of up to 5 runs when under 1 s, else one run; "
               "memory = peak RSS increase over the loaded inputs, MiB):\n")
    header = ["strategy", "size", "activetext time", "small-text time", "speed-up st/at", "activetext MiB",
              "small-text MiB"]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "---|" * len(header))
    pairs = [(s, s) for s in MATCHED] + [(v, base) for v, base in VARIANT_OF.items()]
    for at_name, st_name in pairs:
        if at_name not in strategies_at and st_name not in strategies_st:
            continue
        for size in sizes:
            at = by_key.get(("activetext", at_name, size))
            st = by_key.get(("small-text", st_name, size))
            if at is None and st is None:
                continue
            at_time, at_mem = fmt_run(at) if at_name in strategies_at else ("n/a", "n/a")
            st_time, st_mem = fmt_run(st) if st_name in strategies_st else ("n/a", "n/a")
            speedup = ""
            if at and st and at["status"] == "ok" and st["status"] == "ok":
                speedup = f"{st['seconds'] / at['seconds']:.1f}×"
            elif at and at["status"] == "ok" and st and st["status"] in ("timeout", "skipped"):
                bound = st.get("projected_seconds", result["protocol"]["timeout_seconds"])
                speedup = f"> {bound / at['seconds']:.0f}×"
            label = at_name if at_name == st_name else f"{at_name} (vs {st_name})"
            out.append(f"| {label} | {size_label(size)} | {at_time} | {st_time} | {speedup} | {at_mem} | {st_mem} |")

    only = [s for s in strategies_at if s not in MATCHED and s not in VARIANT_OF]
    if only:
        out.append("\nactivetext strategies without a small-text counterpart (time / peak extra MiB):\n")
        out.append("| strategy | " + " | ".join(size_label(s) for s in sizes) + " |")
        out.append("|---|" + "---|" * len(sizes))
        for strategy in only:
            cells = []
            for size in sizes:
                time_cell, mem_cell = fmt_run(by_key.get(("activetext", strategy, size)))
                cells.append(time_cell if time_cell == mem_cell else f"{time_cell} / {mem_cell}")
            out.append(f"| {strategy} | " + " | ".join(cells) + " |")

    targets = result["targets"]
    out.append("\nTargets:\n")
    out.append("| target | measured | met |")
    out.append("|---|---|---|")
    t1 = targets["uncertainty_within_2x_floor"]
    worst = {}
    for row in t1["rows"]:
        worst.setdefault(row["size"], []).append(row)
    for key, label, met_key in (("ratio_to_floor", "the floor (fastest row-maxima pass)", "met"),
                                ("ratio_to_np_max_axis1", "`np.max(proba, axis=1)`", "met_against_np_max_axis1")):
        cells = []
        for size, rows in sorted(worst.items()):
            ratios = [r[key] for r in rows if r[key] is not None]
            if ratios:
                cells.append(f"{size_label(size)}: {min(ratios):.1f}–{max(ratios):.1f}×")
        met = bool(t1["rows"]) and all(r[met_key] for r in t1["rows"])
        out.append(f"| uncertainty strategies ≤ 2× {label} at every size | {'; '.join(cells)} | "
                   f"{'yes' if met else 'no'} |")
    t2 = targets["greedy_coreset_10x_at_100k_linear_memory"]
    speed = f"{t2['speedup_at_100k']:.1f}× at 100k" if t2["speedup_at_100k"] else "not measured"
    mem = ", ".join(f"{size_label(m['size'])}: {m['bytes_per_pool_row']:.0f} B/row" for m in t2["memory"])
    out.append(f"| greedy coreset ≥ 10× faster than small-text at 100k | {speed} | "
               f"{'yes' if t2['speedup_met'] else 'no'} |")
    out.append(f"| greedy coreset memory linear in the pool | {mem} | {'yes' if t2['memory_linear'] else 'no'} |")
    t3 = targets["every_activetext_strategy_on_1m_within_24gib"]
    failed = [f"{r['strategy']} ({r['status']})" for r in t3["rows"] if not r["met"]]
    biggest = max((r for r in t3["rows"] if r["peak_total_bytes"]), key=lambda r: r["peak_total_bytes"], default=None)
    measured = f"{sum(r['met'] for r in t3['rows'])}/{len(t3['rows'])} ran"
    if biggest:
        measured += f"; largest peak RSS {biggest['peak_total_bytes'] / GIB:.1f} GiB ({biggest['strategy']})"
    if failed:
        measured += "; missed: " + ", ".join(failed)
    out.append(f"| every activetext strategy runs on 1M within 24 GiB | {measured} | {'yes' if t3['met'] else 'no'} |")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------------------
# Profiling
# --------------------------------------------------------------------------------------------------------

def top_functions(path: Path, count: int = 12) -> list[dict[str, Any]]:
    stats = pstats.Stats(str(path))
    total = stats.total_tt
    rows = []
    for (filename, line, name), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():
        short = filename.replace(str(REPO_ROOT) + "/", "")
        if "site-packages/" in short:
            short = short.split("site-packages/", 1)[1]
        rows.append({"function": f"{short}:{line}({name})", "calls": calls, "tottime": round(tottime, 4),
                     "cumtime": round(cumtime, 4), "share_of_total": round(tottime / total, 3) if total else None})
    rows.sort(key=lambda r: r["tottime"], reverse=True)
    return rows[:count]


def profile_misses(result: dict[str, Any], pythons: dict[str, Path], work_dir: Path, timeout: float,
                   memory_limit: int) -> dict[str, Any]:
    """cProfile every missed target once (the activetext side; at the largest size that completed)."""
    wanted: list[tuple[str, str, int]] = []
    targets = result["targets"]
    for row in targets["uncertainty_within_2x_floor"]["rows"]:
        if not row["met"] and row["size"] == max(r["size"] for r in targets["uncertainty_within_2x_floor"]["rows"]):
            wanted.append(("activetext", row["strategy"], row["size"]))
    t2 = targets["greedy_coreset_10x_at_100k_linear_memory"]
    if t2["speedup_at_100k"] is not None and not t2["speedup_met"]:
        wanted += [("activetext", "greedy_coreset", 100_000), ("small-text", "greedy_coreset", 100_000)]
    by_key = index_runs(result["runs"])
    for row in targets["every_activetext_strategy_on_1m_within_24gib"]["rows"]:
        if row["met"]:
            continue
        done = [s for s in result["protocol"]["sizes"]
                if by_key.get(("activetext", row["strategy"], s), {}).get("status") == "ok"]
        if done:
            wanted.append(("activetext", row["strategy"], max(done)))
    profiles = {}
    for library, strategy, size in wanted:
        if library not in pythons:
            continue
        path = work_dir / "profiles" / f"{library}_{strategy}_{size}.pstats"
        path.parent.mkdir(parents=True, exist_ok=True)
        log(f"profiling {library} {strategy} at {size} ...")
        run = measure(library, pythons[library], strategy, size, work_dir, timeout, memory_limit, profile=path)
        if run["status"] == "ok" and path.exists():
            profiles[f"{library}/{strategy}/{size}"] = {"seconds_under_profiler": run["seconds"],
                                                       "pstats": str(path.relative_to(REPO_ROOT)),
                                                       "top_by_tottime": top_functions(path)}
    return profiles


# --------------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------------

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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--results", type=Path, default=None,
                        help="results JSON (default benchmarks/results/query_scaling.json; with --quick: "
                             "<work-dir>/quick_results.json)")
    parser.add_argument("--libraries", nargs="+", default=list(LIBRARIES), choices=LIBRARIES)
    parser.add_argument("--strategies", nargs="+", default=None, help="default: every registered strategy")
    parser.add_argument("--sizes", nargs="+", type=int, default=list(SIZES))
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run (default 600)")
    parser.add_argument("--memory-limit-gib", type=float, default=20.0,
                        help="a run whose RSS exceeds this is killed and recorded as out of memory (default 20)")
    parser.add_argument("--retry-after-failure", action="store_true",
                        help="also run larger sizes after a (library, strategy) timed out or ran out of memory")
    parser.add_argument("--profile-misses", action="store_true", help="cProfile the missed targets afterwards")
    parser.add_argument("--blas-threads", type=int, default=1,
                        help="OPENBLAS/OMP/MKL_NUM_THREADS of every runner (default 1; 0: leave the environment)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 10k only, 60 s limit")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.timeout = [10_000], 60.0
    results_path = args.results or (args.work_dir / "quick_results.json" if args.quick else DEFAULT_RESULTS)
    memory_limit = int(args.memory_limit_gib * GIB)
    set_blas_threads(args.blas_threads or None)

    pythons: dict[str, Path] = {}
    if "activetext" in args.libraries:
        pythons["activetext"] = Path(sys.executable)
    if "small-text" in args.libraries:
        pythons["small-text"] = ensure_small_text_venv()
    prepare_inputs(args.work_dir, log)
    registries = {lib: list_strategies(python, lib) for lib, python in pythons.items()}
    everything = list(dict.fromkeys([*MATCHED, *registries.get("activetext", {}), *registries.get("small-text", {})]))
    strategies = [s for s in everything if args.strategies is None or s in args.strategies]

    start = time.perf_counter()
    floors: dict[int, dict[str, Any]] = {}
    runs: list[dict[str, Any]] = []
    failed_at: dict[tuple[str, str], tuple[int, str]] = {}
    job = 0
    for size in sorted(args.sizes):
        floors[size] = measure_floor(pythons.get("activetext", Path(sys.executable)), size, args.work_dir)
        log(f"floor {size}: " + ", ".join(f"{k} {fmt_seconds(v['seconds'])}"
                                          for k, v in floors[size]["operations"].items()))
        for strategy in strategies:
            libraries = [lib for lib in pythons if strategy in registries[lib]]
            if job % 2:
                libraries.reverse()
            job += 1
            for library in libraries:
                previous = failed_at.get((library, strategy))
                projected = projected_seconds(runs, library, strategy, size)
                if previous and not args.retry_after_failure:
                    run = {"library": library, "strategy": strategy, "size": size, "status": "skipped",
                           "detail": f"not run: {previous[1]} at {previous[0]}"}
                elif projected is not None and projected > args.timeout and not args.retry_after_failure:
                    run = {"library": library, "strategy": strategy, "size": size, "status": "skipped",
                           "projected_seconds": projected,
                           "detail": f"not run: projected at least {projected:.0f} s > {args.timeout:.0f} s "
                                     "(linear extrapolation from the previous size)"}
                else:
                    run = measure(library, pythons[library], strategy, size, args.work_dir, args.timeout,
                                  memory_limit)
                    if run["status"] in ("timeout", "out of memory"):
                        failed_at[(library, strategy)] = (size, run["status"])
                runs.append(run)
                shown = (f"{fmt_seconds(run['seconds'])}, +{run['peak_extra_bytes'] / MIB:.0f} MiB"
                         if run["status"] == "ok" else f"{run['status']}: {run.get('detail', '')}")
                log(f"{size:>8} {library:>10} {strategy:>28}: {shown}")

    result: dict[str, Any] = {
        "protocol": {
            "description": "one query(n=20) per (library, strategy, pool size), each in a fresh subprocess of its "
                           "library's venv, on fixed inputs shared by both libraries; a stub classifier returns "
                           "the fixed probability/embedding rows of the requested documents",
            "sizes": sorted(args.sizes),
            "n": NUM_QUERIES,
            "num_labeled": NUM_LABELED,
            "inputs": INPUT_DESCRIPTION,
            "timing": "time.perf_counter around query() only (inputs loaded, dataset/classifier/strategy built "
                      "beforehand); when the first query takes under 1 s it is repeated with fresh strategy "
                      "objects up to 5 times and the median is reported",
            "memory": "peak RSS increase of the runner process during the first query: "
                      "resource.getrusage(RUSAGE_SELF).ru_maxrss after minus before (the inputs are read into "
                      "memory beforehand, without memory maps); peak_total = before + increase",
            "floor": "numpy alone on the same inputs, median of 7: np.max(proba, axis=1), the same with "
                     "np.maximum over the columns, the gather proba[unlabeled].max(axis=1), and embeddings @ v",
            "blas_threads": args.blas_threads or "environment",
            "blas_threads_why": "the machine is shared with other jobs; with 2 OpenBLAS threads under load, small "
                                "matrix products busy-wait and a run can take 6x longer than with 1 thread, so "
                                "repeated measurements disagreed by up to 10x; hnswlib index building still uses "
                                "every core in both libraries",
            "timeout_seconds": args.timeout,
            "memory_limit_gib": args.memory_limit_gib,
            "skip_after_failure": not args.retry_after_failure,
        },
        "metadata": {
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "activetext_git_revision": git_revision(),
            "versions": {lib: next((r["versions"] | {"library": r["library_version"]} for r in runs
                                    if r["library"] == lib and r["status"] == "ok"), None) for lib in pythons},
            "benchmark_wall_seconds": round(time.perf_counter() - start, 1),
        },
        "strategies": {lib: [s for s in strategies if s in registries.get(lib, {})] for lib in LIBRARIES},
        "configs": {lib: {s: registries[lib][s]["config"] for s in strategies if s in registries[lib]}
                    for lib in pythons},
        "floor": {str(size): floor for size, floor in floors.items()},
        "runs": runs,
    }
    result["targets"] = evaluate_targets(runs, floors, sorted(args.sizes), result["strategies"]["activetext"])
    if args.profile_misses:
        result["profiles"] = profile_misses(result, pythons, args.work_dir, args.timeout, memory_limit)
    result["markdown"] = markdown(result)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(result, indent=1) + "\n")
    log(f"wrote {results_path}")
    print(result["markdown"])
    for key, profile in result.get("profiles", {}).items():
        print(f"\ncProfile {key} ({fmt_seconds(profile['seconds_under_profiler'])} under the profiler), "
              "top functions by own time:")
        for row in profile["top_by_tottime"][:8]:
            print(f"  {row['tottime']:8.3f} s  {row['share_of_total']:>6.1%}  {row['calls']:>7}  {row['function']}")


if __name__ == "__main__":
    main()
