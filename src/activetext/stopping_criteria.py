"""Stopping criteria: when has active learning gained what it will gain, so that labeling can stop?

A stopping criterion is asked once per iteration, after the classifier was retrained, whether to stop. Most
criteria look at the classifier's output on a *stop set*: a fixed set of documents (usually unlabeled ones) that is
predicted again at every iteration. They stop when those predictions settle (:class:`KappaAverage`,
:class:`ClassificationChange`, :class:`DeltaFScore`) or when the classifier is confident about them
(:class:`OverallUncertainty`). :class:`MaxIterations` and :class:`MaxLabels` are budgets. :class:`AllOf` and
:class:`AnyOf` (or the operators ``&`` and ``|``) combine criteria.

The interface is that of small-text 1.4.1: ``stop(active_learner=None, predictions=None, proba=None,
indices_stopping=None) -> bool``, and ``reset()`` to forget the history. ``predictions`` and ``proba`` are the
classifier's output on the stop set, or on a larger set from which ``indices_stopping`` picks the stop set. The
stop set must be the same documents, in the same order, at every call.

Predictions are single-label class indices (a one-dimensional int array) or multi-label indicator matrices (a
``scipy.sparse`` matrix or a dense 0/1 array of shape ``(n, num_classes)``). A call that raises leaves the
criterion's history exactly as it was.

Examples
--------
>>> import numpy as np
>>> criterion = KappaAverage(num_classes=2, window_size=2, kappa=0.9)
>>> [criterion.stop(predictions=np.array(p)) for p in ([0, 1, 1, 0], [0, 1, 1, 1], [0, 1, 1, 1], [0, 1, 1, 1])]
[False, False, False, True]
>>> criterion.kappas
(0.5, 1.0, 1.0)
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp

from activetext.exceptions import InvalidArgumentError
from activetext.utils.validation import as_array, check_indices, check_positive_int

__all__ = [
    "AllOf",
    "AnyOf",
    "ClassificationChange",
    "DeltaFScore",
    "KappaAverage",
    "MaxIterations",
    "MaxLabels",
    "OverallUncertainty",
    "StoppingCriterion",
]

_PROBA_SUM_TOLERANCE = 1e-3


# --- the interface ----------------------------------------------------------------------------------------


class StoppingCriterion(ABC):
    """Base class of stopping criteria.

    Subclasses implement :meth:`stop`; those with a history also override :meth:`reset`. Criteria combine with
    ``a & b`` (:class:`AllOf`: stop when both say stop) and ``a | b`` (:class:`AnyOf`: stop when either does).
    """

    name: ClassVar[str] = "stopping-criterion"
    """A short kebab-case name, such as ``"kappa-average"``; by default derived from the class name."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = re.sub(r"(?<!^)(?=[A-Z])", "-", cls.__name__.lstrip("_")).lower()

    @abstractmethod
    def stop(
        self,
        active_learner: Any = None,
        predictions: Any = None,
        proba: Any = None,
        indices_stopping: Any = None,
    ) -> bool:
        """Record this iteration's evidence and say whether to stop.

        Parameters
        ----------
        active_learner : PoolBasedActiveLearner, optional
            The learner; only criteria that read its state (such as :class:`MaxLabels`) need it.
        predictions : numpy.ndarray or scipy.sparse matrix, optional
            The current classifier's predictions: class indices of shape ``(n,)``, or a multi-label indicator
            matrix of shape ``(n, num_classes)``.
        proba : numpy.ndarray, optional
            The current classifier's probabilities, shape ``(n, num_classes)``.
        indices_stopping : array-like of int, optional
            Rows of ``predictions`` and ``proba`` that form the stop set; all rows when omitted.

        Returns
        -------
        bool
            Whether to stop.
        """

    def reset(self) -> None:
        """Forget the history, as if :meth:`stop` had never been called. Criteria without history do nothing."""
        return None

    def to_config(self) -> dict[str, Any]:
        """Return the criterion's parameters as a JSON-serializable dict."""
        return {}

    def __and__(self, other: Any) -> AllOf:
        if not _is_criterion(other):
            return NotImplemented
        return AllOf(*_members(self, AllOf), *_members(other, AllOf))

    def __rand__(self, other: Any) -> AllOf:
        if not _is_criterion(other):
            return NotImplemented
        return AllOf(*_members(other, AllOf), *_members(self, AllOf))

    def __or__(self, other: Any) -> AnyOf:
        if not _is_criterion(other):
            return NotImplemented
        return AnyOf(*_members(self, AnyOf), *_members(other, AnyOf))

    def __ror__(self, other: Any) -> AnyOf:
        if not _is_criterion(other):
            return NotImplemented
        return AnyOf(*_members(other, AnyOf), *_members(self, AnyOf))

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.to_config().items())
        return f"{type(self).__name__}({arguments})"


