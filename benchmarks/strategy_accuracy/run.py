"""Does a strategy save labels? An accuracy study of activetext's query strategies against random sampling.

Protocol (the common one of the literature): TF-IDF features and ConfidenceEnhancedLinearSVC (one-vs-rest for the
multi-label goemotions), 25 random initial labels, 20 queries of 25 documents (25 to 525 labels), 5 seeds; the
test split is scored after every round. Embedding strategies get the TF-IDF matrix projected to 128 dimensions by a
truncated SVD fitted once on the training pool (unit length), as precomputed embeddings.

Reported per data set and strategy: the normalized area under the learning curve (accuracy, or micro F1 for
multi-label) and the final scores, mean and standard deviation over the seeds, and the difference to random
sampling. Results go to benchmarks/results/strategy_accuracy.json and a Markdown table is printed.

    .venv/bin/python benchmarks/strategy_accuracy/run.py            # everything (about half an hour on 2 cores)
    .venv/bin/python benchmarks/strategy_accuracy/run.py --quick    # 1 seed, 5 rounds, two data sets
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import platform
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.preprocessing import normalize

import activetext
from activetext import query_strategies as q
from activetext.active_learner import PoolBasedActiveLearner
from activetext.classifiers import ConfidenceEnhancedLinearSVC
from activetext.classifiers.factories import SklearnClassifierFactory
from activetext.data import SklearnDataset
from activetext.datasets import load_benchmark
from activetext.initialization import random_initialization
from activetext.query_strategies import QueryStrategy
from activetext.query_strategies.embeddings import PrecomputedEmbeddings
from activetext.utils.curves import normalized_area_under_curve

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "benchmarks" / ".work" / "strategy_accuracy"
RESULTS = ROOT / "benchmarks" / "results" / "strategy_accuracy.json"
DATASETS = ("ag_news", "sst2", "banking77", "goemotions")
MULTI_LABEL = {"goemotions"}
EXPENSIVE_PER_CLASS = {"expected-error-reduction": 10}
"""Strategies whose cost grows with the number of classes, and the most classes they are run with."""


@dataclass(frozen=True)
class Context:
    """What a strategy may need besides its seed."""

    embeddings: PrecomputedEmbeddings
    clf_factory: SklearnClassifierFactory
    num_classes: int


StrategyBuilder = Callable[[int, Context], QueryStrategy]


def single_label_strategies() -> dict[str, StrategyBuilder]:
    """The strategies run on the single-label data sets, by name."""
    return {
        "random": lambda seed, ctx: q.RandomSampling(seed=seed),
        "least-confidence": lambda seed, ctx: q.LeastConfidence(seed=seed),
        "prediction-entropy": lambda seed, ctx: q.PredictionEntropy(seed=seed),
        "breaking-ties": lambda seed, ctx: q.BreakingTies(seed=seed),
        # expected error reduction: subsample_size x C refits per query, so a small subsample (and only for
        # data sets with few classes, see EXPENSIVE_PER_CLASS)
        "expected-error-reduction": lambda seed, ctx: q.ExpectedErrorReduction(
            ctx.clf_factory, subsample_size=20, evaluation_size=300, seed=seed
        ),
        "greedy-coreset": lambda seed, ctx: q.GreedyCoreset(ctx.embeddings, seed=seed),
        "lightweight-coreset": lambda seed, ctx: q.LightweightCoreset(ctx.embeddings, seed=seed),
        "embedding-kmeans": lambda seed, ctx: q.EmbeddingKMeans(ctx.embeddings, seed=seed),
        "probcover": lambda seed, ctx: q.ProbCover(ctx.embeddings, seed=seed),
        "typiclust": lambda seed, ctx: q.TypiClust(ctx.embeddings, seed=seed),
        "cal": lambda seed, ctx: q.ContrastiveActiveLearning(ctx.embeddings, seed=seed),
        "dal": lambda seed, ctx: q.DiscriminativeActiveLearning(ctx.embeddings, seed=seed),
        "information-density": lambda seed, ctx: q.InformationDensity(ctx.embeddings, seed=seed),
        "cluster-margin": lambda seed, ctx: q.ClusterMargin(ctx.embeddings, seed=seed),
        "qbc-vote-entropy": lambda seed, ctx: q.QueryByCommittee(ctx.clf_factory, seed=seed),
        "qbc-kl": lambda seed, ctx: q.QueryByCommittee(
            ctx.clf_factory, disagreement=q.Disagreement.KL_TO_MEAN, seed=seed
        ),
        "albl(bt,coreset,random)": lambda seed, ctx: q.ActiveLearningByLearning(
            [q.BreakingTies(seed=seed), q.GreedyCoreset(ctx.embeddings, seed=seed), q.RandomSampling(seed=seed)],
            seed=seed,
        ),
        "seals(bt)": lambda seed, ctx: q.SEALS(q.BreakingTies(seed=seed), ctx.embeddings, seed=seed),
        "anchoral(bt)": lambda seed, ctx: q.AnchorAL(q.BreakingTies(seed=seed), ctx.embeddings, seed=seed),
        "class-balancing(bt)": lambda seed, ctx: q.ClassBalancing(q.BreakingTies(seed=seed), seed=seed),
        "subsampling(bt, 2000)": lambda seed, ctx: q.RandomSubsampling(q.BreakingTies(seed=seed), 2000, seed=seed),
    }


def multi_label_strategies() -> dict[str, StrategyBuilder]:
    """The strategies run on the multi-label data set, by name."""
    return {
        "random": lambda seed, ctx: q.RandomSampling(seed=seed),
        "cvirs": lambda seed, ctx: q.CategoryVectorInconsistencyAndRanking(seed=seed),
        "label-cardinality-inconsistency": lambda seed, ctx: q.LabelCardinalityInconsistency(seed=seed),
        "adaptive-active-learning": lambda seed, ctx: q.AdaptiveActiveLearning(seed=seed),
        "mmc": lambda seed, ctx: q.MaximumLossReduction(seed=seed),
        "min-confidence-margin": lambda seed, ctx: q.MinConfidenceMargin(seed=seed),
        "greedy-coreset": lambda seed, ctx: q.GreedyCoreset(ctx.embeddings, seed=seed),
        "embedding-kmeans": lambda seed, ctx: q.EmbeddingKMeans(ctx.embeddings, seed=seed),
    }


def prepare(name: str) -> Path:
    """Vectorize a data set once (TF-IDF, SVD embeddings) and store it for the workers."""
    path = WORK / f"{name}.npz"
    if path.exists():
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    train, test = load_benchmark(name, "train"), load_benchmark(name, "test")
    vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=2)
    x_train = normalize(vectorizer.fit_transform(train.x))
    x_test = normalize(vectorizer.transform(test.x))
    svd = TruncatedSVD(n_components=128, random_state=0).fit(x_train)
    embeddings = normalize(svd.transform(x_train)).astype(np.float32)
    arrays = {"embeddings": embeddings, "num_classes": np.array(train.num_classes)}
    for prefix, matrix in (("x_train", x_train), ("x_test", x_test)):
        arrays.update(
            {
                f"{prefix}_data": matrix.data,
                f"{prefix}_indices": matrix.indices,
                f"{prefix}_indptr": matrix.indptr,
                f"{prefix}_shape": np.array(matrix.shape),
            }
        )
    for prefix, labels in (("y_train", train.y), ("y_test", test.y)):
        if sp.issparse(labels):
            arrays.update({f"{prefix}_dense": labels.toarray().astype(np.int8)})
        else:
            arrays[prefix] = labels
    np.savez(path, **arrays)
    return path


def load(path: Path) -> tuple[SklearnDataset, SklearnDataset, np.ndarray]:
    arrays = np.load(path)

    def matrix(prefix: str) -> sp.csr_matrix:
        return sp.csr_matrix(
            (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]),
            shape=tuple(arrays[f"{prefix}_shape"]),
        )

    def labels(prefix: str):
        return sp.csr_matrix(arrays[f"{prefix}_dense"]) if f"{prefix}_dense" in arrays else arrays[prefix]

    target = np.arange(int(arrays["num_classes"]))
    train = SklearnDataset(matrix("x_train"), labels("y_train"), target_labels=target)
    test = SklearnDataset(matrix("x_test"), labels("y_test"), target_labels=target)
    return train, test, arrays["embeddings"]


def scores(test: SklearnDataset, predicted) -> dict[str, float]:
    if test.is_multi_label:
        return {
            "micro_f1": float(f1_score(test.y, predicted, average="micro", zero_division=0)),
            "macro_f1": float(f1_score(test.y, predicted, average="macro", zero_division=0)),
        }
    return {
        "accuracy": float(accuracy_score(test.y, predicted)),
        "macro_f1": float(f1_score(test.y, predicted, average="macro", zero_division=0)),
    }


def run_one(task: tuple[str, str, int, int, int, int]) -> dict:
    """One learning curve: (data set, strategy, seed, initial size, rounds, batch size)."""
    name, strategy_name, seed, initial_size, rounds, batch_size = task
    train, test, vectors = load(WORK / f"{name}.npz")
    factory = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC())
    context = Context(PrecomputedEmbeddings(vectors), factory, train.num_classes)
    builders = multi_label_strategies() if name in MULTI_LABEL else single_label_strategies()
    learner = PoolBasedActiveLearner(factory, builders[strategy_name](seed, context), train)
    initial = random_initialization(train, initial_size, seed=seed)
    started = time.perf_counter()
    query_seconds = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        learner.initialize_data(initial, train.y[initial])
        curve = [{"labels": initial_size, **scores(test, learner.classifier.predict(test))}]
        try:
            for _ in range(rounds):
                before = time.perf_counter()
                queried = learner.query(num_samples=batch_size)
                query_seconds += time.perf_counter() - before
                learner.update(train.y[queried])
                curve.append(
                    {"labels": int(learner.indices_labeled.size), **scores(test, learner.classifier.predict(test))}
                )
        except Exception as error:  # a failing strategy is recorded, the study goes on
            return {
                "dataset": name,
                "strategy": strategy_name,
                "seed": seed,
                "error": f"{type(error).__name__}: {error}",
            }
    return {
        "dataset": name,
        "strategy": strategy_name,
        "seed": seed,
        "curve": curve,
        "seconds": time.perf_counter() - started,
        "query_seconds": query_seconds,
    }


def summarize(runs: list[dict]) -> dict:
    summary: dict = {}
    for run in runs:
        if "curve" not in run:
            continue
        metric = "micro_f1" if run["dataset"] in MULTI_LABEL else "accuracy"
        labels = [point["labels"] for point in run["curve"]]
        entry = summary.setdefault(run["dataset"], {}).setdefault(
            run["strategy"], {"aulc": [], "final": [], "final_macro_f1": [], "query_seconds": []}
        )
        entry["aulc"].append(normalized_area_under_curve(labels, [point[metric] for point in run["curve"]]))
        entry["final"].append(run["curve"][-1][metric])
        entry["final_macro_f1"].append(run["curve"][-1]["macro_f1"])
        entry["query_seconds"].append(run["query_seconds"])
    table: dict = {}
    for dataset, strategies in summary.items():
        random_aulc = np.mean(strategies["random"]["aulc"]) if "random" in strategies else float("nan")
        for strategy, values in strategies.items():
            table.setdefault(dataset, {})[strategy] = {
                "metric": "micro_f1" if dataset in MULTI_LABEL else "accuracy",
                "runs": len(values["aulc"]),
                "aulc_mean": float(np.mean(values["aulc"])),
                "aulc_std": float(np.std(values["aulc"], ddof=1)) if len(values["aulc"]) > 1 else 0.0,
                "aulc_minus_random": float(np.mean(values["aulc"]) - random_aulc),
                "final_mean": float(np.mean(values["final"])),
                "final_std": float(np.std(values["final"], ddof=1)) if len(values["final"]) > 1 else 0.0,
                "final_macro_f1_mean": float(np.mean(values["final_macro_f1"])),
                "query_seconds_mean": float(np.mean(values["query_seconds"])),
            }
    return table


def markdown(table: dict) -> str:
    lines = []
    for dataset, strategies in table.items():
        metric = next(iter(strategies.values()))["metric"]
        lines += [
            f"\n**{dataset}** ({metric}; macro F1 as the last score column)\n",
            f"| strategy | AULC | vs random | final {metric} | final macro F1 | query s/run |",
            "|---|---|---|---|---|---|",
        ]
        for strategy, row in sorted(strategies.items(), key=lambda item: -item[1]["aulc_mean"]):
            lines.append(
                f"| {strategy} | {row['aulc_mean']:.4f} ± {row['aulc_std']:.4f} | {row['aulc_minus_random']:+.4f} | "
                f"{row['final_mean']:.4f} ± {row['final_std']:.4f} | {row['final_macro_f1_mean']:.4f} | "
                f"{row['query_seconds_mean']:.2f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--strategies", nargs="+", default=None, help="names to run (default: all that apply)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=25)
    parser.add_argument("--initial-size", type=int, default=25)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="1 seed, 5 rounds, ag_news and goemotions")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.rounds, args.datasets = 1, 5, ["ag_news", "goemotions"]
    tasks = []
    for name in args.datasets:
        prepare(name)
        names = multi_label_strategies() if name in MULTI_LABEL else single_label_strategies()
        num_classes = int(np.load(WORK / f"{name}.npz")["num_classes"])
        for strategy in names:
            if num_classes > EXPENSIVE_PER_CLASS.get(strategy, num_classes):
                continue
            if args.strategies is None or strategy in args.strategies:
                tasks += [
                    (name, strategy, seed, args.initial_size, args.rounds, args.batch_size)
                    for seed in range(args.seeds)
                ]
    started = time.perf_counter()
    # every finished run is appended to a JSON-lines file, so an interrupted study resumes where it stopped
    progress = args.output.with_suffix(".runs.jsonl")
    runs = [json.loads(line) for line in progress.read_text().splitlines()] if progress.exists() else []
    done = {(run["dataset"], run["strategy"], run["seed"]) for run in runs}
    todo = [task for task in tasks if task[:3] not in done]
    print(f"{len(done)} runs already done, {len(todo)} to go", flush=True)
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool, progress.open("a") as log:
        for run in pool.imap_unordered(run_one, todo):
            runs.append(run)
            log.write(json.dumps(run) + "\n")
            log.flush()
            status = run.get("error") or f"final {run['curve'][-1]}"
            print(
                f"[{len(runs)}/{len(tasks)}] {run['dataset']} {run['strategy']} seed={run['seed']}: {status}",
                flush=True,
            )
    table = summarize(runs)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "protocol": {
                    "classifier": "ConfidenceEnhancedLinearSVC",
                    "features": "tf-idf (sublinear, min_df=2)",
                    "embeddings": "TruncatedSVD(128) of the TF-IDF training matrix, unit length",
                    "initial": f"{args.initial_size} random",
                    "rounds": args.rounds,
                    "batch_size": args.batch_size,
                    "seeds": args.seeds,
                },
                "metadata": {
                    "activetext_version": activetext.__version__,
                    "python": platform.python_version(),
                    "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "wall_seconds": time.perf_counter() - started,
                },
                "summary": table,
                "errors": [run for run in runs if "error" in run],
                "runs": runs,
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    print(markdown(table))
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
