"""TF-IDF as an encoder: sparse term weights projected to dense vectors, so strategies see one interface."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from activetext.encoders.base import Encoder, check_texts
from activetext.exceptions import NotInitializedError
from activetext.utils.io import load_joblib
from activetext.utils.random import Seed, make_rng, random_state_from
from activetext.utils.validation import check_positive_int

__all__ = ["TfidfEncoder"]


class TfidfEncoder(Encoder):
    """TF-IDF vectors of a fitted vocabulary, projected to ``n_components`` dimensions by a truncated SVD.

    Call :meth:`fit` once on the pool's texts (the vocabulary and the projection are learned there), then
    :meth:`encode` any texts.

    Parameters
    ----------
    n_components : int
        The dimension of the vectors.
    seed : None, int or numpy.random.Generator
        Seed of the randomized SVD.
    vectorizer_options : dict, optional
        Keyword arguments for :class:`sklearn.feature_extraction.text.TfidfVectorizer`
        (default: ``sublinear_tf=True``).
    """

    def __init__(self, n_components: int = 256, seed: Seed = 0, vectorizer_options: dict[str, Any] | None = None):
        self.n_components = check_positive_int(n_components, name="n_components")
        self.seed = seed
        self.vectorizer_options = dict(vectorizer_options) if vectorizer_options else {"sublinear_tf": True}
        self._vectorizer: Any = None
        self._svd: Any = None
        self._fitted_on = ""

    def fit(self, texts: Sequence[str]) -> TfidfEncoder:
        """Learn the vocabulary and the projection from ``texts``; return ``self``."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = check_texts(texts)
        self._vectorizer = TfidfVectorizer(**self.vectorizer_options)
        matrix = self._vectorizer.fit_transform(texts)
        components = max(1, min(self.n_components, matrix.shape[1] - 1))
        self._svd = TruncatedSVD(n_components=components, random_state=random_state_from(make_rng(self.seed)))
        self._svd.fit(matrix)
        digest = hashlib.sha256()
        for text in texts:
            digest.update(text.encode("utf-8", "surrogatepass") + b"\0")
        self._fitted_on = digest.hexdigest()[:16]
        return self

    @property
    def identity(self) -> str:
        return f"tfidf-svd/{self.n_components}/fitted-on-{self._fitted_on or 'nothing'}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._svd is None:
            raise NotInitializedError("TfidfEncoder is not fitted: call fit(texts) on the pool first")
        vectors = self._svd.transform(self._vectorizer.transform(check_texts(texts)))
        norms = np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), np.finfo(np.float64).tiny)
        return (vectors / norms).astype(np.float32)

    def save(self, folder: Path) -> dict[str, Any]:
        """The fitted vectorizer and projection go to ``tfidf.joblib`` (scikit-learn's native format)."""
        if self._svd is None:
            raise NotInitializedError("TfidfEncoder is not fitted: there is nothing to save")
        joblib.dump({"vectorizer": self._vectorizer, "svd": self._svd}, folder / "tfidf.joblib")
        seed = self.seed if isinstance(self.seed, (int, type(None))) else None
        return {"n_components": self.n_components, "seed": seed, "fitted_on": self._fitted_on}

    @classmethod
    def load(cls, folder: Path, config: dict[str, Any]) -> TfidfEncoder:
        encoder = cls(n_components=config["n_components"], seed=config["seed"])
        parts = load_joblib(folder / "tfidf.joblib", dict)
        encoder._vectorizer, encoder._svd, encoder._fitted_on = parts["vectorizer"], parts["svd"], config["fitted_on"]
        return encoder

    def __repr__(self) -> str:
        return f"TfidfEncoder(n_components={self.n_components})"
