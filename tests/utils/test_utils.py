"""Tests of the foundation helpers: seeds, chunking, input validation and learning-curve summaries."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from activetext.exceptions import (
    ActiveTextError,
    InvalidArgumentError,
    InvalidIndicesError,
    NonFiniteFeaturesError,
)
from activetext.utils.chunking import DEFAULT_CHUNK_SIZE, iter_chunks
from activetext.utils.curves import normalized_area_under_curve
from activetext.utils.random import make_rng
from activetext.utils.validation import check_finite_features, check_index, check_indices, check_positive_int

# --- make_rng -----------------------------------------------------------------------------------------------


def test_make_rng_none_gives_a_fresh_generator():
    first, second = make_rng(None), make_rng(None)
    assert isinstance(first, np.random.Generator)
    assert first is not second


def test_make_rng_same_int_gives_same_stream():
    assert make_rng(7).random(5).tolist() == make_rng(7).random(5).tolist()
    assert make_rng(7).random(5).tolist() != make_rng(8).random(5).tolist()


def test_make_rng_int_matches_numpy_default_rng():
    np.testing.assert_array_equal(make_rng(123).random(4), np.random.default_rng(123).random(4))


def test_make_rng_accepts_numpy_integer():
    np.testing.assert_array_equal(make_rng(np.int64(3)).random(3), make_rng(3).random(3))


def test_make_rng_returns_the_given_generator_itself():
    generator = np.random.default_rng(0)
    assert make_rng(generator) is generator


def test_make_rng_zero_is_a_valid_seed():
    np.testing.assert_array_equal(make_rng(0).random(2), np.random.default_rng(0).random(2))


@pytest.mark.parametrize(
    ("seed", "shown"),
    [(-1, r"-1"), (-100, r"-100")],
)
def test_make_rng_rejects_negative_int(seed, shown):
    with pytest.raises(InvalidArgumentError, match=rf"seed must be a non-negative int, got {shown}"):
        make_rng(seed)


@pytest.mark.parametrize(
    ("seed", "shown"),
    [(1.5, r"1\.5 \(float\)"), ("3", r"'3' \(str\)"), (True, r"True \(bool\)"), ([1], r"\[1\] \(list\)")],
)
def test_make_rng_rejects_other_types(seed, shown):
    with pytest.raises(InvalidArgumentError, match=rf"^seed must be None, .* got {shown}"):
        make_rng(seed)


def test_make_rng_error_names_the_argument_it_is_given():
    with pytest.raises(InvalidArgumentError, match=r"random_state must be .*got -5"):
        make_rng(-5, name="random_state")


def test_make_rng_error_is_a_value_error():
    with pytest.raises(ValueError, match="seed"):
        make_rng("x")


# --- iter_chunks --------------------------------------------------------------------------------------------


def test_iter_chunks_splits_in_order_with_a_short_last_chunk():
    chunks = list(iter_chunks(np.arange(10), 3))
    assert [chunk.tolist() for chunk in chunks] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]


def test_iter_chunks_exact_multiple_has_no_empty_chunk():
    assert [chunk.tolist() for chunk in iter_chunks(np.arange(4), 2)] == [[0, 1], [2, 3]]


def test_iter_chunks_empty_input_yields_nothing():
    assert list(iter_chunks(np.arange(0), 5)) == []


def test_iter_chunks_chunk_larger_than_input_yields_everything_once():
    chunks = list(iter_chunks(np.array([5, 3, 9]), 100))
    assert len(chunks) == 1
    assert chunks[0].tolist() == [5, 3, 9]


def test_iter_chunks_default_chunk_size():
    chunks = list(iter_chunks(np.arange(DEFAULT_CHUNK_SIZE + 1)))
    assert [len(chunk) for chunk in chunks] == [DEFAULT_CHUNK_SIZE, 1]


def test_iter_chunks_yields_views_not_copies():
    indices = np.arange(6)
    for chunk in iter_chunks(indices, 4):
        assert np.shares_memory(chunk, indices)


@pytest.mark.parametrize("chunk_size", [0, -3])
def test_iter_chunks_rejects_chunk_size_below_one(chunk_size):
    # contract 6: errors come from activetext.exceptions and name the argument and the value
    with pytest.raises(InvalidArgumentError, match=rf"chunk_size must be an int >= 1, got {chunk_size}"):
        list(iter_chunks(np.arange(3), chunk_size))


@settings(max_examples=60, deadline=None)
@given(size=st.integers(0, 60), chunk_size=st.integers(1, 70))
def test_iter_chunks_partition_property(size, chunk_size):
    indices = np.arange(size) * 3
    chunks = list(iter_chunks(indices, chunk_size))
    assert len(chunks) == math.ceil(size / chunk_size)
    assert all(1 <= len(chunk) <= chunk_size for chunk in chunks)
    assert all(len(chunk) == chunk_size for chunk in chunks[:-1])
    joined = np.concatenate(chunks) if chunks else np.empty(0, dtype=indices.dtype)
    np.testing.assert_array_equal(joined, indices)


# --- check_indices ------------------------------------------------------------------------------------------


def test_check_indices_returns_int64_in_given_order():
    result = check_indices([4, 0, 2], 5)
    assert result.dtype == np.int64
    assert result.tolist() == [4, 0, 2]


def test_check_indices_accepts_other_integer_dtypes():
    result = check_indices(np.array([1, 3], dtype=np.uint8), 4)
    assert result.dtype == np.int64
    assert result.tolist() == [1, 3]


def test_check_indices_empty_is_allowed_by_default():
    result = check_indices([], 3)
    assert result.dtype == np.int64
    assert result.shape == (0,)


def test_check_indices_empty_refused_when_not_allowed():
    with pytest.raises(InvalidIndicesError, match=r"^picked must not be empty"):
        check_indices([], 3, name="picked", allow_empty=False)


def test_check_indices_rejects_negative():
    with pytest.raises(InvalidIndicesError, match=r"^indices must not be negative, got \[-1, -7\]"):
        check_indices([0, -1, 2, -7], 10)


def test_check_indices_rejects_out_of_range_and_names_the_bound():
    with pytest.raises(InvalidIndicesError, match=r"^indices must be smaller than .*\(5\), got \[5, 9\]"):
        check_indices([1, 5, 9], 5)


def test_check_indices_rejects_duplicates_and_names_them():
    with pytest.raises(InvalidIndicesError, match=r"^indices must be unique, got duplicates \[1, 3\]"):
        check_indices([3, 1, 2, 1, 3], 5)


def test_check_indices_uses_the_given_name():
    with pytest.raises(InvalidIndicesError, match=r"^indices_unlabeled must not be negative, got \[-2\]"):
        check_indices([-2], 5, name="indices_unlabeled")


@pytest.mark.parametrize(
    ("indices", "shown"),
    [([0.5, 1.0], r"\[0\.5, 1\.0\] \(dtype float64\)"), ([np.nan], r"\[nan\] \(dtype float64\)")],
)
def test_check_indices_rejects_non_integral_floats(indices, shown):
    with pytest.raises(InvalidIndicesError, match=rf"^indices must be integers, got {shown}"):
        check_indices(indices, 5)


def test_check_indices_converts_integral_floats():
    result = check_indices([2.0, 0.0], 3)
    assert result.dtype == np.int64
    assert result.tolist() == [2, 0]


def test_check_indices_rejects_booleans():
    with pytest.raises(InvalidIndicesError, match=r"^indices must be integers, got \[True, False\] \(dtype bool\)"):
        check_indices([True, False], 5)


def test_check_indices_rejects_strings():
    with pytest.raises(InvalidIndicesError, match=r"^indices must be integers, got \[a\]"):
        check_indices(["a"], 5)


def test_check_indices_rejects_two_dimensional():
    with pytest.raises(InvalidIndicesError, match=r"^indices must be one-dimensional, got .*shape \(2, 2\)"):
        check_indices([[0, 1], [2, 3]], 5)


def test_check_indices_rejects_scalar():
    with pytest.raises(InvalidIndicesError, match=r"^indices must be one-dimensional, got .*shape \(\)"):
        check_indices(3, 5)


def test_check_indices_error_lists_at_most_eight_values():
    with pytest.raises(InvalidIndicesError, match=r"got \[10, 11, 12, 13, 14, 15, 16, 17, \.\.\.\]$"):
        check_indices(np.arange(10, 30), 10)


def test_invalid_indices_error_is_an_index_error():
    assert issubclass(InvalidIndicesError, IndexError)
    assert issubclass(InvalidIndicesError, ActiveTextError)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 49), unique=True, max_size=50))
def test_check_indices_accepts_any_unique_in_range_list(values):
    np.testing.assert_array_equal(check_indices(values, 50), np.asarray(values, dtype=np.int64))


# --- check_index / check_positive_int -----------------------------------------------------------------------


def test_check_index_accepts_an_in_range_int():
    assert check_index(np.int32(2), 3) == 2


@pytest.mark.parametrize(("index", "pattern"), [(3, r"in \[0, 3\), got 3"), (-1, r"in \[0, 3\), got -1")])
def test_check_index_rejects_out_of_range(index, pattern):
    with pytest.raises(InvalidIndicesError, match=rf"^position must be {pattern}"):
        check_index(index, 3, name="position")


@pytest.mark.parametrize(("index", "shown"), [(True, r"True \(bool\)"), (1.0, r"1\.0 \(float\)")])
def test_check_index_rejects_non_int(index, shown):
    with pytest.raises(InvalidIndicesError, match=rf"^index must be an int, got {shown}"):
        check_index(index, 3)


@pytest.mark.parametrize(("value", "shown"), [(0, r"0$"), (True, r"True \(bool\)"), (2.0, r"2\.0 \(float\)")])
def test_check_positive_int_rejects(value, shown):
    with pytest.raises(InvalidArgumentError, match=rf"^batch must be an int >= 1, got {shown}"):
        check_positive_int(value, name="batch")


def test_check_positive_int_minimum():
    assert check_positive_int(0, name="pool", minimum=0) == 0
    assert isinstance(check_positive_int(np.int64(4), name="pool"), int)


# --- check_finite_features ----------------------------------------------------------------------------------


def test_check_finite_features_accepts_finite_dense_and_sparse():
    check_finite_features(np.array([[0.0, 1.5], [-2.0, 3.0]]))
    check_finite_features(sp.csr_matrix(np.array([[0.0, 1.5], [0.0, 0.0]])))
    check_finite_features(np.array([[1, 2]], dtype=np.int64))


def test_check_finite_features_dense_nan_names_the_rows():
    x = np.zeros((5, 3))
    x[1, 2] = np.nan
    x[3, 0] = np.nan
    x[3, 1] = np.nan
    with pytest.raises(NonFiniteFeaturesError, match=r"^x must hold only finite values, .* in rows \[1, 3\]$"):
        check_finite_features(x)


def test_check_finite_features_dense_inf_names_the_rows():
    x = np.ones((4, 2))
    x[0, 0] = np.inf
    x[2, 1] = -np.inf
    with pytest.raises(NonFiniteFeaturesError, match=r"rows \[0, 2\]$"):
        check_finite_features(x, name="features")
    with pytest.raises(NonFiniteFeaturesError, match=r"^features must hold only finite values"):
        check_finite_features(x, name="features")


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_check_finite_features_sparse_nan_names_the_rows(fmt):
    dense = np.zeros((6, 4))
    dense[4, 1] = np.nan
    dense[2, 3] = np.inf
    dense[0, 0] = 1.0
    x = sp.csr_matrix(dense).asformat(fmt)
    with pytest.raises(NonFiniteFeaturesError, match=r"^x must hold only finite values, .* in rows \[2, 4\]$"):
        check_finite_features(x)


def test_non_finite_features_error_is_an_invalid_argument_error():
    assert issubclass(NonFiniteFeaturesError, InvalidArgumentError)
    assert issubclass(NonFiniteFeaturesError, ValueError)


def test_check_finite_features_rejects_non_numeric():
    with pytest.raises(InvalidArgumentError, match=r"^x must hold numbers, got dtype <U1"):
        check_finite_features(np.array([["a", "b"]]))


# --- normalized_area_under_curve ----------------------------------------------------------------------------


def test_auc_docstring_example():
    assert normalized_area_under_curve([20, 40, 60], [0.5, 0.7, 0.9]) == pytest.approx(0.7)


def test_auc_hand_computed_uneven_spacing():
    # trapezoids: (0 + 1) / 2 * 10 + (1 + 1) / 2 * 20 = 25, divided by the width 30
    assert normalized_area_under_curve([0, 10, 30], [0.0, 1.0, 1.0]) == pytest.approx(25 / 30)


def test_auc_hand_computed_two_points():
    # a straight line from 0.2 to 0.6: mean 0.4
    assert normalized_area_under_curve([10, 110], [0.2, 0.6]) == pytest.approx(0.4)


def test_auc_single_point_returns_its_score():
    assert normalized_area_under_curve([25], [0.83]) == 0.83


def test_auc_returns_a_python_float():
    assert type(normalized_area_under_curve([1, 2], [0.0, 1.0])) is float


@pytest.mark.parametrize(
    ("labels", "scores", "pattern"),
    [
        ([1, 2, 3], [0.1, 0.2], r"^labels and scores must be .* got \(3,\) and \(2,\)"),
        ([], [], r"^labels and scores must be non-empty .* got \(0,\) and \(0,\)"),
        ([[1, 2]], [[0.1, 0.2]], r"^labels and scores must be .* got \(1, 2\) and \(1, 2\)"),
    ],
)
def test_auc_rejects_bad_shapes(labels, scores, pattern):
    with pytest.raises(InvalidArgumentError, match=pattern):
        normalized_area_under_curve(labels, scores)


@pytest.mark.parametrize("labels", [[10, 10, 20], [30, 20, 10]])
def test_auc_rejects_labels_not_strictly_increasing(labels):
    shown = ", ".join(f"{float(v)}" for v in labels)
    with pytest.raises(InvalidArgumentError, match=rf"^labels must be strictly increasing, got \[{shown}\]"):
        normalized_area_under_curve(labels, [0.1, 0.2, 0.3])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(1, 50), min_size=1, max_size=12),
    st.data(),
)
def test_auc_lies_between_min_and_max_score(steps, data):
    labels = np.cumsum(steps)
    scores = data.draw(st.lists(st.floats(0, 1), min_size=len(labels), max_size=len(labels)))
    value = normalized_area_under_curve(labels, scores)
    assert min(scores) - 1e-12 <= value <= max(scores) + 1e-12


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 50), min_size=2, max_size=12), st.floats(0, 1))
def test_auc_of_a_constant_curve_is_the_constant(steps, level):
    labels = np.cumsum(steps)
    assert normalized_area_under_curve(labels, [level] * len(labels)) == pytest.approx(level)
