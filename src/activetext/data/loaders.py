"""Loaders that read texts and labels from files, data frames and Hugging Face datasets into a
:class:`~activetext.data.datasets.TextDataset`.

Every loader turns its label column into the conventions of :mod:`activetext.data.labels` in the same way:

* **Class indices.** Integer labels are class indices ``0 .. C-1``; ``-1`` marks an unlabeled document in
  single-label data. ``C`` comes from ``target_labels`` or ``label_names`` when given, otherwise it is
  inferred from the largest index present (with a :class:`~activetext.data.labels.LabelSetInferredWarning`).
* **Label names.** String labels are names. With ``label_names`` each name is mapped to its position in that
  list; without it the distinct names are sorted and numbered ``0 .. C-1``, and the sorted names become the
  label names.
* **Multi-label.** A list of labels per row (or, in CSV, a cell split by ``label_separator``) gives a
  multi-label dataset with a ``csr_matrix`` indicator matrix; an empty list marks an unlabeled document.
* **Unlabeled.** A missing value (``None``, NaN, an empty CSV cell or a missing JSON field) marks an unlabeled
  document. Without a label column every document is unlabeled, and ``label_names`` or ``target_labels``
  must say what the label set is.

Rows are counted from 0 in error messages, in the order of the documents in the returned dataset.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.data.datasets import TextDataset
from activetext.data.labels import LABEL_UNLABELED, LabelSetInferredWarning, check_label_names, check_target_labels
from activetext.exceptions import (
    DatasetNotFoundError,
    InvalidArgumentError,
    InvalidLabelError,
    LabelShapeError,
    MissingDependencyError,
)

__all__ = ["from_csv", "from_dataframe", "from_huggingface", "from_jsonl", "from_records"]

_INTEGER_TEXT = re.compile(r"[+-]?\d+")
"""A CSV cell that holds a class index rather than a label name."""

_INT64_MIN, _INT64_MAX = int(np.iinfo(np.int64).min), int(np.iinfo(np.int64).max)


# --- shared steps ------------------------------------------------------------------------------------------


def _is_missing(value: Any) -> bool:
    """Return whether a raw label value marks an unlabeled document."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (float, np.floating)) and math.isnan(value)


def _label_token(value: Any, *, source: str, column: str | None, row: int) -> int | str:
    """Return one raw label as an int (class index) or a str (label name)."""
    if isinstance(value, str):
        return value
    index = None
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        index = int(value)
    elif isinstance(value, (float, np.floating)) and math.isfinite(value) and value == round(value):
        index = int(value)
    if index is not None:
        if not _INT64_MIN <= index <= _INT64_MAX:  # numpy cannot even hold it (OverflowError further on)
            raise InvalidLabelError(
                f"{source}: label_column {column!r} must hold class indices that fit in a 64-bit integer, "
                f"got {value!r} in row {row}"
            )
        return index
    raise InvalidLabelError(
        f"{source}: label_column {column!r} must hold class indices (int) or label names (str), "
        f"got {value!r} ({type(value).__name__}) in row {row}"
    )


