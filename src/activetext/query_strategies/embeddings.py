"""Where representation strategies get their vectors from.

An :class:`EmbeddingSource` turns rows of the pool into dense float32 vectors:

* :class:`ClassifierEmbeddings`: the classifier's own representation (needs
  :class:`~activetext.classifiers.capabilities.SupportsEmbeddings`);
* :class:`PrecomputedEmbeddings`: an array (or memory-mapped file) aligned with the dataset, for example the
  output of a sentence encoder computed once;
* :class:`FeatureEmbeddings`: the dataset's own feature matrix, dense as it is, or sparse (TF-IDF) projected to a
  few hundred dimensions by a truncated SVD fitted once on the whole pool.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.classifiers.base import Classifier
from activetext.classifiers.capabilities import SupportsEmbeddings, require
from activetext.data.datasets import Dataset
from activetext.exceptions import InvalidArgumentError, NonFiniteFeaturesError
from activetext.utils.chunking import DEFAULT_CHUNK_SIZE
from activetext.utils.random import Seed, make_rng, random_state_from
from activetext.utils.validation import check_positive_int

__all__ = [
    "ClassifierEmbeddings",
    "EmbeddingSource",
    "FeatureEmbeddings",
    "PrecomputedEmbeddings",
    "check_embedding_source",
    "embed_all",
    "unit_rows",
]


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Return ``vectors`` with every row scaled to unit L2 norm (zero rows stay zero)."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), np.finfo(np.float32).tiny)


class EmbeddingSource(ABC):
    """Maps documents of a dataset to dense vectors.

    Parameters
    ----------
    normalize : bool
        Whether to scale every vector to unit L2 norm (Euclidean distances then rank like cosine distances).
    """

    def __init__(self, normalize: bool = False):
        self.normalize = bool(normalize)

    def embed(self, clf: Classifier | None, dataset: Dataset, indices: np.ndarray) -> np.ndarray:
        """Return a float32 ``(len(indices), dim)`` array for the documents at ``indices``.

        Raises
        ------
        NonFiniteFeaturesError
            If a vector holds NaN or infinity, also after the cast to float32 (magnitudes above about 3.4e38).
        """
        with np.errstate(over="ignore", invalid="ignore"):
            vectors = np.asarray(self._embed(clf, dataset, np.asarray(indices, dtype=np.int64)), dtype=np.float32)
        if not np.isfinite(vectors).all():
            rows = np.flatnonzero(~np.isfinite(vectors).all(axis=1))
            raise NonFiniteFeaturesError(
                f"{type(self).__name__} gave vectors with NaN or infinity for documents "
                f"{np.asarray(indices)[rows[:8]].tolist()} (as float32, which holds magnitudes up to 3.4e38)"
            )
        return unit_rows(vectors) if self.normalize else vectors

    @abstractmethod
    def _embed(self, clf: Classifier | None, dataset: Dataset, indices: np.ndarray) -> np.ndarray:
        """Return the raw vectors of the documents at ``indices``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(normalize={self.normalize})"


class ClassifierEmbeddings(EmbeddingSource):
    """The classifier's own representation, from its ``embed`` method."""

    def _embed(self, clf: Classifier | None, dataset: Dataset, indices: np.ndarray) -> np.ndarray:
        require(clf, SupportsEmbeddings, needed_by="ClassifierEmbeddings")
        return clf.embed(dataset[indices])


