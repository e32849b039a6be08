"""Tests of the multi-label strategies: scoring functions on hand-computed arrays, the query contract, the loop."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from activetext.active_learner import PoolBasedActiveLearner
from activetext.classifiers import ConfidenceEnhancedLinearSVC
from activetext.classifiers.factories import SklearnClassifierFactory
from activetext.data import SklearnDataset
from activetext.exceptions import (
    DatasetNotFoundError,
    EmptyPoolException,
    InvalidArgumentError,
    LabelShapeError,
    MissingCapabilityError,
    PoolExhaustedException,
)
from activetext.query_strategies.multi_label import (
    MMC,
    AdaptiveActiveLearning,
    CategoryVectorInconsistencyAndRanking,
    LabelCardinalityInconsistency,
    LabelCountModel,
    MaximumLossReduction,
    MinConfidenceMargin,
    adaptive_active_learning_score,
    borda_margin_uncertainty,
    category_vector_distance,
    category_vector_inconsistency,
    label_cardinality_inconsistency,
    label_margins,
    max_margin_uncertainty,
    maximum_loss_reduction,
    min_confidence_margin,
)
from conftest import TableClassifier

LN = math.log

# Four candidates, three labels. Dyadic probabilities, so that 2p - 1 is exact and equal margins really tie.
#   doc  proba                     |2p - 1|            predicted  count  logit(p)
#   0    [.875, .25,  .625 ]       [.75, .5,  .25 ]    [1, 0, 1]  2      [ln 7,    -ln 3, ln 5/3]
#   1    [.375, .75,  .4375]       [.25, .5,  .125]    [0, 1, 0]  1      [-ln 5/3,  ln 3, ln 7/9]
#   2    [.125, .125, .25  ]       [.75, .75, .5  ]    [0, 0, 0]  0      [-ln 7,   -ln 7, -ln 3]
#   3    [.75,  .875, .625 ]       [.5,  .75, .25 ]    [1, 1, 1]  3      [ln 3,     ln 7, ln 5/3]
TABLE = np.array(
    [
        [0.875, 0.25, 0.625],
        [0.375, 0.75, 0.4375],
        [0.125, 0.125, 0.25],
        [0.75, 0.875, 0.625],
    ]
)
PREDICTED = np.array([[1, 0, 1], [0, 1, 0], [0, 0, 0], [1, 1, 1]], dtype=bool)

# Three labeled documents: the first equals doc 0's prediction and is the complement of doc 1's.
LABELED = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 0]])
MEAN_CARDINALITY = 4 / 3  # (2 + 1 + 1) / 3

# --- hand computations --------------------------------------------------------------------------------------

HAND_MIN_MARGIN = [-0.25, -0.125, -0.5, -0.25]

# Ranks by ascending margin (ties share the average rank), N = 4:
#   label 0 margins [.75, .25, .75, .5 ] -> ranks [3.5, 1,   3.5, 2  ]
#   label 1 margins [.5,  .5,  .75, .75] -> ranks [1.5, 1.5, 3.5, 3.5]
#   label 2 margins [.25, .125, .5, .25] -> ranks [2.5, 1,   4,   2.5]
# s(x) = sum_l (4 - rank) / (3 * 3)
HAND_BORDA = [(0.5 + 2.5 + 1.5) / 9, (3 + 2.5 + 3) / 9, (0.5 + 0.5 + 0) / 9, (2 + 0.5 + 1.5) / 9]


def h(x: float) -> float:
    return 0.0 if x == 0 else -x * LN(x)


def hand_distance(u: list[int], v: list[int]) -> float:
    """The CVIRS distance written out from the contingency counts (independent of the vectorized code)."""
    q = len(u)
    a = sum(1 for x, y in zip(u, v, strict=True) if x and y)
    b = sum(1 for x, y in zip(u, v, strict=True) if x and not y)
    c = sum(1 for x, y in zip(u, v, strict=True) if not x and y)
    d = q - a - b - c
    if b + c == 0:
        return 0.0
    if b + c == q:
        return 1.0
    joint = h(a / q) + h(b / q) + h(c / q) + h(d / q)
    hu = h(sum(u) / q) + h(1 - sum(u) / q)
    hv = h(sum(v) / q) + h(1 - sum(v) / q)
    return (2 * joint - hu - hv) / joint


# [1,0,1] vs [1,0,0]: a=1, b=1, c=0, d=1 -> H(u,v) = 3 h(1/3) = ln 3, H(u) = H(v) = ln 3 - (2/3) ln 2,
# so d = (2 ln 3 - 2 ln 3 + (4/3) ln 2) / ln 3 = (4/3) ln 2 / ln 3.
KAPPA = (4 / 3) * LN(2) / LN(3)
# doc 0 [1,0,1]: 0 (equal), 1 (complement), KAPPA;  doc 1 [0,1,0]: 1 (complement), 0 (equal), KAPPA
# ([0,1,0] vs [1,0,0]: a=0, b=1, c=1, d=1, the same entropies);  doc 2 [0,0,0] and doc 3 [1,1,1] have H(u) = 0,
# so d = (2 H(u,v) - H(v)) / H(u,v) = 1 against every labeled vector (here H(u,v) = H(v)).
HAND_DISTANCE = np.array([[0.0, 1.0, KAPPA], [1.0, 0.0, KAPPA], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
HAND_INCONSISTENCY = [(1 + KAPPA) / 3, (1 + KAPPA) / 3, 1.0, 1.0]
HAND_CVIRS = [b * v for b, v in zip(HAND_BORDA, HAND_INCONSISTENCY, strict=True)]

# |count - 4/3|
HAND_LCI = [2 / 3, 1 / 3, 4 / 3, 5 / 3]

# Separation margins on the log-odds scale (min over predicted labels minus max over the others; an empty side is 0):
#   doc 0: ln 5/3 - (-ln 3) = ln 5;  doc 1: ln 3 - ln 7/9 = ln 27/7;  doc 2: 0 - (-ln 3) = ln 3;  doc 3: ln 5/3 - 0
HAND_SEPARATION = [LN(5), LN(27 / 7), LN(3), LN(5 / 3)]
HAND_MAX_MARGIN = [1 / s for s in HAND_SEPARATION]


def hand_adaptive(beta: float) -> list[float]:
    return [u**beta * c ** (1 - beta) for u, c in zip(HAND_MAX_MARGIN, HAND_LCI, strict=True)]


# MMC with y* = the predicted vectors (counts 2, 1, 0, 3): every y*_l f_l = |f_l|, so the score is (3 - sum |f|) / 2:
#   doc 0: sum |f| = ln 7 + ln 3 + ln 5/3 = ln 35;  doc 1: ln 5/3 + ln 3 + ln 9/7 = ln 45/7;  doc 2: ln 147;
#   doc 3: ln 35
HAND_MMC_THRESHOLD = [(3 - LN(35)) / 2, (3 - LN(45 / 7)) / 2, (3 - LN(147)) / 2, (3 - LN(35)) / 2]
# MMC with one label each (the most probable one positive):
#   doc 0: y* = [+,-,-]: (3 - ln 7 - ln 3 + ln 5/3) / 2;  doc 1: y* = [-,+,-]: as above, (3 - ln 45/7) / 2;
#   doc 2: y* = [-,-,+]: (3 - 2 ln 7 + ln 3) / 2;  doc 3: y* = [-,+,-]: (3 + ln 3 - ln 7 + ln 5/3) / 2
HAND_MMC_ONE = [
    (3 - LN(7) - LN(3) + LN(5 / 3)) / 2,
    (3 - LN(45 / 7)) / 2,
    (3 - 2 * LN(7) + LN(3)) / 2,
    (3 + LN(3) - LN(7) + LN(5 / 3)) / 2,
]


# --- a classifier stub and a pool ---------------------------------------------------------------------------


def StubMultiLabelClassifier(table) -> TableClassifier:
    """Fixed per-label probabilities (see :class:`conftest.TableClassifier`)."""
    return TableClassifier(table, multi_label=True)


def stub_pool(n_rows: int, num_labels: int = 3) -> SklearnDataset:
    x = np.arange(n_rows, dtype=np.float64).reshape(-1, 1)
    return SklearnDataset(x, sp.csr_matrix((n_rows, num_labels), dtype=np.int64))


def hand_setup():
    """Docs 0-3 are the candidates of TABLE; docs 4-6 are labeled with LABELED (their rows predict doc 2's)."""
    table = np.vstack([TABLE, np.repeat(TABLE[[2]], 3, axis=0)])
    return StubMultiLabelClassifier(table), stub_pool(7), np.array([4, 5, 6]), sp.csr_matrix(LABELED)


def query(strategy, clf, dataset, unlabeled, labeled, y, n):
    return strategy.query(clf, dataset, np.asarray(unlabeled), np.asarray(labeled), y, n)


STRATEGIES = [
    lambda **kw: MinConfidenceMargin(**kw),
    lambda **kw: LabelCardinalityInconsistency(**kw),
    lambda **kw: AdaptiveActiveLearning(**kw),
    lambda **kw: AdaptiveActiveLearning(beta=0.9, **kw),
    lambda **kw: MaximumLossReduction(**kw),
    lambda **kw: MaximumLossReduction(LabelCountModel.THRESHOLD, **kw),
    lambda **kw: CategoryVectorInconsistencyAndRanking(**kw),
]
STRATEGY_IDS = ["min_margin", "lci", "aal", "aal_0.9", "mmc_lr", "mmc_threshold", "cvirs"]
STRATEGY_CLASSES = [
    MinConfidenceMargin,
    LabelCardinalityInconsistency,
    AdaptiveActiveLearning,
    MaximumLossReduction,
    CategoryVectorInconsistencyAndRanking,
]
NEEDS_LABELS = [LabelCardinalityInconsistency, AdaptiveActiveLearning, MaximumLossReduction]


# --- scoring functions on hand-computed arrays ----------------------------------------------------------------


def test_label_margins():
    np.testing.assert_array_equal(
        label_margins(TABLE), [[0.75, 0.5, 0.25], [0.25, 0.5, 0.125], [0.75, 0.75, 0.5], [0.5, 0.75, 0.25]]
    )


def test_min_confidence_margin_hand_values():
    np.testing.assert_array_equal(min_confidence_margin(TABLE), HAND_MIN_MARGIN)
    np.testing.assert_array_equal(min_confidence_margin(np.array([[0.5, 1.0], [0.0, 1.0]])), [0.0, -1.0])


def test_borda_margin_uncertainty_hand_values():
    np.testing.assert_allclose(borda_margin_uncertainty(TABLE), HAND_BORDA)


def test_borda_extremes_and_single_row():
    # doc 0 has the smallest margin for every label, doc 2 the largest
    proba = np.array([[0.5, 0.5], [0.75, 0.25], [1.0, 0.0]])
    np.testing.assert_allclose(borda_margin_uncertainty(proba), [1.0, 0.5, 0.0])
    np.testing.assert_allclose(borda_margin_uncertainty(np.array([[0.9, 0.1, 0.3]])), [1.0])
    assert borda_margin_uncertainty(np.empty((0, 3))).shape == (0,)


def test_category_vector_distance_hand_values():
    np.testing.assert_allclose(category_vector_distance(PREDICTED, LABELED), HAND_DISTANCE)
    assert KAPPA == pytest.approx(0.841240, abs=1e-6)


def test_category_vector_distance_with_four_labels():
    # [1,1,0,0] vs [1,0,0,0]: a=1, b=1, c=0, d=2 -> H(u,v) = 2 h(1/4) + h(1/2) = 1.5 ln 2, H(u) = ln 2,
    # H(v) = h(1/4) + h(3/4); d = (3 ln 2 - ln 2 - H(v)) / (1.5 ln 2)
    hv = 0.25 * LN(4) + 0.75 * LN(4 / 3)
    expected = (2 * LN(2) - hv) / (1.5 * LN(2))
    np.testing.assert_allclose(category_vector_distance([[1, 1, 0, 0]], [[1, 0, 0, 0]]), [[expected]])
    assert expected == pytest.approx(0.792481, abs=1e-6)


def test_category_vector_distance_special_cases():
    np.testing.assert_array_equal(category_vector_distance([[0, 0, 0]], [[0, 0, 0]]), [[0.0]])
    np.testing.assert_array_equal(category_vector_distance([[1, 1, 1]], [[0, 0, 0]]), [[1.0]])
    np.testing.assert_array_equal(category_vector_distance(sp.csr_matrix([[1, 0, 1]]), [[0, 1, 0]]), [[1.0]])


def test_distance_lookup_table_equals_the_direct_formula(monkeypatch):
    import activetext.query_strategies.multi_label as module

    rng = np.random.default_rng(5)
    u, v = rng.random((20, 6)) > 0.5, rng.random((15, 6)) > 0.6
    looked_up = module.category_vector_distance(u, v)
    monkeypatch.setattr(module, "_TABLE_MAX_LABELS", 0)
    np.testing.assert_allclose(module.category_vector_distance(u, v), looked_up, atol=1e-12)


def test_many_labels_take_the_direct_path_and_deduplicate_by_bytes():
    rng = np.random.default_rng(6)
    u = np.repeat(rng.random((4, 70)) > 0.7, 3, axis=0)  # repeated rows: deduplicated as byte strings
    v = rng.random((5, 70)) > 0.8
    expected = [[hand_distance(a.tolist(), b.tolist()) for b in v] for a in u]
    np.testing.assert_allclose(category_vector_distance(u, v), expected, atol=1e-12)
    np.testing.assert_allclose(category_vector_inconsistency(u, v), np.mean(expected, axis=1), atol=1e-12)


def test_category_vector_inconsistency_hand_values():
    np.testing.assert_allclose(category_vector_inconsistency(PREDICTED, LABELED), HAND_INCONSISTENCY)


def test_category_vector_inconsistency_weights_equal_repeated_rows():
    repeated = np.array([[1, 0, 1], [1, 0, 1], [0, 1, 0], [1, 0, 0], [1, 0, 0], [1, 0, 0]])
    distinct, counts = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 0]]), np.array([2, 1, 3])
    np.testing.assert_allclose(
        category_vector_inconsistency(PREDICTED, repeated), category_vector_inconsistency(PREDICTED, distinct, counts)
    )
    # doc 0: (2 * 0 + 1 + 3 KAPPA) / 6
    assert category_vector_inconsistency(PREDICTED[:1], distinct, counts)[0] == pytest.approx((1 + 3 * KAPPA) / 6)


