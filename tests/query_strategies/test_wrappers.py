"""Wrapper strategies: hand-known subpools and allocations, composition, and the query contract."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from activetext.data import SklearnDataset
from activetext.exceptions import InvalidArgumentError, MissingCapabilityError, PoolExhaustedException
from activetext.query_strategies import QueryStrategy, RandomSampling
from activetext.query_strategies.base import ScoringStrategy
from activetext.query_strategies.embeddings import EmbeddingSource, PrecomputedEmbeddings
from activetext.query_strategies.wrappers import (
    SEALS,
    AnchorAL,
    ClassBalancing,
    RandomSubsampling,
    balanced_allocation,
    nearest_candidates,
)
from activetext.vector_indexes import ExactIndex, HnswIndex
from conftest import TableClassifier

# Ten documents on a line at the triangular numbers: gaps grow 1, 2, 3, ..., so every document's nearer side is
# its left one and no two neighbours of a document tie.
#   index  0  1  2  3  4   5   6   7   8   9
#   place  0  1  3  6  10  15  21  28  36  45
PLACES = np.array([0, 1, 3, 6, 10, 15, 21, 28, 36, 45], dtype=np.float64)


class Recorder(ScoringStrategy):
    """Prefers smaller document indices (score = -index) and records every candidate set it scores."""

    def __init__(self, seed=None):
        super().__init__(seed)
        self.seen: list[list[int]] = []

    def score(self, clf, dataset, candidates, indices_labeled, y):
        self.seen.append(candidates.tolist())
        return -candidates.astype(np.float64)


class CountingEmbeddings(PrecomputedEmbeddings):
    """Precomputed vectors that count how many documents were embedded."""

    def __init__(self, vectors):
        super().__init__(vectors)
        self.embedded = 0

    def _embed(self, clf, dataset, indices):
        self.embedded += indices.size
        return super()._embed(clf, dataset, indices)


def line_dataset(n_rows: int = 10, num_classes: int = 2) -> SklearnDataset:
    return SklearnDataset(np.arange(n_rows, dtype=np.float64).reshape(-1, 1), target_labels=np.arange(num_classes))


def line_embeddings() -> PrecomputedEmbeddings:
    return PrecomputedEmbeddings(PLACES.reshape(-1, 1))


def query(strategy, clf, dataset, unlabeled, labeled, y, n):
    return strategy.query(
        clf, dataset, np.asarray(unlabeled, dtype=np.int64), np.asarray(labeled, dtype=np.int64), y, n
    )


def rest(n_rows, *excluded):
    return np.setdiff1d(np.arange(n_rows), np.concatenate([np.asarray(e, dtype=np.int64) for e in excluded]))


# --- nearest_candidates -------------------------------------------------------------------------------------


def test_nearest_candidates_skips_non_candidates_and_widens_the_search():
    index = ExactIndex()
    index.add(PLACES.reshape(-1, 1), np.arange(10))
    is_candidate = np.isin(np.arange(10), [4, 5, 6, 7, 8, 9])
    # document 0's 2 nearest are 0 and 1, then 2, 3: no candidate until the width reaches 8
    distances, ids = nearest_candidates(index, PLACES[[0, 3]].reshape(-1, 1), 2, is_candidate)
    assert ids.tolist() == [[4, 5], [4, 5]]
    np.testing.assert_allclose(distances, [[10, 15], [4, 9]])


def test_nearest_candidates_pads_when_too_few_candidates_exist():
    index = ExactIndex()
    index.add(PLACES.reshape(-1, 1), np.arange(10))
    distances, ids = nearest_candidates(index, np.array([[2.0]]), 3, np.isin(np.arange(10), [9, 1]))
    assert ids.tolist() == [[1, 9, -1]]
    np.testing.assert_allclose(distances, [[1.0, 43.0, np.inf]])


# --- SEALS --------------------------------------------------------------------------------------------------


def test_seals_passes_exactly_the_hand_known_neighbours():
    base = Recorder(seed=0)
    strategy = SEALS(base, line_embeddings(), k=2)
    unlabeled = np.arange(1, 9)
    result = query(strategy, None, line_dataset(), unlabeled, [0, 9], np.array([0, 1]), 2)
    assert base.seen == [[1, 2, 7, 8]]  # 1, 2 nearest to 0; 8, 7 nearest to 9
    assert result.tolist() == [1, 2]
    np.testing.assert_array_equal(strategy.last_candidates, unlabeled)
    expected = [-1.0, -2.0, -np.inf, -np.inf, -np.inf, -np.inf, -7.0, -8.0]
    np.testing.assert_array_equal(strategy.last_scores, expected)
    np.testing.assert_array_equal(base.last_candidates, [1, 2, 7, 8])


def test_seals_takes_k_unlabeled_neighbours_past_labeled_ones():
    base = Recorder(seed=0)
    query(SEALS(base, line_embeddings(), k=1), None, line_dataset(), np.arange(4, 10), [0, 1, 2, 3], np.zeros(4), 1)
    assert base.seen == [[4]]  # every labeled document's nearest unlabeled one is 4


def test_seals_never_passes_ignored_or_labeled_documents():
    base = Recorder(seed=0)
    labeled, ignored = [0, 9], [1]
    unlabeled = rest(10, labeled, ignored)
    result = query(SEALS(base, line_embeddings(), k=2), None, line_dataset(), unlabeled, labeled, np.zeros(2), 4)
    assert base.seen == [[2, 3, 7, 8]]
    assert result.tolist() == [2, 3, 7, 8]


def test_seals_falls_back_to_the_whole_pool():
    base = Recorder(seed=0)
    strategy = SEALS(base, line_embeddings(), k=1)
    query(strategy, None, line_dataset(), np.arange(1, 10), [0], np.zeros(1), 2)  # one neighbour < n=2
    query(strategy, None, line_dataset(), np.arange(10), [], np.zeros(0), 1)  # cold start
    assert base.seen == [list(range(1, 10)), list(range(10))]
    assert np.isfinite(strategy.last_scores).all()


def test_seals_builds_the_index_once_per_dataset():
    embeddings = CountingEmbeddings(PLACES.reshape(-1, 1))
    strategy = SEALS(Recorder(), embeddings, k=2)
    dataset = line_dataset()
    query(strategy, None, dataset, np.arange(1, 10), [0], np.zeros(1), 1)
    assert embeddings.embedded == 10 + 1  # the index, then the labeled document
    query(strategy, None, dataset, np.arange(2, 10), [0, 1], np.zeros(2), 1)
    assert embeddings.embedded == 11 + 1  # the same dataset object: only the newly labeled document
    query(strategy, None, line_dataset(), np.arange(2, 10), [0, 1], np.zeros(2), 1)
    assert embeddings.embedded == 12  # an equal dataset (same fingerprint): index and neighbour lists are reused
    other = SklearnDataset(np.arange(10, 20, dtype=np.float64).reshape(-1, 1), target_labels=[0, 1])
    query(strategy, None, other, np.arange(2, 10), [0, 1], np.zeros(2), 1)
    assert embeddings.embedded == 12 + 10 + 2  # other documents: a new index, every labeled document searched


def test_seals_with_an_approximate_index_gives_the_same_subpool():
    pytest.importorskip("hnswlib")
    base = Recorder(seed=0)
    strategy = SEALS(base, line_embeddings(), k=2, index_factory=functools.partial(HnswIndex, seed=0))
    query(strategy, None, line_dataset(), np.arange(1, 9), [0, 9], np.array([0, 1]), 2)
    assert base.seen == [[1, 2, 7, 8]]


def test_seals_checks_its_arguments():
    with pytest.raises(InvalidArgumentError, match=r"^base_strategy must be a QueryStrategy, got 'lc' \(str\)"):
        SEALS("lc", line_embeddings())
    with pytest.raises(
        InvalidArgumentError,
        match=r"^embeddings must be an EmbeddingSource \(ClassifierEmbeddings, PrecomputedEmbeddings, ...\), got array",
    ):
        SEALS(Recorder(), np.zeros((3, 2)))
    with pytest.raises(InvalidArgumentError, match=r"^k must be an int >= 1, got 0"):
        SEALS(Recorder(), line_embeddings(), k=0)
    with pytest.raises(
        InvalidArgumentError,
        match=r"^index_factory must be a callable returning an empty VectorIndex .* "
        r"got <activetext.vector_indexes.exact.ExactIndex object",
    ):
        SEALS(Recorder(), line_embeddings(), index_factory=ExactIndex())
    strategy = SEALS(Recorder(), line_embeddings(), index_factory=lambda: "index")
    with pytest.raises(InvalidArgumentError, match=r"^index_factory must return a VectorIndex, got 'index'"):
        query(strategy, None, line_dataset(), np.arange(1, 10), [0], np.zeros(1), 1)


# --- AnchorAL -----------------------------------------------------------------------------------------------


def test_anchors_are_drawn_per_class():
    strategy = AnchorAL(Recorder(), line_embeddings(), num_anchors=1, seed=0)
    labeled = np.array([10, 11, 12, 13, 14])
    draws = {tuple(strategy.anchors(labeled, np.array([0, 0, 1, 1, 1])).tolist()) for _ in range(30)}
    assert all(len(anchors) == 2 and anchors[0] in (10, 11) and anchors[1] in (12, 13, 14) for anchors in draws)
    assert len(draws) > 3  # random, not always the first of each class
    many = AnchorAL(Recorder(), line_embeddings(), num_anchors=5, seed=0)
    assert many.anchors(labeled, np.array([0, 0, 1, 1, 1])).tolist() == [10, 11, 12, 13, 14]
    assert many.anchors(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)).tolist() == []


def test_anchors_of_multi_label_data_are_drawn_per_label():
    strategy = AnchorAL(Recorder(), line_embeddings(), num_anchors=1, seed=0)
    y = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 0, 0]]))  # label 2 has no document
    draws = {tuple(strategy.anchors(np.array([4, 5, 6]), y).tolist()) for _ in range(20)}
    assert draws <= {(4, 5), (5,)}  # label 0: 4 or 5; label 1: 5
    assert len(draws) == 2


def test_anchoral_passes_the_neighbours_of_the_anchors():
    base = Recorder(seed=0)
    strategy = AnchorAL(base, line_embeddings(), num_anchors=1, k=1, seed=3)
    # class 0: anchor 0 or 1, whose nearest unlabeled document is 2 either way; class 1: anchor 9, neighbour 8
    for _ in range(3):
        query(strategy, None, line_dataset(), np.arange(2, 9), [0, 1, 9], np.array([0, 0, 1]), 2)
    assert base.seen == [[2, 8]] * 3


def test_anchoral_subpool_size_keeps_the_candidates_nearest_an_anchor():
    base = Recorder(seed=0)
    strategy = AnchorAL(base, line_embeddings(), num_anchors=1, k=3, subpool_size=3, seed=0)
    # neighbours of 0: 1 (distance 1), 2 (3), 3 (6); of 9: 8 (9), 7 (17), 6 (24)
    query(strategy, None, line_dataset(), np.arange(1, 9), [0, 9], np.array([0, 1]), 1)
    assert base.seen == [[1, 2, 3]]
    query(strategy, None, line_dataset(), np.arange(1, 9), [0, 9], np.array([0, 1]), 4)  # never fewer than n
    assert base.seen[1] == [1, 2, 3, 8]


def test_anchoral_falls_back_to_the_whole_pool_at_a_cold_start():
    base = Recorder(seed=0)
    query(AnchorAL(base, line_embeddings(), seed=0), None, line_dataset(), np.arange(10), [], np.zeros(0), 2)
    assert base.seen == [list(range(10))]


def test_anchoral_checks_its_arguments():
    with pytest.raises(InvalidArgumentError, match=r"^num_anchors must be an int >= 1, got 0"):
        AnchorAL(Recorder(), line_embeddings(), num_anchors=0)
    with pytest.raises(InvalidArgumentError, match=r"^subpool_size must be an int >= 1, got 0"):
        AnchorAL(Recorder(), line_embeddings(), subpool_size=0)


# --- RandomSubsampling --------------------------------------------------------------------------------------


def test_random_subsampling_passes_a_subsample_of_the_given_size():
    base = Recorder(seed=0)
    strategy = RandomSubsampling(base, subsample_size=10, seed=0)
    pool = np.arange(0, 200, 2)
    result = query(strategy, None, line_dataset(200), pool, [1], np.zeros(1), 3)
    (seen,) = base.seen
    assert len(seen) == 10
    assert set(seen) <= set(pool.tolist())
    assert result.tolist() == sorted(seen)[:3]
    assert np.isneginf(strategy.last_scores).sum() == 90
    np.testing.assert_array_equal(strategy.last_scores[np.isin(pool, seen)], -np.array(seen, dtype=float))


def test_random_subsampling_passes_everything_from_a_small_pool_and_at_least_n():
    base = Recorder(seed=0)
    query(RandomSubsampling(base, subsample_size=10, seed=0), None, line_dataset(), np.arange(1, 9), [0], [0], 2)
    query(RandomSubsampling(base, subsample_size=2, seed=0), None, line_dataset(), np.arange(10), [], [], 5)
    assert base.seen[0] == list(range(1, 9))
    assert len(base.seen[1]) == 5


def test_random_subsampling_same_seed_same_subsample():
    subsamples = []
    for seed in (4, 4, 5):
        base = Recorder()
        query(RandomSubsampling(base, subsample_size=5, seed=seed), None, line_dataset(50), np.arange(50), [], [], 1)
        subsamples.append(base.seen[0])
    assert subsamples[0] == subsamples[1]
    assert subsamples[0] != subsamples[2]


def test_random_subsampling_checks_its_arguments_and_repr():
    with pytest.raises(InvalidArgumentError, match=r"^subsample_size must be an int >= 1, got 0"):
        RandomSubsampling(RandomSampling(), subsample_size=0)
    strategy = RandomSubsampling(RandomSampling(seed=1), subsample_size=5, seed=2)
    assert repr(strategy) == "RandomSubsampling(base_strategy=RandomSampling(seed=1), seed=2, subsample_size=5)"


# --- ClassBalancing -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "labeled_counts", "available", "expected"),
    [
        (5, [1, 3, 0], [9, 9, 9], [1, 1, 3]),  # shares [1.43, 0.71, 2.86]: +1 to classes 2 and 1
        (7, [1, 3, 0], [9, 9, 9], [2, 1, 4]),  # shares [2, 1, 4] exactly
        (5, [1, 3, 0], [9, 9, 1], [2, 2, 1]),  # class 2 keeps 1; 2 slots shared by [1/2, 1/4]: [1.33, 0.67]
        (4, [0, 0, 0], [0, 5, 5], [0, 2, 2]),  # a class without candidates gets nothing
        (3, [3, 0, 8], [1, 1, 1], [1, 1, 1]),  # n equals what is available
        (6, [0, 5], [100, 100], [5, 1]),  # weights [1, 1/6]: shares [5.14, 0.86]
    ],
)
def test_balanced_allocation_by_hand(n, labeled_counts, available, expected):
    rng = np.random.default_rng(0)
    allocation = balanced_allocation(n, np.array(labeled_counts), np.array(available), rng)
    assert allocation.tolist() == expected


def test_balanced_allocation_breaks_ties_at_random():
    draws = {
        tuple(balanced_allocation(3, np.array([2, 2]), np.array([5, 5]), np.random.default_rng(s)).tolist())
        for s in range(20)
    }
    assert draws == {(1, 2), (2, 1)}


def test_balanced_allocation_refuses_too_many_slots():
    with pytest.raises(InvalidArgumentError, match=r"^n=4 slots cannot be filled from 3 available candidates"):
        balanced_allocation(4, np.zeros(2), np.array([1, 2]), np.random.default_rng(0))


def balancing_setup():
    """Candidates 0..7 predicted as classes 0,0,0,0,1,1,2,2; labeled 8..11 with classes 0,0,0,1."""
    predicted = np.array([0, 0, 0, 0, 1, 1, 2, 2, 0, 0, 0, 1])
    table = np.eye(3)[predicted] * 0.5 + 0.5 / 3
    return TableClassifier(table), line_dataset(12, num_classes=3), np.arange(8), np.arange(8, 12), [0, 0, 0, 1]


def test_class_balancing_fills_the_batch_toward_uniform():
    clf, dataset, unlabeled, labeled, y = balancing_setup()
    base = Recorder(seed=0)  # would pick 0, 1, 2: all of the majority class
    strategy = ClassBalancing(base, seed=0)
    # weights [1/4, 1/2, 1] share 3 slots as [0.43, 0.86, 1.71]: class 0 gets 0, class 1 gets 1, class 2 gets 2
    result = query(strategy, clf, dataset, unlabeled, labeled, np.array(y), 3)
    assert result.tolist() == [4, 6, 7]
    assert base.seen == [list(range(8))]
    np.testing.assert_array_equal(strategy.last_scores, -np.arange(8.0))
    assert [row for call in clf.calls for row in call] == list(range(8))  # only the candidates are predicted


def test_class_balancing_redistributes_slots_a_class_cannot_fill():
    clf, dataset, _, labeled, y = balancing_setup()
    # without 7, class 2 has one candidate. n=4 shares as [0.57, 1.14, 2.29] -> [1, 1, 2]; class 2 keeps 1, and
    # the slot left is shared by [1/4, 1/2] as [0.33, 0.67] -> class 1: [1, 2, 1]
    result = query(ClassBalancing(Recorder(), seed=0), clf, dataset, np.arange(7), labeled, np.array(y), 4)
    assert result.tolist() == [0, 4, 5, 6]


def test_class_balancing_prefers_the_base_strategys_own_picks():
    class Contrarian(QueryStrategy):
        """Picks the lowest-scored candidates first (like a greedy strategy whose scores are not its order)."""

        def select(self, clf, dataset, candidates, indices_labeled, y, n):
            scores = -candidates.astype(np.float64)
            return np.argsort(-scores)[::-1][:n], scores

    clf, dataset, unlabeled, labeled, y = balancing_setup()
    result = query(ClassBalancing(Contrarian(), seed=0), clf, dataset, unlabeled, labeled, np.array(y), 3)
    assert result.tolist() == [7, 6, 5]  # the base picked 7, 6, 5 in that order: 2 of class 2, 1 of class 1


def test_class_balancing_needs_a_trained_single_label_classifier():
    _, dataset, unlabeled, labeled, y = balancing_setup()
    with pytest.raises(MissingCapabilityError, match=r"^ClassBalancing needs a trained classifier, got None"):
        query(ClassBalancing(Recorder()), None, dataset, unlabeled, labeled, np.array(y), 2)
    multi = SklearnDataset(np.arange(4.0).reshape(-1, 1), sp.csr_matrix((4, 2), dtype=np.int64))
    clf = TableClassifier(np.full((4, 2), 0.5))
    with pytest.raises(InvalidArgumentError, match=r"^ClassBalancing balances single-label data"):
        query(ClassBalancing(Recorder()), clf, multi, np.arange(4), [], sp.csr_matrix((0, 2)), 2)


# --- composition and the contract ---------------------------------------------------------------------------


def test_wrappers_compose():
    inner = Recorder(seed=0)
    subsampling = RandomSubsampling(inner, subsample_size=2, seed=0)
    strategy = SEALS(subsampling, line_embeddings(), k=2)
    result = query(strategy, None, line_dataset(), np.arange(1, 9), [0, 9], np.array([0, 1]), 1)
    assert subsampling.base_strategy is inner
    np.testing.assert_array_equal(subsampling.last_candidates, [1, 2, 7, 8])  # SEALS passed its neighbours
    (seen,) = inner.seen
    assert len(seen) == 2 and set(seen) <= {1, 2, 7, 8}  # the subsample of those
    assert result.tolist() == [min(seen)]
    assert np.isneginf(strategy.last_scores).sum() == 8 - 2


def test_class_balancing_over_a_neighbourhood():
    clf, dataset, unlabeled, labeled, y = balancing_setup()
    embeddings = PrecomputedEmbeddings(np.r_[PLACES, 55.0, 66.0].reshape(-1, 1))
    strategy = ClassBalancing(SEALS(Recorder(), embeddings, k=8), seed=0)
    result = query(strategy, clf, dataset, unlabeled, labeled, np.array(y), 3)
    assert result.tolist() == [4, 6, 7]


def test_a_wrapper_reports_pool_exhaustion_before_delegating():
    base = Recorder()
    with pytest.raises(PoolExhaustedException):
        query(RandomSubsampling(base, 2, seed=0), None, line_dataset(), [1, 2], [0], [0], 3)
    assert base.seen == []


def make_wrapper(kind: int, seed: int) -> QueryStrategy:
    embeddings = line_embeddings()
    return [
        lambda: RandomSubsampling(RandomSampling(seed=seed), subsample_size=3, seed=seed),
        lambda: SEALS(RandomSampling(seed=seed), embeddings, k=2, seed=seed),
        lambda: AnchorAL(RandomSampling(seed=seed), embeddings, num_anchors=1, k=2, seed=seed),
        lambda: ClassBalancing(RandomSampling(seed=seed), seed=seed),
        lambda: SEALS(AnchorAL(RandomSubsampling(Recorder(), 4, seed=seed), embeddings, 1, 3, seed=seed), embeddings),
        lambda: ClassBalancing(AnchorAL(RandomSampling(seed=seed), embeddings, 2, 2, seed=seed), seed=seed),
    ][kind]()


@settings(max_examples=60, deadline=None)
@given(
    kind=st.integers(0, 5),
    states=st.lists(st.sampled_from(["unlabeled", "labeled", "ignored"]), min_size=10, max_size=10),
    data=st.data(),
)
def test_wrapper_contract_property(kind, states, data):
    states = np.array(states)
    unlabeled, labeled = np.flatnonzero(states == "unlabeled"), np.flatnonzero(states == "labeled")
    if unlabeled.size == 0:
        return
    n = data.draw(st.integers(1, unlabeled.size))
    seed = data.draw(st.integers(0, 1000))
    y = np.asarray(data.draw(st.lists(st.integers(0, 1), min_size=labeled.size, max_size=labeled.size)), dtype=int)
    clf = TableClassifier(np.random.default_rng(seed).dirichlet(np.ones(2), size=10))
    result = query(make_wrapper(kind, seed), clf, line_dataset(), unlabeled, labeled, y, n)
    assert result.shape == (n,)
    assert result.dtype == np.int64
    assert len(set(result.tolist())) == n
    assert set(result.tolist()) <= set(unlabeled.tolist())  # never labeled, never ignored
    again = query(make_wrapper(kind, seed), clf, line_dataset(), unlabeled, labeled, y, n)
    np.testing.assert_array_equal(result, again)


def test_embedding_source_is_the_public_base_class():
    assert issubclass(CountingEmbeddings, EmbeddingSource)
