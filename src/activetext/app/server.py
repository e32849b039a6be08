"""Creating and opening a project folder, and serving it with uvicorn.

A project folder holds ``activetext.db`` (the database), ``admin-token`` (readable by its owner only),
``project.toml`` (the settings it was created with, for reference), ``models/`` (model versions), ``cache/``
(encoder vectors) and, while a server runs, ``server.lock`` and ``server.json`` (its address and process id).
Only one server at a time may serve a folder.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from activetext.app.project import ProjectSettings, SourceSpec
from activetext.app.storage import Storage
from activetext.app.texts import read_documents
from activetext.app.worker import ModelWorker
from activetext.exceptions import ActiveTextError, InvalidArgumentError

__all__ = [
    "DATABASE",
    "Project",
    "ProjectLockedError",
    "RunningServer",
    "create_project",
    "open_project",
    "read_admin_token",
]

DATABASE = "activetext.db"
ADMIN_TOKEN = "admin-token"
LOCK = "server.lock"
SERVER_INFO = "server.json"

DEFAULT_BODY_LIMIT = 1 << 20
"""Largest JSON request body: 1 MiB."""

DEFAULT_UPLOAD_LIMIT = 50 << 20
"""Largest import upload: 50 MiB."""


class _Stopped(Exception):
    """Raised by the signal handler once uvicorn has shut down."""


class ProjectLockedError(ActiveTextError):
    """Another server is serving the project folder."""


@dataclass
class Project:
    """An open project: its folder, database and (once started) background worker.

    Parameters
    ----------
    folder : pathlib.Path
    storage : Storage
    body_limit, upload_limit : int
        Request size limits in bytes.
    """

    folder: Path
    storage: Storage
    body_limit: int = DEFAULT_BODY_LIMIT
    upload_limit: int = DEFAULT_UPLOAD_LIMIT
    worker: ModelWorker | None = None

    @property
    def settings(self) -> ProjectSettings:
        return self.storage.settings

    def notify(self) -> None:
        """Wake the worker after a change."""
        if self.worker is not None:
            self.worker.notify()


def _write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _settings_toml(settings: ProjectSettings, source: SourceSpec) -> str:
    def quoted(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = [
        "# the settings this project was created with; the database holds the project itself",
        "[project]",
        f"name = {quoted(settings.name)}",
        f"texts = {quoted(str(source.path))}",
        f"text_column = {quoted(source.text_column)}",
    ]
    if source.id_column is not None:
        lines.append(f"id_column = {quoted(source.id_column)}")
    lines += [
        f"classifier = {quoted(settings.classifier)}",
        f"strategy = {quoted(settings.strategy)}",
        f"batch_size = {settings.batch_size}",
        f"annotations_per_document = {settings.annotations_per_document}",
        f"seed = {settings.seed}",
        "",
        "[labels]",
    ]
    lines += [f"{quoted(label.name)} = {quoted(label.description)}" for label in settings.labels]
    return "\n".join(lines) + "\n"


def create_project(folder: str | Path, settings: ProjectSettings, source: SourceSpec) -> tuple[Storage, str]:
    """Create a project in ``folder`` from a file of texts; return its storage and the admin token.

    The texts are read and checked before anything is written. ``classifier="auto"`` is resolved now.

    Raises
    ------
    InvalidArgumentError
        If the folder already holds a project, or the texts cannot be read.
    """
    folder = Path(folder)
    if (folder / DATABASE).exists():
        raise InvalidArgumentError(f"folder {str(folder)!r} already holds a project; open it instead")
    documents = read_documents(source.path, source.text_column, source.id_column)
    settings = settings.resolved()
    stop_size = min(settings.stop_set_size, len(documents))
    stop_set = sorted(random.Random(settings.seed).sample(range(len(documents)), stop_size))
    folder.mkdir(parents=True, exist_ok=True)
    storage, admin_token = Storage.create(folder / DATABASE, settings, documents, stop_set)
    _write_private(folder / ADMIN_TOKEN, admin_token + "\n")
    (folder / "project.toml").write_text(_settings_toml(settings, source), encoding="utf-8")
    return storage, admin_token


def open_project(folder: str | Path) -> Storage:
    """Open the project in ``folder``.

    Raises
    ------
    InvalidArgumentError
        If the folder holds no project.
    """
    folder = Path(folder)
    if not (folder / DATABASE).is_file():
        raise InvalidArgumentError(
            f"folder {str(folder)!r} holds no project ({DATABASE} is missing); create one with --texts and --label"
        )
    return Storage(folder / DATABASE)


def read_admin_token(folder: Path, storage: Storage) -> str:
    """The admin token from the project folder; a new one (written there) if the file was deleted."""
    path = folder / ADMIN_TOKEN
    if path.is_file():
        token = path.read_text(encoding="utf-8").strip()
        admin = storage.authenticate(token)
        if admin is not None and admin.is_admin:
            return token
    token = storage.rotate_token("admin")
    _write_private(path, token + "\n")
    return token


def _lock(folder: Path) -> Any:
    import fcntl

    handle = (folder / LOCK).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        handle.close()
        info = folder / SERVER_INFO
        where = f" at {json.loads(info.read_text())['url']}" if info.is_file() else ""
        raise ProjectLockedError(f"project folder {str(folder)!r} is already being served{where}") from error
    return handle


class RunningServer:
    """Serve a project with uvicorn: lock the folder, start the worker, listen, and stop cleanly.

    Parameters
    ----------
    folder : pathlib.Path
        The project folder.
    host : str
        The address to listen on (127.0.0.1 by default: only this machine can connect).
    port : int
        The port; 0 picks a free one.
    body_limit, upload_limit : int
        Request size limits in bytes.
    """

    def __init__(
        self,
        folder: str | Path,
        host: str = "127.0.0.1",
        port: int = 8000,
        body_limit: int = DEFAULT_BODY_LIMIT,
        upload_limit: int = DEFAULT_UPLOAD_LIMIT,
    ):
        import uvicorn

        from activetext.app.api import create_app

        self.folder = Path(folder)
        self.storage = open_project(self.folder)
        self._lock = _lock(self.folder)
        self.project = Project(self.folder, self.storage, body_limit, upload_limit)
        self.admin_token = read_admin_token(self.folder, self.storage)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # proto=IPPROTO_TCP: asyncio turns Nagle's algorithm off only on sockets that say they are TCP (else
        # every response waits ~40 ms for the client's delayed acknowledgement)
        self.socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.socket.bind((host, port))
        except OSError as error:
            self.socket.close()
            self._lock.close()
            raise InvalidArgumentError(f"cannot listen on host {host!r} port {port}: {error.strerror}") from error
        self.socket.listen(2048)
        self.port = self.socket.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{self.port}/"
        self.project.worker = ModelWorker(self.storage, self.folder)
        config = uvicorn.Config(
            create_app(self.project),
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=5,
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def _started(self) -> None:
        self.project.worker.start()
        info = {"url": self.url, "port": self.port, "pid": os.getpid()}
        (self.folder / SERVER_INFO).write_text(json.dumps(info) + "\n", encoding="utf-8")

    def _stopped(self) -> None:
        self.project.worker.stop()
        (self.folder / SERVER_INFO).unlink(missing_ok=True)
        self.storage.close()
        self._lock.close()

    def run(self) -> None:
        """Serve until interrupted (Ctrl-C or SIGTERM), then stop the worker and release the folder."""

        def stop(signum: int, frame: Any) -> None:
            raise _Stopped

        # uvicorn shuts down gracefully on these signals and then raises them again: here, to end quietly
        previous = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
        self._started()
        try:
            self.server.run(sockets=[self.socket])
        except _Stopped:
            pass
        finally:
            self._stopped()
            for number, handler in previous.items():
                signal.signal(number, handler)

    def start_in_thread(self) -> None:
        """Serve from a background thread (for tests and notebooks); :meth:`stop` ends it."""
        self._started()
        self._thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, name="activetext-uvicorn", daemon=True
        )
        self._thread.start()
        while not self.server.started and self._thread.is_alive():
            threading.Event().wait(0.02)

    def stop(self) -> None:
        """Stop a server started with :meth:`start_in_thread`."""
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._stopped()
