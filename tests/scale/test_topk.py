"""Streaming top-k: known answers, and the same result however the pool is chunked and in whatever order."""

from __future__ import annotations

import numpy as np
import pytest

from activetext.exceptions import InvalidArgumentError
from activetext.utils.topk import StreamingTopK, chunk_top_k, merge_top_k, tiebreak_keys


def reference_top_k(indices: np.ndarray, scores: np.ndarray, k: int, seed: int) -> np.ndarray:
    """The top k by (score descending, key ascending), NaN last: sorted in one go with Python's sort."""
    keys = tiebreak_keys(indices, seed)
    rows = sorted(
        range(indices.size),
        key=lambda i: (-(scores[i] if not np.isnan(scores[i]) else -np.inf), int(keys[i])),
    )
    return indices[rows[:k]]


def test_known_answer_best_first():
    top = StreamingTopK(3, seed=0)
    top.push(np.array([10, 11, 12, 13]), np.array([0.2, 0.9, np.nan, 0.5]))
    top.push(np.array([20, 21]), np.array([0.95, 0.1]))
    indices, scores = top.result()
    assert indices.tolist() == [20, 11, 13]
    assert scores.tolist() == [0.95, 0.9, 0.5]
    assert top.seen == 6 and len(top) == 3


def test_keys_are_distinct_and_depend_on_the_seed():
    indices = np.arange(100_000)
    keys = tiebreak_keys(indices, 3)
    assert np.unique(keys).size == indices.size
    assert not np.array_equal(keys, tiebreak_keys(indices, 4))
    assert np.array_equal(keys[[5, 7]], tiebreak_keys(np.array([5, 7]), 3))  # a key depends on the index only


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_any_chunking_and_arrival_order_gives_the_global_top_k(seed):
    rng = np.random.default_rng(seed)
    indices = rng.permutation(5_000)[:3_000]
    scores = rng.integers(0, 20, size=indices.size).astype(np.float64)  # many ties: keys decide
    scores[rng.choice(indices.size, 50, replace=False)] = np.nan
    expected = reference_top_k(indices, scores, 40, seed)
    cuts = np.sort(rng.choice(np.arange(1, indices.size), size=17, replace=False))
    parts = list(zip(np.split(indices, cuts), np.split(scores, cuts), strict=True))
    rng.shuffle(parts)
    top = StreamingTopK(40, seed=seed)
    for part_indices, part_scores in parts:
        top.push(part_indices, part_scores)
    assert top.result()[0].tolist() == expected.tolist()
    merged = merge_top_k([chunk_top_k(i, s, 40, seed) for i, s in parts], 40, seed)
    assert merged[0].tolist() == expected.tolist()


def test_bad_input_is_refused_and_leaves_the_state_unchanged():
    top = StreamingTopK(2, seed=0)
    top.push(np.array([1, 2]), np.array([0.5, 0.7]))
    with pytest.raises(InvalidArgumentError, match="same length"):
        top.push(np.array([3, 4]), np.array([0.1]))
    assert top.result()[0].tolist() == [2, 1]
    with pytest.raises(InvalidArgumentError, match="k must be an int >= 1, got 0"):
        StreamingTopK(0)
    with pytest.raises(InvalidArgumentError, match="seed must be a non-negative int, got -1"):
        tiebreak_keys(np.arange(3), -1)
