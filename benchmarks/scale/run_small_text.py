"""One small-text 1.4.1 measurement, in its own venv (benchmarks/.venv-small-text), in a fresh process.

    benchmarks/.venv-small-text/bin/python benchmarks/scale/run_small_text.py --setup tfidf \
        --strategy breaking_ties --size 100000

The same pool, initial labels, classifier (ConfidenceEnhancedLinearSVC) and batch as activetext's runner, read
into memory (small-text has no on-disk dataset). Its GreedyCoreset and SEALS take vectors from ``clf.embed``: the
classifier below returns the embedding pool's rows as they are, or the TF-IDF rows projected like activetext's
runner does. There is no "coreset on candidates" composition in small-text, so its coreset runs on the pool.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from common import (
    BATCH,
    EMBEDDINGS,
    ITERATIONS,
    LABELS,
    N_FEATURES,
    NUM_CLASSES,
    TFIDF_DIR,
    emit,
    initial_labeled,
    peak_rss_mib,
    read_store_rows,
)
from small_text import SEALS, BreakingTies, GreedyCoreset, SklearnDataset
from small_text.classifiers import ConfidenceEnhancedLinearSVC, SklearnClassifier

import hnswlib  # noqa: F401  isort: skip  (SEALS imports it inside query)


class EmbeddingClassifier(SklearnClassifier):
    """small-text's SklearnClassifier with ``embed``: dense rows as they are, sparse rows projected to 256 dims."""

    projection = None

    def embed(self, data_set, return_proba=False, pbar=None, **kwargs):
        x = data_set.x
        if not isinstance(x, np.ndarray):
            x = self.projection.transform(x).astype(np.float32)
            x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        return (x, self.predict_proba(data_set)) if return_proba else x


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--setup", choices=["tfidf", "embeddings"], required=True)
    parser.add_argument("--strategy", choices=["breaking_ties", "coreset", "seals"], required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--iterations", type=int, default=ITERATIONS)
    args = parser.parse_args()
    start = time.perf_counter()
    y = np.load(LABELS[args.setup])[: args.size]
    if args.setup == "tfidf":
        import scipy.sparse as sp
        from sklearn.random_projection import SparseRandomProjection

        x = read_store_rows(TFIDF_DIR, args.size)
        EmbeddingClassifier.projection = SparseRandomProjection(
            n_components=256, dense_output=True, random_state=0
        ).fit(sp.csr_matrix((1, N_FEATURES), dtype=np.float32))
    else:
        x = np.array(np.load(EMBEDDINGS, mmap_mode="r")[: args.size])
    dataset = SklearnDataset(x, y)
    opened = time.perf_counter() - start
    strategy = {
        "breaking_ties": lambda: BreakingTies(),
        "coreset": lambda: GreedyCoreset(),
        "seals": lambda: SEALS(BreakingTies(), k=100),
    }[args.strategy]()
    labeled = initial_labeled(args.size)
    iterations = []
    for _ in range(args.iterations):
        t0 = time.perf_counter()
        clf = EmbeddingClassifier(ConfidenceEnhancedLinearSVC(), NUM_CLASSES)
        clf.fit(dataset[labeled])
        t1 = time.perf_counter()
        unlabeled = np.setdiff1d(np.arange(args.size), labeled)
        picked = strategy.query(clf, dataset, unlabeled, labeled, y[labeled], n=BATCH)
        t2 = time.perf_counter()
        iterations.append({"training_s": t1 - t0, "query_s": t2 - t1, "total_s": t2 - t0, "labeled": int(labeled.size)})
        labeled = np.union1d(labeled, picked)
    emit(
        {
            "library": "small-text",
            "setup": args.setup,
            "strategy": args.strategy,
            "size": args.size,
            "status": "ok",
            "open_s": opened,
            "iterations": iterations,
            "peak_rss_mib": peak_rss_mib(),
        }
    )


if __name__ == "__main__":
    main()