def test_category_vector_inconsistency_errors():
    with pytest.raises(InvalidArgumentError, match=r"^labeled must hold at least one label vector, got 0 rows"):
        category_vector_inconsistency(PREDICTED, np.empty((0, 3)))
    with pytest.raises(InvalidArgumentError, match=r"^weights must have shape \(3,\), got shape \(2,\)"):
        category_vector_inconsistency(PREDICTED, LABELED, [1, 2])
    with pytest.raises(InvalidArgumentError, match=r"^weights must be finite, non-negative"):
        category_vector_inconsistency(PREDICTED, LABELED, [1, -1, 2])
    with pytest.raises(InvalidArgumentError, match=r"same number of labels, got 3 and 2"):
        category_vector_distance(PREDICTED, [[1, 0]])


def test_label_cardinality_inconsistency_hand_values():
    np.testing.assert_allclose(label_cardinality_inconsistency(TABLE, MEAN_CARDINALITY), HAND_LCI)
    # a label counts from the threshold on (p >= threshold), as in Classifier.predict
    np.testing.assert_array_equal(label_cardinality_inconsistency(np.array([[0.5, 0.49, 0.0]]), 0.0), [1.0])
    np.testing.assert_array_equal(label_cardinality_inconsistency(TABLE, 0.0, threshold=0.7), [1, 1, 0, 2])


