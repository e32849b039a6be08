"""Query scaling, activetext side. Run with activetext's venv (.venv).

    .venv/bin/python benchmarks/query_scaling/run_activetext.py \
        --strategy least_confidence --size 100000 --output /tmp/at.json

The dataset's only feature column holds the row number; the stub classifier answers ``predict_proba`` and
``embed`` with the rows of the fixed matrices for the rows it is given (exactly what small-text's runner does),
and embedding strategies read the vectors through ``ClassifierEmbeddings`` (the classifier's ``embed``).

Strategies whose module is not there yet (other developers are adding them) are left out of the registry; the
orchestrator records them as ``unavailable``.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from common import NUM_CLASSES, Case, Inputs, runner_main
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

import activetext
from activetext.classifiers.base import Classifier
from activetext.data import SklearnDataset
from activetext.query_strategies import BreakingTies, LeastConfidence, PredictionEntropy, RandomSampling

# preload what strategies import lazily inside query(), so that the first query is not charged for it
import sklearn.cluster  # noqa: F401  isort: skip

_EMBEDDINGS: np.ndarray | None = None  # module global: sklearn.clone would deep-copy an estimator parameter
CPUS = os.cpu_count() or 1
DAL_SUB_BATCHES = 4  # small-text's num_iterations in the runner on the other side


def row_ids(data: Any) -> np.ndarray:
    x = data.x if hasattr(data, "x") else data
    return np.asarray(x[:, 0], dtype=np.int64)


class FixedOutputs(Classifier):
    """A trained classifier whose outputs are the fixed matrices' rows for the requested documents."""

    def __init__(self, proba: np.ndarray | None, embeddings: np.ndarray | None, multi_label: bool = False):
        self.proba = proba
        self.embeddings = embeddings
        self.multi_label_ = multi_label
        self.num_classes_ = NUM_CLASSES

    def fit(self, train, validation=None, weights=None):
        return self

    def predict_proba(self, data):
        return self.proba[row_ids(data)]

    def embed(self, data):
        return self.embeddings[row_ids(data)]

    def save(self, folder):
        raise NotImplementedError

    @classmethod
    def load(cls, folder):
        raise NotImplementedError


class EmbeddingLogisticRegression(ClassifierMixin, BaseEstimator):
    """Logistic regression on the fixed embeddings of the given rows (members of QBC, EER's retrained models)."""

    def __init__(self, max_iter: int = 1000):
        self.max_iter = max_iter

    def fit(self, x, y, sample_weight=None):
        vectors = _EMBEDDINGS[np.asarray(x[:, 0], np.int64)]
        self.model_ = LogisticRegression(max_iter=self.max_iter).fit(vectors, y, sample_weight=sample_weight)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, x):
        return self.model_.predict_proba(_EMBEDDINGS[np.asarray(x[:, 0], np.int64)])

    def predict(self, x):
        return self.classes_[np.argmax(self.predict_proba(x), axis=1)]


def pool_dataset(inputs: Inputs, multi_label: bool = False) -> SklearnDataset:
    ids = np.arange(inputs.size, dtype=np.int64).reshape(-1, 1)
    if multi_label:
        rows = np.repeat(inputs.labeled, NUM_CLASSES)
        cols = np.tile(np.arange(NUM_CLASSES), inputs.labeled.size)
        values = inputs.y_multi_label.ravel()
        keep = values > 0
        y = sp.csr_matrix((values[keep], (rows[keep], cols[keep])), shape=(inputs.size, NUM_CLASSES))
        return SklearnDataset(ids, y, target_labels=np.arange(NUM_CLASSES))
    y = np.full(inputs.size, -1, dtype=np.int64)
    y[inputs.labeled] = inputs.y
    return SklearnDataset(ids, y, target_labels=np.arange(NUM_CLASSES))


def simple(make_strategy: Callable[[Inputs], Any], needs: set[str], config: str, multi_label: bool = False) -> Case:
    def build(inputs: Inputs, n: int):
        global _EMBEDDINGS
        _EMBEDDINGS = inputs.embeddings
        dataset = pool_dataset(inputs, multi_label)
        proba = inputs.proba_multi_label if multi_label else inputs.proba
        clf = FixedOutputs(proba, inputs.embeddings, multi_label)
        y = sp.csr_matrix(inputs.y_multi_label) if multi_label else inputs.y
        strategy = make_strategy(inputs)

        def query():
            return strategy.query(clf, dataset, inputs.unlabeled, inputs.labeled, y, n=n)

        return query

    return Case(build=build, needs=needs, config=config, multi_label=multi_label)


