"""Active learning by learning: a multi-armed bandit that learns which query strategy helps most on this data.

Hsu and Lin (2015), "Active learning by learning", AAAI. The query strategies are the arms of an adversarial
bandit; each query is answered by one arm, drawn from the bandit's distribution, and the arm is rewarded, at the
next query, by how much the batch it chose improved the classifier, as measured by an importance-weighted
accuracy on the documents the bandit has queried so far.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.classifiers.base import Classifier
from activetext.data.datasets import Dataset
from activetext.exceptions import InvalidArgumentError
from activetext.query_strategies.base import QueryStrategy
from activetext.utils.chunking import DEFAULT_CHUNK_SIZE, iter_chunks
from activetext.utils.random import Seed
from activetext.utils.validation import check_positive_int

__all__ = ["ActiveLearningByLearning", "BanditRound", "exp3_probabilities", "importance_weighted_accuracy"]


def exp3_probabilities(log_weights: Any, gamma: float) -> np.ndarray:
    """Return EXP3's arm distribution ``(1 - gamma) * w / sum(w) + gamma / K`` for ``w = exp(log_weights)``.

    Computed from the log-weights with the maximum subtracted, so large weights do not overflow.

    Parameters
    ----------
    log_weights : array-like of float, shape (K,)
        The arms' log-weights.
    gamma : float
        The share of uniform exploration, in ``(0, 1]``; every arm keeps a probability of at least ``gamma / K``.

    Returns
    -------
    numpy.ndarray of float64, shape (K,)

    Examples
    --------
    >>> exp3_probabilities(np.array([0.0, 0.0]), 0.2).tolist()
    [0.5, 0.5]
    """
    log_weights = np.asarray(log_weights, dtype=np.float64)
    shifted = np.exp(log_weights - log_weights.max())
    return (1.0 - gamma) * shifted / shifted.sum() + gamma / log_weights.size


def importance_weighted_accuracy(correct: Any, weights: Any) -> float:
    """Return the weighted share of correct predictions, ``sum(w * correct) / sum(w)``.

    With ``w`` the inverse of the probability with which each document was queried, this is the
    self-normalized form of Hsu and Lin's IW-ACC: an estimate of the accuracy on the whole pool from the
    documents an active learner chose (which are not a uniform sample of it).

    Parameters
    ----------
    correct : array-like of bool, shape (m,)
        Whether the classifier predicts each document's label.
    weights : array-like of float, shape (m,)
        Positive importance weights.

    Returns
    -------
    float
        In ``[0, 1]``; ``nan`` when ``m == 0``.

    Examples
    --------
    >>> importance_weighted_accuracy([True, False], [1.0, 3.0])
    0.25
    """
    correct = np.asarray(correct, dtype=bool)
    weights = np.asarray(weights, dtype=np.float64)
    if correct.shape != weights.shape or correct.ndim != 1:
        raise InvalidArgumentError(
            f"correct and weights must be 1-D arrays of one shape, got shapes {correct.shape} and {weights.shape}"
        )
    if correct.size == 0:
        return float("nan")
    return float(np.sum(weights * correct) / np.sum(weights))


@dataclass
class BanditRound:
    """What :class:`ActiveLearningByLearning` did at one query, and the reward it measured for it later."""

    arm: int
    """The position of the strategy that answered the query."""

    probabilities: np.ndarray
    """The arm distribution the arm was drawn from."""

    batch: np.ndarray
    """The documents the arm returned."""

    accuracy_before: float | None = None
    """The importance-weighted accuracy, on the documents queried so far (this batch included), of the classifier
    the batch was chosen with; None until the next query, and for good if it could not be measured (the batch was
    never labeled, or there was no classifier before it)."""

    accuracy_after: float | None = None
    """The same for the classifier passed to the next query, trained with the batch's labels."""

    reward: float | None = None
    """The arm's reward, ``accuracy_after - accuracy_before`` in ``[-1, 1]``; None when they are."""


