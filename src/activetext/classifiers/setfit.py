"""SetFit (Tunstall et al., 2022): contrastive fine-tuning of a sentence encoder, then a scikit-learn head.

Training has two steps. First the sentence-transformers body is fine-tuned on pairs of labeled documents: pairs
with the same label (multi-label: at least one label in common) are pulled together, pairs with different labels
pushed apart (cosine-similarity loss). Then a scikit-learn classifier (by default logistic regression) is fitted on
the fine-tuned body's sentence embeddings.

The pair generation and the body's training are those of the ``setfit`` package (its ``Trainer.train_embeddings``
with its ``TrainingArguments``); the head is an activetext :class:`~activetext.classifiers.SklearnClassifier`, so
sample weights, ``class_weight``, one-vs-rest multi-label heads and single-class training sets behave exactly as
for the other activetext classifiers. ``setfit``, ``sentence-transformers`` and ``torch`` are imported lazily, on
the first ``fit`` or ``load``.

The classifier is saved without pickling it: the body with the sentence-transformers saver (safetensors), the head
with joblib (a scikit-learn estimator) and the configuration as JSON.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import json
import os
import random
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone

import activetext
from activetext.classifiers import neural
from activetext.classifiers.base import Classifier, check_training_data
from activetext.classifiers.factories import PretrainedModelClassifierFactory
from activetext.classifiers.sklearn import SklearnClassifier
from activetext.data.datasets import Dataset, SklearnDataset, TextDataset
from activetext.exceptions import (
    CorruptSavedStateError,
    InvalidArgumentError,
    LabelShapeError,
    MissingDependencyError,
    SavedStateNotFoundError,
)
from activetext.utils.chunking import DEFAULT_CHUNK_SIZE
from activetext.utils.hub import hub_offline, model_not_available
from activetext.utils.validation import check_optional_positive_int, check_positive_float, check_positive_int

__all__ = ["MultiLabelStrategy", "SetFitClassifier", "SetFitClassifierFactory", "SetFitConfig"]

FORMAT_VERSION = 1
_MANIFEST_FILE = "setfit_classifier.json"
_BODY_FOLDER = "body"
_HEAD_FOLDER = "head"
_FORMAT_NAME = "activetext.SetFitClassifier"


class MultiLabelStrategy(enum.Enum):
    """How :class:`SetFitClassifier` handles multi-label data."""

    ONE_VS_REST = "one-vs-rest"
    """The body is trained on pairs that share a label (positive) or share none (negative); the head is one
    binary clone of the head template per label, giving independent per-label probabilities."""


def default_head() -> BaseEstimator:
    """Logistic regression, the head of the SetFit paper: calibrated probabilities, fast on a few hundred vectors."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000)


