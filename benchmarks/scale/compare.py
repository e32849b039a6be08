"""The scale benchmark: 1M-document pools, activetext against small-text 1.4.1, plus a Dask LocalCluster run.

    .venv/bin/python benchmarks/scale/prepare.py      # once: the pools, and the encoding throughput
    .venv/bin/python benchmarks/scale/compare.py      # the measurements, about 30 minutes on 2 cores

Every measurement is a subprocess (a fresh interpreter: its peak RSS is its own) killed past ``--timeout`` seconds
or ``--memory-limit-gib``. small-text runs at growing sizes; a size is skipped when the previous size's iteration
time, scaled linearly, already exceeds an hour, or when its run failed. Results: ``benchmarks/results/scale/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import psutil
from common import BENCHMARKS_DIR, POOL_SIZE, RESULTS_DIR, WORK_DIR

HERE = Path(__file__).resolve().parent
ROOT = BENCHMARKS_DIR.parent
ACTIVETEXT_PY = ROOT / ".venv" / "bin" / "python"
SMALL_TEXT_PY = BENCHMARKS_DIR / ".venv-small-text" / "bin" / "python"
SETUPS = ("tfidf", "embeddings")
STRATEGIES = ("breaking_ties", "coreset", "seals")
SMALL_TEXT_SIZES = (10_000, 100_000, 1_000_000)
HOUR = 3600.0


def run(command: list[str], timeout: float, memory_limit_gib: float) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2", MKL_NUM_THREADS="2", PYTHONUNBUFFERED="1")
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    watched = psutil.Process(process.pid)
    peak, status = 0, None
    while process.poll() is None:
        try:
            rss = sum(p.memory_info().rss for p in [watched, *watched.children(recursive=True)])
        except psutil.Error:
            rss = 0
        peak = max(peak, rss)
        if rss > memory_limit_gib * 2**30:
            status = "out_of_memory"
        elif time.perf_counter() - start > timeout:
            status = "timeout"
        if status:
            os.killpg(process.pid, 9)
            break
        time.sleep(0.2)
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - start
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
            result["process_s"] = seconds
            result["polled_peak_rss_mib"] = peak / 2**20
            return result
    return {
        "status": status or "failed",
        "process_s": seconds,
        "polled_peak_rss_mib": peak / 2**20,
        "error": stderr[-2000:],
    }


def steady(result: dict) -> dict:
    """Mean over the iterations after the first (the first also builds indexes and warms caches)."""
    later = result["iterations"][1:] or result["iterations"]
    keys = [key for key in later[0] if key.endswith("_s") and later[0][key] is not None]
    return {key: sum(item[key] for item in later) / len(later) for key in keys}


def fmt(seconds: float | None) -> str:
    return "" if seconds is None else f"{seconds:.1f}" if seconds >= 1 else f"{seconds:.2f}"


def markdown(runs: list[dict], meta: dict) -> str:
    lines = [
        "| features | strategy | library | pool | status | 1st iteration (s) | iteration (s) | training | scoring | "
        "selection | peak RSS (GiB) |",
        "|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        if r.get("dask_workers"):
            continue
        size = f"{r['size']:,}"
        if r["status"] != "ok":
            why = r.get("reason") or r["status"]
            lines.append(f"| {r['setup']} | {r['strategy']} | {r['library']} | {size} | {why} | | | | | | |")
            continue
        s = steady(r)
        peak = max(r.get("peak_rss_mib", 0), r.get("polled_peak_rss_mib", 0)) / 1024
        lines.append(
            f"| {r['setup']} | {r['strategy']} | {r['library']} | {size} | ok | {fmt(r['iterations'][0]['total_s'])} | "
            f"{fmt(s['total_s'])} | {fmt(s['training_s'])} | {fmt(s.get('scoring_s'))} | {fmt(s.get('selection_s'))} | "
            f"{peak:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    parser.add_argument("--memory-limit-gib", type=float, default=16.0)
    parser.add_argument("--setups", nargs="+", default=list(SETUPS))
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES))
    parser.add_argument("--libraries", nargs="+", default=["activetext", "small-text", "dask"])
    parser.add_argument("--small-text-sizes", nargs="+", type=int, default=list(SMALL_TEXT_SIZES))
    parser.add_argument(
        "--skip-above",
        type=float,
        default=HOUR,
        help="skip a small-text size whose projected run (all iterations) exceeds this many seconds",
    )
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "scale.json")
    parser.add_argument("--merge", action="store_true", help="keep the output's other runs, replace the ones rerun")
    args = parser.parse_args()
    meta = json.loads((WORK_DIR / "meta.json").read_text())
    runs: list[dict] = []

    def record(result: dict, **identity) -> None:
        result = {**result, **identity}
        runs.append(result)
        brief = {k: result.get(k) for k in ("library", "setup", "strategy", "size", "status", "reason")}
        if result["status"] == "ok":
            brief["iteration_s"] = round(steady(result)["total_s"], 2)
            brief["peak_gib"] = round(max(result["peak_rss_mib"], result["polled_peak_rss_mib"]) / 1024, 2)
        print(json.dumps(brief), flush=True)

    for setup in args.setups:
        for strategy in args.strategies:
            identity = {"setup": setup, "strategy": strategy}
            if "activetext" in args.libraries:
                command = [str(ACTIVETEXT_PY), "run_activetext.py", "--setup", setup, "--strategy", strategy]
                record(
                    run(command, args.timeout, args.memory_limit_gib), library="activetext", size=POOL_SIZE, **identity
                )
            if "small-text" in args.libraries:
                previous = None
                for size in args.small_text_sizes:
                    ident = {"library": "small-text", "size": size, **identity}
                    if previous is not None and previous["status"] != "ok":
                        record({"status": "skipped", "reason": f"failed at {previous['size']:,}"}, **ident)
                        continue
                    if previous is not None:
                        projected = steady(previous)["total_s"] * size / previous["size"]
                        whole_run = previous["process_s"] * size / previous["size"]
                        if projected > HOUR or whole_run > args.skip_above:
                            record(
                                {
                                    "status": "skipped",
                                    "projected_s": projected,
                                    "reason": f"not run: projected {projected / 60:.0f} min per iteration, "
                                    f"{whole_run / 60:.0f} min per run (linear from {previous['size']:,})",
                                },
                                **ident,
                            )
                            continue
                    command = [
                        str(SMALL_TEXT_PY),
                        "run_small_text.py",
                        "--setup",
                        setup,
                        "--strategy",
                        strategy,
                        "--size",
                        str(size),
                        "--iterations",
                        "2",
                    ]
                    result = run(command, args.timeout, args.memory_limit_gib)
                    if result["status"] in ("timeout", "out_of_memory"):
                        limit = (
                            f"{args.timeout:.0f} s" if result["status"] == "timeout" else f"{args.memory_limit_gib} GiB"
                        )
                        result["reason"] = f"{result['status'].replace('_', ' ')} (limit {limit})"
                    record(result, **ident)
                    previous = {**result, "size": size}
    if "dask" in args.libraries:
        for strategy in ("breaking_ties", "coreset"):
            command = [
                str(ACTIVETEXT_PY),
                "run_activetext.py",
                "--setup",
                "tfidf",
                "--strategy",
                strategy,
                "--dask-workers",
                "2",
            ]
            record(
                run(command, args.timeout, args.memory_limit_gib),
                library="activetext+dask",
                size=POOL_SIZE,
                setup="tfidf",
                strategy=strategy,
            )
    if args.merge and args.output.is_file():
        rerun = {(r["library"], r["setup"], r["strategy"], r["size"]) for r in runs}
        previous = json.loads(args.output.read_text())["runs"]
        kept = [r for r in previous if (r["library"], r["setup"], r["strategy"], r["size"]) not in rerun]
        runs[:0] = kept
    table = markdown(runs, meta)
    print(table)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "machine": {
                    "cpus": os.cpu_count(),
                    "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
                    "platform": platform.platform(),
                    "python": sys.version.split()[0],
                },
                "pools": meta,
                "runs": runs,
                "markdown": table,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
