"""Exports: the labeled data as CSV or JSONL, and the newest model as a zip file or a folder.

Exports written by the server go only inside the project folder, never over the project's own files.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path

from activetext.app.progress import LabeledRow
from activetext.exceptions import InvalidArgumentError

__all__ = ["RESERVED_NAMES", "export_path", "labels_csv", "labels_jsonl", "model_zip", "write_export"]

RESERVED_NAMES = frozenset(
    {
        "activetext.db",
        "activetext.db-wal",
        "activetext.db-shm",
        "admin-token",
        "server.lock",
        "server.json",
        "project.toml",
        "models",
        "cache",
    }
)
"""Entries of the project folder that an export may not replace or write into."""


def labels_csv(rows: Sequence[LabeledRow]) -> bytes:
    """The labeled data as UTF-8 CSV: ``id, text, label, annotations`` (``name=label`` pairs joined by ``;``)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(["id", "text", "label", "annotations"])
    for row in rows:
        pairs = ";".join(f"{name}={label}" for name, label in row.annotations.items())
        writer.writerow([row.external_id, row.text, row.label, pairs])
    return buffer.getvalue().encode("utf-8")


def labels_jsonl(rows: Sequence[LabeledRow]) -> bytes:
    """The labeled data as JSON lines: ``{"id", "text", "label", "annotations": {annotator: label}}``."""
    lines = [
        json.dumps({"id": row.external_id, "text": row.text, "label": row.label, "annotations": row.annotations})
        for row in rows
    ]
    return ("\n".join(lines) + "\n" if lines else "").encode("utf-8")


def model_zip(model_folder: Path) -> bytes:
    """A zip file of a model folder (its files at the archive's top level)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(model_folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(model_folder).as_posix())
    return buffer.getvalue()


def export_path(project_folder: Path, requested: str) -> Path:
    """Resolve an export path inside the project folder (relative paths are taken from it).

    Raises
    ------
    InvalidArgumentError
        If the path leaves the project folder (``..``, an absolute path elsewhere, a link out) or names one of
        the project's own files (:data:`RESERVED_NAMES`).
    """
    if not isinstance(requested, str) or not requested.strip() or "\x00" in requested:
        raise InvalidArgumentError(f"path must be a non-empty file path, got {requested!r:.80}")
    root = project_folder.resolve()
    candidate = Path(requested)
    resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
    if resolved == root or root not in resolved.parents:
        raise InvalidArgumentError(
            f"path {requested!r} is outside the project folder {str(root)!r}; exports are written only inside it"
        )
    first = resolved.relative_to(root).parts[0]
    if first in RESERVED_NAMES:
        raise InvalidArgumentError(f"path {requested!r} would write over the project's own {first!r}; choose another")
    return resolved


def write_export(target: Path, content: bytes | None = None, model_folder: Path | None = None) -> Path:
    """Write an export file (or copy a model folder) to ``target``, replacing it whole."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    if model_folder is not None:
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(model_folder, partial)
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    else:
        if target.is_dir():
            raise InvalidArgumentError(f"path {str(target)!r} is a folder; give a file name")
        partial.write_bytes(content or b"")
    partial.replace(target)
    return target
