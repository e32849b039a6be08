"""An on-disk embedding cache: each text is encoded once per encoder, across iterations, runs and processes."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from activetext.encoders.base import Encoder, check_texts, load_encoder, save_encoder
from activetext.exceptions import InvalidArgumentError

__all__ = ["CachedEncoder"]

_LOOKUP_BATCH = 500  # SQLite's limit on host parameters is at least 999


class CachedEncoder(Encoder):
    """Wraps an encoder with an SQLite cache keyed by the encoder's identity and the SHA-256 of each text.

    Only texts not yet in the cache are encoded (in the order given, duplicates once); every new vector is
    committed before ``encode`` returns, so an interrupted run keeps what it encoded.

    Parameters
    ----------
    encoder : Encoder
        The encoder to cache.
    folder : str or pathlib.Path
        Where the cache lives (``embeddings.sqlite`` inside it); created if missing. Several encoders can share
        a folder: their entries are told apart by the encoder's identity.

    Attributes
    ----------
    hits, misses : int
        Texts answered from the cache and texts encoded, over the object's lifetime.
    """

    def __init__(self, encoder: Encoder, folder: str | Path):
        if not isinstance(encoder, Encoder):
            raise InvalidArgumentError(f"encoder must be an Encoder, got {type(encoder).__name__}")
        self.encoder = encoder
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "embeddings.sqlite"
        with self._connect() as connection:
            connection.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        self.hits = 0
        self.misses = 0

    @property
    def identity(self) -> str:
        return self.encoder.identity

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = check_texts(texts)
        keys = [self._key(text) for text in texts]
        found = self._lookup(sorted(set(keys)))
        missing = list(dict.fromkeys(key for key in keys if key not in found))
        if missing:
            first_text = {key: text for key, text in zip(keys, texts, strict=True) if key in set(missing)}
            vectors = np.asarray(self.encoder.encode([first_text[key] for key in missing]), dtype=np.float32)
            self._store(missing, vectors)
            found.update(zip(missing, vectors, strict=True))
        self.misses += len(missing)
        self.hits += len(texts) - len(missing)
        if not texts:
            return np.empty((0, 0), dtype=np.float32)
        return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)

    def save(self, folder: Path) -> dict[str, Any]:
        """The wrapped encoder goes to ``folder/encoder``; the cache stays where it is (its folder is recorded)."""
        save_encoder(self.encoder, folder / "encoder")
        return {"cache_folder": str(self.folder.resolve())}

    @classmethod
    def load(cls, folder: Path, config: dict[str, Any]) -> CachedEncoder:
        return cls(load_encoder(folder / "encoder"), config["cache_folder"])

    def __len__(self) -> int:
        """The number of vectors cached for this encoder."""
        prefix = self.identity + ":"
        with self._connect() as connection:
            (count,) = connection.execute(
                "SELECT COUNT(*) FROM vectors WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)
            ).fetchone()
        return int(count)

    def _key(self, text: str) -> str:
        return f"{self.identity}:{hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest()}"

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30)
        connection.execute("PRAGMA journal_mode=WAL")
        return connection

    def _lookup(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._connect() as connection:
            for start in range(0, len(keys), _LOOKUP_BATCH):
                batch = keys[start : start + _LOOKUP_BATCH]
                rows = connection.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(batch))})", batch
                )
                found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
        return found

    def _store(self, keys: list[str], vectors: np.ndarray) -> None:
        with self._connect() as connection:
            connection.executemany(
                "INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)",
                (
                    (key, np.ascontiguousarray(vector, dtype=np.float32).tobytes())
                    for key, vector in zip(keys, vectors, strict=True)
                ),
            )

    def __repr__(self) -> str:
        return f"CachedEncoder({self.encoder!r}, folder={str(self.folder)!r})"
