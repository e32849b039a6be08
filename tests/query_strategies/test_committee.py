"""Query by committee: the disagreement measures on hand-made arrays, bootstrap resampling, and the query contract."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from activetext.classifiers import ConfidenceEnhancedLinearSVC, SklearnClassifier
from activetext.classifiers.base import Classifier
from activetext.classifiers.factories import ClassifierFactory, SklearnClassifierFactory
from activetext.data import SklearnDataset
from activetext.exceptions import InvalidArgumentError, MissingCapabilityError
from activetext.query_strategies.committee import (
    Committee,
    Disagreement,
    QueryByCommittee,
    _set_random_state,
    bootstrap_samples,
    kl_to_mean,
    vote_entropy,
)
from conftest import blobs, make_learner


def _h(*shares: float) -> float:
    """Entropy of a distribution written out by hand."""
    return -sum(p * math.log(p) for p in shares if p > 0)


# --- vote entropy -------------------------------------------------------------------------------------------


def test_vote_entropy_hand_values():
    votes = np.array(
        [
            [0, 0, 0, 0],  # unanimous
            [0, 0, 1, 1],  # split in two
            [0, 1, 2, 2],  # 1/4, 1/4, 1/2
            [2, 2, 2, 1],  # 0, 1/4, 3/4
        ]
    )
    expected = [0.0, math.log(2), 0.5 * math.log(4) + 0.5 * math.log(2), 0.25 * math.log(4) + 0.75 * math.log(4 / 3)]
    np.testing.assert_allclose(vote_entropy(votes, 3), expected)
    np.testing.assert_allclose(vote_entropy(votes, 3), [0.0, 0.693147, 1.039721, 0.562335], atol=1e-6)


def test_vote_entropy_is_at_most_log_of_min_members_classes():
    np.testing.assert_allclose(vote_entropy(np.array([[0, 1, 2]]), 5), [math.log(3)])
    np.testing.assert_allclose(vote_entropy(np.array([[0, 1, 0, 1, 0, 1]]), 2), [math.log(2)])


def test_vote_entropy_of_no_rows():
    assert vote_entropy(np.empty((0, 3), dtype=np.int64), 2).shape == (0,)


@pytest.mark.parametrize(
    ("votes", "num_classes", "message"),
    [
        (np.array([0, 1]), 2, r"^votes must be a 2-D \(n, k\) array with k >= 1, got shape \(2,\)"),
        (np.empty((3, 0), dtype=int), 2, r"^votes must be a 2-D .* got shape \(3, 0\)"),
        (np.array([[0.0, 1.0]]), 2, r"^votes must hold class indices \(integers\), got dtype float64"),
        (np.array([[0, 2]]), 2, r"^votes must lie in 0 \.\. 1 \(num_classes=2\), got values from 0 to 2"),
        (np.array([[-1, 0]]), 2, r"^votes must lie in 0 \.\. 1 \(num_classes=2\), got values from -1 to 0"),
        (np.array([[0, 0]]), 0, r"^num_classes must be an int >= 1, got 0"),
    ],
)
def test_vote_entropy_refuses_bad_input(votes, num_classes, message):
    with pytest.raises(InvalidArgumentError, match=message):
        vote_entropy(votes, num_classes)


# --- KL divergence to the mean ------------------------------------------------------------------------------


def _members(*distributions: list[float]) -> np.ndarray:
    """One document's (C, k) slice from the members' class distributions."""
    return np.array(distributions, dtype=np.float64).T


def test_kl_to_mean_hand_values():
    proba = np.stack(
        [
            _members([1.0, 0.0], [1.0, 0.0]),  # agreement
            _members([1.0, 0.0], [0.0, 1.0]),  # consensus (.5, .5): each member is ln 2 away
            _members([0.8, 0.2], [0.4, 0.6]),  # consensus (.6, .4)
            _members([0.5, 0.5], [0.5, 0.5]),
        ]
    )
    assert proba.shape == (4, 2, 2)
    first = 0.8 * math.log(0.8 / 0.6) + 0.2 * math.log(0.2 / 0.4)
    second = 0.4 * math.log(0.4 / 0.6) + 0.6 * math.log(0.6 / 0.4)
    expected = [0.0, math.log(2), (first + second) / 2, 0.0]
    np.testing.assert_allclose(kl_to_mean(proba), expected, atol=1e-12)
    np.testing.assert_allclose(kl_to_mean(proba)[2], 0.086305, atol=1e-6)


def test_kl_to_mean_three_members_three_classes():
    proba = _members([1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0])[None]
    # consensus is uniform; each member is ln 3 away from it
    np.testing.assert_allclose(kl_to_mean(proba), [math.log(3)])


@pytest.mark.parametrize(
    ("proba", "message"),
    [
        (np.ones((2, 3)), r"^proba must be a 3-D \(n, C, k\) array with k >= 1, got shape \(2, 3\)"),
        (np.ones((2, 3, 0)), r"^proba must be a 3-D .* got shape \(2, 3, 0\)"),
        (np.full((1, 2, 2), -0.5), r"^proba must hold finite, non-negative probabilities"),
        (np.full((1, 2, 2), np.nan), r"^proba must hold finite, non-negative probabilities"),
    ],
)
def test_kl_to_mean_refuses_bad_input(proba, message):
    with pytest.raises(InvalidArgumentError, match=message):
        kl_to_mean(proba)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(2, 4), st.integers(1, 4), st.integers(0, 10_000))
def test_disagreement_is_non_negative_and_zero_for_clones(n, num_classes, k, seed):
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.ones(num_classes), size=(n, k)).transpose(0, 2, 1)  # (n, C, k)
    assert np.all(kl_to_mean(proba) >= -1e-12)
    clones = np.repeat(proba[:, :, :1], k, axis=2)
    np.testing.assert_allclose(kl_to_mean(clones), 0.0, atol=1e-12)
    votes = rng.integers(0, num_classes, size=(n, k))
    entropy = vote_entropy(votes, num_classes)
    assert np.all((entropy >= -1e-12) & (entropy <= math.log(min(k, num_classes)) + 1e-12))
    np.testing.assert_allclose(vote_entropy(np.repeat(votes[:, :1], k, axis=1), num_classes), 0.0)


# --- bootstrap resamples ------------------------------------------------------------------------------------


def test_bootstrap_samples_shape_and_range():
    samples = bootstrap_samples(np.array([0, 1, 1, 2, 0]), 4, np.random.default_rng(0))
    assert samples.shape == (4, 5)
    assert samples.dtype == np.int64
    assert samples.min() >= 0 and samples.max() < 5


def test_bootstrap_samples_always_hold_two_classes_when_the_labels_do():
    labels = np.array([0, 1])  # a plain bootstrap draws a single class half of the time
    samples = bootstrap_samples(labels, 200, np.random.default_rng(1))
    assert all(np.unique(labels[row]).size == 2 for row in samples)


def test_bootstrap_samples_of_a_single_class():
    samples = bootstrap_samples(np.array([1, 1, 1]), 3, np.random.default_rng(0))
    assert samples.shape == (3, 3)


def test_bootstrap_samples_are_reproducible():
    labels = np.array([0, 0, 0, 1, 2, 2])
    np.testing.assert_array_equal(
        bootstrap_samples(labels, 5, np.random.default_rng(7)), bootstrap_samples(labels, 5, np.random.default_rng(7))
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=12), st.integers(1, 6), st.integers(0, 1000))
def test_bootstrap_samples_property(labels, committee_size, seed):
    labels = np.array(labels)
    samples = bootstrap_samples(labels, committee_size, np.random.default_rng(seed))
    assert samples.shape == (committee_size, labels.size)
    if np.unique(labels).size >= 2:
        assert all(np.unique(labels[row]).size >= 2 for row in samples)


@pytest.mark.parametrize(("labels", "size"), [(np.array([], dtype=int), 2), (np.zeros((2, 2), dtype=int), 2)])
def test_bootstrap_samples_refuses_bad_labels(labels, size):
    with pytest.raises(InvalidArgumentError, match=r"^labels must be a non-empty 1-D array"):
        bootstrap_samples(labels, size, np.random.default_rng(0))


# --- stubs: members with fixed predictions ------------------------------------------------------------------


class MemberStub(Classifier):
    """Member ``m`` of a committee answers ``table[row, :, m]``; the rows are the documents' only feature."""

    def __init__(self, factory: StubFactory, member: int):
        self.factory = factory
        self.member = member
        self.multi_label_ = False

    def fit(self, train, validation=None, weights=None):
        self.factory.trained_on.append((train.x[:, 0].astype(int).tolist(), train.y.tolist()))
        return self

    def predict_proba(self, data):
        rows = np.asarray(data.x[:, 0], dtype=np.int64)
        self.factory.calls.append(rows.tolist())
        return self.factory.table[rows, :, self.member]

    def save(self, folder):
        raise NotImplementedError

    @classmethod
    def load(cls, folder):
        raise NotImplementedError


