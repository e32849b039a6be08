"""Helpers shared by the neural classifiers (:class:`~activetext.classifiers.transformer.TransformerClassifier`,
:class:`~activetext.classifiers.kimcnn.KimCNNClassifier`).

Most of them are pure numpy: the probabilities from logits, the hypothetical labels, the closed forms of the
gradient of the loss w.r.t. the last linear layer (BADGE) and of its expected length (EGL), the class weights and the
training targets. The rest take the ``torch`` module as an argument, so that this module imports neither torch nor
transformers: the loss functions, the device and autocast choice, a seeded scope for torch's random generators, and
one training loop with early stopping that both classifiers run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from scipy.special import expit, softmax

import activetext
from activetext.classifiers.base import MULTI_LABEL_THRESHOLD, Classifier, check_training_data, rows_of
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

__all__ = [
    "EarlyStopping",
    "adamw",
    "autocast_for",
    "check_fit_inputs",
    "check_training_options",
    "class_weights",
    "expected_gradient_length",
    "gradient_embeddings",
    "hypothetical_labels",
    "import_torch",
    "length_grouped_batches",
    "length_sorted_batches",
    "load_pretrained",
    "outputs_in_order",
    "loss_function",
    "posterior_seed",
    "probabilities",
    "quiet",
    "read_manifest",
    "seeded",
    "select_device",
    "split_validation",
    "targets",
    "texts_of",
    "train_epochs",
]

T = TypeVar("T")

# --- configuration and inputs ----------------------------------------------------------------------------------


def check_training_options(config: Any) -> None:
    """Validate the training fields that the neural classifiers' configurations share.

    ``config`` is a dataclass with the fields ``num_classes``, ``num_epochs``, ``batch_size``, ``learning_rate``,
    ``max_length``, ``validation_fraction``, ``early_stopping_patience``, ``class_weight``, ``warm_start``,
    ``device``, ``mixed_precision`` and ``seed``.

    Raises
    ------
    InvalidArgumentError
        Naming the first field with a bad value, and the value.
    """
    check_optional_positive_int(config.num_classes, name="num_classes", minimum=2)
    check_positive_int(config.num_epochs, name="num_epochs")
    check_positive_int(config.batch_size, name="batch_size")
    check_positive_float(config.learning_rate, name="learning_rate")
    check_positive_int(config.max_length, name="max_length", minimum=2)
    fraction = config.validation_fraction
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0.0 <= fraction < 1.0:
        raise InvalidArgumentError(f"validation_fraction must be a number in [0, 1), got {fraction!r}")
    check_positive_int(config.early_stopping_patience, name="early_stopping_patience")
    if config.class_weight not in (None, "balanced"):
        raise InvalidArgumentError(f"class_weight must be None or 'balanced', got {config.class_weight!r}")
    for name in ("warm_start", "mixed_precision"):
        if not isinstance(getattr(config, name), bool):
            raise InvalidArgumentError(f"{name} must be a bool, got {getattr(config, name)!r}")
    if config.device is not None and (not isinstance(config.device, str) or not config.device):
        raise InvalidArgumentError(f"device must be None or a torch device name such as 'cpu', got {config.device!r}")
    if config.seed is not None:
        check_positive_int(config.seed, name="seed", minimum=0)


def import_torch(owner: str) -> tuple[Any, Any]:
    """Import and return ``(torch, transformers)``, or raise :class:`MissingDependencyError` naming the extra."""
    try:
        import torch
        import transformers
    except ImportError as error:
        raise MissingDependencyError(
            f"{owner} needs torch and transformers: pip install 'activetext[transformers]'"
        ) from error
    return torch, transformers


def check_fit_inputs(
    classifier: Classifier,
    train: Any,
    validation: Any,
    weights: np.ndarray | None,
    num_classes: int | None,
) -> tuple[np.ndarray | None, bool, int]:
    """Check what a text classifier's ``fit`` receives; return ``(weights, multi_label, num_classes)``.

    Raises
    ------
    InvalidArgumentError
        If ``train`` or ``validation`` is not a labeled :class:`TextDataset`, or ``weights`` is malformed.
    LabelShapeError
        If the label sets of ``train``, ``validation`` and the configured ``num_classes`` disagree.
    """
    owner = type(classifier).__name__
    weights = check_training_data(classifier, train, weights)
    _check_texts(train, "train", owner)
    multi_label = train.is_multi_label
    num_classes = num_classes or train.num_classes
    if num_classes != train.num_classes:
        raise LabelShapeError(f"train must have num_classes={num_classes} classes, got {train.num_classes}")
    if validation is not None:
        _check_texts(validation, "validation", owner)
        if validation.is_multi_label != multi_label or validation.num_classes != num_classes:
            raise LabelShapeError(
                f"validation must have the training data's label set ({num_classes} classes, "
                f"{'multi' if multi_label else 'single'}-label), got {validation!r}"
            )
    return weights, multi_label, num_classes


def _check_texts(data: Any, name: str, owner: str) -> None:
    if not isinstance(data, TextDataset):
        raise InvalidArgumentError(f"{name} must be a TextDataset ({owner} reads texts), got {data!r}")


def texts_of(data: Any, owner: str) -> list[str]:
    """Return the texts of a :class:`TextDataset` or a sequence of strings as a list.

    Raises
    ------
    InvalidArgumentError
        For another kind of dataset, a single string, or a sequence holding anything but strings.
    """
    if isinstance(data, Dataset) and not isinstance(data, TextDataset):
        raise InvalidArgumentError(f"{owner} reads texts; got a {type(data).__name__} (use a TextDataset)")
    rows = rows_of(data)
    if isinstance(rows, str):
        raise InvalidArgumentError("data must be a TextDataset or a sequence of strings, got a single string")
    try:
        texts = list(rows)
    except TypeError as error:
        raise InvalidArgumentError(
            f"data must be a TextDataset or a sequence of strings, got {type(rows).__name__}"
        ) from error
    bad = [i for i, text in enumerate(texts) if not isinstance(text, str)]
    if bad:
        raise InvalidArgumentError(f"data must hold only strings, got {texts[bad[0]]!r} at positions {bad[:8]}")
    return texts


def split_validation(
    train: Dataset,
    validation: Dataset | None,
    weights: np.ndarray | None,
    fraction: float,
    rng: np.random.Generator,
) -> tuple[Dataset, Dataset | None, np.ndarray | None]:
    """Hold out a random ``fraction`` of ``train`` for early stopping when no validation set is given.

    Nothing is held out when ``validation`` is given, ``fraction`` is 0 or ``train`` has fewer than 20 documents.
    Returns ``(train, validation, weights)`` with ``weights`` restricted to the rows kept for training.
    """
    if validation is not None or fraction <= 0 or len(train) < 20:
        return train, validation, weights
    order = rng.permutation(len(train))
    n_val = max(1, round(fraction * len(train)))
    validation, train = train[order[:n_val]], train[order[n_val:]]
    return train, validation, None if weights is None else weights[order[n_val:]]


# --- targets, weights and losses -----------------------------------------------------------------------------


def targets(data: Dataset, multi_label: bool) -> np.ndarray:
    """The training targets: class indices (int64), or a dense float32 indicator matrix for multi-label."""
    if multi_label:
        return np.asarray(data.y.toarray(), dtype=np.float32)
    return np.asarray(data.y, dtype=np.int64)


def class_weights(train: Dataset, multi_label: bool, class_weight: str | None) -> np.ndarray | None:
    """The per-class loss weights for ``class_weight="balanced"`` (None for None).

    Single-label: ``n / (k * count_c)`` over the ``k`` classes present (1 for absent classes). Multi-label: each
    label's ratio of negatives to positives, used as BCE's positive weight (1 for labels without positives).
    """
    if class_weight is None:
        return None
    if multi_label:
        positives = np.asarray(train.y.sum(axis=0)).ravel().astype(np.float64)
        negatives = len(train) - positives
        return np.where(positives > 0, negatives / np.maximum(positives, 1.0), 1.0)
    counts = np.bincount(train.y, minlength=train.num_classes).astype(np.float64)
    present = counts > 0
    return np.where(present, len(train) / (present.sum() * np.maximum(counts, 1.0)), 1.0)


def loss_function(torch: Any, multi_label: bool, class_weights: np.ndarray | None, device: Any) -> Any:
    """A per-document loss ``(logits, target) -> (batch,)``: cross-entropy, or BCE averaged over the labels."""
    weight = None if class_weights is None else torch.as_tensor(class_weights, dtype=torch.float32, device=device)
    if multi_label:
        bce = torch.nn.BCEWithLogitsLoss(pos_weight=weight, reduction="none")
        return lambda logits, target: bce(logits, target).mean(dim=1)
    return torch.nn.CrossEntropyLoss(weight=weight, reduction="none")


# --- devices and random state --------------------------------------------------------------------------------


def select_device(torch: Any, name: str | None) -> Any:
    """The configured torch device, or CUDA when available, else the CPU."""
    if name is not None:
        return torch.device(name)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def adamw(torch: Any, parameters: Any, learning_rate: float, device: Any) -> Any:
    """An AdamW optimizer, fused into one kernel per step where torch offers that for ``device``.

    The fused implementation (CUDA, and the CPU from torch 2.4) updates all parameters at once; on a CPU it makes the
    optimizer step of a small transformer about four times faster than the default per-tensor loop, with the same
    update rule.
    """
    version = tuple(int(part) for part in torch.__version__.split("+")[0].split(".")[:2])
    fused = device.type == "cuda" or (device.type == "cpu" and version >= (2, 4))
    return torch.optim.AdamW(parameters, lr=learning_rate, fused=fused or None)


def autocast_for(torch: Any, device: Any, mixed_precision: bool) -> tuple[Callable[[], Any], Any]:
    """Return ``(context factory, gradient scaler or None)`` for (mixed precision) forward passes.

    Mixed precision applies on CUDA only: bfloat16 where supported, else float16 with a gradient scaler.
    """
    if not mixed_precision or device.type != "cuda":
        return nullcontext, None
    if torch.cuda.is_bf16_supported():
        return (lambda: torch.autocast("cuda", dtype=torch.bfloat16)), None
    return (lambda: torch.autocast("cuda", dtype=torch.float16)), torch.amp.GradScaler("cuda")


@contextmanager
def seeded(torch: Any, device: Any, seed: int) -> Iterator[None]:
    """Seed torch's generators (CPU, and the device's when CUDA) inside the block and restore them afterwards."""
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def posterior_seed(seed: int | None, calls: int) -> int:
    """The torch seed of the ``calls``-th posterior sampling of a classifier configured with ``seed``."""
    return int(np.random.default_rng([seed or 0, calls]).integers(2**31 - 1))


# --- training ------------------------------------------------------------------------------------------------


class EarlyStopping:
    """Keeps the weights of the epoch with the lowest validation loss and says when to stop.

    Parameters
    ----------
    patience : int
        Stop after this many epochs in a row without a lower validation loss.
    """

    def __init__(self, patience: int):
        self.patience = patience
        self.best_loss = np.inf
        self.best_state: dict[str, Any] | None = None
        self.stale = 0

    def update(self, loss: float, model: Any) -> bool:
        """Record the validation loss of an epoch (copying the weights on a new best); return True to stop."""
        if loss < self.best_loss:
            self.best_loss, self.stale = loss, 0
            self.best_state = {name: value.detach().to("cpu", copy=True) for name, value in model.state_dict().items()}
            return False
        self.stale += 1
        return self.stale >= self.patience

    def restore(self, model: Any) -> None:
        """Load the best epoch's weights into ``model`` (nothing happens without a recorded epoch)."""
        if self.best_state is not None:
            model.load_state_dict(self.best_state)


