"""Expected error reduction: query the document whose label is expected to leave the least error on the pool.

Roy and McCallum (2001), "Toward optimal active learning through sampling estimation of error reduction", ICML.
For a candidate ``x`` and each class ``c``, a classifier is retrained with ``(x, c)`` added to the labeled
documents, and its loss is estimated on a sample of the unlabeled pool, using its own posteriors as the unknown
labels' distribution. The expected loss of querying ``x`` weights these losses by the current classifier's
posterior ``P(c | x)``; the candidate with the lowest expected loss is queried.

This retrains ``C`` classifiers per candidate, so it is meant for fast classifiers (linear scikit-learn models
on TF-IDF) and scores only a random subsample of the candidates.
"""

from __future__ import annotations

import enum
from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.classifiers.base import Classifier
from activetext.classifiers.factories import ClassifierFactory
from activetext.data.datasets import Dataset
from activetext.exceptions import InvalidArgumentError, MissingCapabilityError
from activetext.query_strategies.base import QueryStrategy, select_top_n
from activetext.query_strategies.uncertainty import least_confidence, prediction_entropy
from activetext.utils.chunking import DEFAULT_CHUNK_SIZE, iter_chunks
from activetext.utils.random import Seed
from activetext.utils.validation import check_positive_int

__all__ = ["ExpectedErrorReduction", "Loss"]


class Loss(enum.Enum):
    """The loss :class:`ExpectedErrorReduction` estimates on the evaluation sample, from a retrained classifier's
    posteriors ``P'`` (which stand in for the unknown labels)."""

    LOG = "log"
    """Expected log loss, ``-sum_c P'(c | u) log P'(c | u)``: the entropy of the posterior."""

    ZERO_ONE = "zero_one"
    """Expected 0/1 loss, ``1 - max_c P'(c | u)``."""


_LOSS_FUNCTIONS = {Loss.LOG: prediction_entropy, Loss.ZERO_ONE: least_confidence}


