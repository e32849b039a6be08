"""Candidates made by replacing words of boundary documents with their neighbours in an encoder's embedding space,
chosen so that the text moves towards another class."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from activetext.classifiers.base import Classifier
from activetext.encoders.base import Encoder, check_texts
from activetext.exceptions import InvalidArgumentError
from activetext.synthesis.boundary import boundary_documents
from activetext.synthesis.generators import CandidateGenerator
from activetext.synthesis.text import WORD_PATTERN
from activetext.utils.validation import check_positive_int
from activetext.vector_indexes import ExactIndex, Metric

__all__ = ["EmbeddingNeighbourSubstitution", "match_case"]


def match_case(word: str, like: str) -> str:
    """Return ``word`` written in the case of ``like``: all capitals, a capital first letter, or lower case.

    Parameters
    ----------
    word : str
        The replacement, in lower case.
    like : str
        The word it replaces.

    Returns
    -------
    str

    Examples
    --------
    >>> match_case("dull", "GREAT"), match_case("dull", "Great"), match_case("dull", "great")
    ('DULL', 'Dull', 'dull')
    """
    if len(like) > 1 and like.isupper():
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


class EmbeddingNeighbourSubstitution(CandidateGenerator):
    """Replace words of boundary documents with nearby words in an encoder's embedding space, towards another class.

    For a pair of labeled documents of classes ``a`` and ``b`` near the decision boundary (see
    :func:`~activetext.synthesis.boundary.boundary_pairs`), one member is rewritten towards the other's class.
    The direction of class ``b`` from class ``a`` is the difference of the two classes' mean document embeddings,
    ``d = c_b - c_a``; a word ``w`` scores ``s(w) = e(w) . d``. Each word of the document is offered its
    ``n_neighbours`` nearest vocabulary words (cosine similarity of the word embeddings); the neighbour with the
    highest score replaces it if it scores higher than the word itself. Between one and ``max_substitutions``
    words are replaced per candidate, drawn with probability proportional to the gain in score.

    The vocabulary is the words (runs of letters of at least ``min_word_length`` letters, lower-cased) of the
    labeled texts and of ``unlabeled_texts``, at most ``max_vocabulary`` of the most frequent. Every word and
    document is embedded once and kept in memory, so later calls only embed what is new.

    Parameters
    ----------
    encoder : Encoder
        Embeds words and documents, for example
        :class:`~activetext.encoders.SentenceTransformerEncoder` (all-MiniLM-L6-v2, offline).
    n_neighbours : int
        Nearest vocabulary words offered for each word.
    max_substitutions : int
        The most words replaced in one candidate.
    n_pairs, max_anchors : int
        As for :func:`~activetext.synthesis.boundary.boundary_pairs`.
    unlabeled_texts : sequence of str
        Unlabeled texts (for example the pool): their words may be used as replacements, so that words no labeled
        document contains can enter, and they may be rewritten themselves, with the class the classifier predicts
        for them.
    max_unlabeled : int
        How many unlabeled texts are drawn at random per call to be paired and rewritten.
    max_vocabulary : int
        The largest vocabulary (the most frequent words are kept, ties in alphabetical order).
    min_word_length : int
        Shorter words are neither replaced nor used as replacements.
    """

    def __init__(
        self,
        encoder: Encoder,
        n_neighbours: int = 10,
        max_substitutions: int = 3,
        n_pairs: int = 50,
        max_anchors: int = 200,
        unlabeled_texts: Sequence[str] = (),
        max_unlabeled: int = 200,
        max_vocabulary: int = 20_000,
        min_word_length: int = 3,
    ):
        if not isinstance(encoder, Encoder):
            raise InvalidArgumentError(f"encoder must be an activetext Encoder, got {type(encoder).__name__}")
        self.encoder = encoder
        self.n_neighbours = check_positive_int(n_neighbours, name="n_neighbours")
        self.max_substitutions = check_positive_int(max_substitutions, name="max_substitutions")
        self.n_pairs = check_positive_int(n_pairs, name="n_pairs")
        self.max_anchors = check_positive_int(max_anchors, name="max_anchors")
        self.max_vocabulary = check_positive_int(max_vocabulary, name="max_vocabulary")
        self.min_word_length = check_positive_int(min_word_length, name="min_word_length")
        self.unlabeled_texts = tuple(check_texts(unlabeled_texts, name="unlabeled_texts"))
        self.max_unlabeled = check_positive_int(max_unlabeled, name="max_unlabeled")
        self._extra_counts = self._count_words(self.unlabeled_texts, name="unlabeled_texts")
        self._vectors: dict[str, np.ndarray] = {}

    # --- embeddings ------------------------------------------------------------------------------------------

    def embed(self, strings: Sequence[str]) -> np.ndarray:
        """Return unit-length float32 embeddings of ``strings``, encoding only those not seen before.

        Parameters
        ----------
        strings : sequence of str
            Words or documents.

        Returns
        -------
        numpy.ndarray of shape (len(strings), dim)
        """
        missing = list(dict.fromkeys(text for text in strings if text not in self._vectors))
        if missing:
            vectors = np.asarray(self.encoder.encode(missing), dtype=np.float32)
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = vectors / np.maximum(norms, 1e-12)
            self._vectors.update(zip(missing, vectors, strict=True))
        if not strings:
            return np.empty((0, 0), dtype=np.float32)
        return np.stack([self._vectors[text] for text in strings])

    @property
    def n_embedded(self) -> int:
        """How many distinct words and documents have been embedded so far."""
        return len(self._vectors)

    def vocabulary(self, texts: Iterable[str]) -> list[str]:
        """Return the vocabulary for ``texts`` (plus ``unlabeled_texts``), most frequent first.

        Parameters
        ----------
        texts : iterable of str
            The labeled texts.

        Returns
        -------
        list of str
        """
        counts = self._count_words(texts, name="texts") + self._extra_counts
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return [word for word, _ in ranked[: self.max_vocabulary]]

    def _count_words(self, texts: Iterable[str], *, name: str) -> Counter:
        counts: Counter = Counter()
        for position, text in enumerate(texts):
            if not isinstance(text, str):
                raise InvalidArgumentError(f"{name} must hold strings, got {text!r} at {position}")
            counts.update(
                word
                for word in (match.group().lower() for match in WORD_PATTERN.finditer(text))
                if len(word) >= self.min_word_length
            )
        return counts

    # --- generation ------------------------------------------------------------------------------------------

    def generate(
        self,
        texts: Sequence[str],
        labels: np.ndarray,
        classifier: Classifier,
        n: int,
        rng: np.random.Generator,
    ) -> list[str]:
        """Return up to ``n`` rewritten boundary documents (see :meth:`CandidateGenerator.generate`).

        A pair whose documents have no word with a better-scoring neighbour gives no candidate, so fewer than
        ``n`` texts may come back.

        Raises
        ------
        SynthesisError
            If the non-empty labeled texts do not cover at least two classes.
        """
        labels = np.asarray(labels, dtype=np.int64)
        documents, classes, pairs = boundary_documents(
            texts,
            labels,
            classifier,
            self.n_pairs,
            self.max_anchors,
            unlabeled=self.unlabeled_texts,
            max_unlabeled=self.max_unlabeled,
            rng=rng,
            generator=self,
        )
        vocabulary = self.vocabulary(texts)
        if len(vocabulary) < 2:
            return []
        rows = {word: row for row, word in enumerate(vocabulary)}
        word_vectors = self.embed(vocabulary)
        document_vectors = self.embed([text for text in texts if text.strip()])
        labeled = labels[[bool(text.strip()) for text in texts]]
        centroids = {int(c): document_vectors[labeled == c].mean(axis=0) for c in np.unique(labeled)}

        # the neighbours of the vocabulary words that occur in the paired documents
        involved = np.unique(pairs)
        words_in = {
            i: [(m.start(), m.end(), rows.get(m.group().lower())) for m in WORD_PATTERN.finditer(documents[i])]
            for i in involved
        }
        asked = sorted({row for spans in words_in.values() for *_, row in spans if row is not None})
        if not asked:
            return []
        index = ExactIndex(Metric.COSINE)
        index.add(word_vectors, np.arange(len(vocabulary)))
        _, found = index.search(word_vectors[asked], min(self.n_neighbours + 1, len(vocabulary)))
        neighbours = {row: ids[ids != row][: self.n_neighbours] for row, ids in zip(asked, found, strict=True)}

        scores: dict[tuple[int, int], np.ndarray] = {}
        candidates = []
        for k in range(n):
            source, partner = pairs[k % len(pairs)]
            if rng.random() < 0.5:
                source, partner = partner, source
            direction = (int(classes[source]), int(classes[partner]))
            if direction[0] not in centroids or direction[1] not in centroids:
                continue
            if direction not in scores:
                scores[direction] = word_vectors @ (centroids[direction[1]] - centroids[direction[0]])
            candidate = self._rewrite(
                documents[source], words_in[source], neighbours, scores[direction], vocabulary, rng
            )
            if candidate is not None:
                candidates.append(candidate)
        return candidates

    def _rewrite(
        self,
        text: str,
        spans: list[tuple[int, int, int | None]],
        neighbours: dict[int, np.ndarray],
        score: np.ndarray,
        vocabulary: list[str],
        rng: np.random.Generator,
    ) -> str | None:
        """Replace up to ``max_substitutions`` words of ``text`` with their best-scoring neighbours."""
        options = []
        for start, end, row in spans:
            if row is None or neighbours[row].size == 0:
                continue
            best = neighbours[row][np.argmax(score[neighbours[row]])]
            gain = float(score[best] - score[row])
            if gain > 0:
                options.append((start, end, int(best), gain))
        if not options:
            return None
        gains = np.array([gain for *_, gain in options])
        count = min(int(rng.integers(1, self.max_substitutions + 1)), len(options))
        chosen = sorted(rng.choice(len(options), size=count, replace=False, p=gains / gains.sum()), reverse=True)
        for position in chosen:
            start, end, best, _ = options[position]
            text = text[:start] + match_case(vocabulary[best], text[start:end]) + text[end:]
        return text

    def __repr__(self) -> str:
        return (
            f"EmbeddingNeighbourSubstitution({self.encoder!r}, n_neighbours={self.n_neighbours}, "
            f"max_substitutions={self.max_substitutions})"
        )
