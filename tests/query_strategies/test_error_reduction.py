"""Expected error reduction: hand-computed expected losses, the subsample convention, and the query contract."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from activetext.classifiers import ConfidenceEnhancedLinearSVC
from activetext.classifiers.factories import ClassifierFactory, SklearnClassifierFactory
from activetext.data import SklearnDataset
from activetext.exceptions import InvalidArgumentError, MissingCapabilityError
from activetext.query_strategies.error_reduction import ExpectedErrorReduction, Loss
from conftest import TableClassifier, blobs, make_learner


def _h(*shares: float) -> float:
    return -sum(p * math.log(p) for p in shares if p > 0)


CurrentStub = TableClassifier


class RetrainedStub(CurrentStub):
    """A retrained classifier: after fitting on the labeled documents plus (x, c), it predicts ``outputs[x, c]``
    for every document it is asked about."""

    def __init__(self, factory: RetrainFactory):
        super().__init__(np.zeros((1, 2)))
        self.factory = factory

    def fit(self, train, validation=None, weights=None):
        rows = train.x[:, 0].astype(int).tolist()
        extra = [i for i, row in enumerate(rows) if row not in self.factory.labeled]
        assert len(extra) == 1, rows
        added, label = rows[extra[0]], int(train.y[extra[0]])
        self.factory.fits.append((added, label))
        self.row = self.factory.outputs.get((added, label), np.full(self.factory.num_classes, 0.5))
        return self

    def predict_proba(self, data):
        self.factory.predicted.append(np.asarray(data.x[:, 0], dtype=np.int64).tolist())
        return np.tile(self.row, (len(data), 1))


class RetrainFactory(ClassifierFactory):
    def __init__(self, labeled, outputs, num_classes=2):
        self.labeled = set(labeled)
        self.outputs = {key: np.asarray(value, dtype=np.float64) for key, value in outputs.items()}
        self.num_classes = num_classes
        self.fits: list[tuple[int, int]] = []
        self.predicted: list[list[int]] = []

    def new(self):
        return RetrainedStub(self)


# Documents 0 (class 0) and 1 (class 1) are labeled; 2, 3, 4 are the candidates.
#                     current P(c|x)   retrained with (x, 0)   retrained with (x, 1)
#   doc 2             (.5, .5)         (.5, .5)                (1, 0)
#   doc 3             (.9, .1)         (.8, .2)                (.6, .4)
#   doc 4             (1, 0)           (.7, .3)                never fitted: P(1 | 4) = 0
# expected log loss   doc 2: .5 ln 2 = .346574; doc 3: .9 H(.8,.2) + .1 H(.6,.4) = .517663; doc 4: H(.7,.3) = .610864
# expected 0/1 loss   doc 2: .5 * .5 = .25;     doc 3: .9 * .2 + .1 * .4 = .22;                doc 4: .3
POSTERIOR = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.9, 0.1], [1.0, 0.0], [0.5, 0.5], [0.5, 0.5]])
OUTPUTS = {
    (2, 0): [0.5, 0.5],
    (2, 1): [1.0, 0.0],
    (3, 0): [0.8, 0.2],
    (3, 1): [0.6, 0.4],
    (4, 0): [0.7, 0.3],
}
HAND_LOG = [0.5 * math.log(2), 0.9 * _h(0.8, 0.2) + 0.1 * _h(0.6, 0.4), _h(0.7, 0.3)]
HAND_ZERO_ONE = [0.25, 0.22, 0.3]


def _dataset(n_rows: int = 7) -> SklearnDataset:
    return SklearnDataset(np.arange(n_rows, dtype=np.float64).reshape(-1, 1), target_labels=np.arange(2))


def _query(strategy, clf, unlabeled, n, dataset=None):
    return strategy.query(clf, dataset or _dataset(), np.asarray(unlabeled), np.array([0, 1]), np.array([0, 1]), n)


def test_hand_values_match_the_table():
    np.testing.assert_allclose(HAND_LOG, [0.346574, 0.517663, 0.610864], atol=1e-6)


@pytest.mark.parametrize(
    ("loss", "hand", "expected"),
    [(Loss.LOG, HAND_LOG, [2, 3, 4]), (Loss.ZERO_ONE, HAND_ZERO_ONE, [3, 2, 4])],
)
def test_expected_loss_hand_known(loss, hand, expected):
    factory = RetrainFactory([0, 1], OUTPUTS)
    strategy = ExpectedErrorReduction(factory, subsample_size=10, evaluation_size=10, loss=loss, seed=0)
    result = _query(strategy, CurrentStub(POSTERIOR), [2, 3, 4], 3)
    assert result.tolist() == expected
    np.testing.assert_array_equal(strategy.last_candidates, [2, 3, 4])
    np.testing.assert_allclose(strategy.last_scores, -np.asarray(hand), atol=1e-12)
    # one fit per class with a positive posterior: (4, 1) is skipped
    assert sorted(factory.fits) == [(2, 0), (2, 1), (3, 0), (3, 1), (4, 0)]


def test_the_candidate_order_does_not_change_the_answer():
    factory = RetrainFactory([0, 1], OUTPUTS)
    strategy = ExpectedErrorReduction(factory, subsample_size=10, evaluation_size=10, seed=3)
    assert _query(strategy, CurrentStub(POSTERIOR), [4, 2, 3], 1).tolist() == [2]
    np.testing.assert_allclose(strategy.last_scores, -np.asarray(HAND_LOG)[[2, 0, 1]])


@pytest.mark.parametrize("chunk_size", [1, 2, 100])
def test_evaluation_sample_is_drawn_from_the_pool_and_predicted_in_chunks(chunk_size):
    factory = RetrainFactory([0, 1], OUTPUTS)
    strategy = ExpectedErrorReduction(factory, subsample_size=10, evaluation_size=3, seed=0, chunk_size=chunk_size)
    clf = CurrentStub(POSTERIOR)
    pool = [2, 3, 4, 5, 6]
    _query(strategy, clf, pool, 1)
    assert all(1 <= len(call) <= chunk_size for call in factory.predicted)
    per_model = len([row for call in factory.predicted for row in call]) / len(factory.fits)
    assert per_model == 3  # evaluation_size rows per retrained model
    assert {row for call in factory.predicted for row in call} <= set(pool)  # never the labeled documents
    # the current classifier predicted only the (subsampled) candidates, each once
    assert sorted(row for call in clf.calls for row in call) == pool


def test_candidates_outside_the_subsample_score_minus_infinity():
    n_rows = 30
    table = np.tile([0.6, 0.4], (n_rows, 1))
    factory = RetrainFactory([0, 1], {})
    strategy = ExpectedErrorReduction(factory, subsample_size=4, evaluation_size=5, seed=1)
    pool = np.arange(2, n_rows)
    result = _query(strategy, CurrentStub(table), pool, 2, dataset=_dataset(n_rows))
    scored = np.isfinite(strategy.last_scores)
    assert scored.sum() == 4
    assert np.all(strategy.last_scores[~scored] == -np.inf)
    assert set(result.tolist()) <= set(pool[scored].tolist())
    assert len(factory.fits) == 4 * 2


def test_the_subsample_grows_to_n():
    n_rows = 30
    table = np.tile([0.6, 0.4], (n_rows, 1))
    strategy = ExpectedErrorReduction(RetrainFactory([0, 1], {}), subsample_size=4, evaluation_size=5, seed=1)
    pool = np.arange(2, n_rows)
    result = _query(strategy, CurrentStub(table), pool, 7, dataset=_dataset(n_rows))
    assert np.isfinite(strategy.last_scores).sum() == 7
    assert np.all(np.isfinite(strategy.last_scores[np.searchsorted(pool, result)]))


def test_same_seed_same_subsample():
    n_rows = 40
    table = np.random.default_rng(0).dirichlet([1, 1], size=n_rows)
    runs = []
    for _ in range(2):
        strategy = ExpectedErrorReduction(RetrainFactory([0, 1], {}), subsample_size=5, evaluation_size=5, seed=9)
        runs.append(_query(strategy, CurrentStub(table), np.arange(2, n_rows), 3, dataset=_dataset(n_rows)))
        runs.append(strategy.last_scores)
    np.testing.assert_array_equal(runs[0], runs[2])
    np.testing.assert_array_equal(runs[1], runs[3])


# --- real classifiers ---------------------------------------------------------------------------------------


def test_prefers_a_document_between_the_classes():
    # two clusters of 10 at -3 and +3 and one document at 0; labeling the middle one says most about the rest
    x = np.concatenate([np.linspace(-3.5, -2.5, 10), np.linspace(2.5, 3.5, 10), [0.0]]).reshape(-1, 1)
    y = np.array([0] * 10 + [1] * 10 + [0])
    pool = SklearnDataset(x, y, target_labels=np.arange(2))
    factory = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC())
    strategy = ExpectedErrorReduction(factory, subsample_size=100, seed=0)
    clf = factory.new().fit(pool[[0, 19]].with_labels([0, 1]))
    unlabeled = np.setdiff1d(np.arange(21), [0, 19])
    assert strategy.query(clf, pool, unlabeled, np.array([0, 19]), np.array([0, 1]), 1).tolist() == [20]


@pytest.mark.parametrize("loss", list(Loss))
def test_works_in_the_learner_loop(pool, loss):
    factory = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC())
    strategy = ExpectedErrorReduction(factory, subsample_size=5, evaluation_size=20, loss=loss, seed=0)
    learner = make_learner(pool, strategy)
    learner.initialize_data([0, 20, 40], [0, 1, 2])
    for _ in range(2):
        queried = learner.query(num_samples=2)
        learner.update(pool.y[queried])
    assert learner.indices_labeled.size == 7


# --- errors -------------------------------------------------------------------------------------------------


def test_needs_a_classifier():
    strategy = ExpectedErrorReduction(RetrainFactory([0, 1], OUTPUTS), seed=0)
    with pytest.raises(MissingCapabilityError, match=r"^ExpectedErrorReduction needs a trained classifier .* got None"):
        _query(strategy, None, [2, 3], 1)


def test_multi_label_raises():
    dataset = SklearnDataset(np.arange(4.0).reshape(-1, 1), sp.csr_matrix(np.eye(4, 3, dtype=int)))
    strategy = ExpectedErrorReduction(RetrainFactory([0, 1], OUTPUTS), seed=0)
    with pytest.raises(InvalidArgumentError, match=r"^ExpectedErrorReduction scores single-label data"):
        strategy.query(CurrentStub(POSTERIOR), dataset, np.array([2, 3]), np.array([0, 1]), dataset.y[[0, 1]], 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"subsample_size": 0}, r"^subsample_size must be an int >= 1, got 0"),
        ({"evaluation_size": 2.5}, r"^evaluation_size must be an int >= 1, got 2\.5 \(float\)"),
        ({"loss": "log"}, r"^loss must be a Loss \(Loss\.LOG or Loss\.ZERO_ONE\), got 'log'"),
        ({"chunk_size": -1}, r"^chunk_size must be an int >= 1, got -1"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(InvalidArgumentError, match=message):
        ExpectedErrorReduction(RetrainFactory([0, 1], OUTPUTS), **kwargs)


def test_bad_factory_raises():
    with pytest.raises(InvalidArgumentError, match=r"^clf_factory must be a ClassifierFactory, got None"):
        ExpectedErrorReduction(None)


def test_params():
    factory = RetrainFactory([0, 1], OUTPUTS)
    assert ExpectedErrorReduction(factory, seed=1).get_params() == {
        "seed": 1,
        "clf_factory": factory,
        "subsample_size": 100,
        "evaluation_size": 500,
        "loss": Loss.LOG,
        "chunk_size": 32768,
    }


# --- property: the query contract ---------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_query_contract_property(data):
    x, y = blobs(n_per_class=8, num_classes=2)
    pool = SklearnDataset(x, y, target_labels=np.arange(2))
    status = np.array(data.draw(st.lists(st.sampled_from("lui"), min_size=16, max_size=16)))
    status[[0, 8]] = "l"  # both classes labeled, so the current classifier is a real one
    labeled = np.flatnonzero(status == "l")
    unlabeled = np.flatnonzero(status == "u")
    if unlabeled.size == 0:
        return
    n = data.draw(st.integers(1, unlabeled.size))
    seed = data.draw(st.integers(0, 1000))
    subsample_size = data.draw(st.integers(1, 4))
    factory = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC(random_state=0))  # liblinear draws otherwise
    clf = factory.new().fit(pool[labeled].with_labels(y[labeled]))

    def run():
        strategy = ExpectedErrorReduction(factory, subsample_size=subsample_size, evaluation_size=6, seed=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return strategy.query(clf, pool, unlabeled, labeled, y[labeled], n), strategy.last_scores

    result, scores = run()
    assert result.shape == (n,)
    assert len(set(result.tolist())) == n
    assert set(result.tolist()) <= set(unlabeled.tolist())
    assert np.isfinite(scores).sum() == min(max(subsample_size, n), unlabeled.size)
    again, again_scores = run()
    np.testing.assert_array_equal(result, again)
    np.testing.assert_array_equal(scores, again_scores)
