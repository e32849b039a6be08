"""Tests of the query strategies: scoring functions on hand-made arrays, top-n selection, and the query contract."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from activetext.data import SklearnDataset
from activetext.exceptions import (
    EmptyPoolException,
    InvalidArgumentError,
    InvalidIndicesError,
    MissingCapabilityError,
    PoolExhaustedException,
    QueryError,
)
from activetext.query_strategies import (
    BreakingTies,
    LeastConfidence,
    PredictionEntropy,
    RandomSampling,
    breaking_ties,
    least_confidence,
    prediction_entropy,
)
from activetext.query_strategies.base import check_pool, select_top_n
from conftest import TableClassifier

# Probabilities per row, chosen so that the three uncertainty measures rank the rows differently.
#   row  proba                     LC    entropy   BT
#   0    [1, 0, 0, 0]              0     0         0
#   1    [.6, .4, 0, 0]            .40   .673012   .80
#   2    [.55, .15, .15, .15]      .45   1.182514  .60
#   3    [.5, .25, .25, 0]         .50   1.039721  .75
#   4    [1, 0, 0, 0]              0     0         0
#   5    [.7, .1, .1, .1]          .30   .940448   .40
TABLE = np.array(
    [
        [1.0, 0.0, 0.0, 0.0],
        [0.6, 0.4, 0.0, 0.0],
        [0.55, 0.15, 0.15, 0.15],
        [0.5, 0.25, 0.25, 0.0],
        [1.0, 0.0, 0.0, 0.0],
        [0.7, 0.1, 0.1, 0.1],
    ]
)


def _entropy(row):
    return -sum(p * math.log(p) for p in row if p > 0)


HAND_LC = [0.0, 0.4, 0.45, 0.5, 0.0, 0.3]
HAND_ENTROPY = [_entropy(row) for row in TABLE.tolist()]
HAND_BT = [0.0, 0.8, 0.6, 0.75, 0.0, 0.4]

UNCERTAINTY = [LeastConfidence, PredictionEntropy, BreakingTies]
ALL_STRATEGIES = [*UNCERTAINTY, RandomSampling]


StubClassifier = TableClassifier


def pool_dataset(n_rows: int, num_classes: int = 4) -> SklearnDataset:
    return SklearnDataset(np.arange(n_rows, dtype=np.float64).reshape(-1, 1), target_labels=np.arange(num_classes))


def run_query(strategy, clf, dataset, unlabeled, n):
    unlabeled = np.asarray(unlabeled, dtype=np.int64)
    labeled = np.setdiff1d(np.arange(len(dataset)), unlabeled)
    return strategy.query(clf, dataset, unlabeled, labeled, np.zeros(labeled.size, dtype=np.int64), n)


@pytest.fixture
def stub() -> StubClassifier:
    return StubClassifier(TABLE)


@pytest.fixture
def dataset() -> SklearnDataset:
    return pool_dataset(6)


# --- scoring functions --------------------------------------------------------------------------------------


def test_scores_of_the_documented_example():
    proba = np.array([[0.5, 0.3, 0.2]])
    np.testing.assert_allclose(least_confidence(proba), [0.5])
    np.testing.assert_allclose(
        prediction_entropy(proba), [-(0.5 * math.log(0.5) + 0.3 * math.log(0.3) + 0.2 * math.log(0.2))]
    )
    np.testing.assert_allclose(breaking_ties(proba), [0.8])


def test_least_confidence_hand_values():
    np.testing.assert_allclose(least_confidence(TABLE), HAND_LC)


def test_prediction_entropy_hand_values():
    np.testing.assert_allclose(prediction_entropy(TABLE), HAND_ENTROPY)
    np.testing.assert_allclose(prediction_entropy(TABLE)[[2, 3]], [1.182514, 1.039721], atol=1e-6)


def test_breaking_ties_hand_values():
    np.testing.assert_allclose(breaking_ties(TABLE), HAND_BT)


def test_uniform_rows_are_maximal():
    uniform = np.full((1, 4), 0.25)
    np.testing.assert_allclose(least_confidence(uniform), [0.75])
    np.testing.assert_allclose(prediction_entropy(uniform), [math.log(4)])
    np.testing.assert_allclose(breaking_ties(uniform), [1.0])


def test_entropy_treats_zero_log_zero_as_zero():
    result = prediction_entropy(np.array([[0.0, 1.0], [0.5, 0.5]]))
    assert np.all(np.isfinite(result))
    np.testing.assert_allclose(result, [0.0, math.log(2)])


def test_breaking_ties_with_a_single_column():
    np.testing.assert_allclose(breaking_ties(np.array([[0.3], [1.0]])), [0.7, 0.0])


def test_breaking_ties_with_tied_top_two():
    np.testing.assert_allclose(breaking_ties(np.array([[0.1, 0.45, 0.45]])), [1.0])


def test_scoring_functions_do_not_change_their_input():
    proba = TABLE.copy()
    for function in (least_confidence, prediction_entropy, breaking_ties):
        function(proba)
    np.testing.assert_array_equal(proba, TABLE)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 6), st.data())
def test_scores_are_within_their_bounds(num_classes, data):
    row = st.lists(st.integers(0, 20), min_size=num_classes, max_size=num_classes)
    counts = np.array(data.draw(st.lists(row, min_size=1, max_size=8)), dtype=np.float64)
    counts[:, 0] += 1  # every row keeps some mass; zeros elsewhere test 0 log 0
    proba = counts / counts.sum(axis=1, keepdims=True)
    lc, entropy, bt = least_confidence(proba), prediction_entropy(proba), breaking_ties(proba)
    assert np.all((lc >= -1e-12) & (lc <= 1 - 1 / num_classes + 1e-12))
    assert np.all((entropy >= -1e-12) & (entropy <= math.log(num_classes) + 1e-12))
    assert np.all((bt >= -1e-12) & (bt <= 1 + 1e-12))


# --- select_top_n -------------------------------------------------------------------------------------------


def test_select_top_n_returns_best_first():
    result = select_top_n(np.array([0.1, 0.9, 0.5, 0.7]), 3, np.random.default_rng(0))
    assert result.dtype == np.int64
    assert result.tolist() == [1, 3, 2]


def test_select_top_n_all():
    assert select_top_n(np.array([0.2, 0.1, 0.3]), 3, np.random.default_rng(0)).tolist() == [2, 0, 1]


def test_select_top_n_treats_nan_as_lowest():
    scores = np.array([np.nan, 0.2, -5.0, np.nan])
    assert select_top_n(scores, 2, np.random.default_rng(0)).tolist() == [1, 2]
    assert select_top_n(scores, 4, np.random.default_rng(0))[:2].tolist() == [1, 2]
    assert set(select_top_n(scores, 4, np.random.default_rng(0))[2:].tolist()) == {0, 3}


def test_select_top_n_nan_ranks_below_minus_infinity_or_with_it():
    scores = np.array([np.nan, -np.inf, 1.0])
    result = select_top_n(scores, 2, np.random.default_rng(0))
    assert result[0] == 2


def test_select_top_n_does_not_change_the_scores():
    scores = np.array([np.nan, 0.5, 0.5])
    select_top_n(scores, 1, np.random.default_rng(0))
    assert np.isnan(scores[0])


def test_select_top_n_ties_are_broken_reproducibly_under_a_seed():
    scores = np.array([0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5])
    first = select_top_n(scores, 2, np.random.default_rng(42))
    second = select_top_n(scores, 2, np.random.default_rng(42))
    np.testing.assert_array_equal(first, second)
    assert set(first.tolist()) <= {1, 2, 3, 4, 5}


def test_select_top_n_ties_are_broken_at_random_not_by_position():
    scores = np.ones(8)
    picks = {tuple(select_top_n(scores, 2, np.random.default_rng(seed)).tolist()) for seed in range(20)}
    assert len(picks) > 5


def test_select_top_n_tied_block_is_kept_behind_better_scores():
    scores = np.array([0.3, 0.9, 0.3, 0.3, 0.1])
    for seed in range(10):
        result = select_top_n(scores, 3, np.random.default_rng(seed))
        assert result[0] == 1
        assert set(result[1:].tolist()) <= {0, 2, 3}


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.0, float("nan"), -1.0]), min_size=1, max_size=30), st.data())
def test_select_top_n_property(values, data):
    scores = np.array(values)
    n = data.draw(st.integers(1, len(values)))
    seed = data.draw(st.integers(0, 2**16))
    result = select_top_n(scores, n, np.random.default_rng(seed))
    assert result.shape == (n,)
    assert len(set(result.tolist())) == n
    filled = np.where(np.isnan(scores), -np.inf, scores)
    chosen = filled[result]
    assert np.all(chosen[:-1] >= chosen[1:])  # best first
    rest = np.delete(filled, result)
    if rest.size:
        assert chosen.min() >= rest.max()
    np.testing.assert_array_equal(result, select_top_n(scores, n, np.random.default_rng(seed)))


# --- check_pool ---------------------------------------------------------------------------------------------


def test_check_pool_returns_int64_pool():
    pool, n = check_pool([3, 1, 2], 2, n_samples=4)
    assert pool.dtype == np.int64
    assert pool.tolist() == [3, 1, 2]
    assert n == 2


def test_query_errors_are_query_errors():
    assert issubclass(EmptyPoolException, QueryError)
    assert issubclass(PoolExhaustedException, QueryError)


# --- queries with hand-known answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy_class", "expected"),
    [(LeastConfidence, [3, 2, 1]), (PredictionEntropy, [2, 3, 5]), (BreakingTies, [1, 3, 2])],
)
def test_query_picks_the_hand_known_most_uncertain(stub, dataset, strategy_class, expected):
    result = run_query(strategy_class(seed=0), stub, dataset, np.arange(6), 3)
    assert result.dtype == np.int64
    assert result.tolist() == expected


@pytest.mark.parametrize(
    ("strategy_class", "hand", "expected"),
    [
        (LeastConfidence, HAND_LC, [2, 1]),
        (PredictionEntropy, HAND_ENTROPY, [2, 5]),
        (BreakingTies, HAND_BT, [1, 2]),
    ],
)
def test_query_only_chooses_from_the_pool_and_stores_scores(stub, dataset, strategy_class, hand, expected):
    strategy = strategy_class(seed=0)
    pool = np.array([5, 0, 2, 1])  # row 3 is labeled
    result = run_query(strategy, stub, dataset, pool, 2)
    assert result.tolist() == expected
    np.testing.assert_array_equal(strategy.last_candidates, pool)
    np.testing.assert_allclose(strategy.last_scores, np.asarray(hand)[pool])


@pytest.mark.parametrize("strategy_class", UNCERTAINTY)
@pytest.mark.parametrize("chunk_size", [1, 2, 3, 100])
def test_only_candidates_are_scored_in_bounded_chunks(stub, dataset, strategy_class, chunk_size):
    strategy = strategy_class(seed=0, chunk_size=chunk_size)
    pool = np.array([4, 1, 5, 2, 0])
    run_query(strategy, stub, dataset, pool, 2)
    assert all(1 <= len(call) <= chunk_size for call in stub.calls)
    assert [row for call in stub.calls for row in call] == pool.tolist()  # each candidate once, nothing else
    assert len(stub.calls) == math.ceil(pool.size / chunk_size)


def test_last_candidates_and_scores_are_none_before_a_query():
    strategy = LeastConfidence()
    assert strategy.last_candidates is None
    assert strategy.last_scores is None


def test_random_sampling_stores_its_scores(dataset):
    strategy = RandomSampling(seed=1)
    result = run_query(strategy, None, dataset, [0, 2, 4], 2)
    np.testing.assert_array_equal(strategy.last_candidates, [0, 2, 4])
    assert strategy.last_scores.shape == (3,)
    # the returned documents are those with the highest scores, best first
    order = np.argsort(-strategy.last_scores)[:2]
    np.testing.assert_array_equal(result, np.array([0, 2, 4])[order])


# --- the query contract -------------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy_class", ALL_STRATEGIES)
def test_query_returns_n_unique_indices_from_the_pool(stub, dataset, strategy_class):
    pool = np.array([1, 3, 4, 5])
    result = run_query(strategy_class(seed=3), stub, dataset, pool, 3)
    assert result.shape == (3,)
    assert len(set(result.tolist())) == 3
    assert set(result.tolist()) <= set(pool.tolist())


@pytest.mark.parametrize("strategy_class", ALL_STRATEGIES)
def test_query_whole_pool(stub, dataset, strategy_class):
    result = run_query(strategy_class(seed=3), stub, dataset, np.arange(6), 6)
    assert sorted(result.tolist()) == list(range(6))


@pytest.mark.parametrize("strategy_class", ALL_STRATEGIES)
def test_same_seed_same_result_under_ties(strategy_class):
    table = np.full((30, 3), 1 / 3)  # every candidate ties
    dataset = pool_dataset(30, num_classes=3)
    first = run_query(strategy_class(seed=11), StubClassifier(table), dataset, np.arange(30), 5)
    second = run_query(strategy_class(seed=11), StubClassifier(table), dataset, np.arange(30), 5)
    np.testing.assert_array_equal(first, second)
    other_seeds = {
        tuple(run_query(strategy_class(seed=s), StubClassifier(table), dataset, np.arange(30), 5).tolist())
        for s in range(5)
    }
    assert len(other_seeds) > 1  # ties are broken by the seed, not by position


def test_a_generator_seed_is_shared_and_advanced():
    generator = np.random.default_rng(5)
    strategy = RandomSampling(seed=generator)
    assert strategy.rng is generator
    dataset = pool_dataset(20)
    first = run_query(strategy, None, dataset, np.arange(20), 5)
    second = run_query(strategy, None, dataset, np.arange(20), 5)
    assert first.tolist() != second.tolist()


def test_random_sampling_without_a_classifier(dataset):
    result = run_query(RandomSampling(seed=0), None, dataset, np.arange(6), 4)
    assert len(set(result.tolist())) == 4


def test_random_sampling_is_roughly_uniform():
    dataset = pool_dataset(10)
    strategy = RandomSampling(seed=123)
    counts = np.zeros(10)
    for _ in range(400):
        counts[run_query(strategy, None, dataset, np.arange(10), 1)] += 1
    # 40 expected per document; a fixed seed makes this deterministic
    assert counts.min() >= 20
    assert counts.max() <= 60


@pytest.mark.parametrize("strategy_class", ALL_STRATEGIES)
def test_empty_pool_raises(stub, dataset, strategy_class):
    with pytest.raises(EmptyPoolException, match=r"the unlabeled pool is empty"):
        run_query(strategy_class(seed=0), stub, dataset, np.array([], dtype=np.int64), 1)


@pytest.mark.parametrize("strategy_class", ALL_STRATEGIES)
def test_pool_exhausted_raises(stub, dataset, strategy_class):
    strategy = strategy_class(seed=0)
    with pytest.raises(PoolExhaustedException, match=r"=4 is larger than the unlabeled pool \(3 documents\)"):
        run_query(strategy, stub, dataset, [0, 1, 2], 4)
    assert strategy.last_candidates is None
    assert stub.calls == []


@pytest.mark.parametrize("strategy_class", ALL_STRATEGIES)
@pytest.mark.parametrize(("n", "shown"), [(0, r"0"), (-2, r"-2"), (1.5, r"1\.5 \(float\)"), (True, r"True \(bool\)")])
def test_bad_n_raises(stub, dataset, strategy_class, n, shown):
    # the argument is called ``n`` here; the learner passes its ``num_samples`` through, and the message uses that
    with pytest.raises(InvalidArgumentError, match=rf"^(n|num_samples) must be an int >= 1, got {shown}"):
        run_query(strategy_class(seed=0), stub, dataset, np.arange(6), n)


@pytest.mark.parametrize("strategy_class", UNCERTAINTY)
def test_uncertainty_without_classifier_raises(dataset, strategy_class):
    name = strategy_class.__name__
    with pytest.raises(MissingCapabilityError, match=rf"^{name} needs a trained classifier, got None"):
        run_query(strategy_class(seed=0), None, dataset, np.arange(6), 2)
    assert issubclass(MissingCapabilityError, TypeError)


@pytest.mark.parametrize("strategy_class", UNCERTAINTY)
def test_uncertainty_rejects_non_classifier(dataset, strategy_class):
    with pytest.raises(MissingCapabilityError, match=r"needs a trained classifier, got 'svm'"):
        run_query(strategy_class(seed=0), "svm", dataset, np.arange(6), 2)


@pytest.mark.parametrize("strategy_class", UNCERTAINTY)
def test_uncertainty_rejects_multi_label_datasets(stub, strategy_class):
    y = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]]))
    dataset = SklearnDataset(np.arange(6, dtype=np.float64).reshape(-1, 1), y)
    name = strategy_class.__name__
    with pytest.raises(InvalidArgumentError, match=rf"^{name} scores single-label data; dataset is multi-label \(4"):
        run_query(strategy_class(seed=0), stub, dataset, [1, 3, 5], 1)
    assert stub.calls == []


def test_random_sampling_accepts_multi_label_datasets():
    y = sp.csr_matrix((6, 3), dtype=np.int64)
    dataset = SklearnDataset(np.zeros((6, 1)), y)
    assert run_query(RandomSampling(seed=0), None, dataset, np.arange(6), 2).shape == (2,)


@pytest.mark.parametrize("strategy_class", UNCERTAINTY)
@pytest.mark.parametrize(("chunk_size", "shown"), [(0, r"0"), (2.5, r"2\.5 \(float\)")])
def test_bad_chunk_size_raises(strategy_class, chunk_size, shown):
    with pytest.raises(InvalidArgumentError, match=rf"^chunk_size must be an int >= 1, got {shown}"):
        strategy_class(chunk_size=chunk_size)


@pytest.mark.parametrize("strategy_class", ALL_STRATEGIES)
def test_bad_seed_raises(strategy_class):
    with pytest.raises(InvalidArgumentError, match=r"^seed must be a non-negative int, got -1"):
        strategy_class(seed=-1)


@pytest.mark.parametrize("strategy_class", UNCERTAINTY)
def test_duplicate_candidates_never_give_duplicate_answers(stub, dataset, strategy_class):
    # row 3 is the most uncertain of rows {0, 3, 4} for every measure; the pool repeats it.
    # The contract allows refusing such a pool (InvalidIndicesError) but never answering with a duplicate.
    pool = np.array([3, 3, 0, 4])
    try:
        result = run_query(strategy_class(seed=0), stub, dataset, pool, 2)
    except InvalidIndicesError as error:
        assert "indices_unlabeled" in str(error)
        assert "3" in str(error)
    else:
        assert len(set(result.tolist())) == 2, f"query returned duplicates {result.tolist()}"


@pytest.mark.parametrize("strategy_class", ALL_STRATEGIES)
@pytest.mark.parametrize(("pool", "shown"), [([-1, 0, 1], "-1"), ([0, 1, 99], "99")])
def test_candidates_outside_the_dataset_are_refused(stub, dataset, strategy_class, pool, shown):
    with pytest.raises(InvalidIndicesError, match=rf"indices_unlabeled.*{shown}"):
        run_query(strategy_class(seed=0), stub, dataset, np.array(pool), 3)


def test_params_and_repr():
    assert repr(LeastConfidence(seed=3, chunk_size=5)) == "LeastConfidence(seed=3, chunk_size=5)"
    assert repr(RandomSampling(seed=7)) == "RandomSampling(seed=7)"
    assert BreakingTies(seed=np.random.default_rng(0)).get_params() == {"seed": None, "chunk_size": 32768}


# --- property: the contract holds for any pool --------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    strategy_index=st.integers(0, len(ALL_STRATEGIES) - 1),
    pool=st.lists(st.integers(0, 39), min_size=1, max_size=40, unique=True),
    data=st.data(),
)
def test_query_contract_property(strategy_index, pool, data):
    n = data.draw(st.integers(1, len(pool)))
    seed = data.draw(st.integers(0, 1000))
    chunk_size = data.draw(st.integers(1, 50))
    table = np.random.default_rng(seed).dirichlet(np.ones(3), size=40)
    dataset = pool_dataset(40, num_classes=3)
    strategy_class = ALL_STRATEGIES[strategy_index]
    kwargs = {} if strategy_class is RandomSampling else {"chunk_size": chunk_size}
    clf = StubClassifier(table)
    result = run_query(strategy_class(seed=seed, **kwargs), clf, dataset, pool, n)
    assert result.shape == (n,)
    assert result.dtype == np.int64
    assert len(set(result.tolist())) == n
    assert set(result.tolist()) <= set(pool)
    scored = [row for call in clf.calls for row in call]
    assert scored == ([] if strategy_class is RandomSampling else list(pool))
    again = run_query(strategy_class(seed=seed, **kwargs), StubClassifier(table), dataset, pool, n)
    np.testing.assert_array_equal(result, again)
