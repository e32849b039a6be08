"""Initialization strategies: choosing the first documents to label, before any model exists.

:func:`random_initialization` needs nothing but the pool size. :func:`stratified_initialization` and
:func:`balanced_initialization` need the true labels, so they serve simulations and experiments (or a pool whose
labels are partly known); multi-label data is handled by treating each distinct label set as one class.

Cold start, with no label at all: :func:`diverse_initialization` picks representative, diverse documents from
sentence embeddings (TypiClust's typical points or k-means centres), and :func:`zero_shot_initialization` picks,
for each class in turn, the documents closest to an embedding of the class's name or description, so that the
first batch covers every class.
"""

from __future__ import annotations

import enum
from typing import Any

import numpy as np

from activetext.data.datasets import Dataset
from activetext.data.labels import LABEL_UNLABELED, check_multi_labels, check_single_labels, is_multi_label
from activetext.exceptions import InvalidArgumentError
from activetext.utils.random import Seed, make_rng
from activetext.utils.validation import as_array, check_positive_int

__all__ = [
    "ColdStart",
    "balanced_initialization",
    "diverse_initialization",
    "random_initialization",
    "random_initialization_balanced",
    "random_initialization_stratified",
    "stratified_initialization",
    "zero_shot_initialization",
]


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


random_initialization_stratified = stratified_initialization
"""small-text's name for :func:`stratified_initialization` (``y, n_samples`` have the same meaning)."""

random_initialization_balanced = balanced_initialization
"""small-text's name for :func:`balanced_initialization` (``y, n_samples`` have the same meaning)."""


class ColdStart(str, enum.Enum):
    """How :func:`diverse_initialization` chooses documents."""

    TYPICLUST = "typiclust"
    """The most typical document of each of ``n`` clusters (Hacohen et al., 2022): dense, representative points."""
    KMEANS = "kmeans"
    """The document nearest to each of ``n`` k-means centres."""


def diverse_initialization(
    embeddings: Any, n_samples: int = 10, method: ColdStart | str = ColdStart.TYPICLUST, seed: Seed = None
) -> np.ndarray:
    """Choose ``n_samples`` representative, diverse documents from their embeddings, with no labels.

    Parameters
    ----------
    embeddings : array-like of shape (n_documents, dim)
        One vector per pool document (for example from
        :class:`~activetext.encoders.SentenceTransformerEncoder`).
    n_samples : int
        How many documents to choose.
    method : ColdStart or str
        ``"typiclust"`` (default) or ``"kmeans"``.
    seed : None, int or numpy.random.Generator
        Seeds the clustering.

    Returns
    -------
    numpy.ndarray of int64
        Sorted indices.

    Examples
    --------
    >>> centres = np.repeat(np.eye(3) * 10, 20, axis=0)
    >>> points = centres + np.random.default_rng(0).normal(size=(60, 3))
    >>> picked = diverse_initialization(points, 3, method="kmeans", seed=0)
    >>> sorted((picked // 20).tolist())  # one document of each of the three groups
    [0, 1, 2]
    """
    from activetext.data.datasets import SklearnDataset
    from activetext.query_strategies import EmbeddingKMeans, PrecomputedEmbeddings, TypiClust

    vectors = _check_embeddings(embeddings, name="embeddings")
    try:
        method = ColdStart(method)
    except ValueError as error:
        choices = [member.value for member in ColdStart]
        raise InvalidArgumentError(f"method must be one of {choices}, got {method!r}") from error
    n_samples = _check_n_samples(n_samples, vectors.shape[0])
    strategy_class = TypiClust if method is ColdStart.TYPICLUST else EmbeddingKMeans
    strategy = strategy_class(PrecomputedEmbeddings(vectors), seed=make_rng(seed))
    pool = SklearnDataset(np.zeros((vectors.shape[0], 1)), target_labels=np.arange(1))
    everything = np.arange(vectors.shape[0])
    unlabeled = np.full(vectors.shape[0], LABEL_UNLABELED)
    picked = strategy.query(None, pool, everything, np.empty(0, dtype=np.int64), unlabeled, n_samples)
    return np.sort(picked).astype(np.int64)


def zero_shot_initialization(
    embeddings: Any, label_embeddings: Any, n_samples: int = 10, seed: Seed = None
) -> np.ndarray:
    """Choose documents close to each class's name or description, class after class, with no labels.

    Each document is matched to the class whose embedding is most similar (cosine); then, in turns over the
    classes (in random order each turn), every class takes its best-matching document not taken yet. When no
    document is matched to a class, it takes the document most similar to it among those left. With
    ``n_samples >= number of classes`` the batch thus holds a candidate for every class.

    Parameters
    ----------
    embeddings : array-like of shape (n_documents, dim)
        One vector per pool document.
    label_embeddings : array-like of shape (num_classes, dim)
        One vector per class, from the same encoder: of the class's name, or better of a short description
        (``"a question about a card payment that was declined"``).
    n_samples : int
        How many documents to choose.
    seed : None, int or numpy.random.Generator
        Orders the classes within each turn.

    Returns
    -------
    numpy.ndarray of int64
        Sorted indices.

    Examples
    --------
    >>> docs = np.array([[1.0, 0.1], [0.9, 0.0], [0.1, 1.0], [0.0, 0.8]])
    >>> labels = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> zero_shot_initialization(docs, labels, 2, seed=0).tolist()  # the best match (cosine) of each class
    [1, 3]
    """
    from activetext.query_strategies.embeddings import unit_rows

    vectors = unit_rows(_check_embeddings(embeddings, name="embeddings"))
    label_vectors = unit_rows(_check_embeddings(label_embeddings, name="label_embeddings"))
    if label_vectors.shape[1] != vectors.shape[1]:
        raise InvalidArgumentError(
            f"label_embeddings must have the dimension of embeddings ({vectors.shape[1]}), got {label_vectors.shape[1]}"
        )
    n_samples = _check_n_samples(n_samples, vectors.shape[0])
    rng = make_rng(seed)
    similarity = vectors @ label_vectors.T  # (documents, classes)
    matched = similarity.argmax(axis=1)
    rankings = [np.argsort(-similarity[:, c], kind="stable") for c in range(label_vectors.shape[0])]
    taken = np.zeros(vectors.shape[0], dtype=bool)
    picked: list[int] = []
    while len(picked) < n_samples:
        for c in rng.permutation(label_vectors.shape[0]):
            ranking = rankings[c]
            free = ranking[~taken[ranking]]
            own = free[matched[free] == c]
            choice = int(own[0]) if own.size else int(free[0])
            taken[choice] = True
            picked.append(choice)
            if len(picked) == n_samples:
                break
    return np.sort(np.asarray(picked, dtype=np.int64))


def _check_embeddings(embeddings: Any, *, name: str) -> np.ndarray:
    vectors = as_array(embeddings, name=name)
    if vectors.dtype.kind in "cmM":  # complex numbers and times are refused, not cast to real numbers
        raise InvalidArgumentError(f"{name} must hold real numbers, got an array of dtype {vectors.dtype}")
    vectors = as_array(vectors, name=name, dtype=np.float64)
    if vectors.ndim != 2 or vectors.shape[0] == 0 or vectors.shape[1] == 0:
        raise InvalidArgumentError(
            f"{name} must be a non-empty 2-d array (one row per item), got shape {vectors.shape}"
        )
    if not np.all(np.isfinite(vectors)):
        raise InvalidArgumentError(f"{name} must hold finite numbers, got NaN or infinite values")
    return vectors


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
