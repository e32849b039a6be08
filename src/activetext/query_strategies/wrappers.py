"""Wrapper strategies: they choose which candidates another strategy gets to see, or how its picks are combined.

Each wrapper takes any :class:`~activetext.query_strategies.base.QueryStrategy` as ``base_strategy`` and is itself
one, so wrappers compose (``SEALS(RandomSubsampling(LeastConfidence(), 10_000), embeddings)``).

* :class:`RandomSubsampling`: the base strategy scores a random subsample of the pool.
* :class:`SEALS`: the base strategy scores the unlabeled nearest neighbours of the labeled documents.
* :class:`AnchorAL`: the base strategy scores the unlabeled nearest neighbours of a few labeled anchors per class.
* :class:`ClassBalancing`: the batch is filled so that the predicted classes even out the labeled class counts.

A wrapper calls ``base_strategy.query`` on the candidates it passes through, so the base strategy's own
:attr:`~QueryStrategy.last_candidates` and :attr:`~QueryStrategy.last_scores` describe that subpool. The
wrapper's :attr:`~QueryStrategy.last_candidates` is the full candidate set it was given, and its
:attr:`~QueryStrategy.last_scores` holds the base strategy's score for every candidate passed through and
``-inf`` for every candidate that was not (never NaN).
"""

from __future__ import annotations

import weakref
from abc import abstractmethod
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.classifiers.base import Classifier
from activetext.data.datasets import Dataset
from activetext.exceptions import InvalidArgumentError, MissingCapabilityError
from activetext.query_strategies.base import QueryStrategy, select_top_n
from activetext.query_strategies.embeddings import (
    ClassifierEmbeddings,
    EmbeddingSource,
    check_embedding_source,
    embed_all,
)
from activetext.utils.chunking import DEFAULT_CHUNK_SIZE, iter_chunks
from activetext.utils.random import Seed
from activetext.utils.validation import check_positive_int
from activetext.vector_indexes.base import VectorIndex, check_index_factory, new_index
from activetext.vector_indexes.exact import ExactIndex

__all__ = [
    "SEALS",
    "AnchorAL",
    "ClassBalancing",
    "RandomSubsampling",
    "WrapperStrategy",
    "balanced_allocation",
    "nearest_candidates",
]

_MAX_SEARCH_ENTRIES = 1 << 22
"""Neighbour entries (query x width) held at a time by :func:`nearest_candidates`: about 50 MB."""


