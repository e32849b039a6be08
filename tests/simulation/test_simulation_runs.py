"""Running simulations: the recorded curves, reproducibility, resuming, failures, workers and Dask."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from activetext.query_strategies import QueryStrategy
from activetext.simulation import load_config, simulate
from activetext.simulation.components import STRATEGY_TYPES, StrategyType
from activetext.simulation.runner import RunSpec, execute_run
from text_files import write_config

PROTOCOL = """\
seeds = 2
initial_size = 12
batch_size = 10
budget = 45
strategies = ["breaking-ties", { type = "greedy-coreset", name = "coreset" }]
stopping_criteria = [{ type = "max-labels", max_labels = 30 }, "kappa-average"]
stop_set_size = 60

[[datasets]]
name = "topics"
path = "topics.csv"
"""

CURVE = ["run_key", "dataset", "classifier", "strategy", "seed", "step", "labels", "accuracy", "macro_f1"]


@pytest.fixture
def config(tmp_path, topics_csv):
    return load_config(write_config(tmp_path, PROTOCOL))


def test_every_run_records_its_learning_curve(tmp_path, config):
    summary = simulate(config, tmp_path / "results", workers=1)
    table = summary.table
    assert summary.skipped == 0 and summary.failed == []
    # 2 passive baselines + 2 seeds x (random, breaking ties, coreset)
    assert len(summary.runs) == 8
    passive = table[table.kind == "passive"]
    assert len(passive) == 2 and set(passive.labels) == {192} and set(passive.strategy) == {"passive"}
    active = table[table.kind == "active"]
    for _, curve in active.groupby("run_key"):
        # 12 initial labels, then batches of 10 until the budget of 45: the last batch holds 3
        assert curve.labels.tolist() == [12, 22, 32, 42, 45]
        assert curve.step.tolist() == [0, 1, 2, 3, 4]
        # max-labels says stop exactly from 30 labels on
        assert curve["stop:max-labels"].tolist() == [False, False, True, True, True]
        assert set(curve["stop:kappa-average"]) <= {True, False}
    assert passive["stop:max-labels"].isna().all()  # no verdicts for passive baselines
    assert set(active.strategy) == {"random", "breaking-ties", "coreset"}
    for column in ("accuracy", "macro_f1", "micro_f1", "hamming_loss"):
        assert table[column].between(0, 1).all()
    single = table[~table.multi_label]
    np.testing.assert_allclose(single.micro_f1, single.accuracy)  # one label per document
    np.testing.assert_allclose(single.hamming_loss, 1 - single.accuracy)
    assert (active.train_seconds > 0).all() and (active[active.step > 0].query_seconds > 0).all()
    # topic words make the task easy: the passive baseline is near perfect and the curves learn
    assert passive.accuracy.min() > 0.9
    assert active[active.labels == 45].accuracy.mean() > active[active.step == 0].accuracy.mean()


def test_results_are_written_as_tables_per_run_files_and_metadata(tmp_path, config):
    folder = tmp_path / "results"
    summary = simulate(config, folder, workers=1)
    csv = pd.read_csv(folder / "results.csv")
    parquet = pd.read_parquet(folder / "results.parquet")
    assert len(csv) == len(parquet) == len(summary.table)
    pd.testing.assert_frame_equal(csv[CURVE], parquet[CURVE], check_dtype=False)
    assert sorted(p.stem for p in (folder / "runs").glob("*.json")) == sorted(run.key for run in summary.runs)
    metadata = json.loads((folder / "metadata.json").read_text())
    assert metadata["config"]["seeds"] == [0, 1] and metadata["config"]["budget"] == 45
    assert [s["name"] for s in metadata["config"]["strategies"]] == ["random", "breaking-ties", "coreset"]
    assert {"activetext", "numpy", "scikit-learn", "python"} <= set(metadata["versions"])
    assert metadata["machine"]["cpu_count"] >= 1
    assert metadata["runs"] == {**metadata["runs"], "total": 8, "skipped": 0, "failed": 0}
    assert json.loads((folder / "failures.json").read_text()) == []


def test_the_same_configuration_and_seed_give_identical_curves(tmp_path, config):
    first = simulate(config, tmp_path / "one", workers=1).table
    second = simulate(config, tmp_path / "two", workers=1).table
    pd.testing.assert_frame_equal(first[CURVE], second[CURVE])
    active = first[first.kind == "active"]
    by_seed = active.groupby(["strategy", "seed"]).accuracy.apply(tuple).unstack()
    assert (by_seed[0] != by_seed[1]).any()  # seeds differ from each other


def test_running_again_skips_what_is_done_and_reruns_only_what_is_missing(tmp_path, config):
    folder = tmp_path / "results"
    first = simulate(config, folder, workers=1)
    again = simulate(config, folder, workers=1)
    assert again.skipped == 8
    invocations = json.loads((folder / "metadata.json").read_text())["invocations"]
    assert [call["runs"]["skipped"] for call in invocations] == [0, 8]  # the first call's record is kept
    pd.testing.assert_frame_equal(first.table, again.table)
    removed = first.runs[3]
    (folder / "runs" / f"{removed.key}.json").unlink()
    third = simulate(config, folder, workers=1)
    assert third.skipped == 7
    pd.testing.assert_frame_equal(first.table[CURVE], third.table[CURVE])


class Exploding(QueryStrategy):
    """A strategy that fails on its second query."""

    def __init__(self, seed=None):
        self.calls = 0

    def select(self, clf, dataset, candidates, indices_labeled, y, n):
        self.calls += 1
        if self.calls == 2:
            raise RuntimeError("the strategy broke")
        return candidates[:n], np.zeros(n)


def test_a_failing_run_is_recorded_with_its_error_and_the_others_finish(tmp_path, topics_csv, monkeypatch):
    monkeypatch.setitem(STRATEGY_TYPES, "exploding", StrategyType(Exploding))
    text = PROTOCOL.replace('strategies = ["breaking-ties"', 'strategies = ["exploding", "breaking-ties"')
    folder = tmp_path / "results"
    summary = simulate(load_config(write_config(tmp_path, text)), folder, workers=1)
    assert len(summary.failed) == 2  # one per seed
    assert all("the strategy broke" in result.error for result in summary.failed)
    assert "exploding" not in set(summary.table.strategy)
    assert set(summary.table.strategy) == {"passive", "random", "breaking-ties", "coreset"}
    failures = json.loads((folder / "failures.json").read_text())
    assert len(failures) == 2 and "RuntimeError: the strategy broke" in failures[0]["error"]
    # failed runs are not done: running again retries them (and only them)
    assert simulate(load_config(write_config(tmp_path, text)), folder, workers=1).skipped == 8


def test_multi_label_data_records_micro_f1_and_hamming_loss(tmp_path, tagged_jsonl):
    train, test = tagged_jsonl
    text = f"""\
