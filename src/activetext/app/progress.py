"""Reading the project's state: final labels, progress, agreement, the learning curve, labeled data for export.

A document is labeled when it has ``annotations_per_document`` labels and is not marked unlabelable. Its final
label is the label most of its annotators gave; a tie goes to the label given first.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from activetext.app.storage import Annotator, Storage

__all__ = ["LabeledRow", "final_labels", "labeled_rows", "recent_labels", "stats"]

_RECENT_SUGGESTIONS = 200


def _annotations_by_document(connection: sqlite3.Connection) -> dict[int, list[tuple[int, int, float]]]:
    grouped: dict[int, list[tuple[int, int, float]]] = defaultdict(list)
    rows = connection.execute(
        """SELECT a.document_id, a.annotator_id, a.label, a.created_at FROM annotations a
           JOIN documents d ON d.id = a.document_id WHERE d.unlabelable = 0 ORDER BY a.created_at, a.id"""
    )
    for document_id, annotator_id, label, created_at in rows:
        grouped[document_id].append((annotator_id, label, created_at))
    return grouped


def _majority(labels: list[int]) -> int:
    counts = Counter(labels)
    best = max(counts.values())
    return next(label for label in labels if counts[label] == best)


def final_labels(connection: sqlite3.Connection, required: int) -> dict[int, int]:
    """The final label of every labeled document, by document id (read inside a transaction)."""
    return {
        document_id: _majority([label for _, label, _ in annotations])
        for document_id, annotations in _annotations_by_document(connection).items()
        if len(annotations) >= required
    }


def stats(storage: Storage) -> dict[str, Any]:
    """Progress, per-label counts, agreement, the model's accuracy estimate, the stopping verdict and the curve."""
    settings = storage.settings
    names = settings.label_names
    with storage.read() as connection:
        total, unlabelable = connection.execute(
            "SELECT COUNT(*), COALESCE(SUM(unlabelable), 0) FROM documents"
        ).fetchone()
        grouped = _annotations_by_document(connection)
        per_annotator = dict(
            connection.execute(
                """SELECT n.name, COUNT(a.id) FROM annotators n LEFT JOIN annotations a ON a.annotator_id = n.id
                   GROUP BY n.id ORDER BY n.id"""
            ).fetchall()
        )
        queued = connection.execute("SELECT COUNT(*) FROM queue").fetchone()[0]
        models = connection.execute(
            """SELECT version, created_at, num_labels, accuracy, accuracy_documents, stop_verdict, train_seconds
               FROM models ORDER BY version"""
        ).fetchall()
        suggested = connection.execute(
            """SELECT label, suggestion FROM annotations WHERE suggestion IS NOT NULL
               ORDER BY created_at DESC LIMIT ?""",
            (_RECENT_SUGGESTIONS,),
        ).fetchall()
        revision = storage.revision(connection)
    required = settings.annotations_per_document
    finals = {
        document_id: _majority([label for _, label, _ in annotations])
        for document_id, annotations in grouped.items()
        if len(annotations) >= required
    }
    counts = Counter(finals.values())
    multiple = [annotations for annotations in grouped.values() if len(annotations) >= 2]
    agreeing = sum(len({label for _, label, _ in annotations}) == 1 for annotations in multiple)
    latest = models[-1] if models else None
    return {
        "documents": int(total),
        "labeled": len(finals),
        "partially_labeled": sum(1 for annotations in grouped.values() if 0 < len(annotations) < required),
        "unlabelable": int(unlabelable),
        "remaining": int(total) - len(finals) - int(unlabelable),
        "per_label": {name: counts.get(index, 0) for index, name in enumerate(names)},
        "per_annotator": per_annotator,
        "annotations_per_document": required,
        "agreement": {
            "documents": len(multiple),
            "rate": round(agreeing / len(multiple), 4) if multiple else None,
        },
        "queue": int(queued),
        "revision": revision,
        "model": None
        if latest is None
        else {
            "version": latest[0],
            "created_at": latest[1],
            "labels": latest[2],
            "accuracy": latest[3],
            "accuracy_documents": latest[4],
            "train_seconds": latest[6],
        },
        "suggestion_agreement": {
            "labels": len(suggested),
            "rate": round(sum(label == suggestion for label, suggestion in suggested) / len(suggested), 4)
            if suggested
            else None,
        },
        "stopping": json.loads(latest[5]) if latest is not None and latest[5] else None,
        "curve": [{"version": row[0], "labels": row[2], "accuracy": row[3]} for row in models if row[3] is not None],
    }


def recent_labels(storage: Storage, annotator: Annotator, limit: int = 10) -> list[dict[str, Any]]:
    """The annotator's most recently changed labels, newest first (for the page's corrections list)."""
    names = storage.settings.label_names
    with storage.read() as connection:
        rows = connection.execute(
            """SELECT a.document_id, d.external_id, substr(d.text, 1, 200), a.label, a.updated_at
               FROM annotations a JOIN documents d ON d.id = a.document_id
               WHERE a.annotator_id = ? ORDER BY a.updated_at DESC, a.id DESC LIMIT ?""",
            (annotator.id, limit),
        ).fetchall()
    return [
        {"document_id": row[0], "external_id": row[1], "excerpt": row[2], "label": names[row[3]], "at": row[4]}
        for row in rows
    ]


@dataclass(frozen=True)
class LabeledRow:
    """One labeled document for export: its ids, text, final label and every annotator's label."""

    document_id: int
    external_id: str
    text: str
    label: str
    annotations: dict[str, str]


def labeled_rows(storage: Storage) -> list[LabeledRow]:
    """Every labeled document in id order, with its final label and each annotator's label."""
    names = storage.settings.label_names
    required = storage.settings.annotations_per_document
    with storage.read() as connection:
        grouped = _annotations_by_document(connection)
        annotators = dict(connection.execute("SELECT id, name FROM annotators").fetchall())
        labeled = sorted(document_id for document_id, rows in grouped.items() if len(rows) >= required)
        texts: dict[int, tuple[str, str]] = {}
        for start in range(0, len(labeled), 500):
            part = labeled[start : start + 500]
            placeholders = ",".join("?" * len(part))
            for document_id, external_id, text in connection.execute(
                f"SELECT id, external_id, text FROM documents WHERE id IN ({placeholders})", part
            ):
                texts[document_id] = (external_id, text)
    return [
        LabeledRow(
            document_id,
            texts[document_id][0],
            texts[document_id][1],
            names[_majority([label for _, label, _ in grouped[document_id]])],
            {annotators[annotator]: names[label] for annotator, label, _ in grouped[document_id]},
        )
        for document_id in labeled
    ]
