"""Code shared by the two runners of the transformer-loop benchmark (issue 5).

Imported from inside *both* virtual environments (activetext's ``.venv`` and
``benchmarks/.venv-small-text-transformers``), so it depends only on the standard library and numpy; torch is
imported inside the functions that need it.

A runner executes one job: one library, one data set, one seed. It reads the data that ``compare.py`` prepared
(texts, labels, the initial indices), builds its library's learner, and runs

    initialize_data(25 initial labels)            -> step 0 (its training time is recorded, not counted below)
    10 x [ query(25) ; update(labels) ]           -> steps 1..10

Per step it records the test accuracy (not timed) and, per iteration, the time of ``update`` (training), of
``query`` split into *scoring* (the wall time spent inside the classifier's ``predict_proba`` while ``query``
runs, measured by a wrapper the runner installs) and *selection* (the rest of ``query``), and their total.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# Protocol constants (issue 5).
DATASETS = ("sst2", "ag_news")
SEEDS = (0, 1, 2)
NUM_INITIAL = 25
NUM_ITERATIONS = 10
NUM_QUERIES = 25
THREADS = 2

# Training hyper-parameters used on both sides (see README for how each maps onto each library's API).
HYPER_PARAMETERS = {
    "num_epochs": 3,
    "batch_size": 16,
    "learning_rate": 5e-5,
    # 64 by default: 128 for every job did not fit the time budget on 2 shared cores (see README); the
    # environment variable TRANSFORMER_LOOP_MAX_LENGTH sets it for both runners of one invocation
    "max_length": int(os.environ.get("TRANSFORMER_LOOP_MAX_LENGTH", "64")),
    "validation_fraction": 0.1,
    # Training stops after the first epoch whose validation loss is not lower than the best so far, and the
    # weights of the best epoch are used. activetext: early_stopping_patience=1; small-text: an
    # EarlyStopping(Metric('val_loss'), patience=0) passed to fit() plus its default ModelSelection.
    "stop_after_epochs_without_improvement": 1,
}

BENCHMARKS_DIR = Path(__file__).resolve().parents[1]
DEFAULT_WORK_DIR = BENCHMARKS_DIR / ".work" / "transformer_loop"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class ScoringTimer:
    """Accumulates the wall time of the classifier's ``predict_proba`` calls while ``active`` is set."""

    def __init__(self) -> None:
        self.active = False
        self.seconds = 0.0
        self.calls = 0
        self.documents = 0

    def reset(self) -> None:
        self.seconds, self.calls, self.documents = 0.0, 0, 0

    def wrap(self, function: Callable[..., Any], data: Any, *args: Any, **kwargs: Any) -> Any:
        if not self.active:
            return function(data, *args, **kwargs)
        start = time.perf_counter()
        try:
            return function(data, *args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1
            self.documents += len(data)


def load_job_data(work_dir: Path, dataset: str, seed: int) -> dict[str, Any]:
    """The pool and test texts/labels and the seed's initial indices, as prepared by ``compare.py``."""
    folder = Path(work_dir) / dataset
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return {
        "pool_texts": json.loads((folder / "pool_texts.json").read_text(encoding="utf-8")),
        "pool_y": np.load(folder / "pool_y.npy"),
        "test_texts": json.loads((folder / "test_texts.json").read_text(encoding="utf-8")),
        "test_y": np.load(folder / "test_y.npy"),
        "initial": np.asarray(meta["initial_indices"][str(seed)], dtype=np.int64),
        "num_classes": int(meta["num_classes"]),
        "meta": meta,
    }


def set_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def forward_throughput(model_path: str, num_classes: int, batches: int = 6, batch_size: int = 16,
                       length: int = 128) -> float:
    """Plain transformers forward passes (no library code) on fixed 128-token batches: documents per second.

    Run in each venv at the start of every job, untimed, as a reference for the machine's speed at that moment
    and for the two environments' torch/transformers builds.
    """
    import torch
    import transformers

    transformers.logging.set_verbosity_error()
    model = transformers.AutoModelForSequenceClassification.from_pretrained(model_path, num_labels=num_classes)
    model.eval()
    generator = torch.Generator().manual_seed(0)
    input_ids = torch.randint(1000, 20000, (batch_size, length), generator=generator)
    mask = torch.ones_like(input_ids)
    with torch.no_grad():
        model(input_ids=input_ids, attention_mask=mask)  # warm-up
        start = time.perf_counter()
        for _ in range(batches):
            model(input_ids=input_ids, attention_mask=mask)
        elapsed = time.perf_counter() - start
    return batches * batch_size / elapsed


def run_loop(learner: Any, timer: ScoringTimer, pool_y: np.ndarray, initial: np.ndarray,
             evaluate: Callable[[Any], float], iterations: int, queries: int) -> dict[str, Any]:
    """Run one experiment; see the module docstring for what is timed."""
    start = time.perf_counter()
    learner.initialize_data(initial, pool_y[initial])
    initial_train = time.perf_counter() - start
    start = time.perf_counter()
    accuracy = evaluate(learner)
    steps = [{"labels": int(initial.size), "accuracy": accuracy, "train_seconds": initial_train,
              "eval_seconds": time.perf_counter() - start}]
    queried: list[int] = []
    labels = int(initial.size)
    for iteration in range(iterations):
        timer.reset()
        timer.active = True
        t0 = time.perf_counter()
        indices = np.asarray(learner.query(num_samples=queries))
        t1 = time.perf_counter()
        timer.active = False
        y = pool_y[indices]
        t2 = time.perf_counter()
        learner.update(y)
        t3 = time.perf_counter()
        accuracy = evaluate(learner)
        t4 = time.perf_counter()
        labels += int(indices.size)
        queried.extend(int(i) for i in indices)
        step = {
            "labels": labels,
            "accuracy": accuracy,
            "train_seconds": t3 - t2,
            "query_seconds": t1 - t0,
            "score_seconds": timer.seconds,
            "select_seconds": (t1 - t0) - timer.seconds,
            "total_seconds": (t1 - t0) + (t3 - t2),
            "scored_documents": timer.documents,
            "predict_proba_calls": timer.calls,
            "eval_seconds": t4 - t3,
        }
        steps.append(step)
        log(f"  iteration {iteration + 1}/{iterations}: {labels} labels, acc {accuracy:.4f}, "
            f"train {step['train_seconds']:.1f}s, score {step['score_seconds']:.1f}s "
            f"({step['scored_documents']} docs), select {step['select_seconds']:.3f}s")
    return {"steps": steps, "queried_indices": queried}


def accuracy_score(y_true: np.ndarray, y_pred: Any) -> float:
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--dataset", required=True, choices=DATASETS)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--iterations", type=int, default=NUM_ITERATIONS)
    parser.add_argument("--queries", type=int, default=NUM_QUERIES)
    parser.add_argument("--threads", type=int, default=THREADS, help="torch.set_num_threads")
    parser.add_argument("--output", type=Path, required=True, help="write the job's JSON here")
    return parser.parse_args()


def write_job(args: argparse.Namespace, library: str, library_version: str, versions: dict[str, str],
              settings: dict[str, Any], setup_seconds: float, throughput: float, result: dict[str, Any]) -> None:
    output = {
        "library": library,
        "library_version": library_version,
        "dataset": args.dataset,
        "seed": args.seed,
        "iterations": args.iterations,
        "queries": args.queries,
        "threads": args.threads,
        "settings": settings,
        "setup_seconds": setup_seconds,
        "forward_docs_per_second_at_128_tokens": throughput,
        "versions": {"python": platform.python_version(), "numpy": np.__version__, **versions},
        "executable": sys.executable,
        "pid": os.getpid(),
        **result,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(output), encoding="utf-8")
