"""Bayesian strategies: query the documents whose labels would tell the most about the model's parameters.

Both strategies need a classifier with the
:class:`~activetext.classifiers.capabilities.SupportsPosteriorSamples` capability: ``posterior_samples(data,
n_samples)`` returns ``(n, C, k)`` class probabilities, one probability vector per document and posterior draw
(Monte Carlo dropout, an ensemble, a Laplace approximation, ...).

* :func:`bald` is a pure function of those samples, so it can be checked on arrays computed by hand;
* :class:`BALD` queries the ``n`` documents of highest BALD score (Houlsby et al. 2011; Gal, Islam and
  Ghahramani 2017);
* :class:`BatchBALD` builds the batch greedily by the *joint* mutual information of its labels with the
  parameters (Kirsch, van Amersfoort and Gal 2019), so that it does not spend a batch on near-duplicates.

Both score single-label data only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.classifiers.base import Classifier
from activetext.classifiers.capabilities import SupportsPosteriorSamples, require
from activetext.data.datasets import Dataset
from activetext.exceptions import InvalidArgumentError
from activetext.query_strategies.base import QueryStrategy, ScoringStrategy, select_top_n
from activetext.utils.chunking import DEFAULT_CHUNK_SIZE, iter_chunks
from activetext.utils.random import Seed
from activetext.utils.validation import check_positive_int

__all__ = ["BALD", "BatchBALD", "bald", "joint_entropies"]

_BLOCK_ELEMENTS = 1 << 22
"""Largest ``candidates x configurations x classes`` block (float64 entries, 32 MiB) BatchBALD holds at once."""


def _entropy(proba: np.ndarray, axis: int) -> np.ndarray:
    """Entropy along ``axis`` (natural log, ``0 log 0 = 0``)."""
    logs = np.log(proba, out=np.zeros_like(proba), where=proba > 0)
    return 0.0 - np.sum(proba * logs, axis=axis)


def _check_samples(samples: Any, name: str = "samples") -> np.ndarray:
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 3 or samples.shape[2] == 0:
        raise InvalidArgumentError(f"{name} must be a 3-D (n, C, k) array with k >= 1, got shape {samples.shape}")
    if samples.size and (not np.all(np.isfinite(samples)) or samples.min() < 0):
        raise InvalidArgumentError(f"{name} must hold finite, non-negative probabilities, got negative or non-finite")
    return samples


def bald(samples: Any) -> np.ndarray:
    """Return the BALD score of each document: the mutual information between its label and the parameters.

    Houlsby, Huszár, Ghahramani and Lengyel (2011), "Bayesian Active Learning for Classification and Preference
    Learning", arXiv:1112.5745; Gal, Islam and Ghahramani (2017), "Deep Bayesian Active Learning with Image Data",
    ICML. With ``p_k`` the class distribution of posterior draw ``k`` and ``p = mean_k p_k``, the score is
    ``H(p) - mean_k H(p_k)`` (natural log): the entropy of the mean prediction minus the mean entropy of the
    draws. It is zero when all draws agree (however uncertain they are) and at most ``log C``.

    Parameters
    ----------
    samples : array-like of float, shape (n, C, k)
        ``samples[i, c, j]`` is draw ``j``'s probability of class ``c`` for document ``i``.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)

    Raises
    ------
    InvalidArgumentError
        If ``samples`` is not a 3-D array with ``k >= 1`` of finite, non-negative values.

    Examples
    --------
    >>> bald(np.array([[[1.0, 0.0], [0.0, 1.0]]])).round(6).tolist()   # two draws that disagree fully
    [0.693147]
    >>> bald(np.array([[[0.5, 0.5], [0.5, 0.5]]])).tolist()            # two identical draws
    [0.0]
    """
    samples = _check_samples(samples)
    mean_entropy = _entropy(samples, axis=1).mean(axis=1)
    scores = _entropy(samples.mean(axis=2), axis=1) - mean_entropy
    return np.maximum(scores, 0.0)  # rounding can leave -1e-17 where the draws agree


def _check_single_label(strategy: QueryStrategy, clf: Any, dataset: Dataset, y: Any) -> None:
    name = type(strategy).__name__
    require(clf, SupportsPosteriorSamples, needed_by=name)
    if dataset.is_multi_label or sp.issparse(y):
        raise InvalidArgumentError(
            f"{name} scores single-label data; dataset is multi-label ({dataset.num_classes} labels)"
        )


def _posterior_samples(clf: Any, data: Any, rows: int, n_samples: int, num_classes: int) -> np.ndarray:
    """The classifier's samples for ``rows`` documents, checked to be ``(rows, num_classes, n_samples)``."""
    samples = _check_samples(clf.posterior_samples(data, n_samples), name=f"{type(clf).__name__}.posterior_samples")
    if samples.shape != (rows, num_classes, n_samples):
        raise InvalidArgumentError(
            f"{type(clf).__name__}.posterior_samples must return shape ({rows}, {num_classes}, {n_samples}), "
            f"got {samples.shape}"
        )
    return samples


