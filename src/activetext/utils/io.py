"""Reading files that models and learners were saved to."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import joblib

from activetext.exceptions import CorruptSavedStateError, SavedStateNotFoundError

T = TypeVar("T")


def load_joblib(path: Path, expected: type[T]) -> T:
    """Load an object written by ``joblib.dump`` and check its type.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    expected : type
        The class the object must be an instance of.

    Raises
    ------
    SavedStateNotFoundError
        If the file does not exist.
    CorruptSavedStateError
        If the file cannot be read (truncated, edited) or holds another type.
    """
    if not path.is_file():
        raise SavedStateNotFoundError(f"{str(path)!r} does not exist")
    try:
        value = joblib.load(path)
    except Exception as error:  # joblib raises many types for damaged files
        raise CorruptSavedStateError(f"{str(path)!r} cannot be read: {error}") from error
    if not isinstance(value, expected):
        raise CorruptSavedStateError(f"{str(path)!r} holds a {type(value).__name__}, not a {expected.__name__}")
    return value
