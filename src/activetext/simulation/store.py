"""The results folder of a simulation: one file per finished run, the tidy table, and metadata.

Layout::

    results/
      runs/<run key>.json    one per finished run (rows, or the error), written atomically as the run ends
      results.csv            the tidy table: one row per step of every successful run of the configuration
      results.parquet        the same table
      failures.json          runs that failed, with their errors
      metadata.json          configuration, versions, machine, seeds, counts
      cache/                 prepared features

Results are keyed by the run's configuration and seed (:attr:`RunSpec.key`), so running the same configuration
again skips what is done, and a configuration that grows reuses the runs it shares with the old one.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from activetext.exceptions import CorruptSavedStateError
from activetext.simulation.runner import RunResult, RunSpec

__all__ = ["ResultStore", "environment"]

IDENTITY_COLUMNS = (
    "library",
    "run_key",
    "dataset",
    "classifier",
    "strategy",
    "initialization",
    "seed",
    "kind",
    "multi_label",
    "step",
    "labels",
)
"""The columns that say which run and step a row of the tidy table belongs to."""

COLUMNS = (*IDENTITY_COLUMNS, "accuracy", "macro_f1", "micro_f1", "hamming_loss", "train_seconds", "query_seconds")
"""The columns of the tidy table, in order; ``stop:<criterion>`` columns follow."""


class ResultStore:
    """Reads and writes a simulation's results folder (see the module docstring).

    Parameters
    ----------
    folder : str or path-like
        The results folder; created by the first write.
    """

    CACHE = "cache"
    """The subfolder of prepared features."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.runs_folder = self.folder / "runs"
        self.cache_folder = self.folder / self.CACHE

    def completed_keys(self) -> set[str]:
        """The keys of the runs that finished successfully."""
        return {key for key, record in self._records() if record.get("status") == "ok"}

    def write_run(self, result: RunResult) -> Path:
        """Store one run's result atomically (a crash never leaves half a file); return its path."""
        self.runs_folder.mkdir(parents=True, exist_ok=True)
        path = self.runs_folder / f"{result.key}.json"
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(result.to_json(), default=str) + "\n", encoding="utf-8")
        os.replace(partial, path)
        return path

    def read_run(self, key: str) -> dict[str, Any] | None:
        """The stored record of run ``key``, or None."""
        path = self.runs_folder / f"{key}.json"
        if not path.exists():
            return None
        return self._read(path)

    def write_tables(self, runs: Iterable[RunSpec]) -> Any:
        """Write the tidy table of ``runs`` (CSV and Parquet) and ``failures.json``; return the table.

        Only the runs of the current configuration go into the table, in the order given.
        """
        import pandas as pd

        rows: list[dict[str, Any]] = []
        failures = []
        for spec in runs:
            record = self.read_run(spec.key)
            if record is None:
                continue
            if record["status"] == "ok":
                rows.extend(record["rows"])
            else:
                failures.append({"key": spec.key, "run": spec.describe(), "error": record["error"]})
        self.folder.mkdir(parents=True, exist_ok=True)
        table = pd.DataFrame(rows)
        stop_columns = sorted({column for row in rows for column in row if column.startswith("stop:")})
        table = table.reindex(columns=[*COLUMNS, *stop_columns])
        table[stop_columns] = table[stop_columns].astype("boolean")  # passive rows have no verdicts
        table.to_csv(self.folder / "results.csv", index=False)
        try:
            table.to_parquet(self.folder / "results.parquet", index=False)
        except ImportError:  # pragma: no cover - pyarrow is part of the simulation extra
            pass
        (self.folder / "failures.json").write_text(json.dumps(failures, indent=2) + "\n", encoding="utf-8")
        return table

    def previous_invocations(self) -> list[dict[str, Any]]:
        """The ``invocations`` recorded in ``metadata.json`` by earlier calls (empty when there is none)."""
        path = self.folder / "metadata.json"
        if not path.exists():
            return []
        try:
            return list(json.loads(path.read_text(encoding="utf-8")).get("invocations", []))
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
            return []  # a damaged metadata file is rewritten; the run records are what counts

    def write_metadata(self, metadata: dict[str, Any]) -> Path:
        """Write ``metadata.json``."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / "metadata.json"
        path.write_text(json.dumps(metadata, indent=2, default=str) + "\n", encoding="utf-8")
        return path

    def _records(self) -> Iterable[tuple[str, dict[str, Any]]]:
        for path in sorted(self.runs_folder.glob("*.json")):
            yield path.stem, self._read(path)

    @staticmethod
    def _read(path: Path) -> dict[str, Any]:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise CorruptSavedStateError(
                f"the run record {str(path)!r} is not valid JSON ({error}); delete it to run that combination again"
            ) from error


def environment() -> dict[str, Any]:
    """Versions of activetext and its main dependencies, and a description of the machine."""
    import numpy
    import scipy
    import sklearn

    import activetext

    versions = {
        "activetext": activetext.__version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
    }
    for name in ("torch", "transformers", "sentence_transformers", "setfit", "dask", "distributed", "pandas"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = getattr(module, "__version__", "unknown")
    machine = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "node": platform.node(),
    }
    try:
        machine["memory_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        pass
    return {"versions": versions, "machine": machine, "written_at": datetime.now(timezone.utc).isoformat()}
