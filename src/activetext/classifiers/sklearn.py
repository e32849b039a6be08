"""scikit-learn classifiers behind the activetext classifier contract."""

from __future__ import annotations

import copy
import enum
import warnings
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
import sklearn
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.dummy import DummyClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC
from sklearn.utils.validation import has_fit_parameter

from activetext.classifiers.base import Classifier, check_training_data, rows_of
from activetext.data.datasets import Dataset, SklearnDataset, TextDataset
from activetext.exceptions import EmptyTextError, InvalidArgumentError, LabelShapeError, MissingCapabilityError
from activetext.utils.chunking import DEFAULT_CHUNK_SIZE
from activetext.utils.io import load_joblib
from activetext.utils.validation import check_positive_int

__all__ = [
    "ConfidenceEnhancedLinearSVC",
    "ProbabilityCalibration",
    "SklearnClassifier",
    "scores_to_probabilities",
]

_MODEL_FILE = "model.joblib"


def scores_to_probabilities(scores: np.ndarray) -> np.ndarray:
    """Turn decision scores into probabilities: a logistic sigmoid for binary, a softmax for multi-class.

    Parameters
    ----------
    scores : numpy.ndarray
        ``decision_function`` output: shape ``(n,)`` for a binary model (the positive class's margin) or
        ``(n, C)``.

    Returns
    -------
    numpy.ndarray of shape (n, 2) or (n, C)
        Rows sum to one; the ranking of classes within a row equals the ranking of the scores.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 1:
        positive = expit(scores)
        return np.column_stack([1.0 - positive, positive])
    return softmax(scores, axis=1)


class ConfidenceEnhancedLinearSVC(LinearSVC):
    """A :class:`sklearn.svm.LinearSVC` that also offers ``predict_proba``.

    Probabilities are the logistic sigmoid (binary) or softmax (multi-class) of the SVM margins: cheap, with the
    same ranking as the margins, which is what uncertainty sampling needs. They are not calibrated; wrap the
    plain ``LinearSVC`` with ``ProbabilityCalibration.PLATT`` when calibrated values matter.

    All constructor parameters are those of ``LinearSVC``.
    """

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return class probabilities of shape ``(n_samples, n_classes)`` derived from the margins."""
        return scores_to_probabilities(self.decision_function(X))


class ProbabilityCalibration(enum.Enum):
    """How :class:`SklearnClassifier` obtains probabilities from a model that has only ``decision_function``."""

    SCALED = "scaled"
    """Sigmoid / softmax of the decision scores: no extra fitting, the ranking of the scores is kept."""

    PLATT = "platt"
    """Platt scaling fitted by cross-validation (``CalibratedClassifierCV``); falls back to SCALED while a class
    has fewer than two labeled documents."""


