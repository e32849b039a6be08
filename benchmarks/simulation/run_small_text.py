"""The simulation protocol of an activetext configuration, run on small-text 1.4.1.

Runs in small-text's own environment (``benchmarks/.venv-small-text``) and never imports activetext. It reads
activetext's TOML configuration and the features activetext prepared for it (``<results>/cache/*.npz``), and runs
small-text's ``PoolBasedActiveLearner`` with the same protocol: the same pool, test set and features, the same
initial labels, batch size, budget and seeds, and small-text's own classifier and query strategies. It writes one
row per step in activetext's tidy results schema (``library`` = ``"small-text"``), so that
``activetext report <activetext results> <this CSV>`` puts both libraries side by side.

    benchmarks/.venv-small-text/bin/python benchmarks/simulation/run_small_text.py \\
        --config configs/literature-tfidf.toml \\
        --cache benchmarks/.work/simulation/literature-tfidf/cache \\
        --output benchmarks/.work/simulation/literature-tfidf/small-text.csv --workers 2

Strategies of the configuration that small-text 1.4.1 lacks are skipped with a note; random sampling is always
run (it is the reference of the labels-saved table). Runs already in the output CSV are skipped (resume); a run
that raises is printed, written to ``<output>.failures.json`` and does not stop the others.
"""

from __future__ import annotations

import os

# one BLAS / OpenMP thread per worker process, set before numpy is imported (threadpoolctl enforces it again)
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import functools  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402
from dataclasses import asdict, dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the small-text venv runs Python 3.11
    import tomli as tomllib

LIBRARY = "small-text"
LIBRARY_ALIGNED = "small-text-aligned"
"""The ``library`` of rows written with ``--align-classes`` (not small-text's own behaviour, so another name)."""

COLUMNS = (
    "library",
    "run_key",
    "dataset",
    "classifier",
    "strategy",
    "initialization",
    "seed",
    "kind",
    "multi_label",
    "step",
    "labels",
    "accuracy",
    "macro_f1",
    "micro_f1",
    "hamming_loss",
    "train_seconds",
    "query_seconds",
)
"""activetext's tidy results columns (``activetext.simulation.store.COLUMNS``); ``stop:<name>`` columns follow."""

STRATEGIES = {
    "random": "RandomSampling",
    "least-confidence": "LeastConfidence",
    "prediction-entropy": "PredictionEntropy",
    "breaking-ties": "BreakingTies",
    "greedy-coreset": "GreedyCoreset",
    "lightweight-coreset": "LightweightCoreset",
    "embedding-kmeans": "EmbeddingKMeans",
    "contrastive-active-learning": "ContrastiveActiveLearning",
    "cvirs": "CategoryVectorInconsistencyAndRanking",
}
"""activetext's strategy type -> the small-text 1.4.1 class of the same method."""

EMBEDDINGS_ARGUMENT = frozenset({"greedy-coreset", "lightweight-coreset", "embedding-kmeans"})
"""Strategies that get the prepared vectors through ``query_strategy_kwargs={"embeddings": ...}``."""

EMBEDDINGS_FROM_CLASSIFIER = frozenset({"contrastive-active-learning"})
"""Strategies that ignore an ``embeddings`` argument in small-text 1.4.1 and call ``clf.embed(...,
return_proba=True)``: the classifier returns the prepared vectors of the rows it is given."""

MULTI_LABEL_ONLY = frozenset({"cvirs"})
SINGLE_LABEL_ONLY = frozenset(
    {"least-confidence", "prediction-entropy", "breaking-ties", "contrastive-active-learning"}
)

STOPPING_CRITERIA = {
    "kappa-average": "KappaAverage",
    "classification-change": "ClassificationChange",
    "overall-uncertainty": "OverallUncertainty",
    "delta-f-score": "DeltaFScore",
}
"""activetext's stopping-criterion type -> the small-text 1.4.1 class (all take ``num_classes``)."""

FEATURE_OPTIONS = ("vectorizer", "model", "encode_batch_size")
"""Options of a classifier entry that shape activetext's features, not the estimator."""

