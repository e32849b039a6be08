"""Tests of the representative strategies (CAL, DAL, information density, Cluster-Margin).

Known answers use hand-made vectors (PrecomputedEmbeddings) and stub classifiers with fixed probabilities; the
property tests check the query contract on random pools.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

from activetext.data import SklearnDataset
from activetext.exceptions import InvalidArgumentError, MissingCapabilityError
from activetext.query_strategies.base import QueryStrategy, ScoringStrategy
from activetext.query_strategies.embeddings import PrecomputedEmbeddings
from activetext.query_strategies.representative import (
    ClusterMargin,
    ContrastiveActiveLearning,
    DiscriminativeActiveLearning,
    InformationDensity,
    average_linkage_clusters,
    mean_kl_divergence,
    round_robin_by_cluster,
)
from activetext.query_strategies.uncertainty import (
    BreakingTies,
    LeastConfidence,
    PredictionEntropy,
    breaking_ties,
    least_confidence,
    prediction_entropy,
)
from activetext.vector_indexes import ExactIndex, Metric
from conftest import TableClassifier

# --- stubs --------------------------------------------------------------------------------------------------


StubClassifier = TableClassifier


class CountingEmbeddings(PrecomputedEmbeddings):
    """Precomputed vectors that record which rows were embedded."""

    def __init__(self, vectors, normalize=False):
        super().__init__(np.asarray(vectors, dtype=np.float64), normalize)
        self.calls: list[list[int]] = []

    def _embed(self, clf, dataset, indices):
        self.calls.append(np.asarray(indices).tolist())
        return super()._embed(clf, dataset, indices)


class NearestLabeledDistance(ClassifierMixin, BaseEstimator):
    """A discriminator with a hand-computable answer: P(unlabeled | x) = d / (1 + d), d the distance to the nearest
    class-0 training vector. With one pick per sub-batch, DAL then behaves like farthest-first traversal."""

    def fit(self, X, y, sample_weight=None):
        self.labeled_ = np.asarray(X)[np.asarray(y) == 0]
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        distances = np.sqrt(((np.asarray(X)[:, None, :] - self.labeled_[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
        positive = distances / (1.0 + distances)
        return np.column_stack([1.0 - positive, positive])


FITS: list[dict] = []


class RecordingDiscriminator(ClassifierMixin, BaseEstimator):
    """Records what each fit received (in the module-level FITS list, as clones are fitted) and scores by x[0]."""

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y, sample_weight=None):
        FITS.append({"X": np.array(X), "y": np.array(y), "w": np.array(sample_weight), "seed": self.random_state})
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X):
        positive = 1.0 / (1.0 + np.exp(-np.asarray(X, dtype=np.float64)[:, 0] / 10.0))
        return np.column_stack([1.0 - positive, positive])


def position_dataset(n_rows: int, num_classes: int = 2) -> SklearnDataset:
    """A dataset whose only feature is the row's position (what the stub classifier reads)."""
    return SklearnDataset(np.arange(n_rows, dtype=np.float64).reshape(-1, 1), target_labels=np.arange(num_classes))


def query(strategy, clf, dataset, unlabeled, labeled, n):
    unlabeled = np.asarray(unlabeled, dtype=np.int64)
    labeled = np.asarray(labeled, dtype=np.int64)
    return strategy.query(clf, dataset, unlabeled, labeled, np.zeros(labeled.size, dtype=np.int64), n)


def kl(p, q):
    return sum(a * math.log(a / b) for a, b in zip(p, q, strict=True) if a > 0)


# --- contrastive active learning ----------------------------------------------------------------------------


def test_mean_kl_divergence_hand_values():
    neighbours = np.array([[[0.9, 0.1]], [[0.5, 0.5]], [[0.1, 0.9]]])
    candidates = np.array([[0.5, 0.5], [0.5, 0.5], [0.9, 0.1]])
    expected = [0.9 * math.log(1.8) + 0.1 * math.log(0.2), 0.0, 0.8 * math.log(9)]
    np.testing.assert_allclose(mean_kl_divergence(neighbours, candidates), expected)
    np.testing.assert_allclose(expected, [0.368064, 0.0, 1.757780], atol=1e-6)


def test_mean_kl_divergence_averages_over_neighbours_and_handles_zeros():
    result = mean_kl_divergence(np.array([[[0.5, 0.5], [1.0, 0.0]]]), np.array([[0.5, 0.5]]))
    np.testing.assert_allclose(result, [math.log(2) / 2])
    # the candidate rules out a class a neighbour predicts: -log(eps), large and finite
    np.testing.assert_allclose(mean_kl_divergence(np.array([[[0.0, 1.0]]]), np.array([[1.0, 0.0]])), [-math.log(1e-12)])
    assert mean_kl_divergence(np.array([[[0.0, 1.0]]]), np.array([[1.0, 0.0]]), eps=1e-3)[0] == pytest.approx(
        -math.log(1e-3)
    )


