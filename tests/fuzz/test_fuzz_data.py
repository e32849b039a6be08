"""Fuzzing the data layer: datasets, their views and relabeling, and the loaders.

Random texts (empty, white space, unicode from every plane, lone surrogates, NUL, very long, duplicates), random
feature matrices (dense and sparse, all-zero rows, NaN and infinity), random labels (single- and multi-label,
valid and not) and random keys. A constructor either builds a dataset that holds exactly what it was given, or
raises an :class:`~activetext.exceptions.ActiveTextError`; views and relabeling never change the dataset; the
loaders read back what was written (texts, labels, label names) or refuse the file with a documented error.
"""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from fuzz_strategies import (
    REPORT,
    assert_same,
    attempt,
    broken_argument,
    documents,
    feature_matrices,
    fuzz_report,  # noqa: F401  (the session fixture that writes the report)
    fuzz_settings,
    label_layouts,
    labels_for,
    multi_label_layouts,
    text_pools,
    unicode_text,
)
from hypothesis import given
from hypothesis import strategies as st

from activetext.data import SklearnDataset, TextDataset
from activetext.data.loaders import from_csv, from_jsonl, from_records
from activetext.exceptions import InvalidIndicesError

TEST = "datasets"
LOADERS = "loaders"


def dense(y: Any) -> np.ndarray:
    return y.toarray() if sp.issparse(y) else np.asarray(y)


def dataset_state(dataset: Any) -> dict[str, Any]:
    x = dataset.x
    return {
        "x": x.toarray() if sp.issparse(x) else np.array(x, copy=True),
        "y": dense(dataset.y).copy(),
        "num_classes": dataset.num_classes,
        "label_names": dataset.label_names,
        "fingerprint": dataset.fingerprint(),
    }


def invalid_features(data: st.DataObject, n: int) -> Any:
    x = np.zeros((n, 2))
    return data.draw(
        st.sampled_from(
            [
                None,
                "features",
                np.zeros(n),
                np.zeros((n, 2, 2)),
                np.zeros((n, 0)),
                np.where(np.arange(2 * n).reshape(n, 2) == 0, np.nan, x),
                np.where(np.arange(2 * n).reshape(n, 2) == 0, -np.inf, x),
                sp.csr_matrix(np.where(np.arange(2 * n).reshape(n, 2) == 0, np.inf, x)),
                x.astype(str),
                x.astype(bool),
                x + 1j,
                [[0.0, 1.0], [1.0]],
                np.array([[object()] * 2] * n),
            ]
        )
    )


def invalid_texts(data: st.DataObject) -> Any:
    return data.draw(
        st.sampled_from([None, 5, "one text", ["a", None], ["a", 3], [b"bytes"], [["a"], ["b"]], [np.str_("a"), 1.0]])
    )


def keys(data: st.DataObject, n: int) -> tuple[bool, Any]:
    """A key for ``dataset[key]``: (valid, key)."""
    valid = [
        st.integers(-n, n - 1),
        st.integers(-n, n - 1).map(np.int64),
        st.lists(st.integers(-n, n - 1), max_size=6),
        st.lists(st.booleans(), min_size=n, max_size=n).map(np.array),
        st.tuples(st.none() | st.integers(-n - 2, n + 2), st.none() | st.integers(-n - 2, n + 2)).map(
            lambda bounds: slice(*bounds)
        ),
        st.just(slice(None, None, -1)),
    ]
    invalid = [
        st.integers(n, n + 3),
        st.integers(-n - 3, -n - 1),
        st.just([n]),
        st.just(1.0),
        st.just("0"),
        st.just(None),
        st.just([[0]]),
        st.just([0.5]),
        st.just(np.ones(n + 1, dtype=bool)),
        st.just(slice(None, None, 0)),
        st.just(True),
    ]
    if data.draw(st.integers(0, 2)):
        return True, data.draw(st.one_of(valid))
    return False, data.draw(st.one_of(invalid))


def check_views(dataset: Any, data: st.DataObject, n: int) -> None:
    """Random views and relabelings leave the dataset as it was and hold the selected rows."""
    state = dataset_state(dataset)
    for _ in range(data.draw(st.integers(1, 4))):
        valid, key = keys(data, n)
        view = attempt(TEST, "view", dataset.__getitem__, key)
        if not valid:
            assert isinstance(view.error, InvalidIndicesError), f"dataset[{key!r}] gave {view.value or view.error!r}"
            continue
        assert view.ok, f"dataset[{key!r}] raised {view.error!r}"
        rows = np.arange(n)[key] if not isinstance(key, (int, np.integer)) else np.array([key % n])
        rows = np.atleast_1d(rows)
        x = state["x"][rows]
        np.testing.assert_array_equal(view.value.x.toarray() if sp.issparse(view.value.x) else view.value.x, x)
        np.testing.assert_array_equal(dense(view.value.y), state["y"][rows])
        assert view.value.num_classes == dataset.num_classes and view.value.label_names == dataset.label_names
    valid = data.draw(st.booleans())
    labels = data.draw(
        labels_for(n, dataset.num_classes, dataset.is_multi_label, valid=valid, allow_unlabeled=True).filter(
            lambda labels: labels is not None
        )
    )
    relabeled = attempt(TEST, "with_labels", dataset.with_labels, labels)
    if valid:
        assert relabeled.ok, f"with_labels refused valid labels: {relabeled.error!r}"
    if relabeled.ok:
        assert relabeled.value.fingerprint() == state["fingerprint"], "relabeling changed the documents"
        assert len(relabeled.value) == n
    assert_same(state, dataset_state(dataset), "the dataset after views and relabeling")