def _is_criterion(value: Any) -> bool:
    """Whether ``value`` can be asked ``stop``: an activetext criterion or any object with a ``stop`` method."""
    return isinstance(value, StoppingCriterion) or callable(getattr(value, "stop", None))


def _members(criterion: Any, kind: type) -> tuple[Any, ...]:
    """The members of a combination of type exactly ``kind``, else the criterion itself (for flat ``a & b & c``)."""
    return criterion.criteria if type(criterion) is kind else (criterion,)


class _Pending:
    """A checked but not yet recorded stop decision: ``commit`` records it and returns the decision.

    ``safe`` says that ``commit`` cannot raise (it only assigns). A combination commits its unsafe members (those
    that run code from outside activetext) first, so that an error there leaves the safe members untouched.
    """

    __slots__ = ("_commit", "safe")

    def __init__(self, commit: Callable[[], bool], safe: bool = True):
        self._commit = commit
        self.safe = safe

    def commit(self) -> bool:
        return bool(self._commit())


class _Criterion(StoppingCriterion):
    """An activetext criterion: checks everything in :meth:`_prepare`, changes its history only in the commit."""

    def stop(
        self,
        active_learner: Any = None,
        predictions: Any = None,
        proba: Any = None,
        indices_stopping: Any = None,
    ) -> bool:
        return self._prepare(active_learner, predictions, proba, indices_stopping).commit()

    stop.__doc__ = StoppingCriterion.stop.__doc__

    @abstractmethod
    def _prepare(self, active_learner: Any, predictions: Any, proba: Any, indices_stopping: Any) -> _Pending:
        """Check the input and compute the decision without changing any state."""


# --- validation -------------------------------------------------------------------------------------------


def _check_real(
    value: Any, *, name: str, low: float, high: float, low_open: bool = False, high_open: bool = False
) -> float:
    """Return ``value`` as a float after checking that it is a real number in the given interval."""
    interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidArgumentError(
            f"{name} must be a real number in {interval}, got {value!r} ({type(value).__name__})"
        )
    number = float(value)
    inside = (
        math.isfinite(number)
        and (number > low if low_open else number >= low)
        and (number < high if high_open else number <= high)
    )
    if not inside:
        raise InvalidArgumentError(f"{name} must be a real number in {interval}, got {value!r}")
    return number


def _check_num_classes(num_classes: Any) -> int:
    return check_positive_int(num_classes, name="num_classes", minimum=2)


def _check_window_size(window_size: Any) -> int:
    return check_positive_int(window_size, name="window_size", minimum=1)


def _select(array: np.ndarray, indices_stopping: Any) -> np.ndarray:
    """Rows ``indices_stopping`` of ``array`` (all rows when it is None)."""
    if indices_stopping is None:
        return array
    indices = check_indices(indices_stopping, array.shape[0], name="indices_stopping", allow_empty=False)
    return array[indices]


