"""What annotators do, each as one committed transaction: take the next document, label it, correct a label, skip,
undo, and mark a document as unlabelable (or restore it).

Every operation checks its input before it changes anything and raises :class:`DocumentNotFoundError` or
:class:`ConflictError` with a message that says why and what to do instead; a refused operation changes nothing.
An event log records each change with what it replaced, so that :func:`undo` can reverse an annotator's last
action exactly.
"""

from __future__ import annotations

import random
import sqlite3
import time
from dataclasses import dataclass

from activetext.app.storage import Annotator, Storage
from activetext.exceptions import ActiveTextError, InvalidArgumentError

__all__ = [
    "ConflictError",
    "DocumentNotFoundError",
    "Shown",
    "correct",
    "label",
    "next_document",
    "restore",
    "skip",
    "undo",
    "mark_unlabelable",
]


class DocumentNotFoundError(ActiveTextError, LookupError):
    """The document id names no document of the project."""


class ConflictError(ActiveTextError):
    """The operation does not fit the document's state (already labeled, marked unlabelable, nothing to undo)."""


@dataclass(frozen=True)
class Shown:
    """A document reserved for an annotator, with the model's suggestion when one exists."""

    document_id: int
    external_id: str
    text: str
    suggestion: int | None
    confidence: float | None
    model_version: int | None
    current_label: int | None = None


# --- reading ------------------------------------------------------------------------------------------------


def _document(connection: sqlite3.Connection, document_id: int) -> sqlite3.Row | tuple:
    row = connection.execute(
        "SELECT id, external_id, text, unlabelable, n_annotations FROM documents WHERE id = ?", (document_id,)
    ).fetchone()
    if row is None:
        count = connection.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        raise DocumentNotFoundError(
            f"document_id {document_id} is not a document of this project (ids 0 to {count - 1})"
        )
    return row


def _my_label(connection: sqlite3.Connection, document_id: int, annotator: Annotator) -> int | None:
    row = connection.execute(
        "SELECT label FROM annotations WHERE document_id = ? AND annotator_id = ?", (document_id, annotator.id)
    ).fetchone()
    return None if row is None else int(row[0])


def _shown(connection: sqlite3.Connection, assignment: tuple, annotator: Annotator) -> Shown:
    document_id, model_version, suggestion, confidence = assignment
    _, external_id, text, _, _ = _document(connection, document_id)
    return Shown(
        document_id,
        external_id,
        text,
        suggestion,
        confidence,
        model_version,
        _my_label(connection, document_id, annotator),
    )


def show(storage: Storage, document_id: int, annotator: Annotator) -> Shown:
    """A document by id, with the caller's label on it (for corrections); reserves nothing."""
    with storage.read() as connection:
        return _shown(connection, (document_id, None, None, None), annotator)


# --- the next document --------------------------------------------------------------------------------------

_AVAILABLE = """
    d.unlabelable = 0
    AND +d.n_annotations < :required
    AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.document_id = d.id AND a.annotator_id = :me)
    AND NOT EXISTS (SELECT 1 FROM skips k WHERE k.document_id = d.id AND k.annotator_id = :me)
    AND d.n_annotations + (
        SELECT COUNT(*) FROM assignments s WHERE s.document_id = d.id AND s.expires_at > :now
    ) < :required
"""
"""A document the annotator ``:me`` may be given: neither labeled enough, nor reserved by enough others.

(``+d.n_annotations`` keeps SQLite from scanning the index on ``n_annotations`` instead of the queue.)"""


