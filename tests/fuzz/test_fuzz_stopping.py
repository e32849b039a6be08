"""Fuzzing the stopping criteria: random criteria fed random predictions and probabilities, valid and not.

Each example builds a criterion (every kind, and combinations of them) from valid or invalid parameters, then asks
it a random sequence of ``stop`` calls on a fixed stop set, each with one argument possibly broken (labels outside
the label set, NaN, probabilities that do not sum to one, the wrong shape, a stop set of another size, strings,
ragged lists). A call either returns a bool and records it in the criterion's history, or raises an
:class:`~activetext.exceptions.ActiveTextError` and leaves the history exactly as it was; a call with only valid
arguments always succeeds.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import scipy.sparse as sp
from fuzz_strategies import (
    REPORT,
    assert_same,
    attempt,
    broken_argument,
    fuzz_report,  # noqa: F401  (the session fixture that writes the report)
    fuzz_settings,
    invalid_counts,
)
from hypothesis import given
from hypothesis import strategies as st

from activetext.stopping_criteria import (
    AllOf,
    AnyOf,
    ClassificationChange,
    DeltaFScore,
    KappaAverage,
    MaxIterations,
    MaxLabels,
    OverallUncertainty,
)

TEST = "stopping_criteria"
KINDS = ["kappa", "change", "delta-f", "uncertainty", "max-iterations", "max-labels"]
USES = {
    "kappa": "predictions",
    "change": "predictions",
    "delta-f": "predictions",
    "uncertainty": "proba",
    "max-iterations": None,
    "max-labels": "active_learner",
}

invalid_reals = st.sampled_from([float("nan"), float("inf"), -2.0, 2.0, "0.5", None, True, 1j, [0.5]])


def build(kind: str, num_classes: int, multi_label: bool, broken: bool, data: st.DataObject) -> Any:
    """The criterion of ``kind`` with valid parameters, or with one invalid parameter when ``broken``."""
    classes: Any = data.draw(st.integers(-1, 1) | invalid_counts()) if broken else num_classes
    if kind == "kappa":
        if broken:
            return data.draw(
                st.sampled_from(
                    [
                        lambda: KappaAverage(classes),
                        lambda: KappaAverage(num_classes, window_size=data.draw(invalid_counts())),
                        lambda: KappaAverage(num_classes, kappa=data.draw(invalid_reals)),
                    ]
                )
            )
        return lambda: KappaAverage(num_classes, window_size=data.draw(st.integers(1, 3)), kappa=0.8)
    if kind == "change":
        if broken:
            return data.draw(
                st.sampled_from(
                    [
                        lambda: ClassificationChange(classes),
                        lambda: ClassificationChange(num_classes, threshold=data.draw(invalid_reals)),
                    ]
                )
            )
        return lambda: ClassificationChange(num_classes, threshold=data.draw(st.floats(0.0, 1.0)))
    if kind == "delta-f":
        if broken:
            return data.draw(
                st.sampled_from(
                    [
                        lambda: DeltaFScore(classes),
                        lambda: DeltaFScore(num_classes, window_size=data.draw(invalid_counts())),
                        lambda: DeltaFScore(num_classes, threshold=data.draw(st.just(0.0) | invalid_reals)),
                    ]
                )
            )
        return lambda: DeltaFScore(num_classes, window_size=data.draw(st.integers(1, 3)), threshold=0.1)
    if kind == "uncertainty":
        if broken:
            return data.draw(
                st.sampled_from(
                    [
                        lambda: OverallUncertainty(classes, multi_label=multi_label),
                        lambda: OverallUncertainty(num_classes, threshold=data.draw(invalid_reals)),
                        lambda: OverallUncertainty(num_classes, multi_label=data.draw(st.sampled_from([1, "yes"]))),
                    ]
                )
            )
        return lambda: OverallUncertainty(
            num_classes, threshold=data.draw(st.floats(0.0, 1.0)), multi_label=multi_label
        )
    if kind == "max-iterations":
        return lambda: MaxIterations(data.draw(invalid_counts()) if broken else data.draw(st.integers(1, 4)))
    return lambda: MaxLabels(data.draw(invalid_counts()) if broken else data.draw(st.integers(1, 20)))


def criterion_state(criterion: Any) -> Any:
    """The history of a criterion and of its members."""
    state: dict[str, Any] = {"type": type(criterion).__name__}
    for name in (
        "kappas",
        "changes",
        "deltas",
        "uncertainties",
        "labeled_counts",
        "num_calls",
        "last_predictions",
        "decisions",
    ):
        if hasattr(type(criterion), name):
            state[name] = getattr(criterion, name)
    if hasattr(type(criterion), "criteria"):
        state["members"] = [criterion_state(member) for member in criterion.criteria]
    return state


def flatten(state: dict[str, Any]) -> list[dict[str, Any]]:
    return [state, *(leaf for member in state.get("members", []) for leaf in flatten(member))]


def trace(state: dict[str, Any]) -> int:
    """How much a criterion has recorded: grows with every successful call."""
    keys = ("kappas", "changes", "deltas", "uncertainties", "labeled_counts", "decisions")
    size = sum(len(state[key]) for key in keys if key in state)
    size += state.get("num_calls", 0) + (state.get("last_predictions") is not None)
    return size + sum(trace(member) for member in state.get("members", []))


def valid_predictions(data: st.DataObject, n: int, num_classes: int, multi_label: bool) -> Any:
    if multi_label:
        cells = np.asarray(data.draw(st.lists(st.integers(0, 1), min_size=n * num_classes, max_size=n * num_classes)))
        matrix = cells.reshape(n, num_classes)
        return data.draw(st.sampled_from([matrix, sp.csr_matrix(matrix), matrix.astype(bool), matrix.astype(float)]))
    values = np.asarray(data.draw(st.lists(st.integers(0, num_classes - 1), min_size=n, max_size=n)))
    return data.draw(st.sampled_from([values, values.astype(np.int8), values.astype(float), values.tolist()]))


def invalid_predictions(data: st.DataObject, n: int, num_classes: int, multi_label: bool, other_size: bool) -> Any:
    """Predictions that must be refused; with ``other_size`` also one more row than the previous call's (the stop
    set must stay the same)."""
    valid = valid_predictions(data, n, num_classes, multi_label)
    dense = valid.toarray() if sp.issparse(valid) else np.asarray(valid, dtype=float)
    options: list[Any] = [
        None,
        "0 1",
        np.zeros((n, num_classes, 1)),
        np.zeros(0),
        [[0], [0, 1]],
        np.full(n, 0.5),
        np.full(n, np.nan),
        dense.astype(str),
        dense + 1j,
        dense.astype("timedelta64[s]"),
    ]
    if other_size:
        options.append(np.zeros((n + 1, num_classes)) if multi_label else np.zeros(n + 1, dtype=np.int64))
    if multi_label:
        options += [
            np.full((n, num_classes), 2),
            np.zeros((n, num_classes + 1)),
            sp.csr_matrix(np.full((n, num_classes), -1)),
        ]
    else:
        options += [np.full(n, num_classes), np.full(n, -1), np.zeros((n, num_classes + 1))]
    return data.draw(st.sampled_from(options))


def valid_proba(data: st.DataObject, n: int, num_classes: int, multi_label: bool) -> np.ndarray:
    cells = data.draw(st.lists(st.floats(0.0, 1.0), min_size=n * num_classes, max_size=n * num_classes))
    proba = np.asarray(cells, dtype=np.float64).reshape(n, num_classes)
    if multi_label:
        return proba
    proba = proba + 1e-3
    return proba / proba.sum(axis=1, keepdims=True)


def invalid_proba(data: st.DataObject, n: int, num_classes: int, multi_label: bool, row: int) -> Any:
    """Probabilities that must be refused; a single bad value goes into ``row``, a row of the stop set."""
    proba = valid_proba(data, n, num_classes, multi_label)
    first = np.zeros(proba.shape, dtype=bool)
    first[row, 0] = True
    options: list[Any] = [
        None,
        np.where(first, np.nan, proba),
        np.where(first, np.inf, proba),
        proba * 3 + 0.5,
        -proba - 0.1,
        proba[:, :-1],
        proba.ravel(),
        sp.csr_matrix(proba),
        proba.astype(str),
        proba + 0j,
        [[0.5, 0.5], [1.0]],
        np.zeros((0, num_classes)),
        np.zeros((n, num_classes), dtype=object),
    ]
    if not multi_label:
        options.append(np.full((n, num_classes), 0.9))  # rows that do not sum to one
    return data.draw(st.sampled_from(options))


def invalid_stop_indices(data: st.DataObject, n: int) -> Any:
    return data.draw(st.sampled_from([[], [n], [-1], [0, 0], [0.5], "0", [[0], [0, 1]], np.ones(n, dtype=bool)]))


@fuzz_settings(150)
@given(st.data())
def test_stopping_criteria_refuse_bad_input_and_keep_their_history(data):
    REPORT.example(TEST)
    num_classes = data.draw(st.integers(2, 4))
    multi_label = data.draw(st.integers(0, 3)) == 0
    shape = data.draw(st.sampled_from(["single", "single", "single", "all-of", "any-of"]))
    kinds = [data.draw(st.sampled_from(KINDS)) for _ in range(1 if shape == "single" else data.draw(st.integers(1, 3)))]
    broken_build = data.draw(st.integers(0, 4)) == 0
    makers = [build(kind, num_classes, multi_label, broken_build and i == 0, data) for i, kind in enumerate(kinds)]
    built = attempt(TEST, "construct", lambda: [make() for make in makers])
    if not built.ok:
        assert broken_build, f"valid parameters were refused: {built.error!r}"
        return
    members = built.value
    if shape == "single":
        criterion: Any = members[0]
    else:
        combined = attempt(TEST, "combine", AllOf if shape == "all-of" else AnyOf, *members)
        assert combined.ok, combined.error
        criterion = combined.value
        if data.draw(st.booleans()):  # the same criterion twice is refused
            twice = attempt(TEST, "combine", AllOf, members[0], criterion)
            assert not twice.ok, "a criterion combined with itself was accepted"
    n = data.draw(st.integers(1, 8))
    rows = data.draw(st.sampled_from([n, n + 3]))  # with indices_stopping, the output covers more documents
    stop_rows = data.draw(st.lists(st.integers(0, rows - 1), min_size=n, max_size=n, unique=True)) if rows > n else None
    uses = {USES[kind] for kind in kinds} - {None}
    for _ in range(data.draw(st.integers(1, 6))):
        broken = data.draw(broken_argument("predictions", "proba", "indices_stopping", "active_learner"))
        arguments: dict[str, Any] = {
            "active_learner": SimpleNamespace(indices_labeled=np.arange(data.draw(st.integers(0, 30)))),
            "predictions": valid_predictions(data, rows, num_classes, multi_label),
            "proba": valid_proba(data, rows, num_classes, multi_label),
            "indices_stopping": stop_rows,
        }
        if broken == "predictions":
            seen = any(leaf.get("last_predictions") is not None for leaf in flatten(criterion_state(criterion)))
            other_size = seen and stop_rows is None
            arguments["predictions"] = invalid_predictions(data, rows, num_classes, multi_label, other_size)
        elif broken == "proba":
            row = 0 if stop_rows is None else stop_rows[0]
            arguments["proba"] = invalid_proba(data, rows, num_classes, multi_label, row)
        elif broken == "indices_stopping":
            arguments["indices_stopping"] = invalid_stop_indices(data, rows)
        elif broken == "active_learner":
            arguments["active_learner"] = data.draw(st.sampled_from([None, object(), 3]))
        before = criterion_state(criterion)
        outcome = attempt(TEST, f"stop ({broken} broken)" if broken != "none" else "stop", criterion.stop, **arguments)
        if outcome.ok:
            assert isinstance(outcome.value, bool)
            must_refuse = broken in uses or (broken == "indices_stopping" and uses & {"predictions", "proba"})
            assert not must_refuse, f"{kinds} accepted an invalid {broken}: {arguments[broken]!r}"
            assert trace(criterion_state(criterion)) > trace(before), "a successful call left no trace in the history"
        else:
            assert broken != "none", f"valid stop raised {outcome.error!r}"
            assert_same(before, criterion_state(criterion), f"history after a refused stop ({outcome.error!r})")
    reset = attempt(TEST, "reset", criterion.reset)
    assert reset.ok
    fresh = criterion_state(criterion)
    for key in ("kappas", "changes", "deltas", "uncertainties", "labeled_counts", "decisions"):
        if key in fresh:
            assert len(fresh[key]) == 0
    assert fresh.get("num_calls", 0) == 0 and fresh.get("last_predictions") is None
