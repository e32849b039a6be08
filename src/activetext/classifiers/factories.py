"""Classifier factories: an active learner asks its factory for a fresh classifier before each retraining."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from sklearn.base import BaseEstimator

from activetext.classifiers.base import Classifier
from activetext.classifiers.sklearn import SklearnClassifier
from activetext.exceptions import InvalidArgumentError

__all__ = [
    "AbstractClassifierFactory",
    "ClassifierFactory",
    "PretrainedModelClassifierFactory",
    "SklearnClassifierFactory",
]


class ClassifierFactory(ABC):
    """Creates new, unfitted classifiers of one configuration."""

    @abstractmethod
    def new(self) -> Classifier:
        """Return a new, unfitted classifier."""


AbstractClassifierFactory = ClassifierFactory
"""The name small-text uses for the factory base class."""


class SklearnClassifierFactory(ClassifierFactory):
    """Creates :class:`~activetext.classifiers.SklearnClassifier` objects around clones of one estimator.

    Parameters
    ----------
    base_estimator : sklearn estimator
        The template, for example ``ConfidenceEnhancedLinearSVC()``. As in scikit-learn's meta-estimators, it is
        stored, not copied, and never fitted itself: every ``fit`` works on a fresh clone.
    num_classes : int, optional
        The size of the label set. Leave it out to take it from the training data at ``fit``.
    kwargs : dict, optional
        Further keyword arguments for :class:`~activetext.classifiers.SklearnClassifier`, such as
        ``class_weight`` or ``calibration``.

    Examples
    --------
    >>> from activetext.classifiers import ConfidenceEnhancedLinearSVC
    >>> factory = SklearnClassifierFactory(ConfidenceEnhancedLinearSVC())
    >>> factory.new()
    SklearnClassifier(ConfidenceEnhancedLinearSVC(), num_classes=None)
    """

    def __init__(
        self,
        base_estimator: BaseEstimator,
        num_classes: int | None = None,
        kwargs: dict[str, Any] | None = None,
    ):
        if not hasattr(base_estimator, "fit") or not hasattr(base_estimator, "get_params"):
            raise InvalidArgumentError(f"base_estimator must be a scikit-learn estimator, got {base_estimator!r}")
        self.base_estimator = base_estimator
        self.num_classes = num_classes
        self.kwargs = dict(kwargs) if kwargs else {}
        self.new()  # validates num_classes and kwargs now rather than at the first retraining

    def new(self) -> SklearnClassifier:
        """Return a new, unfitted :class:`~activetext.classifiers.SklearnClassifier` for the template."""
        return SklearnClassifier(self.base_estimator, self.num_classes, **self.kwargs)

    def __repr__(self) -> str:
        return f"SklearnClassifierFactory({self.base_estimator!r}, num_classes={self.num_classes})"


class PretrainedModelClassifierFactory(ClassifierFactory):
    """Base of the factories of classifiers built on a pretrained model: ``classifier_class(model, num_classes,
    **kwargs)``.

    It holds only the configuration, never a model, so an active learner saves it in a few kilobytes. The
    configuration is validated when the factory is created (cheap: no model is loaded).

    Parameters
    ----------
    model : str or os.PathLike, optional
        A local model folder or a model name (default: the classifier's own default).
    num_classes : int, optional
        The size of the label set (default: taken from the training data).
    kwargs : dict, optional
        Further keyword arguments of ``classifier_class``.
    """

    classifier_class: ClassVar[type[Classifier]]
    """The classifier a subclass creates."""

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        num_classes: int | None = None,
        kwargs: dict[str, Any] | None = None,
    ):
        self.model = model
        self.num_classes = num_classes
        self.kwargs = dict(kwargs) if kwargs else {}
        self.new()

    def new(self) -> Classifier:
        """Return a new, unfitted classifier of the factory's configuration."""
        return self.classifier_class(self.model, self.num_classes, **self._classifier_kwargs())

    def _classifier_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of one new classifier (subclasses copy templates here)."""
        return self.kwargs

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, num_classes={self.num_classes})"
