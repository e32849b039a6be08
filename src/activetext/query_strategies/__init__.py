"""Query strategies: which unlabeled documents to label next.

All strategies follow one signature, ``query(clf, dataset, indices_unlabeled, indices_labeled, y, n)``
(see :mod:`activetext.query_strategies.base`).
"""

from activetext.exceptions import EmptyPoolException, PoolExhaustedException
from activetext.query_strategies.base import ProbabilityScoringStrategy, QueryStrategy
from activetext.query_strategies.random import RandomSampling
from activetext.query_strategies.uncertainty import (
    BreakingTies,
    LeastConfidence,
    PredictionEntropy,
    breaking_ties,
    least_confidence,
    prediction_entropy,
)

__all__ = [
    "BreakingTies",
    "EmptyPoolException",
    "LeastConfidence",
    "PoolExhaustedException",
    "PredictionEntropy",
    "ProbabilityScoringStrategy",
    "QueryStrategy",
    "RandomSampling",
    "breaking_ties",
    "least_confidence",
    "prediction_entropy",
]
