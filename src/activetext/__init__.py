"""activetext: active learning for text classification.

The learners live in :mod:`activetext.active_learner`, classifiers in :mod:`activetext.classifiers`, query
strategies in :mod:`activetext.query_strategies`, stopping criteria in :mod:`activetext.stopping_criteria`,
datasets in :mod:`activetext.data` and the benchmark loaders in :mod:`activetext.datasets`.

The public names of those modules can also be imported from the package itself, as small-text allows
(``from activetext import PoolBasedActiveLearner, BreakingTies``). They are loaded on first use, so importing this
package loads only numpy, scipy and scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, tuple[str, ...]] = {
    "activetext.active_learner": (
        "LabelRequest",
        "PoolBasedActiveLearner",
        "StreamBasedActiveLearner",
        "StreamCheckpoint",
        "StreamSimulation",
        "StreamSummary",
        "simulate_stream",
    ),
    "activetext.classifiers": (
        "Classifier",
        "ConfidenceEnhancedLinearSVC",
        "ProbabilityCalibration",
        "SklearnClassifier",
    ),
    "activetext.classifiers.factories": (
        "AbstractClassifierFactory",
        "ClassifierFactory",
        "PretrainedModelClassifierFactory",
        "SklearnClassifierFactory",
    ),
    "activetext.query_strategies": (
        "ActiveLearningByLearning",
        "AdaptiveActiveLearning",
        "AnchorAL",
        "BADGE",
        "BALD",
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
        "MMC",
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
        "SEALS",
        "ScoringStrategy",
        "TopCandidates",
        "TypiClust",
        "breaking_ties",
        "least_confidence",
        "prediction_entropy",
    ),
    "activetext.stopping_criteria": (
        "AllOf",
        "AnyOf",
        "ClassificationChange",
        "DeltaFScore",
        "KappaAverage",
        "MaxIterations",
        "MaxLabels",
        "OverallUncertainty",
        "StoppingCriterion",
    ),
    "activetext.data": (
        "ChunkedSparseDataset",
        "Dataset",
        "LABEL_UNLABELED",
        "LabelSetInferredWarning",
        "MemmapDataset",
        "SklearnDataSet",
        "SklearnDataset",
        "TextDataset",
        "write_sparse_chunks",
    ),
    "activetext.initialization": (
        "ColdStart",
        "balanced_initialization",
        "diverse_initialization",
        "random_initialization",
        "random_initialization_balanced",
        "random_initialization_stratified",
        "stratified_initialization",
        "zero_shot_initialization",
    ),
    "activetext.exceptions": (
        "ActiveTextError",
        "CorruptSavedStateError",
        "DatasetMismatchError",
        "DatasetNotFoundError",
        "EmptyStreamError",
        "EmptyTextError",
        "IncompatibleFormatError",
        "InvalidArgumentError",
        "InvalidConfigurationError",
        "InvalidIndicesError",
        "InvalidLabelError",
        "LabelCountMismatchError",
        "LabelShapeError",
        "LearnerStateError",
        "MissingCapabilityError",
        "MissingDependencyError",
        "NoPendingQueryError",
        "NonFiniteFeaturesError",
        "NotInitializedError",
        "PersistenceError",
        "QueryError",
        "SavedStateNotFoundError",
        "SynthesisError",
        "UnknownRequestError",
    ),
}
"""Where each name importable from the package lives (a test keeps this in step with the modules' ``__all__``)."""

_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'activetext' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULE_OF})