def _check_predictions(
    predictions: Any, num_classes: int, indices_stopping: Any, previous: np.ndarray | None, criterion: str
) -> np.ndarray:
    """Return the stop set's predictions: int64 class indices ``(n,)`` or a bool indicator matrix ``(n, C)``.

    Raises :class:`InvalidArgumentError` for missing predictions, a wrong shape or dtype, values outside the label
    set, an empty stop set, or a stop set whose shape differs from the previous call's.
    """
    if predictions is None:
        raise InvalidArgumentError(
            f"predictions must be given: {criterion} compares the predictions on the stop set between calls, got None"
        )
    if sp.issparse(predictions):
        matrix = sp.csr_matrix(predictions)
        if matrix.shape[1] != num_classes:
            raise InvalidArgumentError(
                f"predictions as an indicator matrix must have num_classes={num_classes} columns, "
                f"got shape {matrix.shape}"
            )
        bad = matrix.data[(matrix.data != 0) & (matrix.data != 1)]
        if bad.size:
            raise InvalidArgumentError(
                f"predictions as an indicator matrix must hold only 0 and 1, got {bad[:8].tolist()}"
            )
        if indices_stopping is not None:
            matrix = matrix[
                check_indices(indices_stopping, matrix.shape[0], name="indices_stopping", allow_empty=False)
            ]
        array = matrix.toarray() != 0
    else:
        array = as_array(predictions, name="predictions")
        if array.dtype.kind not in "biuf":  # not objects, strings, complex numbers or time deltas
            raise InvalidArgumentError(
                f"predictions must be class indices or a 0/1 indicator matrix, got an array of dtype {array.dtype}"
            )
        if array.ndim == 1:
            if array.dtype.kind not in "biu":
                if not (np.all(np.isfinite(array)) and np.all(array == np.round(array))):
                    raise InvalidArgumentError(
                        f"predictions must be integer class indices, got non-integer values (dtype {array.dtype})"
                    )
            outside = array[(array < 0) | (array >= num_classes)]
            if outside.size:
                raise InvalidArgumentError(
                    f"predictions must be class indices in [0, {num_classes}) for num_classes={num_classes}, "
                    f"got {np.unique(outside)[:8].tolist()}"
                )
            array = _select(array.astype(np.int64), indices_stopping)
        elif array.ndim == 2:
            if array.shape[1] != num_classes:
                raise InvalidArgumentError(
                    f"predictions as an indicator matrix must have num_classes={num_classes} columns, "
                    f"got shape {array.shape}"
                )
            bad = array[(array != 0) & (array != 1)]
            if bad.size:
                raise InvalidArgumentError(
                    f"predictions as an indicator matrix must hold only 0 and 1, got {np.unique(bad)[:8].tolist()}"
                )
            array = _select(array != 0, indices_stopping)
        else:
            raise InvalidArgumentError(
                f"predictions must be one-dimensional (class indices) or two-dimensional (an indicator matrix), "
                f"got shape {array.shape}"
            )
    if array.shape[0] == 0:
        raise InvalidArgumentError("predictions must cover at least one document of the stop set, got none")
    if previous is not None and array.shape != previous.shape:
        raise InvalidArgumentError(
            f"predictions must cover the same stop set at every call: the previous call had shape {previous.shape}, "
            f"this one has shape {array.shape} (after indices_stopping); call reset() to start over with a new "
            "stop set"
        )
    return array


def _check_proba(proba: Any, num_classes: int, multi_label: bool, indices_stopping: Any, criterion: str) -> np.ndarray:
    """Return the stop set's probabilities as a float64 ``(n, num_classes)`` array after checking them."""
    if proba is None:
        raise InvalidArgumentError(
            f"proba must be given: {criterion} measures the uncertainty of the probabilities on the stop set, got None"
        )
    if sp.issparse(proba):
        raise InvalidArgumentError("proba must be a dense array of probabilities, got a sparse matrix")
    array = as_array(proba, name="proba")
    if array.dtype.kind not in "iuf":  # not objects, strings, bools, complex numbers or time deltas
        raise InvalidArgumentError(f"proba must hold real numbers, got an array of dtype {array.dtype}")
    if array.ndim != 2 or array.shape[1] != num_classes:
        raise InvalidArgumentError(f"proba must have shape (n, num_classes={num_classes}), got shape {array.shape}")
    array = _select(array.astype(np.float64), indices_stopping)
    if array.shape[0] == 0:
        raise InvalidArgumentError("proba must cover at least one document of the stop set, got none")
    finite = np.isfinite(array)
    if not finite.all():
        rows = np.flatnonzero(~finite.all(axis=1))
        raise InvalidArgumentError(
            f"proba must hold finite probabilities in [0, 1], got NaN or infinity in rows {rows[:8].tolist()}"
        )
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        raise InvalidArgumentError(f"proba must hold probabilities in [0, 1], got values from {low!r} to {high!r}")
    if not multi_label:
        sums = array.sum(axis=1)
        off = np.flatnonzero(np.abs(sums - 1.0) > _PROBA_SUM_TOLERANCE)
        if off.size:
            raise InvalidArgumentError(
                f"proba must have rows that sum to 1 for single-label data, got sums {sums[off[:4]].tolist()} in "
                f"rows {off[:4].tolist()}; pass multi_label=True for independent per-label probabilities"
            )
    return array


# --- measures ---------------------------------------------------------------------------------------------


def _cohen_kappa(old: np.ndarray, new: np.ndarray, num_classes: int) -> float:
    """Cohen's kappa of two prediction arrays; identical arrays agree perfectly (kappa 1).

    Multi-label indicator matrices are flattened: each (document, label) decision is one binary rating.
    scikit-learn returns NaN when both arrays give every document the same single class (no disagreement is
    expected or observed); that is perfect agreement, and the only way to get NaN, so it is caught by the
    equality test.
    """
    if np.array_equal(old, new):
        return 1.0
    from sklearn.metrics import cohen_kappa_score

    if old.ndim == 2:
        return float(cohen_kappa_score(old.ravel().astype(np.int8), new.ravel().astype(np.int8), labels=[0, 1]))
    return float(cohen_kappa_score(old, new, labels=np.arange(num_classes)))


