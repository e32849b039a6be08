"""Tests of the scikit-learn classifiers and their factory."""

from __future__ import annotations

import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from activetext.classifiers import ConfidenceEnhancedLinearSVC, ProbabilityCalibration, SklearnClassifier
from activetext.classifiers.base import Classifier
from activetext.classifiers.factories import AbstractClassifierFactory, ClassifierFactory, SklearnClassifierFactory
from activetext.classifiers.sklearn import scores_to_probabilities
from activetext.data import SklearnDataset, TextDataset
from activetext.exceptions import (
    CorruptSavedStateError,
    EmptyTextError,
    InvalidArgumentError,
    LabelShapeError,
    NotInitializedError,
    SavedStateNotFoundError,
)


def blobs(n_per_class: int = 15, num_classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.vstack(
        [rng.normal(size=(n_per_class, num_classes)) * 0.5 + 4 * np.eye(num_classes)[c] for c in range(num_classes)]
    )
    return x, np.repeat(np.arange(num_classes), n_per_class)


@pytest.fixture
def train() -> SklearnDataset:
    x, y = blobs()
    return SklearnDataset(x, y, target_labels=np.arange(3))


@pytest.fixture
def imbalanced() -> SklearnDataset:
    """One feature; 20 documents of class 0 around 0 and 3 of class 1 around 1, overlapping."""
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(0.0, 1.0, 20), rng.normal(1.0, 1.0, 3)]).reshape(-1, 1)
    y = np.array([0] * 20 + [1] * 3)
    return SklearnDataset(x, y, target_labels=[0, 1])


class NoEmptyTexts(SklearnClassifier):
    accepts_empty_texts = False


# --- scores_to_probabilities --------------------------------------------------------------------------------


def test_sigmoid_of_zero_is_one_half():
    np.testing.assert_allclose(scores_to_probabilities(np.array([0.0])), [[0.5, 0.5]])


def test_sigmoid_binary_hand_values():
    # expit(ln 3) = 3 / 4; expit(-ln 3) = 1 / 4
    result = scores_to_probabilities(np.array([np.log(3.0), -np.log(3.0)]))
    np.testing.assert_allclose(result, [[0.25, 0.75], [0.75, 0.25]])


def test_softmax_hand_values():
    # exp(0), exp(ln 2), exp(ln 3) = 1, 2, 3 -> 1/6, 2/6, 3/6
    result = scores_to_probabilities(np.array([[0.0, np.log(2.0), np.log(3.0)], [5.0, 5.0, 5.0]]))
    np.testing.assert_allclose(result, [[1 / 6, 2 / 6, 3 / 6], [1 / 3, 1 / 3, 1 / 3]])


def test_scores_to_probabilities_extreme_scores_stay_finite():
    result = scores_to_probabilities(np.array([[1000.0, -1000.0, 0.0]]))
    assert np.all(np.isfinite(result))
    np.testing.assert_allclose(result, [[1.0, 0.0, 0.0]], atol=1e-12)
    assert np.all(np.isfinite(scores_to_probabilities(np.array([800.0, -800.0]))))


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 8), st.integers(2, 6)), elements=st.integers(-30, 30)))
def test_softmax_rows_sum_to_one_and_keep_the_argmax(scores):
    result = scores_to_probabilities(scores)
    assert result.shape == scores.shape
    np.testing.assert_allclose(result.sum(axis=1), 1.0)
    assert np.all(result >= 0)
    unique_max = (scores == scores.max(axis=1, keepdims=True)).sum(axis=1) == 1
    np.testing.assert_array_equal(result.argmax(axis=1)[unique_max], scores.argmax(axis=1)[unique_max])


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 10), elements=st.integers(-30, 30)))
def test_sigmoid_is_monotone_and_complementary(scores):
    result = scores_to_probabilities(scores)
    assert result.shape == (scores.size, 2)
    np.testing.assert_allclose(result.sum(axis=1), 1.0)
    np.testing.assert_array_equal(result[:, 1] > 0.5, scores > 0)
    order = np.argsort(scores, kind="stable")
    assert np.all(np.diff(result[order, 1]) >= 0)


