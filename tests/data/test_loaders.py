"""Tests of activetext.data.loaders: CSV, JSON Lines, records, pandas and Hugging Face sources."""

from __future__ import annotations

import csv
import json
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp

from activetext.data import TextDataset
from activetext.data.labels import LabelSetInferredWarning
from activetext.data.loaders import from_csv, from_dataframe, from_huggingface, from_jsonl, from_records
from activetext.exceptions import (
    DatasetNotFoundError,
    InvalidArgumentError,
    InvalidLabelError,
    LabelShapeError,
    MissingDependencyError,
)


def write_csv(path: Path, header: list[str], rows: list[list[Any]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def dense(y: Any) -> list[list[int]]:
    assert sp.isspmatrix_csr(y)
    return y.toarray().tolist()


# --- CSV ------------------------------------------------------------------------------------------------


def test_csv_integer_labels_with_names_and_unlabeled_rows(tmp_path):
    path = write_csv(tmp_path / "a.csv", ["text", "label"], [["a", 0], ["b", 2], ["c", ""], ["d", -1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = from_csv(path, label_names=["x", "y", "z"])
    assert isinstance(data, TextDataset)
    assert data.x.tolist() == ["a", "b", "c", "d"]
    assert data.y.tolist() == [0, 2, -1, -1]
    assert data.num_classes == 3
    assert data.label_names == ("x", "y", "z")


def test_csv_string_labels_are_numbered_in_sorted_order(tmp_path):
    rows = [["good", "pos"], ["bad", "neg"], ["fine", "pos"]]
    path = write_csv(tmp_path / "a.csv", ["text", "label"], rows)
    data = from_csv(path)
    assert data.label_names == ("neg", "pos")
    assert data.y.tolist() == [1, 0, 1]


def test_csv_string_labels_follow_given_label_names(tmp_path):
    path = write_csv(tmp_path / "a.csv", ["text", "label"], [["good", "pos"], ["so-so", ""], ["bad", "neg"]])
    data = from_csv(path, label_names=["pos", "neg", "neutral"])
    assert data.y.tolist() == [0, -1, 1]
    assert data.num_classes == 3


def test_csv_unknown_label_name_names_column_row_and_value(tmp_path):
    path = write_csv(tmp_path / "a.csv", ["text", "label"], [["good", "pos"], ["bad", "awful"]])
    with pytest.raises(InvalidLabelError, match=r"label_column 'label'.*'awful' in row 1.*\['neg', 'pos'\]"):
        from_csv(path, label_names=["neg", "pos"])


def test_csv_index_out_of_range_names_row(tmp_path):
    path = write_csv(tmp_path / "a.csv", ["text", "label"], [["a", 0], ["b", 3]])
    with pytest.raises(InvalidLabelError, match=r"0\.\.1 or -1 \(unlabeled\), got 3 in row 1"):
        from_csv(path, label_names=["neg", "pos"])


def test_csv_cells_are_names_unless_all_are_integers(tmp_path):
    path = write_csv(tmp_path / "a.csv", ["text", "label"], [["a", "1"], ["b", "pos"]])
    data = from_csv(path)
    assert (data.y.tolist(), data.label_names) == ([0, 1], ("1", "pos"))


def test_csv_multi_label_with_separator(tmp_path):
    rows = [["a", "sports;politics"], ["b", ""], ["c", " politics "]]
    path = write_csv(tmp_path / "a.csv", ["text", "label"], rows)
    data = from_csv(path, multi_label=True, label_separator=";")
    assert data.is_multi_label
    assert data.label_names == ("politics", "sports")
    assert dense(data.y) == [[1, 1], [0, 0], [1, 0]]
    assert data.labeled.tolist() == [True, False, True]


def test_csv_multi_label_indices_split_on_white_space_by_default(tmp_path):
    path = write_csv(tmp_path / "a.csv", ["text", "label"], [["a", "0 2"], ["b", "1"], ["c", "2  2"]])
    data = from_csv(path, multi_label=True, target_labels=np.arange(4))
    assert dense(data.y) == [[1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 1, 0]]
    assert data.label_names is None


def test_csv_label_separator_needs_multi_label(tmp_path):
    path = write_csv(tmp_path / "a.csv", ["text", "label"], [["a", "0"]])
    with pytest.raises(InvalidArgumentError, match=r"label_separator=';'.*multi_label=False"):
        from_csv(path, label_separator=";")


def test_csv_inferred_label_set_warns_at_the_callers_line(tmp_path):
    path = write_csv(tmp_path / "a.csv", ["text", "label"], [["a", 0], ["b", 2]])
    with pytest.warns(LabelSetInferredWarning, match=r"0\.\.2 \(3 classes\)") as caught:
        data = from_csv(path)
    assert data.num_classes == 3
    assert caught[0].filename == __file__


def test_csv_without_label_column_is_unlabeled(tmp_path):
    path = write_csv(tmp_path / "a.csv", ["id", "text"], [[1, "a"], [2, "b"]])
    data = from_csv(path, label_names=["neg", "pos"])
    assert data.y.tolist() == [-1, -1]
    assert data.num_classes == 2
    assert from_csv(path, target_labels=np.arange(3)).num_classes == 3


def test_csv_without_labels_needs_label_set(tmp_path):
    path = write_csv(tmp_path / "a.csv", ["text"], [["a"]])
    with pytest.raises(InvalidArgumentError, match=r"no labels in label_column 'label'.*pass label_names"):
        from_csv(path)


def test_csv_missing_text_column_lists_columns(tmp_path):
    path = write_csv(tmp_path / "a.csv", ["body", "label"], [["a", 0]])
    with pytest.raises(InvalidArgumentError, match=r"'text' is not a column.*\['body', 'label'\]"):
        from_csv(path)


def test_csv_row_without_text_names_row(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("label,text\n0,fine\n1\n", encoding="utf-8")
    with pytest.raises(InvalidArgumentError, match=r"text_column 'text'.*got None \(NoneType\) in row 1"):
        from_csv(path, label_names=["a", "b"])


def test_csv_custom_columns_delimiter_quoted_newlines_and_bom(tmp_path):
    path = tmp_path / "a.tsv"
    path.write_text('\ufeffsentence\tclass\n"two\nlines"\t1\nplain\t0\n', encoding="utf-8")
    data = from_csv(path, "sentence", "class", delimiter="\t", label_names=["a", "b"])
    assert data.x.tolist() == ["two\nlines", "plain"]
    assert data.y.tolist() == [1, 0]


def test_csv_missing_file(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(DatasetNotFoundError, match=r"nope\.csv") as info:
        from_csv(missing)
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(DatasetNotFoundError, match="is a folder"):
        from_csv(tmp_path)


def test_csv_bad_encoding(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"text,label\n\xff\xfe,0\n")
    with pytest.raises(InvalidArgumentError, match=r"encoding='utf-8-sig'"):
        from_csv(path, label_names=["a"])


# --- JSON Lines -----------------------------------------------------------------------------------------


def test_jsonl_integer_labels_extra_fields_and_blank_lines(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(
        '{"text": "a", "label": 1, "id": 7}\n\n{"text": "b", "label": 0}\n{"text": "c"}\n'
        '{"text": "d", "label": null}\n',
        encoding="utf-8",
    )
    data = from_jsonl(path, label_names=["neg", "pos"])
    assert data.x.tolist() == ["a", "b", "c", "d"]
    assert data.y.tolist() == [1, 0, -1, -1]


def test_jsonl_string_labels(tmp_path):
    rows = [{"text": "a", "label": "sports"}, {"text": "b", "label": "arts"}]
    path = write_jsonl(tmp_path / "a.jsonl", rows)
    data = from_jsonl(path)
    assert data.label_names == ("arts", "sports")
    assert data.y.tolist() == [1, 0]


def test_jsonl_multi_label_lists(tmp_path):
    rows = [{"text": "a", "label": [2, 0]}, {"text": "b", "label": []}, {"text": "c", "label": [1]}]
    data = from_jsonl(write_jsonl(tmp_path / "a.jsonl", rows), label_names=["x", "y", "z"])
    assert data.is_multi_label
    assert dense(data.y) == [[1, 0, 1], [0, 0, 0], [0, 1, 0]]


def test_jsonl_multi_label_names_without_label_names(tmp_path):
    rows = [{"text": "a", "label": ["joy", "anger"]}, {"text": "b", "label": ["joy"]}]
    data = from_jsonl(write_jsonl(tmp_path / "a.jsonl", rows))
    assert data.label_names == ("anger", "joy")
    assert dense(data.y) == [[1, 1], [0, 1]]


def test_jsonl_scalar_labels_read_as_multi_label_when_asked(tmp_path):
    rows = [{"text": "a", "label": 1}, {"text": "b"}]
    data = from_jsonl(write_jsonl(tmp_path / "a.jsonl", rows), multi_label=True, target_labels=[0, 1])
    assert dense(data.y) == [[0, 1], [0, 0]]


def test_jsonl_list_with_multi_label_false(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "a", "label": 0}, {"text": "b", "label": [0, 1]}])
    with pytest.raises(InvalidLabelError, match=r"multi_label=False, got the list \[0, 1\] in row 1"):
        from_jsonl(path, multi_label=False, label_names=["x", "y"])


def test_jsonl_negative_index_in_multi_label(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "a", "label": [-1]}])
    with pytest.raises(InvalidLabelError, match=r"in 0\.\.1, got -1 in row 0"):
        from_jsonl(path, label_names=["x", "y"])


@pytest.mark.parametrize("label", [1.5, True, {"a": 1}])
def test_jsonl_label_of_wrong_type(tmp_path, label):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "a", "label": 0}, {"text": "b", "label": label}])
    with pytest.raises(InvalidLabelError, match=r"label_column 'label'.*in row 1"):
        from_jsonl(path, label_names=["x", "y"])


def test_jsonl_mixing_indices_and_names_is_refused(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "a", "label": 1}, {"text": "b", "label": "pos"}])
    with pytest.raises(InvalidLabelError, match=r"index in row 0 and a name in row 1"):
        from_jsonl(path)


