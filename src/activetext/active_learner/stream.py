"""Stream-based selective sampling: documents arrive one after another and each is labeled now or never.

A :class:`StreamBasedActiveLearner` reads documents from any iterable (a generator, a file read line by line, a
message-queue consumer), of unknown and possibly unbounded length. For each document it computes the utility of
its label from the current model (:mod:`activetext.active_learner.utility`) and asks a budget manager
(:mod:`activetext.active_learner.budget`) whether to request it. Requests carry a ticket; the label comes back
later, through :meth:`StreamBasedActiveLearner.teach`, a callback or a queue, possibly after many more documents.
The model is retrained every ``retrain_every`` labels, or updated incrementally when the classifier supports
``partial_fit``.

Memory stays bounded however long the stream is: the learner keeps at most ``max_labeled`` labeled documents (the
most recent ones; older ones leave the training set, which also lets the model follow drift) and at most
``max_pending`` requests waiting for labels. While ``max_pending`` requests wait, the learner requests no more
labels (back-pressure) instead of forgetting requests, so no label a person gives is ever refused for that reason.
"""

from __future__ import annotations

import copy
import itertools
import queue
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.active_learner.budget import BudgetManager
from activetext.active_learner.utility import Utility, resolve_utility
from activetext.classifiers.base import Classifier
from activetext.classifiers.capabilities import SupportsEmbeddings, supports_partial_fit
from activetext.classifiers.factories import ClassifierFactory
from activetext.data.datasets import Dataset, SklearnDataset, TextDataset
from activetext.data.labels import check_label_names, check_multi_labels, check_single_labels
from activetext.exceptions import (
    EmptyStreamError,
    InvalidArgumentError,
    LabelCountMismatchError,
    LabelShapeError,
    MissingCapabilityError,
    UnknownRequestError,
)
from activetext.utils.validation import as_array, check_positive_int

__all__ = ["LabelRequest", "StreamBasedActiveLearner", "StreamSummary"]


@dataclass(frozen=True)
class LabelRequest:
    """The learner asks for the label of one stream document.

    Attributes
    ----------
    ticket : int
        Identifies the request; pass it back with the label to :meth:`StreamBasedActiveLearner.teach`.
    position : int
        The document's position in the stream (0 for the first document the learner saw).
    document : str or numpy.ndarray or scipy.sparse matrix
        The document as it came from the stream.
    utility : float
        How useful the label was judged, in [0, 1].
    """

    ticket: int
    position: int
    document: Any
    utility: float


@dataclass(frozen=True)
class StreamSummary:
    """Counts of what the learner has seen and asked for.

    Attributes
    ----------
    documents_seen : int
        Documents processed.
    labels_requested : int
        Requests issued.
    labels_received : int
        Labels taught.
    labels_pending : int
        Requests still waiting for a label.
    requests_skipped : int
        Requests withdrawn with :meth:`StreamBasedActiveLearner.skip` (the document could not be labeled).
    requests_withheld : int
        Documents the budget manager chose while ``max_pending`` requests were waiting, so no request was issued.
    budget : float
        The budget set: the share of documents that may be labeled.
    """

    documents_seen: int
    labels_requested: int
    labels_received: int
    labels_pending: int
    requests_skipped: int
    requests_withheld: int
    budget: float

    @property
    def budget_used(self) -> float:
        """The share of documents for which a label was requested (to compare with :attr:`budget`)."""
        return self.labels_requested / self.documents_seen if self.documents_seen else 0.0