def _delta_f(old: np.ndarray, new: np.ndarray, num_classes: int) -> float:
    """``1 - F`` of ``new`` predictions scored against ``old`` ones (see :class:`DeltaFScore`).

    Computed as ``(b + c) / (2a + b + c)``, one exact division, so that for example a delta of 1/5 is exactly 0.2.
    """
    if old.ndim == 2 or num_classes == 2:
        old_positive = old.ravel() == 1
        new_positive = new.ravel() == 1
        both = int(np.count_nonzero(old_positive & new_positive))
        denominator = int(np.count_nonzero(old_positive)) + int(np.count_nonzero(new_positive))  # 2a + b + c
        return 0.0 if denominator == 0 else (denominator - 2 * both) / denominator
    both = np.bincount(new[old == new], minlength=num_classes)
    denominator = np.bincount(old, minlength=num_classes) + np.bincount(new, minlength=num_classes)
    per_class = np.divide(denominator - 2 * both, denominator, out=np.zeros(num_classes), where=denominator > 0)
    return float(per_class.mean())


def _normalized_entropy(proba: np.ndarray, multi_label: bool) -> float:
    """The mean normalized entropy of the rows of ``proba`` (per label and binary for multi-label)."""
    from scipy.special import xlogy

    if multi_label:
        entropy = -(xlogy(proba, proba) + xlogy(1.0 - proba, 1.0 - proba)) / math.log(2.0)
    else:
        entropy = -xlogy(proba, proba).sum(axis=1) / math.log(proba.shape[1])
    return float(np.clip(entropy, 0.0, 1.0).mean())


# --- criteria on the stop set's predictions -------------------------------------------------------------------


class _PredictionWindow(_Criterion):
    """Shared state of the criteria that compare consecutive predictions: the last predictions and a measure per
    call after the first."""

    def __init__(self, num_classes: int):
        self._num_classes = _check_num_classes(num_classes)
        self._last: np.ndarray | None = None
        self._history: list[float] = []

    @property
    def num_classes(self) -> int:
        """The number of classes (labels, for multi-label data)."""
        return self._num_classes

    @property
    def last_predictions(self) -> np.ndarray | None:
        """A copy of the stop set's predictions at the last call (class indices, or a bool indicator matrix)."""
        return None if self._last is None else self._last.copy()

    def reset(self) -> None:
        self._last = None
        self._history = []

    def _prepare(self, active_learner: Any, predictions: Any, proba: Any, indices_stopping: Any) -> _Pending:
        current = _check_predictions(predictions, self._num_classes, indices_stopping, self._last, self.name)
        if self._last is None:
            value = None
            decision = False
        else:
            value = self._measure(self._last, current)
            decision = self._decide([*self._history, value])

        def commit() -> bool:
            self._last = current
            if value is not None:
                self._history.append(value)
            return decision

        return _Pending(commit)

    @abstractmethod
    def _measure(self, old: np.ndarray, new: np.ndarray) -> float:
        """The measure comparing the previous and the current predictions."""

    @abstractmethod
    def _decide(self, history: list[float]) -> bool:
        """Whether to stop, given every measure so far (the newest last)."""


