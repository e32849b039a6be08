"""Regression tests for the bugs the fuzzing suite found: each was an internal error (or an undocumented
exception, or a half-applied state) reached through the public API, and is now a documented error."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import make_pipeline

from activetext.active_learner import PoolBasedActiveLearner, StreamBasedActiveLearner
from activetext.active_learner.budget import DensityAware, FixedFraction
from activetext.active_learner.utility import UTILITIES
from activetext.classifiers import ConfidenceEnhancedLinearSVC
from activetext.classifiers.factories import SklearnClassifierFactory
from activetext.data import SklearnDataset, TextDataset
from activetext.data.labels import check_multi_labels, check_single_labels
from activetext.data.loaders import from_csv, from_records
from activetext.exceptions import (
    ActiveTextError,
    EmptyTextError,
    InvalidArgumentError,
    InvalidIndicesError,
    InvalidLabelError,
    LabelShapeError,
    NonFiniteFeaturesError,
)
from activetext.initialization import diverse_initialization, stratified_initialization, zero_shot_initialization
from activetext.query_strategies import (
    BreakingTies,
    FeatureEmbeddings,
    GreedyCoreset,
    LightweightCoreset,
    PrecomputedEmbeddings,
    RandomSampling,
    breaking_ties,
    least_confidence,
    prediction_entropy,
)
from activetext.stopping_criteria import KappaAverage, OverallUncertainty, StoppingCriterion
from activetext.utils.validation import check_indices

X = np.random.default_rng(0).normal(size=(12, 3))


def feature_learner(strategy=None) -> PoolBasedActiveLearner:
    pool = SklearnDataset(X, target_labels=np.arange(3))
    learner = PoolBasedActiveLearner(
        SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()), strategy or RandomSampling(seed=0), pool
    )
    learner.initialize_data([0, 1, 2], [0, 1, 2])
    return learner


@pytest.mark.parametrize("kwargs", [{"unknown": 1}, {"n": 2}, {1: 2}, ["n"], "n"])
def test_query_strategy_kwargs_that_do_not_fit_the_strategy_are_refused(kwargs):
    # was: TypeError from inside the strategy's query (unexpected or repeated keyword, or not a mapping)
    learner = feature_learner()
    learner.query(2)
    with pytest.raises(InvalidArgumentError, match="query_strategy_kwargs"):
        learner.query(2, query_strategy_kwargs=kwargs)
    assert learner.indices_queried.size == 2  # the pending query is kept


def test_query_strategy_kwargs_that_fit_are_passed_on():
    learner = feature_learner()
    assert learner.query(2, query_strategy_kwargs={}).size == 2


RAGGED = [[0], [1, 2]]


def test_ragged_labels_and_indices_are_refused_by_the_pool_learner():
    # was: numpy's ValueError ("setting an array element with a sequence") from np.asarray
    learner = feature_learner()
    learner.query(2)
    before = (learner.y, learner.indices_queried)
    with pytest.raises(LabelShapeError):
        learner.update(RAGGED)
    with pytest.raises(LabelShapeError):
        learner.update_label_at(0, RAGGED)
    with pytest.raises(InvalidIndicesError):
        learner.initialize_data(RAGGED, [0, 1])
    with pytest.raises(InvalidIndicesError):
        learner.update(learner.indices_queried.tolist() and [0, 1], indices_validation=RAGGED)
    np.testing.assert_array_equal(learner.y, before[0])
    np.testing.assert_array_equal(learner.indices_queried, before[1])


def test_multi_label_update_with_a_scalar_is_refused():
    # was: TypeError from len() of a scalar
    pool = SklearnDataset(X, sp.csr_matrix((len(X), 2), dtype=np.int64))
    learner = PoolBasedActiveLearner(SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()), RandomSampling(0), pool)
    learner.initialize_data([0, 1], sp.csr_matrix([[1, 0], [0, 1]]))
    learner.query(2)
    for labels in (None, 5):
        with pytest.raises(LabelShapeError):
            learner.update(labels)
    assert learner.indices_queried.size == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda: check_single_labels(RAGGED, 3),
        lambda: check_multi_labels([[0, 1], [1]], 2),
        lambda: check_indices(RAGGED, 5),
        lambda: SklearnDataset([[0.0, 1.0], [1.0]], target_labels=[0, 1]),
        lambda: SklearnDataset(np.zeros((3, 2)), [*RAGGED, [1]], target_labels=[0, 1]),
        lambda: SklearnDataset(np.zeros((3, 2)), target_labels=RAGGED),
        lambda: SklearnDataset(np.zeros((3, 2)), [0, 1, 0], target_labels=[0, 1])[RAGGED],
        lambda: KappaAverage(2).stop(predictions=RAGGED),
        lambda: OverallUncertainty(2).stop(proba=[[0.5, 0.5], [1.0]]),
        lambda: diverse_initialization([[0.0, 1.0], [1.0]], 1),
        lambda: diverse_initialization([["a", "b"], ["c", "d"]], 1),
        lambda: zero_shot_initialization([[0.0, 1.0]], [[1.0], [0.0, 1.0]], 1),
        lambda: stratified_initialization(RAGGED, 1),
    ],
)
def test_ragged_or_unconvertible_arrays_raise_documented_errors(call):
    # was: numpy's ValueError from np.asarray
    with pytest.raises(ActiveTextError):
        call()


def test_stream_learner_refuses_ragged_labels_and_rows():
    learner = StreamBasedActiveLearner(
        SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()), FixedFraction(1.0), num_classes=2
    )
    with pytest.raises(InvalidArgumentError):
        learner.process([[[0.0], [1.0, 2.0]]])  # one ragged row
    (request,) = learner.process([[0.0, 1.0]])
    with pytest.raises(LabelShapeError):
        learner.teach_many([request.ticket], RAGGED)
    assert [r.ticket for r in learner.pending] == [request.ticket]


def tfidf_factory() -> SklearnClassifierFactory:
    return SklearnClassifierFactory(make_pipeline(TfidfVectorizer(), ConfidenceEnhancedLinearSVC()))


@pytest.mark.filterwarnings("ignore:the training labels hold a single class")
@pytest.mark.parametrize("texts", [["", " "], ["a", "€"], ["\x00", "\U0001f600"]])
def test_tfidf_on_texts_without_words_raises_empty_text_error(texts):
    # was: scikit-learn's ValueError("empty vocabulary; perhaps the documents only contain stop words")
    pool = TextDataset([*texts, "hockey puck ice", "baseball bat run"], target_labels=np.arange(2))
    learner = PoolBasedActiveLearner(tfidf_factory(), RandomSampling(seed=0), pool)
    with pytest.raises(EmptyTextError, match="no words"):
        learner.initialize_data([0, 1], [0, 1])
    assert not learner.is_initialized
    learner.initialize_data([0], [0], indices_ignored=[2, 3])  # one class: a constant model, no vectorizer
    classifier = learner.classifier
    np.testing.assert_array_equal(learner.query(1), [1])
    with pytest.raises(EmptyTextError):
        learner.update([1])
    np.testing.assert_array_equal(learner.indices_labeled, [0])
    np.testing.assert_array_equal(learner.indices_queried, [1])
    assert learner.classifier is classifier


@pytest.mark.parametrize("strategy", [GreedyCoreset, LightweightCoreset])
def test_feature_embeddings_of_sparse_features_with_one_column(strategy):
    # was: scikit-learn's InvalidParameterError (TruncatedSVD with n_components=0)
    x = sp.csr_matrix(np.array([[0.0], [1.0], [2.0], [5.0], [0.0], [9.0]]))
    pool = SklearnDataset(x, target_labels=np.arange(2))
    learner = PoolBasedActiveLearner(
        SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()), strategy(FeatureEmbeddings(), seed=0), pool
    )
    learner.initialize_data([0, 1], [0, 1])
    queried = learner.query(2)
    assert queried.size == 2 and np.isin(queried, [2, 3, 4, 5]).all()


@pytest.mark.parametrize("documents", [None, 42, np.array(5.0)])
def test_stream_learner_refuses_documents_that_are_not_iterable(documents):
    # was: TypeError from iter() ("'NoneType' object is not iterable")
    learner = StreamBasedActiveLearner(
        SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()), FixedFraction(1.0), num_classes=2
    )
    for call in (learner.process, learner.run):
        with pytest.raises(InvalidArgumentError, match="iterable"):
            call(documents)
    assert learner.summary().documents_seen == 0
    learner.initialize_data([[0.0, 1.0], [1.0, 0.0]], [0, 1])
    with pytest.raises(InvalidArgumentError, match="iterable"):
        learner.predict(documents)


@pytest.mark.parametrize("label_names", [3, 2.5, "ab"])
def test_label_names_that_are_not_a_sequence_of_names_are_refused(label_names):
    # was: TypeError from len() or iteration (a number); a single string became one name per character
    with pytest.raises(InvalidArgumentError, match="label_names"):
        TextDataset(["a", "b"], label_names=label_names)
    with pytest.raises(InvalidArgumentError, match="label_names"):
        SklearnDataset(np.zeros((2, 1)), target_labels=[0, 1], label_names=label_names)
    with pytest.raises(InvalidArgumentError, match="label_names"):
        StreamBasedActiveLearner(
            SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()), FixedFraction(1.0), 2, label_names=label_names
        )


def test_empty_label_names_do_not_define_an_empty_label_set():
    # was: a dataset with num_classes=0
    with pytest.raises(InvalidArgumentError, match="target_labels is required"):
        TextDataset(["a", "b"], label_names=[])
    assert TextDataset(["a", "b"], label_names=("x", "y")).num_classes == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda: SklearnDataset(np.array([[1 + 1j, 0], [0, 1]]), [0, 1], target_labels=[0, 1]),
        lambda: KappaAverage(2).stop(predictions=np.array([1j, 0])),
        lambda: KappaAverage(2).stop(predictions=np.array([1, 0], dtype="timedelta64[s]")),
        lambda: OverallUncertainty(2).stop(proba=np.array([[0.5 + 1j, 0.5]])),
        lambda: diverse_initialization(np.array([[1j, 0.0], [0.0, 1.0]]), 1),
        lambda: stratified_initialization(np.array([1, 0], dtype="timedelta64[s]"), 1),
        lambda: check_indices(np.array([1, 0], dtype="timedelta64[s]"), 5),
    ],
)
def test_complex_and_timedelta_arrays_are_refused(call):
    # was: accepted as numbers: complex features failed later inside scikit-learn ("Complex data not supported"),
    # complex predictions and probabilities were cast to real with a ComplexWarning, time deltas passed as integers
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ActiveTextError):
            call()


def test_embeddings_beyond_float32_are_refused():
    # was: finite float64 vectors became infinity as float32 and k-means raised scikit-learn's ValueError
    vectors = np.array([[1e150, 0.0], [0.0, 1.0], [1.0, 1.0]])
    with pytest.raises(NonFiniteFeaturesError, match="float32"):
        diverse_initialization(vectors, 2, seed=0)
    pool = SklearnDataset(np.zeros((3, 1)), target_labels=[0, 1])
    strategy = GreedyCoreset(PrecomputedEmbeddings(np.array([[np.nan], [0.0], [1.0]])), seed=0)
    with pytest.raises(NonFiniteFeaturesError):
        strategy.query(None, pool, np.array([0, 1, 2]), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), 1)


@pytest.mark.parametrize("label", [2**63, -(2**63) - 1, 10**30, [10**30], 1e300])
def test_loaders_refuse_class_indices_beyond_int64(label, tmp_path):
    # was: OverflowError ("Python int too large to convert to C long") from numpy
    with pytest.raises(InvalidLabelError, match="64-bit"):
        from_records([{"text": "a", "label": label}, {"text": "b", "label": 0}])
    path = tmp_path / "labels.csv"
    path.write_text(f"text,label\na,{label if isinstance(label, int) else 10**30}\nb,0\n", encoding="utf-8")
    with pytest.raises(InvalidLabelError, match="64-bit"):
        from_csv(path)


@pytest.mark.parametrize("records", [None, 5, "text", {"text": "a"}])
def test_from_records_refuses_records_that_are_not_a_collection_of_mappings(records):
    # was: TypeError ("'NoneType' object is not iterable") for None and numbers
    with pytest.raises(InvalidArgumentError, match="records"):
        from_records(records)


def test_loaders_refuse_label_names_that_are_not_a_sequence(tmp_path):
    # was: TypeError ("'int' object is not iterable")
    with pytest.raises(InvalidArgumentError, match="label_names"):
        from_records([{"text": "a", "label": 0}], label_names=3)
    path = tmp_path / "labels.csv"
    path.write_text("text,label\na,x\n", encoding="utf-8")
    with pytest.raises(InvalidArgumentError, match="label_names"):
        from_csv(path, label_names=3)


@pytest.mark.parametrize("texts", [None, 5, [["a", "b"], ["c", "d"]], [["a"], ["b"]]])
def test_text_dataset_refuses_texts_that_are_not_a_sequence_of_strings(texts):
    # was: TypeError from len() (None, a number) or numpy's broadcast ValueError (nested lists of equal length)
    with pytest.raises(InvalidArgumentError, match="texts must"):
        TextDataset(texts, target_labels=[0, 1])


@pytest.mark.parametrize("key", [1.0, "a", None, ..., slice(None, None, 0), slice("a", None), np.float64(0.0)])
def test_dataset_views_refuse_keys_that_are_not_indices(key):
    # was: numpy's IndexError from formatting the error message of a 0-d key, ValueError for a zero slice step
    dataset = TextDataset(["a", "b"], [0, 1], target_labels=[0, 1])
    with pytest.raises(InvalidIndicesError):
        dataset[key]


@pytest.mark.parametrize("x", [np.zeros((4, 0)), sp.csr_matrix((4, 0))])
def test_sklearn_dataset_refuses_documents_without_features(x):
    # was: accepted; every fit then raised scikit-learn's ValueError "Found array with 0 feature(s)"
    with pytest.raises(InvalidArgumentError, match="at least one feature"):
        SklearnDataset(x, target_labels=[0, 1])
    assert len(SklearnDataset(np.zeros((0, 0)), target_labels=[0, 1])) == 0  # an empty pool stays possible


@pytest.mark.parametrize("labels", [np.array([["1", "0"], ["0", "1"]]), np.array([[None, 1], [1, 0]], dtype=object)])
def test_multi_label_labels_that_are_not_numbers_are_refused(labels):
    # was: scipy's ValueError "scipy.sparse does not support dtype <U1" (or object) from csr_matrix
    with pytest.raises(InvalidLabelError, match="indicator matrix of numbers"):
        check_multi_labels(labels, 2)
    pool = SklearnDataset(X, sp.csr_matrix((len(X), 2), dtype=np.int64))
    learner = PoolBasedActiveLearner(SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()), RandomSampling(0), pool)
    learner.initialize()
    learner.query(2)
    with pytest.raises(InvalidLabelError):
        learner.update(labels)
    assert learner.indices_queried.size == 2 and learner.indices_labeled.size == 0


@pytest.mark.parametrize("folder", [None, 123, b"/tmp/learner", "learner\x00"])
def test_save_and_load_refuse_folders_that_are_not_paths(folder, tmp_path):
    # was: TypeError from pathlib (None, a number, bytes) or ValueError "embedded null byte" (NUL)
    learner = feature_learner()
    with pytest.raises(InvalidArgumentError, match="folder"):
        learner.save(folder)
    with pytest.raises(InvalidArgumentError, match="folder"):
        PoolBasedActiveLearner.load(folder, learner.dataset)
    learner.save(tmp_path / "learner")
    assert PoolBasedActiveLearner.load(str(tmp_path / "learner"), learner.dataset).indices_labeled.tolist() == [0, 1, 2]


def test_initialize_refuses_a_classifier_that_cannot_predict_the_pool():
    # was: accepted; every query then raised scikit-learn's ValueError ("X has 3 features, but ... is expecting 4")
    other = SklearnDataset(np.eye(4), [0, 1, 2, 1], target_labels=np.arange(3))
    classifier = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()).new().fit(other)
    pool = SklearnDataset(X, target_labels=np.arange(3))  # 3 features
    learner = PoolBasedActiveLearner(SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()), BreakingTies(0), pool)
    with pytest.raises(InvalidArgumentError, match="cannot predict the pool"):
        learner.initialize(classifier)
    assert not learner.is_initialized
    two_classes = SklearnDataset(np.eye(4)[:, :3], [0, 1, 0, 1], target_labels=np.arange(2))
    with pytest.raises(InvalidArgumentError, match="3 classes"):
        learner.initialize(SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()).new().fit(two_classes))
    fitting = SklearnDataset(np.eye(3), [0, 1, 2], target_labels=np.arange(3))
    learner.initialize(SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()).new().fit(fitting))
    assert learner.query(2).size == 2


class RefusesSecondCall(StoppingCriterion):
    """A criterion whose second verdict is an error (as a criterion refuses predictions it cannot read)."""

    def __init__(self):
        self.calls = 0

    def stop(self, active_learner=None, predictions=None, proba=None, indices_stopping=None):
        self.calls += 1
        if self.calls == 2:
            raise InvalidArgumentError("refused")
        return False


def test_reuse_model_update_refused_by_the_criterion_leaves_the_classifier_as_it_was():
    # was: half-applied: labels and pending query were restored, but the classifier had been refitted in place
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 3))
    y = (x[:, 0] > 0).astype(int)
    pool = SklearnDataset(x, y, target_labels=[0, 1])
    learner = PoolBasedActiveLearner(
        SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()),
        RandomSampling(seed=0),
        pool,
        reuse_model=True,
        stopping_criterion=RefusesSecondCall(),
    )
    learner.initialize_data([0, 1, 2, 3], y[:4])
    classifier, before = learner.classifier, learner.classifier.predict_proba(pool)
    queried = learner.query(10)
    with pytest.raises(InvalidArgumentError, match="refused"):
        learner.update(y[queried])
    assert learner.classifier is classifier
    np.testing.assert_array_equal(learner.classifier.predict_proba(pool), before)
    np.testing.assert_array_equal(learner.indices_queried, queried)
    learner.update(y[queried])  # the third verdict: accepted, refitted in place
    assert learner.classifier is classifier and learner.indices_labeled.size == 14


@pytest.mark.parametrize("num_classes", [2, 4, 5, 8, 16])
def test_entropy_utility_stays_in_the_unit_interval_near_the_uniform_distribution(num_classes):
    # was: entropy / log C exceeded 1 by rounding, and the stream learner refused valid documents with
    # InvalidArgumentError "utility must return one value in [0, 1]"
    proba = np.full((3, num_classes), 1.0 / num_classes)
    proba[1] += np.linspace(-1e-12, 1e-12, num_classes)
    for name in ("entropy", "least-confidence", "margin"):
        utilities = UTILITIES[name](proba, False)
        assert ((utilities >= 0) & (utilities <= 1)).all(), name
    learner = StreamBasedActiveLearner(
        SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()), FixedFraction(1.0), num_classes, utility="entropy"
    )
    x = np.eye(num_classes) * 1e-30  # a model with zero weights: uniform probabilities
    learner.initialize_data(x, np.arange(num_classes))
    assert len(learner.process(x)) == num_classes


@pytest.mark.parametrize(
    "proba", [np.array([0.5, 0.5]), np.zeros((2, 0)), np.zeros((2, 2, 2)), [[0.5], [0.5, 0.5]], "x"]
)
@pytest.mark.parametrize("score", [breaking_ties, least_confidence, prediction_entropy])
def test_scoring_functions_refuse_arrays_that_are_not_probability_rows(score, proba):
    # was: IndexError ("tuple index out of range", "index 0 is out of bounds") or numpy's ValueError
    with pytest.raises(InvalidArgumentError, match="proba"):
        score(proba)


@pytest.mark.parametrize("sparse", [True, False])
def test_density_aware_after_an_empty_first_batch(sparse):
    # was: IndexError ("list index out of range") when the first batch of sparse features was empty
    manager = DensityAware(1.0, step=0.5)
    empty = sp.csr_matrix((0, 2)) if sparse else np.zeros((0, 2))
    assert manager.decide([], features=empty).tolist() == []
    rows = np.array([[0.0, 0.0], [10.0, 0.0], [0.5, 0.0]])
    decisions = manager.decide([1.0, 1.0, 1.0], features=sp.csr_matrix(rows) if sparse else rows)
    assert decisions.tolist() == [False, True, True]
