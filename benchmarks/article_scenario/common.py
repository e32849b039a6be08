"""Code shared by the two runner scripts of the article scenario.

This module is imported from inside *both* virtual environments (activetext's and small-text's), so it
must only depend on the standard library, numpy and scipy.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

# Protocol constants (the scenario of the small-text article).
NUM_INITIAL_PER_CLASS = 10
NUM_ITERATIONS = 15
NUM_QUERIES = 20
SEEDS = (0, 1, 2, 3, 4)
STRATEGIES = ("random", "least_confidence", "prediction_entropy", "breaking_ties")

BENCHMARKS_DIR = Path(__file__).resolve().parents[1]
DEFAULT_WORK_DIR = BENCHMARKS_DIR / ".work" / "article_scenario"


def load_work(work_dir: Path) -> dict[str, Any]:
    """Load the features, labels and initial indices prepared by ``compare.py``."""
    work_dir = Path(work_dir)
    initial = json.loads((work_dir / "initial_indices.json").read_text())
    return {
        "x_train": sp.load_npz(work_dir / "x_train.npz").tocsr(),
        "x_test": sp.load_npz(work_dir / "x_test.npz").tocsr(),
        "y_train": np.load(work_dir / "y_train.npy"),
        "y_test": np.load(work_dir / "y_test.npy"),
        "initial_indices": {int(seed): np.asarray(idx, dtype=np.int64) for seed, idx in initial.items()},
    }


def run_loop(
    learner: Any,
    indices_initial: np.ndarray,
    y_train: np.ndarray,
    evaluate: Callable[[Any], float],
    num_iterations: int = NUM_ITERATIONS,
    num_queries: int = NUM_QUERIES,
    profiler: Any = None,
) -> dict[str, Any]:
    """Run one active-learning experiment and time the loop only.

    ``time.perf_counter`` is accumulated around ``initialize_data``, ``query`` and ``update``; the
    oracle's label look-up and the test-set evaluation are outside the timed regions. A given
    ``cProfile.Profile`` is enabled around exactly the same regions.
    """
    timings = {"initialize": 0.0, "query": 0.0, "update": 0.0}
    enable = profiler.enable if profiler is not None else _noop
    disable = profiler.disable if profiler is not None else _noop

    y_initial = y_train[indices_initial]
    enable()
    start = time.perf_counter()
    learner.initialize_data(indices_initial, y_initial)
    timings["initialize"] += time.perf_counter() - start
    disable()

    num_labels = [len(indices_initial)]
    accuracy = [evaluate(learner)]
    queried: list[int] = []

    for _ in range(num_iterations):
        enable()
        start = time.perf_counter()
        indices_queried = learner.query(num_samples=num_queries)
        timings["query"] += time.perf_counter() - start
        disable()

        y_queried = y_train[np.asarray(indices_queried)]

        enable()
        start = time.perf_counter()
        learner.update(y_queried)
        timings["update"] += time.perf_counter() - start
        disable()

        queried.extend(int(i) for i in np.asarray(indices_queried))
        num_labels.append(num_labels[-1] + len(indices_queried))
        accuracy.append(evaluate(learner))

    return {
        "num_labels": num_labels,
        "accuracy": accuracy,
        "loop_seconds": sum(timings.values()),
        "timings": timings,
        "queried_indices": queried,
    }


def _noop() -> None:
    return None


def accuracy_score(y_true: np.ndarray, y_pred: Any) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--strategies", nargs="+", default=list(STRATEGIES), choices=STRATEGIES)
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--iterations", type=int, default=NUM_ITERATIONS)
    parser.add_argument("--queries", type=int, default=NUM_QUERIES)
    parser.add_argument("--no-warmup", action="store_true",
                        help="skip the untimed one-iteration warm-up run before each timed run")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timed repetitions per (strategy, seed); the median loop time is reported")
    parser.add_argument("--profile", type=Path, default=None,
                        help="cProfile the timed regions of all timed runs; pstats file written here and "
                             "the top functions printed to stderr")
    parser.add_argument("--output", type=Path, default=None, help="write JSON here instead of stdout")
    return parser.parse_args()


def main_loop(
    library: str,
    library_version: str,
    make_learner: Callable[[str, int, Any, np.ndarray], Any],
    make_evaluate: Callable[[Any, np.ndarray], Callable[[Any], float]],
    description: str,
) -> None:
    """Command-line driver shared by both runners.

    ``make_learner(strategy, seed, x_train, y_train)`` builds a fresh learner (and seeds whatever global
    state the library uses); ``make_evaluate(x_test, y_test)`` returns ``evaluate(learner) -> accuracy``.
    """
    args = parse_args(description)
    data = load_work(args.work_dir)
    evaluate = make_evaluate(data["x_test"], data["y_test"])

    import sklearn  # imported lazily so that the module itself only needs numpy/scipy

    profiler = None
    if args.profile is not None:
        import cProfile

        profiler = cProfile.Profile()

    runs = []
    for strategy in args.strategies:
        for seed in args.seeds:
            indices_initial = data["initial_indices"][seed]
            if not args.no_warmup:
                # Untimed warm-up: first-call costs (lazy imports, caches) should not land in one run.
                warm = make_learner(strategy, seed, data["x_train"], data["y_train"])
                run_loop(warm, indices_initial, data["y_train"], evaluate, num_iterations=1,
                         num_queries=args.queries)
            repeats = []
            for _ in range(max(1, args.repeats)):
                learner = make_learner(strategy, seed, data["x_train"], data["y_train"])
                repeats.append(run_loop(learner, indices_initial, data["y_train"], evaluate,
                                        num_iterations=args.iterations, num_queries=args.queries,
                                        profiler=profiler))
            # Accuracy and queries come from the first repetition; the loop time is the median over the
            # repetitions (each one a fresh learner with the same seed), which damps machine noise.
            result = repeats[0]
            result.update({
                "strategy": strategy,
                "seed": seed,
                "loop_seconds": float(np.median([r["loop_seconds"] for r in repeats])),
                "loop_seconds_repeats": [r["loop_seconds"] for r in repeats],
                "timings": {
                    k: float(np.median([r["timings"][k] for r in repeats])) for k in result["timings"]
                },
                "repeats_identical": all(r["accuracy"] == result["accuracy"]
                                         and r["queried_indices"] == result["queried_indices"]
                                         for r in repeats),
            })
            runs.append(result)

    if profiler is not None:
        import pstats

        args.profile.parent.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(args.profile))
        for sort_key in ("tottime", "cumulative"):
            pstats.Stats(profiler, stream=sys.stderr).strip_dirs().sort_stats(sort_key).print_stats(30)

    output = {
        "library": library,
        "library_version": library_version,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": __import__("scipy").__version__,
            "scikit-learn": sklearn.__version__,
        },
        "executable": sys.executable,
        "runs": runs,
    }
    text = json.dumps(output)
    if args.output is None:
        sys.stdout.write(text + "\n")
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
