"""Small text data sets of your own, written as files, for the simulation harness tests."""

from __future__ import annotations

import csv
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