def _bald_scores(clf: Any, dataset: Dataset, candidates: np.ndarray, n_samples: int, chunk_size: int) -> np.ndarray:
    scores = np.empty(candidates.size, dtype=np.float64)
    for chunk in iter_chunks(np.arange(candidates.size), chunk_size):
        samples = _posterior_samples(clf, dataset[candidates[chunk]], chunk.size, n_samples, dataset.num_classes)
        scores[chunk] = bald(samples)
    return scores


class BALD(ScoringStrategy):
    """Query the documents of highest BALD score (:func:`bald`), each scored on its own.

    Houlsby, Huszár, Ghahramani and Lengyel (2011), "Bayesian Active Learning for Classification and Preference
    Learning"; Gal, Islam and Ghahramani (2017), "Deep Bayesian Active Learning with Image Data", ICML.

    BALD prefers documents on which the posterior draws *disagree*, not documents that every draw finds
    ambiguous: the label of the former says which draws were right. The ``n`` best are taken independently, so
    near-duplicates of a high-scoring document can fill a batch; :class:`BatchBALD` avoids that.

    Needs a classifier with :class:`~activetext.classifiers.capabilities.SupportsPosteriorSamples`; raises
    :class:`~activetext.exceptions.MissingCapabilityError` otherwise.

    Parameters
    ----------
    n_samples : int
        Posterior draws per document (``k``).
    seed : None, int or numpy.random.Generator
        Source of the random tie-breaking.
    chunk_size : int
        Candidates sampled at a time.

    Notes
    -----
    Cost per query: ``n_samples`` stochastic predictions of every candidate (and nothing else); memory
    ``chunk_size * C * n_samples`` floats.
    """

    def __init__(self, n_samples: int = 10, seed: Seed = None, chunk_size: int = DEFAULT_CHUNK_SIZE):
        super().__init__(seed)
        self.n_samples = check_positive_int(n_samples, name="n_samples")
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")

    def score(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
    ) -> np.ndarray:
        _check_single_label(self, clf, dataset, y)
        return _bald_scores(clf, dataset, candidates, self.n_samples, self.chunk_size)

    def get_params(self) -> dict[str, Any]:
        return {**super().get_params(), "n_samples": self.n_samples, "chunk_size": self.chunk_size}


