"""Resumable chunked encoding: a run interrupted after some chunks resumes at the next one, with the same result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from activetext.encoders.base import Encoder
from activetext.encoders.chunked import encode_to_memmap, progress_path
from activetext.exceptions import InvalidArgumentError


class LetterEncoder(Encoder):
    """Vectors computed by hand: (length, number of 'a', first character code); fails after ``fail_after`` calls."""

    def __init__(self, fail_after: int | None = None, tag: str = "letters"):
        self.fail_after = fail_after
        self.tag = tag
        self.calls: list[list[str]] = []

    @property
    def identity(self) -> str:
        return self.tag

    def encode(self, texts):
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise RuntimeError("simulated crash")
        self.calls.append(list(texts))
        return np.array([[len(t), t.count("a"), ord(t[0])] for t in texts], dtype=np.float32)

    def save(self, folder: Path) -> dict[str, Any]:
        return {}

    @classmethod
    def load(cls, folder: Path, config: dict[str, Any]) -> LetterEncoder:
        return cls()


TEXTS = [f"{'a' * (i % 5)}text {i}" for i in range(23)]


def expected() -> np.ndarray:
    return np.array([[len(t), t.count("a"), ord(t[0])] for t in TEXTS], dtype=np.float32)


def test_an_interrupted_run_resumes_at_the_next_chunk(tmp_path):
    path = tmp_path / "vectors.npy"
    with pytest.raises(RuntimeError, match="simulated crash"):
        encode_to_memmap(LetterEncoder(fail_after=3), TEXTS, path, chunk_size=5, progress=False)
    record = json.loads(progress_path(path).read_text())
    assert record["chunks_done"] == 3 and record["n_chunks"] == 5

    resumed = LetterEncoder()
    run = encode_to_memmap(resumed, TEXTS, path, chunk_size=5, progress=False)
    assert run.resumed_from == 3
    assert resumed.calls == [TEXTS[15:20], TEXTS[20:23]]  # chunks 0-2 are not encoded again
    assert run.encoded == 8 and run.texts_per_second > 0
    np.testing.assert_array_equal(run.vectors, expected())

    fresh = encode_to_memmap(LetterEncoder(), TEXTS, tmp_path / "fresh.npy", chunk_size=5, progress=False)
    assert fresh.resumed_from == 0 and fresh.encoded == 23
    np.testing.assert_array_equal(np.load(path), np.load(tmp_path / "fresh.npy"))

    again = LetterEncoder()
    assert encode_to_memmap(again, TEXTS, path, chunk_size=5, progress=False).encoded == 0 and again.calls == []


@pytest.mark.parametrize("change", [{"texts": [*TEXTS[:-1], "changed"]}, {"tag": "other-encoder"}, {"chunk_size": 4}])
def test_a_record_for_other_texts_encoder_or_chunking_is_not_reused(tmp_path, change):
    path = tmp_path / "vectors.npy"
    with pytest.raises(RuntimeError):
        encode_to_memmap(LetterEncoder(fail_after=2), TEXTS, path, chunk_size=5, progress=False)
    texts = change.get("texts", TEXTS)
    encoder = LetterEncoder(tag=change.get("tag", "letters"))
    run = encode_to_memmap(encoder, texts, path, chunk_size=change.get("chunk_size", 5), progress=False)
    assert run.resumed_from == 0 and run.encoded == len(texts)
    assert run.vectors[-1, 0] == len(texts[-1])


def test_progress_bar_shows_throughput(tmp_path, capsys):
    pytest.importorskip("tqdm")
    encode_to_memmap(LetterEncoder(), TEXTS, tmp_path / "v.npy", chunk_size=5, progress=True)
    err = capsys.readouterr().err
    assert "23.0/23.0" in err and "text/s" in err


def test_bad_arguments(tmp_path):
    with pytest.raises(InvalidArgumentError, match="encoder must be an Encoder, got 'x'"):
        encode_to_memmap("x", TEXTS, tmp_path / "v.npy")
    with pytest.raises(InvalidArgumentError, match="path must be in an existing folder"):
        encode_to_memmap(LetterEncoder(), TEXTS, tmp_path / "missing" / "v.npy")
    with pytest.raises(InvalidArgumentError, match="chunk_size must be an int >= 1, got 0"):
        encode_to_memmap(LetterEncoder(), TEXTS, tmp_path / "v.npy", chunk_size=0)
    assert not (tmp_path / "v.npy").exists()