# rows 0 and 1 are labeled (vectors 0 and 10), rows 2..4 are candidates (vectors 1, 9, 5.5)
CAL_VECTORS = np.array([[0.0], [10.0], [1.0], [9.0], [5.5]])
CAL_PROBA = np.array([[0.9, 0.1], [0.1, 0.9], [0.9, 0.1], [0.9, 0.1], [0.5, 0.5]])


def test_cal_scores_with_one_neighbour():
    strategy = ContrastiveActiveLearning(PrecomputedEmbeddings(CAL_VECTORS), k=1, seed=0)
    result = query(strategy, StubClassifier(CAL_PROBA), position_dataset(5), [2, 3, 4], [0, 1], 2)
    # 2 agrees with its neighbour 0; 3 sits next to 1 and is predicted the other way; 4 is undecided next to 1
    hand = [0.0, kl([0.1, 0.9], [0.9, 0.1]), kl([0.1, 0.9], [0.5, 0.5])]
    np.testing.assert_allclose(strategy.last_scores, hand, atol=1e-12)
    assert result.tolist() == [3, 4]
    np.testing.assert_array_equal(strategy.last_candidates, [2, 3, 4])


def test_cal_scores_average_over_k_neighbours():
    strategy = ContrastiveActiveLearning(PrecomputedEmbeddings(CAL_VECTORS), k=2, seed=0)
    query(strategy, StubClassifier(CAL_PROBA), position_dataset(5), [2, 3, 4], [0, 1], 1)
    far = kl([0.1, 0.9], [0.9, 0.1]) / 2
    middle = (kl([0.9, 0.1], [0.5, 0.5]) + kl([0.1, 0.9], [0.5, 0.5])) / 2
    np.testing.assert_allclose(strategy.last_scores, [far, far, middle])


@pytest.mark.parametrize("chunk_size", [1, 2, 100])
def test_cal_predicts_only_labeled_and_candidates_in_bounded_chunks(chunk_size):
    clf = StubClassifier(CAL_PROBA)
    strategy = ContrastiveActiveLearning(PrecomputedEmbeddings(CAL_VECTORS), k=1, seed=0, chunk_size=chunk_size)
    query(strategy, clf, position_dataset(5), [4, 2], [1], 1)
    assert all(1 <= len(call) <= chunk_size for call in clf.calls)
    assert sorted(row for call in clf.calls for row in call) == [1, 2, 4]


def test_cal_needs_labeled_documents_and_a_classifier():
    strategy = ContrastiveActiveLearning(PrecomputedEmbeddings(CAL_VECTORS))
    with pytest.raises(MissingCapabilityError, match=r"^ContrastiveActiveLearning needs labeled documents"):
        query(strategy, StubClassifier(CAL_PROBA), position_dataset(5), [2, 3], [], 1)
    with pytest.raises(
        MissingCapabilityError, match=r"^ContrastiveActiveLearning needs a trained classifier, got None"
    ):
        query(strategy, None, position_dataset(5), [2, 3], [0], 1)


def test_cal_with_classifier_embeddings_needs_embed():
    with pytest.raises(MissingCapabilityError, match=r"ClassifierEmbeddings needs .*SupportsEmbeddings"):
        query(ContrastiveActiveLearning(), StubClassifier(CAL_PROBA), position_dataset(5), [2, 3], [0], 1)


# --- discriminative active learning -------------------------------------------------------------------------

# row 0 (vector 0) is labeled; candidates 1..5 lie at 1, 2, 3, 10, 12
DAL_VECTORS = np.array([[0.0], [1.0], [2.0], [3.0], [10.0], [12.0]])


def test_dal_scores_are_the_discriminator_probabilities():
    strategy = DiscriminativeActiveLearning(PrecomputedEmbeddings(DAL_VECTORS), NearestLabeledDistance(), seed=0)
    result = query(strategy, None, position_dataset(6), [1, 2, 3, 4, 5], [0], 2)
    np.testing.assert_allclose(strategy.last_scores, [1 / 2, 2 / 3, 3 / 4, 10 / 11, 12 / 13])
    assert result.tolist() == [5, 4]


def test_dal_sub_batches_move_picks_to_the_labeled_side():
    strategy = DiscriminativeActiveLearning(
        PrecomputedEmbeddings(DAL_VECTORS), NearestLabeledDistance(), sub_batches=2, seed=0
    )
    # after picking 12, the point at 10 lies 2 from the labeled side, 3 lies 3 from it; after 3, 10 is farthest
    assert query(strategy, None, position_dataset(6), [1, 2, 3, 4, 5], [0], 2).tolist() == [5, 3]
    np.testing.assert_allclose(strategy.last_scores, [1 / 2, 2 / 3, 3 / 4, 10 / 11, 12 / 13])
    strategy = DiscriminativeActiveLearning(
        PrecomputedEmbeddings(DAL_VECTORS), NearestLabeledDistance(), sub_batches=3, seed=0
    )
    assert query(strategy, None, position_dataset(6), [1, 2, 3, 4, 5], [0], 3).tolist() == [5, 3, 4]


