"""Saving and loading pool-based learners, without pickling the learner object.

A saved folder holds:

* ``manifest.json``: format name and version, activetext version, the learner's configuration, the query strategy
  (class, parameters and random generator state), the dataset's fingerprint and a SHA-256 checksum per file;
* ``state.npz``: labels, the labeled / ignored / validation masks and the pending query; with a stopping
  criterion also the stop set and the criterion's verdicts;
* ``classifier/``: the fitted classifier, written by its own native saver (joblib for scikit-learn);
* ``clf_factory.joblib``: the classifier factory (its estimator template), written by joblib;
* ``stopping_criterion.joblib`` (format version 2): the stopping criterion with its history, written by joblib.

Format version 1 (activetext 0.1 before stopping criteria joined the learner) is still read: such a learner has
no stopping criterion.

A save is written to a temporary folder first and moved into place at the end, so an interrupted save never
leaves a half-written folder under the target name.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp

import activetext
from activetext.active_learner.state import PoolState
from activetext.classifiers.base import Classifier
from activetext.classifiers.factories import ClassifierFactory
from activetext.data.datasets import Dataset
from activetext.exceptions import (
    CorruptSavedStateError,
    DatasetMismatchError,
    IncompatibleFormatError,
    InvalidArgumentError,
    PersistenceError,
    SavedStateNotFoundError,
)
from activetext.query_strategies.base import QueryStrategy
from activetext.utils.io import load_joblib

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "load_learner", "save_learner"]

FORMAT_NAME = "activetext.PoolBasedActiveLearner"
FORMAT_VERSION = 2
"""The version of the folder layout; ``load`` reads versions up to this one."""

_MANIFEST = "manifest.json"
_STATE = "state.npz"
_CLASSIFIER = "classifier"
_FACTORY = "clf_factory.joblib"
_STOPPING = "stopping_criterion.joblib"


def save_learner(learner: Any, folder: Path) -> None:
    """Write ``learner`` to ``folder``, replacing a previous save there only once the new one is complete."""
    state = learner._require_state("save")
    folder = folder.resolve()
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        _write_state(staging / _STATE, state, learner._queried, learner)
        joblib.dump(learner.clf_factory, staging / _FACTORY)
        if learner.stopping_criterion is not None:
            joblib.dump(learner.stopping_criterion, staging / _STOPPING)
        classifier_entry = None
        if learner.classifier is not None:
            learner.classifier.save(staging / _CLASSIFIER)
            classifier_entry = {"class": _qualified_name(type(learner.classifier)), "folder": _CLASSIFIER}
        manifest = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "activetext_version": activetext.__version__,
            "learner": {"reuse_model": learner.reuse_model},
            "dataset": {
                "type": type(learner.dataset).__name__,
                "n_samples": len(learner.dataset),
                "num_classes": learner.dataset.num_classes,
                "multi_label": learner.dataset.is_multi_label,
                "fingerprint": learner.dataset.fingerprint(),
            },
            "query_strategy": _strategy_entry(learner.query_strategy),
            "classifier": classifier_entry,
            "stopping_criterion": _STOPPING if learner.stopping_criterion is not None else None,
            "files": _checksums(staging),
        }
        (staging / _MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        _replace_folder(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def load_learner(
    folder: Path,
    dataset: Dataset,
    *,
    query_strategy: QueryStrategy | None = None,
    clf_factory: ClassifierFactory | None = None,
) -> Any:
    """Read a learner written by :func:`save_learner`; see :meth:`PoolBasedActiveLearner.load`."""
    from activetext.active_learner.pool import PoolBasedActiveLearner

    manifest = _read_manifest(folder)
    _check_files(folder, manifest)
    _check_dataset(manifest["dataset"], dataset)
    state, queried, stopping = _read_state(folder / _STATE, manifest["dataset"])
    if clf_factory is None:
        clf_factory = load_joblib(folder / _FACTORY, ClassifierFactory)
    if query_strategy is None:
        query_strategy = _restore_strategy(manifest["query_strategy"])
    classifier = None
    if manifest["classifier"] is not None:
        classifier_class = _import(manifest["classifier"]["class"], Classifier)
        classifier = classifier_class.load(folder / manifest["classifier"]["folder"])
    learner = PoolBasedActiveLearner(
        clf_factory, query_strategy, dataset, reuse_model=manifest["learner"]["reuse_model"]
    )
    if manifest.get("stopping_criterion"):
        from activetext.stopping_criteria import StoppingCriterion

        learner.stopping_criterion = load_joblib(folder / manifest["stopping_criterion"], StoppingCriterion)
        learner._indices_stopping, verdicts = stopping
        learner._stop_verdicts = verdicts.tolist()
    learner._commit(state, classifier, queried)
    return learner


# --- writing ------------------------------------------------------------------------------------------------


def _write_state(path: Path, state: PoolState, queried: np.ndarray | None, learner: Any) -> None:
    arrays: dict[str, np.ndarray] = {
        "labeled": state.labeled,
        "ignored": state.ignored,
        "validation": state.validation,
        "has_query": np.array(queried is not None),
        "queried": np.empty(0, dtype=np.int64) if queried is None else queried,
    }
    if learner.stopping_criterion is not None:
        arrays["indices_stopping"] = learner.indices_stopping
        arrays["stop_verdicts"] = np.array(learner.stop_verdicts, dtype=bool)
    if sp.issparse(state.y):
        arrays.update(y_data=state.y.data, y_indices=state.y.indices, y_indptr=state.y.indptr)
    else:
        arrays["y"] = state.y
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def _strategy_entry(strategy: QueryStrategy) -> dict[str, Any] | None:
    """The strategy's class, parameters and generator state, or None if its parameters are not JSON."""
    entry = {
        "class": _qualified_name(type(strategy)),
        "params": strategy.get_params(),
        "rng_state": strategy.rng.bit_generator.state,
    }
    try:
        json.dumps(entry)
    except TypeError:
        warnings.warn(
            f"{type(strategy).__name__} holds parameters that are not JSON (embedding sources, factories or other "
            "strategies); the learner is saved without its query strategy: pass query_strategy= to load",
            UserWarning,
            stacklevel=4,
        )
        return None
    return entry