class StreamBasedActiveLearner:
    """An active learner over a stream of documents, deciding for each whether to ask for its label.

    Parameters
    ----------
    clf_factory : ClassifierFactory
        Creates the classifier. Documents are raw texts (for text classifiers such as the frozen-encoder one) or
        feature rows (numpy arrays or sparse rows of a fixed width, for scikit-learn models).
    budget_manager : BudgetManager
        Turns utilities into requests under the budget.
    num_classes : int
        The size of the label set (a stream cannot reveal it).
    multi_label : bool
        Whether a document may carry several labels (labels are then 0/1 indicator rows).
    label_names : sequence of str, optional
        One name per class.
    utility : str or callable
        ``"least-confidence"`` (default), ``"margin"``, ``"entropy"`` or ``f(proba, multi_label)``; before the
        first model exists every document has utility 1.
    retrain_every : int
        Retrain (or update incrementally) after this many new labels.
    incremental : bool
        Update the model with ``partial_fit`` on the new labels instead of retraining on all remembered labels;
        the classifier must support it (for example a ``SklearnClassifier`` around ``SGDClassifier``).
    max_labeled : int
        Labeled documents remembered for retraining (the most recent ones).
    max_pending : int
        Requests that may wait for labels at once.
    features : callable, optional
        ``f(dataset) -> array`` giving the rows a density-aware budget manager measures density on. By default the
        classifier's ``embed`` when it has one, otherwise the feature rows themselves.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import SGDClassifier
    >>> from activetext.active_learner.budget import VariableUncertainty
    >>> from activetext.classifiers.factories import SklearnClassifierFactory
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(2000, 2)); y = (x[:, 0] > 0).astype(int)
    >>> learner = StreamBasedActiveLearner(
    ...     SklearnClassifierFactory(SGDClassifier(loss="log_loss", random_state=0)), VariableUncertainty(0.05),
    ...     num_classes=2, retrain_every=5, incremental=True)
    >>> summary = learner.run(x, ask=lambda request: y[request.position])
    >>> summary.labels_received, round(summary.budget_used, 3)
    (99, 0.05)
    >>> float((learner.predict(x) == y).mean()) > 0.9
    True
    """

    def __init__(
        self,
        clf_factory: ClassifierFactory,
        budget_manager: BudgetManager,
        num_classes: int,
        *,
        multi_label: bool = False,
        label_names: Sequence[str] | None = None,
        utility: str | Utility = "least-confidence",
        retrain_every: int = 10,
        incremental: bool = False,
        max_labeled: int = 10_000,
        max_pending: int = 1_000,
        features: Callable[[Dataset], Any] | None = None,
    ):
        if not isinstance(clf_factory, ClassifierFactory):
            raise InvalidArgumentError(f"clf_factory must be a ClassifierFactory, got {type(clf_factory).__name__}")
        if not isinstance(budget_manager, BudgetManager):
            raise InvalidArgumentError(f"budget_manager must be a BudgetManager, got {type(budget_manager).__name__}")
        self.num_classes = check_positive_int(num_classes, name="num_classes")
        if self.num_classes < 2:
            raise InvalidArgumentError(f"num_classes must be at least 2, got {num_classes!r}")
        if label_names is not None:
            label_names = check_label_names(label_names)
            if len(label_names) != self.num_classes:
                raise InvalidArgumentError(
                    f"label_names must have one name per class ({self.num_classes}), got {len(label_names)} names"
                )
        if incremental and not supports_partial_fit(clf_factory.new()):
            raise MissingCapabilityError(
                f"incremental=True needs a classifier that supports partial_fit, got {clf_factory.new()!r}"
            )
        if features is not None and not callable(features):
            raise InvalidArgumentError(f"features must be a callable f(dataset) -> array, got {features!r}")
        self.clf_factory = clf_factory
        self.budget_manager = budget_manager
        self.multi_label = bool(multi_label)
        self.label_names = label_names
        self.utility = resolve_utility(utility)
        self.retrain_every = check_positive_int(retrain_every, name="retrain_every")
        self.incremental = bool(incremental)
        self.max_labeled = check_positive_int(max_labeled, name="max_labeled")
        self.max_pending = check_positive_int(max_pending, name="max_pending")
        self.features = features
        self._classifier: Classifier | None = None
        self._labeled: deque[tuple[Any, Any]] = deque(maxlen=self.max_labeled)
        self._unlearned: list[tuple[Any, Any]] = []
        self._pending: OrderedDict[int, LabelRequest] = OrderedDict()
        self._kind: str | None = None
        self._width: int | None = None
        self._seen = self._requested = self._received = self._skipped = self._withheld = 0

    # --- starting --------------------------------------------------------------------------------------------

    def initialize_data(self, documents: Sequence[Any], labels: Any) -> None:
        """Start from labeled documents (for example a handful labeled by hand) and train the first model.

        Parameters
        ----------
        documents : sequence of str, or array / sparse matrix of feature rows
            The labeled documents.
        labels : array-like
            Their labels: class indices, or indicator rows when ``multi_label``.
        """
        rows = self._check_documents(documents, name="documents")
        checked = self._check_labels(labels, len(rows), name="labels")
        labeled = list(zip(rows, checked, strict=True))
        classifier = self._learn(labeled)
        self._commit_kind(rows)
        self._labeled.extend(labeled)
        self._unlearned = []
        self._classifier = classifier

    # --- the stream ------------------------------------------------------------------------------------------

    def process(self, documents: Sequence[Any]) -> list[LabelRequest]:
        """Decide for each document of a batch, in order, whether to ask for its label.

        Parameters
        ----------
        documents : sequence of str, or array / sparse matrix of feature rows
            The next documents of the stream (one document is a batch of one).

        Returns
        -------
        list of LabelRequest
            The requests issued, in stream order.
        """
        rows = self._check_documents(documents, name="documents")
        data = self._dataset(rows)
        utilities = self._utilities(data)
        features = self._manager_features(data) if self.budget_manager.requires_features else None
        decisions = self.budget_manager.decide(utilities, features)
        self._commit_kind(rows)
        requests = []
        for offset, (row, utility, asked) in enumerate(zip(rows, utilities.tolist(), decisions, strict=True)):
            if not asked:
                continue
            if len(self._pending) >= self.max_pending:
                self._withheld += 1
                continue
            request = LabelRequest(self._requested, self._seen + offset, row, float(utility))
            self._pending[request.ticket] = request
            self._requested += 1
            requests.append(request)
        self._seen += len(rows)
        return requests

    def teach(self, ticket: int, label: Any) -> None:
        """Give the label of a requested document; it joins the training data.

        Parameters
        ----------
        ticket : int
            The request's ticket.
        label : int or indicator row
            The label.

        Raises
        ------
        UnknownRequestError
            If no request with this ticket waits for a label.
        InvalidLabelError
            If the label is outside the label set.
        """
        self.teach_many([ticket], [label])

    def teach_many(self, tickets: Sequence[int], labels: Any) -> None:
        """Give the labels of several requested documents at once (retraining at most once).

        A call that raises changes nothing: either every label is taken or none.
        """
        tickets = self._check_tickets(tickets)
        checked = self._check_labels(labels, len(tickets), name="labels")
        new = [(self._pending[ticket].document, label) for ticket, label in zip(tickets, checked, strict=True)]
        unlearned = [*self._unlearned, *new]
        classifier = self._classifier
        if len(unlearned) >= self.retrain_every:
            classifier = self._learn(unlearned if self.incremental else [*self._labeled, *new])
            unlearned = []
        for ticket in tickets:
            del self._pending[ticket]
        self._labeled.extend(new)
        self._unlearned = unlearned
        self._classifier = classifier
        self._received += len(new)

    def skip(self, ticket: int) -> None:
        """Withdraw a request whose document cannot be labeled (it never joins the training data)."""
        (ticket,) = self._check_tickets([ticket])
        del self._pending[ticket]
        self._skipped += 1

    def drain(self, labels: queue.Queue, *, timeout: float | None = None) -> int:
        """Take every ``(ticket, label)`` pair waiting in ``labels`` and teach them together.

        Parameters
        ----------
        labels : queue.Queue
            Where annotators (or another thread) put ``(ticket, label)`` pairs.
        timeout : float, optional
            Wait up to this many seconds for the first pair; by default do not wait.

        Returns
        -------
        int
            The number of labels taught.

        Raises
        ------
        UnknownRequestError, InvalidLabelError, InvalidArgumentError
            If a pair is malformed or unknown. The pairs taken are put back on the queue, in order, and the
            learner is unchanged.
        """
        messages = []
        try:
            messages.append(labels.get(timeout=timeout) if timeout else labels.get_nowait())
            while True:
                messages.append(labels.get_nowait())
        except queue.Empty:
            pass
        if not messages:
            return 0
        try:
            if not all(isinstance(message, tuple) and len(message) == 2 for message in messages):
                bad = next(message for message in messages if not (isinstance(message, tuple) and len(message) == 2))
                raise InvalidArgumentError(f"labels must hold (ticket, label) pairs, got {bad!r}")
            self.teach_many([ticket for ticket, _ in messages], [label for _, label in messages])
        except Exception:
            for message in messages:
                labels.put(message)
            raise
        return len(messages)

    def run(
        self,
        stream: Iterable[Any],
        ask: Callable[[LabelRequest], Any] | None = None,
        *,
        labels: queue.Queue | None = None,
        batch_size: int = 1,
        max_documents: int | None = None,
    ) -> StreamSummary:
        """Read ``stream`` to its end (or ``max_documents``), requesting labels as the budget allows.

        Parameters
        ----------
        stream : iterable
            Documents (texts or feature rows), read lazily; a 2-D array or sparse matrix is read row by row.
        ask : callable, optional
            Called with each :class:`LabelRequest`; it returns the label at once, or None when the label will
            come later (through ``labels`` or :meth:`teach`).
        labels : queue.Queue, optional
            Drained after each batch for ``(ticket, label)`` pairs that arrived late.
        batch_size : int
            Documents decided on together (utilities are computed for a batch at once).
        max_documents : int, optional
            Stop after this many documents.

        Returns
        -------
        StreamSummary

        Raises
        ------
        EmptyStreamError
            If the stream yields no document (for example a generator exhausted by an earlier run).
        """
        batch_size = check_positive_int(batch_size, name="batch_size")
        if max_documents is not None:
            max_documents = check_positive_int(max_documents, name="max_documents")
        if ask is not None and not callable(ask):
            raise InvalidArgumentError(f"ask must be a callable f(request) -> label or None, got {ask!r}")
        documents = _rows_of(stream)
        if max_documents is not None:
            documents = itertools.islice(documents, max_documents)
        read = 0
        for batch in _batches(documents, batch_size):
            read += len(batch)
            for request in self.process(batch):
                answer = ask(request) if ask is not None else None
                if answer is not None:
                    self.teach(request.ticket, answer)
            if labels is not None:
                self.drain(labels)
        if read == 0:
            raise EmptyStreamError(
                "stream yielded no documents: it is empty, or a generator already exhausted by an earlier run"
            )
        return self.summary()

    # --- what the learner knows ------------------------------------------------------------------------------

    @property
    def classifier(self) -> Classifier | None:
        """The current model (None until the first training)."""
        return self._classifier

    @property
    def pending(self) -> list[LabelRequest]:
        """The requests waiting for labels, oldest first."""
        return list(self._pending.values())

    @property
    def n_labeled(self) -> int:
        """Labeled documents remembered for training (at most ``max_labeled``)."""
        return len(self._labeled)

    def summary(self) -> StreamSummary:
        """Return the counts of documents seen and labels requested, received and pending."""
        return StreamSummary(
            documents_seen=self._seen,
            labels_requested=self._requested,
            labels_received=self._received,
            labels_pending=len(self._pending),
            requests_skipped=self._skipped,
            requests_withheld=self._withheld,
            budget=self.budget_manager.budget,
        )

    def predict(self, documents: Sequence[Any]) -> np.ndarray | sp.csr_matrix:
        """Predict labels for documents with the current model."""
        return self._require_classifier("predict").predict(self._dataset(self._check_documents(documents)))

    def predict_proba(self, documents: Sequence[Any]) -> np.ndarray:
        """Predict probabilities for documents with the current model."""
        return self._require_classifier("predict_proba").predict_proba(self._dataset(self._check_documents(documents)))

    # --- internals -------------------------------------------------------------------------------------------

    def _require_classifier(self, operation: str) -> Classifier:
        if self._classifier is None:
            raise InvalidArgumentError(
                f"{operation} needs a model: teach at least retrain_every={self.retrain_every} labels or call "
                "initialize_data first"
            )
        return self._classifier

    def _check_documents(self, documents: Any, *, name: str = "documents") -> list[Any]:
        """Return the documents as a list of texts or of 1-row feature matrices, checked against earlier ones."""
        rows = list(_rows_of(documents, name)) if not isinstance(documents, str) else None
        if not rows:
            raise InvalidArgumentError(
                f"{name} must be a non-empty sequence of texts or feature rows, got {_preview(documents)}"
            )
        kinds = {_kind(row) for row in rows}
        if None in kinds or len(kinds) > 1:
            raise InvalidArgumentError(
                f"{name} must be all texts or all numeric feature rows, got {sorted(map(str, kinds))} "
                f"(first: {_preview(rows[0])})"
            )
        kind = kinds.pop()
        if self._kind is not None and kind != self._kind:
            raise InvalidArgumentError(f"{name} must be {self._kind} like the earlier documents, got {kind}")
        if kind != "text":
            rows = [
                sp.csr_matrix(row) if sp.issparse(row) else np.asarray(row, dtype=np.float64).reshape(1, -1)
                for row in rows
            ]
            widths = {row.shape[1] for row in rows} | ({self._width} if self._width is not None else set())
            if len(widths) > 1:
                raise InvalidArgumentError(f"{name} must all have the same number of features, got {sorted(widths)}")
        return rows

    def _commit_kind(self, rows: list[Any]) -> None:
        self._kind = _kind(rows[0])
        if self._kind != "text":
            self._width = rows[0].shape[1]

    def _check_labels(self, labels: Any, count: int, *, name: str) -> list[Any]:
        if self.multi_label:
            if not sp.issparse(labels) and as_array(labels, name=name, error=LabelShapeError).ndim == 1 and count == 1:
                labels = [labels]
            matrix = check_multi_labels(labels, self.num_classes, n_samples=count, name=name)
            return [matrix[i] for i in range(count)]
        array = as_array(labels, name=name, error=LabelShapeError)
        if array.ndim != 1 or array.shape[0] != count:
            raise LabelCountMismatchError(f"{name} must hold {count} labels, one per document, got {_preview(labels)}")
        return check_single_labels(array, self.num_classes, n_samples=count, name=name, allow_unlabeled=False).tolist()

    def _check_tickets(self, tickets: Sequence[int]) -> list[int]:
        if isinstance(tickets, (str, bytes)) or not isinstance(tickets, Sequence) or not tickets:
            raise InvalidArgumentError(f"tickets must be a non-empty sequence of ints, got {_preview(tickets)}")
        checked: list[int] = []
        for ticket in tickets:
            if isinstance(ticket, bool) or not isinstance(ticket, (int, np.integer)):
                raise UnknownRequestError(f"ticket must be the int of a LabelRequest, got {ticket!r}")
            ticket = int(ticket)
            if ticket in checked:
                raise UnknownRequestError(f"ticket {ticket} is given twice in one call")
            if ticket not in self._pending:
                why = (
                    "its label was taught already or it was skipped"
                    if 0 <= ticket < self._requested
                    else ("it was never requested")
                )
                raise UnknownRequestError(f"ticket {ticket} has no request waiting for a label: {why}")
            checked.append(ticket)
        return checked

    def _dataset(self, rows: list[Any], labels: list[Any] | None = None) -> Dataset:
        target_labels = np.arange(self.num_classes)
        y: Any = None
        if labels is not None:
            y = sp.vstack(labels).tocsr() if self.multi_label else np.asarray(labels, dtype=np.int64)
        if _kind(rows[0]) == "text":
            return TextDataset(rows, y, target_labels=target_labels, label_names=self.label_names)
        x = sp.vstack(rows).tocsr() if sp.issparse(rows[0]) else np.vstack(rows)
        return SklearnDataset(x, y, target_labels=target_labels, label_names=self.label_names)

    def _utilities(self, data: Dataset) -> np.ndarray:
        if self._classifier is None:
            return np.ones(len(data))
        utilities = np.asarray(self.utility(self._classifier.predict_proba(data), self.multi_label), dtype=float)
        if utilities.shape != (len(data),) or not np.all((utilities >= 0) & (utilities <= 1)):
            raise InvalidArgumentError(
                f"utility must return one value in [0, 1] per document ({len(data)}), got {_preview(utilities)}"
            )
        return utilities

    def _manager_features(self, data: Dataset) -> Any:
        if self.features is not None:
            return self.features(data)
        if self._classifier is not None and isinstance(self._classifier, SupportsEmbeddings):
            return self._classifier.embed(data)
        if isinstance(data, TextDataset):
            raise MissingCapabilityError(
                f"{type(self.budget_manager).__name__} needs document features: pass features=f(dataset) (for "
                "example an encoder's encode) or use a classifier with embed; texts alone have none"
            )
        return data.x

    def _learn(self, labeled: list[tuple[Any, Any]]) -> Classifier:
        """Return the model after learning ``labeled``, leaving the current model untouched.

        Incremental learners update a copy of the current model with ``labeled`` (the labels not learned yet);
        the others fit a new model on ``labeled`` (every remembered label), keeping the latest ``max_labeled``.
        """
        if self.incremental:
            classifier = self.clf_factory.new() if self._classifier is None else copy.deepcopy(self._classifier)
            rows, labels = zip(*labeled, strict=True)
            return classifier.partial_fit(self._dataset(list(rows), list(labels)))
        rows, labels = zip(*labeled[-self.max_labeled :], strict=True)
        return self.clf_factory.new().fit(self._dataset(list(rows), list(labels)))

    def __repr__(self) -> str:
        return (
            f"StreamBasedActiveLearner({self.budget_manager!r}, seen={self._seen}, labeled={self._received}, "
            f"pending={len(self._pending)})"
        )


