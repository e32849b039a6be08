"""Streaming top-k selection: the ``k`` best of a pool seen one chunk at a time, in memory that grows with ``k``.

Chunks can be scored in any order and on any machine: ties are broken by a key that depends only on the document's
index and a seed (:func:`tiebreak_keys`), never on the order chunks arrive in, so merging per-chunk top-k lists
(:func:`merge_top_k`, :class:`StreamingTopK`) gives exactly the top-k of the whole pool.
"""

from __future__ import annotations

import numpy as np

from activetext.exceptions import InvalidArgumentError
from activetext.utils.validation import check_positive_int

__all__ = ["StreamingTopK", "chunk_top_k", "merge_top_k", "tiebreak_keys"]

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def tiebreak_keys(indices: np.ndarray, seed: int) -> np.ndarray:
    """Pseudo-random uint64 keys, one per document index, that depend only on the index and ``seed``.

    The keys are the SplitMix64 finalizer of ``index + golden * (seed + 1)``, a bijection of 64-bit integers, so
    distinct indices get distinct keys and no two documents ever tie on the key.

    Parameters
    ----------
    indices : numpy.ndarray of int
        Document indices (``>= 0``).
    seed : int
        Chooses the permutation (``>= 0``).

    Returns
    -------
    numpy.ndarray of uint64, same shape as ``indices``
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise InvalidArgumentError(f"seed must be a non-negative int, got {seed!r}")
    with np.errstate(over="ignore"):
        z = np.asarray(indices, dtype=np.int64).astype(np.uint64)
        z = z + np.uint64(0x9E3779B97F4A7C15) * np.uint64((int(seed) + 1) & 0xFFFFFFFFFFFFFFFF)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return (z ^ (z >> np.uint64(31))) & _MASK64


def _order(scores: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Positions sorted best first: highest score, then smallest key (NaN scores rank last)."""
    clean = np.where(np.isnan(scores), -np.inf, scores)
    return np.lexsort((keys, -clean))


def chunk_top_k(indices: np.ndarray, scores: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best documents of one chunk, best first.

    Parameters
    ----------
    indices : numpy.ndarray of int, shape (m,)
        The documents' indices in the pool.
    scores : numpy.ndarray of float, shape (m,)
        Their scores, higher is better; NaN ranks below every number.
    k : int
        How many to keep (fewer when the chunk is smaller).
    seed : int
        Seed of the tie-breaking keys (:func:`tiebreak_keys`).

    Returns
    -------
    indices : numpy.ndarray of int64, shape (min(k, m),)
    scores : numpy.ndarray of float64, shape (min(k, m),)
    """
    indices = np.asarray(indices, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    if indices.shape != scores.shape or indices.ndim != 1:
        raise InvalidArgumentError(
            f"indices and scores must be 1-D arrays of the same length, got shapes {indices.shape} and {scores.shape}"
        )
    k = check_positive_int(k, name="k")
    if indices.size > k:
        clean = np.where(np.isnan(scores), -np.inf, scores)
        threshold = np.partition(clean, indices.size - k)[indices.size - k]
        keep = np.flatnonzero(clean >= threshold)  # everything that can make the cut, ties at the threshold included
        indices, scores = indices[keep], scores[keep]
    order = _order(scores, tiebreak_keys(indices, seed))[:k]
    return indices[order], scores[order]


def merge_top_k(parts: list[tuple[np.ndarray, np.ndarray]], k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge per-chunk top-k lists (from :func:`chunk_top_k` with the same ``seed``) into the overall top-k."""
    if not parts:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
    indices = np.concatenate([np.asarray(part[0], dtype=np.int64) for part in parts])
    scores = np.concatenate([np.asarray(part[1], dtype=np.float64) for part in parts])
    return chunk_top_k(indices, scores, k, seed) if indices.size else (indices, scores)


class StreamingTopK:
    """Keeps the ``k`` best documents seen so far while chunks of scores arrive, in ``O(k + chunk)`` memory.

    The result does not depend on how the pool was cut into chunks nor on the order they arrive in: it is always
    the top ``k`` of everything pushed, by score and then by :func:`tiebreak_keys` of ``seed``.

    Parameters
    ----------
    k : int
        How many documents to keep.
    seed : int
        Seed of the tie-breaking keys.

    Examples
    --------
    >>> top = StreamingTopK(2, seed=0)
    >>> top.push(np.array([0, 1, 2]), np.array([0.1, 0.9, 0.5]))
    >>> top.push(np.array([7, 8]), np.array([0.7, 0.2]))
    >>> top.result()[0].tolist()
    [1, 7]
    """

    def __init__(self, k: int, seed: int = 0):
        self.k = check_positive_int(k, name="k")
        tiebreak_keys(np.empty(0, dtype=np.int64), seed)  # checks the seed
        self.seed = int(seed)
        self._indices = np.empty(0, dtype=np.int64)
        self._scores = np.empty(0, dtype=np.float64)
        self.seen = 0

    def push(self, indices: np.ndarray, scores: np.ndarray) -> None:
        """Add a chunk (or another chunk's top-k list) of documents and their scores."""
        indices = np.asarray(indices, dtype=np.int64)
        if indices.size == 0:
            return
        chunk = chunk_top_k(indices, scores, self.k, self.seed)
        self._indices, self._scores = merge_top_k([(self._indices, self._scores), chunk], self.k, self.seed)
        self.seen += int(indices.size)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """The kept documents and their scores, best first (at most ``k``)."""
        return self._indices.copy(), self._scores.copy()

    def __len__(self) -> int:
        return int(self._indices.size)
