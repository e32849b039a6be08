"""Tests of the dataset classes: construction, label-set inference, views, relabeling and fingerprints."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import activetext.data as data_package
from activetext.data import LabelSetInferredWarning, SklearnDataSet, SklearnDataset, TextDataset
from activetext.exceptions import (
    InvalidArgumentError,
    InvalidIndicesError,
    InvalidLabelError,
    LabelShapeError,
    NonFiniteFeaturesError,
)


def inferred_warnings(caught):
    return [w for w in caught if issubclass(w.category, LabelSetInferredWarning)]


@pytest.fixture
def dense() -> SklearnDataset:
    x = np.arange(12, dtype=np.float64).reshape(4, 3)
    return SklearnDataset(x, np.array([0, 2, -1, 1]), target_labels=np.arange(3), label_names=["a", "b", "c"])


@pytest.fixture
def texts() -> TextDataset:
    texts = ["good movie", "", "bad", "  \t"]
    return TextDataset(texts, [1, 0, -1, -1], target_labels=[0, 1], label_names=["neg", "pos"])


# --- label-set inference ------------------------------------------------------------------------------------


def test_inferred_label_set_warns_exactly_once_per_creation():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = SklearnDataset(np.zeros((3, 2)), [0, 2, -1])
    assert dataset.num_classes == 3
    assert len(inferred_warnings(caught)) == 1


def test_inferred_label_set_warning_points_at_the_caller():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SklearnDataset(np.zeros((2, 2)), [0, 1])
        TextDataset(["a", "b"], [0, 1])
    found = inferred_warnings(caught)
    assert len(found) == 2
    assert {w.filename for w in found} == {__file__}


def test_text_dataset_inference_warns_once():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = TextDataset(["x", "y"], [1, -1])
    assert dataset.num_classes == 2
    assert len(inferred_warnings(caught)) == 1


def test_views_and_relabeling_do_not_warn_again():
    with pytest.warns(LabelSetInferredWarning):
        dataset = SklearnDataset(np.zeros((4, 2)), [0, 1, 1, -1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset[[0, 2]]
        dataset[1]
        dataset[1:]
        dataset[np.array([True, False, True, False])]
        dataset.with_labels([1, 1, 1, 1])
        dataset.with_labels([-1, -1, -1, -1])
    assert inferred_warnings(caught) == []


def test_explicit_target_labels_do_not_warn():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        dataset = SklearnDataset(np.zeros((2, 2)), [0, -1], target_labels=np.arange(4))
        TextDataset(["a"], None, target_labels=[0, 1])
    assert inferred_warnings(caught) == []
    assert dataset.num_classes == 4  # classes absent from y are kept
    assert dataset.target_labels.tolist() == [0, 1, 2, 3]


def test_no_labels_and_no_label_set_raises():
    with pytest.raises(InvalidArgumentError, match=r"^target_labels is required when y is None .*got None"):
        SklearnDataset(np.zeros((2, 2)))


def test_inference_from_all_unlabeled_raises():
    with pytest.raises(InvalidArgumentError, match=r"cannot infer the label set: y holds no labels"):
        SklearnDataset(np.zeros((2, 2)), [-1, -1])


def test_y_none_with_label_names_takes_the_label_set_from_the_names():
    dataset = TextDataset(["a", "b", "c"], label_names=["x", "y"])
    assert dataset.num_classes == 2
    assert dataset.y.tolist() == [-1, -1, -1]
    assert not dataset.labeled.any()


def test_y_none_with_target_labels_is_all_unlabeled():
    dataset = SklearnDataset(np.zeros((3, 1)), target_labels=[0, 1, 2])
    assert dataset.y.tolist() == [-1, -1, -1]
    assert dataset.y.dtype == np.int64
    assert not dataset.is_multi_label


def test_label_names_must_match_the_label_set():
    with pytest.raises(LabelShapeError, match=r"^label_names must have one name per class \(3\), got 2 names"):
        SklearnDataset(np.zeros((2, 2)), [0, 1], target_labels=np.arange(3), label_names=["a", "b"])


def test_label_names_are_stored_as_a_tuple_of_str():
    dataset = SklearnDataset(np.zeros((1, 1)), [1], target_labels=[0, 1], label_names=[0, "one"])
    assert dataset.label_names == ("0", "one")


def test_bad_target_labels_raise():
    with pytest.raises(InvalidArgumentError, match=r"^target_labels must hold the integer class indices .*'neg'"):
        SklearnDataset(np.zeros((1, 1)), [0], target_labels=["neg", "pos"])


# --- single-label checks ------------------------------------------------------------------------------------


def test_single_label_outside_label_set_raises():
    with pytest.raises(InvalidLabelError, match=r"^y must hold labels in \[0, 2\) or -1 \(unlabeled\), got \[2\]"):
        SklearnDataset(np.zeros((2, 1)), [0, 2], target_labels=[0, 1])


def test_single_label_wrong_length_raises():
    with pytest.raises(LabelShapeError, match=r"^y must have 3 entries, got 2$"):
        SklearnDataset(np.zeros((3, 1)), [0, 1], target_labels=[0, 1])


def test_labeled_mask_of_dataset(dense):
    assert dense.labeled.tolist() == [True, True, False, True]


def test_y_setter_validates_and_keeps_label_set(dense):
    dense.y = [2, 2, 2, 2]
    assert dense.y.tolist() == [2, 2, 2, 2]
    with pytest.raises(InvalidLabelError, match=r"got \[3\]"):
        dense.y = [3, 0, 0, 0]
    with pytest.raises(LabelShapeError, match=r"^y must have 4 entries, got 1$"):
        dense.y = [0]
    assert dense.y.tolist() == [2, 2, 2, 2]


# --- multi-label checks -------------------------------------------------------------------------------------


def test_multi_label_dataset_from_sparse_infers_columns():
    y = sp.csr_matrix(np.array([[1, 0, 1, 0], [0, 0, 0, 0], [0, 1, 0, 0]]))
    dataset = SklearnDataset(np.zeros((3, 2)), y)
    assert dataset.is_multi_label
    assert dataset.num_classes == 4
    assert dataset.labeled.tolist() == [True, False, True]


def test_multi_label_dataset_from_dense_indicator_is_stored_sparse():
    dataset = SklearnDataset(np.zeros((2, 2)), np.array([[0, 1, 1], [1, 0, 0]]), target_labels=np.arange(3))
    assert sp.issparse(dataset.y)
    np.testing.assert_array_equal(dataset.y.toarray(), [[0, 1, 1], [1, 0, 0]])


def test_multi_label_wrong_column_count_raises():
    y = sp.csr_matrix(np.array([[1, 0], [0, 1]]))
    with pytest.raises(LabelShapeError, match=r"^y must have one column per label \(3\), got a matrix with 2 columns"):
        SklearnDataset(np.zeros((2, 2)), y, target_labels=np.arange(3))


def test_multi_label_wrong_row_count_raises():
    y = sp.csr_matrix(np.array([[1, 0], [0, 1]]))
    with pytest.raises(LabelShapeError, match=r"^y must have 3 rows, got 2$"):
        SklearnDataset(np.zeros((3, 2)), y, target_labels=np.arange(2))


def test_multi_label_non_indicator_values_raise():
    with pytest.raises(InvalidLabelError, match=r"0/1 indicator matrix, got values \[3\]"):
        SklearnDataset(np.zeros((1, 2)), sp.csr_matrix(np.array([[3, 0]])), target_labels=[0, 1])


def test_multi_label_views_stay_multi_label():
    y = sp.csr_matrix(np.array([[1, 0, 1], [0, 0, 0], [0, 1, 0]]))
    dataset = SklearnDataset(np.arange(6.0).reshape(3, 2), y)
    view = dataset[[2, 0]]
    assert view.is_multi_label
    assert view.num_classes == 3
    np.testing.assert_array_equal(view.y.toarray(), [[0, 1, 0], [1, 0, 1]])


def test_multi_label_setter_keeps_column_count():
    dataset = SklearnDataset(np.zeros((2, 1)), sp.csr_matrix(np.eye(2, dtype=int)))
    with pytest.raises(LabelShapeError, match=r"one column per label \(2\), got a matrix with 3 columns"):
        dataset.y = sp.csr_matrix(np.zeros((2, 3), dtype=int))


# --- SklearnDataset features --------------------------------------------------------------------------------


def test_dense_features_are_kept_dense(dense):
    assert isinstance(dense.x, np.ndarray)
    assert dense.x.shape == (4, 3)
    assert len(dense) == 4


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "lil"])
def test_sparse_features_are_stored_as_csr(fmt):
    x = sp.random(5, 4, density=0.5, format=fmt, random_state=0)
    dataset = SklearnDataset(x, np.zeros(5, dtype=int), target_labels=[0])
    assert sp.issparse(dataset.x)
    assert dataset.x.format == "csr"
    np.testing.assert_array_equal(dataset.x.toarray(), x.toarray())


def test_one_dimensional_features_raise():
    with pytest.raises(InvalidArgumentError, match=r"^x must be a 2-D feature matrix, got an array of shape \(3,\)"):
        SklearnDataset(np.zeros(3), [0, 0, 0], target_labels=[0])


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_dense_non_finite_features_raise_naming_the_row(bad):
    x = np.zeros((4, 2))
    x[2, 1] = bad
    with pytest.raises(NonFiniteFeaturesError, match=r"^x must hold only finite values, .*rows \[2\]"):
        SklearnDataset(x, [0, 0, 0, 0], target_labels=[0])


def test_sparse_nan_features_raise_naming_the_rows():
    x = sp.lil_matrix((5, 3))
    x[1, 0] = np.nan
    x[4, 2] = 1.0
    x[3, 1] = np.inf
    with pytest.raises(NonFiniteFeaturesError, match=r"rows \[1, 3\]$"):
        SklearnDataset(x, target_labels=[0, 1])


# --- indexing -----------------------------------------------------------------------------------------------


def test_int_index_gives_a_one_row_dataset(dense):
    view = dense[1]
    assert isinstance(view, SklearnDataset)
    assert len(view) == 1
    assert view.x.tolist() == [[3.0, 4.0, 5.0]]
    assert view.y.tolist() == [2]


def test_negative_int_index_counts_from_the_end(dense):
    view = dense[-1]
    assert view.x.tolist() == [[9.0, 10.0, 11.0]]
    assert view.y.tolist() == [1]


@pytest.mark.parametrize("key", [4, -5, np.int64(10)])
def test_int_index_out_of_range_raises(dense, key):
    with pytest.raises(InvalidIndicesError, match=rf"^index must be in \[-4, 4\), got {int(key)}$"):
        dense[key]


def test_slice_index(dense):
    view = dense[1:3]
    assert view.y.tolist() == [2, -1]
    assert view.x[:, 0].tolist() == [3.0, 6.0]
    assert dense[::-2].y.tolist() == [1, 2]


def test_array_index_keeps_the_order(dense):
    view = dense[np.array([3, 0, 2])]
    assert view.y.tolist() == [1, 0, -1]
    assert view.x[:, 0].tolist() == [9.0, 0.0, 6.0]


def test_list_index(dense):
    assert dense[[2, 2]].y.tolist() == [-1, -1]  # repeated rows are allowed in a view


def test_empty_index_gives_an_empty_dataset(dense):
    view = dense[[]]
    assert len(view) == 0
    assert view.num_classes == 3


def test_bool_mask_index(dense):
    view = dense[np.array([True, False, False, True])]
    assert view.y.tolist() == [0, 1]
    assert view.x[:, 0].tolist() == [0.0, 9.0]


def test_bool_mask_of_wrong_length_raises(dense):
    with pytest.raises(InvalidIndicesError, match=r"^a boolean mask must have shape \(4,\), got shape \(2,\)"):
        dense[np.array([True, False])]


def test_bool_scalar_is_not_an_index(dense):
    with pytest.raises(InvalidIndicesError, match=r"boolean mask must have shape \(4,\), got shape \(\)"):
        dense[True]


def test_index_array_out_of_range_raises(dense):
    with pytest.raises(InvalidIndicesError, match=r"^indices must be in \[-4, 4\), got values from 0 to 7"):
        dense[[0, 7]]


def test_float_index_array_raises(dense):
    with pytest.raises(InvalidIndicesError, match=r"^indices must be a one-dimensional int array, got .*1\.5"):
        dense[np.array([0.0, 1.5])]


def test_views_keep_label_set_and_names(dense):
    view = dense[[0]]
    assert view.num_classes == 3
    assert view.label_names == ("a", "b", "c")
    assert view.target_labels.tolist() == [0, 1, 2]


def test_sparse_views_stay_sparse():
    x = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0]]))
    dataset = SklearnDataset(x, [0, 1, -1], target_labels=[0, 1])
    view = dataset[[2, 1]]
    assert sp.issparse(view.x)
    np.testing.assert_array_equal(view.x.toarray(), [[3.0, 0.0], [0.0, 2.0]])
    assert dataset[np.array([False, True, True])].y.tolist() == [1, -1]


def test_text_views(texts):
    view = texts[[2, 0]]
    assert isinstance(view, TextDataset)
    assert view.x.tolist() == ["bad", "good movie"]
    assert view.y.tolist() == [-1, 1]
    assert view.label_names == ("neg", "pos")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 9), max_size=15))
def test_view_rows_match_the_parent_rows(indices):
    x = np.arange(20, dtype=np.float64).reshape(10, 2)
    y = np.array([0, 1, -1, 2, 0, 1, -1, 2, 0, 1])
    dataset = SklearnDataset(x, y, target_labels=np.arange(3))
    view = dataset[np.asarray(indices, dtype=np.int64)]
    np.testing.assert_array_equal(view.x, x[indices])
    np.testing.assert_array_equal(view.y, y[indices])


# --- with_labels --------------------------------------------------------------------------------------------


def test_with_labels_returns_a_new_dataset_and_leaves_the_original(dense):
    relabeled = dense.with_labels([1, 1, 0, -1])
    assert relabeled is not dense
    assert relabeled.y.tolist() == [1, 1, 0, -1]
    assert dense.y.tolist() == [0, 2, -1, 1]
    assert relabeled.x is dense.x
    assert relabeled.num_classes == 3
    assert relabeled.label_names == ("a", "b", "c")


def test_with_labels_validates(dense):
    with pytest.raises(InvalidLabelError, match=r"^y must hold labels in \[0, 3\) or -1 \(unlabeled\), got \[3\]"):
        dense.with_labels([0, 3, 0, 0])
    with pytest.raises(LabelShapeError, match=r"^y must have 4 entries, got 3$"):
        dense.with_labels([0, 0, 0])


# --- fingerprint --------------------------------------------------------------------------------------------


def test_fingerprint_is_a_sha256_hex_digest(dense):
    value = dense.fingerprint()
    assert len(value) == 64
    int(value, 16)


def test_fingerprint_is_stable_across_constructions():
    x = np.arange(6.0).reshape(3, 2)
    first = SklearnDataset(x, [0, 1, -1], target_labels=[0, 1])
    second = SklearnDataset(x.copy(), [0, 1, -1], target_labels=[0, 1])
    assert first.fingerprint() == second.fingerprint()
    assert first.fingerprint() == first.fingerprint()


def test_fingerprint_ignores_labels(dense):
    assert dense.with_labels([-1, -1, -1, -1]).fingerprint() == dense.fingerprint()


def test_fingerprint_changes_with_one_value(dense):
    x = dense.x.copy()
    x[3, 2] += 1e-9
    assert SklearnDataset(x, dense.y, target_labels=np.arange(3)).fingerprint() != dense.fingerprint()


def test_fingerprint_changes_with_shape():
    flat = SklearnDataset(np.zeros((2, 3)), target_labels=[0])
    tall = SklearnDataset(np.zeros((3, 2)), target_labels=[0])
    assert flat.fingerprint() != tall.fingerprint()


def test_fingerprint_of_non_contiguous_features_equals_contiguous():
    x = np.arange(12.0).reshape(3, 4)
    strided = x[:, ::2]
    assert not strided.flags.c_contiguous
    assert (
        SklearnDataset(strided, target_labels=[0]).fingerprint()
        == SklearnDataset(np.ascontiguousarray(strided), target_labels=[0]).fingerprint()
    )


def test_fingerprint_sparse_changes_with_one_value():
    x = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0]]))
    y = x.copy()
    y.data[1] = 2.5
    assert SklearnDataset(x, target_labels=[0]).fingerprint() != SklearnDataset(y, target_labels=[0]).fingerprint()


def test_fingerprint_sparse_changes_with_position():
    x = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0]]))
    y = sp.csr_matrix(np.array([[0.0, 1.0], [0.0, 2.0]]))
    assert SklearnDataset(x, target_labels=[0]).fingerprint() != SklearnDataset(y, target_labels=[0]).fingerprint()


def test_fingerprint_depends_on_the_matrix_not_on_its_csr_storage_order():
    # the same 2 x 3 matrix [[2, 0, 1], [0, 0, 0]] stored with unsorted and with sorted column indices
    unsorted = sp.csr_matrix((np.array([1.0, 2.0]), np.array([2, 0]), np.array([0, 2, 2])), shape=(2, 3))
    canonical = sp.csr_matrix(unsorted.toarray())
    np.testing.assert_array_equal(unsorted.toarray(), canonical.toarray())
    first = SklearnDataset(unsorted, target_labels=[0])
    second = SklearnDataset(canonical, target_labels=[0])
    assert first.fingerprint() == second.fingerprint()


def test_fingerprint_differs_between_texts_and_features():
    assert (
        TextDataset(["a"], target_labels=[0]).fingerprint()
        != SklearnDataset(np.zeros((1, 1)), target_labels=[0]).fingerprint()
    )


def test_text_fingerprint_is_stable_and_content_sensitive():
    base = TextDataset(["ab", "c"], target_labels=[0]).fingerprint()
    assert TextDataset(["ab", "c"], [0, 0], target_labels=[0]).fingerprint() == base
    assert TextDataset(["a", "bc"], target_labels=[0]).fingerprint() != base  # same characters, other split
    assert TextDataset(["ab", "d"], target_labels=[0]).fingerprint() != base
    assert TextDataset(["c", "ab"], target_labels=[0]).fingerprint() != base


def test_text_fingerprint_handles_non_ascii():
    assert (
        TextDataset(["é", "日本"], target_labels=[0]).fingerprint()
        != TextDataset(["e", "日本"], target_labels=[0]).fingerprint()
    )


# --- TextDataset --------------------------------------------------------------------------------------------


def test_text_dataset_stores_an_object_array(texts):
    assert texts.x.dtype == object
    assert texts.x.tolist() == ["good movie", "", "bad", "  \t"]
    assert len(texts) == 4


def test_text_dataset_rejects_none():
    with pytest.raises(
        InvalidArgumentError, match=r"^texts must hold only strings, got None \(NoneType\) at positions \[1, 3\]"
    ):
        TextDataset(["a", None, "b", None], target_labels=[0])


def test_text_dataset_rejects_numbers():
    with pytest.raises(InvalidArgumentError, match=r"^texts must hold only strings, got 3 \(int\) at positions \[0\]"):
        TextDataset([3, "b"], target_labels=[0])


def test_text_dataset_rejects_a_single_string():
    with pytest.raises(InvalidArgumentError, match=r"^texts must be a sequence of strings, got a single string"):
        TextDataset("hello", target_labels=[0])


def test_text_dataset_accepts_a_numpy_string_array():
    dataset = TextDataset(np.array(["x", "yy"]), [0, 1], target_labels=[0, 1])
    assert dataset.x.tolist() == ["x", "yy"]


def test_empty_text_indices(texts):
    result = texts.empty_text_indices()
    assert result.dtype == np.int64
    assert result.tolist() == [1, 3]


def test_empty_text_indices_none_empty():
    result = TextDataset(["a", " b "], target_labels=[0]).empty_text_indices()
    assert result.dtype == np.int64
    assert result.tolist() == []


def test_empty_text_indices_newlines_and_unicode_spaces():
    dataset = TextDataset(["\n", "\u00a0\u2003", ".", ""], target_labels=[0])
    assert dataset.empty_text_indices().tolist() == [0, 1, 3]


# --- names --------------------------------------------------------------------------------------------------


def test_sklearn_data_set_alias_is_the_same_class():
    assert SklearnDataSet is SklearnDataset
    assert data_package.SklearnDataSet is data_package.SklearnDataset
    assert isinstance(SklearnDataSet(np.zeros((1, 1)), target_labels=[0]), SklearnDataset)


def test_repr(dense):
    assert repr(dense) == "SklearnDataset(n_samples=4, num_classes=3, single-label, labeled=3)"