def test_dal_with_logistic_regression_prefers_what_lies_away_from_the_labeled_set():
    rng = np.random.default_rng(0)
    vectors = np.vstack([rng.normal(0.0, 0.3, size=(20, 2)), rng.normal(4.0, 0.3, size=(10, 2))])
    dataset = SklearnDataset(vectors, target_labels=[0, 1])
    strategy = DiscriminativeActiveLearning(PrecomputedEmbeddings(vectors), seed=0)
    result = query(strategy, None, dataset, np.arange(10, 30), np.arange(10), 5)
    assert set(result.tolist()) <= set(range(20, 30))  # the far group is what the labeled set misses
    assert np.all((strategy.last_scores > 0) & (strategy.last_scores < 1))
    template = LogisticRegression(C=0.5, solver="saga", max_iter=2000)
    configured = DiscriminativeActiveLearning(PrecomputedEmbeddings(vectors), template, seed=0)
    assert set(query(configured, None, dataset, np.arange(10, 30), np.arange(10), 5).tolist()) <= set(range(20, 30))
    assert not hasattr(template, "coef_")  # the template is cloned, never fitted


def test_dal_training_set_is_bounded_balanced_and_seeded():
    vectors = np.arange(60, dtype=np.float64).reshape(-1, 1)
    dataset = SklearnDataset(vectors, target_labels=[0, 1])
    FITS.clear()
    strategy = DiscriminativeActiveLearning(PrecomputedEmbeddings(vectors), RecordingDiscriminator(), seed=4)
    query(strategy, None, dataset, np.arange(10, 60), [0, 1], 3)
    (fit,) = FITS
    assert (fit["y"] == 0).sum() == 2 and (fit["y"] == 1).sum() == 20  # unlabeled_ratio=10
    np.testing.assert_array_equal(fit["X"][fit["y"] == 0].ravel(), [0.0, 1.0])
    assert set(fit["X"][fit["y"] == 1].ravel().tolist()) <= set(range(10, 60))
    assert fit["w"][fit["y"] == 0].sum() == pytest.approx(fit["w"][fit["y"] == 1].sum())
    assert fit["w"].sum() == pytest.approx(22)
    assert isinstance(fit["seed"], int)

    FITS.clear()
    strategy = DiscriminativeActiveLearning(
        PrecomputedEmbeddings(vectors), RecordingDiscriminator(), max_train_per_side=4, unlabeled_ratio=None, seed=4
    )
    query(strategy, None, dataset, np.arange(10, 60), np.arange(10), 3)
    assert (FITS[0]["y"] == 0).sum() == 4 and (FITS[0]["y"] == 1).sum() == 4
    again = DiscriminativeActiveLearning(
        PrecomputedEmbeddings(vectors), RecordingDiscriminator(), max_train_per_side=4, unlabeled_ratio=None, seed=4
    )
    query(again, None, dataset, np.arange(10, 60), np.arange(10), 3)
    np.testing.assert_array_equal(FITS[0]["X"], FITS[1]["X"])
    assert FITS[0]["seed"] == FITS[1]["seed"]


def test_dal_sub_batch_sizes_and_labeled_side_growth():
    vectors = np.arange(30, dtype=np.float64).reshape(-1, 1)
    dataset = SklearnDataset(vectors, target_labels=[0, 1])
    FITS.clear()
    strategy = DiscriminativeActiveLearning(
        PrecomputedEmbeddings(vectors), RecordingDiscriminator(), sub_batches=2, seed=0
    )
    result = query(strategy, None, dataset, np.arange(2, 30), [0, 1], 5)
    assert result.tolist() == [29, 28, 27, 26, 25]  # P(unlabeled) grows with x here
    assert [int((fit["y"] == 0).sum()) for fit in FITS] == [2, 5]  # 2 labeled, then 2 + the first 3 picks
    assert set(FITS[1]["X"][FITS[1]["y"] == 1].ravel().tolist()).isdisjoint({27.0, 28.0, 29.0})
    FITS.clear()
    many = DiscriminativeActiveLearning(PrecomputedEmbeddings(vectors), RecordingDiscriminator(), sub_batches=50)
    query(many, None, dataset, np.arange(2, 30), [0, 1], 3)
    assert len(FITS) == 3  # at most one step per pick


def test_dal_needs_no_classifier_and_accepts_multi_label_data():
    dataset = SklearnDataset(DAL_VECTORS, sp.csr_matrix((6, 3), dtype=np.int64))
    strategy = DiscriminativeActiveLearning(PrecomputedEmbeddings(DAL_VECTORS), NearestLabeledDistance(), seed=0)
    assert query(strategy, None, dataset, [1, 2, 3, 4, 5], [0], 1).tolist() == [5]


