"""Shared helpers of the app tests: texts, projects, a running server and a small HTTP client (no conftest.py
here: it would shadow tests/conftest.py)."""

from __future__ import annotations

import csv
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from activetext.app.project import LabelSpec, ProjectSettings, SourceSpec
from activetext.app.server import RunningServer, create_project
from text_files import topic_texts

LABELS = ("sport", "finance", "science")


def write_texts(folder: Path, n_per_class: int = 40, seed: int = 0, prefix: str = "doc") -> tuple[Path, dict[str, str]]:
    """A CSV of topic documents with ids; return it and the true label of each id."""
    rows = topic_texts(n_per_class, seed)
    path = folder / f"{prefix}-texts.csv"
    truth = {}
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "label"])
        for index, (text, label) in enumerate(rows):
            writer.writerow([f"{prefix}-{index}", text, label])
            truth[f"{prefix}-{index}"] = label
    return path, truth


def new_project(folder: Path, texts: Path, **settings: Any) -> Path:
    """Create a project (TF-IDF classifier, small batches) in ``folder``."""
    options = {"classifier": "tfidf", "batch_size": 5, **settings}
    labels = tuple(LabelSpec(name, f"about {name}") for name in LABELS)
    storage, _ = create_project(folder, ProjectSettings(labels=labels, **options), SourceSpec(texts, "text", "id"))
    storage.close()
    return folder


class Client:
    """JSON over HTTP with a token; returns ``(status, body)`` and never raises for an HTTP error."""

    def __init__(self, url: str, token: str | None):
        self.url = url.rstrip("/")
        self.token = token

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        all_headers = dict(headers or {})
        if self.token is not None:
            all_headers.setdefault("Authorization", f"Bearer {self.token}")
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            all_headers.setdefault("Content-Type", "application/json")
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, content, kind = response.status, response.read(), response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            status, content, kind = error.code, error.read(), error.headers.get("Content-Type", "")
        if kind.startswith("application/json"):
            return status, json.loads(content)
        return status, content

    def get(self, path: str) -> tuple[int, Any]:
        return self.request("GET", path)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None) -> tuple[int, Any]:
        return self.request("PUT", path, body)

    def next(self) -> dict | None:
        status, reply = self.get("/api/next")
        assert status == 200, reply
        return reply["document"]

    def label(self, document_id: int, label: str) -> tuple[int, Any]:
        return self.post(f"/api/documents/{document_id}/label", {"label": label})


@contextmanager
def serving(folder: Path, **options: Any) -> Iterator[RunningServer]:
    """Serve a project from a thread on a free port for the duration of the block."""
    server = RunningServer(folder, port=0, **options)
    server.start_in_thread()
    try:
        yield server
    finally:
        server.stop()


def wait_for(condition, timeout: float = 30.0, interval: float = 0.1) -> Any:
    """Poll ``condition()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def label_true(client: Client, truth: dict[str, str], count: int) -> list[dict]:
    """Take and label ``count`` documents with their true labels; return the documents."""
    done = []
    for _ in range(count):
        document = client.next()
        assert document is not None
        status, reply = client.label(document["id"], truth[document["external_id"]])
        assert status == 200, reply
        done.append(document)
    return done