def _encode_labels(
    raw_labels: Sequence[Any],
    *,
    source: str,
    column: str | None,
    multi_label: bool | None,
    label_names: Sequence[str] | None,
    target_labels: Any,
) -> tuple[np.ndarray | sp.csr_matrix, int, tuple[str, ...] | None]:
    """Turn one raw label value per document into labels, the size of the label set and the label names.

    Parameters
    ----------
    raw_labels : sequence
        One value per document: an int, a str, a list of those (multi-label) or a missing value.
    source : str
        Where the labels come from (a path or a kind of object), used in error messages.
    column : str or None
        The name of the label column, used in error messages.
    multi_label : bool or None
        Whether the labels are multi-label; ``None`` decides from the data (any list makes them multi-label).
    label_names : sequence of str, optional
        The label names by class index.
    target_labels : array-like of int, optional
        The label set as class indices ``0 .. C-1``.

    Returns
    -------
    y : numpy.ndarray or scipy.sparse.csr_matrix
        Single-label class indices (``-1`` for unlabeled) or a multi-label indicator matrix.
    num_classes : int
        The size of the label set.
    label_names : tuple of str or None
        The label names by class index, when known.
    """
    rows: list[list[int | str] | None] = []
    found_list = False
    for row, value in enumerate(raw_labels):
        if isinstance(value, (list, tuple, np.ndarray)):
            if multi_label is False:
                raise InvalidLabelError(
                    f"{source}: label_column {column!r} must hold one label per row with multi_label=False, "
                    f"got the list {list(value)!r} in row {row}"
                )
            found_list = True
            tokens = [_label_token(item, source=source, column=column, row=row) for item in value]
            rows.append(tokens or None)
        elif _is_missing(value):
            rows.append(None)
        else:
            rows.append([_label_token(value, source=source, column=column, row=row)])
    multi = found_list if multi_label is None else multi_label

    first_of_kind: dict[type, int] = {}
    for row, tokens in enumerate(rows):
        for token in tokens or ():
            first_of_kind.setdefault(type(token), row)
    if len(first_of_kind) > 1:
        raise InvalidLabelError(
            f"{source}: label_column {column!r} must hold either class indices or label names, "
            f"got an index in row {first_of_kind[int]} and a name in row {first_of_kind[str]}"
        )

    names = None if label_names is None else check_label_names(label_names)
    num_classes = None if target_labels is None else check_target_labels(target_labels)
    if str in first_of_kind:
        if names is None:
            names = tuple(sorted({token for tokens in rows for token in tokens or ()}))
        position = {name: index for index, name in enumerate(names)}
        for row, tokens in enumerate(rows):
            for token in tokens or ():
                if token not in position:
                    raise InvalidLabelError(
                        f"{source}: label_column {column!r} has the label {token!r} in row {row}, "
                        f"which is not one of label_names {list(names)}"
                    )
        rows = [None if tokens is None else [position[token] for token in tokens] for tokens in rows]
    if num_classes is None and names is not None:
        num_classes = len(names)
    if names is not None and num_classes != len(names):
        raise LabelShapeError(
            f"target_labels must have one class per label name ({len(names)}: {list(names)}), got {num_classes} classes"
        )

    indices = [index for tokens in rows for index in tokens or () if not (index == LABEL_UNLABELED and not multi)]
    if num_classes is None:
        if not indices:
            raise InvalidArgumentError(
                f"{source}: found no labels in label_column {column!r}, so the label set is unknown; "
                "pass label_names or target_labels"
            )
        num_classes = max(indices) + 1
        warnings.warn(
            f"{source}: the label set was inferred from label_column {column!r} as 0..{num_classes - 1} "
            f"({num_classes} classes); pass label_names or target_labels to make it explicit",
            LabelSetInferredWarning,
            stacklevel=4,
        )
    for row, tokens in enumerate(rows):
        for index in tokens or ():
            if not 0 <= index < num_classes and not (index == LABEL_UNLABELED and not multi):
                allowed = f"0..{num_classes - 1}" + ("" if multi else " or -1 (unlabeled)")
                raise InvalidLabelError(
                    f"{source}: label_column {column!r} must hold class indices in {allowed}, got {index} in row {row}"
                )

    if multi:
        per_row = [sorted(set(tokens or ())) for tokens in rows]
        indptr = np.cumsum([0] + [len(row_labels) for row_labels in per_row])
        flat = np.fromiter((index for row_labels in per_row for index in row_labels), dtype=np.int64)
        y: np.ndarray | sp.csr_matrix = sp.csr_matrix(
            (np.ones(flat.size, dtype=np.int64), flat, indptr), shape=(len(rows), num_classes)
        )
    else:
        y = np.array([LABEL_UNLABELED if tokens is None else tokens[0] for tokens in rows], dtype=np.int64)
    return y, num_classes, names


