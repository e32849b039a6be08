"""Regression tests for the bugs the fuzzing suite found: each was an internal error (or an undocumented
exception, or a half-applied state) reached through the public API, and is now a documented error."""

from __future__ import annotations

import numpy as np
import pytest

from activetext.active_learner import PoolBasedActiveLearner
from activetext.classifiers import ConfidenceEnhancedLinearSVC
from activetext.classifiers.factories import SklearnClassifierFactory
from activetext.data import SklearnDataset
from activetext.exceptions import InvalidArgumentError
from activetext.query_strategies import RandomSampling

X = np.random.default_rng(0).normal(size=(12, 3))


def feature_learner(strategy=None) -> PoolBasedActiveLearner:
    pool = SklearnDataset(X, target_labels=np.arange(3))
    learner = PoolBasedActiveLearner(
        SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()), strategy or RandomSampling(seed=0), pool
    )
    learner.initialize_data([0, 1, 2], [0, 1, 2])
    return learner


@pytest.mark.parametrize("kwargs", [{"unknown": 1}, {"n": 2}, {1: 2}, ["n"], "n"])
def test_query_strategy_kwargs_that_do_not_fit_the_strategy_are_refused(kwargs):
    # was: TypeError from inside the strategy's query (unexpected or repeated keyword, or not a mapping)
    learner = feature_learner()
    learner.query(2)
    with pytest.raises(InvalidArgumentError, match="query_strategy_kwargs"):
        learner.query(2, query_strategy_kwargs=kwargs)
    assert learner.indices_queried.size == 2  # the pending query is kept


def test_query_strategy_kwargs_that_fit_are_passed_on():
    learner = feature_learner()
    assert learner.query(2, query_strategy_kwargs={}).size == 2
