"""Label conventions shared by datasets, classifiers, strategies and learners.

* **Single-label**: a one-dimensional int array; ``-1`` (:data:`LABEL_UNLABELED`) marks an unlabeled document and
  every other value is a class index in ``[0, num_classes)``.
* **Multi-label**: a ``scipy.sparse.csr_matrix`` indicator matrix of shape ``(n_samples, num_classes)``; an empty
  row means the document carries no label (in a dataset: unlabeled).

Class indices are always ``0 .. num_classes - 1``; human-readable names travel separately as ``label_names``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.exceptions import InvalidArgumentError, InvalidLabelError, LabelShapeError
from activetext.utils.validation import as_array

__all__ = [
    "LABEL_UNLABELED",
    "LabelSetInferredWarning",
    "is_multi_label",
    "check_single_labels",
    "check_multi_labels",
    "check_label_names",
    "check_target_labels",
    "infer_num_classes",
    "labeled_mask",
    "unlabeled_like",
]

LABEL_UNLABELED = -1
"""The single-label value of a document without a label."""


class LabelSetInferredWarning(UserWarning):
    """The label set was inferred from the labels present; pass ``target_labels`` to make it explicit."""


def is_multi_label(y: Any) -> bool:
    """Return whether ``y`` follows the multi-label convention (a sparse or two-dimensional indicator matrix)."""
    if sp.issparse(y):
        return True
    try:
        return np.ndim(y) == 2
    except (ValueError, TypeError):  # ragged: not an indicator matrix (the label checks say what is wrong)
        return False


def check_single_labels(
    y: Any,
    num_classes: int | None,
    *,
    n_samples: int | None = None,
    name: str = "y",
    allow_unlabeled: bool = True,
) -> np.ndarray:
    """Return single-label ``y`` as an int64 array after checking its shape and values.

    Parameters
    ----------
    y : array-like of int
        Labels, ``-1`` for unlabeled (when ``allow_unlabeled``).
    num_classes : int or None
        The size of the label set; ``None`` skips the upper-bound check.
    n_samples : int, optional
        The expected length.
    name : str
        The argument's name, used in error messages.
    allow_unlabeled : bool
        Whether ``-1`` is accepted.

    Returns
    -------
    numpy.ndarray of int64
    """
    array = as_array(y, name=name, error=LabelShapeError)
    if array.ndim != 1:
        raise LabelShapeError(f"{name} must be one-dimensional for single-label data, got shape {array.shape}")
    if n_samples is not None and array.shape[0] != n_samples:
        raise LabelShapeError(f"{name} must have {n_samples} entries, got {array.shape[0]}")
    if array.size == 0:
        return np.empty(0, dtype=np.int64)
    if array.dtype.kind not in "iu":  # not bool, and not timedelta64 (which numpy counts as an integer type)
        if (
            array.dtype != object
            and np.issubdtype(array.dtype, np.floating)
            and np.all(np.isfinite(array) & (array == np.round(array)))
        ):
            array = array.astype(np.int64)
        else:
            raise InvalidLabelError(f"{name} must hold integer class indices, got {array[:8].tolist()!r}")
    array = array.astype(np.int64, copy=False)
    lowest = LABEL_UNLABELED if allow_unlabeled else 0
    bad = (array < lowest) if num_classes is None else ((array < lowest) | (array >= num_classes))
    if bad.any():
        expected = f"[0, {num_classes})" if num_classes is not None else "non-negative"
        extra = " or -1 (unlabeled)" if allow_unlabeled else ""
        raise InvalidLabelError(
            f"{name} must hold labels in {expected}{extra}, got {np.unique(array[bad])[:8].tolist()}"
        )
    return array


def check_multi_labels(
    y: Any, num_classes: int | None, *, n_samples: int | None = None, name: str = "y"
) -> sp.csr_matrix:
    """Return a multi-label indicator matrix as ``csr_matrix`` (int64 ones) after checking its shape and values.

    Parameters
    ----------
    y : scipy.sparse matrix or 2-D array-like of 0/1
        The indicator matrix.
    num_classes : int or None
        The expected number of columns; ``None`` accepts any.
    n_samples : int, optional
        The expected number of rows.
    name : str
        The argument's name, used in error messages.

    Returns
    -------
    scipy.sparse.csr_matrix
    """
    if sp.issparse(y):
        matrix = sp.csr_matrix(y, copy=True)
    else:
        array = as_array(y, name=name, error=LabelShapeError)
        if array.ndim != 2:
            raise LabelShapeError(
                f"{name} must be a 2-D indicator matrix for multi-label data, got shape {array.shape}"
            )
        if array.dtype.kind not in "biuf":  # strings, objects, complex numbers: scipy.sparse refuses most of them
            raise InvalidLabelError(
                f"{name} must be a 0/1 indicator matrix of numbers, got dtype {array.dtype}: "
                f"{array.ravel()[:8].tolist()}"
            )
        matrix = sp.csr_matrix(array)
    if num_classes is not None and matrix.shape[1] != num_classes:
        raise LabelShapeError(
            f"{name} must have one column per label ({num_classes}), got a matrix with {matrix.shape[1]} columns"
        )
    if n_samples is not None and matrix.shape[0] != n_samples:
        raise LabelShapeError(f"{name} must have {n_samples} rows, got {matrix.shape[0]}")
    matrix.eliminate_zeros()
    if matrix.nnz and not np.all(matrix.data == 1):
        raise InvalidLabelError(
            f"{name} must be a 0/1 indicator matrix, got values {np.unique(matrix.data)[:8].tolist()}"
        )
    matrix = matrix.astype(np.int64)
    matrix.sort_indices()
    return matrix


def check_target_labels(target_labels: Any, *, name: str = "target_labels") -> int:
    """Check an explicit label set and return its size.

    ``target_labels`` must be the class indices ``0 .. C-1`` (in any order); label names belong in
    ``label_names``.
    """
    array = as_array(target_labels, name=name)
    if array.ndim != 1 or array.size == 0:
        raise InvalidArgumentError(f"{name} must be a non-empty one-dimensional array, got shape {array.shape}")
    if array.dtype.kind not in "iu":
        raise InvalidArgumentError(
            f"{name} must hold the integer class indices 0..C-1 (names go in label_names), got {array[:8].tolist()!r}"
        )
    if not np.array_equal(np.sort(array), np.arange(array.size)):
        raise InvalidArgumentError(f"{name} must be the class indices 0..{array.size - 1}, got {array[:8].tolist()}")
    return int(array.size)


def check_label_names(label_names: Any, *, name: str = "label_names") -> tuple[str, ...]:
    """Return label names as a tuple of str after checking that they are a sequence (not a single string)."""
    if isinstance(label_names, (str, bytes)):
        raise InvalidArgumentError(f"{name} must be a sequence of names, one per class, got the single {label_names!r}")
    try:
        return tuple(str(label) for label in label_names)
    except TypeError as error:  # a number, None inside a call, ...: not iterable
        raise InvalidArgumentError(f"{name} must be a sequence of names, one per class, got {label_names!r}") from error


def infer_num_classes(y: Any, *, name: str = "y") -> int:
    """Infer the size of the label set from the labels present, and warn that it was inferred.

    Raises
    ------
    InvalidArgumentError
        If ``y`` has no labeled entry, so nothing can be inferred.
    """
    if is_multi_label(y):
        return int(y.shape[1])
    array = check_single_labels(y, None, name=name)
    labeled = array[array != LABEL_UNLABELED]
    if labeled.size == 0:
        raise InvalidArgumentError(
            f"cannot infer the label set: {name} holds no labels; pass target_labels (e.g. np.arange(num_classes))"
        )
    num_classes = int(labeled.max()) + 1
    warnings.warn(
        f"the label set was inferred from {name} as 0..{num_classes - 1} ({num_classes} classes); "
        "pass target_labels to make it explicit",
        LabelSetInferredWarning,
        stacklevel=4,
    )
    return num_classes


def labeled_mask(y: np.ndarray | sp.csr_matrix) -> np.ndarray:
    """Return a boolean mask of the rows of ``y`` that carry a label."""
    if sp.issparse(y):
        return np.diff(y.indptr) > 0
    return np.asarray(y) != LABEL_UNLABELED


def unlabeled_like(n_samples: int, num_classes: int, *, multi_label: bool) -> np.ndarray | sp.csr_matrix:
    """Return labels for ``n_samples`` unlabeled documents under the single- or multi-label convention."""
    if multi_label:
        return sp.csr_matrix((n_samples, num_classes), dtype=np.int64)
    return np.full(n_samples, LABEL_UNLABELED, dtype=np.int64)