CLASSIFIERS = {"tfidf-linear-svc": "tfidf", "tfidf-logistic-regression": "tfidf", "frozen-encoder": "encoder"}
"""The classifier types small-text can run on activetext's prepared features -> the feature kind of the file."""


# --- the configuration ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Component:
    name: str
    type: str
    options: dict[str, Any] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.name, self.type, json.dumps(self.options, sort_keys=True, default=str)))


@dataclass(frozen=True)
class Protocol:
    seeds: tuple[int, ...]
    initial_size: int
    batch_size: int
    budget: int
    initialization: str
    stop_set_size: int


@dataclass(frozen=True)
class Job:
    """One learning curve: a data set, a classifier, a strategy and a seed."""

    dataset: str
    features: str
    classifier: Component
    strategy: Component
    seed: int
    protocol: Protocol
    criteria: tuple[Component, ...]
    stop_columns: tuple[str, ...]
    align_classes: bool

    @property
    def library(self) -> str:
        return LIBRARY_ALIGNED if self.align_classes else LIBRARY

    @property
    def key(self) -> str:
        identity = {
            "library": self.library,
            "dataset": self.dataset,
            "features": Path(self.features).name,
            "classifier": asdict(self.classifier),
            "strategy": asdict(self.strategy),
            "seed": self.seed,
            "protocol": {k: v for k, v in asdict(self.protocol).items() if k != "seeds"},
            "stopping_criteria": [asdict(criterion) for criterion in self.criteria],
            "align_classes": self.align_classes,
        }
        text = json.dumps(identity, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def describe(self) -> str:
        return f"{self.dataset} · {self.classifier.name} · {self.strategy.name} · seed {self.seed}"


def _component(entry: Any, key: str) -> Component:
    if isinstance(entry, str):
        return Component(entry, entry)
    if not isinstance(entry, dict) or "type" not in entry:
        raise SystemExit(f"{key}: expected a type name or a table with a type key, got {entry!r}")
    options = {k: v for k, v in entry.items() if k not in ("type", "name")}
    return Component(str(entry.get("name", entry["type"])), str(entry["type"]), options)


def read_config(path: Path) -> tuple[dict[str, Any], Protocol]:
    """Read the parts of an activetext simulation configuration this runner needs (activetext's defaults)."""
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    seeds = document.get("seeds", 5)
    seeds = tuple(range(seeds)) if isinstance(seeds, int) else tuple(int(s) for s in seeds)
    initial_size = int(document.get("initial_size", 25))
    batch_size = int(document.get("batch_size", 25))
    if "budget" in document:
        budget = int(document["budget"])
    else:
        budget = initial_size + batch_size * int(document.get("iterations", 20))
    protocol = Protocol(
        seeds=seeds,
        initial_size=initial_size,
        batch_size=batch_size,
        budget=budget,
        initialization=str(document.get("initialization", "random")),
        stop_set_size=int(document.get("stop_set_size", 1000)),
    )
    config = {
        "name": document.get("name", path.stem),
        "datasets": [entry["name"] for entry in document["datasets"]],
        "classifiers": [
            _component(entry, f"classifiers[{i}]")
            for i, entry in enumerate(document.get("classifiers", [{"type": "tfidf-linear-svc"}]))
        ],
        "strategies": [
            _component(entry, f"strategies[{i}]")
            for i, entry in enumerate(document.get("strategies", ["random", "breaking-ties"]))
        ],
        "stopping_criteria": [
            _component(entry, f"stopping_criteria[{i}]")
            for i, entry in enumerate(document.get("stopping_criteria", []))
        ],
    }
    # activetext adds random sampling (named "random") when the configuration lacks it
    if not any(spec.type == "random" and not spec.options for spec in config["strategies"]):
        config["strategies"].insert(0, Component("random", "random"))
    return config, protocol


def find_features(cache: Path, dataset: str, classifier: Component) -> Path:
    """The one prepared feature file of ``dataset`` for a classifier entry; a clear error otherwise."""
    kind = CLASSIFIERS[classifier.type]
    matches = sorted(cache.glob(f"{dataset}-{kind}-*.npz"))
    matches = [path for path in matches if not path.name.endswith(".partial.npz")]
    if len(matches) != 1:
        found = ", ".join(path.name for path in matches) or "none"
        raise SystemExit(
            f"{cache}: expected exactly one {dataset}-{kind}-*.npz for classifier {classifier.name!r} "
            f"({classifier.type}), found {found}. Run activetext's simulation of this configuration first (it "
            "prepares the features); with several configurations of one data set in the same folder, give the "
            "cache of a results folder of this configuration only."
        )
    return matches[0]


def plan(
    config: dict[str, Any], protocol: Protocol, cache: Path, align_classes: bool, datasets: list[str] | None = None
) -> tuple[list[Job], list[str]]:
    """Expand the grid of runs small-text can do; return them and the notes on what is left out."""
    notes: list[str] = []
    if protocol.initialization != "random":
        raise SystemExit(
            f"initialization {protocol.initialization!r}: this runner reproduces activetext's random initialization "
            "only"
        )
    strategies = []
    for spec in config["strategies"]:
        if spec.type not in STRATEGIES:
            notes.append(f"strategy {spec.name!r} ({spec.type}): not in small-text 1.4.1, skipped")
            continue
        if spec.options:
            notes.append(
                f"strategy {spec.name!r}: its activetext options {spec.options} are not translated; small-text's "
                "defaults are used"
            )
        strategies.append(spec)
    criteria = []
    for spec in config["stopping_criteria"]:
        if spec.type not in STOPPING_CRITERIA:
            notes.append(f"stopping criterion {spec.name!r} ({spec.type}): not in small-text 1.4.1, skipped")
            continue
        criteria.append(spec)
    stop_columns = tuple(sorted(f"stop:{spec.name}" for spec in criteria))
    jobs = []
    for classifier in config["classifiers"]:
        if classifier.type not in CLASSIFIERS:
            notes.append(
                f"classifier {classifier.name!r} ({classifier.type}): small-text cannot run it on activetext's "
                "prepared features, skipped"
            )
            continue
        for dataset in config["datasets"]:
            if datasets is not None and dataset not in datasets:
                continue
            features = find_features(cache, dataset, classifier)
            multi_label = _is_multi_label(features)
            for strategy in strategies:
                if (multi_label and strategy.type in SINGLE_LABEL_ONLY) or (
                    not multi_label and strategy.type in MULTI_LABEL_ONLY
                ):
                    notes.append(
                        f"{dataset}: strategy {strategy.name!r} does not apply to "
                        f"{'multi' if multi_label else 'single'}-label data, skipped"
                    )
                    continue
                for seed in protocol.seeds:
                    jobs.append(
                        Job(
                            dataset=dataset,
                            features=str(features),
                            classifier=classifier,
                            strategy=strategy,
                            seed=seed,
                            protocol=protocol,
                            criteria=tuple(criteria),
                            stop_columns=stop_columns,
                            align_classes=align_classes,
                        )
                    )
    return jobs, notes


# --- data -----------------------------------------------------------------------------------------------------


def _is_multi_label(path: Path) -> bool:
    with np.load(path) as arrays:
        return "y_train_data" in arrays.files


def _matrix(arrays: Any, prefix: str) -> Any:
    if prefix in arrays.files:
        return arrays[prefix]
    return sp.csr_matrix(
        (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]),
        shape=tuple(int(v) for v in arrays[f"{prefix}_shape"]),
    )


