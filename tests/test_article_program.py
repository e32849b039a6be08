"""The article's example program runs on activetext with only the package name changed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from activetext.datasets import data_root
from activetext.exceptions import DatasetNotFoundError

PROGRAM = Path(__file__).resolve().parents[1] / "examples" / "article_program.py"


def shared_data_available() -> bool:
    try:
        return (data_root() / "20newsgroups").is_dir()
    except DatasetNotFoundError:
        return False


pytestmark = pytest.mark.skipif(not shared_data_available(), reason="the shared 20newsgroups data is not present")


def test_program_imports_only_what_the_article_imports():
    """Apart from the corpus loader, the program's imports are the article's with small_text renamed."""
    imports = {line for line in PROGRAM.read_text().splitlines() if line.startswith(("import ", "from "))}
    article = {
        "import numpy as np",
        "from small_text.active_learner import PoolBasedActiveLearner",
        "from small_text.classifiers import ConfidenceEnhancedLinearSVC",
        "from small_text.classifiers.factories import SklearnClassifierFactory",
        "from small_text.query_strategies import PoolExhaustedException, EmptyPoolException",
        "from small_text.query_strategies import RandomSampling",
        "from small_text.data import SklearnDataSet",
        "from sklearn.feature_extraction.text import TfidfVectorizer",
        "from sklearn.preprocessing import normalize",
        "from sklearn.metrics import f1_score",
    }
    renamed = {line.replace("small_text", "activetext") for line in article}
    assert imports - renamed == {"from activetext.datasets import fetch_20newsgroups"}
    assert renamed <= imports


def test_article_program_runs_and_learns():
    completed = subprocess.run(
        [sys.executable, str(PROGRAM)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert "Iteration #0 (40 samples)" in out
    assert "Iteration #14 (320 samples)" in out
    test_scores = [float(value) for value in re.findall(r"Test accuracy: ([0-9.]+)", out)]
    assert len(test_scores) == 15
    # 320 random labels on baseball vs hockey: well above chance, as in the article (0.76 at 40 labels)
    assert test_scores[-1] > 0.75
    assert "Error!" not in out