# --- ConfidenceEnhancedLinearSVC ----------------------------------------------------------------------------


@pytest.mark.parametrize("num_classes", [2, 3])
def test_confidence_enhanced_svc_proba_agrees_with_predict(num_classes):
    x, y = blobs(num_classes=num_classes)
    model = ConfidenceEnhancedLinearSVC(random_state=0).fit(x, y)
    proba = model.predict_proba(x)
    assert proba.shape == (len(y), num_classes)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.classes_[proba.argmax(axis=1)], model.predict(x))


def test_confidence_enhanced_svc_proba_is_scaled_decision_function():
    x, y = blobs()
    model = ConfidenceEnhancedLinearSVC(random_state=0).fit(x, y)
    np.testing.assert_allclose(model.predict_proba(x), scores_to_probabilities(model.decision_function(x)))


def test_confidence_enhanced_svc_is_clonable():
    template = ConfidenceEnhancedLinearSVC(C=0.25, random_state=4)
    x, y = blobs()
    template.fit(x, y)
    copy = clone(template)
    assert type(copy) is ConfidenceEnhancedLinearSVC
    assert copy.get_params() == template.get_params()
    assert copy.get_params()["C"] == 0.25
    assert not hasattr(copy, "coef_")


# --- SklearnClassifier: single-label ------------------------------------------------------------------------


def test_logistic_regression_matches_plain_sklearn(train):
    clf = SklearnClassifier(LogisticRegression(), num_classes=3).fit(train)
    reference = LogisticRegression().fit(train.x, train.y)
    proba = clf.predict_proba(train)
    assert proba.shape == (45, 3)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba, reference.predict_proba(train.x))
    np.testing.assert_array_equal(clf.predict(train), reference.predict(train.x))
    assert (clf.predict(train) == train.y).mean() >= 0.95


def test_fit_returns_self_and_takes_num_classes_from_the_data(train):
    clf = SklearnClassifier(LogisticRegression())
    assert clf.fit(train) is clf
    assert clf.num_classes_ == 3
    assert clf.multi_label_ is False


def test_predict_proba_accepts_raw_rows(train):
    clf = SklearnClassifier(LogisticRegression()).fit(train)
    np.testing.assert_array_equal(clf.predict_proba(train.x[:5]), clf.predict_proba(train[np.arange(5)]))


def test_linear_svc_scaled_uses_the_decision_function(train):
    clf = SklearnClassifier(LinearSVC(random_state=0), calibration=ProbabilityCalibration.SCALED).fit(train)
    reference = LinearSVC(random_state=0).fit(train.x, train.y)
    np.testing.assert_allclose(clf.predict_proba(train), scores_to_probabilities(reference.decision_function(train.x)))
    np.testing.assert_array_equal(clf.predict(train), reference.predict(train.x))


def test_linear_svc_scaled_binary(imbalanced):
    clf = SklearnClassifier(LinearSVC(random_state=0)).fit(imbalanced)
    reference = LinearSVC(random_state=0).fit(imbalanced.x, imbalanced.y)
    proba = clf.predict_proba(imbalanced)
    assert proba.shape == (23, 2)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-reference.decision_function(imbalanced.x))))


