"""Uncertainty sampling: query the documents the classifier is least sure about.

The scoring functions are pure functions of an ``(n, C)`` probability array, so they can be checked with arrays
computed by hand and reused by other strategies.
"""

from __future__ import annotations

import numpy as np

from activetext.query_strategies.base import ProbabilityScoringStrategy

__all__ = [
    "BreakingTies",
    "LeastConfidence",
    "PredictionEntropy",
    "breaking_ties",
    "least_confidence",
    "prediction_entropy",
]


def least_confidence(proba: np.ndarray) -> np.ndarray:
    """Return ``1 - max_c p(c | x)`` per row: high when even the most probable class is unlikely."""
    return 1.0 - np.max(proba, axis=1)


def prediction_entropy(proba: np.ndarray) -> np.ndarray:
    """Return the Shannon entropy ``-sum_c p log p`` (natural log, ``0 log 0 = 0``) per row."""
    proba = np.asarray(proba, dtype=np.float64)
    logs = np.log(proba, out=np.zeros_like(proba), where=proba > 0)
    return 0.0 - np.sum(proba * logs, axis=1)  # 0.0 - x, unlike -x, gives +0.0 for a certain row


def breaking_ties(proba: np.ndarray) -> np.ndarray:
    """Return ``1 - (p_first - p_second)`` per row: high when the two most probable classes are close.

    With a single class column the margin is ``p_first`` itself.
    """
    proba = np.asarray(proba, dtype=np.float64)
    if proba.shape[1] < 2:
        return 1.0 - proba[:, 0]
    top_two = -np.partition(-proba, 1, axis=1)[:, :2]
    return 1.0 - (top_two[:, 0] - top_two[:, 1])


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
