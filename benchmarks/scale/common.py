"""Constants and helpers shared by the scale benchmark's scripts, in both virtual environments (numpy only)."""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

import numpy as np

BENCHMARKS_DIR = Path(__file__).resolve().parents[1]
WORK_DIR = BENCHMARKS_DIR / ".work" / "scale"
RESULTS_DIR = BENCHMARKS_DIR / "results" / "scale"
TFIDF_DIR = WORK_DIR / "tfidf"  # a chunked CSR store (activetext.data.ondisk.write_sparse_chunks)
EMBEDDINGS = WORK_DIR / "embeddings.npy"  # (POOL_SIZE, 384) float32
SAMPLE_EMBEDDINGS = WORK_DIR / "sample_embeddings.npy"  # the encoded sample
LABELS = {"tfidf": WORK_DIR / "y_tfidf.npy", "embeddings": WORK_DIR / "y_embeddings.npy"}

POOL_SIZE = 1_000_000
N_FEATURES = 2**18
STORE_CHUNK = 65_536
NUM_CLASSES = 10  # the label of a document is the shared data set its text comes from
INITIAL_LABELED = 1_000
BATCH = 100
ITERATIONS = 3
SEED = 0


def initial_labeled(size: int) -> np.ndarray:
    """The documents labeled before the first iteration: the same draw for both libraries."""
    return np.sort(np.random.default_rng(SEED).choice(size, INITIAL_LABELED, replace=False)).astype(np.int64)


def peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def read_store_rows(folder: Path, size: int):
    """The first ``size`` rows of a chunked CSR store as one in-memory matrix (scipy only: small-text's venv)."""
    import scipy.sparse as sp

    manifest = json.loads((folder / "manifest.json").read_text())
    parts, rows = [], 0
    for entry in manifest["chunks"]:
        if rows >= size:
            break
        matrix = sp.load_npz(folder / entry["file"]).tocsr()
        parts.append(matrix[: size - rows])
        rows += parts[-1].shape[0]
    return sp.vstack(parts, format="csr")


def emit(result: dict) -> None:
    print("RESULT " + json.dumps(result), flush=True)
