"""The candidate generator interface of query synthesis, and the wrapper that turns a plain function into one."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from activetext.classifiers.base import Classifier
from activetext.exceptions import InvalidArgumentError

__all__ = ["CandidateGenerator", "CallableGenerator", "GeneratorFunction", "as_generator"]

GeneratorFunction = Callable[[list[str], np.ndarray, int, np.random.Generator], Sequence[str]]
"""The signature of a plain function used as a generator: ``f(texts, labels, n, rng) -> list[str]``."""


class CandidateGenerator(ABC):
    """Writes candidate texts for the learner to ask about.

    A generator sees the labeled documents and the current classifier and returns new texts; the
    :class:`~activetext.synthesis.QuerySynthesizer` removes duplicates and known texts, scores the rest with the
    classifier and keeps the ones it is least sure about.
    """

    @abstractmethod
    def generate(
        self,
        texts: Sequence[str],
        labels: np.ndarray,
        classifier: Classifier,
        n: int,
        rng: np.random.Generator,
    ) -> list[str]:
        """Return about ``n`` candidate texts.

        Parameters
        ----------
        texts : sequence of str
            The labeled documents.
        labels : numpy.ndarray of int64, shape (len(texts),)
            Their class indices.
        classifier : Classifier
            The current classifier, fitted on ``texts`` (``predict_proba`` takes a list of texts).
        n : int
            How many candidates are wanted; returning fewer or more is allowed.
        rng : numpy.random.Generator
            The only source of randomness the generator may use.

        Returns
        -------
        list of str
        """


class CallableGenerator(CandidateGenerator):
    """A plain function used as a candidate generator, for example a call to a language model.

    Parameters
    ----------
    function : callable
        ``function(texts: list[str], labels: numpy.ndarray, n: int, rng: numpy.random.Generator) -> list[str]``:
        the labeled texts, their int64 class indices, how many candidates are wanted, and a seeded random
        generator. It does not see the classifier; the synthesizer scores what it returns.
    name : str, optional
        How error messages name the generator (default: the function's qualified name).

    Examples
    --------
    >>> def swap_halves(texts, labels, n, rng):
    ...     return [" ".join(t.split()[len(t.split()) // 2 :] + t.split()[: len(t.split()) // 2]) for t in texts][:n]
    >>> CallableGenerator(swap_halves)
    CallableGenerator(swap_halves)
    """

    def __init__(self, function: GeneratorFunction, name: str | None = None):
        if not callable(function):
            raise InvalidArgumentError(f"function must be callable, got {function!r} ({type(function).__name__})")
        if name is not None and not isinstance(name, str):
            raise InvalidArgumentError(f"name must be a str or None, got {name!r}")
        self.function = function
        self.name = name if name is not None else getattr(function, "__qualname__", type(function).__name__)

    def generate(
        self,
        texts: Sequence[str],
        labels: np.ndarray,
        classifier: Classifier,
        n: int,
        rng: np.random.Generator,
    ) -> list[str]:
        """Call the function with ``(list(texts), labels, n, rng)``; the classifier is not passed."""
        return self.function(list(texts), labels, n, rng)  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"CallableGenerator({self.name})"


def as_generator(generator: CandidateGenerator | GeneratorFunction | Any) -> CandidateGenerator:
    """Return ``generator`` as a :class:`CandidateGenerator`: generators unchanged, plain callables wrapped.

    Parameters
    ----------
    generator : CandidateGenerator or callable
        A generator, or a function ``f(texts, labels, n, rng) -> list[str]``.

    Returns
    -------
    CandidateGenerator

    Raises
    ------
    InvalidArgumentError
        If ``generator`` is neither.
    """
    if isinstance(generator, CandidateGenerator):
        return generator
    if callable(generator):
        return CallableGenerator(generator)
    raise InvalidArgumentError(
        "generator must be a CandidateGenerator or a callable f(texts, labels, n, rng) -> list[str], "
        f"got {generator!r} ({type(generator).__name__})"
    )