class WrapperStrategy(QueryStrategy):
    """Base class of strategies that delegate scoring to another strategy.

    Parameters
    ----------
    base_strategy : QueryStrategy
        The strategy that scores the candidates this wrapper passes through.
    seed : None, int or numpy.random.Generator
        Source of the wrapper's own random choices (the base strategy has its own seed).
    """

    def __init__(self, base_strategy: QueryStrategy, seed: Seed = None):
        if not isinstance(base_strategy, QueryStrategy):
            raise InvalidArgumentError(
                f"base_strategy must be a QueryStrategy, got {base_strategy!r} ({type(base_strategy).__name__})"
            )
        super().__init__(seed)
        self.base_strategy = base_strategy

    def select(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        passed = self.subpool(clf, dataset, candidates, indices_labeled, y, n)
        return self._delegate(clf, dataset, candidates, passed, indices_labeled, y, n)

    @abstractmethod
    def subpool(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> np.ndarray:
        """Return the increasing positions (into ``candidates``, at least ``n`` of them) to pass to the base."""

    def _delegate(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        passed: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Query the base strategy on ``candidates[passed]``; return its picks as positions and all scores."""
        subpool = candidates[passed]
        picked = self.base_strategy.query(clf, dataset, subpool, indices_labeled, y, n)
        order = np.argsort(subpool, kind="stable")
        positions = passed[order[np.searchsorted(subpool, picked, sorter=order)]]
        scores = np.full(candidates.size, -np.inf)
        base_scores = self.base_strategy.last_scores
        scores[passed] = np.where(np.isnan(base_scores), -np.inf, base_scores)
        return positions, scores

    def get_params(self) -> dict[str, Any]:
        return {"base_strategy": self.base_strategy, **super().get_params()}


class RandomSubsampling(WrapperStrategy):
    """Let the base strategy score only a uniform random subsample of the pool.

    A standard way to bound the cost of expensive strategies on large pools; see for example Ein-Dor et al.
    (2020), "Active Learning for BERT: An Empirical Study", EMNLP, and Schröder et al. (2023), "small-text: Active
    Learning for Text Classification in Python", EACL (system demonstrations). With a pool of ``m`` documents the
    base strategy costs what it costs on ``min(m, max(subsample_size, n))`` documents; drawing the subsample is
    ``O(m)``.

    Parameters
    ----------
    base_strategy : QueryStrategy
        The strategy that scores the subsample.
    subsample_size : int
        How many candidates to pass through; when the pool holds no more than this, or when ``n`` is larger,
        every candidate (or ``n`` of them) is passed.
    seed : None, int or numpy.random.Generator
        Source of the subsample.
    """

    def __init__(self, base_strategy: QueryStrategy, subsample_size: int = 10_000, seed: Seed = None):
        super().__init__(base_strategy, seed)
        self.subsample_size = check_positive_int(subsample_size, name="subsample_size")

    def subpool(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> np.ndarray:
        size = max(self.subsample_size, n)
        if candidates.size <= size:
            return np.arange(candidates.size)
        return np.sort(self.rng.choice(candidates.size, size=size, replace=False))

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "subsample_size": self.subsample_size}


def balanced_allocation(
    n: int, labeled_counts: np.ndarray, available: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Split ``n`` batch slots among classes, inversely to their labeled counts, within what is available.

    Class ``c`` gets the weight ``1 / (labeled_counts[c] + 1)`` (the ``+ 1`` gives classes without labels a finite,
    largest weight). The slots are shared in proportion to the weights by the largest remainder method (Hamilton's
    method): every class gets the whole part of its share, and the slots left go to the largest fractional parts,
    ties broken by ``rng``. A class that gets more slots than ``available[c]`` keeps ``available[c]``, and the
    slots it cannot use are shared again, the same way, among the classes with candidates to spare.

    Parameters
    ----------
    n : int
        Slots to allocate; at most ``available.sum()``.
    labeled_counts : numpy.ndarray of int, shape (C,)
        Labeled documents per class.
    available : numpy.ndarray of int, shape (C,)
        Candidates predicted as each class.
    rng : numpy.random.Generator
        Breaks ties between equal remainders.

    Returns
    -------
    numpy.ndarray of int64, shape (C,)
        Slots per class, summing to ``n``, never above ``available``.

    Examples
    --------
    Labeled counts ``[1, 3, 0]`` give weights ``[1/2, 1/4, 1]``, so 5 slots are shared as
    ``[1.43, 0.71, 2.86]``: whole parts ``[1, 0, 2]``, and the two slots left go to the largest remainders
    (classes 2 and 1).

    >>> balanced_allocation(5, np.array([1, 3, 0]), np.array([9, 9, 9]), np.random.default_rng(0)).tolist()
    [1, 1, 3]
    """
    labeled_counts = np.asarray(labeled_counts, dtype=np.float64)
    available = np.asarray(available, dtype=np.int64)
    if n > available.sum():
        raise InvalidArgumentError(f"n={n} slots cannot be filled from {int(available.sum())} available candidates")
    weights = 1.0 / (labeled_counts + 1.0)
    quota = np.zeros(available.size, dtype=np.int64)
    remaining = n
    while remaining > 0:  # each round either allocates everything or fills at least one class: at most C rounds
        open_classes = quota < available
        share = remaining * np.where(open_classes, weights, 0.0) / weights[open_classes].sum()
        whole = np.floor(share).astype(np.int64)
        left = remaining - int(whole.sum())
        if left > 0:
            remainder = np.where(open_classes, share - whole, -np.inf)
            order = np.lexsort((rng.random(available.size), -remainder))
            whole[order[:left]] += 1
        grant = np.minimum(whole, available - quota)
        quota += grant
        remaining -= int(grant.sum())
    return quota


class ClassBalancing(WrapperStrategy):
    """Fill the batch so that its predicted classes move the labeled class distribution toward uniform.

    Imbalanced pools make uncertainty sampling query mostly the majority class; Ertekin et al. (2007), "Learning
    on the border: active learning in imbalanced data classification", CIKM, show that active selection itself
    can counter the imbalance. Following the class-balancing selection of Bloodgood (2018), "Support vector
    machine active learning algorithms with query-by-committee versus closest-to-hyperplane selection", ICSC, and
    small-text's class balancer, the ``n`` slots are allocated to the predicted classes inversely to their labeled
    counts (:func:`balanced_allocation`); each class's slots go to its best candidates, ranked first by the
    base strategy's own picks (in its order), then by the base strategy's scores, ties broken at random.

    Needs a trained classifier (``clf.predict`` on the candidates, ``chunk_size`` at a time) and single-label data.
    Cost: the base strategy on all candidates, one prediction per candidate, and ``O(m log m)`` for the ranking.
    Every candidate is passed through, so :attr:`last_scores` are the base strategy's scores.

    Parameters
    ----------
    base_strategy : QueryStrategy
        The strategy whose picks and scores rank the candidates within each class.
    seed : None, int or numpy.random.Generator
        Breaks ties (between equal remainders, and between equally ranked candidates).
    chunk_size : int
        Candidates predicted at a time.
    """

    def __init__(self, base_strategy: QueryStrategy, seed: Seed = None, chunk_size: int = DEFAULT_CHUNK_SIZE):
        super().__init__(base_strategy, seed)
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")

    def subpool(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> np.ndarray:
        return np.arange(candidates.size)

    def select(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(clf, Classifier):
            raise MissingCapabilityError(
                f"{type(self).__name__} needs a trained classifier, got {clf!r}; start with labeled data "
                "(initialize_data) or query a first batch with RandomSampling"
            )
        if dataset.is_multi_label:
            raise InvalidArgumentError(
                f"{type(self).__name__} balances single-label data; dataset is multi-label "
                f"({dataset.num_classes} labels)"
            )
        labels = np.asarray(y, dtype=np.int64)
        labeled_counts = np.bincount(labels[labels >= 0], minlength=dataset.num_classes)
        predicted = np.empty(candidates.size, dtype=np.int64)
        for chunk in iter_chunks(np.arange(candidates.size), self.chunk_size):
            predicted[chunk] = np.asarray(clf.predict(dataset[candidates[chunk]]), dtype=np.int64)

        picks, scores = self._delegate(clf, dataset, candidates, np.arange(candidates.size), indices_labeled, y, n)
        pick_rank = np.full(candidates.size, n, dtype=np.int64)
        pick_rank[picks] = np.arange(n)
        ranking = np.lexsort((self.rng.random(candidates.size), -scores, pick_rank))  # best candidate first

        available = np.bincount(predicted, minlength=dataset.num_classes)
        quota = balanced_allocation(n, labeled_counts, available, self.rng)
        ranked_classes = predicted[ranking]
        by_class = np.argsort(ranked_classes, kind="stable")  # grouped by class, best first within each class
        class_start = np.concatenate([[0], np.cumsum(available)[:-1]])
        rank_in_class = np.empty(candidates.size, dtype=np.int64)
        rank_in_class[by_class] = np.arange(candidates.size) - class_start[ranked_classes[by_class]]
        chosen = ranking[rank_in_class < quota[ranked_classes]]  # still in the order of the global ranking
        return chosen, scores

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "chunk_size": self.chunk_size}


def nearest_candidates(
    index: VectorIndex, queries: np.ndarray, k: int, is_candidate: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Return, for each query, its ``k`` nearest vectors whose ids are candidates, nearest first.

    The index is searched with a width of ``2k`` neighbours; queries that find fewer than ``k`` candidates
    among them (for example because their neighbourhood is labeled) are searched again with twice the width,
    until they have ``k`` or the whole index was searched. Queries are searched in blocks of bounded size.

    Parameters
    ----------
    index : VectorIndex
        Holds one vector per document, under the document's position in ``is_candidate``.
    queries : numpy.ndarray of shape (q, dim)
        The query vectors.
    k : int
        Neighbours wanted per query.
    is_candidate : numpy.ndarray of bool, shape (n_samples,)
        Which ids count.

    Returns
    -------
    distances : numpy.ndarray of float, shape (q, k)
        ``inf`` where a query has fewer than ``k`` candidate neighbours.
    ids : numpy.ndarray of int64, shape (q, k)
        ``-1`` where a query has fewer than ``k`` candidate neighbours.
    """
    ids_out = np.full((queries.shape[0], k), -1, dtype=np.int64)
    distances_out = np.full((queries.shape[0], k), np.inf)
    todo = np.arange(queries.shape[0])
    width = min(len(index), 2 * k)
    while todo.size:
        unfinished = []
        for block in iter_chunks(todo, max(1, _MAX_SEARCH_ENTRIES // width)):
            distances, ids = index.search(queries[block], width)
            usable = is_candidate[ids]
            rank = np.cumsum(usable, axis=1)
            rows, columns = np.nonzero(usable & (rank <= k))
            ids_out[block] = -1
            distances_out[block] = np.inf
            ids_out[block[rows], rank[rows, columns] - 1] = ids[rows, columns]
            distances_out[block[rows], rank[rows, columns] - 1] = distances[rows, columns]
            unfinished.append(block[(rank[:, -1] < k) & (width < len(index))])
        todo = np.concatenate(unfinished)
        width = min(len(index), 2 * width)
    return distances_out, ids_out


class _NeighbourhoodWrapper(WrapperStrategy):
    """Shared machinery of wrappers that pass the nearest neighbours of some labeled documents.

    The index over every document of the dataset is built on the first query and reused while the dataset stays
    the same (the same object, or one with the same :meth:`~activetext.data.datasets.Dataset.fingerprint`).
    """

    def __init__(
        self,
        base_strategy: QueryStrategy,
        embeddings: EmbeddingSource,
        k: int,
        index_factory: Callable[[], VectorIndex],
        seed: Seed,
        chunk_size: int,
    ):
        super().__init__(base_strategy, seed)
        self.embeddings = check_embedding_source(embeddings)
        self.k = check_positive_int(k, name="k")
        self.index_factory = check_index_factory(index_factory)
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")
        self._index: VectorIndex | None = None
        self._indexed_dataset: weakref.ref[Dataset] | None = None
        self._indexed_fingerprint: str | None = None
        self._reset_neighbour_cache()

    def _reset_neighbour_cache(self) -> None:
        """Forget the neighbour lists searched so far (the index changed)."""
        self._cache_sources = np.empty(0, dtype=np.int64)
        self._cache_ids = np.empty((0, 0), dtype=np.int64)
        self._cache_distances = np.empty((0, 0), dtype=np.float32)

    def index_for(self, clf: Classifier | None, dataset: Dataset) -> VectorIndex:
        """Return the index over every document of ``dataset`` (ids are positions), building it when needed."""
        if self._index is not None and self._indexed_dataset is not None and self._indexed_dataset() is dataset:
            return self._index
        fingerprint = dataset.fingerprint()
        if self._index is None or fingerprint != self._indexed_fingerprint:
            if self._index is not None and self._extends_indexed(dataset):
                new_rows = np.arange(len(self._index), len(dataset))  # documents appended to the pool
                self._index.add(embed_all(self.embeddings, clf, dataset, new_rows, self.chunk_size), new_rows)
            else:
                index = new_index(self.index_factory)
                every = np.arange(len(dataset))
                index.add(embed_all(self.embeddings, clf, dataset, every, self.chunk_size), every)
                self._index = index
            self._indexed_fingerprint = fingerprint
            self._reset_neighbour_cache()
        self._indexed_dataset = weakref.ref(dataset)
        return self._index

    def _extends_indexed(self, dataset: Dataset) -> bool:
        """Whether ``dataset`` is the indexed dataset with documents appended (its first rows are the same).

        Then the index is extended with the new rows instead of being rebuilt. The check hashes the first rows
        (an in-memory copy of them); datasets whose row selection returns another type (on-disk datasets) are
        rebuilt.
        """
        indexed = len(self._index) if self._index is not None else 0
        if not 0 < indexed < len(dataset):
            return False
        prefix = dataset[:indexed]
        return type(prefix) is type(dataset) and prefix.fingerprint() == self._indexed_fingerprint

    def _neighbours(
        self, clf: Classifier | None, dataset: Dataset, sources: np.ndarray, candidates: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return the ``k`` nearest candidates of each of the documents ``sources`` (distances and ids)."""
        index = self.index_for(clf, dataset)
        is_candidate = np.zeros(len(dataset), dtype=bool)
        is_candidate[candidates] = True
        if isinstance(self.embeddings, ClassifierEmbeddings):  # the queries' vectors change with the classifier
            queries = embed_all(self.embeddings, clf, dataset, sources, self.chunk_size)
            return nearest_candidates(index, queries, self.k, is_candidate)
        return self._cached_neighbours(clf, dataset, index, np.asarray(sources, dtype=np.int64), is_candidate)

    def _cached_neighbours(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        index: VectorIndex,
        sources: np.ndarray,
        is_candidate: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """:func:`nearest_candidates` for ``sources``, searching the index only for sources not searched before.

        The raw neighbour list of every source (its ``2k`` nearest documents, candidates or not) is kept while
        the index stays the same: as documents get labeled, the candidates are read from the kept lists, and only
        new sources, and sources whose list holds fewer than ``k`` candidates by now, are searched. The answer is
        the one :func:`nearest_candidates` gives, which searches with the same width first.
        """
        width = min(len(index), 2 * self.k)
        if self._cache_ids.shape[1] != width:
            self._reset_neighbour_cache()
        slots = np.searchsorted(self._cache_sources, sources)
        known = slots < self._cache_sources.size
        known[known] = self._cache_sources[slots[known]] == sources[known]
        new_sources = np.unique(sources[~known])
        if new_sources.size:
            queries = embed_all(self.embeddings, clf, dataset, new_sources, self.chunk_size)
            distances = np.empty((new_sources.size, width), dtype=np.float32)
            ids = np.empty((new_sources.size, width), dtype=np.int64)
            for block in iter_chunks(np.arange(new_sources.size), max(1, _MAX_SEARCH_ENTRIES // width)):
                distances[block], ids[block] = index.search(queries[block], width)
            merged = np.concatenate([self._cache_sources, new_sources])
            order = np.argsort(merged, kind="stable")
            self._cache_sources = merged[order]
            self._cache_ids = np.concatenate([self._cache_ids.reshape(-1, width), ids])[order]
            self._cache_distances = np.concatenate([self._cache_distances.reshape(-1, width), distances])[order]
            slots = np.searchsorted(self._cache_sources, sources)
        ids = self._cache_ids[slots]
        usable = is_candidate[ids]
        rank = np.cumsum(usable, axis=1)
        rows, columns = np.nonzero(usable & (rank <= self.k))
        ids_out = np.full((sources.size, self.k), -1, dtype=np.int64)
        distances_out = np.full((sources.size, self.k), np.inf)
        ids_out[rows, rank[rows, columns] - 1] = ids[rows, columns]
        distances_out[rows, rank[rows, columns] - 1] = self._cache_distances[slots][rows, columns]
        short = np.flatnonzero((rank[:, -1] < self.k) & (width < len(index)))
        if short.size:  # their kept list ran out of candidates: search wider, as nearest_candidates would
            queries = embed_all(self.embeddings, clf, dataset, sources[short], self.chunk_size)
            distances_out[short], ids_out[short] = nearest_candidates(index, queries, self.k, is_candidate)
        return distances_out, ids_out

    @staticmethod
    def _positions_of(candidates: np.ndarray, ids: np.ndarray, n_samples: int) -> np.ndarray:
        """Return the increasing positions in ``candidates`` of the (valid, ``>= 0``) ``ids``."""
        wanted = np.zeros(n_samples, dtype=bool)
        wanted[ids[ids >= 0]] = True
        return np.flatnonzero(wanted[candidates])

    def get_params(self) -> dict[str, Any]:
        return {
            **super().get_params(),
            "embeddings": self.embeddings,
            "k": self.k,
            "index_factory": self.index_factory,
            "chunk_size": self.chunk_size,
        }


class SEALS(_NeighbourhoodWrapper):
    """Let the base strategy score only the unlabeled nearest neighbours of the labeled documents.

    Coleman et al. (2022), "Similarity Search for Efficient Active Learning and Search of Rare Concepts", AAAI.
    The candidate pool is the union, over the labeled documents, of their ``k`` nearest candidates (unlabeled
    documents in ``indices_unlabeled``); it grows with the labeled set and concentrates on the regions around
    the labels, which makes a query cost ``O(|L| k)`` scorings instead of ``O(m)``.

    The index holds every document of the dataset and is built once per dataset (embedding every document once,
    ``chunk_size`` at a time); when documents are appended to the dataset, only they are added. The neighbour list
    of each labeled document is kept between queries, so a query searches only the newly labeled documents (with
    an approximate index, about ``O(log n)`` each), plus the few whose kept list ran out of unlabeled neighbours.
    Use embeddings that do not change between queries
    (:class:`~activetext.query_strategies.embeddings.PrecomputedEmbeddings` or ``FeatureEmbeddings``); with
    ``ClassifierEmbeddings`` the index keeps the classifier's representation from the first query.

    When the neighbourhoods hold fewer than ``n`` candidates (at a cold start with no labeled documents, for
    example), every candidate is passed to the base strategy instead.

    Parameters
    ----------
    base_strategy : QueryStrategy
        The strategy that scores the neighbourhood candidates.
    embeddings : EmbeddingSource
        The vectors neighbours are found with.
    k : int
        Nearest candidates taken per labeled document.
    index_factory : callable returning a VectorIndex
        Builds the index, for example ``ExactIndex`` or ``functools.partial(HnswIndex, metric=Metric.COSINE)``.
    seed : None, int or numpy.random.Generator
        Kept for the common interface (SEALS makes no random choice itself).
    chunk_size : int
        Documents embedded at a time.
    """

    def __init__(
        self,
        base_strategy: QueryStrategy,
        embeddings: EmbeddingSource,
        k: int = 100,
        index_factory: Callable[[], VectorIndex] = ExactIndex,
        seed: Seed = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ):
        super().__init__(base_strategy, embeddings, k, index_factory, seed, chunk_size)

    def subpool(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> np.ndarray:
        if indices_labeled.size == 0:
            return np.arange(candidates.size)
        _, ids = self._neighbours(clf, dataset, indices_labeled, candidates)
        passed = self._positions_of(candidates, ids, len(dataset))
        return passed if passed.size >= n else np.arange(candidates.size)


class AnchorAL(_NeighbourhoodWrapper):
    """Let the base strategy score only the unlabeled nearest neighbours of a few labeled anchors per class.

    Lesci and Vlachos (2024), "AnchorAL: Computationally Efficient Active Learning for Large and Imbalanced
    Datasets", NAACL. At every query, up to ``num_anchors`` labeled documents of each class are drawn at random
    as anchors, and the subpool is the union of the ``k`` nearest candidates of each anchor. Because every class
    gets anchors, minority classes are represented in the subpool however rare they are; because the anchors
    change between queries, the subpool does not stay stuck in one region. A query scores at most
    ``C * num_anchors * k`` candidates, independent of the pool size.

    The index holds every document of the dataset and is built once per dataset, as in :class:`SEALS` (use
    embeddings that do not change between queries). Multi-label data works too: the anchors of a label are drawn
    among the labeled documents that carry it.

    When the subpool holds fewer than ``n`` candidates (at a cold start with no labeled documents, for example),
    every candidate is passed to the base strategy instead.

    Parameters
    ----------
    base_strategy : QueryStrategy
        The strategy that scores the subpool.
    embeddings : EmbeddingSource
        The vectors neighbours are found with.
    num_anchors : int
        Anchors drawn per class (fewer when a class has fewer labeled documents).
    k : int
        Nearest candidates taken per anchor.
    subpool_size : int or None
        If set, the subpool is cut to this many candidates (at least ``n``), keeping those nearest to an anchor
        (a cap in the spirit of the paper's subpool size; ties broken at random).
    index_factory : callable returning a VectorIndex
        Builds the index, for example ``ExactIndex`` or ``functools.partial(HnswIndex, metric=Metric.COSINE)``.
    seed : None, int or numpy.random.Generator
        Source of the anchor draws.
    chunk_size : int
        Documents embedded at a time.
    """

    def __init__(
        self,
        base_strategy: QueryStrategy,
        embeddings: EmbeddingSource,
        num_anchors: int = 10,
        k: int = 50,
        subpool_size: int | None = None,
        index_factory: Callable[[], VectorIndex] = ExactIndex,
        seed: Seed = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ):
        super().__init__(base_strategy, embeddings, k, index_factory, seed, chunk_size)
        self.num_anchors = check_positive_int(num_anchors, name="num_anchors")
        self.subpool_size = None if subpool_size is None else check_positive_int(subpool_size, name="subpool_size")

    def anchors(self, indices_labeled: np.ndarray, y: np.ndarray | sp.csr_matrix) -> np.ndarray:
        """Draw up to ``num_anchors`` labeled documents per class at random; return their dataset indices.

        Parameters
        ----------
        indices_labeled : numpy.ndarray of int
            The labeled documents.
        y : numpy.ndarray of int or scipy.sparse.csr_matrix
            Their labels, in the same order (an indicator matrix for multi-label data).

        Returns
        -------
        numpy.ndarray of int64
            The anchors, sorted, without repetition.
        """
        if sp.issparse(y):
            pairs = sp.coo_matrix(y)
            rows, classes = pairs.row.astype(np.int64), pairs.col.astype(np.int64)
        else:
            classes = np.asarray(y, dtype=np.int64)
            rows = np.flatnonzero(classes >= 0)
            classes = classes[rows]
        if rows.size == 0:
            return np.empty(0, dtype=np.int64)
        order = np.lexsort((self.rng.random(rows.size), classes))  # by class, in random order within a class
        sorted_classes = classes[order]
        starts = np.flatnonzero(np.r_[True, sorted_classes[1:] != sorted_classes[:-1]])
        rank = np.arange(order.size) - np.repeat(starts, np.diff(np.r_[starts, order.size]))
        return np.unique(np.asarray(indices_labeled, dtype=np.int64)[rows[order[rank < self.num_anchors]]])

    def subpool(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> np.ndarray:
        anchors = self.anchors(indices_labeled, y)
        if anchors.size == 0:
            return np.arange(candidates.size)
        distances, ids = self._neighbours(clf, dataset, anchors, candidates)
        found = ids >= 0
        if self.subpool_size is not None:
            unique_ids, inverse = np.unique(ids[found], return_inverse=True)
            nearest = np.full(unique_ids.size, np.inf)
            np.minimum.at(nearest, inverse, distances[found])
            keep = max(self.subpool_size, n)
            if unique_ids.size > keep:
                unique_ids = unique_ids[select_top_n(-nearest, keep, self.rng)]
            ids = unique_ids
        else:
            ids = ids[found]
        passed = self._positions_of(candidates, ids, len(dataset))
        return passed if passed.size >= n else np.arange(candidates.size)

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "num_anchors": self.num_anchors, "subpool_size": self.subpool_size}
