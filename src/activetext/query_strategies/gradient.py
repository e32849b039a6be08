"""Gradient strategies: query the documents whose labels would change the model most.

* :class:`BADGE` picks a batch that is both uncertain (large gradient embeddings) and diverse (spread out in
  gradient space) by k-means++ seeding (Ash et al. 2020); it needs
  :class:`~activetext.classifiers.capabilities.SupportsGradientEmbeddings`.
* :class:`ExpectedGradientLength` queries the documents of largest expected gradient norm (Settles, Craven and
  Ray 2008; Zhang, Lease and Wallace 2017 for text); it needs
  :class:`~activetext.classifiers.capabilities.SupportsExpectedGradientLength`.

Without the capability, both raise :class:`~activetext.exceptions.MissingCapabilityError` before doing any work.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.classifiers.base import Classifier
from activetext.classifiers.capabilities import (
    SupportsExpectedGradientLength,
    SupportsGradientEmbeddings,
    require,
)
from activetext.data.datasets import Dataset
from activetext.exceptions import InvalidArgumentError
from activetext.query_strategies.base import (
    QueryStrategy,
    ScoringStrategy,
    scatter_scores,
    select_top_n,
    subsample_positions,
)
from activetext.utils.chunking import DEFAULT_CHUNK_SIZE, iter_chunks
from activetext.utils.random import Seed
from activetext.utils.validation import check_optional_positive_int, check_positive_int

__all__ = ["BADGE", "ExpectedGradientLength", "kmeans_plus_plus"]


def _squared_distances_to(points: np.ndarray, center: np.ndarray, chunk_size: int) -> np.ndarray:
    """Squared Euclidean distance of every row of ``points`` to ``center``, ``chunk_size`` rows at a time.

    Computed from the differences (not from norms), so that exact copies of ``center`` get exactly 0.
    """
    result = np.empty(points.shape[0], dtype=np.float64)
    for chunk in iter_chunks(np.arange(points.shape[0]), chunk_size):
        difference = points[chunk] - center
        result[chunk] = np.einsum("ij,ij->i", difference, difference, dtype=np.float64)
    return result


def kmeans_plus_plus(
    points: np.ndarray, n: int, rng: np.random.Generator, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> np.ndarray:
    """Choose ``n`` distinct rows of ``points`` by k-means++ seeding, the first being the row of largest norm.

    Arthur and Vassilvitskii (2007), "k-means++: The Advantages of Careful Seeding", SODA, as used by BADGE: after
    the first pick, each row is drawn with probability proportional to its squared distance to the nearest row
    picked so far. A running minimum of those distances is kept, so each pick costs ``O(m d)`` time and no
    ``m x m`` matrix is formed. Rows identical to a picked row have distance 0 and are never drawn while any other
    row is left; once every row left is such a copy, the rest are drawn uniformly among them.

    Parameters
    ----------
    points : numpy.ndarray of shape (m, d)
    n : int
        How many rows to choose (``1 <= n <= m``).
    rng : numpy.random.Generator
        Source of the draws and of the tie-breaking of the first pick.
    chunk_size : int
        Rows handled at a time in the distance updates.

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
        Row positions, in the order they were picked.

    Examples
    --------
    >>> kmeans_plus_plus(np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]), 1, np.random.default_rng(0)).tolist()
    [1]
    """
    m = points.shape[0]
    norms = np.einsum("ij,ij->i", points, points, dtype=np.float64)
    picks = np.empty(n, dtype=np.int64)
    picked = np.zeros(m, dtype=bool)
    picks[0] = select_top_n(norms, 1, rng)[0]
    picked[picks[0]] = True
    nearest = _squared_distances_to(points, points[picks[0]], chunk_size)
    nearest[picked] = 0.0
    for step in range(1, n):
        cumulative = np.cumsum(nearest)
        total = cumulative[-1]
        if not total > 0:  # every row left is a copy of a picked row: the rest uniformly among them
            rest = np.flatnonzero(~picked)
            picks[step:] = rng.choice(rest, size=n - step, replace=False)
            break
        # the first row whose cumulative weight exceeds a uniform draw; rows of weight 0 are never reached
        pick = int(np.searchsorted(cumulative, rng.random() * total, side="right"))
        pick = min(pick, int(np.flatnonzero(nearest > 0)[-1]))
        picks[step], picked[pick] = pick, True
        np.minimum(nearest, _squared_distances_to(points, points[pick], chunk_size), out=nearest)
        nearest[pick] = 0.0
    return picks


class BADGE(QueryStrategy):
    """Query a batch that is uncertain and diverse: k-means++ seeding on the candidates' gradient embeddings.

    Ash, Zhang, Krishnamurthy, Langford and Agarwal (2020), "Deep Batch Active Learning by Diverse, Uncertain
    Gradient Lower Bounds", ICLR.

    Each candidate is mapped to the gradient of the loss, at the label the model predicts, with respect to the
    last layer (``clf.gradient_embeddings``). Its norm is large where the model is unsure, and its direction
    says how the label would move the model. The batch is chosen by :func:`kmeans_plus_plus`: the first pick is
    the candidate of largest gradient norm, each next one is drawn with probability proportional to its squared
    distance to the nearest pick so far. A candidate identical to a picked one is never picked while others are
    left.

    Needs a classifier with :class:`~activetext.classifiers.capabilities.SupportsGradientEmbeddings`.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        Source of the k-means++ draws, the subsampling and the tie-breaking.
    chunk_size : int
        Candidates embedded (and distance rows updated) at a time.
    max_candidates : int, optional
        Work on a uniform random sample of at most this many candidates (``None``: all); the others get a NaN
        score and are never returned.

    Notes
    -----
    Cost per query: one gradient embedding of each (sampled) candidate, then ``n`` passes of ``O(m C d)`` over the
    ``m x (C d)`` embeddings, which are held in memory (linear in ``m``). :attr:`last_scores` holds each
    candidate's gradient norm.
    """

    def __init__(self, seed: Seed = None, chunk_size: int = DEFAULT_CHUNK_SIZE, max_candidates: int | None = None):
        super().__init__(seed)
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")
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
        require(clf, SupportsGradientEmbeddings, needed_by="BADGE")
        positions = subsample_positions(candidates.size, self.max_candidates, n, self.rng)
        embeddings = self._embed(clf, dataset, candidates[positions])
        picks = kmeans_plus_plus(embeddings, n, self.rng, self.chunk_size)
        norms = np.sqrt(np.einsum("ij,ij->i", embeddings, embeddings, dtype=np.float64))
        return positions[picks], scatter_scores(candidates.size, positions, norms)

    def _embed(self, clf: Any, dataset: Dataset, indices: np.ndarray) -> np.ndarray:
        parts = []
        for chunk in iter_chunks(indices, self.chunk_size):
            part = np.asarray(clf.gradient_embeddings(dataset[chunk]))
            if part.ndim != 2 or part.shape[0] != chunk.size or not np.all(np.isfinite(part)):
                raise InvalidArgumentError(
                    f"{type(clf).__name__}.gradient_embeddings must return a finite ({chunk.size}, C * d) array, "
                    f"got shape {part.shape}"
                )
            parts.append(part if np.issubdtype(part.dtype, np.floating) else part.astype(np.float64))
        return np.concatenate(parts)

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "chunk_size": self.chunk_size, "max_candidates": self.max_candidates}


class ExpectedGradientLength(ScoringStrategy):
    """Query the documents whose label would, in expectation, change the model the most.

    Settles, Craven and Ray (2008), "Multiple-Instance Active Learning", NeurIPS; for text classification with
    neural models, Zhang, Lease and Wallace (2017), "Active Discriminative Text Representation Learning", AAAI.
    The score of a document is ``sum_c p(c|x) ||grad loss(x, c)||``, the norm of the gradient it would cause,
    averaged over the labels the model expects; the classifier computes it (``clf.expected_gradient_length``,
    over its parameters or a documented subset such as the last layer).

    Needs a classifier with :class:`~activetext.classifiers.capabilities.SupportsExpectedGradientLength`.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        Source of the random tie-breaking.
    chunk_size : int
        Candidates scored at a time.

    Notes
    -----
    Cost per query: one call of ``expected_gradient_length`` per chunk of candidates; memory is whatever the
    classifier needs for ``chunk_size`` documents.
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
        require(clf, SupportsExpectedGradientLength, needed_by="ExpectedGradientLength")
        scores = np.empty(candidates.size, dtype=np.float64)
        for chunk in iter_chunks(np.arange(candidates.size), self.chunk_size):
            part = np.asarray(clf.expected_gradient_length(dataset[candidates[chunk]]), dtype=np.float64)
            if part.shape != chunk.shape or not np.all(np.isfinite(part)):
                raise InvalidArgumentError(
                    f"{type(clf).__name__}.expected_gradient_length must return {chunk.size} finite values, "
                    f"got shape {part.shape}"
                )
            scores[chunk] = part
        return scores

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "chunk_size": self.chunk_size}