def test_dal_argument_errors():
    with pytest.raises(InvalidArgumentError, match=r"^discriminator must accept sample_weight in fit"):
        DiscriminativeActiveLearning(discriminator=KNeighborsClassifier())
    with pytest.raises(InvalidArgumentError, match=r"^discriminator must have predict_proba, got LinearSVC"):
        DiscriminativeActiveLearning(discriminator=LinearSVC())
    with pytest.raises(InvalidArgumentError, match=r"^discriminator must be a scikit-learn classifier, got 'lr'"):
        DiscriminativeActiveLearning(discriminator="lr")
    with pytest.raises(InvalidArgumentError, match=r"^sub_batches must be an int >= 1, got 0"):
        DiscriminativeActiveLearning(sub_batches=0)
    with pytest.raises(InvalidArgumentError, match=r"^unlabeled_ratio must be a finite number > 0, got -1.0"):
        DiscriminativeActiveLearning(unlabeled_ratio=-1)
    strategy = DiscriminativeActiveLearning(PrecomputedEmbeddings(DAL_VECTORS))
    with pytest.raises(MissingCapabilityError, match=r"^DiscriminativeActiveLearning needs labeled documents"):
        query(strategy, None, position_dataset(6), [1, 2], [], 1)


# --- information density ------------------------------------------------------------------------------------

ID_VECTORS = np.array([[1.0, 0.0], [0.0, 3.0], [2.0, 2.0]])  # lengths do not matter: cosine similarity
ID_PROBA = np.array([[0.5, 0.5], [0.6, 0.4], [0.9, 0.1]])  # breaking ties: 1.0, 0.8, 0.2
R = 1 / math.sqrt(2)
ID_SIMILARITY = [(1 + 0 + R) / 3, (0 + 1 + R) / 3, (R + R + 1) / 3]  # mean cosine to the pool, self included


def test_information_density_hand_values():
    strategy = InformationDensity(PrecomputedEmbeddings(ID_VECTORS), seed=0)
    result = query(strategy, StubClassifier(ID_PROBA), position_dataset(3), [0, 1, 2], [], 2)
    np.testing.assert_allclose(strategy.last_scores, np.array([1.0, 0.8, 0.2]) * ID_SIMILARITY, rtol=1e-6)
    assert result.tolist() == [0, 1]


@pytest.mark.parametrize("beta", [0.0, 0.5, 2.0])
def test_information_density_beta(beta):
    strategy = InformationDensity(PrecomputedEmbeddings(ID_VECTORS), beta=beta, seed=0)
    query(strategy, StubClassifier(ID_PROBA), position_dataset(3), [0, 1, 2], [], 1)
    expected = np.array([1.0, 0.8, 0.2]) * np.array(ID_SIMILARITY) ** beta
    np.testing.assert_allclose(strategy.last_scores, expected, rtol=1e-6)  # float32 vectors


def test_information_density_with_a_large_beta_prefers_the_typical_candidate():
    # row 2 is the least uncertain but the most typical; with beta=8 density outweighs uncertainty
    strategy = InformationDensity(PrecomputedEmbeddings(ID_VECTORS), beta=8.0, seed=0)
    query(strategy, StubClassifier(ID_PROBA), position_dataset(3), [0, 1, 2], [], 1)
    assert int(np.argmax(strategy.last_scores)) == 2


@pytest.mark.parametrize(
    ("uncertainty", "function"),
    [
        (least_confidence, least_confidence),
        (prediction_entropy, prediction_entropy),
        (PredictionEntropy, prediction_entropy),
        (LeastConfidence(seed=0), least_confidence),
        (BreakingTies, breaking_ties),
    ],
)
def test_information_density_uncertainty_choices(uncertainty, function):
    strategy = InformationDensity(PrecomputedEmbeddings(ID_VECTORS), uncertainty=uncertainty, seed=0)
    query(strategy, StubClassifier(ID_PROBA), position_dataset(3), [0, 1, 2], [], 1)
    np.testing.assert_allclose(strategy.last_scores, function(ID_PROBA) * ID_SIMILARITY, rtol=1e-6)


def test_information_density_bad_uncertainty():
    with pytest.raises(InvalidArgumentError, match=r"^uncertainty must be a function of an \(n, C\) probability"):
        InformationDensity(uncertainty="entropy")
    with pytest.raises(InvalidArgumentError, match=r"^uncertainty must be a function"):
        InformationDensity(uncertainty=ExactIndex)
    strategy = InformationDensity(PrecomputedEmbeddings(ID_VECTORS), uncertainty=lambda proba: proba)
    with pytest.raises(InvalidArgumentError, match=r"uncertainty must return one score per row \(3\), got shape"):
        query(strategy, StubClassifier(ID_PROBA), position_dataset(3), [0, 1, 2], [], 1)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 12), st.integers(1, 5), st.integers(1, 7), st.integers(0, 1000))
def test_exact_pool_similarity_is_the_mean_pairwise_cosine(size, dim, chunk_size, seed):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(size, dim))
    vectors[0] *= 5.0
    units = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    brute = (units @ units.T).mean(axis=1)  # the n x n matrix is fine for a test of twelve vectors
    strategy = InformationDensity(PrecomputedEmbeddings(vectors), chunk_size=chunk_size)
    similarity = strategy.pool_similarity(None, position_dataset(size), np.arange(size))
    np.testing.assert_allclose(similarity, brute, atol=1e-5)