def test_linear_svc_platt_calibrates(train):
    clf = SklearnClassifier(LinearSVC(random_state=0), calibration=ProbabilityCalibration.PLATT).fit(train)
    assert isinstance(clf.models_[0], CalibratedClassifierCV)
    proba = clf.predict_proba(train)
    assert proba.shape == (45, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (clf.predict(train) == train.y).mean() >= 0.95
    scaled = SklearnClassifier(LinearSVC(random_state=0)).fit(train).predict_proba(train)
    assert not np.allclose(proba, scaled)


def test_platt_falls_back_to_scaled_with_a_single_document_class():
    x, y = blobs(n_per_class=4)
    y = y.copy()
    y[4:8] = [1, 2, 2, 2]  # class 1 keeps one document
    train = SklearnDataset(x, y, target_labels=np.arange(3))
    clf = SklearnClassifier(LinearSVC(random_state=0), calibration=ProbabilityCalibration.PLATT)
    with pytest.warns(UserWarning, match="Platt calibration needs two labeled documents per class"):
        clf.fit(train)
    assert isinstance(clf.models_[0], LinearSVC)
    np.testing.assert_allclose(clf.predict_proba(train).sum(axis=1), 1.0)


def test_platt_leaves_estimators_with_predict_proba_alone(train):
    clf = SklearnClassifier(LogisticRegression(), calibration=ProbabilityCalibration.PLATT).fit(train)
    assert isinstance(clf.models_[0], LogisticRegression)


def test_missing_class_gets_a_zero_column():
    x, y = blobs(num_classes=3)
    train = SklearnDataset(x, np.where(y == 2, 3, y), target_labels=np.arange(4))  # classes 0, 1, 3; 2 absent
    clf = SklearnClassifier(LogisticRegression()).fit(train)
    proba = clf.predict_proba(train)
    assert proba.shape == (45, 4)
    np.testing.assert_array_equal(proba[:, 2], 0.0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(train).tolist()) <= {0, 1, 3}
    assert (clf.predict(train) == train.y).mean() >= 0.95


def test_missing_class_with_scaled_svc():
    x, y = blobs(num_classes=2)
    train = SklearnDataset(x, y * 2, target_labels=np.arange(3))  # classes 0 and 2
    proba = SklearnClassifier(ConfidenceEnhancedLinearSVC(random_state=0)).fit(train).predict_proba(train)
    assert proba.shape == (30, 3)
    np.testing.assert_array_equal(proba[:, 1], 0.0)


def test_single_class_gives_a_constant_model_with_a_warning():
    x, _ = blobs()
    train = SklearnDataset(x, np.ones(45, dtype=int), target_labels=np.arange(3))
    clf = SklearnClassifier(LinearSVC())
    with pytest.warns(UserWarning, match=r"single class \(1\)"):
        clf.fit(train)
    proba = clf.predict_proba(np.random.default_rng(0).normal(size=(7, 3)))
    np.testing.assert_array_equal(proba, np.tile([0.0, 1.0, 0.0], (7, 1)))
    assert clf.predict(train).tolist() == [1] * 45


def test_unfitted_classifier_refuses_to_predict(train):
    clf = SklearnClassifier(LogisticRegression())
    with pytest.raises(NotInitializedError, match=r"^SklearnClassifier is not fitted yet"):
        clf.predict(train)
    with pytest.raises(NotInitializedError, match=r"^SklearnClassifier is not fitted yet"):
        clf.predict_proba(train)


def test_chunked_prediction_equals_whole(train):
    whole = SklearnClassifier(LogisticRegression()).fit(train).predict_proba(train)
    chunked = SklearnClassifier(LogisticRegression(), chunk_size=7).fit(train).predict_proba(train)
    np.testing.assert_allclose(chunked, whole)


def test_sparse_features(train):
    sparse = SklearnDataset(sp.csr_matrix(np.clip(train.x, 0, None)), train.y, target_labels=np.arange(3))
    proba = (
        SklearnClassifier(ConfidenceEnhancedLinearSVC(random_state=0), chunk_size=10).fit(sparse).predict_proba(sparse)
    )
    assert proba.shape == (45, 3)
    assert isinstance(proba, np.ndarray)


# --- SklearnClassifier: multi-label -------------------------------------------------------------------------


@pytest.fixture
def multi_label() -> SklearnDataset:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 3))
    indicator = np.zeros((40, 4), dtype=int)
    indicator[:, 0] = x[:, 0] > 0
    indicator[:, 1] = x[:, 1] > 0
    indicator[:, 2] = 1  # always present
    # column 3: never present
    return SklearnDataset(x, sp.csr_matrix(indicator))


