"""One activetext measurement: ITERATIONS active learning iterations on one pool, in a fresh process.

    .venv/bin/python benchmarks/scale/run_activetext.py --setup tfidf --strategy breaking_ties --size 1000000

Each iteration trains a fresh ConfidenceEnhancedLinearSVC on the labeled documents (read from disk), queries
BATCH documents and labels them with their true labels. Printed: one ``RESULT {json}`` line.
"""

from __future__ import annotations

import argparse
import copy
import functools
import time

import numpy as np
from common import BATCH, EMBEDDINGS, ITERATIONS, LABELS, NUM_CLASSES, TFIDF_DIR, emit, initial_labeled, peak_rss_mib

from activetext.classifiers import ConfidenceEnhancedLinearSVC
from activetext.classifiers.factories import SklearnClassifierFactory
from activetext.data.ondisk import ChunkedSparseDataset, MemmapDataset
from activetext.query_strategies import SEALS, BreakingTies, EmbeddingSource, GreedyCoreset, PrecomputedEmbeddings
from activetext.query_strategies.chunked import TopCandidates
from activetext.vector_indexes import ExactIndex, HnswIndex

CHUNK = 65_536
CANDIDATES = 10_000  # kept by breaking ties for the coreset
SEALS_K = 100


class ProjectedFeatures(EmbeddingSource):
    """Sparse rows projected to 256 dense dimensions (a sparse random projection): vectors for TF-IDF pools."""

    def __init__(self, n_features: int):
        super().__init__(normalize=True)
        import scipy.sparse as sp
        from sklearn.random_projection import SparseRandomProjection

        self.projection = SparseRandomProjection(n_components=256, dense_output=True, random_state=0).fit(
            sp.csr_matrix((1, n_features), dtype=np.float32)
        )

    def _embed(self, clf, dataset, indices):
        return self.projection.transform(dataset[indices].x).astype(np.float32)


class TimedBreakingTies(BreakingTies):
    """BreakingTies that adds the seconds it spends scoring to ``seconds`` (SEALS' base strategy)."""

    seconds = 0.0

    def score(self, *args):
        start = time.perf_counter()
        try:
            return super().score(*args)
        finally:
            TimedBreakingTies.seconds += time.perf_counter() - start


def build(setup: str, strategy: str, size: int, client, seals_index: str):
    y = np.load(LABELS[setup])  # a pool of `size` documents: the first `size` rows are the candidates
    if setup == "tfidf":
        dataset = ChunkedSparseDataset(TFIDF_DIR, y, target_labels=np.arange(NUM_CLASSES))
        vectors: EmbeddingSource = ProjectedFeatures(dataset.x.shape[1])
    else:
        dataset = MemmapDataset(EMBEDDINGS, y, target_labels=np.arange(NUM_CLASSES), check_finite=False)
        vectors = PrecomputedEmbeddings(dataset.x)
    if strategy == "breaking_ties":
        chosen = TopCandidates(BreakingTies(), chunk_size=CHUNK, client=client, seed=0)
    elif strategy == "coreset":
        chosen = TopCandidates(
            BreakingTies(),
            keep=CANDIDATES,
            then=GreedyCoreset(vectors, seed=0),
            chunk_size=CHUNK,
            client=client,
            seed=0,
        )
    else:
        factory = (
            ExactIndex
            if seals_index == "exact"
            else functools.partial(HnswIndex, M=16, ef_construction=64, num_threads=2)
        )
        chosen = SEALS(
            TimedBreakingTies(seed=0, chunk_size=CHUNK), vectors, k=SEALS_K, index_factory=factory, chunk_size=CHUNK
        )
    return dataset, y, chosen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--setup", choices=["tfidf", "embeddings"], required=True)
    parser.add_argument("--strategy", choices=["breaking_ties", "coreset", "seals"], required=True)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--iterations", type=int, default=ITERATIONS)
    parser.add_argument("--dask-workers", type=int, default=0, help="score on a LocalCluster of this many processes")
    parser.add_argument("--seals-index", choices=["exact", "hnsw"], default="exact")
    args = parser.parse_args()

    cluster = client = None
    if args.dask_workers:
        import distributed

        cluster = distributed.LocalCluster(
            n_workers=args.dask_workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = distributed.Client(cluster, set_as_default=False)
    start = time.perf_counter()
    dataset, y, strategy = build(args.setup, args.strategy, args.size, client, args.seals_index)
    opened = time.perf_counter() - start
    factory = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC(), num_classes=NUM_CLASSES)
    labeled = initial_labeled(args.size)
    iterations, equal_to_single_machine = [], []
    for _ in range(args.iterations):
        t0 = time.perf_counter()
        clf = factory.new().fit(dataset[labeled])
        t1 = time.perf_counter()
        unlabeled = np.setdiff1d(np.arange(args.size), labeled)
        TimedBreakingTies.seconds = 0.0
        if client is not None:  # the single-machine check below needs `then` in the state it has now
            then_before = copy.copy(strategy.then)
            if then_before is not None:
                then_before.rng = copy.deepcopy(strategy.then.rng)
        picked = strategy.query(clf, dataset, unlabeled, labeled, y[labeled], n=BATCH)
        t2 = time.perf_counter()
        if isinstance(strategy, TopCandidates):
            scoring = strategy.last_timings["scoring"]  # on a cluster: worker seconds, summed over chunks
        else:
            scoring = TimedBreakingTies.seconds
        query = t2 - t1
        iterations.append(
            {
                "training_s": t1 - t0,
                "query_s": query,
                "scoring_s": scoring,
                "selection_s": None if scoring is None else query - scoring,
                "total_s": t2 - t0,
                "labeled": int(labeled.size),
            }
        )
        if client is not None:  # the same query on this machine alone must pick the same documents
            here = TopCandidates(strategy.scorer, keep=strategy.keep, then=then_before, chunk_size=CHUNK, seed=0)
            equal_to_single_machine.append(
                here.query(clf, dataset, unlabeled, labeled, y[labeled], n=BATCH).tolist() == picked.tolist()
            )
        labeled = np.union1d(labeled, picked)
    result = {
        "library": "activetext",
        "setup": args.setup,
        "strategy": args.strategy,
        "size": args.size,
        "status": "ok",
        "open_s": opened,
        "iterations": iterations,
        "peak_rss_mib": peak_rss_mib(),
    }
    if client is not None:
        import resource

        worker_peaks = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        result.update(
            dask_workers=args.dask_workers,
            worker_peak_rss_mib=sorted(worker_peaks.values()),
            equal_to_single_machine=equal_to_single_machine,
        )
        client.close()
        cluster.close()
    emit(result)


if __name__ == "__main__":
    main()
