"""The background worker: retrains the model and refills the queue while annotators keep labeling.

A thread in the server watches the database. When the labels changed (or the queue runs low), it takes a
snapshot of the labels, hands a training round to a separate process (:func:`activetext.app.model.serve_rounds`,
so that training never holds the server's interpreter), and commits the result in one transaction: the new model
version, its accuracy estimate and stopping verdict, and a new queue chosen by the new model. Labels that arrived
during the round are not lost: they are in the database, the next round uses them, and documents labeled or
reserved in the meantime are left out of the new queue.

The stopping criteria (:class:`~activetext.stopping_criteria.KappaAverage` on the stop set's predictions and
:class:`~activetext.stopping_criteria.OverallUncertainty` on its probabilities) keep their history in the
``models`` table, so a restarted server replays it and gives the same verdict.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from activetext.app.model import RoundRequest, RoundResult, serve_rounds
from activetext.app.progress import final_labels
from activetext.app.storage import Storage
from activetext.stopping_criteria import KappaAverage, OverallUncertainty

__all__ = ["ModelWorker"]

logger = logging.getLogger(__name__)

KEPT_MODEL_VERSIONS = 5
"""Model folders older than the newest few are deleted (a model can always be retrained from the labels)."""

_ACTIVE_SECONDS = 600


@dataclass(frozen=True)
class _Snapshot:
    revision: int
    document_count: int
    labeled: list[int]
    labels: list[int]
    excluded: list[int]
    stop_set: list[int]
    version: int
    queue_available: int
    active_annotators: int
    queue_revision: int


class _RoundProcess:
    """One worker process that runs training rounds sent through a pipe."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(
            target=serve_rounds, args=(child, os.getpid()), name="activetext-training", daemon=True
        )
        self.process.start()
        child.close()

    def run(self, request: RoundRequest, stopping: threading.Event) -> RoundResult | None:
        """Run one round; None if the worker is stopping. Raises RuntimeError if the round failed."""
        self.connection.send(request)
        while not self.connection.poll(0.2):
            if stopping.is_set():
                return None
            if not self.process.is_alive():
                raise RuntimeError(f"the training process exited with code {self.process.exitcode}")
        status, value = self.connection.recv()
        if status != "ok":
            raise RuntimeError(f"the training round failed:\n{value}")
        return value

    def close(self) -> None:
        self.connection.close()
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(timeout=5)


