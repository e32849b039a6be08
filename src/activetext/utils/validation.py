"""Validation of user input at the boundary of the public API.

Every check raises an error from :mod:`activetext.exceptions` whose message names the argument and the value.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.exceptions import InvalidArgumentError, InvalidIndicesError, NonFiniteFeaturesError


def _preview(values: Any, limit: int = 8) -> str:
    """A short text form of ``values`` for error messages."""
    array = np.asarray(values).ravel()
    shown = ", ".join(str(v) for v in array[:limit].tolist())
    return f"[{shown}{', ...' if array.size > limit else ''}]"


def as_array(value: Any, *, name: str, error: type[Exception] = InvalidArgumentError, dtype: Any = None) -> np.ndarray:
    """Return ``np.asarray(value, dtype=dtype)``, or raise ``error`` when numpy cannot make such an array of it.

    Ragged nested sequences (``[[0], [1, 2]]``) and values that do not convert to ``dtype`` make numpy raise a
    ``ValueError`` or ``TypeError`` of its own; the public API reports them as activetext errors instead.
    """
    try:
        return np.asarray(value, dtype=dtype)
    except (ValueError, TypeError) as cause:
        text = repr(value)
        preview = text if len(text) <= 80 else text[:77] + "..."
        kind = "an array" if dtype is None else f"an array of {np.dtype(dtype).name}"
        raise error(f"{name} must be {kind} (not ragged), got {preview}: {cause}") from cause


def check_indices(indices: Any, n_samples: int, *, name: str = "indices", allow_empty: bool = True) -> np.ndarray:
    """Return ``indices`` as a one-dimensional int64 array after checking range and uniqueness.

    Parameters
    ----------
    indices : array-like of int
        Positions into a dataset of ``n_samples`` rows.
    n_samples : int
        The size of the dataset.
    name : str
        The argument's name, used in error messages.
    allow_empty : bool
        Whether an empty array is acceptable.

    Returns
    -------
    numpy.ndarray of int64

    Raises
    ------
    InvalidIndicesError
        If the indices are not integers, not one-dimensional, negative, out of range or duplicated.
    """
    array = as_array(indices, name=name, error=InvalidIndicesError)
    if array.ndim != 1:
        raise InvalidIndicesError(f"{name} must be one-dimensional, got an array of shape {array.shape}")
    if array.size == 0:
        if not allow_empty:
            raise InvalidIndicesError(f"{name} must not be empty")
        return np.empty(0, dtype=np.int64)
    if array.dtype.kind not in "iu":  # not bool, and not timedelta64 (which numpy counts as an integer type)
        if np.issubdtype(array.dtype, np.floating) and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
            array = array.astype(np.int64)
        else:
            raise InvalidIndicesError(f"{name} must be integers, got {_preview(array)} (dtype {array.dtype})")
    array = array.astype(np.int64, copy=False)
    negative = array[array < 0]
    if negative.size:
        raise InvalidIndicesError(f"{name} must not be negative, got {_preview(negative)}")
    too_large = array[array >= n_samples]
    if too_large.size:
        raise InvalidIndicesError(
            f"{name} must be smaller than the number of documents ({n_samples}), got {_preview(too_large)}"
        )
    if np.all(array[1:] > array[:-1]):  # strictly increasing, the common case: unique without sorting
        return array
    unique, counts = np.unique(array, return_counts=True)
    if unique.size != array.size:
        raise InvalidIndicesError(f"{name} must be unique, got duplicates {_preview(unique[counts > 1])}")
    return array


def check_index(index: Any, n_samples: int, *, name: str = "index") -> int:
    """Return a single position as an int after checking its type and range."""
    if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
        raise InvalidIndicesError(f"{name} must be an int, got {index!r} ({type(index).__name__})")
    if not 0 <= index < n_samples:
        raise InvalidIndicesError(f"{name} must be in [0, {n_samples}), got {index!r}")
    return int(index)


def check_finite_features(x: Any, *, name: str = "x") -> None:
    """Raise :class:`NonFiniteFeaturesError` if a dense or sparse numeric matrix holds NaN or infinity."""
    values = x.data if sp.issparse(x) else as_array(x, name=name)
    if values.dtype.kind not in "iuf":  # complex values and time deltas are not features scikit-learn can use
        raise InvalidArgumentError(f"{name} must hold numbers, got dtype {values.dtype}")
    if np.issubdtype(values.dtype, np.integer):
        return
    finite = np.isfinite(values)
    if not finite.all():
        if sp.issparse(x):
            coo = x.tocoo()
            bad = np.flatnonzero(~np.isfinite(coo.data))
            rows = coo.row[bad]
        else:
            rows = np.unique(np.nonzero(~finite.reshape(finite.shape[0], -1))[0])
        raise NonFiniteFeaturesError(
            f"{name} must hold only finite values, got NaN or infinity in rows {_preview(np.unique(rows))}"
        )


def check_positive_int(value: Any, *, name: str, minimum: int = 1) -> int:
    """Return ``value`` as an int after checking that it is an integer >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise InvalidArgumentError(f"{name} must be an int >= {minimum}, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise InvalidArgumentError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def check_optional_positive_int(value: Any, *, name: str, minimum: int = 1) -> int | None:
    """Return ``None`` for ``None``, else ``value`` checked as by :func:`check_positive_int`."""
    return None if value is None else check_positive_int(value, name=name, minimum=minimum)


def check_positive_float(value: Any, *, name: str, minimum: float = 0.0, allow_equal: bool = False) -> float:
    """Return ``value`` as a float after checking that it is a finite real number above ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidArgumentError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    above = value >= minimum if allow_equal else value > minimum
    if not (math.isfinite(value) and above):
        relation = ">=" if allow_equal else ">"
        raise InvalidArgumentError(f"{name} must be a finite number {relation} {minimum:g}, got {value!r}")
    return value
