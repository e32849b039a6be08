"""What the names in a simulation configuration stand for: classifier, strategy and stopping-criterion types.

Each registered type knows how to build its component from the options of the configuration and what it needs,
so that :mod:`activetext.simulation.plan` can refuse a strategy that does not fit a classifier (BALD with a
linear SVM, a multi-label strategy on single-label data) before any run starts.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from activetext import query_strategies as qs
from activetext.classifiers.capabilities import (
    SupportsEmbeddings,
    SupportsExpectedGradientLength,
    SupportsGradientEmbeddings,
    SupportsPosteriorSamples,
)
from activetext.classifiers.factories import ClassifierFactory
from activetext.exceptions import InvalidArgumentError
from activetext.query_strategies.embeddings import EmbeddingSource

__all__ = [
    "CLASSIFIER_TYPES",
    "STOPPING_CRITERION_TYPES",
    "STRATEGY_TYPES",
    "ClassifierType",
    "Features",
    "StrategyContext",
    "StrategyType",
    "build_options",
]


class Features(str, enum.Enum):
    """What a classifier type reads: a TF-IDF matrix, frozen encoder vectors, or the raw texts."""

    TFIDF = "tfidf"
    ENCODER = "encoder"
    TEXT = "text"


@dataclass(frozen=True)
class ClassifierType:
    """A classifier a configuration can name.

    Attributes
    ----------
    features : Features
        What the classifier reads.
    capabilities : tuple of type
        The capability protocols its classifiers offer (strategies that need others are refused).
    build : callable
        ``build(options, seed) -> ClassifierFactory``; ``options`` are the configuration's options less the
        feature options (see ``FEATURE_OPTIONS``).
    """

    features: Features
    capabilities: tuple[type, ...]
    build: Callable[[dict[str, Any], int], ClassifierFactory]

    def factory(self, options: dict[str, Any], seed: int) -> ClassifierFactory:
        """Return the classifier factory for a configuration entry's ``options`` (feature options left out)."""
        return self.build({k: v for k, v in options.items() if k not in FEATURE_OPTIONS[self.features]}, seed)


FEATURE_OPTIONS = {
    Features.TFIDF: ("vectorizer",),
    Features.ENCODER: ("model", "encode_batch_size"),
    Features.TEXT: (),
}
"""Options of a classifier entry that configure its features rather than the classifier itself (fine-tuned
classifiers read the texts and take ``model`` themselves)."""


def _sklearn_factory(make_estimator: Callable[..., Any]) -> Callable[[dict[str, Any], int], ClassifierFactory]:
    def build(options: dict[str, Any], seed: int) -> ClassifierFactory:
        from activetext.classifiers.factories import SklearnClassifierFactory

        options = dict(options)
        class_weight = options.pop("class_weight", None)
        return SklearnClassifierFactory(make_estimator(seed, **options), kwargs={"class_weight": class_weight})

    return build


def _linear_svc(seed: int, **options: Any) -> Any:
    from activetext.classifiers.sklearn import ConfidenceEnhancedLinearSVC

    return ConfidenceEnhancedLinearSVC(random_state=seed, **options)


def _logistic_regression(seed: int, **options: Any) -> Any:
    from sklearn.linear_model import LogisticRegression

    options.setdefault("max_iter", 1000)
    return LogisticRegression(random_state=seed, **options)


def _pretrained_factory(module: str, name: str) -> Callable[[dict[str, Any], int], ClassifierFactory]:
    def build(options: dict[str, Any], seed: int) -> ClassifierFactory:
        import importlib

        factory_class = getattr(importlib.import_module(module), name)
        options = dict(options)
        model = options.pop("model", None)
        return factory_class(model, kwargs={"seed": seed, **options})

    return build


_NEURAL = (SupportsEmbeddings, SupportsPosteriorSamples, SupportsGradientEmbeddings, SupportsExpectedGradientLength)

