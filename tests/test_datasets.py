"""Tests of activetext.datasets: data root, benchmark loading, fetch_20newsgroups and 20 Newsgroups cleaning.

The tests on the real benchmarks skip when the shared data folder cannot be found.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import activetext.datasets as benchmarks
from activetext.datasets import (
    data_root,
    fetch_20newsgroups,
    list_benchmarks,
    load_benchmark,
    strip_newsgroup_footer,
    strip_newsgroup_header,
    strip_newsgroup_quoting,
)
from activetext.exceptions import DatasetNotFoundError, InvalidArgumentError

SPORTS = ["rec.sport.hockey", "rec.sport.baseball"]


# --- a small benchmark folder of our own ----------------------------------------------------------------


def write_benchmark(root: Path, name: str, labels: list[str], splits: dict[str, list[dict]]) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "labels.txt").write_text("\n".join(labels) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(f"# {name}\n", encoding="utf-8")
    for split, rows in splits.items():
        lines = "".join(json.dumps(row) + "\n" for row in rows)
        (folder / f"{split}.jsonl").write_text(lines, encoding="utf-8")


@pytest.fixture
def tiny_root(tmp_path, monkeypatch):
    """A data root with a single-label set (labels not in sorted order) and a multi-label set."""
    topics = [
        {"text": "t0", "label": 0},
        {"text": "t1", "label": 2, "id": "x"},
        {"text": "t2", "label": 1},
        {"text": "t3", "label": 3},
        {"text": "t4", "label": 0},
    ]
    names = ["World", "Sports", "Business", "Arts"]
    write_benchmark(tmp_path, "topics", names, {"train": topics, "test": topics})
    emotions = [
        {"text": "e0", "label": [0, 2]},
        {"text": "e1", "label": [1]},
        {"text": "e2", "label": [2]},
    ]
    write_benchmark(tmp_path, "emotions", ["joy", "anger", "fear"], {"train": emotions, "dev": emotions})
    (tmp_path / "not_a_benchmark").mkdir()
    monkeypatch.setenv("ACTIVETEXT_DATA", str(tmp_path))
    return tmp_path


def test_data_root_and_list_from_environment(tiny_root):
    assert data_root() == tiny_root
    assert list_benchmarks() == ["emotions", "topics"]


def test_load_benchmark_single_label(tiny_root):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = load_benchmark("topics")
    assert data.x.tolist() == ["t0", "t1", "t2", "t3", "t4"]
    assert data.y.tolist() == [0, 2, 1, 3, 0]
    assert data.label_names == ("World", "Sports", "Business", "Arts")
    assert data.num_classes == 4


def test_categories_are_remapped_in_sorted_name_order(tiny_root):
    data = load_benchmark("topics", "test", categories=["World", "Business"])
    assert data.label_names == ("Business", "World")
    assert data.x.tolist() == ["t0", "t1", "t4"]
    assert data.y.tolist() == [1, 0, 1]


def test_limit_counts_selected_documents(tiny_root):
    assert load_benchmark("topics", limit=2).x.tolist() == ["t0", "t1"]
    assert load_benchmark("topics", categories=["Sports", "Arts"], limit=1).x.tolist() == ["t2"]


def test_load_benchmark_multi_label(tiny_root):
    data = load_benchmark("emotions", "dev")
    assert data.is_multi_label
    assert sp.isspmatrix_csr(data.y)
    assert data.y.toarray().tolist() == [[1, 0, 1], [0, 1, 0], [0, 0, 1]]
    selected = load_benchmark("emotions", categories=["fear", "joy"])
    assert selected.label_names == ("fear", "joy")
    assert selected.x.tolist() == ["e0", "e2"]
    assert selected.y.toarray().tolist() == [[1, 1], [1, 0]]


def test_load_benchmark_errors(tiny_root):
    with pytest.raises(DatasetNotFoundError, match=r"name must be one of.*\['emotions', 'topics'\]"):
        load_benchmark("nope")
    with pytest.raises(DatasetNotFoundError, match=r"split must be one of.*'topics': \['train', 'test'\]"):
        load_benchmark("topics", "dev")
    with pytest.raises(InvalidArgumentError, match=r"split must be one of.*got 'validation'"):
        load_benchmark("topics", "validation")
    with pytest.raises(InvalidArgumentError, match=r"categories must be names.*got unknown \['Science'\]"):
        load_benchmark("topics", categories=["World", "Science"])
    with pytest.raises(InvalidArgumentError, match=r"categories must be a list.*got the string 'World'"):
        load_benchmark("topics", categories="World")
    with pytest.raises(InvalidArgumentError, match=r"categories must name at least one label"):
        load_benchmark("topics", categories=[])
    with pytest.raises(InvalidArgumentError, match=r"remove.*only to name='20newsgroups'"):
        load_benchmark("topics", remove=("headers",))
    with pytest.raises(InvalidArgumentError, match=r"remove must hold names from.*got \['signature'\]"):
        load_benchmark("topics", remove=("signature",))
    with pytest.raises(InvalidArgumentError, match=r"remove must be a tuple.*got the string 'headers'"):
        load_benchmark("topics", remove="headers")
    with pytest.raises(InvalidArgumentError, match=r"limit must be an int >= 1, got 0"):
        load_benchmark("topics", limit=0)


def test_data_root_from_environment_must_exist(tmp_path, monkeypatch):
    monkeypatch.setenv("ACTIVETEXT_DATA", str(tmp_path / "missing"))
    with pytest.raises(DatasetNotFoundError, match=r"ACTIVETEXT_DATA.*missing"):
        data_root()


def test_data_root_not_found_says_to_set_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv("ACTIVETEXT_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(benchmarks, "_REPOSITORY_ROOT", tmp_path / "repo")
    with pytest.raises(DatasetNotFoundError, match=r"set the environment variable ACTIVETEXT_DATA"):
        data_root()


def test_data_root_next_to_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("ACTIVETEXT_DATA", raising=False)
    (tmp_path / "shared" / "datasets").mkdir(parents=True)
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setattr(benchmarks, "_REPOSITORY_ROOT", tmp_path / "repo")
    assert data_root() == (tmp_path / "shared" / "datasets").resolve()


# --- 20 Newsgroups cleaning on hand-made posts ----------------------------------------------------------


def test_strip_header():
    assert strip_newsgroup_header("From: a\nSubject: b\n\nbody\n\nmore") == "body\n\nmore"
    assert strip_newsgroup_header("From: a\nno blank line") == ""


def test_strip_footer():
    assert strip_newsgroup_footer("body\nline\n--\nJohn\n") == "body\nline"
    assert strip_newsgroup_footer("  body\n\nsecond\n") == "body"
    assert strip_newsgroup_footer("one line only\n") == "one line only\n"
    assert strip_newsgroup_footer("-----\nno separator after the first line") == (
        "-----\nno separator after the first line"
    )


def test_strip_quoting():
    text = "In article <1@x>, a@b writes:\n> quoted\n| also quoted\nmine\nHe said: yes\n >not at start"
    assert strip_newsgroup_quoting(text) == "mine\n >not at start"


# --- the shared benchmarks ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_root():
    try:
        return data_root()
    except DatasetNotFoundError as error:
        pytest.skip(f"the shared benchmark data cannot be found: {error}")


@pytest.fixture(scope="module")
def sports_raw(shared_root):
    return load_benchmark("20newsgroups", categories=SPORTS)


def test_shared_benchmarks_are_listed(shared_root):
    assert {"20newsgroups", "goemotions", "ag_news"} <= set(list_benchmarks())


def test_baseball_hockey_train(sports_raw):
    # scikit-learn's fetch_20newsgroups(subset="train", categories=SPORTS) has 1,197 documents: 597 + 600
    assert len(sports_raw) == 1197
    assert sports_raw.label_names == ("rec.sport.baseball", "rec.sport.hockey")
    assert np.bincount(sports_raw.y).tolist() == [597, 600]
    assert sports_raw.num_classes == 2
    assert sum(text.startswith("From: ") for text in sports_raw.x) > 1100


def test_no_inferred_label_set_warning(shared_root):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        data = load_benchmark("sst2", "dev", limit=5)
    assert data.label_names == ("negative", "positive")


def test_remove_strips_headers_footers_and_quotes(sports_raw):
    cleaned = load_benchmark("20newsgroups", categories=SPORTS, remove=("quotes", "footers", "headers"))
    assert len(cleaned) == len(sports_raw)
    assert cleaned.y.tolist() == sports_raw.y.tolist()
    assert not any(text.startswith("From: ") for text in cleaned.x)
    assert not any("Subject:" in text.split("\n", 1)[0] for text in cleaned.x)
    assert sum(map(len, cleaned.x)) < 0.7 * sum(map(len, sports_raw.x))
    expected = [strip_newsgroup_quoting(strip_newsgroup_footer(strip_newsgroup_header(text))) for text in sports_raw.x]
    assert cleaned.x.tolist() == expected


def test_cleaning_matches_scikit_learn_on_every_document(sports_raw):
    sklearn_news = pytest.importorskip("sklearn.datasets._twenty_newsgroups")
    pairs = [
        (strip_newsgroup_header, sklearn_news.strip_newsgroup_header),
        (strip_newsgroup_footer, sklearn_news.strip_newsgroup_footer),
        (strip_newsgroup_quoting, sklearn_news.strip_newsgroup_quoting),
    ]
    for ours, theirs in pairs:
        differing = [i for i, text in enumerate(sports_raw.x) if ours(text) != theirs(text)]
        assert differing == [], f"{ours.__name__} differs from scikit-learn on documents {differing[:10]}"
    for text in sports_raw.x:
        ours = strip_newsgroup_quoting(strip_newsgroup_footer(strip_newsgroup_header(text)))
        theirs = sklearn_news.strip_newsgroup_quoting(
            sklearn_news.strip_newsgroup_footer(sklearn_news.strip_newsgroup_header(text))
        )
        assert ours == theirs


def test_goemotions_is_multi_label(shared_root):
    data = load_benchmark("goemotions", limit=300)
    assert sp.isspmatrix_csr(data.y)
    assert data.y.shape == (300, 28)
    assert data.num_classes == 28
    assert len(data.label_names) == 28
    assert data.label_names[27] == "neutral"
    with (shared_root / "goemotions" / "train.jsonl").open(encoding="utf-8") as handle:
        first = json.loads(handle.readline())
    assert np.flatnonzero(data.y[0].toarray()).tolist() == sorted(first["label"])
    assert (np.diff(data.y.indptr) > 1).any()


def test_fetch_20newsgroups(sports_raw):
    bunch = fetch_20newsgroups(subset="train", categories=SPORTS, shuffle=False)
    assert bunch.data == sports_raw.x.tolist()
    assert bunch.target.tolist() == sports_raw.y.tolist()
    assert bunch.target_names == ["rec.sport.baseball", "rec.sport.hockey"]
    assert "20 Newsgroups" in bunch.DESCR

    shuffled = fetch_20newsgroups(subset="train", categories=SPORTS, random_state=0)
    again = fetch_20newsgroups(subset="train", categories=SPORTS, random_state=0)
    assert shuffled.data == again.data
    assert shuffled.data != bunch.data
    assert sorted(shuffled.data) == sorted(bunch.data)
    position = {text: i for i, text in enumerate(bunch.data)}
    pairs = zip(shuffled.data, shuffled.target, strict=True)
    assert all(bunch.target[position[text]] == label for text, label in pairs)


def test_fetch_20newsgroups_all_is_train_then_test(sports_raw):
    test = fetch_20newsgroups(subset="test", categories=SPORTS, shuffle=False)
    everything = fetch_20newsgroups(subset="all", categories=SPORTS, shuffle=False, remove=("headers",))
    assert len(test.data) == 796  # scikit-learn's count: 397 baseball + 399 hockey
    assert len(everything.data) == len(sports_raw) + len(test.data)
    assert everything.data[0] == strip_newsgroup_header(sports_raw.x[0])
    assert everything.target.tolist() == sports_raw.y.tolist() + test.target.tolist()


def test_fetch_20newsgroups_errors(shared_root):
    with pytest.raises(
        InvalidArgumentError, match=r"categories must be names from \[.*'sci.space'.*\], got unknown \['rec"
    ):
        fetch_20newsgroups(categories=["rec.sport.curling"])
    with pytest.raises(InvalidArgumentError, match=r"subset must be one of \['train', 'test', 'all'\], got"):
        fetch_20newsgroups(subset="dev")
