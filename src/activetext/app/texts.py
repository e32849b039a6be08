"""Reading documents (an id and a text each) from CSV, JSONL and Parquet, from a file or from uploaded bytes.

Text must be UTF-8 (a byte-order mark is allowed); every row needs a non-empty text; ids, when an id column is
named, must be present and unique. Errors name the argument, the row and the value.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from activetext.exceptions import InvalidArgumentError, MissingDependencyError

__all__ = ["FORMATS", "SourceDocument", "format_of", "read_documents"]

FORMATS = ("csv", "jsonl", "parquet")
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
MAX_TEXT_CHARS = 200_000
"""Longer texts are refused: nobody labels a book, and one would slow every training round."""


@dataclass(frozen=True)
class SourceDocument:
    """A document read from a file: its external id (``None`` without an id column) and its text."""

    external_id: str | None
    text: str


def format_of(path: str | Path) -> str:
    """The format of a file from its suffix: ``csv``, ``jsonl`` or ``parquet``."""
    suffix = Path(path).suffix.lower()
    if suffix not in _SUFFIXES:
        raise InvalidArgumentError(
            f"texts {str(path)!r}: cannot tell the format from the suffix {suffix!r}; use .csv, .jsonl or .parquet"
        )
    return _SUFFIXES[suffix]


def read_documents(
    source: str | Path | bytes,
    text_column: str = "text",
    id_column: str | None = None,
    file_format: str | None = None,
) -> list[SourceDocument]:
    """Read documents from a file or from the bytes of an upload.

    Parameters
    ----------
    source : str, pathlib.Path or bytes
        A file path, or the content of a file.
    text_column : str
        The column (JSON field) holding the text.
    id_column : str, optional
        The column holding unique document ids (read as strings).
    file_format : {"csv", "jsonl", "parquet"}, optional
        Required for bytes; taken from the suffix of a path by default.

    Returns
    -------
    list of SourceDocument

    Raises
    ------
    InvalidArgumentError
        For an unknown format, undecodable text, malformed rows, a missing column, an empty text or a missing or
        repeated id.
    """
    if isinstance(source, (bytes, bytearray)):
        if file_format not in FORMATS:
            raise InvalidArgumentError(f"format must be one of {list(FORMATS)}, got {file_format!r}")
        name, content = "the upload", bytes(source)
    else:
        path = Path(source)
        if not path.is_file():
            raise InvalidArgumentError(f"texts {str(path)!r} is not a file")
        file_format = file_format or format_of(path)
        if file_format not in FORMATS:
            raise InvalidArgumentError(f"format must be one of {list(FORMATS)}, got {file_format!r}")
        name, content = f"texts {str(path)!r}", path.read_bytes()
    if file_format == "parquet":
        rows = _parquet_rows(content, name)
    else:
        text = _decode(content, name)
        rows = _csv_rows(text, name) if file_format == "csv" else _jsonl_rows(text, name)
    return _documents(rows, name, text_column, id_column)


def _decode(content: bytes, name: str) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidArgumentError(
            f"{name} is not UTF-8 text: byte {content[error.start : error.start + 1]!r} at offset {error.start} "
            "cannot be decoded; save the file as UTF-8"
        ) from error


def _csv_rows(text: str, name: str) -> tuple[list[str], list[dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as error:
        raise InvalidArgumentError(f"{name} is not valid CSV (line {reader.line_num}): {error}") from error
    return list(reader.fieldnames or []), rows


def _jsonl_rows(text: str, name: str) -> tuple[list[str] | None, list[dict[str, Any]]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise InvalidArgumentError(f"{name} is not valid JSONL: line {number}: {error.msg}") from error
        if not isinstance(row, dict):
            raise InvalidArgumentError(
                f"{name}: line {number} must be a JSON object, got {type(row).__name__} {line[:60]!r}"
            )
        rows.append(row)
    return None, rows


def _parquet_rows(content: bytes, name: str) -> tuple[list[str], list[dict[str, Any]]]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:
        raise MissingDependencyError("reading Parquet needs pyarrow: pip install pyarrow") from error
    try:
        table = pq.read_table(pa.BufferReader(content))
    except (pa.ArrowException, OSError) as error:
        raise InvalidArgumentError(f"{name} is not a valid Parquet file: {error}") from error
    return list(table.column_names), table.to_pylist()


def _documents(
    parsed: tuple[list[str] | None, list[dict[str, Any]]], name: str, text_column: str, id_column: str | None
) -> list[SourceDocument]:
    columns, rows = parsed
    for column, argument in ((text_column, "text_column"), (id_column, "id_column")):
        if column is not None and columns is not None and column not in columns:
            raise InvalidArgumentError(f"{name}: {argument} {column!r} is not a column; the columns are {columns}")
    documents = []
    seen: dict[str, int] = {}
    for row_number, row in enumerate(rows):
        text = row.get(text_column)
        if not isinstance(text, str):
            raise InvalidArgumentError(
                f"{name}: row {row_number} has no text in text_column {text_column!r}, got {text!r:.60}"
            )
        if not text.strip():
            raise InvalidArgumentError(f"{name}: row {row_number} has an empty text in text_column {text_column!r}")
        if len(text) > MAX_TEXT_CHARS:
            raise InvalidArgumentError(
                f"{name}: row {row_number} has a text of {len(text)} characters; at most {MAX_TEXT_CHARS} are allowed"
            )
        external_id = None
        if id_column is not None:
            value = row.get(id_column)
            if value is None or (isinstance(value, str) and not value.strip()) or isinstance(value, (dict, list)):
                raise InvalidArgumentError(f"{name}: row {row_number} has no id in id_column {id_column!r}")
            external_id = str(value)
            if external_id in seen:
                raise InvalidArgumentError(
                    f"{name}: id {external_id!r} in id_column {id_column!r} appears in rows {seen[external_id]} "
                    f"and {row_number}; ids must be unique"
                )
            seen[external_id] = row_number
        documents.append(SourceDocument(external_id, text))
    if not documents:
        raise InvalidArgumentError(f"{name} holds no documents")
    return documents
