"""Diversity (representation) strategies: query documents that cover the pool's embedding space.

These strategies look at where documents lie, not (or not only) at what the classifier thinks of them, so most of
them work at cold start with :class:`~activetext.query_strategies.embeddings.PrecomputedEmbeddings` or
:class:`~activetext.query_strategies.embeddings.FeatureEmbeddings`.

* :class:`GreedyCoreset`: k-center greedy (Sener and Savarese 2018);
* :class:`LightweightCoreset`: importance sampling by squared distance to the mean (Bachem et al. 2018);
* :class:`EmbeddingKMeans`: the candidate nearest each of ``n`` k-means centroids (Zhdanov 2019);
* :class:`ProbCover`: greedy maximum coverage of δ-balls (Yehuda et al. 2022);
* :class:`TypiClust`: the most typical candidate of the largest uncovered clusters (Hacohen et al. 2022).

Memory grows linearly with the pool: distances are computed in blocks, neighbour graphs keep at most
``n_neighbors`` edges per point, and clustering switches to mini-batch k-means on large pools. ProbCover and
TypiClust, whose graphs and per-cluster neighbour searches grow faster than linearly in time, work on a random
subsample of at most ``max_candidates`` candidates (drawn from the strategy's generator); candidates left out get a
NaN score and are never returned.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.classifiers.base import Classifier
from activetext.data.datasets import Dataset
from activetext.exceptions import InvalidArgumentError, MissingCapabilityError
from activetext.query_strategies.base import QueryStrategy, scatter_scores, subsample_positions
from activetext.query_strategies.embeddings import (
    ClassifierEmbeddings,
    EmbeddingSource,
    check_embedding_source,
    embed_all,
)
from activetext.query_strategies.uncertainty import BreakingTies
from activetext.utils.chunking import DEFAULT_CHUNK_SIZE
from activetext.utils.random import Seed, random_state_from
from activetext.utils.validation import check_optional_positive_int, check_positive_int
from activetext.vector_indexes.base import IndexFactory, VectorIndex, check_index_factory, new_index
from activetext.vector_indexes.exact import ExactIndex

__all__ = ["EmbeddingKMeans", "GreedyCoreset", "LightweightCoreset", "ProbCover", "TypiClust"]


_BLOCK_ELEMENTS = 1 << 22
"""Largest distance block (in float32 entries, 16 MiB) held at once by the blocked distance computations."""

_MIN_WEIGHT = 1e-6
"""Floor of the uncertainty weights of EmbeddingKMeans, so that k-means never sees an all-zero weight vector."""


# --- shared helpers ------------------------------------------------------------------------------------------


def _pick_tied(values: np.ndarray, best: float, rng: np.random.Generator) -> int:
    """The position of a value equal to ``best``, uniformly at random among ties."""
    ties = np.flatnonzero(values == best)
    return int(ties[0] if ties.size == 1 else ties[rng.integers(ties.size)])


def min_squared_distances(points: np.ndarray, others: np.ndarray, chunk_size: int = DEFAULT_CHUNK_SIZE) -> np.ndarray:
    """Return, for each row of ``points``, the squared Euclidean distance to the nearest row of ``others``.

    Distances are computed in blocks of at most ``chunk_size`` rows of ``points`` times as many rows of
    ``others`` as fit in about 16 MiB, so memory stays linear in the inputs.

    Parameters
    ----------
    points : numpy.ndarray of shape (m, d)
    others : numpy.ndarray of shape (k, d)
    chunk_size : int
        Rows of ``points`` handled at a time.

    Returns
    -------
    numpy.ndarray of float32, shape (m,)
        ``inf`` everywhere when ``others`` is empty.

    Examples
    --------
    >>> min_squared_distances(np.array([[1.0], [5.0]]), np.array([[0.0], [4.0]])).tolist()
    [1.0, 1.0]
    """
    points = np.ascontiguousarray(points, dtype=np.float32)
    others = np.ascontiguousarray(others, dtype=np.float32)
    result = np.full(points.shape[0], np.inf, dtype=np.float32)
    if others.shape[0] == 0 or points.shape[0] == 0:
        return result
    rows = min(chunk_size, points.shape[0])
    cols = max(1, _BLOCK_ELEMENTS // rows)
    point_norms = np.einsum("ij,ij->i", points, points)
    other_norms = np.einsum("ij,ij->i", others, others)
    for start in range(0, points.shape[0], rows):
        block = points[start : start + rows]
        best = result[start : start + rows]
        for col in range(0, others.shape[0], cols):
            squared = other_norms[col : col + cols] - 2.0 * (block @ others[col : col + cols].T)
            np.minimum(best, squared.min(axis=1), out=best)
        best += point_norms[start : start + rows]
    return np.maximum(result, 0.0, out=result)


def _fit_kmeans(
    x: np.ndarray, k: int, rng: np.random.Generator, minibatch_threshold: int, weights: np.ndarray | None = None
) -> Any:
    """Fit k-means (full batch up to ``minibatch_threshold`` rows, mini-batch beyond) seeded from ``rng``.

    Full-batch k-means stops after 100 Lloyd iterations, which is plenty on data with cluster structure. The data
    is handed over as float64: on float32 input scikit-learn's k-means++ seeding computes distances through a slow
    upcasting path (measured 60 times slower for 325 clusters on 6,000 x 128).
    """
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.exceptions import ConvergenceWarning

    random_state = random_state_from(rng)
    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] > minibatch_threshold:
        batch_size = max(1024, 3 * k)
        model = MiniBatchKMeans(n_clusters=k, n_init=1, batch_size=batch_size, random_state=random_state)
    else:
        model = KMeans(n_clusters=k, n_init=1, max_iter=100, random_state=random_state)
    with warnings.catch_warnings():
        # duplicate points can leave fewer distinct clusters than k; the strategies handle that themselves
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x, sample_weight=weights)
    return model


def _nearest_unique(index: VectorIndex, queries: np.ndarray, size: int, n_neighbors: int = 8) -> np.ndarray:
    """For each query, the id of its nearest indexed vector not already given to another query.

    Queries whose nearest vector is closest claim first; a query whose ``n_neighbors`` nearest are all taken
    searches again with four times as many neighbours (at most ``size``). The index holds ids ``0 .. size-1``
    and at least as many vectors as there are queries.
    """
    k = min(size, n_neighbors)
    distances, ids = index.search(queries, k)
    taken = np.zeros(size, dtype=bool)
    chosen = np.empty(queries.shape[0], dtype=np.int64)
    for query in np.argsort(distances[:, 0], kind="stable"):
        row, width = ids[query], k
        free = row[~taken[row]]
        while free.size == 0 and width < size:
            width = min(size, 4 * width)
            row = index.search(queries[query : query + 1], width)[1][0]
            free = row[~taken[row]]
        chosen[query] = free[0]
        taken[free[0]] = True
    return chosen


def _proba_scores(
    strategy: QueryStrategy, clf: Any, dataset: Dataset, candidates: np.ndarray, chunk_size: int
) -> np.ndarray:
    """Breaking-ties uncertainty of ``candidates`` (chunked), after checking that ``clf`` can give it."""
    name = type(strategy).__name__
    if not isinstance(clf, Classifier):
        raise MissingCapabilityError(
            f"{name} with uncertainty weights or pre-filtering needs a trained classifier, got {clf!r}; "
            "use weighted=False and prefilter=None at cold start"
        )
    if dataset.is_multi_label:
        raise InvalidArgumentError(
            f"{name} weights candidates by single-label uncertainty; dataset is multi-label "
            f"({dataset.num_classes} labels): use weighted=False and prefilter=None"
        )
    scorer = BreakingTies(seed=strategy.rng, chunk_size=chunk_size)  # draws nothing; shares the generator
    return scorer.score(clf, dataset, candidates, np.empty(0, dtype=np.int64), None)


# --- base class ---------------------------------------------------------------------------------------------


class _EmbeddingStrategy(QueryStrategy):
    """A strategy that reads vectors from an :class:`EmbeddingSource`, ``chunk_size`` documents at a time."""

    def __init__(self, embeddings: EmbeddingSource, seed: Seed, chunk_size: int):
        super().__init__(seed)
        self.embeddings = check_embedding_source(embeddings)
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")

    def _embed(self, clf: Classifier | None, dataset: Dataset, indices: np.ndarray) -> np.ndarray:
        return embed_all(self.embeddings, clf, dataset, indices, self.chunk_size)

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "embeddings": self.embeddings, "chunk_size": self.chunk_size}


# --- strategies ---------------------------------------------------------------------------------------------


class GreedyCoreset(_EmbeddingStrategy):
    """Query the candidate farthest from everything labeled or already picked, ``n`` times (k-center greedy).

    Sener and Savarese (2018), "Active Learning for Convolutional Neural Networks: A Core-Set Approach", ICLR.

    The distance from each candidate to its nearest labeled document is computed once, in blocks; after each
    pick it is updated with the distance to the picked vector alone, ``O(m d)`` for ``m`` candidates of
    dimension ``d``. Memory is linear in the pool (the candidates' vectors plus one float per candidate).
    With nothing labeled, the first pick is drawn uniformly at random. Ties are broken at random.

    Distances are Euclidean; embed with ``normalize=True`` to rank by cosine distance.

    :attr:`last_scores` holds each candidate's distance to the nearest labeled document before the first pick
    (``inf`` when nothing is labeled).

    Parameters
    ----------
    embeddings : EmbeddingSource
        Where the vectors come from (the classifier's ``embed`` by default).
    max_candidates : int, optional
        Work on a uniform random sample of at most this many candidates (default: all; the exact algorithm is
        linear per pick).
    seed : None, int or numpy.random.Generator
        Source of the first pick at cold start, of tie-breaking and of subsampling.
    chunk_size : int
        Documents embedded, and candidate rows compared, at a time.

    Examples
    --------
    >>> from activetext.data import SklearnDataset
    >>> from activetext.query_strategies.embeddings import PrecomputedEmbeddings
    >>> points = np.array([[0.0], [1.0], [5.0], [10.0]])
    >>> dataset = SklearnDataset(points, target_labels=[0, 1])
    >>> strategy = GreedyCoreset(PrecomputedEmbeddings(points), seed=0)
    >>> strategy.query(None, dataset, np.array([1, 2, 3]), np.array([0]), np.array([0]), n=2).tolist()
    [3, 2]
    """

    def __init__(
        self,
        embeddings: EmbeddingSource = ClassifierEmbeddings(),
        max_candidates: int | None = None,
        seed: Seed = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ):
        super().__init__(embeddings, seed, chunk_size)
        self.max_candidates = check_optional_positive_int(max_candidates, name="max_candidates")

    def select(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        positions = subsample_positions(candidates.size, self.max_candidates, n, self.rng)
        vectors = self._embed(clf, dataset, candidates[positions])
        squared_norms = np.einsum("ij,ij->i", vectors, vectors)
        if indices_labeled.size:
            nearest = min_squared_distances(vectors, self._embed(clf, dataset, indices_labeled), self.chunk_size)
        else:
            nearest = np.full(positions.size, np.inf, dtype=np.float32)
        scores = scatter_scores(candidates.size, positions, np.sqrt(nearest.astype(np.float64)))
        picks = np.empty(n, dtype=np.int64)
        for step in range(n):
            if step == 0 and indices_labeled.size == 0:
                pick = int(self.rng.integers(positions.size))  # cold start: nothing to be far from yet
            else:
                pick = _pick_tied(nearest, float(nearest.max()), self.rng)
            picks[step] = pick
            vector = vectors[pick]
            to_pick = np.maximum(squared_norms - 2.0 * (vectors @ vector) + float(vector @ vector), 0.0)
            np.minimum(nearest, to_pick, out=nearest)
            nearest[pick] = -np.inf  # never picked twice, even when everything left is at distance 0
        return positions[picks], scores

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "max_candidates": self.max_candidates}


class LightweightCoreset(_EmbeddingStrategy):
    """Sample candidates with probability mixing uniform and squared distance to the pool's mean.

    Bachem, Lucic and Krause (2018), "Scalable k-Means Clustering via Lightweight Coresets", KDD.

    Each candidate ``x`` of a pool ``X`` gets the probability

    ``q(x) = 1/2 * 1/|X| + 1/2 * d(x, mean(X))^2 / sum_{x' in X} d(x', mean(X))^2``

    and ``n`` candidates are drawn without replacement, successively in proportion to ``q`` (exponential keys
    ``E / q`` with ``E ~ Exp(1)``, the ``n`` smallest first: Efraimidis and Spirakis 2006). The mean is that of
    the candidates; labeled documents play no part. One pass over the candidates, ``O(m d)``; no classifier is
    needed beyond what the embedding source needs. :attr:`last_scores` holds ``q``.

    Parameters
    ----------
    embeddings : EmbeddingSource
        Where the vectors come from (the classifier's ``embed`` by default).
    seed : None, int or numpy.random.Generator
        Source of the draws.
    chunk_size : int
        Documents embedded at a time.
    """

    def __init__(
        self,
        embeddings: EmbeddingSource = ClassifierEmbeddings(),
        seed: Seed = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ):
        super().__init__(embeddings, seed, chunk_size)

    def select(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        vectors = self._embed(clf, dataset, candidates)
        mean = vectors.mean(axis=0, dtype=np.float64).astype(np.float32)
        squared = np.empty(candidates.size, dtype=np.float64)
        for start in range(0, candidates.size, self.chunk_size):
            block = vectors[start : start + self.chunk_size] - mean
            squared[start : start + self.chunk_size] = np.einsum("ij,ij->i", block, block)
        total = squared.sum()
        uniform = 1.0 / candidates.size
        proba = 0.5 * uniform + 0.5 * squared / total if total > 0 else np.full(candidates.size, uniform)
        keys = self.rng.exponential(size=candidates.size) / proba
        picks = np.argpartition(keys, n - 1)[:n] if n < candidates.size else np.arange(candidates.size)
        return picks[np.argsort(keys[picks], kind="stable")], proba


class EmbeddingKMeans(_EmbeddingStrategy):
    """Cluster the candidates into ``n`` groups with k-means and query the candidate nearest each centroid.

    Zhdanov (2019), "Diverse mini-batch Active Learning", arXiv:1901.05954 (the k-means variant).

    With ``weighted=True`` each candidate weighs in k-means by its breaking-ties uncertainty ``1 - (p1 - p2)``
    (floored at 1e-6), which pulls centroids towards uncertain regions. With ``prefilter=beta`` only the
    ``beta * n`` most uncertain candidates are clustered, as in the paper. Both need a trained single-label
    classifier; with neither, the strategy works at cold start.

    The nearest candidate of each centroid is found with the vector index; picks are unique: when two centroids
    share their nearest candidate, the closer centroid keeps it and the other takes its next nearest free one.
    Picks are returned largest (heaviest) cluster first. Pools larger than ``minibatch_threshold`` use
    :class:`sklearn.cluster.MiniBatchKMeans`. Cost: k-means ``O(m n d)`` per iteration, plus one index search
    of the ``n`` centroids. :attr:`last_scores` holds minus each candidate's distance to its centroid.

    Parameters
    ----------
    embeddings : EmbeddingSource
        Where the vectors come from (the classifier's ``embed`` by default).
    index_factory : callable returning a VectorIndex
        The index that finds each centroid's nearest candidates (exact by default).
    weighted : bool
        Whether to weight candidates by their uncertainty.
    prefilter : int, optional
        Cluster only the ``prefilter * n`` most uncertain candidates (Zhdanov's beta, 10 in the paper).
    minibatch_threshold : int
        Above this many clustered candidates, mini-batch k-means is used.
    max_candidates : int, optional
        Cluster a uniform random sample of at most this many candidates (default: all).
    seed : None, int or numpy.random.Generator
        Seeds k-means and the subsampling.
    chunk_size : int
        Documents embedded (and predicted, when weighted) at a time.
    """

    def __init__(
        self,
        embeddings: EmbeddingSource = ClassifierEmbeddings(),
        index_factory: IndexFactory = ExactIndex,
        weighted: bool = False,
        prefilter: int | None = None,
        minibatch_threshold: int = 20_000,
        max_candidates: int | None = None,
        seed: Seed = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ):
        super().__init__(embeddings, seed, chunk_size)
        self.index_factory = check_index_factory(index_factory)
        if not isinstance(weighted, (bool, np.bool_)):
            raise InvalidArgumentError(f"weighted must be a bool, got {weighted!r} ({type(weighted).__name__})")
        self.weighted = bool(weighted)
        self.prefilter = check_optional_positive_int(prefilter, name="prefilter")
        self.minibatch_threshold = check_positive_int(minibatch_threshold, name="minibatch_threshold")
        self.max_candidates = check_optional_positive_int(max_candidates, name="max_candidates")

    def select(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        positions = subsample_positions(candidates.size, self.max_candidates, n, self.rng)
        weights = None
        if self.weighted or self.prefilter is not None:
            uncertainty = _proba_scores(self, clf, dataset, candidates[positions], self.chunk_size)
            if self.prefilter is not None and self.prefilter * n < positions.size:
                keep = np.sort(np.argpartition(-uncertainty, self.prefilter * n - 1)[: self.prefilter * n])
                positions, uncertainty = positions[keep], uncertainty[keep]
            if self.weighted:
                weights = np.maximum(uncertainty, _MIN_WEIGHT)
        vectors = self._embed(clf, dataset, candidates[positions])
        model = _fit_kmeans(vectors, n, self.rng, self.minibatch_threshold, weights)
        centers = np.asarray(model.cluster_centers_, dtype=np.float32)
        labels = np.asarray(model.labels_, dtype=np.int64)
        distances = np.empty(positions.size, dtype=np.float64)
        for start in range(0, positions.size, self.chunk_size):
            block = vectors[start : start + self.chunk_size] - centers[labels[start : start + self.chunk_size]]
            distances[start : start + self.chunk_size] = np.sqrt(np.einsum("ij,ij->i", block, block))
        index = new_index(self.index_factory)
        index.add(vectors, np.arange(positions.size))
        nearest = _nearest_unique(index, centers, positions.size)
        mass = np.bincount(labels, weights=weights, minlength=n)
        order = np.lexsort((self.rng.random(n), -mass))
        return positions[nearest[order]], scatter_scores(candidates.size, positions, -distances)

    def get_params(self) -> dict[str, Any]:
        return {
            **super().get_params(),
            "index_factory": self.index_factory,
            "weighted": self.weighted,
            "prefilter": self.prefilter,
            "minibatch_threshold": self.minibatch_threshold,
            "max_candidates": self.max_candidates,
        }


class ProbCover(_EmbeddingStrategy):
    """Greedily query the candidate whose δ-ball covers the most candidates not yet covered.

    Yehuda, Dekel, Hacohen and Weinshall (2022), "Active Learning Through a Covering Lens", NeurIPS.

    A candidate is *covered* when a labeled document or a picked candidate lies within distance ``delta`` of
    it. Each pick is the candidate whose ball holds the most uncovered candidates (ties at random); when every
    candidate is covered, the remaining picks are drawn uniformly at random, as in the paper.

    **Approximation.** The δ-ball graph is built from a k-nearest-neighbour search with the vector index: a
    candidate's ball is its ``n_neighbors`` nearest candidates (itself included) that lie within ``delta``.
    Balls holding more than ``n_neighbors`` points are truncated, which keeps the graph at ``O(m k)`` edges.
    Coverage by labeled documents is exact (the nearest labeled document of each candidate).

    **Default delta.** With ``delta=None``, δ is chosen per query as in the paper, the largest radius at which
    a share ``purity`` of the balls are *pure*: their points all fall into the same k-means cluster, with
    ``k = num_classes`` clusters of the candidates. A ball is taken as pure up to the distance of its first
    neighbour from another cluster, or of its ``n_neighbors``-th neighbour when all of them share its cluster
    (the radius the truncated graph can vouch for). The radius used is kept as :attr:`delta_`.

    Cost: the k-NN graph of the (at most ``max_candidates``) candidates, ``O(m^2 d)`` with the exact index,
    and one search of the candidates among the labeled documents; memory ``O(m k)``. Distances are those of
    the index (Euclidean with :class:`ExactIndex`). :attr:`last_scores` holds each candidate's coverage gain
    (uncovered candidates in its ball) before the first pick.

    Parameters
    ----------
    embeddings : EmbeddingSource
        Where the vectors come from (the classifier's ``embed`` by default).
    index_factory : callable returning a VectorIndex
        The nearest-neighbour index (exact by default; an approximate one is much faster on large pools).
    delta : float, optional
        The ball radius; ``None`` chooses it by the purity rule above.
    purity : float
        Share of pure balls the chosen radius keeps, in (0, 1] (0.95 in the paper).
    n_neighbors : int
        Largest number of points in a ball (edges per candidate in the graph).
    minibatch_threshold : int
        Above this many candidates, the k-means of the purity rule is mini-batch.
    max_candidates : int, optional
        Work on a uniform random sample of at most this many candidates (default 20,000: the exact k-NN graph
        grows with the square of the sample, about 15 s at 20,000 x 384 on 2 cores and 4 minutes at 100,000).
    seed : None, int or numpy.random.Generator
        Source of subsampling, k-means seeds, tie-breaking and the random picks once everything is covered.
    chunk_size : int
        Documents embedded at a time.
    """

    def __init__(
        self,
        embeddings: EmbeddingSource = ClassifierEmbeddings(),
        index_factory: IndexFactory = ExactIndex,
        delta: float | None = None,
        purity: float = 0.95,
        n_neighbors: int = 50,
        minibatch_threshold: int = 20_000,
        max_candidates: int | None = 20_000,
        seed: Seed = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ):
        super().__init__(embeddings, seed, chunk_size)
        self.index_factory = check_index_factory(index_factory)
        if delta is not None and (
            isinstance(delta, bool) or not isinstance(delta, (int, float, np.number)) or not 0 < delta < math.inf
        ):
            raise InvalidArgumentError(f"delta must be None or a finite number > 0, got {delta!r}")
        self.delta = None if delta is None else float(delta)
        if isinstance(purity, bool) or not isinstance(purity, (int, float, np.number)) or not 0 < purity <= 1:
            raise InvalidArgumentError(f"purity must be a number in (0, 1], got {purity!r}")
        self.purity = float(purity)
        self.n_neighbors = check_positive_int(n_neighbors, name="n_neighbors")
        self.minibatch_threshold = check_positive_int(minibatch_threshold, name="minibatch_threshold")
        self.max_candidates = check_optional_positive_int(max_candidates, name="max_candidates")
        self.delta_: float | None = None

    def select(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        positions = subsample_positions(candidates.size, self.max_candidates, n, self.rng)
        size = positions.size
        vectors = self._embed(clf, dataset, candidates[positions])
        index = new_index(self.index_factory)
        index.add(vectors, np.arange(size))
        distances, neighbours = index.search(vectors, self.n_neighbors + 1)  # +1: the point itself
        delta = self.delta if self.delta is not None else self._purity_delta(vectors, distances, neighbours, dataset)
        self.delta_ = delta

        within = distances <= delta
        rows = np.concatenate([np.repeat(np.arange(size), within.sum(axis=1)), np.arange(size)])
        cols = np.concatenate([neighbours[within], np.arange(size)])
        balls = sp.csr_matrix((np.ones(rows.size, dtype=np.int32), (rows, cols)), shape=(size, size))
        balls.data[:] = 1  # a point listed twice (itself) counts once
        owners = balls.T.tocsr()  # row j: the candidates whose ball holds j
        del distances, neighbours, within, rows, cols

        uncovered = np.ones(size, dtype=bool)
        if indices_labeled.size:
            labeled_index = new_index(self.index_factory)
            labeled_index.add(self._embed(clf, dataset, indices_labeled), np.arange(indices_labeled.size))
            uncovered = labeled_index.search(vectors, 1)[0][:, 0] > delta
        gain = balls @ uncovered.astype(np.int64)
        scores = scatter_scores(candidates.size, positions, gain)

        picked = np.zeros(size, dtype=bool)
        picks = np.empty(n, dtype=np.int64)
        for step in range(n):
            available = np.where(picked, -1, gain)
            best = int(available.max())
            if best <= 0:  # everything is covered: the rest at random
                rest = np.flatnonzero(~picked)
                picks[step:] = self.rng.choice(rest, size=n - step, replace=False)
                break
            pick = _pick_tied(available, best, self.rng)
            picks[step], picked[pick] = pick, True
            newly = balls.indices[balls.indptr[pick] : balls.indptr[pick + 1]]
            newly = newly[uncovered[newly]]
            uncovered[newly] = False
            gain -= np.bincount(owners[newly].indices, minlength=size)
        return positions[picks], scores

    def _purity_delta(
        self, vectors: np.ndarray, distances: np.ndarray, neighbours: np.ndarray, dataset: Dataset
    ) -> float:
        """The largest radius at which a share ``purity`` of the (truncated) balls are pure (see the class)."""
        k = min(max(2, dataset.num_classes), vectors.shape[0])
        clusters = np.asarray(_fit_kmeans(vectors, k, self.rng, self.minibatch_threshold).labels_)
        other = clusters[neighbours] != clusters[:, None]
        first_other = np.argmax(other, axis=1)
        safe = np.where(other.any(axis=1), distances[np.arange(len(vectors)), first_other], distances[:, -1])
        delta = float(np.quantile(safe, 1.0 - self.purity))
        if delta <= 0:  # duplicates everywhere: keep a radius that covers at least exact copies
            positive = safe[safe > 0]
            delta = float(positive.min()) if positive.size else float(np.finfo(np.float32).eps)
        return delta

    def get_params(self) -> dict[str, Any]:
        return {
            **super().get_params(),
            "index_factory": self.index_factory,
            "delta": self.delta,
            "purity": self.purity,
            "n_neighbors": self.n_neighbors,
            "minibatch_threshold": self.minibatch_threshold,
            "max_candidates": self.max_candidates,
        }


class TypiClust(_EmbeddingStrategy):
    """Query the most typical candidate of each of the largest clusters that hold no labeled document.

    Hacohen, Dekel and Weinshall (2022), "Active Learning on a Budget: Opposite Strategies Suit High and Low
    Budgets", ICML.

    Candidates and labeled documents are clustered together into ``#labeled + n`` clusters (at most
    ``max_clusters``; k-means, mini-batch beyond ``minibatch_threshold`` points). Each pick goes to the cluster
    with the fewest labeled or already picked documents, the largest among those (ties at random); clusters
    smaller than ``min_cluster_size`` are skipped while larger ones have candidates left. In the chosen cluster
    the pick is the candidate of highest *typicality*, the inverse of its mean distance to its ``n_neighbors``
    nearest neighbours within the cluster (labeled members included), found with the vector index cluster by
    cluster. With ``#labeled + n`` clusters, the picks are thus the most typical candidates of the ``n``
    largest clusters without labeled documents.

    Cost: k-means ``O(N K d)`` per iteration for ``N`` points and ``K`` clusters, plus a neighbour search
    inside every cluster, ``O(sum_c |c|^2 d)`` with the exact index; memory stays linear (the index searches in
    chunks). :attr:`last_scores` holds each candidate's typicality.

    Parameters
    ----------
    embeddings : EmbeddingSource
        Where the vectors come from (the classifier's ``embed`` by default).
    index_factory : callable returning a VectorIndex
        The nearest-neighbour index used inside each cluster.
    n_neighbors : int
        Neighbours in the typicality (20 in the paper; fewer in clusters too small to have them).
    max_clusters : int, optional
        Largest number of clusters; ``None`` for no cap.
    min_cluster_size : int
        Clusters with fewer points are used only when no larger cluster has candidates left.
    minibatch_threshold : int
        Above this many points, mini-batch k-means is used.
    max_candidates : int, optional
        Work on a uniform random sample of at most this many candidates (default 100,000).
    seed : None, int or numpy.random.Generator
        Seeds k-means, the subsampling and tie-breaking.
    chunk_size : int
        Documents embedded at a time.
    """

    def __init__(
        self,
        embeddings: EmbeddingSource = ClassifierEmbeddings(),
        index_factory: IndexFactory = ExactIndex,
        n_neighbors: int = 20,
        max_clusters: int | None = 500,
        min_cluster_size: int = 5,
        minibatch_threshold: int = 20_000,
        max_candidates: int | None = 100_000,
        seed: Seed = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ):
        super().__init__(embeddings, seed, chunk_size)
        self.index_factory = check_index_factory(index_factory)
        self.n_neighbors = check_positive_int(n_neighbors, name="n_neighbors")
        self.max_clusters = check_optional_positive_int(max_clusters, name="max_clusters")
        self.min_cluster_size = check_positive_int(min_cluster_size, name="min_cluster_size")
        self.minibatch_threshold = check_positive_int(minibatch_threshold, name="minibatch_threshold")
        self.max_candidates = check_optional_positive_int(max_candidates, name="max_candidates")

    def select(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        positions = subsample_positions(candidates.size, self.max_candidates, n, self.rng)
        size, n_labeled = positions.size, indices_labeled.size
        vectors = self._embed(clf, dataset, candidates[positions])
        if n_labeled:
            vectors = np.concatenate([self._embed(clf, dataset, indices_labeled), vectors])
        k = min(n_labeled + n, vectors.shape[0], self.max_clusters or n_labeled + n)
        clusters = np.asarray(_fit_kmeans(vectors, k, self.rng, self.minibatch_threshold).labels_, dtype=np.int64)
        typicality = self._typicality(vectors, clusters, n_labeled, k)
        candidate_clusters = clusters[n_labeled:]

        # candidates grouped by cluster, most typical first (ties at random)
        order = np.lexsort((self.rng.random(size), -typicality, candidate_clusters))
        counts = np.bincount(candidate_clusters, minlength=k)
        starts = np.cumsum(counts) - counts
        used = np.zeros(k, dtype=np.int64)  # candidates of each cluster picked so far
        sizes = np.bincount(clusters, minlength=k)
        taken = np.bincount(clusters[:n_labeled], minlength=k)  # labeled or picked members
        picks = np.empty(n, dtype=np.int64)
        for step in range(n):
            left = used < counts
            eligible = left & (sizes >= self.min_cluster_size)
            if not eligible.any():
                eligible = left
            cluster = np.lexsort((self.rng.random(k), -sizes, taken, ~eligible))[0]
            picks[step] = order[starts[cluster] + used[cluster]]
            used[cluster] += 1
            taken[cluster] += 1
        return positions[picks], scatter_scores(candidates.size, positions, typicality)

    def _typicality(self, vectors: np.ndarray, clusters: np.ndarray, n_labeled: int, k: int) -> np.ndarray:
        """Typicality of each candidate (rows ``n_labeled:`` of ``vectors``) within its cluster."""
        typicality = np.zeros(vectors.shape[0] - n_labeled, dtype=np.float64)
        by_cluster = np.argsort(clusters, kind="stable")
        bounds = np.cumsum(np.bincount(clusters, minlength=k))
        for members in np.split(by_cluster, bounds[:-1]):
            queries = members[members >= n_labeled]
            neighbours = min(self.n_neighbors, members.size - 1)
            if queries.size == 0 or neighbours == 0:
                continue  # no candidate to score, or a candidate alone in its cluster (typicality 0)
            index = new_index(self.index_factory)
            index.add(vectors[members], np.arange(members.size))
            distances = index.search(vectors[queries], neighbours + 1)[0][:, 1:]  # column 0: the point itself
            typicality[queries - n_labeled] = 1.0 / (distances.mean(axis=1, dtype=np.float64) + 1e-12)
        return typicality

    def get_params(self) -> dict[str, Any]:
        return {
            **super().get_params(),
            "index_factory": self.index_factory,
            "n_neighbors": self.n_neighbors,
            "max_clusters": self.max_clusters,
            "min_cluster_size": self.min_cluster_size,
            "minibatch_threshold": self.minibatch_threshold,
            "max_candidates": self.max_candidates,
        }