ANGLES = np.radians([0.0, 10.0, 30.0, 90.0])
KNN_VECTORS = np.column_stack([np.cos(ANGLES), np.sin(ANGLES)]) * np.array([[1.0], [2.0], [0.5], [3.0]])


def cos_deg(angle):
    return math.cos(math.radians(angle))


@pytest.mark.parametrize("metric", [Metric.EUCLIDEAN, Metric.COSINE])
def test_knn_similarity_hand_values(metric):
    def factory():
        return ExactIndex(metric)

    one = InformationDensity(PrecomputedEmbeddings(KNN_VECTORS), factory, k=1, chunk_size=3)
    np.testing.assert_allclose(
        one.pool_similarity(None, position_dataset(4), np.arange(4)),
        [cos_deg(10), cos_deg(10), cos_deg(20), cos_deg(60)],
        atol=1e-5,
    )
    two = InformationDensity(PrecomputedEmbeddings(KNN_VECTORS), factory, k=2)
    np.testing.assert_allclose(
        two.pool_similarity(None, position_dataset(4), np.arange(4)),
        [
            (cos_deg(10) + cos_deg(30)) / 2,
            (cos_deg(10) + cos_deg(20)) / 2,
            (cos_deg(20) + cos_deg(30)) / 2,
            (cos_deg(60) + cos_deg(80)) / 2,
        ],
        atol=1e-5,
    )
    # k larger than the pool: every other candidate; a lone candidate has similarity 1
    many = InformationDensity(PrecomputedEmbeddings(KNN_VECTORS), factory, k=10)
    np.testing.assert_allclose(
        many.pool_similarity(None, position_dataset(4), np.array([0, 3])), [cos_deg(90), cos_deg(90)], atol=1e-6
    )
    np.testing.assert_allclose(many.pool_similarity(None, position_dataset(4), np.array([2])), [1.0])


def test_knn_information_density_query():
    proba = np.full((4, 2), 0.5)  # equal uncertainty: density decides
    strategy = InformationDensity(PrecomputedEmbeddings(KNN_VECTORS), k=1, seed=0)
    result = query(strategy, StubClassifier(proba), position_dataset(4), [0, 1, 2, 3], [], 2)
    assert set(result.tolist()) == {0, 1}
    np.testing.assert_allclose(strategy.last_scores, [cos_deg(10), cos_deg(10), cos_deg(20), cos_deg(60)], atol=1e-5)


def test_information_density_clips_negative_similarity():
    vectors = np.array([[1.0, 0.0], [-1.0, 0.0], [-1.0, 0.1]])
    strategy = InformationDensity(PrecomputedEmbeddings(vectors), beta=0.5, seed=0)
    query(strategy, StubClassifier(np.full((3, 2), 0.5)), position_dataset(3), [0, 1, 2], [], 1)
    assert strategy.last_scores[0] == 0.0  # mean cosine of row 0 is negative
    assert np.all(np.isfinite(strategy.last_scores))


@pytest.mark.parametrize("chunk_size", [1, 2, 100])
def test_information_density_predicts_each_candidate_once_in_bounded_chunks(chunk_size):
    clf = StubClassifier(ID_PROBA)
    strategy = InformationDensity(PrecomputedEmbeddings(ID_VECTORS), seed=0, chunk_size=chunk_size)
    query(strategy, clf, position_dataset(3), [2, 0], [1], 1)
    assert all(1 <= len(call) <= chunk_size for call in clf.calls)
    assert [row for call in clf.calls for row in call] == [2, 0]


def test_information_density_needs_single_label_and_a_classifier():
    strategy = InformationDensity(PrecomputedEmbeddings(ID_VECTORS))
    with pytest.raises(MissingCapabilityError, match=r"^InformationDensity needs a trained classifier, got None"):
        query(strategy, None, position_dataset(3), [0, 1], [], 1)
    dataset = SklearnDataset(np.arange(3.0).reshape(-1, 1), sp.csr_matrix((3, 2), dtype=np.int64))
    with pytest.raises(InvalidArgumentError, match=r"^InformationDensity scores single-label data"):
        query(strategy, StubClassifier(ID_PROBA), dataset, [0, 1], [], 1)
    with pytest.raises(InvalidArgumentError, match=r"^beta must be a finite number >= 0, got -1.0"):
        InformationDensity(beta=-1.0)
    with pytest.raises(InvalidArgumentError, match=r"^beta must be a real number, got 'high'"):
        InformationDensity(beta="high")


# --- cluster-margin -----------------------------------------------------------------------------------------


def test_round_robin_hand_example():
    ids = np.array([5, 5, 5, 7, 9, 9])
    for seed in range(5):
        order = round_robin_by_cluster(ids, 6, np.random.default_rng(seed))
        assert sorted(order.tolist()) == list(range(6))
        assert ids[order].tolist() == [7, 9, 5, 9, 5, 5]  # smallest cluster first, one member per round
    assert ids[round_robin_by_cluster(ids, 2, np.random.default_rng(0))].tolist() == [7, 9]