class SklearnClassifier(Classifier):
    """Any scikit-learn classifier (or pipeline) behind the activetext classifier contract.

    Parameters
    ----------
    estimator : sklearn estimator
        A classifier template; it is cloned at each ``fit``, unless it sets ``warm_start=True``, in which case the
        fitted model is refitted in place. Pipelines that vectorize raw texts work with :class:`TextDataset`.
    num_classes : int, optional
        The size of the label set; by default it is taken from the training dataset.
    class_weight : "balanced", dict or None
        Per-class weights multiplied into the sample weights: ``"balanced"`` weighs each class inversely to its
        frequency in the training set; a dict maps class index to weight.
    calibration : ProbabilityCalibration
        How probabilities are obtained when the estimator lacks ``predict_proba``.
    chunk_size : int
        Rows predicted at a time.
    accepts_empty_texts : bool, optional
        Set it to False when the estimator cannot learn from empty texts; ``fit`` then refuses them with
        :class:`~activetext.exceptions.EmptyTextError` naming the rows. By default the class attribute decides
        (True for this class).

    Notes
    -----
    While the training set holds a single class, a constant model predicts that class (with a warning): a fresh
    pool with a handful of labels can then be used at once. Multi-label data is handled one-vs-rest, one clone of
    the estimator per label; a label that is always (or never) present gets a constant probability.
    """

    def __init__(
        self,
        estimator: BaseEstimator,
        num_classes: int | None = None,
        *,
        class_weight: str | dict[int, float] | None = None,
        calibration: ProbabilityCalibration = ProbabilityCalibration.SCALED,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        accepts_empty_texts: bool | None = None,
    ):
        if not hasattr(estimator, "fit") or not hasattr(estimator, "get_params"):
            raise InvalidArgumentError(f"estimator must be a scikit-learn estimator, got {estimator!r}")
        if not isinstance(calibration, ProbabilityCalibration):
            raise InvalidArgumentError(f"calibration must be a ProbabilityCalibration, got {calibration!r}")
        if class_weight is not None and class_weight != "balanced" and not isinstance(class_weight, dict):
            raise InvalidArgumentError(f"class_weight must be None, 'balanced' or a dict, got {class_weight!r}")
        if num_classes is not None and (not isinstance(num_classes, (int, np.integer)) or num_classes < 1):
            raise InvalidArgumentError(f"num_classes must be a positive int or None, got {num_classes!r}")
        self.estimator = estimator
        self.num_classes = num_classes
        self.class_weight = class_weight
        self.calibration = calibration
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")
        if accepts_empty_texts is not None:
            self.accepts_empty_texts = bool(accepts_empty_texts)

    # --- fitting ---------------------------------------------------------------------------------------------

    def fit(
        self, train: Dataset, validation: Dataset | None = None, weights: np.ndarray | None = None
    ) -> SklearnClassifier:
        """Fit on the labeled dataset ``train``; ``validation`` is accepted for the contract and not used.

        Raises
        ------
        EmptyTextError
            If ``train`` holds texts in which the estimator's vectorizer finds no words (empty texts, white space,
            or only tokens its token pattern skips, such as single characters for ``TfidfVectorizer``).
        """
        weights = check_training_data(self, train, weights)
        num_classes = self.num_classes if self.num_classes is not None else train.num_classes
        if train.num_classes != num_classes:
            raise LabelShapeError(
                f"train has {train.num_classes} classes but the classifier was built for num_classes={num_classes}"
            )
        x = rows_of(train)
        try:
            with _checked_features(train):
                models = self._fit_models(x, train, num_classes, weights)
        except ValueError as error:
            if isinstance(train, TextDataset) and "empty vocabulary" in str(error):
                # a vectorizer (TF-IDF, counts) found no token in the training texts: empty, white space only,
                # or tokens shorter than its token pattern allows
                raise EmptyTextError(
                    f"{type(self.estimator).__name__} cannot be trained on these {len(train)} texts: its vectorizer "
                    f"found no words in them ({error})"
                ) from error
            raise
        self.models_ = models
        self.num_classes_ = num_classes
        self.multi_label_ = train.is_multi_label
        return self

    def _fit_models(self, x: Any, train: Dataset, num_classes: int, weights: np.ndarray | None) -> list[BaseEstimator]:
        if train.is_multi_label:
            indicator = train.y.toarray()
            models = [
                self._fit_one(x, indicator[:, label], weights, single_label=False) for label in range(num_classes)
            ]
        else:
            models = [self._fit_one(x, train.y, weights, single_label=True)]
        return models

    def _fit_one(self, x: Any, y: np.ndarray, weights: np.ndarray | None, *, single_label: bool) -> BaseEstimator:
        """Fit one model on ``y`` (class indices, or 0/1 for one label of a multi-label problem)."""
        classes, counts = np.unique(y, return_counts=True)
        sample_weight = self._sample_weight(y, classes, counts, weights)
        if classes.size < 2:
            if not single_label:
                return DummyClassifier(strategy="prior").fit(np.zeros((len(y), 1)), y)
            warnings.warn(
                f"the training labels hold a single class ({classes[0]}); a constant model predicts it until "
                "another class is labeled",
                UserWarning,
                stacklevel=4,
            )
            return DummyClassifier(strategy="prior").fit(np.zeros((len(y), 1)), y)
        model = self._new_model()
        if self.calibration is ProbabilityCalibration.PLATT and not hasattr(model, "predict_proba"):
            if counts.min() >= 2:
                model = CalibratedClassifierCV(model, method="sigmoid", cv=int(min(3, counts.min())))
            else:
                warnings.warn(
                    "Platt calibration needs two labeled documents per class; using scaled scores for now",
                    UserWarning,
                    stacklevel=4,
                )
        if sample_weight is None:
            return model.fit(x, y)
        return model.fit(x, y, **_sample_weight_argument(model, sample_weight))

    def _new_model(self) -> BaseEstimator:
        warm = getattr(self.estimator, "warm_start", False)
        previous = getattr(self, "models_", None)
        if warm and previous is not None and len(previous) == 1 and not isinstance(previous[0], DummyClassifier):
            return previous[0]
        return clone(self.estimator)

    def _sample_weight(
        self, y: np.ndarray, classes: np.ndarray, counts: np.ndarray, weights: np.ndarray | None
    ) -> np.ndarray | None:
        if self.class_weight is None:
            return weights
        if self.class_weight == "balanced":
            per_class = len(y) / (classes.size * counts)
            lookup = dict(zip(classes.tolist(), per_class.tolist(), strict=True))
        else:
            lookup = {int(label): float(weight) for label, weight in self.class_weight.items()}
        class_weights = np.array([lookup.get(int(label), 1.0) for label in classes])
        sample_weight = class_weights[np.searchsorted(classes, y)]
        return sample_weight if weights is None else sample_weight * weights

    @property
    def can_partial_fit(self) -> bool:
        """Whether the estimator learns incrementally (has ``partial_fit``, like ``SGDClassifier``)."""
        return callable(getattr(self.estimator, "partial_fit", None))

    def partial_fit(self, train: Dataset, weights: np.ndarray | None = None) -> SklearnClassifier:
        """Update the model with the labeled documents of ``train`` (the first call starts a fresh model).

        Parameters
        ----------
        train : Dataset
            Newly labeled documents; the label set (``num_classes``) must stay the same across calls.
        weights : numpy.ndarray of shape (len(train),), optional
            A non-negative weight per document (multiplied by ``class_weight`` when it is a dict).

        Raises
        ------
        MissingCapabilityError
            If the estimator has no ``partial_fit``.
        LabelShapeError
            If ``train`` has another label set or label type than the earlier calls.
        """
        if not self.can_partial_fit:
            raise MissingCapabilityError(
                f"partial_fit needs an estimator with partial_fit (SGDClassifier, MultinomialNB, ...), "
                f"got {type(self.estimator).__name__}"
            )
        weights = check_training_data(self, train, weights)
        num_classes = self.num_classes if self.num_classes is not None else train.num_classes
        fitted = getattr(self, "models_", None)
        if train.num_classes != num_classes or (
            fitted is not None and (self.num_classes_ != num_classes or self.multi_label_ != train.is_multi_label)
        ):
            raise LabelShapeError(
                f"train must keep the label set of the earlier partial_fit calls (num_classes={num_classes}, "
                f"multi_label={getattr(self, 'multi_label_', train.is_multi_label)}), got "
                f"num_classes={train.num_classes}, multi_label={train.is_multi_label}"
            )
        if self.class_weight == "balanced":
            raise InvalidArgumentError(
                "class_weight='balanced' needs all labels at once; partial_fit accepts None or a dict"
            )
        x = rows_of(train)
        if train.is_multi_label:
            targets = [(train.y.toarray()[:, label], np.arange(2)) for label in range(num_classes)]
        else:
            targets = [(train.y, np.arange(num_classes))]
        models = fitted if fitted is not None else [clone(self.estimator) for _ in targets]
        with _checked_features(train):
            updated = [
                self._partial_fit_one(model, x, y, classes, weights)
                for model, (y, classes) in zip(models, targets, strict=True)
            ]
        self.models_ = updated
        self.num_classes_ = num_classes
        self.multi_label_ = train.is_multi_label
        return self

    def _partial_fit_one(
        self, model: BaseEstimator, x: Any, y: np.ndarray, classes: np.ndarray, weights: np.ndarray | None
    ) -> BaseEstimator:
        model = clone(model) if not hasattr(model, "classes_") else copy.deepcopy(model)
        labels, counts = np.unique(y, return_counts=True)
        sample_weight = self._sample_weight(y, labels, counts, weights)
        keyword = {} if sample_weight is None else _sample_weight_argument(model, sample_weight)
        return model.partial_fit(x, y, classes=classes, **keyword)

    # --- predicting ------------------------------------------------------------------------------------------

    def predict_proba(self, data: Dataset | Any) -> np.ndarray:
        """Return a dense ``(n_samples, num_classes)`` probability array, computed ``chunk_size`` rows at a time."""
        self._check_fitted()
        x = rows_of(data)
        n_samples = _n_rows(x)
        proba = np.zeros((n_samples, self.num_classes_), dtype=np.float64)
        with _checked_features(data):
            for start in range(0, n_samples, self.chunk_size):
                stop = min(start + self.chunk_size, n_samples)
                proba[start:stop] = self._proba_chunk(x if stop - start == n_samples else x[start:stop])
        return proba

    def _proba_chunk(self, rows: Any) -> np.ndarray:
        if self.multi_label_:
            return np.column_stack([_positive_probability(model, rows) for model in self.models_])
        model = self.models_[0]
        proba = np.zeros((_n_rows(rows), self.num_classes_))
        proba[:, model.classes_.astype(np.int64)] = _class_probabilities(model, rows)
        return proba

    # --- persistence -----------------------------------------------------------------------------------------

    def save(self, folder: str | Path) -> None:
        """Write the classifier (configuration and fitted models) to ``folder/model.joblib``.

        The same fitted state gives the same bytes in any process. Two attributes of scikit-learn's text
        vectorizers would differ from process to process and are dropped before writing: the memory address of
        the stop-word list (``_stop_words_id``, recomputed when next used) and, in scikit-learn before 1.5, the set
        of pruned terms (``stop_words_``, kept for inspection only; its order follows Python's hash seed).
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        _drop_volatile_attributes(getattr(self, "models_", []), seen=set())
        joblib.dump(self, folder / _MODEL_FILE)

    @classmethod
    def load(cls, folder: str | Path) -> SklearnClassifier:
        """Read a classifier written by :meth:`save`."""
        return load_joblib(Path(folder) / _MODEL_FILE, cls)

    def __repr__(self) -> str:
        return f"SklearnClassifier({self.estimator!r}, num_classes={self.num_classes})"


_VOLATILE_ATTRIBUTES = ("_stop_words_id", "stop_words_")
"""Fitted attributes of scikit-learn estimators whose pickled bytes differ between processes and that prediction
does not use: a memory address, and a set of strings (ordered by the hash seed). scikit-learn's documentation says
``stop_words_`` can be removed before pickling."""


def _drop_volatile_attributes(value: Any, seen: set[int]) -> None:
    """Drop :data:`_VOLATILE_ATTRIBUTES` from every estimator reachable from ``value``."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, BaseEstimator):
        for name in _VOLATILE_ATTRIBUTES:
            value.__dict__.pop(name, None)
        for attribute in vars(value).values():
            _drop_volatile_attributes(attribute, seen)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _drop_volatile_attributes(item, seen)


