"""How useful a document's label would be, from the model's probabilities: a number in [0, 1] per document.

Stream-based learners hand these utilities to a budget manager (:mod:`activetext.active_learner.budget`), which
turns them into label requests. Each measure is scaled so that 0 means a certain model and 1 the most uncertain
one, whatever the number of classes:

* ``"least-confidence"``: ``(1 - max p) * C / (C - 1)``;
* ``"margin"``: ``1 - (p_first - p_second)`` (breaking ties);
* ``"entropy"``: the entropy of ``p`` divided by ``log C``.

For multi-label probabilities (each label's own probability), every measure is the mean over labels of the binary
uncertainty ``1 - |2p - 1|``. Any callable ``f(proba, multi_label) -> array of float in [0, 1]`` can be used too.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from activetext.exceptions import InvalidArgumentError

__all__ = ["UTILITIES", "Utility", "resolve_utility"]

Utility = Callable[[np.ndarray, bool], np.ndarray]
"""``f(proba, multi_label)``: one utility in [0, 1] per row of ``proba``."""


def _binary_uncertainty(proba: np.ndarray) -> np.ndarray:
    return 1.0 - np.abs(2.0 * proba - 1.0).mean(axis=1)


def least_confidence(proba: np.ndarray, multi_label: bool) -> np.ndarray:
    """``(1 - max p) * C / (C - 1)``: 0 when one class has all the probability, 1 when all are equal."""
    if multi_label:
        return _binary_uncertainty(proba)
    num_classes = proba.shape[1]
    if num_classes < 2:
        return np.zeros(proba.shape[0])
    return np.clip((1.0 - proba.max(axis=1)) * num_classes / (num_classes - 1), 0.0, 1.0)  # (rounding)


def margin(proba: np.ndarray, multi_label: bool) -> np.ndarray:
    """``1 - (p_first - p_second)``: 1 when the two likeliest classes tie."""
    if multi_label:
        return _binary_uncertainty(proba)
    if proba.shape[1] < 2:
        return np.zeros(proba.shape[0])
    top_two = np.sort(proba, axis=1)[:, -2:]
    return 1.0 - (top_two[:, 1] - top_two[:, 0])


def entropy(proba: np.ndarray, multi_label: bool) -> np.ndarray:
    """The entropy of ``p`` over ``log C``: 1 for the uniform distribution."""
    if multi_label:
        return _binary_uncertainty(proba)
    num_classes = proba.shape[1]
    if num_classes < 2:
        return np.zeros(proba.shape[0])
    clipped = np.clip(proba, 1e-12, 1.0)
    # near the uniform distribution, rounding makes the ratio exceed 1 by a few ulps: clip to the documented range
    return np.clip(-(proba * np.log(clipped)).sum(axis=1) / np.log(num_classes), 0.0, 1.0)


UTILITIES: dict[str, Utility] = {"least-confidence": least_confidence, "margin": margin, "entropy": entropy}
"""The built-in utilities by name."""


def resolve_utility(utility: str | Utility) -> Utility:
    """Return the utility function for a name of :data:`UTILITIES` or a callable.

    Raises
    ------
    InvalidArgumentError
        If ``utility`` is neither a known name nor callable.
    """
    if callable(utility):
        return utility
    if isinstance(utility, str) and utility in UTILITIES:
        return UTILITIES[utility]
    raise InvalidArgumentError(
        f"utility must be one of {sorted(UTILITIES)} or a callable f(proba, multi_label), got {utility!r}"
    )