def test_max_margin_uncertainty_hand_values():
    np.testing.assert_allclose(max_margin_uncertainty(TABLE), HAND_MAX_MARGIN)


def test_max_margin_uncertainty_is_finite_on_the_boundary():
    # doc 0: a label on the threshold and no unpredicted label -> separation 0, floored; doc 1: the label at the
    # threshold is the lowest predicted one, the gap to the unpredicted label stays ln 4
    result = max_margin_uncertainty(np.array([[0.5, 0.9, 0.7], [0.5, 0.2, 0.9], [0.0, 1.0, 1.0]]))
    assert np.all(np.isfinite(result))
    assert result[0] == pytest.approx(1e12)
    assert result[1] == pytest.approx(1 / LN(4))
    assert result[2] < 1e-1


def test_adaptive_hand_values():
    np.testing.assert_allclose(adaptive_active_learning_score(TABLE, MEAN_CARDINALITY), hand_adaptive(0.5))
    np.testing.assert_allclose(adaptive_active_learning_score(TABLE, MEAN_CARDINALITY, beta=0.9), hand_adaptive(0.9))
    np.testing.assert_allclose(adaptive_active_learning_score(TABLE, MEAN_CARDINALITY, beta=1.0), HAND_MAX_MARGIN)
    np.testing.assert_allclose(adaptive_active_learning_score(TABLE, MEAN_CARDINALITY, beta=0.0), HAND_LCI)


