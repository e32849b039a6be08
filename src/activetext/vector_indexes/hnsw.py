"""Approximate nearest-neighbour search with HNSW graphs, through the optional ``hnswlib`` package.

``hnswlib`` is imported when an index is created, never when this module is imported; without it the constructor
raises :class:`~activetext.exceptions.MissingDependencyError` naming the ``activetext[ann]`` extra.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

import numpy as np

from activetext.exceptions import InvalidArgumentError, MissingDependencyError
from activetext.utils.random import Seed, make_rng
from activetext.utils.validation import check_positive_int
from activetext.vector_indexes.base import Metric, VectorIndex, check_new_ids, squared_to_metric

__all__ = ["HnswIndex"]


def _import_hnswlib() -> ModuleType:
    if importlib.util.find_spec("hnswlib") is None:
        raise MissingDependencyError(
            "HnswIndex needs the optional package hnswlib, which is not installed: pip install 'activetext[ann]'"
        )
    import hnswlib

    return hnswlib


class HnswIndex(VectorIndex):
    """Approximate k-nearest-neighbour search on a hierarchical navigable small world graph (hnswlib).

    Malkov and Yashunin (2020), "Efficient and robust approximate nearest neighbor search using hierarchical
    navigable small world graphs", IEEE TPAMI 42(4). Building costs about ``O(n log n)`` distance computations,
    a search about ``O(ef_search * log n)``; memory is ``O(n * (dim + M))``. Distances are in the units of
    :class:`~activetext.vector_indexes.ExactIndex` (L2 distance, or ``1 - cos``).

    Vectors can be added in several calls; the graph grows as needed. Ids are any distinct int64 values.

    Parameters
    ----------
    metric : Metric
        The distance.
    M : int
        Links per node: more links give better recall and use more memory (typical values 8 to 64).
    ef_construction : int
        Width of the search while inserting: larger builds slower and gives a better graph.
    ef_search : int
        Width of the search while querying (raised to ``k`` when a query asks for more neighbours): larger is
        slower and more accurate.
    seed : None, int or numpy.random.Generator
        Source of the random levels of inserted nodes.
    num_threads : int
        Threads used while inserting. With more than one thread the graph depends on thread timing, so
        approximate answers may differ between runs; the default of 1 keeps them reproducible under a seed.
        Searches always use every core (their answers do not depend on it).

    Raises
    ------
    MissingDependencyError
        If hnswlib is not installed (``pip install 'activetext[ann]'``).

    Examples
    --------
    >>> index = HnswIndex(seed=0)
    >>> index.add(np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0]]), np.array([10, 11, 12]))
    >>> distances, ids = index.search(np.array([[0.9, 0.1]]), k=2)
    >>> ids.tolist()
    [[11, 10]]
    """

    def __init__(
        self,
        metric: Metric = Metric.EUCLIDEAN,
        M: int = 16,
        ef_construction: int = 200,
        ef_search: int = 64,
        seed: Seed = 0,
        num_threads: int = 1,
    ):
        super().__init__(metric)
        self.M = check_positive_int(M, name="M", minimum=2)
        self.ef_construction = check_positive_int(ef_construction, name="ef_construction")
        self.ef_search = check_positive_int(ef_search, name="ef_search")
        self.seed = seed
        self.rng = make_rng(seed)
        self.num_threads = check_positive_int(num_threads, name="num_threads")
        self._hnswlib = _import_hnswlib()
        self._index = None
        self._dim: int | None = None
        self._ids = np.empty(0, dtype=np.int64)

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        vectors = self._prepare(vectors, name="vectors", dim=self._dim)
        ids = check_new_ids(ids, vectors.shape[0], self._ids)
        if vectors.shape[0] == 0:
            return
        needed = len(self) + vectors.shape[0]
        if self._index is None:
            # the hnswlib space is always squared L2: cosine vectors are unit length after _prepare
            self._index = self._hnswlib.Index(space="l2", dim=vectors.shape[1])
            self._index.init_index(
                max_elements=needed,
                M=self.M,
                ef_construction=self.ef_construction,
                random_seed=int(self.rng.integers(2**31 - 1)),
            )
            self._dim = vectors.shape[1]
        elif needed > self._index.get_max_elements():
            self._index.resize_index(max(needed, 2 * self._index.get_max_elements()))
        labels = np.arange(len(self), needed, dtype=np.int64)  # internal labels are positions in self._ids
        self._index.add_items(vectors, labels, num_threads=self.num_threads)
        self._ids = np.concatenate([self._ids, ids])

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = check_positive_int(k, name="k")
        if not len(self):
            raise InvalidArgumentError("the index is empty: add vectors before searching")
        queries = self._prepare(queries, name="queries", dim=self._dim)
        k = min(k, len(self))
        if queries.shape[0] == 0:
            return np.empty((0, k), dtype=np.float32), np.empty((0, k), dtype=np.int64)
        self._index.set_ef(max(self.ef_search, k))
        labels, squared = self._index.knn_query(queries, k=k)
        return squared_to_metric(squared, self.metric), self._ids[labels.astype(np.int64)]

    def __len__(self) -> int:
        return int(self._ids.size)

    def __repr__(self) -> str:
        return (
            f"HnswIndex(metric={self.metric}, M={self.M}, ef_construction={self.ef_construction}, "
            f"ef_search={self.ef_search}, seed={self.seed!r}, num_threads={self.num_threads})"
        )