@dataclass(frozen=True)
class Prepared:
    x_train: Any
    x_test: Any
    y_train: Any
    y_test: Any
    vectors: np.ndarray
    num_classes: int
    multi_label: bool


@functools.lru_cache(maxsize=2)
def load_features(path: str) -> Prepared:
    """The arrays activetext prepared (``activetext.simulation.data.prepare_features``), cached per process."""
    with np.load(path) as arrays:
        missing = [name for name in ("num_classes",) if name not in arrays.files]
        if missing or not any(name.startswith("y_train") for name in arrays.files):
            raise ValueError(
                f"{path} holds no labels (y_train, y_test, num_classes); it was written by an older activetext: "
                "delete it and run activetext's simulation again"
            )
        y_train = _matrix(arrays, "y_train")
        return Prepared(
            x_train=_matrix(arrays, "x_train"),
            x_test=_matrix(arrays, "x_test"),
            y_train=sp.csr_matrix(y_train, dtype=np.int64) if sp.issparse(y_train) else np.asarray(y_train, np.int64),
            y_test=_matrix(arrays, "y_test"),
            vectors=np.asarray(arrays["vectors"]),
            num_classes=int(arrays["num_classes"]),
            multi_label=sp.issparse(y_train),
        )


# --- small-text components ------------------------------------------------------------------------------------


