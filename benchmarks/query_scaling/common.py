"""Code shared by the query-scaling runners (activetext's, small-text's and the numpy floor).

Imported from inside *both* virtual environments, so it depends on the standard library and numpy only.

One runner call measures one ``query`` of one strategy of one library at one pool size, in a fresh process:

1. the fixed inputs (written once by ``compare.py``) are loaded into memory, only those the strategy needs,
   and the library, the dataset, the stub classifier and the strategy object are built;
2. the baseline is taken: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` (the process's peak resident set so
   far, which at that point is its current size, inputs included);
3. ``query(n=20)`` runs once under ``time.perf_counter`` (and ``time.process_time``, the CPU time of all the
   process's threads, which a loaded machine inflates less than wall time); the peak memory reported is
   ``ru_maxrss after - ru_maxrss before``, i.e. how far the query pushed the process's resident set above
   the loaded inputs (numpy buffers, scipy/scikit-learn/hnswlib allocations, everything);
4. when the query took less than ``REPEAT_BELOW_S``, it is repeated with a fresh strategy object (same seed)
   until ``MAX_REPEATS`` (5) timings are in, and the median is reported (all timings are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

BENCHMARKS_DIR = Path(__file__).resolve().parents[1]
DEFAULT_WORK_DIR = BENCHMARKS_DIR / ".work" / "query_scaling"

# --- the protocol ------------------------------------------------------------------------------------------
SIZES = (10_000, 100_000, 1_000_000)
MAX_SIZE = max(SIZES)
NUM_CLASSES = 4
DIM = 384
NUM_QUERIES = 20
NUM_LABELED = 100
LABELED_FROM = 10_000  # the labeled rows are drawn among the first 10k rows, so one set serves every size
SEED_PROBA = 0
SEED_EMBEDDINGS = 1
SEED_MULTI_LABEL = 2
SEED_LABELED = 3
STRATEGY_SEED = 0
REPEAT_BELOW_S = 1.0
MAX_REPEATS = 5

INPUT_FILES = {
    "proba": "proba.npy",
    "embeddings": "embeddings.npy",
    "proba_multi_label": "proba_multi_label.npy",
    "labeled": "labeled.npy",
    "y": "y.npy",
    "y_multi_label": "y_multi_label.npy",
}
INPUT_DESCRIPTION = {
    "proba": f"(1_000_000, {NUM_CLASSES}) float64, rows ~ Dirichlet(1, 1, 1, 1), default_rng({SEED_PROBA})",
    "embeddings": f"(1_000_000, {DIM}) float32, standard normal, default_rng({SEED_EMBEDDINGS}), "
                  "drawn in blocks of 50_000 rows",
    "proba_multi_label": f"(1_000_000, {NUM_CLASSES}) float64, independent uniform(0, 1) per label, "
                         f"default_rng({SEED_MULTI_LABEL})",
    "labeled": f"{NUM_LABELED} row indices drawn without replacement from range({LABELED_FROM}), "
               f"default_rng({SEED_LABELED}); every pool size uses the same labeled rows",
    "y": f"labels of the labeled rows: {NUM_LABELED // NUM_CLASSES} per class, shuffled",
    "y_multi_label": "(100, 4) 0/1 indicator, each label on with probability 0.4, at least one per row",
    "pool": "a pool of size N is the first N rows of every matrix; indices_unlabeled = "
            "setdiff1d(arange(N), labeled) (sorted)",
}


# --------------------------------------------------------------------------------------------------------
# Inputs (written once by compare.py; read by every runner)
# --------------------------------------------------------------------------------------------------------

def inputs_meta() -> dict[str, Any]:
    return {
        "version": 1,
        "max_size": MAX_SIZE,
        "num_classes": NUM_CLASSES,
        "dim": DIM,
        "num_labeled": NUM_LABELED,
        "seeds": [SEED_PROBA, SEED_EMBEDDINGS, SEED_MULTI_LABEL, SEED_LABELED],
        "numpy": np.__version__,
    }


def prepare_inputs(work_dir: Path, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Write the fixed inputs into ``work_dir`` unless they are already there (checked by ``meta.json``)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    meta_path = work_dir / "meta.json"
    meta = inputs_meta()
    complete = all((work_dir / name).exists() for name in INPUT_FILES.values())
    if complete and meta_path.exists() and json.loads(meta_path.read_text()) == meta:
        return meta
    start = time.perf_counter()
    meta_path.unlink(missing_ok=True)

    rng = np.random.default_rng(SEED_PROBA)
    np.save(work_dir / INPUT_FILES["proba"], rng.dirichlet(np.ones(NUM_CLASSES), size=MAX_SIZE))

    rng = np.random.default_rng(SEED_EMBEDDINGS)
    out = np.lib.format.open_memmap(work_dir / INPUT_FILES["embeddings"], mode="w+", dtype=np.float32,
                                    shape=(MAX_SIZE, DIM))
    block = 50_000
    for start_row in range(0, MAX_SIZE, block):
        rows = min(block, MAX_SIZE - start_row)
        out[start_row:start_row + rows] = rng.standard_normal((rows, DIM), dtype=np.float32)
    out.flush()
    del out

    rng = np.random.default_rng(SEED_MULTI_LABEL)
    np.save(work_dir / INPUT_FILES["proba_multi_label"], rng.random((MAX_SIZE, NUM_CLASSES)))

    rng = np.random.default_rng(SEED_LABELED)
    labeled = np.sort(rng.choice(LABELED_FROM, size=NUM_LABELED, replace=False)).astype(np.int64)
    y = rng.permutation(np.repeat(np.arange(NUM_CLASSES), NUM_LABELED // NUM_CLASSES)).astype(np.int64)
    y_multi = (rng.random((NUM_LABELED, NUM_CLASSES)) < 0.4).astype(np.int64)
    empty = y_multi.sum(axis=1) == 0
    y_multi[empty, rng.integers(NUM_CLASSES, size=int(empty.sum()))] = 1
    np.save(work_dir / INPUT_FILES["labeled"], labeled)
    np.save(work_dir / INPUT_FILES["y"], y)
    np.save(work_dir / INPUT_FILES["y_multi_label"], y_multi)

    meta_path.write_text(json.dumps(meta))
    log(f"wrote the inputs to {work_dir} in {time.perf_counter() - start:.1f}s")
    return meta


@dataclass
class Inputs:
    """What a strategy builder receives: the pool of size ``size`` and its fixed matrices."""

    size: int
    labeled: np.ndarray
    unlabeled: np.ndarray
    y: np.ndarray
    y_multi_label: np.ndarray
    proba: np.ndarray | None = None
    embeddings: np.ndarray | None = None
    proba_multi_label: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def load_inputs(work_dir: Path, size: int, needs: set[str]) -> Inputs:
    """Read the first ``size`` rows of the matrices in ``needs`` into memory (copies, not memory maps)."""
    def rows(name: str) -> np.ndarray:
        # read the first rows straight into a fresh array: no memory map, whose resident file pages would
        # raise the peak RSS above the inputs and hide the query's own memory
        with open(work_dir / INPUT_FILES[name], "rb") as handle:
            major, _minor = np.lib.format.read_magic(handle)
            read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(handle)
            if fortran or len(shape) != 2 or shape[0] < size:
                raise ValueError(f"{name}: unexpected array header {shape}, fortran={fortran}")
            array = np.fromfile(handle, dtype=dtype, count=size * shape[1])
        return array.reshape(size, shape[1])

    labeled = np.load(work_dir / INPUT_FILES["labeled"])
    inputs = Inputs(
        size=size,
        labeled=labeled,
        unlabeled=np.setdiff1d(np.arange(size, dtype=np.int64), labeled),
        y=np.load(work_dir / INPUT_FILES["y"]),
        y_multi_label=np.load(work_dir / INPUT_FILES["y_multi_label"]),
    )
    for name in ("proba", "embeddings", "proba_multi_label"):
        if name in needs:
            setattr(inputs, name, rows(name))
    return inputs


# --------------------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------------------

def max_rss_bytes() -> int:
    """The process's peak resident set size so far (``ru_maxrss`` is in KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def current_rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None


