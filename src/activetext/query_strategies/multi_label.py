"""Query strategies for multi-label classification.

In multi-label data a document carries a set of labels (a row of a ``csr_matrix`` indicator matrix), a
classifier's ``predict_proba`` returns one independent probability per label, and a label is predicted when its
probability reaches a threshold (:data:`~activetext.classifiers.base.MULTI_LABEL_THRESHOLD`, 0.5, by default).
The single-label uncertainty measures do not apply: rows of probabilities do not sum to one, and a document can
be uncertain about several labels at once. The strategies here judge a document across all of its labels:

* :class:`MinConfidenceMargin`: the label closest to its decision boundary (a max-loss style margin);
* :class:`LabelCardinalityInconsistency`: how far the number of predicted labels is from the labeled documents'
  mean (Li and Guo 2013);
* :class:`AdaptiveActiveLearning`: max-margin uncertainty and label cardinality inconsistency combined (Li and
  Guo 2013);
* :class:`MaximumLossReduction` (alias :data:`MMC`): maximum loss reduction with maximal confidence (Yang et al.
  2009);
* :class:`CategoryVectorInconsistencyAndRanking` (CVIRS): a rank aggregation of per-label margins times the
  inconsistency of the predicted label vector with the labeled ones (Reyes, Morell and Ventura 2018).

Every measure is a pure function of probability arrays (and, where the method compares with the labeled
documents, of their label vectors), so it can be checked with arrays computed by hand. The strategies predict the
candidates ``chunk_size`` rows at a time and hold at most one ``(chunk_size, C)`` block of probabilities, except
CVIRS, whose rank aggregation needs every candidate's margins at once (``n x C`` floats).

*Decision values.* Li and Guo and Yang et al. work with SVM outputs ``f_l(x)``, which activetext classifiers do
not expose. Their measures are computed here on the log-odds ``logit(p_l) - logit(threshold)``: for
:class:`~activetext.classifiers.ConfidenceEnhancedLinearSVC`, whose probabilities are the sigmoid of the SVM
margins, these are exactly the SVM outputs the papers use (with the default threshold 0.5); for a probabilistic
classifier they are its log-odds. Probabilities are clipped to ``[1e-12, 1 - 1e-12]`` first.
"""

from __future__ import annotations

import enum
import functools
from abc import abstractmethod
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import entr, logit
from scipy.stats import rankdata

from activetext.classifiers.base import MULTI_LABEL_THRESHOLD, Classifier
from activetext.data.datasets import Dataset
from activetext.data.labels import check_multi_labels
from activetext.exceptions import InvalidArgumentError, MissingCapabilityError
from activetext.query_strategies.base import ScoringStrategy
from activetext.utils.chunking import DEFAULT_CHUNK_SIZE, iter_chunks
from activetext.utils.random import Seed
from activetext.utils.validation import check_positive_int

__all__ = [
    "AdaptiveActiveLearning",
    "CategoryVectorInconsistencyAndRanking",
    "LabelCardinalityInconsistency",
    "LabelCountModel",
    "MMC",
    "MaximumLossReduction",
    "MinConfidenceMargin",
    "MultiLabelScoringStrategy",
    "adaptive_active_learning_score",
    "borda_margin_uncertainty",
    "category_vector_distance",
    "category_vector_inconsistency",
    "label_cardinality_inconsistency",
    "label_margins",
    "max_margin_uncertainty",
    "maximum_loss_reduction",
    "min_confidence_margin",
]

_PROBABILITY_EPS = 1e-12
"""Probabilities are clipped to ``[eps, 1 - eps]`` before taking log-odds."""

_MIN_SEPARATION = 1e-12
"""Floor of the max-margin separation, so that its inverse stays finite."""

_TABLE_MAX_LABELS = 64
"""Up to this many labels, CVIRS distances are looked up in a precomputed ``(C + 1)^3`` table."""

_BLOCK_ELEMENTS = 1 << 20
"""Largest (predicted vectors x labeled vectors) block of distances held at once (8 MiB per float64 array)."""


# --- checks --------------------------------------------------------------------------------------------------


def _check_probabilities(proba: Any, *, name: str = "proba") -> np.ndarray:
    array = np.asarray(proba, dtype=np.float64)
    if array.ndim != 2:
        raise InvalidArgumentError(f"{name} must be a 2-D (n_samples, num_labels) array, got shape {array.shape}")
    return array


