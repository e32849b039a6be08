"""Walking large index arrays in chunks of bounded size."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from activetext.utils.validation import check_positive_int

DEFAULT_CHUNK_SIZE = 32768
"""Rows scored at a time by strategies and classifiers unless told otherwise."""


def iter_chunks(indices: np.ndarray, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[np.ndarray]:
    """Yield consecutive slices of ``indices`` with at most ``chunk_size`` elements each.

    Parameters
    ----------
    indices : numpy.ndarray
        A one-dimensional array (slices are views, nothing is copied).
    chunk_size : int
        The largest number of elements per chunk (>= 1).

    Yields
    ------
    numpy.ndarray
    """
    chunk_size = check_positive_int(chunk_size, name="chunk_size")
    for start in range(0, len(indices), chunk_size):
        yield indices[start : start + chunk_size]
