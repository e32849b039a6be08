"""Shared pieces of the fuzzing suite: hypothesis profiles, data strategies and the report collector.

The suite (``tests/fuzz/test_fuzz_*.py``) throws random data sets, random labels and random calls in random order
at the public API. Every call goes through :func:`attempt`, which lets an
:class:`~activetext.exceptions.ActiveTextError` through as a recorded, documented refusal and lets every other
exception fail the test (an internal error such as ``IndexError`` or a raw ``ValueError`` from numpy or
scikit-learn is a bug).

Profiles (chosen with the environment variable ``ACTIVETEXT_FUZZ_PROFILE``; only the fuzzing tests use them, the
rest of the test suite keeps hypothesis' defaults):

* ``ci`` (the default): modest example counts, derandomized and without the example database, so every run
  tests the same examples and the whole suite stays well under a minute on two cores;
* ``thorough``: ten times the examples (still derandomized, so its figures are reproducible too);
  ``benchmarks/fuzz/run.py`` runs it.

When ``ACTIVETEXT_FUZZ_REPORT`` names a file, the suite writes there (at the end of the session) how many
examples each test ran, how many API calls it made and which exception types those calls reached.
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from activetext.exceptions import ActiveTextError, InvalidArgumentError
from activetext.stopping_criteria import StoppingCriterion

# --- profiles ----------------------------------------------------------------------------------------------

PROFILE_VARIABLE = "ACTIVETEXT_FUZZ_PROFILE"
REPORT_VARIABLE = "ACTIVETEXT_FUZZ_REPORT"
THOROUGH_FACTOR = 10
"""How many times more examples the ``thorough`` profile runs than ``ci``."""

settings.register_profile(
    "activetext-fuzz-ci",
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.register_profile("activetext-fuzz-thorough", parent=settings.get_profile("activetext-fuzz-ci"))


def profile_name() -> str:
    """The active fuzzing profile: ``ci`` or ``thorough``."""
    name = os.environ.get(PROFILE_VARIABLE, "ci").strip().lower() or "ci"
    if name not in ("ci", "thorough"):
        raise pytest.UsageError(f"{PROFILE_VARIABLE} must be 'ci' or 'thorough', got {name!r}")
    return name


def fuzz_settings(max_examples: int, **overrides: Any) -> settings:
    """Settings for one fuzzing test: ``max_examples`` under ``ci``, ten times as many under ``thorough``."""
    name = profile_name()
    factor = THOROUGH_FACTOR if name == "thorough" else 1
    if os.environ.get("ACTIVETEXT_FUZZ_NO_SHRINK"):  # for debugging: report failures as found, unshrunk
        overrides.setdefault("phases", [Phase.explicit, Phase.reuse, Phase.generate])
    return settings(settings.get_profile(f"activetext-fuzz-{name}"), max_examples=max_examples * factor, **overrides)


# --- the report ----------------------------------------------------------------------------------------------


class FuzzReport:
    """What the fuzzing reached: examples per test, calls per operation and the exception types they raised."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.examples: Counter[str] = Counter()
        self.outcomes: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def example(self, test: str) -> None:
        """Count one example (one generated input, or one run of a state machine) of ``test``."""
        with self._lock:
            self.examples[test] += 1

    def outcome(self, test: str, operation: str, result: str) -> None:
        """Count one call of ``operation`` in ``test`` that ended with ``result`` ("ok" or an exception type)."""
        with self._lock:
            self.outcomes[f"{test}::{operation}"][result] += 1

    def to_json(self) -> dict[str, Any]:
        tests: dict[str, Any] = {}
        for test, count in sorted(self.examples.items()):
            tests[test] = {"examples": count, "calls": 0, "succeeded": 0, "exceptions": {}, "operations": {}}
        for key, results in sorted(self.outcomes.items()):
            test, operation = key.split("::", 1)
            entry = tests.setdefault(
                test, {"examples": 0, "calls": 0, "succeeded": 0, "exceptions": {}, "operations": {}}
            )
            entry["operations"][operation] = dict(sorted(results.items()))
            entry["calls"] += sum(results.values())
            entry["succeeded"] += results.get("ok", 0)
            for result, count in results.items():
                if result != "ok":
                    entry["exceptions"][result] = entry["exceptions"].get(result, 0) + count
        exceptions: Counter[str] = Counter()
        for entry in tests.values():
            entry["exceptions"] = dict(sorted(entry["exceptions"].items()))
            exceptions.update(entry["exceptions"])
        return {
            "profile": profile_name(),
            "examples": sum(entry["examples"] for entry in tests.values()),
            "calls": sum(entry["calls"] for entry in tests.values()),
            "succeeded": sum(entry["succeeded"] for entry in tests.values()),
            "exceptions": dict(sorted(exceptions.items(), key=lambda item: (-item[1], item[0]))),
            "tests": tests,
        }

    def write(self, path: str | os.PathLike) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")


