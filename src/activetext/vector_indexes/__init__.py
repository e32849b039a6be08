"""Nearest-neighbour search behind one interface: exact (numpy) and approximate (hnswlib, faiss).

Strategies that need neighbours (SEALS, ProbCover, TypiClust, information density, ...) take a
:class:`VectorIndex` factory, so users choose exact or approximate search.
"""

from activetext.vector_indexes.base import Metric, VectorIndex
from activetext.vector_indexes.exact import ExactIndex

__all__ = ["ExactIndex", "Metric", "VectorIndex"]
