"""Load benchmark of the labeling app: simulated annotators label over loopback while the model retrains.

20 annotators (threads, one keep-alive HTTP connection each) each take a document (``GET /api/next``) and label
it with its true label (``POST /api/documents/{id}/label``) 500 times, against ``activetext serve`` running as
its own process on 127.0.0.1 with the TF-IDF classifier, on the 25,000 imdb training reviews. The server retrains
and refills the queue in the background the whole time. The benchmark reports the throughput, the latency of
label submission (p50, p95, p99; overall and while a training round was running) and of taking a document,
and checks in the database that every acknowledged label is stored exactly once and nothing else is.

small-text has no labeling app, so there is no small-text side to this benchmark.

    .venv/bin/python benchmarks/app_load/run.py                  # 20 x 500, writes benchmarks/results/app_load/
    .venv/bin/python benchmarks/app_load/run.py --annotators 4 --labels 50 --output /tmp/x.json   # a quick look
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import activetext
from activetext.datasets import data_root

RESULTS = Path(__file__).resolve().parents[1] / "results" / "app_load" / "app_load.json"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Connection:
    """One annotator's keep-alive connection to the server."""

    def __init__(self, port: int, token: str):
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        for attempt in range(2):
            try:
                self.http.request(method, path, body=data, headers=self.headers)
                response = self.http.getresponse()
                return response.status, json.loads(response.read())
            except (ConnectionError, http.client.HTTPException):
                if attempt:
                    raise
                self.http.close()
                self.http = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        raise AssertionError("unreachable")


def percentiles(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {
        "count": len(values),
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ordered[-1] * 1000, 2),
        "mean_ms": round(statistics.fmean(values) * 1000, 2),
    }