@pytest.mark.parametrize("estimator", [LogisticRegression(), ConfidenceEnhancedLinearSVC(random_state=0), LinearSVC()])
def test_multi_label_one_vs_rest(multi_label, estimator):
    clf = SklearnClassifier(estimator).fit(multi_label)
    assert clf.multi_label_ is True
    assert len(clf.models_) == 4
    proba = clf.predict_proba(multi_label)
    assert isinstance(proba, np.ndarray)
    assert proba.shape == (40, 4)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_array_equal(proba[:, 2], 1.0)
    np.testing.assert_array_equal(proba[:, 3], 0.0)
    predicted = clf.predict(multi_label)
    assert sp.issparse(predicted) and predicted.format == "csr"
    np.testing.assert_array_equal(predicted.toarray(), (proba >= 0.5).astype(int))
    assert (predicted.toarray()[:, :2] == multi_label.y.toarray()[:, :2]).mean() >= 0.9


def test_multi_label_per_label_model_matches_a_binary_fit(multi_label):
    clf = SklearnClassifier(LogisticRegression()).fit(multi_label)
    reference = LogisticRegression().fit(multi_label.x, multi_label.y.toarray()[:, 0])
    np.testing.assert_allclose(clf.predict_proba(multi_label)[:, 0], reference.predict_proba(multi_label.x)[:, 1])


# --- class_weight and weights -------------------------------------------------------------------------------


def test_balanced_class_weight_equals_hand_computed_sample_weights(imbalanced):
    clf = SklearnClassifier(LogisticRegression(), class_weight="balanced").fit(imbalanced)
    # n / (k * count): 23 / (2 * 20) for class 0, 23 / (2 * 3) for class 1
    hand = np.where(imbalanced.y == 0, 23 / 40, 23 / 6)
    reference = LogisticRegression().fit(imbalanced.x, imbalanced.y, sample_weight=hand)
    np.testing.assert_allclose(clf.models_[0].coef_, reference.coef_, rtol=1e-6)
    np.testing.assert_allclose(clf.models_[0].intercept_, reference.intercept_, rtol=1e-6)


def test_balanced_class_weight_changes_the_model(imbalanced):
    plain = SklearnClassifier(LogisticRegression()).fit(imbalanced)
    balanced = SklearnClassifier(LogisticRegression(), class_weight="balanced").fit(imbalanced)
    assert not np.allclose(plain.models_[0].intercept_, balanced.models_[0].intercept_)
    grid = np.linspace(-3, 4, 50).reshape(-1, 1)
    # weighing the minority class up moves predictions towards it
    assert (balanced.predict(grid) == 1).sum() > (plain.predict(grid) == 1).sum()


def test_dict_class_weight_equals_hand_computed_sample_weights(imbalanced):
    clf = SklearnClassifier(LogisticRegression(), class_weight={1: 5.0}).fit(imbalanced)
    hand = np.where(imbalanced.y == 1, 5.0, 1.0)  # classes missing from the dict weigh 1
    reference = LogisticRegression().fit(imbalanced.x, imbalanced.y, sample_weight=hand)
    np.testing.assert_allclose(clf.models_[0].coef_, reference.coef_, rtol=1e-6)
    plain = SklearnClassifier(LogisticRegression()).fit(imbalanced)
    assert not np.allclose(plain.models_[0].coef_, clf.models_[0].coef_)


def test_weights_multiply_with_class_weight(imbalanced):
    weights = np.linspace(0.5, 2.0, 23)
    clf = SklearnClassifier(LogisticRegression(), class_weight={0: 2.0}).fit(imbalanced, weights=weights)
    hand = weights * np.where(imbalanced.y == 0, 2.0, 1.0)
    reference = LogisticRegression().fit(imbalanced.x, imbalanced.y, sample_weight=hand)
    np.testing.assert_allclose(clf.models_[0].coef_, reference.coef_, rtol=1e-6)


def test_weights_are_passed_as_sample_weight(imbalanced):
    weights = np.linspace(0.1, 3.0, 23)
    clf = SklearnClassifier(LogisticRegression()).fit(imbalanced, weights=weights)
    reference = LogisticRegression().fit(imbalanced.x, imbalanced.y, sample_weight=weights)
    np.testing.assert_allclose(clf.models_[0].coef_, reference.coef_, rtol=1e-6)