class StubFactory(ClassifierFactory):
    """Creates members 0, 1, ..., k-1, 0, 1, ... in turn (a committee of size k gets each member once)."""

    def __init__(self, table: np.ndarray):
        self.table = np.asarray(table, dtype=np.float64)
        self.created = 0
        self.trained_on: list[tuple[list[int], list[int]]] = []
        self.calls: list[list[int]] = []

    def new(self):
        member = MemberStub(self, self.created % self.table.shape[2])
        self.created += 1
        return member


# rows 0 and 1 are labeled; candidates 2..5 hold the hand-made cases of test_kl_to_mean_hand_values
KL_TABLE = np.stack(
    [
        _members([1.0, 0.0], [1.0, 0.0]),
        _members([0.0, 1.0], [0.0, 1.0]),
        _members([1.0, 0.0], [1.0, 0.0]),  # 2: agreement           VE 0     KL 0
        _members([1.0, 0.0], [0.0, 1.0]),  # 3: opposite certainty  VE ln 2  KL ln 2
        _members([0.8, 0.2], [0.4, 0.6]),  # 4: mild disagreement   VE ln 2  KL 0.086305
        _members([0.5, 0.5], [0.5, 0.5]),  # 5: same, uncertain     VE 0     KL 0
    ]
)


def _dataset(n_rows: int, num_classes: int = 2) -> SklearnDataset:
    return SklearnDataset(np.arange(n_rows, dtype=np.float64).reshape(-1, 1), target_labels=np.arange(num_classes))


