"""Pool-based active learning: the learner picks documents from a fixed pool, a person (or an oracle) labels them.

The learner's labels (:attr:`PoolBasedActiveLearner.y`) are the source of truth. The dataset's own labels
(``dataset.y``) are never read for training and never written: in a simulation they hold the true labels that an
oracle reveals; in a real project they are usually all ``-1``.
"""

from __future__ import annotations

import copy
import inspect
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.active_learner.state import PoolState
from activetext.classifiers.base import Classifier
from activetext.classifiers.factories import ClassifierFactory
from activetext.data.datasets import Dataset
from activetext.data.labels import check_multi_labels, check_single_labels
from activetext.exceptions import (
    ActiveTextError,
    InvalidArgumentError,
    InvalidIndicesError,
    LabelCountMismatchError,
    LabelShapeError,
    NoPendingQueryError,
    NotInitializedError,
)
from activetext.query_strategies.base import QueryStrategy
from activetext.stopping_criteria import StoppingCriterion
from activetext.utils.random import Seed, make_rng
from activetext.utils.validation import as_array, check_index, check_indices, check_positive_int

__all__ = ["PoolBasedActiveLearner"]


class PoolBasedActiveLearner:
    """An active learner over a fixed pool of documents.

    Parameters
    ----------
    clf_factory : ClassifierFactory
        Creates the classifier that is (re)trained after each batch of labels.
    query_strategy : QueryStrategy
        Chooses the documents to label next.
    dataset : Dataset
        The pool. Its labels are not used for training (see the module docstring).
    reuse_model : bool
        When False (default), every retraining fits a fresh classifier from ``clf_factory``. When True, the
        current classifier is fitted again in place (useful for warm starts); with a ``stopping_criterion``,
        ``update`` first copies it, so that an update the criterion refuses leaves it as it was.
    stopping_criterion : StoppingCriterion, optional
        Asked after every training by :meth:`initialize_data` and :meth:`update`, on the classifier's output for
        the stop set; its last verdict is :attr:`should_stop` (see :mod:`activetext.stopping_criteria`).
    stop_set : int or array-like of int
        The stop set: a number of pool documents drawn at random once (1,000 by default, or the whole pool when
        it is smaller), or the documents' indices. Used only with a ``stopping_criterion``.
    stop_set_seed : None, int or numpy.random.Generator
        Source of the random stop set.

    Examples
    --------
    >>> import numpy as np
    >>> from activetext.classifiers import ConfidenceEnhancedLinearSVC
    >>> from activetext.classifiers.factories import SklearnClassifierFactory
    >>> from activetext.data import SklearnDataset
    >>> from activetext.query_strategies import BreakingTies
    >>> x = np.array([[0.0, 1.0], [0.1, 0.9], [1.0, 0.0], [0.9, 0.2], [0.5, 0.5], [0.6, 0.4]])
    >>> pool = SklearnDataset(x, target_labels=np.arange(2))
    >>> learner = PoolBasedActiveLearner(
    ...     SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()), BreakingTies(seed=0), pool)
    >>> learner.initialize_data([0, 2], [0, 1])
    >>> queried = learner.query(num_samples=2)
    >>> sorted(queried.tolist())
    [4, 5]
    >>> learner.update([0, 1])
    >>> learner.y.tolist()
    [0, -1, 1, -1, 0, 1]
    """

    def __init__(
        self,
        clf_factory: ClassifierFactory,
        query_strategy: QueryStrategy,
        dataset: Dataset,
        reuse_model: bool = False,
        *,
        stopping_criterion: StoppingCriterion | None = None,
        stop_set: int | Any = 1000,
        stop_set_seed: Seed = 0,
    ):
        if not isinstance(clf_factory, ClassifierFactory):
            raise InvalidArgumentError(f"clf_factory must be a ClassifierFactory, got {type(clf_factory).__name__}")
        if not isinstance(query_strategy, QueryStrategy):
            raise InvalidArgumentError(f"query_strategy must be a QueryStrategy, got {type(query_strategy).__name__}")
        if not isinstance(dataset, Dataset):
            raise InvalidArgumentError(f"dataset must be an activetext Dataset, got {type(dataset).__name__}")
        if stopping_criterion is not None and not isinstance(stopping_criterion, StoppingCriterion):
            raise InvalidArgumentError(
                f"stopping_criterion must be a StoppingCriterion or None, got {type(stopping_criterion).__name__}"
            )
        self.clf_factory = clf_factory
        self.query_strategy = query_strategy
        self.dataset = dataset
        self.reuse_model = bool(reuse_model)
        self.stopping_criterion = stopping_criterion
        self._indices_stopping = (
            _draw_stop_set(stop_set, len(dataset), stop_set_seed) if stopping_criterion is not None else None
        )
        self._stop_verdicts: list[bool] = []
        self._state: PoolState | None = None
        self._classifier: Classifier | None = None
        self._queried: np.ndarray | None = None

    # --- starting --------------------------------------------------------------------------------------------

    def initialize_data(
        self,
        indices_initial: Any,
        y_initial: Any,
        indices_ignored: Any = None,
        indices_validation: Any = None,
        retrain: bool = True,
    ) -> None:
        """Start (or restart) from labeled documents.

        Parameters
        ----------
        indices_initial : array-like of int
            The labeled documents.
        y_initial : array-like of int or indicator matrix
            Their labels, in the same order.
        indices_ignored : array-like of int, optional
            Documents never to query or train on; must not overlap ``indices_initial``.
        indices_validation : array-like of int, optional
            A subset of ``indices_initial`` held out from training and passed to the classifier as validation data.
        retrain : bool
            Whether to train the classifier now.
        """
        n_samples = len(self.dataset)
        indices = check_indices(indices_initial, n_samples, name="indices_initial")
        labels = self._check_labels(y_initial, indices.size, name="y_initial")
        ignored = check_indices([] if indices_ignored is None else indices_ignored, n_samples, name="indices_ignored")
        overlap = np.intersect1d(indices, ignored)
        if overlap.size:
            raise InvalidIndicesError(
                f"indices_ignored must not contain labeled documents, got {overlap[:8].tolist()} in both"
            )
        validation = self._check_validation(indices_validation, indices, name="indices_validation")
        state = PoolState.empty(n_samples, self.dataset.num_classes, multi_label=self.dataset.is_multi_label)
        state.set_labels(indices, labels)
        state.ignored[ignored] = True
        state.validation[validation] = True
        classifier = self._train(state, previous=None) if retrain else None
        self._commit_and_ask_to_stop(state, classifier)

    def initialize(self, classifier: Classifier | None = None) -> None:
        """Start with no labels: from an already trained classifier, or with none at all (cold start).

        With ``classifier=None`` only strategies that need no model (such as
        :class:`~activetext.query_strategies.RandomSampling`) can query until the first labels arrive.

        Parameters
        ----------
        classifier : Classifier, optional
            A fitted classifier for the same label set; it is used for querying until the first retraining.

        Raises
        ------
        InvalidArgumentError
            If ``classifier`` is not a fitted activetext classifier, or cannot predict the pool's documents over
            its label set (it was fitted on other features, other classes or another label type).
        """
        if classifier is not None:
            if not isinstance(classifier, Classifier):
                raise InvalidArgumentError(
                    f"classifier must be an activetext Classifier, got {type(classifier).__name__}"
                )
            if not hasattr(classifier, "multi_label_"):
                raise InvalidArgumentError(f"classifier must be fitted, got an unfitted {type(classifier).__name__}")
            self._check_fits_the_pool(classifier)
        state = PoolState.empty(len(self.dataset), self.dataset.num_classes, multi_label=self.dataset.is_multi_label)
        self._commit(state, classifier, queried=None)

    # --- the loop --------------------------------------------------------------------------------------------

    def query(self, num_samples: int = 10, query_strategy_kwargs: dict[str, Any] | None = None) -> np.ndarray:
        """Ask the query strategy for ``num_samples`` unlabeled documents and remember them as the pending query.

        A new query replaces a pending one that was never answered.

        Parameters
        ----------
        num_samples : int
            The batch size.
        query_strategy_kwargs : dict, optional
            Extra keyword arguments passed to the strategy's ``query``.

        Returns
        -------
        numpy.ndarray of int64
            Indices into the dataset, the most wanted first.

        Raises
        ------
        NotInitializedError
            Before ``initialize_data`` or ``initialize``.
        InvalidArgumentError
            If ``num_samples`` is not a positive int, or ``query_strategy_kwargs`` is not a dict of keyword
            arguments the strategy's ``query`` takes.
        PoolExhaustedException
            If ``num_samples`` exceeds the unlabeled pool.
        EmptyPoolException
            If the unlabeled pool is empty.
        """
        state = self._require_state("query")
        num_samples = check_positive_int(num_samples, name="num_samples")
        indices_labeled = np.flatnonzero(state.labeled)
        indices_unlabeled = np.flatnonzero(state.unlabeled)
        arguments = (self._classifier, self.dataset, indices_unlabeled, indices_labeled, state.y[indices_labeled])
        kwargs = self._check_query_strategy_kwargs(query_strategy_kwargs, arguments, num_samples)
        queried = self.query_strategy.query(*arguments, n=num_samples, **kwargs)
        queried = np.asarray(queried, dtype=np.int64)
        if (
            queried.shape != (num_samples,)
            or np.unique(queried).size != num_samples
            or not np.all(state.unlabeled[queried])
        ):
            raise ActiveTextError(
                f"{type(self.query_strategy).__name__} broke the query contract: asked for {num_samples} unique "
                f"unlabeled indices, got {queried[:8].tolist()}"
            )
        self._queried = queried
        return queried.copy()

    def update(self, y: Any, indices_validation: Any = None) -> None:
        """Label the documents of the pending query and retrain.

        Parameters
        ----------
        y : array-like of int or indicator matrix
            One label (row) per document of the pending query, in the order ``query`` returned them.
        indices_validation : array-like of int, optional
            Dataset indices, a subset of the pending query, to hold out as validation data.

        Raises
        ------
        NoPendingQueryError
            If no query is waiting for labels.
        LabelCountMismatchError
            If ``y`` does not have one label per queried document.
        InvalidLabelError
            If a label is outside the label set.
        """
        state = self._require_state("update")
        if self._queried is None:
            raise NoPendingQueryError("update got labels but no query is pending: call query(num_samples) first")
        labels = self._check_labels(y, self._queried.size, name="y")
        validation = self._check_validation(indices_validation, self._queried, name="indices_validation")
        state = state.copy()
        state.set_labels(self._queried, labels)
        state.validation[validation] = True
        previous = self._classifier
        # with reuse_model the classifier is refitted in place: keep a copy to put back if the criterion refuses
        backup = (
            copy.deepcopy(previous)
            if self.reuse_model and previous is not None and self.stopping_criterion is not None
            else None
        )
        self._commit_and_ask_to_stop(state, self._train(state, previous=previous), backup=backup)

    # --- corrections -----------------------------------------------------------------------------------------

    def update_label_at(self, index: int, y: Any, retrain: bool = True) -> None:
        """Correct the label of an already labeled document.

        Parameters
        ----------
        index : int
            A labeled document.
        y : int or indicator row
            The corrected label.
        retrain : bool
            Whether to retrain now.
        """
        state = self._require_state("update_label_at")
        index = self._check_labeled_index(state, index)
        scalar = not sp.issparse(y) and as_array(y, name="y", error=LabelShapeError).ndim == 0
        labels = self._check_labels([y] if scalar else y, 1, name="y")
        state = state.copy()
        state.set_labels(np.array([index]), labels)
        self._apply(state, retrain)

    def remove_label_at(self, index: int, retrain: bool = True) -> None:
        """Remove the label of a document; it returns to the unlabeled pool.

        Parameters
        ----------
        index : int
            A labeled document.
        retrain : bool
            Whether to retrain now.
        """
        state = self._require_state("remove_label_at")
        index = self._check_labeled_index(state, index)
        state = state.copy()
        state.clear_labels(np.array([index]))
        self._apply(state, retrain)

    def ignore_sample_at(self, index: int) -> None:
        """Exclude an unlabeled document from ever being queried (for example, it cannot be labeled).

        A document of the pending query leaves it; ``update`` then expects one label fewer.

        Parameters
        ----------
        index : int
            An unlabeled document; a labeled one must first be freed with :meth:`remove_label_at`.
        """
        state = self._require_state("ignore_sample_at")
        index = check_index(index, len(self.dataset))
        if state.labeled[index]:
            raise InvalidIndicesError(
                f"index {index} is already labeled; call remove_label_at({index}) before ignoring it"
            )
        state = state.copy()
        state.ignored[index] = True
        queried = None if self._queried is None else self._queried[self._queried != index]
        self._commit(state, self._classifier, queried=queried if queried is None or queried.size else None)

    def retrain(self) -> None:
        """Train the classifier on the current labels (after corrections made with ``retrain=False``)."""
        state = self._require_state("retrain")
        self._commit(state, self._train(state, previous=self._classifier), queried=self._queried)

    # --- what the learner knows ------------------------------------------------------------------------------

    @property
    def should_stop(self) -> bool:
        """The stopping criterion's last verdict (False before its first one, and without a criterion)."""
        return bool(self._stop_verdicts and self._stop_verdicts[-1])

    @property
    def stop_verdicts(self) -> list[bool]:
        """Every verdict of the stopping criterion, one per training by ``initialize_data`` or ``update``."""
        return list(self._stop_verdicts)

    @property
    def indices_stopping(self) -> np.ndarray:
        """The stop set the criterion is asked on (empty without a criterion)."""
        if self._indices_stopping is None:
            return np.empty(0, dtype=np.int64)
        return self._indices_stopping.copy()

    @property
    def classifier(self) -> Classifier | None:
        """The current classifier (``None`` before the first training)."""
        return self._classifier

    @property
    def is_initialized(self) -> bool:
        """Whether ``initialize_data`` or ``initialize`` has been called."""
        return self._state is not None

    @property
    def y(self) -> np.ndarray | sp.csr_matrix:
        """The learner's labels, aligned with the dataset: ``-1`` (or an empty row) where unlabeled.

        This is the source of truth for what has been labeled; it is a copy, changes to it have no effect.
        """
        return self._require_state("y").y.copy()

    @property
    def indices_labeled(self) -> np.ndarray:
        """The labeled documents (validation documents included), in ascending order."""
        return np.flatnonzero(self._require_state("indices_labeled").labeled)

    @property
    def indices_unlabeled(self) -> np.ndarray:
        """The documents that can be queried: neither labeled nor ignored."""
        return np.flatnonzero(self._require_state("indices_unlabeled").unlabeled)

    @property
    def indices_ignored(self) -> np.ndarray:
        """The documents excluded from querying and training."""
        return np.flatnonzero(self._require_state("indices_ignored").ignored)

    @property
    def indices_validation(self) -> np.ndarray:
        """The labeled documents held out from training as validation data."""
        return np.flatnonzero(self._require_state("indices_validation").validation)

    @property
    def indices_queried(self) -> np.ndarray:
        """The pending query (empty when no query waits for labels)."""
        return np.empty(0, dtype=np.int64) if self._queried is None else self._queried.copy()

    # --- persistence -----------------------------------------------------------------------------------------

    def save(self, folder: str | Path) -> None:
        """Write the learner's full state to ``folder`` (see :mod:`activetext.active_learner.persistence`)."""
        from activetext.active_learner.persistence import save_learner

        save_learner(self, _as_folder(folder))

    @classmethod
    def load(
        cls,
        folder: str | Path,
        dataset: Dataset,
        *,
        query_strategy: QueryStrategy | None = None,
        clf_factory: ClassifierFactory | None = None,
    ) -> PoolBasedActiveLearner:
        """Read a learner written by :meth:`save`; ``dataset`` must be the pool it was saved with.

        ``query_strategy`` and ``clf_factory`` replace the saved ones (needed for strategies that cannot be saved).
        The stopping criterion comes back with its history, the stop set and its verdicts.
        """
        from activetext.active_learner.persistence import load_learner

        return load_learner(_as_folder(folder), dataset, query_strategy=query_strategy, clf_factory=clf_factory)

    # --- internals -------------------------------------------------------------------------------------------

    def _require_state(self, operation: str) -> PoolState:
        if self._state is None:
            raise NotInitializedError(
                f"{operation} needs an initialized learner: call initialize_data(indices, labels) or initialize() first"
            )
        return self._state

    def _check_labels(self, y: Any, count: int, *, name: str) -> np.ndarray | sp.csr_matrix:
        num_classes = self.dataset.num_classes
        if self.dataset.is_multi_label:
            if not sp.issparse(y):
                y = as_array(y, name=name, error=LabelShapeError)
                if y.ndim == 0:
                    raise LabelShapeError(f"{name} must be an indicator matrix with {count} rows, got {y!r}")
            rows = y.shape[0]
            if rows != count:
                raise LabelCountMismatchError(f"{name} must have {count} rows, one per document, got {rows}")
            return check_multi_labels(y, num_classes, n_samples=count, name=name)
        array = as_array(y, name=name, error=LabelShapeError)
        if array.ndim == 1 and array.shape[0] != count:
            raise LabelCountMismatchError(f"{name} must have {count} labels, one per document, got {array.shape[0]}")
        return check_single_labels(array, num_classes, n_samples=count, name=name, allow_unlabeled=False)

    def _check_fits_the_pool(self, classifier: Classifier) -> None:
        """Check that a classifier trained elsewhere predicts this pool's documents over its label set (one
        document is predicted); otherwise every later query would fail inside the classifier."""
        if bool(classifier.multi_label_) != self.dataset.is_multi_label:
            kind = "multi-label" if classifier.multi_label_ else "single-label"
            raise InvalidArgumentError(f"classifier must fit the pool's label type, got a {kind} classifier")
        if len(self.dataset) == 0:
            return
        try:
            proba = np.asarray(classifier.predict_proba(self.dataset[:1]))
        except ActiveTextError:
            raise
        except Exception as error:  # a model fitted on other features (another vocabulary, another width)
            raise InvalidArgumentError(
                f"classifier cannot predict the pool's documents: {type(error).__name__}: {error}"
            ) from error
        if proba.shape != (1, self.dataset.num_classes):
            raise InvalidArgumentError(
                f"classifier must predict the pool's {self.dataset.num_classes} classes, got probabilities of shape "
                f"{proba.shape} for one document"
            )

    def _check_query_strategy_kwargs(
        self, query_strategy_kwargs: Any, arguments: tuple[Any, ...], num_samples: int
    ) -> dict[str, Any]:
        """Return the extra keyword arguments of the strategy's ``query`` after checking that its signature takes
        them (an unknown or repeated keyword would otherwise surface as a ``TypeError`` from inside the call)."""
        if query_strategy_kwargs is None:
            return {}
        if not isinstance(query_strategy_kwargs, Mapping):
            raise InvalidArgumentError(
                f"query_strategy_kwargs must be a dict of keyword arguments or None, got {query_strategy_kwargs!r}"
            )
        kwargs = dict(query_strategy_kwargs)
        try:
            inspect.signature(self.query_strategy.query).bind(*arguments, n=num_samples, **kwargs)
        except TypeError as error:
            raise InvalidArgumentError(
                f"query_strategy_kwargs {sorted(map(str, kwargs))} do not fit "
                f"{type(self.query_strategy).__name__}.query: {error}"
            ) from error
        return kwargs

    def _check_validation(self, indices_validation: Any, allowed: np.ndarray, *, name: str) -> np.ndarray:
        if indices_validation is None:
            return np.empty(0, dtype=np.int64)
        validation = check_indices(indices_validation, len(self.dataset), name=name)
        outside = np.setdiff1d(validation, allowed)
        if outside.size:
            raise InvalidIndicesError(
                f"{name} must be a subset of the documents being labeled, got {outside[:8].tolist()} outside them"
            )
        return validation

    def _check_labeled_index(self, state: PoolState, index: Any) -> int:
        index = check_index(index, len(self.dataset))
        if not state.labeled[index]:
            raise InvalidIndicesError(f"index {index} is not labeled; label it through query and update")
        return index

    def _train(self, state: PoolState, previous: Classifier | None) -> Classifier | None:
        """Fit a classifier on ``state``'s labels, or return None when nothing is labeled."""
        train_indices = np.flatnonzero(state.labeled & ~state.validation)
        if train_indices.size == 0:
            return None
        classifier = previous if self.reuse_model and previous is not None else self.clf_factory.new()
        validation_indices = np.flatnonzero(state.validation)
        validation = (
            self.dataset[validation_indices].with_labels(state.y[validation_indices])
            if validation_indices.size
            else None
        )
        train = self.dataset[train_indices].with_labels(state.y[train_indices])
        return classifier.fit(train, validation=validation)

    def _apply(self, state: PoolState, retrain: bool) -> None:
        classifier = self._train(state, previous=self._classifier) if retrain else self._classifier
        self._commit(state, classifier, queried=self._queried)

    def _commit_and_ask_to_stop(
        self, state: PoolState, classifier: Classifier | None, backup: Classifier | None = None
    ) -> None:
        """Commit a trained state, then ask the stopping criterion; if it raises, restore the previous state.

        ``backup`` is a copy of the previous classifier taken before it was refitted in place (``reuse_model``);
        it is copied back into that classifier object, so that a refused call leaves its predictions unchanged.
        """
        previous = (self._state, self._classifier, self._queried)
        self._commit(state, classifier, queried=None)
        if self.stopping_criterion is None or classifier is None:
            return
        stop_set = self.dataset[self._indices_stopping]
        try:
            verdict = self.stopping_criterion.stop(
                active_learner=self,
                predictions=classifier.predict(stop_set),
                proba=classifier.predict_proba(stop_set),
            )
        except BaseException:
            self._state, self._classifier, self._queried = previous
            if backup is not None and previous[1] is not None:
                previous[1].__dict__.clear()
                previous[1].__dict__.update(backup.__dict__)
            raise
        self._stop_verdicts.append(bool(verdict))

    def _commit(self, state: PoolState, classifier: Classifier | None, queried: np.ndarray | None) -> None:
        """Replace the learner's state in one step, after everything that could fail has succeeded."""
        self._state = state
        self._classifier = classifier
        self._queried = queried

    def __repr__(self) -> str:
        if self._state is None:
            return f"PoolBasedActiveLearner({self.query_strategy!r}, n_samples={len(self.dataset)}, not initialized)"
        return (
            f"PoolBasedActiveLearner({self.query_strategy!r}, n_samples={len(self.dataset)}, "
            f"labeled={int(self._state.labeled.sum())}, ignored={int(self._state.ignored.sum())})"
        )


def _as_folder(folder: Any) -> Path:
    """Return ``folder`` as a ``Path`` after checking that it is a path (not None, a number, bytes or a NUL)."""
    if not isinstance(folder, (str, os.PathLike)) or isinstance(os.fspath(folder), bytes):
        raise InvalidArgumentError(f"folder must be a str or a path, got {folder!r} ({type(folder).__name__})")
    if "\x00" in os.fspath(folder):
        raise InvalidArgumentError(f"folder must not contain a NUL character, got {os.fspath(folder)!r}")
    return Path(folder)


def _draw_stop_set(stop_set: Any, n_samples: int, seed: Seed) -> np.ndarray:
    """Return the stop set's indices: ``stop_set`` itself, or that many pool documents drawn at random."""
    if isinstance(stop_set, (int, np.integer)) and not isinstance(stop_set, bool):
        size = check_positive_int(stop_set, name="stop_set")
        rng = make_rng(seed, name="stop_set_seed")
        return np.sort(rng.choice(n_samples, size=min(size, n_samples), replace=False)).astype(np.int64)
    indices = check_indices(stop_set, n_samples, name="stop_set")
    if indices.size == 0:
        raise InvalidArgumentError("stop_set must hold at least one document, got an empty set")
    return indices