PROBA = {"proba"}
BOTH = {"proba", "embeddings"}


def _module(name: str) -> Any | None:
    try:
        return importlib.import_module(f"activetext.query_strategies.{name}")
    except ImportError:
        return None


def build_registry() -> dict[str, Case]:
    from activetext.classifiers.factories import SklearnClassifierFactory
    from activetext.query_strategies.embeddings import ClassifierEmbeddings

    def unit():
        return ClassifierEmbeddings(normalize=True)

    def hnsw():
        from activetext.vector_indexes import HnswIndex

        # small-text's SEALS/AnchorSubsampling settings (M=64, ef_construction=200, ef=200); hnswlib builds
        # with every core there, so here too
        return functools.partial(HnswIndex, M=64, ef_construction=200, ef_search=200, num_threads=CPUS)

    def lr_factory():
        return SklearnClassifierFactory(EmbeddingLogisticRegression(), num_classes=NUM_CLASSES)

    registry: dict[str, Case] = {
        "random": simple(lambda i: RandomSampling(seed=0), set(), "RandomSampling(seed=0)"),
        "least_confidence": simple(lambda i: LeastConfidence(seed=0), PROBA, "LeastConfidence(seed=0)"),
        "prediction_entropy": simple(lambda i: PredictionEntropy(seed=0), PROBA, "PredictionEntropy(seed=0)"),
        "breaking_ties": simple(lambda i: BreakingTies(seed=0), PROBA, "BreakingTies(seed=0)"),
    }

    diversity = _module("diversity")
    if diversity is not None:
        registry.update({
            "greedy_coreset": simple(lambda i: diversity.GreedyCoreset(unit(), seed=0), BOTH,
                                     "GreedyCoreset(ClassifierEmbeddings(normalize=True), seed=0)"),
            "lightweight_coreset": simple(lambda i: diversity.LightweightCoreset(unit(), seed=0), BOTH,
                                          "LightweightCoreset(ClassifierEmbeddings(normalize=True), seed=0)"),
            "embedding_kmeans": simple(lambda i: diversity.EmbeddingKMeans(unit(), seed=0), BOTH,
                                       "EmbeddingKMeans(ClassifierEmbeddings(normalize=True), seed=0) "
                                       "(KMeans up to 20k candidates, MiniBatchKMeans beyond; ExactIndex)"),
            "prob_cover": simple(lambda i: diversity.ProbCover(unit(), seed=0), BOTH,
                                 "ProbCover(ClassifierEmbeddings(normalize=True), seed=0) (defaults: ExactIndex, "
                                 "n_neighbors=50, max_candidates=100_000)"),
            "prob_cover_hnsw": simple(lambda i: diversity.ProbCover(unit(), index_factory=hnsw(), seed=0), BOTH,
                                      "ProbCover(..., index_factory=HnswIndex(M=64, ef_construction=200, "
                                      "ef_search=200), seed=0) (max_candidates=100_000)"),
            "typiclust": simple(lambda i: diversity.TypiClust(unit(), seed=0), BOTH,
                                "TypiClust(ClassifierEmbeddings(normalize=True), seed=0) (defaults: ExactIndex, "
                                "max_clusters=500, max_candidates=100_000)"),
        })

    representative = _module("representative")
    if representative is not None:
        registry.update({
            "contrastive_al": simple(lambda i: representative.ContrastiveActiveLearning(unit(), k=10, seed=0), BOTH,
                                     "ContrastiveActiveLearning(ClassifierEmbeddings(normalize=True), k=10, seed=0) "
                                     "(k nearest *labeled* neighbours, ExactIndex)"),
            "discriminative_al": simple(
                lambda i: representative.DiscriminativeActiveLearning(
                    ClassifierEmbeddings(), sub_batches=DAL_SUB_BATCHES, unlabeled_ratio=10.0, seed=0),
                BOTH, f"DiscriminativeActiveLearning(ClassifierEmbeddings(), sub_batches={DAL_SUB_BATCHES}, "
                      "unlabeled_ratio=10, seed=0) (LogisticRegression(max_iter=1000))"),
            "information_density": simple(lambda i: representative.InformationDensity(unit(), seed=0), BOTH,
                                          "InformationDensity(ClassifierEmbeddings(normalize=True), seed=0) "
                                          "(k=None: exact mean cosine similarity to the pool)"),
            "cluster_margin": simple(lambda i: representative.ClusterMargin(unit(), seed=0), BOTH,
                                     "ClusterMargin(ClassifierEmbeddings(normalize=True), seed=0) "
                                     "(cluster_sample_size=5000; clustering done in this first query)"),
        })

    wrappers = _module("wrappers")
    if wrappers is not None:
        registry.update({
            "seals": simple(lambda i: wrappers.SEALS(LeastConfidence(seed=0), unit(), k=100, seed=0), BOTH,
                            "SEALS(LeastConfidence(seed=0), ClassifierEmbeddings(normalize=True), k=100) "
                            "(default ExactIndex; index built in this first query)"),
            "seals_hnsw": simple(
                lambda i: wrappers.SEALS(LeastConfidence(seed=0), unit(), k=100, index_factory=hnsw(), seed=0),
                BOTH, f"SEALS(LeastConfidence(seed=0), ..., k=100, index_factory=HnswIndex(M=64, "
                      f"ef_construction=200, ef_search=200, num_threads={CPUS})) (index built in this first query)"),
            "anchor_al": simple(
                lambda i: wrappers.AnchorAL(LeastConfidence(seed=0), unit(), num_anchors=10, k=50, subpool_size=500,
                                            seed=0),
                BOTH, "AnchorAL(LeastConfidence(seed=0), ClassifierEmbeddings(normalize=True), num_anchors=10, k=50, "
                      "subpool_size=500, seed=0) (default ExactIndex; index built in this first query)"),
            "anchor_al_hnsw": simple(
                lambda i: wrappers.AnchorAL(LeastConfidence(seed=0), unit(), num_anchors=10, k=50, subpool_size=500,
                                            index_factory=hnsw(), seed=0),
                BOTH, f"AnchorAL(..., num_anchors=10, k=50, subpool_size=500, index_factory=HnswIndex(M=64, "
                      f"ef_construction=200, ef_search=200, num_threads={CPUS})) (index built in this first query)"),
            "random_subsampling": simple(
                lambda i: wrappers.RandomSubsampling(BreakingTies(seed=0), subsample_size=10_000, seed=0), PROBA,
                "RandomSubsampling(BreakingTies(seed=0), subsample_size=10_000, seed=0)"),
            "class_balancing": simple(lambda i: wrappers.ClassBalancing(BreakingTies(seed=0), seed=0), PROBA,
                                      "ClassBalancing(BreakingTies(seed=0), seed=0)"),
        })

    committee = _module("committee")
    if committee is not None:
        registry["query_by_committee"] = simple(
            lambda i: committee.QueryByCommittee(lr_factory(), committee_size=5, seed=0), {"embeddings"},
            "QueryByCommittee(SklearnClassifierFactory(LogisticRegression on the embeddings), committee_size=5, "
            "VOTE_ENTROPY, BOOTSTRAP, seed=0)")

    error_reduction = _module("error_reduction")
    if error_reduction is not None:
        registry["expected_error_reduction"] = simple(
            lambda i: error_reduction.ExpectedErrorReduction(lr_factory(), seed=0), BOTH,
            "ExpectedErrorReduction(SklearnClassifierFactory(LogisticRegression on the embeddings), "
            "subsample_size=100, evaluation_size=500, Loss.LOG, seed=0)")

    bandit = _module("bandit")
    if bandit is not None:
        registry["active_learning_by_learning"] = simple(
            lambda i: bandit.ActiveLearningByLearning([RandomSampling(seed=0), BreakingTies(seed=0)], seed=0), PROBA,
            "ActiveLearningByLearning([RandomSampling, BreakingTies], seed=0) (first query: one arm drawn)")

    multi_label = _module("multi_label")
    if multi_label is not None:
        registry.update(multi_label_cases(multi_label))
    return registry


def multi_label_cases(module: Any) -> dict[str, Case]:
    """The multi-label strategies, registered by the class names the module exports."""
    cases = {}
    known = {
        "CategoryVectorInconsistencyAndRanking": "cvirs",
        "MinConfidenceMargin": "ml_min_confidence_margin",
        "LabelCardinalityInconsistency": "ml_label_cardinality_inconsistency",
        "AdaptiveActiveLearning": "ml_adaptive_active_learning",
        "MaximumLossReduction": "ml_maximum_loss_reduction",
    }
    for class_name, key in known.items():
        strategy_class = getattr(module, class_name, None)
        if strategy_class is not None:
            cases[key] = simple(lambda i, c=strategy_class: c(seed=0), {"proba_multi_label"}, f"{class_name}(seed=0)",
                                multi_label=True)
    return cases


REGISTRY = build_registry()

if __name__ == "__main__":
    runner_main("activetext", getattr(activetext, "__version__", "unknown"), REGISTRY, __doc__)