class KappaAverage(_PredictionWindow):
    """Stop when predictions have stabilized: the mean Cohen's kappa of recent consecutive predictions is high.

    Bloodgood and Vijay-Shanker's *stabilizing predictions* method. At each call after the first, Cohen's kappa
    measures the agreement between the stop set's predictions now and at the previous call (chance-corrected, so
    agreement on a dominant class counts for less). The criterion stops when the mean of the last ``window_size``
    kappas is at least ``kappa``; it needs ``window_size + 1`` calls before it can stop.

    Kappa is :func:`sklearn.metrics.cohen_kappa_score` over the label set ``0 .. num_classes - 1``; two identical
    prediction arrays agree with kappa 1 (scikit-learn's NaN for two identical constant arrays is read as 1).
    Multi-label predictions are flattened: every (document, label) pair is one binary decision.

    Parameters
    ----------
    num_classes : int
        The number of classes (labels, for multi-label data), at least 2.
    window_size : int
        How many of the most recent kappas are averaged. The parameter order is small-text's.
    kappa : float
        The mean kappa in [-1, 1] at or above which the criterion stops.

    Attributes
    ----------
    kappas : tuple of float
        One kappa per call after the first, the newest last.

    References
    ----------
    .. [BV09] Michael Bloodgood and K. Vijay-Shanker. 2009. A Method for Stopping Active Learning Based on
       Stabilizing Predictions and the Need for User-Adjustable Stopping. In Proceedings of the Thirteenth
       Conference on Computational Natural Language Learning (CoNLL), pages 39-47.

    Examples
    --------
    >>> import numpy as np
    >>> criterion = KappaAverage(2, window_size=1, kappa=0.5)
    >>> criterion.stop(predictions=np.array([0, 0, 1, 1])), criterion.stop(predictions=np.array([0, 1, 1, 1]))
    (False, True)
    >>> criterion.kappas
    (0.5,)
    """

    def __init__(self, num_classes: int, window_size: int = 3, kappa: float = 0.99):
        super().__init__(num_classes)
        self._window_size = _check_window_size(window_size)
        self._kappa = _check_real(kappa, name="kappa", low=-1.0, high=1.0)

    name = "kappa-average"

    @property
    def window_size(self) -> int:
        """How many of the most recent kappas are averaged."""
        return self._window_size

    @property
    def kappa(self) -> float:
        """The mean kappa at or above which the criterion stops."""
        return self._kappa

    @property
    def kappas(self) -> tuple[float, ...]:
        """One kappa per call after the first, the newest last."""
        return tuple(self._history)

    @property
    def kappa_history(self) -> list[float]:
        """The last ``window_size`` kappas (small-text's name and contents)."""
        return list(self._history[-self._window_size :])

    def to_config(self) -> dict[str, Any]:
        return {"num_classes": self._num_classes, "window_size": self._window_size, "kappa": self._kappa}

    def _measure(self, old: np.ndarray, new: np.ndarray) -> float:
        return _cohen_kappa(old, new, self._num_classes)

    def _decide(self, history: list[float]) -> bool:
        return len(history) >= self._window_size and float(np.mean(history[-self._window_size :])) >= self._kappa


class ClassificationChange(_PredictionWindow):
    """Stop when (almost) no prediction on the stop set changed since the previous call.

    Zhu, Wang and Hovy's *classification change* criterion. At each call after the first, the criterion counts the
    documents of the stop set whose prediction differs from the previous call's, and stops when that fraction is
    at most ``threshold``. ``threshold=0`` (the default) is the original rule: stop when nothing changed.

    For multi-label predictions a document changed when any of its labels changed (as in small-text), so the
    fraction is one of documents, not of (document, label) pairs.

    Parameters
    ----------
    num_classes : int
        The number of classes (labels, for multi-label data), at least 2.
    threshold : float
        The largest fraction of changed documents, in [0, 1], at which the criterion stops.

    Attributes
    ----------
    changes : tuple of float
        The fraction of changed documents at each call after the first, the newest last.

    References
    ----------
    .. [ZWH08] Jingbo Zhu, Huizhen Wang and Eduard Hovy. 2008. Multi-Criteria-Based Strategy to Stop Active
       Learning for Data Annotation. In Proceedings of the 22nd International Conference on Computational
       Linguistics (COLING), pages 1129-1136.
    """

    def __init__(self, num_classes: int, threshold: float = 0.0):
        super().__init__(num_classes)
        self._threshold = _check_real(threshold, name="threshold", low=0.0, high=1.0)

    name = "classification-change"

    @property
    def threshold(self) -> float:
        """The largest fraction of changed documents at which the criterion stops."""
        return self._threshold

    @property
    def changes(self) -> tuple[float, ...]:
        """The fraction of changed documents at each call after the first, the newest last."""
        return tuple(self._history)

    def to_config(self) -> dict[str, Any]:
        return {"num_classes": self._num_classes, "threshold": self._threshold}

    def _measure(self, old: np.ndarray, new: np.ndarray) -> float:
        changed = old != new
        if changed.ndim == 2:
            changed = changed.any(axis=1)
        return int(np.count_nonzero(changed)) / changed.shape[0]

    def _decide(self, history: list[float]) -> bool:
        return history[-1] <= self._threshold


