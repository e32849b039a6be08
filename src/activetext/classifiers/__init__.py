"""Classifiers behind one contract (see :mod:`activetext.classifiers.base`) and the factories that create them."""

from activetext.classifiers.base import Classifier
from activetext.classifiers.sklearn import (
    ConfidenceEnhancedLinearSVC,
    ProbabilityCalibration,
    SklearnClassifier,
)

__all__ = ["Classifier", "ConfidenceEnhancedLinearSVC", "ProbabilityCalibration", "SklearnClassifier"]
