"""Fuzzing the stream-based learner: random documents, batches, tickets and labels, in random order.

A hypothesis state machine feeds a :class:`~activetext.active_learner.StreamBasedActiveLearner` (TF-IDF with
ConfidenceEnhancedLinearSVC on texts, ConfidenceEnhancedLinearSVC or an incremental SGD model on feature rows;
fixed-fraction, variable-uncertainty or split budget managers) with random batches, and teaches, skips and drains
random tickets with valid and invalid labels. After every call either it succeeded, or it raised an
:class:`~activetext.exceptions.ActiveTextError` and the learner (counts, pending requests, remembered labels, the
model and its predictions, the budget manager) is as before; ``run``, which processes a stream batch after batch,
keeps the batches it finished before an error. Invariants: every request is pending, taught or skipped; no more
than ``max_pending`` wait and ``max_labeled`` are remembered; the budget manager saw every document.
"""

from __future__ import annotations

import queue
from dataclasses import asdict
from typing import Any

import numpy as np
import scipy.sparse as sp
from fuzz_strategies import (
    REPORT,
    assert_same,
    attempt,
    broken_argument,
    feature_matrices,
    fuzz_report,  # noqa: F401  (the session fixture that writes the report)
    fuzz_settings,
    invalid_counts,
    label_layouts,
    labels_for,
    multi_label_layouts,
    run_quietly,
    text_pools,
)
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import Pipeline

from activetext.active_learner import StreamBasedActiveLearner
from activetext.active_learner.budget import DensityAware, FixedFraction, Split, VariableUncertainty
from activetext.active_learner.utility import UTILITIES
from activetext.classifiers import ConfidenceEnhancedLinearSVC
from activetext.classifiers.factories import SklearnClassifierFactory
from activetext.data import SklearnDataset
from activetext.exceptions import (
    EmptyStreamError,
    EmptyTextError,
    InvalidArgumentError,
    MissingCapabilityError,
    UnknownRequestError,
)

TEST = "stream_learner_state_machine"


@st.composite
def stream_setups(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["text", "dense", "dense", "sparse"]))
    multi_label = draw(st.integers(0, 3)) == 0
    num_classes = draw(st.integers(2, 5))
    if kind == "text":
        documents = draw(text_pools(min_size=3, max_size=16))
    else:
        matrix = draw(feature_matrices(sparse=kind == "sparse", min_rows=3, max_rows=16))
        documents = [matrix[i] for i in range(matrix.shape[0])]  # 1-D rows, or 1-row CSR matrices
    n = len(documents)
    oracle = draw(multi_label_layouts(n, num_classes) if multi_label else label_layouts(n, num_classes))
    budget = draw(st.sampled_from([0.1, 0.5, 1.0]))
    manager = draw(
        st.sampled_from(
            [
                FixedFraction(budget, window=draw(st.integers(1, 20))),
                VariableUncertainty(budget, step=0.2),
                Split(budget, random_share=0.5, step=0.2, seed=draw(st.integers(0, 100))),
                DensityAware(budget, step=0.2, density_window=draw(st.integers(1, 6))),
            ]
        )
    )
    model = "svc" if kind == "text" else draw(st.sampled_from(["svc", "sgd-incremental"]))
    utility = draw(st.sampled_from(["least-confidence", "margin", "entropy"]))
    return {
        "kind": kind,
        "documents": documents,
        "oracle": oracle,
        "multi_label": multi_label,
        "num_classes": num_classes,
        "manager": manager,
        "model": model,
        "utility": utility,
        "retrain_every": draw(st.integers(1, 4)),
        "max_labeled": draw(st.integers(2, 12)),
        "max_pending": draw(st.integers(1, 6)),
    }


def make_factory(kind: str, model: str) -> SklearnClassifierFactory:
    if kind == "text":
        return SklearnClassifierFactory(
            Pipeline([("tfidf", TfidfVectorizer()), ("svc", ConfidenceEnhancedLinearSVC(random_state=0))])
        )
    if model == "sgd-incremental":
        return SklearnClassifierFactory(SGDClassifier(loss="log_loss", random_state=0))
    return SklearnClassifierFactory(ConfidenceEnhancedLinearSVC(random_state=0))


