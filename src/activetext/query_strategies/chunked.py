"""Scoring a large pool chunk by chunk, on this machine or on a Dask cluster, keeping only the best candidates.

:class:`TopCandidates` scores the candidates with a probability-based strategy one chunk at a time, keeps each
chunk's best ``keep`` candidates, and merges them into the overall best with a streaming top-k
(:class:`~activetext.utils.topk.StreamingTopK`): the memory used for selection grows with ``keep``, not with the
pool. The kept candidates are the query (``then=None``) or the candidate set of a costlier strategy
(``then=GreedyCoreset(...)``). With ``client=`` the chunks are scored on a Dask cluster; ties are broken by a key
of each document's index, so the selection is exactly the one this machine would make.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.classifiers.base import Classifier
from activetext.data.datasets import Dataset
from activetext.exceptions import InvalidArgumentError
from activetext.query_strategies.base import (
    ProbabilityScoringStrategy,
    QueryStrategy,
    check_single_label_classifier,
    scatter_scores,
)
from activetext.utils.chunking import DEFAULT_CHUNK_SIZE
from activetext.utils.random import Seed
from activetext.utils.topk import StreamingTopK, chunk_top_k
from activetext.utils.validation import check_optional_positive_int, check_positive_int

__all__ = ["TopCandidates", "score_chunk", "split_candidates"]


def split_candidates(dataset: Dataset, candidates: np.ndarray, chunk_size: int) -> list[np.ndarray]:
    """Cut sorted ``candidates`` into pieces of at most ``chunk_size`` that never straddle a storage chunk.

    On-disk datasets say where their chunks begin (``chunk_bounds()``); a piece then reads one chunk file (or
    one region of a memory map), which is what a worker loading its own rows wants.
    """
    bounds_of = getattr(dataset, "chunk_bounds", None)
    bounds = np.asarray(bounds_of(), dtype=np.int64) if callable(bounds_of) else np.array([0, len(dataset)])
    cuts = np.searchsorted(candidates, bounds[1:-1])
    pieces = []
    for part in np.split(candidates, cuts):
        pieces.extend(part[start : start + chunk_size] for start in range(0, part.size, chunk_size))
    return [piece for piece in pieces if piece.size]


def score_chunk(
    piece: np.ndarray, clf: Classifier, dataset: Dataset, scorer: ProbabilityScoringStrategy, keep: int, seed: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Score one piece of candidates and return its best ``keep`` (indices, scores) and the seconds it took.

    Runs wherever it is called: in this process, or on a Dask worker that reads the rows itself.
    """
    start = time.perf_counter()
    scores = scorer.score_probabilities(np.asarray(clf.predict_proba(dataset[piece]), dtype=np.float64))
    indices, best = chunk_top_k(piece, np.asarray(scores, dtype=np.float64), keep, seed)
    return indices, best, time.perf_counter() - start


