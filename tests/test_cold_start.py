"""Cold-start initialization: diverse and zero-shot selection with no labels."""

from __future__ import annotations

import numpy as np
import pytest

from activetext.exceptions import InvalidArgumentError
from activetext.initialization import (
    ColdStart,
    diverse_initialization,
    random_initialization,
    zero_shot_initialization,
)


def three_groups(n_per_group: int = 20) -> np.ndarray:
    """Three tight groups far apart: group g sits around 10 * e_g."""
    centres = np.repeat(np.eye(3) * 10, n_per_group, axis=0)
    return centres + np.random.default_rng(0).normal(size=centres.shape)


@pytest.mark.parametrize("method", list(ColdStart))
def test_diverse_initialization_takes_one_document_of_each_group(method):
    points = three_groups()
    picked = diverse_initialization(points, 3, method=method, seed=0)
    assert sorted((picked // 20).tolist()) == [0, 1, 2]
    assert picked.dtype == np.int64 and np.all(np.diff(picked) > 0)


def test_diverse_initialization_is_reproducible_and_valid():
    points = np.random.default_rng(1).normal(size=(200, 5))
    first = diverse_initialization(points, 15, seed=3)
    assert np.array_equal(first, diverse_initialization(points, 15, seed=3))
    assert first.size == 15 and np.unique(first).size == 15 and first.max() < 200


def test_zero_shot_initialization_takes_the_best_match_of_each_class_by_direction():
    docs = np.array([[1.0, 0.1], [0.9, 0.0], [0.1, 1.0], [0.0, 0.8]])
    labels = np.array([[1.0, 0.0], [0.0, 1.0]])
    # cosine: documents 1 and 3 point exactly at their classes (their lengths do not matter)
    assert zero_shot_initialization(docs, labels, 2, seed=0).tolist() == [1, 3]
    assert zero_shot_initialization(docs, labels, 4, seed=0).tolist() == [0, 1, 2, 3]


def test_zero_shot_initialization_covers_a_class_no_document_is_matched_to():
    docs = np.array([[1.0, 0.0], [0.9, 0.1], [0.8, 0.2], [0.7, 0.3]])
    labels = np.array([[1.0, 0.0], [0.0, 1.0]])  # every document is nearer class 0
    picked = zero_shot_initialization(docs, labels, 2, seed=0)
    assert picked.tolist() == [0, 3]  # class 1 takes the document most similar to it


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: diverse_initialization(np.ones(5), 2), "2-d"),
        (lambda: diverse_initialization(np.full((4, 2), np.nan), 2), "finite"),
        (lambda: diverse_initialization(np.ones((4, 2)), 5), "at most the 4"),
        (lambda: diverse_initialization(np.ones((4, 2)), 2, method="spectral"), "'spectral'"),
        (lambda: zero_shot_initialization(np.ones((4, 2)), np.ones((2, 3)), 2), "dimension"),
        (lambda: zero_shot_initialization(np.ones((4, 2)), np.empty((0, 2)), 2), "label_embeddings"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(call, words):
    with pytest.raises(InvalidArgumentError, match=words):
        call()


def test_zero_shot_batch_covers_more_intents_than_a_random_batch_on_banking77():
    pytest.importorskip("sentence_transformers")
    from test_article_program import shared_data_available

    if not shared_data_available():
        pytest.skip("the shared data sets are not present")
    from activetext.datasets import load_benchmark
    from activetext.encoders import SentenceTransformerEncoder

    pool = load_benchmark("banking77")[np.arange(0, 10003, 10)]  # 1,001 questions, 77 intents
    encoder = SentenceTransformerEncoder()
    embeddings = encoder.encode(list(pool.x))
    label_embeddings = encoder.encode([name.replace("_", " ") for name in pool.label_names])
    size = pool.num_classes
    covered_zero_shot = np.unique(pool.y[zero_shot_initialization(embeddings, label_embeddings, size, seed=0)]).size
    covered_random = [np.unique(pool.y[random_initialization(pool, size, seed=s)]).size for s in range(5)]
    covered_diverse = np.unique(pool.y[diverse_initialization(embeddings, size, seed=0)]).size
    assert covered_zero_shot > max(covered_random)
    assert covered_diverse > np.mean(covered_random)
