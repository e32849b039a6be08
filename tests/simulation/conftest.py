"""Fixtures of the simulation harness tests: small data sets of your own, written as files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from simulation_files import NOISE, TOPICS, topic_texts, write_csv


@pytest.fixture
def topics_csv(tmp_path: Path) -> Path:
    """A CSV file of 240 documents in 3 topics (no test file: the harness splits it)."""
    return write_csv(tmp_path / "topics.csv", topic_texts(80, seed=0))


@pytest.fixture
def tagged_jsonl(tmp_path: Path) -> tuple[Path, Path]:
    """Multi-label JSONL train and test files: each document has one or two of the 3 topics as labels."""
    rng = np.random.default_rng(3)
    names = list(TOPICS)

    def rows(n: int) -> list[dict]:
        out = []
        for _ in range(n):
            labels = sorted(rng.choice(3, rng.integers(1, 3), replace=False).tolist())
            words = [w for c in labels for w in rng.choice(TOPICS[names[c]], 4)] + list(rng.choice(NOISE, 3))
            out.append({"text": " ".join(words), "label": labels})
        return out

    paths = []
    for split, n in (("train", 200), ("test", 80)):
        path = tmp_path / f"tagged-{split}.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in rows(n)), encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]
