"""The frozen-encoder classifier (all-MiniLM-L6-v2 + logistic regression) on ag_news and sst2.

Protocol of issue 5's benchmark: 25 random initial labels, 10 queries of 25 (275 labels), breaking ties,
3 seeds; test accuracy after every step and the time of each iteration split into training, scoring the pool
and selecting (scoring and selecting are one `query` call; the encoder cache is warmed once beforehand, as a
project would after its first encoding pass). Writes benchmarks/results/frozen_encoder.json.

    .venv/bin/python benchmarks/frozen_encoder/run.py
"""

from __future__ import annotations

import json
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

import activetext
from activetext.active_learner import PoolBasedActiveLearner
from activetext.classifiers.encoder import EncoderClassifierFactory
from activetext.datasets import load_benchmark
from activetext.encoders import CachedEncoder, SentenceTransformerEncoder
from activetext.initialization import random_initialization
from activetext.query_strategies import BreakingTies

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "frozen_encoder.json"


def main() -> None:
    cache = tempfile.mkdtemp(prefix="activetext-embeddings-")
    encoder = CachedEncoder(SentenceTransformerEncoder(), cache)
    report: dict = {
        "protocol": {
            "model": "all-MiniLM-L6-v2",
            "head": "LogisticRegression(max_iter=1000)",
            "initial": 25,
            "rounds": 10,
            "batch_size": 25,
            "strategy": "BreakingTies",
            "seeds": [0, 1, 2],
        },
        "metadata": {
            "activetext_version": activetext.__version__,
            "python": platform.python_version(),
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        },
        "datasets": {},
    }
    for name in ("ag_news", "sst2"):
        pool, test = load_benchmark(name, "train"), load_benchmark(name, "test")
        started = time.perf_counter()
        encoder.encode(list(pool.x) + list(test.x))
        encode_seconds = time.perf_counter() - started
        runs = []
        for seed in (0, 1, 2):
            learner = PoolBasedActiveLearner(EncoderClassifierFactory(encoder), BreakingTies(seed=seed), pool)
            initial = random_initialization(pool, 25, seed=seed)
            learner.initialize_data(initial, pool.y[initial])
            steps = [{"labels": 25, "accuracy": float(np.mean(learner.classifier.predict(test) == test.y))}]
            for _ in range(10):
                before = time.perf_counter()
                queried = learner.query(num_samples=25)
                queried_at = time.perf_counter()
                learner.update(pool.y[queried])
                done = time.perf_counter()
                steps.append(
                    {
                        "labels": int(learner.indices_labeled.size),
                        "accuracy": float(np.mean(learner.classifier.predict(test) == test.y)),
                        "query_seconds": queried_at - before,
                        "train_seconds": done - queried_at,
                    }
                )
            runs.append({"seed": seed, "steps": steps})
            print(f"{name} seed={seed}: " + " ".join(f"{s['accuracy']:.3f}" for s in steps), flush=True)
        final = [run["steps"][-1]["accuracy"] for run in runs]
        per_iteration = [s["query_seconds"] + s["train_seconds"] for run in runs for s in run["steps"][1:]]
        report["datasets"][name] = {
            "pool": len(pool),
            "test": len(test),
            "encode_pool_and_test_seconds": encode_seconds,
            "final_accuracy_mean": float(np.mean(final)),
            "final_accuracy_std": float(np.std(final, ddof=1)),
            "seconds_per_iteration_mean": float(np.mean(per_iteration)),
            "runs": runs,
        }
        print(
            f"{name}: accuracy at 275 labels {np.mean(final):.4f} ± {np.std(final, ddof=1):.4f}; "
            f"{np.mean(per_iteration):.3f} s per iteration; encoding {encode_seconds:.1f} s",
            flush=True,
        )
    RESULTS.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
