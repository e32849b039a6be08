"""Embedding sources, capability checks and the select() contract guard."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from activetext.classifiers.base import Classifier
from activetext.classifiers.capabilities import SupportsEmbeddings, require
from activetext.data import SklearnDataset, TextDataset
from activetext.exceptions import ActiveTextError, InvalidArgumentError, MissingCapabilityError
from activetext.query_strategies.base import QueryStrategy
from activetext.query_strategies.embeddings import (
    ClassifierEmbeddings,
    FeatureEmbeddings,
    PrecomputedEmbeddings,
    embed_all,
)


class EmbeddingStub(Classifier):
    """Embeds a document as [row index of its first feature, 1]."""

    multi_label_ = False

    def fit(self, train, validation=None, weights=None):
        return self

    def predict_proba(self, data):
        return np.full((len(data), 2), 0.5)

    def embed(self, data):
        return np.column_stack([data.x[:, 0], np.ones(len(data))])

    def save(self, folder):
        raise NotImplementedError

    @classmethod
    def load(cls, folder):
        raise NotImplementedError


class NoEmbeddings(EmbeddingStub):
    embed = None  # type: ignore[assignment]


def test_protocol_is_checked_with_isinstance():
    assert isinstance(EmbeddingStub(), SupportsEmbeddings)
    assert not isinstance(object(), SupportsEmbeddings)
    require(EmbeddingStub(), SupportsEmbeddings, needed_by="test")
    with pytest.raises(
        MissingCapabilityError,
        match=r"test needs a classifier with the SupportsEmbeddings capability \(embed\); got NoneType",
    ):
        require(None, SupportsEmbeddings, needed_by="test")


def test_classifier_embeddings_come_from_embed():
    data = SklearnDataset(np.arange(8.0).reshape(4, 2), target_labels=[0, 1])
    vectors = ClassifierEmbeddings().embed(EmbeddingStub(), data, np.array([3, 1]))
    assert vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors, [[6.0, 1.0], [2.0, 1.0]])
    with pytest.raises(MissingCapabilityError, match="ClassifierEmbeddings needs"):
        ClassifierEmbeddings().embed(None, data, np.array([0]))


def test_precomputed_embeddings_are_rows_of_the_array_and_can_be_normalized():
    data = SklearnDataset(np.zeros((3, 1)), target_labels=[0, 1])
    vectors = np.array([[3.0, 4.0], [0.0, 2.0], [1.0, 0.0]])
    np.testing.assert_array_equal(PrecomputedEmbeddings(vectors).embed(None, data, np.array([0])), [[3.0, 4.0]])
    np.testing.assert_allclose(
        PrecomputedEmbeddings(vectors, normalize=True).embed(None, data, [0, 1]), [[0.6, 0.8], [0, 1]]
    )
    with pytest.raises(InvalidArgumentError, match="holds 3 vectors but the dataset has 2 documents"):
        PrecomputedEmbeddings(vectors).embed(None, data[[0, 1]], np.array([0]))
    with pytest.raises(InvalidArgumentError, match=r"vectors must be a 2-D array .* got shape \(3,\)"):
        PrecomputedEmbeddings(np.zeros(3))


def test_feature_embeddings_project_sparse_features_once_per_dataset():
    x = sp.random(40, 30, density=0.3, format="csr", random_state=1)
    data = SklearnDataset(x, target_labels=[0, 1])
    source = FeatureEmbeddings(n_components=5, seed=0)
    first = source.embed(None, data, np.arange(40))
    svd = source._svd
    assert first.shape == (40, 5)
    np.testing.assert_allclose(np.linalg.norm(first, axis=1)[np.linalg.norm(first, axis=1) > 0], 1.0, rtol=1e-5)
    np.testing.assert_array_equal(source.embed(None, data, np.array([7, 3])), first[[7, 3]])
    assert source._svd is svd  # not refitted for the same dataset
    dense = SklearnDataset(np.eye(3), target_labels=[0, 1])
    np.testing.assert_array_equal(FeatureEmbeddings(normalize=False).embed(None, dense, [2]), [[0, 0, 1]])
    with pytest.raises(InvalidArgumentError, match="holds texts"):
        FeatureEmbeddings().embed(None, TextDataset(["a"], target_labels=[0]), [0])


def test_embed_all_walks_in_chunks_and_keeps_order():
    data = SklearnDataset(np.arange(20.0).reshape(10, 2), target_labels=[0, 1])
    calls = []

    class Counting(PrecomputedEmbeddings):
        def _embed(self, clf, dataset, indices):
            calls.append(len(indices))
            return super()._embed(clf, dataset, indices)

    vectors = embed_all(Counting(data.x), None, data, np.array([9, 0, 5, 1, 2]), chunk_size=2)
    assert calls == [2, 2, 1]
    np.testing.assert_array_equal(vectors[:, 0], [18, 0, 10, 2, 4])
    assert embed_all(Counting(data.x), None, data, np.array([], dtype=int)).shape == (0, 2)


def test_a_strategy_that_breaks_the_select_contract_is_caught():
    class Duplicating(QueryStrategy):
        def select(self, clf, dataset, candidates, indices_labeled, y, n):
            return np.zeros(n, dtype=int), np.zeros(candidates.size)

    data = SklearnDataset(np.eye(4), target_labels=[0, 1])
    with pytest.raises(ActiveTextError, match="broke the query contract"):
        Duplicating(seed=0).query(None, data, np.arange(4), np.array([], dtype=int), np.array([]), n=2)