@dataclass
class Case:
    """A strategy as a runner registers it.

    ``build(inputs)`` returns a zero-argument callable that runs one query (``n`` documents) with a fresh
    strategy object and returns the selected indices; building is not timed.
    """

    build: Callable[[Inputs, int], Callable[[], Any]]
    needs: set[str]
    config: str
    multi_label: bool = False


def check_selection(selected: Any, inputs: Inputs, n: int) -> list[int]:
    selected = np.asarray(selected, dtype=np.int64).ravel()
    problems = []
    if selected.size != n:
        problems.append(f"returned {selected.size} indices, expected {n}")
    if np.unique(selected).size != selected.size:
        problems.append("returned duplicate indices")
    if np.isin(selected, inputs.labeled).any():
        problems.append("returned labeled rows")
    if selected.size and (selected.min() < 0 or selected.max() >= inputs.size):
        problems.append("returned indices outside the pool")
    if problems:
        raise AssertionError("; ".join(problems) + f": {selected[:10].tolist()}")
    return selected.tolist()


def run_case(case: Case, inputs: Inputs, n: int, profile: Path | None = None) -> dict[str, Any]:
    """Time one case (see the module docstring) and return the measurements."""
    make_query = case.build(inputs, n)
    np.random.seed(STRATEGY_SEED)  # noqa: NPY002 - small-text draws from numpy's global generator
    rss_before = current_rss_bytes()
    baseline = max_rss_bytes()
    profiler = None
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu_start = time.process_time()
    start = time.perf_counter()
    selected = make_query()
    seconds = [time.perf_counter() - start]
    cpu_seconds = [time.process_time() - cpu_start]
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(str(profile))
    peak = max_rss_bytes()
    indices = check_selection(selected, inputs, n)
    del make_query, selected
    while profile is None and seconds[0] < REPEAT_BELOW_S and len(seconds) < MAX_REPEATS:
        query = case.build(inputs, n)
        np.random.seed(STRATEGY_SEED)  # noqa: NPY002 - the same global state as the first query
        cpu_start = time.process_time()
        start = time.perf_counter()
        query()
        seconds.append(time.perf_counter() - start)
        cpu_seconds.append(time.process_time() - cpu_start)
        del query
    return {
        "seconds": float(np.median(seconds)),
        "seconds_all": seconds,
        "cpu_seconds": float(np.median(cpu_seconds)),
        "load_average_1min": os.getloadavg()[0],
        "peak_extra_bytes": max(0, peak - baseline),
        "baseline_rss_bytes": baseline,
        "current_rss_before_bytes": rss_before,
        "selected": indices,
        "profiled": profile is not None,
    }


