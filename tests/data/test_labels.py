"""Tests of the label conventions: single-label arrays, multi-label indicator matrices, label sets."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from activetext.data.labels import (
    LABEL_UNLABELED,
    LabelSetInferredWarning,
    check_multi_labels,
    check_single_labels,
    check_target_labels,
    infer_num_classes,
    is_multi_label,
    labeled_mask,
    unlabeled_like,
)
from activetext.exceptions import InvalidArgumentError, InvalidLabelError, LabelShapeError


def test_label_unlabeled_is_minus_one():
    assert LABEL_UNLABELED == -1


def test_error_hierarchy_of_label_errors():
    assert issubclass(InvalidLabelError, InvalidArgumentError)
    assert issubclass(LabelShapeError, InvalidArgumentError)
    assert issubclass(LabelShapeError, ValueError)


# --- is_multi_label -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("y", "expected"),
    [
        (np.array([0, 1, -1]), False),
        ([0, 1], False),
        (sp.csr_matrix(np.eye(2)), True),
        (np.eye(2, dtype=int), True),
        ([[0, 1], [1, 0]], True),
    ],
)
def test_is_multi_label(y, expected):
    assert is_multi_label(y) is expected


# --- check_single_labels ------------------------------------------------------------------------------------


def test_single_labels_returns_int64():
    result = check_single_labels([0, 2, -1, 1], 3)
    assert result.dtype == np.int64
    assert result.tolist() == [0, 2, -1, 1]


def test_single_labels_converts_integral_floats():
    assert check_single_labels(np.array([1.0, -1.0]), 2).tolist() == [1, -1]


def test_single_labels_empty():
    result = check_single_labels([], 3)
    assert result.shape == (0,)
    assert result.dtype == np.int64


def test_single_labels_without_num_classes_skips_upper_bound():
    assert check_single_labels([0, 99], None).tolist() == [0, 99]


def test_single_labels_rejects_label_equal_to_num_classes():
    with pytest.raises(InvalidLabelError, match=r"^y must hold labels in \[0, 2\) or -1 \(unlabeled\), got \[2\]"):
        check_single_labels([0, 1, 2], 2)


def test_single_labels_rejects_below_minus_one():
    with pytest.raises(InvalidLabelError, match=r"^y must hold labels in \[0, 3\) or -1 \(unlabeled\), got \[-3, -2\]"):
        check_single_labels([-2, 0, -3], 3)


def test_single_labels_rejects_negative_without_num_classes():
    with pytest.raises(InvalidLabelError, match=r"^y must hold labels in non-negative or -1 .*got \[-5\]"):
        check_single_labels([-5, 1], None)


def test_single_labels_refuses_unlabeled_when_not_allowed():
    with pytest.raises(InvalidLabelError, match=r"^labels must hold labels in \[0, 2\), got \[-1\]$"):
        check_single_labels([0, -1], 2, name="labels", allow_unlabeled=False)


def test_single_labels_rejects_wrong_length():
    with pytest.raises(LabelShapeError, match=r"^y must have 3 entries, got 2$"):
        check_single_labels([0, 1], 2, n_samples=3)


def test_single_labels_rejects_two_dimensional():
    with pytest.raises(LabelShapeError, match=r"^y must be one-dimensional .*got shape \(2, 1\)"):
        check_single_labels([[0], [1]], 2)


@pytest.mark.parametrize(
    ("y", "shown"),
    [([0.5, 1.0], r"\[0\.5, 1\.0\]"), ([True, False], r"\[True, False\]"), (["a", "b"], r"\['a', 'b'\]")],
)
def test_single_labels_rejects_non_integers(y, shown):
    with pytest.raises(InvalidLabelError, match=rf"^y must hold integer class indices, got {shown}"):
        check_single_labels(y, 2)


def test_single_labels_rejects_nan():
    with pytest.raises(InvalidLabelError, match=r"^target must hold integer class indices, got \[0\.0, nan\]"):
        check_single_labels([0.0, np.nan], 2, name="target")


# --- check_multi_labels -------------------------------------------------------------------------------------


def test_multi_labels_from_dense():
    result = check_multi_labels([[1, 0, 1], [0, 0, 0]], 3)
    assert sp.isspmatrix_csr(result) or isinstance(result, sp.csr_array)
    assert result.dtype == np.int64
    np.testing.assert_array_equal(result.toarray(), [[1, 0, 1], [0, 0, 0]])
    assert result.has_sorted_indices


def test_multi_labels_drops_explicit_zeros_without_touching_the_input():
    given_matrix = sp.csr_matrix((np.array([1, 0]), np.array([0, 1]), np.array([0, 2])), shape=(1, 2))
    result = check_multi_labels(given_matrix, 2)
    assert result.nnz == 1
    assert given_matrix.nnz == 2  # the caller's matrix is not changed


def test_multi_labels_sorts_indices():
    unsorted = sp.csr_matrix((np.array([1, 1]), np.array([2, 0]), np.array([0, 2])), shape=(1, 3))
    result = check_multi_labels(unsorted, 3)
    assert result.indices.tolist() == [0, 2]


def test_multi_labels_rejects_wrong_column_count():
    with pytest.raises(LabelShapeError, match=r"^y must have one column per label \(3\), got a matrix with 2 columns"):
        check_multi_labels(sp.csr_matrix(np.eye(2)), 3)


def test_multi_labels_rejects_wrong_row_count():
    with pytest.raises(LabelShapeError, match=r"^y must have 3 rows, got 2$"):
        check_multi_labels(np.eye(2, dtype=int), 2, n_samples=3)


def test_multi_labels_rejects_one_dimensional_dense():
    with pytest.raises(LabelShapeError, match=r"^y must be a 2-D indicator matrix .*got shape \(3,\)"):
        check_multi_labels([0, 1, 1], 3)


@pytest.mark.parametrize(("values", "shown"), [([[2, 0]], r"\[2\]"), ([[1, -1]], r"\[-1, 1\]")])
def test_multi_labels_rejects_non_indicator_values(values, shown):
    with pytest.raises(InvalidLabelError, match=rf"^y must be a 0/1 indicator matrix, got values {shown}"):
        check_multi_labels(values, 2)


def test_multi_labels_uses_the_given_name():
    with pytest.raises(LabelShapeError, match=r"^labels must have one column per label \(4\)"):
        check_multi_labels(np.zeros((2, 3), dtype=int), 4, name="labels")


# --- check_target_labels ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("target", "size"), [([0], 1), ([0, 1, 2], 3), ([2, 0, 1], 3), (np.arange(5), 5)])
def test_target_labels_returns_size(target, size):
    assert check_target_labels(target) == size


@pytest.mark.parametrize(
    ("target", "pattern"),
    [
        ([0, 2], r"^target_labels must be the class indices 0\.\.1, got \[0, 2\]"),
        ([1, 2], r"^target_labels must be the class indices 0\.\.1, got \[1, 2\]"),
        ([0, 0], r"^target_labels must be the class indices 0\.\.1, got \[0, 0\]"),
        (["neg", "pos"], r"^target_labels must hold the integer class indices .*got \['neg', 'pos'\]"),
        ([0.0, 1.0], r"^target_labels must hold the integer class indices .*got \[0\.0, 1\.0\]"),
        ([], r"^target_labels must be a non-empty one-dimensional array, got shape \(0,\)"),
        ([[0, 1]], r"^target_labels must be a non-empty one-dimensional array, got shape \(1, 2\)"),
    ],
)
def test_target_labels_rejects(target, pattern):
    with pytest.raises(InvalidArgumentError, match=pattern):
        check_target_labels(target)


# --- infer_num_classes --------------------------------------------------------------------------------------


def test_infer_num_classes_from_largest_label_warns_once():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert infer_num_classes(np.array([0, 2, -1, 2])) == 3
    inferred = [w for w in caught if issubclass(w.category, LabelSetInferredWarning)]
    assert len(inferred) == 1
    assert "0..2 (3 classes)" in str(inferred[0].message)
    assert "target_labels" in str(inferred[0].message)


def test_infer_num_classes_from_columns_for_multi_label():
    assert infer_num_classes(sp.csr_matrix((3, 4), dtype=np.int64)) == 4


def test_infer_num_classes_without_any_label_raises():
    with pytest.raises(InvalidArgumentError, match=r"^cannot infer the label set: y holds no labels"):
        infer_num_classes(np.array([-1, -1]))


def test_infer_num_classes_validates_labels():
    with pytest.raises(InvalidLabelError, match=r"got \[-4\]"):
        infer_num_classes(np.array([0, -4]))


def test_label_set_inferred_warning_is_a_user_warning():
    assert issubclass(LabelSetInferredWarning, UserWarning)


# --- labeled_mask / unlabeled_like --------------------------------------------------------------------------


def test_labeled_mask_single_label():
    assert labeled_mask(np.array([0, -1, 2, -1])).tolist() == [True, False, True, False]


def test_labeled_mask_multi_label_empty_row_is_unlabeled():
    y = sp.csr_matrix(np.array([[1, 0], [0, 0], [1, 1]]))
    assert labeled_mask(y).tolist() == [True, False, True]


def test_unlabeled_like_single_label():
    y = unlabeled_like(3, 5, multi_label=False)
    assert y.dtype == np.int64
    assert y.tolist() == [-1, -1, -1]


def test_unlabeled_like_multi_label():
    y = unlabeled_like(3, 5, multi_label=True)
    assert sp.issparse(y)
    assert y.shape == (3, 5)
    assert y.nnz == 0
    assert not labeled_mask(y).any()


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-1, 4), max_size=30))
def test_single_labels_round_trip_and_mask_property(values):
    y = check_single_labels(values, 5)
    assert y.tolist() == values
    assert labeled_mask(y).tolist() == [v != -1 for v in values]
