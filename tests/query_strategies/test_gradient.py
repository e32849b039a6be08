"""BADGE and expected gradient length: k-means++ seeding, hand-ranked scores, and the query contract."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activetext.classifiers.base import Classifier
from activetext.classifiers.capabilities import SupportsExpectedGradientLength, SupportsGradientEmbeddings
from activetext.data import SklearnDataset
from activetext.exceptions import InvalidArgumentError, MissingCapabilityError
from activetext.query_strategies.gradient import BADGE, ExpectedGradientLength, kmeans_plus_plus
from conftest import TableClassifier


class GradientTable(Classifier):
    """Fixed gradient embeddings and expected gradient lengths per document, recording the rows of each call."""

    def __init__(self, gradients=None, lengths=None):
        self.gradients = None if gradients is None else np.asarray(gradients, dtype=np.float64)
        self.lengths = None if lengths is None else np.asarray(lengths, dtype=np.float64)
        self.calls: list[list[int]] = []
        self.multi_label_ = False

    def _rows(self, data):
        rows = np.asarray(data.x[:, 0], dtype=np.int64)
        self.calls.append(rows.tolist())
        return rows

    def fit(self, train, validation=None, weights=None):
        return self

    def predict_proba(self, data):
        return np.full((len(data), 2), 0.5)

    def gradient_embeddings(self, data):
        return self.gradients[self._rows(data)]

    def expected_gradient_length(self, data):
        return self.lengths[self._rows(data)]

    def save(self, folder):
        raise NotImplementedError

    @classmethod
    def load(cls, folder):
        raise NotImplementedError


def _dataset(n_rows: int) -> SklearnDataset:
    return SklearnDataset(np.arange(n_rows, dtype=np.float64).reshape(-1, 1), target_labels=np.arange(2))


def _query(strategy, clf, n_rows, unlabeled, n, labeled=()):
    labeled = np.asarray(labeled, dtype=np.int64)
    return strategy.query(
        clf, _dataset(n_rows), np.asarray(unlabeled), labeled, np.zeros(labeled.size, dtype=np.int64), n
    )


# rows 0 and 1 are the same (largest) gradient; 2 is a copy of 3
GRADIENTS = np.array([[3.0, 4.0], [3.0, 4.0], [0.0, 1.0], [0.0, 1.0], [1.0, 0.0], [-2.0, 0.0], [0.5, 0.5]])


# --- k-means++ ----------------------------------------------------------------------------------------------


def test_kmeans_plus_plus_first_pick_is_the_largest_norm():
    points = np.array([[0.0, 1.0], [2.0, 2.0], [-3.0, 0.0], [0.1, 0.1]])
    for seed in range(5):
        assert kmeans_plus_plus(points, 1, np.random.default_rng(seed))[0] == 2


def test_kmeans_plus_plus_never_picks_a_copy_while_others_are_left():
    distinct = 5  # rows 0/1 and 2/3 are copies
    for seed in range(30):
        picks = kmeans_plus_plus(GRADIENTS, distinct, np.random.default_rng(seed), chunk_size=2)
        assert len({tuple(GRADIENTS[p]) for p in picks}) == distinct
        assert picks[0] in (0, 1)


def test_kmeans_plus_plus_fills_with_copies_once_every_distinct_row_is_taken():
    for seed in range(10):
        picks = kmeans_plus_plus(GRADIENTS, 7, np.random.default_rng(seed))
        assert sorted(picks.tolist()) == list(range(7))
        assert len({tuple(GRADIENTS[p]) for p in picks[:5]}) == 5  # the distinct rows come first


def test_kmeans_plus_plus_samples_by_squared_distance():
    # after the first pick (row 0, norm 10), row 1 is at squared distance 100 and row 2 at 1: row 1 ~ 99% of draws
    points = np.array([[10.0, 0.0], [0.0, 0.0], [9.0, 0.0]])
    second = [kmeans_plus_plus(points, 2, np.random.default_rng(seed))[1] for seed in range(200)]
    assert 185 <= second.count(1) < 200


# --- BADGE --------------------------------------------------------------------------------------------------


def test_table_has_the_capabilities():
    clf = GradientTable(GRADIENTS, np.zeros(7))
    assert isinstance(clf, SupportsGradientEmbeddings) and isinstance(clf, SupportsExpectedGradientLength)
    assert not isinstance(TableClassifier(np.eye(2)), SupportsGradientEmbeddings)


def test_badge_first_pick_is_the_largest_gradient_and_no_copy_is_picked():
    for seed in range(20):
        strategy = BADGE(seed=seed)
        result = _query(strategy, GradientTable(GRADIENTS), 7, np.arange(7), 5)
        assert result[0] in (0, 1)
        assert len({tuple(GRADIENTS[r]) for r in result}) == 5
        np.testing.assert_allclose(strategy.last_scores, np.linalg.norm(GRADIENTS, axis=1))


def test_badge_embeds_only_candidates_in_bounded_chunks():
    clf = GradientTable(GRADIENTS)
    strategy = BADGE(seed=0, chunk_size=2)
    result = _query(strategy, clf, 7, [6, 2, 4], 2, labeled=[0])
    assert set(result.tolist()) <= {2, 4, 6}
    assert all(1 <= len(call) <= 2 for call in clf.calls)
    assert sorted(row for call in clf.calls for row in call) == [2, 4, 6]
    assert result[0] in (2, 4)  # norm 1 each, ahead of row 6 (norm 0.71)
    np.testing.assert_array_equal(strategy.last_candidates, [6, 2, 4])


def test_badge_max_candidates_subsamples():
    strategy = BADGE(seed=0, max_candidates=3)
    result = _query(strategy, GradientTable(GRADIENTS), 7, np.arange(7), 2)
    scored = np.flatnonzero(np.isfinite(strategy.last_scores))
    assert scored.size == 3
    assert set(result.tolist()) <= set(scored.tolist())


def test_badge_bad_embeddings_raise():
    clf = GradientTable(np.full((7, 2), np.nan))
    with pytest.raises(InvalidArgumentError, match=r"gradient_embeddings must return a finite \(3, C \* d\) array"):
        _query(BADGE(seed=0), clf, 7, [0, 1, 2], 1)


# --- expected gradient length -------------------------------------------------------------------------------


def test_egl_ranks_by_hand():
    lengths = np.array([0.2, 1.5, 0.0, 0.9, 3.0, 0.9])
    clf = GradientTable(lengths=lengths)
    strategy = ExpectedGradientLength(seed=0, chunk_size=2)
    result = _query(strategy, clf, 6, [0, 1, 2, 3, 5], 3)
    assert result[:2].tolist() == [1, 3] or result[:2].tolist() == [1, 5]
    assert sorted(result[1:].tolist()) == [3, 5]
    np.testing.assert_allclose(strategy.last_scores, [0.2, 1.5, 0.0, 0.9, 0.9])
    assert all(1 <= len(call) <= 2 for call in clf.calls)
    assert sorted(row for call in clf.calls for row in call) == [0, 1, 2, 3, 5]


def test_egl_wrong_shape_raises():
    clf = GradientTable(lengths=np.ones((6, 2)))
    with pytest.raises(InvalidArgumentError, match=r"expected_gradient_length must return 2 finite values"):
        _query(ExpectedGradientLength(seed=0), clf, 6, [0, 1], 1)


# --- errors and parameters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "capability"),
    [(BADGE(seed=0), "SupportsGradientEmbeddings"), (ExpectedGradientLength(seed=0), "SupportsExpectedGradientLength")],
)
@pytest.mark.parametrize("clf", [TableClassifier(np.full((6, 2), 0.5)), None])
def test_missing_capability_raises(strategy, capability, clf):
    with pytest.raises(MissingCapabilityError, match=rf"needs a classifier with the {capability} capability"):
        _query(strategy, clf, 6, [0, 1, 2], 1)


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (BADGE, {"chunk_size": 0}, r"^chunk_size must be an int >= 1, got 0"),
        (BADGE, {"max_candidates": 0}, r"^max_candidates must be an int >= 1, got 0"),
        (ExpectedGradientLength, {"chunk_size": "2"}, r"^chunk_size must be an int >= 1, got '2'"),
    ],
)
def test_bad_arguments_raise(cls, kwargs, message):
    with pytest.raises(InvalidArgumentError, match=message):
        cls(**kwargs)


def test_params():
    assert BADGE(seed=1, max_candidates=10).get_params() == {"seed": 1, "chunk_size": 32768, "max_candidates": 10}
    assert ExpectedGradientLength(seed=2, chunk_size=5).get_params() == {"seed": 2, "chunk_size": 5}


# --- property: the query contract ---------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_query_contract_property(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 100)))
    gradients = rng.normal(size=(30, 4))
    gradients[10:15] = gradients[9]  # copies
    lengths = rng.random(30)
    status = np.array(data.draw(st.lists(st.sampled_from("lui"), min_size=30, max_size=30)))
    unlabeled = np.flatnonzero(status == "u")
    labeled = np.flatnonzero(status == "l")
    if unlabeled.size == 0:
        return
    n = data.draw(st.integers(1, unlabeled.size))
    seed = data.draw(st.integers(0, 1000))
    kind = data.draw(st.sampled_from(["badge", "badge-subsampled", "egl"]))

    def run():
        if kind == "egl":
            strategy = ExpectedGradientLength(seed=seed, chunk_size=7)
        else:
            strategy = BADGE(seed=seed, chunk_size=7, max_candidates=10 if kind == "badge-subsampled" else None)
        return _query(strategy, GradientTable(gradients, lengths), 30, unlabeled, n, labeled)

    result = run()
    assert result.shape == (n,)
    assert len(set(result.tolist())) == n
    assert set(result.tolist()) <= set(unlabeled.tolist())  # never labeled, never ignored
    np.testing.assert_array_equal(result, run())
