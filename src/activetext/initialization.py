"""Initialization strategies: choosing the first documents to label, before any model exists.

:func:`random_initialization` needs nothing but the pool size. :func:`stratified_initialization` and
:func:`balanced_initialization` need the true labels, so they serve simulations and experiments (or a pool whose
labels are partly known); multi-label data is handled by treating each distinct label set as one class.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from activetext.data.datasets import Dataset
from activetext.data.labels import LABEL_UNLABELED, check_multi_labels, check_single_labels, is_multi_label
from activetext.exceptions import InvalidArgumentError
from activetext.utils.random import Seed, make_rng
from activetext.utils.validation import check_positive_int

__all__ = ["balanced_initialization", "random_initialization", "stratified_initialization"]


def random_initialization(pool: int | Dataset, n_samples: int = 10, seed: Seed = None) -> np.ndarray:
    """Draw ``n_samples`` documents uniformly without replacement.

    Parameters
    ----------
    pool : int or Dataset
        The pool size, or the pool itself.
    n_samples : int
        How many documents to draw.
    seed : None, int or numpy.random.Generator
        Source of the draw.

    Returns
    -------
    numpy.ndarray of int64
        Sorted indices.
    """
    size = len(pool) if isinstance(pool, Dataset) else check_positive_int(pool, name="pool", minimum=0)
    n_samples = _check_n_samples(n_samples, size)
    return np.sort(make_rng(seed).choice(size, n_samples, replace=False)).astype(np.int64)


def stratified_initialization(y: Any, n_samples: int = 10, seed: Seed = None) -> np.ndarray:
    """Draw ``n_samples`` documents so that each class keeps its share of the pool.

    Shares are rounded by the largest-remainder method (ties broken at random); unlabeled entries (``-1`` or empty
    rows) are never drawn.

    Parameters
    ----------
    y : array-like of int or indicator matrix
        The labels of the whole pool.
    n_samples : int
        How many documents to draw.
    seed : None, int or numpy.random.Generator
        Source of the draw.

    Returns
    -------
    numpy.ndarray of int64
        Sorted indices.

    Examples
    --------
    >>> y = [0] * 8 + [1] * 2
    >>> picked = stratified_initialization(y, 5, seed=0)
    >>> np.bincount(np.asarray(y)[picked]).tolist()
    [4, 1]
    """
    rng = make_rng(seed)
    groups = _groups(y)
    counts = np.bincount(groups[groups >= 0])
    n_samples = _check_n_samples(n_samples, int(counts.sum()))
    quotas = n_samples * counts / counts.sum()
    allocation = np.floor(quotas).astype(np.int64)
    shortfall = n_samples - int(allocation.sum())
    order = np.lexsort((rng.random(counts.size), -(quotas - allocation)))
    allocation[order[:shortfall]] += 1
    return _draw(groups, allocation, rng)


def balanced_initialization(y: Any, n_samples: int = 10, seed: Seed = None) -> np.ndarray:
    """Draw ``n_samples`` documents with (as nearly as possible) the same number from every class.

    A class with too few documents gives all it has and the rest is shared among the others; when the classes
    cannot be split evenly, the classes that get one more are chosen at random.

    Parameters
    ----------
    y : array-like of int or indicator matrix
        The labels of the whole pool.
    n_samples : int
        How many documents to draw.
    seed : None, int or numpy.random.Generator
        Source of the draw.

    Returns
    -------
    numpy.ndarray of int64
        Sorted indices.

    Examples
    --------
    >>> y = [0] * 8 + [1] * 2
    >>> picked = balanced_initialization(y, 6, seed=0)
    >>> np.bincount(np.asarray(y)[picked]).tolist()
    [4, 2]
    """
    rng = make_rng(seed)
    groups = _groups(y)
    counts = np.bincount(groups[groups >= 0])
    n_samples = _check_n_samples(n_samples, int(counts.sum()))
    allocation = np.zeros_like(counts)
    remaining = n_samples
    while remaining:
        open_classes = np.flatnonzero(allocation < counts)
        share = remaining // open_classes.size
        if share == 0:
            allocation[rng.choice(open_classes, remaining, replace=False)] += 1
            break
        grant = np.minimum(share, counts[open_classes] - allocation[open_classes])
        allocation[open_classes] += grant
        remaining -= int(grant.sum())
    return _draw(groups, allocation, rng)


def _groups(y: Any) -> np.ndarray:
    """Map every document to a class (single-label) or label-set id (multi-label); -1 where unlabeled."""
    if is_multi_label(y):
        indicator = check_multi_labels(y, None).toarray()
        label_sets, groups = np.unique(indicator, axis=0, return_inverse=True)
        groups = groups.ravel().astype(np.int64)
        empty = np.flatnonzero(~label_sets.any(axis=1))
        if empty.size:  # the empty label set means unlabeled; renumber the others to stay contiguous
            groups = np.where(groups == empty[0], LABEL_UNLABELED, groups - (groups > empty[0]))
        return groups
    labels = check_single_labels(y, None)
    if labels.size == 0 or labels.max() < 0:
        raise InvalidArgumentError("y must hold at least one labeled document, got none")
    return labels


def _draw(groups: np.ndarray, allocation: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    picked = [
        rng.choice(np.flatnonzero(groups == group), count, replace=False)
        for group, count in enumerate(allocation.tolist())
        if count
    ]
    return np.sort(np.concatenate(picked)).astype(np.int64)


def _check_n_samples(n_samples: Any, available: int) -> int:
    n_samples = check_positive_int(n_samples, name="n_samples")
    if n_samples > available:
        raise InvalidArgumentError(f"n_samples must be at most the {available} documents available, got {n_samples}")
    return n_samples
