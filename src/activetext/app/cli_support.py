"""``activetext serve``'s options turned into a project: create it on the first start, check it on later ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from activetext.app.project import LabelSpec, ProjectSettings, SourceSpec, load_project_file, parse_label_option
from activetext.app.server import DATABASE, create_project, open_project
from activetext.exceptions import InvalidConfigurationError

__all__ = ["DEFAULT_FOLDER", "prepare_project"]

DEFAULT_FOLDER = Path("activetext-project")

_SETTING_KEYS = ("name", "classifier", "strategy", "batch_size", "annotations_per_document", "seed")


def prepare_project(
    folder: Path | None, config: Path | None, options: dict[str, Any], annotators: list[str]
) -> tuple[Path, dict[str, str]]:
    """Create or check the project for ``activetext serve``; return its folder and the new annotators' tokens.

    Parameters
    ----------
    folder : pathlib.Path or None
        The folder given on the command line (else the TOML file's ``folder``, else ``activetext-project``).
    config : pathlib.Path or None
        A TOML project file.
    options : dict
        The command-line options (``None`` for those not given); they win over the TOML file.
    annotators : list of str
        Annotators to add; those that exist already are left as they are.

    Raises
    ------
    InvalidConfigurationError
        If a new project lacks texts or labels, or an existing project's settings differ from those given.
    """
    merged: dict[str, Any] = load_project_file(config) if config is not None else {}
    for key, value in options.items():
        if value is None:
            continue
        merged[key] = tuple(parse_label_option(item) for item in value) if key == "labels" else value
    target = folder or merged.pop("folder", None) or DEFAULT_FOLDER
    merged.pop("folder", None)
    target = Path(target)
    settings_options = {key: merged[key] for key in _SETTING_KEYS if key in merged}
    if (target / DATABASE).exists():
        storage = open_project(target)
        _check_same(storage.settings, merged.get("labels"), settings_options)
    else:
        if merged.get("texts") is None:
            raise InvalidConfigurationError(
                f"folder {str(target)!r} holds no project yet: give --texts FILE (CSV, JSONL or Parquet) to create one"
            )
        if not merged.get("labels"):
            raise InvalidConfigurationError("a new project needs its labels: give --label NAME for each (two or more)")
        settings = ProjectSettings(labels=merged["labels"], **settings_options)
        source = SourceSpec(Path(merged["texts"]), merged.get("text_column") or "text", merged.get("id_column"))
        storage, _ = create_project(target, settings, source)
    tokens = {}
    existing = set(storage.annotator_names())
    for name in annotators:
        if name not in existing:
            tokens[name] = storage.add_annotator(name)
            existing.add(name)
    storage.close()
    return target, tokens


def _check_same(settings: ProjectSettings, labels: tuple[LabelSpec, ...] | None, options: dict[str, Any]) -> None:
    if labels is not None and tuple(label.name for label in labels) != settings.label_names:
        raise InvalidConfigurationError(
            f"the project's labels are {list(settings.label_names)}, got {[label.name for label in labels]}; "
            "the label set of an existing project cannot change"
        )
    for key, value in options.items():
        stored = getattr(settings, key)
        if key == "classifier" and value == "auto":
            continue
        if value != stored:
            raise InvalidConfigurationError(
                f"the project was created with {key}={stored!r}, got {key}={value!r}; an existing project keeps "
                "its settings (create a new project folder to change them)"
            )
