"""Run the core test suite against the lowest and the newest supported numpy, scipy and scikit-learn.

For each row of the matrix a fresh virtual environment gets activetext's base install (numpy, scipy,
scikit-learn, joblib) with those versions pinned, plus pytest and hypothesis, and runs the tests that need no
optional extra. The lowest versions are the floors declared in pyproject.toml; the newest are whatever the package
index offers today.

    python3 scripts/test_matrix.py                 # both rows; writes benchmarks/results/test_matrix.json
    python3 scripts/test_matrix.py --rows lowest   # one row

The environments are kept in ``.matrix/`` (git-ignored) and reused on the next run.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "test_matrix.json"

ROWS = {
    "lowest": ["numpy==1.24.*", "scipy==1.10.*", "scikit-learn==1.3.*", "joblib==1.2.*"],
    "newest": ["numpy", "scipy", "scikit-learn", "joblib"],
}
"""The pins of each row; the lowest are the floors of ``[project] dependencies`` in pyproject.toml."""

CORE_TESTS = [
    "tests/active_learner",
    "tests/query_strategies",
    "tests/classifiers/test_sklearn.py",
    "tests/data",
    "tests/utils",
    "tests/vector_indexes",
    "tests/test_stopping_criteria.py",
    "tests/test_initialization.py",
    "tests/test_package_exports.py",
    "tests/test_reproducibility.py",
]
"""Tests that need only the base install (tests of optional extras skip themselves when the extra is missing)."""


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=ROOT, text=True, capture_output=True, **kwargs)


def test_row(name: str, pins: list[str]) -> dict:
    venv = ROOT / ".matrix" / name
    python = venv / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", str(venv)], check=True)
    install = run(
        [str(python), "-m", "pip", "install", "--quiet", "--upgrade", *pins, "pytest>=7.4", "hypothesis>=6.90"]
    )
    if install.returncode != 0:
        return {"row": name, "pins": pins, "installed": False, "error": install.stderr[-2000:]}
    run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "-e", "."], check=True)
    versions = run(
        [
            str(python),
            "-c",
            "import json, numpy, scipy, sklearn, joblib; print(json.dumps({'numpy': numpy.__version__, "
            "'scipy': scipy.__version__, 'scikit-learn': sklearn.__version__, 'joblib': joblib.__version__}))",
        ],
        check=True,
    )
    started = time.time()
    tests = run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", *CORE_TESTS])
    summary = tests.stdout.strip().splitlines()[-1] if tests.stdout.strip() else ""
    return {
        "row": name,
        "pins": pins,
        "installed": True,
        "versions": json.loads(versions.stdout),
        "passed": tests.returncode == 0,
        "summary": summary,
        "seconds": round(time.time() - started, 1),
        "failures": [line for line in tests.stdout.splitlines() if line.startswith("FAILED")][:50],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="+", choices=sorted(ROWS), default=sorted(ROWS))
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    rows = []
    for name in args.rows:
        print(f"{name}: installing {' '.join(ROWS[name])} ...", flush=True)
        row = test_row(name, ROWS[name])
        print(f"{name}: {row.get('versions')} -> {row.get('summary') or row.get('error')}", flush=True)
        rows.append(row)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(
        json.dumps({"python": platform.python_version(), "tests": CORE_TESTS, "rows": rows}, indent=1) + "\n"
    )
    sys.exit(0 if all(row.get("passed") for row in rows) else 1)


if __name__ == "__main__":
    main()
