"""Optional classifier capabilities, as ``typing.Protocol`` classes checked with ``isinstance``.

A strategy that needs a capability checks ``isinstance(clf, Protocol)`` up front and raises
:class:`~activetext.exceptions.MissingCapabilityError` naming what is missing; it never calls a method and catches
the failure.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = ["SupportsEmbeddings", "require"]


@runtime_checkable
class SupportsEmbeddings(Protocol):
    """A classifier that maps documents to dense vectors (its internal representation)."""

    def embed(self, data: Any) -> np.ndarray:
        """Return a ``(n_samples, dim)`` float array for ``data`` (a dataset or its rows)."""


def require(clf: Any, capability: type, *, needed_by: str) -> None:
    """Raise :class:`MissingCapabilityError` unless ``clf`` offers ``capability``.

    Parameters
    ----------
    clf : object
        The classifier (may be None before any training).
    capability : type
        A runtime-checkable protocol, such as :class:`SupportsEmbeddings`.
    needed_by : str
        The name of what needs it, for the message.
    """
    from activetext.exceptions import MissingCapabilityError

    if not isinstance(clf, capability):
        raise MissingCapabilityError(
            f"{needed_by} needs a classifier with the {capability.__name__} capability "
            f"({', '.join(sorted(_protocol_methods(capability)))}); got {type(clf).__name__}"
        )


def _protocol_methods(protocol: type) -> set[str]:
    return {name for name in vars(protocol) if not name.startswith("_") and callable(getattr(protocol, name))}
