"""The classifier contract every activetext classifier follows.

A classifier is fitted on the labeled subset of a dataset and predicts on any rows:

* ``fit(train, validation=None, weights=None) -> self``
* ``predict(data)``: class indices (single-label) or a sparse indicator matrix (multi-label)
* ``predict_proba(data)``: a dense ``(n_samples, num_classes)`` float array, for multi-label the independent
  probability of each label.

Optional capabilities (embeddings, posterior samples, ...) are ``typing.Protocol`` classes that strategies check
with ``isinstance``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.data.datasets import Dataset, TextDataset
from activetext.exceptions import EmptyTextError, InvalidArgumentError, NotInitializedError
from activetext.utils.validation import as_array

__all__ = ["Classifier", "MULTI_LABEL_THRESHOLD", "check_training_data", "rows_of"]

MULTI_LABEL_THRESHOLD = 0.5
"""A multi-label classifier predicts every label whose probability reaches this value."""


class Classifier(ABC):
    """Base class of activetext classifiers (see the module docstring for the contract).

    Subclasses implement :meth:`fit`, :meth:`predict_proba`, :meth:`save` and :meth:`load`; :meth:`predict` is
    derived from the probabilities so that the two always agree.
    """

    accepts_empty_texts: bool = True
    """Whether the classifier can be fitted on empty texts; when False, :func:`check_training_data` refuses them."""

    multi_label_: bool
    """Set by ``fit``: whether the classifier was trained on multi-label data."""

    @abstractmethod
    def fit(self, train: Dataset, validation: Dataset | None = None, weights: np.ndarray | None = None) -> Classifier:
        """Fit on ``train`` (every row labeled) and return ``self``.

        Parameters
        ----------
        train : Dataset
            The labeled training documents.
        validation : Dataset, optional
            Labeled documents for model selection (used by classifiers with early stopping).
        weights : numpy.ndarray of shape (len(train),), optional
            A non-negative weight per training document.
        """

    @abstractmethod
    def predict_proba(self, data: Dataset | Any) -> np.ndarray:
        """Return a dense ``(n_samples, num_classes)`` array of class (or per-label) probabilities."""

    def predict(self, data: Dataset | Any) -> np.ndarray | sp.csr_matrix:
        """Return class indices (single-label) or a sparse indicator matrix (multi-label) for ``data``."""
        self._check_fitted()
        proba = self.predict_proba(data)
        if self.multi_label_:
            return sp.csr_matrix((proba >= MULTI_LABEL_THRESHOLD).astype(np.int64))
        return np.argmax(proba, axis=1)

    @abstractmethod
    def save(self, folder: str | Path) -> None:
        """Write the fitted classifier into ``folder`` with the model's native saver."""

    @classmethod
    @abstractmethod
    def load(cls, folder: str | Path) -> Classifier:
        """Read a classifier written by :meth:`save`."""

    def _check_fitted(self) -> None:
        if not hasattr(self, "multi_label_"):
            raise NotInitializedError(f"{type(self).__name__} is not fitted yet: call fit(train) first")


def rows_of(data: Dataset | Any) -> Any:
    """Return the rows to feed a model: ``data.x`` for a dataset, ``data`` itself otherwise."""
    return data.x if isinstance(data, Dataset) else data


def check_training_data(classifier: Classifier, train: Any, weights: np.ndarray | None) -> np.ndarray | None:
    """Check what ``fit`` receives and return ``weights`` as a float array (or None).

    Raises
    ------
    InvalidArgumentError
        If ``train`` is not a dataset, has unlabeled rows, is empty, or ``weights`` has the wrong shape or
        negative values.
    EmptyTextError
        If the classifier cannot handle empty texts and ``train`` holds one.
    """
    if not isinstance(train, Dataset):
        raise InvalidArgumentError(f"train must be an activetext Dataset, got {type(train).__name__}")
    if len(train) == 0:
        raise InvalidArgumentError("train must hold at least one labeled document, got an empty dataset")
    if not train.is_multi_label:
        unlabeled = np.flatnonzero(~train.labeled)
        if unlabeled.size:
            raise InvalidArgumentError(
                f"train must hold only labeled documents, got unlabeled rows {unlabeled[:8].tolist()}"
            )
    if not classifier.accepts_empty_texts and isinstance(train, TextDataset):
        empty = train.empty_text_indices()
        if empty.size:
            raise EmptyTextError(
                f"{type(classifier).__name__} cannot be trained on empty texts, got empty texts in train at rows "
                f"{empty[:8].tolist()}"
            )
    if weights is None:
        return None
    weights = as_array(weights, name="weights", dtype=np.float64)
    if weights.shape != (len(train),):
        raise InvalidArgumentError(f"weights must have shape ({len(train)},), got shape {weights.shape}")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise InvalidArgumentError(f"weights must be finite and non-negative, got {weights[:8].tolist()}")
    return weights