def manager_state(manager: Any) -> dict[str, Any]:
    return {
        "n_seen": manager.n_seen,
        "n_queried": manager.n_queried,
        "spending": manager.spending,
        "threshold": getattr(manager, "threshold", None),
    }


def labels_as_dense(labels: Any) -> Any:
    return labels.toarray() if sp.issparse(labels) else labels


class StreamLearnerMachine(RuleBasedStateMachine):
    """Random calls on a StreamBasedActiveLearner."""

    def __init__(self) -> None:
        super().__init__()
        self.learner: StreamBasedActiveLearner | None = None
        self.taught: list[int] = []  # tickets already taught or skipped

    @initialize(setup=stream_setups())
    def build(self, setup: dict[str, Any]) -> None:
        REPORT.example(TEST)
        self.setup = setup
        self.documents = setup["documents"]
        self.kind, self.multi_label, self.num_classes = setup["kind"], setup["multi_label"], setup["num_classes"]
        made = attempt(
            TEST,
            "StreamBasedActiveLearner",
            StreamBasedActiveLearner,
            make_factory(self.kind, setup["model"]),
            setup["manager"],
            self.num_classes,
            multi_label=self.multi_label,
            retrain_every=setup["retrain_every"],
            incremental=setup["model"] == "sgd-incremental",
            max_labeled=setup["max_labeled"],
            max_pending=setup["max_pending"],
            utility=setup["utility"],
        )
        assert made.ok, f"a valid stream learner was refused: {made.error!r}"
        self.learner = made.value
        self.probe = self.documents[:3]
        self.initial = 0
        self.order: list[int] = []  # the document behind each stream position

    # --- helpers -------------------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        learner = self.learner
        classifier = learner.classifier
        return {
            "summary": asdict(learner.summary()),
            "pending": [(r.ticket, r.position, r.utility) for r in learner.pending],
            "n_labeled": learner.n_labeled,
            "classifier": id(classifier),
            "proba": None if classifier is None else run_quietly(learner.predict_proba, self.probe),
            "manager": manager_state(learner.budget_manager),
        }

    def call(self, operation: str, call: Any, *args: Any, atomic: bool = True, **kwargs: Any):
        before = self.snapshot()
        outcome = attempt(TEST, operation, call, *args, **kwargs)
        if not outcome.ok and atomic:
            assert_same(before, self.snapshot(), f"state after a refused {operation} ({outcome.error!r})")
        return outcome, before

    def label_of(self, document_index: int) -> Any:
        label = self.setup["oracle"][document_index]
        return label.toarray()[0] if sp.issparse(label) else int(label)

    def position_label(self, position: int) -> Any:
        """The oracle's label of the document at a stream position (positions cycle over the documents)."""
        return self.label_of(self.order[position] if position < len(self.order) else 0)

    def batch(self, data: st.DataObject, min_size: int = 1) -> list[int]:
        return data.draw(st.lists(st.integers(0, len(self.documents) - 1), min_size=min_size, max_size=5))

    def training_may_fail(self, error: Any) -> bool:
        return self.kind == "text" and isinstance(error, EmptyTextError)

    def invalid_documents(self, data: st.DataObject) -> Any:
        width = 3 if self.kind == "text" else (self.documents[0].shape[-1])
        options: list[Any] = [
            [],
            "one text",
            None,
            42,
            [None],
            [b"bytes"],
            [np.array([1 + 1j] * width)],
            [np.full(width, np.nan)],
            [np.zeros((2, width))],
            [[[0.0], [1.0, 2.0]]],
            SklearnDataset(np.zeros((2, width)), target_labels=[0, 1]),
        ]
        options.append(["text", np.zeros(3)] if self.kind == "text" else [self.documents[0], "a text"])
        if self.learner.summary().documents_seen or self.learner.n_labeled:  # the first documents set the kind
            options += [[np.zeros(3)]] if self.kind == "text" else [["a text"], [np.zeros(width + 1)]]
        return data.draw(st.sampled_from(options))

    def invalid_label(self, data: st.DataObject) -> Any:
        """One document's label that must be refused."""
        if self.multi_label:
            c = self.num_classes
            return data.draw(st.sampled_from([[2] * c, [-1] * c, [0] * (c + 1), [[0] * c, [1] * c], "label", None]))
        c = self.num_classes
        return data.draw(st.sampled_from([c, -1, 2**40, float("nan"), 0.5, "0", None, [0, 1], 1j, True, object()]))

    # --- rules ---------------------------------------------------------------------------------------------

    @rule(data=st.data())
    def initialize_data(self, data: st.DataObject) -> None:
        broken = data.draw(broken_argument("documents", "labels"))
        chosen = self.batch(data)
        documents: Any = [self.documents[i] for i in chosen]
        if broken == "labels":
            labels = data.draw(labels_for(len(chosen), self.num_classes, self.multi_label, valid=False))
        elif self.multi_label:
            labels = sp.vstack([self.setup["oracle"][i] for i in chosen]).tocsr()
        else:
            labels = [self.label_of(i) for i in chosen]
        if broken == "documents":
            documents = self.invalid_documents(data)
        outcome, before = self.call("initialize_data", self.learner.initialize_data, documents, labels)
        if broken == "none":
            assert outcome.ok or self.training_may_fail(outcome.error) or self.wrong_kind(outcome.error), outcome.error
        if outcome.ok:
            assert broken == "none", f"initialize_data accepted invalid {broken}: {documents!r}, {labels!r}"
            assert self.learner.classifier is not None
            assert self.learner.n_labeled == min(before["n_labeled"] + len(chosen), self.setup["max_labeled"])
            self.initial += len(chosen)

    def needs_features_it_lacks(self, error: Any) -> bool:
        """A density-aware manager on texts, with a model that has no embed: documented as refused."""
        return isinstance(error, MissingCapabilityError) and self.kind == "text"

    def wrong_kind(self, error: Any) -> bool:
        """Documents of another kind than the earlier ones are refused (texts after rows, another width)."""
        return isinstance(error, InvalidArgumentError) and "like the earlier documents" in str(error)

    @rule(data=st.data())
    def process(self, data: st.DataObject) -> None:
        if data.draw(broken_argument("documents")) == "none":
            chosen = self.batch(data)
            outcome, before = self.call("process", self.learner.process, [self.documents[i] for i in chosen])
            if self.needs_features_it_lacks(outcome.error):
                return
            assert outcome.ok, f"process refused a valid batch: {outcome.error!r}"
            self.order = self.order + chosen
            requests = outcome.value
            summary = self.learner.summary()
            assert summary.documents_seen == before["summary"]["documents_seen"] + len(chosen)
            first = before["summary"]["documents_seen"]
            for request in requests:
                assert first <= request.position < first + len(chosen)
                assert 0.0 <= request.utility <= 1.0
                assert request.ticket in [r.ticket for r in self.learner.pending]
            return
        documents = self.invalid_documents(data)
        outcome, _ = self.call("process (invalid)", self.learner.process, documents)
        assert not outcome.ok, f"process accepted {documents!r}"

    def pending_tickets(self) -> list[int]:
        return [request.ticket for request in self.learner.pending]

    def invalid_ticket(self, data: st.DataObject) -> Any:
        requested = self.learner.summary().labels_requested
        options: list[Any] = [requested, requested + 7, -1, True, "0", 1.0, None, 2**70]
        if self.taught:
            options.append(self.taught[-1])
        return data.draw(st.sampled_from(options))

    @precondition(lambda self: self.learner is not None and self.learner.pending)
    @rule(data=st.data())
    def teach(self, data: st.DataObject) -> None:
        broken = data.draw(broken_argument("ticket", "label"))
        request = data.draw(st.sampled_from(self.learner.pending))
        ticket: Any = request.ticket
        label = self.position_label(request.position)
        if broken == "ticket":
            ticket = self.invalid_ticket(data)
        elif broken == "label":
            label = self.invalid_label(data)
        outcome, before = self.call("teach", self.learner.teach, ticket, label)
        if broken == "none":
            assert outcome.ok or self.training_may_fail(outcome.error), f"valid teach raised {outcome.error!r}"
        if outcome.ok:
            assert broken == "none", f"teach accepted an invalid {broken}: {ticket!r}, {label!r}"
            assert ticket not in self.pending_tickets()
            assert self.learner.summary().labels_received == before["summary"]["labels_received"] + 1
            self.taught.append(int(ticket))

    @precondition(lambda self: self.learner is not None and self.learner.pending)
    @rule(data=st.data())
    def teach_many(self, data: st.DataObject) -> None:
        broken = data.draw(broken_argument("tickets", "labels"))
        requests = data.draw(st.lists(st.sampled_from(self.learner.pending), min_size=1, unique_by=lambda r: r.ticket))
        tickets: Any = [request.ticket for request in requests]
        if self.multi_label:
            labels: Any = np.array([self.position_label(r.position) for r in requests])
        else:
            labels = [self.position_label(r.position) for r in requests]
        if broken == "tickets":
            tickets = data.draw(
                st.sampled_from(
                    [[], [tickets[0], tickets[0]], [*tickets, self.invalid_ticket(data)], "0", 3, (t for t in tickets)]
                )
            )
        elif broken == "labels":
            labels = data.draw(labels_for(len(tickets), self.num_classes, self.multi_label, valid=False))
        outcome, _ = self.call("teach_many", self.learner.teach_many, tickets, labels)
        if broken == "none":
            assert outcome.ok or self.training_may_fail(outcome.error), f"valid teach_many raised {outcome.error!r}"
        if outcome.ok:
            assert broken == "none", f"teach_many accepted invalid {broken}: {tickets!r}, {labels!r}"
            assert not set(tickets) & set(self.pending_tickets())
            self.taught.extend(tickets)

    @precondition(lambda self: self.learner is not None)
    @rule(data=st.data())
    def skip(self, data: st.DataObject) -> None:
        pending = self.pending_tickets()
        ticket = data.draw(st.sampled_from(pending)) if pending and data.draw(st.booleans()) else None
        if ticket is None:
            ticket = self.invalid_ticket(data)
        outcome, before = self.call("skip", self.learner.skip, ticket)
        if type(ticket) is int and ticket in pending:  # (1.0 == 1 and True == 1, but neither is a ticket)
            assert outcome.ok, f"skip({ticket}) raised {outcome.error!r}"
            assert self.learner.summary().requests_skipped == before["summary"]["requests_skipped"] + 1
            self.taught.append(ticket)
        else:
            assert isinstance(outcome.error, (UnknownRequestError, InvalidArgumentError)), outcome

    @precondition(lambda self: self.learner is not None)
    @rule(data=st.data())
    def drain(self, data: st.DataObject) -> None:
        requests = self.learner.pending
        chosen = data.draw(st.lists(st.sampled_from(requests), unique_by=lambda r: r.ticket)) if requests else []
        messages: list[Any] = [(r.ticket, self.position_label(r.position)) for r in chosen]
        broken = data.draw(broken_argument("message"))
        if broken == "message":
            bad = data.draw(
                st.sampled_from(
                    [
                        "not a pair",
                        (1, 2, 3),
                        (self.invalid_ticket(data), 0),
                        (messages[0][0], -5) if messages else ("x", 0),
                        [0, 0],
                    ]
                )
            )
            messages.insert(data.draw(st.integers(0, len(messages))), bad)
        channel: queue.Queue = queue.Queue()
        for message in messages:
            channel.put(message)
        outcome, _ = self.call("drain", self.learner.drain, channel)
        if broken == "none":
            assert outcome.ok or self.training_may_fail(outcome.error), f"valid drain raised {outcome.error!r}"
        if outcome.ok:
            assert broken == "none", f"drain accepted {messages!r}"
            assert outcome.value == len(messages) and channel.empty()
            self.taught.extend(ticket for ticket, _ in messages)
        else:
            left = []
            while not channel.empty():
                left.append(channel.get_nowait())
            assert len(left) == len(messages) and all(
                a is b or (type(a) is type(b) and str(a) == str(b)) for a, b in zip(left, messages, strict=True)
            ), "drain lost or reordered messages"

    @precondition(lambda self: self.learner is not None)
    @rule(data=st.data())
    def run(self, data: st.DataObject) -> None:
        broken = data.draw(broken_argument("stream", "batch_size", "max_documents", "ask", "answers", valid_weight=4))
        chosen = self.batch(data)
        stream: Any = [self.documents[i] for i in chosen]
        batch_size: Any = data.draw(st.integers(1, 4))
        max_documents: Any = data.draw(st.none() | st.integers(1, 6))
        mode = data.draw(st.sampled_from(["answer", "later", "mixed"]))
        seen = self.learner.summary().documents_seen
        order = [*self.order, *chosen]

        def ask(request: Any) -> Any:
            if broken == "answers" and request.position == seen:
                return self.invalid_label(data)
            if mode == "later" or (mode == "mixed" and request.ticket % 2):
                return None
            label = self.label_of(order[request.position])
            return label

        answer: Any = ask
        if broken == "stream":
            stream = data.draw(st.sampled_from([[], iter(()), SklearnDataset(np.zeros((1, 1)), target_labels=[0, 1])]))
        elif broken == "batch_size":
            batch_size = data.draw(invalid_counts())
        elif broken == "max_documents":
            max_documents = data.draw(invalid_counts(optional=True))
        elif broken == "ask":
            answer = data.draw(st.sampled_from(["ask", 3]))
        atomic = broken not in ("answers", "none")
        outcome, _ = self.call(
            "run", self.learner.run, stream, answer, batch_size=batch_size, max_documents=max_documents, atomic=atomic
        )
        processed = self.learner.summary().documents_seen - seen
        self.order = order[: seen + processed] if processed < len(chosen) else order
        if broken == "none":
            refused = self.training_may_fail(outcome.error) or self.needs_features_it_lacks(outcome.error)
            assert outcome.ok or refused, f"valid run raised {outcome.error!r}"
        if broken == "stream":
            assert isinstance(outcome.error, (EmptyStreamError, InvalidArgumentError)), outcome
        if outcome.ok:
            assert broken in ("none", "answers"), f"run accepted an invalid {broken}"
            expected = len(chosen) if max_documents is None else min(len(chosen), max_documents)
            assert processed == expected
        self.taught = [t for t in range(self.learner.summary().labels_requested) if t not in self.pending_tickets()]

    @precondition(lambda self: self.learner is not None)
    @rule(data=st.data())
    def predict(self, data: st.DataObject) -> None:
        chosen = self.batch(data)
        documents = [self.documents[i] for i in chosen]
        has_model = self.learner.classifier is not None
        outcome, _ = self.call("predict_proba", self.learner.predict_proba, documents)
        if not has_model:
            assert isinstance(outcome.error, InvalidArgumentError), outcome
            return
        assert outcome.ok or self.wrong_kind(outcome.error), outcome.error
        if outcome.ok:
            proba = outcome.value
            assert proba.shape == (len(chosen), self.num_classes) and np.isfinite(proba).all()
            assert ((proba >= 0) & (proba <= 1)).all()
            if not self.multi_label:
                np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)

    # --- invariants ----------------------------------------------------------------------------------------

    @invariant()
    def consistent(self) -> None:
        if self.learner is None:
            return
        summary = self.learner.summary()
        tickets = self.pending_tickets()
        assert tickets == sorted(set(tickets)), "pending tickets are not unique and in order"
        assert all(0 <= ticket < summary.labels_requested for ticket in tickets)
        assert summary.labels_pending == len(tickets) <= self.learner.max_pending
        assert summary.labels_requested == summary.labels_received + summary.labels_pending + summary.requests_skipped
        manager = self.learner.budget_manager
        assert manager.n_seen == summary.documents_seen
        assert manager.n_queried == summary.labels_requested + summary.requests_withheld
        assert summary.labels_requested <= summary.budget * summary.documents_seen + 1 + 1e-9
        assert self.learner.n_labeled <= self.learner.max_labeled
        assert self.learner.n_labeled <= summary.labels_received + self.initial


