"""Summaries of learning curves."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from activetext.exceptions import InvalidArgumentError


def normalized_area_under_curve(labels: Sequence[float], scores: Sequence[float]) -> float:
    """Return the area under a learning curve divided by the width of its label range.

    The trapezoid rule is used, so the result is the curve's mean score over the labels axis and lies in the
    range of the scores (for accuracy, between 0 and 1). A curve of one point returns that point's score.

    Parameters
    ----------
    labels : sequence of float
        The number of labels at each point, strictly increasing.
    scores : sequence of float
        The score at each point.

    Returns
    -------
    float

    Examples
    --------
    >>> normalized_area_under_curve([20, 40, 60], [0.5, 0.7, 0.9])
    0.7
    """
    x = np.asarray(labels, dtype=np.float64)
    y = np.asarray(scores, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or x.size == 0:
        raise InvalidArgumentError(
            f"labels and scores must be non-empty and of equal length, got {x.shape} and {y.shape}"
        )
    if x.size == 1:
        return float(y[0])
    if np.any(np.diff(x) <= 0):
        raise InvalidArgumentError(f"labels must be strictly increasing, got {x[:8].tolist()}")
    area = np.sum((y[1:] + y[:-1]) / 2.0 * np.diff(x))
    return float(area / (x[-1] - x[0]))
