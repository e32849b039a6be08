"""Sentence and span splitting, the text key, and the choice of boundary pairs, on answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from activetext.exceptions import InvalidArgumentError, LabelShapeError
from activetext.synthesis import boundary_pairs, pair_closeness, split_sentences, split_units, text_key


def test_sentences_split_after_end_marks_followed_by_space():
    assert split_sentences("The team won. Fans cheered!  Why? Yes") == ["The team won.", "Fans cheered!", "Why?", "Yes"]
    assert split_sentences("Version 2.5 is out.") == ["Version 2.5 is out."]  # no space after the inner dot
    assert split_sentences("   ") == []


def test_units_are_sentences_or_words_of_a_single_sentence():
    assert split_units("Stocks fell. Markets closed.") == ["Stocks fell.", "Markets closed."]
    assert split_units("a dull , boring plot .") == ["a", "dull", ",", "boring", "plot", "."]
    assert split_units("") == []


def test_text_key_ignores_case_and_white_space_only():
    assert text_key(" The  team\nwon. ") == text_key("the team won.") == "the team won."
    assert text_key("the team won") != text_key("the team won.")


# probabilities of 4 labeled documents, 2 per class; worked out by hand:
# closeness(i, j) = p_i[y_j] + p_j[y_i]
#   (1, 2): 0.40 + 0.45 = 0.85    (0, 2): 0.10 + 0.45 = 0.55
#   (1, 3): 0.40 + 0.05 = 0.45    (0, 3): 0.10 + 0.05 = 0.15
PROBA = np.array([[0.9, 0.1], [0.6, 0.4], [0.45, 0.55], [0.05, 0.95]])
LABELS = np.array([0, 0, 1, 1])


def test_pair_closeness_matches_the_hand_computed_values():
    first, second = np.array([1, 0, 1, 0]), np.array([2, 2, 3, 3])
    np.testing.assert_allclose(pair_closeness(PROBA, LABELS, first, second), [0.85, 0.55, 0.45, 0.15])


def test_boundary_pairs_are_ranked_by_closeness_across_classes():
    assert boundary_pairs(PROBA, LABELS, n_pairs=10).tolist() == [[1, 2], [0, 2], [1, 3], [0, 3]]
    assert boundary_pairs(PROBA, LABELS, n_pairs=2).tolist() == [[1, 2], [0, 2]]


def test_boundary_pairs_pair_only_anchors_with_others():
    # the single worst-fitted document (own probability 0.55: document 2) is the only anchor
    assert boundary_pairs(PROBA, LABELS, n_pairs=10, max_anchors=1).tolist() == [[1, 2], [0, 2]]


def test_boundary_pairs_of_three_classes_never_pair_a_class_with_itself():
    proba = np.array([[0.4, 0.3, 0.3], [0.3, 0.4, 0.3], [0.3, 0.3, 0.4], [0.5, 0.4, 0.1]])
    labels = np.array([0, 1, 2, 0])
    pairs = boundary_pairs(proba, labels, n_pairs=100)
    assert len(pairs) == 5  # 6 pairs, less (0, 3) of the same class
    assert all(labels[i] != labels[j] and i < j for i, j in pairs)
    assert pairs[0].tolist() == [1, 3]  # 0.3 + 0.4, the largest closeness


def test_boundary_pairs_of_one_class_are_empty():
    assert boundary_pairs(PROBA, np.zeros(4, dtype=int), n_pairs=3).shape == (0, 2)


def test_boundary_pairs_refuse_bad_input():
    with pytest.raises(LabelShapeError, match="labels must have one entry per row of proba"):
        boundary_pairs(PROBA, LABELS[:3], n_pairs=1)
    with pytest.raises(InvalidArgumentError, match=r"labels must be class indices in \[0, 2\), got \[0, 2\]"):
        boundary_pairs(PROBA, np.array([0, 0, 2, 2]), n_pairs=1)
    with pytest.raises(InvalidArgumentError, match="n_pairs"):
        boundary_pairs(PROBA, LABELS, n_pairs=0)


def test_with_three_classes_every_pair_of_classes_gets_a_pair_first():
    # classes 0 and 1 are confused, class 2 is clear; closeness by hand:
    # (0, 1): 0.5 + 0.5 = 1.0   (1, 3): 0.5 + 0.4 = 0.9   (0, 2): 0.0 + 0.1   (2, 3): 0.1 + 0.0   (1, 2): 0.0
    proba = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.1, 0.0, 0.9], [0.6, 0.4, 0.0]])
    labels = np.array([0, 1, 2, 0])
    assert boundary_pairs(proba, labels, n_pairs=3, spread_class_pairs=False).tolist() == [[0, 1], [1, 3], [0, 2]]
    assert boundary_pairs(proba, labels, n_pairs=3).tolist() == [[0, 1], [0, 2], [1, 2]]
    assert len(boundary_pairs(proba, labels, n_pairs=10)) == 5
