"""The bookkeeping of a pool: which documents are labeled (and how), ignored, or held out for validation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from activetext.data.labels import LABEL_UNLABELED, unlabeled_like

__all__ = ["PoolState"]


@dataclass
class PoolState:
    """Labels and masks aligned with the pool's dataset.

    The learner never edits a state in place: every operation works on a :meth:`copy` and replaces the state only
    when the whole operation (retraining included) has succeeded.

    Attributes
    ----------
    y : numpy.ndarray or scipy.sparse.csr_matrix
        The learner's labels, one entry (or row) per document; ``-1`` (or an empty row) where unlabeled.
    labeled : numpy.ndarray of bool
        Which documents carry a label from the learner. Kept explicitly because a multi-label document may be
        labeled with the empty label set.
    ignored : numpy.ndarray of bool
        Documents excluded from querying and training.
    validation : numpy.ndarray of bool
        Labeled documents held out from training and given to the classifier as validation data.
    """

    y: np.ndarray | sp.csr_matrix
    labeled: np.ndarray
    ignored: np.ndarray
    validation: np.ndarray

    @classmethod
    def empty(cls, n_samples: int, num_classes: int, *, multi_label: bool) -> PoolState:
        """Return the state of a pool in which nothing is labeled, ignored or held out."""
        return cls(
            y=unlabeled_like(n_samples, num_classes, multi_label=multi_label),
            labeled=np.zeros(n_samples, dtype=bool),
            ignored=np.zeros(n_samples, dtype=bool),
            validation=np.zeros(n_samples, dtype=bool),
        )

    def copy(self) -> PoolState:
        """Return a deep copy."""
        return PoolState(self.y.copy(), self.labeled.copy(), self.ignored.copy(), self.validation.copy())

    @property
    def unlabeled(self) -> np.ndarray:
        """Documents that can be queried: neither labeled nor ignored."""
        return ~(self.labeled | self.ignored)

    def set_labels(self, indices: np.ndarray, labels: np.ndarray | sp.csr_matrix) -> None:
        """Label the documents at ``indices`` (labels already validated)."""
        if sp.issparse(self.y):
            self.y = _replace_rows(self.y, indices, labels)
        else:
            self.y[indices] = labels
        self.labeled[indices] = True

    def clear_labels(self, indices: np.ndarray) -> None:
        """Return the documents at ``indices`` to the unlabeled pool."""
        if sp.issparse(self.y):
            self.y = _replace_rows(self.y, indices, sp.csr_matrix((indices.size, self.y.shape[1]), dtype=np.int64))
        else:
            self.y[indices] = LABEL_UNLABELED
        self.labeled[indices] = False
        self.validation[indices] = False


def _replace_rows(matrix: sp.csr_matrix, indices: np.ndarray, rows: sp.csr_matrix) -> sp.csr_matrix:
    """Return ``matrix`` with the rows at ``indices`` replaced by ``rows`` (linear in the matrix size)."""
    keep = np.ones(matrix.shape[0], dtype=bool)
    keep[indices] = False
    selector = sp.diags(keep.astype(np.int64), format="csr", dtype=np.int64)
    placement = sp.csr_matrix(
        (np.ones(indices.size, dtype=np.int64), (indices, np.arange(indices.size))),
        shape=(matrix.shape[0], indices.size),
    )
    result = (selector @ matrix + placement @ sp.csr_matrix(rows)).tocsr()
    result.eliminate_zeros()
    result.sort_indices()
    return result