@pytest.mark.parametrize(
    ("weights", "pattern"),
    [
        (np.ones(3), r"^weights must have shape \(23,\), got shape \(3,\)"),
        (np.ones((23, 1)), r"^weights must have shape \(23,\), got shape \(23, 1\)"),
        (np.r_[-1.0, np.ones(22)], r"^weights must be finite and non-negative, got \[-1\.0, 1\.0"),
        (np.r_[np.nan, np.ones(22)], r"^weights must be finite and non-negative, got \[nan, 1\.0"),
    ],
)
def test_bad_weights_raise(imbalanced, weights, pattern):
    with pytest.raises(InvalidArgumentError, match=pattern):
        SklearnClassifier(LogisticRegression()).fit(imbalanced, weights=weights)


def test_weights_with_estimator_without_sample_weight_raise(imbalanced):
    clf = SklearnClassifier(KNeighborsClassifier(n_neighbors=3))
    with pytest.raises(InvalidArgumentError, match=r"^weights and class_weight need .*KNeighborsClassifier does not"):
        clf.fit(imbalanced, weights=np.ones(23))
    with pytest.raises(InvalidArgumentError, match=r"KNeighborsClassifier does not"):
        SklearnClassifier(KNeighborsClassifier(n_neighbors=3), class_weight="balanced").fit(imbalanced)
    # without weights it trains fine
    assert SklearnClassifier(KNeighborsClassifier(n_neighbors=3)).fit(imbalanced).predict_proba(imbalanced).shape == (
        23,
        2,
    )


# --- training data checks -----------------------------------------------------------------------------------


def test_unlabeled_training_rows_raise(train):
    y = train.y.copy()
    y[[2, 5]] = -1
    with pytest.raises(
        InvalidArgumentError, match=r"^train must hold only labeled documents, got unlabeled rows \[2, 5\]"
    ):
        SklearnClassifier(LogisticRegression()).fit(train.with_labels(y))


def test_training_on_a_non_dataset_raises(train):
    with pytest.raises(InvalidArgumentError, match=r"^train must be an activetext Dataset, got ndarray"):
        SklearnClassifier(LogisticRegression()).fit(train.x)


def test_training_on_an_empty_dataset_raises(train):
    with pytest.raises(InvalidArgumentError, match=r"^train must hold at least one labeled document, got an empty"):
        SklearnClassifier(LogisticRegression()).fit(train[[]])


def test_num_classes_mismatch_raises(train):
    with pytest.raises(LabelShapeError, match=r"train has 3 classes but .*num_classes=5"):
        SklearnClassifier(LogisticRegression(), num_classes=5).fit(train)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"estimator": object()}, r"^estimator must be a scikit-learn estimator, got <object"),
        ({"calibration": "platt"}, r"^calibration must be a ProbabilityCalibration, got 'platt'"),
        ({"class_weight": "auto"}, r"^class_weight must be None, 'balanced' or a dict, got 'auto'"),
        ({"num_classes": 0}, r"^num_classes must be a positive int or None, got 0"),
        ({"num_classes": 2.0}, r"^num_classes must be a positive int or None, got 2\.0"),
        ({"chunk_size": 0}, r"chunk_size.*got 0"),
    ],
)
def test_constructor_validates(kwargs, pattern):
    arguments = {"estimator": LogisticRegression(), **kwargs}
    with pytest.raises(InvalidArgumentError, match=pattern):
        SklearnClassifier(**arguments)


# --- texts --------------------------------------------------------------------------------------------------

TEXTS = ["good great fine", "great good", "good film", "bad awful", "awful film bad", "bad bad"]
LABELS = [1, 1, 1, 0, 0, 0]


