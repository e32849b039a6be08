"""Scoring on a real Dask LocalCluster (two worker processes) selects exactly what this machine selects."""

from __future__ import annotations

import os

import numpy as np
import pytest

from activetext.classifiers import ConfidenceEnhancedLinearSVC
from activetext.classifiers.factories import SklearnClassifierFactory
from activetext.data import SklearnDataset
from activetext.data.ondisk import ChunkedSparseDataset, MemmapDataset, write_sparse_chunks
from activetext.query_strategies import BreakingTies, GreedyCoreset, PrecomputedEmbeddings
from activetext.query_strategies.chunked import TopCandidates

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, memory_limit="1GiB"
        ) as local,
        distributed.Client(local, set_as_default=False) as client,
    ):
        yield local, client


def pid_of_worker() -> int:
    return os.getpid()


def test_workers_are_separate_processes(cluster):
    _, client = cluster
    pids = set(client.run(pid_of_worker).values())
    assert len(pids) == 2 and os.getpid() not in pids


def test_memmap_pool_on_the_cluster_equals_this_machine(cluster, tmp_path):
    local, client = cluster
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6000, 10)).astype(np.float32)
    y = np.argmax(x[:, :4], axis=1)
    np.save(tmp_path / "x.npy", x)
    pool = MemmapDataset(tmp_path / "x.npy", y, target_labels=np.arange(4), chunk_size=1000)
    labeled = rng.choice(6000, 80, replace=False)
    unlabeled = np.setdiff1d(np.arange(6000), labeled)
    clf = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()).new().fit(pool[labeled])

    here = TopCandidates(BreakingTies(), keep=300, chunk_size=400, seed=7)
    there = TopCandidates(BreakingTies(), keep=300, chunk_size=400, client=client, seed=7)
    by_address = TopCandidates(BreakingTies(), keep=300, chunk_size=400, client=local.scheduler_address, seed=7)
    whole = BreakingTies(seed=0).query(
        clf, SklearnDataset(x, y, target_labels=np.arange(4)), unlabeled, labeled, y[labeled], n=40
    )
    try:
        results = [s.query(clf, pool, unlabeled, labeled, y[labeled], n=40) for s in (here, there, by_address)]
    finally:
        by_address.close()
    assert results[0].tolist() == results[1].tolist() == results[2].tolist() == whole.tolist()
    np.testing.assert_array_equal(here.last_scores, there.last_scores)
    assert there.last_timings["scoring"] > 0

    here = TopCandidates(BreakingTies(), keep=300, then=GreedyCoreset(PrecomputedEmbeddings(pool.x), seed=0), seed=7)
    there = TopCandidates(
        BreakingTies(), keep=300, then=GreedyCoreset(PrecomputedEmbeddings(pool.x), seed=0), client=client, seed=7
    )
    assert (
        here.query(clf, pool, unlabeled, labeled, y[labeled], n=20).tolist()
        == there.query(clf, pool, unlabeled, labeled, y[labeled], n=20).tolist()
    )


def test_sparse_store_on_the_cluster_with_ties_equals_this_machine(cluster, tmp_path):
    _, client = cluster
    rng = np.random.default_rng(1)
    prototypes = (rng.random((25, 30)) < 0.2) * rng.integers(1, 3, size=(25, 30))
    dense = prototypes[rng.integers(25, size=4000)]  # 25 distinct rows: many documents tie on every score
    import scipy.sparse as sp

    x = sp.csr_matrix(dense.astype(np.float32))
    y = (dense[:, :15].sum(axis=1) > dense[:, 15:].sum(axis=1)).astype(int)
    folder = write_sparse_chunks(tmp_path / "store", (x[i : i + 900] for i in range(0, 4000, 900)))
    pool = ChunkedSparseDataset(folder, y, target_labels=[0, 1])
    labeled = np.arange(50)
    clf = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()).new().fit(pool[labeled])
    unlabeled = np.arange(50, 4000)
    here = TopCandidates(BreakingTies(), chunk_size=256, seed=3).query(clf, pool, unlabeled, labeled, y[labeled], 60)
    there = TopCandidates(BreakingTies(), chunk_size=256, client=client, seed=3).query(
        clf, pool, unlabeled, labeled, y[labeled], 60
    )
    scores = BreakingTies.score_probabilities(clf.predict_proba(pool[unlabeled]))
    assert np.unique(scores).size <= 25  # ties at the cut: the index keys decide them, the same way everywhere
    assert here.tolist() == there.tolist()
