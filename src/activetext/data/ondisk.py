"""Datasets whose features stay on disk: dense embeddings in a memory-mapped ``.npy`` file, sparse TF-IDF in a
folder of CSR chunks.

Both are :class:`~activetext.data.datasets.Dataset` objects, so the learner, the classifiers and the strategies use
them unchanged: selecting rows (``dataset[indices]``) reads only those rows from disk and returns an in-memory
:class:`~activetext.data.datasets.SklearnDataset`, and strategies already read candidates ``chunk_size`` rows at a
time. Labels stay in memory (one int per document).

Pickling either dataset (to send it to a Dask worker, for example) carries the file path and the labels, never the
features: the receiving process opens the files itself, so every machine must see them at the same path.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from activetext.data.datasets import Dataset, SklearnDataset
from activetext.exceptions import InvalidArgumentError
from activetext.utils.validation import check_finite_features, check_positive_int

__all__ = ["ChunkedSparseDataset", "ChunkedSparseMatrix", "MemmapDataset", "write_sparse_chunks"]

_MANIFEST = "manifest.json"
_FORMAT = "activetext-sparse-chunks"
_FORMAT_VERSION = 1
_HASH_ROWS = 1 << 16


def _rows_dataset(x: Any, y: Any, num_classes: int, label_names: tuple[str, ...] | None) -> SklearnDataset:
    """An in-memory :class:`SklearnDataset` of already checked rows (no second finiteness scan)."""
    subset = object.__new__(SklearnDataset)
    subset._x = x
    subset._y = y
    subset._num_classes = num_classes
    subset._label_names = label_names
    return subset


class _OnDiskDataset(Dataset):
    """What both on-disk datasets share: rows come back as an in-memory SklearnDataset; pickles by path."""

    def __getitem__(self, key: Any) -> SklearnDataset:  # type: ignore[override]
        """Read the documents at ``key`` (an int, a slice, an index array or a boolean mask) into memory.

        Returns
        -------
        SklearnDataset
            The rows as an in-memory dataset with the same label set.
        """
        indices = self._resolve_key(key)
        return _rows_dataset(self._read_rows(indices), self._y[indices], self._num_classes, self._label_names)

    def with_labels(self, y: Any) -> _OnDiskDataset:  # type: ignore[override]
        relabeled = self._reopen()
        Dataset.__init__(relabeled, y, target_labels=self.target_labels, label_names=self._label_names)
        return relabeled

    def _read_rows(self, indices: np.ndarray) -> Any:
        raise NotImplementedError

    def _reopen(self) -> _OnDiskDataset:
        raise NotImplementedError

    def chunk_bounds(self) -> np.ndarray:
        """Row boundaries of the chunks the features are best read in: ``[0, ..., len(self)]``."""
        raise NotImplementedError

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_x", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._x = self._open()

    def _open(self) -> Any:
        raise NotImplementedError


class MemmapDataset(_OnDiskDataset):
    """Dense features (for example sentence embeddings) in a ``.npy`` file, memory-mapped read-only.

    Only the rows a classifier or strategy asks for are read; the operating system keeps recently read pages in
    its cache and drops them under memory pressure, so the pool can be larger than memory.

    Parameters
    ----------
    path : str or pathlib.Path
        A 2-D ``.npy`` file (write one with ``numpy.lib.format.open_memmap`` or
        :func:`activetext.encoders.chunked.encode_to_memmap`).
    y, target_labels, label_names
        See :class:`~activetext.data.datasets.Dataset`.
    chunk_size : int
        Rows per chunk in :meth:`chunk_bounds`, and rows read at a time by the finiteness check and the fingerprint.
    check_finite : bool
        Scan the file once for NaN and infinity (chunk by chunk) when the dataset is opened.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> path = tempfile.mkdtemp() + "/x.npy"
    >>> np.save(path, np.arange(6, dtype=np.float32).reshape(3, 2))
    >>> data = MemmapDataset(path, np.array([0, 1, -1]), target_labels=[0, 1])
    >>> data[[2, 0]].x.tolist(), type(data[[2, 0]]).__name__
    ([[4.0, 5.0], [0.0, 1.0]], 'SklearnDataset')
    """

    def __init__(
        self,
        path: str | Path,
        y: Any = None,
        target_labels: Any = None,
        label_names: Sequence[str] | None = None,
        chunk_size: int = 65536,
        check_finite: bool = True,
    ):
        self.path = Path(path)
        self.chunk_size = check_positive_int(chunk_size, name="chunk_size")
        if not self.path.is_file():
            raise InvalidArgumentError(f"path must be an existing .npy file, got {str(self.path)!r}")
        self._x = self._open()
        if self._x.ndim != 2 or not np.issubdtype(self._x.dtype, np.number):
            raise InvalidArgumentError(
                f"path must hold a 2-D numeric array, got shape {self._x.shape} and dtype {self._x.dtype} "
                f"in {str(self.path)!r}"
            )
        if check_finite:
            for start in range(0, self._x.shape[0], self.chunk_size):
                check_finite_features(self._x[start : start + self.chunk_size], name=f"rows from {start} of x")
        self._fingerprint: tuple[tuple[int, int], str] | None = None
        super().__init__(y, target_labels, label_names)

    def _open(self) -> np.ndarray:
        try:
            return np.load(self.path, mmap_mode="r")
        except ValueError as error:
            raise InvalidArgumentError(f"path must be a .npy file, got {str(self.path)!r}: {error}") from error

    def _reopen(self) -> MemmapDataset:
        clone = object.__new__(MemmapDataset)
        clone.__dict__.update(self.__getstate__())
        clone._x = self._x
        return clone

    def _read_rows(self, indices: np.ndarray) -> np.ndarray:
        return np.asarray(self._x[indices])

    def chunk_bounds(self) -> np.ndarray:
        return np.unique(np.r_[np.arange(0, len(self), self.chunk_size), len(self)]).astype(np.int64)

    def _update_digest(self, digest: Any) -> None:
        digest.update(f"{self._x.shape} {self._x.dtype}".encode())
        for start in range(0, self._x.shape[0], _HASH_ROWS):
            digest.update(np.ascontiguousarray(self._x[start : start + _HASH_ROWS]).tobytes())

    def fingerprint(self) -> str:
        """A SHA-256 of the features, read chunk by chunk; cached until the file's size or time stamp changes."""
        stat = os.stat(self.path)
        stamp = (stat.st_size, stat.st_mtime_ns)
        if self._fingerprint is None or self._fingerprint[0] != stamp:
            self._fingerprint = (stamp, super().fingerprint())
        return self._fingerprint[1]