def next_document(storage: Storage, annotator: Annotator, rng: random.Random | None = None) -> Shown | None:
    """Reserve the next document for ``annotator`` and return it; None when nothing is left to label.

    The annotator's own unexpired reservation comes first (a reload shows the same document); then, with
    multiple annotation, documents that others began; then the queue in the order the newest model chose;
    then, while the queue is empty (the model is still being trained), any available document at random. A
    document is never reserved for more annotators than ``annotations_per_document`` allows, and never for one
    who already labeled or skipped it.
    """
    settings = storage.settings
    now = time.time()
    with storage.write() as connection:
        connection.execute(
            """DELETE FROM assignments WHERE annotator_id = ? AND (expires_at <= ?
               OR EXISTS (SELECT 1 FROM documents d WHERE d.id = assignments.document_id
                          AND (d.unlabelable = 1 OR d.n_annotations >= ?))
               OR EXISTS (SELECT 1 FROM annotations a WHERE a.document_id = assignments.document_id
                          AND a.annotator_id = assignments.annotator_id))""",
            (annotator.id, now, settings.annotations_per_document),
        )
        mine = connection.execute(
            """SELECT document_id, model_version, suggestion, confidence FROM assignments
               WHERE annotator_id = ? ORDER BY assigned_at DESC LIMIT 1""",
            (annotator.id,),
        ).fetchone()
        if mine is not None:
            return _shown(connection, mine, annotator)
        parameters = {"required": settings.annotations_per_document, "me": annotator.id, "now": now}
        row = None
        if settings.annotations_per_document > 1:  # finish documents that others began
            row = connection.execute(
                f"""SELECT d.id, q.model_version, q.suggestion, q.confidence FROM documents d
                    LEFT JOIN queue q ON q.document_id = d.id
                    WHERE d.n_annotations > 0 AND {_AVAILABLE} ORDER BY d.id LIMIT 1""",
                parameters,
            ).fetchone()
        if row is None:  # CROSS JOIN: walk the (short) queue in order, looking documents up by id
            row = connection.execute(
                f"""SELECT q.document_id, q.model_version, q.suggestion, q.confidence FROM queue q
                    CROSS JOIN documents d ON d.id = q.document_id WHERE {_AVAILABLE} ORDER BY q.position LIMIT 1""",
                parameters,
            ).fetchone()
        if row is None:
            row = _random_available(connection, parameters, rng or random.Random())
            if row is None:
                return None
        connection.execute(
            """INSERT OR REPLACE INTO assignments
               (document_id, annotator_id, assigned_at, expires_at, model_version, suggestion, confidence)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (row[0], annotator.id, now, now + settings.lease_seconds, row[1], row[2], row[3]),
        )
        return _shown(connection, row, annotator)


def _random_available(connection: sqlite3.Connection, parameters: dict, rng: random.Random) -> tuple | None:
    """Any available document, scanning from a random id and wrapping around."""
    largest = connection.execute("SELECT COALESCE(MAX(id), -1) FROM documents").fetchone()[0]
    if largest < 0:
        return None
    start = rng.randint(0, largest)
    for condition, bound in (("d.id >= :bound", start), ("d.id < :bound", start)):
        row = connection.execute(
            # NOT INDEXED: walk the ids from the bound (the index on n_annotations would scan every document)
            f"""SELECT d.id, NULL, NULL, NULL FROM documents d NOT INDEXED WHERE {condition} AND {_AVAILABLE}
                ORDER BY d.id LIMIT 1""",
            {**parameters, "bound": bound},
        ).fetchone()
        if row is not None:
            return row
    return None


# --- labels -------------------------------------------------------------------------------------------------


def check_label(storage: Storage, value: object) -> int:
    """The class index of a label name of the project's label set."""
    names = storage.settings.label_names
    if not isinstance(value, str) or value not in names:
        raise InvalidArgumentError(f"label must be one of {list(names)}, got {value!r:.80}")
    return names.index(value)


def label(storage: Storage, annotator: Annotator, document_id: int, label_index: int) -> bool:
    """Give a document its label from ``annotator``; committed when this returns.

    Sending the same label again is accepted and changes nothing (a retried request never duplicates a label).

    Returns
    -------
    bool
        Whether a new label was stored (False for a repeat).

    Raises
    ------
    DocumentNotFoundError
        If the document does not exist.
    ConflictError
        If the document is marked unlabelable, already has all its labels from others, or the annotator
        labeled it differently before (correct it with :func:`correct`).
    """
    required = storage.settings.annotations_per_document
    names = storage.settings.label_names
    with storage.write() as connection:
        _, _, _, unlabelable, count = _document(connection, document_id)
        mine = _my_label(connection, document_id, annotator)
        if mine == label_index:
            return False
        if mine is not None:
            raise ConflictError(
                f"document {document_id} already has your label {names[mine]!r}; send a correction "
                f"(PUT /api/documents/{document_id}/label) to change it to {names[label_index]!r}"
            )
        if unlabelable:
            raise ConflictError(
                f"document {document_id} is marked unlabelable; restore it "
                f"(DELETE /api/documents/{document_id}/unlabelable) before labeling it"
            )
        if count >= required:
            raise ConflictError(
                f"document {document_id} already has its {required} label(s) from other annotators; send a correction "
                f"(PUT /api/documents/{document_id}/label) to change it"
            )
        now = time.time()
        reserved = connection.execute(
            "SELECT suggestion, model_version FROM assignments WHERE document_id = ? AND annotator_id = ?",
            (document_id, annotator.id),
        ).fetchone() or (None, None)
        connection.execute(
            """INSERT INTO annotations (document_id, annotator_id, label, created_at, updated_at, suggestion,
               suggestion_version) VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (document_id, annotator.id, label_index, now, now, reserved[0], reserved[1]),
        )
        connection.execute("UPDATE documents SET n_annotations = n_annotations + 1 WHERE id = ?", (document_id,))
        connection.execute(
            "DELETE FROM assignments WHERE document_id = ? AND annotator_id = ?", (document_id, annotator.id)
        )
        if count + 1 >= required:
            connection.execute("DELETE FROM assignments WHERE document_id = ?", (document_id,))
            connection.execute("DELETE FROM queue WHERE document_id = ?", (document_id,))
        _event(connection, annotator, "label", document_id, label_index, now=now)
        storage.bump_revision(connection)
    return True


def correct(storage: Storage, annotator: Annotator, document_id: int, label_index: int) -> int | None:
    """Change the label of an already labeled document; return the label it replaced (None if unchanged).

    The annotator's own label is changed. With one label per document, a label given by someone else is
    replaced by the caller's (the event log keeps the original, and undo restores it). With several labels per
    document each annotator corrects only their own.

    Raises
    ------
    DocumentNotFoundError
        If the document does not exist.
    ConflictError
        If the document has no label yet, or (multiple annotation) the caller has none on it.
    """
    required = storage.settings.annotations_per_document
    with storage.write() as connection:
        _, _, _, _, count = _document(connection, document_id)
        if count == 0:
            raise ConflictError(
                f"document {document_id} has no label to correct; label it (POST /api/documents/{document_id}/label)"
            )
        now = time.time()
        mine = _my_label(connection, document_id, annotator)
        if mine is not None:
            if mine == label_index:
                return None
            connection.execute(
                "UPDATE annotations SET label = ?, updated_at = ? WHERE document_id = ? AND annotator_id = ?",
                (label_index, now, document_id, annotator.id),
            )
            _event(connection, annotator, "relabel", document_id, label_index, annotator.id, mine, None, now=now)
        elif required == 1:
            previous = connection.execute(
                "SELECT annotator_id, label, created_at FROM annotations WHERE document_id = ?", (document_id,)
            ).fetchone()
            connection.execute(
                """UPDATE annotations SET annotator_id = ?, label = ?, updated_at = ?, suggestion = NULL,
                   suggestion_version = NULL WHERE document_id = ?""",
                (annotator.id, label_index, now, document_id),
            )
            event = _event(connection, annotator, "relabel", document_id, label_index, *previous, now=now)
            # the replaced label can no longer be undone by its author
            connection.execute(
                """UPDATE events SET superseded_by = ? WHERE document_id = ? AND annotator_id = ?
                   AND superseded_by IS NULL AND undone = 0 AND kind IN ('label', 'relabel') AND id < ?""",
                (event, document_id, previous[0], event),
            )
            mine = int(previous[1])
        else:
            raise ConflictError(
                f"document {document_id} has labels from other annotators only; with {required} labels per "
                "document each annotator corrects their own"
            )
        storage.bump_revision(connection)
        return mine


def skip(storage: Storage, annotator: Annotator, document_id: int) -> None:
    """The annotator passes on a document: it is never shown to them again (others may still label it)."""
    with storage.write() as connection:
        _document(connection, document_id)
        if _my_label(connection, document_id, annotator) is not None:
            raise ConflictError(f"document {document_id} already has your label; there is nothing to skip")
        connection.execute(
            "INSERT OR IGNORE INTO skips (document_id, annotator_id, created_at) VALUES (?, ?, ?)",
            (document_id, annotator.id, time.time()),
        )
        connection.execute(
            "DELETE FROM assignments WHERE document_id = ? AND annotator_id = ?", (document_id, annotator.id)
        )
        _event(connection, annotator, "skip", document_id)


def mark_unlabelable(storage: Storage, annotator: Annotator, document_id: int) -> bool:
    """Take a document out of the pool (and out of training); return False if it already was."""
    with storage.write() as connection:
        if _document(connection, document_id)[3]:
            return False
        connection.execute("UPDATE documents SET unlabelable = 1 WHERE id = ?", (document_id,))
        connection.execute("DELETE FROM assignments WHERE document_id = ?", (document_id,))
        connection.execute("DELETE FROM queue WHERE document_id = ?", (document_id,))
        _event(connection, annotator, "unlabelable", document_id)
        storage.bump_revision(connection)
    return True


def restore(storage: Storage, annotator: Annotator, document_id: int) -> bool:
    """Return a document marked unlabelable to the pool; return False if it was not marked."""
    with storage.write() as connection:
        if not _document(connection, document_id)[3]:
            return False
        connection.execute("UPDATE documents SET unlabelable = 0 WHERE id = ?", (document_id,))
        _event(connection, annotator, "restore", document_id)
        storage.bump_revision(connection)
    return True


@dataclass(frozen=True)
class Undone:
    """What :func:`undo` reversed, and the document to show again (None if it left the annotator's hands)."""

    kind: str
    document_id: int
    label: int | None
    shown: Shown | None


def undo(storage: Storage, annotator: Annotator) -> Undone:
    """Reverse the annotator's last action that is still in effect (label, correction, skip, mark, restore).

    A labeled or skipped document is reserved for the annotator again, so it is shown next.

    Raises
    ------
    ConflictError
        If the annotator has nothing left to undo.
    """
    settings = storage.settings
    with storage.write() as connection:
        event = connection.execute(
            """SELECT id, kind, document_id, label, previous_annotator_id, previous_label, previous_created_at
               FROM events WHERE annotator_id = ? AND undone = 0 AND superseded_by IS NULL
               ORDER BY id DESC LIMIT 1""",
            (annotator.id,),
        ).fetchone()
        if event is None:
            raise ConflictError(f"annotator {annotator.name!r} has nothing to undo")
        event_id, kind, document_id, label_index, previous_annotator, previous_label, previous_created = event
        now = time.time()
        show_again = False
        if kind == "label":
            suggestion = connection.execute(
                "SELECT suggestion, suggestion_version FROM annotations WHERE document_id = ? AND annotator_id = ?",
                (document_id, annotator.id),
            ).fetchone()
            connection.execute(
                "DELETE FROM annotations WHERE document_id = ? AND annotator_id = ?", (document_id, annotator.id)
            )
            connection.execute("UPDATE documents SET n_annotations = n_annotations - 1 WHERE id = ?", (document_id,))
            _reserve(connection, document_id, annotator, now, settings.lease_seconds, suggestion or (None, None))
            show_again = True
        elif kind == "relabel" and previous_annotator == annotator.id:
            connection.execute(
                "UPDATE annotations SET label = ?, updated_at = ? WHERE document_id = ? AND annotator_id = ?",
                (previous_label, now, document_id, annotator.id),
            )
        elif kind == "relabel":
            connection.execute(
                "UPDATE annotations SET annotator_id = ?, label = ?, created_at = ?, updated_at = ? "
                "WHERE document_id = ? AND annotator_id = ?",
                (previous_annotator, previous_label, previous_created, now, document_id, annotator.id),
            )
            connection.execute("UPDATE events SET superseded_by = NULL WHERE superseded_by = ?", (event_id,))
        elif kind == "skip":
            connection.execute(
                "DELETE FROM skips WHERE document_id = ? AND annotator_id = ?", (document_id, annotator.id)
            )
            _reserve(connection, document_id, annotator, now, settings.lease_seconds, (None, None))
            show_again = True
        elif kind == "unlabelable":
            connection.execute("UPDATE documents SET unlabelable = 0 WHERE id = ?", (document_id,))
        elif kind == "restore":
            connection.execute("UPDATE documents SET unlabelable = 1 WHERE id = ?", (document_id,))
            connection.execute("DELETE FROM assignments WHERE document_id = ?", (document_id,))
        connection.execute("UPDATE events SET undone = 1 WHERE id = ?", (event_id,))
        if kind != "skip":
            storage.bump_revision(connection)
        shown = None
        if show_again:
            reserved = connection.execute(
                """SELECT document_id, model_version, suggestion, confidence FROM assignments
                   WHERE document_id = ? AND annotator_id = ?""",
                (document_id, annotator.id),
            ).fetchone()
            shown = _shown(connection, reserved, annotator) if reserved else None
        return Undone(kind, document_id, label_index, shown)


def _reserve(
    connection: sqlite3.Connection, document_id: int, annotator: Annotator, now: float, lease: int, suggestion: tuple
) -> None:
    """Reserve a document for the annotator again (after an undo), so that it is shown next."""
    connection.execute(
        """INSERT OR REPLACE INTO assignments
           (document_id, annotator_id, assigned_at, expires_at, model_version, suggestion, confidence)
           VALUES (?, ?, ?, ?, ?, ?, NULL)""",
        (document_id, annotator.id, now, now + lease, suggestion[1], suggestion[0]),
    )


def _event(
    connection: sqlite3.Connection,
    annotator: Annotator,
    kind: str,
    document_id: int,
    label_index: int | None = None,
    previous_annotator: int | None = None,
    previous_label: int | None = None,
    previous_created: float | None = None,
    *,
    now: float | None = None,
) -> int:
    cursor = connection.execute(
        """INSERT INTO events (annotator_id, kind, document_id, label, previous_annotator_id, previous_label,
           previous_created_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            annotator.id,
            kind,
            document_id,
            label_index,
            previous_annotator,
            previous_label,
            previous_created,
            now or time.time(),
        ),
    )
    return int(cursor.lastrowid)