def joint_entropies(
    configurations: np.ndarray, log_scales: np.ndarray, weights: np.ndarray, samples: np.ndarray
) -> np.ndarray:
    """Entropy of the joint label of a batch extended by each candidate, from (sampled) configurations.

    A *configuration* is one assignment of labels to the documents already in the batch. Row ``g`` of
    ``configurations`` holds, for every posterior draw ``j``, the probability that draw ``j`` gives that
    configuration, divided by ``exp(log_scales[g])`` (a per-row scale that keeps long products from underflowing).
    For a candidate with draws ``samples[i]`` the joint probability of configuration ``g`` and label ``c`` is
    ``q(g, c) = mean_j P_j(g) p_j(c)``, and the estimate is ``-sum_g weights[g] sum_c q(g, c) log q(g, c)``:

    * exact, with every configuration enumerated: ``weights = 1``, ``log_scales = 0``;
    * Monte Carlo, with ``M`` configurations drawn from the model's joint ``mean_j P_j``: ``weights[g] =
      1 / (M mean_j P_j(g))``, an importance-weighted average that is unbiased for the joint entropy.

    Parameters
    ----------
    configurations : numpy.ndarray of shape (G, k)
    log_scales : numpy.ndarray of shape (G,)
    weights : numpy.ndarray of shape (G,)
        The weight of each configuration times ``exp(log_scales)`` (for Monte Carlo, ``1 / (M mean_j
        configurations[g, j])``).
    samples : numpy.ndarray of shape (m, C, k)

    Returns
    -------
    numpy.ndarray of float64, shape (m,)
    """
    m, num_classes, k = samples.shape
    g = configurations.shape[0]
    result = np.empty(m, dtype=np.float64)
    rows = max(1, _BLOCK_ELEMENTS // max(1, g * num_classes))
    for start in range(0, m, rows):
        block = samples[start : start + rows]
        # q[g, i, c] = mean_j configurations[g, j] * block[i, c, j], as one matrix product
        q = (configurations @ block.transpose(2, 0, 1).reshape(k, -1)).reshape(g, block.shape[0], num_classes) / k
        positive = q > 0
        logs = np.log(q, out=np.zeros_like(q), where=positive)
        logs += log_scales[:, None, None]
        terms = np.multiply(q, logs, out=np.zeros_like(q), where=positive).sum(axis=2)  # (G, block)
        result[start : start + rows] = -(weights @ terms)
    return result


class BatchBALD(QueryStrategy):
    """Build the batch greedily by the mutual information between the batch's *joint* label and the parameters.

    Kirsch, van Amersfoort and Gal (2019), "BatchBALD: Efficient and Diverse Batch Acquisition for Deep Bayesian
    Active Learning", NeurIPS.

    With batch ``A`` picked so far, the next pick is the candidate ``x`` maximising
    ``I(y_A, y_x; w) = H(y_A, y_x) - sum_{i in A + [x]} mean_j H(p_j(y_i))``. The conditional part is a sum of
    per-document terms (the labels are independent given a draw); the joint entropy is computed from the
    configurations of the batch's labels:

    * **exact** while the joint of batch and candidate has at most ``max_configurations`` configurations
      (``C^(|A|+1)``): every configuration is enumerated;
    * **Monte Carlo** beyond that: ``max_configurations`` configurations are drawn from the model's joint (a draw
      ``j`` uniformly, then each label from draw ``j``'s distribution; the draws are fixed per configuration and
      extended by one label per pick), and the joint entropy is the importance-weighted estimate of
      :func:`joint_entropies`. This is the estimator of Kirsch et al., section 4. The same configurations serve
      every candidate and every later pick, so the estimate of the chosen candidate (the largest of many noisy
      estimates) is biased upwards, more so with few configurations and long batches; raise
      ``max_configurations`` when batches are long.

    The first pick is the candidate of highest BALD score; a document identical to one already picked adds no
    information, so a batch never holds two copies while other informative candidates are left.

    **Candidate pre-filter.** All candidates are first scored by :func:`bald` (``chunk_size`` at a time); only the
    ``max_candidates`` best (at least ``n``) enter the greedy step, for which their samples are drawn once more in a
    single call, so that draw ``j`` is the same posterior draw for all of them. Memory is thus
    ``max_candidates * C * n_samples`` for the samples plus ``max_configurations * n_samples`` for the
    configurations. The classifier should give every document of one call the same draw ``j`` (consistent Monte
    Carlo dropout); with per-row dropout masks the joint is only approximate.

    Parameters
    ----------
    n_samples : int
        Posterior draws per document (``k``).
    max_candidates : int
        Size of the pre-filtered candidate set (the best by BALD).
    max_configurations : int
        Largest number of configurations enumerated exactly; also the number drawn for the Monte Carlo estimate.
    seed : None, int or numpy.random.Generator
        Source of the sampled configurations and the random tie-breaking.
    chunk_size : int
        Candidates sampled at a time in the pre-filter.

    Notes
    -----
    Cost per query: ``n_samples`` stochastic predictions of every candidate, plus one of the ``max_candidates``
    best; then ``n`` greedy steps of ``O(max_candidates * G * C * n_samples)`` with ``G <= max_configurations``.
    :attr:`last_scores` holds each candidate's BALD score.
    """

    def __init__(
        self,
        n_samples: int = 10,
        max_candidates: int = 1000,
        max_configurations: int = 4096,
        seed: Seed = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ):
        super().__init__(seed)
        self.n_samples = check_positive_int(n_samples, name="n_samples")
        self.max_candidates = check_positive_int(max_candidates, name="max_candidates")
        self.max_configurations = check_positive_int(max_configurations, name="max_configurations")
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")
        self.last_batch_scores: np.ndarray | None = None

    def select(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        _check_single_label(self, clf, dataset, y)
        scores = _bald_scores(clf, dataset, candidates, self.n_samples, self.chunk_size)
        size = max(self.max_candidates, n)
        if candidates.size > size:
            positions = np.sort(select_top_n(scores, size, self.rng))
        else:
            positions = np.arange(candidates.size, dtype=np.int64)
        k, num_classes = self.n_samples, dataset.num_classes
        samples = _posterior_samples(clf, dataset[candidates[positions]], positions.size, k, num_classes)
        picks, gains = self._greedy(samples, n)
        self.last_batch_scores = gains
        return positions[picks], scores

    def _greedy(self, samples: np.ndarray, n: int, exact_limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Greedy BatchBALD over ``samples`` (m, C, k): ``n`` positions and the joint information after each pick.

        The joint is enumerated while it has at most ``exact_limit`` configurations (default
        ``max_configurations``), and estimated from ``max_configurations`` sampled configurations beyond.
        """
        m, num_classes, k = samples.shape
        conditional = _entropy(samples, axis=1).mean(axis=1)  # mean_j H(p_j(y_i)), per candidate
        # exact configurations of the batch so far: one empty configuration, probability 1 under every draw
        exact: np.ndarray | None = np.ones((1, k), dtype=np.float64)
        # Monte Carlo configurations, kept from the start so that they can take over at any batch size
        budget = self.max_configurations
        draws = self.rng.integers(k, size=budget)  # the posterior draw each configuration is sampled from
        sampled = np.ones((budget, k), dtype=np.float64)
        log_scales = np.zeros(budget, dtype=np.float64)

        picked = np.zeros(m, dtype=bool)
        picks = np.empty(n, dtype=np.int64)
        gains = np.empty(n, dtype=np.float64)
        batch_conditional = 0.0
        for step in range(n):
            if exact is not None and exact.shape[0] * num_classes > (budget if exact_limit is None else exact_limit):
                exact = None  # from here on, the joint is estimated from the sampled configurations
            if exact is not None:
                zeros = np.zeros(exact.shape[0])
                joint = joint_entropies(exact, zeros, np.ones(exact.shape[0]), samples)
            else:
                means = sampled.mean(axis=1)
                weights = np.divide(1.0, budget * means, out=np.zeros_like(means), where=means > 0)
                joint = joint_entropies(sampled, log_scales, weights, samples)
            info = joint - batch_conditional - conditional
            info[picked] = -np.inf
            pick = int(select_top_n(info, 1, self.rng)[0])
            picks[step], gains[step], picked[pick] = pick, info[pick], True
            batch_conditional += conditional[pick]
            if exact is not None:
                exact = (exact[:, None, :] * samples[pick][None, :, :]).reshape(-1, k)
            # extend each sampled configuration by a label drawn from its own posterior draw
            cumulative = np.cumsum(samples[pick][:, draws], axis=0)  # (C, budget)
            totals = cumulative[-1]
            cumulative /= np.where(totals > 0, totals, 1.0)
            labels = np.minimum((cumulative < self.rng.random(budget)).sum(axis=0), num_classes - 1)
            sampled *= samples[pick][labels]  # (budget, k): p_j(label) of every draw j
            top = sampled.max(axis=1)
            top = np.where(top > 0, top, 1.0)
            sampled /= top[:, None]
            log_scales += np.log(top)
        return picks, gains

    def get_params(self) -> dict[str, Any]:
        return {
            **super().get_params(),
            "n_samples": self.n_samples,
            "max_candidates": self.max_candidates,
            "max_configurations": self.max_configurations,
            "chunk_size": self.chunk_size,
        }