def _query(strategy, dataset, unlabeled, labeled, y, n):
    return strategy.query(None, dataset, np.asarray(unlabeled), np.asarray(labeled), np.asarray(y), n)


@pytest.mark.parametrize("committee", list(Committee))
def test_kl_to_mean_query_hand_known(committee):
    factory = StubFactory(KL_TABLE)
    strategy = QueryByCommittee(
        factory, committee_size=2, disagreement=Disagreement.KL_TO_MEAN, committee=committee, seed=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stubs have no random_state
        result = _query(strategy, _dataset(6), [2, 3, 4, 5], [0, 1], [0, 1], 2)
    assert result.tolist() == [3, 4]
    np.testing.assert_allclose(strategy.last_scores, [0.0, math.log(2), 0.086305, 0.0], atol=1e-6)
    np.testing.assert_array_equal(strategy.last_candidates, [2, 3, 4, 5])


def test_vote_entropy_query_hand_known():
    strategy = QueryByCommittee(StubFactory(KL_TABLE), committee_size=2, seed=0)
    result = _query(strategy, _dataset(6), [2, 3, 4, 5], [0, 1], [0, 1], 2)
    assert sorted(result.tolist()) == [3, 4]  # the two split votes, in a seeded order
    np.testing.assert_allclose(strategy.last_scores, [0.0, math.log(2), math.log(2), 0.0])


def test_vote_entropy_query_three_members_three_classes():
    votes = np.array([[0, 0, 0], [0, 0, 0], [0, 1, 1], [1, 1, 1], [0, 1, 2], [2, 2, 1]])
    table = np.eye(3)[votes].transpose(0, 2, 1)  # one-hot members: (n, C, k)
    strategy = QueryByCommittee(StubFactory(table), committee_size=3, seed=0)
    result = _query(strategy, _dataset(6, 3), [2, 3, 4, 5], [0, 1], [0, 1], 1)
    assert result.tolist() == [4]
    np.testing.assert_allclose(strategy.last_scores, [_h(1 / 3, 2 / 3), 0.0, math.log(3), _h(1 / 3, 2 / 3)])


def test_members_train_on_bootstrap_resamples_of_the_labeled_documents():
    table = np.zeros((10, 2, 3))
    table[:, 0, :] = 1.0
    factory = StubFactory(table)
    strategy = QueryByCommittee(factory, committee_size=3, seed=4)
    labeled, y = np.array([1, 4, 6, 8]), np.array([0, 1, 1, 0])
    _query(strategy, _dataset(10), [0, 2, 3, 5], labeled, y, 2)
    assert len(factory.trained_on) == 3
    label_of = dict(zip(labeled.tolist(), y.tolist(), strict=True))
    for rows, labels in factory.trained_on:
        assert len(rows) == 4
        assert set(rows) <= set(labeled.tolist())
        assert labels == [label_of[row] for row in rows]
        assert len(set(labels)) == 2
    assert len({tuple(rows) for rows, _ in factory.trained_on}) > 1  # the resamples differ


def test_seeded_members_train_on_all_labeled_documents():
    table = np.zeros((10, 2, 3))
    table[:, 0, :] = 1.0
    factory = StubFactory(table)
    strategy = QueryByCommittee(factory, committee_size=3, committee=Committee.SEEDS, seed=0)
    with pytest.warns(UserWarning, match=r"has no random_state to set, so all 3 members are identical"):
        _query(strategy, _dataset(10), [0, 2, 3], [1, 4], [0, 1], 1)
    assert factory.trained_on == [([1, 4], [0, 1])] * 3


@pytest.mark.parametrize("disagreement", list(Disagreement))
@pytest.mark.parametrize("chunk_size", [1, 2, 3, 100])
def test_only_candidates_are_predicted_in_bounded_chunks(disagreement, chunk_size):
    factory = StubFactory(KL_TABLE)
    strategy = QueryByCommittee(factory, committee_size=2, disagreement=disagreement, seed=0, chunk_size=chunk_size)
    _query(strategy, _dataset(6), [5, 2, 4], [0, 1], [0, 1], 1)
    assert all(1 <= len(call) <= chunk_size for call in factory.calls)
    assert sorted(row for call in factory.calls for row in call) == [2, 2, 4, 4, 5, 5]  # each candidate per member


# --- real classifiers ---------------------------------------------------------------------------------------


def _blobs_pool():
    x, y = blobs(n_per_class=10, num_classes=3)
    return SklearnDataset(x, y, target_labels=np.arange(3)), y


def test_seeds_committee_of_a_deterministic_estimator_agrees_everywhere():
    pool, y = _blobs_pool()
    strategy = QueryByCommittee(
        SklearnClassifierFactory(LogisticRegression()),
        committee=Committee.SEEDS,
        disagreement=Disagreement.KL_TO_MEAN,
        seed=0,
    )
    labeled = np.array([0, 1, 10, 11, 20, 21])
    strategy.query(None, pool, np.setdiff1d(np.arange(30), labeled), labeled, y[labeled], 3)
    np.testing.assert_allclose(strategy.last_scores, 0.0, atol=1e-12)


def test_seeds_committee_of_a_random_estimator_disagrees():
    pool, y = _blobs_pool()
    estimator = SGDClassifier(max_iter=3, tol=None, random_state=0)
    strategy = QueryByCommittee(
        SklearnClassifierFactory(estimator), committee=Committee.SEEDS, disagreement=Disagreement.KL_TO_MEAN, seed=0
    )
    labeled = np.array([0, 1, 10, 11, 20, 21])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's convergence warning at max_iter=3
        strategy.query(None, pool, np.setdiff1d(np.arange(30), labeled), labeled, y[labeled], 3)
    assert strategy.last_scores.max() > 0
    assert estimator.random_state == 0  # the factory's template is never changed


def test_set_random_state_reaches_every_step_of_a_pipeline():
    member = SklearnClassifier(make_pipeline(StandardScaler(), SGDClassifier(random_state=1)))
    template = member.estimator
    assert _set_random_state(member, 42)
    assert member.estimator.get_params()["sgdclassifier__random_state"] == 42
    assert template.get_params()["sgdclassifier__random_state"] == 1
    assert not _set_random_state(SklearnClassifier(GaussianNB()), 42)


def test_seeds_committee_without_random_state_warns():
    pool, y = _blobs_pool()
    strategy = QueryByCommittee(SklearnClassifierFactory(GaussianNB()), committee=Committee.SEEDS, seed=0)
    labeled = np.array([0, 10, 20])
    with pytest.warns(UserWarning, match=r"GaussianNB.*no random_state to set.*use Committee\.BOOTSTRAP"):
        strategy.query(None, pool, np.setdiff1d(np.arange(30), labeled), labeled, y[labeled], 2)
    np.testing.assert_allclose(strategy.last_scores, 0.0)


@pytest.mark.parametrize("disagreement", list(Disagreement))
def test_works_in_the_learner_loop(pool, disagreement):
    factory = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC())
    learner = make_learner(pool, QueryByCommittee(factory, committee_size=3, disagreement=disagreement, seed=0))
    learner.initialize_data([0, 20, 40], [0, 1, 2])
    for _ in range(3):
        queried = learner.query(num_samples=4)
        assert not np.isin(queried, learner.indices_labeled).any()
        learner.update(pool.y[queried])
    assert learner.indices_labeled.size == 15