def test_adaptive_scores_zero_where_the_count_matches_the_mean():
    # as in the paper: no cardinality inconsistency, no score (for beta < 1); doc 1 predicts exactly 1 label
    expected = [math.sqrt(u * abs(k - 1.0)) for u, k in zip(HAND_MAX_MARGIN, [2, 1, 0, 3], strict=True)]
    np.testing.assert_allclose(adaptive_active_learning_score(TABLE, 1.0), expected)
    assert adaptive_active_learning_score(TABLE, 1.0)[1] == 0.0


def test_maximum_loss_reduction_hand_values():
    np.testing.assert_allclose(maximum_loss_reduction(TABLE, [2, 1, 0, 3]), HAND_MMC_THRESHOLD)
    np.testing.assert_allclose(maximum_loss_reduction(TABLE, [1, 1, 1, 1]), HAND_MMC_ONE)


def test_maximum_loss_reduction_errors():
    with pytest.raises(InvalidArgumentError, match=r"^label_counts must have shape \(4,\), got shape \(3,\)"):
        maximum_loss_reduction(TABLE, [1, 1, 1])
    with pytest.raises(InvalidArgumentError, match=r"^label_counts must lie in \[0, 3\], got \[1, 4, 1, 1\]"):
        maximum_loss_reduction(TABLE, [1, 4, 1, 1])


def test_scoring_functions_reject_one_dimensional_input():
    with pytest.raises(InvalidArgumentError, match=r"^proba must be a 2-D \(n_samples, num_labels\) array, got"):
        min_confidence_margin(np.array([0.2, 0.7]))


def test_scoring_functions_do_not_change_their_input():
    proba = TABLE.copy()
    min_confidence_margin(proba)
    borda_margin_uncertainty(proba)
    max_margin_uncertainty(proba)
    adaptive_active_learning_score(proba, 1.5)
    maximum_loss_reduction(proba, [1, 2, 0, 3])
    np.testing.assert_array_equal(proba, TABLE)


binary_rows = st.lists(st.lists(st.booleans(), min_size=4, max_size=4), min_size=1, max_size=6)


