"""Query by committee: train several classifiers and query the documents they disagree about most.

Seung, Opper and Sompolinsky (1992), "Query by committee", COLT, proposed the idea: a committee of hypotheses
consistent with the labels votes on each candidate, and the candidate with the largest disagreement is queried.
Two measures of disagreement are offered, both pure functions of the members' predictions, so they can be
checked on arrays computed by hand:

* :func:`vote_entropy` over the members' hard votes, shape ``(n, k)`` (Dagan and Engelson (1995),
  "Committee-based sampling for training probabilistic classifiers", ICML; Argamon-Engelson and Dagan (1999),
  "Committee-based sample selection for probabilistic classifiers", JAIR 11);
* :func:`kl_to_mean`, the mean KL divergence of each member's class distribution from the committee's mean, over
  probabilities shaped ``(n, C, k)`` as in baal (McCallum and Nigam (1998), "Employing EM and pool-based active
  learning for text classification", ICML).
"""

from __future__ import annotations

import enum
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from activetext.classifiers.base import Classifier
from activetext.classifiers.factories import ClassifierFactory
from activetext.classifiers.sklearn import SklearnClassifier
from activetext.data.datasets import Dataset
from activetext.exceptions import InvalidArgumentError, MissingCapabilityError
from activetext.query_strategies.base import ScoringStrategy
from activetext.utils.chunking import DEFAULT_CHUNK_SIZE, iter_chunks
from activetext.utils.random import Seed
from activetext.utils.validation import check_positive_int

__all__ = [
    "Committee",
    "Disagreement",
    "QueryByCommittee",
    "bootstrap_samples",
    "kl_to_mean",
    "vote_entropy",
]


class Disagreement(enum.Enum):
    """How :class:`QueryByCommittee` measures the committee's disagreement on a document."""

    VOTE_ENTROPY = "vote_entropy"
    """Entropy of the members' hard votes (:func:`vote_entropy`); needs only ``predict``."""

    KL_TO_MEAN = "kl_to_mean"
    """Mean KL divergence of the members' distributions from their average (:func:`kl_to_mean`); uses
    ``predict_proba``, so it also sees disagreement in confidence, not only in the winning class."""


class Committee(enum.Enum):
    """How :class:`QueryByCommittee` makes its members differ."""

    BOOTSTRAP = "bootstrap"
    """Each member is trained on a bootstrap resample of the labeled documents (query by bagging; Abe and
    Mamitsuka (1998), "Query learning strategies using boosting and bagging", ICML). Works with any classifier."""

    SEEDS = "seeds"
    """Each member is trained on all labeled documents with a different ``random_state``. Only classifiers whose
    training is random differ this way; members of a deterministic estimator are identical."""


