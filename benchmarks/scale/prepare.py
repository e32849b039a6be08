"""Build the 1M-document pools once (git-ignored, in benchmarks/.work/scale/).

* TF-IDF pool: the training texts of every shared data set (129k texts, shuffled), repeated 8 times, every
  copy but the first with one random word dropped and two neighbouring words swapped (so copies are not exact
  duplicates), hashed (2^18 features, unigrams and bigrams) and weighted by an IDF fitted on the originals,
  written in chunks of 65,536 rows by ``write_sparse_chunks``. The label is the data set a text comes from.
* Embedding pool: a sample of the texts encoded with all-MiniLM-L6-v2 by ``encode_to_memmap`` (this gives the
  encoding throughput), then repeated with small Gaussian noise (sigma 0.02 per dimension, rows renormalized) to
  1M rows. Encoding 1M texts on 2 cores would take hours; the pool's vectors are perturbed copies of encoded ones.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from common import (
    EMBEDDINGS,
    LABELS,
    N_FEATURES,
    POOL_SIZE,
    SAMPLE_EMBEDDINGS,
    SEED,
    STORE_CHUNK,
    TFIDF_DIR,
    WORK_DIR,
)

SHARED = Path(__file__).resolve().parents[3] / "shared" / "datasets"


def read_texts() -> tuple[list[str], np.ndarray, list[str]]:
    texts, labels, names = [], [], []
    for number, folder in enumerate(sorted(path for path in SHARED.iterdir() if (path / "train.jsonl").is_file())):
        names.append(folder.name)
        with open(folder / "train.jsonl", encoding="utf-8") as handle:
            for line in handle:
                text = json.loads(line)["text"].strip()
                if text:
                    texts.append(text)
                    labels.append(number)
    return texts, np.asarray(labels, dtype=np.int64), names


def perturbed(texts: list[str], copy: int, rng: np.random.Generator) -> list[str]:
    if copy == 0:
        return texts
    out = []
    draws = rng.random((len(texts), 2))
    for text, (drop, swap) in zip(texts, draws, strict=True):
        words = text.split()
        if len(words) > 3:
            del words[int(drop * len(words))]
            at = int(swap * (len(words) - 1))
            words[at], words[at + 1] = words[at + 1], words[at]
        out.append(" ".join(words))
    return out


def build_tfidf(texts: list[str], labels: np.ndarray) -> dict:
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer

    from activetext.data.ondisk import write_sparse_chunks

    order = np.random.default_rng(SEED + 1).permutation(len(texts))  # every prefix of the pool mixes the sources
    texts, labels = [texts[i] for i in order], labels[order]
    hasher = HashingVectorizer(n_features=N_FEATURES, ngram_range=(1, 2), alternate_sign=False, norm=None)
    idf = TfidfTransformer().fit(hasher.transform(texts))
    rng = np.random.default_rng(SEED)
    copies = -(-POOL_SIZE // len(texts))
    start = time.perf_counter()

    def rows():
        pending: list[str] = []
        produced = 0
        for copy in range(copies):
            pending.extend(perturbed(texts, copy, rng))
            while len(pending) >= STORE_CHUNK or (copy == copies - 1 and pending):
                take = min(STORE_CHUNK, POOL_SIZE - produced)
                chunk, pending = pending[:take], pending[take:]
                produced += take
                yield idf.transform(hasher.transform(chunk))
                if produced >= POOL_SIZE:
                    return

    write_sparse_chunks(TFIDF_DIR, rows())
    np.save(LABELS["tfidf"], np.tile(labels, copies)[:POOL_SIZE])
    return {"seconds": time.perf_counter() - start, "copies": copies}


def build_embeddings(texts: list[str], labels: np.ndarray, sample: int) -> dict:
    from activetext.encoders import SentenceTransformerEncoder
    from activetext.encoders.chunked import encode_to_memmap

    rng = np.random.default_rng(SEED)
    chosen = rng.choice(len(texts), sample, replace=False)  # random order: every prefix mixes the sources
    encoder = SentenceTransformerEncoder(device="cpu", batch_size=64)
    encoder.encode(["warm up"])  # loading the model is not encoding throughput
    run = encode_to_memmap(encoder, [texts[i] for i in chosen], SAMPLE_EMBEDDINGS, chunk_size=1024)
    vectors = np.load(SAMPLE_EMBEDDINGS)
    out = np.lib.format.open_memmap(EMBEDDINGS, mode="w+", dtype=np.float32, shape=(POOL_SIZE, vectors.shape[1]))
    block = 50_000
    for start in range(0, POOL_SIZE, block):
        rows = np.arange(start, min(start + block, POOL_SIZE))
        noisy = vectors[rows % sample] + rng.normal(0, 0.02, size=(rows.size, vectors.shape[1])).astype(np.float32)
        out[rows] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    out.flush()
    np.save(LABELS["embeddings"], labels[chosen][np.arange(POOL_SIZE) % sample])
    return {
        "sample": sample,
        "texts_per_second": run.texts_per_second,
        "seconds": run.seconds,
        "encoded": run.encoded,
        "resumed_from_chunk": run.resumed_from,
        "dim": int(vectors.shape[1]),
        "mean_words_per_text": float(np.mean([len(texts[i].split()) for i in chosen])),
        "note": "throughput of this run only (chunks encoded by an interrupted earlier run are not counted)",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", type=int, default=20_000, help="texts encoded for the throughput figure")
    args = parser.parse_args()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    meta_path = WORK_DIR / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    texts, labels, names = read_texts()
    meta["sources"] = {"data_sets": names, "texts": len(texts)}
    if not (TFIDF_DIR / "manifest.json").is_file():
        meta["tfidf"] = build_tfidf(texts, labels)
        print("tfidf", meta["tfidf"], flush=True)
    if not EMBEDDINGS.is_file() or meta.get("embeddings", {}).get("sample") != args.sample:
        meta["embeddings"] = build_embeddings(texts, labels, args.sample)
        print("embeddings", meta["embeddings"], flush=True)
    meta_path.write_text(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
