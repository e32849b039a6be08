"""save / load: the full state round-trips exactly, and damaged folders are refused with a clear error."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse as sp

from activetext.active_learner import PoolBasedActiveLearner
from activetext.active_learner.persistence import FORMAT_VERSION
from activetext.data import SklearnDataset, TextDataset
from activetext.exceptions import (
    CorruptSavedStateError,
    DatasetMismatchError,
    IncompatibleFormatError,
    InvalidArgumentError,
    NotInitializedError,
    SavedStateNotFoundError,
)
from activetext.query_strategies import BreakingTies
from activetext.utils.chunking import DEFAULT_CHUNK_SIZE
from conftest import assert_same_state, make_learner, snapshot


def learner_mid_loop(pool):
    learner = make_learner(pool, BreakingTies(seed=7))
    learner.initialize_data([0, 1, 20, 21, 40, 41], [0, 0, 1, 1, 2, 2], indices_ignored=[5], indices_validation=[1])
    learner.update(pool.y[learner.query(num_samples=5)])
    learner.update_label_at(20, 2)
    learner.query(num_samples=3)  # left pending on purpose
    return learner


def without_identity(state: dict) -> dict:
    return {key: value for key, value in state.items() if key != "classifier"}


def test_round_trip_restores_labels_masks_pending_query_and_model(pool, tmp_path):
    learner = learner_mid_loop(pool)
    learner.save(tmp_path / "saved")
    loaded = PoolBasedActiveLearner.load(tmp_path / "saved", pool)
    assert_same_state(without_identity(snapshot(learner)), without_identity(snapshot(loaded)))
    assert loaded.reuse_model == learner.reuse_model
    assert type(loaded.query_strategy) is BreakingTies


def test_loaded_learner_continues_exactly_like_the_original(pool, tmp_path):
    learner = learner_mid_loop(pool)
    learner.save(tmp_path / "saved")
    loaded = PoolBasedActiveLearner.load(tmp_path / "saved", pool)
    for current in (learner, loaded):
        current.update(pool.y[current.indices_queried])
    for _ in range(3):
        a, b = learner.query(num_samples=4), loaded.query(num_samples=4)
        np.testing.assert_array_equal(a, b)  # same random tie-breaking state too
        learner.update(pool.y[a])
        loaded.update(pool.y[b])
    np.testing.assert_array_equal(learner.y, loaded.y)


def test_multi_label_round_trip(multi_label_pool, tmp_path):
    learner = make_learner(multi_label_pool)
    learner.initialize_data(np.arange(8), multi_label_pool.y[:8])
    learner.save(tmp_path / "ml")
    loaded = PoolBasedActiveLearner.load(tmp_path / "ml", multi_label_pool)
    assert_same_state(without_identity(snapshot(learner)), without_identity(snapshot(loaded)))


def test_saving_twice_replaces_the_previous_save(pool, tmp_path):
    learner = learner_mid_loop(pool)
    learner.save(tmp_path / "saved")
    learner.update(pool.y[learner.indices_queried])
    learner.save(tmp_path / "saved")
    loaded = PoolBasedActiveLearner.load(tmp_path / "saved", pool)
    np.testing.assert_array_equal(loaded.y, learner.y)
    assert [p.name for p in tmp_path.iterdir()] == ["saved"]  # no staging folders left behind


def test_manifest_is_readable_json_with_versions(pool, tmp_path):
    learner_mid_loop(pool).save(tmp_path / "saved")
    manifest = json.loads((tmp_path / "saved" / "manifest.json").read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["query_strategy"]["params"] == {"seed": 7, "chunk_size": DEFAULT_CHUNK_SIZE}
    assert set(manifest["files"]) >= {"state.npz", "clf_factory.joblib", "classifier/model.joblib"}


def test_save_refuses_to_overwrite_a_folder_that_is_not_a_save(pool, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "important.txt").write_text("keep me")
    with pytest.raises(InvalidArgumentError, match="is not a saved learner; refusing to overwrite"):
        learner_mid_loop(pool).save(tmp_path / "notes")
    assert (tmp_path / "notes" / "important.txt").read_text() == "keep me"


def test_saving_an_uninitialized_learner_raises(pool, tmp_path):
    with pytest.raises(NotInitializedError):
        make_learner(pool).save(tmp_path / "x")


def test_loading_a_missing_folder_raises(pool, tmp_path):
    with pytest.raises(SavedStateNotFoundError, match="does not exist"):
        PoolBasedActiveLearner.load(tmp_path / "nowhere", pool)


def test_loading_a_folder_without_a_file_raises(pool, tmp_path):
    learner_mid_loop(pool).save(tmp_path / "saved")
    (tmp_path / "saved" / "state.npz").unlink()
    with pytest.raises(SavedStateNotFoundError, match=r"missing the file 'state\.npz'"):
        PoolBasedActiveLearner.load(tmp_path / "saved", pool)


@pytest.mark.parametrize("name", ["state.npz", "classifier/model.joblib", "clf_factory.joblib"])
def test_loading_a_truncated_file_raises(pool, tmp_path, name):
    learner_mid_loop(pool).save(tmp_path / "saved")
    path = tmp_path / "saved" / name
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(CorruptSavedStateError, match="truncated or edited"):
        PoolBasedActiveLearner.load(tmp_path / "saved", pool)


def test_loading_a_truncated_manifest_raises(pool, tmp_path):
    learner_mid_loop(pool).save(tmp_path / "saved")
    manifest = tmp_path / "saved" / "manifest.json"
    manifest.write_text(manifest.read_text()[:40])
    with pytest.raises(CorruptSavedStateError, match="not valid JSON"):
        PoolBasedActiveLearner.load(tmp_path / "saved", pool)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("format_version", FORMAT_VERSION + 1, f"format_version {FORMAT_VERSION + 1}"),
        ("format_version", "1", "format_version '1'"),
        ("format", "something.else", "format 'something.else'"),
    ],
)
def test_loading_an_incompatible_format_raises(pool, tmp_path, key, value, message):
    learner_mid_loop(pool).save(tmp_path / "saved")
    path = tmp_path / "saved" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest[key] = value
    path.write_text(json.dumps(manifest))
    with pytest.raises(IncompatibleFormatError, match=message):
        PoolBasedActiveLearner.load(tmp_path / "saved", pool)


def test_loading_with_another_dataset_raises(pool, tmp_path):
    learner_mid_loop(pool).save(tmp_path / "saved")
    other = SklearnDataset(pool.x + 1.0, pool.y, target_labels=np.arange(3))
    with pytest.raises(DatasetMismatchError, match="different documents"):
        PoolBasedActiveLearner.load(tmp_path / "saved", other)
    with pytest.raises(DatasetMismatchError, match="n_samples=59"):
        PoolBasedActiveLearner.load(tmp_path / "saved", pool[:59])


def test_text_dataset_with_a_pipeline_round_trips(tmp_path):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from activetext.classifiers.factories import SklearnClassifierFactory

    texts = [
        "good film",
        "great film",
        "bad film",
        "awful film",
        "fine",
        "dull",
        "superb acting",
        "poor plot",
    ]
    data = TextDataset(texts, [1, 1, 0, 0, 1, 0, 1, 0], target_labels=[0, 1])
    factory = SklearnClassifierFactory(make_pipeline(TfidfVectorizer(), LogisticRegression()))
    learner = PoolBasedActiveLearner(factory, BreakingTies(seed=0), data)
    learner.initialize_data([0, 2], [1, 0])
    learner.update(data.y[learner.query(num_samples=2)])
    learner.save(tmp_path / "text")
    loaded = PoolBasedActiveLearner.load(tmp_path / "text", data)
    np.testing.assert_array_equal(loaded.classifier.predict_proba(data), learner.classifier.predict_proba(data))
    assert sp.issparse(loaded.y) is False