def train_epochs(
    torch: Any,
    model: Any,
    optimizer: Any | Sequence[Any],
    *,
    forward: Callable[[Any], Any],
    make_batch: Callable[[np.ndarray], Any],
    targets: np.ndarray,
    sample_weights: np.ndarray | None,
    loss_fn: Any,
    num_epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    device: Any,
    mixed_precision: bool,
    validation_loss: Callable[[], float] | None,
    patience: int,
    after_step: Callable[[], None] | None = None,
    lengths: np.ndarray | None = None,
) -> None:
    """Train ``model`` for up to ``num_epochs`` shuffled epochs, with early stopping on ``validation_loss``.

    Each step minimises the weighted mean of the per-document losses, ``sum(w_i * loss_i) / sum(w_i)`` (batches
    whose weights sum to zero are skipped). After each epoch ``validation_loss()`` is evaluated (when given); the
    weights of the epoch with the lowest value are restored at the end.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer or sequence of them
        Several optimizers (for example a sparse one for an embedding matrix and a dense one for the rest) all step
        on every batch.
    forward : callable
        ``batch -> logits`` for a batch built by ``make_batch`` (the model is in training mode).
    make_batch : callable
        ``row indices -> batch`` on the device.
    after_step : callable, optional
        Called after each optimizer step (for example to apply a weight constraint).
    lengths : numpy.ndarray, optional
        The token length of each training document. When given, each epoch's batches hold documents of similar
        length (see :func:`length_grouped_batches`), so dynamic padding adds few tokens; otherwise batches are drawn
        from a plain shuffle.
    """
    optimizers = list(optimizer) if isinstance(optimizer, (list, tuple)) else [optimizer]
    sample_weights = np.ones(len(targets)) if sample_weights is None else sample_weights
    autocast, scaler = autocast_for(torch, device, mixed_precision)
    stopping = EarlyStopping(patience)
    for _ in range(num_epochs):
        model.train()
        if lengths is None:
            order = rng.permutation(len(targets))
            batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
        else:
            batches = length_grouped_batches(lengths, batch_size, rng)
        for index in batches:
            batch = make_batch(index)
            target = torch.as_tensor(targets[index], device=device)
            weight = torch.as_tensor(sample_weights[index], dtype=torch.float32, device=device)
            with autocast():
                logits = forward(batch)
            per_doc = loss_fn(logits.float(), target)
            total = weight.sum()
            if float(total) == 0.0:
                continue
            loss = (per_doc * weight).sum() / total
            for each in optimizers:
                each.zero_grad(set_to_none=True)
            if scaler is not None:
                scaler.scale(loss).backward()
                for each in optimizers:
                    scaler.step(each)
                scaler.update()
            else:
                loss.backward()
                for each in optimizers:
                    each.step()
            if after_step is not None:
                after_step()
        if validation_loss is not None and stopping.update(validation_loss(), model):
            break
    stopping.restore(model)


