"""Write tests/fixtures/small_text_parity.json: small-text 1.4.1's selections on fixed probability matrices.

Run from the repository root with either interpreter; when small-text is not importable the script re-runs
itself with ``benchmarks/.venv-small-text/bin/python`` (create that venv with
``.venv/bin/python benchmarks/article_scenario/compare.py --quick`` or by hand, see benchmarks/README.md):

    .venv/bin/python benchmarks/query_scaling/make_parity_fixture.py

The fixture stores how to rebuild every matrix with numpy alone (seed, Dirichlet concentration, shape), a
SHA-256 of the rebuilt bytes (so that a change in numpy's generator is reported as such, not as a parity
failure), the labeled rows, the order of the unlabeled pool handed to ``query`` and, per strategy, the indices
small-text selects with ``n = 10``. ``tests/query_strategies/test_small_text_parity.py`` rebuilds the matrices,
runs activetext's strategies and compares the selected *sets* (small-text returns them in
``np.argpartition`` order, which is arbitrary).

small-text's conventions (1.4.1, ``ConfidenceBasedQueryStrategy``):

- it calls ``clf.predict_proba(dataset)`` on the **whole** dataset (labeled rows included) and then keeps
  ``confidence[indices_unlabeled]``; activetext predicts the candidates only. The selected set is the same
  because the labeled rows are never candidates;
- LeastConfidence keeps the ``n`` smallest ``max_c p``; BreakingTies the ``n`` smallest
  ``p_(1) - p_(2)`` (``np.argsort`` per row); PredictionEntropy the ``n`` largest
  ``scipy.stats.entropy(row)`` (natural log, row renormalized to sum 1);
- the result is ``indices_unlabeled[np.argpartition(score, n)[:n]]``: unordered, and ties at the n-th
  place broken by argpartition's internals. The matrices are continuous Dirichlet samples and the script
  checks that the n-th and (n+1)-th scores differ by more than ``MIN_GAP`` so that no tie decides a set.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
SMALL_TEXT_PYTHON = REPO_ROOT / "benchmarks" / ".venv-small-text" / "bin" / "python"
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "small_text_parity.json"

POOL_SIZE = 200
NUM_LABELED = 20
N = 10
MIN_GAP = 1e-9
STRATEGIES = ("LeastConfidence", "PredictionEntropy", "BreakingTies")
# (num_classes, Dirichlet concentration, seed): small concentrations put rows near the simplex corners
# (probabilities close to 0, where entropy implementations differ most), large ones near the centre.
CASES = [
    (2, 1.0, 0),
    (2, 0.3, 1),
    (3, 1.0, 2),
    (3, 0.5, 3),
    (3, 5.0, 4),
    (4, 1.0, 5),
    (4, 0.3, 6),
    (4, 3.0, 7),
]


def build_case(num_classes: int, alpha: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rebuild one case with numpy only (the test repeats exactly these lines).

    Returns the ``(POOL_SIZE, C)`` probability matrix, the labeled rows and the unlabeled pool in the
    (shuffled) order handed to ``query``.
    """
    rng = np.random.default_rng(seed)
    proba = rng.dirichlet(np.full(num_classes, alpha), size=POOL_SIZE)
    labeled = np.sort(rng.choice(POOL_SIZE, size=NUM_LABELED, replace=False))
    unlabeled = rng.permutation(np.setdiff1d(np.arange(POOL_SIZE), labeled))
    return proba, labeled, unlabeled


def matrix_digest(proba: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(proba, dtype="<f8").tobytes()).hexdigest()


def boundary_gap(scores: np.ndarray, n: int) -> float:
    """Distance between the n-th and (n+1)-th best (smallest) scores."""
    ordered = np.sort(scores)
    return float(ordered[n] - ordered[n - 1])


def compact_json(obj) -> str:
    """Indented JSON with every list of numbers on one line."""
    text = json.dumps(obj, indent=1)
    return re.sub(r"\[[\s0-9eE+\-.,]*\]", lambda m: json.dumps(json.loads(m.group(0))), text)