def test_round_robin_draws_members_and_orders_equal_clusters_at_random():
    ids = np.array([1, 1, 1, 2, 2, 2])
    firsts = {tuple(round_robin_by_cluster(ids, 2, np.random.default_rng(seed)).tolist()) for seed in range(30)}
    assert len(firsts) > 4
    np.testing.assert_array_equal(
        round_robin_by_cluster(ids, 4, np.random.default_rng(3)),
        round_robin_by_cluster(ids, 4, np.random.default_rng(3)),
    )


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 4), min_size=1, max_size=30), st.data())
def test_round_robin_property(ids, data):
    ids = np.array(ids)
    n = data.draw(st.integers(1, ids.size))
    order = round_robin_by_cluster(ids, n, np.random.default_rng(data.draw(st.integers(0, 100))))
    assert len(set(order.tolist())) == n
    taken = np.bincount(ids[order], minlength=5)
    sizes = np.bincount(ids, minlength=5)
    # no cluster gets a second member before every cluster has given one (or run out), and so on per round
    open_counts = taken[taken < sizes]
    assert open_counts.size == 0 or taken.max() <= open_counts.min() + 1


def test_average_linkage_hand_example_and_threshold():
    points = np.array([[0.0], [0.1], [5.0], [5.2], [0.2]])
    assert average_linkage_clusters(points, n_clusters=2).tolist() == [0, 0, 1, 1, 0]
    assert average_linkage_clusters(points, distance_threshold=0.15).tolist() == [0, 0, 2, 3, 1]
    assert average_linkage_clusters(points[:1], n_clusters=3).tolist() == [0]
    with pytest.raises(InvalidArgumentError, match=r"^give exactly one of n_clusters and distance_threshold"):
        average_linkage_clusters(points)


@settings(max_examples=20, deadline=None)
@given(st.integers(2, 40), st.integers(1, 6), st.integers(1, 9), st.integers(0, 1000))
def test_average_linkage_matches_scipy_on_pdist(size, clusters, chunk_size, seed):
    vectors = np.random.default_rng(seed).normal(size=(size, 3))
    ours = average_linkage_clusters(vectors, n_clusters=clusters, chunk_size=chunk_size)
    reference = fcluster(linkage(pdist(vectors), method="average"), t=clusters, criterion="maxclust")
    # the trivial cuts by definition: older scipy (1.10, 1.11) may cut two documents wrongly, either way
    if clusters == 1:
        reference = np.ones(size, dtype=np.int64)
    elif clusters >= size:
        reference = np.arange(size)
    # the same partition (labels may be numbered differently)
    pairs = {(int(a), int(b)) for a, b in zip(ours, reference, strict=True)}
    assert len(pairs) == len(set(ours.tolist())) == len(set(reference.tolist()))


