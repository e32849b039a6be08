"""Membership query synthesis against pool-based querying, with an oracle standing in for the person.

For each data set: a random sample of the training split is the pool; an oracle (all-MiniLM-L6-v2 + logistic
regression, balanced class weights) is trained on every label of the pool; the learners start from
``--per-class`` pool documents of each class, labeled by the oracle, and get ``--batch`` labels per round from the
oracle for ``--rounds`` rounds. The learners use the same classifier as the oracle, so the oracle is a consistent
teacher. Methods:

* ``synthesis-recombination``: :class:`~activetext.synthesis.BoundaryRecombination` (labeled texts plus the pool
  as material) with breaking-ties selection among ``--candidates`` candidates;
* ``synthesis-substitution``: :class:`~activetext.synthesis.EmbeddingNeighbourSubstitution` (pool vocabulary);
* ``pool-random``: random pool documents (``RandomSampling``);
* ``pool-breaking-ties``: the pool documents of smallest margin (``BreakingTies``).

Accuracy is measured on a random sample of the test split, against the gold labels. small-text has no membership
query synthesis, so there is no side-by-side run with it.

Run from the repository root::

    .venv/bin/python benchmarks/synthesis/run.py            # full run, a few minutes on 2 cores
    .venv/bin/python benchmarks/synthesis/run.py --smoke    # one data set, one seed, two rounds
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from activetext.active_learner import PoolBasedActiveLearner
from activetext.classifiers.encoder import EncoderClassifierFactory
from activetext.data import TextDataset
from activetext.datasets import load_benchmark
from activetext.encoders import CachedEncoder, SentenceTransformerEncoder
from activetext.query_strategies import BreakingTies, RandomSampling
from activetext.synthesis import (
    BoundaryRecombination,
    EmbeddingNeighbourSubstitution,
    QuerySynthesizer,
    SynthesisActiveLearner,
)

RESULTS = Path(__file__).resolve().parents[1] / "results" / "synthesis"
METHODS = ("synthesis-recombination", "synthesis-substitution", "pool-random", "pool-breaking-ties")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["sst2", "subj", "ag_news"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--pool", type=int, default=1000, help="pool documents drawn from the training split")
    parser.add_argument("--test", type=int, default=500, help="test documents drawn from the test split")
    parser.add_argument("--per-class", type=int, default=2, help="initial labeled documents per class")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--candidates", type=int, default=50, help="candidates generated per synthesis round")
    parser.add_argument("--smoke", action="store_true", help="sst2, seed 0, two rounds, results in a temp dir")
    parser.add_argument("--output", type=Path, default=RESULTS / "synthesis_oracle.json")
    args = parser.parse_args(argv)
    if args.smoke:
        args.datasets, args.seeds, args.rounds, args.pool, args.test = ["sst2"], [0], 2, 300, 200
        args.output = Path(tempfile.mkdtemp(prefix="synthesis-smoke-")) / "synthesis_oracle.json"
    return args


def load(name: str, n_pool: int, n_test: int) -> tuple[TextDataset, TextDataset]:
    train, test = load_benchmark(name, "train"), load_benchmark(name, "test")
    rng = np.random.default_rng(0)
    pool = train[rng.choice(len(train), min(n_pool, len(train)), replace=False)]
    test = test[rng.choice(len(test), min(n_test, len(test)), replace=False)]
    return pool, test


def initial_indices(oracle_labels: np.ndarray, num_classes: int, per_class: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    parts = [
        rng.choice(np.flatnonzero(oracle_labels == c), min(per_class, int(np.sum(oracle_labels == c))), replace=False)
        for c in range(num_classes)
    ]
    return np.concatenate(parts).astype(np.int64)


def accuracy(classifier, test: TextDataset) -> float:
    return float(np.mean(classifier.predict(test) == test.y))


def run_synthesis(generator, factory, pool, test, oracle, initial, oracle_labels, seed, args) -> list[float]:
    texts = list(pool.x)
    synthesizer = QuerySynthesizer(generator, n_candidates=args.candidates, seed=seed)
    learner = SynthesisActiveLearner(factory, synthesizer, pool.num_classes, pool_texts=texts)
    learner.initialize_data([texts[i] for i in initial], oracle_labels[initial])
    curve = [accuracy(learner.classifier, test)]
    for _ in range(args.rounds):
        queried = learner.query(args.batch)
        learner.update(oracle.predict(queried))
        curve.append(accuracy(learner.classifier, test))
    return curve


def run_pool(strategy, factory, pool, test, initial, oracle_labels, args) -> list[float]:
    learner = PoolBasedActiveLearner(factory, strategy, pool)
    learner.initialize_data(initial, oracle_labels[initial])
    curve = [accuracy(learner.classifier, test)]
    for _ in range(args.rounds):
        queried = learner.query(num_samples=args.batch)
        learner.update(oracle_labels[queried])
        curve.append(accuracy(learner.classifier, test))
    return curve


def run_dataset(name: str, encoder, args) -> dict:
    started = time.perf_counter()
    pool, test = load(name, args.pool, args.test)
    factory = EncoderClassifierFactory(encoder, kwargs={"class_weight": "balanced"})
    oracle = factory.new().fit(pool)
    oracle_labels = oracle.predict(pool)
    prepared = time.perf_counter() - started
    texts = list(pool.x)
    generators = {
        "synthesis-recombination": BoundaryRecombination(unlabeled_texts=texts),
        # one instance for every seed: the word embeddings are computed once
        "synthesis-substitution": EmbeddingNeighbourSubstitution(encoder, unlabeled_texts=texts, max_vocabulary=5000),
    }
    curves: dict[str, list[list[float]]] = {method: [] for method in METHODS}
    seconds = dict.fromkeys(METHODS, 0.0)
    for seed in args.seeds:
        initial = initial_indices(oracle_labels, pool.num_classes, args.per_class, seed)
        for method in METHODS:
            start = time.perf_counter()
            if method in generators:
                curve = run_synthesis(
                    generators[method], factory, pool, test, oracle, initial, oracle_labels, seed, args
                )
            else:
                strategy = RandomSampling(seed=seed) if method == "pool-random" else BreakingTies(seed=seed)
                curve = run_pool(strategy, factory, pool, test, initial, oracle_labels, args)
            seconds[method] += time.perf_counter() - start
            curves[method].append(curve)
            print(f"  {name} seed {seed} {method:<24} " + " ".join(f"{value:.3f}" for value in curve), flush=True)
    n_initial = len(initial_indices(oracle_labels, pool.num_classes, args.per_class, 0))
    return {
        "num_classes": pool.num_classes,
        "pool_size": len(pool),
        "test_size": len(test),
        "oracle_test_accuracy": accuracy(oracle, test),
        "oracle_pool_agreement_with_gold": float(np.mean(oracle_labels == pool.y)),
        "labels": [n_initial + round_ * args.batch for round_ in range(args.rounds + 1)],
        "accuracy": {
            method: {"per_seed": runs, "mean": np.mean(runs, axis=0).round(4).tolist()}
            for method, runs in curves.items()
        },
        "seconds": {"prepare": round(prepared, 1), **{method: round(value, 1) for method, value in seconds.items()}},
    }


def table(results: dict) -> str:
    lines = []
    for name, result in results["datasets"].items():
        labels = result["labels"]
        middle = len(labels) // 2
        lines.append(f"\n{name} ({result['num_classes']} classes, oracle {result['oracle_test_accuracy']:.3f} on test)")
        lines.append(f"| method | {labels[0]} labels | {labels[middle]} labels | {labels[-1]} labels | seconds |")
        lines.append("|---|---|---|---|---|")
        for method in METHODS:
            mean = result["accuracy"][method]["mean"]
            lines.append(
                f"| {method} | {mean[0]:.3f} | {mean[middle]:.3f} | {mean[-1]:.3f} | {result['seconds'][method]} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    results: dict = {
        "benchmark": "membership query synthesis vs pool-based querying, oracle protocol",
        "command": "python benchmarks/synthesis/run.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "protocol": (
            "pool: a random sample of the training split; oracle: all-MiniLM-L6-v2 + logistic regression "
            "(balanced class weights) trained on every pool label; every method starts from the same per-class "
            "sample of pool documents labeled by the oracle and gets its labels from the oracle; the learners use "
            "the oracle's classifier type; accuracy on a random test sample against gold labels, mean over seeds"
        ),
        "small_text": "small-text 1.4.1 has no membership query synthesis: there is no side-by-side comparison",
        "config": {key: (str(value) if isinstance(value, Path) else value) for key, value in vars(args).items()},
        "environment": {"python": platform.python_version(), "machine": platform.machine()},
        "datasets": {},
    }
    with threadpool_limits(limits=1), tempfile.TemporaryDirectory(prefix="synthesis-cache-") as cache:
        encoder = CachedEncoder(SentenceTransformerEncoder(), cache)
        for name in args.datasets:
            print(f"{name}:", flush=True)
            results["datasets"][name] = run_dataset(name, encoder, args)
    results["seconds_total"] = round(time.perf_counter() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(table(results))
    print(f"\nwrote {args.output} in {results['seconds_total']} s")


if __name__ == "__main__":
    main()
