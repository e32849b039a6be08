"""Budget managers for stream-based selective sampling: label this document or let it pass?

In a stream, documents arrive one by one and each must be decided on at once, under a labeling budget: the
share of documents that may be labeled. A budget manager turns each document's *utility* (how useful its label
would be, in [0, 1]; for example the model's uncertainty ``1 - max probability``) into a yes or no, keeping the
spending at the budget. Two rules cap the spending: the labels so far never exceed ``budget`` times the documents
so far (so the budget used never exceeds the budget set), and the labels among the most recent ``window``
decisions never exceed ``budget`` times ``window`` (so a quiet stretch is not followed by a burst). Memory stays
bounded however long the stream is.

* :class:`FixedFraction` labels the documents whose utility is in the top ``budget`` share of the recent ones.
* :class:`VariableUncertainty` (Zliobaite et al., 2014) labels a document when the model's confidence is below a
  threshold that falls after each label and rises after each pass, so it adapts to the model's confidence level.
* :class:`Split` (Zliobaite et al., 2014) spends part of its decisions on random labeling, which keeps finding
  the places where a confident model is wrong, and the rest as :class:`VariableUncertainty`.
* :class:`DensityAware` (Ienco et al., 2014) asks only about documents in dense regions of the recent stream
  (documents that would be the nearest neighbour of some recent document), where a label teaches the model about
  many documents, and lets :class:`VariableUncertainty` decide among those. It needs each document's features.

References: I. Zliobaite, A. Bifet, B. Pfahringer and G. Holmes, "Active learning with drifting streaming data",
IEEE Transactions on Neural Networks and Learning Systems 25(1), 2014. D. Ienco, I. Zliobaite and B. Pfahringer,
"High density-focused uncertainty sampling for active learning over evolving stream data", BigMine 2014.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.spatial.distance import cdist

from activetext.exceptions import InvalidArgumentError, LabelCountMismatchError
from activetext.utils.random import Seed, make_rng
from activetext.utils.validation import check_positive_int

__all__ = ["BudgetManager", "DensityAware", "FixedFraction", "Split", "VariableUncertainty"]


def check_budget(budget: Any) -> float:
    """Return ``budget`` as a float after checking it lies in (0, 1]."""
    if isinstance(budget, bool) or not isinstance(budget, (int, float, np.floating)) or not 0 < budget <= 1:
        raise InvalidArgumentError(f"budget must be a share of documents in (0, 1], got {budget!r}")
    return float(budget)


def _check_fraction(value: Any, *, name: str, low_open: bool = False) -> float:
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
    if not ok or not (0 < value < 1 if low_open else 0 <= value <= 1):
        interval = "(0, 1)" if low_open else "[0, 1]"
        raise InvalidArgumentError(f"{name} must be a number in {interval}, got {value!r}")
    return float(value)


class BudgetManager(ABC):
    """Decides, document by document, whether to ask for a label, spending at most ``budget`` of the documents.

    Parameters
    ----------
    budget : float
        The share of documents that may be labeled, in (0, 1].
    window : int
        Spending is the number of labels among the last ``window`` decisions, divided by ``window``; a label is
        allowed while it is below ``budget``, and while the labels so far, this one included, are at most
        ``budget`` times the documents so far, this one included.
    """

    requires_features: bool = False
    """Whether :meth:`decide` needs the documents' features (``features=``) besides their utilities."""

    def __init__(self, budget: float, window: int = 1000):
        self.budget = check_budget(budget)
        self.window = check_positive_int(window, name="window")
        self._recent: deque[bool] = deque(maxlen=self.window)
        self.n_seen = 0
        self.n_queried = 0

    @property
    def spending(self) -> float:
        """Labels among the last ``window`` decisions, divided by ``window`` (Zliobaite et al.'s estimate)."""
        return sum(self._recent) / self.window

    def decide(self, utilities: Any, features: Any = None) -> np.ndarray:
        """Decide, in order, for each document of a batch whether to ask for its label.

        Parameters
        ----------
        utilities : array-like of float in [0, 1]
            One utility per document, in stream order (higher: the label is worth more).
        features : numpy.ndarray or scipy.sparse matrix, optional
            One row per document; needed by managers with ``requires_features`` (ignored by the others).

        Returns
        -------
        numpy.ndarray of bool
            True where the document's label should be asked for.

        Raises
        ------
        InvalidArgumentError
            If ``utilities`` is not a one-dimensional array of numbers in [0, 1], or ``features`` are missing or
            malformed where needed; the manager is then unchanged.
        """
        values = np.asarray(utilities, dtype=np.float64) if _is_numeric(utilities) else None
        if values is None or values.ndim != 1 or not np.all(np.isfinite(values)) or np.any((values < 0) | (values > 1)):
            raise InvalidArgumentError(
                f"utilities must be a one-dimensional array of numbers in [0, 1], got {_preview(utilities)}"
            )
        rows = self._check_features(features, values.size)
        decisions = np.zeros(values.size, dtype=bool)
        for i, utility in enumerate(values.tolist()):
            within = self.budget >= 1.0 or (
                self.spending < self.budget and self.n_queried + 1 <= self.budget * (self.n_seen + 1) + 1e-9
            )
            decisions[i] = self._decide_one(utility, within, None if rows is None else rows[i])
            self._recent.append(bool(decisions[i]))
            self.n_seen += 1
            self.n_queried += int(decisions[i])
        return decisions

    def _check_features(self, features: Any, n_documents: int) -> Any:
        """Return the rows :meth:`_decide_one` receives (None for managers that do not read features)."""
        return None

    @abstractmethod
    def _decide_one(self, utility: float, within_budget: bool, row: Any) -> bool:
        """Decide for one document (``row``: its features, or None) and update the manager's own state."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(budget={self.budget}, window={self.window})"


def _is_numeric(values: Any) -> bool:
    try:
        return np.asarray(values).dtype.kind in "iuf"
    except (TypeError, ValueError):
        return False


def _preview(values: Any) -> str:
    text = repr(values)
    return text if len(text) <= 80 else text[:77] + "..."


class FixedFraction(BudgetManager):
    """Label the documents whose utility is among the top ``budget`` share of the recent documents.

    A document is labeled when the budget allows and its utility is at least the ``1 - budget`` quantile of the
    utilities of the last ``window`` documents (itself included), so the spending tracks the budget whatever the
    scale of the utilities.

    Parameters
    ----------
    budget : float
        The share of documents that may be labeled, in (0, 1].
    window : int
        Documents remembered for the quantile and the spending.

    Examples
    --------
    >>> manager = FixedFraction(budget=0.5, window=4)
    >>> manager.decide([0.1, 0.9, 0.2, 0.8]).tolist()  # one label per two documents at most
    [False, True, False, True]
    """

    def __init__(self, budget: float, window: int = 1000):
        super().__init__(budget, window)
        self._utilities: deque[float] = deque(maxlen=self.window)

    def _decide_one(self, utility: float, within_budget: bool, row: Any) -> bool:
        self._utilities.append(utility)
        threshold = float(np.quantile(np.fromiter(self._utilities, dtype=np.float64), 1.0 - self.budget))
        return within_budget and utility >= threshold


class VariableUncertainty(BudgetManager):
    """Label a document when the model's confidence is below a threshold that adapts (Zliobaite et al., 2014).

    The confidence of a document is ``1 - utility``. While the budget allows, a document whose confidence is
    below the threshold is labeled and the threshold shrinks by the factor ``1 - step`` (ask less); otherwise the
    threshold grows by ``1 + step`` (ask more), up to 1. The threshold starts at 1.

    Parameters
    ----------
    budget : float
        The share of documents that may be labeled, in (0, 1].
    step : float
        The relative adjustment of the threshold, in (0, 1) (0.01 in the paper).
    window : int
        Decisions remembered for the spending.

    Examples
    --------
    >>> manager = VariableUncertainty(budget=1.0, step=0.5)
    >>> manager.decide([0.6, 0.6, 0.6]).tolist()  # confidence 0.4: below 1, then below 0.5, then not below 0.25
    [True, True, False]
    >>> manager.threshold
    0.375
    """

    def __init__(self, budget: float, step: float = 0.01, window: int = 1000):
        super().__init__(budget, window)
        self.step = _check_fraction(step, name="step", low_open=True)
        self.threshold = 1.0

    def _decide_one(self, utility: float, within_budget: bool, row: Any) -> bool:
        if not within_budget:
            return False
        if 1.0 - utility < self.threshold:
            self.threshold *= 1.0 - self.step
            return True
        self.threshold = min(1.0, self.threshold * (1.0 + self.step))
        return False


class Split(VariableUncertainty):
    """Spend a share of the decisions on random labeling, the rest on variable uncertainty (Zliobaite et al., 2014).

    For each document, with probability ``random_share`` it is labeled at random with probability ``budget``
    (while the budget allows); otherwise :class:`VariableUncertainty` decides. The random labels keep sampling
    the whole stream, so a model that is confidently wrong somewhere still gets labels there (useful under drift).

    Parameters
    ----------
    budget : float
        The share of documents that may be labeled, in (0, 1].
    random_share : float
        The share of decisions made at random, in [0, 1] (0.2 in the paper).
    step : float
        The threshold adjustment of the variable-uncertainty part, in (0, 1).
    window : int
        Decisions remembered for the spending.
    seed : None, int or numpy.random.Generator
        Source of the random decisions.
    """

    def __init__(
        self, budget: float, random_share: float = 0.2, step: float = 0.01, window: int = 1000, seed: Seed = None
    ):
        super().__init__(budget, step, window)
        self.random_share = _check_fraction(random_share, name="random_share")
        self._rng = make_rng(seed)

    def _decide_one(self, utility: float, within_budget: bool, row: Any) -> bool:
        if self._rng.random() < self.random_share:
            return within_budget and bool(self._rng.random() < self.budget)
        return super()._decide_one(utility, within_budget, row)


_DENSITY_CHUNK = 256
"""Rows of a batch whose distances :class:`DensityAware` computes together (bounds the memory per batch)."""


def _euclidean(a: np.ndarray | sp.csr_matrix, b: np.ndarray | sp.csr_matrix) -> np.ndarray:
    """Euclidean distances between the rows of ``a`` and ``b`` (exact for dense rows; via dot products if sparse)."""
    if not sp.issparse(a):
        return cdist(a, b)
    squared = np.asarray(a.multiply(a).sum(axis=1)) + np.asarray(b.multiply(b).sum(axis=1)).T - 2 * (a @ b.T).toarray()
    return np.sqrt(np.maximum(squared, 0.0))


class DensityAware(VariableUncertainty):
    """Ask only about documents in dense regions of the recent stream (Ienco et al., 2014, DBALStream).

    The manager remembers the features of the last ``density_window`` documents and, for each, the distance to its
    nearest neighbour among them. A new document is in a dense region when it is closer to some remembered
    document than that document's nearest neighbour (its *local density factor*, the number of such documents, is
    positive). Only those documents are passed to :class:`VariableUncertainty`; the others are never labeled, so
    the budget goes to documents that stand for many others rather than to outliers.

    Parameters
    ----------
    budget : float
        The share of documents that may be labeled, in (0, 1].
    step : float
        The threshold adjustment of the variable-uncertainty part, in (0, 1).
    density_window : int
        Recent documents remembered for the density (memory grows with it, not with the stream).
    window : int
        Decisions remembered for the spending.

    Examples
    --------
    >>> import numpy as np
    >>> manager = DensityAware(budget=1.0, step=0.5)
    >>> points = np.array([[0.0], [10.0], [0.5], [30.0]])  # 0.5 is closer to 0 than 0's neighbour 10; 30 is not
    >>> manager.decide([1.0, 1.0, 1.0, 1.0], features=points).tolist()
    [False, True, True, False]
    """

    requires_features = True

    def __init__(self, budget: float, step: float = 0.01, density_window: int = 100, window: int = 1000):
        super().__init__(budget, step, window)
        self.density_window = check_positive_int(density_window, name="density_window")
        self._window: np.ndarray | list[Any] | None = None  # remembered rows, one slot per document
        self._nearest = np.full(self.density_window, np.inf)  # each remembered row's nearest-neighbour distance
        self._n_observed = 0

    def _check_features(self, features: Any, n_documents: int) -> Any:
        if features is None:
            raise InvalidArgumentError(
                "features must be given to DensityAware.decide (one row per document, to measure density), got None"
            )
        if not sp.issparse(features):
            if not _is_numeric(features) or np.ndim(features) != 2:
                raise InvalidArgumentError(
                    f"features must be a two-dimensional numeric array or sparse matrix, got {_preview(features)}"
                )
            features = np.asarray(features, dtype=np.float64)
            if not np.all(np.isfinite(features)):
                raise InvalidArgumentError("features must be finite, got NaN or infinite values")
        else:
            features = sp.csr_matrix(features, dtype=np.float64)
        if features.shape[0] != n_documents:
            raise LabelCountMismatchError(
                f"features must have one row per utility ({n_documents}), got {features.shape[0]} rows"
            )
        width = None if self._window is None else self._window_width()
        if width is not None and features.shape[1] != width:
            raise InvalidArgumentError(
                f"features must have {width} columns like the earlier documents, got {features.shape[1]}"
            )
        if self._window is not None and sp.issparse(features) != isinstance(self._window, list):
            raise InvalidArgumentError("features must stay sparse, or stay dense, like the earlier documents")
        if self._window is None and n_documents:  # (an empty first batch fixes neither width nor storage)
            self._window = [] if sp.issparse(features) else np.zeros((self.density_window, features.shape[1]))
        self._batch = features
        return list(range(n_documents))

    def _window_width(self) -> int:
        return self._window[0].shape[1] if isinstance(self._window, list) else self._window.shape[1]

    def _decide_one(self, utility: float, within_budget: bool, row: Any) -> bool:
        dense = self._observe(row)
        return dense and super()._decide_one(utility, within_budget, row)

    def _measure_chunk(self, start: int) -> None:
        """Compute at once the distances of the next rows of the batch to the window and to each other."""
        rows = self._batch[start : start + _DENSITY_CHUNK]
        filled = min(self._n_observed, self.density_window)
        self._to_window = np.zeros((rows.shape[0], 0))
        if filled:
            window = sp.vstack(self._window) if isinstance(self._window, list) else self._window[:filled]
            self._to_window = _euclidean(rows, window)
        self._within_chunk = _euclidean(rows, rows)
        self._chunk_start = start
        self._slot_from_chunk = np.full(self.density_window, -1)  # the chunk row now in each slot (-1: none)

    def _observe(self, i: int) -> bool:
        """Add the batch's row ``i`` to the window; return whether it lies in a dense region (density factor > 0)."""
        if i % _DENSITY_CHUNK == 0:
            self._measure_chunk(i)
        j = i - self._chunk_start
        filled = min(self._n_observed, self.density_window)
        slot = self._n_observed % self.density_window  # the oldest row's slot once the window is full
        stays = np.arange(filled) != slot
        dense, nearest = False, np.inf
        if stays.any():
            from_chunk = self._slot_from_chunk[:filled]
            before, during = np.flatnonzero(from_chunk < 0), np.flatnonzero(from_chunk >= 0)
            distances = np.empty(filled)
            distances[before] = self._to_window[j, before]
            distances[during] = self._within_chunk[j, from_chunk[during]]
            dense = bool(np.any(distances[stays] < self._nearest[:filled][stays]))
            np.minimum(self._nearest[:filled], distances, out=self._nearest[:filled])
            nearest = float(distances[stays].min())
        row = self._batch[i : i + 1]
        if isinstance(self._window, list) and filled < self.density_window:
            self._window.append(row)
        else:
            self._window[slot] = row
        self._slot_from_chunk[slot] = j
        self._nearest[slot] = nearest
        self._n_observed += 1
        return dense