def _pool_rows(dataset: Any, pool: Any) -> np.ndarray:
    """The pool rows of a small-text dataset that is the pool or a (nested) view of it."""
    from small_text.data.datasets import SklearnDatasetView

    if dataset is pool:
        return np.arange(len(pool))
    if isinstance(dataset, SklearnDatasetView):
        return _pool_rows(dataset.dataset, pool)[dataset.selection]
    raise ValueError("embed() needs the pool or a view of it, got another dataset")


def make_factory(job: Job, data: Prepared, pool: Any) -> Any:
    """small-text's ``SklearnClassifierFactory`` for the job's classifier entry.

    Its classifiers are small-text's ``SklearnClassifier`` plus an ``embed`` method that returns the prepared
    vectors of the pool rows it is given (and the class probabilities with ``return_proba=True``), the interface
    small-text's embedding strategies call. With ``align_classes`` their probabilities get one column per class of
    the data set (0 for classes not yet labeled); small-text 1.4.1 leaves only the columns of the classes seen in
    training, so its predicted class indices are wrong until every class is labeled.
    """
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from small_text.classifiers import ConfidenceEnhancedLinearSVC, SklearnClassifier, SklearnClassifierFactory
    from small_text.utils.classification import prediction_result

    options = {k: v for k, v in job.classifier.options.items() if k not in FEATURE_OPTIONS}
    if job.classifier.type == "tfidf-linear-svc":
        estimator = ConfidenceEnhancedLinearSVC(linearsvc_kwargs={"random_state": job.seed, **options})
    else:
        estimator = LogisticRegression(**{"max_iter": 1000, **options, "random_state": job.seed})

    vectors, align = data.vectors, job.align_classes

    class PrecomputedEmbeddingClassifier(SklearnClassifier):
        def embed(self, data_set: Any, return_proba: bool = False, pbar: Any = None, **kwargs: Any) -> Any:
            embeddings = vectors[_pool_rows(data_set, pool)]
            if return_proba:
                return embeddings, self.predict_proba(data_set)
            return embeddings

        def predict_proba(self, data_set: Any) -> Any:
            proba = super().predict_proba(data_set)
            if not align or self.multi_label or len(data_set) == 0:
                return proba
            full = np.zeros((proba.shape[0], self.num_classes), dtype=proba.dtype)
            full[:, np.asarray(self.model.classes_, dtype=np.int64)] = proba
            return full

        def predict(self, data_set: Any, return_proba: bool = False) -> Any:
            if not align or self.multi_label or len(data_set) == 0:
                return super().predict(data_set, return_proba=return_proba)
            return prediction_result(self.predict_proba(data_set), False, self.num_classes, return_proba=return_proba)

    class Factory(SklearnClassifierFactory):
        def new(self) -> Any:
            return PrecomputedEmbeddingClassifier(clone(self.base_estimator), self.num_classes, **self.kwargs)

    return Factory(estimator, data.num_classes, kwargs={"multi_label": data.multi_label})


def make_strategy(job: Job) -> Any:
    import small_text.query_strategies as qs

    strategy_class = getattr(qs, STRATEGIES[job.strategy.type])
    if job.strategy.type in ("contrastive-active-learning", "cvirs"):
        return strategy_class(pbar=None)
    return strategy_class()