def vote_entropy(votes: Any, num_classes: int) -> np.ndarray:
    """Return the entropy of the committee's vote distribution per row (natural log, ``0 log 0 = 0``).

    For row ``i`` with ``V(i, c)`` of the ``k`` members voting for class ``c``, the score is
    ``-sum_c V(i, c) / k * log(V(i, c) / k)``: zero when all members agree, ``log(min(k, C))`` at most. The
    normalisation by ``log(min(k, C))`` used by Dagan and Engelson is left out; it does not change the ranking.

    Parameters
    ----------
    votes : array-like of int, shape (n, k)
        ``votes[i, m]`` is the class member ``m`` predicts for document ``i``.
    num_classes : int
        The size of the label set ``C``; votes lie in ``0 .. C-1``.

    Returns
    -------
    numpy.ndarray of float64, shape (n,)

    Raises
    ------
    InvalidArgumentError
        If ``votes`` is not a 2-D integer array with at least one column and values in ``0 .. num_classes-1``.

    Examples
    --------
    >>> vote_entropy(np.array([[0, 0, 0, 0], [0, 0, 1, 1]]), num_classes=2).round(6).tolist()
    [0.0, 0.693147]
    """
    num_classes = check_positive_int(num_classes, name="num_classes")
    votes = np.asarray(votes)
    if votes.ndim != 2 or votes.shape[1] == 0:
        raise InvalidArgumentError(f"votes must be a 2-D (n, k) array with k >= 1, got shape {votes.shape}")
    if votes.size and not np.issubdtype(votes.dtype, np.integer):
        raise InvalidArgumentError(f"votes must hold class indices (integers), got dtype {votes.dtype}")
    n, k = votes.shape
    if votes.size and (votes.min() < 0 or votes.max() >= num_classes):
        raise InvalidArgumentError(
            f"votes must lie in 0 .. {num_classes - 1} (num_classes={num_classes}), "
            f"got values from {votes.min()} to {votes.max()}"
        )
    # counts[i, c] = number of members voting c for row i, without a loop over rows
    flat = (np.arange(n, dtype=np.int64)[:, None] * num_classes + votes).ravel()
    shares = np.bincount(flat, minlength=n * num_classes).reshape(n, num_classes) / k
    logs = np.log(shares, out=np.zeros_like(shares), where=shares > 0)
    return 0.0 - np.sum(shares * logs, axis=1)  # 0.0 - x turns -0.0 into 0.0 for unanimous rows


def kl_to_mean(proba: Any) -> np.ndarray:
    """Return the members' mean KL divergence from the committee's consensus, per row (natural log).

    With ``P_m`` member ``m``'s class distribution and ``P = mean_m P_m`` the consensus, the score is
    ``mean_m sum_c P_m(c) log(P_m(c) / P(c))`` (``0 log 0 = 0``). It is zero when all members give the same
    distribution and grows with their disagreement, confident or not.

    Parameters
    ----------
    proba : array-like of float, shape (n, C, k)
        ``proba[i, c, m]`` is member ``m``'s probability of class ``c`` for document ``i`` (baal's layout).

    Returns
    -------
    numpy.ndarray of float64, shape (n,)

    Raises
    ------
    InvalidArgumentError
        If ``proba`` is not a 3-D array with ``k >= 1`` of finite, non-negative values.

    Examples
    --------
    >>> proba = np.array([[[1.0, 0.0], [0.0, 1.0]]])   # one document, two classes, two members that disagree
    >>> kl_to_mean(proba).round(6).tolist()
    [0.693147]
    """
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 3 or proba.shape[2] == 0:
        raise InvalidArgumentError(f"proba must be a 3-D (n, C, k) array with k >= 1, got shape {proba.shape}")
    if proba.size and (not np.all(np.isfinite(proba)) or proba.min() < 0):
        raise InvalidArgumentError("proba must hold finite, non-negative probabilities, got negative or non-finite")
    consensus = proba.mean(axis=2, keepdims=True)
    # wherever a member's probability is positive, the consensus is at least that probability / k, so positive
    positive = proba > 0
    ratio = np.divide(proba, consensus, out=np.ones_like(proba), where=positive)
    terms = proba * np.log(ratio, out=np.zeros_like(proba), where=positive)
    return terms.sum(axis=1).mean(axis=1)


