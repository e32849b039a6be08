"""Query strategies: which unlabeled documents to label next.

All strategies follow one signature, ``query(clf, dataset, indices_unlabeled, indices_labeled, y, n)``
(see :mod:`activetext.query_strategies.base`). The families live in their own modules:

* :mod:`~activetext.query_strategies.uncertainty` and :mod:`~activetext.query_strategies.random`
* :mod:`~activetext.query_strategies.error_reduction`: expected error reduction
* :mod:`~activetext.query_strategies.diversity`: coresets, k-means, ProbCover, TypiClust
* :mod:`~activetext.query_strategies.representative`: CAL, DAL, information density, cluster-margin
* :mod:`~activetext.query_strategies.committee`: query by committee
* :mod:`~activetext.query_strategies.bayesian`: BALD and BatchBALD (posterior samples)
* :mod:`~activetext.query_strategies.gradient`: BADGE and expected gradient length
* :mod:`~activetext.query_strategies.multi_label`: CVIRS, label cardinality inconsistency, AAL, MMC, margins
* :mod:`~activetext.query_strategies.wrappers`: subsampling, class balancing, SEALS, AnchorAL
* :mod:`~activetext.query_strategies.bandit`: active learning by learning (strategy selection while running)
* :mod:`~activetext.query_strategies.chunked`: chunked or distributed scoring with a streaming top-k
* :mod:`~activetext.query_strategies.embeddings`: where representation strategies get their vectors

Importing this package loads none of the optional dependencies.
"""

from activetext.exceptions import EmptyPoolException, PoolExhaustedException
from activetext.query_strategies.bandit import ActiveLearningByLearning
from activetext.query_strategies.base import ProbabilityScoringStrategy, QueryStrategy, ScoringStrategy
from activetext.query_strategies.bayesian import BALD, BatchBALD
from activetext.query_strategies.chunked import TopCandidates
from activetext.query_strategies.committee import Committee, Disagreement, QueryByCommittee
from activetext.query_strategies.diversity import (
    EmbeddingKMeans,
    GreedyCoreset,
    LightweightCoreset,
    ProbCover,
    TypiClust,
)
from activetext.query_strategies.embeddings import (
    ClassifierEmbeddings,
    EmbeddingSource,
    FeatureEmbeddings,
    PrecomputedEmbeddings,
)
from activetext.query_strategies.error_reduction import ExpectedErrorReduction, Loss
from activetext.query_strategies.gradient import BADGE, ExpectedGradientLength
from activetext.query_strategies.multi_label import (
    MMC,
    AdaptiveActiveLearning,
    CategoryVectorInconsistencyAndRanking,
    LabelCardinalityInconsistency,
    LabelCountModel,
    MaximumLossReduction,
    MinConfidenceMargin,
)
from activetext.query_strategies.random import RandomSampling
from activetext.query_strategies.representative import (
    ClusterMargin,
    ContrastiveActiveLearning,
    DiscriminativeActiveLearning,
    InformationDensity,
)
from activetext.query_strategies.uncertainty import (
    BreakingTies,
    LeastConfidence,
    PredictionEntropy,
    breaking_ties,
    least_confidence,
    prediction_entropy,
)
from activetext.query_strategies.wrappers import SEALS, AnchorAL, ClassBalancing, RandomSubsampling

__all__ = [
    "BADGE",
    "BALD",
    "MMC",
    "SEALS",
    "ActiveLearningByLearning",
    "AdaptiveActiveLearning",
    "AnchorAL",
    "BatchBALD",
    "BreakingTies",
    "CategoryVectorInconsistencyAndRanking",
    "ClassBalancing",
    "ClassifierEmbeddings",
    "ClusterMargin",
    "Committee",
    "ContrastiveActiveLearning",
    "Disagreement",
    "DiscriminativeActiveLearning",
    "EmbeddingKMeans",
    "EmbeddingSource",
    "EmptyPoolException",
    "ExpectedErrorReduction",
    "ExpectedGradientLength",
    "FeatureEmbeddings",
    "GreedyCoreset",
    "InformationDensity",
    "LabelCardinalityInconsistency",
    "LabelCountModel",
    "LeastConfidence",
    "LightweightCoreset",
    "Loss",
    "MaximumLossReduction",
    "MinConfidenceMargin",
    "PoolExhaustedException",
    "PrecomputedEmbeddings",
    "PredictionEntropy",
    "ProbCover",
    "ProbabilityScoringStrategy",
    "QueryByCommittee",
    "QueryStrategy",
    "RandomSampling",
    "RandomSubsampling",
    "ScoringStrategy",
    "TopCandidates",
    "TypiClust",
    "breaking_ties",
    "least_confidence",
    "prediction_entropy",
]
