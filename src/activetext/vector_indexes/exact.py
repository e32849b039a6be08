"""Exact nearest-neighbour search with numpy, in chunks of bounded memory."""

from __future__ import annotations

import numpy as np

from activetext.exceptions import InvalidArgumentError
from activetext.utils.validation import check_positive_int
from activetext.vector_indexes.base import Metric, VectorIndex

__all__ = ["ExactIndex"]


class ExactIndex(VectorIndex):
    """Brute-force k-nearest-neighbour search: exact, no build time, ``O(n_queries * n)`` per search.

    Queries are answered ``chunk_size`` at a time, so the distance block held in memory is at most
    ``chunk_size x len(index)`` floats.

    Parameters
    ----------
    metric : Metric
        The distance.
    chunk_size : int
        Queries answered at a time.

    Examples
    --------
    >>> index = ExactIndex()
    >>> index.add(np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0]]), np.array([10, 11, 12]))
    >>> distances, ids = index.search(np.array([[0.9, 0.1]]), k=2)
    >>> ids.tolist()
    [[11, 10]]
    """

    def __init__(self, metric: Metric = Metric.EUCLIDEAN, chunk_size: int = 1024):
        super().__init__(metric)
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")
        self._vectors = np.empty((0, 0), dtype=np.float32)
        self._ids = np.empty(0, dtype=np.int64)

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        dim = self._vectors.shape[1] if len(self) else None
        vectors = self._prepare(vectors, name="vectors", dim=dim)
        ids = np.asarray(ids, dtype=np.int64)
        if ids.shape != (vectors.shape[0],):
            raise InvalidArgumentError(f"ids must have one id per vector ({vectors.shape[0]}), got shape {ids.shape}")
        if np.unique(ids).size != ids.size or np.isin(ids, self._ids).any():
            raise InvalidArgumentError("ids must be unique and not already in the index")
        self._vectors = vectors if not len(self) else np.vstack([self._vectors, vectors])
        self._ids = np.concatenate([self._ids, ids])
        self._squared_norms = np.einsum("ij,ij->i", self._vectors, self._vectors)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = check_positive_int(k, name="k")
        if not len(self):
            raise InvalidArgumentError("the index is empty: add vectors before searching")
        queries = self._prepare(queries, name="queries", dim=self._vectors.shape[1])
        k = min(k, len(self))
        distances = np.empty((queries.shape[0], k), dtype=np.float32)
        ids = np.empty((queries.shape[0], k), dtype=np.int64)
        for start in range(0, queries.shape[0], self.chunk_size):
            block = queries[start : start + self.chunk_size]
            squared = (
                np.einsum("ij,ij->i", block, block)[:, None] - 2.0 * (block @ self._vectors.T) + self._squared_norms
            )
            nearest = (
                np.argpartition(squared, k - 1, axis=1)[:, :k]
                if k < len(self)
                else np.tile(np.arange(len(self)), (block.shape[0], 1))
            )
            part = np.take_along_axis(squared, nearest, axis=1)
            order = np.argsort(part, axis=1, kind="stable")
            nearest = np.take_along_axis(nearest, order, axis=1)
            part = np.maximum(np.take_along_axis(part, order, axis=1), 0.0)
            distances[start : start + block.shape[0]] = part / 2.0 if self.metric is Metric.COSINE else np.sqrt(part)
            ids[start : start + block.shape[0]] = self._ids[nearest]
        return distances, ids

    def __len__(self) -> int:
        return int(self._ids.size)