def _sample_weight_argument(model: BaseEstimator, sample_weight: np.ndarray) -> dict[str, np.ndarray]:
    """The keyword that passes ``sample_weight`` to ``model.fit``: to its last step for a pipeline."""
    if isinstance(model, Pipeline):
        name, last = model.steps[-1]
        if has_fit_parameter(last, "sample_weight"):
            return {f"{name}__sample_weight": sample_weight}
    elif has_fit_parameter(model, "sample_weight"):
        return {"sample_weight": sample_weight}
    raise InvalidArgumentError(
        f"weights and class_weight need an estimator whose fit accepts sample_weight; {type(model).__name__} does not"
    )


def _checked_features(data: Any) -> AbstractContextManager:
    """Tell scikit-learn to skip its NaN / infinity scan for an :class:`SklearnDataset`, which was scanned once
    when it was created; other input keeps scikit-learn's own checks."""
    return sklearn.config_context(assume_finite=True) if isinstance(data, SklearnDataset) else nullcontext()


def _n_rows(rows: Any) -> int:
    return rows.shape[0] if hasattr(rows, "shape") else len(rows)


def _positive_probability(model: BaseEstimator, rows: Any) -> np.ndarray:
    """The probability of class 1 from a model fitted on 0/1 targets (zero if it never saw class 1)."""
    positive = np.flatnonzero(model.classes_ == 1)
    if positive.size == 0:
        return np.zeros(_n_rows(rows))
    return _class_probabilities(model, rows)[:, positive[0]]


def _class_probabilities(model: BaseEstimator, rows: Any) -> np.ndarray:
    """Probabilities over ``model.classes_`` from ``predict_proba``, or scaled from ``decision_function``."""
    if isinstance(model, DummyClassifier):
        return np.tile(model.class_prior_, (_n_rows(rows), 1))
    if hasattr(model, "predict_proba"):
        return np.asarray(model.predict_proba(rows), dtype=np.float64)
    scores = model.decision_function(rows)
    if sp.issparse(scores):
        scores = scores.toarray()
    return scores_to_probabilities(scores)