def test_text_pipeline_on_text_dataset():
    train = TextDataset(TEXTS, LABELS, target_labels=[0, 1])
    clf = SklearnClassifier(make_pipeline(TfidfVectorizer(), LogisticRegression(C=10.0))).fit(train)
    test = TextDataset(["great good film", "awful bad"], target_labels=[0, 1])
    proba = clf.predict_proba(test)
    assert proba.shape == (2, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert clf.predict(test).tolist() == [1, 0]
    assert clf.predict(["good", "bad", "good great"]).tolist() == [1, 0, 1]
    assert (clf.predict(train) == np.array(LABELS)).all()


def test_text_pipeline_chunked_equals_whole():
    train = TextDataset(TEXTS, LABELS, target_labels=[0, 1])
    whole = SklearnClassifier(make_pipeline(TfidfVectorizer(), LogisticRegression())).fit(train)
    chunked = SklearnClassifier(make_pipeline(TfidfVectorizer(), LogisticRegression()), chunk_size=4).fit(train)
    np.testing.assert_allclose(chunked.predict_proba(train), whole.predict_proba(train))
    np.testing.assert_allclose(chunked.predict_proba(TEXTS), whole.predict_proba(train))


def test_empty_texts_are_accepted_by_default():
    train = TextDataset([*TEXTS, ""], [*LABELS, 0], target_labels=[0, 1])
    clf = SklearnClassifier(make_pipeline(TfidfVectorizer(), LogisticRegression())).fit(train)
    assert clf.predict_proba(train).shape == (7, 2)


def test_classifier_refusing_empty_texts_raises_empty_text_error():
    train = TextDataset(["good", " ", *TEXTS, ""], [1, 0, *LABELS, 1], target_labels=[0, 1])
    clf = NoEmptyTexts(make_pipeline(TfidfVectorizer(), LogisticRegression()))
    with pytest.raises(EmptyTextError, match=r"^NoEmptyTexts cannot be trained on empty texts, .*rows \[1, 8\]"):
        clf.fit(train)
    assert not hasattr(clf, "models_")
    assert issubclass(EmptyTextError, InvalidArgumentError)


def test_accepts_empty_texts_false_as_an_argument_raises_empty_text_error():
    train = TextDataset(["", *TEXTS], [0, *LABELS], target_labels=[0, 1])
    clf = SklearnClassifier(make_pipeline(TfidfVectorizer(), LogisticRegression()), accepts_empty_texts=False)
    with pytest.raises(EmptyTextError, match=r"^SklearnClassifier cannot be trained on empty texts, .*rows \[0\]"):
        clf.fit(train)


def test_class_weight_with_a_text_pipeline():
    # the pipeline's last step (LogisticRegression) accepts sample_weight, so class weights can reach it
    train = TextDataset([*TEXTS, "good"], [*LABELS, 1], target_labels=[0, 1])
    clf = SklearnClassifier(make_pipeline(TfidfVectorizer(), LogisticRegression()), class_weight="balanced")
    clf.fit(train)
    hand = np.where(np.array([*LABELS, 1]) == 1, 7 / 8, 7 / 6)
    reference = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(
        train.x, train.y, logisticregression__sample_weight=hand
    )
    np.testing.assert_allclose(clf.predict_proba(train), reference.predict_proba(train.x), rtol=1e-6)


def test_classifier_refusing_empty_texts_trains_without_them():
    train = TextDataset(TEXTS, LABELS, target_labels=[0, 1])
    assert NoEmptyTexts(make_pipeline(TfidfVectorizer(), LogisticRegression())).fit(train).predict(train).shape == (6,)


# --- persistence --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "estimator",
    [LogisticRegression(), ConfidenceEnhancedLinearSVC(random_state=0), make_pipeline(TfidfVectorizer(), LinearSVC())],
)
def test_save_load_round_trip(tmp_path, train, estimator):
    is_pipeline = hasattr(estimator, "steps")
    data = TextDataset(TEXTS, LABELS, target_labels=[0, 1]) if is_pipeline else train
    class_weight = None if is_pipeline else {0: 2.0}
    clf = SklearnClassifier(estimator, class_weight=class_weight, chunk_size=5).fit(data)
    clf.save(tmp_path / "model")
    loaded = SklearnClassifier.load(tmp_path / "model")
    assert isinstance(loaded, SklearnClassifier)
    np.testing.assert_array_equal(loaded.predict_proba(data), clf.predict_proba(data))
    assert loaded.class_weight == class_weight
    assert loaded.chunk_size == 5


