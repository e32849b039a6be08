"""A frozen sentence encoder with a scikit-learn head: the fast CPU default for text.

Documents are encoded once (cache them with :class:`~activetext.encoders.CachedEncoder`) and only the head is
trained at every iteration, so a retraining takes milliseconds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.linear_model import LogisticRegression

from activetext.classifiers.base import Classifier, check_training_data, rows_of
from activetext.classifiers.factories import ClassifierFactory
from activetext.classifiers.sklearn import SklearnClassifier
from activetext.data.datasets import Dataset, SklearnDataset, TextDataset
from activetext.encoders.base import Encoder, load_encoder, save_encoder
from activetext.exceptions import InvalidArgumentError
from activetext.utils.chunking import DEFAULT_CHUNK_SIZE
from activetext.utils.validation import check_positive_int

__all__ = ["EncoderClassifier", "EncoderClassifierFactory"]


def default_head() -> BaseEstimator:
    """Logistic regression: calibrated probabilities, fast on a few hundred 384-d vectors."""
    return LogisticRegression(max_iter=1000)


class EncoderClassifier(Classifier):
    """Texts → a frozen encoder's vectors → a scikit-learn classifier.

    Offers the :class:`~activetext.classifiers.capabilities.SupportsEmbeddings` capability: ``embed`` returns the
    encoder's vectors, which representation strategies (coresets, CAL, SEALS, ...) use.

    Parameters
    ----------
    encoder : Encoder
        For example ``CachedEncoder(SentenceTransformerEncoder(), "cache/")``.
    head : sklearn estimator, optional
        The classifier trained on the vectors (default: ``LogisticRegression(max_iter=1000)``); cloned at fit.
    num_classes : int, optional
        The size of the label set (default: taken from the training data).
    class_weight : "balanced", dict or None
        As for :class:`~activetext.classifiers.SklearnClassifier`.
    chunk_size : int
        Documents encoded at a time.
    """

    def __init__(
        self,
        encoder: Encoder,
        head: BaseEstimator | None = None,
        num_classes: int | None = None,
        class_weight: str | dict[int, float] | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ):
        if not isinstance(encoder, Encoder):
            raise InvalidArgumentError(f"encoder must be an Encoder, got {type(encoder).__name__}")
        self.encoder = encoder
        self.head = head if head is not None else default_head()
        self.num_classes = num_classes
        self.class_weight = class_weight
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")
        self._head = SklearnClassifier(self.head, num_classes, class_weight=class_weight)

    def fit(
        self, train: Dataset, validation: Dataset | None = None, weights: np.ndarray | None = None
    ) -> EncoderClassifier:
        """Encode the training texts and fit the head on their vectors."""
        weights = check_training_data(self, train, weights)
        vectors = SklearnDataset(self._head_input(train), train.y, target_labels=train.target_labels)
        self._head.fit(vectors, weights=weights)
        self.multi_label_ = train.is_multi_label
        return self

    def embed(self, data: Dataset | Any) -> np.ndarray:
        """Return the encoder's float32 vectors of ``data`` (a :class:`TextDataset` or a sequence of texts)."""
        if isinstance(data, Dataset) and not isinstance(data, TextDataset):
            raise InvalidArgumentError(
                f"EncoderClassifier encodes texts; got a {type(data).__name__} (use a TextDataset)"
            )
        texts = list(rows_of(data))
        parts = [
            self.encoder.encode(texts[start : start + self.chunk_size])
            for start in range(0, len(texts), self.chunk_size)
        ]
        return np.concatenate(parts) if parts else np.empty((0, 0), dtype=np.float32)

    def predict_proba(self, data: Dataset | Any) -> np.ndarray:
        self._check_fitted()
        return self._head.predict_proba(
            SklearnDataset(self._head_input(data), target_labels=np.arange(self._head.num_classes_))
        )

    def _head_input(self, data: Dataset | Any) -> np.ndarray:
        # float64, so that the head's probabilities sum to one at float64 precision
        return self.embed(data).astype(np.float64)

    def save(self, folder: str | Path) -> None:
        """Write the encoder's configuration (never its weights) and the fitted head (joblib)."""
        self._check_fitted()
        folder = Path(folder)
        save_encoder(self.encoder, folder / "encoder")
        self._head.save(folder / "head")

    @classmethod
    def load(cls, folder: str | Path) -> EncoderClassifier:
        folder = Path(folder)
        head = SklearnClassifier.load(folder / "head")
        classifier = cls(load_encoder(folder / "encoder"), head.estimator, head.num_classes, head.class_weight)
        classifier._head = head
        classifier.multi_label_ = head.multi_label_
        return classifier

    def __repr__(self) -> str:
        return f"EncoderClassifier({self.encoder!r}, head={self.head!r})"


class EncoderClassifierFactory(ClassifierFactory):
    """Creates :class:`EncoderClassifier` objects that share one encoder (and so one cache).

    Parameters
    ----------
    encoder : Encoder
        Shared by every classifier.
    head : sklearn estimator, optional
        The head template (cloned for every classifier).
    kwargs : dict, optional
        Further keyword arguments of :class:`EncoderClassifier`.
    """

    def __init__(self, encoder: Encoder, head: BaseEstimator | None = None, kwargs: dict[str, Any] | None = None):
        self.encoder = encoder
        self.head = head if head is not None else default_head()
        self.kwargs = dict(kwargs) if kwargs else {}
        self.new()

    def new(self) -> EncoderClassifier:
        return EncoderClassifier(self.encoder, clone(self.head), **self.kwargs)
