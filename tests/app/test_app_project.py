"""Project settings, the TOML project file, reading texts, export paths, and the serve command's checks."""

from __future__ import annotations

import json
import os

import pytest

from activetext.app.export import export_path
from activetext.app.project import LabelSpec, ProjectSettings, load_project_file, parse_label_option
from activetext.app.texts import read_documents
from activetext.exceptions import InvalidArgumentError, InvalidConfigurationError


def test_csv_jsonl_and_parquet_give_the_same_documents(tmp_path):
    rows = [{"id": "a", "text": "first text"}, {"id": "b", "text": "second, with a comma"}]
    (tmp_path / "t.csv").write_text('id,text\na,first text\nb,"second, with a comma"\n', encoding="utf-8")
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    pyarrow = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pyarrow.Table.from_pylist(rows), tmp_path / "t.parquet")
    expected = [(row["id"], row["text"]) for row in rows]
    for name in ("t.csv", "t.jsonl", "t.parquet"):
        documents = read_documents(tmp_path / name, "text", "id")
        assert [(document.external_id, document.text) for document in documents] == expected
    assert [document.external_id for document in read_documents(tmp_path / "t.csv")] == [None, None]


@pytest.mark.parametrize(
    ("content", "arguments", "message"),
    [
        (b"text\ncaf\xe9\n", {}, "not UTF-8 text: byte b'\\xe9' at offset 8"),
        (b"body\nhello\n", {}, "text_column 'text' is not a column; the columns are ['body']"),
        (b"id,text\n1,a\n1,b\n", {"id_column": "id"}, "id '1' in id_column 'id' appears in rows 0 and 1"),
        (b"id,text\n1,a\n,b\n", {"id_column": "id"}, "row 1 has no id in id_column 'id'"),
        (b"text\nhello\n  \n", {}, "row 1 has an empty text"),
        (b"text\n", {}, "holds no documents"),
    ],
)
def test_bad_csv_is_refused_with_the_reason(tmp_path, content, arguments, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidArgumentError, match=r"bad\.csv") as raised:
        read_documents(path, **arguments)
    assert message in str(raised.value)


def test_bad_jsonl_and_unknown_formats_are_refused(tmp_path):
    with pytest.raises(InvalidArgumentError, match="line 2"):
        read_documents(b'{"text": "a"}\n{"text": \n', file_format="jsonl")
    with pytest.raises(InvalidArgumentError, match="line 1 must be a JSON object"):
        read_documents(b'["a"]\n', file_format="jsonl")
    with pytest.raises(InvalidArgumentError, match="format must be one of"):
        read_documents(b"text\na\n", file_format="xlsx")
    (tmp_path / "texts.txt").write_text("a\n")
    with pytest.raises(InvalidArgumentError, match=r"suffix '\.txt'"):
        read_documents(tmp_path / "texts.txt")
    with pytest.raises(InvalidArgumentError, match="not a valid Parquet file"):
        read_documents(b"not parquet", file_format="parquet")


def test_settings_are_checked_once():
    labels = (LabelSpec("yes"), LabelSpec("no"))
    assert ProjectSettings(labels=labels).label_names == ("yes", "no")
    with pytest.raises(InvalidConfigurationError, match="2 to 50 labels, got 1"):
        ProjectSettings(labels=labels[:1])
    with pytest.raises(InvalidConfigurationError, match=r"distinct names, got \['yes'\]"):
        ProjectSettings(labels=(LabelSpec("yes"), LabelSpec("yes")))
    with pytest.raises(InvalidConfigurationError, match="strategy must be one of"):
        ProjectSettings(labels=labels, strategy="coreset")
    with pytest.raises(InvalidConfigurationError, match="annotations_per_document must be an integer from 1 to 10"):
        ProjectSettings(labels=labels, annotations_per_document=0)
    with pytest.raises(InvalidConfigurationError, match="label name"):
        LabelSpec(" padded")
    settings = ProjectSettings(labels=labels, batch_size=7, annotations_per_document=2)
    assert ProjectSettings.from_json(settings.to_json()) == settings
    assert parse_label_option("bug = Something is broken") == LabelSpec("bug", "Something is broken")


def test_project_file(tmp_path):
    path = tmp_path / "project.toml"
    path.write_text(
        '[project]\nname = "tickets"\ntexts = "data/tickets.csv"\nbatch_size = 5\n\n'
        '[labels]\nbilling = "Invoices and refunds"\nbug = ""\n',
        encoding="utf-8",
    )
    options = load_project_file(path)
    assert options["labels"] == (LabelSpec("billing", "Invoices and refunds"), LabelSpec("bug", ""))
    assert options["texts"] == (tmp_path / "data" / "tickets.csv").resolve()
    assert options["batch_size"] == 5
    path.write_text('[project]\nbatchsize = 5\nlabels = ["a", "b"]\n', encoding="utf-8")
    with pytest.raises(InvalidConfigurationError, match=r"unknown keys \['batchsize', 'labels'\]"):
        load_project_file(path)
    path.write_text("[project\n", encoding="utf-8")
    with pytest.raises(InvalidConfigurationError, match="not valid UTF-8 TOML"):
        load_project_file(path)


def test_exports_stay_inside_the_project_folder(tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    assert export_path(folder, "exports/labels.csv") == (folder / "exports" / "labels.csv").resolve()
    assert export_path(folder, str(folder / "labels.csv")) == (folder / "labels.csv").resolve()
    os.symlink(tmp_path, folder / "escape")
    for requested in ("../labels.csv", "/tmp/labels.csv", "escape/labels.csv", "exports/../../x.csv", "", "."):
        with pytest.raises(InvalidArgumentError, match="path"):
            export_path(folder, requested)
    for reserved in ("activetext.db", "models/v000001", "admin-token", "./cache/x"):
        with pytest.raises(InvalidArgumentError, match="would write over the project's own"):
            export_path(folder, reserved)


def test_serve_refuses_incomplete_or_changed_projects(tmp_path):
    pytest.importorskip("fastapi")
    from typer.testing import CliRunner

    from activetext.cli import app

    runner = CliRunner()
    folder = tmp_path / "project"
    result = runner.invoke(app, ["serve", str(folder), "--label", "a", "--label", "b"])
    assert result.exit_code == 2 and "--texts" in result.output
    texts = tmp_path / "texts.csv"
    texts.write_text("text\none\ntwo\n", encoding="utf-8")
    result = runner.invoke(app, ["serve", str(folder), "--texts", str(texts)])
    assert result.exit_code == 2 and "--label" in result.output
    result = runner.invoke(
        app, ["serve", str(folder), "--texts", str(texts), "--label", "a", "--label", "b", "--strategy", "magic"]
    )
    assert result.exit_code == 2 and "strategy must be one of" in result.output
    assert not (folder / "activetext.db").exists()  # nothing was created

    from activetext.app.cli_support import prepare_project

    created, tokens = prepare_project(folder, None, {"texts": texts, "labels": ["a", "b"]}, ["alice"])
    assert created == folder and set(tokens) == {"alice"} and (folder / "activetext.db").is_file()
    assert prepare_project(folder, None, {}, ["alice"])[1] == {}  # an existing annotator keeps their token
    result = runner.invoke(app, ["serve", str(folder), "--label", "a", "--label", "c"])
    assert result.exit_code == 2 and "label set of an existing project cannot change" in result.output
    result = runner.invoke(app, ["serve", str(folder), "--batch-size", "3"])
    assert result.exit_code == 2 and "created with batch_size=20, got batch_size=3" in result.output
