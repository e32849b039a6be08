"""Random number generators built from a caller's seed (never the global ``np.random`` state)."""

from __future__ import annotations

import numpy as np

from activetext.exceptions import InvalidArgumentError

Seed = None | int | np.integer | np.random.Generator
"""What activetext accepts as a seed: ``None`` (fresh entropy), an int, or a ready ``numpy.random.Generator``."""


def make_rng(seed: Seed, *, name: str = "seed") -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for ``seed``.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        ``None`` draws fresh entropy from the operating system; an int (>= 0) gives a reproducible stream; a
        generator is returned as it is, so the caller's stream is shared.
    name : str
        The argument's name, used in the error message.

    Returns
    -------
    numpy.random.Generator
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if seed < 0:
            raise InvalidArgumentError(f"{name} must be a non-negative int, got {seed!r}")
        return np.random.default_rng(int(seed))
    raise InvalidArgumentError(
        f"{name} must be None, a non-negative int or a numpy.random.Generator, got {seed!r} ({type(seed).__name__})"
    )


def random_state_from(rng: np.random.Generator) -> int:
    """Draw an int seed for a library that takes ``random_state`` (scikit-learn, hnswlib, faiss)."""
    return int(rng.integers(2**31 - 1))