seeds = 1
initial_size = 20
batch_size = 20
iterations = 2
strategies = ["cvirs", "min-confidence-margin"]

[[datasets]]
name = "tagged"
path = "{train.name}"
test_path = "{test.name}"
"""
    table = simulate(load_config(write_config(tmp_path, text)), tmp_path / "results", workers=1).table
    assert table.multi_label.all()
    assert set(table.strategy) == {"passive", "random", "cvirs", "min-confidence-margin"}
    assert (table.hamming_loss > 0).any() and table.micro_f1.between(0, 1).all()
    # subset accuracy is stricter than micro F1 on label sets
    assert (table.accuracy <= table.micro_f1 + 1e-12).all()


def test_worker_processes_give_the_same_curves_as_one_process(tmp_path, config):
    one = simulate(config, tmp_path / "one", workers=1).table
    two = simulate(config, tmp_path / "two", workers=2).table
    pd.testing.assert_frame_equal(one[CURVE], two[CURVE])


def test_a_dask_cluster_gives_the_same_curves_as_a_local_run(tmp_path, config):
    distributed = pytest.importorskip("distributed")
    local = simulate(config, tmp_path / "local", workers=1).table
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        steps = []

        class Recorder:
            def preparing(self, description):
                pass

            def started(self, runs, skipped):
                pass

            def step(self, key, step):
                steps.append((key, step))

            def finished(self, result):
                pass

        summary = simulate(config, tmp_path / "dask", scheduler=cluster.scheduler_address, progress=Recorder())
        assert {host for host in (r.get("host") for r in _records(tmp_path / "dask"))}  # recorded where it ran
    pd.testing.assert_frame_equal(local[CURVE], summary.table[CURVE])
    assert summary.failed == []
    assert len(steps) > 0  # steps were reported from the workers


def _records(folder):
    return [json.loads(path.read_text()) for path in (folder / "runs").glob("*.json")]


def test_the_frozen_encoder_classifier_runs_on_cached_embeddings(tmp_path, topics_csv):
    pytest.importorskip("sentence_transformers")
    text = PROTOCOL.replace("seeds = 2", "seeds = 1") + '\n[[classifiers]]\ntype = "frozen-encoder"\n'
    folder = tmp_path / "results"
    summary = simulate(load_config(write_config(tmp_path, text)), folder, workers=1)
    assert summary.failed == []
    cached = list((folder / "cache").glob("topics-encoder-*.npz"))
    assert len(cached) == 1
    with np.load(cached[0]) as arrays:
        assert arrays["x_train"].shape == (192, 384) and arrays["vectors"].shape == (192, 384)
    passive = summary.table[summary.table.kind == "passive"]
    assert passive.accuracy.iloc[0] > 0.9


def test_execute_run_returns_an_error_instead_of_raising(tmp_path, config):
    spec = RunSpec(config.datasets[0], config.classifiers[0], config.strategies[0], seed=0, cache_dir=str(tmp_path))
    result = execute_run(spec)  # the features were never prepared in this folder
    assert result.status == "error" and result.rows == []
    assert "topics" in result.error


def test_fine_tuned_classifiers_run_with_strategies_that_need_their_capabilities(tmp_path, topics_csv):
    pytest.importorskip("transformers")
    text = """\
