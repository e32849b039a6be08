"""Stream-based selective sampling: requests, delayed labels, retraining, bounded memory, bad input."""

from __future__ import annotations

import queue

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import make_pipeline

from activetext.active_learner import StreamBasedActiveLearner, simulate_stream
from activetext.active_learner.budget import DensityAware, FixedFraction, Split, VariableUncertainty
from activetext.classifiers import ConfidenceEnhancedLinearSVC
from activetext.classifiers.factories import SklearnClassifierFactory
from activetext.exceptions import (
    EmptyStreamError,
    InvalidArgumentError,
    InvalidLabelError,
    LabelCountMismatchError,
    MissingCapabilityError,
    UnknownRequestError,
)

SGD = SklearnClassifierFactory(SGDClassifier(loss="log_loss", random_state=0))
LOGISTIC = SklearnClassifierFactory(LogisticRegression())
SVM = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC())


def two_halves(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points in the plane labeled by the sign of their first coordinate."""
    x = np.random.default_rng(seed).normal(size=(n, 2))
    return x, (x[:, 0] > 0).astype(np.int64)


def state_of(learner: StreamBasedActiveLearner) -> tuple:
    return (
        learner.summary(),
        [request.ticket for request in learner.pending],
        learner.n_labeled,
        list(learner._unlearned),
        learner.classifier,
    )


# --- requests and labels ------------------------------------------------------------------------------------


def test_requests_carry_tickets_positions_and_documents():
    learner = StreamBasedActiveLearner(LOGISTIC, VariableUncertainty(1.0, step=0.5), num_classes=2)
    x, _ = two_halves(6)
    # no model yet: every utility is 1 (confidence 0), below the threshold 1, then 0.5, then 0.25, ...
    requests = learner.process(x[:3])
    assert [(r.ticket, r.position, r.utility) for r in requests] == [(0, 0, 1.0), (1, 1, 1.0), (2, 2, 1.0)]
    assert np.array_equal(requests[1].document.ravel(), x[1])
    requests = learner.process(x[3:])
    assert [(r.ticket, r.position) for r in requests] == [(3, 3), (4, 4), (5, 5)]
    assert learner.summary().labels_pending == 6 and learner.classifier is None


def test_the_model_is_trained_after_retrain_every_labels_and_uses_them():
    x, y = two_halves(40)
    learner = StreamBasedActiveLearner(LOGISTIC, FixedFraction(1.0), num_classes=2, retrain_every=4)
    requests = learner.process(x[:6])
    for request in requests[:3]:
        learner.teach(request.ticket, y[request.position])
    assert learner.classifier is None and learner.n_labeled == 3  # 3 < retrain_every
    learner.teach(requests[3].ticket, y[requests[3].position])
    assert learner.classifier is not None
    first = learner.classifier
    learner.teach_many([r.ticket for r in requests[4:]], y[[r.position for r in requests[4:]]])
    assert learner.classifier is first  # 2 new labels: no retraining yet
    assert learner.summary().labels_received == 6 and learner.summary().labels_pending == 0


def test_incremental_updates_match_partial_fit_by_hand():
    x, y = two_halves(30, seed=2)
    learner = StreamBasedActiveLearner(SGD, FixedFraction(1.0), num_classes=2, retrain_every=10, incremental=True)
    learner.run(x, ask=lambda request: y[request.position], batch_size=5)
    reference = SGDClassifier(loss="log_loss", random_state=0)
    for start in range(0, 30, 10):
        reference.partial_fit(x[start : start + 10], y[start : start + 10], classes=[0, 1])
    assert np.allclose(learner.classifier.models_[0].coef_, reference.coef_)


def test_labels_arriving_later_through_a_queue():
    x, y = two_halves(200)
    inbox: queue.Queue = queue.Queue()
    asked = []
    learner = StreamBasedActiveLearner(LOGISTIC, FixedFraction(0.2, window=50), num_classes=2, retrain_every=5)
    summary = learner.run(x[:100], ask=lambda request: asked.append(request), batch_size=10)
    assert summary.labels_received == 0 and summary.labels_pending == len(asked) > 0
    for request in asked:  # the annotators answer later, from another thread or process
        inbox.put((request.ticket, int(y[request.position])))
    summary = learner.run(x[100:], labels=inbox, batch_size=10)
    assert summary.labels_received == len(asked) and learner.classifier is not None
    assert inbox.empty()


def test_a_stream_of_texts_with_a_text_pipeline():
    texts = ["good film", "great acting", "bad plot", "awful pacing", "good plot", "awful film"] * 5
    labels = [1, 1, 0, 0, 1, 0] * 5
    pipeline = make_pipeline(HashingVectorizer(n_features=64, alternate_sign=False), LogisticRegression())
    learner = StreamBasedActiveLearner(
        SklearnClassifierFactory(pipeline), FixedFraction(1.0), num_classes=2, label_names=["neg", "pos"]
    )
    learner.run(iter(texts), ask=lambda request: labels[request.position])
    assert learner.predict(["good acting", "awful plot"]).tolist() == [1, 0]


def test_multi_label_streams_take_indicator_rows():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 3))
    y = (x[:, :2] > 0).astype(np.int64)  # two independent labels
    learner = StreamBasedActiveLearner(LOGISTIC, FixedFraction(1.0), num_classes=2, multi_label=True, retrain_every=20)
    learner.run(x[:200], ask=lambda request: y[request.position])
    predicted = learner.predict(x[200:])
    assert sp.issparse(predicted) and (predicted.toarray() == y[200:]).mean() > 0.9


# --- budgets -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "manager",
    [FixedFraction(0.05), VariableUncertainty(0.05), Split(0.05, seed=0), DensityAware(0.05)],
    ids=["fixed-fraction", "variable-uncertainty", "split", "density-aware"],
)
def test_every_budget_manager_spends_at_most_its_budget_and_learns(manager):
    x, y = two_halves(6000, seed=5)
    learner = StreamBasedActiveLearner(LOGISTIC, manager, num_classes=2, retrain_every=20)
    summary = learner.run(x, ask=lambda request: y[request.position], batch_size=20)
    assert summary.budget_used <= 0.05 + 0.002  # the budget used against the budget set
    assert summary.labels_received == summary.labels_requested > 100
    x_test, y_test = two_halves(2000, seed=6)
    assert (learner.predict(x_test) == y_test).mean() > 0.95


def test_a_density_aware_manager_needs_features_for_texts_and_leaves_the_learner_unchanged():
    learner = StreamBasedActiveLearner(LOGISTIC, DensityAware(0.5), num_classes=2)
    with pytest.raises(MissingCapabilityError, match="features"):
        learner.process(["a text", "another"])
    assert learner.summary().documents_seen == 0 and learner.budget_manager.n_seen == 0


# --- bounded memory ------------------------------------------------------------------------------------------


def test_memory_stays_bounded_on_a_long_stream():
    x, y = two_halves(30_000, seed=7)
    learner = StreamBasedActiveLearner(
        SGD, FixedFraction(0.5, window=100), num_classes=2, retrain_every=50, incremental=True, max_labeled=200
    )
    summary = learner.run((row for row in x), ask=lambda request: y[request.position], batch_size=100)
    assert summary.labels_received > 10_000 and learner.n_labeled == 200  # only the most recent labels are kept
    assert len(learner.budget_manager._recent) == 100 and len(learner.budget_manager._utilities) == 100
    assert len(learner._unlearned) < 50


def test_unanswered_requests_hold_back_new_ones_at_max_pending():
    x, _ = two_halves(5000, seed=7)
    learner = StreamBasedActiveLearner(LOGISTIC, FixedFraction(0.5, window=100), num_classes=2, max_pending=10)
    summary = learner.run(x, batch_size=100)  # nobody answers
    assert len(learner.pending) == 10 and summary.labels_requested == 10
    assert summary.requests_withheld > 0
    learner.skip(learner.pending[0].ticket)  # an annotator gives up on the oldest: one request can be issued again
    assert len(learner.process(x[:200])) == 1


# --- simulation ----------------------------------------------------------------------------------------------


def test_simulate_stream_reports_accuracy_against_labels_and_the_budget_used():
    x, y = two_halves(3000, seed=8)
    x_test, y_test = two_halves(500, seed=9)
    learner = StreamBasedActiveLearner(LOGISTIC, VariableUncertainty(0.02), num_classes=2, retrain_every=5)
    result = simulate_stream(learner, x, y, x_test, y_test, batch_size=10, label_delay=50, evaluate_every=1000)
    documents = [checkpoint.documents_seen for checkpoint in result.checkpoints]
    assert documents == [1000, 2000, 3000]
    labels = [checkpoint.labels_received for checkpoint in result.checkpoints]
    assert labels == sorted(labels) and labels[-1] == result.summary.labels_requested  # delayed labels arrive
    assert result.checkpoints[-1].accuracy > 0.95 and result.summary.budget_used <= 0.021
    assert result.to_records()[0]["documents_seen"] == 1000


@pytest.mark.slow
def test_a_shared_benchmark_read_as_a_stream():
    from activetext.datasets import load_benchmark

    train, test = load_benchmark("ag_news", "train"), load_benchmark("ag_news", "test")
    order = np.random.default_rng(0).permutation(len(train))
    vectorizer = HashingVectorizer(n_features=2**18, alternate_sign=False, norm="l2")
    x, x_test = vectorizer.transform(train.x[order]), vectorizer.transform(test.x)
    y = train.y[order]
    results = {}
    for name, manager in {"uncertainty": VariableUncertainty(0.05), "random": Split(0.05, 1.0, seed=0)}.items():
        learner = StreamBasedActiveLearner(SVM, manager, num_classes=4, retrain_every=20)
        results[name] = simulate_stream(learner, x, y, x_test, test.y, batch_size=20, label_delay=100)
    for result in results.values():
        accuracies = [checkpoint.accuracy for checkpoint in result.checkpoints]
        # 300 labels on hashed features (a supervised linear SVM on 300 random documents reaches about 0.69)
        assert accuracies[-1] > accuracies[0] and accuracies[-1] > 0.6  # 4 balanced classes: chance is 0.25
        assert abs(result.summary.budget_used - 0.05) < 0.01


# --- bad input -----------------------------------------------------------------------------------------------


def started_learner() -> StreamBasedActiveLearner:
    x, y = two_halves(60)
    learner = StreamBasedActiveLearner(LOGISTIC, FixedFraction(1.0), num_classes=2, retrain_every=5)
    requests = learner.process(x[:20])
    learner.teach_many([r.ticket for r in requests[:10]], y[:10])
    return learner


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda learner: learner.teach(99, 0), UnknownRequestError, "ticket 99 .* never requested"),
        (lambda learner: learner.teach(3, 0), UnknownRequestError, "ticket 3 .* taught already"),
        (lambda learner: learner.teach("12", 0), UnknownRequestError, "'12'"),
        (lambda learner: learner.teach_many([12, 12], [0, 1]), UnknownRequestError, "twice"),
        (lambda learner: learner.teach_many([12, 99], [0, 1]), UnknownRequestError, "99"),
        (lambda learner: learner.teach(12, 2), InvalidLabelError, "2"),
        (lambda learner: learner.teach_many([12, 13], [0]), LabelCountMismatchError, "2 labels"),
        (lambda learner: learner.teach_many([], []), InvalidArgumentError, "non-empty"),
        (lambda learner: learner.process([]), InvalidArgumentError, "non-empty"),
        (lambda learner: learner.process(["text"]), InvalidArgumentError, "dense rows"),
        (lambda learner: learner.process(np.ones((2, 3))), InvalidArgumentError, "number of features"),
        (lambda learner: learner.run(iter([])), EmptyStreamError, "no documents"),
        (lambda learner: learner.run(np.ones((2, 2)), batch_size=0), InvalidArgumentError, "batch_size"),
    ],
    ids=[
        "unknown-ticket",
        "taught-twice",
        "ticket-not-int",
        "same-ticket-twice",
        "one-unknown-of-two",
        "label-outside-set",
        "label-count",
        "no-tickets",
        "empty-batch",
        "text-after-rows",
        "wrong-width",
        "empty-stream",
        "bad-batch-size",
    ],
)
def test_bad_input_is_refused_and_leaves_the_learner_as_it_was(call, error, words):
    learner = started_learner()
    before = state_of(learner)
    with pytest.raises(error, match=words):
        call(learner)
    assert state_of(learner) == before


def test_an_exhausted_generator_is_reported_on_the_second_run():
    x, y = two_halves(20)
    learner = StreamBasedActiveLearner(LOGISTIC, FixedFraction(0.5), num_classes=2)
    stream = (row for row in x)
    learner.run(stream, ask=lambda request: y[request.position])
    with pytest.raises(EmptyStreamError, match="exhausted"):
        learner.run(stream)


def test_a_bad_message_in_the_queue_is_put_back_and_nothing_is_taught():
    learner = started_learner()
    inbox: queue.Queue = queue.Queue()
    inbox.put((12, 1))
    inbox.put("not a pair")
    before = state_of(learner)
    with pytest.raises(InvalidArgumentError, match="not a pair"):
        learner.drain(inbox)
    assert state_of(learner) == before
    assert [inbox.get_nowait() for _ in range(inbox.qsize())] == [(12, 1), "not a pair"]


def test_skip_withdraws_a_request():
    learner = started_learner()
    learner.skip(12)
    assert 12 not in [r.ticket for r in learner.pending] and learner.summary().requests_skipped == 1
    with pytest.raises(UnknownRequestError, match="ticket 12"):
        learner.teach(12, 0)


@pytest.mark.parametrize(
    ("make", "error", "words"),
    [
        (lambda: StreamBasedActiveLearner(LOGISTIC, FixedFraction(0.5), num_classes=1), InvalidArgumentError, "2"),
        (lambda: StreamBasedActiveLearner(LOGISTIC, 0.5, num_classes=2), InvalidArgumentError, "budget_manager"),
        (lambda: StreamBasedActiveLearner(LOGISTIC, FixedFraction(1.5), num_classes=2), InvalidArgumentError, "1.5"),
        (
            lambda: StreamBasedActiveLearner(SVM, FixedFraction(0.5), 2, incremental=True),
            MissingCapabilityError,
            "partial_fit",
        ),
        (
            lambda: StreamBasedActiveLearner(LOGISTIC, FixedFraction(0.5), num_classes=2, utility="surprise"),
            InvalidArgumentError,
            "surprise",
        ),
        (
            lambda: StreamBasedActiveLearner(LOGISTIC, FixedFraction(0.5), num_classes=2, max_pending=0),
            InvalidArgumentError,
            "max_pending",
        ),
    ],
    ids=["one-class", "not-a-manager", "budget-above-one", "no-partial-fit", "unknown-utility", "max-pending"],
)
def test_bad_configurations_are_refused(make, error, words):
    with pytest.raises(error, match=words):
        make()
