"""Simulate a stream from labeled data: which budget manager buys the most accuracy per label?

:func:`simulate_stream` reads labeled documents in order as a stream, lets an oracle answer every request from the
true labels (after a chosen delay, measured in documents), and evaluates the learner's model on a test set at
regular checkpoints. The result reports accuracy against labels spent, and the budget actually used against the
budget set.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import accuracy_score, f1_score

from activetext.active_learner.stream import StreamBasedActiveLearner, StreamSummary
from activetext.exceptions import EmptyStreamError, InvalidArgumentError, LabelCountMismatchError
from activetext.utils.validation import check_positive_int

__all__ = ["StreamCheckpoint", "StreamSimulation", "simulate_stream"]


@dataclass(frozen=True)
class StreamCheckpoint:
    """The learner's state at one point of a simulated stream.

    Attributes
    ----------
    documents_seen : int
        Documents read so far.
    labels_requested : int
        Labels requested so far.
    labels_received : int
        Labels the learner has (requested labels still in flight are not counted).
    budget_used : float
        ``labels_requested / documents_seen``.
    accuracy : float or None
        Accuracy on the test set (subset accuracy for multi-label data); None while no model exists.
    macro_f1 : float or None
        Macro-averaged F1 on the test set; None while no model exists.
    """

    documents_seen: int
    labels_requested: int
    labels_received: int
    budget_used: float
    accuracy: float | None
    macro_f1: float | None


@dataclass(frozen=True)
class StreamSimulation:
    """The outcome of :func:`simulate_stream`: checkpoints in stream order and the final counts."""

    checkpoints: tuple[StreamCheckpoint, ...]
    summary: StreamSummary

    def to_records(self) -> list[dict[str, Any]]:
        """The checkpoints as a list of dicts (for a JSON file or a ``pandas.DataFrame``)."""
        return [asdict(checkpoint) for checkpoint in self.checkpoints]


def simulate_stream(
    learner: StreamBasedActiveLearner,
    documents: Sequence[Any] | Any,
    labels: Any,
    test_documents: Sequence[Any] | Any,
    test_labels: Any,
    *,
    batch_size: int = 10,
    label_delay: int = 0,
    evaluate_every: int = 1000,
) -> StreamSimulation:
    """Feed ``documents`` to ``learner`` as a stream, with an oracle answering from ``labels``.

    Parameters
    ----------
    learner : StreamBasedActiveLearner
        The learner (fresh, or started with ``initialize_data``).
    documents : sequence of str, or array / sparse matrix of feature rows
        The stream, read in order.
    labels : array-like
        The true label of each document (class indices, or an indicator matrix for multi-label data).
    test_documents, test_labels
        The held-out set the model is evaluated on at each checkpoint.
    batch_size : int
        Documents decided on together.
    label_delay : int
        A requested label arrives once this many further documents have been read (0: at once). Labels still in
        flight when the stream ends arrive before the last checkpoint.
    evaluate_every : int
        Documents between checkpoints (a checkpoint is also taken at the end).

    Returns
    -------
    StreamSimulation
    """
    if not isinstance(learner, StreamBasedActiveLearner):
        raise InvalidArgumentError(f"learner must be a StreamBasedActiveLearner, got {type(learner).__name__}")
    batch_size = check_positive_int(batch_size, name="batch_size")
    evaluate_every = check_positive_int(evaluate_every, name="evaluate_every")
    if isinstance(label_delay, bool) or not isinstance(label_delay, (int, np.integer)) or label_delay < 0:
        raise InvalidArgumentError(f"label_delay must be a non-negative int (documents), got {label_delay!r}")
    n_documents = _n_rows(documents)
    if n_documents == 0:
        raise EmptyStreamError("documents must hold at least one document, got none")
    if _n_rows(labels) != n_documents:
        raise LabelCountMismatchError(f"labels must have one label per document ({n_documents}), got {_n_rows(labels)}")
    if _n_rows(test_labels) != _n_rows(test_documents):
        raise LabelCountMismatchError(
            f"test_labels must have one label per test document ({_n_rows(test_documents)}), got {_n_rows(test_labels)}"
        )
    in_flight: deque[tuple[int, int, Any]] = deque()
    checkpoints = []
    next_checkpoint = evaluate_every
    for start in range(0, n_documents, batch_size):
        stop = min(start + batch_size, n_documents)
        for request in learner.process(documents[start:stop]):
            in_flight.append((request.position + label_delay, request.ticket, _label_at(labels, request.position)))
        _deliver(learner, in_flight, until=learner.summary().documents_seen)
        if stop >= next_checkpoint and stop < n_documents:
            checkpoints.append(_checkpoint(learner, test_documents, test_labels))
            next_checkpoint += evaluate_every
    _deliver(learner, in_flight, until=None)
    checkpoints.append(_checkpoint(learner, test_documents, test_labels))
    return StreamSimulation(tuple(checkpoints), learner.summary())


def _deliver(learner: StreamBasedActiveLearner, in_flight: deque, until: int | None) -> None:
    """Teach the labels due by stream position ``until`` (all of them when None)."""
    tickets, answers = [], []
    while in_flight and (until is None or in_flight[0][0] < until):
        _, ticket, label = in_flight.popleft()
        tickets.append(ticket)
        answers.append(label)
    if tickets:
        learner.teach_many(tickets, sp.vstack(answers).tocsr() if sp.issparse(answers[0]) else answers)


def _checkpoint(learner: StreamBasedActiveLearner, test_documents: Any, test_labels: Any) -> StreamCheckpoint:
    summary = learner.summary()
    accuracy = macro_f1 = None
    if learner.classifier is not None:
        predicted = learner.predict(test_documents)
        truth = sp.csr_matrix(test_labels) if learner.multi_label else np.asarray(test_labels)
        accuracy = float(accuracy_score(truth, predicted))
        macro_f1 = float(f1_score(truth, predicted, average="macro", zero_division=0))
    return StreamCheckpoint(
        documents_seen=summary.documents_seen,
        labels_requested=summary.labels_requested,
        labels_received=summary.labels_received,
        budget_used=summary.budget_used,
        accuracy=accuracy,
        macro_f1=macro_f1,
    )


def _label_at(labels: Any, position: int) -> Any:
    return labels[position] if sp.issparse(labels) else np.asarray(labels[position])


def _n_rows(values: Any) -> int:
    return values.shape[0] if sp.issparse(values) or isinstance(values, np.ndarray) else len(values)
