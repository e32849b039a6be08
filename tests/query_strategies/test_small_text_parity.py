"""Parity with small-text 1.4.1: the uncertainty strategies select the same documents on the same probabilities.

The fixture ``tests/fixtures/small_text_parity.json`` holds small-text's selections (``n = 10``) of
LeastConfidence, PredictionEntropy and BreakingTies on Dirichlet probability matrices (C = 2, 3, 4; pool of
200 with 20 labeled rows), written by ``benchmarks/query_scaling/make_parity_fixture.py`` in small-text's
virtual environment. This test needs numpy only: it rebuilds each matrix from its seed, hands the same labeled
rows and the same (shuffled) unlabeled pool to activetext, and compares the selected *sets*.

small-text's conventions, and why the sets still have to agree:

- small-text predicts the whole dataset, labeled rows included, and selects among
  ``confidence[indices_unlabeled]``; activetext predicts the candidates only. Labeled rows are never
  candidates, so the sets agree (several cases have labeled rows among the 10 most uncertain rows overall,
  which checks that both leave them out);
- small-text returns ``indices_unlabeled[np.argpartition(score, n)[:n]]``, in no meaningful order, while
  activetext returns the best first: compare as sets;
- small-text's entropy is ``scipy.stats.entropy`` per row (natural log, row renormalized to sum 1), its
  breaking ties is ``p_(1) - p_(2)`` smallest first, least confidence ``max_c p`` smallest first; the
  fixture's matrices have no near-tie at the 10th place (gap > 1e-9), so tie-breaking never decides.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from activetext.classifiers.base import Classifier
from activetext.data import SklearnDataset
from activetext.query_strategies import BreakingTies, LeastConfidence, PredictionEntropy

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "small_text_parity.json"
PARITY = json.loads(FIXTURE.read_text())
STRATEGIES = {"LeastConfidence": LeastConfidence, "PredictionEntropy": PredictionEntropy, "BreakingTies": BreakingTies}


def rebuild(case: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The numpy lines of ``make_parity_fixture.build_case``: matrix, labeled rows, unlabeled pool order."""
    pool_size, num_labeled = PARITY["pool_size"], PARITY["num_labeled"]
    rng = np.random.default_rng(case["seed"])
    proba = rng.dirichlet(np.full(case["num_classes"], case["alpha"]), size=pool_size)
    labeled = np.sort(rng.choice(pool_size, size=num_labeled, replace=False))
    unlabeled = rng.permutation(np.setdiff1d(np.arange(pool_size), labeled))
    return proba, labeled, unlabeled


class FixedProbabilities(Classifier):
    """Returns rows of a fixed matrix; the dataset's only feature column holds the row number."""

    def __init__(self, proba: np.ndarray):
        self.proba = proba
        self.multi_label_ = False

    def fit(self, train, validation=None, weights=None):
        return self

    def predict_proba(self, data):
        return self.proba[np.asarray(data.x[:, 0], dtype=np.int64)]

    def save(self, folder):
        raise NotImplementedError

    @classmethod
    def load(cls, folder):
        raise NotImplementedError


def case_id(case: dict[str, Any]) -> str:
    return f"C{case['num_classes']}-alpha{case['alpha']}-seed{case['seed']}"


def test_fixture_covers_the_promised_cases():
    assert PARITY["small_text_version"] == "1.4.1"
    assert {case["num_classes"] for case in PARITY["cases"]} == {2, 3, 4}
    assert all(set(case["selected"]) == set(STRATEGIES) for case in PARITY["cases"])
    # at least one case where a labeled row is among the most uncertain rows overall: exclusion is tested
    assert any(max(case["labeled_rows_in_top_n_of_all_rows"].values()) > 0 for case in PARITY["cases"])


@pytest.mark.parametrize("case", PARITY["cases"], ids=case_id)
def test_rebuilt_matrix_is_the_fixture_matrix(case):
    proba, labeled, unlabeled = rebuild(case)
    digest = hashlib.sha256(np.ascontiguousarray(proba, dtype="<f8").tobytes()).hexdigest()
    assert digest == case["proba_sha256"], (
        f"numpy {np.__version__} draws other Dirichlet samples than numpy {PARITY['numpy_version']} did when the "
        "fixture was written; regenerate it with benchmarks/query_scaling/make_parity_fixture.py"
    )
    assert labeled.tolist() == case["labeled"]
    assert hashlib.sha256(unlabeled.astype("<i8").tobytes()).hexdigest() == case["unlabeled_order_sha256"]


@pytest.mark.parametrize("name", sorted(STRATEGIES))
@pytest.mark.parametrize("case", PARITY["cases"], ids=case_id)
def test_same_selection_as_small_text(case, name):
    proba, labeled, unlabeled = rebuild(case)
    if hashlib.sha256(np.ascontiguousarray(proba, dtype="<f8").tobytes()).hexdigest() != case["proba_sha256"]:
        pytest.fail("the rebuilt matrix differs from the fixture's (see test_rebuilt_matrix_is_the_fixture_matrix)")
    pool_size, n = PARITY["pool_size"], PARITY["n"]
    y = np.full(pool_size, -1)
    y[labeled] = np.argmax(proba[labeled], axis=1)
    dataset = SklearnDataset(
        np.arange(pool_size, dtype=np.int64).reshape(-1, 1), y, target_labels=np.arange(case["num_classes"])
    )
    strategy = STRATEGIES[name](seed=0)
    selected = strategy.query(FixedProbabilities(proba), dataset, unlabeled, labeled, y[labeled], n=n)
    assert selected.shape == (n,)
    assert sorted(selected.tolist()) == case["selected"][name]


@pytest.mark.parametrize("case", PARITY["cases"], ids=case_id)
def test_selection_does_not_depend_on_the_pool_order(case):
    """small-text's result does not depend on the order of indices_unlabeled; neither may activetext's."""
    proba, labeled, unlabeled = rebuild(case)
    dataset = SklearnDataset(
        np.arange(PARITY["pool_size"], dtype=np.int64).reshape(-1, 1), target_labels=np.arange(case["num_classes"])
    )
    clf = FixedProbabilities(proba)
    for name, strategy_class in STRATEGIES.items():
        shuffled = strategy_class(seed=1).query(clf, dataset, unlabeled, labeled, np.zeros(labeled.size), n=PARITY["n"])
        ordered = strategy_class(seed=2).query(
            clf, dataset, np.sort(unlabeled), labeled, np.zeros(labeled.size), n=PARITY["n"]
        )
        assert set(shuffled.tolist()) == set(ordered.tolist()) == set(case["selected"][name])