class ModelWorker:
    """Schedules training rounds for one project and writes their results.

    Parameters
    ----------
    storage : Storage
        The project's database.
    folder : pathlib.Path
        The project folder (models go to ``models/``, encoder caches to ``cache/``).
    poll_seconds : float
        How often the worker looks at the database when nobody notifies it.
    """

    def __init__(self, storage: Storage, folder: Path, poll_seconds: float = 2.0):
        self.storage = storage
        self.folder = Path(folder)
        self.models_folder = self.folder / "models"
        self.models_folder.mkdir(parents=True, exist_ok=True)
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="activetext-model-worker", daemon=True)
        self._process: _RoundProcess | None = None
        self._last: tuple[int, int, int] | None = None
        self.state = "starting"
        self.rounds = 0
        self.last_error: str | None = None
        num_classes = len(storage.settings.labels)
        self._kappa = KappaAverage(num_classes, window_size=3, kappa=0.99)
        self._uncertainty_threshold = 0.05
        self._num_classes = num_classes

    # --- control ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Clean up after a crash, replay the stopping criteria's history and start the worker thread."""
        self._remove_orphan_models()
        self._replay_criteria()
        self._thread.start()

    def notify(self) -> None:
        """Tell the worker that labels or reservations changed (it also polls)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread and the training process (a round in progress is abandoned: it is derived data)."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._process is not None:
            self._process.close()
            self._process = None

    def status(self) -> dict[str, Any]:
        """What the worker is doing, for the page."""
        return {"state": self.state, "rounds": self.rounds, "error": self.last_error}

    # --- the loop --------------------------------------------------------------------------------------------

    def _run(self) -> None:
        self.state = "idle"
        while not self._stopping.is_set():
            try:
                self._round_if_needed()
                self.last_error = None
            except Exception as error:  # keep serving labels; the next change retries
                logger.exception("training round failed")
                self.last_error = f"{type(error).__name__}: {str(error).strip().splitlines()[-1][:300]}"
                self.state = "failed"
                if self._process is not None:
                    self._process.close()
                    self._process = None
                self._stopping.wait(5.0)
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def _round_if_needed(self) -> None:
        snapshot = self._snapshot()
        n_query = self.storage.settings.batch_size * max(1, snapshot.active_annotators)
        key = (snapshot.revision, snapshot.document_count, snapshot.queue_available)
        if snapshot.revision == snapshot.queue_revision and snapshot.queue_available >= max(1, n_query // 2):
            self._last = key
            return  # the queue was chosen on these labels and is full enough
        if key == self._last:
            return  # nothing changed since the last round (for example, the pool is exhausted)
        self.state = "training"
        request = RoundRequest(
            database=str(self.storage.path),
            models_folder=str(self.models_folder),
            cache_folder=str(self.folder / "cache"),
            classifier=self.storage.settings.classifier,
            strategy=self.storage.settings.strategy,
            seed=self.storage.settings.seed,
            version=snapshot.version + 1,
            label_names=self.storage.settings.label_names,
            document_count=snapshot.document_count,
            labeled=snapshot.labeled,
            labels=snapshot.labels,
            excluded=snapshot.excluded,
            n_query=n_query,
            stop_set=snapshot.stop_set,
        )
        if self._process is None:
            self._process = _RoundProcess()
        result = self._process.run(request, self._stopping)
        if result is None:
            return
        available = self._commit(snapshot, result)
        self._last = (snapshot.revision, snapshot.document_count, available)
        self.rounds += 1
        self.state = "idle"
        self._prune_models()

    def _snapshot(self) -> _Snapshot:
        settings = self.storage.settings
        now = time.time()
        with self.storage.read() as connection:
            revision = self.storage.revision(connection)
            queue_revision_row = connection.execute("SELECT value FROM meta WHERE key = 'queue_revision'").fetchone()
            count = connection.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            finals = final_labels(connection, settings.annotations_per_document)
            excluded = [
                row[0]
                for row in connection.execute(
                    """SELECT id FROM documents WHERE unlabelable = 1 OR (n_annotations > 0 AND n_annotations < ?)
                       UNION SELECT document_id FROM assignments WHERE expires_at > ?""",
                    (settings.annotations_per_document, now),
                )
            ]
            stop_set = [row[0] for row in connection.execute("SELECT id FROM documents WHERE in_stop_set = 1")]
            version = connection.execute("SELECT COALESCE(MAX(version), 0) FROM models").fetchone()[0]
            available = connection.execute(
                """SELECT COUNT(*) FROM queue q CROSS JOIN documents d ON d.id = q.document_id
                   WHERE d.unlabelable = 0 AND d.n_annotations + (SELECT COUNT(*) FROM assignments s
                   WHERE s.document_id = d.id AND s.expires_at > ?) < ?""",
                (now, settings.annotations_per_document),
            ).fetchone()[0]
            active = connection.execute(
                """SELECT COUNT(*) FROM (SELECT annotator_id FROM events WHERE created_at > ?
                   UNION SELECT annotator_id FROM assignments WHERE expires_at > ?)""",
                (now - _ACTIVE_SECONDS, now),
            ).fetchone()[0]
        labeled = sorted(finals)
        return _Snapshot(
            revision=revision,
            document_count=int(count),
            labeled=labeled,
            labels=[finals[index] for index in labeled],
            excluded=excluded,
            stop_set=stop_set,
            version=int(version),
            queue_available=int(available),
            active_annotators=int(active),
            queue_revision=-1 if queue_revision_row is None else int(queue_revision_row[0]),
        )

    def _commit(self, snapshot: _Snapshot, result: RoundResult) -> int:
        """Write the round's model and queue in one transaction; return how many queued documents are available."""
        verdict = None
        predictions = None
        if result.version is not None and result.stop_proba is not None and len(snapshot.stop_set):
            predictions = np.argmax(result.stop_proba, axis=1).astype(np.int16)
            verdict = self._verdict(predictions, result.stop_proba)
        required = self.storage.settings.annotations_per_document
        with self.storage.write() as connection:
            if result.version is not None:
                connection.execute(
                    """INSERT INTO models (version, created_at, revision, num_labels, folder, accuracy,
                       accuracy_documents, stop_predictions, stop_verdict, train_seconds, query_seconds)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (
                        result.version,
                        time.time(),
                        snapshot.revision,
                        len(snapshot.labeled),
                        result.folder,
                        result.accuracy,
                        result.accuracy_documents,
                        None if predictions is None else predictions.tobytes(),
                        None if verdict is None else json.dumps(verdict),
                        result.train_seconds,
                        result.query_seconds,
                    ),
                )
            # documents waiting for a further annotation keep their place at the front of the queue
            connection.execute(
                """DELETE FROM queue WHERE document_id NOT IN (
                       SELECT id FROM documents WHERE unlabelable = 0 AND n_annotations > 0 AND n_annotations < ?)""",
                (required,),
            )
            start = connection.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM queue").fetchone()[0]
            connection.executemany(
                """INSERT OR IGNORE INTO queue (document_id, position, model_version, suggestion, confidence)
                   SELECT id, ?, ?, ?, ? FROM documents WHERE id = ? AND unlabelable = 0 AND n_annotations < ?""",
                [
                    (start + offset, result.version, suggestion, confidence, document_id, required)
                    for offset, (document_id, suggestion, confidence) in enumerate(
                        zip(result.queried, result.suggestions, result.confidences, strict=True)
                    )
                ],
            )
            connection.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('queue_revision', ?)", (str(snapshot.revision),)
            )
            now = time.time()
            available = connection.execute(
                """SELECT COUNT(*) FROM queue q CROSS JOIN documents d ON d.id = q.document_id
                   WHERE d.unlabelable = 0 AND d.n_annotations + (SELECT COUNT(*) FROM assignments s
                   WHERE s.document_id = d.id AND s.expires_at > ?) < ?""",
                (now, required),
            ).fetchone()[0]
        return int(available)

    # --- stopping criteria ------------------------------------------------------------------------------------

    def _verdict(self, predictions: np.ndarray, proba: np.ndarray) -> dict[str, Any]:
        kappa_stop = self._kappa.stop(predictions=predictions.astype(np.int64))
        uncertainty = OverallUncertainty(self._num_classes, threshold=self._uncertainty_threshold)
        uncertainty_stop = uncertainty.stop(proba=np.asarray(proba, dtype=np.float64))
        kappas = self._kappa.kappa_history
        return {
            "stop": bool(kappa_stop or uncertainty_stop),
            "criteria": [
                {
                    "name": "kappa-average",
                    "stop": bool(kappa_stop),
                    "value": round(float(np.mean(kappas)), 4) if kappas else None,
                    "threshold": self._kappa.kappa,
                    "meaning": "mean Cohen's kappa between the last 4 models' predictions on the stop set",
                },
                {
                    "name": "overall-uncertainty",
                    "stop": bool(uncertainty_stop),
                    "value": round(uncertainty.uncertainties[-1], 4),
                    "threshold": self._uncertainty_threshold,
                    "meaning": "mean normalized entropy of the model's predictions on the stop set",
                },
            ],
        }

    def _replay_criteria(self) -> None:
        """Feed the stored stop-set predictions of every model version, in order, to the kappa criterion."""
        with self.storage.read() as connection:
            rows = connection.execute(
                "SELECT stop_predictions FROM models WHERE stop_predictions IS NOT NULL ORDER BY version"
            ).fetchall()
        sizes = {len(row[0]) for row in rows}
        for (blob,) in rows if len(sizes) <= 1 else rows[-1:]:
            self._kappa.stop(predictions=np.frombuffer(blob, dtype=np.int16).astype(np.int64))

    # --- model folders ----------------------------------------------------------------------------------------

    def _known_folders(self) -> list[str]:
        with self.storage.read() as connection:
            return [row[0] for row in connection.execute("SELECT folder FROM models ORDER BY version")]

    def _remove_orphan_models(self) -> None:
        """Delete model folders the database does not know (a crash between writing a model and committing it)."""
        known = set(self._known_folders())
        for path in self.models_folder.iterdir():
            if path.name not in known:
                shutil.rmtree(path, ignore_errors=True)

    def _prune_models(self) -> None:
        for name in self._known_folders()[:-KEPT_MODEL_VERSIONS]:
            shutil.rmtree(self.models_folder / name, ignore_errors=True)
