"""Utilities of stream documents, scaled to [0, 1], checked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from activetext.active_learner.utility import UTILITIES, entropy, least_confidence, margin, resolve_utility
from activetext.exceptions import InvalidArgumentError

PROBA = np.array([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.3, 0.2]])


def test_least_confidence_by_hand():
    # (1 - max p) * 3 / 2: 0 for a sure model, 1 for the uniform distribution, 0.75 for max p = 0.5
    assert least_confidence(PROBA, False) == pytest.approx([0.0, 1.0, 0.75])


def test_margin_by_hand():
    assert margin(PROBA, False) == pytest.approx([0.0, 1.0, 0.8])  # 1 - (0.5 - 0.3)


def test_entropy_by_hand():
    expected = -(0.5 * np.log(0.5) + 0.3 * np.log(0.3) + 0.2 * np.log(0.2)) / np.log(3)
    assert entropy(PROBA, False) == pytest.approx([0.0, 1.0, expected])


@pytest.mark.parametrize("name", sorted(UTILITIES))
def test_multi_label_utilities_average_the_binary_uncertainty(name):
    proba = np.array([[1.0, 0.0], [0.5, 0.5], [0.75, 0.5]])
    # 1 - |2p - 1| per label: (0, 0), (1, 1), (0.5, 1)
    assert UTILITIES[name](proba, True) == pytest.approx([0.0, 1.0, 0.75])


@pytest.mark.parametrize("name", sorted(UTILITIES))
def test_a_single_class_is_always_certain(name):
    assert UTILITIES[name](np.ones((2, 1)), False).tolist() == [0.0, 0.0]


def test_resolve_utility_takes_names_and_callables_and_refuses_the_rest():
    assert resolve_utility("margin") is margin

    def custom(proba, multi_label):
        return proba[:, 0]

    assert resolve_utility(custom) is custom
    with pytest.raises(InvalidArgumentError, match="'surprise'"):
        resolve_utility("surprise")
