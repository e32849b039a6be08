"""The simulation configuration: a TOML file that describes a grid of experiments.

A configuration names data sets, classifiers, query strategies, stopping criteria and the protocol (initial
size, batch size, budget, seeds). Every combination of a data set, a classifier, a strategy and a seed is one
run. :func:`load_config` reads and checks the file's structure; :func:`activetext.simulation.plan.plan_runs`
checks what needs the data and the components (data sets exist, strategies fit classifiers, the budget fits the
pool) and expands the grid. Both happen before any run starts, and every error names the key and, where it can,
the line of the file.

Example::

    seeds = 5                         # or a list: [0, 1, 2, 3, 4]
    initial_size = 25
    batch_size = 25
    iterations = 20                   # or budget = 525 (total labels, the initial ones included)
    initialization = "random"         # "random", "stratified", "balanced" or "diverse" (cold start)
    strategies = ["random", "breaking-ties", { type = "greedy-coreset" }]
    stopping_criteria = ["kappa-average", { type = "max-labels", max_labels = 300 }]

    [[datasets]]
    name = "ag_news"                  # a shared benchmark by name

    [[datasets]]
    name = "tickets"
    path = "data/tickets.csv"         # your own CSV or JSONL, relative to this file
    test_fraction = 0.2

    [[classifiers]]
    type = "tfidf-linear-svc"
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from activetext.exceptions import InvalidConfigurationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = [
    "ComponentSpec",
    "DatasetSpec",
    "SimulationConfig",
    "load_config",
    "parse_config",
]

INITIALIZATIONS = ("random", "stratified", "balanced", "diverse")
"""The initialization strategies a configuration may name (``diverse``: TypiClust on the prepared vectors, no
labels needed; see :func:`activetext.initialization.diverse_initialization`)."""

_TOP_LEVEL_KEYS = frozenset(
    {
        "name",
        "description",
        "seeds",
        "initial_size",
        "batch_size",
        "budget",
        "iterations",
        "initialization",
        "strategies",
        "stopping_criteria",
        "stop_set_size",
        "datasets",
        "classifiers",
    }
)
_DATASET_KEYS = frozenset(
    {
        "name",
        "benchmark",
        "path",
        "test_path",
        "text_column",
        "label_column",
        "multi_label",
        "test_fraction",
        "pool_size",
        "test_size",
    }
)


@dataclass(frozen=True)
class DatasetSpec:
    """Where a data set comes from and how much of it a simulation uses.

    Attributes
    ----------
    name : str
        The name shown in results.
    benchmark : str or None
        A shared benchmark (see :func:`activetext.datasets.list_benchmarks`); None for a file of your own.
    path, test_path : str or None
        A CSV or JSONL file of your own (absolute paths), and optionally its test file.
    text_column, label_column : str
        The columns of the text and the label in your files.
    multi_label : bool or None
        Whether labels are sets (None: decided by the file, for JSONL).
    test_fraction : float
        Without a test file, the share of your file held out as test set (stratified, seeded).
    pool_size, test_size : int or None
        Subsample the pool or the test set to this size (the same subsample for every run).
    """

    name: str
    benchmark: str | None = None
    path: str | None = None
    test_path: str | None = None
    text_column: str = "text"
    label_column: str = "label"
    multi_label: bool | None = None
    test_fraction: float = 0.2
    pool_size: int | None = None
    test_size: int | None = None


@dataclass(frozen=True)
class ComponentSpec:
    """A classifier, query strategy or stopping criterion: its name in results, its type and its options.

    Attributes
    ----------
    name : str
        The name shown in results (the type when not given).
    type : str
        The registered type, such as ``"breaking-ties"`` or ``"tfidf-linear-svc"``.
    options : dict
        Keyword arguments of the component.
    """

    name: str
    type: str
    options: dict[str, Any] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.name, self.type, json.dumps(self.options, sort_keys=True, default=str)))

    @classmethod
    def of(cls, entry: str | dict[str, Any]) -> ComponentSpec:
        """The spec of a nested entry (a wrapper's ``base``): a type name, or a table with ``type`` and options."""
        if isinstance(entry, str):
            return cls(name=entry, type=entry)
        kind = str(entry.get("type"))
        options = {k: v for k, v in entry.items() if k not in ("type", "name")}
        return cls(name=str(entry.get("name", kind)), type=kind, options=options)


@dataclass(frozen=True)
class SimulationConfig:
    """A parsed simulation configuration (see the module docstring for the file format).

    Attributes
    ----------
    datasets, classifiers, strategies, stopping_criteria : tuple
        The components of the grid.
    seeds : tuple of int
        One run per seed for each combination.
    initial_size, batch_size, budget : int
        Initial labels, labels per query, total labels at the end (initial ones included).
    initialization : str
        One of ``"random"``, ``"stratified"``, ``"balanced"`` and ``"diverse"``.
    stop_set_size : int
        Pool documents the stopping criteria look at (a fixed, seeded sample).
    name : str
        The experiment's name.
    source : pathlib.Path or None
        The file it was read from.
    lines : dict
        The line of each key in the file (``"classifiers[1].type"`` -> 12), for messages.
    """

    datasets: tuple[DatasetSpec, ...]
    classifiers: tuple[ComponentSpec, ...]
    strategies: tuple[ComponentSpec, ...]
    stopping_criteria: tuple[ComponentSpec, ...] = ()
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    initial_size: int = 25
    batch_size: int = 25
    budget: int = 525
    initialization: str = "random"
    stop_set_size: int = 1000
    name: str = "simulation"
    source: Path | None = None
    lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def iterations(self) -> int:
        """Queries per run: enough batches to spend the budget (the last one may be smaller)."""
        return -(-(self.budget - self.initial_size) // self.batch_size)

    def error(self, key: str, message: str) -> InvalidConfigurationError:
        """Return an error about ``key`` whose message says where the key is."""
        return _error(key, message, self.lines, self.source)

    def to_json(self) -> dict[str, Any]:
        """Return the configuration as JSON-ready data (for the results' metadata)."""
        return {
            "name": self.name,
            "source": str(self.source) if self.source else None,
            "seeds": list(self.seeds),
            "initial_size": self.initial_size,
            "batch_size": self.batch_size,
            "budget": self.budget,
            "iterations": self.iterations,
            "initialization": self.initialization,
            "stop_set_size": self.stop_set_size,
            "datasets": [vars(spec) for spec in self.datasets],
            "classifiers": [vars(spec) for spec in self.classifiers],
            "strategies": [vars(spec) for spec in self.strategies],
            "stopping_criteria": [vars(spec) for spec in self.stopping_criteria],
        }


def load_config(path: str | Path) -> SimulationConfig:
    """Read a simulation configuration from a TOML file and check its structure.

    Parameters
    ----------
    path : str or path-like
        The TOML file. Relative data paths in it are resolved against its folder.

    Returns
    -------
    SimulationConfig

    Raises
    ------
    InvalidConfigurationError
        If the file is missing, is not valid TOML, has an unknown key or a value of the wrong kind; the message
        names the key and its line.
    """
    source = Path(path)
    if not source.is_file():
        raise InvalidConfigurationError(f"config must be a TOML file, got {str(path)!r}, which does not exist")
    text = source.read_text(encoding="utf-8")
    return parse_config(text, source=source.resolve())


def parse_config(text: str, *, source: Path | None = None) -> SimulationConfig:
    """Parse the TOML text of a simulation configuration (see :func:`load_config`).

    Parameters
    ----------
    text : str
        The file's content.
    source : pathlib.Path, optional
        Where it came from: relative data paths are resolved against its folder, and messages name it.

    Returns
    -------
    SimulationConfig
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        where = f"{source}: " if source else ""
        raise InvalidConfigurationError(f"{where}the configuration is not valid TOML: {error}") from error
    lines = _key_lines(text)
    return _Parser(lines, source).parse(document)


class _Parser:
    """Turns the TOML document into a :class:`SimulationConfig`, naming key and line in every error."""

    def __init__(self, lines: dict[str, int], source: Path | None):
        self.lines = lines
        self.source = source
        self.base = source.parent if source else Path.cwd()

    def fail(self, key: str, message: str) -> InvalidConfigurationError:
        return _error(key, message, self.lines, self.source)

    def parse(self, document: dict[str, Any]) -> SimulationConfig:
        self.unknown_keys(document, _TOP_LEVEL_KEYS, prefix="")
        if "datasets" not in document:
            raise self.fail("datasets", "the configuration needs at least one [[datasets]] table")
        datasets = tuple(
            self.dataset(entry, f"datasets[{i}]") for i, entry in enumerate(self.tables(document, "datasets"))
        )
        self.unique_names([spec.name for spec in datasets], "datasets")
        classifier_entries = document.get("classifiers", [{"type": "tfidf-linear-svc"}])
        classifiers = tuple(
            self.component(entry, f"classifiers[{i}]")
            for i, entry in enumerate(self.entries(classifier_entries, "classifiers"))
        )
        strategies = tuple(
            self.component(entry, f"strategies[{i}]")
            for i, entry in enumerate(
                self.entries(document.get("strategies", ["random", "breaking-ties"]), "strategies")
            )
        )
        criteria = tuple(
            self.component(entry, f"stopping_criteria[{i}]")
            for i, entry in enumerate(self.entries(document.get("stopping_criteria", []), "stopping_criteria"))
        )
        for key, specs in (("classifiers", classifiers), ("strategies", strategies), ("stopping_criteria", criteria)):
            self.unique_names([spec.name for spec in specs], key)
        initial_size = self.integer(document, "initial_size", 25, minimum=1)
        batch_size = self.integer(document, "batch_size", 25, minimum=1)
        if "budget" in document and "iterations" in document:
            raise self.fail("budget", "give either budget (total labels) or iterations (queries), not both")
        if "budget" in document:
            budget = self.integer(document, "budget", 0, minimum=initial_size)
        else:
            budget = initial_size + batch_size * self.integer(document, "iterations", 20, minimum=0)
        initialization = document.get("initialization", "random")
        if initialization not in INITIALIZATIONS:
            raise self.fail(
                "initialization", f"initialization must be one of {INITIALIZATIONS}, got {initialization!r}"
            )
        return SimulationConfig(
            datasets=datasets,
            classifiers=classifiers,
            strategies=strategies,
            stopping_criteria=criteria,
            seeds=self.seeds(document.get("seeds", 5)),
            initial_size=initial_size,
            batch_size=batch_size,
            budget=budget,
            initialization=initialization,
            stop_set_size=self.integer(document, "stop_set_size", 1000, minimum=1),
            name=self.string(document, "name", self.source.stem if self.source else "simulation"),
            source=self.source,
            lines=self.lines,
        )

    # --- sections -------------------------------------------------------------------------------------------

    def dataset(self, entry: dict[str, Any], key: str) -> DatasetSpec:
        self.unknown_keys(entry, _DATASET_KEYS, prefix=f"{key}.")
        name = self.string(entry, "name", None, key=f"{key}.name")
        path = self.path(entry, "path", key)
        test_path = self.path(entry, "test_path", key)
        if test_path and not path:
            raise self.fail(f"{key}.test_path", "test_path needs path (the training file) as well")
        benchmark = self.string(entry, "benchmark", name, key=f"{key}.benchmark") if not path else None
        if "benchmark" in entry and path:
            raise self.fail(f"{key}.benchmark", "give either benchmark (a shared data set) or path (a file), not both")
        test_fraction = entry.get("test_fraction", 0.2)
        if isinstance(test_fraction, bool) or not isinstance(test_fraction, (int, float)) or not 0 < test_fraction < 1:
            raise self.fail(f"{key}.test_fraction", f"test_fraction must be a number in (0, 1), got {test_fraction!r}")
        multi_label = entry.get("multi_label")
        if multi_label is not None and not isinstance(multi_label, bool):
            raise self.fail(f"{key}.multi_label", f"multi_label must be true or false, got {multi_label!r}")
        return DatasetSpec(
            name=name,
            benchmark=benchmark,
            path=path,
            test_path=test_path,
            text_column=self.string(entry, "text_column", "text", key=f"{key}.text_column"),
            label_column=self.string(entry, "label_column", "label", key=f"{key}.label_column"),
            multi_label=multi_label,
            test_fraction=float(test_fraction),
            pool_size=self.integer(entry, "pool_size", None, minimum=2, key=f"{key}.pool_size"),
            test_size=self.integer(entry, "test_size", None, minimum=1, key=f"{key}.test_size"),
        )

    def component(self, entry: Any, key: str) -> ComponentSpec:
        if isinstance(entry, str):
            return ComponentSpec(name=entry, type=entry)
        if not isinstance(entry, dict):
            raise self.fail(key, f"{key} must be a type name or a table with a type key, got {entry!r}")
        if "type" not in entry:
            raise self.fail(key, f"{key} needs a type key, got the keys {sorted(entry)}")
        kind = self.string(entry, "type", None, key=f"{key}.type")
        name = self.string(entry, "name", kind, key=f"{key}.name")
        options = {k: v for k, v in entry.items() if k not in ("type", "name")}
        return ComponentSpec(name=name, type=kind, options=options)

    # --- values ---------------------------------------------------------------------------------------------

    def tables(self, document: dict[str, Any], key: str) -> list[dict[str, Any]]:
        value = document[key]
        if not isinstance(value, list) or not value or not all(isinstance(item, dict) for item in value):
            raise self.fail(key, f"{key} must be one or more [[{key}]] tables, got {value!r}")
        return value

    def entries(self, value: Any, key: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(key, f"{key} must be a list, got {value!r}")
        if key != "stopping_criteria" and not value:
            raise self.fail(key, f"{key} must name at least one entry, got an empty list")
        return value

    def unknown_keys(self, table: Mapping[str, Any], allowed: frozenset[str], *, prefix: str) -> None:
        for name in table:
            if name not in allowed:
                raise self.fail(f"{prefix}{name}", f"unknown key {prefix}{name!s}; expected one of {sorted(allowed)}")

    def unique_names(self, names: list[str], key: str) -> None:
        seen: set[str] = set()
        for i, name in enumerate(names):
            if name in seen:
                raise self.fail(f"{key}[{i}]", f"{key} must have distinct names, got {name!r} twice (set name = ...)")
            seen.add(name)

    def string(self, table: Mapping[str, Any], name: str, default: str | None, *, key: str | None = None) -> Any:
        key = key or name
        if name not in table:
            if default is None:
                raise self.fail(key, f"{key} is required")
            return default
        value = table[name]
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"{key} must be a non-empty string, got {value!r}")
        return value

    def integer(
        self, table: Mapping[str, Any], name: str, default: int | None, *, minimum: int, key: str | None = None
    ) -> Any:
        key = key or name
        value = table.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"{key} must be an integer of at least {minimum}, got {value!r}")
        return value

    def path(self, table: Mapping[str, Any], name: str, key: str) -> str | None:
        if name not in table:
            return None
        value = self.string(table, name, None, key=f"{key}.{name}")
        resolved = Path(value).expanduser()
        return str(resolved if resolved.is_absolute() else (self.base / resolved).resolve())

    def seeds(self, value: Any) -> tuple[int, ...]:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return tuple(range(value))
        if (
            isinstance(value, list)
            and value
            and all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in value)
            and len(set(value)) == len(value)
        ):
            return tuple(value)
        raise self.fail(
            "seeds", f"seeds must be a positive count or a list of distinct non-negative ints, got {value!r}"
        )


def _error(key: str, message: str, lines: dict[str, int], source: Path | None) -> InvalidConfigurationError:
    line = _line_of(key, lines)
    where = f"{source.name if source else 'configuration'}" + (f", line {line}" if line else "")
    return InvalidConfigurationError(f"{where}: {message}", key=key, line=line)


_LAST_PART = re.compile(r"(\.[^.\[\]]+|\[\d+\])$")


def _line_of(key: str, lines: dict[str, int]) -> int | None:
    """The line of ``key``, or of the nearest enclosing key that has one (``a[1].b`` -> ``a[1]`` -> ``a``)."""
    while key not in lines:
        parent = _LAST_PART.sub("", key)
        if parent == key:
            return None
        key = parent
    return lines[key]


_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.-]+)\s*\]\]\s*(#.*)?$")
_TABLE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(#.*)?$")
_ASSIGNMENT = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


def _key_lines(text: str) -> dict[str, int]:
    """Map dotted keys (``"datasets[1].path"``) to the 1-based line where they are assigned.

    A light scan of the usual TOML layout (top-level keys, ``[[array]]`` tables and ``[table]`` headers); keys
    inside inline tables get the line of the key that holds them.
    """
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}
    prefix = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            name = header.group(1)
            index = counts.get(name, 0)
            counts[name] = index + 1
            prefix = f"{name}[{index}]"
            lines.setdefault(name, number)
            lines[prefix] = number
            continue
        table = _TABLE.match(line)
        if table:
            prefix = table.group(1)
            lines[prefix] = number
            continue
        assignment = _ASSIGNMENT.match(line)
        if assignment:
            key = f"{prefix}.{assignment.group(1)}" if prefix else assignment.group(1)
            lines.setdefault(key, number)
    return lines
