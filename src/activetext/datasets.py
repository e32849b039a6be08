"""The benchmark data sets of the shared data folder: text classification sets stored as JSON Lines.

Each benchmark is a folder with ``train.jsonl``, ``test.jsonl`` (some also ``dev.jsonl``), ``labels.txt`` (one
label name per line, by class index) and a ``README.md``. Each row is ``{"text": str, "label": int}``, or
``{"text": str, "label": [int, ...]}`` for a multi-label set, and may carry extra fields, which are ignored.

The folder of benchmarks is found by :func:`data_root`. :func:`fetch_20newsgroups` stands in for
:func:`sklearn.datasets.fetch_20newsgroups`, reading the shared copy of 20 Newsgroups instead of downloading
it.

Examples
--------
>>> from activetext.datasets import load_benchmark
>>> sports = ["rec.sport.baseball", "rec.sport.hockey"]
>>> train = load_benchmark("20newsgroups", categories=sports)  # doctest: +SKIP
>>> len(train), train.label_names  # doctest: +SKIP
(1197, ('rec.sport.baseball', 'rec.sport.hockey'))
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.utils import Bunch

from activetext.data.datasets import TextDataset
from activetext.data.loaders import _iter_jsonl, from_records
from activetext.exceptions import DatasetNotFoundError, InvalidArgumentError
from activetext.utils.validation import check_positive_int

__all__ = [
    "DATA_ENV_VAR",
    "data_root",
    "fetch_20newsgroups",
    "list_benchmarks",
    "load_benchmark",
    "strip_newsgroup_footer",
    "strip_newsgroup_header",
    "strip_newsgroup_quoting",
]

DATA_ENV_VAR = "ACTIVETEXT_DATA"
"""The environment variable that names the folder of benchmarks."""

_REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
_SPLITS = ("train", "dev", "test")
_NEWSGROUPS = "20newsgroups"


# --- where the data is ------------------------------------------------------------------------------------


def data_root() -> Path:
    """Return the folder that holds the benchmark folders.

    The folder is the one named by the environment variable ``ACTIVETEXT_DATA`` when it is set, otherwise
    the first existing one of ``<current folder>/../shared/datasets`` and
    ``<repository root>/../shared/datasets``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DatasetNotFoundError
        If ``ACTIVETEXT_DATA`` names no folder, or it is unset and neither default folder exists.
    """
    configured = os.environ.get(DATA_ENV_VAR)
    if configured:
        root = Path(configured).expanduser()
        if not root.is_dir():
            raise DatasetNotFoundError(
                f"the environment variable {DATA_ENV_VAR} must name the folder of benchmarks, "
                f"got {configured!r}, which is not a folder"
            )
        return root
    candidates = [Path.cwd() / ".." / "shared" / "datasets", _REPOSITORY_ROOT / ".." / "shared" / "datasets"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    looked_in = ", ".join(str(candidate.resolve()) for candidate in candidates)
    raise DatasetNotFoundError(
        f"no folder of benchmarks found (looked in {looked_in}); set the environment variable {DATA_ENV_VAR} "
        "to the folder that holds the benchmark folders (such as shared/datasets)"
    )


def list_benchmarks() -> list[str]:
    """Return the names of the benchmarks in :func:`data_root`, sorted.

    A benchmark is a folder with ``labels.txt`` and ``train.jsonl``.
    """
    return _benchmarks_in(data_root())


def _benchmarks_in(root: Path) -> list[str]:
    """Return the sorted names of the benchmark folders in ``root``."""
    return sorted(
        folder.name
        for folder in root.iterdir()
        if (folder / "labels.txt").is_file() and (folder / "train.jsonl").is_file()
    )


# --- 20 Newsgroups cleaning -------------------------------------------------------------------------------

_QUOTE_OPENINGS = ("In article", "Quoted from", "|", ">")
_QUOTE_MARKERS = ("writes in", "writes:", "wrote:", "says:", "said:")


def strip_newsgroup_header(text: str) -> str:
    """Remove the header block of a news post: everything up to and including the first blank line.

    A text without a blank line is all header, so the result is empty. Gives the same result as
    ``sklearn.datasets._twenty_newsgroups.strip_newsgroup_header``.
    """
    end = text.find("\n\n")
    return "" if end < 0 else text[end + 2 :]


def strip_newsgroup_footer(text: str) -> str:
    """Remove the signature block of a news post.

    The signature is taken to start at the last line (after trailing blank lines are ignored) that holds
    only dashes or white space, such as ``--``. Everything from that line on is removed, and so is white space
    at the start of the text. When no such line exists after the first line, the text is returned unchanged.
    Gives the same result as ``sklearn.datasets._twenty_newsgroups.strip_newsgroup_footer``.
    """
    lines = text.strip().split("\n")
    for position in range(len(lines) - 1, 0, -1):
        if not lines[position].strip().strip("-"):
            return "\n".join(lines[:position])
    return text


def strip_newsgroup_quoting(text: str) -> str:
    """Remove quoted lines from a news post.

    Removes the lines that start with ``>`` or ``|`` (quotes), or with ``In article`` or ``Quoted from``, and
    the lines that contain ``writes:``, ``writes in``, ``wrote:``, ``says:`` or ``said:`` (lines that
    introduce a quote); the matching is case-sensitive. Gives the same result as
    ``sklearn.datasets._twenty_newsgroups.strip_newsgroup_quoting``.
    """
    kept = [
        line
        for line in text.split("\n")
        if not line.startswith(_QUOTE_OPENINGS) and not any(marker in line for marker in _QUOTE_MARKERS)
    ]
    return "\n".join(kept)


# applied in this order, whatever the order of ``remove`` (as scikit-learn does)
_CLEANERS: dict[str, Callable[[str], str]] = {
    "headers": strip_newsgroup_header,
    "footers": strip_newsgroup_footer,
    "quotes": strip_newsgroup_quoting,
}


def _check_remove(remove: Iterable[str]) -> list[str]:
    """Return the parts that ``remove`` asks to remove, in the order their cleaning functions are applied."""
    if isinstance(remove, str):
        raise InvalidArgumentError(
            f"remove must be a tuple of names from {list(_CLEANERS)}, got the string {remove!r}; "
            f"write ({remove!r},) for one"
        )
    parts = set(remove)
    unknown = sorted(str(part) for part in parts - set(_CLEANERS))
    if unknown:
        raise InvalidArgumentError(f"remove must hold names from {list(_CLEANERS)}, got {unknown}")
    return [part for part in _CLEANERS if part in parts]


# --- loading ----------------------------------------------------------------------------------------------


def _benchmark_folder(name: str) -> Path:
    """Return the folder of the benchmark ``name``."""
    root = data_root()
    available = _benchmarks_in(root)
    if name not in available:
        raise DatasetNotFoundError(f"name must be one of the benchmarks in {root}: {available}, got {name!r}")
    return root / name


def _read_label_names(folder: Path) -> list[str]:
    """Read ``labels.txt``: one label name per line, by class index."""
    lines = (folder / "labels.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip()]


def _select_categories(categories: Any, label_names: Sequence[str]) -> list[str]:
    """Check a subset of label names and return it sorted."""
    if isinstance(categories, str):
        raise InvalidArgumentError(
            f"categories must be a list of label names, got the string {categories!r}; write [{categories!r}]"
        )
    selected = list(categories)
    not_names = [category for category in selected if not isinstance(category, str)]
    if not_names:
        raise InvalidArgumentError(f"categories must be label names (str), got {not_names}")
    selected = sorted(set(selected))
    if not selected:
        raise InvalidArgumentError("categories must name at least one label, got an empty collection")
    unknown = [category for category in selected if category not in label_names]
    if unknown:
        raise InvalidArgumentError(f"categories must be names from {list(label_names)}, got unknown {unknown}")
    return selected


def _rows(
    path: Path,
    *,
    remap: dict[int, int] | None,
    cleaners: Sequence[Callable[[str], str]],
    limit: int | None,
) -> Iterator[dict[str, Any]]:
    """Yield the rows of a benchmark file, labels remapped to the selected categories and texts cleaned.

    Rows without a selected label are skipped; reading stops after ``limit`` rows.
    """
    count = 0
    with closing(_iter_jsonl(path, encoding="utf-8")) as records:
        for record in records:
            if limit is not None and count >= limit:
                return
            label = record["label"]
            if remap is not None:
                if isinstance(label, list):
                    label = sorted(remap[index] for index in label if index in remap)
                    if not label:
                        continue
                elif label in remap:
                    label = remap[label]
                else:
                    continue
            text = record["text"]
            for cleaner in cleaners:
                text = cleaner(text)
            count += 1
            yield {"text": text, "label": label}


def _first_label_is_list(path: Path) -> bool:
    """Return whether the first row of a benchmark file has a list of labels (a multi-label benchmark)."""
    with closing(_iter_jsonl(path, encoding="utf-8")) as records:
        first = next(records, None)
    return isinstance(first, dict) and isinstance(first.get("label"), list)


def load_benchmark(
    name: str,
    split: str = "train",
    *,
    categories: Iterable[str] | None = None,
    remove: Iterable[str] = (),
    limit: int | None = None,
) -> TextDataset:
    """Load one split of a benchmark of the shared data folder as a text dataset.

    Parameters
    ----------
    name : str
        The benchmark, one of :func:`list_benchmarks` (for example ``"20newsgroups"``, ``"ag_news"``,
        ``"goemotions"``).
    split : {"train", "test", "dev"}, default="train"
        The split; ``"dev"`` exists only for some benchmarks.
    categories : iterable of str, optional
        Load only the documents of these label names. The label set becomes the selected names in sorted
        order, with class indices ``0 .. k-1``, as :func:`sklearn.datasets.fetch_20newsgroups` does. For a
        multi-label benchmark the other labels are dropped, and so are the documents left without a label.
    remove : iterable of {"headers", "footers", "quotes"}, default=()
        Parts of 20 Newsgroups posts to remove, with :func:`strip_newsgroup_header`,
        :func:`strip_newsgroup_footer` and :func:`strip_newsgroup_quoting` (applied in that order). Only for
        the ``"20newsgroups"`` benchmark.
    limit : int, optional
        Read at most this many documents: the first ones of the file (after selecting ``categories``). The
        files are in a fixed order, often sorted by label, so the first documents need not cover every class.

    Returns
    -------
    TextDataset
        The texts, the labels (a ``csr_matrix`` indicator matrix for a multi-label benchmark), the label set
        given explicitly and the label names from ``labels.txt``.

    Raises
    ------
    DatasetNotFoundError
        If the data folder, the benchmark or its split cannot be found.
    InvalidArgumentError
        If ``split``, ``categories``, ``remove`` or ``limit`` is not valid.
    """
    if split not in _SPLITS:
        raise InvalidArgumentError(f"split must be one of {list(_SPLITS)}, got {split!r}")
    if limit is not None:
        limit = check_positive_int(limit, name="limit")
    parts = _check_remove(remove)
    if parts and name != _NEWSGROUPS:
        raise InvalidArgumentError(
            f"remove cleans 20 Newsgroups posts and applies only to name={_NEWSGROUPS!r}, "
            f"got remove={tuple(parts)!r} with name={name!r}"
        )
    folder = _benchmark_folder(name)
    path = folder / f"{split}.jsonl"
    if not path.is_file():
        present = [candidate for candidate in _SPLITS if (folder / f"{candidate}.jsonl").is_file()]
        raise DatasetNotFoundError(f"split must be one of the splits of {name!r}: {present}, got {split!r}")
    label_names = _read_label_names(folder)
    remap = None
    if categories is not None:
        label_names = _select_categories(categories, label_names)
        all_names = _read_label_names(folder)
        remap = {all_names.index(category): index for index, category in enumerate(label_names)}
    return from_records(
        _rows(path, remap=remap, cleaners=[_CLEANERS[part] for part in parts], limit=limit),
        label_names=label_names,
        target_labels=np.arange(len(label_names)),
        multi_label=_first_label_is_list(path),
    )


def fetch_20newsgroups(
    subset: str = "train",
    categories: Iterable[str] | None = None,
    remove: Iterable[str] = (),
    shuffle: bool = True,
    random_state: Any = 42,
) -> Bunch:
    """Load 20 Newsgroups from the shared data folder, as :func:`sklearn.datasets.fetch_20newsgroups` does.

    A drop-in for the scikit-learn function in programs that must not download: the same documents (the
    ``bydate`` split) and the same labels, read from the ``20newsgroups`` benchmark. The shuffled order
    differs from scikit-learn's, and there are no ``filenames``.

    Parameters
    ----------
    subset : {"train", "test", "all"}, default="train"
        The split; ``"all"`` is the training documents followed by the test documents (before shuffling).
    categories : iterable of str, optional
        Load only these newsgroups; their class indices follow the sorted names.
    remove : iterable of {"headers", "footers", "quotes"}, default=()
        Parts of the posts to remove, see :func:`load_benchmark`.
    shuffle : bool, default=True
        Whether to shuffle the documents.
    random_state : int, numpy.random.Generator or None, default=42
        The seed of the shuffle, passed to :func:`numpy.random.default_rng`.

    Returns
    -------
    sklearn.utils.Bunch
        ``data`` (list of str), ``target`` (int64 array), ``target_names`` (list of str) and ``DESCR`` (the
        benchmark's README).

    Raises
    ------
    InvalidArgumentError
        If ``subset``, ``categories`` or ``remove`` is not valid.
    DatasetNotFoundError
        If the data folder or the benchmark cannot be found.
    """
    parts = {"train": ("train",), "test": ("test",), "all": ("train", "test")}
    if subset not in parts:
        raise InvalidArgumentError(f"subset must be one of {list(parts)}, got {subset!r}")
    if categories is not None and not isinstance(categories, str):
        categories = list(categories)
    removed = _check_remove(remove)
    splits = [load_benchmark(_NEWSGROUPS, split, categories=categories, remove=removed) for split in parts[subset]]
    data = [text for split in splits for text in split.x]
    target = np.concatenate([split.y for split in splits])
    if shuffle:
        order = np.random.default_rng(random_state).permutation(len(data))
        data = [data[index] for index in order]
        target = target[order]
    readme = data_root() / _NEWSGROUPS / "README.md"
    return Bunch(
        data=data,
        target=target,
        target_names=list(splits[0].label_names or ()),
        DESCR=readme.read_text(encoding="utf-8") if readme.is_file() else "",
    )
