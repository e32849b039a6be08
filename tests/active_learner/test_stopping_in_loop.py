"""Stopping criteria inside the pool-based loop: a stop set kept by the learner, verdicts, rollback, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from activetext.active_learner import PoolBasedActiveLearner
from activetext.exceptions import InvalidArgumentError, InvalidIndicesError
from activetext.query_strategies import BreakingTies
from activetext.stopping_criteria import KappaAverage, MaxLabels, StoppingCriterion
from conftest import assert_same_state, make_learner, snapshot

FORMAT_1 = Path(__file__).resolve().parents[1] / "fixtures" / "saved_learners" / "format-1"


def run_loop(learner: PoolBasedActiveLearner, pool, rounds: int) -> None:
    learner.initialize_data([0, 20, 40], [0, 1, 2])
    for _ in range(rounds):
        learner.update(pool.y[learner.query(num_samples=3)])


def test_the_learner_asks_its_criterion_after_each_training_on_its_stop_set(pool):
    learner = make_learner(pool, stopping_criterion=KappaAverage(3, window_size=2, kappa=0.99), stop_set=25)
    assert learner.indices_stopping.size == 25 and np.all(np.diff(learner.indices_stopping) > 0)
    # the same criterion fed by hand with the classifier's output on the stop set gives the same verdicts
    by_hand = KappaAverage(3, window_size=2, kappa=0.99)
    stop_set = pool[learner.indices_stopping]
    expected = []
    learner.initialize_data([0, 20, 40], [0, 1, 2])
    expected.append(by_hand.stop(predictions=learner.classifier.predict(stop_set)))
    for _ in range(6):
        learner.update(pool.y[learner.query(num_samples=3)])
        expected.append(by_hand.stop(predictions=learner.classifier.predict(stop_set)))
    assert learner.stop_verdicts == expected and learner.should_stop == expected[-1]
    assert learner.stopping_criterion.kappas == by_hand.kappas
    assert learner.should_stop  # three well separated blobs: predictions settle within a few rounds


def test_max_labels_sees_the_labels_of_the_update_that_asks_it(pool):
    learner = make_learner(pool, stopping_criterion=MaxLabels(9))
    run_loop(learner, pool, rounds=2)
    assert learner.stop_verdicts == [False, False, True]  # 3, 6 and 9 labels
    assert learner.stopping_criterion.labeled_counts == (3, 6, 9)


def test_without_a_criterion_the_learner_never_says_stop(pool):
    learner = make_learner(pool)
    run_loop(learner, pool, rounds=2)
    assert not learner.should_stop and learner.stop_verdicts == [] and learner.indices_stopping.size == 0


def test_corrections_do_not_count_as_iterations(pool):
    learner = make_learner(pool, stopping_criterion=MaxLabels(100))
    run_loop(learner, pool, rounds=1)
    learner.update_label_at(20, 2)
    learner.retrain()
    assert len(learner.stop_verdicts) == 2


class FailingCriterion(StoppingCriterion):
    def stop(self, active_learner=None, predictions=None, proba=None, indices_stopping=None):
        raise InvalidArgumentError("the criterion cannot judge these predictions")


def test_a_failing_criterion_leaves_the_learner_as_it_was(pool):
    learner = make_learner(pool, BreakingTies(seed=0), stopping_criterion=MaxLabels(100))
    run_loop(learner, pool, rounds=1)
    learner.query(num_samples=3)
    before, verdicts = snapshot(learner), learner.stop_verdicts
    learner.stopping_criterion = FailingCriterion()
    with pytest.raises(InvalidArgumentError, match="cannot judge"):
        learner.update(pool.y[learner.indices_queried])
    assert_same_state(before, snapshot(learner))  # the labels, the model and the pending query are kept
    assert learner.stop_verdicts == verdicts


def test_an_explicit_stop_set(pool):
    learner = make_learner(pool, stopping_criterion=MaxLabels(100), stop_set=[5, 3, 50])
    assert learner.indices_stopping.tolist() == [5, 3, 50]


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"stopping_criterion": "kappa"}, InvalidArgumentError, "stopping_criterion"),
        ({"stopping_criterion": MaxLabels(5), "stop_set": 0}, InvalidArgumentError, "stop_set"),
        ({"stopping_criterion": MaxLabels(5), "stop_set": [1, 60]}, InvalidIndicesError, "60"),
        ({"stopping_criterion": MaxLabels(5), "stop_set": []}, InvalidArgumentError, "empty"),
        ({"stopping_criterion": MaxLabels(5), "stop_set_seed": -1}, InvalidArgumentError, "stop_set_seed"),
    ],
    ids=["not-a-criterion", "zero-size", "out-of-range", "empty", "bad-seed"],
)
def test_bad_stopping_arguments_are_refused(pool, kwargs, error, words):
    with pytest.raises(error, match=words):
        make_learner(pool, **kwargs)


def test_the_criterion_its_history_and_the_stop_set_are_saved_and_continue(pool, tmp_path):
    learner = make_learner(pool, BreakingTies(seed=1), stopping_criterion=KappaAverage(3, window_size=3, kappa=0.99))
    run_loop(learner, pool, rounds=2)
    learner.save(tmp_path / "saved")
    loaded = PoolBasedActiveLearner.load(tmp_path / "saved", pool)
    assert loaded.stopping_criterion.kappas == learner.stopping_criterion.kappas
    assert np.array_equal(loaded.indices_stopping, learner.indices_stopping)
    assert loaded.stop_verdicts == learner.stop_verdicts
    for current in (learner, loaded):
        for _ in range(3):
            current.update(pool.y[current.query(num_samples=3)])
    assert loaded.stop_verdicts == learner.stop_verdicts
    assert loaded.stopping_criterion.kappas == learner.stopping_criterion.kappas


def test_a_learner_saved_in_format_1_still_loads(pool):
    loaded = PoolBasedActiveLearner.load(FORMAT_1, pool)
    assert loaded.indices_labeled.tolist() == [0, 1, 4, 15, 17, 18, 20, 21, 40, 41, 48]
    assert loaded.indices_queried.tolist() == [29, 24, 38]
    assert loaded.stopping_criterion is None and loaded.stop_verdicts == []
    loaded.update(pool.y[loaded.indices_queried])
    assert loaded.indices_labeled.size == 14
