"""Nearest-neighbour search with faiss: exact (flat) by default, approximate (HNSW or IVF) on request.

``faiss`` (the ``faiss-cpu`` package) is imported when an index is created, never when this module is imported;
without it the constructor raises :class:`~activetext.exceptions.MissingDependencyError` naming the
``activetext[faiss]`` extra.
"""

from __future__ import annotations

import enum
import importlib.util
from types import ModuleType
from typing import Any

import numpy as np

from activetext.exceptions import InvalidArgumentError, MissingDependencyError
from activetext.utils.random import Seed, make_rng
from activetext.utils.validation import check_positive_int
from activetext.vector_indexes.base import Metric, VectorIndex, check_new_ids, squared_to_metric

__all__ = ["FaissIndex", "FaissIndexType"]


def _import_faiss() -> ModuleType:
    if importlib.util.find_spec("faiss") is None:
        raise MissingDependencyError(
            "FaissIndex needs the optional package faiss (faiss-cpu), which is not installed: "
            "pip install 'activetext[faiss]'"
        )
    import faiss

    return faiss


class FaissIndexType(enum.Enum):
    """The faiss structure behind a :class:`FaissIndex`."""

    FLAT = "flat"
    """Exhaustive search: exact, ``O(n * dim)`` per query, no training."""

    HNSW = "hnsw"
    """A hierarchical navigable small world graph (Malkov and Yashunin, 2020): approximate, about
    ``O(ef_search * log n)`` per query."""

    IVF = "ivf"
    """An inverted file: vectors are assigned to ``n_lists`` k-means cells (trained on the first batch added), and a
    query scans the ``n_probe`` nearest cells (Jegou et al., 2011, "Product quantization for nearest neighbor
    search", IEEE TPAMI 33(1)); approximate, about ``O(n * dim * n_probe / n_lists)`` per query."""


class FaissIndex(VectorIndex):
    """k-nearest-neighbour search with faiss (Johnson, Douze and Jegou, 2019, "Billion-scale similarity search with
    GPUs", IEEE Transactions on Big Data 7(3)).

    Distances are in the units of :class:`~activetext.vector_indexes.ExactIndex` (L2 distance, or ``1 - cos``).
    Ids are any distinct int64 values; they are mapped to faiss' sequential ids internally. Every query gets
    ``min(k, len(index))`` neighbours: when an approximate structure finds fewer (an IVF query whose probed cells
    hold fewer than ``k`` vectors), those queries are answered again exhaustively.

    Parameters
    ----------
    metric : Metric
        The distance.
    index_type : FaissIndexType
        Flat (exact, the default), HNSW or IVF.
    M : int
        HNSW only: links per node.
    ef_construction : int
        HNSW only: width of the search while inserting.
    ef_search : int
        HNSW only: width of the search while querying (raised to ``k`` when a query asks for more neighbours).
    n_lists : int
        IVF only: the number of k-means cells (lowered to the size of the first batch when that is smaller).
    n_probe : int
        IVF only: cells scanned per query.
    seed : None, int or numpy.random.Generator
        Source of the k-means initialisation of IVF (faiss' HNSW levels come from faiss' own fixed seed).

    Raises
    ------
    MissingDependencyError
        If faiss is not installed (``pip install 'activetext[faiss]'``).

    Notes
    -----
    An IVF index is trained once, on the first batch passed to :meth:`add`; later batches are assigned to the same
    cells. Add a representative batch first (ideally everything at once).

    Examples
    --------
    >>> index = FaissIndex()
    >>> index.add(np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0]]), np.array([10, 11, 12]))
    >>> distances, ids = index.search(np.array([[0.9, 0.1]]), k=2)
    >>> ids.tolist()
    [[11, 10]]
    """

    def __init__(
        self,
        metric: Metric = Metric.EUCLIDEAN,
        index_type: FaissIndexType = FaissIndexType.FLAT,
        M: int = 32,
        ef_construction: int = 40,
        ef_search: int = 64,
        n_lists: int = 100,
        n_probe: int = 8,
        seed: Seed = 0,
    ):
        super().__init__(metric)
        if not isinstance(index_type, FaissIndexType):
            raise InvalidArgumentError(f"index_type must be a FaissIndexType, got {index_type!r}")
        self.index_type = index_type
        self.M = check_positive_int(M, name="M", minimum=2)
        self.ef_construction = check_positive_int(ef_construction, name="ef_construction")
        self.ef_search = check_positive_int(ef_search, name="ef_search")
        self.n_lists = check_positive_int(n_lists, name="n_lists")
        self.n_probe = check_positive_int(n_probe, name="n_probe")
        self.seed = seed
        self.rng = make_rng(seed)
        self._faiss = _import_faiss()
        self._index: Any = None
        self._dim: int | None = None
        self._ids = np.empty(0, dtype=np.int64)

    def _build(self, first_batch: np.ndarray) -> Any:
        faiss = self._faiss
        dim = first_batch.shape[1]
        if self.index_type is FaissIndexType.FLAT:
            return faiss.IndexFlatL2(dim)
        if self.index_type is FaissIndexType.HNSW:
            index = faiss.IndexHNSWFlat(dim, self.M)
            index.hnsw.efConstruction = self.ef_construction
            return index
        n_lists = min(self.n_lists, first_batch.shape[0])
        index = faiss.IndexIVFFlat(faiss.IndexFlatL2(dim), dim, n_lists)
        index.cp.seed = int(self.rng.integers(2**31 - 1))
        index.cp.min_points_per_centroid = 1  # small batches are legitimate here; do not print faiss' warning
        index.train(first_batch)
        return index

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        vectors = self._prepare(vectors, name="vectors", dim=self._dim)
        ids = check_new_ids(ids, vectors.shape[0], self._ids)
        if vectors.shape[0] == 0:
            return
        if self._index is None:
            self._index = self._build(vectors)
            self._dim = vectors.shape[1]
        self._index.add(vectors)  # faiss numbers vectors 0, 1, ... in the order added: positions in self._ids
        self._ids = np.concatenate([self._ids, ids])

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        k = check_positive_int(k, name="k")
        if not len(self):
            raise InvalidArgumentError("the index is empty: add vectors before searching")
        queries = self._prepare(queries, name="queries", dim=self._dim)
        k = min(k, len(self))
        if queries.shape[0] == 0:
            return np.empty((0, k), dtype=np.float32), np.empty((0, k), dtype=np.int64)
        if self.index_type is FaissIndexType.HNSW:
            self._index.hnsw.efSearch = max(self.ef_search, k)
        elif self.index_type is FaissIndexType.IVF:
            self._index.nprobe = min(self.n_probe, self._index.nlist)
        squared, labels = self._index.search(queries, k)
        short = np.flatnonzero((labels < 0).any(axis=1))
        if short.size:
            squared[short], labels[short] = self._exhaustive(queries[short], k)
        return squared_to_metric(squared, self.metric), self._ids[labels]

    def _exhaustive(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Answer ``queries`` exactly, for the rows an approximate search left short."""
        if self.index_type is FaissIndexType.IVF:
            self._index.nprobe = self._index.nlist  # every cell: every vector is compared
            return self._index.search(queries, k)
        return self._faiss.downcast_index(self._index.storage).search(queries, k)

    def __len__(self) -> int:
        return int(self._ids.size)

    def __repr__(self) -> str:
        return (
            f"FaissIndex(metric={self.metric}, index_type={self.index_type}, M={self.M}, "
            f"ef_construction={self.ef_construction}, ef_search={self.ef_search}, n_lists={self.n_lists}, "
            f"n_probe={self.n_probe}, seed={self.seed!r})"
        )