def _fast_overall_uncertainty() -> type:
    """small-text's ``OverallUncertainty`` with its per-row ``scipy.stats.entropy`` loop vectorized.

    The same arithmetic (each row normalized to sum 1, ``sum(entr(p))``, divided by ``log(num_classes)``, mean,
    compared with ``<``): only faster. In small-text 1.4.1 the loop takes about 0.3 s per call on a 1,000-document
    stop set, most of a TF-IDF run's wall time; criteria are bookkeeping here, outside the timed regions.
    """
    from scipy.special import entr
    from small_text.stopping_criteria import OverallUncertainty

    class FastOverallUncertainty(OverallUncertainty):
        def stop(self, active_learner=None, predictions=None, proba=None, indices_stopping=None):
            if indices_stopping is None:
                raise ValueError("indices_stopping must not be None")
            rows = np.asarray(proba, dtype=np.float64)[indices_stopping]
            rows = rows / rows.sum(axis=1, keepdims=True)
            normalized = entr(rows).sum(axis=1) / np.log(self.num_classes)
            return bool(np.mean(normalized) < self.threshold)

    return FastOverallUncertainty


def make_criteria(job: Job, data: Prepared) -> tuple[list[tuple[str, Any]], list[str]]:
    import small_text.stopping_criteria as criteria

    built, notes = [], []
    for spec in job.criteria:
        if spec.type == "overall-uncertainty":
            criterion_class = _fast_overall_uncertainty()
        else:
            criterion_class = getattr(criteria, STOPPING_CRITERIA[spec.type])
        if data.multi_label:
            notes.append(f"stop:{spec.name}: small-text 1.4.1's criteria take single-label predictions; not recorded")
            continue
        try:
            built.append((spec.name, criterion_class(data.num_classes, **spec.options)))
        except ValueError as error:  # DeltaFScore is binary-only in small-text 1.4.1
            notes.append(f"stop:{spec.name}: {error}; not recorded for {job.dataset}")
    return built, notes


# --- one run --------------------------------------------------------------------------------------------------


def scores(y_true: Any, predicted: Any) -> dict[str, float]:
    """activetext's test scores: accuracy (subset accuracy for multi-label), macro/micro F1, Hamming loss."""
    from sklearn.metrics import accuracy_score, f1_score, hamming_loss

    return {
        "accuracy": float(accuracy_score(y_true, predicted)),
        "macro_f1": float(f1_score(y_true, predicted, average="macro", zero_division=0)),
        "micro_f1": float(f1_score(y_true, predicted, average="micro", zero_division=0)),
        "hamming_loss": float(hamming_loss(y_true, predicted)),
    }


def run(job: Job) -> dict[str, Any]:
    """Run one learning curve; return its rows, or its error (never raises)."""
    from threadpoolctl import threadpool_limits

    started = time.perf_counter()
    try:
        with threadpool_limits(1), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows, notes = _simulate(job)
    except Exception:  # a failed run is reported and does not stop the others
        return {
            "key": job.key,
            "job": job.describe(),
            "status": "error",
            "error": traceback.format_exc(),
            "seconds": time.perf_counter() - started,
        }
    return {
        "key": job.key,
        "job": job.describe(),
        "status": "ok",
        "rows": rows,
        "notes": notes,
        "seconds": time.perf_counter() - started,
    }


