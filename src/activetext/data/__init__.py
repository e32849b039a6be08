"""Datasets, label conventions and loaders.

The names most programs need are importable from here: :class:`SklearnDataset` (also spelled
:class:`SklearnDataSet`) for feature matrices and :class:`TextDataset` for raw texts.
"""

from activetext.data.datasets import Dataset, SklearnDataSet, SklearnDataset, TextDataset
from activetext.data.labels import LABEL_UNLABELED, LabelSetInferredWarning

__all__ = [
    "LABEL_UNLABELED",
    "Dataset",
    "LabelSetInferredWarning",
    "SklearnDataSet",
    "SklearnDataset",
    "TextDataset",
]