def test_save_load_multi_label_round_trip(tmp_path, multi_label):
    clf = SklearnClassifier(LogisticRegression()).fit(multi_label)
    clf.save(tmp_path)
    loaded = SklearnClassifier.load(str(tmp_path))
    np.testing.assert_array_equal(loaded.predict_proba(multi_label), clf.predict_proba(multi_label))
    assert loaded.multi_label_ is True


def test_load_from_a_missing_folder_raises(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(SavedStateNotFoundError, match=r"nowhere/model\.joblib' does not exist"):
        SklearnClassifier.load(missing)
    assert issubclass(SavedStateNotFoundError, FileNotFoundError)


def test_load_from_a_corrupt_file_raises(tmp_path, train):
    SklearnClassifier(LogisticRegression()).fit(train).save(tmp_path)
    path = tmp_path / "model.joblib"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(CorruptSavedStateError, match=r"model\.joblib' cannot be read"):
        SklearnClassifier.load(tmp_path)


def test_load_from_a_garbage_file_raises(tmp_path):
    (tmp_path / "model.joblib").write_bytes(b"this is not a joblib file")
    with pytest.raises(CorruptSavedStateError, match=r"model\.joblib' cannot be read"):
        SklearnClassifier.load(tmp_path)


def test_load_of_another_object_raises(tmp_path):
    joblib.dump({"not": "a classifier"}, tmp_path / "model.joblib")
    with pytest.raises(CorruptSavedStateError, match=r"holds a dict, not a SklearnClassifier"):
        SklearnClassifier.load(tmp_path)


# --- factory ------------------------------------------------------------------------------------------------


def test_factory_new_returns_fresh_unfitted_classifiers_that_never_fit_the_template(train):
    template = ConfidenceEnhancedLinearSVC(C=0.5, random_state=1)
    factory = SklearnClassifierFactory(template)
    first, second = factory.new(), factory.new()
    assert isinstance(first, SklearnClassifier)
    assert isinstance(first, Classifier)
    assert first is not second
    assert first.estimator.get_params() == template.get_params()
    assert not hasattr(first, "models_")
    first.fit(train)
    # fitting one classifier fits a clone: neither the template nor another classifier is touched
    assert first.models_[0] is not template
    assert not hasattr(template, "coef_")
    assert not hasattr(second, "models_")
    assert not hasattr(second.estimator, "coef_")
    second.fit(train)
    assert second.models_[0] is not first.models_[0]
    np.testing.assert_array_equal(first.predict_proba(train), second.predict_proba(train))


def test_factory_num_classes_is_optional(train):
    factory = SklearnClassifierFactory(LogisticRegression())
    assert factory.num_classes is None
    assert factory.new().num_classes is None
    assert factory.new().fit(train).num_classes_ == 3
    fixed = SklearnClassifierFactory(LogisticRegression(), num_classes=3)
    assert fixed.new().num_classes == 3
    with pytest.raises(LabelShapeError, match=r"num_classes=4"):
        SklearnClassifierFactory(LogisticRegression(), num_classes=4).new().fit(train)


def test_factory_passes_keyword_arguments(imbalanced):
    factory = SklearnClassifierFactory(
        LinearSVC(), kwargs={"class_weight": "balanced", "calibration": ProbabilityCalibration.PLATT}
    )
    clf = factory.new()
    assert clf.class_weight == "balanced"
    assert clf.calibration is ProbabilityCalibration.PLATT


def test_factory_kwargs_are_copied():
    kwargs = {"chunk_size": 3}
    factory = SklearnClassifierFactory(LogisticRegression(), kwargs=kwargs)
    kwargs["chunk_size"] = 99
    assert factory.new().chunk_size == 3


def test_factory_validates_at_construction():
    with pytest.raises(InvalidArgumentError, match=r"^base_estimator must be a scikit-learn estimator, got 'svm'"):
        SklearnClassifierFactory("svm")
    with pytest.raises(InvalidArgumentError, match=r"^calibration must be a ProbabilityCalibration, got 'x'"):
        SklearnClassifierFactory(LogisticRegression(), kwargs={"calibration": "x"})
    with pytest.raises(InvalidArgumentError, match=r"^num_classes must be a positive int or None, got -1"):
        SklearnClassifierFactory(LogisticRegression(), num_classes=-1)


def test_factory_base_class_alias():
    assert AbstractClassifierFactory is ClassifierFactory
    assert issubclass(SklearnClassifierFactory, ClassifierFactory)


def test_factory_and_classifier_repr():
    factory = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC(), num_classes=2)
    assert repr(factory) == "SklearnClassifierFactory(ConfidenceEnhancedLinearSVC(), num_classes=2)"
    assert repr(factory.new()) == "SklearnClassifier(ConfidenceEnhancedLinearSVC(), num_classes=2)"


