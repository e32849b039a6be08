"""Nearest-neighbour search behind one interface: exact (numpy) and approximate (hnswlib, faiss).

Strategies that need neighbours (SEALS, AnchorAL, ProbCover, TypiClust, information density, ...) take a
:class:`VectorIndex` factory, so users choose exact or approximate search. :class:`HnswIndex` and
:class:`FaissIndex` import their optional packages (``activetext[ann]``, ``activetext[faiss]``) only when an index
is created, so importing this package needs neither.
"""

from activetext.vector_indexes.base import Metric, VectorIndex
from activetext.vector_indexes.exact import ExactIndex
from activetext.vector_indexes.faiss import FaissIndex, FaissIndexType
from activetext.vector_indexes.hnsw import HnswIndex

__all__ = ["ExactIndex", "FaissIndex", "FaissIndexType", "HnswIndex", "Metric", "VectorIndex"]