class DeltaFScore(_PredictionWindow):
    """Stop when the predicted change of F-measure stays small: consecutive models agree on the stop set.

    Altschuler and Bloodgood's *predicted change of F* method. At each call after the first, the current
    predictions are scored against the previous ones as if those were the truth, giving an agreement F-measure,
    and ``delta = 1 - F``. The criterion stops when the last ``window_size`` deltas are all below ``threshold``.

    With ``a`` documents predicted positive both times, ``b`` positive only before and ``c`` positive only now,
    ``F = 2a / (2a + b + c)``:

    - binary (``num_classes=2``): the positive class is 1, as in small-text 1.4.1;
    - multi-class: the mean over classes of each class's ``F`` (macro F1 of the new predictions against the old);
    - multi-label: every (document, label) pair is one binary decision, label present being positive (micro F1).

    A class that neither prediction uses (``2a + b + c = 0``) counts as full agreement, ``F = 1``.

    Parameters
    ----------
    num_classes : int
        The number of classes (labels, for multi-label data), at least 2.
    window_size : int
        How many consecutive deltas must be below ``threshold``. The parameter order is small-text's.
    threshold : float
        The delta in (0, 1] that every delta of the window must be below.

    Attributes
    ----------
    deltas : tuple of float
        ``1 - F`` at each call after the first, the newest last.

    References
    ----------
    .. [AB19] Michael Altschuler and Michael Bloodgood. 2019. Stopping Active Learning Based on Predicted Change of
       F Measure for Text Classification. In Proceedings of the 13th IEEE International Conference on Semantic
       Computing (ICSC), pages 47-54.
    """

    def __init__(self, num_classes: int, window_size: int = 3, threshold: float = 0.05):
        super().__init__(num_classes)
        self._window_size = _check_window_size(window_size)
        self._threshold = _check_real(threshold, name="threshold", low=0.0, high=1.0, low_open=True)

    name = "delta-f-score"

    @property
    def window_size(self) -> int:
        """How many consecutive deltas must be below ``threshold``."""
        return self._window_size

    @property
    def threshold(self) -> float:
        """The delta that every delta of the window must be below."""
        return self._threshold

    @property
    def deltas(self) -> tuple[float, ...]:
        """``1 - F`` at each call after the first, the newest last."""
        return tuple(self._history)

    @property
    def delta_history(self) -> list[float]:
        """The last ``window_size`` deltas (small-text's name and contents)."""
        return list(self._history[-self._window_size :])

    def to_config(self) -> dict[str, Any]:
        return {"num_classes": self._num_classes, "window_size": self._window_size, "threshold": self._threshold}

    def _measure(self, old: np.ndarray, new: np.ndarray) -> float:
        return _delta_f(old, new, self._num_classes)

    def _decide(self, history: list[float]) -> bool:
        window = history[-self._window_size :]
        return len(history) >= self._window_size and all(delta < self._threshold for delta in window)


# --- criteria on the stop set's probabilities -----------------------------------------------------------------


class OverallUncertainty(_Criterion):
    """Stop when the classifier is confident about the stop set: its mean normalized entropy is small.

    Zhu, Wang and Hovy's *overall uncertainty* criterion. The uncertainty of a document is the entropy of its
    predicted class distribution divided by ``log(num_classes)``, so that it lies in [0, 1]; the criterion stops
    when the mean over the stop set is at most ``threshold``. For multi-label probabilities (``multi_label=True``)
    each label is a binary decision: its uncertainty is the binary entropy of ``(p, 1 - p)`` in bits, averaged over
    labels and documents.

    Zhu et al. take the remaining unlabeled documents as the stop set: pass ``indices_stopping`` as the
    learner's unlabeled indices with ``proba`` over the pool, as in small-text.

    Parameters
    ----------
    num_classes : int
        The number of classes (labels, for multi-label data), at least 2.
    threshold : float
        The mean normalized entropy, in [0, 1], at or below which the criterion stops.
    multi_label : bool
        Whether ``proba`` holds independent per-label probabilities; otherwise each row must sum to 1.

    Attributes
    ----------
    uncertainties : tuple of float
        The mean normalized entropy at each call, the newest last.

    References
    ----------
    .. [ZWH08] Jingbo Zhu, Huizhen Wang and Eduard Hovy. 2008. Multi-Criteria-Based Strategy to Stop Active
       Learning for Data Annotation. In Proceedings of the 22nd International Conference on Computational
       Linguistics (COLING), pages 1129-1136.

    Examples
    --------
    >>> import numpy as np
    >>> criterion = OverallUncertainty(2, threshold=0.5)
    >>> criterion.stop(proba=np.array([[0.5, 0.5], [1.0, 0.0]]))
    True
    >>> criterion.uncertainties
    (0.5,)
    """

    def __init__(self, num_classes: int, threshold: float = 0.05, *, multi_label: bool = False):
        self._num_classes = _check_num_classes(num_classes)
        self._threshold = _check_real(threshold, name="threshold", low=0.0, high=1.0)
        if not isinstance(multi_label, (bool, np.bool_)):
            raise InvalidArgumentError(f"multi_label must be a bool, got {multi_label!r}")
        self._multi_label = bool(multi_label)
        self._history: list[float] = []

    name = "overall-uncertainty"

    @property
    def num_classes(self) -> int:
        """The number of classes (labels, for multi-label data)."""
        return self._num_classes

    @property
    def threshold(self) -> float:
        """The mean normalized entropy at or below which the criterion stops."""
        return self._threshold

    @property
    def multi_label(self) -> bool:
        """Whether ``proba`` holds independent per-label probabilities."""
        return self._multi_label

    @property
    def uncertainties(self) -> tuple[float, ...]:
        """The mean normalized entropy at each call, the newest last."""
        return tuple(self._history)

    def reset(self) -> None:
        self._history = []

    def to_config(self) -> dict[str, Any]:
        return {"num_classes": self._num_classes, "threshold": self._threshold, "multi_label": self._multi_label}

    def _prepare(self, active_learner: Any, predictions: Any, proba: Any, indices_stopping: Any) -> _Pending:
        array = _check_proba(proba, self._num_classes, self._multi_label, indices_stopping, self.name)
        uncertainty = _normalized_entropy(array, self._multi_label)

        def commit() -> bool:
            self._history.append(uncertainty)
            return uncertainty <= self._threshold

        return _Pending(commit)


