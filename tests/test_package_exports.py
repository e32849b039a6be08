"""The package's top-level names: small-text programs that import from the package itself run unchanged."""

from __future__ import annotations

import importlib
import subprocess
import sys

import numpy as np
import pytest

import activetext


@pytest.mark.parametrize("module", sorted(activetext._EXPORTS))
def test_every_public_name_of_the_exported_modules_is_importable_from_the_package(module):
    public = set(importlib.import_module(module).__all__)
    exported_here = {name for name, origin in activetext._MODULE_OF.items() if origin == module}
    exported_elsewhere = {name for name in public if activetext._MODULE_OF.get(name) not in (None, module)}
    assert public - exported_elsewhere == exported_here
    for name in exported_here:
        assert getattr(activetext, name) is getattr(importlib.import_module(module), name)


def test_importing_the_package_loads_no_submodule_until_a_name_is_used():
    code = "import sys, activetext; print(sorted(m for m in sys.modules if m.startswith('activetext.')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_an_unknown_name_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'PoolBasedLearner'"):
        activetext.PoolBasedLearner  # noqa: B018


def test_a_small_text_style_loop_with_top_level_imports():
    from activetext import (
        BreakingTies,
        ConfidenceEnhancedLinearSVC,
        KappaAverage,
        PoolBasedActiveLearner,
        SklearnClassifierFactory,
        SklearnDataset,
        random_initialization_balanced,
    )

    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 30)
    x = np.eye(3)[y] * 3 + rng.normal(size=(90, 3))
    pool = SklearnDataset(x, y, target_labels=np.arange(3))
    learner = PoolBasedActiveLearner(SklearnClassifierFactory(ConfidenceEnhancedLinearSVC(), 3), BreakingTies(), pool)
    initial = random_initialization_balanced(y, n_samples=6)
    learner.initialize_data(initial, y[initial])
    criterion = KappaAverage(num_classes=3)
    for _ in range(3):
        queried = learner.query(num_samples=5)
        learner.update(y[queried])
        criterion.stop(predictions=learner.classifier.predict(pool))
    assert learner.indices_labeled.size == 21
    assert np.bincount(y[initial]).tolist() == [2, 2, 2]
