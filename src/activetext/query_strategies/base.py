"""The query strategy contract and the machinery shared by strategies that score candidates.

Every strategy answers one call::

    query(clf, dataset, indices_unlabeled, indices_labeled, y, n) -> indices

and returns exactly ``n`` unique indices drawn from ``indices_unlabeled``, or raises
:class:`~activetext.exceptions.PoolExhaustedException` / :class:`~activetext.exceptions.EmptyPoolException`.
After each call, :attr:`QueryStrategy.last_candidates` and :attr:`QueryStrategy.last_scores` hold the scored
candidates (higher score = more wanted) for inspection.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.classifiers.base import Classifier
from activetext.data.datasets import Dataset
from activetext.exceptions import (
    ActiveTextError,
    EmptyPoolException,
    InvalidArgumentError,
    MissingCapabilityError,
    PoolExhaustedException,
)
from activetext.utils.chunking import DEFAULT_CHUNK_SIZE, iter_chunks
from activetext.utils.random import Seed, make_rng
from activetext.utils.validation import check_indices, check_positive_int

__all__ = [
    "ProbabilityScoringStrategy",
    "QueryStrategy",
    "ScoringStrategy",
    "check_has_labels",
    "check_pool",
    "check_single_label_classifier",
    "predict_proba_chunked",
    "scatter_scores",
    "select_top_n",
    "subsample_positions",
]


def check_pool(indices_unlabeled: Any, n: Any, n_samples: int) -> tuple[np.ndarray, int]:
    """Check a query's pool and size; return the pool as an int64 array and ``n`` as an int.

    Raises
    ------
    InvalidIndicesError
        If the pool holds indices that are not unique or not positions in a dataset of ``n_samples`` rows.
    EmptyPoolException
        If the pool is empty.
    PoolExhaustedException
        If ``n`` is larger than the pool.
    """
    n = check_positive_int(n, name="n")
    pool = check_indices(indices_unlabeled, n_samples, name="indices_unlabeled")
    if pool.size == 0:
        raise EmptyPoolException(f"the unlabeled pool is empty: n={n} documents cannot be queried")
    if n > pool.size:
        raise PoolExhaustedException(f"n={n} is larger than the unlabeled pool ({pool.size} documents)")
    return pool, n


def subsample_positions(size: int, max_candidates: int | None, n: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of the candidates a strategy works on: all, or a sorted uniform sample of ``max_candidates``.

    The sample never holds fewer than ``n`` positions, so a query can always be answered from it.
    """
    if max_candidates is None or size <= max(max_candidates, n):
        return np.arange(size, dtype=np.int64)
    return np.sort(rng.choice(size, size=max(max_candidates, n), replace=False)).astype(np.int64)


def scatter_scores(size: int, positions: np.ndarray, values: np.ndarray) -> np.ndarray:
    """One float64 score per candidate: ``values`` at ``positions``, NaN (not scored) elsewhere."""
    scores = np.full(size, np.nan, dtype=np.float64)
    scores[positions] = values
    return scores


def predict_proba_chunked(clf: Classifier, dataset: Dataset, indices: np.ndarray, chunk_size: int) -> np.ndarray:
    """The classifier's probabilities for the documents at ``indices``, predicted ``chunk_size`` at a time."""
    parts = [
        np.asarray(clf.predict_proba(dataset[chunk]), dtype=np.float64) for chunk in iter_chunks(indices, chunk_size)
    ]
    return np.concatenate(parts) if parts else np.empty((0, dataset.num_classes))


def check_single_label_classifier(strategy: QueryStrategy, clf: Any, dataset: Dataset) -> Classifier:
    """Check that ``clf`` can give single-label probabilities for ``dataset``."""
    name = type(strategy).__name__
    if not isinstance(clf, Classifier):
        raise MissingCapabilityError(
            f"{name} needs a trained classifier, got {clf!r}; start with labeled data (initialize_data) or query "
            "a first batch with RandomSampling"
        )
    if dataset.is_multi_label:
        raise InvalidArgumentError(
            f"{name} scores single-label data; dataset is multi-label ({dataset.num_classes} labels)"
        )
    return clf


def check_has_labels(strategy: QueryStrategy, indices_labeled: np.ndarray) -> None:
    if indices_labeled.size == 0:
        raise MissingCapabilityError(
            f"{type(strategy).__name__} needs labeled documents, got indices_labeled=[] (empty); start with labeled "
            "data (initialize_data) or query a first batch with RandomSampling"
        )


