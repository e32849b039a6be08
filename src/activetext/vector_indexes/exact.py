"""Exact nearest-neighbour search with numpy, in blocks of bounded memory."""

from __future__ import annotations

import numpy as np

from activetext.exceptions import InvalidArgumentError
from activetext.utils.validation import check_positive_int
from activetext.vector_indexes.base import Metric, VectorIndex, check_new_ids, squared_to_metric

__all__ = ["ExactIndex"]


class ExactIndex(VectorIndex):
    """Brute-force k-nearest-neighbour search: exact, no build time, ``O(n_queries * n)`` per search.

    Queries are answered in blocks sized so that the distance block held in memory has at most ``block_elements``
    entries (64 MiB of float32 by default), however large the index.

    Parameters
    ----------
    metric : Metric
        The distance.
    block_elements : int
        The largest number of query-to-vector distances computed at once.

    Examples
    --------
    >>> index = ExactIndex()
    >>> index.add(np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0]]), np.array([10, 11, 12]))
    >>> distances, ids = index.search(np.array([[0.9, 0.1]]), k=2)
    >>> ids.tolist()
    [[11, 10]]
    """

    def __init__(self, metric: Metric = Metric.EUCLIDEAN, block_elements: int = 1 << 24):
        super().__init__(metric)
        self.block_elements = check_positive_int(block_elements, name="block_elements")
        self._pending: list[np.ndarray] = []  # added blocks, concatenated lazily at the next search
        self._vectors = np.empty((0, 0), dtype=np.float32)
        self._squared_norms = np.empty(0, dtype=np.float32)
        self._ids = np.empty(0, dtype=np.int64)

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        dim = self._dim()
        vectors = self._prepare(vectors, name="vectors", dim=dim)
        ids = check_new_ids(ids, vectors.shape[0], self._ids)
        self._pending.append(vectors)
        self._ids = np.concatenate([self._ids, ids])

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = check_positive_int(k, name="k")
        if not len(self):
            raise InvalidArgumentError("the index is empty: add vectors before searching")
        vectors = self._consolidated()
        queries = self._prepare(queries, name="queries", dim=vectors.shape[1])
        k = min(k, len(self))
        distances = np.empty((queries.shape[0], k), dtype=np.float32)
        ids = np.empty((queries.shape[0], k), dtype=np.int64)
        block = max(1, self.block_elements // len(self))
        for start in range(0, queries.shape[0], block):
            stop = min(start + block, queries.shape[0])
            squared = queries[start:stop] @ vectors.T  # becomes |q|^2 - 2 q.v + |v|^2 in place
            squared *= -2.0
            squared += self._squared_norms
            squared += np.einsum("ij,ij->i", queries[start:stop], queries[start:stop])[:, None]
            if k < len(self):
                nearest = np.argpartition(squared, k - 1, axis=1)[:, :k]
            else:
                nearest = np.broadcast_to(np.arange(len(self)), squared.shape)
            part = np.take_along_axis(squared, nearest, axis=1)
            order = np.argsort(part, axis=1, kind="stable")
            distances[start:stop] = squared_to_metric(np.take_along_axis(part, order, axis=1), self.metric)
            ids[start:stop] = self._ids[np.take_along_axis(nearest, order, axis=1)]
        return distances, ids

    def __len__(self) -> int:
        return int(self._ids.size)

    def _dim(self) -> int | None:
        if self._pending:
            return self._pending[0].shape[1]
        return self._vectors.shape[1] if self._vectors.size else None

    def _consolidated(self) -> np.ndarray:
        if self._pending:
            blocks = ([self._vectors] if self._vectors.size else []) + self._pending
            self._vectors = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
            self._squared_norms = np.einsum("ij,ij->i", self._vectors, self._vectors)
            self._pending = []
        return self._vectors
