"""The labeling app: ``activetext serve`` puts the active learning loop in front of people.

A project lives in one folder: an SQLite database (the source of truth for documents, labels, skips, the queue
and model versions), the trained models as versioned files, and the admin token. The server (FastAPI and
uvicorn, the ``app`` extra) serves a JSON API and one page; a background process retrains the model and refills
the queue while annotators keep labeling.

Modules
-------
project
    Project settings: command-line options or a TOML project file, validated once.
texts
    Reading documents from CSV, JSONL and Parquet.
storage
    The SQLite schema, connections and transactions.
labeling
    What annotators do: next document, label, correct, skip, undo, mark unlabelable.
model
    One training round (run in a worker process) and the exported model.
worker
    The background thread that schedules training rounds and writes their results.
api
    The FastAPI application.
server
    Opening a project folder and running uvicorn.
"""

from __future__ import annotations

__all__: list[str] = []
