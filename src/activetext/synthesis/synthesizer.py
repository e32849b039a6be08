"""Query synthesis: generate candidate texts, drop the known ones, keep those the classifier is least sure about."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from activetext.classifiers.base import Classifier
from activetext.data.labels import check_single_labels, is_multi_label
from activetext.encoders.base import check_texts
from activetext.exceptions import InvalidArgumentError, LabelShapeError, SynthesisError
from activetext.query_strategies.uncertainty import breaking_ties
from activetext.synthesis.generators import CandidateGenerator, GeneratorFunction, as_generator
from activetext.synthesis.text import text_key
from activetext.utils.random import Seed, make_rng
from activetext.utils.validation import check_positive_int

__all__ = ["QuerySynthesizer", "SynthesisResult"]

ScoreFunction = Callable[[np.ndarray], np.ndarray]
"""An informativeness score: ``(n, C)`` probabilities to ``(n,)`` values, higher meaning less certain."""


@dataclass(frozen=True)
class SynthesisResult:
    """What one call of :meth:`QuerySynthesizer.synthesize` produced.

    Attributes
    ----------
    texts : tuple of str
        The selected texts, the least certain first.
    scores : numpy.ndarray of float64
        Their informativeness scores (higher: less certain).
    candidates : tuple of str
        Every new, distinct candidate that was scored, in the generator's order.
    candidate_scores : numpy.ndarray of float64
        Their scores.
    n_generated : int
        How many texts the generator returned, duplicates and known texts included.
    """

    texts: tuple[str, ...]
    scores: np.ndarray
    candidates: tuple[str, ...]
    candidate_scores: np.ndarray
    n_generated: int


class QuerySynthesizer:
    """Synthesizes membership queries: new texts the classifier is least sure about.

    Each call asks the generator for ``n_candidates`` texts written from the labeled documents, removes empty
    texts, duplicates and texts already known (the labeled texts and any ``exclude`` texts; two texts are the same
    when they match after case folding and collapsing white space), scores the rest with ``score`` on the
    classifier's ``predict_proba`` and returns the ``n`` highest-scoring ones.

    Parameters
    ----------
    generator : CandidateGenerator or callable
        For example :class:`~activetext.synthesis.BoundaryRecombination`, or a function
        ``f(texts: list[str], labels: numpy.ndarray, n: int, rng: numpy.random.Generator) -> list[str]`` (a call
        to a language model, say), wrapped by :class:`~activetext.synthesis.CallableGenerator`.
    score : callable
        ``score(proba) -> numpy.ndarray``: one value per row of an ``(n, C)`` probability array, higher meaning
        less certain. The default is :func:`~activetext.query_strategies.uncertainty.breaking_ties`
        (``1 - (p_first - p_second)``); :func:`~activetext.query_strategies.uncertainty.least_confidence` and
        :func:`~activetext.query_strategies.uncertainty.prediction_entropy` also fit.
    n_candidates : int
        How many candidates the generator is asked for per call.
    seed : None, int or numpy.random.Generator
        Seeds the random generator handed to the generator.

    Attributes
    ----------
    last_result : SynthesisResult or None
        The result of the last successful call, for inspection.
    """

    def __init__(
        self,
        generator: CandidateGenerator | GeneratorFunction,
        score: ScoreFunction = breaking_ties,
        n_candidates: int = 100,
        seed: Seed = None,
    ):
        self.generator = as_generator(generator)
        if not callable(score):
            raise InvalidArgumentError(f"score must be a callable score(proba) -> array, got {score!r}")
        self.score = score
        self.n_candidates = check_positive_int(n_candidates, name="n_candidates")
        self.rng = make_rng(seed)
        self.last_result: SynthesisResult | None = None

    def synthesize(
        self,
        classifier: Classifier,
        texts: Sequence[str],
        labels: Any,
        n: int,
        exclude: Iterable[str] = (),
    ) -> SynthesisResult:
        """Generate candidates and return the ``n`` the classifier is least sure about.

        Parameters
        ----------
        classifier : Classifier
            The current classifier, fitted on ``texts``; its ``predict_proba`` receives a list of texts.
        texts : sequence of str
            The labeled documents.
        labels : array-like of int, shape (len(texts),)
            Their class indices (single-label).
        n : int
            How many texts to return. Fewer are returned when the generator offers fewer new, distinct texts.
        exclude : iterable of str
            Further texts that do not count as new (for example the unlabeled pool).

        Returns
        -------
        SynthesisResult

        Raises
        ------
        SynthesisError
            If the generator returns something other than a list of strings, an empty list, only empty texts, or
            only texts already known; or if ``score`` does not return one finite value per candidate. The random
            generator is then reset to its state before the call.
        """
        if not hasattr(classifier, "predict_proba"):
            raise InvalidArgumentError(f"classifier must offer predict_proba, got {type(classifier).__name__}")
        texts = check_texts(texts, name="texts")
        if is_multi_label(labels):
            raise LabelShapeError("query synthesis supports single-label data only: labels must be one-dimensional")
        labels = check_single_labels(labels, None, n_samples=len(texts), name="labels", allow_unlabeled=False)
        n = check_positive_int(n, name="n")
        known = {text_key(text) for text in texts}
        known.update(text_key(text) for text in check_texts(list(exclude), name="exclude"))

        state = self.rng.bit_generator.state
        try:
            result = self._synthesize(classifier, texts, labels, n, known)
        except BaseException:
            self.rng.bit_generator.state = state
            raise
        self.last_result = result
        return result

    def _synthesize(
        self, classifier: Classifier, texts: list[str], labels: np.ndarray, n: int, known: set[str]
    ) -> SynthesisResult:
        returned = self.generator.generate(list(texts), labels.copy(), classifier, self.n_candidates, self.rng)
        generated = self._check_generated(returned)
        candidates: list[str] = []
        seen: set[str] = set()
        for text in generated:
            key = text_key(text)
            if key and key not in known and key not in seen:
                seen.add(key)
                candidates.append(text)
        if not candidates:
            empty = all(not text.strip() for text in generated)
            what = "only empty texts" if empty else "only texts that are already known (labeled or excluded)"
            raise SynthesisError(
                f"generator {self.generator!r} returned {what}: {len(generated)} texts, such as "
                f"{_preview(generated)}; expected new texts",
                generator=repr(self.generator),
                returned=generated[:8],
            )
        proba = np.asarray(classifier.predict_proba(candidates), dtype=np.float64)
        scores = self._check_scores(proba, len(candidates))
        order = np.argsort(-scores, kind="stable")[:n]
        return SynthesisResult(
            texts=tuple(candidates[i] for i in order),
            scores=scores[order],
            candidates=tuple(candidates),
            candidate_scores=scores,
            n_generated=len(generated),
        )

    def _check_generated(self, returned: Any) -> list[str]:
        name = repr(self.generator)
        if isinstance(returned, (str, bytes)) or not isinstance(returned, (Sequence, np.ndarray)):
            raise SynthesisError(
                f"generator {name} must return a list of strings, got {_short(returned)} ({type(returned).__name__})",
                generator=name,
                returned=returned,
            )
        values = list(returned)
        if not values:
            raise SynthesisError(
                f"generator {name} returned no candidates (an empty {type(returned).__name__}); "
                f"expected up to {self.n_candidates} strings",
                generator=name,
                returned=values,
            )
        bad = [position for position, value in enumerate(values) if not isinstance(value, str)]
        if bad:
            first = values[bad[0]]
            raise SynthesisError(
                f"generator {name} must return only strings, got {_short(first)} ({type(first).__name__}) at "
                f"positions {bad[:8]} of {len(values)}",
                generator=name,
                returned=values[:8],
            )
        return values

    def _check_scores(self, proba: np.ndarray, count: int) -> np.ndarray:
        if proba.ndim != 2 or proba.shape[0] != count:
            raise SynthesisError(
                f"the classifier's predict_proba must return one row per candidate ({count}), got shape {proba.shape}"
            )
        scores = np.asarray(self.score(proba), dtype=np.float64)
        if scores.shape != (count,) or not np.all(np.isfinite(scores)):
            raise SynthesisError(
                f"score {getattr(self.score, '__name__', self.score)!r} must return one finite value per candidate "
                f"(shape ({count},)), got shape {scores.shape}"
            )
        return scores

    def __repr__(self) -> str:
        score = getattr(self.score, "__name__", repr(self.score))
        return f"QuerySynthesizer({self.generator!r}, score={score}, n_candidates={self.n_candidates})"


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _preview(texts: Sequence[str], count: int = 3) -> str:
    return ", ".join(_short(text, 60) for text in texts[:count])