def select_top_n(scores: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Return the positions of the ``n`` highest scores, best first, breaking ties at random.

    Runs in linear time plus the sort of the tied block at the threshold; ``rng`` makes tie-breaking
    reproducible.

    Parameters
    ----------
    scores : numpy.ndarray of shape (m,)
        Scores, higher is better. NaN is treated as the lowest score.
    n : int
        How many positions to return (``1 <= n <= m``).
    rng : numpy.random.Generator
        The source of the random tie-breaking keys.

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
    """
    if np.isnan(scores).any():
        scores = np.where(np.isnan(scores), -np.inf, scores)
    threshold = np.partition(scores, scores.size - n)[scores.size - n]
    contenders = np.flatnonzero(scores >= threshold)
    tiebreak = rng.random(contenders.size)  # keys only where ties can matter: at or above the threshold
    order = np.lexsort((tiebreak, -scores[contenders]))[:n]
    return contenders[order].astype(np.int64)


class QueryStrategy(ABC):
    """Base class of query strategies.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        The source of every random choice the strategy makes (tie-breaking included).
    """

    def __init__(self, seed: Seed = None):
        self.seed = seed
        self.rng = make_rng(seed)
        self.last_candidates: np.ndarray | None = None
        self.last_scores: np.ndarray | None = None

    def query(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        indices_unlabeled: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int = 10,
    ) -> np.ndarray:
        """Return ``n`` unique indices from ``indices_unlabeled``, the most wanted first.

        Parameters
        ----------
        clf : Classifier or None
            The current classifier; ``None`` before any training (cold start).
        dataset : Dataset
            The whole pool's dataset; ``indices_*`` point into it.
        indices_unlabeled : numpy.ndarray
            The candidates.
        indices_labeled : numpy.ndarray
            The labeled documents.
        y : numpy.ndarray or scipy.sparse.csr_matrix
            The labels of ``indices_labeled``, in the same order.
        n : int
            How many documents to return.

        Returns
        -------
        numpy.ndarray of int64, shape (n,)
        """
        pool, n = check_pool(indices_unlabeled, n, len(dataset))
        positions, scores = self.select(clf, dataset, pool, np.asarray(indices_labeled, dtype=np.int64), y, n)
        positions = np.asarray(positions, dtype=np.int64)
        if (
            positions.shape != (n,)
            or np.unique(positions).size != n
            or positions.min() < 0
            or positions.max() >= pool.size
        ):
            raise ActiveTextError(
                f"{type(self).__name__}.select broke the query contract: asked for {n} unique positions in a pool of "
                f"{pool.size}, got {positions[:8].tolist()}"
            )
        self.last_candidates, self.last_scores = pool, np.asarray(scores, dtype=np.float64)
        return pool[positions]

    @abstractmethod
    def select(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Choose ``n`` of the (already checked) ``candidates``.

        Returns
        -------
        positions : numpy.ndarray of int
            ``n`` unique positions into ``candidates``, the most wanted first.
        scores : numpy.ndarray of float, shape (len(candidates),)
            One score per candidate (higher = more wanted), kept as :attr:`last_scores`. For strategies that
            select greedily, the score each candidate had before the first pick.
        """

    def get_params(self) -> dict[str, Any]:
        """Return the constructor arguments that recreate this strategy (used by ``save``).

        The seed is omitted when it is a generator; the generator's state is saved separately.
        """
        return {"seed": None if isinstance(self.seed, np.random.Generator) else self.seed}

    def __repr__(self) -> str:
        params = ", ".join(f"{key}={value!r}" for key, value in self.get_params().items())
        return f"{type(self).__name__}({params})"


class ScoringStrategy(QueryStrategy):
    """A strategy that scores every candidate independently and returns the ``n`` best (ties broken at random)."""

    def select(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        scores = self.score(clf, dataset, candidates, indices_labeled, y)
        return select_top_n(scores, n, self.rng), scores

    @abstractmethod
    def score(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
    ) -> np.ndarray:
        """Return one score per candidate; higher means the candidate is more wanted."""


class ProbabilityScoringStrategy(ScoringStrategy):
    """A strategy whose score is a function of the classifier's probabilities on each candidate.

    Candidates are predicted ``chunk_size`` rows at a time, so memory stays bounded on large pools; nothing
    outside the candidates is predicted.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        Source of the random tie-breaking.
    chunk_size : int
        Candidates predicted at a time.
    """

    def __init__(self, seed: Seed = None, chunk_size: int = DEFAULT_CHUNK_SIZE):
        super().__init__(seed)
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")

    def score(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
    ) -> np.ndarray:
        clf = check_single_label_classifier(self, clf, dataset)
        return self.score_probabilities(predict_proba_chunked(clf, dataset, candidates, self.chunk_size))

    @staticmethod
    @abstractmethod
    def score_probabilities(proba: np.ndarray) -> np.ndarray:
        """Map an ``(n, C)`` probability array to ``n`` scores (higher = more wanted)."""

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "chunk_size": self.chunk_size}