def bootstrap_samples(labels: Any, committee_size: int, rng: np.random.Generator) -> np.ndarray:
    """Draw ``committee_size`` bootstrap resamples of positions ``0 .. len(labels)-1``.

    Each resample has ``len(labels)`` positions drawn with replacement. When ``labels`` holds two or more classes,
    every resample does too: a resample that drew a single class has one of its positions (chosen at random)
    replaced by a random position of another class, so that no member is a constant model.

    Parameters
    ----------
    labels : array-like of int, shape (m,)
        The labels of the documents to resample (``m >= 1``).
    committee_size : int
        The number of resamples.
    rng : numpy.random.Generator
        The source of every draw.

    Returns
    -------
    numpy.ndarray of int64, shape (committee_size, m)
        Positions into ``labels``.
    """
    labels = np.asarray(labels)
    committee_size = check_positive_int(committee_size, name="committee_size")
    m = labels.shape[0]
    if labels.ndim != 1 or m == 0:
        raise InvalidArgumentError(f"labels must be a non-empty 1-D array, got shape {labels.shape}")
    samples = rng.integers(0, m, size=(committee_size, m))
    if np.unique(labels).size < 2:
        return samples.astype(np.int64)
    drawn = labels[samples]
    single = np.flatnonzero(np.all(drawn == drawn[:, :1], axis=1))
    if single.size:
        # replace one random slot of each single-class resample by a random document of another class;
        # the loop runs over committee members (a handful), never over documents
        slots = rng.integers(0, m, size=single.size)
        keys = rng.random(size=(single.size, m))
        for row, slot, key in zip(single, slots, keys, strict=True):
            others = labels != drawn[row, 0]
            samples[row, slot] = np.flatnonzero(others)[np.argmax(key[others])]
    return samples.astype(np.int64)


