"""``activetext demo``: the article's scenario from the command line."""

from __future__ import annotations

import json

import pytest

from test_article_program import shared_data_available

pytest.importorskip("typer")
from typer.testing import CliRunner

from activetext.cli import app

pytestmark = pytest.mark.skipif(not shared_data_available(), reason="the shared 20newsgroups data is not present")


def test_demo_prints_the_curve_and_writes_json_and_png(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "demo",
            "--strategy",
            "least-confidence",
            "--iterations",
            "3",
            "--batch-size",
            "10",
            "--output",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Learning curve" in result.output
    data = json.loads((tmp_path / "results.json").read_text())
    assert [step["labels"] for step in data["steps"]] == [20, 30, 40, 50]
    assert data["config"]["strategy"] == "least-confidence"
    assert data["n_train"] == 1197 and data["n_test"] == 796
    assert all(0.5 < step["test_accuracy"] <= 1.0 for step in data["steps"])
    assert 0.5 < data["normalized_aulc"] <= 1.0
    assert (tmp_path / "learning_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_is_reproducible_under_a_seed(tmp_path):
    curves = []
    for run in ("a", "b"):
        result = CliRunner().invoke(app, ["demo", "--iterations", "2", "--seed", "3", "--output", str(tmp_path / run)])
        assert result.exit_code == 0, result.output
        steps = json.loads((tmp_path / run / "results.json").read_text())["steps"]
        curves.append([(step["labels"], step["test_accuracy"]) for step in steps])
    assert curves[0] == curves[1]


def test_demo_rejects_an_unknown_strategy(tmp_path):
    result = CliRunner().invoke(app, ["demo", "--strategy", "psychic", "--output", str(tmp_path)])
    assert result.exit_code != 0
    assert "psychic" in result.output
