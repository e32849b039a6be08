"""Simulation configurations: parsing, and refusing bad ones before any run starts, naming the key and line."""

from __future__ import annotations

import pytest

from activetext.exceptions import InvalidConfigurationError
from activetext.simulation import load_config, parse_config, plan_runs
from activetext.simulation.config import ComponentSpec
from text_files import write_config

MINIMAL = """\
[[datasets]]
name = "topics"
path = "topics.csv"
"""


def test_a_full_configuration_is_parsed(tmp_path, topics_csv):
    path = write_config(
        tmp_path,
        """\
name = "study"
seeds = [3, 7]
initial_size = 10
batch_size = 5
iterations = 4
initialization = "balanced"
strategies = ["breaking-ties", { type = "greedy-coreset", name = "coreset" }]
stopping_criteria = [{ type = "max-labels", max_labels = 20 }]
stop_set_size = 50

[[datasets]]
name = "topics"
path = "topics.csv"
test_fraction = 0.25

[[classifiers]]
type = "tfidf-logistic-regression"
C = 10.0
""",
    )
    config = load_config(path)
    assert config.name == "study"
    assert config.seeds == (3, 7)
    assert (config.initial_size, config.batch_size, config.budget, config.iterations) == (10, 5, 30, 4)
    assert config.initialization == "balanced"
    assert config.strategies == (
        ComponentSpec("breaking-ties", "breaking-ties"),
        ComponentSpec("coreset", "greedy-coreset"),
    )
    assert config.stopping_criteria == (ComponentSpec("max-labels", "max-labels", {"max_labels": 20}),)
    assert config.classifiers == (ComponentSpec("tfidf-logistic-regression", "tfidf-logistic-regression", {"C": 10.0}),)
    dataset = config.datasets[0]
    assert dataset.path == str(topics_csv.resolve())  # relative to the configuration's folder
    assert dataset.benchmark is None and dataset.test_fraction == 0.25


def test_defaults_follow_the_literature_protocol():
    config = parse_config('[[datasets]]\nname = "ag_news"\n')
    assert config.seeds == (0, 1, 2, 3, 4)
    assert (config.initial_size, config.batch_size, config.iterations, config.budget) == (25, 25, 20, 525)
    assert config.datasets[0].benchmark == "ag_news"
    assert [c.type for c in config.classifiers] == ["tfidf-linear-svc"]


def test_a_budget_that_is_not_a_whole_number_of_batches_rounds_the_iterations_up():
    config = parse_config('initial_size = 10\nbatch_size = 20\nbudget = 55\n[[datasets]]\nname = "ag_news"\n')
    assert config.iterations == 3  # 20 + 20 + 5


@pytest.mark.parametrize(
    ("text", "key", "line", "words"),
    [
        ('seeds = 2\ncolour = "red"\n' + MINIMAL, "colour", 2, "unknown key colour"),
        (
            MINIMAL + '\n[[datasets]]\nname = "b"\npath = "b.csv"\nlabel_col = "y"\n',
            "datasets[1].label_col",
            8,
            "unknown key",
        ),
        ("budget = 100\niterations = 3\n" + MINIMAL, "budget", 1, "not both"),
        ("seeds = 0\n" + MINIMAL, "seeds", 1, "seeds must be"),
        ("seeds = [1, 1]\n" + MINIMAL, "seeds", 1, "distinct"),
        ("initial_size = 0\n" + MINIMAL, "initial_size", 1, "at least 1"),
        ('initialization = "smart"\n' + MINIMAL, "initialization", 1, "'smart'"),
        ('strategies = ["random", "random"]\n' + MINIMAL, "strategies[1]", 1, "distinct names"),
        ("strategies = []\n" + MINIMAL, "strategies", 1, "at least one"),
        ('strategies = [{ name = "x" }]\n' + MINIMAL, "strategies[0]", 1, "needs a type"),
        ("seeds = 2\n", "datasets", None, "at least one [[datasets]]"),
        (MINIMAL + "test_fraction = 1.5\n", "datasets[0].test_fraction", 4, "(0, 1)"),
        ('[[datasets]]\ntest_path = "t.csv"\nname = "x"\n', "datasets[0].test_path", 2, "needs path"),
    ],
)
def test_structural_errors_name_the_key_and_the_line(text, key, line, words):
    with pytest.raises(InvalidConfigurationError) as caught:
        parse_config(text)
    assert caught.value.key == key
    assert caught.value.line == line
    assert words in str(caught.value)
    if line is not None:
        assert f"line {line}" in str(caught.value)


def test_invalid_toml_and_a_missing_file_are_refused(tmp_path):
    with pytest.raises(InvalidConfigurationError, match="not valid TOML"):
        parse_config("seeds = [1, 2\n")
    with pytest.raises(InvalidConfigurationError, match="does not exist"):
        load_config(tmp_path / "missing.toml")


