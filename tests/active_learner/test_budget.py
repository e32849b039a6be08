"""Budget managers for stream-based selective sampling."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from activetext.active_learner.budget import DensityAware, FixedFraction, Split, VariableUncertainty
from activetext.exceptions import InvalidArgumentError, LabelCountMismatchError


def test_fixed_fraction_by_hand():
    manager = FixedFraction(budget=0.5, window=4)
    # 0.1: a first label would be 1 of 1 document, over half -> no; 0.9: 1 of 2 is allowed, and 0.9 is above the
    # median 0.5 of [0.1, 0.9] -> label; 0.2: 2 of 3 is over half -> no; 0.8: 2 of 4, above the median 0.5 -> label
    assert manager.decide([0.1, 0.9, 0.2, 0.8]).tolist() == [False, True, False, True]
    assert manager.spending == 0.5 and (manager.n_seen, manager.n_queried) == (4, 2)
    # 0.0: 3 of 5 is over half; 0.95: 3 of 6 is allowed overall, but 2 labels among the last 4 decisions spend the
    # window's budget
    assert manager.decide([0.0, 0.95]).tolist() == [False, False]
    # 0.99: 3 of 7, 1 label among the last 4 decisions, above the median 0.875 of [0.8, 0.0, 0.95, 0.99]
    assert manager.decide([0.99]).tolist() == [True]


def test_the_budget_used_never_exceeds_the_budget_set_even_on_a_short_stream():
    manager = VariableUncertainty(0.1, window=1000)
    decisions = np.concatenate([manager.decide(np.ones(7)) for _ in range(50)])  # 350 documents, all wanted
    assert np.all(np.cumsum(decisions) <= 0.1 * np.arange(1, 351) + 1e-9)
    assert decisions.sum() == 35


def test_variable_uncertainty_by_hand():
    manager = VariableUncertainty(budget=1.0, step=0.5)
    # confidence 0.4 each time: below 1 (label, threshold 0.5), below 0.5 (label, 0.25), not below 0.25 (0.375)
    assert manager.decide([0.6, 0.6, 0.6]).tolist() == [True, True, False]
    assert manager.threshold == pytest.approx(0.375)
    assert manager.decide([0.7]).tolist() == [True]  # confidence 0.3 < 0.375
    assert manager.threshold == pytest.approx(0.1875)


@pytest.mark.parametrize(
    "manager",
    [FixedFraction(0.1), VariableUncertainty(0.1), Split(0.1, seed=0)],
    ids=["fixed-fraction", "variable-uncertainty", "split"],
)
def test_a_long_stream_spends_the_budget_and_prefers_useful_documents(manager):
    utilities = np.random.default_rng(0).random(20_000)
    decisions = np.concatenate([manager.decide(chunk) for chunk in np.array_split(utilities, 40)])
    assert decisions.mean() == pytest.approx(0.1, abs=0.01)  # the budget actually used against the budget set
    assert utilities[decisions].mean() > 0.7  # far above the stream's mean of 0.5
    assert len(manager._recent) == manager.window  # memory stays bounded


def test_split_with_only_random_decisions_ignores_utilities():
    manager = Split(0.2, random_share=1.0, seed=1)
    utilities = np.random.default_rng(2).random(5000)
    decisions = manager.decide(utilities)
    assert decisions.mean() == pytest.approx(0.2, abs=0.02)
    assert utilities[decisions].mean() == pytest.approx(0.5, abs=0.05)


def test_split_is_reproducible_with_a_seed():
    utilities = np.random.default_rng(3).random(500)
    assert np.array_equal(Split(0.3, seed=4).decide(utilities), Split(0.3, seed=4).decide(utilities))


@pytest.mark.parametrize("budget", [0, -0.1, 1.5, "half", True, float("nan")])
def test_a_budget_outside_the_unit_interval_is_refused(budget):
    with pytest.raises(InvalidArgumentError, match="budget"):
        FixedFraction(budget)


@pytest.mark.parametrize("utilities", [[0.5, 1.2], [[0.1, 0.2]], [float("nan")], ["high"], [-0.1]], ids=str)
def test_bad_utilities_are_refused_and_leave_the_manager_unchanged(utilities):
    manager = VariableUncertainty(0.5, step=0.1)
    manager.decide([0.9, 0.1])
    before = (manager.threshold, manager.n_seen, manager.n_queried, list(manager._recent))
    with pytest.raises(InvalidArgumentError, match="utilities"):
        manager.decide(utilities)
    assert (manager.threshold, manager.n_seen, manager.n_queried, list(manager._recent)) == before


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: VariableUncertainty(0.5, step=0), "step"),
        (lambda: VariableUncertainty(0.5, step=1), "step"),
        (lambda: Split(0.5, random_share=1.5), "random_share"),
        (lambda: FixedFraction(0.5, window=0), "window"),
    ],
)
def test_bad_parameters_are_refused_naming_them(make, words):
    with pytest.raises(InvalidArgumentError, match=words):
        make()


def test_density_aware_by_hand():
    manager = DensityAware(budget=1.0, step=0.5, density_window=3)
    points = np.array([[0.0], [10.0], [0.5], [30.0], [29.0]])
    # 0: nothing remembered yet; 10: closer to 0 than 0's neighbour (none); 0.5: closer to 0 than 10 is;
    # 30: farther from each remembered point than its nearest neighbour; 29: closer to 30 than 30's (20 away)
    assert manager.decide([1.0] * 5, features=points).tolist() == [False, True, True, False, True]
    # the window of 3 keeps 0.5, 30 and 29 (in slots 2, 0, 1) with their nearest-neighbour distances
    assert manager._window.ravel().tolist() == [30.0, 29.0, 0.5] and manager._nearest.tolist() == [1.0, 1.0, 0.5]


def test_density_aware_rarely_spends_labels_on_isolated_documents():
    rng = np.random.default_rng(0)
    is_outlier = np.zeros(10_000, dtype=bool)
    is_outlier[rng.choice(10_000, 100, replace=False)] = True  # 1% isolated documents, far from everything
    points = rng.normal(size=(10_000, 5))
    points[is_outlier] *= 100
    manager = DensityAware(1.0, density_window=100)  # a budget that never binds shows the density filter alone
    decisions = manager.decide(np.ones(10_000), features=points)
    assert decisions[is_outlier].mean() < decisions[~is_outlier].mean() / 3
    sparse = DensityAware(1.0, density_window=100).decide(np.ones(2000), features=sp.csr_matrix(points[:2000]))
    assert np.array_equal(sparse, decisions[:2000])  # sparse features give the same decisions


@pytest.mark.parametrize(
    ("features", "error", "words"),
    [
        (None, InvalidArgumentError, "features must be given"),
        (np.ones((3, 2)), LabelCountMismatchError, "one row per utility"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), InvalidArgumentError, "finite"),
        (np.ones((2, 3)), InvalidArgumentError, "2 columns"),
        ([["a", "b"], ["c", "d"]], InvalidArgumentError, "numeric"),
    ],
    ids=["missing", "row-count", "nan", "width", "text"],
)
def test_density_aware_refuses_bad_features_and_stays_unchanged(features, error, words):
    manager = DensityAware(0.5)
    manager.decide([0.5, 0.5], features=np.eye(2))
    before = (manager.threshold, manager.n_seen, list(manager._recent), manager._nearest.tolist(), manager._n_observed)
    with pytest.raises(error, match=words):
        manager.decide([0.5, 0.5], features=features)
    after = (manager.threshold, manager.n_seen, list(manager._recent), manager._nearest.tolist(), manager._n_observed)
    assert after == before
