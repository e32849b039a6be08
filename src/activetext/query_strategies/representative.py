"""Representative strategies: uncertainty (or novelty) weighed by where a document lies among the others.

* :class:`ContrastiveActiveLearning`: candidates whose predictions differ most from those of their nearest
  labeled neighbours (CAL, Margatina et al. 2021);
* :class:`DiscriminativeActiveLearning`: candidates a binary classifier tells apart from the labeled set most
  easily (DAL, Gissin and Shalev-Shwartz 2019);
* :class:`InformationDensity`: uncertainty times the mean cosine similarity to the pool (Settles and Craven 2008);
* :class:`ClusterMargin`: the lowest-margin candidates, spread round-robin over a hierarchical clustering of the
  pool (Citovsky et al. 2021).

Every strategy walks the candidates ``chunk_size`` at a time, so memory stays linear in the pool: no strategy
holds a matrix whose two sides grow with the pool. Each takes ``max_candidates`` to work on a uniform random
sample of the candidates (drawn from the strategy's generator) when the pool is too large for its cost;
candidates left out get a NaN score and are never returned.
"""

from __future__ import annotations

import math
import weakref
from abc import abstractmethod
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.classifiers.base import Classifier
from activetext.data.datasets import Dataset
from activetext.exceptions import InvalidArgumentError
from activetext.query_strategies.base import (
    ProbabilityScoringStrategy,
    QueryStrategy,
    ScoringStrategy,
    check_has_labels,
    check_single_label_classifier,
    predict_proba_chunked,
    scatter_scores,
    select_top_n,
    subsample_positions,
)
from activetext.query_strategies.embeddings import (
    ClassifierEmbeddings,
    EmbeddingSource,
    check_embedding_source,
    embed_all,
    unit_rows,
)
from activetext.query_strategies.uncertainty import breaking_ties
from activetext.utils.chunking import DEFAULT_CHUNK_SIZE, iter_chunks
from activetext.utils.random import Seed, random_state_from
from activetext.utils.validation import check_optional_positive_int, check_positive_float, check_positive_int
from activetext.vector_indexes.base import IndexFactory, Metric, VectorIndex, check_index_factory, new_index
from activetext.vector_indexes.exact import ExactIndex

__all__ = [
    "ClusterMargin",
    "ContrastiveActiveLearning",
    "DiscriminativeActiveLearning",
    "InformationDensity",
    "average_linkage_clusters",
    "mean_kl_divergence",
    "round_robin_by_cluster",
]


UncertaintyFunction = Callable[[np.ndarray], np.ndarray]
"""Maps an ``(n, C)`` probability array to ``n`` uncertainty scores (higher = more uncertain)."""


# --- argument checks -----------------------------------------------------------------------------------------


# --- shared helpers ------------------------------------------------------------------------------------------


