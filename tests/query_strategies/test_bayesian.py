"""BALD and BatchBALD: the score on hand-made arrays, greedy joint selection, and the query contract."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from activetext.classifiers.base import Classifier
from activetext.classifiers.capabilities import SupportsPosteriorSamples
from activetext.data import SklearnDataset
from activetext.exceptions import InvalidArgumentError, MissingCapabilityError
from activetext.query_strategies.bayesian import BALD, BatchBALD, bald
from conftest import TableClassifier

LN2 = math.log(2)


def _h(*shares: float) -> float:
    """Entropy of a distribution written out by hand."""
    return -sum(p * math.log(p) for p in shares if p > 0)


class SampleTable(Classifier):
    """Fixed posterior samples per document (``table[row]`` is ``(C, k)``), recording the rows of each call."""

    def __init__(self, table):
        self.table = np.asarray(table, dtype=np.float64)
        self.calls: list[list[int]] = []
        self.multi_label_ = False

    def fit(self, train, validation=None, weights=None):
        return self

    def predict_proba(self, data):
        return self.table[np.asarray(data.x[:, 0], dtype=np.int64)].mean(axis=2)

    def posterior_samples(self, data, n_samples):
        rows = np.asarray(data.x[:, 0], dtype=np.int64)
        self.calls.append(rows.tolist())
        return self.table[rows][:, :, :n_samples]

    def save(self, folder):
        raise NotImplementedError

    @classmethod
    def load(cls, folder):
        raise NotImplementedError


def _dataset(n_rows: int, num_classes: int = 2) -> SklearnDataset:
    return SklearnDataset(np.arange(n_rows, dtype=np.float64).reshape(-1, 1), target_labels=np.arange(num_classes))


def _query(strategy, clf, dataset, unlabeled, n, labeled=(), y=()):
    labeled = np.asarray(labeled, dtype=np.int64)
    return strategy.query(clf, dataset, np.asarray(unlabeled), labeled, np.asarray(y, dtype=np.int64), n)


def _two_class(*draws: float) -> np.ndarray:
    """``(2, k)`` samples from the probabilities of class 0 under each draw."""
    p = np.asarray(draws, dtype=np.float64)
    return np.stack([p, 1.0 - p])


# --- the bald function --------------------------------------------------------------------------------------


def test_bald_hand_values():
    samples = np.array(
        [
            [[1.0, 0.0], [0.0, 1.0]],  # two draws sure of different classes
            [[0.5, 0.5], [0.5, 0.5]],  # two identical (uncertain) draws
            [[1.0, 1.0], [0.0, 0.0]],  # two identical confident draws
        ]
    )
    np.testing.assert_allclose(bald(samples), [LN2, 0.0, 0.0], atol=1e-12)


def test_bald_three_classes_by_hand():
    # draws [0.5, 0.5, 0] and [0.5, 0, 0.5]: mean [0.5, 0.25, 0.25]; each draw has entropy ln 2
    samples = np.array([[[0.5, 0.5], [0.5, 0.0], [0.0, 0.5]]])
    expected = _h(0.5, 0.25, 0.25) - LN2
    np.testing.assert_allclose(bald(samples), [expected])
    np.testing.assert_allclose(expected, 0.5 * LN2)


def test_bald_is_between_zero_and_log_classes():
    rng = np.random.default_rng(0)
    samples = rng.dirichlet(np.ones(4) * 0.3, size=(50, 7)).transpose(0, 2, 1)
    scores = bald(samples)
    assert scores.shape == (50,)
    assert np.all(scores >= 0) and np.all(scores <= math.log(4) + 1e-12)


def test_bald_of_no_rows():
    assert bald(np.empty((0, 3, 2))).shape == (0,)


@pytest.mark.parametrize(
    ("samples", "message"),
    [
        (np.ones((2, 2)), r"^samples must be a 3-D \(n, C, k\) array with k >= 1, got shape \(2, 2\)"),
        (np.ones((2, 2, 0)), r"^samples must be a 3-D .* got shape \(2, 2, 0\)"),
        (np.full((1, 2, 2), -0.5), r"^samples must hold finite, non-negative probabilities"),
        (np.full((1, 2, 2), np.nan), r"^samples must hold finite, non-negative probabilities"),
    ],
)
def test_bald_refuses_bad_input(samples, message):
    with pytest.raises(InvalidArgumentError, match=message):
        bald(samples)


# --- BALD strategy ------------------------------------------------------------------------------------------

# six documents, two classes, four draws; BALD by hand in the comments
BALD_TABLE = np.stack(
    [
        _two_class(0.9, 0.9, 0.9, 0.9),  # 0: all draws agree -> 0
        _two_class(1.0, 1.0, 0.0, 0.0),  # 1: draws split, each confident -> ln 2
        _two_class(0.5, 0.5, 0.5, 0.5),  # 2: uncertain but agreeing -> 0
        _two_class(0.9, 0.9, 0.1, 0.1),  # 3: H(0.5) - H(0.9)
        _two_class(1.0, 0.0, 1.0, 0.0),  # 4: ln 2
        _two_class(0.75, 0.75, 0.25, 0.25),  # 5: H(0.5) - H(0.75)
    ]
)


def test_sample_table_has_the_capability():
    assert isinstance(SampleTable(BALD_TABLE), SupportsPosteriorSamples)
    assert not isinstance(TableClassifier(np.eye(2)), SupportsPosteriorSamples)


def test_bald_query_hand_known():
    clf = SampleTable(BALD_TABLE)
    strategy = BALD(n_samples=4, seed=0)
    result = _query(strategy, clf, _dataset(6), [0, 2, 3, 5], 2)
    assert result.tolist() == [3, 5]
    expected = [0.0, 0.0, LN2 - _h(0.9, 0.1), LN2 - _h(0.75, 0.25)]
    np.testing.assert_allclose(strategy.last_scores, expected, atol=1e-12)
    np.testing.assert_array_equal(strategy.last_candidates, [0, 2, 3, 5])


def test_bald_uses_n_samples_draws():
    clf = SampleTable(BALD_TABLE)
    strategy = BALD(n_samples=2, seed=0)  # only the first two draws: documents 1 and 3 now agree
    _query(strategy, clf, _dataset(6), [1, 3, 4], 1)
    np.testing.assert_allclose(strategy.last_scores, [0.0, 0.0, LN2], atol=1e-12)


@pytest.mark.parametrize("chunk_size", [1, 2, 5, 100])
def test_bald_samples_only_candidates_in_bounded_chunks(chunk_size):
    clf = SampleTable(BALD_TABLE)
    _query(BALD(n_samples=4, seed=0, chunk_size=chunk_size), clf, _dataset(6), [5, 1, 3, 4], 2)
    assert all(1 <= len(call) <= chunk_size for call in clf.calls)
    assert sorted(row for call in clf.calls for row in call) == [1, 3, 4, 5]


@pytest.mark.parametrize("strategy", [BALD(seed=0), BatchBALD(seed=0)])
@pytest.mark.parametrize("clf", [TableClassifier(np.full((6, 2), 0.5)), None])
def test_missing_capability_raises(strategy, clf):
    with pytest.raises(MissingCapabilityError, match=r"needs a classifier with the SupportsPosteriorSamples"):
        _query(strategy, clf, _dataset(6), [0, 1, 2], 1)


@pytest.mark.parametrize("strategy", [BALD(seed=0), BatchBALD(seed=0)])
def test_multi_label_raises(strategy):
    dataset = SklearnDataset(np.arange(4.0).reshape(-1, 1), sp.csr_matrix(np.eye(4, 2, dtype=int)))
    with pytest.raises(InvalidArgumentError, match=r"scores single-label data"):
        strategy.query(SampleTable(BALD_TABLE), dataset, np.array([2, 3]), np.array([0, 1]), dataset.y[[0, 1]], 1)


def test_wrong_sample_shape_raises():
    clf = SampleTable(BALD_TABLE)
    with pytest.raises(InvalidArgumentError, match=r"posterior_samples must return shape \(3, 3, 4\), got \(3, 2, 4\)"):
        _query(BALD(n_samples=4, seed=0), clf, _dataset(6, num_classes=3), [0, 1, 2], 1)


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (BALD, {"n_samples": 0}, r"^n_samples must be an int >= 1, got 0"),
        (BALD, {"chunk_size": 0}, r"^chunk_size must be an int >= 1, got 0"),
        (BatchBALD, {"max_candidates": 0}, r"^max_candidates must be an int >= 1, got 0"),
        (BatchBALD, {"max_configurations": 1.5}, r"^max_configurations must be an int >= 1, got 1\.5"),
    ],
)
def test_bad_arguments_raise(cls, kwargs, message):
    with pytest.raises(InvalidArgumentError, match=message):
        cls(**kwargs)


def test_params():
    assert BALD(n_samples=5, seed=1).get_params() == {"seed": 1, "n_samples": 5, "chunk_size": 32768}
    assert BatchBALD(seed=2, max_candidates=50).get_params() == {
        "seed": 2,
        "n_samples": 10,
        "max_candidates": 50,
        "max_configurations": 4096,
        "chunk_size": 32768,
    }


# --- BatchBALD ----------------------------------------------------------------------------------------------

# documents 0 and 1 are identical and have the highest BALD (ln 2); document 2 has a lower BALD but tells about
# other draws; document 3 tells nothing
REDUNDANT_TABLE = np.stack(
    [
        _two_class(1.0, 1.0, 0.0, 0.0),
        _two_class(1.0, 1.0, 0.0, 0.0),
        _two_class(0.9, 0.1, 0.9, 0.1),
        _two_class(0.5, 0.5, 0.5, 0.5),
    ]
)


def test_batchbald_takes_only_one_of_two_identical_documents():
    for seed in range(10):
        top = _query(BALD(n_samples=4, seed=seed), SampleTable(REDUNDANT_TABLE), _dataset(4), [0, 1, 2, 3], 2)
        assert sorted(top.tolist()) == [0, 1]
        strategy = BatchBALD(n_samples=4, seed=seed)
        result = _query(strategy, SampleTable(REDUNDANT_TABLE), _dataset(4), [0, 1, 2, 3], 2)
        assert result[0] in (0, 1) and result[1] == 2
        # joint information: ln 2 after the first pick; then H(y0, y2) - H(0.9) = 2 ln 2 - H(0.9)
        np.testing.assert_allclose(strategy.last_batch_scores, [LN2, 2 * LN2 - _h(0.9, 0.1)], atol=1e-12)
        np.testing.assert_allclose(strategy.last_scores, [LN2, LN2, LN2 - _h(0.9, 0.1), 0.0], atol=1e-12)


def test_batchbald_of_one_is_top_bald():
    clf = SampleTable(BALD_TABLE)
    result = _query(BatchBALD(n_samples=4, seed=0), clf, _dataset(6), [0, 2, 3, 5], 1)
    assert result.tolist() == [3]


def test_batchbald_prefilters_by_bald_and_samples_the_rest_in_one_call():
    clf = SampleTable(BALD_TABLE)
    strategy = BatchBALD(n_samples=4, max_candidates=2, seed=0, chunk_size=2)
    result = _query(strategy, clf, _dataset(6), [0, 1, 2, 3, 4, 5], 2)
    assert sorted(result.tolist()) == [1, 4]  # the two of BALD ln 2
    assert clf.calls[:3] == [[0, 1], [2, 3], [4, 5]]  # the pre-filter, in chunks
    assert clf.calls[3:] == [[1, 4]]  # the greedy step: the kept candidates in one call
    assert np.isfinite(strategy.last_scores).all()


def test_batchbald_monte_carlo_estimate_agrees_with_exact():
    rng = np.random.default_rng(0)
    samples = rng.dirichlet(np.ones(3) * 0.5, size=(6, 10)).transpose(0, 2, 1)
    exact_picks, exact = BatchBALD(n_samples=10, max_configurations=50_000, seed=0)._greedy(samples, 5)
    mc_picks, estimate = BatchBALD(n_samples=10, max_configurations=50_000, seed=0)._greedy(samples, 5, exact_limit=1)
    np.testing.assert_allclose(estimate, exact, rtol=0.02)
    np.testing.assert_array_equal(mc_picks, exact_picks)
    assert estimate[0] == pytest.approx(exact[0], rel=1e-12)  # a single document: every configuration is empty
    assert np.all(np.diff(exact) > 0)


def test_batchbald_switches_to_monte_carlo_on_large_batches_without_underflow():
    rng = np.random.default_rng(1)
    samples = rng.dirichlet(np.ones(5) * 0.3, size=(100, 8)).transpose(0, 2, 1)
    # 5 classes: past 5 documents the joint has more than 4096 configurations, and is estimated
    picks, gains = BatchBALD(n_samples=8, max_configurations=4096, seed=0)._greedy(samples, 40)
    assert len(set(picks.tolist())) == 40
    assert np.all(np.isfinite(gains))
    # the joint information cannot exceed the information in the draws, H(w) = log k; the estimate of the
    # greedily chosen batch is biased upwards a little (it is the maximum of noisy estimates)
    assert gains[:5].max() <= math.log(8) + 1e-9
    assert gains.max() <= math.log(8) + 0.3


# --- property: the query contract ---------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_query_contract_property(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 100)))
    table = rng.dirichlet(np.ones(3), size=(30, 5)).transpose(0, 2, 1)
    table[5] = table[4]  # a duplicate
    dataset = _dataset(30, num_classes=3)
    status = np.array(data.draw(st.lists(st.sampled_from("lui"), min_size=30, max_size=30)))
    unlabeled = np.flatnonzero(status == "u")
    labeled = np.flatnonzero(status == "l")
    if unlabeled.size == 0:
        return
    n = data.draw(st.integers(1, unlabeled.size))
    seed = data.draw(st.integers(0, 1000))
    use_batch = data.draw(st.booleans())

    def run():
        if use_batch:
            strategy = BatchBALD(n_samples=5, max_candidates=8, max_configurations=30, seed=seed, chunk_size=7)
        else:
            strategy = BALD(n_samples=5, seed=seed, chunk_size=7)
        return _query(strategy, SampleTable(table), dataset, unlabeled, n, labeled, np.zeros(labeled.size))

    result = run()
    assert result.shape == (n,)
    assert len(set(result.tolist())) == n
    assert set(result.tolist()) <= set(unlabeled.tolist())  # never labeled, never ignored
    np.testing.assert_array_equal(result, run())
