"""Data for simulations: the texts of a data set, and the features a classifier type trains on.

Texts come from a shared benchmark or from your own CSV or JSONL file (split into pool and test set when it has
no test file). Features that cost more than reading are prepared once, before the runs start, and stored in the
results folder's ``cache/``: TF-IDF matrices (with a 128-dimensional SVD projection for the strategies that need
vectors) and frozen-encoder embeddings. Every run of the same data set then reads the same arrays, in any worker
process or on any Dask worker that sees the results folder.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.data.datasets import Dataset, SklearnDataset, TextDataset
from activetext.simulation.components import CLASSIFIER_TYPES, FEATURE_OPTIONS, Features
from activetext.simulation.config import ComponentSpec, DatasetSpec

__all__ = ["PreparedData", "feature_path", "load_prepared", "load_texts", "prepare_features"]

SPLIT_SEED = 0
"""Seed of the pool/test split of your own files and of the pool and test subsamples: fixed, so every run of
every seed sees the same pool."""

SVD_COMPONENTS = 128
"""Dimensions of the vectors that representation strategies get from TF-IDF features."""


@dataclass(frozen=True)
class PreparedData:
    """What a run trains, queries and tests on.

    Attributes
    ----------
    train : Dataset
        The pool, with its true labels (the simulated annotator's answers).
    test : Dataset
        The test set.
    vectors : numpy.ndarray or None
        One vector per pool document for representation strategies; None when the classifier embeds the
        documents itself (fine-tuned classifiers).
    """

    train: Dataset
    test: Dataset
    vectors: np.ndarray | None


@functools.lru_cache(maxsize=8)
def load_texts(spec: DatasetSpec) -> tuple[TextDataset, TextDataset]:
    """Return the pool and the test set of a data set as text datasets (cached per process).

    Parameters
    ----------
    spec : DatasetSpec

    Returns
    -------
    (TextDataset, TextDataset)
    """
    if spec.benchmark is not None:
        from activetext.datasets import load_benchmark

        train, test = load_benchmark(spec.benchmark, "train"), load_benchmark(spec.benchmark, "test")
    else:
        train = _read_file(spec, spec.path)
        if spec.test_path is not None:
            test = _read_file(spec, spec.test_path, label_names=train.label_names, target_labels=train.target_labels)
        else:
            train, test = _split(train, spec.test_fraction)
    return _subsample(train, spec.pool_size), _subsample(test, spec.test_size)


def _read_file(spec: DatasetSpec, path: str | None, label_names: Any = None, target_labels: Any = None) -> TextDataset:
    from activetext.data.loaders import from_csv, from_jsonl

    assert path is not None
    kwargs: dict[str, Any] = {"label_names": label_names, "target_labels": target_labels}
    if spec.multi_label is not None:
        kwargs["multi_label"] = spec.multi_label
    reader = from_csv if Path(path).suffix.lower() in (".csv", ".tsv") else from_jsonl
    if Path(path).suffix.lower() == ".tsv":
        kwargs["delimiter"] = "\t"
    return reader(path, spec.text_column, spec.label_column, **kwargs)


def _split(dataset: TextDataset, test_fraction: float) -> tuple[TextDataset, TextDataset]:
    from sklearn.model_selection import train_test_split

    indices = np.arange(len(dataset))
    stratify = None
    if not dataset.is_multi_label:
        counts = np.bincount(dataset.y, minlength=dataset.num_classes)
        if counts[counts > 0].min() >= 2:
            stratify = dataset.y
    train, test = train_test_split(indices, test_size=test_fraction, random_state=SPLIT_SEED, stratify=stratify)
    return dataset[np.sort(train)], dataset[np.sort(test)]


def _subsample(dataset: TextDataset, size: int | None) -> TextDataset:
    if size is None or size >= len(dataset):
        return dataset
    chosen = np.random.default_rng(SPLIT_SEED).choice(len(dataset), size, replace=False)
    return dataset[np.sort(chosen)]


# --- features ---------------------------------------------------------------------------------------------


def feature_options(classifier: ComponentSpec) -> dict[str, Any]:
    """The options of a classifier entry that shape its features (see ``FEATURE_OPTIONS``)."""
    features = CLASSIFIER_TYPES[classifier.type].features
    return {k: v for k, v in classifier.options.items() if k in FEATURE_OPTIONS[features]}


def feature_path(spec: DatasetSpec, classifier: ComponentSpec, cache_dir: str | Path) -> Path | None:
    """Where the prepared features of a data set for a classifier entry are stored (None: texts are used)."""
    features = CLASSIFIER_TYPES[classifier.type].features
    if features is Features.TEXT:
        return None
    identity = {"dataset": asdict(spec), "features": features.value, "options": feature_options(classifier)}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Path(cache_dir) / f"{spec.name}-{features.value}-{digest}.npz"


def prepare_features(
    spec: DatasetSpec,
    classifier: ComponentSpec,
    cache_dir: str | Path,
    on_progress: Callable[[str], None] | None = None,
) -> Path | None:
    """Compute and store the features of a data set for a classifier entry, unless they are stored already.

    Parameters
    ----------
    spec : DatasetSpec
    classifier : ComponentSpec
    cache_dir : str or path-like
        The folder of prepared features.
    on_progress : callable, optional
        Called with a short description before the work starts.

    Returns
    -------
    pathlib.Path or None
        The stored file, or None when the classifier reads texts.
    """
    path = feature_path(spec, classifier, cache_dir)
    if path is None or path.exists():
        return path
    if on_progress is not None:
        on_progress(f"preparing {CLASSIFIER_TYPES[classifier.type].features.value} features of {spec.name}")
    train, test = load_texts(spec)
    options = feature_options(classifier)
    if CLASSIFIER_TYPES[classifier.type].features is Features.TFIDF:
        x_train, x_test, vectors = _tfidf(train, test, options.get("vectorizer", {}))
    else:
        x_train, x_test = _encode(train, test, options)
        vectors = x_train
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {
        "vectors": vectors,
        "num_classes": np.array(train.num_classes),
        **_matrix_arrays("x_train", x_train),
        **_matrix_arrays("x_test", x_test),
        **_matrix_arrays("y_train", train.y),
        **_matrix_arrays("y_test", test.y),
    }
    partial = path.with_suffix(".partial.npz")
    np.savez(partial, **arrays)
    partial.replace(path)
    return path


def _tfidf(train: TextDataset, test: TextDataset, vectorizer_options: dict[str, Any]) -> tuple[Any, Any, np.ndarray]:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    options = {"sublinear_tf": True, **vectorizer_options}
    vectorizer = TfidfVectorizer(**options)
    x_train = vectorizer.fit_transform(train.x).astype(np.float32)
    x_test = vectorizer.transform(test.x).astype(np.float32)
    components = max(1, min(SVD_COMPONENTS, x_train.shape[1] - 1))
    svd = TruncatedSVD(n_components=components, random_state=SPLIT_SEED).fit(x_train)
    vectors = normalize(svd.transform(x_train)).astype(np.float32)
    return sp.csr_matrix(x_train), sp.csr_matrix(x_test), vectors


def _encode(train: TextDataset, test: TextDataset, options: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    from activetext.encoders.sentence_transformer import SentenceTransformerEncoder

    encoder = SentenceTransformerEncoder(options.get("model"), batch_size=options.get("encode_batch_size", 64))
    return encoder.encode(list(train.x)).astype(np.float32), encoder.encode(list(test.x)).astype(np.float32)


def _matrix_arrays(prefix: str, matrix: Any) -> dict[str, np.ndarray]:
    if sp.issparse(matrix):
        matrix = sp.csr_matrix(matrix)
        return {
            f"{prefix}_data": matrix.data,
            f"{prefix}_indices": matrix.indices,
            f"{prefix}_indptr": matrix.indptr,
            f"{prefix}_shape": np.array(matrix.shape),
        }
    return {prefix: np.asarray(matrix)}


def _matrix(arrays: Any, prefix: str) -> Any:
    if prefix in arrays:
        return arrays[prefix]
    return sp.csr_matrix(
        (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]),
        shape=tuple(arrays[f"{prefix}_shape"]),
    )


@functools.lru_cache(maxsize=4)
def load_prepared(spec: DatasetSpec, classifier: ComponentSpec, cache_dir: str) -> PreparedData:
    """Return what a run of ``classifier`` on ``spec`` uses (cached per process).

    The features must have been prepared by :func:`prepare_features`; fine-tuned classifiers get the texts.
    """
    train, test = load_texts(spec)
    path = feature_path(spec, classifier, cache_dir)
    if path is None:
        return PreparedData(train, test, None)
    with np.load(path) as arrays:
        x_train, x_test, vectors = _matrix(arrays, "x_train"), _matrix(arrays, "x_test"), arrays["vectors"]
    labels = {"target_labels": train.target_labels, "label_names": train.label_names}
    return PreparedData(SklearnDataset(x_train, train.y, **labels), SklearnDataset(x_test, test.y, **labels), vectors)