# candidates 0..3 in group A near (0, 0); 4, 5 in B near (10, 0); 6 alone in C at (0, 10); 7 in D at (10, 10)
CM_VECTORS = np.array(
    [[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [0.1, 0.1], [10.0, 0.0], [10.1, 0.0], [0.0, 10.0], [10.0, 10.0]]
)
# breaking ties: A's first three are the most uncertain (1.0, 0.96, 0.9), then 4 (0.8), 6 (0.7); 3, 5, 7 are sure
CM_PROBA = np.array(
    [[0.5, 0.5], [0.52, 0.48], [0.55, 0.45], [0.99, 0.01], [0.6, 0.4], [0.99, 0.01], [0.65, 0.35], [0.99, 0.01]]
)


def test_cluster_margin_spreads_low_margin_candidates_over_clusters():
    clf = StubClassifier(CM_PROBA)
    plain = query(BreakingTies(seed=0), clf, position_dataset(8), np.arange(8), [], 2)
    assert plain.tolist() == [0, 1]  # margin alone takes two from group A
    strategy = ClusterMargin(PrecomputedEmbeddings(CM_VECTORS), margin_multiplier=2.5, n_clusters=4, seed=0)
    result = query(strategy, clf, position_dataset(8), np.arange(8), [], 2)
    # the 5 lowest margins {0, 1, 2, 4, 6} lie in A (3), B (1), C (1): the two single clusters go first
    assert set(result.tolist()) == {4, 6}
    np.testing.assert_allclose(strategy.last_scores, breaking_ties(CM_PROBA))
    labels = strategy.cluster_labels_.tolist()
    groups = [labels[0], labels[4], labels[6], labels[7]]
    assert labels == [groups[0]] * 4 + [groups[1]] * 2 + groups[2:] and len(set(groups)) == 4
    third = query(
        ClusterMargin(PrecomputedEmbeddings(CM_VECTORS), margin_multiplier=5 / 3, n_clusters=4, seed=0),
        clf,
        position_dataset(8),
        np.arange(8),
        [],
        3,
    )
    assert set(third[:2].tolist()) == {4, 6} and third[2] in {0, 1, 2}


def test_cluster_margin_with_multiplier_one_is_margin_sampling():
    strategy = ClusterMargin(PrecomputedEmbeddings(CM_VECTORS), margin_multiplier=1.0, n_clusters=4, seed=0)
    result = query(strategy, StubClassifier(CM_PROBA), position_dataset(8), np.arange(8), [], 3)
    assert set(result.tolist()) == {0, 1, 2}


def test_cluster_margin_clusters_once_per_dataset_and_assigns_newcomers():
    embeddings = CountingEmbeddings(CM_VECTORS)
    clf = StubClassifier(CM_PROBA)
    dataset = position_dataset(8)
    strategy = ClusterMargin(embeddings, n_clusters=4, seed=0)
    query(strategy, clf, dataset, [0, 1, 2, 4, 5, 6, 7], [3], 2)
    embedded = sorted(row for call in embeddings.calls for row in call)
    assert embedded == [0, 1, 2, 4, 5, 6, 7]  # the candidates once (all fit in the clustering sample)
    assert strategy.cluster_labels_[3] == -1
    labels = strategy.cluster_labels_.copy()
    embeddings.calls.clear()
    query(strategy, clf, dataset, [0, 1, 2, 3, 6], [4, 5, 7], 2)  # row 3 comes back to the pool
    assert embeddings.calls == [[3]]
    assert strategy.cluster_labels_[3] == strategy.cluster_labels_[0]
    np.testing.assert_array_equal(np.delete(strategy.cluster_labels_, 3), np.delete(labels, 3))
    embeddings.calls.clear()
    query(strategy, clf, position_dataset(8), np.arange(8), [], 2)  # another dataset object: cluster again
    assert sorted(row for call in embeddings.calls for row in call) == list(range(8))


def test_cluster_margin_clusters_a_bounded_sample_and_assigns_the_rest_to_the_nearest_centre():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [20.0, 0.0], [0.0, 20.0]])
    vectors = np.vstack([centre + rng.normal(scale=0.5, size=(30, 2)) for centre in centres])
    embeddings = CountingEmbeddings(vectors)
    proba = np.column_stack([np.linspace(0.5, 1.0, 90), 1 - np.linspace(0.5, 1.0, 90)])
    strategy = ClusterMargin(embeddings, n_clusters=3, cluster_sample_size=12, seed=1, chunk_size=16)
    query(strategy, StubClassifier(proba), position_dataset(90), np.arange(90), [], 6)
    assert len(embeddings.calls[0]) == 12  # the hierarchical clustering saw the sample only
    assert all(len(call) <= 16 for call in embeddings.calls)
    labels = strategy.cluster_labels_
    assert (labels >= 0).all()
    # the three groups are recovered (each group one cluster)
    assert all(len(set(labels[g * 30 : (g + 1) * 30].tolist())) == 1 for g in range(3))
    assert len(set(labels.tolist())) == 3
    distances = ((vectors[:, None, :] - strategy.cluster_centers_[None]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(labels, distances.argmin(axis=1))


def test_cluster_margin_default_cluster_count_and_threshold():
    strategy = ClusterMargin(PrecomputedEmbeddings(CM_VECTORS), seed=0)
    query(strategy, StubClassifier(CM_PROBA), position_dataset(8), np.arange(8), [], 2)
    assert strategy.cluster_centers_.shape[0] <= math.ceil(math.sqrt(8))
    strategy = ClusterMargin(PrecomputedEmbeddings(CM_VECTORS), distance_threshold=1.0, seed=0)
    query(strategy, StubClassifier(CM_PROBA), position_dataset(8), np.arange(8), [], 2)
    assert strategy.cluster_centers_.shape[0] == 4


def test_cluster_margin_argument_errors():
    with pytest.raises(InvalidArgumentError, match=r"^give at most one of n_clusters and distance_threshold"):
        ClusterMargin(n_clusters=3, distance_threshold=1.0)
    with pytest.raises(InvalidArgumentError, match=r"^margin_multiplier must be a finite number >= 1, got 0.5"):
        ClusterMargin(margin_multiplier=0.5)
    with pytest.raises(InvalidArgumentError, match=r"^cluster_sample_size must be an int >= 1, got 0"):
        ClusterMargin(cluster_sample_size=0)
    with pytest.raises(MissingCapabilityError, match=r"^ClusterMargin needs a trained classifier, got None"):
        query(ClusterMargin(PrecomputedEmbeddings(CM_VECTORS)), None, position_dataset(8), np.arange(8), [], 1)


# --- shared arguments and the query contract ----------------------------------------------------------------


def build(name, vectors, seed, **kwargs):
    embeddings = PrecomputedEmbeddings(vectors)
    if name == "cal":
        return ContrastiveActiveLearning(embeddings, k=3, seed=seed, **kwargs)
    if name == "dal":
        return DiscriminativeActiveLearning(embeddings, sub_batches=2, seed=seed, **kwargs)
    if name == "density":
        return InformationDensity(embeddings, seed=seed, **kwargs)
    if name == "density-knn":
        return InformationDensity(embeddings, k=3, seed=seed, **kwargs)
    return ClusterMargin(embeddings, margin_multiplier=3.0, seed=seed, **kwargs)


NAMES = ["cal", "dal", "density", "density-knn", "cluster-margin"]


@pytest.mark.parametrize(
    ("strategy_class", "base"),
    [
        (ContrastiveActiveLearning, ScoringStrategy),
        (InformationDensity, ScoringStrategy),
        (DiscriminativeActiveLearning, QueryStrategy),
        (ClusterMargin, QueryStrategy),
    ],
)
def test_common_argument_errors(strategy_class, base):
    assert issubclass(strategy_class, base)
    with pytest.raises(InvalidArgumentError, match=r"^embeddings must be an EmbeddingSource"):
        strategy_class(np.zeros((3, 2)))
    with pytest.raises(InvalidArgumentError, match=r"^max_candidates must be an int >= 1, got 0"):
        strategy_class(max_candidates=0)
    with pytest.raises(InvalidArgumentError, match=r"^chunk_size must be an int >= 1, got 2.5"):
        strategy_class(chunk_size=2.5)
    with pytest.raises(InvalidArgumentError, match=r"^seed must be a non-negative int, got -1"):
        strategy_class(seed=-1)


@pytest.mark.parametrize("strategy_class", [ContrastiveActiveLearning, InformationDensity, ClusterMargin])
def test_index_factory_is_checked(strategy_class):
    with pytest.raises(InvalidArgumentError, match=r"^index_factory must be a callable returning an empty VectorIndex"):
        strategy_class(PrecomputedEmbeddings(CM_VECTORS), index_factory="exact")
    strategy = strategy_class(PrecomputedEmbeddings(CM_VECTORS), index_factory=dict)
    if strategy_class is InformationDensity:
        strategy.k = 2
    with pytest.raises(InvalidArgumentError, match=r"^index_factory must return a VectorIndex, got \{\} \(dict\)"):
        query(strategy, StubClassifier(CM_PROBA), position_dataset(8), np.arange(1, 8), [0], 2)


@pytest.mark.parametrize("name", NAMES)
def test_max_candidates_scores_a_sample_and_never_returns_unscored_candidates(name):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(40, 4))
    clf = StubClassifier(rng.dirichlet(np.ones(3), size=40))
    strategy = build(name, vectors, seed=3, max_candidates=10)
    result = query(strategy, clf, position_dataset(40, 3), np.arange(5, 40), np.arange(5), 4)
    scored = np.flatnonzero(np.isfinite(strategy.last_scores))
    assert scored.size == 10
    assert set(result.tolist()) <= set((np.arange(5, 40)[scored]).tolist())
    big = build(name, vectors, seed=3, max_candidates=10)
    result = query(big, StubClassifier(clf.table), position_dataset(40, 3), np.arange(5, 40), np.arange(5), 12)
    assert np.isfinite(big.last_scores).sum() == 12  # at least n are scored


@pytest.mark.parametrize("name", NAMES)
def test_params_and_repr(name):
    strategy = build(name, np.zeros((3, 2)), seed=5, chunk_size=7)
    params = strategy.get_params()
    assert params["seed"] == 5 and params["chunk_size"] == 7 and params["max_candidates"] is None
    assert repr(strategy).startswith(type(strategy).__name__ + "(seed=5")


@settings(max_examples=30, deadline=None)
@given(
    name=st.sampled_from(NAMES),
    pool=st.lists(st.integers(0, 29), min_size=1, max_size=30, unique=True),
    data=st.data(),
)
def test_query_contract_property(name, pool, data):
    labeled = sorted(set(range(30)) - set(pool))
    if name in ("cal", "dal") and not labeled:
        pool, labeled = pool[1:], [pool[0]]
        if not pool:
            return
    ignored = data.draw(st.sets(st.sampled_from(pool), max_size=len(pool) - 1)) if len(pool) > 1 else set()
    unlabeled = [row for row in pool if row not in ignored]
    n = data.draw(st.integers(1, len(unlabeled)))
    seed = data.draw(st.integers(0, 1000))
    chunk_size = data.draw(st.integers(1, 40))
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(30, 3)).round(1)  # rounding makes ties and duplicates likely
    table = rng.dirichlet(np.ones(3), size=30).round(1)
    table /= table.sum(axis=1, keepdims=True)

    def run():
        strategy = build(name, vectors, seed=seed, chunk_size=chunk_size)
        return strategy, query(strategy, StubClassifier(table), position_dataset(30, 3), unlabeled, labeled, n)

    strategy, result = run()
    assert result.shape == (n,) and result.dtype == np.int64
    assert len(set(result.tolist())) == n
    assert set(result.tolist()) <= set(unlabeled)  # never labeled, never ignored
    assert strategy.last_scores.shape == (len(unlabeled),)
    np.testing.assert_array_equal(result, run()[1])