def plan_error(tmp_path, text: str) -> InvalidConfigurationError:
    path = write_config(tmp_path, text)
    with pytest.raises(InvalidConfigurationError) as caught:
        plan_runs(load_config(path), tmp_path / "cache")
    return caught.value


def test_a_missing_data_file_is_refused_with_its_line(tmp_path):
    error = plan_error(tmp_path, '[[datasets]]\nname = "x"\npath = "nowhere.csv"\n')
    assert (error.key, error.line) == ("datasets[0].path", 3)
    assert "nowhere.csv" in str(error) and "is not a file" in str(error)


def test_an_unknown_shared_data_set_is_refused(tmp_path):
    error = plan_error(tmp_path, '[[datasets]]\nname = "no-such-benchmark"\n')
    assert (error.key, error.line) == ("datasets[0].name", 2)
    assert "no-such-benchmark" in str(error)


def test_a_strategy_that_needs_a_capability_the_classifier_lacks_is_refused(tmp_path, topics_csv):
    error = plan_error(tmp_path, 'strategies = ["bald"]\n' + MINIMAL)
    assert (error.key, error.line) == ("strategies[1]", 1)  # random sampling is added first
    assert "SupportsPosteriorSamples" in str(error) and "tfidf-linear-svc" in str(error)
    assert "transformer" in str(error)  # which classifiers would do


def test_representation_strategies_on_fine_tuned_classifiers_need_their_embeddings(tmp_path, topics_csv):
    # KimCNN offers embeddings, so greedy coreset fits it; the plan accepts it without loading any model
    path = write_config(
        tmp_path,
        'iterations = 2\nstrategies = ["greedy-coreset", "bald", "badge"]\n'
        + MINIMAL
        + '[[classifiers]]\ntype = "kimcnn"\n',
    )
    runs = plan_runs(load_config(path), tmp_path / "cache")
    assert {run.strategy_name for run in runs} == {"passive", "random", "greedy-coreset", "bald", "badge"}


def test_a_multi_label_strategy_on_single_label_data_is_refused(tmp_path, topics_csv):
    error = plan_error(tmp_path, 'strategies = ["cvirs"]\n' + MINIMAL)
    assert "multi-label" in str(error) and "single-label" in str(error)


def test_a_budget_larger_than_the_pool_is_refused(tmp_path, topics_csv):
    error = plan_error(tmp_path, "budget = 500\n" + MINIMAL)
    assert (error.key, error.line) == ("budget", 1)
    assert "192 documents" in str(error)  # 240 documents less the 20% test split


def test_unknown_types_and_options_are_refused(tmp_path, topics_csv):
    error = plan_error(tmp_path, 'strategies = [{ type = "greedy-coreset", max_candidate = 5 }]\n' + MINIMAL)
    assert error.key == "strategies[1].max_candidate" and "max_candidates" in str(error)
    error = plan_error(tmp_path, 'strategies = ["clairvoyance"]\n' + MINIMAL)
    assert "clairvoyance" in str(error) and "breaking-ties" in str(error)
    error = plan_error(tmp_path, MINIMAL + '[[classifiers]]\ntype = "svm"\n')
    assert (error.key, error.line) == ("classifiers[0].type", 5)
    error = plan_error(tmp_path, MINIMAL + '[[classifiers]]\ntype = "tfidf-linear-svc"\ngamma = 2\n')
    assert error.key == "classifiers[0]" and "gamma" in str(error)
    error = plan_error(tmp_path, 'stopping_criteria = [{ type = "max-labels", labels = 3 }]\n' + MINIMAL)
    assert error.key == "stopping_criteria[0].labels"
    error = plan_error(tmp_path, 'strategies = [{ type = "subsampling", base = "bald" }]\n' + MINIMAL)
    assert "SupportsPosteriorSamples" in str(error)  # the wrapped strategy is checked too


def test_random_sampling_is_always_the_lower_reference(tmp_path, topics_csv):
    path = write_config(tmp_path, 'seeds = 2\niterations = 1\nstrategies = ["breaking-ties"]\n' + MINIMAL)
    runs = plan_runs(load_config(path), tmp_path / "cache")
    assert [(run.strategy_name, run.seed) for run in runs] == [
        ("passive", 0),
        ("passive", 1),
        ("random", 0),
        ("breaking-ties", 0),
        ("random", 1),
        ("breaking-ties", 1),
    ]
    assert len({run.key for run in runs}) == len(runs)


def test_a_diverse_cold_start_needs_prepared_vectors(tmp_path, topics_csv):
    error = plan_error(tmp_path, 'initialization = "diverse"\n' + MINIMAL + '[[classifiers]]\ntype = "kimcnn"\n')
    assert (error.key, error.line) == ("initialization", 1)
    assert "kimcnn" in str(error)
