"""Shared fixtures: small pools with known structure, and the shared benchmark data when it is present."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from activetext.active_learner import PoolBasedActiveLearner
from activetext.classifiers import ConfidenceEnhancedLinearSVC
from activetext.classifiers.base import Classifier
from activetext.classifiers.factories import SklearnClassifierFactory
from activetext.data import SklearnDataset
from activetext.query_strategies import QueryStrategy, RandomSampling


@pytest.fixture(autouse=True, scope="session")
def one_blas_thread():
    """Thousands of tiny fits run far slower when BLAS spreads each over both cores; use one thread."""
    with threadpool_limits(limits=1):
        yield


def blobs(n_per_class: int = 20, num_classes: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Well separated Gaussian blobs: class c is centred at 4 * e_c."""
    rng = np.random.default_rng(seed)
    x = np.vstack(
        [rng.normal(size=(n_per_class, num_classes)) * 0.5 + 4 * np.eye(num_classes)[c] for c in range(num_classes)]
    )
    y = np.repeat(np.arange(num_classes), n_per_class)
    return x, y


@pytest.fixture
def pool() -> SklearnDataset:
    """60 documents in 3 separable classes, with their true labels."""
    x, y = blobs()
    return SklearnDataset(x, y, target_labels=np.arange(3))


@pytest.fixture
def multi_label_pool() -> SklearnDataset:
    """40 documents with 3 labels; label c is present when feature c is positive."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 3))
    return SklearnDataset(x, sp.csr_matrix((x > 0).astype(int)))


class TableClassifier(Classifier):
    """A classifier with fixed probabilities per document, recording which rows it was asked to predict.

    Its datasets carry each row's position as their only feature, so a view of the dataset tells which documents
    it holds and ``table[row]`` is that document's probability vector.
    """

    def __init__(self, table, multi_label: bool = False):
        self.table = np.asarray(table, dtype=np.float64)
        self.calls: list[list[int]] = []
        self.multi_label_ = multi_label

    def fit(self, train, validation=None, weights=None):
        return self

    def predict_proba(self, data):
        rows = np.asarray(data.x[:, 0], dtype=np.int64)
        self.calls.append(rows.tolist())
        return self.table[rows]

    def save(self, folder):
        raise NotImplementedError

    @classmethod
    def load(cls, folder):
        raise NotImplementedError


def make_learner(dataset, strategy: QueryStrategy | None = None, **kwargs) -> PoolBasedActiveLearner:
    """A learner with ConfidenceEnhancedLinearSVC and (by default) seeded random sampling."""
    factory = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC())
    return PoolBasedActiveLearner(factory, strategy or RandomSampling(seed=0), dataset, **kwargs)


def snapshot(learner: PoolBasedActiveLearner) -> dict:
    """Everything observable about a learner's state, for before/after comparisons."""
    if not learner.is_initialized:
        return {"initialized": False}
    y = learner.y
    return {
        "y": y.toarray() if sp.issparse(y) else y,
        "labeled": learner.indices_labeled,
        "unlabeled": learner.indices_unlabeled,
        "ignored": learner.indices_ignored,
        "validation": learner.indices_validation,
        "queried": learner.indices_queried,
        "classifier": id(learner.classifier),
        "proba": None if learner.classifier is None else learner.classifier.predict_proba(learner.dataset),
    }


def assert_same_state(before: dict, after: dict) -> None:
    assert before.keys() == after.keys()
    for key, value in before.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, after[key], err_msg=key)
        else:
            assert value == after[key], key


@pytest.fixture
def topics_csv(tmp_path):
    """A CSV file of 240 documents in 3 topics, with no test file (see text_files.py)."""
    from text_files import write_topics_csv

    return write_topics_csv(tmp_path)


@pytest.fixture
def tagged_jsonl(tmp_path):
    """Multi-label JSONL train and test files (see text_files.py)."""
    from text_files import write_tagged_jsonl

    return write_tagged_jsonl(tmp_path)
