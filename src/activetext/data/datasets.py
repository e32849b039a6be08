"""Datasets: documents (as feature rows or raw texts) together with their labels and label set.

A dataset holds the *given* labels, for example the true labels in a simulation, or ``-1`` everywhere for a real
unlabeled pool. An active learner never writes into a dataset: the labels it collects live in the learner
(:attr:`activetext.active_learner.PoolBasedActiveLearner.y`), which is the source of truth during active learning.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np
import scipy.sparse as sp

from activetext.data.labels import (
    check_label_names,
    check_multi_labels,
    check_single_labels,
    check_target_labels,
    infer_num_classes,
    is_multi_label,
    labeled_mask,
    unlabeled_like,
)
from activetext.exceptions import InvalidArgumentError, InvalidIndicesError, LabelShapeError
from activetext.utils.validation import as_array, check_finite_features

__all__ = ["Dataset", "SklearnDataset", "SklearnDataSet", "TextDataset"]

DatasetT = TypeVar("DatasetT", bound="Dataset")


class Dataset(ABC):
    """Base class of activetext datasets: rows of documents plus labels and an explicit label set.

    Parameters
    ----------
    y : array-like of int, sparse indicator matrix, or None
        Single-label: class indices with ``-1`` for unlabeled. Multi-label: a ``(n_samples, num_classes)``
        indicator matrix (sparse or dense 0/1). ``None``: every document is unlabeled (then ``target_labels`` is
        required).
    target_labels : array-like of int, optional
        The label set as the class indices ``0 .. C-1``. When omitted it is inferred once from ``y`` (with a
        :class:`~activetext.data.labels.LabelSetInferredWarning`), or from the number of columns for multi-label.
    label_names : sequence of str, optional
        Human-readable names, one per class index.
    """

    def __init__(self, y: Any = None, target_labels: Any = None, label_names: Sequence[str] | None = None):
        n_samples = self._n_rows()
        if label_names is not None:
            label_names = check_label_names(label_names)
        if target_labels is not None:
            num_classes = check_target_labels(target_labels)
        elif y is None:
            if label_names is None:
                raise InvalidArgumentError(
                    "target_labels is required when y is None (no labels to infer the label set from), got None"
                )
            if not label_names:
                raise InvalidArgumentError(
                    "target_labels is required when y is None and label_names is empty (an empty label set), got "
                    "label_names=()"
                )
            num_classes = len(label_names)
        else:
            num_classes = infer_num_classes(y)
        if y is None:
            y = unlabeled_like(n_samples, num_classes, multi_label=False)
        if is_multi_label(y):
            self._y = check_multi_labels(y, num_classes, n_samples=n_samples)
        else:
            self._y = check_single_labels(y, num_classes, n_samples=n_samples)
        if label_names is not None:
            if len(label_names) != num_classes:
                raise LabelShapeError(
                    f"label_names must have one name per class ({num_classes}), got {len(label_names)} names"
                )
        self._num_classes = num_classes
        self._label_names = label_names

    # --- the rows --------------------------------------------------------------------------------------------

    _x: Any

    @property
    def x(self) -> Any:
        """The documents: a feature matrix or an array of texts, one row per document."""
        return self._x

    def _n_rows(self) -> int:
        return int(self._x.shape[0])

    @abstractmethod
    def _update_digest(self, digest: Any) -> None:
        """Feed the content of ``x`` into a ``hashlib`` object."""

    # --- labels ----------------------------------------------------------------------------------------------

    @property
    def y(self) -> np.ndarray | sp.csr_matrix:
        """The given labels (a copy would be costly, so treat it as read-only; assign to replace it)."""
        return self._y

    @y.setter
    def y(self, value: Any) -> None:
        if self.is_multi_label:
            self._y = check_multi_labels(value, self._num_classes, n_samples=len(self))
        else:
            self._y = check_single_labels(value, self._num_classes, n_samples=len(self))

    @property
    def is_multi_label(self) -> bool:
        """Whether labels follow the multi-label (indicator matrix) convention."""
        return sp.issparse(self._y)

    @property
    def num_classes(self) -> int:
        """The size of the label set."""
        return self._num_classes

    @property
    def target_labels(self) -> np.ndarray:
        """The label set as the class indices ``0 .. num_classes - 1``."""
        return np.arange(self._num_classes)

    @property
    def label_names(self) -> tuple[str, ...] | None:
        """Human-readable class names by index, when known."""
        return self._label_names

    @property
    def labeled(self) -> np.ndarray:
        """Boolean mask of the documents whose given label is set."""
        return labeled_mask(self._y)

    # --- views -----------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._n_rows()

    def __getitem__(self: DatasetT, key: Any) -> DatasetT:
        """Return the documents at ``key`` (an int, a slice, an index array or a boolean mask) as a dataset.

        The result keeps the label set and names of this dataset.
        """
        indices = self._resolve_key(key)
        subset = object.__new__(type(self))
        subset._x = self._x[indices]
        subset._y = self._y[indices]  # rows of labels already checked: no need to check them again
        subset._num_classes = self._num_classes
        subset._label_names = self._label_names
        return subset

    def with_labels(self: DatasetT, y: Any) -> DatasetT:
        """Return a dataset with the same documents and label set but the labels ``y`` (which are checked)."""
        relabeled = object.__new__(type(self))
        relabeled._x = self._x
        Dataset.__init__(relabeled, y, target_labels=self.target_labels, label_names=self._label_names)
        return relabeled

    def _resolve_key(self, key: Any) -> np.ndarray:
        n_samples = len(self)
        if isinstance(key, slice):
            try:
                return np.arange(n_samples)[key]
            except (ValueError, TypeError) as error:  # a step of 0, bounds that are not ints
                raise InvalidIndicesError(f"a slice must have int bounds and a non-zero step, got {key!r}") from error
        if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
            if not -n_samples <= key < n_samples:
                raise InvalidIndicesError(f"index must be in [-{n_samples}, {n_samples}), got {key}")
            return np.array([key % n_samples])
        array = as_array(key, name="key", error=InvalidIndicesError)
        if array.dtype == bool:
            if array.shape != (n_samples,):
                raise InvalidIndicesError(f"a boolean mask must have shape ({n_samples},), got shape {array.shape}")
            return np.flatnonzero(array)
        if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
            raise InvalidIndicesError(f"indices must be a one-dimensional int array, got {array.ravel()[:8]!r}")
        array = array.astype(np.int64, copy=False)
        if array.size and (array.min() < -n_samples or array.max() >= n_samples):
            raise InvalidIndicesError(
                f"indices must be in [-{n_samples}, {n_samples}), got values from {array.min()} to {array.max()}"
            )
        return array

    # --- identity --------------------------------------------------------------------------------------------

    def fingerprint(self) -> str:
        """A SHA-256 digest of the documents (not the labels), used to check a dataset against a saved learner."""
        digest = hashlib.sha256()
        digest.update(type(self).__name__.encode())
        self._update_digest(digest)
        return digest.hexdigest()

    def __repr__(self) -> str:
        kind = "multi-label" if self.is_multi_label else "single-label"
        return (
            f"{type(self).__name__}(n_samples={len(self)}, num_classes={self._num_classes}, {kind}, "
            f"labeled={int(self.labeled.sum())})"
        )


class SklearnDataset(Dataset):
    """Documents as rows of a feature matrix (dense ``numpy`` or ``scipy.sparse``), for scikit-learn models.

    Parameters
    ----------
    x : numpy.ndarray or scipy.sparse matrix of shape (n_samples, n_features)
        The features, for example TF-IDF vectors; sparse input is stored as CSR. NaN and infinity are refused.
    y, target_labels, label_names
        See :class:`Dataset`.

    Examples
    --------
    >>> import numpy as np
    >>> data = SklearnDataset(np.eye(3), np.array([0, 1, -1]), target_labels=np.arange(2))
    >>> len(data[[0, 2]]), data[[0, 2]].y.tolist()
    (2, [0, -1])
    """

    def __init__(self, x: Any, y: Any = None, target_labels: Any = None, label_names: Sequence[str] | None = None):
        if sp.issparse(x):
            x = sp.csr_matrix(x)
            if not x.has_canonical_format:  # one storage per matrix: sorted column indices, no duplicates
                x = x.copy()
                x.sum_duplicates()
        else:
            x = as_array(x, name="x")
            if x.ndim != 2:
                raise InvalidArgumentError(f"x must be a 2-D feature matrix, got an array of shape {x.shape}")
        if x.shape[0] and not x.shape[1]:  # no model can learn from documents without features
            raise InvalidArgumentError(f"x must have at least one feature (column), got shape {x.shape}")
        check_finite_features(x, name="x")
        self._x = x
        super().__init__(y, target_labels, label_names)

    def _update_digest(self, digest: Any) -> None:
        digest.update(f"{self._x.shape} {self._x.dtype}".encode())
        if sp.issparse(self._x):
            for part in (self._x.data, self._x.indices, self._x.indptr):
                digest.update(np.ascontiguousarray(part).tobytes())
        else:
            digest.update(np.ascontiguousarray(self._x).tobytes())


SklearnDataSet = SklearnDataset
"""The spelling used by small-text before 1.0; kept so programs written for it run unchanged."""


class TextDataset(Dataset):
    """Documents as raw texts, for classifiers that do their own feature extraction.

    Parameters
    ----------
    texts : sequence of str
        One text per document. ``None`` and other non-strings are refused; empty strings are accepted here and
        refused by classifiers that cannot handle them.
    y, target_labels, label_names
        See :class:`Dataset`.

    Examples
    --------
    >>> data = TextDataset(["good", "bad", "fine"], [1, 0, -1], target_labels=[0, 1], label_names=["neg", "pos"])
    >>> data[[0, 1]].x.tolist(), data.label_names
    (['good', 'bad'], ('neg', 'pos'))
    """

    def __init__(
        self,
        texts: Sequence[str],
        y: Any = None,
        target_labels: Any = None,
        label_names: Sequence[str] | None = None,
    ):
        if isinstance(texts, str):
            raise InvalidArgumentError("texts must be a sequence of strings, got a single string")
        try:
            items = list(texts)
        except TypeError as error:  # None, a number: not a sequence at all
            raise InvalidArgumentError(f"texts must be a sequence of strings, got {type(texts).__name__}") from error
        not_text = [i for i, text in enumerate(items) if not isinstance(text, str)]
        if not_text:
            first = not_text[0]
            raise InvalidArgumentError(
                f"texts must hold only strings, got {items[first]!r} ({type(items[first]).__name__}) "
                f"at positions {not_text[:8]}"
            )
        array = np.empty(len(items), dtype=object)
        array[:] = items
        self._x = array
        super().__init__(y, target_labels, label_names)

    def empty_text_indices(self) -> np.ndarray:
        """Return the positions of texts that are empty or only white space."""
        return np.array([i for i, text in enumerate(self._x) if not text.strip()], dtype=np.int64)

    def _update_digest(self, digest: Any) -> None:
        for text in self._x:
            encoded = text.encode("utf-8", "surrogatepass")
            digest.update(len(encoded).to_bytes(8, "little"))
            digest.update(encoded)