# --- errors -------------------------------------------------------------------------------------------------


def test_no_labeled_documents_raises():
    strategy = QueryByCommittee(StubFactory(KL_TABLE), committee_size=2, seed=0)
    with pytest.raises(MissingCapabilityError, match=r"needs labeled documents .* got indices_labeled of size 0"):
        _query(strategy, _dataset(6), np.arange(6), np.array([], dtype=np.int64), np.array([], dtype=np.int64), 1)


def test_multi_label_raises():
    dataset = SklearnDataset(np.arange(4.0).reshape(-1, 1), sp.csr_matrix(np.eye(4, 3, dtype=int)))
    strategy = QueryByCommittee(StubFactory(KL_TABLE), committee_size=2, seed=0)
    with pytest.raises(InvalidArgumentError, match=r"^QueryByCommittee scores single-label data"):
        strategy.query(None, dataset, np.array([2, 3]), np.array([0, 1]), dataset.y[[0, 1]], 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"committee_size": 1}, r"^committee_size must be an int >= 2, got 1"),
        ({"committee_size": 2.0}, r"^committee_size must be an int >= 2, got 2\.0 \(float\)"),
        ({"disagreement": "vote_entropy"}, r"^disagreement must be a Disagreement, got 'vote_entropy'"),
        ({"committee": "bootstrap"}, r"^committee must be a Committee, got 'bootstrap'"),
        ({"chunk_size": 0}, r"^chunk_size must be an int >= 1, got 0"),
        ({"seed": -3}, r"^seed must be a non-negative int, got -3"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(InvalidArgumentError, match=message):
        QueryByCommittee(StubFactory(KL_TABLE), **kwargs)


def test_bad_factory_raises():
    with pytest.raises(InvalidArgumentError, match=r"^clf_factory must be a ClassifierFactory, got LogisticRegression"):
        QueryByCommittee(LogisticRegression())


def test_params():
    factory = StubFactory(KL_TABLE)
    params = QueryByCommittee(factory, committee_size=3, seed=2).get_params()
    assert params == {
        "seed": 2,
        "clf_factory": factory,
        "committee_size": 3,
        "disagreement": Disagreement.VOTE_ENTROPY,
        "committee": Committee.BOOTSTRAP,
        "chunk_size": 32768,
    }


# --- property: the query contract ---------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_query_contract_property(data):
    pool, y = _blobs_pool()
    status = np.array(data.draw(st.lists(st.sampled_from("lui"), min_size=30, max_size=30)))
    labeled = np.flatnonzero(status == "l")
    unlabeled = np.flatnonzero(status == "u")
    if labeled.size == 0 or unlabeled.size == 0:
        return
    n = data.draw(st.integers(1, unlabeled.size))
    seed = data.draw(st.integers(0, 1000))
    disagreement = data.draw(st.sampled_from(list(Disagreement)))

    def run():
        factory = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC())
        strategy = QueryByCommittee(factory, committee_size=3, disagreement=disagreement, seed=seed, chunk_size=7)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a single labeled class gives constant members, with a warning
            return strategy.query(None, pool, unlabeled, labeled, y[labeled], n)

    result = run()
    assert result.shape == (n,)
    assert len(set(result.tolist())) == n
    assert set(result.tolist()) <= set(unlabeled.tolist())  # never labeled, never ignored
    np.testing.assert_array_equal(result, run())