@settings(max_examples=80, deadline=None)
@given(binary_rows, binary_rows)
def test_distance_is_a_symmetric_bounded_dissimilarity(left, right):
    u, v = np.array(left), np.array(right)
    forward = category_vector_distance(u, v)
    np.testing.assert_allclose(forward, category_vector_distance(v, u).T, atol=1e-12)
    assert np.all((forward >= 0) & (forward <= 1))
    np.testing.assert_allclose(np.diag(category_vector_distance(u, u)), 0.0, atol=1e-12)
    expected = [[hand_distance(a.tolist(), b.tolist()) for b in v] for a in u]
    np.testing.assert_allclose(forward, expected, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.integers(1, 5), st.integers(0, 1000))
def test_score_bounds(n_rows, n_labels, seed):
    rng = np.random.default_rng(seed)
    proba = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], size=(n_rows, n_labels)) if seed % 2 else rng.random((n_rows, 3))
    borda = borda_margin_uncertainty(proba)
    assert np.all((borda >= -1e-12) & (borda <= 1 + 1e-12))
    margin = min_confidence_margin(proba)
    assert np.all((margin >= -1) & (margin <= 0))
    assert np.all(max_margin_uncertainty(proba) > 0)
    counts = rng.integers(0, proba.shape[1] + 1, size=n_rows)
    assert np.all(np.isfinite(maximum_loss_reduction(proba, counts)))


# --- strategies: known answers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "hand"),
    [
        (MinConfidenceMargin(seed=0), HAND_MIN_MARGIN),
        (LabelCardinalityInconsistency(seed=0), HAND_LCI),
        (AdaptiveActiveLearning(seed=0), hand_adaptive(0.5)),
        (AdaptiveActiveLearning(beta=0.9, seed=0), hand_adaptive(0.9)),
        (MaximumLossReduction(LabelCountModel.THRESHOLD, seed=0), HAND_MMC_THRESHOLD),
        (CategoryVectorInconsistencyAndRanking(seed=0), HAND_CVIRS),
    ],
    ids=["min_margin", "lci", "aal", "aal_0.9", "mmc_threshold", "cvirs"],
)
def test_strategies_store_the_hand_computed_scores(strategy, hand):
    clf, dataset, labeled, y = hand_setup()
    result = query(strategy, clf, dataset, [0, 1, 2, 3], labeled, y, 4)
    np.testing.assert_array_equal(strategy.last_candidates, [0, 1, 2, 3])
    np.testing.assert_allclose(strategy.last_scores, hand)
    scores = np.asarray(hand)
    assert np.all(np.diff(scores[result]) <= 1e-12)  # best first


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        (LabelCardinalityInconsistency(seed=0), [3, 2]),
        (AdaptiveActiveLearning(seed=0), [3, 2]),
        (AdaptiveActiveLearning(beta=1.0, seed=0), [3, 2, 1]),
        (CategoryVectorInconsistencyAndRanking(seed=0), [1, 3, 0]),
        (MinConfidenceMargin(seed=0), [1]),
    ],
)
def test_strategies_pick_the_hand_known_documents(strategy, expected):
    clf, dataset, labeled, y = hand_setup()
    result = query(strategy, clf, dataset, [0, 1, 2, 3], labeled, y, len(expected))
    assert result.tolist() == expected


def test_adaptive_beta_changes_the_order():
    clf, dataset, labeled, y = hand_setup()
    # beta = 0.5: [d3, d2, d0, d1]; beta = 0.9: uncertainty lifts doc 1 above doc 0
    assert query(AdaptiveActiveLearning(seed=0), clf, dataset, [0, 1, 2, 3], labeled, y, 4).tolist() == [3, 2, 0, 1]
    assert query(AdaptiveActiveLearning(0.9, seed=0), clf, dataset, [0, 1, 2, 3], labeled, y, 4).tolist() == [
        3,
        2,
        1,
        0,
    ]


def test_mmc_with_one_label_count_uses_it_for_every_candidate():
    clf, dataset, labeled, _ = hand_setup()
    y = sp.csr_matrix(np.array([[1, 0, 0], [0, 0, 1], [0, 1, 0]]))  # every labeled document has one label
    strategy = MaximumLossReduction(seed=0)
    result = query(strategy, clf, dataset, [0, 1, 2, 3], labeled, y, 4)
    np.testing.assert_allclose(strategy.last_scores, HAND_MMC_ONE)
    assert result.tolist() == [3, 1, 0, 2]
    assert [row for call in clf.calls for row in call] == [0, 1, 2, 3]  # the labeled rows are not needed


