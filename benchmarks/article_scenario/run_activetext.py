"""Article scenario, activetext side. Run with activetext's venv (.venv).

    .venv/bin/python benchmarks/article_scenario/run_activetext.py \
        --strategies least_confidence --seeds 0 --output /tmp/at.json
"""

from __future__ import annotations

import numpy as np
from common import accuracy_score, main_loop

import activetext
from activetext.active_learner import PoolBasedActiveLearner
from activetext.classifiers import ConfidenceEnhancedLinearSVC
from activetext.classifiers.factories import SklearnClassifierFactory
from activetext.data import SklearnDataset
from activetext.query_strategies import BreakingTies, LeastConfidence, PredictionEntropy, RandomSampling

NUM_CLASSES = 2
TARGET_LABELS = np.arange(NUM_CLASSES)


def make_query_strategy(name: str, seed: int):
    return {
        "random": RandomSampling,
        "least_confidence": LeastConfidence,
        "prediction_entropy": PredictionEntropy,
        "breaking_ties": BreakingTies,
    }[name](seed=seed)


def make_learner(strategy: str, seed: int, x_train, y_train):
    # Same global seeding as the small-text runner, in case anything falls back to numpy's global RNG.
    np.random.seed(seed)  # noqa: NPY002
    clf_factory = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC(), num_classes=NUM_CLASSES)
    dataset = SklearnDataset(x_train, y_train, target_labels=TARGET_LABELS)
    return PoolBasedActiveLearner(clf_factory, make_query_strategy(strategy, seed), dataset)


def make_evaluate(x_test, y_test):
    test_dataset = SklearnDataset(x_test, y_test, target_labels=TARGET_LABELS)

    def evaluate(learner) -> float:
        return accuracy_score(y_test, learner.classifier.predict(test_dataset))

    return evaluate


if __name__ == "__main__":
    main_loop("activetext", getattr(activetext, "__version__", "unknown"), make_learner, make_evaluate,
              __doc__)
