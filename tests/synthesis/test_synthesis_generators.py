"""The candidate generators on small cases worked out by hand: recombination, substitution, plain callables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from activetext.classifiers.base import Classifier, rows_of
from activetext.encoders.base import Encoder
from activetext.exceptions import InvalidArgumentError, SynthesisError
from activetext.synthesis import (
    BoundaryRecombination,
    CallableGenerator,
    CandidateGenerator,
    EmbeddingNeighbourSubstitution,
    as_generator,
    crossover,
)
from activetext.synthesis.substitution import match_case


class FixedProbabilities(Classifier):
    """A classifier that answers each known text with a given probability row (others: ``default``)."""

    def __init__(self, table: dict[str, list[float]], default: list[float] | None = None):
        self.table = {text: np.asarray(row, dtype=np.float64) for text, row in table.items()}
        self.default = None if default is None else np.asarray(default, dtype=np.float64)
        self.multi_label_ = False

    def fit(self, train, validation=None, weights=None):
        return self

    def predict_proba(self, data):
        return np.array([self.table.get(text, self.default) for text in rows_of(data)])

    def save(self, folder):
        raise NotImplementedError

    @classmethod
    def load(cls, folder):
        raise NotImplementedError


class WordVectors(Encoder):
    """Embeds a text as the sum of fixed vectors of its lower-cased words, and counts what it encodes."""

    def __init__(self, vectors: dict[str, list[float]]):
        self.vectors = {word: np.asarray(vector, dtype=np.float32) for word, vector in vectors.items()}
        self.encoded: list[str] = []

    @property
    def identity(self) -> str:
        return "word-vectors"

    def encode(self, texts):
        self.encoded.extend(texts)
        dim = len(next(iter(self.vectors.values())))
        zero = np.zeros(dim, dtype=np.float32)
        words = [[w.strip(".,!?").lower() for w in text.split()] for text in texts]
        return np.array([sum((self.vectors.get(w, zero) for w in ws), zero) for ws in words], dtype=np.float32)

    def save(self, folder: Path):
        return {}

    @classmethod
    def load(cls, folder: Path, config):
        raise NotImplementedError


RNG = np.random.default_rng


# --- recombination ----------------------------------------------------------------------------------------


def test_crossover_of_two_sentence_documents_swaps_one_sentence():
    head, tail = ["The team won.", "Fans cheered."], ["Stocks fell.", "Markets closed."]
    assert {crossover(head, tail, RNG(seed)) for seed in range(20)} == {"The team won. Markets closed."}


def test_crossover_keeps_a_one_unit_side_whole():
    assert crossover(["Hello"], ["a", "b", "c"], RNG(0)) in {"Hello b c", "Hello c"}
    assert crossover(["a", "b", "c"], ["Bye"], RNG(0)) in {"a Bye", "a b Bye"}


def test_recombination_of_two_sentence_documents_gives_exactly_the_two_crossovers():
    texts = ["The team won. Fans cheered.", "Stocks fell. Markets closed."]
    classifier = FixedProbabilities({texts[0]: [0.6, 0.4], texts[1]: [0.3, 0.7]})
    candidates = BoundaryRecombination().generate(texts, np.array([0, 1]), classifier, 20, RNG(0))
    assert len(candidates) == 20
    assert set(candidates) == {"The team won. Markets closed.", "Stocks fell. Fans cheered."}


def test_recombination_of_one_sentence_documents_cuts_between_words():
    texts = ["good fun film", "dull boring plot"]
    classifier = FixedProbabilities({}, default=[0.5, 0.5])
    candidates = BoundaryRecombination().generate(texts, np.array([0, 1]), classifier, 200, RNG(0))
    # head[:a] + tail[b:] with a, b in {1, 2}, in both orders
    assert set(candidates) == {
        "good boring plot",
        "good plot",
        "good fun boring plot",
        "good fun plot",
        "dull fun film",
        "dull film",
        "dull boring fun film",
        "dull boring film",
    }


def test_recombination_uses_the_most_ambiguous_pair_first():
    texts = ["alpha one. alpha two.", "beta one. beta two.", "gamma one. gamma two.", "delta one. delta two."]
    classifier = FixedProbabilities(dict(zip(texts, [[0.9, 0.1], [0.55, 0.45], [0.4, 0.6], [0.05, 0.95]], strict=True)))
    candidates = BoundaryRecombination(n_pairs=1).generate(texts, np.array([0, 0, 1, 1]), classifier, 10, RNG(1))
    # closeness: (beta, gamma) 0.45 + 0.4 is the largest
    assert set(candidates) == {"beta one. gamma two.", "gamma one. beta two."}


def test_recombination_can_draw_on_unlabeled_texts_with_their_predicted_class():
    texts = ["beta one. beta two.", "gamma one. gamma two."]
    unlabeled = ["epsilon one. epsilon two."]
    classifier = FixedProbabilities(dict(zip([*texts, *unlabeled], [[0.9, 0.1], [0.4, 0.6], [0.3, 0.7]], strict=True)))
    generator = BoundaryRecombination(n_pairs=1, unlabeled_texts=unlabeled)
    candidates = generator.generate(texts, np.array([0, 1]), classifier, 10, RNG(0))
    # epsilon is predicted class 1; closeness (beta, epsilon) = 0.1 + 0.3 < (beta, gamma) = 0.1 + 0.4
    assert set(candidates) == {"beta one. gamma two.", "gamma one. beta two."}
    classifier.table[unlabeled[0]] = np.array([0.2, 0.8])
    classifier.table[texts[1]] = np.array([0.1, 0.9])
    # now (beta, gamma) = 0.1 + 0.1 < (beta, epsilon) = 0.1 + 0.2
    candidates = generator.generate(texts, np.array([0, 1]), classifier, 10, RNG(0))
    assert set(candidates) == {"beta one. epsilon two.", "epsilon one. beta two."}


def test_recombination_needs_two_classes():
    classifier = FixedProbabilities({}, default=[1.0, 0.0])
    with pytest.raises(SynthesisError, match=r"BoundaryRecombination.* at least two classes.*got classes \[0\]"):
        BoundaryRecombination().generate(["a b", "c d", "   "], np.array([0, 0, 1]), classifier, 5, RNG(0))


# --- substitution -----------------------------------------------------------------------------------------

# cos(good, bad) = 0.8 and cos(film, plot) = 0.8; the other pairs are orthogonal. The two documents embed as
# (1, 0, 1, 0) / sqrt(2) and (0.8, 0.6, 0.8, 0.6) / sqrt(2), so the direction from class 0 to class 1 is
# (-0.2, 0.6, -0.2, 0.6) / sqrt(2): good and film score -0.2 / sqrt(2), bad and plot +0.2 / sqrt(2).
VECTORS = {"good": [1, 0, 0, 0], "bad": [0.8, 0.6, 0, 0], "film": [0, 0, 1, 0], "plot": [0, 0, 0.8, 0.6]}


def substitution(encoder, **kwargs):
    return EmbeddingNeighbourSubstitution(encoder, n_neighbours=1, **kwargs)


def test_substitution_replaces_a_word_with_its_neighbour_towards_the_other_class():
    texts = ["good film", "bad plot"]
    classifier = FixedProbabilities({}, default=[0.5, 0.5])
    generator = substitution(WordVectors(VECTORS), max_substitutions=1)
    candidates = generator.generate(texts, np.array([0, 1]), classifier, 40, RNG(0))
    # good film -> class 1: good -> bad or film -> plot; bad plot -> class 0: bad -> good or plot -> film
    assert set(candidates) == {"bad film", "good plot"}


def test_substitution_of_two_words_can_reach_the_other_document():
    generator = substitution(WordVectors(VECTORS), max_substitutions=2)
    candidates = generator.generate(
        ["good film", "bad plot"], np.array([0, 1]), FixedProbabilities({}, [0.5, 0.5]), 60, RNG(0)
    )
    assert set(candidates) == {"bad film", "good plot", "bad plot", "good film"}  # the known ones are filtered later


def test_substitution_keeps_case_and_punctuation():
    generator = substitution(WordVectors(VECTORS), max_substitutions=1)
    texts = ["Good film!", "bad plot."]
    candidates = generator.generate(texts, np.array([0, 1]), FixedProbabilities({}, [0.5, 0.5]), 40, RNG(0))
    assert set(candidates) == {"Bad film!", "Good plot!", "good plot.", "bad film."}
    assert (match_case("dull", "GREAT"), match_case("dull", "Great"), match_case("dull", "great")) == (
        "DULL",
        "Dull",
        "dull",
    )


def test_substitution_never_uses_a_neighbour_that_moves_away_from_the_target_class():
    # "fine" is good's nearest neighbour but scores lower towards class 1 than good itself (-0.37 < -0.2), so
    # "good" is never rewritten; the unlabeled "fine" (predicted class 0) is rewritten towards class 1 as "good"
    vectors = {**VECTORS, "fine": [0.95, -0.3, 0, 0]}
    texts = ["good", "bad"]  # words of four letters and more: only "good" and "fine" (via unlabeled texts)
    generator = EmbeddingNeighbourSubstitution(
        WordVectors(vectors), n_neighbours=1, min_word_length=4, unlabeled_texts=["fine"], max_unlabeled=1
    )
    classifier = FixedProbabilities({"fine": [0.9, 0.1]}, default=[0.5, 0.5])
    candidates = generator.generate(texts, np.array([0, 1]), classifier, 10, RNG(0))
    assert set(candidates) == {"good"}


def test_substitution_embeds_every_word_and_document_once():
    encoder = WordVectors(VECTORS)
    generator = substitution(encoder)
    texts, labels = ["good film", "bad plot"], np.array([0, 1])
    generator.generate(texts, labels, FixedProbabilities({}, [0.5, 0.5]), 10, RNG(0))
    assert sorted(encoder.encoded) == sorted(["good", "film", "bad", "plot", "good film", "bad plot"])
    generator.generate(texts, labels, FixedProbabilities({}, [0.5, 0.5]), 10, RNG(1))
    assert len(encoder.encoded) == 6 and generator.n_embedded == 6
    generator.generate([*texts, "good plot"], np.array([0, 1, 1]), FixedProbabilities({}, [0.5, 0.5]), 10, RNG(1))
    assert encoder.encoded[6:] == ["good plot"]  # only the new document


def test_substitution_vocabulary_is_the_most_frequent_long_enough_words():
    generator = EmbeddingNeighbourSubstitution(WordVectors(VECTORS), max_vocabulary=2, unlabeled_texts=["plot plot"])
    assert generator.vocabulary(["Good film, good plot; an ok 42 film"]) == ["plot", "film"]  # 3 and 2, then good


def test_substitution_refuses_bad_arguments():
    with pytest.raises(InvalidArgumentError, match="encoder must be an activetext Encoder, got str"):
        EmbeddingNeighbourSubstitution("all-MiniLM-L6-v2")
    with pytest.raises(InvalidArgumentError, match="n_neighbours"):
        EmbeddingNeighbourSubstitution(WordVectors(VECTORS), n_neighbours=0)
    with pytest.raises(InvalidArgumentError, match="unlabeled_texts must hold strings"):
        EmbeddingNeighbourSubstitution(WordVectors(VECTORS), unlabeled_texts=["ok", 3])


# --- plain callables --------------------------------------------------------------------------------------


def test_a_plain_function_is_wrapped_and_called_with_texts_labels_n_and_rng():
    calls = []

    def write(texts, labels, n, rng):
        calls.append((texts, labels.tolist(), n, isinstance(rng, np.random.Generator)))
        return [f"{text} indeed" for text in texts][:n]

    generator = as_generator(write)
    assert isinstance(generator, CallableGenerator) and repr(generator).endswith("write)")
    out = generator.generate(("a", "b"), np.array([0, 1]), FixedProbabilities({}, [0.5, 0.5]), 1, RNG(0))
    assert out == ["a indeed"]
    assert calls == [(["a", "b"], [0, 1], 1, True)]


def test_as_generator_keeps_generators_and_refuses_the_rest():
    generator = BoundaryRecombination()
    assert as_generator(generator) is generator
    assert isinstance(generator, CandidateGenerator)
    with pytest.raises(InvalidArgumentError, match=r"generator must be a CandidateGenerator or a callable.*got 42"):
        as_generator(42)
    with pytest.raises(InvalidArgumentError, match="function must be callable"):
        CallableGenerator("not a function")