def test_jsonl_integral_float_label_is_an_index(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "a", "label": 1.0}])
    assert from_jsonl(path, label_names=["x", "y"]).y.tolist() == [1]


def test_jsonl_invalid_json_names_line(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "a", "label": 0}\n{"text": \n', encoding="utf-8")
    with pytest.raises(InvalidArgumentError, match=r"invalid JSON on line 2"):
        from_jsonl(path)


def test_jsonl_row_that_is_not_an_object(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "a", "label": 0}, ["b", 1]])
    with pytest.raises(InvalidArgumentError, match=r"must be a mapping.*got list in row 1"):
        from_jsonl(path)


@pytest.mark.parametrize(("row", "shown"), [({"label": 0}, "None"), ({"text": 5, "label": 0}, "5 \\(int\\)")])
def test_jsonl_missing_or_non_string_text(tmp_path, row, shown):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "a", "label": 0}, row])
    with pytest.raises(InvalidArgumentError, match=rf"text_column 'text'.*got {shown}.* in row 1"):
        from_jsonl(path, label_names=["x"])


def test_jsonl_custom_columns_and_no_labels(tmp_path):
    rows = [{"sentence": "a", "y": "pos"}, {"sentence": "b", "y": "neg"}]
    path = write_jsonl(tmp_path / "a.jsonl", rows)
    assert from_jsonl(path, "sentence", "y").y.tolist() == [1, 0]
    unlabeled = from_jsonl(path, "sentence", None, label_names=["neg", "pos"])
    assert unlabeled.y.tolist() == [-1, -1]