def _simulate(job: Job) -> tuple[list[dict[str, Any]], list[str]]:
    from small_text import PoolBasedActiveLearner, SklearnDataset

    data = load_features(job.features)
    protocol = job.protocol
    target_labels = np.arange(data.num_classes)
    train = SklearnDataset(data.x_train, data.y_train, target_labels=target_labels)
    test = SklearnDataset(data.x_test, data.y_test, target_labels=target_labels)
    n_pool = data.x_train.shape[0]

    # small-text's strategies and LinearSVC take no generator: they draw from numpy's global RNG
    np.random.seed(job.seed)  # noqa: NPY002
    factory = make_factory(job, data, train)
    strategy = make_strategy(job)
    learner = PoolBasedActiveLearner(factory, strategy, train)
    criteria, notes = make_criteria(job, data)

    # the same draws as activetext's runner: a fresh generator for the stop set, another for the initial set
    stop_set = np.sort(
        np.random.default_rng(job.seed).choice(n_pool, min(protocol.stop_set_size, n_pool), replace=False)
    )
    initial = np.sort(np.random.default_rng(job.seed).choice(n_pool, protocol.initial_size, replace=False)).astype(
        np.int64
    )
    stop_data = train[stop_set]
    stop_indices = np.arange(stop_set.size)

    base_row = {
        "library": job.library,
        "run_key": job.key,
        "dataset": job.dataset,
        "classifier": job.classifier.name,
        "strategy": job.strategy.name,
        "initialization": protocol.initialization,
        "seed": job.seed,
        "kind": "active",
        "multi_label": data.multi_label,
    }
    rows: list[dict[str, Any]] = []

    def record(train_seconds: float, query_seconds: float) -> None:
        clf = learner.classifier
        row = {**base_row, "step": len(rows), "labels": int(learner.indices_labeled.size)}
        row.update(scores(data.y_test, clf.predict(test)), train_seconds=train_seconds, query_seconds=query_seconds)
        if criteria:
            predictions, proba = clf.predict(stop_data), clf.predict_proba(stop_data)
            for name, criterion in criteria:
                verdict = criterion.stop(
                    active_learner=learner, predictions=predictions, proba=proba, indices_stopping=stop_indices
                )
                row[f"stop:{name}"] = bool(verdict)
        rows.append(row)

    def labels_of(indices: np.ndarray) -> Any:
        return data.y_train[indices]

    started = time.perf_counter()
    learner.initialize_data(initial, labels_of(initial))
    record(time.perf_counter() - started, 0.0)
    while learner.indices_labeled.size < protocol.budget:
        unlabeled = np.setdiff1d(np.arange(n_pool), np.concatenate([learner.indices_labeled, learner.indices_ignored]))
        batch = min(protocol.batch_size, protocol.budget - learner.indices_labeled.size, unlabeled.size)
        if batch == 0:
            break
        started = time.perf_counter()
        kwargs = {}
        if job.strategy.type in EMBEDDINGS_ARGUMENT:
            # small-text indexes these embeddings like the subset it builds: the unlabeled rows (ascending, as the
            # learner passes them), then the labeled rows in the learner's order
            kwargs = {"embeddings": data.vectors[np.concatenate([unlabeled, learner.indices_labeled])]}
        queried = learner.query(num_samples=batch, query_strategy_kwargs=kwargs)
        queried_at = time.perf_counter()
        learner.update(labels_of(queried))  # the true labels stand in for the annotator
        record(time.perf_counter() - queried_at, queried_at - started)
    return rows, notes


# --- the table ------------------------------------------------------------------------------------------------


def read_done(output: Path, header: list[str]) -> set[str]:
    """The run keys already in the output CSV (whose header must be ``header``)."""
    if not output.exists() or output.stat().st_size == 0:
        return set()
    with output.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != header:
            raise SystemExit(
                f"{output} has the columns {reader.fieldnames}, expected {header}: it was written for another "
                "configuration; give another --output or delete it"
            )
        return {row["run_key"] for row in reader}


def write_metadata(
    args: argparse.Namespace,
    config: dict[str, Any],
    protocol: Protocol,
    jobs: list[Job],
    notes: list[str],
    failed: int,
) -> Path:
    """Write ``<output>.metadata.json``: versions, protocol, what ran and what was left out."""
    import platform
    from datetime import datetime, timezone
    from importlib.metadata import version

    versions = {"python": platform.python_version()}
    for package in ("small-text", "numpy", "scipy", "scikit-learn", "threadpoolctl"):
        try:
            versions[package] = version(package)
        except Exception:  # a missing package is reported as such
            versions[package] = None
    metadata = {
        "library": LIBRARY_ALIGNED if args.align_classes else LIBRARY,
        "written_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": str(args.config),
        "config_name": config["name"],
        "cache": str(args.cache),
        "protocol": asdict(protocol),
        "align_classes": args.align_classes,
        "workers": args.workers,
        "versions": versions,
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "cpus": os.cpu_count()},
        "strategies": sorted({job.strategy.name for job in jobs}),
        "datasets": sorted({job.dataset for job in jobs}),
        "features": sorted({Path(job.features).name for job in jobs}),
        "runs": len(jobs),
        "failed_last_call": failed,
        "notes": list(dict.fromkeys(notes)),
    }
    path = args.output.with_name(args.output.name + ".metadata.json")
    path.write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    return path


