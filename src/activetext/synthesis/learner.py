"""An active learner that asks about texts it writes itself (membership query synthesis)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from activetext.classifiers.base import Classifier
from activetext.classifiers.factories import ClassifierFactory
from activetext.data.datasets import TextDataset
from activetext.data.labels import check_single_labels, is_multi_label
from activetext.encoders.base import check_texts
from activetext.exceptions import (
    InvalidArgumentError,
    LabelCountMismatchError,
    LabelShapeError,
    NoPendingQueryError,
    NotInitializedError,
)
from activetext.synthesis.synthesizer import QuerySynthesizer
from activetext.synthesis.text import text_key
from activetext.utils.validation import check_positive_int

__all__ = ["SynthesisActiveLearner"]


class SynthesisActiveLearner:
    """Active learning by membership query synthesis: the learner writes the texts it wants labeled.

    The training data is a growing list of texts with their labels. :meth:`query` asks the synthesizer for new
    texts the current classifier is least sure about; :meth:`update` adds them, with the labels a person (or an
    oracle) gave, as new documents and retrains. :meth:`add_texts` adds texts a person wrote.

    Every call checks its input before it changes anything; a call that raises leaves the learner exactly as it
    was (texts, labels, classifier, pending query and the synthesizer's random state).

    Parameters
    ----------
    clf_factory : ClassifierFactory
        Creates the classifier, trained on a :class:`~activetext.data.TextDataset` of raw texts: for example an
        :class:`~activetext.classifiers.encoder.EncoderClassifierFactory`, or a
        :class:`~activetext.classifiers.factories.SklearnClassifierFactory` around a TF-IDF pipeline.
    synthesizer : QuerySynthesizer
        Writes and selects the queries.
    num_classes : int
        The size of the label set (class indices ``0 .. num_classes - 1``). Single-label only.
    label_names : sequence of str, optional
        A name per class.
    pool_texts : sequence of str, optional
        Existing unlabeled texts; queries never return one of them (they are not new documents).

    Examples
    --------
    >>> from sklearn.feature_extraction.text import TfidfVectorizer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from activetext.classifiers.factories import SklearnClassifierFactory
    >>> from activetext.synthesis import BoundaryRecombination, QuerySynthesizer
    >>> factory = SklearnClassifierFactory(make_pipeline(TfidfVectorizer(), LogisticRegression()), num_classes=2)
    >>> learner = SynthesisActiveLearner(factory, QuerySynthesizer(BoundaryRecombination(), seed=0), num_classes=2)
    >>> learner.initialize_data(["a great film", "a dull plot", "great fun", "dull and slow"], [1, 0, 1, 0])
    >>> queried = learner.query(2)
    >>> len(queried), all(text not in learner.texts for text in queried)
    (2, True)
    >>> learner.update([1, 0])
    >>> len(learner.texts)
    6
    """

    def __init__(
        self,
        clf_factory: ClassifierFactory,
        synthesizer: QuerySynthesizer,
        num_classes: int,
        *,
        label_names: Sequence[str] | None = None,
        pool_texts: Sequence[str] = (),
    ):
        if not isinstance(clf_factory, ClassifierFactory):
            raise InvalidArgumentError(f"clf_factory must be a ClassifierFactory, got {type(clf_factory).__name__}")
        if not isinstance(synthesizer, QuerySynthesizer):
            raise InvalidArgumentError(f"synthesizer must be a QuerySynthesizer, got {type(synthesizer).__name__}")
        self.clf_factory = clf_factory
        self.synthesizer = synthesizer
        self.num_classes = check_positive_int(num_classes, name="num_classes")
        # validates label_names against the label set
        TextDataset([], target_labels=np.arange(self.num_classes), label_names=label_names)
        self.label_names = None if label_names is None else tuple(label_names)
        self.pool_texts = tuple(check_texts(pool_texts, name="pool_texts"))
        self._texts: list[str] | None = None
        self._y = np.empty(0, dtype=np.int64)
        self._classifier: Classifier | None = None
        self._queried: tuple[str, ...] | None = None
        self._scores: np.ndarray | None = None

    # --- starting --------------------------------------------------------------------------------------------

    def initialize_data(self, texts: Sequence[str], labels: Any) -> None:
        """Start (or restart) from labeled texts and train the classifier.

        Parameters
        ----------
        texts : sequence of str
            The first labeled documents.
        labels : array-like of int
            Their class indices, in the same order.

        Raises
        ------
        InvalidArgumentError
            If ``texts`` is empty or holds a non-string.
        LabelCountMismatchError, InvalidLabelError, LabelShapeError
            If ``labels`` has the wrong length, a value outside the label set, or is multi-label.
        """
        texts = check_texts(texts, name="texts")
        if not texts:
            raise InvalidArgumentError("texts must hold at least one labeled document, got an empty sequence")
        labels = self._check_labels(labels, len(texts), name="labels")
        classifier = self._train(texts, labels)
        self._commit(texts, labels, classifier, queried=None, scores=None)

    # --- the loop --------------------------------------------------------------------------------------------

    def query(self, num_samples: int = 10) -> list[str]:
        """Synthesize up to ``num_samples`` new texts and remember them as the pending query.

        A new query replaces a pending one that was never answered.

        Parameters
        ----------
        num_samples : int
            How many texts to ask about; fewer are returned when the generator offers fewer new texts.

        Returns
        -------
        list of str
            The texts, the least certain first; their scores are in :attr:`scores_queried`.

        Raises
        ------
        NotInitializedError
            Before :meth:`initialize_data`.
        SynthesisError
            If the generator returns nothing usable (see :meth:`QuerySynthesizer.synthesize`).
        """
        texts, labels = self._require_data("query")
        num_samples = check_positive_int(num_samples, name="num_samples")
        result = self.synthesizer.synthesize(self._classifier, texts, labels, num_samples, exclude=self.pool_texts)
        self._queried = result.texts
        self._scores = result.scores.copy()
        return list(result.texts)

    def update(self, labels: Any) -> None:
        """Label the texts of the pending query; they join the training data and the classifier is retrained.

        Parameters
        ----------
        labels : array-like of int
            One class index per queried text, in the order :meth:`query` returned them.

        Raises
        ------
        NotInitializedError
            Before :meth:`initialize_data`.
        NoPendingQueryError
            If no query is waiting for labels.
        LabelCountMismatchError
            If ``labels`` does not have one label per queried text.
        InvalidLabelError
            If a label is outside the label set.
        """
        texts, y = self._require_data("update")
        if self._queried is None:
            raise NoPendingQueryError("update got labels but no query is pending: call query(num_samples) first")
        labels = self._check_labels(labels, len(self._queried), name="labels")
        new_texts = [*texts, *self._queried]
        new_y = np.concatenate([y, labels])
        self._commit(new_texts, new_y, self._train(new_texts, new_y), queried=None, scores=None)

    def add_texts(self, texts: Sequence[str], labels: Any) -> None:
        """Add labeled texts a person wrote (or found elsewhere) and retrain; a pending query stays pending.

        Parameters
        ----------
        texts : sequence of str
            New documents, none empty, none already labeled or pending.
        labels : array-like of int
            Their class indices.

        Raises
        ------
        NotInitializedError
            Before :meth:`initialize_data`.
        InvalidArgumentError
            If a text is empty, already labeled, pending in the query, or given twice.
        LabelCountMismatchError, InvalidLabelError
            If ``labels`` has the wrong length or a value outside the label set.
        """
        current, y = self._require_data("add_texts")
        if isinstance(texts, str):
            texts = [texts]
        texts = check_texts(texts, name="texts")
        if not texts:
            raise InvalidArgumentError("texts must hold at least one document, got an empty sequence")
        labels = self._check_labels(labels, len(texts), name="labels")
        taken = {text_key(text): "already labeled" for text in current}
        taken.update((text_key(text), "pending in the query (label it through update)") for text in self._queried or ())
        for position, text in enumerate(texts):
            key = text_key(text)
            if not key:
                raise InvalidArgumentError(f"texts must not be empty, got {text!r} at position {position}")
            if key in taken:
                raise InvalidArgumentError(f"texts[{position}] = {text!r} is {taken[key]}")
            taken[key] = "given twice in texts"
        new_texts = [*current, *texts]
        new_y = np.concatenate([y, labels])
        self._commit(new_texts, new_y, self._train(new_texts, new_y), queried=self._queried, scores=self._scores)

    # --- state -----------------------------------------------------------------------------------------------

    @property
    def is_initialized(self) -> bool:
        """Whether :meth:`initialize_data` has been called."""
        return self._texts is not None

    @property
    def texts(self) -> tuple[str, ...]:
        """The labeled texts, in the order they were added."""
        return tuple(self._texts or ())

    @property
    def y(self) -> np.ndarray:
        """The labels of :attr:`texts` (a copy)."""
        return self._y.copy()

    @property
    def classifier(self) -> Classifier | None:
        """The classifier trained on :attr:`texts` (None before :meth:`initialize_data`)."""
        return self._classifier

    @property
    def texts_queried(self) -> tuple[str, ...] | None:
        """The pending query's texts, or None when no query is pending."""
        return self._queried

    @property
    def scores_queried(self) -> np.ndarray | None:
        """The informativeness scores of the pending query's texts (a copy), or None."""
        return None if self._scores is None else self._scores.copy()

    def dataset(self) -> TextDataset:
        """Return the labeled texts as a :class:`~activetext.data.TextDataset`."""
        texts, y = self._require_data("dataset")
        return TextDataset(texts, y, target_labels=np.arange(self.num_classes), label_names=self.label_names)

    # --- internals -------------------------------------------------------------------------------------------

    def _require_data(self, operation: str) -> tuple[list[str], np.ndarray]:
        if self._texts is None:
            raise NotInitializedError(f"{operation} needs an initialized learner: call initialize_data(texts, labels)")
        return self._texts, self._y

    def _check_labels(self, labels: Any, count: int, *, name: str) -> np.ndarray:
        if is_multi_label(labels):
            raise LabelShapeError(
                f"{name} must be one class index per text: SynthesisActiveLearner supports single-label data only, "
                f"got a multi-label matrix of shape {np.shape(labels)}"
            )
        if isinstance(labels, str):
            raise InvalidArgumentError(f"{name} must be a sequence of class indices, got the string {labels!r}")
        array = np.asarray(labels)
        if array.ndim == 0:
            array = array.reshape(1)
        if array.ndim == 1 and array.shape[0] != count:
            raise LabelCountMismatchError(f"{name} must have {count} labels, one per text, got {array.shape[0]}")
        return check_single_labels(array, self.num_classes, n_samples=count, name=name, allow_unlabeled=False)

    def _train(self, texts: list[str], labels: np.ndarray) -> Classifier:
        train = TextDataset(texts, labels, target_labels=np.arange(self.num_classes), label_names=self.label_names)
        return self.clf_factory.new().fit(train)

    def _commit(
        self,
        texts: list[str],
        labels: np.ndarray,
        classifier: Classifier,
        queried: tuple[str, ...] | None,
        scores: np.ndarray | None,
    ) -> None:
        """Replace the learner's state in one step, after everything that could fail has succeeded."""
        self._texts = texts
        self._y = labels
        self._classifier = classifier
        self._queried = queried
        self._scores = scores

    def __repr__(self) -> str:
        if self._texts is None:
            return f"SynthesisActiveLearner({self.synthesizer!r}, not initialized)"
        return f"SynthesisActiveLearner({self.synthesizer!r}, labeled={len(self._texts)})"