CLASSIFIER_TYPES: dict[str, ClassifierType] = {
    "tfidf-linear-svc": ClassifierType(Features.TFIDF, (), _sklearn_factory(_linear_svc)),
    "tfidf-logistic-regression": ClassifierType(Features.TFIDF, (), _sklearn_factory(_logistic_regression)),
    "frozen-encoder": ClassifierType(Features.ENCODER, (), _sklearn_factory(_logistic_regression)),
    "transformer": ClassifierType(
        Features.TEXT,
        _NEURAL,
        _pretrained_factory("activetext.classifiers.transformer", "TransformerClassifierFactory"),
    ),
    "kimcnn": ClassifierType(
        Features.TEXT, _NEURAL, _pretrained_factory("activetext.classifiers.kimcnn", "KimCNNClassifierFactory")
    ),
    "setfit": ClassifierType(
        Features.TEXT,
        (SupportsEmbeddings,),
        _pretrained_factory("activetext.classifiers.setfit", "SetFitClassifierFactory"),
    ),
}
"""The classifier types, by the name a configuration uses.

``tfidf-*`` train on a TF-IDF matrix of the pool (``vectorizer`` options go to scikit-learn's TfidfVectorizer);
``frozen-encoder`` trains a logistic regression on sentence-encoder vectors computed once per data set (what
:class:`~activetext.classifiers.encoder.EncoderClassifier` does, without encoding again in every run);
``transformer``, ``kimcnn`` and ``setfit`` fine-tune on the texts. Other options are passed to the estimator or
the classifier.
"""


@dataclass(frozen=True)
class StrategyContext:
    """What building a strategy may need besides its seed and options."""

    embeddings: EmbeddingSource
    clf_factory: ClassifierFactory
    build_base: Callable[[Any], qs.QueryStrategy]


class Labels(str, enum.Enum):
    """The kind of data a strategy scores."""

    SINGLE = "single-label"
    MULTI = "multi-label"
    ANY = "any"


@dataclass(frozen=True)
class StrategyType:
    """A query strategy a configuration can name.

    Attributes
    ----------
    strategy_class : type
        The strategy.
    labels : Labels
        The data it scores.
    requires : type or None
        The capability protocol it needs from the classifier.
    context : tuple of str
        Constructor arguments the harness supplies: ``"embeddings"`` (the prepared vectors, or the classifier's
        own embeddings for fine-tuned classifiers), ``"clf_factory"`` or ``"base_strategy"`` (the ``base``
        option: a strategy type name or table).
    """

    strategy_class: type
    labels: Labels = Labels.ANY
    requires: type | None = None
    context: tuple[str, ...] = ()

    def build(self, options: dict[str, Any], seed: int, context: StrategyContext) -> qs.QueryStrategy:
        """Return the strategy, seeded, with the harness-supplied arguments filled in."""
        options = dict(options)
        supplied: dict[str, Any] = {}
        if "embeddings" in self.context:
            supplied["embeddings"] = context.embeddings
        if "clf_factory" in self.context:
            supplied["clf_factory"] = context.clf_factory
        if "base_strategy" in self.context:
            supplied["base_strategy"] = context.build_base(options.pop("base", "breaking-ties"))
        if "strategies" in self.context:
            members = options.pop("strategies", ["breaking-ties", "random"])
            supplied["strategies"] = [context.build_base(member) for member in members]
        return self.strategy_class(**supplied, **build_options(self.strategy_class, options), seed=seed)

    def option_names(self) -> set[str]:
        """The options a configuration may give (constructor parameters less those the harness supplies)."""
        names = set(inspect.signature(self.strategy_class.__init__).parameters) - {"self", "seed", *self.context}
        if "base_strategy" in self.context:
            names.add("base")
        if "strategies" in self.context:
            names.add("strategies")
        return names


_SINGLE = Labels.SINGLE
_MULTI = Labels.MULTI

