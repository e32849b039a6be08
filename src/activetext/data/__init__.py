"""Datasets, label conventions and loaders.

The names most programs need are importable from here: :class:`SklearnDataset` (also spelled
:class:`SklearnDataSet`) for feature matrices and :class:`TextDataset` for raw texts; :class:`MemmapDataset` and
:class:`ChunkedSparseDataset` for features that stay on disk.
"""

from activetext.data.datasets import Dataset, SklearnDataSet, SklearnDataset, TextDataset
from activetext.data.labels import LABEL_UNLABELED, LabelSetInferredWarning
from activetext.data.ondisk import ChunkedSparseDataset, MemmapDataset, write_sparse_chunks

__all__ = [
    "LABEL_UNLABELED",
    "ChunkedSparseDataset",
    "Dataset",
    "LabelSetInferredWarning",
    "MemmapDataset",
    "SklearnDataSet",
    "SklearnDataset",
    "TextDataset",
    "write_sparse_chunks",
]
