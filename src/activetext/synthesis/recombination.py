"""Candidates made of the parts of two labeled documents of different classes near the decision boundary."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from activetext.classifiers.base import Classifier
from activetext.encoders.base import check_texts
from activetext.synthesis.boundary import boundary_documents
from activetext.synthesis.generators import CandidateGenerator
from activetext.synthesis.text import split_units
from activetext.utils.validation import check_positive_int

__all__ = ["BoundaryRecombination", "crossover"]


def crossover(head: Sequence[str], tail: Sequence[str], rng: np.random.Generator) -> str:
    """Join a leading part of ``head`` and a trailing part of ``tail`` (a one-point crossover).

    The cut points keep at least one unit of each side and, when a side has two units or more, leave at least one
    unit of it out, so the result is never one of the two inputs (nor, for two-unit inputs, their concatenation).

    Parameters
    ----------
    head, tail : sequence of str
        Units (sentences or words, see :func:`~activetext.synthesis.text.split_units`); neither may be empty.
    rng : numpy.random.Generator
        Chooses the cut points.

    Returns
    -------
    str
        ``" ".join(head[:a] + tail[b:])`` with ``1 <= a <= max(1, len(head) - 1)`` and
        ``min(1, len(tail) - 1) <= b <= len(tail) - 1``.

    Examples
    --------
    >>> crossover(["The team won.", "Fans cheered."], ["Stocks fell.", "Markets closed."], np.random.default_rng(0))
    'The team won. Markets closed.'
    """
    a = int(rng.integers(1, max(1, len(head) - 1) + 1))
    b = int(rng.integers(min(1, len(tail) - 1), len(tail)))
    return " ".join([*head[:a], *tail[b:]])


class BoundaryRecombination(CandidateGenerator):
    """Recombine sentences (or word spans) of labeled documents of different classes near the decision boundary.

    The pairs come from :func:`~activetext.synthesis.boundary.boundary_pairs`: documents of different classes
    that the classifier finds hard to tell apart. Each candidate takes a leading part of one member of a pair and a
    trailing part of the other (:func:`crossover`), in an order drawn at random. A document with several sentences
    is cut between sentences, a one-sentence document between words. Pairs are used in turn, most ambiguous first,
    until ``n`` candidates are written; short documents give few distinct recombinations, so some candidates may
    repeat (the synthesizer removes duplicates).

    Parameters
    ----------
    n_pairs : int
        The largest number of document pairs recombined in one call.
    max_anchors : int
        How many of the worst-fitted labeled documents are searched for partners (see
        :func:`~activetext.synthesis.boundary.boundary_pairs`).
    unlabeled_texts : sequence of str
        Unlabeled texts (for example the pool) that may also be recombined, with the class the classifier predicts
        for them. They bring words and topics that no labeled document contains; without them every candidate is
        made of labeled text only.
    max_unlabeled : int
        How many unlabeled texts are drawn at random per call (their probabilities are predicted each call).
    """

    def __init__(
        self,
        n_pairs: int = 50,
        max_anchors: int = 200,
        unlabeled_texts: Sequence[str] = (),
        max_unlabeled: int = 200,
    ):
        self.n_pairs = check_positive_int(n_pairs, name="n_pairs")
        self.max_anchors = check_positive_int(max_anchors, name="max_anchors")
        self.unlabeled_texts = tuple(check_texts(unlabeled_texts, name="unlabeled_texts"))
        self.max_unlabeled = check_positive_int(max_unlabeled, name="max_unlabeled")

    def generate(
        self,
        texts: Sequence[str],
        labels: np.ndarray,
        classifier: Classifier,
        n: int,
        rng: np.random.Generator,
    ) -> list[str]:
        """Return ``n`` recombinations of boundary pairs (see :meth:`CandidateGenerator.generate`).

        Raises
        ------
        SynthesisError
            If the non-empty labeled texts do not cover at least two classes.
        """
        documents, _, pairs = boundary_documents(
            texts,
            labels,
            classifier,
            self.n_pairs,
            self.max_anchors,
            unlabeled=self.unlabeled_texts,
            max_unlabeled=self.max_unlabeled,
            rng=rng,
            generator=self,
        )
        units = [split_units(text) for text in documents]
        candidates = []
        for k in range(n):
            first, second = pairs[k % len(pairs)]
            if rng.random() < 0.5:
                first, second = second, first
            candidates.append(crossover(units[first], units[second], rng))
        return candidates

    def __repr__(self) -> str:
        unlabeled = f", unlabeled_texts=<{len(self.unlabeled_texts)} texts>" if self.unlabeled_texts else ""
        return f"BoundaryRecombination(n_pairs={self.n_pairs}, max_anchors={self.max_anchors}{unlabeled})"