def _check_threshold(threshold: Any, *, name: str = "threshold") -> float:
    if isinstance(threshold, (bool, np.bool_)) or not isinstance(threshold, (int, float, np.integer, np.floating)):
        raise InvalidArgumentError(f"{name} must be a float in (0, 1), got {threshold!r} ({type(threshold).__name__})")
    if not 0.0 < float(threshold) < 1.0:
        raise InvalidArgumentError(f"{name} must be a float in (0, 1), got {threshold!r}")
    return float(threshold)


def _check_beta(beta: Any) -> float:
    if isinstance(beta, (bool, np.bool_)) or not isinstance(beta, (int, float, np.integer, np.floating)):
        raise InvalidArgumentError(f"beta must be a float in [0, 1], got {beta!r} ({type(beta).__name__})")
    if not 0.0 <= float(beta) <= 1.0:
        raise InvalidArgumentError(f"beta must be a float in [0, 1], got {beta!r}")
    return float(beta)


def _check_label_vectors(vectors: Any, *, name: str) -> np.ndarray:
    if sp.issparse(vectors):
        vectors = vectors.toarray()
    array = np.asarray(vectors)
    if array.ndim != 2:
        raise InvalidArgumentError(f"{name} must be a 2-D (n, num_labels) 0/1 matrix, got shape {array.shape}")
    return array.astype(bool)


# --- scoring functions ---------------------------------------------------------------------------------------


def label_margins(proba: np.ndarray) -> np.ndarray:
    """Return the per-label margin ``|p - (1 - p)| = |2p - 1|`` (0 on the decision boundary, 1 when certain).

    Parameters
    ----------
    proba : numpy.ndarray of shape (n, C)
        Independent per-label probabilities.

    Returns
    -------
    numpy.ndarray of shape (n, C)
    """
    return np.abs(2.0 * _check_probabilities(proba) - 1.0)


def min_confidence_margin(proba: np.ndarray) -> np.ndarray:
    """Return ``-min_l |2 p_l - 1|`` per row: highest for the document whose least certain label is closest to 0.5.

    Parameters
    ----------
    proba : numpy.ndarray of shape (n, C)
        Independent per-label probabilities.

    Returns
    -------
    numpy.ndarray of shape (n,)
        Scores in ``[-1, 0]``.
    """
    margins = label_margins(proba)
    if margins.shape[1] == 0:
        return np.zeros(margins.shape[0])
    return -np.min(margins, axis=1)


def _borda_points(margins: np.ndarray) -> np.ndarray:
    """Normalized Borda count of rankings by ascending margin, one ranking per column (ties share ranks)."""
    n_rows, n_labels = margins.shape
    if n_rows == 0:
        return np.empty(0)
    if n_rows == 1 or n_labels == 0:
        return np.ones(n_rows)
    points = np.zeros(n_rows)
    for label in range(n_labels):  # a loop over labels, not over documents
        points += n_rows - rankdata(margins[:, label], method="average")
    return points / (n_labels * (n_rows - 1))


def borda_margin_uncertainty(proba: np.ndarray) -> np.ndarray:
    """Return the rank aggregation of the per-label margins used by CVIRS.

    For each label ``l`` the documents are ranked by ascending margin ``|2 p_l - 1|`` (rank ``tau_l(x) = 1`` for
    the smallest; tied documents share the average of their ranks). The ``C`` rankings are aggregated with a
    normalized Borda count::

        s(x) = sum_l (N - tau_l(x)) / (C (N - 1))

    so ``s(x) = 1`` for a document that has the smallest margin for every label and ``0`` for one that has the
    largest for every label. The score of a document depends on the others: it is a ranking of the rows given
    together, not a function of one row. With a single row the score is 1.

    Parameters
    ----------
    proba : numpy.ndarray of shape (N, C)
        Independent per-label probabilities of the ``N`` candidates.

    Returns
    -------
    numpy.ndarray of shape (N,)
        Scores in ``[0, 1]``.
    """
    return _borda_points(label_margins(proba))