def write_sparse_chunks(folder: str | Path, chunks: Iterable[Any], *, dtype: Any = np.float32) -> Path:
    """Write sparse matrices, one chunk of rows after another, into ``folder`` as a chunked CSR store.

    Each chunk is checked (finite values, same number of columns) and written as its own ``.npz`` file as it
    arrives, so a pool larger than memory can be written from a generator (for example a
    ``HashingVectorizer`` applied to batches of texts). ``manifest.json`` is written last: a folder without it
    is not a store.

    Parameters
    ----------
    folder : str or pathlib.Path
        Created if missing; must not already hold a store.
    chunks : iterable of scipy.sparse matrices
        The rows, in order; every chunk has the same number of columns.
    dtype : numpy dtype
        The stored value type.

    Returns
    -------
    pathlib.Path
        The folder.
    """
    folder = Path(folder)
    if (folder / _MANIFEST).exists():
        raise InvalidArgumentError(f"folder already holds a chunked sparse store: {str(folder)!r}")
    folder.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, Any]] = []
    n_features: int | None = None
    for number, chunk in enumerate(chunks):
        if not sp.issparse(chunk):
            raise InvalidArgumentError(f"chunks must be scipy.sparse matrices, got {type(chunk).__name__} at {number}")
        matrix = sp.csr_matrix(chunk, dtype=dtype)
        matrix.sum_duplicates()
        if n_features is None:
            n_features = matrix.shape[1]
        elif matrix.shape[1] != n_features:
            raise InvalidArgumentError(
                f"every chunk must have {n_features} columns like the first, got {matrix.shape[1]} in chunk {number}"
            )
        check_finite_features(matrix, name=f"chunk {number}")
        name = f"chunk-{number:06d}.npz"
        sp.save_npz(folder / name, matrix, compressed=False)
        digest = hashlib.sha256()
        for part in (matrix.data, matrix.indices, matrix.indptr):
            digest.update(np.ascontiguousarray(part).tobytes())
        entries.append(
            {"file": name, "rows": int(matrix.shape[0]), "nnz": int(matrix.nnz), "sha256": digest.hexdigest()}
        )
    if n_features is None:
        raise InvalidArgumentError("chunks must hold at least one matrix, got none")
    manifest = {
        "format": _FORMAT,
        "version": _FORMAT_VERSION,
        "shape": [sum(entry["rows"] for entry in entries), n_features],
        "dtype": np.dtype(dtype).str,
        "chunks": entries,
    }
    temporary = folder / (_MANIFEST + ".tmp")
    temporary.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, folder / _MANIFEST)
    return folder