def test_jsonl_target_labels_must_match_label_names(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "a", "label": 0}])
    with pytest.raises(LabelShapeError, match=r"target_labels.*\(2: \['x', 'y'\]\), got 3 classes"):
        from_jsonl(path, label_names=["x", "y"], target_labels=np.arange(3))


def test_jsonl_target_labels_must_be_indices(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"text": "a", "label": 0}])
    with pytest.raises(InvalidArgumentError, match=r"target_labels"):
        from_jsonl(path, target_labels=["x", "y"])


def test_jsonl_missing_file(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=r"nope\.jsonl.*does not exist"):
        from_jsonl(tmp_path / "nope.jsonl")


# --- records and the same answer from every source ------------------------------------------------------


def test_records():
    data = from_records([{"text": "good", "label": "pos"}, {"text": "bad", "label": "neg"}])
    assert data.y.tolist() == [1, 0]
    assert data.label_names == ("neg", "pos")


ROWS = [("a", "pos"), ("b", None), ("c", "neg"), ("d", "pos")]


def test_every_file_loader_encodes_labels_alike(tmp_path):
    csv_path = write_csv(tmp_path / "a.csv", ["text", "label"], [[t, label or ""] for t, label in ROWS])
    jsonl_path = write_jsonl(tmp_path / "a.jsonl", [{"text": t, "label": label} for t, label in ROWS])
    loaded = [
        from_csv(csv_path),
        from_jsonl(jsonl_path),
        from_records({"text": t, "label": label} for t, label in ROWS),
    ]
    for data in loaded:
        assert data.y.tolist() == [1, -1, 0, 1]
        assert data.label_names == ("neg", "pos")
        assert data.x.tolist() == ["a", "b", "c", "d"]