def _checksums(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): _sha256(path) for path in sorted(folder.rglob("*")) if path.is_file()}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _replace_folder(staging: Path, folder: Path) -> None:
    if folder.exists():
        if not (folder / _MANIFEST).is_file():
            raise InvalidArgumentError(
                f"folder {str(folder)!r} exists and is not a saved learner; refusing to overwrite it"
            )
        retired = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
        os.replace(folder, retired / folder.name)
        os.replace(staging, folder)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, folder)


# --- reading ------------------------------------------------------------------------------------------------


def _read_manifest(folder: Path) -> dict[str, Any]:
    if not folder.is_dir():
        raise SavedStateNotFoundError(f"folder {str(folder)!r} does not exist or is not a folder")
    path = folder / _MANIFEST
    if not path.is_file():
        raise SavedStateNotFoundError(f"folder {str(folder)!r} holds no {_MANIFEST}: it is not a saved learner")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CorruptSavedStateError(f"{str(path)!r} is not valid JSON: {error}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        got = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise IncompatibleFormatError(f"{str(path)!r} has format {got!r}, expected {FORMAT_NAME!r}")
    version = manifest.get("format_version")
    if not isinstance(version, int) or not 1 <= version <= FORMAT_VERSION:
        raise IncompatibleFormatError(
            f"{str(path)!r} has format_version {version!r}; this activetext ({activetext.__version__}) reads "
            f"versions 1 to {FORMAT_VERSION}. Load it with the activetext version that wrote it "
            f"({manifest.get('activetext_version')!r}) or newer."
        )
    missing = [key for key in ("learner", "dataset", "query_strategy", "classifier", "files") if key not in manifest]
    if missing:
        raise CorruptSavedStateError(f"{str(path)!r} lacks the entries {missing}")
    return manifest


def _check_files(folder: Path, manifest: dict[str, Any]) -> None:
    for name, expected in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            raise SavedStateNotFoundError(f"saved learner {str(folder)!r} is missing the file {name!r}")
        if _sha256(path) != expected:
            raise CorruptSavedStateError(
                f"file {name!r} of saved learner {str(folder)!r} does not match its checksum (truncated or edited)"
            )


def _check_dataset(saved: dict[str, Any], dataset: Dataset) -> None:
    if not isinstance(dataset, Dataset):
        raise InvalidArgumentError(f"dataset must be an activetext Dataset, got {type(dataset).__name__}")
    given = {
        "type": type(dataset).__name__,
        "n_samples": len(dataset),
        "num_classes": dataset.num_classes,
        "multi_label": dataset.is_multi_label,
    }
    for key, value in given.items():
        if saved[key] != value:
            raise DatasetMismatchError(f"dataset has {key}={value!r}, but the learner was saved with {saved[key]!r}")
    if saved["fingerprint"] != dataset.fingerprint():
        raise DatasetMismatchError(
            "dataset has the same size but different documents than the dataset the learner was saved with"
        )


def _read_state(
    path: Path, dataset_entry: dict[str, Any]
) -> tuple[PoolState, np.ndarray | None, tuple[np.ndarray, np.ndarray] | None]:
    try:
        with np.load(path, allow_pickle=False) as arrays:
            loaded = {key: arrays[key] for key in arrays.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise CorruptSavedStateError(f"{str(path)!r} cannot be read: {error}") from error
    n_samples, num_classes = dataset_entry["n_samples"], dataset_entry["num_classes"]
    if dataset_entry["multi_label"]:
        y = sp.csr_matrix((loaded["y_data"], loaded["y_indices"], loaded["y_indptr"]), shape=(n_samples, num_classes))
    else:
        y = loaded["y"]
    state = PoolState(y=y, labeled=loaded["labeled"], ignored=loaded["ignored"], validation=loaded["validation"])
    queried = loaded["queried"].astype(np.int64) if bool(loaded["has_query"]) else None
    stopping = None
    if "indices_stopping" in loaded:
        stopping = (loaded["indices_stopping"].astype(np.int64), loaded["stop_verdicts"].astype(bool))
    return state, queried, stopping


def _restore_strategy(entry: dict[str, Any] | None) -> QueryStrategy:
    if entry is None:
        raise PersistenceError(
            "the query strategy could not be saved (its parameters are not JSON); pass query_strategy= to load"
        )
    strategy = _import(entry["class"], QueryStrategy)(**entry["params"])
    bit_generator = getattr(np.random, entry["rng_state"]["bit_generator"])()
    bit_generator.state = entry["rng_state"]
    strategy.rng = np.random.Generator(bit_generator)
    return strategy


def _qualified_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _import(name: str, expected: type) -> Any:
    module_name, _, attribute = name.partition(":")
    try:
        value = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise IncompatibleFormatError(f"the saved class {name!r} cannot be imported: {error}") from error
    if not (isinstance(value, type) and issubclass(value, expected)):
        raise IncompatibleFormatError(f"the saved class {name!r} is not a {expected.__name__}")
    return value
