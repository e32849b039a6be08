"""SEALS keeps its index and neighbour lists as documents get labeled or appended, and answers as if rebuilt."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from activetext.data import SklearnDataset
from activetext.query_strategies import SEALS, AnchorAL, PrecomputedEmbeddings, RandomSampling
from activetext.query_strategies.wrappers import nearest_candidates
from activetext.vector_indexes import ExactIndex, HnswIndex


class CountingExactIndex(ExactIndex):
    """An exact index that counts the vectors added and the queries searched."""

    added: ClassVar[list[int]] = []
    searched: ClassVar[list[int]] = []

    def add(self, vectors, ids):
        CountingExactIndex.added.append(len(ids))
        super().add(vectors, ids)

    def search(self, queries, k):
        CountingExactIndex.searched.append(len(queries))
        return super().search(queries, k)


def points(n, seed=0, dim=6):
    return np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)


def fresh_neighbourhood(x, labeled, candidates, k):
    index = ExactIndex()
    index.add(x, np.arange(len(x)))
    is_candidate = np.zeros(len(x), dtype=bool)
    is_candidate[candidates] = True
    return nearest_candidates(index, x[labeled], k, is_candidate)


def test_neighbour_lists_are_reused_as_documents_get_labeled():
    x = points(2000)
    dataset = SklearnDataset(x, target_labels=[0, 1])
    CountingExactIndex.added, CountingExactIndex.searched = [], []
    strategy = SEALS(RandomSampling(seed=0), PrecomputedEmbeddings(x), k=10, index_factory=CountingExactIndex)
    rng = np.random.default_rng(1)
    labeled = rng.choice(2000, 30, replace=False)
    for _ in range(6):
        unlabeled = np.setdiff1d(np.arange(2000), labeled)
        expected = fresh_neighbourhood(x, labeled, unlabeled, 10)
        got = strategy._neighbours(None, dataset, labeled, unlabeled)
        np.testing.assert_array_equal(got[1], expected[1])
        np.testing.assert_allclose(got[0], expected[0], rtol=1e-6)
        picked = strategy.query(None, dataset, unlabeled, labeled, np.zeros(labeled.size, dtype=int), n=20)
        labeled = np.r_[labeled, picked]  # the new labels are next to the old ones: lists lose candidates
    assert CountingExactIndex.added == [2000]  # built once, never rebuilt
    searched = sum(CountingExactIndex.searched)
    every_time = sum(30 + 20 * step for step in range(6)) * 2  # each query searches its labeled documents twice
    assert searched < 30 + 5 * 20 + 60  # each labeled document once, plus a few whose kept list ran short
    assert searched < every_time / 4


def test_appended_documents_extend_the_index_instead_of_rebuilding_it():
    x = points(1000, seed=2)
    CountingExactIndex.added = []
    strategy = SEALS(RandomSampling(seed=0), PrecomputedEmbeddings(x[:800]), k=5, index_factory=CountingExactIndex)
    labeled = np.arange(0, 800, 40)
    small = SklearnDataset(x[:800], target_labels=[0, 1])
    strategy._neighbours(None, small, labeled, np.setdiff1d(np.arange(800), labeled))
    strategy.embeddings = PrecomputedEmbeddings(x)
    large = SklearnDataset(x, target_labels=[0, 1])
    unlabeled = np.setdiff1d(np.arange(1000), labeled)
    got = strategy._neighbours(None, large, labeled, unlabeled)
    assert CountingExactIndex.added == [800, 200]  # the 200 new documents only
    np.testing.assert_array_equal(got[1], fresh_neighbourhood(x, labeled, unlabeled, 5)[1])
    other = SklearnDataset(np.r_[x[1:800], x[:1], x[800:]], target_labels=[0, 1])  # not an extension
    strategy._neighbours(None, other, labeled, unlabeled)
    assert CountingExactIndex.added == [800, 200, 1000]


def test_hnsw_index_extended_answers_like_one_built_at_once():
    pytest.importorskip("hnswlib")
    x = points(3000, seed=3, dim=16)
    queries = points(100, seed=4, dim=16)
    exact = ExactIndex()
    exact.add(x, np.arange(3000))
    truth = exact.search(queries, 10)[1]
    grown, built = HnswIndex(seed=0, ef_search=100), HnswIndex(seed=0, ef_search=100)
    for start in range(0, 3000, 500):
        grown.add(x[start : start + 500], np.arange(start, start + 500))
    built.add(x, np.arange(3000))
    recall = {
        name: np.mean([len(set(a) & set(b)) / 10 for a, b in zip(index.search(queries, 10)[1], truth, strict=True)])
        for name, index in (("grown", grown), ("built", built))
    }
    assert recall["grown"] >= 0.97 and recall["built"] >= 0.97
    assert len(grown) == len(built) == 3000


def test_anchoral_with_kept_lists_equals_a_fresh_strategy():
    x = points(1500, seed=5)
    dataset = SklearnDataset(x, target_labels=[0, 1, 2])
    y_all = np.random.default_rng(6).integers(0, 3, size=1500)
    kept = AnchorAL(RandomSampling(seed=0), PrecomputedEmbeddings(x), num_anchors=4, k=8, seed=0)
    labeled = np.random.default_rng(7).choice(1500, 40, replace=False)
    for step in range(4):
        unlabeled = np.setdiff1d(np.arange(1500), labeled)
        fresh = AnchorAL(RandomSampling(seed=0), PrecomputedEmbeddings(x), num_anchors=4, k=8, seed=step)
        kept.rng = np.random.default_rng(step)  # the same anchors for both
        a = kept.subpool(None, dataset, unlabeled, labeled, y_all[labeled], 10)
        b = fresh.subpool(None, dataset, unlabeled, labeled, y_all[labeled], 10)
        np.testing.assert_array_equal(a, b)
        labeled = np.r_[labeled, unlabeled[a[:10]]]
