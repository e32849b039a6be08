"""Run the fuzzing suite (tests/fuzz) and record what it reached: examples, calls, exception types, run time.

The suite throws random data sets, labels and calls at the public API (see tests/fuzz/fuzz_strategies.py). This
script runs it under one or both hypothesis profiles of the suite, in a fresh pytest process each:

* ``ci``: the profile CI runs (derandomized, modest example counts, well under a minute on 2 cores);
* ``thorough``: ten times the examples (also derandomized, so the figures are reproducible).

and writes ``benchmarks/results/fuzz.json``: per profile the number of examples and API calls, the exception types
the calls reached with their counts (each must be an ``ActiveTextError``; an internal error fails the suite), the
same per test, each test's duration and outcome, and the suite's wall time.

Usage, from the repository root::

    .venv/bin/python benchmarks/fuzz/run.py                     # both profiles (about 5 minutes on 2 cores)
    .venv/bin/python benchmarks/fuzz/run.py --profiles ci       # only the CI profile
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITE = "tests/fuzz"
RESULTS = ROOT / "benchmarks" / "results" / "fuzz.json"


def run_profile(profile: str, python: str) -> dict:
    """Run the suite under ``profile`` in a fresh pytest process; return its report, timings and outcome."""
    with tempfile.TemporaryDirectory(prefix="activetext-fuzz-") as folder:
        report_path = Path(folder) / "report.json"
        junit_path = Path(folder) / "junit.xml"
        environment = {
            **os.environ,
            "ACTIVETEXT_FUZZ_PROFILE": profile,
            "ACTIVETEXT_FUZZ_REPORT": str(report_path),
        }
        command = [python, "-m", "pytest", SUITE, "-q", "-p", "no:cacheprovider", f"--junitxml={junit_path}"]
        print(f"[{profile}] {' '.join(command)}", flush=True)
        started = time.perf_counter()
        completed = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
        wall = time.perf_counter() - started
        print(completed.stdout[-2000:], completed.stderr[-2000:], sep="\n", flush=True)
        if not report_path.is_file():
            raise SystemExit(f"[{profile}] the suite wrote no report (exit code {completed.returncode})")
        report = json.loads(report_path.read_text(encoding="utf-8"))
        tests = _junit_tests(junit_path)
    return {
        "profile": profile,
        "exit_code": completed.returncode,
        "passed": completed.returncode == 0,
        "wall_seconds": round(wall, 2),
        "tests_run": len(tests),
        "tests_failed": sorted(name for name, entry in tests.items() if entry["outcome"] != "passed"),
        "examples": report["examples"],
        "calls": report["calls"],
        "calls_succeeded": report["succeeded"],
        "exceptions": report["exceptions"],
        "internal_errors": {name: count for name, count in report["exceptions"].items() if name.startswith("INTERNAL")},
        "per_test": {
            name: {
                "examples": entry["examples"],
                "calls": entry["calls"],
                "succeeded": entry["succeeded"],
                "exceptions": entry["exceptions"],
            }
            for name, entry in report["tests"].items()
        },
        "operations": {name: entry["operations"] for name, entry in report["tests"].items()},
        "durations_seconds": {name: entry["seconds"] for name, entry in tests.items() if entry["seconds"] >= 0.05},
    }


def _junit_tests(path: Path) -> dict[str, dict]:
    """Each test case's duration and outcome from pytest's JUnit XML."""
    tests = {}
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        failed = any(child.tag in ("failure", "error") for child in case)
        skipped = any(child.tag == "skipped" for child in case)
        outcome = "failed" if failed else ("skipped" if skipped else "passed")
        tests[name] = {"seconds": round(float(case.get("time", 0.0)), 3), "outcome": outcome}
    return tests


def _versions(python: str) -> dict:
    code = (
        "import json, hypothesis, numpy, scipy, sklearn, activetext; print(json.dumps({'activetext': "
        "activetext.__version__, 'hypothesis': hypothesis.__version__, 'numpy': numpy.__version__, 'scipy': "
        "scipy.__version__, 'scikit-learn': sklearn.__version__}))"
    )
    completed = subprocess.run([python, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(completed.stdout)


def _commit() -> str | None:
    completed = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    return completed.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", nargs="+", choices=["ci", "thorough"], default=["ci", "thorough"])
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"where to write (default {RESULTS})")
    parser.add_argument("--python", default=sys.executable, help="the interpreter with activetext installed")
    arguments = parser.parse_args(argv)
    runs = {profile: run_profile(profile, arguments.python) for profile in arguments.profiles}
    results = {
        "suite": SUITE,
        "question": "Does every failure of the public API raise a documented ActiveTextError, never an internal "
        "error, leaving the state as it was? (issue 10)",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": _commit(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "versions": _versions(arguments.python),
        "profiles": runs,
    }
    arguments.results.parent.mkdir(parents=True, exist_ok=True)
    arguments.results.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for profile, run in runs.items():
        print(
            f"{profile}: {run['examples']} examples, {run['calls']} calls, {len(run['exceptions'])} exception types, "
            f"{run['wall_seconds']} s, {'passed' if run['passed'] else 'FAILED'}"
        )
    print(f"wrote {arguments.results}")
    return 0 if all(run["passed"] for run in runs.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
