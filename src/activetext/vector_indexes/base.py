"""The vector index interface."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import numpy as np

from activetext.exceptions import InvalidArgumentError

__all__ = [
    "IndexFactory",
    "Metric",
    "VectorIndex",
    "check_index_factory",
    "check_new_ids",
    "check_vectors",
    "new_index",
    "squared_to_metric",
]


class Metric(enum.Enum):
    """How distance between vectors is measured."""

    EUCLIDEAN = "euclidean"
    """The L2 distance."""

    COSINE = "cosine"
    """``1 - cosine similarity``; vectors are normalized when added and searched."""


def check_vectors(vectors: np.ndarray, *, name: str, dim: int | None = None) -> np.ndarray:
    """Return ``vectors`` as a C-contiguous float32 ``(n, d)`` array after checking shape and values."""
    array = np.ascontiguousarray(vectors, dtype=np.float32)
    if array.ndim != 2:
        raise InvalidArgumentError(f"{name} must be a 2-D array (n, dim), got shape {array.shape}")
    if dim is not None and array.shape[1] != dim:
        raise InvalidArgumentError(f"{name} must have {dim} columns like the index, got {array.shape[1]}")
    if not np.isfinite(array).all():
        raise InvalidArgumentError(f"{name} must hold only finite values")
    return array


class VectorIndex(ABC):
    """A set of vectors with integer ids that answers k-nearest-neighbour queries.

    Parameters
    ----------
    metric : Metric
        The distance.
    """

    def __init__(self, metric: Metric = Metric.EUCLIDEAN):
        if not isinstance(metric, Metric):
            raise InvalidArgumentError(f"metric must be a Metric, got {metric!r}")
        self.metric = metric

    @abstractmethod
    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        """Add ``vectors`` (``(n, d)``) under the integer ``ids`` (unique, not yet in the index)."""

    @abstractmethod
    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the distances and ids of the ``k`` nearest vectors of each query, nearest first.

        Returns
        -------
        distances : numpy.ndarray of float32, shape (n_queries, k')
        ids : numpy.ndarray of int64, shape (n_queries, k')
            ``k' = min(k, len(self))``.
        """

    @abstractmethod
    def __len__(self) -> int:
        """The number of vectors in the index."""

    def _prepare(self, vectors: np.ndarray, *, name: str, dim: int | None) -> np.ndarray:
        array = check_vectors(vectors, name=name, dim=dim)
        if self.metric is Metric.COSINE:
            norms = np.linalg.norm(array, axis=1, keepdims=True)
            array = array / np.maximum(norms, np.finfo(np.float32).tiny)
        return array


IndexFactory = Callable[[], VectorIndex]
"""A callable returning a new, empty :class:`VectorIndex` (a class such as ``ExactIndex``, or a partial)."""


def check_index_factory(index_factory: Any) -> IndexFactory:
    """Return ``index_factory`` after checking that it is callable."""
    if not callable(index_factory):
        raise InvalidArgumentError(
            f"index_factory must be a callable returning an empty VectorIndex (for example ExactIndex), "
            f"got {index_factory!r}"
        )
    return index_factory


def new_index(index_factory: IndexFactory) -> VectorIndex:
    """Call ``index_factory`` and check that it returned a :class:`VectorIndex`."""
    index = index_factory()
    if not isinstance(index, VectorIndex):
        raise InvalidArgumentError(f"index_factory must return a VectorIndex, got {index!r} ({type(index).__name__})")
    return index


def check_new_ids(ids: object, n_vectors: int, existing: np.ndarray) -> np.ndarray:
    """Return ``ids`` as int64 after checking there is one per vector, all unique and none already in the index.

    Parameters
    ----------
    ids : array-like of int
        The ids of the vectors being added.
    n_vectors : int
        How many vectors are being added.
    existing : numpy.ndarray of int64
        The ids already in the index.

    Raises
    ------
    InvalidArgumentError
        With the same messages as :class:`~activetext.vector_indexes.ExactIndex`.
    """
    array = np.asarray(ids, dtype=np.int64)
    if array.shape != (n_vectors,):
        raise InvalidArgumentError(f"ids must have one id per vector ({n_vectors}), got shape {array.shape}")
    if np.unique(array).size != array.size or np.isin(array, existing).any():
        raise InvalidArgumentError("ids must be unique and not already in the index")
    return array


def squared_to_metric(squared: np.ndarray, metric: Metric) -> np.ndarray:
    """Turn squared L2 distances between prepared vectors into ``metric`` distances (float32).

    Vectors are unit length under :attr:`Metric.COSINE`, where ``|a - b|^2 = 2 - 2 cos(a, b)``, so half the squared
    distance is ``1 - cos``; under :attr:`Metric.EUCLIDEAN` the distance is the square root. Rounding below zero is
    clipped, as in :class:`~activetext.vector_indexes.ExactIndex`.
    """
    squared = np.maximum(np.asarray(squared, dtype=np.float32), 0.0)
    return squared / 2.0 if metric is Metric.COSINE else np.sqrt(squared)
