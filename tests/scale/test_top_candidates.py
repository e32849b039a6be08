"""TopCandidates: chunked scoring with a streaming top-k selects what the whole-pool strategy selects."""

from __future__ import annotations

import numpy as np
import pytest

from activetext.classifiers import ConfidenceEnhancedLinearSVC
from activetext.classifiers.factories import SklearnClassifierFactory
from activetext.data import SklearnDataset
from activetext.data.ondisk import MemmapDataset
from activetext.exceptions import InvalidArgumentError, MissingCapabilityError, PoolExhaustedException
from activetext.query_strategies import BreakingTies, GreedyCoreset, LeastConfidence, PrecomputedEmbeddings
from activetext.query_strategies.chunked import TopCandidates, split_candidates


def three_class_pool(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    y = np.argmax(x[:, :3] + 0.3 * rng.normal(size=(n, 3)), axis=1)
    return x, y


@pytest.fixture
def setting(tmp_path):
    x, y = three_class_pool()
    np.save(tmp_path / "x.npy", x)
    labeled = np.arange(60)
    clf = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()).new()
    clf.fit(SklearnDataset(x, y, target_labels=[0, 1, 2])[labeled])
    unlabeled = np.arange(60, x.shape[0])
    memory = SklearnDataset(x, y, target_labels=[0, 1, 2])
    disk = MemmapDataset(tmp_path / "x.npy", y, target_labels=[0, 1, 2], chunk_size=700)
    return x, y, clf, labeled, unlabeled, memory, disk


@pytest.mark.parametrize("scorer_class", [BreakingTies, LeastConfidence])
@pytest.mark.parametrize("chunk_size", [1, 250, 5000])
def test_equals_the_whole_pool_strategy(setting, scorer_class, chunk_size):
    _, y, clf, labeled, unlabeled, memory, disk = setting
    expected = scorer_class(seed=0).query(clf, memory, unlabeled, labeled, y[labeled], n=25)
    strategy = TopCandidates(scorer_class(), chunk_size=chunk_size, seed=0)
    got = strategy.query(clf, disk, unlabeled[::-1].copy(), labeled, y[labeled], n=25)
    assert got.tolist() == expected.tolist()  # scores are continuous: no ties, the same order
    assert set(strategy.last_timings) == {"scoring", "selection", "wall"}


def test_keeps_scores_of_the_kept_candidates_only(setting):
    _, y, clf, labeled, unlabeled, memory, disk = setting
    strategy = TopCandidates(BreakingTies(), keep=100, seed=0)
    strategy.query(clf, disk, unlabeled, labeled, y[labeled], n=10)
    full = BreakingTies(seed=0)
    full.query(clf, memory, unlabeled, labeled, y[labeled], n=10)
    kept = np.isfinite(strategy.last_scores)
    assert kept.sum() == 100
    np.testing.assert_allclose(strategy.last_scores[kept], full.last_scores[kept])
    assert full.last_scores[kept].min() >= full.last_scores[~kept].max()  # the kept ones are the best 100


def test_coreset_on_the_kept_candidates(setting):
    x, y, clf, labeled, unlabeled, memory, disk = setting
    coreset = GreedyCoreset(PrecomputedEmbeddings(disk.x), seed=0)
    strategy = TopCandidates(BreakingTies(), keep=200, then=coreset, chunk_size=512, seed=0)
    got = strategy.query(clf, disk, unlabeled, labeled, y[labeled], n=15)
    top200 = unlabeled[np.argsort(-BreakingTies.score_probabilities(clf.predict_proba(memory[unlabeled])))[:200]]
    expected = GreedyCoreset(PrecomputedEmbeddings(x), seed=0).query(
        clf, memory, np.sort(top200), labeled, y[labeled], n=15
    )
    assert got.tolist() == expected.tolist()


def test_split_never_straddles_a_storage_chunk(setting):
    *_, disk = setting
    pieces = split_candidates(disk, np.arange(100, 2000, 3), 300)
    bounds = disk.chunk_bounds()
    for piece in pieces:
        assert piece.size <= 300
        assert np.searchsorted(bounds, piece[0], side="right") == np.searchsorted(bounds, piece[-1], side="right")
    assert np.concatenate(pieces).tolist() == list(range(100, 2000, 3))


def test_errors_name_the_argument(setting):
    _, y, clf, labeled, unlabeled, _, disk = setting
    with pytest.raises(InvalidArgumentError, match="scorer must be a ProbabilityScoringStrategy"):
        TopCandidates(GreedyCoreset())
    with pytest.raises(InvalidArgumentError, match="keep must be an int >= 1, got 0"):
        TopCandidates(BreakingTies(), keep=0)
    with pytest.raises(InvalidArgumentError, match="then must be a QueryStrategy or None, got 3"):
        TopCandidates(BreakingTies(), then=3)
    with pytest.raises(InvalidArgumentError, match=r"client must be None, a distributed\.Client"):
        TopCandidates(BreakingTies(), client=5)
    strategy = TopCandidates(BreakingTies(), seed=0)
    with pytest.raises(MissingCapabilityError, match="TopCandidates needs a trained classifier"):
        strategy.query(None, disk, unlabeled, labeled, y[labeled], n=5)
    with pytest.raises(PoolExhaustedException):
        strategy.query(clf, disk, unlabeled[:3], labeled, y[labeled], n=5)
    assert strategy.last_candidates is None