def test_no_warning_for_ordinary_fit(train):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        SklearnClassifier(LogisticRegression()).fit(train)


# --- incremental learning -------------------------------------------------------------------------------------


def test_partial_fit_matches_the_estimators_own_partial_fit():
    from sklearn.linear_model import SGDClassifier

    from activetext.classifiers.capabilities import supports_partial_fit

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    y = (x[:, 0] > 0).astype(np.int64) + (x[:, 1] > 1).astype(np.int64)
    clf = SklearnClassifier(SGDClassifier(loss="log_loss", random_state=0), num_classes=3)
    reference = SGDClassifier(loss="log_loss", random_state=0)
    assert supports_partial_fit(clf)
    for start in (0, 20, 40):
        chunk = slice(start, start + 20)
        clf.partial_fit(SklearnDataset(x[chunk], y[chunk], target_labels=np.arange(3)))
        reference.partial_fit(x[chunk], y[chunk], classes=np.arange(3))
    assert np.allclose(clf.models_[0].coef_, reference.coef_)
    assert np.array_equal(clf.predict(x), reference.predict(x))


def test_partial_fit_learns_each_label_of_multi_label_data():
    from sklearn.naive_bayes import BernoulliNB

    x = np.array([[1, 0], [0, 1], [1, 1], [0, 0]] * 5, dtype=float)
    y = sp.csr_matrix(x.astype(np.int64))  # label j is present exactly when feature j is
    clf = SklearnClassifier(BernoulliNB(), num_classes=2)
    clf.partial_fit(SklearnDataset(x[:8], y[:8]))
    clf.partial_fit(SklearnDataset(x[8:], y[8:]))
    assert (clf.predict(x).toarray() == x).all()


def test_partial_fit_is_refused_clearly_and_a_failed_update_keeps_the_model():
    from sklearn.linear_model import SGDClassifier

    from activetext.exceptions import MissingCapabilityError

    with pytest.raises(MissingCapabilityError, match="LinearSVC"):
        SklearnClassifier(LinearSVC()).partial_fit(SklearnDataset(np.eye(2), [0, 1]))
    clf = SklearnClassifier(SGDClassifier(random_state=0))
    clf.partial_fit(SklearnDataset(np.eye(2), [0, 1]))
    coef = clf.models_[0].coef_.copy()
    with pytest.raises(LabelShapeError, match="num_classes=3"):
        clf.partial_fit(SklearnDataset(np.eye(3)[:, :2], [0, 1, 2]))
    with pytest.raises(ValueError):  # scikit-learn refuses a different number of features
        clf.partial_fit(SklearnDataset(np.eye(3), [0, 1, 1]))
    assert np.array_equal(clf.models_[0].coef_, coef)
    with pytest.raises(InvalidArgumentError, match="balanced"):
        SklearnClassifier(SGDClassifier(), class_weight="balanced").partial_fit(SklearnDataset(np.eye(2), [0, 1]))
