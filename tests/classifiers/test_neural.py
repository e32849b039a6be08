"""The torch-free helpers the neural classifiers share: batching by length."""

from __future__ import annotations

import itertools

import numpy as np

from activetext.classifiers.neural import length_grouped_batches, length_sorted_batches


def test_length_sorted_batches_go_from_short_to_long_and_keep_ties_in_order():
    batches = list(length_sorted_batches(np.array([5, 1, 3, 1, 9]), 2))
    assert [b.tolist() for b in batches] == [[1, 3], [2, 0], [4]]


def test_length_grouped_batches_partition_the_documents_into_batches_of_similar_length():
    lengths = np.random.default_rng(0).integers(3, 60, size=203)
    batches = length_grouped_batches(lengths, 16, np.random.default_rng(1))
    together = np.concatenate(batches)
    assert sorted(together.tolist()) == list(range(203))  # every document exactly once
    assert sorted(len(b) for b in batches) == [11] + [16] * 12
    # one group (203 < 50 * 16): the batches are consecutive runs of the documents sorted by length, so the
    # padding they need is far less than that of random batches
    padded = sum(len(b) * lengths[b].max() for b in batches)
    shuffled = np.random.default_rng(2).permutation(203)
    random_padded = sum(16 * lengths[shuffled[i : i + 16]].max() for i in range(0, 203, 16))
    assert padded < 0.7 * random_padded
    spans = sorted((lengths[b].min(), lengths[b].max()) for b in batches)
    for (_, high), (low, _) in itertools.pairwise(spans):
        assert high <= low  # batches do not overlap in length


def test_length_grouped_batches_sort_within_groups_and_depend_on_the_generator():
    lengths = np.arange(40)[::-1].copy()  # document i has length 39 - i
    first = length_grouped_batches(lengths, 4, np.random.default_rng(5), group_batches=2)
    again = length_grouped_batches(lengths, 4, np.random.default_rng(5), group_batches=2)
    other = length_grouped_batches(lengths, 4, np.random.default_rng(6), group_batches=2)
    assert [b.tolist() for b in first] == [b.tolist() for b in again]
    assert [b.tolist() for b in first] != [b.tolist() for b in other]
    assert len(first) == 10
    for batch in first:
        assert np.all(np.diff(lengths[batch]) >= 0)  # shortest first inside a batch
    assert sorted(np.concatenate(first).tolist()) == list(range(40))


def test_equal_lengths_still_give_shuffled_batches():
    lengths = np.full(64, 7)
    epochs = [length_grouped_batches(lengths, 8, np.random.default_rng(seed)) for seed in range(3)]
    memberships = [{frozenset(b.tolist()) for b in batches} for batches in epochs]
    assert memberships[0] != memberships[1] != memberships[2]
