"""Small text data sets of your own, written as CSV and JSONL files (the fixtures are in conftest.py)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

TOPICS = {
    "sport": "goal match team coach league score player season referee stadium".split(),
    "finance": "bank stock market shares profit investor bond rates inflation fund".split(),
    "science": "cell gene protein telescope planet physics atom quantum climate fossil".split(),
}
NOISE = "the a of and to in is it that was for on with as".split()


def topic_texts(n_per_class: int, seed: int) -> list[tuple[str, str]]:
    """Documents of 3 topics: mostly topic words, some noise words and a few words of another topic."""
    rng = np.random.default_rng(seed)
    names = list(TOPICS)
    rows = []
    for label in names:
        others = [w for name in names if name != label for w in TOPICS[name]]
        for _ in range(n_per_class):
            words = list(rng.choice(TOPICS[label], 4)) + list(rng.choice(NOISE, 4)) + list(rng.choice(others, 2))
            rng.shuffle(words)
            rows.append((" ".join(words), label))
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


def write_config(folder: Path, text: str, name: str = "experiment.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def write_topics_csv(folder: Path) -> Path:
    """A CSV file of 240 documents in 3 topics (no test file: the harness splits it)."""
    return write_csv(folder / "topics.csv", topic_texts(80, seed=0))


def write_tagged_jsonl(folder: Path) -> tuple[Path, Path]:
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
        path = folder / f"tagged-{split}.jsonl"
        path.write_text("".join(json.dumps(row) + "\n" for row in rows(n)), encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]
