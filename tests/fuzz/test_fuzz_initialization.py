"""Fuzzing the initialization helpers: random pools, labels, embeddings, sizes and seeds, valid and not.

Each call either returns ``n_samples`` sorted, unique indices into the pool (for the stratified and balanced
draws only labeled documents), or raises an :class:`~activetext.exceptions.ActiveTextError`; the inputs are never
modified. Calls with only valid arguments always succeed.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import scipy.sparse as sp
from fuzz_strategies import (
    REPORT,
    assert_same,
    attempt,
    broken_argument,
    fuzz_report,  # noqa: F401  (the session fixture that writes the report)
    fuzz_settings,
    invalid_counts,
)
from hypothesis import given
from hypothesis import strategies as st

from activetext.data import TextDataset
from activetext.exceptions import NonFiniteFeaturesError
from activetext.initialization import (
    balanced_initialization,
    diverse_initialization,
    random_initialization,
    stratified_initialization,
    zero_shot_initialization,
)

TEST = "initialization"
invalid_seeds = st.sampled_from([-1, 1.5, "0", [0], np.float64(1.0), object()])
seeds = st.one_of(st.none(), st.integers(0, 2**32), st.integers(0, 100).map(np.random.default_rng))


def check_indices_result(result: Any, n_samples: int, pool_size: int) -> None:
    assert isinstance(result, np.ndarray) and result.dtype == np.int64
    assert result.shape == (n_samples,)
    assert np.all(np.diff(result) > 0), "not sorted and unique"
    assert result.min() >= 0 and result.max() < pool_size


def copied(value: Any) -> Any:
    return value.copy() if hasattr(value, "copy") else copy.deepcopy(value)


def same_input(before: Any, after: Any) -> None:
    if sp.issparse(before):
        assert_same(before.toarray(), after.toarray(), "input labels")
    elif isinstance(before, np.ndarray):
        assert_same(before, after, "input")
    else:
        assert before == after, "the input was modified"


@fuzz_settings(80)
@given(st.data())
def test_random_initialization(data):
    REPORT.example(TEST)
    size = data.draw(st.integers(0, 30))
    pool: Any = data.draw(st.sampled_from(["int", "dataset"]))
    pool = size if pool == "int" else TextDataset(["x"] * size, target_labels=[0, 1])
    n_samples: Any = data.draw(st.integers(1, max(size, 1)))
    seed = data.draw(seeds)
    broken = data.draw(broken_argument("pool", "n_samples", "seed"))
    if broken == "pool":
        pool = data.draw(st.sampled_from([-1, 2.0, "10", None, [1, 2, 3], True]))
    elif broken == "n_samples":
        n_samples = data.draw(invalid_counts() | st.just(size + 1))
    elif broken == "seed":
        seed = data.draw(invalid_seeds)
    outcome = attempt(TEST, "random_initialization", random_initialization, pool, n_samples, seed=seed)
    if broken == "none" and size > 0:
        assert outcome.ok, f"valid random_initialization raised {outcome.error!r}"
    if outcome.ok:
        assert broken == "none", f"random_initialization accepted an invalid {broken}"
        check_indices_result(outcome.value, n_samples, size)


def single_labels(data: st.DataObject, n: int) -> np.ndarray:
    num_classes = data.draw(st.integers(1, 4))
    layout = data.draw(st.sampled_from(["random", "one-class", "singletons", "mostly-unlabeled"]))
    if layout == "one-class":
        y = np.full(n, data.draw(st.integers(0, num_classes - 1)))
    elif layout == "singletons":
        y = (
            np.arange(n) % num_classes
            if n <= num_classes
            else np.concatenate([np.arange(num_classes), np.zeros(n - num_classes, dtype=int)])
        )
    else:
        y = np.asarray(data.draw(st.lists(st.integers(-1, num_classes - 1), min_size=n, max_size=n)))
        if layout == "mostly-unlabeled":
            y[: max(n - 1, 0)] = -1
    return y.astype(np.int64)


@fuzz_settings(120)
@given(st.data())
def test_stratified_and_balanced_initialization(data):
    REPORT.example(TEST)
    function = data.draw(st.sampled_from([stratified_initialization, balanced_initialization]))
    n = data.draw(st.integers(1, 30))
    multi_label = data.draw(st.integers(0, 3)) == 0
    if multi_label:
        c = data.draw(st.integers(1, 4))
        cells = np.asarray(data.draw(st.lists(st.integers(0, 1), min_size=n * c, max_size=n * c))).reshape(n, c)
        y: Any = data.draw(st.sampled_from([sp.csr_matrix(cells), cells]))
        labeled = cells.any(axis=1)
    else:
        y = single_labels(data, n)
        labeled = y >= 0
        y = data.draw(st.sampled_from([y, y.tolist(), y.astype(np.float64)]))
    available = int(labeled.sum())
    n_samples: Any = data.draw(st.integers(1, max(available, 1)))
    seed = data.draw(seeds)
    broken = data.draw(broken_argument("y", "n_samples", "seed"))
    if broken == "y":
        y = data.draw(
            st.sampled_from(
                [
                    None,
                    "labels",
                    [],
                    np.full(n, np.nan),
                    np.full(n, 0.5),
                    np.full(n, -2),
                    np.array(["a"] * n),
                    [[0], [0, 1]],
                    np.zeros((n, 2, 2)),
                    np.full(n, -1),
                    np.array([1j] * n),
                    sp.csr_matrix(np.full((n, 2), 2)),
                ]
            )
        )
    elif broken == "n_samples":
        n_samples = data.draw(invalid_counts() | st.just(available + 1))
    elif broken == "seed":
        seed = data.draw(invalid_seeds)
    before = copied(y)
    outcome = attempt(TEST, function.__name__, function, y, n_samples, seed=seed)
    same_input(before, y)
    if broken == "none" and available:
        assert outcome.ok, f"valid {function.__name__} raised {outcome.error!r}"
    if outcome.ok:
        assert broken == "none", f"{function.__name__} accepted an invalid {broken}: {y!r}, {n_samples!r}"
        check_indices_result(outcome.value, n_samples, n)
        assert labeled[outcome.value].all(), "an unlabeled document was drawn"


def embeddings_for(data: st.DataObject, n: int, dim: int) -> np.ndarray:
    layout = data.draw(st.sampled_from(["random", "duplicates", "all-equal", "zeros", "huge"]))
    if layout == "all-equal":
        return np.ones((n, dim))
    if layout == "zeros":
        return np.zeros((n, dim))
    values = np.asarray(data.draw(st.lists(st.integers(-5, 5), min_size=n * dim, max_size=n * dim)), dtype=float)
    vectors = values.reshape(n, dim) * (1e150 if layout == "huge" else 1.0)
    if layout == "duplicates":
        vectors[n // 2 :] = vectors[: n - n // 2]
    return vectors


INVALID_EMBEDDINGS = [
    None,
    "vectors",
    [],
    np.zeros((0, 3)),
    np.zeros((3, 0)),
    np.zeros(4),
    np.zeros((2, 2, 2)),
    [[0.0, 1.0], [1.0]],
    [["a", "b"], ["c", "d"]],
    np.array([[np.nan, 0.0], [0.0, 1.0]]),
    np.array([[np.inf, 0.0], [0.0, 1.0]]),
    np.array([[1j, 0.0], [0.0, 1.0]]),
]


@fuzz_settings(60)
@given(st.data())
def test_diverse_initialization(data):
    REPORT.example(TEST)
    n = data.draw(st.integers(1, 25))
    embeddings: Any = embeddings_for(data, n, data.draw(st.integers(1, 4)))
    n_samples: Any = data.draw(st.integers(1, n))
    method: Any = data.draw(st.sampled_from(["typiclust", "kmeans", "KMEANS"]))
    seed = data.draw(seeds)
    broken = data.draw(broken_argument("embeddings", "n_samples", "method", "seed"))
    if broken == "embeddings":
        embeddings = data.draw(st.sampled_from(INVALID_EMBEDDINGS))
    elif broken == "n_samples":
        n_samples = data.draw(invalid_counts() | st.just(n + 1))
    elif broken == "method":
        method = data.draw(st.sampled_from(["k-means", "", None, 3]))
    elif broken == "seed":
        seed = data.draw(invalid_seeds)
    if method == "KMEANS":
        method, broken = (method, "method") if broken == "none" else (method, broken)
    before = copied(embeddings)
    outcome = attempt(TEST, "diverse_initialization", diverse_initialization, embeddings, n_samples, method, seed)
    same_input(before, embeddings)
    if broken == "none":  # vectors beyond float32's range are refused: the strategies compute in float32
        huge = np.abs(np.asarray(embeddings)).max() > np.finfo(np.float32).max
        assert outcome.ok or (huge and isinstance(outcome.error, NonFiniteFeaturesError)), outcome.error
    if outcome.ok:
        assert broken == "none", f"diverse_initialization accepted an invalid {broken}"
        check_indices_result(outcome.value, n_samples, n)


@fuzz_settings(80)
@given(st.data())
def test_zero_shot_initialization(data):
    REPORT.example(TEST)
    n = data.draw(st.integers(1, 25))
    dim = data.draw(st.integers(1, 4))
    embeddings: Any = embeddings_for(data, n, dim)
    label_embeddings: Any = embeddings_for(data, data.draw(st.integers(1, 5)), dim)
    n_samples: Any = data.draw(st.integers(1, n))
    seed = data.draw(seeds)
    broken = data.draw(broken_argument("embeddings", "label_embeddings", "n_samples", "seed"))
    if broken == "embeddings":
        embeddings = data.draw(st.sampled_from(INVALID_EMBEDDINGS))
    elif broken == "label_embeddings":
        label_embeddings = data.draw(st.sampled_from([*INVALID_EMBEDDINGS, np.ones((2, dim + 1))]))
    elif broken == "n_samples":
        n_samples = data.draw(invalid_counts() | st.just(n + 1))
    elif broken == "seed":
        seed = data.draw(invalid_seeds)
    before = (copied(embeddings), copied(label_embeddings))
    outcome = attempt(
        TEST, "zero_shot_initialization", zero_shot_initialization, embeddings, label_embeddings, n_samples, seed
    )
    same_input(before[0], embeddings)
    same_input(before[1], label_embeddings)
    if broken == "none":
        assert outcome.ok, f"valid zero_shot_initialization raised {outcome.error!r}"
    if outcome.ok:
        assert broken == "none", f"zero_shot_initialization accepted an invalid {broken}"
        check_indices_result(outcome.value, n_samples, n)