@dataclasses.dataclass(frozen=True)
class SetFitConfig:
    """The validated, immutable configuration of a :class:`SetFitClassifier` (see its parameters).

    ``head`` is a scikit-learn estimator template: it is never fitted itself (each ``fit`` fits a clone) and it is
    saved with the fitted head (joblib), not in the JSON manifest.
    """

    model: str
    num_classes: int | None = None
    num_iterations: int = 20
    num_epochs: int = 1
    batch_size: int = 16
    body_learning_rate: float = 2e-5
    max_length: int = 128
    head: Any = None
    multi_label_strategy: MultiLabelStrategy = MultiLabelStrategy.ONE_VS_REST
    class_weight: str | None = None
    warm_start: bool = False
    device: str | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.model, (str, os.PathLike)) or not str(self.model):
            raise InvalidArgumentError(f"model must be a model folder or name, got {self.model!r}")
        object.__setattr__(self, "model", str(self.model))
        check_optional_positive_int(self.num_classes, name="num_classes", minimum=2)
        check_positive_int(self.num_iterations, name="num_iterations")
        check_positive_int(self.num_epochs, name="num_epochs")
        check_positive_int(self.batch_size, name="batch_size")
        check_positive_float(self.body_learning_rate, name="body_learning_rate")
        check_positive_int(self.max_length, name="max_length", minimum=2)
        if self.head is None:
            object.__setattr__(self, "head", default_head())
        elif not (hasattr(self.head, "fit") and hasattr(self.head, "get_params")):
            raise InvalidArgumentError(f"head must be a scikit-learn estimator, got {self.head!r}")
        if not isinstance(self.multi_label_strategy, MultiLabelStrategy):
            raise InvalidArgumentError(
                f"multi_label_strategy must be a MultiLabelStrategy (for example MultiLabelStrategy.ONE_VS_REST), "
                f"got {self.multi_label_strategy!r}"
            )
        if self.class_weight not in (None, "balanced"):
            raise InvalidArgumentError(f"class_weight must be None or 'balanced', got {self.class_weight!r}")
        if not isinstance(self.warm_start, bool):
            raise InvalidArgumentError(f"warm_start must be a bool, got {self.warm_start!r}")
        if self.device is not None and (not isinstance(self.device, str) or not self.device):
            raise InvalidArgumentError(f"device must be None or a torch device name such as 'cpu', got {self.device!r}")
        if self.seed is not None:
            check_positive_int(self.seed, name="seed", minimum=0)

    def to_json(self) -> dict[str, Any]:
        """The configuration as JSON values, without ``head`` (saved with the fitted head)."""
        values = {field.name: getattr(self, field.name) for field in dataclasses.fields(self) if field.name != "head"}
        values["multi_label_strategy"] = self.multi_label_strategy.value
        return values

    @classmethod
    def from_json(cls, values: dict[str, Any], head: BaseEstimator) -> SetFitConfig:
        """Rebuild a configuration written by :meth:`to_json`."""
        values = dict(values)
        values["multi_label_strategy"] = MultiLabelStrategy(values["multi_label_strategy"])
        return cls(**values, head=head)


def _import_setfit() -> tuple[Any, Any]:
    try:
        import setfit
        import torch
    except ImportError as error:
        raise MissingDependencyError(
            "SetFitClassifier needs setfit, sentence-transformers and torch: pip install 'activetext[setfit]'"
        ) from error
    return setfit, torch


