"""Active learners.

* :class:`PoolBasedActiveLearner` queries documents from a fixed pool.
* :class:`StreamBasedActiveLearner` decides, document by document of a stream, whether to ask for a label, under a
  budget (:mod:`activetext.active_learner.budget`); :func:`simulate_stream` measures it on labeled data.
"""

from activetext.active_learner.pool import PoolBasedActiveLearner
from activetext.active_learner.stream import LabelRequest, StreamBasedActiveLearner, StreamSummary
from activetext.active_learner.stream_simulation import StreamCheckpoint, StreamSimulation, simulate_stream

__all__ = [
    "LabelRequest",
    "PoolBasedActiveLearner",
    "StreamBasedActiveLearner",
    "StreamCheckpoint",
    "StreamSimulation",
    "StreamSummary",
    "simulate_stream",
]