def test_mmc_logistic_regression_predicts_the_label_count_from_sorted_probabilities():
    # labeled: one confident label -> 1 label, two confident labels -> 2 labels (in varied label positions)
    one = [[0.95, 0.05, 0.1], [0.1, 0.9, 0.05], [0.05, 0.1, 0.92], [0.9, 0.1, 0.1]]
    two = [[0.95, 0.9, 0.1], [0.1, 0.93, 0.9], [0.9, 0.05, 0.95], [0.92, 0.94, 0.05]]
    candidates = [[0.6, 0.55, 0.1], [0.7, 0.2, 0.1], [0.96, 0.97, 0.02]]
    table = np.array(candidates + one + two)
    y = sp.csr_matrix((np.array(one + two) > 0.5).astype(int))
    clf, dataset = StubMultiLabelClassifier(table), stub_pool(len(table))
    labeled = np.arange(3, 11)
    strategy = MaximumLossReduction(seed=0, chunk_size=3)
    query(strategy, clf, dataset, [0, 1, 2], labeled, y, 1)
    np.testing.assert_allclose(strategy.last_scores, maximum_loss_reduction(np.array(candidates), [2, 1, 2]))
    predicted = [row for call in clf.calls for row in call]
    assert sorted(predicted) == list(range(11))  # the labeled rows once (for the count model), the candidates once
    assert all(len(call) <= 3 for call in clf.calls)


def test_mmc_alias_and_enum_values():
    assert MMC is MaximumLossReduction
    assert MaximumLossReduction("threshold").label_count is LabelCountModel.THRESHOLD
    assert MaximumLossReduction().get_params()["label_count"] == "logistic_regression"


def test_documents_labeled_with_no_label_count_as_cardinality_zero():
    clf, dataset, labeled, _ = hand_setup()
    y = sp.csr_matrix(np.array([[0, 0, 0], [1, 1, 0], [0, 0, 0]]))  # mean cardinality 2/3
    strategy = LabelCardinalityInconsistency(seed=0)
    query(strategy, clf, dataset, [0, 1, 2, 3], labeled, y, 1)
    np.testing.assert_allclose(strategy.last_scores, [4 / 3, 1 / 3, 2 / 3, 7 / 3])


def test_threshold_decides_the_predicted_labels():
    clf, dataset, labeled, y = hand_setup()
    strategy = LabelCardinalityInconsistency(seed=0, threshold=0.7)  # counts [1, 1, 0, 2]
    query(strategy, clf, dataset, [0, 1, 2, 3], labeled, y, 1)
    np.testing.assert_allclose(strategy.last_scores, [1 / 3, 1 / 3, 4 / 3, 2 / 3])


# --- strategies: chunks, candidates only -------------------------------------------------------------------------


@pytest.mark.parametrize("make", STRATEGIES, ids=STRATEGY_IDS)
@pytest.mark.parametrize("chunk_size", [1, 3, 100])
def test_only_candidates_are_predicted_in_bounded_chunks_and_scores_do_not_depend_on_chunks(make, chunk_size):
    rng = np.random.default_rng(7)
    table = rng.random((30, 3))
    dataset = stub_pool(30)
    labeled = np.arange(20, 30)
    indicator = (rng.random((10, 3)) > 0.6).astype(int)
    indicator[0, 0], indicator[1] = 1, 0  # label counts differ, so the logistic regression of MMC is fitted
    y = sp.csr_matrix(indicator)
    pool = rng.permutation(20)[:13]
    reference = make(seed=0, chunk_size=1000)
    query(reference, StubMultiLabelClassifier(table), dataset, pool, labeled, y, 3)
    clf = StubMultiLabelClassifier(table)
    strategy = make(seed=0, chunk_size=chunk_size)
    query(strategy, clf, dataset, pool, labeled, y, 3)
    assert all(1 <= len(call) <= chunk_size for call in clf.calls)
    predicted = [row for call in clf.calls for row in call]
    expected = pool.tolist()
    if isinstance(strategy, MaximumLossReduction) and strategy.label_count is LabelCountModel.LOGISTIC_REGRESSION:
        expected = labeled.tolist() + expected
    assert predicted == expected
    np.testing.assert_allclose(strategy.last_scores, reference.last_scores, rtol=1e-10, atol=1e-12)


def test_cvirs_inconsistency_is_computed_in_bounded_blocks(monkeypatch):
    import activetext.query_strategies.multi_label as module

    shapes = []
    original = module.category_vector_distance

    def recording(predicted, labeled):
        shapes.append((len(predicted), len(labeled)))
        return original(predicted, labeled)

    monkeypatch.setattr(module, "category_vector_distance", recording)
    monkeypatch.setattr(module, "_BLOCK_ELEMENTS", 6)
    rng = np.random.default_rng(3)
    predicted = rng.random((50, 4)) > 0.5
    labeled = rng.random((40, 4)) > 0.5
    result = module.category_vector_inconsistency(predicted, labeled)
    assert max(rows * columns for rows, columns in shapes) <= max(6, max(rows for rows, _ in shapes))
    assert sum(columns for _, columns in shapes) == 40
    monkeypatch.setattr(module, "category_vector_distance", original)
    np.testing.assert_allclose(result, original(predicted, labeled).mean(axis=1))