def category_vector_distance(predicted: Any, labeled: Any) -> np.ndarray:
    """Return the CVIRS distance between every predicted label vector and every labeled label vector.

    For binary vectors ``u`` and ``v`` of length ``C``, let ``a``, ``b``, ``c``, ``d`` count the labels where
    ``(u, v)`` is ``(1, 1)``, ``(1, 0)``, ``(0, 1)`` and ``(0, 0)``, and ``h(x) = -x log x``. With the entropies

    * ``H(u) = h(|u| / C) + h(1 - |u| / C)``, likewise ``H(v)``,
    * ``H(u, v) = h(a / C) + h(b / C) + h(c / C) + h(d / C)`` (the contingency table's entropy),

    the distance is the normalized variation of information ``(2 H(u, v) - H(u) - H(v)) / H(u, v)``, except that
    it is 0 when the vectors are equal and 1 when they differ in every label (normalized Hamming distance
    ``(b + c) / C`` of 0 or 1; the entropy measure alone would call complementary vectors identical). The base of
    the logarithm cancels out.

    Parameters
    ----------
    predicted : array-like or sparse matrix of shape (n, C)
        0/1 predicted label vectors.
    labeled : array-like or sparse matrix of shape (m, C)
        0/1 label vectors of labeled documents.

    Returns
    -------
    numpy.ndarray of shape (n, m)
        Distances in ``[0, 1]``.
    """
    predicted = _check_label_vectors(predicted, name="predicted")
    labeled = _check_label_vectors(labeled, name="labeled")
    if predicted.shape[1] != labeled.shape[1]:
        raise InvalidArgumentError(
            f"predicted and labeled must have the same number of labels, got {predicted.shape[1]} and "
            f"{labeled.shape[1]}"
        )
    n_labels = predicted.shape[1]
    if n_labels == 0:
        return np.zeros((predicted.shape[0], labeled.shape[0]))
    both = predicted.astype(np.float64) @ labeled.T.astype(np.float64)
    count_predicted = np.count_nonzero(predicted, axis=1)[:, None]
    count_labeled = np.count_nonzero(labeled, axis=1)[None, :]
    if n_labels > _TABLE_MAX_LABELS:
        return _distance_from_counts(both, count_predicted, count_labeled, n_labels)
    # the distance depends only on (a, |u|, |v|): look it up instead of taking four logarithms per pair
    side = n_labels + 1
    index = (both.astype(np.intp) * side + count_predicted) * side + count_labeled
    return _distance_table(n_labels).ravel()[index]


def _distance_from_counts(both: Any, count_predicted: Any, count_labeled: Any, n_labels: int) -> np.ndarray:
    """:func:`category_vector_distance` from the counts ``a``, ``|u|`` and ``|v|`` (broadcast together)."""
    both = np.asarray(both, dtype=np.float64)
    count_predicted = np.asarray(count_predicted, dtype=np.float64)
    count_labeled = np.asarray(count_labeled, dtype=np.float64)
    only_predicted = count_predicted - both
    only_labeled = count_labeled - both
    neither = n_labels - both - only_predicted - only_labeled
    differ = only_predicted + only_labeled
    cells = (both, only_predicted, only_labeled, neither)
    joint = sum(entr(np.maximum(cell, 0.0) / n_labels) for cell in cells)  # cells < 0 only in unused table entries
    entropy_predicted = entr(count_predicted / n_labels) + entr(1.0 - count_predicted / n_labels)
    entropy_labeled = entr(count_labeled / n_labels) + entr(1.0 - count_labeled / n_labels)
    mixed = (differ > 0) & (differ < n_labels) & (joint > 0)  # for real vectors, mixed tables have joint > 0
    numerator = 2.0 * joint - entropy_predicted - entropy_labeled
    distance = np.divide(numerator, joint, out=np.zeros(np.broadcast(numerator, joint).shape), where=mixed)
    distance[np.broadcast_to(differ >= n_labels, distance.shape)] = 1.0
    return np.clip(distance, 0.0, 1.0)


@functools.lru_cache(maxsize=8)
def _distance_table(n_labels: int) -> np.ndarray:
    """Every distance for ``n_labels`` labels, indexed by ``[a, |u|, |v|]`` (read-only)."""
    counts = np.arange(n_labels + 1, dtype=np.float64)
    table = _distance_from_counts(counts[:, None, None], counts[None, :, None], counts[None, None, :], n_labels)
    table.setflags(write=False)
    return table