StreamLearnerMachine.TestCase.settings = fuzz_settings(120, stateful_step_count=25)
test_stream_learner_state_machine = StreamLearnerMachine.TestCase


# --- construction --------------------------------------------------------------------------------------------


CONSTRUCTION = "stream_learner_construction"


INVALID_ARGUMENTS = {
    "clf_factory": st.sampled_from([ConfidenceEnhancedLinearSVC(), None, "svm"]),
    "budget_manager": st.sampled_from([0.5, None, "fixed"]),
    "num_classes": st.one_of(st.integers(-2, 1), invalid_counts()),
    "label_names": st.sampled_from([["a"], ["a", "b", "c", "d", "e"], [], 3]),
    "utility": st.sampled_from(["nope", 3, None, ""]),
    "retrain_every": invalid_counts(),
    "max_labeled": invalid_counts(),
    "max_pending": invalid_counts(),
    "incremental": st.just(True),  # with ConfidenceEnhancedLinearSVC, which has no partial_fit
    "features": st.sampled_from(["features", 3]),
}


@fuzz_settings(60)
@given(st.data())
def test_stream_learner_construction(data):
    """Constructor arguments with one of them invalid: a documented error, and a learner when none is."""
    REPORT.example(CONSTRUCTION)
    num_classes = data.draw(st.integers(2, 4))
    arguments: dict[str, Any] = {
        "clf_factory": SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()),
        "budget_manager": data.draw(st.sampled_from([FixedFraction(0.5), VariableUncertainty(0.2), Split(1.0)])),
        "num_classes": num_classes,
        "label_names": data.draw(st.none() | st.lists(st.text(max_size=3), min_size=num_classes, max_size=num_classes)),
        "utility": data.draw(st.sampled_from(["least-confidence", "margin", "entropy", lambda p, m: p[:, 0]])),
        "retrain_every": data.draw(st.integers(1, 3)),
        "max_labeled": data.draw(st.integers(1, 3)),
        "max_pending": data.draw(st.integers(1, 3)),
        "incremental": False,
        "features": data.draw(st.sampled_from([None, lambda dataset: np.zeros((len(dataset), 1))])),
    }
    broken = data.draw(broken_argument(*INVALID_ARGUMENTS, valid_weight=2))
    if broken != "none":
        arguments[broken] = data.draw(INVALID_ARGUMENTS[broken])
    outcome = attempt(CONSTRUCTION, "StreamBasedActiveLearner", StreamBasedActiveLearner, **arguments)
    if broken == "none":
        assert outcome.ok, f"valid arguments were refused: {outcome.error!r}"
    else:
        assert not outcome.ok, f"accepted {broken}={arguments[broken]!r}"


