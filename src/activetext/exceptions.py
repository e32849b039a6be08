"""The exceptions activetext raises.

Every error activetext raises on purpose derives from :class:`ActiveTextError`. Errors about a bad argument also
derive from :class:`ValueError` (or :class:`IndexError` for indices), so code that already catches the built-in
types keeps working. Each message names the argument, the value it got and what was expected.

A call that raises one of these leaves the learner exactly as it was before the call.
"""

from __future__ import annotations

__all__ = [
    "ActiveTextError",
    "InvalidArgumentError",
    "InvalidConfigurationError",
    "InvalidIndicesError",
    "InvalidLabelError",
    "LabelShapeError",
    "NonFiniteFeaturesError",
    "EmptyTextError",
    "LearnerStateError",
    "NotInitializedError",
    "NoPendingQueryError",
    "LabelCountMismatchError",
    "UnknownRequestError",
    "EmptyStreamError",
    "QueryError",
    "SynthesisError",
    "PoolExhaustedException",
    "EmptyPoolException",
    "MissingCapabilityError",
    "MissingDependencyError",
    "PersistenceError",
    "SavedStateNotFoundError",
    "CorruptSavedStateError",
    "IncompatibleFormatError",
    "DatasetMismatchError",
    "DatasetNotFoundError",
]


class ActiveTextError(Exception):
    """Base class of every error activetext raises on purpose."""


# --- bad arguments ------------------------------------------------------------------------------------------


class InvalidArgumentError(ActiveTextError, ValueError):
    """An argument has a value activetext cannot use."""


class InvalidConfigurationError(InvalidArgumentError):
    """A configuration file (for example a simulation's TOML file) has an unknown key or an unusable value.

    Attributes
    ----------
    key : str or None
        The offending key, dotted from the top of the file (``"classifiers[1].type"``).
    line : int or None
        The line of the file where the key is, when it can be found.
    """

    def __init__(self, message: str, *, key: str | None = None, line: int | None = None):
        super().__init__(message)
        self.key = key
        self.line = line


class InvalidIndicesError(ActiveTextError, IndexError):
    """Indices are out of range, negative, duplicated, not integers, or in the wrong state (e.g. already labeled)."""


class InvalidLabelError(InvalidArgumentError):
    """A label lies outside the label set, or is not an integer."""


class LabelShapeError(InvalidArgumentError):
    """Labels have the wrong shape: a wrong length, or a multi-label matrix with the wrong number of columns."""


class NonFiniteFeaturesError(InvalidArgumentError):
    """A feature matrix holds NaN or infinite values."""


class EmptyTextError(InvalidArgumentError):
    """A document is empty (or only white space) where the classifier cannot handle empty texts."""


# --- learner state ------------------------------------------------------------------------------------------


class LearnerStateError(ActiveTextError, RuntimeError):
    """The call does not fit the learner's current state."""


class NotInitializedError(LearnerStateError):
    """The learner was used before ``initialize_data`` or ``initialize``."""


class NoPendingQueryError(LearnerStateError):
    """``update`` was called but no query is waiting for labels."""


class LabelCountMismatchError(LabelShapeError):
    """``update`` got a different number of labels than the pending query returned."""


class UnknownRequestError(InvalidArgumentError):
    """A label arrived for a stream document the learner never asked about (or whose label it already has)."""


class EmptyStreamError(ActiveTextError, ValueError):
    """A stream yielded no documents (it was empty, or already exhausted by an earlier pass)."""


# --- querying -----------------------------------------------------------------------------------------------


class QueryError(ActiveTextError):
    """Base class of the errors a query strategy raises about the pool."""


class PoolExhaustedException(QueryError):
    """More documents were requested than the unlabeled pool holds."""


class EmptyPoolException(QueryError):
    """The unlabeled pool is empty: there is nothing left to query."""


class SynthesisError(QueryError):
    """A candidate generator of query synthesis returned nothing usable: no candidates, values that are not
    texts, or only texts that are already known.

    Attributes
    ----------
    generator : str
        A description of the generator (its ``repr``).
    returned : object
        What the generator returned (a short preview for long lists).
    """

    def __init__(self, message: str, *, generator: str = "", returned: object = None):
        super().__init__(message)
        self.generator = generator
        self.returned = returned


class MissingCapabilityError(ActiveTextError, TypeError):
    """A strategy needs something the classifier (or the learner's state) does not offer."""


class MissingDependencyError(ActiveTextError, ImportError):
    """An optional dependency is not installed; the message names the extra that provides it."""


# --- persistence --------------------------------------------------------------------------------------------


class PersistenceError(ActiveTextError):
    """Base class of the errors raised while saving or loading a learner."""


class SavedStateNotFoundError(PersistenceError, FileNotFoundError):
    """The folder to load from, or a file it must contain, does not exist."""


class CorruptSavedStateError(PersistenceError):
    """A saved file exists but cannot be read completely (truncated or edited)."""


class IncompatibleFormatError(PersistenceError):
    """The saved folder was written in a format version this activetext cannot read."""


class DatasetMismatchError(PersistenceError):
    """The dataset given to ``load`` is not the one the learner was saved with."""


# --- data sets ----------------------------------------------------------------------------------------------


class DatasetNotFoundError(ActiveTextError, FileNotFoundError):
    """A benchmark data set or data file could not be found."""
