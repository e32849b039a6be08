"""SynthesisActiveLearner: the loop on raw texts, and bad input that leaves the learner exactly as it was."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from activetext.classifiers.factories import SklearnClassifierFactory
from activetext.data import TextDataset
from activetext.exceptions import (
    InvalidArgumentError,
    InvalidLabelError,
    LabelCountMismatchError,
    LabelShapeError,
    NoPendingQueryError,
    NotInitializedError,
    SynthesisError,
)
from activetext.synthesis import BoundaryRecombination, QuerySynthesizer, SynthesisActiveLearner, text_key

TEXTS = [
    "A warm and funny film. The cast is wonderful.",
    "Great acting and a moving story. I loved it.",
    "A dull plot. The jokes fall flat.",
    "Boring and far too long. I wanted to leave.",
    "Charming, clever and kind. A delight.",
    "Tedious scenes and a weak ending. A mess.",
]
LABELS = [1, 1, 0, 0, 1, 0]
POOL = ["A warm and funny film. I wanted to leave.", "The jokes fall flat. The cast is wonderful."]


def factory() -> SklearnClassifierFactory:
    return SklearnClassifierFactory(make_pipeline(TfidfVectorizer(), LogisticRegression()), num_classes=2)


def make_learner(generator=None, seed: int = 0, **kwargs) -> SynthesisActiveLearner:
    synthesizer = QuerySynthesizer(generator or BoundaryRecombination(), n_candidates=30, seed=seed)
    return SynthesisActiveLearner(factory(), synthesizer, num_classes=2, **kwargs)


def started(generator=None, **kwargs) -> SynthesisActiveLearner:
    learner = make_learner(generator, **kwargs)
    learner.initialize_data(TEXTS, LABELS)
    return learner


def snapshot(learner: SynthesisActiveLearner) -> dict:
    """Everything observable about the learner, including what its next query would be."""
    return {
        "texts": learner.texts,
        "y": learner.y.tolist(),
        "classifier": id(learner.classifier),
        "queried": learner.texts_queried,
        "scores": None if learner.scores_queried is None else learner.scores_queried.tolist(),
        "rng": learner.synthesizer.rng.bit_generator.state,
    }


def test_queries_are_new_distinct_texts_that_join_the_training_data():
    learner = started(pool_texts=POOL)
    classifier = learner.classifier
    queried = learner.query(4)
    assert len(queried) == 4 and len({text_key(text) for text in queried}) == 4
    known = {text_key(text) for text in [*TEXTS, *POOL]}
    assert not known & {text_key(text) for text in queried}
    assert learner.texts_queried == tuple(queried)
    assert np.all(np.diff(learner.scores_queried) <= 0)  # least certain first
    learner.update([1, 0, 1, 0])
    assert learner.texts == (*TEXTS, *queried)
    assert learner.y.tolist() == [*LABELS, 1, 0, 1, 0]
    assert learner.texts_queried is None and learner.scores_queried is None
    assert learner.classifier is not classifier
    data = learner.dataset()
    assert isinstance(data, TextDataset) and len(data) == 10 and data.num_classes == 2


def test_a_new_query_replaces_a_pending_one():
    learner = started()
    learner.query(2)
    second = learner.query(3)
    learner.update([0, 1, 0])
    assert learner.texts[-3:] == tuple(second)


def test_the_same_seed_gives_the_same_queries():
    assert started().query(3) == started().query(3)


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ([], "returned no candidates"),
        ([None, 1.5], r"must return only strings, got None \(NoneType\)"),
        (TEXTS[:2], "only texts that are already known"),
    ],
)
def test_a_generator_that_returns_nothing_usable_leaves_the_learner_as_it_was(output, message):
    learner = started(generator=lambda texts, labels, n, rng: output if fail[0] else [f"new text {rng.random()}"])
    fail = [False]
    learner.query(1)
    fail[0] = True
    before = snapshot(learner)
    with pytest.raises(SynthesisError, match=message):
        learner.query(2)
    assert snapshot(learner) == before
    learner.update([1])  # the pending query is still the one before the failure
    assert learner.texts[-1].startswith("new text")


def test_update_without_a_query_is_refused():
    learner = started()
    before = snapshot(learner)
    with pytest.raises(NoPendingQueryError, match="call query"):
        learner.update([1])
    assert snapshot(learner) == before


@pytest.mark.parametrize(
    ("labels", "error", "message"),
    [
        ([1], LabelCountMismatchError, "labels must have 2 labels, one per text, got 1"),
        ([1, 0, 1], LabelCountMismatchError, "labels must have 2 labels, one per text, got 3"),
        ([1, 2], InvalidLabelError, r"labels must hold labels in \[0, 2\), got \[2\]"),
        ([1, -1], InvalidLabelError, r"got \[-1\]"),
        (["pos", "neg"], InvalidLabelError, "integer class indices"),
        (np.eye(2, dtype=int), LabelShapeError, "single-label data only"),
    ],
)
def test_bad_labels_leave_the_learner_as_it_was(labels, error, message):
    learner = started()
    learner.query(2)
    before = snapshot(learner)
    with pytest.raises(error, match=message):
        learner.update(labels)
    assert snapshot(learner) == before
    learner.update([1, 0])
    assert len(learner.texts) == len(TEXTS) + 2


def test_calls_before_initialize_data_are_refused():
    learner = make_learner()
    for call in (lambda: learner.query(1), lambda: learner.update([1]), lambda: learner.add_texts(["x"], [1])):
        with pytest.raises(NotInitializedError, match="initialize_data"):
            call()
    assert not learner.is_initialized and learner.texts == () and learner.classifier is None


def test_initialize_data_refuses_bad_input_and_keeps_the_previous_start():
    learner = started()
    before = snapshot(learner)
    with pytest.raises(InvalidArgumentError, match="at least one labeled document"):
        learner.initialize_data([], [])
    with pytest.raises(InvalidArgumentError, match=r"texts must hold strings, got 3 \(int\) at 1"):
        learner.initialize_data(["ok", 3], [0, 1])
    with pytest.raises(LabelShapeError, match="SynthesisActiveLearner supports single-label data only"):
        learner.initialize_data(TEXTS[:2], np.array([[1, 0], [0, 1]]))
    with pytest.raises(LabelCountMismatchError, match="labels must have 6 labels"):
        learner.initialize_data(TEXTS, LABELS[:5])
    assert snapshot(learner) == before


def test_texts_a_person_writes_can_be_added_with_their_labels():
    learner = started()
    queried = learner.query(2)
    learner.add_texts(["What a lovely, joyful film."], [1])
    assert learner.texts[-1] == "What a lovely, joyful film." and learner.y[-1] == 1
    assert learner.texts_queried == tuple(queried)  # still pending
    learner.update([0, 1])
    assert learner.texts[-2:] == tuple(queried)


def test_added_texts_must_be_new():
    learner = started()
    queried = learner.query(1)
    before = snapshot(learner)
    with pytest.raises(InvalidArgumentError, match=r"texts\[0\] = .* is already labeled"):
        learner.add_texts([TEXTS[0].upper()], [1])
    with pytest.raises(InvalidArgumentError, match=r"pending in the query \(label it through update\)"):
        learner.add_texts([queried[0]], [1])
    with pytest.raises(InvalidArgumentError, match="given twice"):
        learner.add_texts(["brand new", "Brand  new"], [1, 1])
    with pytest.raises(InvalidArgumentError, match="must not be empty"):
        learner.add_texts(["  "], [1])
    with pytest.raises(InvalidLabelError, match=r"got \[5\]"):
        learner.add_texts(["brand new"], [5])
    assert snapshot(learner) == before


def test_constructor_refuses_bad_arguments():
    synthesizer = QuerySynthesizer(BoundaryRecombination())
    with pytest.raises(InvalidArgumentError, match="clf_factory must be a ClassifierFactory, got str"):
        SynthesisActiveLearner("tfidf", synthesizer, 2)
    with pytest.raises(InvalidArgumentError, match="synthesizer must be a QuerySynthesizer"):
        SynthesisActiveLearner(factory(), BoundaryRecombination(), 2)
    with pytest.raises(InvalidArgumentError, match="num_classes"):
        SynthesisActiveLearner(factory(), synthesizer, 0)
    with pytest.raises(InvalidArgumentError, match="label_names must have one name per class"):
        SynthesisActiveLearner(factory(), synthesizer, 2, label_names=["neg"])
