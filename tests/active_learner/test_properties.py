"""Property tests: random sequences of operations keep the learner's bookkeeping consistent."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from activetext.data import SklearnDataset
from activetext.exceptions import ActiveTextError
from activetext.query_strategies import BreakingTies, RandomSampling
from conftest import make_learner

N_SAMPLES = 30
X = np.random.default_rng(0).normal(size=(N_SAMPLES, 4))
TRUE_Y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 1).astype(int)
POOL = SklearnDataset(X, TRUE_Y, target_labels=np.arange(3))

operations = st.lists(
    st.one_of(
        st.tuples(st.just("query"), st.integers(0, 12)),
        st.tuples(st.just("update"), st.integers(0, 2)),
        st.tuples(st.just("update_label_at"), st.integers(-2, N_SAMPLES + 1)),
        st.tuples(st.just("remove_label_at"), st.integers(-2, N_SAMPLES + 1)),
        st.tuples(st.just("ignore_sample_at"), st.integers(-2, N_SAMPLES + 1)),
    ),
    max_size=25,
)


def apply(learner, operation, argument):
    if operation == "query":
        queried = learner.query(num_samples=argument)
        assert queried.size == argument and np.unique(queried).size == argument
        assert np.isin(queried, learner.indices_unlabeled).all()
    elif operation == "update":
        pending = learner.indices_queried
        learner.update(TRUE_Y[pending] if argument else np.full(pending.size, argument + 1))
    elif operation == "update_label_at":
        learner.update_label_at(argument, int(TRUE_Y[argument % N_SAMPLES]))
    else:
        getattr(learner, operation)(argument)


@settings(max_examples=60, deadline=None)
@given(ops=operations, uncertainty=st.booleans(), seed=st.integers(0, 2**16))
def test_labeled_unlabeled_ignored_always_partition_the_pool(ops, uncertainty, seed):
    strategy = BreakingTies(seed=seed) if uncertainty else RandomSampling(seed=seed)
    learner = make_learner(POOL, strategy)
    learner.initialize_data([0, 1], TRUE_Y[[0, 1]])
    for operation, argument in ops:
        try:
            apply(learner, operation, argument)
        except ActiveTextError:
            pass  # refused operations must leave a consistent state, which is checked below
        labeled, unlabeled, ignored = (
            learner.indices_labeled,
            learner.indices_unlabeled,
            learner.indices_ignored,
        )
        everything = np.concatenate([labeled, unlabeled, ignored])
        assert np.array_equal(np.sort(everything), np.arange(N_SAMPLES)), "not a partition"
        assert np.isin(learner.indices_queried, unlabeled).all()
        assert np.isin(learner.indices_validation, labeled).all()
        y = learner.y
        assert (y[labeled] >= 0).all() and (y[unlabeled] == -1).all() and (y[ignored] == -1).all()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), batches=st.lists(st.integers(1, 5), min_size=1, max_size=4))
def test_same_seed_gives_the_same_queries(seed, batches):
    runs = []
    for _ in range(2):
        learner = make_learner(POOL, BreakingTies(seed=seed))
        learner.initialize_data([0, 1, 2], TRUE_Y[[0, 1, 2]])
        queried = []
        for batch in batches:
            indices = learner.query(num_samples=batch)
            learner.update(TRUE_Y[indices])
            queried.append(indices.tolist())
        runs.append(queried)
    assert runs[0] == runs[1]