class QueryByCommittee(ScoringStrategy):
    """Query the documents on which a committee of classifiers disagrees most.

    Seung, Opper and Sompolinsky (1992), "Query by committee", COLT. At each query, ``committee_size`` members
    are created with ``clf_factory`` and trained on the labeled documents (``dataset[indices_labeled]`` with the
    labels ``y``); the candidates are then predicted by every member, ``chunk_size`` candidates at a time, and
    scored by the chosen :class:`Disagreement`. The learner's own classifier (``clf``) is not used, so the
    strategy also works before any training, as long as some documents are labeled.

    Parameters
    ----------
    clf_factory : ClassifierFactory
        Creates the members.
    committee_size : int
        Number of members (>= 2).
    disagreement : Disagreement
        ``VOTE_ENTROPY`` (hard votes; Dagan and Engelson 1995) or ``KL_TO_MEAN`` (probabilities; McCallum and
        Nigam 1998).
    committee : Committee
        ``BOOTSTRAP`` (the default): members see different bootstrap resamples of the labeled documents, each
        holding two classes or more when the labels do (see :func:`bootstrap_samples`). ``SEEDS``: members see
        all labeled documents and differ only by their random state: a :class:`SklearnClassifier` gets its
        estimator cloned with a different ``random_state`` (every ``random_state`` of a pipeline is set), any other
        classifier with a ``random_state`` attribute gets it set. Members of a deterministic estimator (for
        example ``LogisticRegression`` with the ``lbfgs`` solver, or any estimator without ``random_state``) are
        then identical and every score is zero, which is why bootstrap is the default; a warning is given when
        there is no ``random_state`` to set.
    seed : None, int or numpy.random.Generator
        Source of the resamples, the members' random states and the tie-breaking.
    chunk_size : int
        Candidates predicted at a time.

    Notes
    -----
    Cost per query: ``committee_size`` fits on the labeled documents, plus ``committee_size`` predictions of each
    candidate. Memory: ``chunk_size * C * committee_size`` floats for ``KL_TO_MEAN``.

    Examples
    --------
    >>> from activetext.classifiers.factories import SklearnClassifierFactory
    >>> from sklearn.linear_model import LogisticRegression
    >>> strategy = QueryByCommittee(SklearnClassifierFactory(LogisticRegression()), committee_size=3, seed=0)
    >>> strategy.disagreement, strategy.committee
    (<Disagreement.VOTE_ENTROPY: 'vote_entropy'>, <Committee.BOOTSTRAP: 'bootstrap'>)
    """

    def __init__(
        self,
        clf_factory: ClassifierFactory,
        committee_size: int = 5,
        disagreement: Disagreement = Disagreement.VOTE_ENTROPY,
        committee: Committee = Committee.BOOTSTRAP,
        seed: Seed = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ):
        super().__init__(seed)
        if not isinstance(clf_factory, ClassifierFactory):
            raise InvalidArgumentError(f"clf_factory must be a ClassifierFactory, got {clf_factory!r}")
        self.committee_size = check_positive_int(committee_size, name="committee_size", minimum=2)
        if not isinstance(disagreement, Disagreement):
            raise InvalidArgumentError(f"disagreement must be a Disagreement, got {disagreement!r}")
        if not isinstance(committee, Committee):
            raise InvalidArgumentError(f"committee must be a Committee, got {committee!r}")
        self.clf_factory = clf_factory
        self.disagreement = disagreement
        self.committee = committee
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")

    def score(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
    ) -> np.ndarray:
        if dataset.is_multi_label or sp.issparse(y):
            raise InvalidArgumentError(
                f"QueryByCommittee scores single-label data; dataset is multi-label ({dataset.num_classes} labels)"
            )
        if indices_labeled.size == 0:
            raise MissingCapabilityError(
                "QueryByCommittee needs labeled documents to train its committee, got indices_labeled of size 0; "
                "query a first batch with RandomSampling"
            )
        labels = np.asarray(y)
        if labels.shape != indices_labeled.shape:
            raise InvalidArgumentError(
                f"y must have one label per labeled document ({indices_labeled.size}), got shape {labels.shape}"
            )
        members = self._train_members(dataset, indices_labeled, labels)
        scores = np.empty(candidates.size, dtype=np.float64)
        for chunk in iter_chunks(np.arange(candidates.size), self.chunk_size):
            rows = dataset[candidates[chunk]]
            if self.disagreement is Disagreement.VOTE_ENTROPY:
                votes = np.column_stack([np.asarray(member.predict(rows), dtype=np.int64) for member in members])
                scores[chunk] = vote_entropy(votes, dataset.num_classes)
            else:
                proba = np.stack([member.predict_proba(rows) for member in members], axis=2)
                scores[chunk] = kl_to_mean(proba)
        return scores

    def _train_members(self, dataset: Dataset, indices_labeled: np.ndarray, labels: np.ndarray) -> list[Classifier]:
        """Create and fit the committee for this query."""
        if self.committee is Committee.BOOTSTRAP:
            samples = bootstrap_samples(labels, self.committee_size, self.rng)
            return [
                self.clf_factory.new().fit(dataset[indices_labeled[sample]].with_labels(labels[sample]))
                for sample in samples
            ]
        train = dataset[indices_labeled].with_labels(labels)
        seeds = self.rng.integers(0, 2**31 - 1, size=self.committee_size)
        members = []
        for member_seed in seeds.tolist():
            member = self.clf_factory.new()
            if not _set_random_state(member, member_seed):
                warnings.warn(
                    f"committee=Committee.SEEDS: {member!r} has no random_state to set, so all "
                    f"{self.committee_size} members are identical and every score is zero; use Committee.BOOTSTRAP",
                    UserWarning,
                    stacklevel=5,
                )
            members.append(member.fit(train))
        return members

    def get_params(self) -> dict[str, Any]:
        return {
            **super().get_params(),
            "clf_factory": self.clf_factory,
            "committee_size": self.committee_size,
            "disagreement": self.disagreement,
            "committee": self.committee,
            "chunk_size": self.chunk_size,
        }


def _set_random_state(member: Classifier, seed: int) -> bool:
    """Give ``member`` the random state ``seed``; return whether it had one to set.

    A :class:`SklearnClassifier` gets its estimator cloned with every ``random_state`` parameter (those of a
    pipeline's steps included) set to ``seed``; another classifier gets its ``random_state`` attribute set.
    """
    if isinstance(member, SklearnClassifier):
        keys = [
            key
            for key in member.estimator.get_params(deep=True)
            if key == "random_state" or key.endswith("__random_state")
        ]
        if not keys:
            return False
        member.estimator = clone(member.estimator).set_params(**dict.fromkeys(keys, seed))
        return True
    if hasattr(member, "random_state"):
        member.random_state = seed
        return True
    return False
