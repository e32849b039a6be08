"""Budget managers for stream-based selective sampling."""

from __future__ import annotations

import numpy as np
import pytest

from activetext.active_learner.budget import FixedFraction, Split, VariableUncertainty
from activetext.exceptions import InvalidArgumentError


def test_fixed_fraction_by_hand():
    manager = FixedFraction(budget=0.5, window=4)
    # 0.1: nothing spent, the median of [0.1] is 0.1 -> label; 0.9: spent 1/4, median of [0.1, 0.9] is 0.5 -> label;
    # then 2 labels in a window of 4 spend the budget of 0.5: no more labels until older decisions leave the window
    assert manager.decide([0.1, 0.9, 0.2, 0.8]).tolist() == [True, True, False, False]
    assert manager.spending == 0.5 and (manager.n_seen, manager.n_queried) == (4, 2)
    # the first two decisions leave the window: 0.95 is above the median of the last four utilities
    assert manager.decide([0.0, 0.95]).tolist() == [False, True]


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