seeds = 1
initial_size = 12
batch_size = 10
iterations = 1
strategies = ["badge", "greedy-coreset"]

[[datasets]]
name = "topics"
path = "topics.csv"
pool_size = 60
test_size = 30

[[classifiers]]
type = "kimcnn"
num_epochs = 2
max_length = 16
"""
    summary = simulate(load_config(write_config(tmp_path, text)), tmp_path / "results", workers=1)
    assert summary.failed == []
    active = summary.table[summary.table.kind == "active"]
    assert set(active.strategy) == {"random", "badge", "greedy-coreset"}
    assert active.groupby("strategy").labels.apply(list).to_dict() == {
        "random": [12, 22],
        "badge": [12, 22],
        "greedy-coreset": [12, 22],
    }


def test_a_worker_that_dies_fails_only_as_a_recorded_run(config):
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from activetext.simulation.executor import _result_or_worker_failure

    future = Future()
    future.set_exception(BrokenProcessPool("a process in the pool was terminated abruptly"))
    spec = RunSpec(config.datasets[0], config.classifiers[0], config.strategies[0], seed=0)
    result = _result_or_worker_failure(future, spec)
    assert (result.key, result.status, result.rows) == (spec.key, "error", [])
    assert "terminated abruptly" in result.error


def test_a_diverse_cold_start_runs_on_the_prepared_vectors(tmp_path, topics_csv):
    text = PROTOCOL.replace("seeds = 2", 'seeds = 1\ninitialization = "diverse"')
    summary = simulate(load_config(write_config(tmp_path, text)), tmp_path / "results", workers=1)
    assert summary.failed == []
    active = summary.table[summary.table.kind == "active"]
    assert set(active.initialization) == {"diverse"}
    # the same label-free initial set for every strategy of a seed: the same first model
    assert active[active.step == 0].accuracy.nunique() == 1
