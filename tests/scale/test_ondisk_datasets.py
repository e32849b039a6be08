"""On-disk datasets: the rows read back equal the arrays written, and the loop runs on them unchanged."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.sparse as sp

from activetext.active_learner import PoolBasedActiveLearner
from activetext.classifiers import ConfidenceEnhancedLinearSVC
from activetext.classifiers.factories import SklearnClassifierFactory
from activetext.data import SklearnDataset
from activetext.data.ondisk import ChunkedSparseDataset, MemmapDataset, write_sparse_chunks
from activetext.exceptions import InvalidArgumentError, NonFiniteFeaturesError
from activetext.query_strategies import BreakingTies


def dense_pool(tmp_path, n=600, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.int64)
    np.save(tmp_path / "x.npy", x)
    return x, y


def sparse_pool(tmp_path, n=600, seed=0):
    rng = np.random.default_rng(seed)
    x = sp.random(n, 40, density=0.15, random_state=seed, format="csr", dtype=np.float32)
    y = (np.asarray(x[:, :20].sum(axis=1)).ravel() > np.asarray(x[:, 20:].sum(axis=1)).ravel()).astype(np.int64)
    folder = write_sparse_chunks(tmp_path / "store", (x[start : start + 97] for start in range(0, n, 97)))
    return x, y, folder, rng


def test_memmap_rows_labels_and_chunks(tmp_path):
    x, y = dense_pool(tmp_path)
    data = MemmapDataset(tmp_path / "x.npy", y, target_labels=[0, 1], chunk_size=250)
    picked = np.array([599, 3, 250, 3])
    rows = data[picked]
    assert isinstance(rows, SklearnDataset)
    np.testing.assert_array_equal(rows.x, x[picked])
    np.testing.assert_array_equal(rows.y, y[picked])
    assert data.chunk_bounds().tolist() == [0, 250, 500, 600]
    assert isinstance(data.x, np.memmap)
    np.testing.assert_array_equal(data[10:13].x, x[10:13])


def test_memmap_fingerprint_is_cached_until_the_file_changes(tmp_path):
    x, y = dense_pool(tmp_path)
    data = MemmapDataset(tmp_path / "x.npy", y, target_labels=[0, 1])
    first = data.fingerprint()
    assert data.fingerprint() == first == MemmapDataset(tmp_path / "x.npy", target_labels=[0, 1]).fingerprint()
    x[0, 0] += 1.0
    np.save(tmp_path / "x.npy", x)
    assert MemmapDataset(tmp_path / "x.npy", target_labels=[0, 1]).fingerprint() != first


def test_pickling_carries_the_path_not_the_features(tmp_path):
    x, y = dense_pool(tmp_path, n=20_000)
    data = MemmapDataset(tmp_path / "x.npy", y, target_labels=[0, 1])
    payload = pickle.dumps(data)
    assert len(payload) < x.nbytes / 2  # the labels (8 bytes a row) travel, the 32-byte rows do not
    np.testing.assert_array_equal(pickle.loads(payload)[[7, 19_999]].x, x[[7, 19_999]])
    _, _, folder, _ = sparse_pool(tmp_path)
    store = ChunkedSparseDataset(folder, target_labels=[0, 1])
    assert len(pickle.dumps(store)) < 10_000


def test_bad_files_are_refused(tmp_path):
    with pytest.raises(InvalidArgumentError, match=r"path must be an existing \.npy file, got '.*missing\.npy'"):
        MemmapDataset(tmp_path / "missing.npy", target_labels=[0, 1])
    np.save(tmp_path / "flat.npy", np.zeros(5))
    with pytest.raises(InvalidArgumentError, match=r"2-D numeric array, got shape \(5,\)"):
        MemmapDataset(tmp_path / "flat.npy", target_labels=[0, 1])
    bad = np.zeros((300, 2))
    bad[260, 1] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    with pytest.raises(NonFiniteFeaturesError, match="rows from 256 of x"):
        MemmapDataset(tmp_path / "nan.npy", target_labels=[0, 1], chunk_size=128)
    with pytest.raises(InvalidArgumentError, match="chunk_size must be an int >= 1, got 0"):
        MemmapDataset(tmp_path / "flat.npy", target_labels=[0, 1], chunk_size=0)
    with pytest.raises(InvalidArgumentError, match="must hold a chunked sparse store"):
        ChunkedSparseDataset(tmp_path, target_labels=[0, 1])


def test_sparse_store_rows_in_any_order(tmp_path):
    x, y, folder, rng = sparse_pool(tmp_path)
    data = ChunkedSparseDataset(folder, y, target_labels=[0, 1])
    assert len(data) == 600 and data.x.shape == (600, 40) and data.chunk_bounds()[:3].tolist() == [0, 97, 194]
    picked = rng.permutation(600)[:150]
    assert (data[picked].x != x[picked]).nnz == 0
    assert (data[np.sort(picked)].x != x[np.sort(picked)]).nnz == 0
    np.testing.assert_array_equal(data[picked].y, y[picked])
    assert data.fingerprint() == ChunkedSparseDataset(folder, target_labels=[0, 1]).fingerprint()


def test_writing_a_store_checks_every_chunk(tmp_path):
    with pytest.raises(InvalidArgumentError, match="every chunk must have 4 columns like the first, got 5 in chunk 1"):
        write_sparse_chunks(tmp_path / "a", [sp.eye(2, 4), sp.eye(2, 5)])
    with pytest.raises(InvalidArgumentError, match=r"chunks must be scipy\.sparse matrices, got ndarray at 0"):
        write_sparse_chunks(tmp_path / "b", [np.eye(2)])
    with pytest.raises(NonFiniteFeaturesError, match="chunk 0"):
        write_sparse_chunks(tmp_path / "c", [sp.csr_matrix(np.array([[np.inf, 1.0]]))])
    assert not (tmp_path / "a" / "manifest.json").exists()  # an interrupted write is not a store
    write_sparse_chunks(tmp_path / "d", [sp.eye(2, 4)])
    with pytest.raises(InvalidArgumentError, match="folder already holds a chunked sparse store"):
        write_sparse_chunks(tmp_path / "d", [sp.eye(2, 4)])


@pytest.mark.parametrize("kind", ["memmap", "sparse"])
def test_the_learner_makes_the_same_queries_on_disk_as_in_memory(tmp_path, kind):
    if kind == "memmap":
        x, y = dense_pool(tmp_path)
        on_disk = MemmapDataset(tmp_path / "x.npy", y, target_labels=[0, 1], chunk_size=128)
    else:
        x, y, folder, _ = sparse_pool(tmp_path)
        on_disk = ChunkedSparseDataset(folder, y, target_labels=[0, 1])
    in_memory = SklearnDataset(x, y, target_labels=[0, 1])
    initial = np.r_[np.flatnonzero(y == 0)[:3], np.flatnonzero(y == 1)[:3]]
    histories = []
    for dataset in (in_memory, on_disk):
        learner = PoolBasedActiveLearner(
            SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()), BreakingTies(seed=0, chunk_size=64), dataset
        )
        learner.initialize_data(initial, y[initial])
        history = []
        for _ in range(3):
            queried = learner.query(num_samples=10)
            history.append(queried.tolist())
            learner.update(y[queried])
        histories.append(history)
    assert histories[0] == histories[1]
