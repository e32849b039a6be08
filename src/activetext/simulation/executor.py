"""Running a simulation: checking the configuration, preparing features, and spreading runs over workers.

Runs go to local worker processes by default, or to a Dask cluster when a scheduler address is given. Each
finished run is stored at once, so an interrupted simulation resumes where it stopped. Every run limits its
numerical libraries to one thread, so curves are the same with one worker, eight workers or a cluster.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from activetext.exceptions import InvalidArgumentError, MissingDependencyError
from activetext.simulation.config import SimulationConfig
from activetext.simulation.data import prepare_features
from activetext.simulation.plan import plan_runs, with_random_baseline
from activetext.simulation.runner import RunResult, RunSpec, execute_run
from activetext.simulation.store import ResultStore, environment

__all__ = ["SimulationProgress", "SimulationSummary", "simulate"]

PROGRESS_TOPIC = "activetext-simulation-step"
"""The Dask event topic on which workers report finished steps."""


class SimulationProgress(Protocol):
    """Receives progress events (the command line shows them as progress bars)."""

    def preparing(self, description: str) -> None:
        """Feature preparation started."""

    def started(self, runs: Sequence[RunSpec], skipped: int) -> None:
        """The runs to do are known; ``skipped`` were done before."""

    def step(self, key: str, step: int) -> None:
        """Run ``key`` recorded step ``step``."""

    def finished(self, result: RunResult) -> None:
        """A run finished (successfully or not)."""


@dataclass
class SimulationSummary:
    """What a call of :func:`simulate` did.

    Attributes
    ----------
    folder : pathlib.Path
        The results folder.
    runs : list of RunSpec
        Every run of the configuration.
    skipped : int
        Runs found done in the folder and not run again.
    failed : list of RunResult
        Runs that raised; their errors are in ``failures.json``.
    table : pandas.DataFrame
        The tidy results of the configuration.
    """

    folder: Path
    runs: list[RunSpec]
    skipped: int
    failed: list[RunResult] = field(default_factory=list)
    table: Any = None


def simulate(
    config: SimulationConfig,
    output: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: SimulationProgress | None = None,
) -> SimulationSummary:
    """Run every combination of ``config`` that is not already in ``output``.

    Parameters
    ----------
    config : SimulationConfig
        The experiments (see :func:`activetext.simulation.load_config`).
    output : str or path-like
        The results folder (see :class:`~activetext.simulation.store.ResultStore`).
    workers : int, optional
        Local worker processes (default: the number of CPUs, at most the number of runs). With 1, runs execute
        in this process. Ignored with ``scheduler``.
    scheduler : str, optional
        The address of a Dask scheduler (``"tcp://host:8786"``); runs then execute on its workers, which must
        see the results folder (for the prepared features) and the data.
    progress : SimulationProgress, optional
        Receives progress events.

    Returns
    -------
    SimulationSummary

    Raises
    ------
    InvalidConfigurationError
        Before any run starts, if the configuration does not fit the data or the components.
    """
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise InvalidArgumentError(f"workers must be a positive int or None, got {workers!r}")
    runs = plan_runs(config, Path(output) / ResultStore.CACHE)  # everything is checked before anything is written
    store = ResultStore(output)
    done = store.completed_keys()
    pending = [run for run in runs if run.key not in done]
    started_at = datetime.now(timezone.utc).isoformat()
    for spec in {(run.dataset, run.classifier): run for run in pending}.values():
        prepare_features(spec.dataset, spec.classifier, store.cache_folder, progress.preparing if progress else None)
    if progress is not None:
        progress.started(pending, len(runs) - len(pending))

    failed: list[RunResult] = []
    started = time.perf_counter()
    try:
        for result in _execute(pending, workers, scheduler, progress):
            store.write_run(result)
            if result.status != "ok":
                failed.append(result)
            if progress is not None:
                progress.finished(result)
    finally:
        table = store.write_tables(runs)
        invocation = {
            "started_at": started_at,
            "executor": {"scheduler": scheduler} if scheduler else {"workers": _local_workers(workers, pending)},
            "runs": {
                "total": len(runs),
                "skipped": len(runs) - len(pending),
                "failed": len(failed),
                "seconds": round(time.perf_counter() - started, 3),
            },
        }
        store.write_metadata(
            {
                "config": with_random_baseline(config).to_json(),
                "seeds": list(config.seeds),
                **environment(),
                **invocation,
                # every call that ran something, oldest first: a resumed simulation keeps its first run's record
                "invocations": [*store.previous_invocations(), invocation],
            }
        )
    return SimulationSummary(store.folder, runs, len(runs) - len(pending), failed, table)


def _local_workers(workers: int | None, pending: Sequence[RunSpec]) -> int:
    return max(1, min(workers or os.cpu_count() or 1, len(pending) or 1))


def _execute(
    runs: list[RunSpec], workers: int | None, scheduler: str | None, progress: SimulationProgress | None
) -> Iterator[RunResult]:
    on_step = progress.step if progress is not None else None
    if scheduler is not None:
        yield from _execute_on_dask(runs, scheduler, progress)
    elif _local_workers(workers, runs) == 1:
        for run in runs:
            yield execute_run(run, on_step)
    else:
        yield from _execute_in_processes(runs, _local_workers(workers, runs), progress)


def _execute_in_processes(
    runs: list[RunSpec], workers: int, progress: SimulationProgress | None
) -> Iterator[RunResult]:
    context = multiprocessing.get_context("spawn")  # no inherited threads or torch state
    with context.Manager() as manager, concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        steps = manager.Queue() if progress is not None else None
        relay = _Relay(steps, progress) if steps is not None else None
        futures = {pool.submit(_run_reporting_to_queue, run, steps): run for run in runs}
        try:
            for future in concurrent.futures.as_completed(futures):
                yield _result_or_worker_failure(future, futures[future])
        finally:
            for future in futures:
                future.cancel()
            if relay is not None:
                relay.stop()


def _result_or_worker_failure(future: Any, run: RunSpec) -> RunResult:
    """The run's result, or an error result when the worker itself died (killed, out of memory, a crash in native
    code): the run is recorded as failed and the next invocation retries it."""
    try:
        return future.result()
    except Exception as error:  # the worker process died; execute_run itself never raises
        return RunResult(run.key, run, "error", [], 0.0, error=f"the worker running it failed: {error!r}")


def _run_reporting_to_queue(run: RunSpec, steps: Any) -> RunResult:
    """Worker side of local execution: run, putting each finished step on the progress queue."""
    return execute_run(run, (lambda key, step: steps.put((key, step))) if steps is not None else None)


class _Relay:
    """Moves step events from worker processes to the progress receiver, on a thread of the parent."""

    def __init__(self, steps: Any, progress: SimulationProgress):
        self.steps = steps
        self.progress = progress
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                key, step = self.steps.get(timeout=0.1)
            except queue.Empty:
                continue
            except (EOFError, OSError):  # the manager shut down
                return
            self.progress.step(key, step)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=2)


def _execute_on_dask(runs: list[RunSpec], scheduler: str, progress: SimulationProgress | None) -> Iterator[RunResult]:
    try:
        from distributed import Client, as_completed
    except ImportError as error:
        raise MissingDependencyError(
            'running on a Dask cluster needs dask.distributed: pip install "activetext[simulation]"'
        ) from error
    with Client(scheduler, set_as_default=False) as client:
        if progress is not None:
            client.subscribe_topic(PROGRESS_TOPIC, lambda event: progress.step(*event[1]))
        futures = {
            client.submit(_run_on_dask_worker, run, progress is not None, key=run.key, pure=False): run for run in runs
        }
        try:
            for future in as_completed(list(futures), loop=client.loop):
                yield _result_or_worker_failure(future, futures[future])
        finally:
            if progress is not None:
                client.unsubscribe_topic(PROGRESS_TOPIC)
            client.cancel(list(futures))


def _run_on_dask_worker(run: RunSpec, report: bool) -> RunResult:
    """Worker side of Dask execution: run, logging each finished step as an event."""
    on_step = None
    if report:
        from distributed import get_worker

        worker = get_worker()

        def on_step(key: str, step: int) -> None:
            worker.log_event(PROGRESS_TOPIC, (key, step))

    return execute_run(run, on_step)
