"""Check a configuration against the data and the components, and expand it into runs.

Everything that can be known before a run starts is checked here, so a bad configuration fails in a second
rather than after an hour: data sets exist and load, every type is registered and its options are accepted, a
strategy fits its classifier and the data (BALD needs posterior samples; CVIRS needs multi-label data), and the
budget fits the pool. Every error names the configuration key and its line.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from activetext.exceptions import ActiveTextError
from activetext.query_strategies.embeddings import PrecomputedEmbeddings
from activetext.simulation.components import (
    CLASSIFIER_TYPES,
    STOPPING_CRITERION_TYPES,
    STRATEGY_TYPES,
    Features,
    Labels,
    StrategyContext,
    build_stopping_criterion,
    stopping_option_names,
)
from activetext.simulation.config import ComponentSpec, DatasetSpec, SimulationConfig
from activetext.simulation.runner import RunSpec

__all__ = ["RANDOM", "plan_runs", "with_random_baseline"]

RANDOM = ComponentSpec(name="random", type="random")
"""Random sampling, the lower reference every configuration is compared with."""


def with_random_baseline(config: SimulationConfig) -> SimulationConfig:
    """Return ``config`` with random sampling among its strategies (added first when missing)."""
    if any(spec.type == "random" and not spec.options for spec in config.strategies):
        return config
    if any(spec.name == "random" for spec in config.strategies):
        raise config.error("strategies", "the name 'random' is reserved for random sampling; rename that strategy")
    return replace(config, strategies=(RANDOM, *config.strategies))


def plan_runs(config: SimulationConfig, cache_dir: str | Path) -> list[RunSpec]:
    """Check ``config`` and return its runs: passive baselines first, then every active combination.

    Parameters
    ----------
    config : SimulationConfig
    cache_dir : str or path-like
        The folder of prepared features that runs read.

    Returns
    -------
    list of RunSpec

    Raises
    ------
    InvalidConfigurationError
        If a data set is missing or does not load, a type is unknown, an option is not accepted, a strategy does
        not fit a classifier or the data, or the budget exceeds a pool.
    """
    config = with_random_baseline(config)
    shapes = {spec.name: _check_dataset(config, i, spec) for i, spec in enumerate(config.datasets)}
    for i, classifier in enumerate(config.classifiers):
        _check_classifier(config, i, classifier)
        if config.initialization == "diverse" and CLASSIFIER_TYPES[classifier.type].features is Features.TEXT:
            raise config.error(
                "initialization",
                f"initialization 'diverse' clusters the prepared vectors, which classifier {classifier.name!r} "
                f"({classifier.type}) does not have; use it with tfidf-* or frozen-encoder classifiers",
            )
    for i, criterion in enumerate(config.stopping_criteria):
        _check_criterion(config, i, criterion)
    for dataset in config.datasets:
        n_pool, multi_label = shapes[dataset.name]
        for classifier in config.classifiers:
            for j, strategy in enumerate(config.strategies):
                _check_strategy(config, j, strategy, classifier, multi_label, dataset.name)
    for dataset in config.datasets:
        n_pool, _ = shapes[dataset.name]
        if config.budget > n_pool:
            key = "budget" if "budget" in config.lines else "iterations"
            raise config.error(
                key,
                f"the budget of {config.budget} labels ({config.initial_size} initial + {config.iterations} queries of "
                f"{config.batch_size}) exceeds the pool of data set {dataset.name!r} ({n_pool} documents)",
            )

    cache = str(Path(cache_dir))
    protocol = {
        "initialization": config.initialization,
        "initial_size": config.initial_size,
        "batch_size": config.batch_size,
        "budget": config.budget,
        "stopping_criteria": config.stopping_criteria,
        "stop_set_size": config.stop_set_size,
        "cache_dir": cache,
    }
    runs = [
        RunSpec(dataset, classifier, None, seed, **protocol)
        for dataset in config.datasets
        for classifier in config.classifiers
        for seed in config.seeds
    ]
    runs += [
        RunSpec(dataset, classifier, strategy, seed, **protocol)
        for seed in config.seeds
        for dataset in config.datasets
        for classifier in config.classifiers
        for strategy in config.strategies
    ]
    return runs


def _check_dataset(config: SimulationConfig, index: int, spec: DatasetSpec) -> tuple[int, bool]:
    """Load a data set (it is cached for the feature preparation); return its pool size and whether it is
    multi-label."""
    from activetext.datasets import list_benchmarks
    from activetext.simulation.data import load_texts

    key = f"datasets[{index}]"
    if spec.benchmark is not None:
        try:
            available = list_benchmarks()
        except ActiveTextError as error:
            raise config.error(f"{key}.name", f"data set {spec.benchmark!r}: {error}") from error
        if spec.benchmark not in available:
            field = "benchmark" if f"{key}.benchmark" in config.lines else "name"
            raise config.error(
                f"{key}.{field}",
                f"unknown shared data set {spec.benchmark!r}; the shared data sets are {available} "
                "(or give path = a CSV or JSONL file of your own)",
            )
    for field in ("path", "test_path"):
        path = getattr(spec, field)
        if path is not None and not Path(path).is_file():
            raise config.error(f"{key}.{field}", f"data set {spec.name!r}: {field} {path!r} is not a file")
    try:
        train, test = load_texts(spec)
    except (ActiveTextError, OSError, ValueError) as error:
        raise config.error(key, f"data set {spec.name!r} does not load: {error}") from error
    if len(test) == 0:
        raise config.error(key, f"data set {spec.name!r} has an empty test set")
    return len(train), bool(train.is_multi_label)


def _check_classifier(config: SimulationConfig, index: int, spec: ComponentSpec) -> None:
    key = f"classifiers[{index}]"
    if spec.type not in CLASSIFIER_TYPES:
        raise config.error(
            f"{key}.type", f"unknown classifier type {spec.type!r}; expected one of {sorted(CLASSIFIER_TYPES)}"
        )
    classifier_type = CLASSIFIER_TYPES[spec.type]
    vectorizer = spec.options.get("vectorizer", {})
    if not isinstance(vectorizer, dict):
        raise config.error(
            f"{key}.vectorizer", f"vectorizer must be a table of TfidfVectorizer options, got {vectorizer!r}"
        )
    if vectorizer:
        from sklearn.feature_extraction.text import TfidfVectorizer

        try:
            TfidfVectorizer(**vectorizer)
        except TypeError as error:
            raise config.error(f"{key}.vectorizer", f"classifier {spec.name!r}: {error}") from error
    try:
        classifier_type.factory(spec.options, 0)
    except (TypeError, ValueError, ActiveTextError) as error:
        raise config.error(
            key, f"classifier {spec.name!r} ({spec.type}) does not accept its options: {error}"
        ) from error


def _check_criterion(config: SimulationConfig, index: int, spec: ComponentSpec) -> None:
    key = f"stopping_criteria[{index}]"
    if spec.type not in STOPPING_CRITERION_TYPES:
        raise config.error(
            f"{key}.type",
            f"unknown stopping criterion {spec.type!r}; expected one of {sorted(STOPPING_CRITERION_TYPES)}",
        )
    _check_option_names(config, key, spec, stopping_option_names(spec.type))
    try:
        build_stopping_criterion(spec.type, spec.options, 2)
    except (TypeError, ValueError, ActiveTextError) as error:
        raise config.error(key, f"stopping criterion {spec.name!r}: {error}") from error


def _check_strategy(
    config: SimulationConfig,
    index: int,
    spec: ComponentSpec | str | dict[str, Any],
    classifier: ComponentSpec,
    multi_label: bool,
    dataset: str,
) -> None:
    key = f"strategies[{index}]"
    if isinstance(spec, (str, dict)):  # the base of a wrapper
        spec = ComponentSpec.of(spec)
    if spec.type not in STRATEGY_TYPES:
        raise config.error(key, f"unknown query strategy {spec.type!r}; expected one of {sorted(STRATEGY_TYPES)}")
    strategy_type = STRATEGY_TYPES[spec.type]
    _check_option_names(config, key, spec, strategy_type.option_names())
    classifier_type = CLASSIFIER_TYPES[classifier.type]
    data_kind = Labels.MULTI if multi_label else Labels.SINGLE
    if strategy_type.labels not in (Labels.ANY, data_kind):
        raise config.error(
            key,
            f"strategy {spec.name!r} scores {strategy_type.labels.value} data; data set {dataset!r} is "
            f"{data_kind.value}",
        )
    needed = strategy_type.requires
    if needed is None and "embeddings" in strategy_type.context and classifier_type.features is Features.TEXT:
        from activetext.classifiers.capabilities import SupportsEmbeddings

        needed = SupportsEmbeddings
    if needed is not None and needed not in classifier_type.capabilities:
        raise config.error(
            key,
            f"strategy {spec.name!r} needs a classifier with the {needed.__name__} capability; classifier "
            f"{classifier.name!r} ({classifier.type}) does not offer it. Classifiers that do: "
            f"{sorted(name for name, t in CLASSIFIER_TYPES.items() if needed in t.capabilities)}",
        )
    for member in _members(spec):
        _check_strategy(config, index, member, classifier, multi_label, dataset)
    try:
        context = StrategyContext(PrecomputedEmbeddings(np.zeros((1, 1))), classifier_type.factory({}, 0), _dummy_base)
        strategy_type.build(spec.options, 0, context)
    except (TypeError, ValueError, ActiveTextError) as error:
        raise config.error(key, f"strategy {spec.name!r} does not accept its options: {error}") from error


def _members(spec: ComponentSpec) -> list[Any]:
    """The inner strategies of a wrapper or a bandit."""
    context = STRATEGY_TYPES[spec.type].context
    if "base_strategy" in context:
        return [spec.options.get("base", "breaking-ties")]
    if "strategies" in context:
        return list(spec.options.get("strategies", ["breaking-ties", "random"]))
    return []


def _dummy_base(entry: Any) -> Any:
    from activetext.query_strategies import RandomSampling

    return RandomSampling(seed=0)


def _check_option_names(config: SimulationConfig, key: str, spec: ComponentSpec, allowed: set[str]) -> None:
    for name in spec.options:
        if name not in allowed:
            raise config.error(
                f"{key}.{name}",
                f"unknown option {name!r} of {spec.type!r}; expected one of {sorted(allowed)}",
            )
