"""The pool-based learner's bookkeeping, with answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from activetext.active_learner import PoolBasedActiveLearner
from activetext.classifiers import ConfidenceEnhancedLinearSVC, SklearnClassifier
from activetext.classifiers.factories import ClassifierFactory, SklearnClassifierFactory
from activetext.data import SklearnDataset
from activetext.exceptions import (
    EmptyPoolException,
    InvalidArgumentError,
    InvalidIndicesError,
    InvalidLabelError,
    LabelCountMismatchError,
    LabelShapeError,
    MissingCapabilityError,
    NoPendingQueryError,
    NotInitializedError,
    PoolExhaustedException,
)
from activetext.query_strategies import BreakingTies, LeastConfidence, RandomSampling
from conftest import assert_same_state, make_learner, snapshot


def test_initialize_data_labels_exactly_the_given_documents(pool):
    learner = make_learner(pool)
    learner.initialize_data([0, 20, 40], [0, 1, 2])
    expected = np.full(60, -1)
    expected[[0, 20, 40]] = [0, 1, 2]
    np.testing.assert_array_equal(learner.y, expected)
    np.testing.assert_array_equal(learner.indices_labeled, [0, 20, 40])
    assert learner.indices_unlabeled.size == 57
    assert learner.indices_queried.size == 0
    assert isinstance(learner.classifier, SklearnClassifier)


def test_labels_come_from_the_learner_not_from_the_dataset(pool):
    """Training uses the labels the learner was given, even when they disagree with dataset.y."""
    learner = make_learner(pool)
    wrong = [2, 2, 0, 0]  # the opposite of the blobs' truth for 0, 1 (class 0) and 40, 41 (class 2)
    learner.initialize_data([0, 1, 40, 41], wrong)
    assert learner.classifier.predict(pool[[0, 1]]).tolist() == [2, 2]
    assert pool.y[[0, 1, 40, 41]].tolist() == [0, 0, 2, 2]  # the dataset is untouched


def test_query_update_cycle_grows_the_labeled_set(pool):
    learner = make_learner(pool)
    learner.initialize_data([0, 20, 40], [0, 1, 2])
    queried = learner.query(num_samples=5)
    assert len(set(queried.tolist())) == 5
    assert not set(queried.tolist()) & {0, 20, 40}
    np.testing.assert_array_equal(learner.indices_queried, queried)
    learner.update(pool.y[queried])
    assert learner.indices_labeled.size == 8
    np.testing.assert_array_equal(learner.y[queried], pool.y[queried])
    assert learner.indices_queried.size == 0


def test_uncertainty_query_picks_the_documents_between_the_classes():
    x = np.array([[-2.0], [-1.0], [-0.1], [0.05], [1.0], [2.0]])
    data = SklearnDataset(x, target_labels=np.arange(2))
    learner = make_learner(data, BreakingTies(seed=0))
    learner.initialize_data([0, 5], [0, 1])
    assert sorted(learner.query(num_samples=2).tolist()) == [2, 3]


def test_a_new_query_replaces_an_unanswered_one(pool):
    learner = make_learner(pool)
    learner.initialize_data([0, 20, 40], [0, 1, 2])
    learner.query(num_samples=3)
    second = learner.query(num_samples=2)
    np.testing.assert_array_equal(learner.indices_queried, second)
    with pytest.raises(LabelCountMismatchError, match="2 labels"):
        learner.update([0, 0, 0])
    learner.update(pool.y[second])
    assert learner.indices_labeled.size == 5


def test_validation_indices_are_held_out_of_training(pool):
    class Recording(SklearnClassifier):
        def fit(self, train, validation=None, weights=None):
            self.sizes = (len(train), None if validation is None else len(validation))
            return super().fit(train, validation, weights)

    class Factory(SklearnClassifierFactory):
        def new(self):
            return Recording(ConfidenceEnhancedLinearSVC())

    learner = PoolBasedActiveLearner(Factory(ConfidenceEnhancedLinearSVC()), RandomSampling(seed=0), pool)
    learner.initialize_data([0, 1, 20, 21, 40, 41], [0, 0, 1, 1, 2, 2], indices_validation=[1, 21])
    assert learner.classifier.sizes == (4, 2)
    np.testing.assert_array_equal(learner.indices_validation, [1, 21])
    queried = learner.query(num_samples=4)
    learner.update(pool.y[queried], indices_validation=queried[:1])
    assert learner.classifier.sizes == (7, 3)


def test_update_label_at_corrects_and_retrains(pool):
    learner = make_learner(pool)
    learner.initialize_data([0, 20, 40], [0, 1, 2])
    before = learner.classifier
    learner.update_label_at(20, 2)
    assert learner.y[20] == 2
    assert learner.classifier is not before
    learner.update_label_at(20, 1, retrain=False)
    assert learner.y[20] == 1
    assert learner.classifier is learner.classifier  # unchanged object without retraining


def test_remove_label_at_returns_the_document_to_the_pool(pool):
    learner = make_learner(pool)
    learner.initialize_data([0, 1, 20, 40], [0, 0, 1, 2], indices_validation=[1])
    learner.remove_label_at(1)
    assert learner.y[1] == -1
    assert 1 in learner.indices_unlabeled
    assert learner.indices_validation.size == 0


def test_removing_every_label_leaves_no_classifier(pool):
    learner = make_learner(pool)
    learner.initialize_data([0], [0])
    learner.remove_label_at(0)
    assert learner.classifier is None
    assert learner.indices_labeled.size == 0


def test_ignore_sample_at_excludes_from_queries_and_the_pending_query(pool):
    learner = make_learner(pool)
    learner.initialize_data([0, 20, 40], [0, 1, 2])
    queried = learner.query(num_samples=3)
    learner.ignore_sample_at(int(queried[1]))
    np.testing.assert_array_equal(learner.indices_queried, queried[[0, 2]])
    np.testing.assert_array_equal(learner.indices_ignored, [queried[1]])
    assert queried[1] not in learner.indices_unlabeled
    learner.update(pool.y[queried[[0, 2]]])
    for _ in range(5):
        assert queried[1] not in learner.query(num_samples=10)


def test_ignoring_the_whole_pending_query_clears_it(pool):
    learner = make_learner(pool)
    learner.initialize_data([0, 20, 40], [0, 1, 2])
    (only,) = learner.query(num_samples=1)
    learner.ignore_sample_at(int(only))
    with pytest.raises(NoPendingQueryError):
        learner.update([0])


def test_cold_start_queries_randomly_then_trains(pool):
    learner = make_learner(pool, RandomSampling(seed=3))
    learner.initialize()
    assert learner.classifier is None
    queried = learner.query(num_samples=6)
    learner.update(pool.y[queried])
    assert learner.classifier is not None
    assert learner.indices_labeled.size == 6


def test_cold_start_with_an_uncertainty_strategy_says_what_is_missing(pool):
    learner = make_learner(pool, LeastConfidence(seed=0))
    learner.initialize()
    with pytest.raises(MissingCapabilityError, match="needs a trained classifier"):
        learner.query(num_samples=2)


def test_initialize_with_a_trained_classifier_uses_it_for_the_first_query():
    x = np.array([[-2.0], [-1.0], [-0.1], [0.05], [1.0], [2.0]])
    data = SklearnDataset(x, np.array([0, 0, 0, 1, 1, 1]), target_labels=np.arange(2))
    trained = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()).new().fit(data[[0, 5]])
    learner = make_learner(data, BreakingTies(seed=0))
    learner.initialize(trained)
    assert learner.classifier is trained
    assert sorted(learner.query(num_samples=2).tolist()) == [2, 3]


def test_reuse_model_fits_the_same_classifier_again(pool):
    learner = make_learner(pool, reuse_model=True)
    learner.initialize_data([0, 20, 40], [0, 1, 2])
    first = learner.classifier
    learner.update(pool.y[learner.query(num_samples=3)])
    assert learner.classifier is first


def test_multi_label_learning(multi_label_pool):
    learner = make_learner(multi_label_pool)
    initial = np.arange(10)
    learner.initialize_data(initial, multi_label_pool.y[initial])
    queried = learner.query(num_samples=5)
    learner.update(multi_label_pool.y[queried])
    y = learner.y
    assert sp.issparse(y) and y.shape == (40, 3)
    labeled = learner.indices_labeled
    np.testing.assert_array_equal(y[labeled].toarray(), multi_label_pool.y[labeled].toarray())
    assert learner.classifier.predict_proba(multi_label_pool).shape == (40, 3)
    learner.update_label_at(0, sp.csr_matrix([[1, 1, 1]]))
    assert learner.y[0].toarray().tolist() == [[1, 1, 1]]


def test_multi_label_document_may_be_labeled_with_no_label(multi_label_pool):
    learner = make_learner(multi_label_pool)
    learner.initialize_data([0, 1, 2], sp.csr_matrix([[0, 0, 0], [1, 0, 0], [0, 1, 1]]))
    assert 0 in learner.indices_labeled


# --- bad input: a clear error, and the learner exactly as it was ---------------------------------------------


@pytest.fixture
def ready(pool):
    learner = make_learner(pool)
    learner.initialize_data([0, 20, 40], [0, 1, 2])
    return learner


def test_using_the_learner_before_initializing_raises(pool):
    learner = make_learner(pool)
    for call in (lambda: learner.query(num_samples=2), lambda: learner.update([0]), lambda: learner.y):
        with pytest.raises(NotInitializedError, match="initialize_data"):
            call()
    assert snapshot(learner) == {"initialized": False}


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda lr: lr.query(num_samples=58), PoolExhaustedException, r"n=58 is larger than the unlabeled pool \(57"),
        (lambda lr: lr.query(num_samples=0), InvalidArgumentError, "num_samples must be an int >= 1, got 0"),
        (lambda lr: lr.update([0]), NoPendingQueryError, "no query is pending"),
        (lambda lr: lr.update_label_at(5, 0), InvalidIndicesError, "index 5 is not labeled"),
        (lambda lr: lr.update_label_at(20, 3), InvalidLabelError, r"got \[3\]"),
        (lambda lr: lr.update_label_at(60, 0), InvalidIndicesError, r"\[0, 60\), got 60"),
        (lambda lr: lr.update_label_at(-1, 0), InvalidIndicesError, "got -1"),
        (lambda lr: lr.remove_label_at(7), InvalidIndicesError, "index 7 is not labeled"),
        (lambda lr: lr.ignore_sample_at(20), InvalidIndicesError, "index 20 is already labeled"),
        (lambda lr: lr.ignore_sample_at(1.5), InvalidIndicesError, "index must be an int, got 1.5"),
        (lambda lr: lr.initialize_data([1, 1], [0, 0]), InvalidIndicesError, r"duplicates \[1\]"),
        (lambda lr: lr.initialize_data([1, 99], [0, 0]), InvalidIndicesError, r"got \[99\]"),
        (lambda lr: lr.initialize_data([-3], [0]), InvalidIndicesError, r"negative, got \[-3\]"),
        (lambda lr: lr.initialize_data([1, 2], [0, 7]), InvalidLabelError, r"y_initial .* got \[7\]"),
        (lambda lr: lr.initialize_data([1, 2], [0, -1]), InvalidLabelError, r"got \[-1\]"),
        (
            lambda lr: lr.initialize_data([1, 2], [0]),
            LabelCountMismatchError,
            "2 labels, one per document, got 1",
        ),
        (
            lambda lr: lr.initialize_data([1, 2], [0, 1], indices_ignored=[2]),
            InvalidIndicesError,
            r"\[2\] in both",
        ),
        (
            lambda lr: lr.initialize_data([1, 2], [0, 1], indices_validation=[3]),
            InvalidIndicesError,
            r"\[3\] outside",
        ),
        (lambda lr: lr.initialize_data([1, 2], ["a", "b"]), InvalidLabelError, "integer class indices"),
    ],
)
def test_bad_input_raises_and_changes_nothing(ready, call, error, message):
    before = snapshot(ready)
    with pytest.raises(error, match=message):
        call(ready)
    assert_same_state(before, snapshot(ready))


def test_bad_update_after_a_query_changes_nothing(ready, pool):
    queried = ready.query(num_samples=4)
    before = snapshot(ready)
    with pytest.raises(LabelCountMismatchError, match="4 labels, one per document, got 3"):
        ready.update([0, 1, 2])
    with pytest.raises(InvalidLabelError, match=r"got \[5\]"):
        ready.update([0, 1, 2, 5])
    with pytest.raises(InvalidIndicesError, match="outside"):
        ready.update(pool.y[queried], indices_validation=[0])
    assert_same_state(before, snapshot(ready))
    ready.update(pool.y[queried])  # the pending query survived the bad attempts


def test_failed_retraining_changes_nothing(ready, pool):
    class Exploding(ClassifierFactory):
        def new(self):
            raise RuntimeError("out of memory while training")

    queried = ready.query(num_samples=2)
    before = snapshot(ready)
    ready.clf_factory = Exploding()
    with pytest.raises(RuntimeError, match="out of memory"):
        ready.update(pool.y[queried])
    assert_same_state(before, snapshot(ready))


def test_empty_pool_raises_empty_pool_exception():
    data = SklearnDataset(np.eye(3), np.array([0, 1, 0]), target_labels=np.arange(2))
    learner = make_learner(data)
    learner.initialize_data([0, 1], [0, 1])
    learner.ignore_sample_at(2)
    before = snapshot(learner)
    with pytest.raises(EmptyPoolException, match="empty"):
        learner.query(num_samples=1)
    assert_same_state(before, snapshot(learner))


def test_multi_label_with_wrong_number_of_columns_raises(multi_label_pool):
    learner = make_learner(multi_label_pool)
    with pytest.raises(LabelShapeError, match="one column per label \\(3\\), got a matrix with 2 columns"):
        learner.initialize_data([0, 1], sp.csr_matrix([[1, 0], [0, 1]]))
    assert not learner.is_initialized


def test_constructor_checks_its_arguments(pool):
    factory = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC())
    with pytest.raises(InvalidArgumentError, match="clf_factory must be a ClassifierFactory, got LinearSVC"):
        from sklearn.svm import LinearSVC

        PoolBasedActiveLearner(LinearSVC(), RandomSampling(), pool)
    with pytest.raises(InvalidArgumentError, match="query_strategy must be a QueryStrategy, got str"):
        PoolBasedActiveLearner(factory, "random", pool)
    with pytest.raises(InvalidArgumentError, match="dataset must be an activetext Dataset, got ndarray"):
        PoolBasedActiveLearner(factory, RandomSampling(), np.eye(3))


def test_empty_texts_are_refused_when_the_classifier_cannot_use_them():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from activetext.data import TextDataset
    from activetext.exceptions import EmptyTextError

    data = TextDataset(["good", "bad", "   ", "fine", "awful", ""], [1, 0, 1, 1, 0, 0], target_labels=[0, 1])
    factory = SklearnClassifierFactory(
        make_pipeline(TfidfVectorizer(), LogisticRegression()), kwargs={"accepts_empty_texts": False}
    )
    learner = PoolBasedActiveLearner(factory, RandomSampling(seed=0), data)
    with pytest.raises(EmptyTextError, match=r"empty texts in train at rows \[1\]"):
        learner.initialize_data([0, 2], [1, 1])
    assert not learner.is_initialized
    learner.initialize_data([0, 1], [1, 0])
    before = snapshot(learner)
    learner.query(num_samples=4)  # the whole rest of the pool, empty texts included
    queried = learner.indices_queried
    with pytest.raises(EmptyTextError, match="cannot be trained on empty texts"):
        learner.update(data.y[queried])
    assert_same_state({**before, "queried": queried}, snapshot(learner))
    for index in np.flatnonzero([not text.strip() for text in data.x]):
        learner.ignore_sample_at(int(index))  # set the empty documents aside, then label the rest
    learner.update(data.y[learner.indices_queried])
    assert learner.indices_labeled.tolist() == [0, 1, 3, 4]