class _SubsampledScoringStrategy(ScoringStrategy):
    """A scoring strategy that scores at most ``max_candidates`` candidates (a uniform sample), NaN elsewhere.

    :meth:`select` always scores at least ``n`` candidates, so it never returns an unscored one.
    """

    max_candidates: int | None
    chunk_size: int

    def select(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        positions = subsample_positions(candidates.size, self.max_candidates, n, self.rng)
        values = self._score_rows(clf, dataset, candidates[positions], indices_labeled)
        return positions[select_top_n(values, n, self.rng)], scatter_scores(candidates.size, positions, values)

    def score(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
    ) -> np.ndarray:
        positions = subsample_positions(candidates.size, self.max_candidates, 1, self.rng)
        values = self._score_rows(clf, dataset, candidates[positions], indices_labeled)
        return scatter_scores(candidates.size, positions, values)

    @abstractmethod
    def _score_rows(
        self, clf: Classifier | None, dataset: Dataset, rows: np.ndarray, indices_labeled: np.ndarray
    ) -> np.ndarray:
        """Return one score per document of ``rows`` (dataset indices)."""


# --- contrastive active learning -----------------------------------------------------------------------------


def mean_kl_divergence(neighbour_proba: np.ndarray, proba: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Return, per candidate, the mean KL divergence ``KL(p_neighbour || p_candidate)`` over its neighbours.

    ``KL(p || q) = sum_c p_c (log p_c - log q_c)`` with the natural logarithm and ``0 log 0 = 0``. The
    candidate's probabilities are floored at ``eps`` before the logarithm, so a class the candidate rules out
    but a neighbour predicts gives a large, finite divergence.

    Parameters
    ----------
    neighbour_proba : numpy.ndarray of shape (m, k, C)
        The predicted distributions of each candidate's ``k`` neighbours.
    proba : numpy.ndarray of shape (m, C)
        The candidates' predicted distributions.
    eps : float
        The floor of the candidates' probabilities.

    Returns
    -------
    numpy.ndarray of float64, shape (m,)

    Examples
    --------
    >>> mean_kl_divergence(np.array([[[0.5, 0.5], [1.0, 0.0]]]), np.array([[0.5, 0.5]])).round(6).tolist()
    [0.346574]
    """
    neighbour_proba = np.asarray(neighbour_proba, dtype=np.float64)
    proba = np.asarray(proba, dtype=np.float64)
    # the mean over neighbours of sum_c p log p, minus the mean neighbour distribution dotted with log q:
    # the cross term is linear in p, so it needs the mean distribution only
    plogp = neighbour_proba * np.log(neighbour_proba, out=np.zeros_like(neighbour_proba), where=neighbour_proba > 0)
    negative_entropy = plogp.sum(axis=2).mean(axis=1)
    cross = np.einsum("mc,mc->m", neighbour_proba.mean(axis=1), np.log(np.maximum(proba, eps)))
    return negative_entropy - cross


class ContrastiveActiveLearning(_SubsampledScoringStrategy):
    """Query the candidates whose predictions diverge most from those of their nearest labeled neighbours.

    Margatina, Vernikos, Barrault and Aletras (2021), "Active Learning by Acquiring Contrastive Examples",
    EMNLP.

    Each candidate ``x`` is scored by the mean, over its ``k`` nearest labeled documents ``x_l`` in embedding
    space, of ``KL(p(y | x_l) || p(y | x))`` (see :func:`mean_kl_divergence`), where both distributions are
    the classifier's predictions, as in the paper. High scores mark *contrastive* candidates: close to labeled
    documents in the model's representation, yet predicted differently.

    Needs a trained single-label classifier (``predict_proba``), labeled documents, and whatever the embedding
    source needs (``embed`` for the default :class:`ClassifierEmbeddings`). Cost: one pass over the candidates
    (embedding and predicting ``chunk_size`` at a time) plus a ``k``-nearest-neighbour search of each among the
    ``L`` labeled documents, ``O(m L d)`` with the exact index; memory ``O(L d + chunk_size * (L + k C))``.

    Parameters
    ----------
    embeddings : EmbeddingSource
        Where the vectors come from (the classifier's ``embed`` by default).
    index_factory : callable returning a VectorIndex
        The index over the labeled documents' vectors (exact, Euclidean by default).
    k : int
        Labeled neighbours per candidate (10 in the paper).
    eps : float
        Floor of the candidates' probabilities inside the logarithm.
    max_candidates : int, optional
        Score a uniform random sample of at most this many candidates (default: all).
    seed : None, int or numpy.random.Generator
        Source of subsampling and tie-breaking.
    chunk_size : int
        Candidates embedded, predicted and searched at a time.

    Examples
    --------
    >>> from activetext.data import SklearnDataset
    >>> from activetext.query_strategies.embeddings import PrecomputedEmbeddings
    >>> from activetext.classifiers import SklearnClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> x = np.array([[0.0], [1.0], [4.0], [5.0], [2.4], [4.6]])
    >>> data = SklearnDataset(x, np.array([0, 0, 1, 1, -1, -1]), target_labels=[0, 1])
    >>> clf = SklearnClassifier(LogisticRegression()).fit(data[[0, 1, 2, 3]])
    >>> strategy = ContrastiveActiveLearning(PrecomputedEmbeddings(x), k=2, seed=0)
    >>> strategy.query(clf, data, np.array([4, 5]), np.array([0, 1, 2, 3]), np.array([0, 0, 1, 1]), n=1).tolist()
    [4]
    """

    def __init__(
        self,
        embeddings: EmbeddingSource = ClassifierEmbeddings(),
        index_factory: IndexFactory = ExactIndex,
        k: int = 10,
        eps: float = 1e-12,
        max_candidates: int | None = None,
        seed: Seed = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ):
        super().__init__(seed)
        self.embeddings = check_embedding_source(embeddings)
        self.index_factory = check_index_factory(index_factory)
        self.k = check_positive_int(k, name="k")
        self.eps = check_positive_float(eps, name="eps")
        self.max_candidates = check_optional_positive_int(max_candidates, name="max_candidates")
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")

    def _score_rows(
        self, clf: Classifier | None, dataset: Dataset, rows: np.ndarray, indices_labeled: np.ndarray
    ) -> np.ndarray:
        clf = check_single_label_classifier(self, clf, dataset)
        check_has_labels(self, indices_labeled)
        index = new_index(self.index_factory)
        index.add(
            embed_all(self.embeddings, clf, dataset, indices_labeled, self.chunk_size),
            np.arange(indices_labeled.size, dtype=np.int64),
        )
        labeled_proba = predict_proba_chunked(clf, dataset, indices_labeled, self.chunk_size)
        scores = np.empty(rows.size, dtype=np.float64)
        for chunk in iter_chunks(np.arange(rows.size), self.chunk_size):
            block = rows[chunk]
            _, neighbours = index.search(self.embeddings.embed(clf, dataset, block), self.k)
            proba = np.asarray(clf.predict_proba(dataset[block]), dtype=np.float64)
            scores[chunk] = mean_kl_divergence(labeled_proba[neighbours], proba, self.eps)
        return scores

    def get_params(self) -> dict[str, Any]:
        return {
            **super().get_params(),
            "embeddings": self.embeddings,
            "index_factory": self.index_factory,
            "k": self.k,
            "eps": self.eps,
            "max_candidates": self.max_candidates,
            "chunk_size": self.chunk_size,
        }


# --- discriminative active learning --------------------------------------------------------------------------


class DiscriminativeActiveLearning(QueryStrategy):
    """Query the candidates that a binary classifier most confidently tells apart from the labeled documents.

    Gissin and Shalev-Shwartz (2019), "Discriminative Active Learning", arXiv:1907.06347.

    A discriminator (logistic regression by default) learns to separate the labeled documents (class 0) from
    the unlabeled candidates (class 1) in embedding space; candidates are scored by ``P(unlabeled | x)``. Those
    it is surest about lie where the labeled set does not reach, so the batch makes the labeled set look more
    like the pool. With ``sub_batches > 1`` the batch is chosen in that many steps, as in the paper: after each
    step the picks move to the labeled side and the discriminator is trained again.

    **Training set.** The labeled side holds at most ``max_train_per_side`` documents (a uniform sample when
    there are more); the unlabeled side is a uniform sample of the remaining candidates of at most
    ``max_train_per_side`` and at most ``unlabeled_ratio`` times the labeled side. Sample weights balance the
    two sides (each weighs half of the total), so the discriminator needs a ``fit`` that accepts
    ``sample_weight``. It is cloned before each fit and its ``random_state`` (when it has one) is drawn from the
    strategy's generator.

    Needs labeled documents and whatever the embedding source needs; no ``predict_proba`` of the task
    classifier (with :class:`PrecomputedEmbeddings` it works with ``clf=None``), and multi-label data is fine.
    Cost per step: one fit on at most ``2 * max_train_per_side`` vectors plus one pass over the remaining
    candidates. With ``sub_batches == 1`` the candidates are embedded ``chunk_size`` at a time and never held
    together; with more steps they are embedded once and kept (``4 m d`` bytes for ``m`` candidates of
    dimension ``d``: 1.5 GB for a million 384-d vectors; bound it with ``max_candidates``).

    :attr:`last_scores` holds ``P(unlabeled | x)`` of the first step.

    Parameters
    ----------
    embeddings : EmbeddingSource
        Where the vectors come from (the classifier's ``embed`` by default).
    discriminator : scikit-learn classifier, optional
        The binary model; it needs ``predict_proba`` and a ``fit`` with ``sample_weight``. Default:
        ``LogisticRegression(max_iter=1000)``.
    sub_batches : int
        Steps per query (at most ``n`` are used); the paper selects large batches in several such steps.
    max_train_per_side : int
        Largest number of training vectors on each side.
    unlabeled_ratio : float, optional
        Largest ratio of unlabeled to labeled training vectors (``None``: no ratio bound).
    max_candidates : int, optional
        Score a uniform random sample of at most this many candidates (default: all).
    seed : None, int or numpy.random.Generator
        Source of the training samples, the discriminator's seed, subsampling and tie-breaking.
    chunk_size : int
        Documents embedded and scored at a time.

    Examples
    --------
    >>> from activetext.data import SklearnDataset
    >>> from activetext.query_strategies.embeddings import PrecomputedEmbeddings
    >>> x = np.array([[0.0], [0.2], [0.1], [3.0], [3.2]])
    >>> data = SklearnDataset(x, target_labels=[0, 1])
    >>> strategy = DiscriminativeActiveLearning(PrecomputedEmbeddings(x), seed=0)
    >>> sorted(strategy.query(None, data, np.array([2, 3, 4]), np.array([0, 1]), np.array([0, 0]), n=2).tolist())
    [3, 4]
    """

    def __init__(
        self,
        embeddings: EmbeddingSource = ClassifierEmbeddings(),
        discriminator: Any = None,
        sub_batches: int = 1,
        max_train_per_side: int = 10_000,
        unlabeled_ratio: float | None = 10.0,
        max_candidates: int | None = None,
        seed: Seed = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ):
        super().__init__(seed)
        self.embeddings = check_embedding_source(embeddings)
        self.discriminator = discriminator
        self._template = self._check_discriminator(discriminator)
        self.sub_batches = check_positive_int(sub_batches, name="sub_batches")
        self.max_train_per_side = check_positive_int(max_train_per_side, name="max_train_per_side")
        self.unlabeled_ratio = (
            None if unlabeled_ratio is None else check_positive_float(unlabeled_ratio, name="unlabeled_ratio")
        )
        self.max_candidates = check_optional_positive_int(max_candidates, name="max_candidates")
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")

    @staticmethod
    def _check_discriminator(discriminator: Any) -> Any:
        from sklearn.utils.validation import has_fit_parameter

        if discriminator is None:
            from sklearn.linear_model import LogisticRegression

            return LogisticRegression(max_iter=1000)
        if not (hasattr(discriminator, "fit") and hasattr(discriminator, "get_params")):
            raise InvalidArgumentError(f"discriminator must be a scikit-learn classifier, got {discriminator!r}")
        if not hasattr(discriminator, "predict_proba"):
            raise InvalidArgumentError(f"discriminator must have predict_proba, got {discriminator!r}")
        if not has_fit_parameter(discriminator, "sample_weight"):
            raise InvalidArgumentError(
                f"discriminator must accept sample_weight in fit (the two sides are balanced by weight), "
                f"got {discriminator!r}"
            )
        return discriminator

    def select(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        check_has_labels(self, indices_labeled)
        positions = subsample_positions(candidates.size, self.max_candidates, n, self.rng)
        rows = candidates[positions]
        steps = min(self.sub_batches, n)
        cached = embed_all(self.embeddings, clf, dataset, rows, self.chunk_size) if steps > 1 else None

        def vectors_of(members: np.ndarray) -> np.ndarray:
            """The vectors of ``rows[members]``, from the cache when there is one."""
            if cached is not None:
                return cached[members]
            return embed_all(self.embeddings, clf, dataset, rows[members], self.chunk_size)

        labeled_rows = indices_labeled
        if labeled_rows.size > self.max_train_per_side:
            labeled_rows = np.sort(self.rng.choice(labeled_rows, size=self.max_train_per_side, replace=False))
        labeled_vectors = embed_all(self.embeddings, clf, dataset, labeled_rows, self.chunk_size)

        remaining = np.ones(rows.size, dtype=bool)
        picks: list[np.ndarray] = []
        first_scores: np.ndarray | None = None
        for size in (len(part) for part in np.array_split(np.arange(n), steps)):
            picked = np.concatenate(picks) if picks else np.empty(0, dtype=np.int64)
            labeled_side = self._labeled_side(labeled_vectors, picked, vectors_of)
            open_positions = np.flatnonzero(remaining)
            model = self._fit(labeled_side, vectors_of(self._unlabeled_sample(open_positions, len(labeled_side))))
            scores = self._score(model, open_positions, vectors_of)
            if first_scores is None:
                first_scores = scores
            chosen = open_positions[select_top_n(scores, size, self.rng)]
            picks.append(chosen)
            remaining[chosen] = False
        return positions[np.concatenate(picks)], scatter_scores(candidates.size, positions, first_scores)

    def _labeled_side(
        self, labeled_vectors: np.ndarray, picked: np.ndarray, vectors_of: Callable[[np.ndarray], np.ndarray]
    ) -> np.ndarray:
        """The labeled training vectors plus those of the picks so far, at most ``max_train_per_side``."""
        if picked.size == 0:
            return labeled_vectors
        side = np.concatenate([labeled_vectors, vectors_of(picked)])
        if side.shape[0] > self.max_train_per_side:
            side = side[np.sort(self.rng.choice(side.shape[0], size=self.max_train_per_side, replace=False))]
        return side

    def _unlabeled_sample(self, open_positions: np.ndarray, labeled_size: int) -> np.ndarray:
        """A sorted uniform sample of the open candidates for the unlabeled side of the training set."""
        size = min(open_positions.size, self.max_train_per_side)
        if self.unlabeled_ratio is not None:
            size = min(size, max(1, math.ceil(self.unlabeled_ratio * labeled_size)))
        if size == open_positions.size:
            return open_positions
        return np.sort(self.rng.choice(open_positions, size=size, replace=False))

    def _fit(self, labeled: np.ndarray, unlabeled: np.ndarray) -> Any:
        from sklearn.base import clone

        x = np.concatenate([labeled, unlabeled])
        target = np.concatenate([np.zeros(len(labeled), dtype=np.int64), np.ones(len(unlabeled), dtype=np.int64)])
        weights = np.concatenate(
            [
                np.full(len(labeled), x.shape[0] / (2 * len(labeled))),
                np.full(len(unlabeled), x.shape[0] / (2 * len(unlabeled))),
            ]
        )
        model = clone(self._template)
        if "random_state" in model.get_params(deep=False):
            model.set_params(random_state=random_state_from(self.rng))
        return model.fit(x, target, sample_weight=weights)

    def _score(self, model: Any, members: np.ndarray, vectors_of: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """``P(unlabeled | x)`` for ``rows[members]``, ``chunk_size`` at a time."""
        column = int(np.flatnonzero(np.asarray(model.classes_) == 1)[0])
        scores = np.empty(members.size, dtype=np.float64)
        for chunk in iter_chunks(np.arange(members.size), self.chunk_size):
            scores[chunk] = np.asarray(model.predict_proba(vectors_of(members[chunk])), dtype=np.float64)[:, column]
        return scores

    def get_params(self) -> dict[str, Any]:
        return {
            **super().get_params(),
            "embeddings": self.embeddings,
            "discriminator": self.discriminator,
            "sub_batches": self.sub_batches,
            "max_train_per_side": self.max_train_per_side,
            "unlabeled_ratio": self.unlabeled_ratio,
            "max_candidates": self.max_candidates,
            "chunk_size": self.chunk_size,
        }


# --- information density -------------------------------------------------------------------------------------


def _uncertainty_function(uncertainty: Any) -> UncertaintyFunction:
    """The scoring function behind ``uncertainty``: a function, or a ProbabilityScoringStrategy (class or object)."""
    if isinstance(uncertainty, ProbabilityScoringStrategy) or (
        isinstance(uncertainty, type) and issubclass(uncertainty, ProbabilityScoringStrategy)
    ):
        return uncertainty.score_probabilities
    if isinstance(uncertainty, type) or not callable(uncertainty):
        raise InvalidArgumentError(
            "uncertainty must be a function of an (n, C) probability array (such as breaking_ties) or a "
            f"ProbabilityScoringStrategy, got {uncertainty!r}"
        )
    return uncertainty


class InformationDensity(_SubsampledScoringStrategy):
    """Query uncertain candidates that are also typical of the pool: uncertainty times similarity to the pool.

    Settles and Craven (2008), "An Analysis of Active Learning Strategies for Sequence Labeling Tasks", EMNLP
    (the information density framework; also Settles 2009, "Active learning literature survey", section 3.6).

    Each candidate ``x`` gets ``uncertainty(x) * similarity(x) ** beta``, where ``uncertainty`` is the scoring
    function of a :class:`~activetext.query_strategies.base.ProbabilityScoringStrategy` (breaking ties by
    default) and ``similarity`` one of:

    * ``k=None`` (default, exact): the mean cosine similarity of ``x`` to every candidate ``u`` of the pool,
      ``x`` itself included as in the paper. With unit vectors ``x^`` it equals ``x^ . mean_u(u^)``, so it
      costs two passes over the candidates, ``O(m d)`` time and ``O(d)`` extra memory, and no ``m x m`` matrix
      is ever formed. The candidates are embedded twice (once to sum them, once to score them); with an
      expensive encoder, embed the pool once and use :class:`PrecomputedEmbeddings`.
    * ``k`` given: the mean cosine similarity of ``x`` to its ``k`` nearest other candidates, found with the
      vector index over the candidates' unit vectors (a *local* density). This holds the candidates' vectors
      (``4 m d`` bytes) plus the index, and costs one search per candidate: quadratic with the exact index, so
      on large pools use an approximate index or ``max_candidates``. Cosine similarities are recovered from
      the index's distances (``1 - d^2 / 2`` for Euclidean, ``1 - d`` for cosine distance). A candidate with
      no other candidate gets similarity 1.

    Negative mean similarities (possible with embeddings, not with the non-negative features of the paper)
    are clipped to 0.

    Needs a trained single-label classifier (``predict_proba``) and whatever the embedding source needs.

    Parameters
    ----------
    embeddings : EmbeddingSource
        Where the vectors come from (the classifier's ``embed`` by default). They are scaled to unit length here.
    index_factory : callable returning a VectorIndex
        The index over the candidates, used only with ``k`` (exact by default).
    uncertainty : callable or ProbabilityScoringStrategy
        A function mapping ``(n, C)`` probabilities to ``n`` non-negative uncertainties (``breaking_ties``,
        ``least_confidence``, ``prediction_entropy``), or a ``ProbabilityScoringStrategy`` class or object,
        whose ``score_probabilities`` is used.
    beta : float
        The weight of the density term (``>= 0``; 1 in the paper, 0 gives plain uncertainty sampling).
    k : int, optional
        Restrict the similarity to the ``k`` nearest candidates (default: the whole pool, exactly).
    max_candidates : int, optional
        Score a uniform random sample of at most this many candidates, and measure density within it
        (default: all).
    seed : None, int or numpy.random.Generator
        Source of subsampling and tie-breaking.
    chunk_size : int
        Candidates embedded, predicted and searched at a time.

    Examples
    --------
    >>> from activetext.data import SklearnDataset
    >>> from activetext.query_strategies.embeddings import PrecomputedEmbeddings
    >>> from activetext.classifiers import SklearnClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.1], [1.0, 0.2], [0.1, 1.0]])
    >>> data = SklearnDataset(x, np.array([0, 1, -1, -1, -1]), target_labels=[0, 1])
    >>> clf = SklearnClassifier(LogisticRegression()).fit(data[[0, 1]])
    >>> strategy = InformationDensity(PrecomputedEmbeddings(x), seed=0)
    >>> len(strategy.query(clf, data, np.array([2, 3, 4]), np.array([0, 1]), np.array([0, 1]), n=2))
    2
    """

    def __init__(
        self,
        embeddings: EmbeddingSource = ClassifierEmbeddings(),
        index_factory: IndexFactory = ExactIndex,
        uncertainty: UncertaintyFunction | ProbabilityScoringStrategy | type = breaking_ties,
        beta: float = 1.0,
        k: int | None = None,
        max_candidates: int | None = None,
        seed: Seed = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ):
        super().__init__(seed)
        self.embeddings = check_embedding_source(embeddings)
        self.index_factory = check_index_factory(index_factory)
        self.uncertainty = uncertainty
        self._uncertainty = _uncertainty_function(uncertainty)
        self.beta = check_positive_float(beta, name="beta", allow_equal=True)
        self.k = check_optional_positive_int(k, name="k")
        self.max_candidates = check_optional_positive_int(max_candidates, name="max_candidates")
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")

    def _score_rows(
        self, clf: Classifier | None, dataset: Dataset, rows: np.ndarray, indices_labeled: np.ndarray
    ) -> np.ndarray:
        clf = check_single_label_classifier(self, clf, dataset)
        uncertainty = np.empty(rows.size, dtype=np.float64)
        for chunk in iter_chunks(np.arange(rows.size), self.chunk_size):
            proba = np.asarray(clf.predict_proba(dataset[rows[chunk]]), dtype=np.float64)
            values = np.asarray(self._uncertainty(proba), dtype=np.float64)
            if values.shape != (chunk.size,):
                raise InvalidArgumentError(
                    f"uncertainty must return one score per row ({chunk.size}), got shape {values.shape}"
                )
            uncertainty[chunk] = values
        similarity = self.pool_similarity(clf, dataset, rows)
        return uncertainty * np.maximum(similarity, 0.0) ** self.beta

    def pool_similarity(self, clf: Classifier | None, dataset: Dataset, rows: np.ndarray) -> np.ndarray:
        """Return the density term of each document of ``rows``: its mean cosine similarity to ``rows``.

        The whole of ``rows`` with ``k=None``; its ``k`` nearest other members otherwise (see the class
        docstring). Values lie in ``[-1, 1]`` (before clipping).
        """
        rows = np.asarray(rows, dtype=np.int64)
        if self.k is None:
            total: np.ndarray | float = 0.0
            for chunk in iter_chunks(rows, self.chunk_size):
                total = total + unit_rows(self.embeddings.embed(clf, dataset, chunk)).sum(axis=0, dtype=np.float64)
            mean = (np.asarray(total) / max(rows.size, 1)).astype(np.float32)
            similarity = np.empty(rows.size, dtype=np.float64)
            for start in range(0, rows.size, self.chunk_size):
                block = unit_rows(self.embeddings.embed(clf, dataset, rows[start : start + self.chunk_size]))
                similarity[start : start + self.chunk_size] = block @ mean
            return similarity
        vectors = unit_rows(embed_all(self.embeddings, clf, dataset, rows, self.chunk_size))
        index = new_index(self.index_factory)
        index.add(vectors, np.arange(rows.size, dtype=np.int64))
        similarity = np.empty(rows.size, dtype=np.float64)
        for chunk in iter_chunks(np.arange(rows.size), self.chunk_size):
            distances, ids = index.search(vectors[chunk], self.k + 1)
            # drop each query's own id (or, if the index missed it, the farthest extra neighbour)
            others = ids != chunk[:, None]
            keep = np.argsort(~others, axis=1, kind="stable")[:, : self.k]
            valid = np.take_along_axis(others, keep, axis=1)
            cosine = _cosine_from_distance(np.take_along_axis(distances, keep, axis=1), index.metric)
            count = valid.sum(axis=1)
            summed = np.where(valid, cosine, 0.0).sum(axis=1)
            similarity[chunk] = np.where(count > 0, summed / np.maximum(count, 1), 1.0)
        return similarity

    def get_params(self) -> dict[str, Any]:
        return {
            **super().get_params(),
            "embeddings": self.embeddings,
            "index_factory": self.index_factory,
            "uncertainty": self.uncertainty,
            "beta": self.beta,
            "k": self.k,
            "max_candidates": self.max_candidates,
            "chunk_size": self.chunk_size,
        }


def _cosine_from_distance(distances: np.ndarray, metric: Metric) -> np.ndarray:
    """Cosine similarities of unit vectors from the index's distances between them."""
    distances = np.asarray(distances, dtype=np.float64)
    if metric is Metric.EUCLIDEAN:
        return 1.0 - distances**2 / 2.0
    if metric is Metric.COSINE:
        return 1.0 - distances
    raise InvalidArgumentError(f"index_factory must give an index with a Euclidean or cosine metric, got {metric!r}")


# --- cluster-margin ------------------------------------------------------------------------------------------


def average_linkage_clusters(
    vectors: np.ndarray,
    n_clusters: int | None = None,
    distance_threshold: float | None = None,
    chunk_size: int = 1024,
) -> np.ndarray:
    """Cluster ``vectors`` by hierarchical agglomerative clustering with average linkage (Euclidean).

    The tree is cut into at most ``n_clusters`` clusters, or where the average distance between two clusters
    exceeds ``distance_threshold``. The condensed distance matrix (``s (s - 1) / 2`` floats for ``s``
    vectors) is filled ``chunk_size`` rows at a time with matrix products, so call it on a bounded sample.

    Parameters
    ----------
    vectors : numpy.ndarray of shape (s, d)
    n_clusters : int, optional
        The largest number of clusters.
    distance_threshold : float, optional
        The largest average-linkage distance within a cluster (give exactly one of the two).
    chunk_size : int
        Rows of the distance matrix computed at a time.

    Returns
    -------
    numpy.ndarray of int64, shape (s,)
        Cluster labels ``0 .. c-1``.

    Examples
    --------
    >>> average_linkage_clusters(np.array([[0.0], [0.1], [5.0], [5.2], [0.2]]), n_clusters=2).tolist()
    [0, 0, 1, 1, 0]
    """
    from scipy.cluster.hierarchy import fcluster, linkage

    if (n_clusters is None) == (distance_threshold is None):
        raise InvalidArgumentError(
            f"give exactly one of n_clusters and distance_threshold, got n_clusters={n_clusters!r} and "
            f"distance_threshold={distance_threshold!r}"
        )
    vectors = np.asarray(vectors, dtype=np.float64)
    size = vectors.shape[0]
    # the trivial cuts are answered here: older scipy (1.10, 1.11) may cut two documents wrongly, either way
    if size < 2 or n_clusters == 1:
        return np.zeros(size, dtype=np.int64)
    if n_clusters is not None and n_clusters >= size:
        return np.arange(size, dtype=np.int64)
    squared_norms = np.einsum("ij,ij->i", vectors, vectors)
    condensed = np.empty(size * (size - 1) // 2, dtype=np.float64)
    for start in range(0, size, chunk_size):
        stop = min(start + chunk_size, size)
        block = squared_norms[start:stop, None] - 2.0 * (vectors[start:stop] @ vectors.T) + squared_norms
        upper = np.arange(size)[None, :] > np.arange(start, stop)[:, None]
        # rows of the strict upper triangle, read row by row, are the condensed matrix's order
        offset = start * size - start * (start + 1) // 2
        values = np.sqrt(np.maximum(block[upper], 0.0))
        condensed[offset : offset + values.size] = values
    tree = linkage(condensed, method="average")
    if n_clusters is not None:
        labels = fcluster(tree, t=min(n_clusters, size), criterion="maxclust")
    else:
        labels = fcluster(tree, t=distance_threshold, criterion="distance")
    return np.unique(labels, return_inverse=True)[1].astype(np.int64).ravel()


def round_robin_by_cluster(cluster_ids: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Return ``n`` positions of ``cluster_ids`` taken round-robin over the clusters, smallest cluster first.

    In each round every cluster that still has members gives one, drawn uniformly at random; clusters are
    visited in increasing order of size (among ``cluster_ids``), ties in random order.

    Parameters
    ----------
    cluster_ids : numpy.ndarray of int, shape (m,)
        The cluster of each member.
    n : int
        How many positions to return (``1 <= n <= m``).
    rng : numpy.random.Generator
        Source of the draws within clusters and of the order of equal-sized clusters.

    Returns
    -------
    numpy.ndarray of int64, shape (n,)
        Positions into ``cluster_ids``, in the order they were taken.

    Examples
    --------
    >>> ids = np.array([5, 5, 5, 7, 9, 9])
    >>> ids[round_robin_by_cluster(ids, 6, np.random.default_rng(0))].tolist()
    [7, 9, 5, 9, 5, 5]
    """
    cluster_ids = np.asarray(cluster_ids)
    clusters, inverse, counts = np.unique(cluster_ids, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    cluster_rank = np.empty(clusters.size, dtype=np.int64)
    cluster_rank[np.lexsort((rng.random(clusters.size), counts))] = np.arange(clusters.size)
    grouped = np.lexsort((rng.random(cluster_ids.size), inverse))  # members by cluster, random within
    starts = np.cumsum(counts) - counts
    turn = np.empty(cluster_ids.size, dtype=np.int64)
    turn[grouped] = np.arange(cluster_ids.size) - starts[inverse[grouped]]
    return np.lexsort((cluster_rank[inverse], turn))[:n].astype(np.int64)


class ClusterMargin(QueryStrategy):
    """Query low-margin candidates spread over clusters: margin sampling with cluster-based diversity.

    Citovsky, DeSalvo, Gentile, Karydas, Rajagopalan, Rostamizadeh and Kumar (2021), "Batch Active Learning
    at Scale", NeurIPS.

    **Clustering, once per dataset.** At the first query on a dataset, the candidates are clustered by
    hierarchical agglomerative clustering with average linkage (Euclidean; embed with ``normalize=True`` for
    cosine geometry). As in the paper, this happens once and is reused by later queries, even as the
    classifier changes. To stay subquadratic, the tree is built on a uniform sample of at most
    ``cluster_sample_size`` candidates (``O(s^2)`` time and memory for the sample, 100 MB at the default
    5,000); every other candidate joins the cluster whose centre (mean of its sampled members) is nearest,
    found with the vector index in one chunked pass, ``O(m c d)`` for ``c`` clusters. A document that enters
    the pool later (a removed label) joins its nearest centre when first seen. The tree is cut into
    ``n_clusters`` clusters, or at ``distance_threshold`` (the paper's ``epsilon``); with neither,
    ``ceil(sqrt(s))`` clusters. The clusters are kept as :attr:`cluster_labels_` (per dataset row, -1 when
    unknown) and :attr:`cluster_centers_`; a query on another dataset object clusters again.

    **Each query.** The breaking-ties score ``1 - (p1 - p2)`` of every candidate is computed (chunked); the
    ``ceil(margin_multiplier * n)`` lowest-margin candidates are grouped by cluster, and clusters are visited
    round-robin, smallest first, each giving one random member per round, until ``n`` are taken (see
    :func:`round_robin_by_cluster`). Cost per query: one prediction pass over the candidates.

    :attr:`last_scores` holds the breaking-ties score of each candidate.

    Parameters
    ----------
    embeddings : EmbeddingSource
        Where the vectors come from (the classifier's ``embed`` by default), read at the first query.
    index_factory : callable returning a VectorIndex
        The index over the cluster centres (exact, Euclidean by default).
    margin_multiplier : float
        The paper's ``k_m / k``: how many times ``n`` low-margin candidates are spread over clusters (>= 1).
    n_clusters : int, optional
        Number of clusters to cut the tree into.
    distance_threshold : float, optional
        Average-linkage distance at which to cut the tree (give at most one of the two).
    cluster_sample_size : int
        Most candidates clustered hierarchically (the rest are assigned to the nearest centre).
    max_candidates : int, optional
        Compute margins for a uniform random sample of at most this many candidates (default: all).
    seed : None, int or numpy.random.Generator
        Source of the clustering sample, subsampling, the draws within clusters and tie-breaking.
    chunk_size : int
        Candidates embedded and predicted at a time.

    Examples
    --------
    >>> from activetext.data import SklearnDataset
    >>> from activetext.query_strategies.embeddings import PrecomputedEmbeddings
    >>> from activetext.classifiers import SklearnClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> x = np.array([[0.0], [4.0], [1.9], [2.0], [2.1], [8.0]])
    >>> data = SklearnDataset(x, np.array([0, 1, -1, -1, -1, -1]), target_labels=[0, 1])
    >>> clf = SklearnClassifier(LogisticRegression()).fit(data[[0, 1]])
    >>> strategy = ClusterMargin(PrecomputedEmbeddings(x), n_clusters=2, seed=0)
    >>> len(strategy.query(clf, data, np.array([2, 3, 4, 5]), np.array([0, 1]), np.array([0, 1]), n=2))
    2
    """

    def __init__(
        self,
        embeddings: EmbeddingSource = ClassifierEmbeddings(),
        index_factory: IndexFactory = ExactIndex,
        margin_multiplier: float = 10.0,
        n_clusters: int | None = None,
        distance_threshold: float | None = None,
        cluster_sample_size: int = 5000,
        max_candidates: int | None = None,
        seed: Seed = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ):
        super().__init__(seed)
        self.embeddings = check_embedding_source(embeddings)
        self.index_factory = check_index_factory(index_factory)
        self.margin_multiplier = check_positive_float(
            margin_multiplier, name="margin_multiplier", minimum=1.0, allow_equal=True
        )
        self.n_clusters = check_optional_positive_int(n_clusters, name="n_clusters")
        self.distance_threshold = (
            None
            if distance_threshold is None
            else check_positive_float(distance_threshold, name="distance_threshold", allow_equal=True)
        )
        if self.n_clusters is not None and self.distance_threshold is not None:
            raise InvalidArgumentError(
                f"give at most one of n_clusters and distance_threshold, got n_clusters={n_clusters!r} and "
                f"distance_threshold={distance_threshold!r}"
            )
        self.cluster_sample_size = check_positive_int(cluster_sample_size, name="cluster_sample_size")
        self.max_candidates = check_optional_positive_int(max_candidates, name="max_candidates")
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")
        self.cluster_labels_: np.ndarray | None = None
        self.cluster_centers_: np.ndarray | None = None
        self._clustered: weakref.ReferenceType[Dataset] | None = None
        self._centre_index: VectorIndex | None = None

    def select(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        clf = check_single_label_classifier(self, clf, dataset)
        if self._clustered is None or self._clustered() is not dataset:
            self._cluster(clf, dataset, candidates)
        self._assign(clf, dataset, candidates)
        positions = subsample_positions(candidates.size, self.max_candidates, n, self.rng)
        uncertainty = np.empty(positions.size, dtype=np.float64)
        for chunk in iter_chunks(np.arange(positions.size), self.chunk_size):
            uncertainty[chunk] = breaking_ties(clf.predict_proba(dataset[candidates[positions[chunk]]]))
        size = min(positions.size, max(n, math.ceil(self.margin_multiplier * n)))
        lowest_margin = positions[select_top_n(uncertainty, size, self.rng)]
        clusters = self.cluster_labels_[candidates[lowest_margin]]
        picks = lowest_margin[round_robin_by_cluster(clusters, n, self.rng)]
        return picks, scatter_scores(candidates.size, positions, uncertainty)

    def _cluster(self, clf: Classifier, dataset: Dataset, candidates: np.ndarray) -> None:
        """Cluster a sample of ``candidates`` and keep the labels and centres for ``dataset``."""
        size = min(candidates.size, self.cluster_sample_size)
        sample = (
            np.sort(self.rng.choice(candidates, size=size, replace=False)) if size < candidates.size else candidates
        )
        vectors = embed_all(self.embeddings, clf, dataset, sample, self.chunk_size).astype(np.float64)
        n_clusters = self.n_clusters
        if n_clusters is None and self.distance_threshold is None:
            n_clusters = math.ceil(math.sqrt(size))
        labels = average_linkage_clusters(vectors, n_clusters, self.distance_threshold)
        count = int(labels.max()) + 1
        centres = np.zeros((count, vectors.shape[1]), dtype=np.float64)
        np.add.at(centres, labels, vectors)
        centres /= np.bincount(labels, minlength=count)[:, None]
        index = new_index(self.index_factory)
        index.add(centres.astype(np.float32), np.arange(count, dtype=np.int64))
        self.cluster_labels_ = np.full(len(dataset), -1, dtype=np.int64)
        self.cluster_labels_[sample] = labels
        self.cluster_centers_ = centres.astype(np.float32)
        self._centre_index = index
        self._clustered = weakref.ref(dataset)

    def _assign(self, clf: Classifier, dataset: Dataset, candidates: np.ndarray) -> None:
        """Give every candidate without a cluster the cluster of its nearest centre."""
        missing = candidates[self.cluster_labels_[candidates] < 0]
        for chunk in iter_chunks(missing, self.chunk_size):
            _, nearest = self._centre_index.search(self.embeddings.embed(clf, dataset, chunk), 1)
            self.cluster_labels_[chunk] = nearest[:, 0]

    def get_params(self) -> dict[str, Any]:
        return {
            **super().get_params(),
            "embeddings": self.embeddings,
            "index_factory": self.index_factory,
            "margin_multiplier": self.margin_multiplier,
            "n_clusters": self.n_clusters,
            "distance_threshold": self.distance_threshold,
            "cluster_sample_size": self.cluster_sample_size,
            "max_candidates": self.max_candidates,
            "chunk_size": self.chunk_size,
        }
