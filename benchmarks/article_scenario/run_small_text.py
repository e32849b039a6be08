"""Article scenario, small-text side. Run with the small-text venv (benchmarks/.venv-small-text).

    benchmarks/.venv-small-text/bin/python benchmarks/article_scenario/run_small_text.py \
        --strategies least_confidence --seeds 0 --output /tmp/st.json
"""

from __future__ import annotations

import numpy as np
from common import accuracy_score, main_loop
from small_text import (
    BreakingTies,
    ConfidenceEnhancedLinearSVC,
    LeastConfidence,
    PoolBasedActiveLearner,
    PredictionEntropy,
    RandomSampling,
    SklearnClassifierFactory,
    SklearnDataset,
)
from small_text.version import __version__ as small_text_version

NUM_CLASSES = 2
TARGET_LABELS = np.arange(NUM_CLASSES)


def make_query_strategy(name: str):
    # small-text 1.4.1's strategies take no seed: RandomSampling draws from numpy's global RNG.
    return {
        "random": RandomSampling,
        "least_confidence": LeastConfidence,
        "prediction_entropy": PredictionEntropy,
        "breaking_ties": BreakingTies,
    }[name]()


def make_learner(strategy: str, seed: int, x_train, y_train):
    # RandomSampling (np.random.choice) and LinearSVC(random_state=None) both use the global RNG.
    np.random.seed(seed)  # noqa: NPY002
    clf_factory = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC(), num_classes=NUM_CLASSES)
    dataset = SklearnDataset(x_train, y_train, target_labels=TARGET_LABELS)
    return PoolBasedActiveLearner(clf_factory, make_query_strategy(strategy), dataset)


def make_evaluate(x_test, y_test):
    test_dataset = SklearnDataset(x_test, y_test, target_labels=TARGET_LABELS)

    def evaluate(learner) -> float:
        return accuracy_score(y_test, learner.classifier.predict(test_dataset))

    return evaluate


if __name__ == "__main__":
    main_loop("small-text", small_text_version, make_learner, make_evaluate, __doc__)
