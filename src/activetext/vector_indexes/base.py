"""The vector index interface."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod

import numpy as np

from activetext.exceptions import InvalidArgumentError

__all__ = ["Metric", "VectorIndex", "check_vectors"]


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
