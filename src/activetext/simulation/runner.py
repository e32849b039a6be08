"""One simulated run: a learning curve for one data set, classifier, strategy and seed.

The true labels of the pool play the annotator. After the initial set and after every query the run records the
labels used, the test scores, the training and query times and the verdict of each stopping criterion.
:func:`execute_run` never raises: a run that fails returns its error and traceback, so one broken combination
does not stop the others.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from activetext.simulation.components import (
    CLASSIFIER_TYPES,
    STRATEGY_TYPES,
    StrategyContext,
    build_stopping_criterion,
)
from activetext.simulation.config import ComponentSpec, DatasetSpec

__all__ = ["RunResult", "RunSpec", "execute_run", "scores"]

PASSIVE = "passive"
"""The strategy name of passive baselines (trained on every training label)."""

StepCallback = Callable[[str, int], None]
"""Called with the run's key and the index of the step just recorded."""


@dataclass(frozen=True)
class RunSpec:
    """Everything that determines one run's learning curve.

    Attributes
    ----------
    dataset : DatasetSpec
    classifier : ComponentSpec
    strategy : ComponentSpec or None
        None for a passive baseline.
    seed : int
        Seeds the initial set, the strategy, the classifier and the stop set.
    initialization : str
    initial_size, batch_size, budget : int
    stopping_criteria : tuple of ComponentSpec
    stop_set_size : int
    cache_dir : str
        The folder of prepared features (not part of the key).
    """

    dataset: DatasetSpec
    classifier: ComponentSpec
    strategy: ComponentSpec | None
    seed: int
    initialization: str = "random"
    initial_size: int = 25
    batch_size: int = 25
    budget: int = 525
    stopping_criteria: tuple[ComponentSpec, ...] = ()
    stop_set_size: int = 1000
    cache_dir: str = field(default="", compare=False)

    @property
    def strategy_name(self) -> str:
        """The strategy's name in results (``"passive"`` for a baseline)."""
        return PASSIVE if self.strategy is None else self.strategy.name

    @property
    def total_steps(self) -> int:
        """Steps the run records when nothing stops it early."""
        if self.strategy is None:
            return 1
        return 1 + -(-(self.budget - self.initial_size) // self.batch_size)

    def to_json(self) -> dict[str, Any]:
        """The run's identity as JSON-ready data (what its key is computed from)."""
        identity = asdict(self)
        identity.pop("cache_dir")
        if self.strategy is None:
            for name in (
                "initialization",
                "initial_size",
                "batch_size",
                "budget",
                "stopping_criteria",
                "stop_set_size",
            ):
                identity.pop(name)
        return identity

    @property
    def key(self) -> str:
        """A stable identifier of the run: a digest of its configuration and seed."""
        text = json.dumps(self.to_json(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def describe(self) -> str:
        """A short human-readable name."""
        return f"{self.dataset.name} · {self.classifier.name} · {self.strategy_name} · seed {self.seed}"


@dataclass
class RunResult:
    """What a run produced: its rows of the tidy results table, or the error that stopped it."""

    key: str
    spec: RunSpec
    status: str
    rows: list[dict[str, Any]]
    seconds: float
    error: str | None = None
    host: str = field(default_factory=platform.node)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data, as stored in the results folder."""
        return {
            "key": self.key,
            "run": self.spec.to_json(),
            "status": self.status,
            "error": self.error,
            "seconds": self.seconds,
            "host": self.host,
            "rows": self.rows,
        }


def execute_run(spec: RunSpec, on_step: StepCallback | None = None, threads: int | None = 1) -> RunResult:
    """Run one simulation and return its rows; failures are returned, not raised.

    Parameters
    ----------
    spec : RunSpec
    on_step : callable, optional
        Called with ``(key, step)`` after each recorded step (for progress bars).
    threads : int or None
        Threads for numerical libraries in this run (None: leave them as they are).

    Returns
    -------
    RunResult
    """
    started = time.perf_counter()
    key = spec.key
    try:
        with warnings.catch_warnings(), _thread_limit(threads):
            warnings.simplefilter("ignore")
            rows = _simulate(spec, key, on_step)
    except Exception:  # a run that fails is recorded with its error and does not stop the others
        return RunResult(key, spec, "error", [], time.perf_counter() - started, error=traceback.format_exc())
    return RunResult(key, spec, "ok", rows, time.perf_counter() - started)


class _thread_limit:
    """Limit BLAS / OpenMP (and torch, when loaded) threads within a block."""

    def __init__(self, threads: int | None):
        self.threads = threads
        self._limiter: Any = None
        self._torch_threads: int | None = None

    def __enter__(self) -> None:
        if self.threads is None:
            return
        from threadpoolctl import threadpool_limits

        self._limiter = threadpool_limits(self.threads)
        torch = sys.modules.get("torch")
        if torch is not None:
            self._torch_threads = torch.get_num_threads()
            torch.set_num_threads(self.threads)

    def __exit__(self, *exc: object) -> None:
        if self._limiter is not None:
            self._limiter.unregister()
        if self._torch_threads is not None:
            sys.modules["torch"].set_num_threads(self._torch_threads)


def _simulate(spec: RunSpec, key: str, on_step: StepCallback | None) -> list[dict[str, Any]]:
    from activetext.active_learner import PoolBasedActiveLearner
    from activetext.query_strategies.embeddings import ClassifierEmbeddings, PrecomputedEmbeddings
    from activetext.simulation.data import load_prepared

    data = load_prepared(spec.dataset, spec.classifier, spec.cache_dir)
    train, test = data.train, data.test
    classifier_type = CLASSIFIER_TYPES[spec.classifier.type]
    factory = classifier_type.factory(spec.classifier.options, spec.seed)
    base_row = {
        "library": "activetext",
        "run_key": key,
        "dataset": spec.dataset.name,
        "classifier": spec.classifier.name,
        "strategy": spec.strategy_name,
        "initialization": spec.initialization if spec.strategy is not None else PASSIVE,
        "seed": spec.seed,
        "kind": "passive" if spec.strategy is None else "active",
        "multi_label": bool(train.is_multi_label),
    }

    if spec.strategy is None:
        started = time.perf_counter()
        clf = factory.new().fit(train)
        train_seconds = time.perf_counter() - started
        row = {**base_row, "step": 0, "labels": len(train), **scores(test, clf.predict(test))}
        row.update(train_seconds=train_seconds, query_seconds=0.0)
        if on_step is not None:
            on_step(key, 0)
        return [row]

    embeddings = PrecomputedEmbeddings(data.vectors) if data.vectors is not None else ClassifierEmbeddings()

    def build_base(entry: Any) -> Any:
        base = ComponentSpec.of(entry)
        return STRATEGY_TYPES[base.type].build(base.options, spec.seed, context)

    context = StrategyContext(embeddings, factory, build_base)
    strategy = STRATEGY_TYPES[spec.strategy.type].build(spec.strategy.options, spec.seed, context)
    learner = PoolBasedActiveLearner(factory, strategy, train)
    criteria = [
        (criterion.name, build_stopping_criterion(criterion.type, criterion.options, train.num_classes))
        for criterion in spec.stopping_criteria
    ]
    rng = np.random.default_rng(spec.seed)
    stop_set = np.sort(rng.choice(len(train), min(spec.stop_set_size, len(train)), replace=False))
    initial = _initial_indices(spec, train, data.vectors)

    rows: list[dict[str, Any]] = []

    def record(train_seconds: float, query_seconds: float) -> None:
        clf = learner.classifier
        row = {**base_row, "step": len(rows), "labels": int(learner.indices_labeled.size)}
        row.update(scores(test, clf.predict(test)), train_seconds=train_seconds, query_seconds=query_seconds)
        if criteria:
            stop_data = train[stop_set]
            predictions, proba = clf.predict(stop_data), clf.predict_proba(stop_data)
            for name, criterion in criteria:
                verdict = criterion.stop(active_learner=learner, predictions=predictions, proba=proba)
                row[f"stop:{name}"] = bool(verdict)
        rows.append(row)
        if on_step is not None:
            on_step(key, len(rows) - 1)

    started = time.perf_counter()
    learner.initialize_data(initial, train.y[initial])
    record(time.perf_counter() - started, 0.0)
    while learner.indices_labeled.size < spec.budget:
        batch = min(spec.batch_size, spec.budget - learner.indices_labeled.size, learner.indices_unlabeled.size)
        if batch == 0:
            break
        started = time.perf_counter()
        queried = learner.query(num_samples=batch)
        queried_at = time.perf_counter()
        learner.update(train.y[queried])  # the true labels stand in for the annotator
        record(time.perf_counter() - queried_at, queried_at - started)
    return rows


def _initial_indices(spec: RunSpec, train: Any, vectors: np.ndarray | None) -> np.ndarray:
    from activetext.initialization import (
        balanced_initialization,
        diverse_initialization,
        random_initialization,
        stratified_initialization,
    )

    if spec.initialization == "diverse":
        return diverse_initialization(vectors, spec.initial_size, seed=spec.seed)
    if spec.initialization == "random":
        return random_initialization(train, spec.initial_size, seed=spec.seed)
    if spec.initialization == "stratified":
        return stratified_initialization(train.y, spec.initial_size, seed=spec.seed)
    return balanced_initialization(train.y, spec.initial_size, seed=spec.seed)


def scores(test: Any, predicted: Any) -> dict[str, float]:
    """Accuracy (subset accuracy for multi-label data), macro and micro F1, and Hamming loss on the test set.

    Parameters
    ----------
    test : Dataset
        The test set, with its true labels.
    predicted : array-like or sparse indicator matrix
        The classifier's predictions for ``test``.

    Returns
    -------
    dict
        ``accuracy``, ``macro_f1``, ``micro_f1`` and ``hamming_loss``.
    """
    from sklearn.metrics import accuracy_score, f1_score, hamming_loss

    truth = test.y
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
        "micro_f1": float(f1_score(truth, predicted, average="micro", zero_division=0)),
        "hamming_loss": float(hamming_loss(truth, predicted)),
    }