STRATEGY_TYPES: dict[str, StrategyType] = {
    "random": StrategyType(qs.RandomSampling),
    "least-confidence": StrategyType(qs.LeastConfidence, _SINGLE),
    "prediction-entropy": StrategyType(qs.PredictionEntropy, _SINGLE),
    "breaking-ties": StrategyType(qs.BreakingTies, _SINGLE),
    "expected-error-reduction": StrategyType(qs.ExpectedErrorReduction, _SINGLE, context=("clf_factory",)),
    "query-by-committee": StrategyType(qs.QueryByCommittee, _SINGLE, context=("clf_factory",)),
    "greedy-coreset": StrategyType(qs.GreedyCoreset, context=("embeddings",)),
    "lightweight-coreset": StrategyType(qs.LightweightCoreset, context=("embeddings",)),
    "embedding-kmeans": StrategyType(qs.EmbeddingKMeans, context=("embeddings",)),
    "probcover": StrategyType(qs.ProbCover, context=("embeddings",)),
    "typiclust": StrategyType(qs.TypiClust, context=("embeddings",)),
    "contrastive-active-learning": StrategyType(qs.ContrastiveActiveLearning, _SINGLE, context=("embeddings",)),
    "discriminative-active-learning": StrategyType(qs.DiscriminativeActiveLearning, context=("embeddings",)),
    "information-density": StrategyType(qs.InformationDensity, _SINGLE, context=("embeddings",)),
    "cluster-margin": StrategyType(qs.ClusterMargin, _SINGLE, context=("embeddings",)),
    "bald": StrategyType(qs.BALD, _SINGLE, requires=SupportsPosteriorSamples),
    "batch-bald": StrategyType(qs.BatchBALD, _SINGLE, requires=SupportsPosteriorSamples),
    "badge": StrategyType(qs.BADGE, _SINGLE, requires=SupportsGradientEmbeddings),
    "expected-gradient-length": StrategyType(
        qs.ExpectedGradientLength, _SINGLE, requires=SupportsExpectedGradientLength
    ),
    "cvirs": StrategyType(qs.CategoryVectorInconsistencyAndRanking, _MULTI),
    "label-cardinality-inconsistency": StrategyType(qs.LabelCardinalityInconsistency, _MULTI),
    "adaptive-active-learning": StrategyType(qs.AdaptiveActiveLearning, _MULTI),
    "mmc": StrategyType(qs.MaximumLossReduction, _MULTI),
    "min-confidence-margin": StrategyType(qs.MinConfidenceMargin, _MULTI),
    "class-balancing": StrategyType(qs.ClassBalancing, _SINGLE, context=("base_strategy",)),
    "subsampling": StrategyType(qs.RandomSubsampling, context=("base_strategy",)),
    "seals": StrategyType(qs.SEALS, context=("base_strategy", "embeddings")),
    "anchoral": StrategyType(qs.AnchorAL, context=("base_strategy", "embeddings")),
    "active-learning-by-learning": StrategyType(qs.ActiveLearningByLearning, context=("strategies",)),
}
"""The query strategies, by the name a configuration uses (see :doc:`the strategy pages <strategies/index>`).

Wrappers take their inner strategy from the ``base`` option (a name or a table, ``"breaking-ties"`` by default);
``active-learning-by-learning`` takes a ``strategies`` list.
"""


STOPPING_CRITERION_TYPES: dict[str, str] = {
    "kappa-average": "KappaAverage",
    "classification-change": "ClassificationChange",
    "overall-uncertainty": "OverallUncertainty",
    "delta-f-score": "DeltaFScore",
    "max-iterations": "MaxIterations",
    "max-labels": "MaxLabels",
}
"""The stopping criteria, by the name a configuration uses, and their class in
:mod:`activetext.stopping_criteria`. Criteria that take ``num_classes`` get it from the data set."""


def build_stopping_criterion(kind: str, options: dict[str, Any], num_classes: int) -> Any:
    """Return a new stopping criterion of the registered ``kind`` with ``options``."""
    from activetext import stopping_criteria

    criterion_class = getattr(stopping_criteria, STOPPING_CRITERION_TYPES[kind])
    options = build_options(criterion_class, options)
    if "num_classes" in inspect.signature(criterion_class.__init__).parameters:
        options["num_classes"] = num_classes
    return criterion_class(**options)


def stopping_option_names(kind: str) -> set[str]:
    """The options a configuration may give a stopping criterion of ``kind``."""
    from activetext import stopping_criteria

    criterion_class = getattr(stopping_criteria, STOPPING_CRITERION_TYPES[kind])
    return set(inspect.signature(criterion_class.__init__).parameters) - {"self", "num_classes"}


def build_options(component_class: type, options: dict[str, Any]) -> dict[str, Any]:
    """Convert option values from their TOML form: a string becomes the enum member a parameter's default is of.

    Parameters
    ----------
    component_class : type
        The class whose constructor receives the options.
    options : dict
        The options as read from the configuration.

    Returns
    -------
    dict
    """
    parameters = inspect.signature(component_class.__init__).parameters
    converted = {}
    for name, value in options.items():
        default = parameters[name].default if name in parameters else None
        if isinstance(default, enum.Enum) and isinstance(value, str):
            try:
                value = type(default)(value)
            except ValueError as error:
                choices = [member.value for member in type(default)]
                raise InvalidArgumentError(f"{name} must be one of {choices}, got {value!r}") from error
        converted[name] = value
    return converted