# --- budgets ----------------------------------------------------------------------------------------------


class MaxIterations(_Criterion):
    """Stop at the ``max_iterations``-th call of :meth:`stop` (and every call after it).

    Parameters
    ----------
    max_iterations : int
        The call, counting from 1, from which on the criterion stops.

    Examples
    --------
    >>> criterion = MaxIterations(2)
    >>> criterion.stop(), criterion.stop(), criterion.stop()
    (False, True, True)
    """

    def __init__(self, max_iterations: int):
        self._max_iterations = check_positive_int(max_iterations, name="max_iterations", minimum=1)
        self._calls = 0

    name = "max-iterations"

    @property
    def max_iterations(self) -> int:
        """The call from which on the criterion stops."""
        return self._max_iterations

    @property
    def num_calls(self) -> int:
        """How many times :meth:`stop` was called since construction or :meth:`reset`."""
        return self._calls

    @property
    def current_iteration(self) -> int:
        """The number of calls that did not stop (small-text's counter)."""
        return min(self._calls, self._max_iterations - 1)

    def reset(self) -> None:
        self._calls = 0

    def to_config(self) -> dict[str, Any]:
        return {"max_iterations": self._max_iterations}

    def _prepare(self, active_learner: Any, predictions: Any, proba: Any, indices_stopping: Any) -> _Pending:
        calls = self._calls + 1

        def commit() -> bool:
            self._calls = calls
            return calls >= self._max_iterations

        return _Pending(commit)


class MaxLabels(_Criterion):
    """Stop once the learner holds at least ``max_labels`` labeled documents (a labeling budget).

    The count is ``active_learner.indices_labeled.size``, validation documents included.

    Parameters
    ----------
    max_labels : int
        The number of labeled documents at or above which the criterion stops.

    Attributes
    ----------
    labeled_counts : tuple of int
        The number of labeled documents at each call, the newest last.
    """

    def __init__(self, max_labels: int):
        self._max_labels = check_positive_int(max_labels, name="max_labels", minimum=1)
        self._history: list[int] = []

    name = "max-labels"

    @property
    def max_labels(self) -> int:
        """The number of labeled documents at or above which the criterion stops."""
        return self._max_labels

    @property
    def labeled_counts(self) -> tuple[int, ...]:
        """The number of labeled documents at each call, the newest last."""
        return tuple(self._history)

    def reset(self) -> None:
        self._history = []

    def to_config(self) -> dict[str, Any]:
        return {"max_labels": self._max_labels}

    def _prepare(self, active_learner: Any, predictions: Any, proba: Any, indices_stopping: Any) -> _Pending:
        if active_learner is None:
            raise InvalidArgumentError(
                "active_learner must be given: max-labels counts the learner's labeled documents, got None"
            )
        indices = getattr(active_learner, "indices_labeled", None)
        if indices is None:
            raise InvalidArgumentError(
                f"active_learner must have indices_labeled, got a {type(active_learner).__name__} without it"
            )
        count = int(np.asarray(indices).size)

        def commit() -> bool:
            self._history.append(count)
            return count >= self._max_labels

        return _Pending(commit)


# --- combinations -----------------------------------------------------------------------------------------


