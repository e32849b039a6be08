"""Crash safety: SIGKILL the server in the middle of a labeling session, start it again, and find every
acknowledged label there exactly once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from app_helpers import Client, free_port, new_project, wait_for, write_texts

from activetext.app.model import load_model


def start_server(folder: Path, port: int, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "activetext.cli", "serve", str(folder), "--port", str(port)]
    process = subprocess.Popen(command, stdout=log.open("ab"), stderr=subprocess.STDOUT)

    def ready():
        info = folder / "server.json"
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}: {log.read_text()}")
        return info.is_file() and json.loads(info.read_text())["pid"] == process.pid

    wait_for(ready, timeout=60)
    url = f"http://127.0.0.1:{port}/"
    wait_for(lambda: Client(url, None).get("/")[0] == 200, timeout=30)
    return process


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def test_sigkill_mid_session_loses_no_acknowledged_label(tmp_path):
    texts, truth = write_texts(tmp_path, n_per_class=150)
    folder = new_project(tmp_path / "project", texts, batch_size=10)
    port = free_port()
    log = tmp_path / "server.log"
    token = (folder / "admin-token").read_text().strip()
    server = start_server(folder, port, log)
    url = f"http://127.0.0.1:{port}/"
    admin = Client(url, token)
    tokens = [admin.post("/api/annotators", {"name": f"annotator {index}"})[1]["token"] for index in range(4)]
    acknowledged: dict[int, str] = {}  # document id -> label, for every 200 answer
    reserved: dict[int, int] = {}  # annotator -> the document last shown to them, unlabeled
    lock = threading.Lock()
    stop = threading.Event()

    def annotate(index: int) -> None:
        client = Client(url, tokens[index])
        while not stop.is_set():
            try:
                document = client.next()
                if document is None:
                    return
                with lock:
                    reserved[index] = document["id"]
                label = truth[document["external_id"]]
                status, _ = client.label(document["id"], label)
            except (OSError, AssertionError):
                return  # the server is gone
            if status == 200:
                with lock:
                    acknowledged[document["id"]] = label
                    reserved.pop(index, None)
            time.sleep(0.02)  # a fast annotator, but not a flood: the model gets trained meanwhile

    threads = [threading.Thread(target=annotate, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    database = folder / "activetext.db"
    wait_for(lambda: sqlite3.connect(database).execute("SELECT COUNT(*) FROM models").fetchone()[0], timeout=60)
    wait_for(lambda: len(acknowledged) >= 60, timeout=60, interval=0.02)
    assert len(acknowledged) < 400  # still mid-session
    trainers = children_of(server.pid)
    server.send_signal(signal.SIGKILL)  # mid-session: the annotators are still sending labels
    server.wait(10)
    stop.set()
    for thread in threads:
        thread.join(30)
    assert len(acknowledged) >= 60
    # the training process notices that the server is gone and exits
    wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in trainers), timeout=10)

    server = start_server(folder, port, log)
    try:
        connection = sqlite3.connect(folder / "activetext.db")
        stored = dict(connection.execute("SELECT document_id, label FROM annotations").fetchall())
        labels = ("sport", "finance", "science")
        for document_id, label in acknowledged.items():
            assert labels[stored[document_id]] == label  # every acknowledged label is there
        # at most one label per document (and in-flight requests that were never answered added at most 4)
        duplicates = connection.execute(
            "SELECT document_id FROM annotations GROUP BY document_id, annotator_id HAVING COUNT(*) > 1"
        ).fetchall()
        assert duplicates == []
        assert len(stored) - len(acknowledged) <= 4
        counts = dict(connection.execute("SELECT id, n_annotations FROM documents").fetchall())
        assert all(counts[document_id] == 1 for document_id in stored)
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        # the model is restored: its newest version is on disk and loads
        folder_name = connection.execute("SELECT folder FROM models ORDER BY version DESC").fetchone()[0]
        assert set(load_model(folder / "models" / folder_name).predict(["goal match team"])) <= set(labels)
        connection.close()
        # reservations survive: an annotator whose document was shown but not labeled gets it again
        for index, document_id in reserved.items():
            if document_id not in stored:
                assert Client(url, tokens[index]).next()["id"] == document_id
        status, stats = admin.get("/api/stats")
        assert status == 200 and stats["labeled"] == len(stored)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(20)
    assert server.returncode == 0 and not (folder / "server.json").exists()
    assert not os.path.exists(folder / "activetext.db-wal") or os.path.getsize(folder / "activetext.db-wal") == 0