class ChunkedSparseMatrix:
    """Read access to a chunked CSR store: rows by index, or whole chunks, loading one chunk file at a time.

    Parameters
    ----------
    folder : str or pathlib.Path
        A folder written by :func:`write_sparse_chunks`.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        path = self.folder / _MANIFEST
        if not path.is_file():
            raise InvalidArgumentError(f"folder must hold a chunked sparse store (manifest.json), got {str(folder)!r}")
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if manifest.get("format") != _FORMAT or manifest.get("version") != _FORMAT_VERSION:
            raise InvalidArgumentError(
                f"{str(path)!r} is not a version-{_FORMAT_VERSION} {_FORMAT} manifest: "
                f"format={manifest.get('format')!r}, version={manifest.get('version')!r}"
            )
        self.manifest = manifest
        self.shape = (int(manifest["shape"][0]), int(manifest["shape"][1]))
        self.dtype = np.dtype(manifest["dtype"])
        self.bounds = np.r_[0, np.cumsum([entry["rows"] for entry in manifest["chunks"]])].astype(np.int64)
        self._cached: tuple[int, sp.csr_matrix] | None = None

    @property
    def n_chunks(self) -> int:
        return len(self.manifest["chunks"])

    def chunk(self, number: int) -> sp.csr_matrix:
        """Load chunk ``number`` (the last one loaded is kept in memory)."""
        cached = self._cached
        if cached is not None and cached[0] == number:
            return cached[1]
        matrix = sp.csr_matrix(sp.load_npz(self.folder / self.manifest["chunks"][number]["file"]))
        self._cached = (number, matrix)
        return matrix

    def rows(self, indices: np.ndarray) -> sp.csr_matrix:
        """The rows at ``indices`` (already checked to be in range), in that order."""
        indices = np.asarray(indices, dtype=np.int64) % max(self.shape[0], 1)
        if indices.size == 0:
            return sp.csr_matrix((0, self.shape[1]), dtype=self.dtype)
        is_sorted = bool(np.all(indices[1:] >= indices[:-1]))
        order = None if is_sorted else np.argsort(indices, kind="stable")
        ordered = indices if order is None else indices[order]
        numbers = np.searchsorted(self.bounds, ordered, side="right") - 1
        cuts = np.r_[0, np.flatnonzero(np.diff(numbers)) + 1, ordered.size]
        parts = [
            self.chunk(int(numbers[start]))[ordered[start:stop] - self.bounds[numbers[start]]]
            for start, stop in itertools.pairwise(cuts)
        ]
        stacked = parts[0] if len(parts) == 1 else sp.vstack(parts, format="csr")
        if order is None:
            return sp.csr_matrix(stacked)
        inverse = np.empty_like(order)
        inverse[order] = np.arange(order.size)
        return sp.csr_matrix(stacked[inverse])

    def __getitem__(self, key: Any) -> sp.csr_matrix:
        if isinstance(key, slice):
            return self.rows(np.arange(self.shape[0])[key])
        return self.rows(np.atleast_1d(np.asarray(key, dtype=np.int64)))

    def __repr__(self) -> str:
        return f"ChunkedSparseMatrix({str(self.folder)!r}, shape={self.shape}, chunks={self.n_chunks})"


class ChunkedSparseDataset(_OnDiskDataset):
    """Sparse features (for example TF-IDF or hashed n-grams) in a folder of CSR chunks on disk.

    Selecting rows loads only the chunks that hold them, one at a time; strategies that walk candidates in sorted
    order (all of activetext's) therefore read each chunk file about once per query.

    Parameters
    ----------
    folder : str or pathlib.Path
        A store written by :func:`write_sparse_chunks`.
    y, target_labels, label_names
        See :class:`~activetext.data.datasets.Dataset`.

    Examples
    --------
    >>> import tempfile, scipy.sparse as sp
    >>> folder = write_sparse_chunks(tempfile.mkdtemp(), [sp.eye(2, 3), sp.eye(1, 3) * 2])
    >>> data = ChunkedSparseDataset(folder, target_labels=[0, 1])
    >>> len(data), data[[2]].x.toarray().tolist(), data.chunk_bounds().tolist()
    (3, [[2.0, 0.0, 0.0]], [0, 2, 3])
    """

    def __init__(
        self, folder: str | Path, y: Any = None, target_labels: Any = None, label_names: Sequence[str] | None = None
    ):
        self.folder = Path(folder)
        self._x = self._open()
        super().__init__(y, target_labels, label_names)

    def _open(self) -> ChunkedSparseMatrix:
        return ChunkedSparseMatrix(self.folder)

    def _reopen(self) -> ChunkedSparseDataset:
        clone = object.__new__(ChunkedSparseDataset)
        clone.__dict__.update(self.__getstate__())
        clone._x = self._open()
        return clone

    def _read_rows(self, indices: np.ndarray) -> sp.csr_matrix:
        return self._x.rows(indices)

    def chunk_bounds(self) -> np.ndarray:
        return self._x.bounds.copy()

    def _update_digest(self, digest: Any) -> None:
        # the manifest holds a SHA-256 of every chunk's arrays, taken when it was written: cheap and complete
        digest.update(json.dumps(self._x.manifest, sort_keys=True).encode())
