"""Encoding a large pool once, chunk by chunk, into a memory-mapped ``.npy`` file that survives interruptions.

:func:`encode_to_memmap` writes each chunk's vectors into the file, flushes them, and only then records the chunk
as done in a small JSON file next to it (``<path>.progress.json``). A run that crashes or is stopped at 70% resumes
at 70%: the chunks already recorded are not encoded again. The record also holds a digest of the texts, the
encoder's identity and the chunk size, so a run over other texts or with another encoder starts afresh instead of
mixing vectors.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from activetext.encoders.base import Encoder, check_texts
from activetext.exceptions import InvalidArgumentError
from activetext.utils.validation import check_positive_int

__all__ = ["EncodingRun", "encode_to_memmap", "progress_path"]

_RECORD_VERSION = 1


@dataclass(frozen=True)
class EncodingRun:
    """What :func:`encode_to_memmap` did.

    Attributes
    ----------
    vectors : numpy.memmap
        The ``(n_texts, dim)`` float32 vectors, memory-mapped read-only.
    path : pathlib.Path
        The ``.npy`` file.
    resumed_from : int
        The first chunk this run encoded (0 for a fresh run; the number of chunks when everything was done).
    encoded : int
        Texts encoded by this run.
    seconds : float
        Time spent by this run.
    """

    vectors: np.ndarray
    path: Path
    resumed_from: int
    encoded: int
    seconds: float

    @property
    def texts_per_second(self) -> float:
        """Throughput of this run (0 when nothing was encoded)."""
        return self.encoded / self.seconds if self.encoded and self.seconds > 0 else 0.0


def progress_path(path: str | Path) -> Path:
    """The progress record kept next to the ``.npy`` file ``path``."""
    path = Path(path)
    return path.with_name(path.name + ".progress.json")


def _texts_digest(texts: list[str]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        encoded = text.encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "little"))
        digest.update(encoded)
    return digest.hexdigest()


def _write_record(path: Path, record: dict[str, Any]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def _progress_bar(total: int, initial: int, enabled: bool) -> Any:
    if not enabled or importlib.util.find_spec("tqdm") is None:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="text", unit_scale=True, desc="encoding", smoothing=0.1)


def encode_to_memmap(
    encoder: Encoder,
    texts: Sequence[str],
    path: str | Path,
    *,
    chunk_size: int = 4096,
    progress: bool = True,
) -> EncodingRun:
    """Encode ``texts`` chunk by chunk into the ``.npy`` file ``path``, resuming an interrupted run.

    Parameters
    ----------
    encoder : Encoder
        Any encoder (a :class:`~activetext.encoders.CachedEncoder` too).
    texts : sequence of str
        The pool; row ``i`` of the file is the vector of ``texts[i]``.
    path : str or pathlib.Path
        The ``.npy`` file; its folder must exist. ``<path>.progress.json`` records the chunks done.
    chunk_size : int
        Texts encoded, written and recorded at a time: what an interruption can cost.
    progress : bool
        Show a progress bar with the throughput (texts per second), when ``tqdm`` is installed.

    Returns
    -------
    EncodingRun
        The vectors (memory-mapped, read-only) and what this run did.

    Notes
    -----
    A previous record is reused only when the texts (their SHA-256), the encoder's identity and ``chunk_size``
    are the same; otherwise the file is written afresh.
    """
    if not isinstance(encoder, Encoder):
        raise InvalidArgumentError(f"encoder must be an Encoder, got {encoder!r} ({type(encoder).__name__})")
    texts = check_texts(texts)
    chunk_size = check_positive_int(chunk_size, name="chunk_size")
    path = Path(path)
    if not path.parent.is_dir():
        raise InvalidArgumentError(f"path must be in an existing folder, got {str(path)!r}")
    if not texts:
        raise InvalidArgumentError("texts must hold at least one text, got an empty sequence")
    record_path = progress_path(path)
    n_chunks = -(-len(texts) // chunk_size)
    wanted = {
        "version": _RECORD_VERSION,
        "encoder": encoder.identity,
        "n_texts": len(texts),
        "chunk_size": chunk_size,
        "texts_sha256": _texts_digest(texts),
    }
    record: dict[str, Any] | None = None
    if record_path.is_file() and path.is_file():
        try:
            previous = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = None
        if isinstance(previous, dict) and all(previous.get(key) == value for key, value in wanted.items()):
            record = previous
    done = int(record["chunks_done"]) if record is not None else 0
    vectors = np.lib.format.open_memmap(path, mode="r+") if record is not None and done else None

    start = time.perf_counter()
    bar = _progress_bar(len(texts), min(done * chunk_size, len(texts)), progress)
    encoded = 0
    try:
        for number in range(done, n_chunks):
            chunk = texts[number * chunk_size : (number + 1) * chunk_size]
            block = np.asarray(encoder.encode(chunk), dtype=np.float32)
            if block.ndim != 2 or block.shape[0] != len(chunk):
                raise InvalidArgumentError(
                    f"encoder returned shape {block.shape} for {len(chunk)} texts; expected ({len(chunk)}, dim)"
                )
            if vectors is None:
                vectors = np.lib.format.open_memmap(
                    path, mode="w+", dtype=np.float32, shape=(len(texts), block.shape[1])
                )
                record = {**wanted, "dim": int(block.shape[1]), "chunks_done": 0, "n_chunks": n_chunks}
            elif block.shape[1] != vectors.shape[1]:
                raise InvalidArgumentError(
                    f"encoder returned {block.shape[1]} dimensions, the file has {vectors.shape[1]}"
                )
            vectors[number * chunk_size : number * chunk_size + len(chunk)] = block
            vectors.flush()  # the vectors are on disk before the record says so
            assert record is not None
            record["chunks_done"] = number + 1
            _write_record(record_path, record)
            encoded += len(chunk)
            if bar is not None:
                bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()
        del vectors
    seconds = time.perf_counter() - start
    return EncodingRun(np.load(path, mmap_mode="r"), path, done, encoded, seconds)