@fuzz_settings(100)
@given(st.data())
def test_text_datasets(data):
    REPORT.example(TEST)
    texts: Any = data.draw(text_pools(min_size=0, max_size=12))
    n = len(texts)
    multi_label = data.draw(st.integers(0, 3)) == 0
    num_classes = data.draw(st.integers(1, 4))
    y: Any = data.draw(multi_label_layouts(n, num_classes) if multi_label else label_layouts(n, num_classes))
    if not multi_label and n:
        y[data.draw(st.lists(st.integers(0, n - 1), max_size=3))] = -1  # some unlabeled
    target_labels: Any = np.arange(num_classes)
    label_names: Any = data.draw(st.none() | st.lists(unicode_text(0, 5), min_size=num_classes, max_size=num_classes))
    broken = data.draw(broken_argument("texts", "y", "target_labels", "label_names"))
    if broken == "texts":
        texts = invalid_texts(data)
    elif broken == "y":  # (None is valid here: every document unlabeled)
        y = data.draw(
            labels_for(n, num_classes, multi_label, valid=False, allow_unlabeled=True).filter(
                lambda labels: labels is not None
            )
        )
    elif broken == "target_labels":
        target_labels = data.draw(st.sampled_from([[], [1, 2], [0, 0], [0.0, 1.0], "0", [[0, 1]], np.arange(1) + 5]))
    elif broken == "label_names":
        label_names = data.draw(st.sampled_from([3, "ab", ["only"] * (num_classes + 1)]))
    made = attempt(TEST, "TextDataset", TextDataset, texts, y, target_labels, label_names)
    if broken == "none":
        assert made.ok, f"valid TextDataset arguments were refused: {made.error!r}"
    if not made.ok:
        return
    dataset = made.value
    read_as_indicator = broken == "y" and not multi_label and dataset.is_multi_label  # a 2-D list of 0 and 1
    arguments = (texts, y, target_labels, label_names)
    assert broken == "none" or read_as_indicator, f"TextDataset accepted an invalid {broken}: {arguments!r}"
    if read_as_indicator:
        return
    assert list(dataset.x) == list(texts), "the texts changed"
    np.testing.assert_array_equal(dense(dataset.y), dense(y))
    assert dataset.fingerprint() == TextDataset(list(texts), target_labels=np.arange(num_classes)).fingerprint()
    if n:
        changed = list(texts)
        changed[0] = changed[0] + "\x00"
        assert dataset.fingerprint() != TextDataset(changed, target_labels=np.arange(num_classes)).fingerprint()
        check_views(dataset, data, n)
    empty = dataset.empty_text_indices()
    assert empty.tolist() == [i for i, text in enumerate(texts) if not text.strip()]


@fuzz_settings(100)
@given(st.data())
def test_feature_datasets(data):
    REPORT.example(TEST)
    sparse = data.draw(st.booleans())
    x: Any = data.draw(feature_matrices(sparse=sparse, min_rows=1, max_rows=12))
    n = x.shape[0]
    multi_label = data.draw(st.integers(0, 3)) == 0
    num_classes = data.draw(st.integers(1, 4))
    y: Any = data.draw(multi_label_layouts(n, num_classes) if multi_label else label_layouts(n, num_classes))
    broken = data.draw(broken_argument("x", "y"))
    if broken == "x":
        x = invalid_features(data, n)
    elif broken == "y":
        y = data.draw(
            labels_for(n, num_classes, multi_label, valid=False, allow_unlabeled=True).filter(
                lambda labels: labels is not None
            )
        )
    made = attempt(TEST, "SklearnDataset", SklearnDataset, x, y, np.arange(num_classes))
    if broken == "none":
        assert made.ok, f"valid SklearnDataset arguments were refused: {made.error!r}"
    if not made.ok:
        return
    # (a 2-D list of 0 and 1, invalid as single labels, is a valid indicator matrix: the dataset is multi-label)
    read_as_indicator = broken == "y" and not multi_label and made.value.is_multi_label
    assert broken == "none" or read_as_indicator, f"SklearnDataset accepted an invalid {broken}: {(x, y)!r}"
    if read_as_indicator:
        return
    dataset = made.value
    assert sp.issparse(dataset.x) == sparse
    np.testing.assert_array_equal(dense(dataset.x), dense(x))
    np.testing.assert_array_equal(dense(dataset.y), dense(y))
    check_views(dataset, data, n)


