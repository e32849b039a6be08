"""Query scaling, the floor: what touching the inputs once costs, with numpy alone.

    .venv/bin/python benchmarks/query_scaling/run_floor.py --size 100000 --output /tmp/floor.json

Measured at each pool size, in a fresh process, after loading the inputs like the runners do:

- ``proba_row_max``: ``np.max(proba, axis=1)`` over the whole ``(N, 4)`` float64 probability matrix, the one
  pass that any uncertainty strategy has to make;
- ``proba_row_max_columnwise``: the same row maxima as ``np.maximum`` of the 4 columns (numpy reduces a short
  last axis slowly, so this is several times faster; the floor used for the targets is the faster of the two);
- ``proba_gather_row_max``: ``proba[indices_unlabeled].max(axis=1)``, the same pass through the candidate
  indices (what a strategy that asks the classifier for the candidates' rows cannot avoid);
- ``embeddings_matvec``: ``embeddings @ v`` for one float32 vector ``v``: one pass over the ``(N, 384)`` float32
  embeddings, the least an embedding strategy does.

Each is run ``--repeats`` times (default 7) and the median is reported, with the peak RSS increase over the loaded
inputs (as in the runners).
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from pathlib import Path

import numpy as np
from common import DEFAULT_WORK_DIR, load_inputs, max_rss_bytes, versions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()

    inputs = load_inputs(args.work_dir, args.size, {"proba", "embeddings"})
    vector = np.random.default_rng(0).standard_normal(inputs.embeddings.shape[1]).astype(np.float32)
    operations = {
        "proba_row_max": lambda: np.max(inputs.proba, axis=1),
        "proba_row_max_columnwise": lambda: functools.reduce(np.maximum, inputs.proba.T),
        "proba_gather_row_max": lambda: inputs.proba[inputs.unlabeled].max(axis=1),
        "embeddings_matvec": lambda: inputs.embeddings @ vector,
    }
    result = {"library": "floor", "size": args.size, "operations": {},
              "versions": versions(["numpy"])}
    for name, operation in operations.items():
        baseline = max_rss_bytes()
        seconds = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            operation()
            seconds.append(time.perf_counter() - start)
        result["operations"][name] = {
            "seconds": float(np.median(seconds)),
            "seconds_all": seconds,
            "peak_extra_bytes": max(0, max_rss_bytes() - baseline),
        }
    text = json.dumps(result)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
    else:
        print(text)


if __name__ == "__main__":
    main()
