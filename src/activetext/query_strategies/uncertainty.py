"""Uncertainty sampling: query the documents the classifier is least sure about.

The scoring functions are pure functions of an ``(n, C)`` probability array, so they can be checked with arrays
computed by hand and reused by other strategies; anything else raises
:class:`~activetext.exceptions.InvalidArgumentError`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from activetext.exceptions import InvalidArgumentError
from activetext.query_strategies.base import ProbabilityScoringStrategy
from activetext.utils.validation import as_array

__all__ = [
    "BreakingTies",
    "LeastConfidence",
    "PredictionEntropy",
    "breaking_ties",
    "least_confidence",
    "prediction_entropy",
]


_COLUMN_LOOP_MAX_CLASSES = 32
"""Up to this many classes, row reductions walk the columns (numpy reduces a short last axis slowly)."""


def _row_top_two(proba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The largest and second largest value of each row (the second is -inf with a single column)."""
    if proba.shape[1] == 1:
        return proba[:, 0].copy(), np.full(proba.shape[0], -np.inf)
    if proba.shape[1] > _COLUMN_LOOP_MAX_CLASSES:
        top_two = -np.partition(-proba, 1, axis=1)[:, :2]
        return top_two[:, 0], top_two[:, 1]
    first = proba[:, 0].copy()
    second = np.full(proba.shape[0], -np.inf)
    for column in range(1, proba.shape[1]):
        values = proba[:, column]
        np.maximum(second, np.minimum(first, values), out=second)
        np.maximum(first, values, out=first)
    return first, second


def _row_sum(values: np.ndarray) -> np.ndarray:
    if values.shape[1] > _COLUMN_LOOP_MAX_CLASSES:
        return values.sum(axis=1)
    total = values[:, 0].copy()
    for column in range(1, values.shape[1]):
        total += values[:, column]
    return total


def _probabilities(proba: Any) -> np.ndarray:
    """Return ``proba`` as a float64 ``(n, C)`` array with at least one class column.

    Raises
    ------
    InvalidArgumentError
        If ``proba`` is not a two-dimensional array of real numbers with at least one column.
    """
    array = as_array(proba, name="proba")
    if array.dtype.kind not in "biuf":
        raise InvalidArgumentError(f"proba must hold real numbers, got an array of dtype {array.dtype}")
    if array.ndim != 2 or array.shape[1] == 0:
        raise InvalidArgumentError(
            f"proba must be a 2-D (n_samples, n_classes) array with at least one class, got shape {array.shape}"
        )
    return array.astype(np.float64, copy=False)


def least_confidence(proba: np.ndarray) -> np.ndarray:
    """Return ``1 - max_c p(c | x)`` per row: high when even the most probable class is unlikely."""
    first, _ = _row_top_two(_probabilities(proba))
    return 1.0 - first


def prediction_entropy(proba: np.ndarray) -> np.ndarray:
    """Return the Shannon entropy ``-sum_c p log p`` (natural log, ``0 log 0 = 0``) per row."""
    proba = _probabilities(proba)
    logs = np.log(proba, out=np.zeros_like(proba), where=proba > 0)
    return 0.0 - _row_sum(proba * logs)  # 0.0 - x, unlike -x, gives +0.0 for a certain row


def breaking_ties(proba: np.ndarray) -> np.ndarray:
    """Return ``1 - (p_first - p_second)`` per row: high when the two most probable classes are close.

    With a single class column the margin is ``p_first`` itself.
    """
    proba = _probabilities(proba)
    if proba.shape[1] < 2:
        return 1.0 - proba[:, 0]
    first, second = _row_top_two(proba)
    return 1.0 - (first - second)


class LeastConfidence(ProbabilityScoringStrategy):
    """Query the documents whose most probable class has the lowest probability.

    Lewis and Gale (1994), "A sequential algorithm for training text classifiers", SIGIR; the name follows
    Culotta and McCallum (2005), "Reducing labeling effort for structured prediction tasks", AAAI.
    """

    score_probabilities = staticmethod(least_confidence)


class PredictionEntropy(ProbabilityScoringStrategy):
    """Query the documents whose predicted class distribution has the highest entropy.

    Roy and McCallum (2001), "Toward optimal active learning through sampling estimation of error reduction",
    ICML; Settles (2009), "Active learning literature survey", section 3.1.
    """

    score_probabilities = staticmethod(prediction_entropy)


class BreakingTies(ProbabilityScoringStrategy):
    """Query the documents with the smallest margin between the two most probable classes (margin sampling).

    Luo et al. (2005), "Active learning to recognize multiple types of plankton", JMLR 6; Scheffer et al. (2001),
    "Active hidden Markov models for information extraction", IDA.
    """

    score_probabilities = staticmethod(breaking_ties)