def _kind(row: Any) -> str | None:
    if isinstance(row, str):
        return "text"
    if sp.issparse(row):
        return "sparse rows" if row.shape[0] == 1 and row.dtype.kind in "iuf" else None
    if isinstance(row, np.ndarray | list | tuple):
        try:
            array = np.asarray(row)
        except (ValueError, TypeError):  # a ragged row
            return None
        return "dense rows" if array.dtype.kind in "iuf" and (array.ndim == 1 or array.shape[0] == 1) else None
    return None


def _rows_of(stream: Any, name: str = "stream") -> Iterable[Any]:
    """Iterate a stream document by document; a 2-D array or sparse matrix yields its rows."""
    if sp.issparse(stream):
        matrix = sp.csr_matrix(stream)
        return (matrix[i] for i in range(matrix.shape[0]))
    if isinstance(stream, Dataset):
        raise InvalidArgumentError(
            f"{name} must yield documents (texts or feature rows), got a Dataset: pass dataset.x instead"
        )
    try:
        return iter(stream)
    except TypeError as error:  # None, a number, a 0-d array: nothing to iterate
        raise InvalidArgumentError(
            f"{name} must be an iterable of documents (texts or feature rows), got {_preview(stream)}"
        ) from error


def _batches(documents: Iterable[Any], size: int) -> Iterable[list[Any]]:
    iterator = iter(documents)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
