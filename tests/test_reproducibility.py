"""The same seeds give the same queries, the same learning curve and the same saved folder, byte for byte, in
separate processes (with different hash seeds, so nothing may depend on set or dict order or on memory addresses).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

LOOP = """
import json, sys
from pathlib import Path
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score
from sklearn.pipeline import make_pipeline
from activetext import (BreakingTies, ConfidenceEnhancedLinearSVC, KappaAverage, PoolBasedActiveLearner,
                        SklearnClassifierFactory, balanced_initialization)
from activetext.datasets import load_benchmark

out = Path(sys.argv[1])
train, test = load_benchmark("ag_news", "train"), load_benchmark("ag_news", "test")
pool = train[np.random.default_rng(0).permutation(len(train))[:600]]
test = test[:400]
vectorizer = TfidfVectorizer(min_df=2, max_df=0.5, stop_words="english")
factory = SklearnClassifierFactory(make_pipeline(vectorizer, ConfidenceEnhancedLinearSVC(random_state=0)), 4)
learner = PoolBasedActiveLearner(
    factory, BreakingTies(seed=3), pool, stopping_criterion=KappaAverage(4), stop_set=200, stop_set_seed=5
)
initial = balanced_initialization(pool.y, 8, seed=1)
learner.initialize_data(initial, pool.y[initial])
queries, curve = [], [accuracy_score(test.y, learner.classifier.predict(test))]
for _ in range(4):
    queried = learner.query(num_samples=10)
    learner.update(pool.y[queried])
    queries.append(queried.tolist())
    curve.append(accuracy_score(test.y, learner.classifier.predict(test)))
learner.save(out / "saved")
(out / "run.json").write_text(json.dumps({"queries": queries, "curve": curve, "verdicts": learner.stop_verdicts}))
"""


def run_loop(folder: Path, hash_seed: str) -> dict[str, bytes]:
    script = folder.parent / "loop.py"
    script.write_text(LOOP, encoding="utf-8")
    environment = {**os.environ, "PYTHONHASHSEED": hash_seed}
    subprocess.run([sys.executable, str(script), str(folder)], check=True, env=environment, timeout=300)
    return {
        path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()
    }


@pytest.mark.slow
def test_a_loop_run_twice_in_separate_processes_saves_identical_folders(tmp_path):
    first = run_loop(tmp_path / "first", hash_seed="1")
    second = run_loop(tmp_path / "second", hash_seed="2")
    assert sorted(first) == sorted(second)
    assert "saved/classifier/model.joblib" in first and "saved/manifest.json" in first
    different = [name for name in first if first[name] != second[name]]
    assert different == []  # the saved learner holds no timestamp: every file must match