def write_texts(folder: Path, documents: int) -> tuple[Path, dict[str, str], list[str]]:
    source = data_root() / "imdb"
    names = (source / "labels.txt").read_text(encoding="utf-8").split()
    truth = {}
    path = folder / "texts.jsonl"
    with (source / "train.jsonl").open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    random.Random(0).shuffle(rows)  # the file is sorted by label
    with path.open("w", encoding="utf-8") as out:
        for index, row in enumerate(rows[:documents]):
            out.write(json.dumps({"id": f"imdb-{index}", "text": row["text"]}) + "\n")
            truth[f"imdb-{index}"] = names[row["label"]]
    return path, truth, names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--annotators", type=int, default=20)
    parser.add_argument("--labels", type=int, default=500, help="labels per annotator")
    parser.add_argument("--documents", type=int, default=25_000)
    parser.add_argument("--classifier", default="tfidf")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.annotators * args.labels > args.documents:
        parser.error("--annotators x --labels must not exceed --documents")

    load_at_start = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="activetext-app-load-"))
    texts, truth, names = write_texts(work, args.documents)
    folder = work / "project"
    port = free_port()
    command = [sys.executable, "-m", "activetext.cli", "serve", str(folder), "--texts", str(texts)]
    command += ["--id-column", "id", "--classifier", args.classifier, "--port", str(port)]
    command += [item for name in names for item in ("--label", name)]
    command += [item for index in range(args.annotators) for item in ("--annotator", f"annotator-{index:02d}")]
    log = (work / "server.log").open("w")
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
    tokens: dict[str, str] = {}
    for line in server.stdout:
        if line.startswith("annotator "):
            name, _, url = line[len("annotator ") :].partition(": ")
            tokens[name] = url.strip().split("#token=")[1]
        if line.startswith("listening on"):
            break
    admin_token = (folder / "admin-token").read_text().strip()
    threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
    deadline = time.monotonic() + 60
    while True:
        try:
            Connection(port, admin_token).call("GET", "/api/project")
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)

    training = {"busy": False}
    samples: list[dict] = []
    stop_monitor = threading.Event()

    def monitor() -> None:
        connection = Connection(port, admin_token)
        while not stop_monitor.is_set():
            _, stats = connection.call("GET", "/api/stats")
            training["busy"] = stats["training"]["state"] == "training"
            model = stats["model"] or {}
            samples.append(
                {
                    "t": time.monotonic(),
                    "training": training["busy"],
                    "rounds": stats["training"]["rounds"],
                    "version": model.get("version"),
                    "labeled": stats["labeled"],
                }
            )
            stop_monitor.wait(0.25)

    acknowledged: dict[str, list[tuple[int, str]]] = {name: [] for name in tokens}
    label_times: list[float] = []
    label_times_training: list[float] = []
    next_times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def annotate(name: str) -> None:
        connection = Connection(port, tokens[name])
        for _ in range(args.labels):
            started = time.perf_counter()
            status, reply = connection.call("GET", "/api/next")
            taken = time.perf_counter() - started
            if status != 200 or reply["document"] is None:
                errors.append(f"{name}: next answered {status} {reply}")
                return
            document = reply["document"]
            label = truth[document["external_id"]]
            busy = training["busy"]
            started = time.perf_counter()
            status, reply = connection.call("POST", f"/api/documents/{document['id']}/label", {"label": label})
            elapsed = time.perf_counter() - started
            if status != 200 or not reply["stored"]:
                errors.append(f"{name}: label answered {status} {reply}")
                continue
            with lock:
                next_times.append(taken)
                label_times.append(elapsed)
                if busy:
                    label_times_training.append(elapsed)
                acknowledged[name].append((document["id"], label))

    watcher = threading.Thread(target=monitor, daemon=True)
    watcher.start()
    threads = [threading.Thread(target=annotate, args=(name,)) for name in tokens]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    time.sleep(0.5)
    stop_monitor.set()
    watcher.join()
    _, final_stats = Connection(port, admin_token).call("GET", "/api/stats")
    server.send_signal(signal.SIGTERM)
    server.wait(60)

    # what the database holds
    connection = sqlite3.connect(folder / "activetext.db")
    stored = connection.execute(
        """SELECT n.name, a.document_id, a.label FROM annotations a JOIN annotators n ON n.id = a.annotator_id"""
    ).fetchall()
    duplicates = connection.execute(
        "SELECT COUNT(*) FROM (SELECT document_id FROM annotations GROUP BY document_id HAVING COUNT(*) > 1)"
    ).fetchone()[0]
    models = connection.execute("SELECT COUNT(*), MAX(num_labels) FROM models").fetchone()
    connection.close()
    expected = {
        (name, document_id, names.index(label)) for name, items in acknowledged.items() for document_id, label in items
    }
    stored_set = set(stored)
    total = sum(len(items) for items in acknowledged.values())
    busy_share = sum(sample["training"] for sample in samples) / max(1, len(samples))
    result = {
        "benchmark": "app_load",
        "description": __doc__.split("\n\n")[0],
        "small_text": "no equivalent: small-text has no labeling app or server, so there is nothing to compare",
        "setup": {
            "annotators": args.annotators,
            "labels_per_annotator": args.labels,
            "documents": args.documents,
            "dataset": "imdb train (a seeded random sample)",
            "classifier": args.classifier,
            "strategy": "breaking-ties",
            "transport": "HTTP/1.1 keep-alive over 127.0.0.1, one connection per annotator",
            "server": "activetext serve (uvicorn, one process) + one training process",
        },
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_at_start": [round(value, 2) for value in load_at_start],
            "note": "a shared 2-core machine: other jobs may run at the same time (see the load average)",
            "activetext": activetext.__version__,
        },
        "seconds": round(seconds, 2),
        "throughput_labels_per_second": round(total / seconds, 1),
        "throughput_requests_per_second": round(2 * total / seconds, 1),
        "label_submission": percentiles(label_times),
        "label_submission_while_training": percentiles(label_times_training),
        "next_document": percentiles(next_times),
        "training": {
            "rounds": samples[-1]["rounds"] if samples else None,
            "model_versions": models[0],
            "largest_training_set": models[1],
            "share_of_time_training": round(busy_share, 3),
            "final_accuracy_estimate": (final_stats["model"] or {}).get("accuracy"),
        },
        "verification": {
            "acknowledged": total,
            "stored": len(stored),
            "every_acknowledged_label_stored": expected <= stored_set,
            "nothing_stored_unacknowledged": stored_set <= expected,
            "documents_labeled_twice": duplicates,
            "request_errors": errors[:20],
            "passed": expected == stored_set and duplicates == 0 and not errors and len(stored) == total,
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        json.dumps(
            {
                key: result[key]
                for key in (
                    "seconds",
                    "throughput_labels_per_second",
                    "label_submission",
                    "label_submission_while_training",
                    "next_document",
                    "training",
                    "verification",
                )
            },
            indent=2,
        )
    )
    print(f"wrote {args.output}")
    if not result["verification"]["passed"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
