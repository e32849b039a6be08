"""Diversity strategies: hand-computed answers on tiny embeddings, and the query contract as a property."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from activetext.data import SklearnDataset
from activetext.exceptions import InvalidArgumentError, MissingCapabilityError
from activetext.query_strategies import diversity
from activetext.query_strategies.diversity import (
    EmbeddingKMeans,
    GreedyCoreset,
    LightweightCoreset,
    ProbCover,
    TypiClust,
    min_squared_distances,
)
from activetext.query_strategies.embeddings import PrecomputedEmbeddings
from activetext.vector_indexes import ExactIndex
from conftest import TableClassifier

ALL = [GreedyCoreset, LightweightCoreset, EmbeddingKMeans, ProbCover, TypiClust]
NONE = np.empty(0, dtype=np.int64)
TWO_GROUPS = [0, 0.1, 0.3, 0.6, 1.5, 10, 10.2, 10.3]
# mean distance to the 2 nearest within the group: .2 .15 .25 .4 1.05 | .25 .15 .2
TYPICALITY = 1 / np.array([0.2, 0.15, 0.25, 0.4, 1.05, 0.25, 0.15, 0.2])


class RecordingEmbeddings(PrecomputedEmbeddings):
    """Precomputed vectors that remember which rows were embedded, call by call."""

    def __init__(self, vectors):
        super().__init__(np.asarray(vectors, dtype=np.float64))
        self.calls: list[list[int]] = []

    def _embed(self, clf, dataset, indices):
        self.calls.append(indices.tolist())
        return super()._embed(clf, dataset, indices)


ProbaStub = TableClassifier


def points(values) -> np.ndarray:
    """Hand-made vectors: a list of numbers is 1-D points, a list of pairs 2-D points."""
    array = np.asarray(values, dtype=np.float64)
    return array.reshape(-1, 1) if array.ndim == 1 else array


def setup(values, num_classes: int = 2):
    """A dataset whose rows are their positions, and precomputed embeddings holding ``values``."""
    vectors = points(values)
    dataset = SklearnDataset(np.arange(len(vectors), dtype=np.float64).reshape(-1, 1), target_labels=range(num_classes))
    return dataset, RecordingEmbeddings(vectors)


def query(strategy, dataset, unlabeled, labeled=NONE, n=1, clf=None):
    labeled = np.asarray(labeled, dtype=np.int64)
    return strategy.query(clf, dataset, np.asarray(unlabeled), labeled, np.zeros(labeled.size, dtype=np.int64), n)


# --- min_squared_distances ----------------------------------------------------------------------------------


def test_min_squared_distances_hand_values():
    result = min_squared_distances(points([1, 5, 10, -2]), points([0, 4]))
    assert result.dtype == np.float32
    assert result.tolist() == [1.0, 1.0, 36.0, 4.0]
    assert min_squared_distances(points([1, 2]), np.empty((0, 1))).tolist() == [np.inf, np.inf]


@pytest.mark.parametrize("chunk_size", [1, 3, 100])
def test_min_squared_distances_blocks_agree_with_brute_force(monkeypatch, chunk_size):
    monkeypatch.setattr(diversity, "_BLOCK_ELEMENTS", 4)  # several column blocks per row block
    rng = np.random.default_rng(0)
    a, b = rng.integers(-5, 5, size=(11, 3)).astype(float), rng.integers(-5, 5, size=(7, 3)).astype(float)
    expected = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2).min(axis=1)
    np.testing.assert_allclose(min_squared_distances(a, b, chunk_size), expected, atol=1e-4)


# --- GreedyCoreset ------------------------------------------------------------------------------------------


def test_coreset_known_answer_1d():
    dataset, embeddings = setup([0, 1, 5, 10])
    strategy = GreedyCoreset(embeddings, seed=0)
    result = query(strategy, dataset, [1, 2, 3], labeled=[0], n=2)
    assert result.tolist() == [3, 2]  # 10 is farthest from 0; then 5 (min(5, 5)) beats 1 (min(1, 9))
    np.testing.assert_allclose(strategy.last_scores, [1.0, 5.0, 10.0])


def test_coreset_known_answer_2d():
    # labeled (0, 0); (0, 6) is farthest (6), then (3, 4): min(5, |(3, -2)| = 3.61) beats (1, 0): 1
    dataset, embeddings = setup([[0, 0], [3, 4], [1, 0], [0, 6]])
    strategy = GreedyCoreset(embeddings, seed=0)
    assert query(strategy, dataset, [1, 2, 3], labeled=[0], n=3).tolist() == [3, 1, 2]
    np.testing.assert_allclose(strategy.last_scores, [5.0, 1.0, 6.0])


@pytest.mark.parametrize("seed", range(6))
def test_coreset_cold_start_begins_at_random_then_goes_far(seed):
    dataset, embeddings = setup([0, 1, 10])
    strategy = GreedyCoreset(embeddings, seed=seed)
    first, second = query(strategy, dataset, [0, 1, 2], n=2).tolist()
    assert second == (0 if first == 2 else 2)
    assert np.all(np.isinf(strategy.last_scores))


def test_coreset_cold_start_first_pick_depends_on_the_seed():
    dataset, embeddings = setup(range(8))
    firsts = {query(GreedyCoreset(embeddings, seed=seed), dataset, np.arange(8)).item() for seed in range(12)}
    assert len(firsts) > 2


def test_coreset_duplicates_still_give_unique_picks():
    dataset, embeddings = setup([3, 3, 3, 3, 3])
    result = query(GreedyCoreset(embeddings, seed=0), dataset, [1, 2, 3, 4], labeled=[0], n=4)
    assert sorted(result.tolist()) == [1, 2, 3, 4]


def test_coreset_embeds_only_candidates_and_labeled_in_chunks():
    dataset, embeddings = setup(range(10))
    query(GreedyCoreset(embeddings, seed=0, chunk_size=2), dataset, [9, 2, 5], labeled=[0, 7], n=2)
    assert all(len(call) <= 2 for call in embeddings.calls)
    assert sorted(row for call in embeddings.calls for row in call) == [0, 2, 5, 7, 9]


def test_coreset_max_candidates_subsamples():
    dataset, embeddings = setup(range(20))
    strategy = GreedyCoreset(embeddings, max_candidates=5, seed=3)
    result = query(strategy, dataset, np.arange(1, 20), labeled=[0], n=2)
    scored = strategy.last_candidates[~np.isnan(strategy.last_scores)]
    assert scored.size == 5
    assert set(result.tolist()) <= set(scored.tolist())
    assert result[0] == scored.max()  # farthest from 0 among the sample


# --- LightweightCoreset ------------------------------------------------------------------------------------


def test_lightweight_coreset_probabilities():
    # mean 1; squared distances 1, 1, 1, 9 (sum 12): q = 1/8 + d^2 / 24
    dataset, embeddings = setup([0, 0, 0, 4])
    strategy = LightweightCoreset(embeddings, seed=0)
    query(strategy, dataset, np.arange(4), n=2)
    np.testing.assert_allclose(strategy.last_scores, [1 / 6, 1 / 6, 1 / 6, 1 / 2])
    assert strategy.last_scores.sum() == pytest.approx(1.0)


def test_lightweight_coreset_identical_points_are_uniform():
    dataset, embeddings = setup([[2, 2]] * 4)
    strategy = LightweightCoreset(embeddings, seed=0)
    query(strategy, dataset, np.arange(4), n=1)
    np.testing.assert_allclose(strategy.last_scores, np.full(4, 0.25))


def test_lightweight_coreset_samples_in_proportion():
    dataset, embeddings = setup([0, 0, 0, 4])
    strategy = LightweightCoreset(embeddings, seed=1)
    counts = np.zeros(4)
    for _ in range(1200):
        counts[query(strategy, dataset, np.arange(4), n=1)] += 1
    np.testing.assert_allclose(counts / counts.sum(), [1 / 6, 1 / 6, 1 / 6, 1 / 2], atol=0.04)


def test_lightweight_coreset_without_replacement():
    dataset, embeddings = setup([0, 0, 0, 4])
    result = query(LightweightCoreset(embeddings, seed=0), dataset, np.arange(4), n=4)
    assert sorted(result.tolist()) == [0, 1, 2, 3]


def test_lightweight_coreset_uses_only_candidates():
    # the labeled row 4 is far away and must not move the mean
    dataset, embeddings = setup([0, 0, 0, 4, 1000])
    strategy = LightweightCoreset(embeddings, seed=0, chunk_size=3)
    query(strategy, dataset, np.arange(4), labeled=[4], n=1)
    np.testing.assert_allclose(strategy.last_scores, [1 / 6, 1 / 6, 1 / 6, 1 / 2])
    assert sorted(row for call in embeddings.calls for row in call) == [0, 1, 2, 3]


# --- EmbeddingKMeans ----------------------------------------------------------------------------------------


def test_kmeans_picks_the_candidate_nearest_each_centroid():
    # two groups: centroids 0.5 and 10.1667; nearest candidates 0.6 (row 3) and 10.2 (row 6)
    dataset, embeddings = setup(TWO_GROUPS)
    strategy = EmbeddingKMeans(embeddings, seed=0)
    assert query(strategy, dataset, np.arange(8), n=2).tolist() == [3, 6]  # the larger cluster first
    centroids = np.r_[[0.5] * 5, [30.5 / 3] * 3]
    np.testing.assert_allclose(strategy.last_scores, -np.abs(np.array(TWO_GROUPS) - centroids), atol=1e-5)


def test_kmeans_2d_blobs_give_their_centres():
    centre = np.array([[0, 0], [10, 0], [0, 10]], dtype=float)
    offsets = np.array([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]], dtype=float)
    vectors = (centre[:, None, :] + offsets[None, :, :]).reshape(-1, 2)
    dataset, embeddings = setup(vectors)
    result = query(EmbeddingKMeans(embeddings, seed=0), dataset, np.arange(15), n=3)
    assert sorted(result.tolist()) == [0, 5, 10]


def test_nearest_unique_gives_a_shared_nearest_point_to_the_closer_centroid():
    index = ExactIndex()
    index.add(points([0.1, 1.0, -2.0]), np.arange(3))
    # both centroids have 0.1 nearest; centroid 0 is closer (0.1 < 0.3), centroid 0.4 takes its next: 1.0
    chosen = diversity._nearest_unique(index, points([0.4, 0.0]), 3, n_neighbors=1)
    assert chosen.tolist() == [1, 0]


def test_kmeans_with_fewer_distinct_points_than_n():
    dataset, embeddings = setup([5, 5, 5, 5])
    result = query(EmbeddingKMeans(embeddings, seed=0), dataset, np.arange(4), n=3)
    assert len(set(result.tolist())) == 3


def test_kmeans_weighted_pulls_the_centroid_to_uncertain_candidates():
    dataset, embeddings = setup([0, 1, 2])
    clf = ProbaStub([[1.0, 0.0], [1.0, 0.0], [0.5, 0.5]])  # only row 2 is uncertain
    assert query(EmbeddingKMeans(embeddings, seed=0), dataset, np.arange(3), clf=clf).tolist() == [1]
    assert query(EmbeddingKMeans(embeddings, weighted=True, seed=0), dataset, np.arange(3), clf=clf).tolist() == [2]


def test_kmeans_prefilter_keeps_the_most_uncertain():
    dataset, embeddings = setup([0, 1, 2, 3])
    clf = ProbaStub([[1.0, 0.0], [0.6, 0.4], [0.9, 0.1], [0.55, 0.45]])  # uncertainty .2, .8, .2, .9
    strategy = EmbeddingKMeans(embeddings, prefilter=2, seed=0)
    result = query(strategy, dataset, np.arange(4), n=1, clf=clf)
    assert result.tolist()[0] in (1, 3)
    assert np.isnan(strategy.last_scores[[0, 2]]).all()
    np.testing.assert_allclose(strategy.last_scores[[1, 3]], [-1.0, -1.0])


def test_kmeans_weighted_needs_a_classifier():
    dataset, embeddings = setup([0, 1, 2])
    with pytest.raises(MissingCapabilityError, match=r"^EmbeddingKMeans with uncertainty weights .* got None"):
        query(EmbeddingKMeans(embeddings, weighted=True), dataset, np.arange(3))


def test_kmeans_weighted_refuses_multi_label():
    vectors = points([0, 1, 2])
    dataset = SklearnDataset(np.arange(3.0).reshape(-1, 1), sp.csr_matrix((3, 2), dtype=np.int64))
    clf = ProbaStub([[0.5, 0.5]] * 3)
    with pytest.raises(InvalidArgumentError, match=r"dataset is multi-label \(2 labels\)"):
        query(EmbeddingKMeans(PrecomputedEmbeddings(vectors), weighted=True), dataset, np.arange(3), clf=clf)


def test_kmeans_minibatch_on_larger_pools():
    rng = np.random.default_rng(0)
    vectors = np.vstack([rng.normal(size=(40, 2)) * 0.1 + centre for centre in ([0, 0], [20, 0], [0, 20])])
    dataset, embeddings = setup(vectors)
    strategy = EmbeddingKMeans(embeddings, minibatch_threshold=10, seed=0)
    result = query(strategy, dataset, np.arange(120), n=3)
    assert sorted((result // 40).tolist()) == [0, 1, 2]  # one per blob


# --- ProbCover ----------------------------------------------------------------------------------------------

LINE = [0, 1, 2, 10, 11, 20]  # delta 1.5: balls {0,1} {0,1,2} {1,2} {10,11} {10,11} {20}


def test_probcover_known_answer():
    dataset, embeddings = setup(LINE)
    strategy = ProbCover(embeddings, delta=1.5, seed=0)
    first, second, third = query(strategy, dataset, np.arange(6), n=3).tolist()
    assert (first, third) == (1, 5)
    assert second in (3, 4)
    np.testing.assert_allclose(strategy.last_scores, [2, 3, 2, 2, 2, 1])
    assert strategy.delta_ == 1.5


def test_probcover_labeled_documents_cover_their_ball():
    dataset, embeddings = setup([*LINE, 10.5])  # the labeled row 6 covers 10 and 11
    strategy = ProbCover(embeddings, delta=1.5, seed=0)
    assert query(strategy, dataset, np.arange(6), labeled=[6], n=2).tolist() == [1, 5]
    np.testing.assert_allclose(strategy.last_scores, [2, 3, 2, 0, 0, 1])


def test_probcover_balls_are_truncated_to_n_neighbors():
    dataset, embeddings = setup([0, 1, 2.2])  # with delta 1.5 the middle ball holds all three
    strategy = ProbCover(embeddings, delta=1.5, n_neighbors=2, seed=0)
    query(strategy, dataset, np.arange(3))
    np.testing.assert_allclose(strategy.last_scores, [2, 3, 2])
    strategy = ProbCover(embeddings, delta=1.5, n_neighbors=1, seed=0)
    query(strategy, dataset, np.arange(3))
    np.testing.assert_allclose(strategy.last_scores, [2, 2, 2])


def test_probcover_random_once_everything_is_covered():
    dataset, embeddings = setup(LINE)
    result = query(ProbCover(embeddings, delta=100.0, seed=0), dataset, np.arange(6), n=6)
    assert sorted(result.tolist()) == list(range(6))
    rests = {tuple(query(ProbCover(embeddings, delta=100.0, seed=s), dataset, np.arange(6), n=3)) for s in range(8)}
    assert len(rests) > 1


def test_probcover_default_delta_separates_pure_clusters():
    dataset, embeddings = setup([0, 0.1, 0.2, 0.3, 100, 100.1, 100.2, 100.3])
    strategy = ProbCover(embeddings, n_neighbors=3, seed=0)
    result = query(strategy, dataset, np.arange(8), n=2)
    assert 0 < strategy.delta_ < 1
    assert sorted((result // 4).tolist()) == [0, 1]


def test_probcover_max_candidates():
    dataset, embeddings = setup(range(30))
    strategy = ProbCover(embeddings, delta=1.0, max_candidates=6, seed=2)
    result = query(strategy, dataset, np.arange(30), n=3)
    scored = ~np.isnan(strategy.last_scores)
    assert scored.sum() == 6
    assert set(result.tolist()) <= set(np.flatnonzero(scored).tolist())
    assert len(embeddings.calls[0]) == 6  # only the sample is embedded


def test_probcover_uses_the_index_factory():
    made = []

    def factory():
        made.append(ExactIndex())
        return made[-1]

    dataset, embeddings = setup([*LINE, 10.5])
    query(ProbCover(embeddings, index_factory=factory, delta=1.5, seed=0), dataset, np.arange(6), labeled=[6])
    assert [len(index) for index in made] == [6, 1]


# --- TypiClust ----------------------------------------------------------------------------------------------


def test_typiclust_known_answer():
    dataset, embeddings = setup(TWO_GROUPS)
    strategy = TypiClust(embeddings, n_neighbors=2, min_cluster_size=1, seed=0)
    assert query(strategy, dataset, np.arange(8), n=2).tolist() == [1, 6]  # larger cluster first
    np.testing.assert_allclose(strategy.last_scores, TYPICALITY, rtol=1e-3)  # float32 index


def test_typiclust_skips_clusters_with_labeled_documents():
    groups = [0, 0.1, 0.2, 0.4, 100, 100.1, 100.3, 200, 200.1, 200.2, 200.4, 200.8]
    dataset, embeddings = setup(groups)
    strategy = TypiClust(embeddings, n_neighbors=2, min_cluster_size=1, seed=0)
    # the group at 200 is the largest but holds the labeled row 7; the other two are chosen, larger first
    assert query(strategy, dataset, [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11], labeled=[7], n=2).tolist() == [1, 5]
    # with three clusters, a third pick goes back to the labeled group: its most typical candidate (200.1, row 8)
    strategy = TypiClust(embeddings, n_neighbors=2, max_clusters=3, min_cluster_size=1, seed=0)
    assert query(strategy, dataset, [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11], labeled=[7], n=3).tolist() == [1, 5, 8]


def test_typiclust_min_cluster_size():
    # group A (6 points, one labeled), group B (2 points); B is unlabeled but too small at min_cluster_size=5
    dataset, embeddings = setup([0, 0.1, 0.3, 0.6, 1.0, 1.5, 50, 50.5])
    unlabeled = [1, 2, 3, 4, 5, 6, 7]
    # so the pick is A's most typical candidate, 0.1 (mean distance .15)
    assert query(TypiClust(embeddings, n_neighbors=2, seed=0), dataset, unlabeled, labeled=[0]).tolist() == [1]
    small = TypiClust(embeddings, n_neighbors=2, min_cluster_size=1, seed=0)
    assert query(small, dataset, unlabeled, labeled=[0]).item() in (6, 7)


def test_typiclust_max_clusters_caps_clustering():
    # one cluster: the two most typical overall, 1 (mean .75) then 1.5 (mean 1)
    dataset, embeddings = setup([0, 1, 1.5, 3, 6])
    strategy = TypiClust(embeddings, n_neighbors=2, max_clusters=1, min_cluster_size=1, seed=0)
    assert query(strategy, dataset, np.arange(5), n=2).tolist() == [1, 2]


def test_typiclust_embeds_candidates_and_labeled_in_chunks():
    dataset, embeddings = setup(TWO_GROUPS)
    query(TypiClust(embeddings, chunk_size=3, seed=0), dataset, [1, 2, 3, 4, 6], labeled=[0, 5], n=2)
    assert all(len(call) <= 3 for call in embeddings.calls)
    assert sorted(row for call in embeddings.calls for row in call) == [0, 1, 2, 3, 4, 5, 6]


def test_typiclust_max_candidates():
    dataset, embeddings = setup(np.arange(40) % 7)
    strategy = TypiClust(embeddings, max_candidates=10, seed=0)
    result = query(strategy, dataset, np.arange(40), n=3)
    scored = np.flatnonzero(~np.isnan(strategy.last_scores))
    assert scored.size == 10
    assert set(result.tolist()) <= set(scored.tolist())


# --- shared behaviour ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy_class", ALL)
def test_classifier_embeddings_need_a_classifier(strategy_class):
    dataset, _ = setup([0, 1, 2])
    with pytest.raises(MissingCapabilityError, match=r"ClassifierEmbeddings needs a classifier .* got NoneType"):
        query(strategy_class(seed=0), dataset, np.arange(3))


@pytest.mark.parametrize("strategy_class", ALL)
def test_whole_pool(strategy_class):
    dataset, embeddings = setup([[0, 0], [0, 1], [5, 5], [5, 6], [9, 0]])
    result = query(strategy_class(embeddings, seed=0), dataset, np.arange(5), n=5)
    assert sorted(result.tolist()) == list(range(5))


@pytest.mark.parametrize("strategy_class", ALL)
def test_generator_seed_and_repr(strategy_class):
    dataset, embeddings = setup([0, 1, 2])
    strategy = strategy_class(embeddings, seed=np.random.default_rng(0))
    assert strategy.get_params()["seed"] is None
    assert repr(strategy).startswith(f"{strategy_class.__name__}(seed=None, embeddings=RecordingEmbeddings(")
    query(strategy, dataset, np.arange(3))
    assert strategy.last_scores.shape == (3,)


@pytest.mark.parametrize(
    ("strategy_class", "kwargs", "message"),
    [
        (GreedyCoreset, {"embeddings": "vectors"}, r"^embeddings must be an EmbeddingSource .* got 'vectors' \(str\)"),
        (GreedyCoreset, {"max_candidates": 0}, r"^max_candidates must be an int >= 1, got 0"),
        (LightweightCoreset, {"chunk_size": 0}, r"^chunk_size must be an int >= 1, got 0"),
        (EmbeddingKMeans, {"weighted": 1}, r"^weighted must be a bool, got 1 \(int\)"),
        (EmbeddingKMeans, {"prefilter": 0}, r"^prefilter must be an int >= 1, got 0"),
        (EmbeddingKMeans, {"index_factory": 3}, r"^index_factory must be a callable .* got 3"),
        (ProbCover, {"delta": 0}, r"^delta must be None or a finite number > 0, got 0"),
        (ProbCover, {"delta": float("inf")}, r"^delta must be None or a finite number > 0, got inf"),
        (ProbCover, {"purity": 1.5}, r"^purity must be a number in \(0, 1\], got 1\.5"),
        (ProbCover, {"n_neighbors": 0}, r"^n_neighbors must be an int >= 1, got 0"),
        (TypiClust, {"max_clusters": 0}, r"^max_clusters must be an int >= 1, got 0"),
        (TypiClust, {"min_cluster_size": 2.5}, r"^min_cluster_size must be an int >= 1, got 2\.5 \(float\)"),
        (TypiClust, {"minibatch_threshold": -1}, r"^minibatch_threshold must be an int >= 1, got -1"),
    ],
)
def test_bad_parameters_are_refused(strategy_class, kwargs, message):
    with pytest.raises(InvalidArgumentError, match=message):
        strategy_class(**kwargs)


def test_index_factory_must_make_an_index():
    dataset, embeddings = setup([0, 1, 2])
    with pytest.raises(InvalidArgumentError, match=r"^index_factory must return a VectorIndex, got 'x' \(str\)"):
        query(TypiClust(embeddings, index_factory=lambda: "x", seed=0), dataset, np.arange(3))


# --- property: the query contract ---------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    strategy_index=st.integers(0, len(ALL) - 1),
    coordinates=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), min_size=2, max_size=24),
    data=st.data(),
)
def test_query_contract_property(strategy_index, coordinates, data):
    size = len(coordinates)
    status = np.array(data.draw(st.lists(st.sampled_from("uli"), min_size=size, max_size=size)))
    status[0] = "u"  # at least one candidate
    pool, labeled = np.flatnonzero(status == "u"), np.flatnonzero(status == "l")
    order = data.draw(st.permutations(pool.tolist()))
    n = data.draw(st.integers(1, pool.size))
    seed = data.draw(st.integers(0, 1000))
    dataset, embeddings = setup(coordinates)
    strategy_class = ALL[strategy_index]
    strategy = strategy_class(embeddings, seed=seed, chunk_size=data.draw(st.integers(1, 8)))
    result = query(strategy, dataset, np.array(order, dtype=np.int64), labeled=labeled, n=n)
    assert result.shape == (n,)
    assert result.dtype == np.int64
    assert len(set(result.tolist())) == n
    assert set(result.tolist()) <= set(pool.tolist())  # never labeled, never ignored
    assert strategy.last_scores.shape == (pool.size,)
    embedded = sorted(row for call in embeddings.calls for row in call)
    labeled_too = strategy_class not in (LightweightCoreset, EmbeddingKMeans)
    assert embedded == sorted([*pool.tolist(), *(labeled.tolist() if labeled_too else [])])
    assert all(len(call) <= strategy.chunk_size for call in embeddings.calls)
    again = query(
        strategy_class(embeddings, seed=seed, chunk_size=strategy.chunk_size),
        dataset,
        np.array(order, dtype=np.int64),
        labeled=labeled,
        n=n,
    )
    np.testing.assert_array_equal(result, again)