class TopCandidates(QueryStrategy):
    """Score candidates chunk by chunk with a probability-based strategy; keep the best, optionally refine them.

    Every candidate is predicted once, ``chunk_size`` rows at a time (on this machine, or on the workers of a
    Dask cluster). Each chunk contributes its best ``keep`` candidates, merged into the overall best ``keep`` as
    results arrive; ties are broken by :func:`~activetext.utils.topk.tiebreak_keys` of the document index, so
    the result does not depend on chunking, on the order chunks finish, or on where they ran. With
    ``then=None`` the query is the best ``n``; otherwise ``then`` chooses ``n`` among the kept candidates (for
    example ``GreedyCoreset`` for a diverse batch among the most uncertain: "coreset on candidates").

    Cost: one prediction per candidate, ``O(m log keep)`` for selection, and the cost of ``then`` on ``keep``
    candidates. :attr:`last_scores` holds the scorer's score for the kept candidates and NaN for the others
    (they were scored, but only the kept scores are brought back). :attr:`last_timings` splits the last query's
    seconds into ``scoring`` (prediction and scoring, summed over chunks), ``selection`` (merging and ``then``)
    and ``wall``.

    Parameters
    ----------
    scorer : ProbabilityScoringStrategy
        The score: ``BreakingTies()``, ``LeastConfidence()`` or ``PredictionEntropy()`` (its seed is not used).
    keep : int, optional
        Candidates kept (at least ``n``); default ``n``.
    then : QueryStrategy, optional
        Chooses ``n`` among the kept candidates.
    client : distributed.Client or str, optional
        A Dask client or scheduler address; chunks are scored on its workers. Workers read the rows themselves
        when the dataset is on disk (:class:`~activetext.data.ondisk.MemmapDataset`,
        :class:`~activetext.data.ondisk.ChunkedSparseDataset`) at a path every machine sees; an in-memory dataset
        is sent to every worker once.
    chunk_size : int
        Candidates per chunk (a chunk never straddles a storage chunk of an on-disk dataset).
    seed : int or numpy.random.Generator
        Seeds the tie-breaking keys (an int is used as it is; a generator draws one per query).

    Examples
    --------
    >>> from activetext.classifiers import ConfidenceEnhancedLinearSVC
    >>> from activetext.classifiers.factories import SklearnClassifierFactory
    >>> from activetext.data import SklearnDataset
    >>> from activetext.query_strategies import BreakingTies
    >>> x = np.linspace(-1, 1, 50).reshape(-1, 1)
    >>> pool = SklearnDataset(x, (x[:, 0] > 0).astype(int), target_labels=[0, 1])
    >>> clf = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()).new().fit(pool[[0, 49]])
    >>> strategy = TopCandidates(BreakingTies(), chunk_size=8, seed=0)
    >>> sorted(strategy.query(clf, pool, np.arange(1, 49), np.array([0, 49]), np.array([0, 1]), n=2).tolist())
    [24, 25]
    """

    def __init__(
        self,
        scorer: ProbabilityScoringStrategy,
        keep: int | None = None,
        then: QueryStrategy | None = None,
        client: Any = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        seed: Seed = 0,
    ):
        if not isinstance(scorer, ProbabilityScoringStrategy):
            raise InvalidArgumentError(
                "scorer must be a ProbabilityScoringStrategy (BreakingTies, LeastConfidence, PredictionEntropy), "
                f"got {scorer!r} ({type(scorer).__name__})"
            )
        if then is not None and not isinstance(then, QueryStrategy):
            raise InvalidArgumentError(f"then must be a QueryStrategy or None, got {then!r} ({type(then).__name__})")
        if client is not None and not isinstance(client, str) and not hasattr(client, "submit"):
            raise InvalidArgumentError(
                f"client must be None, a distributed.Client or a scheduler address, got {client!r}"
            )
        super().__init__(seed)
        self.scorer = scorer
        self.keep = check_optional_positive_int(keep, name="keep")
        self.then = then
        self.client = client
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")
        self.last_timings: dict[str, float] = {}
        self._connected: Any = None

    def _tiebreak_seed(self) -> int:
        if isinstance(self.seed, (int, np.integer)) and not isinstance(self.seed, bool):
            return int(self.seed)
        return int(self.rng.integers(2**63 - 1))

    def top(
        self, clf: Classifier | None, dataset: Dataset, candidates: np.ndarray, keep: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``keep`` best of ``candidates`` (dataset indices and scores, best first), scored chunk by chunk."""
        clf = check_single_label_classifier(self, clf, dataset)
        keep = check_positive_int(keep, name="keep")
        seed = self._tiebreak_seed()
        pieces = split_candidates(dataset, np.sort(np.asarray(candidates, dtype=np.int64)), self.chunk_size)
        merged = StreamingTopK(keep, seed)
        seconds = {"scoring": 0.0, "selection": 0.0}

        def merge(result: tuple[np.ndarray, np.ndarray, float]) -> None:
            indices, scores, scoring = result
            start = time.perf_counter()
            merged.push(indices, scores)
            seconds["scoring"] += scoring
            seconds["selection"] += time.perf_counter() - start

        if self.client is None:
            for piece in pieces:
                merge(score_chunk(piece, clf, dataset, self.scorer, keep, seed))
        else:
            from activetext.distributed import connect, map_chunks

            if self._connected is None:
                self._connected = connect(self.client)
            map_chunks(self._connected, score_chunk, pieces, (clf, dataset, self.scorer, keep, seed), merge)
        self.last_timings = dict(seconds)
        return merged.result()

    def select(
        self,
        clf: Classifier | None,
        dataset: Dataset,
        candidates: np.ndarray,
        indices_labeled: np.ndarray,
        y: np.ndarray | sp.csr_matrix,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        start = time.perf_counter()
        keep = max(self.keep or n, n)
        kept, kept_scores = self.top(clf, dataset, candidates, keep)
        timings = self.last_timings
        order = np.argsort(candidates, kind="stable")
        kept_positions = order[np.searchsorted(candidates, kept, sorter=order)]
        scores = scatter_scores(candidates.size, kept_positions, kept_scores)
        refine_start = time.perf_counter()
        if self.then is None:
            positions = kept_positions[:n]
        else:
            subpool = np.sort(kept)
            picked = self.then.query(clf, dataset, subpool, indices_labeled, y, n)
            positions = order[np.searchsorted(candidates, picked, sorter=order)]
        timings["selection"] += time.perf_counter() - refine_start
        timings["wall"] = time.perf_counter() - start
        self.last_timings = timings
        return positions, scores

    def close(self) -> None:
        """Close the Dask client this strategy opened from an address (a client passed in is left open)."""
        if self._connected is not None and isinstance(self.client, str):
            self._connected.close()
        self._connected = None

    def get_params(self) -> dict[str, Any]:
        return {
            "scorer": self.scorer,
            "keep": self.keep,
            "then": self.then,
            "client": self.client,
            "chunk_size": self.chunk_size,
            **super().get_params(),
        }

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_connected"] = None  # a live connection does not travel
        return state
