"""Vector indexes: hand-known neighbours, agreement with ExactIndex, and the same errors behind every index."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activetext.exceptions import InvalidArgumentError, MissingDependencyError
from activetext.vector_indexes import ExactIndex, FaissIndex, FaissIndexType, HnswIndex, Metric, VectorIndex

KINDS = ["exact", "hnsw", "faiss-flat", "faiss-hnsw", "faiss-ivf"]
APPROXIMATE = {"hnsw", "faiss-hnsw"}


def make_index(kind: str, metric: Metric = Metric.EUCLIDEAN, **kwargs) -> VectorIndex:
    """Build an index of ``kind``, skipping the test when its optional package is missing."""
    if kind == "exact":
        return ExactIndex(metric, **kwargs)
    if kind == "hnsw":
        pytest.importorskip("hnswlib")
        return HnswIndex(metric, seed=0, **kwargs)
    pytest.importorskip("faiss")
    index_type = {"faiss-flat": FaissIndexType.FLAT, "faiss-hnsw": FaissIndexType.HNSW, "faiss-ivf": FaissIndexType.IVF}
    extra = {"n_lists": 4, "n_probe": 4} if kind == "faiss-ivf" else {}  # every cell probed: exact answers
    return FaissIndex(metric, index_type=index_type[kind], **{**extra, **kwargs})


# --- hand-known answers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_euclidean_neighbours_and_distances_by_hand(kind):
    index = make_index(kind)
    index.add(np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 5.0]]), np.array([10, 11, 12]))
    distances, ids = index.search(np.array([[0.9, 0.1], [5.0, 4.0]]), k=2)
    assert ids.dtype == np.int64
    assert distances.dtype == np.float32
    assert ids.tolist() == [[11, 10], [12, 11]]
    # |(0.9, 0.1) - (1, 0)| = sqrt(0.02); |(0.9, 0.1) - (0, 0)| = sqrt(0.82); (5, 4) to (1, 0) = sqrt(32)
    np.testing.assert_allclose(distances, [[math.sqrt(0.02), math.sqrt(0.82)], [1.0, math.sqrt(32)]], rtol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_cosine_distance_is_one_minus_cosine(kind):
    index = make_index(kind, Metric.COSINE)
    index.add(np.array([[2.0, 0.0], [1.0, 1.0], [0.0, 3.0], [-1.0, 0.0]]), np.array([0, 1, 2, 3]))
    distances, ids = index.search(np.array([[5.0, 0.0]]), k=4)
    assert ids.tolist() == [[0, 1, 2, 3]]
    np.testing.assert_allclose(distances, [[0.0, 1 - 1 / math.sqrt(2), 1.0, 2.0]], atol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_k_larger_than_the_index_returns_every_vector(kind):
    index = make_index(kind)
    index.add(np.array([[0.0], [2.0], [7.0]]), np.array([5, -4, 2**40]))  # any int64 ids
    distances, ids = index.search(np.array([[1.5], [6.0]]), k=10)
    assert ids.tolist() == [[-4, 5, 2**40], [2**40, -4, 5]]
    np.testing.assert_allclose(distances, [[0.5, 1.5, 5.5], [1.0, 4.0, 6.0]], rtol=1e-6)


@pytest.mark.parametrize("kind", KINDS)
def test_vectors_can_be_added_in_several_batches(kind):
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(60, 5))
    index = make_index(kind)
    for start in range(0, 60, 25):  # 25, 25, 10: the HNSW graph must grow twice
        index.add(vectors[start : start + 25], np.arange(start, min(start + 25, 60)) * 3)
    assert len(index) == 60
    _, ids = index.search(vectors[[0, 59]], k=1)
    assert ids.tolist() == [[0], [177]]


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_query_block_gives_empty_answers(kind):
    index = make_index(kind)
    index.add(np.eye(3), np.arange(3))
    distances, ids = index.search(np.empty((0, 3)), k=2)
    assert distances.shape == ids.shape == (0, 2)


# --- agreement with ExactIndex ------------------------------------------------------------------------------


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(a) & set(b)) / len(b) for a, b in zip(found.tolist(), truth.tolist(), strict=True)]))


@pytest.mark.parametrize("metric", list(Metric))
@pytest.mark.parametrize("kind", KINDS[1:])
def test_agrees_with_exact_search(kind, metric):
    rng = np.random.default_rng(7)
    vectors, queries = rng.normal(size=(400, 12)), rng.normal(size=(40, 12))
    exact = ExactIndex(metric)
    exact.add(vectors, np.arange(400) + 1000)
    true_distances, true_ids = exact.search(queries, k=10)
    index = make_index(kind, metric, **({"n_lists": 16, "n_probe": 16} if kind == "faiss-ivf" else {}))
    index.add(vectors, np.arange(400) + 1000)
    distances, ids = index.search(queries, k=10)
    assert ids.shape == (40, 10)
    if kind in APPROXIMATE:
        assert recall(ids, true_ids) >= 0.95
    else:
        np.testing.assert_array_equal(ids, true_ids)
        np.testing.assert_allclose(distances, true_distances, rtol=1e-4, atol=1e-5)


def test_ivf_with_few_probes_still_answers_k_neighbours():
    pytest.importorskip("faiss")
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(200, 4))
    index = FaissIndex(index_type=FaissIndexType.IVF, n_lists=50, n_probe=1, seed=0)
    index.add(vectors, np.arange(200))
    distances, ids = index.search(rng.normal(size=(30, 4)), k=20)  # one cell holds about 4 vectors
    assert ids.shape == (30, 20)
    assert ids.min() >= 0
    assert all(len(set(row)) == 20 for row in ids.tolist())
    assert np.all(np.diff(distances, axis=1) >= -1e-6)


def test_ivf_lowers_its_number_of_cells_to_a_small_first_batch():
    pytest.importorskip("faiss")
    index = FaissIndex(index_type=FaissIndexType.IVF, n_lists=100, n_probe=100)
    index.add(np.arange(10.0).reshape(5, 2), np.arange(5))
    assert index.search(np.array([[4.2, 5.2]]), k=2)[1].tolist() == [[2, 3]]


def test_hnsw_same_seed_same_answers():
    pytest.importorskip("hnswlib")
    rng = np.random.default_rng(0)
    vectors, queries = rng.normal(size=(300, 8)), rng.normal(size=(20, 8))
    answers = []
    for _ in range(2):
        index = HnswIndex(M=4, ef_construction=8, ef_search=8, seed=5)
        index.add(vectors, np.arange(300))
        answers.append(index.search(queries, k=5))
    np.testing.assert_array_equal(answers[0][1], answers[1][1])
    np.testing.assert_array_equal(answers[0][0], answers[1][0])


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), dim=st.integers(1, 6), k=st.integers(1, 50), seed=st.integers(0, 1000))
def test_flat_faiss_equals_exact_property(n, dim, k, seed):
    pytest.importorskip("faiss")
    rng = np.random.default_rng(seed)
    vectors, queries = rng.normal(size=(n, dim)), rng.normal(size=(3, dim))
    exact, flat = ExactIndex(), FaissIndex()
    for index in (exact, flat):
        index.add(vectors, np.arange(n) * 7)
    (d1, _), (d2, i2) = exact.search(queries, k), flat.search(queries, k)
    assert i2.shape == (3, min(k, n))
    np.testing.assert_allclose(d2, d1, rtol=1e-4, atol=1e-4)
    # the ids found are at the distances reported (ties may be ordered differently, never with other distances)
    found = vectors[i2 // 7]
    np.testing.assert_allclose(np.linalg.norm(found - queries[:, None, :], axis=2), d1, rtol=1e-4, atol=1e-4)


# --- the same errors behind every index ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_searching_an_empty_index_raises(kind):
    with pytest.raises(InvalidArgumentError, match=r"^the index is empty: add vectors before searching"):
        make_index(kind).search(np.zeros((1, 2)), k=1)


@pytest.mark.parametrize("kind", KINDS)
def test_dimension_mismatch_raises(kind):
    index = make_index(kind)
    index.add(np.zeros((2, 3)), np.array([0, 1]))
    with pytest.raises(InvalidArgumentError, match=r"^vectors must have 3 columns like the index, got 4"):
        index.add(np.zeros((1, 4)), np.array([2]))
    with pytest.raises(InvalidArgumentError, match=r"^queries must have 3 columns like the index, got 2"):
        index.search(np.zeros((1, 2)), k=1)
    assert len(index) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_duplicate_ids_raise_and_change_nothing(kind):
    index = make_index(kind)
    index.add(np.eye(3), np.array([0, 1, 2]))
    with pytest.raises(InvalidArgumentError, match=r"^ids must be unique and not already in the index"):
        index.add(np.ones((2, 3)), np.array([5, 5]))
    with pytest.raises(InvalidArgumentError, match=r"^ids must be unique and not already in the index"):
        index.add(np.ones((1, 3)), np.array([2]))
    assert len(index) == 3
    assert index.search(np.ones((1, 3)), k=5)[1].shape == (1, 3)


@pytest.mark.parametrize("kind", KINDS)
def test_bad_shapes_and_values_raise(kind):
    index = make_index(kind)
    with pytest.raises(InvalidArgumentError, match=r"^ids must have one id per vector \(2\), got shape \(3,\)"):
        index.add(np.zeros((2, 2)), np.arange(3))
    with pytest.raises(InvalidArgumentError, match=r"^vectors must be a 2-D array \(n, dim\), got shape \(4,\)"):
        index.add(np.zeros(4), np.arange(4))
    with pytest.raises(InvalidArgumentError, match=r"^vectors must hold only finite values"):
        index.add(np.array([[0.0, np.nan]]), np.arange(1))
    index.add(np.zeros((2, 2)), np.arange(2))
    with pytest.raises(InvalidArgumentError, match=r"^k must be an int >= 1, got 0"):
        index.search(np.zeros((1, 2)), k=0)
    assert len(index) == 2


def test_constructor_arguments_are_checked():
    pytest.importorskip("hnswlib")
    pytest.importorskip("faiss")
    with pytest.raises(InvalidArgumentError, match=r"^M must be an int >= 2, got 1"):
        HnswIndex(M=1)
    with pytest.raises(InvalidArgumentError, match=r"^ef_search must be an int >= 1, got 0"):
        HnswIndex(ef_search=0)
    with pytest.raises(InvalidArgumentError, match=r"^metric must be a Metric, got 'cosine'"):
        HnswIndex(metric="cosine")
    with pytest.raises(InvalidArgumentError, match=r"^index_type must be a FaissIndexType, got 'ivf'"):
        FaissIndex(index_type="ivf")
    with pytest.raises(InvalidArgumentError, match=r"^n_probe must be an int >= 1, got -1"):
        FaissIndex(n_probe=-1)


# --- optional dependencies ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "build", "extra"),
    [("hnswlib", HnswIndex, r"activetext\[ann\]"), ("faiss", FaissIndex, r"activetext\[faiss\]")],
)
def test_a_missing_package_names_its_extra(monkeypatch, module, build, extra):
    monkeypatch.setitem(sys.modules, module, None)  # what an uninstalled package looks like to find_spec
    with pytest.raises(MissingDependencyError, match=extra):
        build()
    assert issubclass(MissingDependencyError, ImportError)


def test_importing_the_package_imports_neither_hnswlib_nor_faiss():
    code = "import sys, activetext.vector_indexes; print('hnswlib' in sys.modules, 'faiss' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
