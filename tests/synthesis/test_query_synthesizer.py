"""QuerySynthesizer: which candidates it keeps, how it ranks them, and how it refuses a generator's bad output."""

from __future__ import annotations

import numpy as np
import pytest
from test_synthesis_generators import FixedProbabilities

from activetext.exceptions import InvalidArgumentError, LabelShapeError, SynthesisError
from activetext.query_strategies.uncertainty import least_confidence
from activetext.synthesis import QuerySynthesizer, SynthesisResult

LABELED = ["a good film", "a bad plot"]
LABELS = [1, 0]

# probabilities of the candidates: margins 0.8, 0.1, 0.4, 0.0 (breaking ties scores 0.2, 0.9, 0.6, 1.0)
TABLE = {
    "clear": [0.1, 0.9],
    "close": [0.45, 0.55],
    "middle": [0.3, 0.7],
    "tie": [0.5, 0.5],
    "a good film": [0.2, 0.8],
    "a bad plot": [0.8, 0.2],
}
CLASSIFIER = FixedProbabilities(TABLE)


def returning(*outputs):
    """A generator function that returns ``outputs`` in turn (the last one from then on)."""
    queue = list(outputs)

    def generate(texts, labels, n, rng):
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return generate


def test_keeps_the_least_certain_candidates_in_order():
    synthesizer = QuerySynthesizer(returning(["clear", "close", "middle", "tie"]), seed=0)
    result = synthesizer.synthesize(CLASSIFIER, LABELED, LABELS, n=3)
    assert isinstance(result, SynthesisResult)
    assert result.texts == ("tie", "close", "middle")
    np.testing.assert_allclose(result.scores, [1.0, 0.9, 0.6])
    assert result.candidates == ("clear", "close", "middle", "tie")
    np.testing.assert_allclose(result.candidate_scores, [0.2, 0.9, 0.6, 1.0])
    assert synthesizer.last_result is result


def test_a_custom_score_decides_the_ranking():
    reverse = QuerySynthesizer(returning(["clear", "close", "tie"]), score=lambda proba: proba.max(axis=1), seed=0)
    assert reverse.synthesize(CLASSIFIER, LABELED, LABELS, n=1).texts == ("clear",)
    confidence = QuerySynthesizer(returning(["clear", "close", "tie"]), score=least_confidence, seed=0)
    np.testing.assert_allclose(confidence.synthesize(CLASSIFIER, LABELED, LABELS, n=3).scores, [0.5, 0.45, 0.1])


def test_duplicates_labeled_and_excluded_texts_are_dropped():
    generated = ["close", "Close ", "A GOOD  film", "tie", "middle", "  close", "", "tie"]
    synthesizer = QuerySynthesizer(returning(generated), seed=0)
    result = synthesizer.synthesize(CLASSIFIER, LABELED, LABELS, n=10, exclude=["Middle"])
    assert result.candidates == ("close", "tie")
    assert result.texts == ("tie", "close")  # fewer than n: only two new, distinct texts
    assert result.n_generated == 8


def test_the_generator_gets_copies_and_the_candidate_count():
    seen = {}

    def generate(texts, labels, n, rng):
        seen.update(texts=texts, labels=labels, n=n)
        labels[:] = 7  # must not reach the caller's labels
        texts.append("tampered")
        return ["tie"]

    labels = np.array(LABELS)
    texts = list(LABELED)
    QuerySynthesizer(generate, n_candidates=33, seed=0).synthesize(CLASSIFIER, texts, labels, n=1)
    assert seen["n"] == 33 and seen["texts"][:2] == LABELED
    assert labels.tolist() == LABELS and texts == LABELED


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ([], r"CallableGenerator\(.*generate\) returned no candidates \(an empty list\); expected up to 100"),
        (None, r"must return a list of strings, got None \(NoneType\)"),
        ("tie", r"must return a list of strings, got 'tie' \(str\)"),
        (["tie", 3, b"x"], r"must return only strings, got 3 \(int\) at positions \[1, 2\] of 3"),
        (["  ", ""], r"returned only empty texts: 2 texts"),
        (["a good film", "A bad plot"], r"returned only texts that are already known .* such as 'a good film'"),
    ],
)
def test_bad_generator_output_is_refused_clearly(output, message):
    synthesizer = QuerySynthesizer(returning(output), seed=0)
    with pytest.raises(SynthesisError, match=message) as raised:
        synthesizer.synthesize(CLASSIFIER, LABELED, LABELS, n=2)
    assert "generate" in raised.value.generator
    assert synthesizer.last_result is None


def test_only_excluded_texts_count_as_known():
    synthesizer = QuerySynthesizer(returning(["tie"]), seed=0)
    with pytest.raises(SynthesisError, match="already known"):
        synthesizer.synthesize(CLASSIFIER, LABELED, LABELS, n=1, exclude=["TIE"])


def test_a_failed_call_leaves_the_random_state_as_it_was():
    def draw(texts, labels, n, rng):
        value = rng.random()
        return [] if fail[0] else [f"draw {value:.12f}"]

    fail = [True]
    table = FixedProbabilities({}, default=[0.5, 0.5])
    synthesizer = QuerySynthesizer(draw, seed=5)
    with pytest.raises(SynthesisError):
        synthesizer.synthesize(table, LABELED, LABELS, n=1)
    fail[0] = False
    after_failure = synthesizer.synthesize(table, LABELED, LABELS, n=1).texts
    assert after_failure == QuerySynthesizer(draw, seed=5).synthesize(table, LABELED, LABELS, n=1).texts


def test_a_score_of_the_wrong_shape_is_refused():
    synthesizer = QuerySynthesizer(returning(["tie", "close"]), score=lambda proba: proba, seed=0)
    with pytest.raises(SynthesisError, match=r"must return one finite value per candidate \(shape \(2,\)\), got"):
        synthesizer.synthesize(CLASSIFIER, LABELED, LABELS, n=1)


def test_bad_arguments_are_refused():
    with pytest.raises(InvalidArgumentError, match="n_candidates"):
        QuerySynthesizer(returning(["tie"]), n_candidates=0)
    with pytest.raises(InvalidArgumentError, match="score must be a callable"):
        QuerySynthesizer(returning(["tie"]), score="margin")
    synthesizer = QuerySynthesizer(returning(["tie"]), seed=0)
    with pytest.raises(LabelShapeError, match="single-label"):
        synthesizer.synthesize(CLASSIFIER, LABELED, np.eye(2, dtype=int), n=1)
    with pytest.raises(LabelShapeError, match="labels must have 2 entries, got 1"):
        synthesizer.synthesize(CLASSIFIER, LABELED, [1], n=1)
    with pytest.raises(InvalidArgumentError, match="n must be"):
        synthesizer.synthesize(CLASSIFIER, LABELED, LABELS, n=0)
    with pytest.raises(InvalidArgumentError, match="texts must hold strings"):
        synthesizer.synthesize(CLASSIFIER, ["ok", None], LABELS, n=1)