def _worker_init() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, type=Path, help="activetext simulation configuration (TOML)")
    parser.add_argument("--cache", required=True, type=Path, help="the cache/ folder of activetext's results")
    parser.add_argument("--output", required=True, type=Path, help="the CSV to write (appended to; resumes)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument(
        "--align-classes",
        action="store_true",
        help="give the classifier's probabilities one column per class even before every class is labeled "
        "(small-text 1.4.1 does not; see make_factory); rows get library 'small-text-aligned'",
    )
    parser.add_argument(
        "--datasets", nargs="+", default=None, help="run only these data sets of the configuration (by name)"
    )
    parser.add_argument("--limit", type=int, default=None, help="run at most this many pending runs (testing)")
    args = parser.parse_args(argv)

    from small_text.version import __version__ as small_text_version

    config, protocol = read_config(args.config)
    unknown = sorted(set(args.datasets or ()) - set(config["datasets"]))
    if unknown:
        raise SystemExit(f"--datasets: {unknown} are not data sets of {args.config} ({config['datasets']})")
    jobs, notes = plan(config, protocol, args.cache, args.align_classes, args.datasets)
    for note in dict.fromkeys(notes):
        print(f"note: {note}", flush=True)
    stop_columns = list(jobs[0].stop_columns) if jobs else []
    header = [*COLUMNS, *stop_columns]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    done = read_done(args.output, header)
    pending = [job for job in jobs if job.key not in done]
    if args.limit is not None:
        pending = pending[: args.limit]
    print(
        f"small-text {small_text_version}: "
        f"{len(jobs)} runs, {len(jobs) - len(pending)} done before, {len(pending)} to run on {args.workers} worker(s)",
        flush=True,
    )

    failures_path = args.output.with_name(args.output.name + ".failures.json")
    failures: list[dict[str, Any]] = []
    run_notes: set[str] = set()
    new_file = not args.output.exists() or args.output.stat().st_size == 0
    started = time.perf_counter()
    with args.output.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, restval="")
        if new_file:
            writer.writeheader()
            handle.flush()
        if args.workers > 1 and len(pending) > 1:
            context = multiprocessing.get_context("fork")
            pool = context.Pool(args.workers, initializer=_worker_init, maxtasksperchild=50)
            results = pool.imap_unordered(run, pending)
        else:
            pool, results = None, map(run, pending)
        try:
            for count, result in enumerate(results, start=1):
                elapsed = time.perf_counter() - started
                if result["status"] == "ok":
                    writer.writerows(result["rows"])
                    handle.flush()
                    run_notes.update(result["notes"])
                    final = result["rows"][-1]
                    print(
                        f"[{count}/{len(pending)} {elapsed:7.0f}s] {result['job']}: {result['seconds']:.1f}s, "
                        f"accuracy {final['accuracy']:.3f} at {final['labels']} labels",
                        flush=True,
                    )
                else:
                    failures.append({"run_key": result["key"], "run": result["job"], "error": result["error"]})
                    print(
                        f"[{count}/{len(pending)} {elapsed:7.0f}s] {result['job']}: FAILED\n{result['error']}",
                        flush=True,
                    )
                    failures_path.write_text(json.dumps(failures, indent=2) + "\n", encoding="utf-8")
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
    for note in sorted(run_notes):
        print(f"note: {note}", flush=True)
    failures_path.write_text(json.dumps(failures, indent=2) + "\n", encoding="utf-8")
    write_metadata(args, config, protocol, jobs, notes + sorted(run_notes), len(failures))
    print(
        f"{len(pending) - len(failures)} runs written to {args.output}; {len(failures)} failed"
        + (f" (see {failures_path})" if failures else ""),
        flush=True,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