class SetFitClassifier(Classifier):
    """SetFit: a sentence encoder fine-tuned contrastively on pairs of labeled documents, with a scikit-learn head.

    Offers the :class:`~activetext.classifiers.capabilities.SupportsEmbeddings` capability: ``embed`` returns the
    fine-tuned body's sentence embeddings, the vectors the head classifies, so that representation strategies
    (CAL, DAL, coresets, ...) work in the classifier's own space.

    Parameters
    ----------
    model : str, optional
        A sentence-transformers model: a local folder or a name in the Hugging Face cache (default:
        :func:`activetext.encoders.default_model_path`, all-MiniLM-L6-v2, offline).
    num_classes : int, optional
        The size of the label set (default: the training data's).
    num_iterations : int, default=20
        Pairs per training document and kind: the body is trained on ``2 * num_iterations * n`` pairs (half
        positive, half negative) for ``n`` training documents.
    num_epochs : int, default=1
        Epochs over the pairs when fine-tuning the body.
    batch_size : int, default=16
        Pairs per training step, and documents per batch when embedding.
    body_learning_rate : float, default=2e-5
        AdamW learning rate of the body's fine-tuning.
    max_length : int, default=128
        Tokens kept per document (the body's ``max_seq_length``).
    head : sklearn estimator, optional
        The classifier template fitted on the embeddings (default: ``LogisticRegression(max_iter=1000)``); cloned
        at each ``fit``, its ``random_state`` set from ``seed`` when it has one and it is None.
    multi_label_strategy : MultiLabelStrategy, default=MultiLabelStrategy.ONE_VS_REST
        How multi-label data is handled (one-vs-rest is the only strategy).
    class_weight : {None, "balanced"}
        "balanced" weighs each class (each label's presence and absence, for multi-label) of the head's training
        inversely to its frequency. The contrastive step is not weighted.
    warm_start : bool, default=False
        Continue a new ``fit`` from the body of the previous one instead of the pretrained model. The head is
        always fitted anew.
    device : str, optional
        A torch device for embedding and prediction (default: CUDA when available, else the CPU). Fine-tuning runs
        on the device the transformers ``Trainer`` picks (CUDA when available), except that ``"cpu"`` keeps it on
        the CPU.
    seed : int, optional
        Seeds the order of the documents (and so which pairs are drawn), the order of the pairs, dropout and the
        head: the same seed on the same data gives the same probabilities (on the same hardware).

    Notes
    -----
    Sample weights cannot enter the contrastive step (a pair has no single document weight): they are applied to
    the head as ``sample_weight``, and documents of weight zero are also left out of the pairs. When the training
    data allow no negative pair (a single class) the body is not fine-tuned and a warning says so.

    ``validation`` is accepted for the classifier contract and not used.
    """

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        num_classes: int | None = None,
        *,
        num_iterations: int = 20,
        num_epochs: int = 1,
        batch_size: int = 16,
        body_learning_rate: float = 2e-5,
        max_length: int = 128,
        head: BaseEstimator | None = None,
        multi_label_strategy: MultiLabelStrategy = MultiLabelStrategy.ONE_VS_REST,
        class_weight: str | None = None,
        warm_start: bool = False,
        device: str | None = None,
        seed: int | None = None,
    ):
        if model is None:
            from activetext.encoders.sentence_transformer import default_model_path

            model = default_model_path()
        self.config = SetFitConfig(
            model=model,
            num_classes=num_classes,
            num_iterations=num_iterations,
            num_epochs=num_epochs,
            batch_size=batch_size,
            body_learning_rate=body_learning_rate,
            max_length=max_length,
            head=head,
            multi_label_strategy=multi_label_strategy,
            class_weight=class_weight,
            warm_start=warm_start,
            device=device,
            seed=seed,
        )
        self._body: Any = None
        self._head: SklearnClassifier | None = None

    # --- training --------------------------------------------------------------------------------------------

    def fit(
        self, train: Dataset, validation: Dataset | None = None, weights: np.ndarray | None = None
    ) -> SetFitClassifier:
        """Fine-tune the body on pairs of ``train`` documents, fit the head on its embeddings, and return ``self``.

        Parameters
        ----------
        train : TextDataset
            The labeled training documents (single-label or multi-label).
        validation : TextDataset, optional
            Accepted for the classifier contract; not used.
        weights : numpy.ndarray of shape (len(train),), optional
            A non-negative weight per training document, applied to the head (see the class notes).

        Raises
        ------
        InvalidArgumentError
            If ``train`` is not a labeled :class:`TextDataset` or ``weights`` is malformed.
        LabelShapeError
            If ``train``'s label set does not match ``num_classes``.
        """
        weights = check_training_data(self, train, weights)
        if not isinstance(train, TextDataset):
            raise InvalidArgumentError(f"train must be a TextDataset (SetFitClassifier reads texts), got {train!r}")
        num_classes = self.config.num_classes or train.num_classes
        if num_classes != train.num_classes:
            raise LabelShapeError(f"train must have num_classes={num_classes} classes, got {train.num_classes}")
        multi_label = train.is_multi_label
        setfit, torch = _import_setfit()
        rng = np.random.default_rng(self.config.seed)
        training_seed = int(rng.integers(2**31 - 1))

        body = self._initial_body()
        keep = np.arange(len(train)) if weights is None else np.flatnonzero(weights > 0)
        order = keep[rng.permutation(keep.size)]  # the documents' order decides which pairs setfit draws
        texts = [str(text) for text in train.x[order]]
        labels = _pair_labels(train, order)
        if _has_negative_pairs(labels, multi_label):
            self._train_body(setfit, torch, body, texts, labels, multi_label, training_seed)
        else:
            warnings.warn(
                "the training documents allow no pair with different labels (a single class): the body is not "
                "fine-tuned until another class is labeled",
                UserWarning,
                stacklevel=2,
            )
        body.to(self._device(torch))
        body.eval()

        template = clone(self.config.head)
        if "random_state" in template.get_params() and template.get_params()["random_state"] is None:
            template.set_params(random_state=int(rng.integers(2**31 - 1)))
        head = SklearnClassifier(template, num_classes, class_weight=self.config.class_weight)
        vectors = _embed_with(body, list(train.x), self.config.batch_size, torch)
        head.fit(
            SklearnDataset(vectors.astype(np.float64), train.y, target_labels=train.target_labels), weights=weights
        )
        # commit only now: a failure above leaves the classifier as it was
        self._body, self._head = body, head
        self.num_classes_ = num_classes
        self.multi_label_ = multi_label
        return self

    def _initial_body(self) -> Any:
        if self.config.warm_start and self._body is not None:
            return copy.deepcopy(self._body)  # train a copy: a failed fit keeps the previous body
        return _load_body(self.config.model, self.config.max_length, "cpu")

    def _train_body(
        self,
        setfit: Any,
        torch: Any,
        body: Any,
        texts: list[str],
        labels: list[Any],
        multi_label: bool,
        seed: int,
    ) -> None:
        """Fine-tune ``body`` in place with setfit's pair generation and trainer."""
        from transformers.trainer_callback import PrinterCallback, ProgressCallback

        config = self.config
        # The number of steps setfit would take anyway, given explicitly: setfit then stops collecting pairs once it
        # has as many as training uses, instead of keeping every pair of documents in memory.
        pairs_per_epoch = 2 * config.num_iterations * len(texts)
        max_steps = config.num_epochs * -(-pairs_per_epoch // config.batch_size)
        model = setfit.SetFitModel(
            model_body=body,
            model_head=None,
            multi_target_strategy=config.multi_label_strategy.value if multi_label else None,
        )
        with (
            tempfile.TemporaryDirectory(prefix="activetext-setfit-") as scratch,
            _preserved_global_random_state(torch),
            _quiet_training(setfit),
            _cpu_only(config.device == "cpu"),
        ):
            args = setfit.TrainingArguments(
                output_dir=scratch,
                batch_size=(config.batch_size, config.batch_size),
                num_epochs=(config.num_epochs, 1),
                body_learning_rate=(config.body_learning_rate, config.body_learning_rate),
                num_iterations=config.num_iterations,
                max_steps=max_steps,
                max_length=config.max_length,
                seed=seed,
                report_to="none",
                save_strategy="no",
                eval_strategy="no",
                logging_strategy="no",
                show_progress_bar=False,
            )
            trainer = setfit.Trainer(model=model, args=args)
            for callback in (ProgressCallback, PrinterCallback):
                trainer.remove_callback(callback)
            trainer.train_embeddings(texts, labels, args=args)

    # --- inference -------------------------------------------------------------------------------------------

    def embed(self, data: Dataset | Any) -> np.ndarray:
        """Return the fine-tuned body's ``(n, dim)`` float32 sentence embeddings of ``data``.

        Parameters
        ----------
        data : TextDataset or sequence of str
            The documents.
        """
        self._check_fitted()
        _, torch = _import_setfit()
        return _embed_with(self._body, neural.texts_of(data, "SetFitClassifier"), self.config.batch_size, torch)

    def predict_proba(self, data: Dataset | Any) -> np.ndarray:
        """Return a dense ``(n, C)`` float64 array: class probabilities, or per-label probabilities (multi-label).

        Documents are embedded and classified ``DEFAULT_CHUNK_SIZE`` at a time.
        """
        self._check_fitted()
        _, torch = _import_setfit()
        texts = neural.texts_of(data, "SetFitClassifier")
        proba = np.empty((len(texts), self.num_classes_), dtype=np.float64)
        target_labels = np.arange(self.num_classes_)
        for start in range(0, len(texts), DEFAULT_CHUNK_SIZE):
            chunk = texts[start : start + DEFAULT_CHUNK_SIZE]
            vectors = _embed_with(self._body, chunk, self.config.batch_size, torch).astype(np.float64)
            proba[start : start + len(chunk)] = self._head.predict_proba(
                SklearnDataset(vectors, target_labels=target_labels)
            )
        return proba

    def _device(self, torch: Any) -> Any:
        if self.config.device is not None:
            return torch.device(self.config.device)
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")

    # --- persistence -----------------------------------------------------------------------------------------

    def save(self, folder: str | Path) -> None:
        """Write the body (sentence-transformers saver), the head (joblib) and the configuration (JSON).

        The folder gets ``setfit_classifier.json``, ``body/`` (a sentence-transformers model folder that
        ``SentenceTransformer(folder / "body")`` also reads) and ``head/model.joblib``.
        """
        self._check_fitted()
        setfit, _ = _import_setfit()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with _no_progress_bars():
            self._body.save(str(folder / _BODY_FOLDER), create_model_card=False)
        self._head.save(folder / _HEAD_FOLDER)
        manifest = {
            "format_name": _FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "activetext_version": activetext.__version__,
            "setfit_version": setfit.__version__,
            "config": self.config.to_json(),
            "num_classes_": self.num_classes_,
            "multi_label_": self.multi_label_,
        }
        (folder / _MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, folder: str | Path) -> SetFitClassifier:
        """Rebuild a classifier written by :meth:`save`; it predicts exactly as the saved one.

        Raises
        ------
        SavedStateNotFoundError
            If ``folder`` holds no saved SetFitClassifier.
        CorruptSavedStateError
            If the manifest, the body or the head cannot be read.
        IncompatibleFormatError
            If the folder was written in another format version.
        """
        folder = Path(folder)
        path = folder / _MANIFEST_FILE
        manifest = neural.read_manifest(
            folder, _MANIFEST_FILE, [_BODY_FOLDER, _HEAD_FOLDER], "SetFitClassifier", FORMAT_VERSION
        )
        try:
            values = dict(manifest["config"])
            num_classes, multi_label = int(manifest["num_classes_"]), bool(manifest["multi_label_"])
        except (ValueError, KeyError, TypeError) as error:
            raise CorruptSavedStateError(f"{str(path)!r} cannot be read: {error}") from error
        head = SklearnClassifier.load(folder / _HEAD_FOLDER)
        try:
            config = SetFitConfig.from_json(values, head=head.estimator)
        except (ValueError, KeyError, TypeError) as error:
            raise CorruptSavedStateError(f"{str(path)!r} holds an invalid configuration: {error}") from error
        if head.num_classes_ != num_classes or head.multi_label_ != multi_label:
            raise CorruptSavedStateError(
                f"{str(folder / _HEAD_FOLDER)!r} holds a head for {head.num_classes_} classes "
                f"(multi_label={head.multi_label_}), but the manifest says {num_classes} (multi_label={multi_label})"
            )
        classifier = cls.__new__(cls)
        classifier.config = config
        _, torch = _import_setfit()
        try:
            body = _load_body(str(folder / _BODY_FOLDER), config.max_length, "cpu")
        except Exception as error:  # a damaged model folder raises many types
            raise CorruptSavedStateError(f"{str(folder / _BODY_FOLDER)!r} cannot be read: {error}") from error
        body.to(classifier._device(torch))
        body.eval()
        classifier._body, classifier._head = body, head
        classifier.num_classes_ = num_classes
        classifier.multi_label_ = multi_label
        return classifier

    def __repr__(self) -> str:
        return (
            f"SetFitClassifier(model={self.config.model!r}, num_classes={self.config.num_classes}, "
            f"num_iterations={self.config.num_iterations}, head={self.config.head!r})"
        )


class SetFitClassifierFactory(PretrainedModelClassifierFactory):
    """Creates :class:`SetFitClassifier` objects of one configuration.

    The factory holds only the configuration (and the head template), so an active learner saves it in a few
    kilobytes.

    Parameters
    ----------
    model : str, optional
        As for :class:`SetFitClassifier` (default: the offline all-MiniLM-L6-v2).
    num_classes : int, optional
        The size of the label set (default: taken from the training data).
    kwargs : dict, optional
        Further keyword arguments of :class:`SetFitClassifier` (``num_iterations``, ``head``, ``seed``, ...).

    Examples
    --------
    >>> factory = SetFitClassifierFactory(num_classes=2, kwargs={"num_iterations": 5, "seed": 0})
    >>> factory.new().config.num_iterations
    5
    """

    classifier_class = SetFitClassifier

    def _classifier_kwargs(self) -> dict[str, Any]:
        kwargs = dict(self.kwargs)
        if hasattr(kwargs.get("head"), "get_params"):
            kwargs["head"] = clone(kwargs["head"])  # each classifier its own template (an invalid one is refused later)
        return kwargs


# --- helpers ------------------------------------------------------------------------------------------------


def _load_body(model: str, max_length: int, device: str) -> Any:
    """Load a sentence-transformers model from a local folder, or the cache (offline) / hub (online)."""
    from sentence_transformers import SentenceTransformer

    local = Path(model).is_dir()
    try:
        with _no_progress_bars(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            body = SentenceTransformer(model, device=device, local_files_only=not local and hub_offline())
    except (OSError, ValueError) as error:
        if local:
            raise SavedStateNotFoundError(f"model folder {model!r} holds no usable model: {error}") from error
        if isinstance(error, OSError):
            raise model_not_available(model) from error
        raise
    body.max_seq_length = max_length
    return body


def _embed_with(body: Any, texts: list[str], batch_size: int, torch: Any) -> np.ndarray:
    if not texts:
        return np.empty((0, body.get_sentence_embedding_dimension()), dtype=np.float32)
    with torch.no_grad():
        vectors = body.encode(
            texts,
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=False,
            show_progress_bar=False,
        )
    return np.asarray(vectors, dtype=np.float32)


def _pair_labels(train: Dataset, order: np.ndarray) -> list[Any]:
    """The labels setfit's pair generation reads: ints, or 0/1 lists for multi-label."""
    if train.is_multi_label:
        return train.y[order].toarray().astype(np.int64).tolist()
    return np.asarray(train.y)[order].astype(np.int64).tolist()


def _has_negative_pairs(labels: list[Any], multi_label: bool) -> bool:
    """Whether two documents (or a document with itself) share no label: setfit needs both kinds of pairs."""
    if not labels:
        return False
    if not multi_label:
        return len(set(labels)) > 1
    indicator = np.asarray(labels, dtype=np.float64)
    if not indicator.any():
        return False  # no positive pair either
    for start in range(0, len(indicator), 1024):  # bounded memory: 1024 rows against all at a time
        if np.any(indicator[start : start + 1024] @ indicator.T == 0):
            return True
    return False


@contextmanager
def _preserved_global_random_state(torch: Any) -> Iterator[None]:
    """setfit and transformers seed Python's, numpy's and torch's global generators; put them back afterwards."""
    python_state = random.getstate()
    numpy_state = np.random.get_state()  # noqa: NPY002 (restoring what setfit changes, not drawing)
    torch_state = torch.random.get_rng_state()
    cuda_states = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)  # noqa: NPY002
        torch.random.set_rng_state(torch_state)
        if cuda_states is not None:
            torch.cuda.set_rng_state_all(cuda_states)


@contextmanager
def _quiet_training(setfit: Any) -> Iterator[None]:
    """Silence setfit's and transformers' info logs while training."""
    import transformers

    setfit_verbosity = setfit.logging.get_verbosity()
    transformers_verbosity = transformers.logging.get_verbosity()
    setfit.logging.set_verbosity_warning()
    transformers.logging.set_verbosity_error()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*pin_memory.*")
            yield
    finally:
        setfit.logging.set_verbosity(setfit_verbosity)
        transformers.logging.set_verbosity(transformers_verbosity)


@contextmanager
def _no_progress_bars() -> Iterator[None]:
    """Hide transformers' progress bars (loading and writing weights) while active."""
    from transformers.utils import logging

    enabled = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            logging.enable_progress_bar()


@contextmanager
def _cpu_only(active: bool) -> Iterator[None]:
    """Keep the transformers ``Trainer`` on the CPU (accelerate reads ``ACCELERATE_USE_CPU``) while active."""
    if not active:
        yield
        return
    previous = os.environ.get("ACCELERATE_USE_CPU")
    os.environ["ACCELERATE_USE_CPU"] = "true"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("ACCELERATE_USE_CPU", None)
        else:
            os.environ["ACCELERATE_USE_CPU"] = previous
