"""Active learners. :class:`PoolBasedActiveLearner` queries documents from a fixed pool."""

from activetext.active_learner.pool import PoolBasedActiveLearner

__all__ = ["PoolBasedActiveLearner"]