def main() -> None:
    try:
        import small_text  # noqa: F401
    except ImportError:
        if not SMALL_TEXT_PYTHON.exists():
            sys.exit(f"small-text is not importable and {SMALL_TEXT_PYTHON} is missing; create it first "
                     "(see benchmarks/README.md)")
        os.execv(str(SMALL_TEXT_PYTHON), [str(SMALL_TEXT_PYTHON), *sys.argv])

    from scipy.stats import entropy
    from small_text import BreakingTies, LeastConfidence, PredictionEntropy, SklearnDataset
    from small_text.classifiers.classification import Classifier
    from small_text.version import __version__ as small_text_version

    class FixedProba(Classifier):
        """predict_proba returns the rows of a fixed matrix; the dataset's single feature is the row id."""

        def __init__(self, proba):
            self.proba = proba

        def fit(self, train_set, weights=None):
            return self

        def predict(self, data_set, return_proba=False):
            proba = self.predict_proba(data_set)
            return (proba.argmax(axis=1), proba) if return_proba else proba.argmax(axis=1)

        def predict_proba(self, data_set):
            return self.proba[np.asarray(data_set.x[:, 0], dtype=np.int64)]

    classes = {"LeastConfidence": LeastConfidence, "PredictionEntropy": PredictionEntropy,
               "BreakingTies": BreakingTies}
    # the score small-text minimizes, to check that the boundary is not a near-tie
    minimized = {
        "LeastConfidence": lambda p: p.max(axis=1),
        "PredictionEntropy": lambda p: -entropy(p, axis=1),
        "BreakingTies": lambda p: np.diff(np.sort(p, axis=1)[:, -2:], axis=1)[:, 0],
    }

    cases = []
    for num_classes, alpha, seed in CASES:
        proba, labeled, unlabeled = build_case(num_classes, alpha, seed)
        y = np.full(POOL_SIZE, -1, dtype=np.int64)
        y[labeled] = np.argmax(proba[labeled], axis=1)
        dataset = SklearnDataset(np.arange(POOL_SIZE, dtype=np.int64).reshape(-1, 1), y,
                                 target_labels=np.arange(num_classes))
        clf = FixedProba(proba)
        selected = {}
        gaps = {}
        labeled_in_top = {}
        for name in STRATEGIES:
            np.random.seed(seed)  # noqa: NPY002 - small-text's strategies take no seed
            indices = classes[name]().query(clf, dataset, unlabeled.copy(), labeled.copy(), y[labeled], n=N)
            indices = np.asarray(indices, dtype=np.int64)
            assert indices.size == N and np.unique(indices).size == N
            assert not np.isin(indices, labeled).any()
            gap = boundary_gap(minimized[name](proba[unlabeled]), N)
            if gap <= MIN_GAP:
                sys.exit(f"case C={num_classes} alpha={alpha} seed={seed}: {name} has a near-tie at the "
                         f"{N}-th place (gap {gap:.3g}); choose another seed")
            selected[name] = sorted(indices.tolist())
            # how many labeled rows would have been picked had they been candidates (exclusion matters)
            everything = np.argsort(minimized[name](proba), kind="stable")[:N]
            labeled_in_top[name] = int(np.isin(everything, labeled).sum())
            gaps[name] = gap
        cases.append({
            "num_classes": num_classes,
            "alpha": alpha,
            "seed": seed,
            "proba_sha256": matrix_digest(proba),
            "proba_first_row": proba[0].tolist(),
            "labeled": labeled.tolist(),
            "unlabeled_order_sha256": hashlib.sha256(unlabeled.astype("<i8").tobytes()).hexdigest(),
            "selected": selected,
            "boundary_gap": gaps,
            "labeled_rows_in_top_n_of_all_rows": labeled_in_top,
        })

    fixture = {
        "description": "small-text 1.4.1 selections (n=10) of LeastConfidence, PredictionEntropy and "
                       "BreakingTies on fixed Dirichlet probability matrices; generated by "
                       "benchmarks/query_scaling/make_parity_fixture.py",
        "small_text_version": small_text_version,
        "numpy_version": np.__version__,
        "generator": {
            "rng": "rng = numpy.random.default_rng(seed)",
            "proba": "rng.dirichlet(numpy.full(num_classes, alpha), size=pool_size)",
            "labeled": "numpy.sort(rng.choice(pool_size, size=num_labeled, replace=False))",
            "unlabeled": "rng.permutation(numpy.setdiff1d(numpy.arange(pool_size), labeled))",
            "note": "the three draws are made in this order from the same generator",
        },
        "conventions": {
            "scored_rows": "small-text predicts the whole dataset (labeled rows included) and selects among "
                           "confidence[indices_unlabeled]; activetext predicts the candidates only",
            "order": "small-text returns indices_unlabeled[np.argpartition(score, n)[:n]] (unordered): "
                     "compare sets",
            "entropy": "scipy.stats.entropy per row (natural log, row renormalized)",
            "breaking_ties": "p_(1) - p_(2), smallest first",
            "least_confidence": "max_c p, smallest first",
        },
        "pool_size": POOL_SIZE,
        "num_labeled": NUM_LABELED,
        "n": N,
        "min_boundary_gap": MIN_GAP,
        "cases": cases,
    }
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(compact_json(fixture) + "\n")
    print(f"wrote {FIXTURE.relative_to(REPO_ROOT)}: {len(cases)} cases x {len(STRATEGIES)} strategies "
          f"(small-text {small_text_version}, numpy {np.__version__})")


if __name__ == "__main__":
    main()
