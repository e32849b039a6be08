"""The encoder interface."""

from __future__ import annotations

import importlib
import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from activetext.exceptions import CorruptSavedStateError, InvalidArgumentError, SavedStateNotFoundError

__all__ = ["Encoder", "check_texts", "load_encoder", "save_encoder"]


class Encoder(ABC):
    """Maps texts to float32 vectors of a fixed dimension."""

    @property
    @abstractmethod
    def identity(self) -> str:
        """A string that changes whenever the encoder would produce different vectors (the cache key's prefix)."""

    @abstractmethod
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 ``(len(texts), dim)`` array."""

    @abstractmethod
    def save(self, folder: Path) -> dict[str, Any]:
        """Write what the encoder needs besides its configuration into ``folder``; return the configuration."""

    @classmethod
    @abstractmethod
    def load(cls, folder: Path, config: dict[str, Any]) -> Encoder:
        """Rebuild an encoder from :meth:`save`'s folder and configuration."""


def save_encoder(encoder: Encoder, folder: Path) -> None:
    """Write ``encoder`` to ``folder``: ``encoder.json`` (class and configuration) plus the encoder's own files."""
    folder.mkdir(parents=True, exist_ok=True)
    config = encoder.save(folder)
    manifest = {"class": f"{type(encoder).__module__}:{type(encoder).__qualname__}", "config": config}
    (folder / "encoder.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def load_encoder(folder: Path) -> Encoder:
    """Read an encoder written by :func:`save_encoder`."""
    path = folder / "encoder.json"
    if not path.is_file():
        raise SavedStateNotFoundError(f"{str(path)!r} does not exist")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        module_name, _, name = manifest["class"].partition(":")
        cls = getattr(importlib.import_module(module_name), name)
    except (ValueError, KeyError, ImportError, AttributeError) as error:
        raise CorruptSavedStateError(f"{str(path)!r} does not describe an encoder: {error}") from error
    if not (isinstance(cls, type) and issubclass(cls, Encoder)):
        raise CorruptSavedStateError(f"{str(path)!r} names {manifest['class']!r}, which is not an Encoder")
    return cls.load(folder, manifest["config"])


def check_texts(texts: Sequence[str], *, name: str = "texts") -> list[str]:
    """Return ``texts`` as a list after checking that every element is a string."""
    if isinstance(texts, str):
        raise InvalidArgumentError(f"{name} must be a sequence of strings, got a single string")
    values = list(texts)
    for position, text in enumerate(values):
        if not isinstance(text, str):
            raise InvalidArgumentError(f"{name} must hold strings, got {text!r} ({type(text).__name__}) at {position}")
    return values
