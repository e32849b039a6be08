"""``activetext simulate`` and ``activetext report`` on the command line."""

from __future__ import annotations

import pandas as pd
import pytest

from text_files import write_config

pytest.importorskip("typer")
from typer.testing import CliRunner

from activetext.cli import app

CONFIG = """\
seeds = 2
initial_size = 12
batch_size = 10
iterations = 3
strategies = ["breaking-ties"]
stopping_criteria = [{ type = "max-labels", max_labels = 30 }]

[[datasets]]
name = "topics"
path = "topics.csv"
"""


def test_simulate_then_report(tmp_path, topics_csv):
    config = write_config(tmp_path, CONFIG)
    results = tmp_path / "results"
    runner = CliRunner()
    outcome = runner.invoke(app, ["simulate", str(config), "--output", str(results), "--dry-run"])
    assert outcome.exit_code == 0, outcome.output
    assert "6 runs, 0 done" in outcome.output and outcome.output.count("to do") == 6
    assert not results.exists()  # a dry run writes nothing

    outcome = runner.invoke(app, ["simulate", str(config), "--output", str(results), "--workers", "1"])
    assert outcome.exit_code == 0, outcome.output
    assert "6 runs: 6 done now, 0 done before, 0 failed" in outcome.output
    dry = runner.invoke(app, ["simulate", str(config), "--output", str(results), "--dry-run"])
    assert "6 runs, 6 done" in dry.output
    table = pd.read_csv(results / "results.csv")
    assert set(table.strategy) == {"passive", "random", "breaking-ties"}

    again = runner.invoke(app, ["simulate", str(config), "--output", str(results), "--workers", "1"])
    assert again.exit_code == 0 and "0 done now, 6 done before" in again.output

    outcome = runner.invoke(app, ["report", str(results), "--output", str(tmp_path / "report")])
    assert outcome.exit_code == 0, outcome.output
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "breaking-ties" in markdown and "random" in markdown
    assert (tmp_path / "report" / "report.html").stat().st_size > 0
    assert list((tmp_path / "report" / "curves").glob("topics__*.png"))


def test_a_bad_configuration_exits_with_its_key_and_line_before_any_run(tmp_path, topics_csv):
    config = write_config(tmp_path, CONFIG.replace('strategies = ["breaking-ties"]', 'strategies = ["bald"]'))
    outcome = CliRunner().invoke(app, ["simulate", str(config), "--output", str(tmp_path / "results")])
    assert outcome.exit_code == 2
    assert "line 5" in outcome.output and "SupportsPosteriorSamples" in outcome.output
    assert not (tmp_path / "results").exists()  # nothing was written


def test_report_refuses_an_unknown_metric(tmp_path, topics_csv):
    config = write_config(tmp_path, CONFIG)
    results = tmp_path / "results"
    assert CliRunner().invoke(app, ["simulate", str(config), "--output", str(results), "--workers", "1"]).exit_code == 0
    outcome = CliRunner().invoke(app, ["report", str(results), "--metric", "speed"])
    assert outcome.exit_code == 2 and "speed" in outcome.output