def _make_dataset(
    texts: Sequence[Any],
    raw_labels: Sequence[Any],
    *,
    source: str,
    text_column: str,
    label_column: str | None,
    multi_label: bool | None,
    label_names: Sequence[str] | None,
    target_labels: Any,
) -> TextDataset:
    """Check the texts, encode the labels and build the dataset (the last step of every loader)."""
    for row, text in enumerate(texts):
        if not isinstance(text, str):
            raise InvalidArgumentError(
                f"{source}: text_column {text_column!r} must hold a string in every row, "
                f"got {text!r} ({type(text).__name__}) in row {row}"
            )
    y, num_classes, names = _encode_labels(
        raw_labels,
        source=source,
        column=label_column,
        multi_label=multi_label,
        label_names=label_names,
        target_labels=target_labels,
    )
    return TextDataset(texts, y, target_labels=np.arange(num_classes), label_names=names)


def _existing_file(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a ``Path`` after checking that it names a file."""
    file = Path(path)
    if not file.is_file():
        reason = "is a folder, not a file" if file.is_dir() else "does not exist"
        raise DatasetNotFoundError(f"path {str(file)!r} {reason}")
    return file


def _columns_of_records(
    records: Iterable[Any], *, source: str, text_column: str, label_column: str | None
) -> tuple[list[Any], list[Any]]:
    """Split mappings into the text column and the label column (``None`` where a record has no label)."""
    texts: list[Any] = []
    labels: list[Any] = []
    if isinstance(records, (str, bytes, Mapping)) or not isinstance(records, Iterable):
        raise InvalidArgumentError(
            f"{source} must be an iterable of mappings (such as a list of dicts), got {type(records).__name__}"
        )
    for row, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise InvalidArgumentError(
                f"{source}: every record must be a mapping such as a dict, got {type(record).__name__} in row {row}"
            )
        texts.append(record.get(text_column))
        labels.append(None if label_column is None else record.get(label_column))
    return texts, labels


def _iter_jsonl(path: Path, *, encoding: str) -> Iterator[Any]:
    """Yield the parsed value of each non-blank line of a JSON Lines file."""
    with path.open(encoding=encoding) as handle:
        try:
            for line_number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as error:
                    raise InvalidArgumentError(
                        f"path {str(path)!r} must hold one JSON object per line, got invalid JSON on line "
                        f"{line_number}: {error.msg}"
                    ) from error
        except UnicodeDecodeError as error:
            raise InvalidArgumentError(
                f"path {str(path)!r} cannot be decoded with encoding={encoding!r}: {error.reason}"
            ) from error


# --- public loaders ----------------------------------------------------------------------------------------


def from_records(
    records: Iterable[Mapping[str, Any]],
    text_column: str = "text",
    label_column: str | None = "label",
    *,
    label_names: Sequence[str] | None = None,
    target_labels: Any = None,
    multi_label: bool | None = None,
) -> TextDataset:
    """Build a text dataset from mappings, for example a list of dicts.

    Parameters
    ----------
    records : iterable of mapping
        One mapping per document, for example ``{"text": "great film", "label": 1}``.
    text_column : str, default="text"
        The key of the text.
    label_column : str or None, default="label"
        The key of the label: an int, a str, or a list of those for multi-label data. A record without it is
        unlabeled; ``None`` reads no labels at all.
    label_names : sequence of str, optional
        The label names by class index; string labels are mapped to their position in this list.
    target_labels : array-like of int, optional
        The label set as class indices ``0 .. C-1``.
    multi_label : bool, optional
        Whether the labels are multi-label; by default a list in any record makes them multi-label.

    Returns
    -------
    TextDataset

    Raises
    ------
    InvalidArgumentError
        If a record is not a mapping or a text is missing or not a string.
    InvalidLabelError
        If a label is neither an index nor a name, is out of range, or is not in ``label_names``.

    Examples
    --------
    >>> data = from_records([{"text": "good", "label": "pos"}, {"text": "bad", "label": "neg"}])
    >>> data.y.tolist(), data.label_names
    ([1, 0], ('neg', 'pos'))
    """
    source = "records"
    texts, labels = _columns_of_records(records, source=source, text_column=text_column, label_column=label_column)
    return _make_dataset(
        texts,
        labels,
        source=source,
        text_column=text_column,
        label_column=label_column,
        multi_label=multi_label,
        label_names=label_names,
        target_labels=target_labels,
    )


def from_jsonl(
    path: str | os.PathLike[str],
    text_column: str = "text",
    label_column: str | None = "label",
    *,
    label_names: Sequence[str] | None = None,
    target_labels: Any = None,
    multi_label: bool | None = None,
    encoding: str = "utf-8",
) -> TextDataset:
    """Read a JSON Lines file with one object per document into a text dataset.

    Parameters
    ----------
    path : str or path-like
        The file. Blank lines are skipped.
    text_column : str, default="text"
        The field that holds the text.
    label_column : str or None, default="label"
        The field that holds the label: an int (class index, ``-1`` for unlabeled), a str (label name), or a
        list of those for multi-label data. A row without it is unlabeled; ``None`` reads no labels at all.
    label_names : sequence of str, optional
        The label names by class index. String labels are mapped to their position in this list; without it
        they are numbered in sorted order and the sorted names become the label names.
    target_labels : array-like of int, optional
        The label set as class indices ``0 .. C-1``.
    multi_label : bool, optional
        Whether the labels are multi-label; by default a list in any row makes them multi-label.
    encoding : str, default="utf-8"
        The text encoding of the file.

    Returns
    -------
    TextDataset

    Raises
    ------
    DatasetNotFoundError
        If ``path`` does not exist.
    InvalidArgumentError
        If a line is not a JSON object, or a text is missing or not a string.
    InvalidLabelError
        If a label is neither an index nor a name, is out of range, or is not in ``label_names``.
    """
    file = _existing_file(path)
    source = f"path {str(file)!r}"
    records = _iter_jsonl(file, encoding=encoding)
    texts, labels = _columns_of_records(records, source=source, text_column=text_column, label_column=label_column)
    return _make_dataset(
        texts,
        labels,
        source=source,
        text_column=text_column,
        label_column=label_column,
        multi_label=multi_label,
        label_names=label_names,
        target_labels=target_labels,
    )


def from_csv(
    path: str | os.PathLike[str],
    text_column: str = "text",
    label_column: str | None = "label",
    *,
    label_names: Sequence[str] | None = None,
    target_labels: Any = None,
    multi_label: bool = False,
    label_separator: str | None = None,
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
) -> TextDataset:
    """Read a CSV file with a header row into a text dataset.

    Parameters
    ----------
    path : str or path-like
        The file; its first row names the columns.
    text_column : str, default="text"
        The column that holds the text.
    label_column : str or None, default="label"
        The column that holds the label. An empty cell marks an unlabeled document. When every non-empty cell
        is an integer, the cells are class indices (``-1`` for unlabeled); otherwise they are label names.
        Without this column (or with ``None``) every document is unlabeled.
    label_names : sequence of str, optional
        The label names by class index. Name cells are mapped to their position in this list; without it they
        are numbered in sorted order and the sorted names become the label names.
    target_labels : array-like of int, optional
        The label set as class indices ``0 .. C-1``.
    multi_label : bool, default=False
        Whether a cell holds several labels, separated by ``label_separator``.
    label_separator : str, optional
        The separator between the labels of a multi-label cell; ``None`` splits on runs of white space (as
        :meth:`str.split` does). Only used with ``multi_label=True``.
    delimiter : str, default=","
        The field delimiter, for example ``"\\t"`` for tab-separated files.
    encoding : str, default="utf-8-sig"
        The text encoding; the default reads UTF-8 with or without a byte-order mark.

    Returns
    -------
    TextDataset

    Raises
    ------
    DatasetNotFoundError
        If ``path`` does not exist.
    InvalidArgumentError
        If ``text_column`` is not a column, a row lacks its text, the file is not valid CSV, or
        ``label_separator`` is given without ``multi_label=True``.
    InvalidLabelError
        If a label is out of range or not in ``label_names``.
    """
    if label_separator is not None and not multi_label:
        raise InvalidArgumentError(
            f"label_separator is only used with multi_label=True, got label_separator={label_separator!r} "
            f"and multi_label={multi_label!r}"
        )
    file = _existing_file(path)
    source = f"path {str(file)!r}"
    texts: list[Any] = []
    cells: list[str | None] = []
    with file.open(newline="", encoding=encoding) as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        try:
            columns = list(reader.fieldnames or [])
            if text_column not in columns:
                raise InvalidArgumentError(
                    f"{source}: text_column {text_column!r} is not a column; the columns are {columns}"
                )
            read_labels = label_column is not None and label_column in columns
            for record in reader:
                texts.append(record[text_column])
                cells.append(record[label_column] if read_labels else None)
        except csv.Error as error:
            raise InvalidArgumentError(f"{source} is not valid CSV (line {reader.line_num}): {error}") from error
        except UnicodeDecodeError as error:
            raise InvalidArgumentError(
                f"{source} cannot be decoded with encoding={encoding!r}: {error.reason}"
            ) from error

    raw_labels: list[Any]
    if multi_label:
        raw_labels = [[part.strip() for part in (cell or "").split(label_separator) if part.strip()] for cell in cells]
    else:
        raw_labels = [None if cell is None else cell.strip() for cell in cells]
    tokens = [token for value in raw_labels for token in (value if multi_label else [value]) if token]
    if tokens and all(_INTEGER_TEXT.fullmatch(token) for token in tokens):
        if multi_label:
            raw_labels = [[int(token) for token in value] for value in raw_labels]
        else:
            raw_labels = [int(value) if value else None for value in raw_labels]
    return _make_dataset(
        texts,
        raw_labels,
        source=source,
        text_column=text_column,
        label_column=label_column,
        multi_label=multi_label,
        label_names=label_names,
        target_labels=target_labels,
    )


def from_dataframe(
    df: Any,
    text_column: str = "text",
    label_column: str | None = "label",
    *,
    label_names: Sequence[str] | None = None,
    target_labels: Any = None,
    multi_label: bool | None = None,
) -> TextDataset:
    """Build a text dataset from the columns of a ``pandas.DataFrame``.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per document.
    text_column : str, default="text"
        The column that holds the text.
    label_column : str or None, default="label"
        The column that holds the label: ints (class indices, ``-1`` for unlabeled), strs (label names), or
        lists of those for multi-label data. Missing values (``None``, NaN, ``pd.NA``) mark unlabeled
        documents. Without this column (or with ``None``) every document is unlabeled.
    label_names : sequence of str, optional
        The label names by class index; string labels are mapped to their position in this list.
    target_labels : array-like of int, optional
        The label set as class indices ``0 .. C-1``.
    multi_label : bool, optional
        Whether the labels are multi-label; by default a list in any row makes them multi-label.

    Returns
    -------
    TextDataset

    Raises
    ------
    MissingDependencyError
        If pandas is not installed (``pip install activetext[pandas]``).
    InvalidArgumentError
        If ``df`` is not a data frame, ``text_column`` is not a column, or a text is not a string.
    InvalidLabelError
        If a label is out of range or not in ``label_names``.
    """
    try:
        import pandas as pd
    except ImportError as error:
        raise MissingDependencyError(
            "from_dataframe needs pandas; install it with: pip install 'activetext[pandas]'"
        ) from error
    if not isinstance(df, pd.DataFrame):
        raise InvalidArgumentError(f"df must be a pandas.DataFrame, got {type(df).__name__}")
    source = "the data frame"
    columns = list(df.columns)
    if text_column not in columns:
        raise InvalidArgumentError(f"{source}: text_column {text_column!r} is not a column; the columns are {columns}")
    texts = df[text_column].tolist()
    if label_column is not None and label_column in columns:
        raw_labels = [
            None if pd.api.types.is_scalar(value) and pd.isna(value) else value for value in df[label_column].tolist()
        ]
    else:
        raw_labels = [None] * len(texts)
    return _make_dataset(
        texts,
        raw_labels,
        source=source,
        text_column=text_column,
        label_column=label_column,
        multi_label=multi_label,
        label_names=label_names,
        target_labels=target_labels,
    )


def from_huggingface(
    hf_dataset: Any,
    text_column: str = "text",
    label_column: str | None = "label",
    *,
    label_names: Sequence[str] | None = None,
    target_labels: Any = None,
    multi_label: bool | None = None,
) -> TextDataset:
    """Build a text dataset from a Hugging Face ``datasets.Dataset`` (one split, already loaded).

    Parameters
    ----------
    hf_dataset : datasets.Dataset
        One split, for example ``load_dataset("imdb")["train"]``.
    text_column : str, default="text"
        The column that holds the text.
    label_column : str or None, default="label"
        The column that holds the label: ints (class indices, ``-1`` for unlabeled, as ``ClassLabel`` stores
        a missing label), strs (label names), or lists of those for multi-label data. Without this column (or
        with ``None``) every document is unlabeled.
    label_names : sequence of str, optional
        The label names by class index. By default the names of a ``ClassLabel`` feature (or of a sequence of
        ``ClassLabel``, for multi-label data) are used.
    target_labels : array-like of int, optional
        The label set as class indices ``0 .. C-1``.
    multi_label : bool, optional
        Whether the labels are multi-label; by default a list in any row makes them multi-label.

    Returns
    -------
    TextDataset

    Raises
    ------
    MissingDependencyError
        If the ``datasets`` package is not installed (``pip install activetext[hf]``).
    InvalidArgumentError
        If ``hf_dataset`` is not a ``datasets.Dataset``, ``text_column`` is not a column, or a text is not a
        string.
    InvalidLabelError
        If a label is out of range or not in ``label_names``.
    """
    try:
        import datasets
    except ImportError as error:
        raise MissingDependencyError(
            "from_huggingface needs the Hugging Face datasets package; install it with: pip install 'activetext[hf]'"
        ) from error
    if not isinstance(hf_dataset, datasets.Dataset):
        hint = ""
        if isinstance(hf_dataset, datasets.DatasetDict):
            hint = f" (pick one split, e.g. hf_dataset[{next(iter(hf_dataset), 'train')!r}])"
        raise InvalidArgumentError(f"hf_dataset must be a datasets.Dataset{hint}, got {type(hf_dataset).__name__}")
    source = "the Hugging Face dataset"
    columns = list(hf_dataset.column_names)
    if text_column not in columns:
        raise InvalidArgumentError(f"{source}: text_column {text_column!r} is not a column; the columns are {columns}")
    texts = list(hf_dataset[text_column])
    if label_column is not None and label_column in columns:
        raw_labels = list(hf_dataset[label_column])
        feature = hf_dataset.features[label_column]
        # a ClassLabel column, or a sequence of ClassLabel for multi-label data
        class_label = getattr(feature, "feature", feature)
        if label_names is None and isinstance(class_label, datasets.ClassLabel):
            label_names = class_label.names
    else:
        raw_labels = [None] * len(texts)
    return _make_dataset(
        texts,
        raw_labels,
        source=source,
        text_column=text_column,
        label_column=label_column,
        multi_label=multi_label,
        label_names=label_names,
        target_labels=target_labels,
    )