UTILITY_TEST = "stream_utilities"


@fuzz_settings(150)
@given(st.data())
def test_utilities_stay_in_the_unit_interval(data):
    """The built-in utilities map any probability rows (near uniform, one-hot, tiny, multi-label) into [0, 1], as
    the budget managers require."""
    REPORT.example(UTILITY_TEST)
    num_classes = data.draw(st.integers(1, 12))
    rows = data.draw(st.integers(1, 6))
    multi_label = data.draw(st.booleans())
    layout = data.draw(st.sampled_from(["uniform", "near-uniform", "one-hot", "random"]))
    if layout == "uniform":
        proba = np.full((rows, num_classes), 1.0 / num_classes)
    elif layout == "near-uniform":
        noise = np.asarray(
            data.draw(st.lists(st.floats(-1e-9, 1e-9), min_size=rows * num_classes, max_size=rows * num_classes))
        )
        proba = np.full((rows, num_classes), 1.0 / num_classes) + noise.reshape(rows, num_classes)
        proba = proba / proba.sum(axis=1, keepdims=True)
    elif layout == "one-hot":
        proba = np.eye(num_classes)[np.zeros(rows, dtype=int)]
    else:
        cells = data.draw(st.lists(st.floats(0.0, 1.0), min_size=rows * num_classes, max_size=rows * num_classes))
        proba = np.asarray(cells).reshape(rows, num_classes)
        if not multi_label:
            proba = (proba + 1e-12) / (proba + 1e-12).sum(axis=1, keepdims=True)
    for name, utility in UTILITIES.items():
        outcome = attempt(UTILITY_TEST, name, utility, proba, multi_label)
        assert outcome.ok, outcome.error
        values = np.asarray(outcome.value)
        assert values.shape == (rows,) and ((values >= 0) & (values <= 1)).all(), f"{name} left [0, 1]: {values}"