DISTRIBUTIONS = {"numpy": "numpy", "scipy": "scipy", "sklearn": "scikit-learn", "hnswlib": "hnswlib",
                 "faiss": "faiss-cpu"}


def versions(modules: list[str]) -> dict[str, str]:
    """Installed versions (from the package metadata: hnswlib has no ``__version__``)."""
    from importlib import metadata

    found = {"python": platform.python_version()}
    for name in modules:
        try:
            found[name] = metadata.version(DISTRIBUTIONS.get(name, name))
        except metadata.PackageNotFoundError:
            continue
    return found


def runner_main(library: str, library_version: str, registry: dict[str, Case], doc: str | None) -> None:
    """The command line of both runners: measure one (strategy, size) and write a JSON file."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK_DIR)
    parser.add_argument("--strategy", help="one of --list")
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--n", type=int, default=NUM_QUERIES)
    parser.add_argument("--output", type=Path, help="JSON file for the measurement (default: stdout)")
    parser.add_argument("--profile", type=Path, help="write cProfile stats of the (single) query here")
    parser.add_argument("--list", action="store_true", help="print the strategies as JSON and exit")
    args = parser.parse_args()

    if args.list:
        print(json.dumps({name: {"needs": sorted(case.needs), "config": case.config,
                                 "multi_label": case.multi_label} for name, case in registry.items()}))
        return
    if args.strategy not in registry:
        sys.exit(f"unknown strategy {args.strategy!r}; known: {sorted(registry)}")
    case = registry[args.strategy]
    warnings.simplefilter("ignore")
    np.random.seed(STRATEGY_SEED)  # noqa: NPY002 - small-text draws from numpy's global generator
    load_start = time.perf_counter()
    inputs = load_inputs(args.work_dir, args.size, case.needs)
    load_seconds = time.perf_counter() - load_start
    result = run_case(case, inputs, args.n, profile=args.profile)
    result.update({
        "library": library,
        "library_version": library_version,
        "strategy": args.strategy,
        "config": case.config,
        "size": args.size,
        "n": args.n,
        "load_seconds": load_seconds,
        "thread_environment": {name: os.environ.get(name) for name in
                               ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")},
        "versions": versions(["numpy", "scipy", "sklearn", "hnswlib", "faiss"]),
    })
    text = json.dumps(result)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
    else:
        print(text)
