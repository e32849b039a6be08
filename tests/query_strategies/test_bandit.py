"""Active learning by learning: EXP3 bookkeeping on a hand-computed reward sequence, learning which arm helps, and
the query contract."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from activetext.classifiers.base import Classifier
from activetext.data import SklearnDataset
from activetext.exceptions import InvalidArgumentError, MissingCapabilityError
from activetext.query_strategies import LeastConfidence, RandomSampling
from activetext.query_strategies.bandit import (
    ActiveLearningByLearning,
    BanditRound,
    exp3_probabilities,
    importance_weighted_accuracy,
)
from activetext.query_strategies.base import ScoringStrategy
from conftest import make_learner


def _sigmoid(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


# --- pure functions -----------------------------------------------------------------------------------------


def test_exp3_probabilities_hand_values():
    np.testing.assert_allclose(exp3_probabilities([0.0, 0.0], 0.2), [0.5, 0.5])
    first = 0.8 * _sigmoid(0.2) + 0.1
    np.testing.assert_allclose(exp3_probabilities([0.2, 0.0], 0.2), [first, 1 - first])
    np.testing.assert_allclose(first, 0.539867, atol=1e-6)
    np.testing.assert_allclose(exp3_probabilities([5.0, 0.0, 0.0], 1.0), [1 / 3] * 3)  # gamma = 1: uniform


def test_exp3_probabilities_do_not_overflow_and_keep_the_floor():
    probabilities = exp3_probabilities([1000.0, 0.0, -1000.0], 0.3)
    np.testing.assert_allclose(probabilities, [0.7 + 0.1, 0.1, 0.1])
    np.testing.assert_allclose(probabilities.sum(), 1.0)


def test_importance_weighted_accuracy_hand_values():
    assert importance_weighted_accuracy([True, False], [1.0, 3.0]) == 0.25
    assert importance_weighted_accuracy([True, True, False], [2.0, 2.0, 4.0]) == 0.5
    assert math.isnan(importance_weighted_accuracy([], []))
    with pytest.raises(InvalidArgumentError, match=r"got shapes \(2,\) and \(3,\)"):
        importance_weighted_accuracy([True, False], [1.0, 1.0, 1.0])


# --- stubs --------------------------------------------------------------------------------------------------


class FixedPicks(ScoringStrategy):
    """Picks the unlabeled documents of ``preferred`` in order (every other candidate scores -inf)."""

    def __init__(self, preferred, seed=0):
        super().__init__(seed)
        self.preferred = np.asarray(preferred)

    def score(self, clf, dataset, candidates, indices_labeled, y):
        rank = {doc: len(self.preferred) - i for i, doc in enumerate(self.preferred.tolist())}
        return np.array([rank.get(doc, -np.inf) for doc in candidates.tolist()], dtype=np.float64)


class PredictionStub(Classifier):
    """Predicts ``predictions[row]`` (the rows are the documents' only feature)."""

    def __init__(self, predictions):
        self.predictions = np.asarray(predictions, dtype=np.int64)
        self.multi_label_ = False

    def fit(self, train, validation=None, weights=None):
        return self

    def predict_proba(self, data):
        return np.eye(2)[self.predictions[np.asarray(data.x[:, 0], dtype=np.int64)]]

    def save(self, folder):
        raise NotImplementedError

    @classmethod
    def load(cls, folder):
        raise NotImplementedError


class ScriptedArms:
    """Stands in for the bandit's generator: returns scripted arms and records the distributions offered."""

    def __init__(self, arms):
        self.arms = list(arms)
        self.offered: list[np.ndarray] = []

    def choice(self, k, p):
        self.offered.append(np.asarray(p).copy())
        return self.arms.pop(0)


def _dataset(n_rows: int) -> SklearnDataset:
    return SklearnDataset(np.arange(n_rows, dtype=np.float64).reshape(-1, 1), target_labels=np.arange(2))


class Oracle:
    """Drives the bandit as a learner would: query, label, query again."""

    def __init__(self, bandit, n_rows, truth):
        self.bandit = bandit
        self.dataset = _dataset(n_rows)
        self.truth = np.asarray(truth)
        self.labeled = np.array([], dtype=np.int64)

    def query(self, clf, n):
        unlabeled = np.setdiff1d(np.arange(len(self.dataset)), self.labeled)
        return self.bandit.query(clf, self.dataset, unlabeled, self.labeled, self.truth[self.labeled], n)

    def label(self, batch):
        self.labeled = np.sort(np.concatenate([self.labeled, batch]))


# --- bookkeeping on a hand-computed sequence ----------------------------------------------------------------


def test_bookkeeping_on_a_hand_computed_reward_sequence():
    # arm 0 picks documents 2, 3, ...; arm 1 picks 10, 11, ...; gamma = 0.2, K = 2, so eta = 0.1
    bandit = ActiveLearningByLearning([FixedPicks(range(2, 10)), FixedPicks(range(10, 20))], gamma=0.2, seed=0)
    assert bandit.eta == pytest.approx(0.1)
    scripted = ScriptedArms([0, 1, 0])
    bandit.rng = scripted
    truth = np.zeros(20, dtype=np.int64)
    truth[[2, 3, 11]] = 1
    oracle = Oracle(bandit, 20, truth)
    all_zero, all_one = PredictionStub(np.zeros(20)), PredictionStub(np.ones(20))

    # query 1: nothing to reward yet
    first = oracle.query(all_zero, 2)
    assert first.tolist() == [2, 3]
    np.testing.assert_allclose(scripted.offered[0], [0.5, 0.5])
    oracle.label(first)  # both are class 1: the classifier that predicted 0 was wrong on both

    # query 2: the new classifier is right on both (weights 1 / 0.5 = 2): reward = gain = 1 - 0 = 1
    second = oracle.query(all_one, 2)
    assert second.tolist() == [10, 11]
    assert (bandit.rounds[0].accuracy_before, bandit.rounds[0].accuracy_after) == (0.0, 1.0)
    assert bandit.rounds[0].reward == pytest.approx(1.0)
    np.testing.assert_allclose(bandit.log_weights, [0.1 * 1.0 / 0.5, 0.0])
    p_second = 0.8 * _sigmoid(0.2) + 0.1
    np.testing.assert_allclose(scripted.offered[1], [p_second, 1 - p_second])
    oracle.label(second)  # labels 0 and 1

    # query 3: documents 2, 3 weigh 2 each, documents 10, 11 weigh w = 1 / p(arm 1) each.
    #   before (all ones): right on 2, 3, 11 -> (4 + w) / (4 + 2w); now (all zeros): right on 10 -> w / (4 + 2w)
    oracle.query(all_zero, 1)
    w = 1 / (1 - p_second)
    gain = w / (4 + 2 * w) - (4 + w) / (4 + 2 * w)
    assert gain == pytest.approx(-4 / (4 + 2 * w))
    assert bandit.rounds[1].accuracy_before == pytest.approx((4 + w) / (4 + 2 * w))
    assert bandit.rounds[1].accuracy_after == pytest.approx(w / (4 + 2 * w))
    assert bandit.rounds[1].reward == pytest.approx(gain)
    np.testing.assert_allclose(bandit.rounds[1].reward, -0.479239, atol=1e-6)
    log_weights = [0.2, 0.1 * gain / (1 - p_second)]
    np.testing.assert_allclose(bandit.log_weights, log_weights)
    p_third = 0.8 * _sigmoid(log_weights[0] - log_weights[1]) + 0.1
    np.testing.assert_allclose(scripted.offered[2], [p_third, 1 - p_third])
    np.testing.assert_allclose(bandit.probabilities, [p_third, 1 - p_third])

    # the history is inspectable
    assert bandit.arms_chosen.tolist() == [0, 1, 0]
    np.testing.assert_allclose(bandit.rewards[:2], [1.0, gain])
    assert math.isnan(bandit.rewards[2])
    assert bandit.rounds[2].reward is None
    np.testing.assert_allclose(bandit.rounds[1].probabilities, [p_second, 1 - p_second])
    assert bandit.rounds[2].batch.tolist() == [4]
    np.testing.assert_allclose(bandit.weights.sum(), 1.0)


def test_a_batch_that_was_never_labeled_earns_no_reward():
    bandit = ActiveLearningByLearning([FixedPicks(range(2, 10)), FixedPicks(range(10, 20))], seed=0)
    oracle = Oracle(bandit, 20, np.zeros(20, dtype=np.int64))
    clf = PredictionStub(np.zeros(20))
    oracle.query(clf, 2)
    oracle.query(clf, 2)  # the first query was replaced without labels
    assert bandit.rounds[0].reward is None and bandit.rounds[0].accuracy_before is None
    np.testing.assert_array_equal(bandit.log_weights, [0.0, 0.0])
    oracle.label(bandit.rounds[1].batch)
    oracle.query(clf, 2)
    assert bandit.rounds[1].accuracy_before == bandit.rounds[1].accuracy_after == 1.0
    assert bandit.rounds[1].reward == 0.0


def test_no_reward_without_a_classifier_before_the_batch():
    bandit = ActiveLearningByLearning([RandomSampling(seed=0), FixedPicks(range(10))], seed=0)
    oracle = Oracle(bandit, 20, np.zeros(20, dtype=np.int64))
    oracle.label(oracle.query(None, 3))  # cold start
    oracle.query(PredictionStub(np.zeros(20)), 3)
    assert bandit.rounds[0].reward is None
    np.testing.assert_array_equal(bandit.log_weights, [0.0, 0.0])


def test_a_failing_arm_leaves_the_bandit_as_it_was():
    bandit = ActiveLearningByLearning([LeastConfidence(seed=0)], seed=0)
    oracle = Oracle(bandit, 10, np.zeros(10, dtype=np.int64))
    with pytest.raises(MissingCapabilityError):
        oracle.query(None, 2)
    assert bandit.rounds == []
    np.testing.assert_array_equal(bandit.log_weights, [0.0])
    assert bandit.last_candidates is None


# --- learning which arm helps -------------------------------------------------------------------------------


class QualityStub(PredictionStub):
    """Right (class 0) on document d exactly when d % 10 < level: its accuracy on any spread of documents grows
    with ``level``."""

    def __init__(self, n_rows: int, level: int):
        super().__init__((np.arange(n_rows) % 10 >= level).astype(np.int64))


@pytest.mark.parametrize(("learning_rate", "final"), [(1.0, 0.8), (None, 0.52)])
def test_the_arm_whose_labels_help_gains_probability(learning_rate, final):
    # documents 0..99 are "good" (labeling one raises the classifier's quality), 100..199 "bad" (lowers it)
    n_rows = 200
    good, bad = FixedPicks(range(100)), FixedPicks(range(100, 200))
    bandit = ActiveLearningByLearning([bad, good], gamma=0.1, learning_rate=learning_rate, seed=0)
    oracle = Oracle(bandit, n_rows, np.zeros(n_rows, dtype=np.int64))
    level = 5
    for _ in range(40):
        batch = oracle.query(QualityStub(n_rows, level), 2)
        oracle.label(batch)
        level = int(np.clip(level + (1 if batch[0] < 100 else -1), 0, 10))
    probability_of_good = np.array([r.probabilities[1] for r in bandit.rounds])
    assert probability_of_good[0] == 0.5
    assert probability_of_good[-1] > final
    assert probability_of_good[-10:].mean() > probability_of_good[:10].mean()
    arms = bandit.arms_chosen
    assert (arms[20:] == 1).mean() >= (arms[:20] == 1).mean()
    # the good arm's rewards are never below the bad arm's
    rewards = bandit.rewards[:-1]
    assert rewards[arms[:-1] == 1].min() >= rewards[arms[:-1] == 0].max()


# --- with the learner ---------------------------------------------------------------------------------------


def test_works_in_the_learner_loop(pool):
    bandit = ActiveLearningByLearning([RandomSampling(seed=1), LeastConfidence(seed=1)], seed=0)
    learner = make_learner(pool, bandit)
    learner.initialize_data([0, 20, 40], [0, 1, 2])
    for _ in range(5):
        queried = learner.query(num_samples=3)
        assert bandit.last_candidates is not None
        learner.update(pool.y[queried])
    assert len(bandit.rounds) == 5
    assert np.all(np.isfinite(bandit.rewards[:4]))
    assert np.all((bandit.rewards[:4] >= -1) & (bandit.rewards[:4] <= 1))
    assert learner.indices_labeled.size == 18


def test_cold_start_in_the_learner_loop(pool):
    bandit = ActiveLearningByLearning([RandomSampling(seed=1), RandomSampling(seed=2)], seed=0)
    learner = make_learner(pool, bandit)
    learner.initialize()
    for _ in range(3):
        learner.update(pool.y[learner.query(num_samples=4)])
    assert math.isnan(bandit.rewards[0])  # no classifier before the first batch
    assert np.all(np.isfinite(bandit.rewards[1:2]))


def test_the_arms_scores_are_kept():
    bandit = ActiveLearningByLearning([RandomSampling(seed=5)], seed=0)
    dataset = _dataset(10)
    result = bandit.query(None, dataset, np.array([7, 1, 4]), np.array([], dtype=np.int64), np.array([]), 2)
    arm = bandit.strategies[0]
    np.testing.assert_array_equal(bandit.last_candidates, [7, 1, 4])
    np.testing.assert_array_equal(bandit.last_scores, arm.last_scores)
    np.testing.assert_array_equal(result, arm.last_candidates[np.argsort(-arm.last_scores)[:2]])


# --- errors and parameters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"strategies": []}, r"^strategies must be a non-empty sequence of QueryStrategy, got \[\]"),
        ({"strategies": RandomSampling(seed=0)}, r"^strategies must be a non-empty sequence .* got RandomSampling"),
        ({"strategies": [RandomSampling(seed=0), "random"]}, r"^strategies must hold only .* got 'random'"),
        ({"gamma": 0.0}, r"^gamma must be a number in \(0, 1\], got 0\.0"),
        ({"gamma": 1.5}, r"^gamma must be a number in \(0, 1\], got 1\.5"),
        ({"learning_rate": -1.0}, r"^learning_rate must be a positive number or None, got -1\.0"),
        ({"chunk_size": 0}, r"^chunk_size must be an int >= 1, got 0"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    arguments = {"strategies": [RandomSampling(seed=0)], **kwargs}
    with pytest.raises(InvalidArgumentError, match=message):
        ActiveLearningByLearning(**arguments)


def test_multi_label_raises():
    dataset = SklearnDataset(np.arange(4.0).reshape(-1, 1), sp.csr_matrix(np.eye(4, 3, dtype=int)))
    bandit = ActiveLearningByLearning([RandomSampling(seed=0)], seed=0)
    with pytest.raises(InvalidArgumentError, match=r"^ActiveLearningByLearning measures single-label accuracy"):
        bandit.query(None, dataset, np.array([2, 3]), np.array([0, 1]), dataset.y[[0, 1]], 1)


def test_params_and_initial_state():
    arms = [RandomSampling(seed=0), LeastConfidence(seed=0)]
    bandit = ActiveLearningByLearning(arms, gamma=0.3, seed=4)
    assert bandit.get_params() == {
        "seed": 4,
        "strategies": arms,
        "gamma": 0.3,
        "learning_rate": None,
        "chunk_size": 32768,
    }
    assert bandit.eta == pytest.approx(0.15)
    np.testing.assert_array_equal(bandit.probabilities, [0.5, 0.5])
    assert bandit.rounds == [] and bandit.arms_chosen.size == 0 and bandit.rewards.size == 0
    assert isinstance(BanditRound(0, np.ones(1), np.zeros(1, dtype=np.int64)), BanditRound)


# --- property: the query contract and determinism -----------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_query_contract_property(data):
    n_rows = 30
    status = np.array(data.draw(st.lists(st.sampled_from("lui"), min_size=n_rows, max_size=n_rows)))
    unlabeled = np.flatnonzero(status == "u")
    if unlabeled.size < 2:
        return
    labeled = np.flatnonzero(status == "l")
    truth = np.asarray(data.draw(st.lists(st.integers(0, 1), min_size=n_rows, max_size=n_rows)))
    seed = data.draw(st.integers(0, 1000))
    n = data.draw(st.integers(1, unlabeled.size // 2))
    dataset = _dataset(n_rows)
    clf = PredictionStub(np.random.default_rng(seed).integers(0, 2, n_rows))

    def run():
        bandit = ActiveLearningByLearning(
            [RandomSampling(seed=seed), LeastConfidence(seed=seed), FixedPicks(unlabeled[::-1])], seed=seed
        )
        first = bandit.query(clf, dataset, unlabeled, labeled, truth[labeled], n)
        # label the first batch, then query again: the second call also rewards the first arm
        labeled_after = np.sort(np.concatenate([labeled, first]))
        second = bandit.query(clf, dataset, np.setdiff1d(unlabeled, first), labeled_after, truth[labeled_after], n)
        return first, second, bandit

    first, second, bandit = run()
    for batch, pool in ((first, unlabeled), (second, np.setdiff1d(unlabeled, first))):
        assert batch.shape == (n,)
        assert len(set(batch.tolist())) == n
        assert set(batch.tolist()) <= set(pool.tolist())
    assert bandit.rounds[0].reward == 0.0  # the same classifier before and after: no gain
    again_first, again_second, again = run()
    np.testing.assert_array_equal(first, again_first)
    np.testing.assert_array_equal(second, again_second)
    np.testing.assert_array_equal(bandit.log_weights, again.log_weights)
    assert bandit.arms_chosen.tolist() == again.arms_chosen.tolist()
