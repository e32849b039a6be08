"""The project database: SQLite in WAL mode, the source of truth for everything a person did.

Documents, annotators (with hashed tokens), labels (with annotator and time), skips, an event log for undo, the
queue of queried documents, assignments (leases that reserve a document for one annotator) and model versions
all live in one file. Every write runs in one ``BEGIN IMMEDIATE`` transaction that is committed (with
``synchronous=FULL``) before the caller goes on, so a label acknowledged to an annotator survives a crash of the
server. Writes from the threads of one server are serialized by a lock; reads see a consistent snapshot and never
wait for writers (WAL).
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from activetext.app.project import ProjectSettings
from activetext.app.texts import SourceDocument
from activetext.exceptions import IncompatibleFormatError, InvalidArgumentError, SavedStateNotFoundError

__all__ = ["FORMAT_VERSION", "Annotator", "Storage", "hash_token", "new_token"]

FORMAT_VERSION = 1
"""The schema version written into new projects; opening another version is refused."""

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    text TEXT NOT NULL,
    unlabelable INTEGER NOT NULL DEFAULT 0,
    n_annotations INTEGER NOT NULL DEFAULT 0,
    in_stop_set INTEGER NOT NULL DEFAULT 0,
    added_at REAL NOT NULL
);
CREATE INDEX documents_by_annotations ON documents (n_annotations);
CREATE TABLE annotators (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    token_hash TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE TABLE annotations (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    label INTEGER NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    suggestion INTEGER,
    suggestion_version INTEGER,
    UNIQUE (document_id, annotator_id)
);
CREATE TABLE skips (
    document_id INTEGER NOT NULL REFERENCES documents(id),
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    created_at REAL NOT NULL,
    PRIMARY KEY (document_id, annotator_id)
);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    kind TEXT NOT NULL,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    label INTEGER,
    previous_annotator_id INTEGER,
    previous_label INTEGER,
    previous_created_at REAL,
    superseded_by INTEGER,
    undone INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE INDEX events_by_annotator ON events (annotator_id, id);
CREATE TABLE queue (
    document_id INTEGER PRIMARY KEY REFERENCES documents(id),
    position INTEGER NOT NULL,
    model_version INTEGER,
    suggestion INTEGER,
    confidence REAL
);
CREATE INDEX queue_by_position ON queue (position);
CREATE TABLE assignments (
    document_id INTEGER NOT NULL REFERENCES documents(id),
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    assigned_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    model_version INTEGER,
    suggestion INTEGER,
    confidence REAL,
    PRIMARY KEY (document_id, annotator_id)
);
CREATE TABLE models (
    version INTEGER PRIMARY KEY,
    created_at REAL NOT NULL,
    revision INTEGER NOT NULL,
    num_labels INTEGER NOT NULL,
    folder TEXT NOT NULL,
    accuracy REAL,
    accuracy_documents INTEGER,
    stop_predictions BLOB,
    stop_verdict TEXT,
    train_seconds REAL NOT NULL,
    query_seconds REAL NOT NULL
);
"""


def new_token() -> str:
    """A fresh random token (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    """The SHA-256 of a token, as stored in the database (tokens themselves are never stored)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Annotator:
    """A person (or program) with a token: ``is_admin`` may manage annotators, import and export."""

    id: int
    name: str
    is_admin: bool


