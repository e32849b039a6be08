"""Pairs of labeled documents of different classes that sit near the decision boundary between their classes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from activetext.classifiers.base import Classifier
from activetext.exceptions import InvalidArgumentError, LabelShapeError, SynthesisError
from activetext.utils.validation import check_positive_int

__all__ = ["boundary_pairs", "boundary_documents", "pair_closeness"]


def pair_closeness(proba: np.ndarray, labels: np.ndarray, first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Return ``p(y_j | x_i) + p(y_i | x_j)`` for each pair ``(i, j) = (first[k], second[k])``.

    The value is 0 for two documents that the classifier puts confidently in their own classes, about 1 for two
    documents that both sit on the boundary between their two classes, and up to 2 for two documents that each
    look like the other's class.

    Parameters
    ----------
    proba : numpy.ndarray of shape (n, C)
        The classifier's probabilities for the labeled documents.
    labels : numpy.ndarray of shape (n,)
        Their labels.
    first, second : numpy.ndarray of int
        Positions of the two members of each pair.

    Returns
    -------
    numpy.ndarray of float64
    """
    return proba[first, labels[second]] + proba[second, labels[first]]


def boundary_pairs(
    proba: np.ndarray,
    labels: np.ndarray,
    n_pairs: int,
    max_anchors: int = 200,
    spread_class_pairs: bool = True,
) -> np.ndarray:
    """Return the pairs of labeled documents of different classes that sit closest to the decision boundary.

    The ``max_anchors`` documents the classifier fits worst (lowest probability of their own label) are the
    anchors; every anchor is paired with each document of another class and the pairs are ranked by
    :func:`pair_closeness` (highest first, ties in order of position). With ``spread_class_pairs`` the ranking
    takes the best pair of every pair of classes first, then the second best of each, and so on, so that with
    more than two classes every boundary gets pairs, not only the most confused one. The best ``n_pairs``
    distinct pairs are kept. Memory is ``max_anchors * n``, never ``n * n``.

    Parameters
    ----------
    proba : numpy.ndarray of shape (n, C)
        The classifier's probabilities for the labeled documents.
    labels : array-like of int, shape (n,)
        Their labels, class indices in ``[0, C)``.
    n_pairs : int
        The largest number of pairs returned.
    max_anchors : int
        How many of the worst-fitted documents are paired with the others.
    spread_class_pairs : bool
        Whether to take pairs of every pair of classes in turn (no effect with two classes).

    Returns
    -------
    numpy.ndarray of int64, shape (k, 2)
        Positions ``(i, j)`` with ``labels[i] != labels[j]`` and ``i < j``, most ambiguous pair first;
        ``k <= n_pairs``, and ``k == 0`` when every document has the same label.

    Examples
    --------
    >>> proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.45, 0.55], [0.05, 0.95]])
    >>> boundary_pairs(proba, np.array([0, 0, 1, 1]), n_pairs=2).tolist()
    [[1, 2], [0, 2]]
    """
    proba = np.asarray(proba, dtype=np.float64)
    labels = np.asarray(labels)
    n_pairs = check_positive_int(n_pairs, name="n_pairs")
    max_anchors = check_positive_int(max_anchors, name="max_anchors")
    if proba.ndim != 2:
        raise InvalidArgumentError(f"proba must be a 2-D array (n, num_classes), got shape {proba.shape}")
    if labels.shape != (proba.shape[0],):
        raise LabelShapeError(f"labels must have one entry per row of proba ({proba.shape[0]}), got {labels.shape}")
    labels = labels.astype(np.int64)
    num_classes = proba.shape[1]
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise InvalidArgumentError(
            f"labels must be class indices in [0, {num_classes}), got {np.unique(labels)[:8].tolist()}"
        )
    n = labels.size
    if n < 2 or np.unique(labels).size < 2:
        return np.empty((0, 2), dtype=np.int64)
    own = proba[np.arange(n), labels]
    anchors = np.argsort(own, kind="stable")[: min(max_anchors, n)]
    # closeness of every (anchor, document) pair of different classes: at most max_anchors x n entries
    rows, columns = np.nonzero(labels[anchors][:, None] != labels[None, :])
    first, second = anchors[rows], columns
    closeness = pair_closeness(proba, labels, first, second)
    order = np.argsort(-closeness, kind="stable")
    if spread_class_pairs:
        low, high = np.minimum(labels[first], labels[second]), np.maximum(labels[first], labels[second])
        group = (low * num_classes + high)[order]
        by_group = np.argsort(group, kind="stable")  # within a group still in order of closeness
        starts = np.searchsorted(group[by_group], group[by_group])
        rank = np.empty(order.size, dtype=np.int64)
        rank[by_group] = np.arange(order.size) - starts
        order = order[np.lexsort((np.arange(order.size), rank))]
    pairs: list[tuple[int, int]] = []
    seen: set[tuple[int, int]] = set()
    for position in order:
        pair = (int(min(first[position], second[position])), int(max(first[position], second[position])))
        if pair in seen:
            continue
        seen.add(pair)
        pairs.append(pair)
        if len(pairs) == n_pairs:
            break
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def boundary_documents(
    texts: Sequence[str],
    labels: np.ndarray,
    classifier: Classifier,
    n_pairs: int,
    max_anchors: int = 200,
    *,
    unlabeled: Sequence[str] = (),
    max_unlabeled: int = 200,
    rng: np.random.Generator | None = None,
    generator: Any = None,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Return the documents to recombine or rewrite, their classes, and their :func:`boundary_pairs`.

    The documents are the non-empty labeled texts, followed by up to ``max_unlabeled`` non-empty texts drawn at
    random from ``unlabeled``, whose class is the one the classifier predicts.

    Parameters
    ----------
    texts : sequence of str
        The labeled documents.
    labels : numpy.ndarray of int
        Their labels.
    classifier : Classifier
        The current classifier.
    n_pairs, max_anchors : int
        As for :func:`boundary_pairs`.
    unlabeled : sequence of str
        Unlabeled texts that may also be paired (with their predicted class).
    max_unlabeled : int
        How many unlabeled texts are drawn per call.
    rng : numpy.random.Generator, optional
        Draws the unlabeled texts; required when ``unlabeled`` is not empty.
    generator : object, optional
        The generator asking, named in the error message.

    Returns
    -------
    documents : list of str
    classes : numpy.ndarray of int64
        The label (labeled texts) or predicted class (unlabeled texts) of each document.
    pairs : numpy.ndarray of int64, shape (k, 2)
        Positions into ``documents``; ``k >= 1``.

    Raises
    ------
    SynthesisError
        If the non-empty labeled texts do not cover at least two classes.
    """
    labels = np.asarray(labels, dtype=np.int64)
    positions = np.flatnonzero([bool(text.strip()) for text in texts])
    classes = np.unique(labels[positions])
    if classes.size < 2:
        raise SynthesisError(
            f"{generator!r} needs non-empty labeled documents of at least two classes to pair across the decision "
            f"boundary, got classes {classes.tolist()}",
            generator=repr(generator),
        )
    documents = [texts[i] for i in positions]
    document_classes = labels[positions]
    extra = [text for text in unlabeled if text.strip()]
    if extra:
        if rng is None:
            raise InvalidArgumentError("rng is required to draw unlabeled texts, got None")
        chosen = np.sort(rng.choice(len(extra), size=min(max_unlabeled, len(extra)), replace=False))
        documents += [extra[i] for i in chosen]
    proba = np.asarray(classifier.predict_proba(documents), dtype=np.float64)
    document_classes = np.concatenate([document_classes, np.argmax(proba[len(positions) :], axis=1)])
    return documents, document_classes, boundary_pairs(proba, document_classes, n_pairs, max_anchors)
