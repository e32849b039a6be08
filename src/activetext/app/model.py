"""One training round, run in a worker process so that the server keeps answering while it runs.

A round reads the project's texts from the database (and keeps their features between rounds), trains a fresh
classifier on the labels it is given with :class:`~activetext.active_learner.PoolBasedActiveLearner`, asks the
query strategy for the next documents, predicts the stop set, estimates accuracy by cross-validation on the
labels, and saves the model as a new version folder. It writes nothing to the database: the server commits the
result.

The features are those of the classifier chosen for the project:

* ``tfidf``: a TF-IDF matrix of every document (unigrams and bigrams, fitted on the pool) and
  :class:`~activetext.classifiers.ConfidenceEnhancedLinearSVC`;
* ``encoder``: the all-MiniLM-L6-v2 vectors of every document (encoded once, cached on disk) and a logistic
  regression head, the model of :class:`~activetext.classifiers.encoder.EncoderClassifier`.

A saved model folder holds ``manifest.json``, the features (``vectorizer.joblib`` or ``encoder/``) and the head
(``head/``); :func:`load_model` reads it back and predicts raw texts. The ``encoder`` layout is also readable by
``EncoderClassifier.load``.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from activetext.exceptions import CorruptSavedStateError, SavedStateNotFoundError

__all__ = ["ExportedModel", "RoundRequest", "RoundResult", "load_model", "run_round", "serve_rounds"]

MAX_CV_DOCUMENTS = 2000
"""Cross-validation estimates accuracy on at most this many labeled documents (a seeded sample)."""


@dataclass(frozen=True)
class RoundRequest:
    """What a training round needs; plain data, so that it crosses to the worker process cheaply."""

    database: str
    models_folder: str
    cache_folder: str
    classifier: str
    strategy: str
    seed: int
    version: int
    label_names: tuple[str, ...]
    document_count: int
    labeled: list[int]
    labels: list[int]
    excluded: list[int]
    n_query: int
    stop_set: list[int]


@dataclass
class RoundResult:
    """What a round produced: the queue, the suggestions, and (when a model was trained) the model version."""

    version: int | None
    folder: str | None
    queried: list[int]
    suggestions: list[int | None]
    confidences: list[float | None]
    stop_proba: np.ndarray | None = None
    accuracy: float | None = None
    accuracy_documents: int = 0
    train_seconds: float = 0.0
    query_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


# --- features, kept between rounds in the worker process ----------------------------------------------------

_FEATURES: dict[str, Any] = {}


def _features(request: RoundRequest) -> tuple[Any, Any]:
    """The feature matrix of every document and the featurizer (a fitted vectorizer, or the encoder)."""
    key = (request.database, request.classifier)
    cached = _FEATURES.get("key") == key and _FEATURES["count"] == request.document_count
    if cached:
        return _FEATURES["matrix"], _FEATURES["featurizer"]
    connection = sqlite3.connect(f"file:{request.database}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT text FROM documents WHERE id < ? ORDER BY id", (request.document_count,)
        ).fetchall()
    finally:
        connection.close()
    texts = [row[0] for row in rows]
    if request.classifier == "tfidf":
        from sklearn.feature_extraction.text import TfidfVectorizer

        featurizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=1, max_features=200_000)
        matrix = featurizer.fit_transform(texts).astype(np.float64).tocsr()
    else:
        from activetext.encoders import CachedEncoder, SentenceTransformerEncoder

        previous = _FEATURES.get("matrix") if _FEATURES.get("key") == key else None
        featurizer = _FEATURES.get("featurizer") if previous is not None else None
        if featurizer is None:
            featurizer = CachedEncoder(SentenceTransformerEncoder(device="cpu"), request.cache_folder)
            previous = None
        start = 0 if previous is None else previous.shape[0]
        fresh = featurizer.encode(texts[start:]).astype(np.float64)
        matrix = fresh if previous is None else np.vstack([previous, fresh])
    _FEATURES.update(key=key, count=request.document_count, matrix=matrix, featurizer=featurizer)
    return matrix, featurizer


def _head(classifier: str) -> Any:
    if classifier == "tfidf":
        from activetext.classifiers import ConfidenceEnhancedLinearSVC

        return ConfidenceEnhancedLinearSVC()
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000)


def _strategy(name: str, seed: int) -> Any:
    from activetext import query_strategies as qs

    if name == "breaking-ties":
        return qs.BreakingTies(seed=seed)
    if name == "least-confidence":
        return qs.LeastConfidence(seed=seed)
    if name == "prediction-entropy":
        return qs.PredictionEntropy(seed=seed)
    return qs.RandomSampling(seed=seed)


# --- the round -------------------------------------------------------------------------------------------------


def run_round(request: RoundRequest) -> RoundResult:
    """Train on the given labels, query the next documents and save the model (in the worker process).

    Before two classes have labels there is no model: the round queries at random (the cold start) and
    returns ``version=None``.
    """
    from activetext.active_learner import PoolBasedActiveLearner
    from activetext.classifiers.factories import SklearnClassifierFactory
    from activetext.data import SklearnDataset
    from activetext.query_strategies import RandomSampling

    matrix, featurizer = _features(request)
    num_classes = len(request.label_names)
    dataset = SklearnDataset(matrix, target_labels=np.arange(num_classes))
    labeled = np.asarray(request.labeled, dtype=np.int64)
    labels = np.asarray(request.labels, dtype=np.int64)
    excluded = np.setdiff1d(np.asarray(request.excluded, dtype=np.int64), labeled)
    trained = np.unique(labels).size >= 2
    factory = SklearnClassifierFactory(_head(request.classifier), num_classes=num_classes)
    cold_start = RandomSampling(seed=request.seed + labeled.size)
    strategy = _strategy(request.strategy, request.seed) if trained else cold_start
    learner = PoolBasedActiveLearner(factory, strategy, dataset)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if labeled.size:
            learner.initialize_data(labeled, labels, indices_ignored=excluded, retrain=trained)
        else:
            learner.initialize()
            for index in excluded:
                learner.ignore_sample_at(int(index))
        train_seconds = time.perf_counter() - started
        started = time.perf_counter()
        available = learner.indices_unlabeled.size
        n_query = min(request.n_query, available)
        queried = learner.query(num_samples=n_query) if n_query else np.empty(0, dtype=np.int64)
        query_seconds = time.perf_counter() - started
    result = RoundResult(None, None, queried.tolist(), [None] * len(queried), [None] * len(queried))
    result.train_seconds, result.query_seconds = train_seconds, query_seconds
    if not trained:
        return result
    classifier = learner.classifier
    if len(queried):
        proba = classifier.predict_proba(dataset[queried])
        result.suggestions = np.argmax(proba, axis=1).tolist()
        result.confidences = np.max(proba, axis=1).round(4).tolist()
    if request.stop_set:
        result.stop_proba = classifier.predict_proba(dataset[np.asarray(request.stop_set, dtype=np.int64)])
    accuracy = _cross_validated_accuracy(factory, dataset, labeled, labels, request.seed)
    result.accuracy, result.accuracy_documents = accuracy
    result.version = request.version
    result.folder = _save(request, classifier, featurizer, labeled.size)
    return result


def _cross_validated_accuracy(
    factory: Any, dataset: Any, labeled: np.ndarray, labels: np.ndarray, seed: int
) -> tuple[float | None, int]:
    """Stratified k-fold accuracy (k up to 5) on the labels, or None while a class has fewer than 2 labels."""
    from sklearn.model_selection import StratifiedKFold

    rng = np.random.default_rng(seed)
    if labeled.size > MAX_CV_DOCUMENTS:
        keep = np.sort(rng.choice(labeled.size, MAX_CV_DOCUMENTS, replace=False))
        labeled, labels = labeled[keep], labels[keep]
    _, counts = np.unique(labels, return_counts=True)
    folds = int(min(5, counts.min())) if counts.size >= 2 else 0
    if folds < 2:
        return None, 0
    correct = 0
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=int(rng.integers(2**31 - 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for train, test in splitter.split(labeled, labels):
            model = factory.new().fit(dataset[labeled[train]].with_labels(labels[train]))
            correct += int(np.sum(model.predict(dataset[labeled[test]]) == labels[test]))
    return round(correct / labeled.size, 4), int(labeled.size)


def _save(request: RoundRequest, classifier: Any, featurizer: Any, num_labels: int) -> str:
    """Write the model as ``v<version>`` in the models folder, complete or not at all (write, then rename)."""
    import joblib

    from activetext.encoders.base import save_encoder

    models = Path(request.models_folder)
    name = f"v{request.version:06d}"
    partial = models / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    if request.classifier == "tfidf":
        joblib.dump(featurizer, partial / "vectorizer.joblib")
    else:
        save_encoder(featurizer.encoder, partial / "encoder")
    classifier.save(partial / "head")
    manifest = {
        "format": "activetext-app-model",
        "format_version": 1,
        "version": request.version,
        "classifier": request.classifier,
        "label_names": list(request.label_names),
        "num_labels": num_labels,
        "created_at": time.time(),
    }
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    final = models / name
    shutil.rmtree(final, ignore_errors=True)
    os.replace(partial, final)
    return name


# --- the worker process ------------------------------------------------------------------------------------------


def serve_rounds(connection: Any, parent_pid: int) -> None:
    """The worker process's main loop: receive a :class:`RoundRequest`, send back ``("ok", RoundResult)`` or
    ``("error", traceback)``; exit when the pipe closes or the server process is gone (killed, crashed)."""
    import traceback

    from threadpoolctl import threadpool_limits

    _watch_parent(parent_pid)
    threadpool_limits(limits=1)  # leave the other cores to the server
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        try:
            reply = ("ok", run_round(request))
        except Exception:
            reply = ("error", traceback.format_exc())
        connection.send(reply)


def _watch_parent(parent_pid: int, interval: float = 0.5) -> None:
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval)
        os._exit(0)

    threading.Thread(target=watch, name="activetext-parent-watch", daemon=True).start()


# --- exported models --------------------------------------------------------------------------------------------


class ExportedModel:
    """A model saved by a training round, read back to predict labels of raw texts.

    Parameters
    ----------
    folder : str or pathlib.Path
        A model version folder (``models/v000003`` in a project) or an exported copy of one.

    Examples
    --------
    ``load_model("project/models/v000003").predict(["a text"])`` returns label names.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        path = self.folder / "manifest.json"
        if not path.is_file():
            raise SavedStateNotFoundError(f"{str(path)!r} does not exist; is {str(self.folder)!r} a model folder?")
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            raise CorruptSavedStateError(f"{str(path)!r} is not valid JSON: {error}") from error
        if manifest.get("format") != "activetext-app-model":
            raise CorruptSavedStateError(f"{str(path)!r} does not describe an activetext app model")
        self.manifest = manifest
        self.label_names: tuple[str, ...] = tuple(manifest["label_names"])
        self.classifier_kind: str = manifest["classifier"]
        from activetext.classifiers import SklearnClassifier

        self.head = SklearnClassifier.load(self.folder / "head")
        if self.classifier_kind == "tfidf":
            from sklearn.feature_extraction.text import TfidfVectorizer

            from activetext.utils.io import load_joblib

            self.featurizer = load_joblib(self.folder / "vectorizer.joblib", TfidfVectorizer)
        else:
            from activetext.encoders.base import load_encoder

            self.featurizer = load_encoder(self.folder / "encoder")

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Class probabilities, one row per text, columns in the order of :attr:`label_names`."""
        from activetext.data import SklearnDataset

        if self.classifier_kind == "tfidf":
            features = self.featurizer.transform(list(texts)).astype(np.float64).tocsr()
        else:
            features = self.featurizer.encode(list(texts)).astype(np.float64)
        return self.head.predict_proba(SklearnDataset(features, target_labels=np.arange(len(self.label_names))))

    def predict(self, texts: list[str]) -> list[str]:
        """The most probable label name of each text."""
        return [self.label_names[index] for index in np.argmax(self.predict_proba(texts), axis=1)]


def load_model(folder: str | Path) -> ExportedModel:
    """Read a model folder written by the app (see :class:`ExportedModel`)."""
    return ExportedModel(folder)
