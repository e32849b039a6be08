"""Tests of the simulation report: known answers computed by hand on a small synthetic results table."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("matplotlib")

from activetext.exceptions import InvalidArgumentError  # noqa: E402
from activetext.simulation.report import DEFAULT_FRACTIONS, REQUIRED_COLUMNS, Report, build_report, load_results  # noqa: E402

# The synthetic simulation (scores by hand):
#
# d1 / svm, labels 10, 20, 30; passive 0.84 and 0.86 (mean 0.85: targets 0.765, 0.8075, 0.8415)
#   random          seed 0: 0.5 0.7 0.8    seed 1: 0.5 0.7 0.9    mean 0.5 0.7 0.85
#   breaking-ties   seed 0: 0.5 0.82 0.9   seed 1: 0.5 0.86 0.9   mean 0.5 0.84 0.9
# d2 / svm, labels 10, 20, 30, 40; passive 0.8 and 0.8 (targets 0.72, 0.76, 0.792)
#   random          seed 0: 0.4 0.5 0.6 0.7          seed 1: 0.4 0.6 0.7 0.8   mean 0.4 0.55 0.65 0.75
#   breaking-ties   seed 0: 0.4 0.7 0.8 0.8          seed 1: 0.4 0.7 0.78 (stopped after 30 labels)
#                   mean 0.4 0.7 0.79 0.8 (the point at 40 labels is seed 0 alone)
CURVES = {
    ("d1", "random", 0): [0.5, 0.7, 0.8],
    ("d1", "random", 1): [0.5, 0.7, 0.9],
    ("d1", "breaking-ties", 0): [0.5, 0.82, 0.9],
    ("d1", "breaking-ties", 1): [0.5, 0.86, 0.9],
    ("d2", "random", 0): [0.4, 0.5, 0.6, 0.7],
    ("d2", "random", 1): [0.4, 0.6, 0.7, 0.8],
    ("d2", "breaking-ties", 0): [0.4, 0.7, 0.8, 0.8],
    ("d2", "breaking-ties", 1): [0.4, 0.7, 0.78],
}
PASSIVE = {("d1", 0): 0.84, ("d1", 1): 0.86, ("d2", 0): 0.8, ("d2", 1): 0.8}
# the verdict of a stopping criterion after each step: breaking-ties on d1 stops after 20 (seed 0) and 30 (seed 1)
STOPS = {("d1", "breaking-ties", 0): [False, True, True], ("d1", "breaking-ties", 1): [False, False, True]}


def row(dataset, strategy, seed, step, labels, score, *, kind="active", library="activetext", multi_label=False):
    return {
        "library": library,
        "run_key": f"{dataset}-{strategy}-{seed}",
        "dataset": dataset,
        "classifier": "svm",
        "strategy": strategy,
        "initialization": "random",
        "seed": seed,
        "kind": kind,
        "multi_label": multi_label,
        "step": step,
        "labels": labels,
        "accuracy": score,
        "macro_f1": score - 0.05,
        "micro_f1": score,
        "hamming_loss": 1 - score,
        "train_seconds": 0.01,
        "query_seconds": 0.02,
    }


def results_table(*, stop_column: bool = True) -> pd.DataFrame:
    rows = []
    for (dataset, strategy, seed), scores in CURVES.items():
        stops = STOPS.get((dataset, strategy, seed), [False] * len(scores))
        for step, score in enumerate(scores):
            entry = row(dataset, strategy, seed, step, 10 * (step + 1), score)
            if stop_column:
                entry["stop:kappa"] = stops[step]
            rows.append(entry)
    for (dataset, seed), score in PASSIVE.items():
        entry = row(dataset, "passive", seed, 0, 100, score, kind="passive")
        if stop_column:
            entry["stop:kappa"] = False
        rows.append(entry)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Report:
    return build_report(results_table(), tmp_path_factory.mktemp("report"))


def lookup(table, **where):
    mask = np.ones(len(table), dtype=bool)
    for column, value in where.items():
        mask &= (table[column] == value).to_numpy()
    assert mask.sum() == 1, where
    return table[mask].iloc[0]


# --- known answers ------------------------------------------------------------------------------------------


def test_auc_mean_std_and_ranks(report):
    auc = report.auc
    cases = {
        # dataset, curve: (per-run normalized AUCs by the trapezoid rule)
        ("d1", "random"): [(6.0 + 7.5) / 20, (6.0 + 8.0) / 20],  # 0.675, 0.7
        ("d1", "breaking-ties"): [(6.6 + 8.6) / 20, (6.8 + 8.8) / 20],  # 0.76, 0.78
        ("d2", "random"): [16.5 / 30, 19.0 / 30],  # 0.55, 0.6333
        ("d2", "breaking-ties"): [21.0 / 30, 12.9 / 20],  # 0.7 over 10..40, 0.645 over 10..30
    }
    for (dataset, curve), values in cases.items():
        found = lookup(auc, dataset=dataset, curve=curve)
        assert found["auc_mean"] == pytest.approx(np.mean(values))
        assert found["auc_std"] == pytest.approx(abs(values[0] - values[1]) / math.sqrt(2))  # sample std of two
        assert found["runs"] == 2
        assert found["metric"] == "accuracy"
    assert lookup(auc, dataset="d1", curve="breaking-ties")["rank"] == 1
    assert lookup(auc, dataset="d1", curve="random")["rank"] == 2
    assert lookup(auc, dataset="d2", curve="breaking-ties")["rank"] == 1
    assert lookup(auc, dataset="d2", curve="breaking-ties")["mean_rank"] == 1.0
    assert lookup(auc, dataset="d2", curve="random")["mean_rank"] == 2.0
    assert lookup(auc, dataset="d1", curve="breaking-ties")["auc_diff_random"] == pytest.approx(0.77 - 0.6875)
    assert lookup(auc, dataset="d2", curve="breaking-ties")["auc_diff_random"] == pytest.approx(
        0.6725 - 0.55 / 2 - 19 / 60
    )


def test_mean_curve_averages_only_the_runs_present(report):
    d2 = report.curves[(report.curves["dataset"] == "d2") & (report.curves["curve"] == "breaking-ties")]
    assert d2["labels"].tolist() == [10, 20, 30, 40]
    np.testing.assert_allclose(d2["mean"], [0.4, 0.7, 0.79, 0.8])
    np.testing.assert_allclose(d2["std"], [0.0, 0.0, 0.02 / math.sqrt(2), 0.0])  # one run at 40 labels: std 0
    assert d2["runs"].tolist() == [2, 2, 2, 1]
    assert any("d2 / svm / breaking-ties" in note and "40" in note for note in report.notes)


def test_labels_needed(report):
    needed = report.labels_needed
    expected = {
        ("d1", "random"): [30, 30, 30],  # mean 0.5 0.7 0.85 against 0.765, 0.8075, 0.8415
        ("d1", "breaking-ties"): [20, 20, 30],  # 0.84 < 0.8415
        ("d2", "random"): [40, math.nan, math.nan],  # 0.75 against 0.72, 0.76, 0.792
        ("d2", "breaking-ties"): [30, 30, 40],
    }
    for (dataset, curve), labels in expected.items():
        for fraction, value in zip(DEFAULT_FRACTIONS, labels, strict=True):
            found = lookup(needed, dataset=dataset, curve=curve, fraction=fraction)
            assert found["passive_score"] == pytest.approx(0.85 if dataset == "d1" else 0.8)
            if math.isnan(value):
                assert math.isnan(found["labels_needed"])
            else:
                assert found["labels_needed"] == value
    assert lookup(needed, dataset="d2", curve="random", fraction=0.99)["max_labels"] == 40


def test_labels_saved(report):
    saved = report.labels_saved
    assert set(saved["curve"]) == {"breaking-ties"}  # random is the reference, not a row
    expected = {
        ("d1", 0.9): (10, 100 / 3),
        ("d1", 0.95): (10, 100 / 3),
        ("d1", 0.99): (0, 0.0),
        ("d2", 0.9): (10, 25.0),
        ("d2", 0.95): (math.nan, math.nan),  # random never reaches 0.76
        ("d2", 0.99): (math.nan, math.nan),
    }
    for (dataset, fraction), (labels, percent) in expected.items():
        found = lookup(saved, dataset=dataset, fraction=fraction)
        if math.isnan(labels):
            assert math.isnan(found["labels_saved"]) and math.isnan(found["labels_saved_pct"])
        else:
            assert found["labels_saved"] == labels
            assert found["labels_saved_pct"] == pytest.approx(percent)
        assert found["auc_diff_random"] == pytest.approx(0.0825 if dataset == "d1" else 0.6725 - 35.5 / 60)


def test_stopping(report):
    stopping = report.stopping
    found = lookup(stopping, dataset="d1", curve="breaking-ties", criterion="kappa")
    assert (found["runs"], found["runs_stopped"]) == (2, 2)
    assert found["labels_at_stop"] == pytest.approx(25.0)  # 20 and 30
    assert found["score_at_stop"] == pytest.approx(0.86)  # 0.82 and 0.9
    assert found["best_score"] == pytest.approx(0.9)
    assert found["score_lost"] == pytest.approx(0.04)  # 0.08 and 0
    never = lookup(stopping, dataset="d2", curve="random", criterion="kappa")
    assert never["runs_stopped"] == 0 and math.isnan(never["labels_at_stop"])
    assert never["best_score"] == pytest.approx(0.75)


# --- files --------------------------------------------------------------------------------------------------


def test_files_are_written(report):
    for path in (report.markdown, report.html, report.auc_csv, report.labels_needed_csv, *report.figures):
        assert path.is_file() and path.stat().st_size > 0, path
    names = sorted(path.name for path in report.figures)
    assert names == ["d1__svm.png", "d1__svm.svg", "d2__svm.png", "d2__svm.svg"]
    assert all(path.parent == report.folder / "curves" for path in report.figures)
    assert len(pd.read_csv(report.auc_csv)) == 4
    assert len(pd.read_csv(report.labels_needed_csv)) == 12
    markdown = report.markdown.read_text(encoding="utf-8")
    assert "](curves/d1__svm.png)" in markdown
    assert "## Stopping criteria" in markdown
    assert "| 0.800 | 40 | > 40 | > 40 |" in markdown  # d2 random never reaches 95 %


def test_html_is_self_contained(report):
    page = report.html.read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, flags=re.IGNORECASE)
    assert page.count('src="data:image/png;base64,') == 2
    assert "<link" not in page and "<script" not in page


def test_strings_from_the_data_are_escaped(tmp_path):
    table = results_table(stop_column=False)
    table["strategy"] = table["strategy"].replace("breaking-ties", "<script>alert('x')</script>")
    table["dataset"] = table["dataset"].replace("d1", "news/groups & $x$")
    report = build_report(table, tmp_path)
    page = report.html.read_text(encoding="utf-8")
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "news/groups &amp; $x$" in page
    markdown = report.markdown.read_text(encoding="utf-8")
    assert "<script" not in markdown and "&lt;script>alert('x')&lt;/script>" in markdown
    assert "news/groups &amp; $x$" in markdown
    assert {path.name for path in report.figures} == {
        "news_groups_x__svm.png",
        "news_groups_x__svm.svg",
        "d2__svm.png",
        "d2__svm.svg",
    }
    assert report.stopping.empty and "Stopping criteria" not in page


# --- metric -------------------------------------------------------------------------------------------------


def test_auto_metric_is_micro_f1_for_multi_label_data(tmp_path):
    table = results_table(stop_column=False)
    multi = table["dataset"] == "d2"
    table.loc[multi, "multi_label"] = True
    table.loc[multi, "micro_f1"] = table.loc[multi, "accuracy"] / 2  # differs from accuracy, as it does there
    report = build_report(table, tmp_path)
    assert dict(report.metrics) == {"d1": "accuracy", "d2": "micro_f1"}
    d2 = lookup(report.auc, dataset="d2", curve="random")
    assert d2["metric"] == "micro_f1"
    assert d2["auc_mean"] == pytest.approx((16.5 / 30 + 19.0 / 30) / 4)
    assert lookup(report.auc, dataset="d1", curve="random")["auc_mean"] == pytest.approx(0.6875)
    assert lookup(report.labels_needed, dataset="d2", curve="random", fraction=0.9)["passive_score"] == 0.4


def test_explicit_metric(tmp_path):
    table = results_table(stop_column=False)
    report = build_report(table[table["dataset"] == "d1"], tmp_path, metric="macro_f1")
    assert dict(report.metrics) == {"d1": "macro_f1"}
    assert lookup(report.auc, dataset="d1", curve="random")["auc_mean"] == pytest.approx(0.6875 - 0.05)


@pytest.mark.parametrize("metric", ["f2", "hamming_loss", "labels", "stop:kappa", 3])
def test_unknown_metric_is_refused(tmp_path, metric):
    with pytest.raises(InvalidArgumentError, match="metric") as error:
        build_report(results_table(), tmp_path, metric=metric)
    assert repr(metric) in str(error.value)
    assert not (tmp_path / "report.md").exists()


# --- loading and validation ---------------------------------------------------------------------------------


def test_missing_columns_name_the_columns_and_the_file(tmp_path):
    path = tmp_path / "results.csv"
    results_table().drop(columns=["labels", "seed"]).to_csv(path, index=False)
    with pytest.raises(InvalidArgumentError, match=r"\['seed', 'labels'\]") as error:
        load_results(path)
    assert str(path) in str(error.value)
    with pytest.raises(InvalidArgumentError, match="labels"):
        build_report(results_table().drop(columns=["labels"]), tmp_path / "out")


def test_load_results_reads_folders_and_files_and_concatenates(tmp_path):
    ours = tmp_path / "activetext"
    ours.mkdir()
    table = results_table()
    table.to_parquet(ours / "results.parquet", index=False)
    table.to_csv(ours / "results.csv", index=False)
    theirs = results_table(stop_column=False)
    theirs = theirs[theirs["kind"] == "active"].assign(library="small-text")
    theirs.to_csv(tmp_path / "small_text.csv", index=False)
    loaded = load_results([ours, tmp_path / "small_text.csv"])
    assert len(loaded) == len(table) + len(theirs)
    assert loaded["stop:kappa"].isna().sum() == len(theirs)
    report = build_report([ours, tmp_path / "small_text.csv"], tmp_path / "out")
    assert set(report.auc["curve"]) == {
        "random (activetext)",
        "breaking-ties (activetext)",
        "random (small-text)",
        "breaking-ties (small-text)",
    }
    # each library against its own random sampling; the same scores give the same answers
    saved = report.labels_saved.set_index(["dataset", "curve", "fraction"])["labels_saved"]
    assert saved[("d1", "breaking-ties (small-text)", 0.9)] == saved[("d1", "breaking-ties (activetext)", 0.9)] == 10
    stopped = report.stopping
    assert set(stopped["library"]) == {"activetext"}  # small-text's rows carry no verdicts
    assert lookup(report.auc, dataset="d1", curve="random (small-text)")["rank"] == 3  # tie with activetext's random


def test_load_results_refuses_bad_paths(tmp_path):
    with pytest.raises(InvalidArgumentError, match="does not exist"):
        load_results(tmp_path / "missing.csv")
    with pytest.raises(InvalidArgumentError, match=r"neither results\.parquet nor results\.csv"):
        load_results(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InvalidArgumentError, match=r"notes\.txt"):
        load_results(tmp_path / "notes.txt")
    with pytest.raises(InvalidArgumentError, match="paths"):
        load_results([])


def test_table_loaded_twice_is_refused(tmp_path):
    table = results_table()
    with pytest.raises(InvalidArgumentError, match="loaded twice"):
        build_report(pd.concat([table, table]), tmp_path)


def test_bad_fractions_are_refused(tmp_path):
    for fractions in ([], [0.9, 1.5], "0.9", [0.0]):
        with pytest.raises(InvalidArgumentError, match="fractions"):
            build_report(results_table(), tmp_path, fractions=fractions)


# --- edge cases ---------------------------------------------------------------------------------------------


def test_without_passive_or_random_rows(tmp_path):
    table = results_table(stop_column=False)
    table = table[~((table["dataset"] == "d2") & (table["kind"] == "passive"))]
    table = table[~((table["dataset"] == "d1") & (table["strategy"] == "random"))]
    only_passive = pd.DataFrame([row("d3", "passive", 0, 0, 100, 0.9, kind="passive")])
    report = build_report(pd.concat([table, only_passive]), tmp_path)
    assert set(report.labels_needed["dataset"]) == {"d1"}  # d2 has no passive baseline
    assert report.labels_saved.empty  # d1 has no random curve, d2 no baseline
    assert math.isnan(lookup(report.auc, dataset="d1", curve="breaking-ties")["auc_diff_random"])
    markdown = report.markdown.read_text(encoding="utf-8")
    assert "d2 / svm: no passive baseline" in markdown
    assert "d1 / svm (activetext): no random-sampling curve" in markdown
    assert "d3 / svm: a passive baseline but no active-learning runs" in markdown
    assert len(report.figures) == 4  # d1 and d2, PNG and SVG
    assert all(path.stat().st_size > 0 for path in report.figures)


def test_single_seed_has_zero_std(tmp_path):
    table = results_table(stop_column=False)
    report = build_report(table[(table["seed"] == 0) & (table["dataset"] == "d1")], tmp_path, fractions=[0.9])
    assert (report.auc["auc_std"] == 0).all() and (report.auc["runs"] == 1).all()
    assert (report.curves["std"] == 0).all()
    assert lookup(report.auc, dataset="d1", curve="random")["auc_mean"] == pytest.approx(0.675)
    assert set(report.labels_needed["fraction"]) == {0.9}


def test_required_columns_are_the_documented_ones():
    assert set(REQUIRED_COLUMNS) <= set(results_table().columns)


def test_bad_results_and_output_are_refused(tmp_path):
    with pytest.raises(InvalidArgumentError, match="results must be"):
        build_report(42, tmp_path)
    with pytest.raises(InvalidArgumentError, match="output must be"):
        build_report(results_table(), 42)
    with pytest.raises(InvalidArgumentError, match="no active-learning rows"):
        table = results_table()
        build_report(table[table["kind"] == "passive"], tmp_path)