def category_vector_inconsistency(predicted: Any, labeled: Any, weights: Any = None) -> np.ndarray:
    """Return the mean CVIRS distance of each predicted label vector to the labeled documents' label vectors.

    ``v(x) = sum_j w_j d(u(x), y_j) / sum_j w_j`` with :func:`category_vector_distance` ``d``. Identical
    predicted vectors are scored once, and the labeled vectors are walked in blocks, so memory stays bounded by
    ``(distinct predicted vectors) x (block)``. Passing each distinct labeled vector once with its count as
    weight gives the same result as passing every labeled document.

    Parameters
    ----------
    predicted : array-like or sparse matrix of shape (n, C)
        0/1 predicted label vectors.
    labeled : array-like or sparse matrix of shape (m, C)
        0/1 label vectors of the labeled documents (``m >= 1``).
    weights : array-like of shape (m,), optional
        Non-negative weights of the labeled vectors (for example how often each occurs); equal by default.

    Returns
    -------
    numpy.ndarray of shape (n,)
        Inconsistencies in ``[0, 1]``.
    """
    predicted = _check_label_vectors(predicted, name="predicted")
    labeled = _check_label_vectors(labeled, name="labeled")
    if labeled.shape[0] == 0:
        raise InvalidArgumentError("labeled must hold at least one label vector, got 0 rows")
    if weights is None:
        weights = np.ones(labeled.shape[0])
    else:
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != (labeled.shape[0],):
            raise InvalidArgumentError(f"weights must have shape ({labeled.shape[0]},), got shape {weights.shape}")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise InvalidArgumentError(
                f"weights must be finite, non-negative and not all zero, got {weights[:8].tolist()}"
            )
    if predicted.shape[0] == 0:
        return np.empty(0)
    distinct, inverse, _ = _distinct_rows(predicted)
    total = np.zeros(distinct.shape[0])
    block = max(1, _BLOCK_ELEMENTS // distinct.shape[0])
    for start in range(0, labeled.shape[0], block):
        stop = start + block
        total += category_vector_distance(distinct, labeled[start:stop]) @ weights[start:stop]
    return (total / weights.sum())[inverse]


def label_cardinality_inconsistency(
    proba: np.ndarray, mean_cardinality: float, threshold: float = MULTI_LABEL_THRESHOLD
) -> np.ndarray:
    """Return ``| #{l : p_l >= threshold} - mean_cardinality |`` per row (Li and Guo 2013).

    Parameters
    ----------
    proba : numpy.ndarray of shape (n, C)
        Independent per-label probabilities.
    mean_cardinality : float
        The mean number of labels of the labeled documents.
    threshold : float
        A label is predicted when its probability reaches this value.

    Returns
    -------
    numpy.ndarray of shape (n,)
    """
    proba = _check_probabilities(proba)
    predicted_count = np.count_nonzero(proba >= threshold, axis=1)
    return np.abs(predicted_count - float(mean_cardinality))


def _decision_values(proba: np.ndarray, threshold: float) -> np.ndarray:
    """Log-odds relative to the threshold's: positive exactly where a label is predicted."""
    clipped = np.clip(_check_probabilities(proba), _PROBABILITY_EPS, 1.0 - _PROBABILITY_EPS)
    return logit(clipped) - logit(threshold)


def max_margin_uncertainty(proba: np.ndarray, threshold: float = MULTI_LABEL_THRESHOLD) -> np.ndarray:
    """Return Li and Guo's max-margin prediction uncertainty ``1 / sepmargin(x)`` per row.

    With decision values ``f_l = logit(p_l) - logit(threshold)`` (positive for predicted labels), the separation
    margin is the gap between the least confident predicted label and the most confident unpredicted one::

        sepmargin(x) = min_{l: f_l >= 0} f_l - max_{l: f_l < 0} f_l

    A side with no label counts as lying on the threshold (its term is 0), so the margin is the distance of the
    other side to the threshold. The margin is floored at ``1e-12``, so the score is finite.

    Parameters
    ----------
    proba : numpy.ndarray of shape (n, C)
        Independent per-label probabilities.
    threshold : float
        A label is predicted when its probability reaches this value.

    Returns
    -------
    numpy.ndarray of shape (n,)
        Positive scores, higher for documents whose predicted label set is closer to changing.
    """
    values = _decision_values(proba, threshold)
    positive = values >= 0
    lowest_positive = np.min(np.where(positive, values, np.inf), axis=1, initial=np.inf)
    highest_negative = np.max(np.where(positive, -np.inf, values), axis=1, initial=-np.inf)
    lowest_positive[np.isinf(lowest_positive)] = 0.0
    highest_negative[np.isinf(highest_negative)] = 0.0
    return 1.0 / np.maximum(lowest_positive - highest_negative, _MIN_SEPARATION)


def adaptive_active_learning_score(
    proba: np.ndarray, mean_cardinality: float, beta: float = 0.5, threshold: float = MULTI_LABEL_THRESHOLD
) -> np.ndarray:
    """Return ``u(x)^beta * c(x)^(1 - beta)`` per row (Li and Guo 2013).

    ``u`` is :func:`max_margin_uncertainty` and ``c`` is :func:`label_cardinality_inconsistency`. ``beta = 1``
    gives pure uncertainty, ``beta = 0`` pure cardinality inconsistency (``0^0 = 1``). As in the paper, a document
    whose predicted label count equals the mean cardinality exactly scores 0 for any ``beta < 1``.

    Parameters
    ----------
    proba : numpy.ndarray of shape (n, C)
        Independent per-label probabilities.
    mean_cardinality : float
        The mean number of labels of the labeled documents.
    beta : float
        The weight of uncertainty, in ``[0, 1]``.
    threshold : float
        A label is predicted when its probability reaches this value.

    Returns
    -------
    numpy.ndarray of shape (n,)
    """
    beta = _check_beta(beta)
    uncertainty = max_margin_uncertainty(proba, threshold)
    inconsistency = label_cardinality_inconsistency(proba, mean_cardinality, threshold)
    return np.power(uncertainty, beta) * np.power(inconsistency, 1.0 - beta)


def maximum_loss_reduction(
    proba: np.ndarray, label_counts: Any, threshold: float = MULTI_LABEL_THRESHOLD
) -> np.ndarray:
    """Return the MMC approximation of the expected loss reduction per row (Yang et al. 2009).

    The most likely label vector ``y*`` of a document takes its ``k`` most probable labels as positive (``+1``)
    and the others as negative (``-1``), ``k`` being the document's predicted number of labels. With decision
    values ``f_l = logit(p_l) - logit(threshold)`` the score is::

        sum_l (1 - y*_l f_l) / 2

    It is high when the classifier's outputs disagree with ``y*`` or lie close to the boundary.

    Parameters
    ----------
    proba : numpy.ndarray of shape (n, C)
        Independent per-label probabilities.
    label_counts : array-like of int, shape (n,)
        The predicted number of labels ``k`` of each row, in ``[0, C]``.
    threshold : float
        The probability at which a decision value is 0.

    Returns
    -------
    numpy.ndarray of shape (n,)
    """
    values = _decision_values(proba, threshold)
    n_rows, n_labels = values.shape
    counts = np.asarray(label_counts)
    if counts.shape != (n_rows,):
        raise InvalidArgumentError(f"label_counts must have shape ({n_rows},), got shape {counts.shape}")
    if counts.size and (np.any(counts < 0) or np.any(counts > n_labels)):
        raise InvalidArgumentError(f"label_counts must lie in [0, {n_labels}], got {counts[:8].tolist()}")
    order = np.argsort(-values, axis=1, kind="stable")
    position = np.argsort(order, axis=1)  # position[i, l]: the rank of label l in row i, most probable first
    signs = np.where(position < counts[:, None], 1.0, -1.0)
    return np.sum(1.0 - signs * values, axis=1) / 2.0


# --- the strategies ------------------------------------------------------------------------------------------


def _distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows of a boolean matrix, the position of each row among them, and their counts.

    Rows are packed into bits and compared as one integer (up to 64 labels) or one byte string, which is much
    faster than ``np.unique(axis=0)``.
    """
    packed = np.packbits(rows, axis=1)
    if packed.shape[1] <= 8:
        padded = np.zeros((packed.shape[0], 8), dtype=np.uint8)
        padded[:, : packed.shape[1]] = packed
        keys = padded.view(np.uint64).ravel()
    else:
        keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    return rows[first], inverse.reshape(-1), counts


def _unique_label_vectors(labels: sp.csr_matrix, chunk_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of an indicator matrix and how often each occurs, read ``chunk_size`` rows at a time."""
    parts, counts = [], []
    for start in range(0, labels.shape[0], chunk_size):
        distinct, _, count = _distinct_rows(labels[start : start + chunk_size].toarray().astype(bool))
        parts.append(distinct)
        counts.append(count)
    distinct, inverse, _ = _distinct_rows(np.vstack(parts))
    return distinct, np.bincount(inverse, weights=np.concatenate(counts).astype(np.float64))


class MultiLabelScoringStrategy(ScoringStrategy):
    """Base class of the multi-label strategies: checks, chunked prediction and the labeled label vectors.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        Source of the random tie-breaking.
    chunk_size : int
        Documents predicted at a time.
    threshold : float
        A label is predicted when its probability reaches this value (the classifiers' own ``predict`` uses
        :data:`~activetext.classifiers.base.MULTI_LABEL_THRESHOLD`, 0.5).
    """

    needs_labeled_documents: bool = False
    """Whether the strategy compares candidates with the labeled documents (and so needs at least one)."""

    def __init__(
        self, seed: Seed = None, chunk_size: int = DEFAULT_CHUNK_SIZE, threshold: float = MULTI_LABEL_THRESHOLD
    ):
        super().__init__(seed)
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")
        self.threshold = _check_threshold(threshold)

    def score(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
    ) -> np.ndarray:
        name = type(self).__name__
        if not isinstance(clf, Classifier):
            raise MissingCapabilityError(
                f"{name} needs a trained classifier, got {clf!r}; start with labeled data "
                "(initialize_data) or query a first batch with RandomSampling"
            )
        if not dataset.is_multi_label:
            raise InvalidArgumentError(
                f"{name} scores multi-label data; dataset is single-label ({dataset.num_classes} classes); use a "
                "single-label strategy such as BreakingTies"
            )
        labels = None
        if self.needs_labeled_documents:
            if indices_labeled.size == 0:
                raise MissingCapabilityError(
                    f"{name} compares candidates with labeled documents, got indices_labeled with 0 entries; label "
                    "a first batch (for example with RandomSampling)"
                )
            labels = check_multi_labels(y, dataset.num_classes, n_samples=indices_labeled.size, name="y")
        return self.score_candidates(clf, dataset, candidates, indices_labeled, labels)

    @abstractmethod
    def score_candidates(
        self,
        clf: Classifier,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        labels: sp.csr_matrix | None,
    ) -> np.ndarray:
        """Return one score per candidate (higher = more wanted).

        ``labels`` holds the checked label vectors of ``indices_labeled`` when :attr:`needs_labeled_documents`
        is set, and is None otherwise.
        """

    def iter_probabilities(
        self, clf: Classifier, dataset: Dataset, indices: np.ndarray
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(positions, proba)``: positions into ``indices`` and their ``(len(positions), C)`` probabilities,
        predicted ``chunk_size`` documents at a time."""
        for chunk in iter_chunks(np.arange(indices.size), self.chunk_size):
            proba = np.asarray(clf.predict_proba(dataset[indices[chunk]]), dtype=np.float64)
            if proba.shape != (chunk.size, dataset.num_classes):
                raise InvalidArgumentError(
                    f"clf.predict_proba must return shape ({chunk.size}, {dataset.num_classes}) for "
                    f"{chunk.size} documents of a {dataset.num_classes}-label dataset, got shape {proba.shape}"
                )
            yield chunk, proba

    def _score_chunks(
        self, clf: Classifier, dataset: Dataset, candidates: np.ndarray, function: Callable[[np.ndarray], np.ndarray]
    ) -> np.ndarray:
        scores = np.empty(candidates.size, dtype=np.float64)
        for chunk, proba in self.iter_probabilities(clf, dataset, candidates):
            scores[chunk] = function(proba)
        return scores

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "chunk_size": self.chunk_size, "threshold": self.threshold}


class MinConfidenceMargin(MultiLabelScoringStrategy):
    """Query the documents whose least certain label is closest to its decision boundary.

    Score: ``-min_l |2 p_l - 1|`` (:func:`min_confidence_margin`). This is the max-loss style margin of
    multi-label SVM active learning: a document is as informative as its most uncertain label (Li, Wang and Sung
    (2004), "Multilabel SVM active learning for image classification", ICIP; Brinker (2006), "On active learning
    in multi-label classification", GfKl). Needs only the classifier's probabilities, not the labeled documents.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        Source of the random tie-breaking.
    chunk_size : int
        Documents predicted at a time.
    threshold : float
        Kept for a uniform interface; the score does not depend on it.
    """

    def score_candidates(
        self,
        clf: Classifier,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        labels: sp.csr_matrix | None,
    ) -> np.ndarray:
        return self._score_chunks(clf, dataset, candidates, min_confidence_margin)


class LabelCardinalityInconsistency(MultiLabelScoringStrategy):
    """Query the documents whose number of predicted labels is farthest from the labeled documents' mean.

    Li and Guo (2013), "Active learning with multi-label SVM classification", IJCAI. Score:
    ``|#{l : p_l >= threshold} - mean label cardinality of the labeled documents|``
    (:func:`label_cardinality_inconsistency`); labels are predicted with ``threshold`` (0.5 by default, as the
    classifiers' ``predict``). Needs at least one labeled document; documents labeled with the empty label set
    count with cardinality 0.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        Source of the random tie-breaking (many candidates share a score: the score takes few values).
    chunk_size : int
        Documents predicted at a time.
    threshold : float
        A label is predicted when its probability reaches this value.
    """

    needs_labeled_documents = True

    def score_candidates(
        self,
        clf: Classifier,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        labels: sp.csr_matrix | None,
    ) -> np.ndarray:
        mean_cardinality = float(np.diff(labels.indptr).mean())
        return self._score_chunks(
            clf,
            dataset,
            candidates,
            lambda proba: label_cardinality_inconsistency(proba, mean_cardinality, self.threshold),
        )


class AdaptiveActiveLearning(MultiLabelScoringStrategy):
    """Query by max-margin uncertainty combined with label cardinality inconsistency.

    Li and Guo (2013), "Active learning with multi-label SVM classification", IJCAI. Score
    ``u(x)^beta * c(x)^(1 - beta)`` (:func:`adaptive_active_learning_score`), where ``u`` is the inverse
    separation margin between predicted and unpredicted labels (:func:`max_margin_uncertainty`) and ``c`` the
    label cardinality inconsistency (:func:`label_cardinality_inconsistency`).

    The paper chooses ``beta`` from ``{0, 0.1, ..., 1}`` at each iteration by an approximate generalization error
    that needs one retraining per value; activetext uses a fixed ``beta`` (0.5 by default, an equal weighting),
    which costs nothing beyond the prediction of the candidates.

    Parameters
    ----------
    beta : float
        The weight of uncertainty, in ``[0, 1]``: 1 is pure uncertainty, 0 pure cardinality inconsistency.
    seed : None, int or numpy.random.Generator
        Source of the random tie-breaking.
    chunk_size : int
        Documents predicted at a time.
    threshold : float
        A label is predicted when its probability reaches this value.
    """

    needs_labeled_documents = True

    def __init__(
        self,
        beta: float = 0.5,
        seed: Seed = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        threshold: float = MULTI_LABEL_THRESHOLD,
    ):
        super().__init__(seed, chunk_size, threshold)
        self.beta = _check_beta(beta)

    def score_candidates(
        self,
        clf: Classifier,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        labels: sp.csr_matrix | None,
    ) -> np.ndarray:
        mean_cardinality = float(np.diff(labels.indptr).mean())
        return self._score_chunks(
            clf,
            dataset,
            candidates,
            lambda proba: adaptive_active_learning_score(proba, mean_cardinality, self.beta, self.threshold),
        )

    def get_params(self) -> dict[str, Any]:
        return {"beta": self.beta, **super().get_params()}


class LabelCountModel(enum.Enum):
    """How :class:`MaximumLossReduction` predicts a document's number of labels."""

    LOGISTIC_REGRESSION = "logistic_regression"
    """As Yang et al.: a logistic regression trained on the labeled documents maps a document's probabilities,
    sorted in decreasing order, to its number of labels. Predicts the labeled documents once per query to build
    the training features (only when their label counts differ; otherwise that count is used)."""

    THRESHOLD = "threshold"
    """The number of labels whose probability reaches the threshold; needs no labeled documents. ``y*`` is then
    the predicted label vector and the score reduces to ``sum_l (1 - |f_l|) / 2``."""


class MaximumLossReduction(MultiLabelScoringStrategy):
    """Query by maximum loss reduction with maximal confidence (MMC).

    Yang, Sun, Wang and Chen (2009), "Effective multi-label active learning for text classification", KDD.
    The expected reduction of the model loss from labeling ``x`` is approximated by
    ``sum_l (1 - y*_l f_l(x)) / 2`` (:func:`maximum_loss_reduction`), where ``y*`` is the most likely label
    vector: the ``k`` most probable labels, ``k`` the document's predicted number of labels (see
    :class:`LabelCountModel`). Decision values are log-odds relative to the threshold (see the module
    documentation), which for :class:`~activetext.classifiers.ConfidenceEnhancedLinearSVC` are the SVM outputs
    the paper uses.

    Parameters
    ----------
    label_count : LabelCountModel or its value
        How ``k`` is predicted: by logistic regression on the sorted probabilities, as in the paper (default), or
        by counting the labels that reach the threshold.
    seed : None, int or numpy.random.Generator
        Source of the random tie-breaking.
    chunk_size : int
        Documents predicted at a time.
    threshold : float
        The probability at which a decision value is 0 (and, with ``LabelCountModel.THRESHOLD``, at which a label
        counts as predicted).
    """

    def __init__(
        self,
        label_count: LabelCountModel | str = LabelCountModel.LOGISTIC_REGRESSION,
        seed: Seed = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        threshold: float = MULTI_LABEL_THRESHOLD,
    ):
        super().__init__(seed, chunk_size, threshold)
        try:
            self.label_count = LabelCountModel(label_count)
        except ValueError:
            choices = [member.value for member in LabelCountModel]
            raise InvalidArgumentError(
                f"label_count must be a LabelCountModel or one of {choices}, got {label_count!r}"
            ) from None
        self.needs_labeled_documents = self.label_count is LabelCountModel.LOGISTIC_REGRESSION

    def score_candidates(
        self,
        clf: Classifier,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        labels: sp.csr_matrix | None,
    ) -> np.ndarray:
        predict_counts = self._label_count_predictor(clf, dataset, indices_labeled, labels)
        return self._score_chunks(
            clf, dataset, candidates, lambda proba: maximum_loss_reduction(proba, predict_counts(proba), self.threshold)
        )

    def _label_count_predictor(
        self, clf: Classifier, dataset: Dataset, indices_labeled: np.ndarray, labels: sp.csr_matrix | None
    ) -> Callable[[np.ndarray], np.ndarray]:
        threshold = self.threshold
        if self.label_count is LabelCountModel.THRESHOLD:
            return lambda proba: np.count_nonzero(proba >= threshold, axis=1)
        counts = np.diff(labels.indptr)
        distinct = np.unique(counts)
        if distinct.size == 1:
            return lambda proba: np.full(proba.shape[0], distinct[0])
        from sklearn.linear_model import LogisticRegression  # imported here: only this path needs it

        features = np.empty((indices_labeled.size, dataset.num_classes))
        for chunk, proba in self.iter_probabilities(clf, dataset, indices_labeled):
            features[chunk] = -np.sort(-proba, axis=1)
        model = LogisticRegression(solver="newton-cg", max_iter=200).fit(features, counts)
        return lambda proba: model.predict(-np.sort(-proba, axis=1)).astype(np.int64)

    def get_params(self) -> dict[str, Any]:
        return {"label_count": self.label_count.value, **super().get_params()}


MMC = MaximumLossReduction
"""The name Yang et al. give the strategy: maximum loss reduction with maximal confidence."""


class CategoryVectorInconsistencyAndRanking(MultiLabelScoringStrategy):
    """Query by category vector inconsistency and ranking of scores (CVIRS).

    Reyes, Morell and Ventura (2018), "Effective active learning strategy for multi-label learning",
    Neurocomputing 273. The score of a candidate is the product of two terms in ``[0, 1]``:

    * an uncertainty ``s(x)``: for each label the candidates are ranked by the margin ``|2 p_l - 1|``, and the
      rankings are aggregated with a normalized Borda count (:func:`borda_margin_uncertainty`);
    * an inconsistency ``v(x)``: the mean distance of the candidate's predicted label vector (labels with
      ``p_l >= threshold``) to the label vectors of the labeled documents, a normalized entropy distance on the
      contingency table of the two vectors (:func:`category_vector_inconsistency`).

    Cost: one prediction of the candidates, ``chunk_size`` at a time. The rank aggregation needs every candidate's
    margins at once (``n x C`` floats, linear in the pool). The inconsistency is computed per chunk between the
    chunk's *distinct* predicted vectors and the labeled documents' *distinct* label vectors, in blocks of bounded
    size: time ``O(distinct predicted x distinct labeled x C)`` per chunk, which is far below
    ``n x |labeled| x C`` because predicted and given label sets repeat a lot.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        Source of the random tie-breaking.
    chunk_size : int
        Documents predicted at a time (and labeled rows read at a time).
    threshold : float
        A label is predicted when its probability reaches this value.
    """

    needs_labeled_documents = True

    def score_candidates(
        self,
        clf: Classifier,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        labels: sp.csr_matrix | None,
    ) -> np.ndarray:
        vectors, weights = _unique_label_vectors(labels, self.chunk_size)
        margins = np.empty((candidates.size, dataset.num_classes), dtype=np.float64)
        inconsistency = np.empty(candidates.size, dtype=np.float64)
        for chunk, proba in self.iter_probabilities(clf, dataset, candidates):
            margins[chunk] = label_margins(proba)
            inconsistency[chunk] = category_vector_inconsistency(proba >= self.threshold, vectors, weights)
        return _borda_points(margins) * inconsistency