class _Combination(_Criterion):
    """Criteria asked together. Every member is asked at every call, so that their histories stay in step."""

    def __init__(self, *criteria: Any):
        if not criteria:
            raise InvalidArgumentError(f"{type(self).__name__} needs at least one criterion, got none")
        for position, criterion in enumerate(criteria):
            if not _is_criterion(criterion):
                raise InvalidArgumentError(
                    f"criteria must be stopping criteria (objects with a stop method), got {criterion!r} "
                    f"({type(criterion).__name__}) at position {position}"
                )
        seen: set[int] = set()
        for leaf in _leaves(criteria):
            if id(leaf) in seen:
                raise InvalidArgumentError(
                    f"criteria must not hold the same criterion twice, got {leaf!r} twice: it would be asked twice "
                    "per call and its history would run ahead; create a second instance instead"
                )
            seen.add(id(leaf))
        self._criteria: tuple[Any, ...] = tuple(criteria)
        self._decisions: list[tuple[bool, ...]] = []

    @property
    def criteria(self) -> tuple[Any, ...]:
        """The combined criteria, in the order given."""
        return self._criteria

    @property
    def decisions(self) -> tuple[tuple[bool, ...], ...]:
        """Each member's decision at each call, the newest last."""
        return tuple(self._decisions)

    def reset(self) -> None:
        for criterion in self._criteria:
            reset = getattr(criterion, "reset", None)
            if callable(reset):
                reset()
        self._decisions = []

    def to_config(self) -> dict[str, Any]:
        return {
            "criteria": [{"name": _name_of(criterion), "config": _config_of(criterion)} for criterion in self._criteria]
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(repr(criterion) for criterion in self._criteria)})"

    def _prepare(self, active_learner: Any, predictions: Any, proba: Any, indices_stopping: Any) -> _Pending:
        arguments = (active_learner, predictions, proba, indices_stopping)
        pending: dict[int, _Pending] = {
            position: criterion._prepare(*arguments)
            for position, criterion in enumerate(self._criteria)
            if isinstance(criterion, _Criterion)
        }
        foreign = [position for position in range(len(self._criteria)) if position not in pending]

        def commit() -> bool:
            decisions: list[bool] = [False] * len(self._criteria)
            for position in foreign:
                decisions[position] = bool(self._criteria[position].stop(*arguments))
            for safe in (False, True):
                for position, step in pending.items():
                    if step.safe is safe:
                        decisions[position] = step.commit()
            self._decisions.append(tuple(decisions))
            return self._combine(decisions)

        safe = not foreign and all(step.safe for step in pending.values())
        return _Pending(commit, safe=safe)

    @staticmethod
    @abstractmethod
    def _combine(decisions: Sequence[bool]) -> bool:
        """The combination's decision from its members' decisions."""


def _leaves(criteria: Sequence[Any]) -> Iterator[Any]:
    """Every criterion of ``criteria``, walking into nested combinations."""
    for criterion in criteria:
        if isinstance(criterion, _Combination):
            yield from _leaves(criterion.criteria)
        else:
            yield criterion


def _name_of(criterion: Any) -> str:
    name = getattr(criterion, "name", None)
    return name if isinstance(name, str) else type(criterion).__name__


def _config_of(criterion: Any) -> dict[str, Any]:
    to_config = getattr(criterion, "to_config", None)
    return to_config() if callable(to_config) else {}


class AllOf(_Combination):
    """Stop when every member criterion says stop; ``a & b`` builds one.

    Every member is asked at every call (no short-circuit), so that each keeps its history. When a member's input
    is invalid, no member's history changes (members from outside activetext cannot be rolled back and are asked
    first).

    Parameters
    ----------
    *criteria : StoppingCriterion
        The members; each at most once, also across nested combinations.

    Examples
    --------
    >>> criterion = MaxIterations(2) & MaxIterations(3)
    >>> criterion.stop(), criterion.stop(), criterion.stop()
    (False, False, True)
    >>> criterion.decisions[-1]
    (True, True)
    """

    name = "all-of"

    @staticmethod
    def _combine(decisions: Sequence[bool]) -> bool:
        return all(decisions)


class AnyOf(_Combination):
    """Stop when at least one member criterion says stop; ``a | b`` builds one.

    Every member is asked at every call (no short-circuit), so that each keeps its history. When a member's input
    is invalid, no member's history changes (members from outside activetext cannot be rolled back and are asked
    first).

    Parameters
    ----------
    *criteria : StoppingCriterion
        The members; each at most once, also across nested combinations.

    Examples
    --------
    >>> criterion = MaxIterations(2) | MaxIterations(3)
    >>> criterion.stop(), criterion.stop()
    (False, True)
    """

    name = "any-of"

    @staticmethod
    def _combine(decisions: Sequence[bool]) -> bool:
        return any(decisions)