# --- pandas ---------------------------------------------------------------------------------------------


def test_dataframe_needs_pandas(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingDependencyError, match=r"activetext\[pandas\]"):
        from_dataframe(object(), "text", "label")


def test_dataframe_labels_and_missing_values():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"text": ["a", "b", "c"], "label": [1.0, np.nan, 0.0]})
    data = from_dataframe(df, "text", "label", label_names=["neg", "pos"])
    assert data.y.tolist() == [1, -1, 0]
    nullable = pd.DataFrame({"text": ["a", "b"], "label": pd.array([pd.NA, 1], dtype="Int64")})
    assert from_dataframe(nullable, label_names=["neg", "pos"]).y.tolist() == [-1, 1]
    names = pd.DataFrame({"body": ["a", "b"], "tag": ["pos", None]})
    data = from_dataframe(names, "body", "tag")
    assert (data.y.tolist(), data.label_names) == ([0, -1], ("pos",))


def test_dataframe_multi_label_column():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"text": ["a", "b"], "label": [[0, 2], []]})
    data = from_dataframe(df, label_names=["x", "y", "z"])
    assert dense(data.y) == [[1, 0, 1], [0, 0, 0]]


def test_dataframe_errors():
    pd = pytest.importorskip("pandas")
    with pytest.raises(InvalidArgumentError, match=r"df must be a pandas\.DataFrame, got dict"):
        from_dataframe({"text": ["a"]})
    df = pd.DataFrame({"body": ["a", None], "label": [0, 1]})
    with pytest.raises(InvalidArgumentError, match=r"'text' is not a column.*\['body', 'label'\]"):
        from_dataframe(df)
    with pytest.raises(InvalidArgumentError, match=r"text_column 'body'.*got (None|nan).* in row 1"):
        from_dataframe(df, "body", label_names=["x", "y"])


# --- Hugging Face datasets ------------------------------------------------------------------------------


def test_huggingface_needs_datasets(monkeypatch):
    monkeypatch.setitem(sys.modules, "datasets", None)
    with pytest.raises(MissingDependencyError, match=r"activetext\[hf\]"):
        from_huggingface(object())


def test_huggingface_class_label_names():
    datasets = pytest.importorskip("datasets")
    features = datasets.Features(
        {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["neg", "neutral", "pos"])}
    )
    hf = datasets.Dataset.from_dict({"text": ["a", "b", "c"], "label": [2, -1, 0]}, features=features)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = from_huggingface(hf)
    assert data.y.tolist() == [2, -1, 0]
    assert data.label_names == ("neg", "neutral", "pos")


def test_huggingface_multi_label_class_labels():
    datasets = pytest.importorskip("datasets")
    features = datasets.Features(
        {
            "text": datasets.Value("string"),
            "labels": datasets.Sequence(datasets.ClassLabel(names=["x", "y", "z"])),
        }
    )
    hf = datasets.Dataset.from_dict({"text": ["a", "b"], "labels": [[0, 2], []]}, features=features)
    data = from_huggingface(hf, label_column="labels")
    assert data.label_names == ("x", "y", "z")
    assert dense(data.y) == [[1, 0, 1], [0, 0, 0]]


def test_huggingface_plain_columns_and_errors():
    datasets = pytest.importorskip("datasets")
    hf = datasets.Dataset.from_dict({"sentence": ["a", "b"], "label": ["pos", "neg"]})
    data = from_huggingface(hf, "sentence")
    assert (data.y.tolist(), data.label_names) == ([1, 0], ("neg", "pos"))
    with pytest.raises(InvalidArgumentError, match=r"'text' is not a column.*\['sentence', 'label'\]"):
        from_huggingface(hf)
    with pytest.raises(InvalidArgumentError, match=r"pick one split, e\.g\. hf_dataset\['train'\]"):
        from_huggingface(datasets.DatasetDict({"train": hf}), "sentence")