# --- loaders -----------------------------------------------------------------------------------------------


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates cannot be written to a UTF-8 file
        return False
    return True


@fuzz_settings(80)
@given(st.data())
def test_loaders_read_back_what_was_written(data):
    REPORT.example(LOADERS)
    n = data.draw(st.integers(1, 8))
    texts = [text for text in data.draw(st.lists(documents(), min_size=n, max_size=n)) if encodable(text)] or ["x"]
    kind = data.draw(st.sampled_from(["names", "indices", "multi-names"]))
    names = ["neg", "pos", "mixed \u05d0", "\U0001f600"]
    size = len(texts)
    if kind == "indices":
        labels: list[Any] = data.draw(st.lists(st.none() | st.integers(-1, 3), min_size=size, max_size=size))
    elif kind == "names":
        labels = data.draw(st.lists(st.none() | st.sampled_from(names), min_size=size, max_size=size))
        labels[0] = labels[0] or names[0]  # at least one label, or the label set is unknown
    else:
        unique_names = st.lists(st.sampled_from(names), max_size=3, unique=True)
        labels = data.draw(st.lists(unique_names, min_size=size, max_size=size))
        labels[0] = labels[0] or [names[0]]
    broken = data.draw(broken_argument("label", "label_names", "file"))
    label_names: Any = names if kind != "indices" and data.draw(st.booleans()) else None
    if broken == "label":
        bad_labels = [2**64, 1.5, {"x": 1}, True] + (["not a name"] if kind != "indices" else [])
        bad = data.draw(st.sampled_from(bad_labels))
        labels[data.draw(st.integers(0, len(labels) - 1))] = [bad] if kind == "multi-names" else bad
        if bad == "not a name" and label_names is None:
            broken = "none"  # a new name is just another class when the names are not given
    elif broken == "label_names":
        label_names = data.draw(st.sampled_from([3, 2.5, "neg"]))
    records = [{"text": text, "label": label} for text, label in zip(texts, labels, strict=True)]
    target_labels = np.arange(4) if kind == "indices" else None
    folder = Path(tempfile.mkdtemp(prefix="activetext-fuzz-loaders-"))
    try:
        outcomes = {
            "records": attempt(
                LOADERS, "from_records", from_records, records, label_names=label_names, target_labels=target_labels
            )
        }
        jsonl = folder / "data.jsonl"
        lines = [json.dumps(record, ensure_ascii=data.draw(st.booleans())) for record in records if True]
        if broken == "file":
            lines.insert(data.draw(st.integers(0, len(lines))), data.draw(st.sampled_from(["{", "[1, 2]", "3", '"x"'])))
        jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
        outcomes["jsonl"] = attempt(
            LOADERS, "from_jsonl", from_jsonl, jsonl, label_names=label_names, target_labels=target_labels
        )
        if broken != "label" or kind != "multi-names":
            path = folder / "data.csv"
            with path.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["text", "label"])
                for text, label in zip(texts, labels, strict=True):
                    cell = "|".join(label) if isinstance(label, list) else ("" if label is None else str(label))
                    writer.writerow([text, cell])
            if broken == "file":
                path.write_bytes(path.read_bytes() + data.draw(st.sampled_from([b"\xff\xfe\x00", b'"unclosed\n'])))
            outcomes["csv"] = attempt(
                LOADERS,
                "from_csv",
                from_csv,
                path,
                label_names=label_names,
                target_labels=target_labels,
                multi_label=kind == "multi-names",
                label_separator="|" if kind == "multi-names" else None,
            )
    finally:
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()
    for source, outcome in outcomes.items():
        if broken == "none" or (broken == "file" and source == "records"):
            assert outcome.ok, f"{source} refused valid data: {outcome.error!r}"
        elif broken in ("label", "label_names") and source != "csv":
            assert not outcome.ok, f"{source} accepted an invalid {broken}"
        if outcome.ok and broken == "none":
            dataset = outcome.value
            if source != "csv":  # CSV cells lose leading and trailing white space of labels, not of texts
                assert list(dataset.x) == texts, f"{source} changed the texts"
            else:
                assert [text.replace("\r\n", "\n").replace("\r", "\n") for text in dataset.x] == [
                    text.replace("\r\n", "\n").replace("\r", "\n") for text in texts
                ], "csv changed the texts"
            assert len(dataset) == len(texts)