# --- strategies: errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy_class", STRATEGY_CLASSES)
def test_single_label_dataset_is_refused(strategy_class):
    dataset = SklearnDataset(
        np.arange(6, dtype=np.float64).reshape(-1, 1), np.array([0, 1, 2, 0, -1, -1]), np.arange(3)
    )
    clf = StubMultiLabelClassifier(np.full((6, 3), 0.5))
    name = strategy_class.__name__
    with pytest.raises(InvalidArgumentError, match=rf"^{name} scores multi-label data; dataset is single-label \(3 "):
        query(strategy_class(seed=0), clf, dataset, [4, 5], [0, 1, 2, 3], np.array([0, 1, 2, 0]), 1)
    assert clf.calls == []


@pytest.mark.parametrize("strategy_class", STRATEGY_CLASSES)
def test_no_classifier_is_refused(strategy_class):
    _, dataset, labeled, y = hand_setup()
    with pytest.raises(
        MissingCapabilityError, match=rf"^{strategy_class.__name__} needs a trained classifier, got None"
    ):
        query(strategy_class(seed=0), None, dataset, [0, 1], labeled, y, 1)


@pytest.mark.parametrize("strategy_class", [*NEEDS_LABELS, CategoryVectorInconsistencyAndRanking])
def test_strategies_that_compare_with_labels_need_labeled_documents(strategy_class):
    clf, dataset, _, _ = hand_setup()
    with pytest.raises(MissingCapabilityError, match=r"got indices_labeled with 0 entries"):
        query(strategy_class(seed=0), clf, dataset, [0, 1, 2], [], sp.csr_matrix((0, 3), dtype=np.int64), 1)
    assert clf.calls == []


def test_strategies_without_labels_work_from_a_classifier_alone():
    clf, dataset, _, _ = hand_setup()
    empty = sp.csr_matrix((0, 3), dtype=np.int64)
    assert query(MinConfidenceMargin(seed=0), clf, dataset, [0, 1, 2, 3], [], empty, 1).tolist() == [1]
    mmc = MaximumLossReduction(LabelCountModel.THRESHOLD, seed=0)
    assert query(mmc, clf, dataset, [0, 1, 2, 3], [], empty, 1).tolist() == [1]


@pytest.mark.parametrize("strategy_class", [*NEEDS_LABELS, CategoryVectorInconsistencyAndRanking])
def test_labels_of_the_wrong_shape_are_refused(strategy_class):
    clf, dataset, labeled, _ = hand_setup()
    with pytest.raises(LabelShapeError, match=r"^y must be a 2-D indicator matrix"):
        query(strategy_class(seed=0), clf, dataset, [0, 1], labeled, np.array([0, 1, 2]), 1)
    with pytest.raises(LabelShapeError, match=r"^y must have 3 rows, got 2"):
        query(strategy_class(seed=0), clf, dataset, [0, 1], labeled, sp.csr_matrix(LABELED[:2]), 1)


def test_a_classifier_with_the_wrong_number_of_labels_is_refused():
    clf = StubMultiLabelClassifier(np.full((7, 2), 0.5))
    _, dataset, labeled, y = hand_setup()
    with pytest.raises(
        InvalidArgumentError, match=r"^clf.predict_proba must return shape \(2, 3\).*got shape \(2, 2\)"
    ):
        query(CategoryVectorInconsistencyAndRanking(seed=0), clf, dataset, [0, 1], labeled, y, 1)


@pytest.mark.parametrize("strategy_class", STRATEGY_CLASSES)
@pytest.mark.parametrize(("threshold", "shown"), [(0.0, r"0\.0"), (1.0, r"1\.0"), ("0.5", r"'0\.5' \(str\)")])
def test_bad_threshold_is_refused(strategy_class, threshold, shown):
    with pytest.raises(InvalidArgumentError, match=rf"^threshold must be a float in \(0, 1\), got {shown}"):
        strategy_class(threshold=threshold)


@pytest.mark.parametrize(("beta", "shown"), [(-0.1, r"-0\.1"), (1.5, r"1\.5"), (True, r"True \(bool\)")])
def test_bad_beta_is_refused(beta, shown):
    with pytest.raises(InvalidArgumentError, match=rf"^beta must be a float in \[0, 1\], got {shown}"):
        AdaptiveActiveLearning(beta=beta)


def test_bad_label_count_is_refused():
    with pytest.raises(InvalidArgumentError, match=r"^label_count must be a LabelCountModel or one of .*got 'svm'"):
        MaximumLossReduction("svm")


@pytest.mark.parametrize("strategy_class", STRATEGY_CLASSES)
def test_bad_chunk_size_and_pool_errors(strategy_class):
    with pytest.raises(InvalidArgumentError, match=r"^chunk_size must be an int >= 1, got 0"):
        strategy_class(chunk_size=0)
    clf, dataset, labeled, y = hand_setup()
    with pytest.raises(EmptyPoolException):
        query(strategy_class(seed=0), clf, dataset, [], labeled, y, 1)
    with pytest.raises(PoolExhaustedException):
        query(strategy_class(seed=0), clf, dataset, [0, 1], labeled, y, 3)
    assert clf.calls == []