class Storage:
    """The connection to one project's database.

    Parameters
    ----------
    path : pathlib.Path
        The database file, created by :meth:`create`.

    Raises
    ------
    SavedStateNotFoundError
        If the file does not exist.
    IncompatibleFormatError
        If it was written with another schema version.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise SavedStateNotFoundError(f"project database {str(self.path)!r} does not exist")
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._annotators: list[tuple[str, Annotator]] | None = None
        version = int(self.get_meta("format_version"))
        if version != FORMAT_VERSION:
            raise IncompatibleFormatError(
                f"project database {str(self.path)!r} has format version {version}; this activetext reads "
                f"version {FORMAT_VERSION}"
            )
        self.settings = ProjectSettings.from_json(self.get_meta("settings"))

    # --- creation ---------------------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | Path,
        settings: ProjectSettings,
        documents: Sequence[SourceDocument],
        stop_set: Sequence[int],
    ) -> tuple[Storage, str]:
        """Create a project database; return the storage and the admin token (shown once, stored hashed).

        Parameters
        ----------
        path : pathlib.Path
            The database file; it must not exist.
        settings : ProjectSettings
            Stored as given (resolve ``classifier="auto"`` before).
        documents : sequence of SourceDocument
            The first documents; their positions become their ids ``0 .. n-1``.
        stop_set : sequence of int
            The documents on which the stopping criteria compare successive models.
        """
        path = Path(path)
        if path.exists():
            raise InvalidArgumentError(f"project database {str(path)!r} already exists")
        admin_token = new_token()
        temporary = path.with_name(path.name + ".creating")
        temporary.unlink(missing_ok=True)
        connection = sqlite3.connect(temporary, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)
            now = time.time()
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("format_version", str(FORMAT_VERSION)),
                    ("settings", settings.to_json()),
                    ("created_at", repr(now)),
                    ("revision", "0"),
                ],
            )
            _insert_documents(connection, documents, start=0, now=now)
            connection.executemany(
                "UPDATE documents SET in_stop_set = 1 WHERE id = ?", [(int(index),) for index in stop_set]
            )
            connection.execute(
                "INSERT INTO annotators (name, token_hash, is_admin, created_at) VALUES ('admin', ?, 1, ?)",
                (hash_token(admin_token), now),
            )
            connection.execute("COMMIT")
        finally:
            connection.close()
        # the project exists once its complete database has its final name
        for suffix in ("-wal", "-shm"):
            Path(str(temporary) + suffix).unlink(missing_ok=True)
        temporary.rename(path)
        return cls(path), admin_token

    # --- connections and transactions ----------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA busy_timeout=30000")
            self._local.connection = connection
            with self._connections_lock:
                self._connections.append(connection)
        return connection

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the same snapshot."""
        connection = self._connection()
        connection.execute("BEGIN")
        try:
            yield connection
        finally:
            connection.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction, committed (durably) when the block ends, rolled back if it raises."""
        connection = self._connection()
        with self._write_lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def close(self) -> None:
        """Close every connection opened by this object (call when no request is running any more)."""
        with self._connections_lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()

    # --- project metadata -------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str:
        """A value of the ``meta`` table (``format_version``, ``settings``, ``revision``, ...)."""
        row = self._connection().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            raise IncompatibleFormatError(f"project database {str(self.path)!r} has no {key!r}; it is not a project")
        return row[0]

    @staticmethod
    def bump_revision(connection: sqlite3.Connection) -> None:
        """Count one change of the labels (inside a write transaction); the worker retrains on a new revision."""
        connection.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'revision'")

    @staticmethod
    def revision(connection: sqlite3.Connection) -> int:
        """The number of label changes so far."""
        return int(connection.execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()[0])

    # --- documents --------------------------------------------------------------------------------------------

    def add_documents(self, documents: Sequence[SourceDocument]) -> tuple[int, int]:
        """Append documents (an import); return the ids of the first and one past the last.

        Raises
        ------
        InvalidArgumentError
            If an external id is already in the project (nothing is added then).
        """
        with self.write() as connection:
            start = connection.execute("SELECT COALESCE(MAX(id) + 1, 0) FROM documents").fetchone()[0]
            _insert_documents(connection, documents, start=start, now=time.time())
            self.bump_revision(connection)
        return start, start + len(documents)

    def document_count(self) -> int:
        """How many documents the project holds."""
        return int(self._connection().execute("SELECT COUNT(*) FROM documents").fetchone()[0])

    def texts(self, start: int = 0) -> list[str]:
        """The texts of documents ``start ..`` in id order."""
        rows = self._connection().execute("SELECT text FROM documents WHERE id >= ? ORDER BY id", (start,))
        return [row[0] for row in rows]

    # --- annotators -------------------------------------------------------------------------------------------

    def add_annotator(self, name: str, is_admin: bool = False) -> str:
        """Create an annotator; return their token (stored hashed, so this is the only time it is seen).

        Raises
        ------
        InvalidArgumentError
            If the name is malformed or taken.
        """
        check_annotator_name(name)
        token = new_token()
        with self.write() as connection:
            if connection.execute("SELECT 1 FROM annotators WHERE name = ?", (name,)).fetchone():
                raise InvalidArgumentError(f"name {name!r} is already an annotator of this project")
            connection.execute(
                "INSERT INTO annotators (name, token_hash, is_admin, created_at) VALUES (?, ?, ?, ?)",
                (name, hash_token(token), int(is_admin), time.time()),
            )
        self._annotators = None
        return token

    def rotate_token(self, name: str) -> str:
        """Give an annotator a new token (the old one stops working); return it."""
        token = new_token()
        with self.write() as connection:
            updated = connection.execute(
                "UPDATE annotators SET token_hash = ? WHERE name = ?", (hash_token(token), name)
            ).rowcount
            if not updated:
                raise KeyError(name)
        self._annotators = None
        return token

    def authenticate(self, token: str) -> Annotator | None:
        """The annotator whose token this is, or None; compares in constant time with every stored hash."""
        if self._annotators is None:
            rows = self._connection().execute("SELECT id, name, is_admin, token_hash FROM annotators").fetchall()
            self._annotators = [(row[3], Annotator(row[0], row[1], bool(row[2]))) for row in rows]
        digest = hash_token(token)
        found = None
        for stored, annotator in self._annotators:
            if secrets.compare_digest(stored, digest):
                found = annotator
        return found

    def annotator_names(self) -> list[str]:
        """Every annotator's name, the admin first."""
        rows = self._connection().execute("SELECT name FROM annotators ORDER BY id")
        return [row[0] for row in rows]


def check_annotator_name(name: object) -> str:
    """Refuse names that are empty, too long, or not printable."""
    if not isinstance(name, str) or not 1 <= len(name) <= 64 or not name.isprintable() or name != name.strip():
        raise InvalidArgumentError(
            f"name must be 1 to 64 printable characters without surrounding spaces, got {name!r:.80}"
        )
    return name


def _insert_documents(
    connection: sqlite3.Connection, documents: Sequence[SourceDocument], *, start: int, now: float
) -> None:
    rows = []
    for offset, document in enumerate(documents):
        external_id = str(start + offset) if document.external_id is None else document.external_id
        rows.append((start + offset, external_id, document.text, now))
    ids = [row[1] for row in rows]
    taken = set()
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        placeholders = ",".join("?" * len(part))
        query = f"SELECT external_id FROM documents WHERE external_id IN ({placeholders})"
        taken.update(row[0] for row in connection.execute(query, part))
    if taken:
        raise InvalidArgumentError(
            f"ids {sorted(taken)[:8]} are already documents of this project ({len(taken)} in all); ids must be unique"
        )
    connection.executemany("INSERT INTO documents (id, external_id, text, added_at) VALUES (?, ?, ?, ?)", rows)
