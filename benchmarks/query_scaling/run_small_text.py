"""Query scaling, small-text 1.4.1 side. Run with the small-text venv (benchmarks/.venv-small-text).

    benchmarks/.venv-small-text/bin/python benchmarks/query_scaling/run_small_text.py \
        --strategy least_confidence --size 100000 --output /tmp/st.json

The dataset's only feature column holds the row number; the stub classifier answers ``predict_proba`` and
``embed`` with the rows of the fixed matrices for the rows it is given, so every strategy sees exactly the
probabilities and embeddings that activetext's runner sees.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from common import NUM_CLASSES, Case, Inputs, runner_main
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from small_text import (
    SEALS,
    AnchorSubsampling,
    BreakingTies,
    CategoryVectorInconsistencyAndRanking,
    ContrastiveActiveLearning,
    DiscriminativeActiveLearning,
    EmbeddingKMeans,
    GreedyCoreset,
    LeastConfidence,
    LightweightCoreset,
    PredictionEntropy,
    RandomSampling,
    SklearnClassifierFactory,
    SklearnDataset,
)
from small_text.classifiers.classification import Classifier
from small_text.version import __version__ as small_text_version

# preload what the strategies import lazily inside query(), so that the first query is not charged for it
import hnswlib  # noqa: F401  isort: skip
import scipy.special  # noqa: F401  isort: skip
import sklearn.cluster  # isort: skip
import sklearn.neighbors  # noqa: F401  isort: skip

_EMBEDDINGS: np.ndarray | None = None  # module global: sklearn.clone would deep-copy an estimator parameter


def row_ids(data) -> np.ndarray:
    return np.asarray(data.x[:, 0], dtype=np.int64)


class FixedOutputs(Classifier):
    """A trained classifier whose outputs are the fixed matrices' rows for the requested documents.

    small-text's embedding strategies always call ``embed(..., return_proba=True)`` (a transformer computes
    both in one forward pass), so every embedding strategy is given the probability matrix too.
    """

    def __init__(self, proba: np.ndarray | None, embeddings: np.ndarray | None, multi_label: bool = False):
        self.proba = proba
        self.embeddings = embeddings
        self.num_classes = NUM_CLASSES
        self.multi_label = multi_label

    def fit(self, train_set, weights=None):
        return self

    def predict(self, data_set, return_proba=False):
        proba = self.predict_proba(data_set)
        if self.multi_label:
            prediction = sp.csr_matrix((proba > 0.5).astype(np.int64))
        else:
            prediction = proba.argmax(axis=1)
        return (prediction, proba) if return_proba else prediction

    def predict_proba(self, data_set):
        return self.proba[row_ids(data_set)]

    def embed(self, data_set, return_proba=False, pbar=None, **kwargs):
        ids = row_ids(data_set)
        if return_proba:
            return self.embeddings[ids], self.proba[ids]
        return self.embeddings[ids]


class EmbeddingLogisticRegression(ClassifierMixin, BaseEstimator):
    """The discriminative model of DAL: logistic regression on the fixed embeddings of the given rows."""

    def __init__(self, max_iter: int = 1000):
        self.max_iter = max_iter

    def fit(self, x, y, sample_weight=None):
        self.model_ = LogisticRegression(max_iter=self.max_iter).fit(_EMBEDDINGS[np.asarray(x[:, 0], np.int64)], y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, x):
        return self.model_.predict_proba(_EMBEDDINGS[np.asarray(x[:, 0], np.int64)])


def pool_dataset(inputs: Inputs, multi_label: bool = False) -> SklearnDataset:
    ids = np.arange(inputs.size, dtype=np.int64).reshape(-1, 1)
    if multi_label:
        y = sp.lil_matrix((inputs.size, NUM_CLASSES), dtype=np.int64)
        y[inputs.labeled] = inputs.y_multi_label
        return SklearnDataset(ids, y.tocsr(), target_labels=np.arange(NUM_CLASSES))
    y = np.full(inputs.size, -1, dtype=np.int64)
    y[inputs.labeled] = inputs.y
    return SklearnDataset(ids, y, target_labels=np.arange(NUM_CLASSES))


def simple(make_strategy, needs: set[str], config: str, multi_label: bool = False, query_kwargs=None) -> Case:
    def build(inputs: Inputs, n: int):
        dataset = pool_dataset(inputs, multi_label)
        proba = inputs.proba_multi_label if multi_label else inputs.proba
        clf = FixedOutputs(proba, inputs.embeddings, multi_label)
        y = sp.csr_matrix(inputs.y_multi_label) if multi_label else inputs.y
        strategy = make_strategy(inputs)

        def query():
            return strategy.query(clf, dataset, inputs.unlabeled, inputs.labeled, y, n=n, **(query_kwargs or {}))

        return query

    return Case(build=build, needs=needs, config=config, multi_label=multi_label)


def make_dal(inputs: Inputs):
    global _EMBEDDINGS
    _EMBEDDINGS = inputs.embeddings
    factory = SklearnClassifierFactory(EmbeddingLogisticRegression(), num_classes=2)
    return DiscriminativeActiveLearning(factory, num_iterations=DAL_ITERATIONS, unlabeled_factor=10, pbar=None)


DAL_ITERATIONS = 4
PROBA = {"proba"}
EMB = {"embeddings"}
BOTH = {"proba", "embeddings"}

REGISTRY = {
    "random": simple(lambda i: RandomSampling(), set(), "RandomSampling()"),
    "least_confidence": simple(lambda i: LeastConfidence(), PROBA, "LeastConfidence()"),
    "prediction_entropy": simple(lambda i: PredictionEntropy(), PROBA, "PredictionEntropy()"),
    "breaking_ties": simple(lambda i: BreakingTies(), PROBA, "BreakingTies()"),
    "greedy_coreset": simple(lambda i: GreedyCoreset(distance_metric="euclidean", normalize=True), BOTH,
                             "GreedyCoreset(distance_metric='euclidean', normalize=True, batch_size=100)",
                             query_kwargs={"pbar": None}),
    "lightweight_coreset": simple(lambda i: LightweightCoreset(normalize=True), BOTH,
                                  "LightweightCoreset(normalize=True)", query_kwargs={"pbar": None}),
    "embedding_kmeans": simple(lambda i: EmbeddingKMeans(normalize=True), BOTH,
                               "EmbeddingKMeans(normalize=True) (sklearn KMeans(n_clusters=n))",
                               query_kwargs={"pbar": None}),
    "contrastive_al": simple(lambda i: ContrastiveActiveLearning(k=10, normalize=True, batch_size=100, pbar=None),
                             BOTH, "ContrastiveActiveLearning(k=10, normalize=True, batch_size=100)"),
    "discriminative_al": simple(make_dal, EMB,
                                f"DiscriminativeActiveLearning(LogisticRegression(max_iter=1000) on the embeddings, "
                                f"num_iterations={DAL_ITERATIONS}, unlabeled_factor=10)"),
    "cvirs": simple(lambda i: CategoryVectorInconsistencyAndRanking(pbar=None), {"proba_multi_label"},
                    "CategoryVectorInconsistencyAndRanking(batch_size=2048, prediction_threshold=0.5)",
                    multi_label=True),
    "seals": simple(lambda i: SEALS(LeastConfidence(), k=100), BOTH,
                    "SEALS(LeastConfidence(), k=100) (hnswlib M=64, ef_construction=200, ef=200; index built "
                    "in the first query)", query_kwargs={"pbar": None}),
    "anchor_al": simple(lambda i: AnchorSubsampling(LeastConfidence(), subsample_size=500, num_anchors=10, k=50),
                        BOTH, "AnchorSubsampling(LeastConfidence(), subsample_size=500, num_anchors=10, k=50) "
                        "(hnswlib M=64, ef_construction=200, ef=200; index built in the first query)",
                        query_kwargs={"pbar": None}),
}


if __name__ == "__main__":
    runner_main("small-text", small_text_version, REGISTRY, __doc__)