class PrecomputedEmbeddings(EmbeddingSource):
    """Vectors computed beforehand, one row per document of the dataset (a numpy array or ``np.memmap``).

    Parameters
    ----------
    vectors : numpy.ndarray of shape (n_samples, dim)
        Row ``i`` belongs to document ``i`` of the dataset the strategies are used with.
    normalize : bool
        Whether to scale rows to unit length when they are read.
    """

    def __init__(self, vectors: Any, normalize: bool = False):
        super().__init__(normalize)
        if np.ndim(vectors) != 2:
            raise InvalidArgumentError(f"vectors must be a 2-D array (n_samples, dim), got shape {np.shape(vectors)}")
        self.vectors = vectors

    def _embed(self, clf: Classifier | None, dataset: Dataset, indices: np.ndarray) -> np.ndarray:
        if self.vectors.shape[0] != len(dataset):
            raise InvalidArgumentError(
                f"PrecomputedEmbeddings holds {self.vectors.shape[0]} vectors but the dataset has {len(dataset)} "
                "documents; the rows must be aligned with the dataset"
            )
        return self.vectors[indices]


class FeatureEmbeddings(EmbeddingSource):
    """The dataset's feature matrix as vectors; sparse features are projected by a truncated SVD.

    The SVD is fitted once, on the whole pool, the first time a dataset is seen (a fit costs seconds on
    100 thousand TF-IDF rows) and reused for later queries on the same dataset.

    Parameters
    ----------
    n_components : int
        Dimensions kept by the SVD of sparse features (dense features, and a single sparse feature, are used as
        they are).
    normalize : bool
        Whether to scale vectors to unit length (the default: TF-IDF directions matter, not lengths).
    seed : None, int or numpy.random.Generator
        Seed of the randomized SVD.
    """

    def __init__(self, n_components: int = 128, normalize: bool = True, seed: Seed = 0):
        super().__init__(normalize)
        self.n_components = check_positive_int(n_components, name="n_components")
        self.seed = seed
        self._fitted_for: str | None = None
        self._svd: Any = None

    def _embed(self, clf: Classifier | None, dataset: Dataset, indices: np.ndarray) -> np.ndarray:
        x = dataset.x
        if not (sp.issparse(x) or (isinstance(x, np.ndarray) and np.issubdtype(x.dtype, np.number))):
            raise InvalidArgumentError(
                "FeatureEmbeddings needs a feature matrix; this dataset holds texts: use PrecomputedEmbeddings with "
                "an encoder's vectors instead"
            )
        if not sp.issparse(x):
            return x[indices]
        if x.shape[1] < 2:  # a single feature: nothing to project (the SVD needs fewer components than features)
            return x[indices].toarray()
        fingerprint = dataset.fingerprint()
        if self._fitted_for != fingerprint:
            from sklearn.decomposition import TruncatedSVD

            components = min(self.n_components, x.shape[1] - 1)
            random_state = random_state_from(make_rng(self.seed))
            self._svd = TruncatedSVD(n_components=components, random_state=random_state).fit(x)
            self._fitted_for = fingerprint
        return self._svd.transform(x[indices])


def embed_all(
    source: EmbeddingSource,
    clf: Classifier | None,
    dataset: Dataset,
    indices: np.ndarray,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> np.ndarray:
    """Embed the documents at ``indices`` ``chunk_size`` at a time into one float32 array."""
    indices = np.asarray(indices, dtype=np.int64)
    if indices.size == 0:
        probe = source.embed(clf, dataset, np.arange(min(1, len(dataset))))
        return np.empty((0, probe.shape[1]), dtype=np.float32)
    first = source.embed(clf, dataset, indices[:chunk_size])
    vectors = np.empty((indices.size, first.shape[1]), dtype=np.float32)
    vectors[: first.shape[0]] = first
    for start in range(chunk_size, indices.size, chunk_size):
        vectors[start : start + chunk_size] = source.embed(clf, dataset, indices[start : start + chunk_size])
    return vectors


def check_embedding_source(embeddings: Any) -> EmbeddingSource:
    """Return ``embeddings`` after checking that it is an :class:`EmbeddingSource`."""
    if not isinstance(embeddings, EmbeddingSource):
        raise InvalidArgumentError(
            "embeddings must be an EmbeddingSource (ClassifierEmbeddings, PrecomputedEmbeddings, ...), "
            f"got {embeddings!r} ({type(embeddings).__name__})"
        )
    return embeddings