def test_params_and_repr():
    assert (
        repr(AdaptiveActiveLearning(seed=3))
        == "AdaptiveActiveLearning(beta=0.5, seed=3, chunk_size=32768, threshold=0.5)"
    )
    assert MaximumLossReduction(LabelCountModel.THRESHOLD, seed=1, chunk_size=5).get_params() == {
        "label_count": "threshold",
        "seed": 1,
        "chunk_size": 5,
        "threshold": 0.5,
    }
    for strategy_class in STRATEGY_CLASSES:
        strategy = strategy_class(seed=2, chunk_size=7, threshold=0.4)
        assert type(strategy)(**strategy.get_params()).get_params() == strategy.get_params()


# --- property: the query contract ------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    strategy_index=st.integers(0, len(STRATEGIES) - 1),
    pool=st.lists(st.integers(0, 29), min_size=1, max_size=30, unique=True),
    data=st.data(),
)
def test_query_contract_property(strategy_index, pool, data):
    n = data.draw(st.integers(1, len(pool)))
    seed = data.draw(st.integers(0, 1000))
    chunk_size = data.draw(st.integers(1, 40))
    rng = np.random.default_rng(seed)
    table = rng.choice([0.0, 0.2, 0.5, 0.8, 1.0], size=(40, 3)) if seed % 3 == 0 else rng.random((40, 3))
    dataset = stub_pool(40)
    labeled = np.setdiff1d(np.arange(40), pool)
    y = sp.csr_matrix((rng.random((labeled.size, 3)) > 0.5).astype(int))
    make = STRATEGIES[strategy_index]
    clf = StubMultiLabelClassifier(table)
    result = query(make(seed=seed, chunk_size=chunk_size), clf, dataset, pool, labeled, y, n)
    assert result.shape == (n,)
    assert result.dtype == np.int64
    assert len(set(result.tolist())) == n
    assert set(result.tolist()) <= set(pool)
    again = query(make(seed=seed, chunk_size=chunk_size), StubMultiLabelClassifier(table), dataset, pool, labeled, y, n)
    np.testing.assert_array_equal(result, again)


# --- the loop ------------------------------------------------------------------------------------------------------


def run_loop(dataset, strategy, initial, rounds: int, batch: int) -> PoolBasedActiveLearner:
    learner = PoolBasedActiveLearner(SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()), strategy, dataset)
    learner.initialize_data(initial, dataset.y[initial])
    for _ in range(rounds):
        unlabeled_before = set(learner.indices_unlabeled.tolist())
        queried = learner.query(num_samples=batch)
        assert len(set(queried.tolist())) == batch
        assert set(queried.tolist()) <= unlabeled_before
        np.testing.assert_array_equal(strategy.last_candidates, sorted(unlabeled_before))
        learner.update(dataset.y[queried])
    assert learner.indices_labeled.size == len(initial) + rounds * batch
    return learner


@pytest.mark.parametrize("make", STRATEGIES, ids=STRATEGY_IDS)
def test_loop_on_a_small_multi_label_pool(multi_label_pool, make):
    initial = np.array([0, 1, 2, 3, 4, 5, 6, 7])
    run_loop(multi_label_pool, make(seed=0), initial, rounds=3, batch=4)


def test_a_learner_with_a_multi_label_strategy_is_saved_and_loaded(multi_label_pool, tmp_path):
    strategy = MaximumLossReduction(LabelCountModel.THRESHOLD, seed=4, chunk_size=16)
    learner = run_loop(multi_label_pool, strategy, np.arange(8), rounds=1, batch=3)
    learner.save(tmp_path / "saved")
    loaded = PoolBasedActiveLearner.load(tmp_path / "saved", multi_label_pool)
    assert loaded.query_strategy.get_params() == strategy.get_params()
    np.testing.assert_array_equal(loaded.query(num_samples=3), learner.query(num_samples=3))


@pytest.fixture(scope="module")
def goemotions() -> SklearnDataset:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from activetext.datasets import load_benchmark

    try:
        texts = load_benchmark("goemotions", limit=2000)
    except DatasetNotFoundError as error:
        pytest.skip(f"the shared goemotions data is not available: {error}")
    x = TfidfVectorizer(min_df=2, sublinear_tf=True).fit_transform(texts.x)
    return SklearnDataset(x, texts.y, target_labels=texts.target_labels, label_names=texts.label_names)


@pytest.mark.parametrize("make", STRATEGIES, ids=STRATEGY_IDS)
def test_loop_on_goemotions(goemotions, make):
    assert goemotions.is_multi_label and goemotions.num_classes == 28
    initial = np.random.default_rng(0).choice(len(goemotions), size=100, replace=False)
    learner = run_loop(goemotions, make(seed=0), initial, rounds=3, batch=20)
    proba = learner.classifier.predict_proba(goemotions[:50])
    assert proba.shape == (50, 28)