def outputs_in_order(
    torch: Any,
    n_documents: int,
    batches: Iterable[tuple[np.ndarray, Any]],
    forward: Callable[[Any], tuple[Any, ...]],
    autocast: Callable[[], Any],
    empty_batch: Callable[[], Any],
) -> tuple[np.ndarray, ...]:
    """Apply ``forward`` to each ``(row indices, batch)`` without gradients; return its outputs in document order.

    Each output of ``forward`` becomes one float32 array of ``n_documents`` rows. With no documents, ``forward``
    runs once on ``empty_batch()`` to learn the widths, and the arrays have zero rows.
    """
    outputs: list[np.ndarray] | None = None
    for index, batch in batches:
        with torch.no_grad(), autocast():
            parts = [part.detach().float().cpu().numpy() for part in forward(batch)]
        if outputs is None:
            outputs = [np.empty((n_documents, *part.shape[1:]), dtype=part.dtype) for part in parts]
        for output, part in zip(outputs, parts, strict=True):
            output[index] = part
    if outputs is None:
        with torch.no_grad():
            parts = [part.float().cpu().numpy() for part in forward(empty_batch())]
        outputs = [np.empty((0, *part.shape[1:]), dtype=part.dtype) for part in parts]
    return tuple(outputs)


def length_grouped_batches(
    lengths: np.ndarray, batch_size: int, rng: np.random.Generator, group_batches: int = 50
) -> list[np.ndarray]:
    """Shuffled training batches of documents with similar lengths.

    The documents are shuffled, cut into groups of ``group_batches * batch_size``, each group is sorted by length
    (a stable sort, so documents of equal length stay in shuffled order) and cut into batches, and the order of all
    batches is shuffled. Every document is in exactly one batch; batches differ from epoch to epoch, and a padded
    batch is about as long as its documents rather than as the longest document of a random batch.

    Parameters
    ----------
    lengths : numpy.ndarray of shape (n_documents,)
        Token length of each document.
    batch_size : int
        Documents per batch (the last batch of a group may hold fewer).
    rng : numpy.random.Generator
        The source of the shuffles.
    group_batches : int, default=50
        Batches per sorted group: larger groups pad less, smaller ones mix lengths more.
    """
    lengths = np.asarray(lengths)
    order = rng.permutation(len(lengths))
    group = group_batches * batch_size
    batches = []
    for start in range(0, len(order), group):
        members = order[start : start + group]
        members = members[np.argsort(lengths[members], kind="stable")]
        batches.extend(members[i : i + batch_size] for i in range(0, len(members), batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def length_sorted_batches(lengths: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    """Yield row indices in batches of ``batch_size``, shortest documents first (stable for equal lengths)."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


# --- probabilities and last-layer gradients (pure numpy) ----------------------------------------------------


def probabilities(logits: np.ndarray, multi_label: bool) -> np.ndarray:
    """float64 probabilities from logits: a softmax over classes, or independent sigmoids (multi-label)."""
    logits = np.asarray(logits, dtype=np.float64)
    return expit(logits) if multi_label else softmax(logits, axis=1)


def hypothetical_labels(p: np.ndarray, multi_label: bool) -> np.ndarray:
    """The labels a model would predict, as a float indicator matrix: the argmax (one-hot), or every label with
    ``p >= MULTI_LABEL_THRESHOLD`` (multi-label)."""
    if multi_label:
        return (p >= MULTI_LABEL_THRESHOLD).astype(np.float64)
    onehot = np.zeros_like(p, dtype=np.float64)
    onehot[np.arange(len(p)), np.argmax(p, axis=1)] = 1.0
    return onehot


def gradient_embeddings(p: np.ndarray, h: np.ndarray, multi_label: bool) -> np.ndarray:
    """BADGE's gradient of the loss at the hypothetical label w.r.t. a last linear layer's weight matrix.

    For a document with probabilities ``p`` (softmax, or per-label sigmoids) and input ``h`` to the layer, the
    gradient of the cross-entropy (or of the summed binary cross-entropies) at the hypothetical labels ``y`` is
    ``(p - y) ⊗ h``. Returns ``(n, C * hidden)`` float32, class-major (row ``c`` of the weight matrix first).
    """
    residual = p - hypothetical_labels(p, multi_label)
    return (residual[:, :, None] * h[:, None, :]).reshape(len(p), p.shape[1] * h.shape[1]).astype(np.float32)


def expected_gradient_length(p: np.ndarray, h: np.ndarray, multi_label: bool) -> np.ndarray:
    """The expected norm of the last layer's weight gradient under the model's own predictive distribution.

    Single-label: ``sum_c p_c * ||p - e_c|| * ||h||`` (the gradient at label ``c`` is ``(p - e_c) ⊗ h``, whose norm
    factorizes). Multi-label: the sum over labels of each label's expected gradient norm under its own Bernoulli,
    ``sum_c 2 p_c (1 - p_c) * ||h||``. Returns ``(n,)`` float64.
    """
    h_norm = np.linalg.norm(np.asarray(h, dtype=np.float64), axis=1)
    if multi_label:
        return 2.0 * np.sum(p * (1.0 - p), axis=1) * h_norm
    # ||p - e_c||^2 = ||p||^2 - 2 p_c + 1
    squared = np.sum(p**2, axis=1, keepdims=True) - 2.0 * p + 1.0
    return np.sum(p * np.sqrt(np.maximum(squared, 0.0)), axis=1) * h_norm


# --- pretrained models --------------------------------------------------------------------------------------


def read_manifest(folder: Path, manifest_file: str, parts: Sequence[str], owner: str, format_version: int) -> dict:
    """Read the JSON manifest of a classifier saved by ``owner.save`` into ``folder``.

    The manifest must name the format ``activetext.<owner>`` and have ``format_version``.

    Raises
    ------
    SavedStateNotFoundError
        If ``folder`` lacks the manifest or one of ``parts`` (files or folders written beside it).
    CorruptSavedStateError
        If the manifest is not a JSON object with a format name and version.
    IncompatibleFormatError
        If it was written by another classifier or in another format version.
    """
    path = folder / manifest_file
    if not all((folder / name).exists() for name in (manifest_file, *parts)):
        raise SavedStateNotFoundError(
            f"folder {str(folder)!r} holds no saved {owner} (expected {', '.join((manifest_file, *parts))})"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        name, version = manifest["format_name"], manifest["format_version"]
    except (ValueError, KeyError, TypeError) as error:
        raise CorruptSavedStateError(f"{str(path)!r} cannot be read: {error}") from error
    if name != f"activetext.{owner}":
        raise IncompatibleFormatError(f"{str(path)!r} holds a {name!r}, not a 'activetext.{owner}'")
    if version != format_version:
        raise IncompatibleFormatError(
            f"{str(path)!r} has format_version {version!r}; this activetext ({activetext.__version__}) reads "
            f"version {format_version}"
        )
    return manifest


def load_pretrained(transformers: Any, model: str, load: Callable[[bool], T]) -> T:
    """Call ``load(local_files_only)`` for a local folder or a hub name, quietly, with clear errors.

    Raises
    ------
    SavedStateNotFoundError
        If a local folder holds no usable model, or a hub name is not available offline.
    """
    local = Path(model).is_dir()
    try:
        with quiet(transformers):
            return load(not local and hub_offline())
    except OSError as error:
        if local:
            raise SavedStateNotFoundError(f"model folder {model!r} holds no usable model: {error}") from error
        raise model_not_available(model) from error


@contextmanager
def quiet(transformers: Any) -> Iterator[None]:
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