BUDGET_TEST = "budget_managers"


def manager_dict(manager: Any) -> dict[str, Any]:
    """Everything a budget manager holds, in forms assert_same compares (for 'unchanged after a refused call')."""
    state: dict[str, Any] = {}
    for key, value in vars(manager).items():
        if isinstance(value, np.random.Generator):
            value = value.bit_generator.state
        elif sp.issparse(value):
            value = value.toarray()
        elif isinstance(value, (list, tuple)) or type(value).__name__ == "deque":
            value = [item.toarray() if sp.issparse(item) else item for item in value]
        state[key] = value
    return state


@fuzz_settings(120)
@given(st.data())
def test_budget_managers_decide_or_refuse_unchanged(data):
    """``decide(utilities, features)`` on random batches: one decision per document within the budget, or a
    documented error that leaves the manager as it was."""
    REPORT.example(BUDGET_TEST)
    budget = data.draw(st.sampled_from([0.05, 0.3, 1.0]))
    manager = data.draw(
        st.sampled_from(
            [
                FixedFraction(budget, window=data.draw(st.integers(1, 10))),
                VariableUncertainty(budget, step=0.1),
                Split(budget, seed=0),
                DensityAware(budget, density_window=data.draw(st.integers(1, 5))),
            ]
        )
    )
    width = data.draw(st.integers(1, 3))
    sparse = data.draw(st.booleans())
    for _ in range(data.draw(st.integers(1, 5))):
        n = data.draw(st.integers(0, 6))
        utilities: Any = np.asarray(data.draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
        cells = data.draw(st.lists(st.integers(-3, 3), min_size=n * width, max_size=n * width))
        features: Any = np.asarray(cells, dtype=np.float64).reshape(n, width)
        features = sp.csr_matrix(features) if sparse else features
        broken = data.draw(broken_argument("utilities", "features"))
        if broken == "utilities":
            utilities = data.draw(
                st.sampled_from([None, "0.5", [1.5], [-0.1], [float("nan")], [[0.5]], [[0.5], [0.5, 0.5]], [1j]])
            )
        elif broken == "features":
            options = [None, "rows", np.zeros((n + 1, width)), np.full((n, width), np.nan), [[0.0], [1.0, 2.0]]]
            if manager.n_seen:  # the first batch sets the width and the storage
                options += [np.zeros((n, width + 1)), features.toarray() if sparse else sp.csr_matrix(features)]
            features = data.draw(st.sampled_from(options))
        before = manager_dict(manager)
        outcome = attempt(BUDGET_TEST, type(manager).__name__, manager.decide, utilities, features)
        if outcome.ok:
            uses_features = isinstance(manager, DensityAware)
            assert (
                broken == "none"
                or (broken == "features" and not uses_features)
                or (broken == "features" and n == 0 and features is not None and np.ndim(features) == 2)
            ), f"{type(manager).__name__} accepted an invalid {broken}"
            decisions = outcome.value
            assert decisions.dtype == bool and decisions.shape == (len(np.atleast_1d(utilities)),)
            assert manager.n_queried <= budget * manager.n_seen + 1 + 1e-9
        else:
            assert broken != "none", f"valid decide raised {outcome.error!r}"
            assert_same(before, manager_dict(manager), f"{type(manager).__name__} after a refused decide")