class ActiveLearningByLearning(QueryStrategy):
    """Choose among several query strategies with a bandit that rewards the ones that improve the classifier.

    Hsu and Lin (2015), "Active learning by learning", AAAI. This implementation uses EXP3 (Auer, Cesa-Bianchi,
    Freund and Schapire (2002), "The nonstochastic multiarmed bandit problem", SIAM J. Computing) with the
    strategies as arms, and one arm per query: the whole batch comes from the drawn arm. (Hsu and Lin use EXP4.P
    with the strategies as experts that advise a distribution over documents, and query one document at a time;
    with one arm per batch, each expert's advice is its own batch, and EXP4.P without its confidence bonus reduces
    to EXP3 over the experts.)

    Each call to :meth:`query`:

    1. **rewards the previous arm**, if the documents it chose are now labeled: with ``H`` the documents the
       bandit has queried so far that are still labeled, each weighted by ``1 / p`` (``p`` the probability of the
       arm that chose it), the gain is the importance-weighted accuracy (:func:`importance_weighted_accuracy`,
       Hsu and Lin's IW-ACC) of the current classifier ``clf`` on ``H`` minus that of the classifier passed to the
       previous call (its predictions on ``H`` were stored then). The gain is the reward: the arm's log-weight
       grows by ``learning_rate * gain / p``;
    2. **draws an arm** from :func:`exp3_probabilities` of the log-weights, lets it answer the query, and stores
       the current classifier's predictions on ``H`` and on the new batch, for the next reward.

    All the information arrives through ``query``'s arguments, so the strategy works with the
    :class:`~activetext.active_learner.PoolBasedActiveLearner` unchanged. Hsu and Lin reward the arm with the
    IW-ACC itself; the gain credits the arm with what its batch changed, not with what earlier batches achieved,
    and an arm whose batch changes nothing earns nothing (rewards centred at zero keep the importance-weighted
    updates small when gains are small, which they usually are). EXP3's analysis holds for rewards in ``[-1, 1]``
    as long as ``learning_rate <= gamma / K``, the default. The documents of ``H`` are in the current
    classifier's training set, so its accuracy on them is a training accuracy: for a classifier that fits its
    training data perfectly it is 1 after every batch, and the gain then rewards the batches the previous
    classifier got wrong. Hsu and Lin's IW-ACC is likewise measured on the labeled documents.
    The weight ``1 / p(arm)`` is the inverse of a lower bound on the probability of querying the document (other
    arms might have chosen it too); include :class:`~activetext.query_strategies.RandomSampling` among the arms,
    as Hsu and Lin do, so that the weighted documents cover the pool.

    Parameters
    ----------
    strategies : sequence of QueryStrategy
        The arms (at least one).
    gamma : float
        EXP3's exploration share in ``(0, 1]``: each arm is drawn with probability at least ``gamma / K``.
    learning_rate : float, optional
        The step of the log-weight updates; ``gamma / K`` by default (Auer et al.). Gains are typically a few
        points of accuracy per batch, so the default moves the probabilities slowly: over tens of queries it stays
        close to a uniform mixture of the arms. Values near 1 follow the rewards within a short run, without
        EXP3's guarantee.
    seed : None, int or numpy.random.Generator
        Source of the arm draws (each arm keeps its own seed).
    chunk_size : int
        Documents predicted at a time when measuring accuracy.

    Attributes
    ----------
    log_weights : numpy.ndarray of shape (K,)
        The arms' log-weights (zeros at the start).
    rounds : list of BanditRound
        One entry per query: the arm, the distribution it was drawn from, the batch, and the accuracies and reward
        measured at the next query.

    Examples
    --------
    >>> from activetext.query_strategies import BreakingTies, RandomSampling
    >>> albl = ActiveLearningByLearning([RandomSampling(seed=0), BreakingTies(seed=0)], seed=0)
    >>> albl.probabilities.tolist()
    [0.5, 0.5]
    """

    def __init__(
        self,
        strategies: Sequence[QueryStrategy],
        gamma: float = 0.1,
        learning_rate: float | None = None,
        seed: Seed = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ):
        super().__init__(seed)
        if isinstance(strategies, QueryStrategy) or not isinstance(strategies, Sequence) or len(strategies) == 0:
            raise InvalidArgumentError(f"strategies must be a non-empty sequence of QueryStrategy, got {strategies!r}")
        not_strategies = [s for s in strategies if not isinstance(s, QueryStrategy)]
        if not_strategies:
            raise InvalidArgumentError(f"strategies must hold only QueryStrategy objects, got {not_strategies[0]!r}")
        if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not 0 < gamma <= 1:
            raise InvalidArgumentError(f"gamma must be a number in (0, 1], got {gamma!r}")
        if learning_rate is not None and (
            isinstance(learning_rate, bool)
            or not isinstance(learning_rate, (int, float))
            or not np.isfinite(learning_rate)
            or learning_rate <= 0
        ):
            raise InvalidArgumentError(f"learning_rate must be a positive number or None, got {learning_rate!r}")
        self.strategies = tuple(strategies)
        self.gamma = float(gamma)
        self.learning_rate = None if learning_rate is None else float(learning_rate)
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")
        self.log_weights = np.zeros(len(self.strategies), dtype=np.float64)
        self.rounds: list[BanditRound] = []
        # the documents queried so far, their importance weights, and the last classifier's predictions on them
        self._tracked = np.empty(0, dtype=np.int64)
        self._tracked_weights = np.empty(0, dtype=np.float64)
        self._tracked_predictions: np.ndarray | None = None

    # --- inspection ------------------------------------------------------------------------------------------

    @property
    def eta(self) -> float:
        """The learning rate in use (``gamma / K`` unless ``learning_rate`` was given)."""
        return self.gamma / len(self.strategies) if self.learning_rate is None else self.learning_rate

    @property
    def probabilities(self) -> np.ndarray:
        """The distribution the next arm will be drawn from (before the next reward is applied)."""
        return exp3_probabilities(self.log_weights, self.gamma)

    @property
    def weights(self) -> np.ndarray:
        """The arms' weights ``exp(log_weights)``, normalized to sum to one."""
        shifted = np.exp(self.log_weights - self.log_weights.max())
        return shifted / shifted.sum()

    @property
    def arms_chosen(self) -> np.ndarray:
        """The arm of each query so far."""
        return np.array([r.arm for r in self.rounds], dtype=np.int64)

    @property
    def rewards(self) -> np.ndarray:
        """The reward of each query so far (``nan`` where none was measured, the last query's included)."""
        return np.array([np.nan if r.reward is None else r.reward for r in self.rounds], dtype=np.float64)

    # --- querying --------------------------------------------------------------------------------------------

    def select(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        if dataset.is_multi_label or sp.issparse(y):
            raise InvalidArgumentError(
                "ActiveLearningByLearning measures single-label accuracy; dataset is multi-label "
                f"({dataset.num_classes} labels)"
            )
        labels = np.asarray(y, dtype=np.int64)
        if labels.shape != indices_labeled.shape:
            raise InvalidArgumentError(
                f"y must have one label per labeled document ({indices_labeled.size}), got shape {labels.shape}"
            )
        clf = clf if isinstance(clf, Classifier) else None

        # 1. what the previous batch brought (nothing is stored until the arm below has answered)
        tracked_labels = _labels_of(self._tracked, indices_labeled, labels)
        still_labeled = tracked_labels >= 0
        tracked = self._tracked[still_labeled]
        weights = self._tracked_weights[still_labeled]
        predictions_now = None if clf is None else self._predict(clf, dataset, tracked)
        accuracies = None
        pending = self.rounds[-1] if self.rounds else None  # the previous call's round, not yet rewarded
        if (
            pending is not None
            and predictions_now is not None
            and self._tracked_predictions is not None
            and np.any(np.isin(pending.batch, tracked))
        ):
            truth = tracked_labels[still_labeled]
            accuracies = (
                importance_weighted_accuracy(self._tracked_predictions[still_labeled] == truth, weights),
                importance_weighted_accuracy(predictions_now == truth, weights),
            )
        log_weights = self.log_weights.copy()
        if accuracies is not None:
            reward = accuracies[1] - accuracies[0]
            log_weights[pending.arm] += self.eta * reward / pending.probabilities[pending.arm]

        # 2. draw an arm and let it answer
        probabilities = exp3_probabilities(log_weights, self.gamma)
        arm = int(self.rng.choice(len(self.strategies), p=probabilities))
        strategy = self.strategies[arm]
        batch = strategy.query(clf, dataset, candidates, indices_labeled, labels, n)
        order = np.argsort(candidates, kind="stable")
        positions = order[np.searchsorted(candidates, batch, sorter=order)]
        scores = strategy.last_scores if strategy.last_scores is not None else np.full(candidates.size, np.nan)

        # 3. commit
        if accuracies is not None:
            pending.accuracy_before, pending.accuracy_after = accuracies
            pending.reward = accuracies[1] - accuracies[0]
        self.log_weights = log_weights
        self._tracked = np.concatenate([tracked, batch])
        self._tracked_weights = np.concatenate([weights, np.full(batch.size, 1.0 / probabilities[arm])])
        self._tracked_predictions = (
            None if clf is None else np.concatenate([predictions_now, self._predict(clf, dataset, batch)])
        )
        self.rounds.append(BanditRound(arm=arm, probabilities=probabilities, batch=np.asarray(batch).copy()))
        return positions, scores

    def _predict(self, clf: Classifier, dataset: Dataset, indices: np.ndarray) -> np.ndarray:
        predictions = np.empty(indices.size, dtype=np.int64)
        for chunk in iter_chunks(np.arange(indices.size), self.chunk_size):
            predictions[chunk] = np.asarray(clf.predict(dataset[indices[chunk]]), dtype=np.int64)
        return predictions

    def get_params(self) -> dict[str, Any]:
        return {
            **super().get_params(),
            "strategies": list(self.strategies),
            "gamma": self.gamma,
            "learning_rate": self.learning_rate,
            "chunk_size": self.chunk_size,
        }


def _labels_of(indices: np.ndarray, indices_labeled: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The label of each of ``indices`` in (``indices_labeled``, ``labels``), ``-1`` where it is not labeled."""
    result = np.full(indices.size, -1, dtype=np.int64)
    if indices.size == 0 or indices_labeled.size == 0:
        return result
    order = np.argsort(indices_labeled, kind="stable")
    found = np.searchsorted(indices_labeled, indices, sorter=order)
    found = np.minimum(found, indices_labeled.size - 1)
    hit = indices_labeled[order[found]] == indices
    result[hit] = labels[order[found[hit]]]
    return result
