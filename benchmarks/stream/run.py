"""Stream-based selective sampling on shared data sets read as streams: accuracy per label, budget used vs set.

Each training split is read once, in a seeded random order, as a stream of hashed bag-of-words rows
(``HashingVectorizer``: stateless, so a stream needs no vocabulary fitted in advance). An oracle answers every
request from the true labels, at once or after a delay of some documents. The model is evaluated on the test split
every 500 documents and at the end.

Compared: the budget managers of ``activetext.active_learner.budget`` against random selection at the same budget
(``Split(random_share=1)``), and against passive learning on every label of the stream. small-text has no
stream-based learner, so there is no side-by-side run.

    .venv/bin/python benchmarks/stream/run.py                       # full run, ~15 min on 2 cores
    .venv/bin/python benchmarks/stream/run.py --quick               # one data set, one seed

Results: ``benchmarks/results/stream.json`` (summary rows and the learning curves).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import sklearn
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import accuracy_score, f1_score

import activetext
from activetext.active_learner import StreamBasedActiveLearner, simulate_stream
from activetext.active_learner.budget import DensityAware, FixedFraction, Split, VariableUncertainty
from activetext.classifiers import ConfidenceEnhancedLinearSVC
from activetext.classifiers.factories import SklearnClassifierFactory
from activetext.datasets import load_benchmark

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "stream.json"

MANAGERS = {
    "random": lambda budget, seed: Split(budget, random_share=1.0, seed=seed),
    "fixed-fraction": lambda budget, seed: FixedFraction(budget),
    "variable-uncertainty": lambda budget, seed: VariableUncertainty(budget),
    "split": lambda budget, seed: Split(budget, random_share=0.2, seed=seed),
    "density-aware": lambda budget, seed: DensityAware(budget),
}
SETTINGS = [  # (budget, label delay in documents)
    (0.02, 0),
    (0.05, 0),
    (0.05, 200),
    (0.10, 0),
]


def hashed(texts: np.ndarray):
    vectorizer = HashingVectorizer(n_features=2**18, alternate_sign=False, ngram_range=(1, 2), norm="l2")
    return vectorizer.transform(texts)


def learner_for(num_classes: int, manager, *, incremental: bool) -> StreamBasedActiveLearner:
    if incremental:
        factory = SklearnClassifierFactory(SGDClassifier(loss="log_loss", alpha=1e-5, random_state=0))
        return StreamBasedActiveLearner(
            factory, manager, num_classes, utility="margin", retrain_every=10, incremental=True
        )
    factory = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC())
    return StreamBasedActiveLearner(factory, manager, num_classes, utility="margin", retrain_every=10)


def passive(x, y, x_test, y_test) -> dict:
    model = ConfidenceEnhancedLinearSVC().fit(x, y)
    predicted = model.predict(x_test)
    return {
        "accuracy": float(accuracy_score(y_test, predicted)),
        "macro_f1": float(f1_score(y_test, predicted, average="macro")),
        "labels": int(x.shape[0]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["ag_news", "sst2", "sms_spam"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--quick", action="store_true", help="sst2 only, seed 0")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    datasets, seeds = (["sst2"], [0]) if args.quick else (args.datasets, args.seeds)
    rows, curves, references = [], [], {}
    started = time.time()
    for name in datasets:
        train, test = load_benchmark(name, "train"), load_benchmark(name, "test")
        x_all, x_test = hashed(train.x), hashed(test.x)
        references[name] = passive(x_all, train.y, x_test, test.y)
        print(f"{name}: {len(train)} documents, passive accuracy {references[name]['accuracy']:.3f}", flush=True)
        for seed in seeds:
            order = np.random.default_rng(seed).permutation(len(train))
            x, y = x_all[order], train.y[order]
            runs = [(manager, budget, delay, False) for budget, delay in SETTINGS for manager in MANAGERS]
            runs.append(("variable-uncertainty", 0.05, 0, True))
            for manager, budget, delay, incremental in runs:
                learner = learner_for(train.num_classes, MANAGERS[manager](budget, seed), incremental=incremental)
                tic = time.perf_counter()
                result = simulate_stream(
                    learner, x, y, x_test, test.y, batch_size=20, label_delay=delay, evaluate_every=500
                )
                seconds = time.perf_counter() - tic
                final = result.checkpoints[-1]
                row = {
                    "dataset": name,
                    "seed": seed,
                    "manager": manager,
                    "model": "sgd-partial-fit" if incremental else "linear-svc-retrain",
                    "budget": budget,
                    "label_delay": delay,
                    "budget_used": result.summary.budget_used,
                    "labels": final.labels_received,
                    "accuracy": final.accuracy,
                    "macro_f1": final.macro_f1,
                    "seconds": seconds,
                    "documents_per_second": result.summary.documents_seen / seconds,
                }
                rows.append(row)
                curves.append(
                    {
                        **{k: row[k] for k in ("dataset", "seed", "manager", "model", "budget", "label_delay")},
                        "checkpoints": result.to_records(),
                    }
                )
                print(
                    f"  seed {seed} {row['model']:<18} {manager:<21} budget {budget:.2f} delay {delay:>3}: "
                    f"acc {final.accuracy:.3f} with {final.labels_received} labels (used {row['budget_used']:.3f}) "
                    f"{seconds:.1f}s",
                    flush=True,
                )
    summary = summarize(rows)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(
        json.dumps(
            {
                "benchmark": "stream-based selective sampling",
                "command": "python benchmarks/stream/run.py" + (" --quick" if args.quick else ""),
                "small_text": "small-text 1.4.1 has no stream-based learner: no side-by-side run",
                "protocol": {
                    "features": "HashingVectorizer(2**18, unigrams and bigrams, l2), stateless",
                    "stream": "the training split in a seeded random order, batches of 20",
                    "retraining": "ConfidenceEnhancedLinearSVC on all labels every 10 labels; or SGDClassifier "
                    "(log loss) updated with partial_fit every 10 labels",
                    "utility": "margin",
                    "evaluation": "the test split, every 500 documents and at the end",
                    "passive": "the same SVM on every label of the training split",
                },
                "versions": {
                    "activetext": activetext.__version__,
                    "scikit-learn": sklearn.__version__,
                    "python": platform.python_version(),
                },
                "seconds": time.time() - started,
                "passive": references,
                "summary": summary,
                "runs": rows,
                "curves": curves,
            },
            indent=1,
        )
        + "\n"
    )
    print_table(summary, references)


def summarize(rows: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        key = (row["dataset"], row["model"], row["budget"], row["label_delay"], row["manager"])
        groups.setdefault(key, []).append(row)
    summary = []
    for (dataset, model, budget, delay, manager), group in groups.items():
        summary.append(
            {
                "dataset": dataset,
                "model": model,
                "budget": budget,
                "label_delay": delay,
                "manager": manager,
                "runs": len(group),
                "accuracy": float(np.mean([r["accuracy"] for r in group])),
                "accuracy_std": float(np.std([r["accuracy"] for r in group])),
                "macro_f1": float(np.mean([r["macro_f1"] for r in group])),
                "labels": float(np.mean([r["labels"] for r in group])),
                "budget_used": float(np.mean([r["budget_used"] for r in group])),
                "documents_per_second": float(np.mean([r["documents_per_second"] for r in group])),
            }
        )
    return summary


def print_table(summary: list[dict], references: dict) -> None:
    print("\n| data set | model | budget | delay | manager | accuracy | macro F1 | labels | budget used | docs/s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in summary:
        print(
            f"| {row['dataset']} | {row['model']} | {row['budget']:.2f} | {row['label_delay']} | {row['manager']} | "
            f"{row['accuracy']:.3f} ± {row['accuracy_std']:.3f} | {row['macro_f1']:.3f} | {row['labels']:.0f} | "
            f"{row['budget_used']:.3f} | {row['documents_per_second']:.0f} |"
        )
    for name, reference in references.items():
        print(f"passive {name}: accuracy {reference['accuracy']:.3f} with {reference['labels']} labels")


if __name__ == "__main__":
    main()