class ExpectedErrorReduction(QueryStrategy):
    """Query the candidates whose label is expected to reduce the classifier's loss on the pool the most.

    Roy and McCallum (2001), "Toward optimal active learning through sampling estimation of error reduction",
    ICML. At each query:

    1. a random subsample of ``max(subsample_size, n)`` candidates is drawn (all of them if the pool is smaller),
       and a random evaluation sample of ``evaluation_size`` candidates;
    2. the current classifier ``clf`` gives the posterior ``P(c | x)`` of each subsampled candidate ``x``;
    3. for each subsampled ``x`` and each class ``c`` with ``P(c | x) > 0``, a fresh classifier from
       ``clf_factory`` is fitted on the labeled documents plus ``(x, c)``, and its mean :class:`Loss` over the
       evaluation sample, ``L(x, c)``, is computed ``chunk_size`` rows at a time;
    4. the expected loss is ``E(x) = sum_c P(c | x) L(x, c)``, and the score is ``-E(x)``.

    The ``n`` subsampled candidates with the highest score (lowest expected loss) are returned.

    Score convention: :attr:`last_scores` holds ``-E(x)`` for the subsampled candidates and ``-inf`` for every
    candidate outside the subsample (they were not scored). Because the subsample always holds at least ``n``
    candidates, every returned document has a finite score.

    Parameters
    ----------
    clf_factory : ClassifierFactory
        Creates the retrained classifiers; it should build the same kind of classifier as the learner's.
    subsample_size : int
        Candidates scored per query (at least ``n`` are).
    evaluation_size : int
        Unlabeled documents on which each retrained classifier's loss is estimated.
    loss : Loss
        ``Loss.LOG`` (the default) or ``Loss.ZERO_ONE``.
    seed : None, int or numpy.random.Generator
        Source of the subsample, the evaluation sample and the tie-breaking.
    chunk_size : int
        Rows predicted at a time.

    Notes
    -----
    Cost per query: about ``subsample_size * C`` fits on the labeled documents plus one, and as many predictions
    of ``evaluation_size`` documents. With a linear model on a few hundred labels a fit takes milliseconds, so the
    defaults cost seconds for two classes; lower ``subsample_size`` or ``evaluation_size`` for many classes or
    slower models, and do not use it with transformer classifiers.

    Examples
    --------
    >>> from activetext.classifiers.factories import SklearnClassifierFactory
    >>> from sklearn.linear_model import LogisticRegression
    >>> ExpectedErrorReduction(SklearnClassifierFactory(LogisticRegression()), subsample_size=20, seed=0).loss
    <Loss.LOG: 'log'>
    """

    def __init__(
        self,
        clf_factory: ClassifierFactory,
        subsample_size: int = 100,
        evaluation_size: int = 500,
        loss: Loss = Loss.LOG,
        seed: Seed = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ):
        super().__init__(seed)
        if not isinstance(clf_factory, ClassifierFactory):
            raise InvalidArgumentError(f"clf_factory must be a ClassifierFactory, got {clf_factory!r}")
        if not isinstance(loss, Loss):
            raise InvalidArgumentError(f"loss must be a Loss (Loss.LOG or Loss.ZERO_ONE), got {loss!r}")
        self.clf_factory = clf_factory
        self.subsample_size = check_positive_int(subsample_size, name="subsample_size")
        self.evaluation_size = check_positive_int(evaluation_size, name="evaluation_size")
        self.loss = loss
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")

    def select(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(clf, Classifier):
            raise MissingCapabilityError(
                f"ExpectedErrorReduction needs a trained classifier for the current posteriors, got {clf!r}; start "
                "with labeled data (initialize_data) or query a first batch with RandomSampling"
            )
        if dataset.is_multi_label or sp.issparse(y):
            raise InvalidArgumentError(
                f"ExpectedErrorReduction scores single-label data; dataset is multi-label ({dataset.num_classes} "
                "labels)"
            )
        labels = np.asarray(y, dtype=np.int64)
        if labels.shape != indices_labeled.shape:
            raise InvalidArgumentError(
                f"y must have one label per labeled document ({indices_labeled.size}), got shape {labels.shape}"
            )
        size = min(max(self.subsample_size, n), candidates.size)
        subsample = np.sort(self.rng.choice(candidates.size, size=size, replace=False))
        evaluation = candidates[
            self.rng.choice(candidates.size, size=min(self.evaluation_size, candidates.size), replace=False)
        ]
        posterior = self._predict(clf, dataset, candidates[subsample])

        expected = np.zeros(size, dtype=np.float64)
        train_indices = np.append(indices_labeled, -1)  # the last slot takes the candidate
        train_labels = np.append(labels, -1)
        # one fit per (subsampled candidate, class): the loop is over at most subsample_size * C retrainings
        for position, candidate in enumerate(candidates[subsample].tolist()):
            train_indices[-1] = candidate
            for label in np.flatnonzero(posterior[position] > 0).tolist():
                train_labels[-1] = label
                model = self.clf_factory.new().fit(dataset[train_indices].with_labels(train_labels))
                expected[position] += posterior[position, label] * self._mean_loss(model, dataset, evaluation)

        scores = np.full(candidates.size, -np.inf)
        scores[subsample] = -expected
        return subsample[select_top_n(scores[subsample], n, self.rng)], scores

    def _predict(self, clf: Classifier, dataset: Dataset, indices: np.ndarray) -> np.ndarray:
        proba = np.empty((indices.size, dataset.num_classes), dtype=np.float64)
        for chunk in iter_chunks(np.arange(indices.size), self.chunk_size):
            proba[chunk] = clf.predict_proba(dataset[indices[chunk]])
        return proba

    def _mean_loss(self, model: Classifier, dataset: Dataset, evaluation: np.ndarray) -> float:
        loss_function = _LOSS_FUNCTIONS[self.loss]
        total = 0.0
        for chunk in iter_chunks(evaluation, self.chunk_size):
            total += float(loss_function(model.predict_proba(dataset[chunk])).sum())
        return total / evaluation.size

    def get_params(self) -> dict[str, Any]:
        return {
            **super().get_params(),
            "clf_factory": self.clf_factory,
            "subsample_size": self.subsample_size,
            "evaluation_size": self.evaluation_size,
            "loss": self.loss,
            "chunk_size": self.chunk_size,
        }
