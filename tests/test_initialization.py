"""Tests of the initialization strategies: the first documents to label."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from activetext.data import SklearnDataset
from activetext.exceptions import InvalidArgumentError, InvalidLabelError
from activetext.initialization import balanced_initialization, random_initialization, stratified_initialization


def per_class(y, picked, num_classes):
    return np.bincount(np.asarray(y)[picked], minlength=num_classes).tolist()


def check_result(result, n_samples, size):
    assert result.dtype == np.int64
    assert result.shape == (n_samples,)
    assert np.all(np.diff(result) > 0)  # sorted and unique
    assert result.min() >= 0 and result.max() < size


# --- random -------------------------------------------------------------------------------------------------


def test_random_initialization_from_a_size():
    result = random_initialization(50, 10, seed=0)
    check_result(result, 10, 50)


def test_random_initialization_from_a_dataset():
    dataset = SklearnDataset(np.zeros((7, 1)), target_labels=[0, 1])
    result = random_initialization(dataset, 7, seed=1)
    assert result.tolist() == list(range(7))


def test_random_initialization_is_deterministic_under_a_seed():
    np.testing.assert_array_equal(random_initialization(100, 5, seed=3), random_initialization(100, 5, seed=3))
    draws = {tuple(random_initialization(100, 5, seed=s).tolist()) for s in range(5)}
    assert len(draws) == 5


def test_random_initialization_matches_the_generator():
    expected = np.sort(np.random.default_rng(9).choice(30, 4, replace=False))
    np.testing.assert_array_equal(random_initialization(30, 4, seed=9), expected)


@pytest.mark.parametrize(("n_samples", "shown"), [(0, r"0"), (-3, r"-3"), (2.0, r"2\.0 \(float\)")])
def test_random_initialization_rejects_bad_n_samples(n_samples, shown):
    with pytest.raises(InvalidArgumentError, match=rf"^n_samples must be an int >= 1, got {shown}"):
        random_initialization(10, n_samples, seed=0)


def test_random_initialization_rejects_too_many():
    with pytest.raises(InvalidArgumentError, match=r"^n_samples must be at most the 10 documents available, got 11"):
        random_initialization(10, 11, seed=0)


def test_random_initialization_rejects_a_negative_pool():
    with pytest.raises(InvalidArgumentError, match=r"^pool must be an int >= 0, got -5"):
        random_initialization(-5, 1, seed=0)


# --- stratified ---------------------------------------------------------------------------------------------


def test_stratified_docstring_example():
    y = [0] * 8 + [1] * 2
    assert per_class(y, stratified_initialization(y, 5, seed=0), 2) == [4, 1]


def test_stratified_exact_shares():
    y = [0] * 30 + [1] * 20 + [2] * 10
    for seed in range(5):
        assert per_class(y, stratified_initialization(y, 12, seed=seed), 3) == [6, 4, 2]


def test_stratified_largest_remainder_hand_computed():
    # counts 5, 3, 2 of 10; n = 4: quotas 2.0, 1.2, 0.8 -> floors 2, 1, 0; the one left goes to the
    # largest remainder (0.8, class 2), giving 2, 1, 1
    y = [0] * 5 + [1] * 3 + [2] * 2
    for seed in range(5):
        assert per_class(y, stratified_initialization(y, 4, seed=seed), 3) == [2, 1, 1]


def test_stratified_largest_remainder_beats_plain_rounding():
    # counts 7, 7, 7, 4 of 25; n = 5: quotas 1.4, 1.4, 1.4, 0.8 (plain rounding would give 1+1+1+1 = 4).
    # Floors 1, 1, 1, 0 leave 2: class 3 (remainder 0.8) gets one, one of the tied classes 0-2 the other.
    y = [0] * 7 + [1] * 7 + [2] * 7 + [3] * 4
    seen_extra = set()
    for seed in range(30):
        counts = per_class(y, stratified_initialization(y, 5, seed=seed), 4)
        assert counts[3] == 1
        assert sorted(counts[:3]) == [1, 1, 2]
        seen_extra.add(counts[:3].index(2))
    assert seen_extra == {0, 1, 2}  # the tie is broken at random


def test_stratified_never_draws_unlabeled():
    y = np.array([-1] * 50 + [0] * 6 + [1] * 4)
    result = stratified_initialization(y, 10, seed=0)
    assert np.all(y[result] >= 0)
    assert per_class(y, result, 2) == [6, 4]


def test_stratified_skips_absent_classes():
    y = [0, 0, 2, 2, 2, 2]
    result = stratified_initialization(y, 3, seed=0)
    assert per_class(y, result, 3) == [1, 0, 2]


def test_stratified_is_deterministic_under_a_seed():
    y = np.repeat(np.arange(4), [10, 7, 5, 3])
    np.testing.assert_array_equal(stratified_initialization(y, 9, seed=21), stratified_initialization(y, 9, seed=21))


def test_stratified_accepts_a_generator():
    y = np.repeat(np.arange(2), 10)
    first = stratified_initialization(y, 4, seed=np.random.default_rng(0))
    second = stratified_initialization(y, 4, seed=np.random.default_rng(0))
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("function", [stratified_initialization, balanced_initialization])
def test_too_many_samples_raise_naming_n_samples(function):
    y = [0, 1, -1, 1, -1]
    with pytest.raises(InvalidArgumentError, match=r"^n_samples must be at most the 3 documents available, got 4"):
        function(y, 4, seed=0)


@pytest.mark.parametrize("function", [stratified_initialization, balanced_initialization])
@pytest.mark.parametrize(("n_samples", "shown"), [(0, r"0"), (-1, r"-1"), (None, r"None \(NoneType\)")])
def test_bad_n_samples_raise(function, n_samples, shown):
    with pytest.raises(InvalidArgumentError, match=rf"^n_samples must be an int >= 1, got {shown}"):
        function([0, 1, 1], n_samples, seed=0)


@pytest.mark.parametrize("function", [stratified_initialization, balanced_initialization])
def test_no_labels_raise(function):
    with pytest.raises(InvalidArgumentError, match=r"^y must hold at least one labeled document, got none"):
        function([-1, -1, -1], 1, seed=0)


@pytest.mark.parametrize("function", [stratified_initialization, balanced_initialization])
def test_invalid_labels_raise(function):
    with pytest.raises(InvalidLabelError, match=r"got \[-2\]"):
        function([0, -2, 1], 1, seed=0)


@pytest.mark.parametrize("function", [random_initialization, stratified_initialization, balanced_initialization])
def test_bad_seed_raises(function):
    with pytest.raises(InvalidArgumentError, match=r"^seed must be a non-negative int, got -4"):
        function([0, 1, 1] if function is not random_initialization else 3, 1, seed=-4)


# --- balanced -----------------------------------------------------------------------------------------------


def test_balanced_docstring_example():
    y = [0] * 8 + [1] * 2
    assert per_class(y, balanced_initialization(y, 6, seed=0), 2) == [4, 2]


def test_balanced_even_split():
    y = [0] * 20 + [1] * 5 + [2] * 9
    for seed in range(5):
        assert per_class(y, balanced_initialization(y, 9, seed=seed), 3) == [3, 3, 3]


def test_balanced_small_class_gives_all_it_has():
    # n = 12 over counts 20, 2, 9: share 4 each, class 1 gives its 2, the other 2 are split between 0 and 2
    y = [0] * 20 + [1] * 2 + [2] * 9
    for seed in range(5):
        assert per_class(y, balanced_initialization(y, 12, seed=seed), 3) == [5, 2, 5]


def test_balanced_two_small_classes():
    # n = 10 over counts 1, 2, 30: classes 0 and 1 give everything, class 2 the remaining 7
    y = [0] * 1 + [1] * 2 + [2] * 30
    assert per_class(y, balanced_initialization(y, 10, seed=0), 3) == [1, 2, 7]


def test_balanced_uneven_split_chooses_the_extra_classes_at_random():
    # n = 7 over three large classes: 2 each and one class gets the 7th
    y = [0] * 10 + [1] * 10 + [2] * 10
    extras = set()
    for seed in range(30):
        counts = per_class(y, balanced_initialization(y, 7, seed=seed), 3)
        assert sorted(counts) == [2, 2, 3]
        extras.add(counts.index(3))
    assert extras == {0, 1, 2}


def test_balanced_never_draws_unlabeled():
    y = np.array([-1] * 40 + [0] * 3 + [1] * 3)
    result = balanced_initialization(y, 6, seed=0)
    assert np.all(y[result] >= 0)
    assert per_class(y, result, 2) == [3, 3]


def test_balanced_all_documents():
    y = [0, 1, 1, 2, -1]
    assert balanced_initialization(y, 4, seed=0).tolist() == [0, 1, 2, 3]


def test_balanced_is_deterministic_under_a_seed():
    y = np.repeat(np.arange(3), [9, 4, 6])
    np.testing.assert_array_equal(balanced_initialization(y, 8, seed=2), balanced_initialization(y, 8, seed=2))
    draws = {tuple(balanced_initialization(y, 8, seed=s).tolist()) for s in range(6)}
    assert len(draws) > 1


# --- multi-label --------------------------------------------------------------------------------------------


def multi_label_y() -> sp.csr_matrix:
    # label sets: {0} x 6 (rows 0-5), {0, 1} x 3 (rows 6-8), {2} x 3 (rows 9-11), {} x 4 (rows 12-15)
    rows = [[1, 0, 0]] * 6 + [[1, 1, 0]] * 3 + [[0, 0, 1]] * 3 + [[0, 0, 0]] * 4
    return sp.csr_matrix(np.array(rows))


def group_counts(picked):
    groups = np.array([0] * 6 + [1] * 3 + [2] * 3 + [-1] * 4)
    assert np.all(groups[picked] >= 0)  # empty label sets (unlabeled) are never drawn
    return np.bincount(groups[picked], minlength=3).tolist()


def test_multi_label_stratified_by_label_set():
    # counts 6, 3, 3 of 12; n = 4: quotas 2, 1, 1
    for seed in range(5):
        assert group_counts(stratified_initialization(multi_label_y(), 4, seed=seed)) == [2, 1, 1]


def test_multi_label_balanced_by_label_set():
    for seed in range(5):
        assert group_counts(balanced_initialization(multi_label_y(), 6, seed=seed)) == [2, 2, 2]
        assert group_counts(balanced_initialization(multi_label_y(), 10, seed=seed)) == [4, 3, 3]


def test_multi_label_dense_indicator():
    dense = multi_label_y().toarray()
    np.testing.assert_array_equal(
        stratified_initialization(dense, 4, seed=8), stratified_initialization(multi_label_y(), 4, seed=8)
    )


def test_multi_label_too_many_raise():
    with pytest.raises(InvalidArgumentError, match=r"^n_samples must be at most the 12 documents available, got 13"):
        stratified_initialization(multi_label_y(), 13, seed=0)


def test_multi_label_without_empty_rows():
    y = sp.csr_matrix(np.array([[1, 0]] * 4 + [[0, 1]] * 4))
    assert np.bincount(y.toarray()[balanced_initialization(y, 4, seed=0), 1]).tolist() == [2, 2]


# --- properties ---------------------------------------------------------------------------------------------


labels_strategy = st.lists(st.integers(-1, 4), min_size=1, max_size=60).filter(lambda y: max(y) >= 0)


@settings(max_examples=80, deadline=None)
@given(labels_strategy, st.data())
def test_stratified_property(values, data):
    y = np.array(values)
    counts = np.bincount(y[y >= 0], minlength=5)
    n_samples = data.draw(st.integers(1, int(counts.sum())))
    seed = data.draw(st.integers(0, 1000))
    result = stratified_initialization(y, n_samples, seed=seed)
    check_result(result, n_samples, len(y))
    assert np.all(y[result] >= 0)
    drawn = np.bincount(y[result], minlength=5)
    quotas = n_samples * counts / counts.sum()
    assert np.all(drawn >= np.floor(quotas - 1e-9))
    assert np.all(drawn <= np.ceil(quotas + 1e-9))
    np.testing.assert_array_equal(result, stratified_initialization(y, n_samples, seed=seed))


@settings(max_examples=80, deadline=None)
@given(labels_strategy, st.data())
def test_balanced_property(values, data):
    y = np.array(values)
    counts = np.bincount(y[y >= 0], minlength=5)
    n_samples = data.draw(st.integers(1, int(counts.sum())))
    seed = data.draw(st.integers(0, 1000))
    result = balanced_initialization(y, n_samples, seed=seed)
    check_result(result, n_samples, len(y))
    assert np.all(y[result] >= 0)
    drawn = np.bincount(y[result], minlength=5)
    assert np.all(drawn <= counts)
    # a class that did not give everything it has is at most one below any other class
    not_exhausted = drawn < counts
    if not_exhausted.any():
        assert drawn.max() - drawn[not_exhausted].min() <= 1
    np.testing.assert_array_equal(result, balanced_initialization(y, n_samples, seed=seed))
