"""Random sampling: the baseline every other strategy must beat."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from activetext.classifiers.base import Classifier
from activetext.data.datasets import Dataset
from activetext.query_strategies.base import ScoringStrategy

__all__ = ["RandomSampling"]


class RandomSampling(ScoringStrategy):
    """Query documents uniformly at random from the unlabeled pool; needs no classifier (works at cold start).

    Each candidate gets a uniform random score and the ``n`` highest are returned, which is a uniform sample
    without replacement.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        Source of the random draws.
    """

    def score(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
    ) -> np.ndarray:
        return self.rng.random(candidates.size)
