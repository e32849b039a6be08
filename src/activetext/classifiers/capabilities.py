"""Optional classifier capabilities, as ``typing.Protocol`` classes checked with ``isinstance``.

A strategy that needs a capability checks ``isinstance(clf, Protocol)`` up front and raises
:class:`~activetext.exceptions.MissingCapabilityError` naming what is missing; it never calls a method and catches
the failure.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "SupportsEmbeddings",
    "SupportsExpectedGradientLength",
    "SupportsGradientEmbeddings",
    "SupportsPartialFit",
    "SupportsPosteriorSamples",
    "require",
    "supports_partial_fit",
]


@runtime_checkable
class SupportsEmbeddings(Protocol):
    """A classifier that maps documents to dense vectors (its internal representation)."""

    def embed(self, data: Any) -> np.ndarray:
        """Return a ``(n_samples, dim)`` float array for ``data`` (a dataset or its rows)."""


@runtime_checkable
class SupportsPosteriorSamples(Protocol):
    """A classifier that draws class probabilities from an approximate posterior (e.g. Monte Carlo dropout)."""

    def posterior_samples(self, data: Any, n_samples: int) -> np.ndarray:
        """Return an ``(n_documents, num_classes, n_samples)`` array: ``n_samples`` probability vectors per document."""


@runtime_checkable
class SupportsGradientEmbeddings(Protocol):
    """A classifier that gives each document the gradient of its loss w.r.t. the last layer (for BADGE)."""

    def gradient_embeddings(self, data: Any) -> np.ndarray:
        """Return ``(n_documents, num_classes * hidden_dim)`` gradients at the predicted label (hypothetical)."""


@runtime_checkable
class SupportsExpectedGradientLength(Protocol):
    """A classifier that gives each document its expected gradient length over the predicted label distribution."""

    def expected_gradient_length(self, data: Any) -> np.ndarray:
        """Return ``(n_documents,)``: ``sum_c p(c|x) * ||grad loss(x, c)||`` over the model's parameters (or a
        documented subset)."""


@runtime_checkable
class SupportsPartialFit(Protocol):
    """A classifier that learns incrementally: new labeled documents update the model without a full retraining.

    ``can_partial_fit`` says whether this instance can (a wrapper may offer the method for some models only).
    """

    can_partial_fit: bool

    def partial_fit(self, train: Any, weights: np.ndarray | None = None) -> Any:
        """Update the model with the labeled dataset ``train`` (the first call fits from scratch); return self."""


def supports_partial_fit(clf: Any) -> bool:
    """Whether ``clf`` offers :class:`SupportsPartialFit` and can use it."""
    return isinstance(clf, SupportsPartialFit) and bool(clf.can_partial_fit)


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