REPORT = FuzzReport()
"""The collector every fuzzing test records into (one per process)."""


@pytest.fixture(scope="session", autouse=True)
def fuzz_report():
    """Write :data:`REPORT` to the file named by ``ACTIVETEXT_FUZZ_REPORT`` when the session ends.

    Each fuzzing module imports this fixture; every copy writes the whole (shared) report, so the last one to
    finish leaves the complete file.
    """
    yield REPORT
    target = os.environ.get(REPORT_VARIABLE)
    if target:
        REPORT.write(target)


class Outcome:
    """The result of :func:`attempt`: the value returned, or the documented error raised."""

    __slots__ = ("error", "value")

    def __init__(self, value: Any = None, error: ActiveTextError | None = None):
        self.value = value
        self.error = error

    @property
    def ok(self) -> bool:
        return self.error is None


def attempt(test: str, operation: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Outcome:
    """Call ``call(*args, **kwargs)``; record and return its value or its :class:`ActiveTextError`.

    Any other exception is recorded (as ``"INTERNAL <type>"``) and raised again, which fails the test: the
    public API must refuse bad input with a documented error, never crash with an internal one.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = call(*args, **kwargs)
    except ActiveTextError as error:
        REPORT.outcome(test, operation, type(error).__name__)
        return Outcome(error=error)
    except Exception as error:
        REPORT.outcome(test, operation, f"INTERNAL {type(error).__name__}")
        raise
    REPORT.outcome(test, operation, "ok")
    return Outcome(value=value)


def assert_same(before: Any, after: Any, path: str = "state") -> None:
    """Assert that two snapshots (nested dicts, lists, tuples, arrays and scalars) are exactly equal."""
    if isinstance(before, dict):
        assert isinstance(after, dict) and before.keys() == after.keys(), f"{path}: keys differ"
        for key in before:
            assert_same(before[key], after[key], f"{path}.{key}")
    elif isinstance(before, (list, tuple)):
        assert isinstance(after, (list, tuple)) and len(before) == len(after), f"{path}: lengths differ"
        for position, (left, right) in enumerate(zip(before, after, strict=True)):
            assert_same(left, right, f"{path}[{position}]")
    elif isinstance(before, np.ndarray) or isinstance(after, np.ndarray):
        np.testing.assert_array_equal(before, after, err_msg=path, strict=True)
    else:
        assert before == after, f"{path}: {before!r} != {after!r}"


# --- texts -------------------------------------------------------------------------------------------------

SPECIAL_CHARACTERS = [
    "\x00",  # NUL
    "\u0301",  # combining acute accent
    "e\u0301",  # e + combining accent (decomposed é)
    "\u05d0\u05d1\u05d2",  # Hebrew letters (RTL)
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629",  # Arabic (RTL)
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u200d",  # ZERO WIDTH JOINER
    "\ufeff",  # BOM / zero width no-break space
    "\ufffd",  # replacement character
    "\uffff",  # a noncharacter of the basic plane
    "\U0001f600",  # emoji (plane 1)
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # a ZWJ emoji sequence
    "\U00020000",  # CJK extension B (plane 2)
    "\U00030000",  # plane 3
    "\U000e0001",  # language tag (plane 14)
    "\U000f0000",  # private use (plane 15)
    "\U0010ffff",  # the last code point (plane 16)
    "\ud800",  # a lone high surrogate
    "\udfff",  # a lone low surrogate
    "\u3000",  # ideographic space
    "\u00a0",  # no-break space
    "\t\n\r\x0b\x0c",  # ASCII white space
]

WORDS = ["alpha", "beta", "gamma", "delta", "goal", "pitch", "puck", "ice", "bat", "run", "über", "naïve", "日本語"]

# every plane: 0 (basic), 1 (supplementary multilingual), 2 and 3 (ideographs), 14 (special purpose) and
# 15 and 16 (private use); surrogates included, which Python strings allow alone
any_character = st.one_of(
    st.characters(codec=None, categories=None, exclude_categories=()),
    st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF, categories=None, exclude_categories=()),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, categories=["Cs"]),
)

unicode_pieces = st.one_of(any_character, st.sampled_from(SPECIAL_CHARACTERS))
"""Single characters of any plane, or one of the special sequences (combining marks, RTL, ZWJ emoji, ...)."""


def unicode_text(min_size: int = 1, max_size: int = 30) -> st.SearchStrategy[str]:
    """Text made of :data:`unicode_pieces`."""
    return st.lists(unicode_pieces, min_size=min_size, max_size=max_size).map("".join)


words = st.one_of(st.sampled_from(WORDS), unicode_text(1, 8))


def long_documents() -> st.SearchStrategy[str]:
    """A very long text: a few words repeated to 10 thousand to 150 thousand characters."""
    return st.tuples(st.lists(words, min_size=1, max_size=4), st.integers(10_000, 150_000)).map(
        lambda drawn: (" ".join(drawn[0]) + " ") * (drawn[1] // (len(" ".join(drawn[0])) + 1) + 1)
    )


@st.composite
def documents(draw: st.DrawFn) -> str:
    """One short text: empty, white space only, unicode from every plane, or words."""
    kind = draw(st.sampled_from(["empty", "space", "unicode", "words", "words", "words"]))
    if kind == "empty":
        return ""
    if kind == "space":
        return draw(st.text(st.sampled_from(" \t\n\r\u00a0\u3000\u2028\x0b\x0c"), min_size=1, max_size=6))
    if kind == "unicode":
        return draw(unicode_text(1, 30))
    return " ".join(draw(st.lists(words, min_size=1, max_size=12)))


@st.composite
def label_layouts(draw: st.DrawFn, n: int, num_classes: int) -> np.ndarray:
    """Single-label true labels for ``n`` documents: balanced, one class only, or classes with one document."""
    layout = draw(st.sampled_from(["random", "one-class", "singletons"]))
    if layout == "one-class" or num_classes == 1:
        return np.full(n, draw(st.integers(0, num_classes - 1)), dtype=np.int64)
    if layout == "singletons":  # every class but the first holds a single document
        labels = np.zeros(n, dtype=np.int64)
        for c in range(1, min(num_classes, n)):
            labels[draw(st.integers(0, n - 1))] = c
        return labels
    return np.asarray(draw(st.lists(st.integers(0, num_classes - 1), min_size=n, max_size=n)), dtype=np.int64)


@st.composite
def multi_label_layouts(draw: st.DrawFn, n: int, num_classes: int) -> sp.csr_matrix:
    """Multi-label true labels: random rows, all empty, or every document with every label."""
    layout = draw(st.sampled_from(["random", "random", "empty", "full"]))
    if layout == "empty":
        return sp.csr_matrix((n, num_classes), dtype=np.int64)
    if layout == "full":
        return sp.csr_matrix(np.ones((n, num_classes), dtype=np.int64))
    cells = draw(st.lists(st.booleans(), min_size=n * num_classes, max_size=n * num_classes))
    return sp.csr_matrix(np.asarray(cells, dtype=np.int64).reshape(n, num_classes))


@st.composite
def text_pools(draw: st.DrawFn, *, min_size: int = 2, max_size: int = 24) -> list[str]:
    """Texts for a pool: short texts, at most two very long ones, and duplicates anywhere."""
    texts = draw(st.lists(documents(), min_size=min_size, max_size=max_size))
    if not texts:
        return texts
    for position in draw(st.lists(st.integers(0, len(texts) - 1), max_size=2, unique=True)):
        if draw(st.integers(0, 3)) == 0:
            texts[position] = draw(long_documents())
    duplicates = draw(st.lists(st.tuples(st.integers(0, len(texts) - 1), st.integers(0, len(texts) - 1)), max_size=4))
    for source, target in duplicates:
        texts[target] = texts[source]
    return texts


@st.composite
def feature_matrices(draw: st.DrawFn, *, sparse: bool, min_rows: int = 2, max_rows: int = 24) -> Any:
    """A finite feature matrix with all-zero rows and duplicate rows, dense or CSR."""
    n = draw(st.integers(min_rows, max_rows))
    d = draw(st.integers(1, 6))
    scale = draw(st.sampled_from([1e-30, 1e-8, 1.0, 1e6, 1e30]))  # liblinear hangs beyond about 1e±100
    values = draw(st.lists(st.integers(-3, 3), min_size=n * d, max_size=n * d))
    x = np.asarray(values, dtype=np.float64).reshape(n, d) * scale
    if sparse:
        x[np.abs(x) < 2 * scale] = 0.0  # mostly zeros
    for row in draw(st.lists(st.integers(0, n - 1), max_size=3)):
        x[row] = 0.0
    for source, target in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3)):
        x[target] = x[source]
    return sp.csr_matrix(x) if sparse else x


# --- labels, valid and not -----------------------------------------------------------------------------------


def invalid_single_labels(count: int, num_classes: int, *, allow_unlabeled: bool = False) -> st.SearchStrategy[Any]:
    """Labels for ``count`` documents that a single-label learner must refuse (a dataset, which takes -1 for
    unlabeled, with ``allow_unlabeled``)."""
    wrong_lengths = [length for length in (0, count - 1, count + 1, count + 3) if length >= 0 and length != count]
    good = st.lists(st.integers(0, num_classes - 1), min_size=count, max_size=count)
    nonempty = count > 0
    options = [st.lists(st.integers(0, num_classes - 1), min_size=length, max_size=length) for length in wrong_lengths]
    if nonempty:
        options += [
            good.map(lambda values: [*values[:-1], num_classes]),  # out of range
            good.map(lambda values: [*values[:-1], -2 if allow_unlabeled else -1]),  # -1: unlabeled, not a label
            good.map(lambda values: [*values[:-1], -(2**40)]),
            good.map(lambda values: [*values[:-1], 2**63 - 1]),
            good.map(lambda values: np.asarray(values, dtype=np.float64) + 0.5),  # not integers
            good.map(lambda values: [*values[:-1], float("nan")]),
            good.map(lambda values: [*values[:-1], float("inf")]),
            good.map(lambda values: [*values[:-1], 1e300]),
            good.map(lambda values: [str(v) for v in values]),  # strings
            good.map(lambda values: [*values[:-1], None]),
            good.map(lambda values: np.asarray(values, dtype=np.complex128) + 1j),
            good.map(lambda values: np.asarray(values, dtype=bool)),
            good.map(lambda values: [[v] for v in values]),  # 2-D
            good.map(lambda values: [[v] * (i % 2 + 1) for i, v in enumerate(values)]),  # ragged
            good.map(lambda values: sp.csr_matrix(np.asarray(values).reshape(-1, 1))),
            good.map(lambda values: dict(enumerate(values))),
        ]
    options += [st.just(None), st.just("0"), st.just(object())]
    return st.one_of(options)


def valid_single_labels(count: int, num_classes: int) -> st.SearchStrategy[Any]:
    """Labels for ``count`` documents in every form a single-label learner accepts."""
    good = st.lists(st.integers(0, num_classes - 1), min_size=count, max_size=count)
    return st.one_of(
        good,
        good.map(lambda values: np.asarray(values, dtype=np.int64)),
        good.map(lambda values: np.asarray(values, dtype=np.int8)),
        good.map(lambda values: np.asarray(values, dtype=np.uint16)),
        good.map(lambda values: np.asarray(values, dtype=np.float32)),  # integer-valued floats are accepted
        good.map(tuple),
    )


def invalid_multi_labels(count: int, num_classes: int) -> st.SearchStrategy[Any]:
    """Indicator matrices for ``count`` documents that a multi-label learner must refuse."""
    shape = (count, num_classes)
    cells = st.lists(st.integers(0, 1), min_size=count * num_classes, max_size=count * num_classes).map(
        lambda values: np.asarray(values, dtype=np.int64).reshape(shape)
    )
    options = [
        cells.map(lambda m: sp.csr_matrix(np.hstack([m, np.zeros((m.shape[0], 1), dtype=np.int64)]))),  # columns
        cells.map(lambda m: m[:, :-1]),
        st.just(np.zeros((count + 1, num_classes), dtype=np.int64)),  # rows
        st.just(None),
        st.just("label"),
    ]
    if count != 1:  # (the stream learner takes one 1-D row as the labels of one document)
        options.append(st.just([0] * num_classes))  # one row, 1-D
    if count:
        options += [
            cells.map(lambda m: np.where(np.arange(m.size).reshape(m.shape) == 0, 2, m)),  # a 2
            cells.map(lambda m: np.where(np.arange(m.size).reshape(m.shape) == 0, -1, m)),  # a -1
            cells.map(lambda m: np.where(np.arange(m.size).reshape(m.shape) == 0, np.nan, m.astype(float))),
            cells.map(lambda m: m.astype(str)),
            cells.map(lambda m: [[*row, *([0] if i == 0 else [])] for i, row in enumerate(m.tolist())]),  # ragged
            st.just(list(range(count))),  # class indices instead of an indicator matrix
        ]
    return st.one_of(options)


def valid_multi_labels(count: int, num_classes: int) -> st.SearchStrategy[Any]:
    """Indicator matrices for ``count`` documents: sparse, dense arrays or nested lists, possibly empty rows."""
    cells = st.lists(st.integers(0, 1), min_size=count * num_classes, max_size=count * num_classes).map(
        lambda values: np.asarray(values, dtype=np.int64).reshape(count, num_classes)
    )
    forms = [cells.map(sp.csr_matrix), cells, cells.map(sp.lil_matrix)]
    if count:  # an empty nested list has no columns: not an indicator matrix
        forms.append(cells.map(lambda m: m.tolist()))
    return st.one_of(forms)


def labels_for(
    count: int, num_classes: int, multi_label: bool, *, valid: bool, allow_unlabeled: bool = False
) -> st.SearchStrategy[Any]:
    """Labels for ``count`` documents: valid ones in every accepted form, or invalid ones (for a dataset, which
    takes -1 for unlabeled, with ``allow_unlabeled``)."""
    if multi_label:
        return valid_multi_labels(count, num_classes) if valid else invalid_multi_labels(count, num_classes)
    if valid:
        return valid_single_labels(count, num_classes)
    return invalid_single_labels(count, num_classes, allow_unlabeled=allow_unlabeled)


def broken_argument(*names: str, valid_weight: int = 3) -> st.SearchStrategy[str]:
    """Which argument of a call to make invalid: ``"none"`` (``valid_weight`` times as likely as each name)."""
    return st.sampled_from(["none"] * valid_weight + list(names))


def invalid_index(n: int) -> st.SearchStrategy[Any]:
    """A single document index that must be refused in a pool of ``n`` documents."""
    return st.one_of(
        st.integers(n, n + 5),
        st.integers(-n - 3, -1),
        st.just(2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([True, False, None, "0", b"0", [0], (0,), np.array(0), np.array([1]), 1 + 0j]),
        st.integers(n, n + 5).map(np.int64),
    )


def invalid_indices(n: int) -> st.SearchStrategy[Any]:
    """Index arrays that must be refused in a pool of ``n`` documents."""
    within = st.integers(0, n - 1)
    return st.one_of(
        st.lists(within, min_size=1, max_size=3).map(lambda values: [*values, values[0]]),  # duplicates
        st.lists(within, max_size=3).map(lambda values: [*values, n]),  # out of range
        st.lists(within, max_size=3).map(lambda values: [*values, -1]),  # negative
        st.lists(within, min_size=1, max_size=3).map(lambda values: np.asarray(values, dtype=np.float64) + 0.5),
        st.lists(within, min_size=1, max_size=3).map(lambda values: [*values, float("nan")]),
        st.lists(within, min_size=1, max_size=3).map(lambda values: [str(v) for v in values]),
        st.lists(within, min_size=1, max_size=3).map(lambda values: [[v] for v in values]),  # 2-D
        st.lists(within, min_size=2, max_size=3).map(lambda values: [[values[0]], values[1:]]),  # ragged
        st.just(np.ones(n, dtype=bool)),  # a boolean mask
        st.just([1e20]),
        st.sampled_from([3, "abc", {1: 2}, object()]),
    )


def invalid_counts(*, optional: bool = False) -> st.SearchStrategy[Any]:
    """Values that must be refused where a positive int is expected (``None`` too, unless it is ``optional``)."""
    values = [0, -1, -(2**63), 2.0, 1.5, float("nan"), "3", True, [2], np.float64(2.0)]
    return st.sampled_from(values if optional else [*values, None])


def run_quietly(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call without warnings (single-class fits, inferred label sets and the like)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return call(*args, **kwargs)


class RefusingCriterion(StoppingCriterion):
    """A stopping criterion that refuses every ``every``-th call with a documented error (as a criterion refuses
    predictions it cannot read), to check that the learner then puts everything back."""

    MESSAGE = "refused by the fuzzing criterion"

    def __init__(self, every: int = 3):
        self.every = every
        self.calls = 0
        self.verdicts: list[bool] = []

    def stop(self, active_learner=None, predictions=None, proba=None, indices_stopping=None) -> bool:
        if (self.calls + 1) % self.every == 0:
            self.calls += 1  # counted, so that the next call is accepted
            raise InvalidArgumentError(self.MESSAGE)
        self.calls += 1
        self.verdicts.append(False)
        return False
