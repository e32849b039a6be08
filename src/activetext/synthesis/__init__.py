"""Membership query synthesis: the learner writes new texts to be labeled instead of choosing existing ones.

A :class:`CandidateGenerator` writes candidate texts from the labeled documents (:class:`BoundaryRecombination`,
:class:`EmbeddingNeighbourSubstitution`, or any function ``f(texts, labels, n, rng) -> list[str]``, such as a call
to a language model); a :class:`QuerySynthesizer` drops duplicates and known texts and keeps the candidates the
classifier is least sure about; a :class:`SynthesisActiveLearner` runs the loop, adding every labeled query to its
training data as a new document.
"""

from activetext.synthesis.boundary import boundary_pairs, pair_closeness
from activetext.synthesis.generators import CallableGenerator, CandidateGenerator, GeneratorFunction, as_generator
from activetext.synthesis.learner import SynthesisActiveLearner
from activetext.synthesis.recombination import BoundaryRecombination, crossover
from activetext.synthesis.substitution import EmbeddingNeighbourSubstitution
from activetext.synthesis.synthesizer import QuerySynthesizer, SynthesisResult
from activetext.synthesis.text import split_sentences, split_units, text_key

__all__ = [
    "BoundaryRecombination",
    "CallableGenerator",
    "CandidateGenerator",
    "EmbeddingNeighbourSubstitution",
    "GeneratorFunction",
    "QuerySynthesizer",
    "SynthesisActiveLearner",
    "SynthesisResult",
    "as_generator",
    "boundary_pairs",
    "crossover",
    "pair_closeness",
    "split_sentences",
    "split_units",
    "text_key",
]
