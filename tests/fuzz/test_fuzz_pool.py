"""Fuzzing the pool-based learner: random pools, random labels and random calls in random order.

A hypothesis state machine builds a random pool (texts with empty strings, unicode from every plane, very long and
duplicate documents; or dense or sparse features with all-zero rows; single- or multi-label; one class only or
classes with a single document), a learner over it (TF-IDF with ConfidenceEnhancedLinearSVC for texts,
ConfidenceEnhancedLinearSVC on features; random sampling, breaking ties, least confidence or a coreset; sometimes a
stopping criterion), and then calls its public methods in random order with valid and invalid arguments.

After every call either it succeeded and the learner's state is what the call promises, or it raised an
:class:`~activetext.exceptions.ActiveTextError` and everything observable (labels, masks, pending query, the
classifier and its predictions, the stopping criterion's verdicts and history) is exactly as before. Invariants
checked after every step: labeled, unlabeled and ignored documents partition the pool, ``y`` is unlabeled exactly
where nothing is labeled, the pending query is unlabeled, the dataset is never written to.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from fuzz_strategies import (
    REPORT,
    RefusingCriterion,
    assert_same,
    attempt,
    broken_argument,
    feature_matrices,
    fuzz_report,  # noqa: F401  (the session fixture that writes the report)
    fuzz_settings,
    invalid_counts,
    invalid_index,
    invalid_indices,
    label_layouts,
    labels_for,
    multi_label_layouts,
    run_quietly,
    text_pools,
)
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from activetext.active_learner import PoolBasedActiveLearner
from activetext.classifiers import ConfidenceEnhancedLinearSVC
from activetext.classifiers.factories import SklearnClassifierFactory
from activetext.data import SklearnDataset, TextDataset
from activetext.exceptions import (
    ActiveTextError,
    CorruptSavedStateError,
    DatasetMismatchError,
    EmptyTextError,
    InvalidArgumentError,
    InvalidIndicesError,
    MissingCapabilityError,
    NoPendingQueryError,
    NotInitializedError,
    PersistenceError,
    SavedStateNotFoundError,
)
from activetext.query_strategies import (
    BreakingTies,
    FeatureEmbeddings,
    GreedyCoreset,
    LeastConfidence,
    LightweightCoreset,
    PrecomputedEmbeddings,
    RandomSampling,
    breaking_ties,
    least_confidence,
    prediction_entropy,
)
from activetext.stopping_criteria import (
    ClassificationChange,
    KappaAverage,
    MaxIterations,
    MaxLabels,
    OverallUncertainty,
)

TEST = "pool_learner_state_machine"
STRATEGIES = ["random", "breaking-ties", "least-confidence", "greedy-coreset", "lightweight-coreset"]
UNCERTAINTY = {"breaking-ties", "least-confidence"}


def text_factory() -> SklearnClassifierFactory:
    return SklearnClassifierFactory(
        Pipeline([("tfidf", TfidfVectorizer()), ("svc", ConfidenceEnhancedLinearSVC(random_state=0))])
    )


def feature_factory() -> SklearnClassifierFactory:
    return SklearnClassifierFactory(ConfidenceEnhancedLinearSVC(random_state=0))


def make_strategy(name: str, kind: str, n: int, seed: int, embed_features: bool) -> Any:
    if name == "random":
        return RandomSampling(seed=seed)
    if name == "breaking-ties":
        return BreakingTies(seed=seed)
    if name == "least-confidence":
        return LeastConfidence(seed=seed)
    if embed_features:  # the dataset's own features (refused for texts: they have none)
        embeddings = FeatureEmbeddings(n_components=4, seed=0)
    else:
        embeddings = PrecomputedEmbeddings(np.random.default_rng(seed).normal(size=(n, 3)).astype(np.float32))
    if name == "greedy-coreset":
        return GreedyCoreset(embeddings, seed=seed)
    return LightweightCoreset(embeddings, seed=seed)


def make_criterion(name: str, num_classes: int, multi_label: bool) -> Any:
    if name == "none" or num_classes < 2:
        return None
    if name == "kappa":
        return KappaAverage(num_classes, window_size=2, kappa=0.9)
    if name == "change":
        return ClassificationChange(num_classes, threshold=0.1)
    if name == "uncertainty":
        return OverallUncertainty(num_classes, threshold=0.2, multi_label=multi_label)
    if name == "refusing":
        return RefusingCriterion(every=2)
    return MaxLabels(6) | (KappaAverage(num_classes, window_size=1) & MaxIterations(3))


@st.composite
def pool_setups(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["text", "text", "dense", "sparse"]))
    multi_label = draw(st.integers(0, 3)) == 0
    num_classes = draw(st.integers(1, 4))
    if kind == "text":
        x = draw(text_pools(min_size=2, max_size=20))
        n = len(x)
    else:
        x = draw(feature_matrices(sparse=kind == "sparse", min_rows=2, max_rows=20))
        n = x.shape[0]
    oracle = draw(multi_label_layouts(n, num_classes) if multi_label else label_layouts(n, num_classes))
    return {
        "kind": kind,
        "x": x,
        "n": n,
        "multi_label": multi_label,
        "num_classes": num_classes,
        "oracle": oracle,
        "strategy": draw(st.sampled_from(STRATEGIES)),
        "embed_features": draw(st.booleans()),
        "seed": draw(st.integers(0, 2**16)),
        "criterion": draw(
            st.sampled_from(["none", "none", "kappa", "change", "uncertainty", "combined", "refusing", "refusing"])
        ),
        "stop_set": draw(st.one_of(st.integers(1, 8), st.just(1000))),
        "reuse_model": draw(st.booleans()),
        "start": draw(st.sampled_from(["none", "initialize", "initialize"] + ["initialize_data"] * 5)),
        "initial": draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=min(n, 6), unique=True)),
    }


def dense_labels(y: Any) -> np.ndarray:
    return y.toarray() if sp.issparse(y) else np.asarray(y)


def criterion_state(criterion: Any) -> Any:
    """The history of a stopping criterion (and of its members), for before/after comparisons."""
    if criterion is None:
        return None
    state: dict[str, Any] = {"type": type(criterion).__name__}
    for name in ("kappas", "changes", "uncertainties", "labeled_counts", "num_calls", "last_predictions", "decisions"):
        if hasattr(type(criterion), name):
            state[name] = getattr(criterion, name)
    if hasattr(type(criterion), "criteria"):
        state["members"] = [criterion_state(member) for member in criterion.criteria]
    if isinstance(criterion, RefusingCriterion):
        state["verdicts"] = list(criterion.verdicts)
    return state


def snapshot(learner: PoolBasedActiveLearner) -> dict[str, Any]:
    """Everything observable about the learner."""
    state: dict[str, Any] = {
        "initialized": learner.is_initialized,
        "verdicts": learner.stop_verdicts,
        "criterion": criterion_state(learner.stopping_criterion),
    }
    if not learner.is_initialized:
        return state
    classifier = learner.classifier
    state.update(
        y=dense_labels(learner.y),
        labeled=learner.indices_labeled,
        unlabeled=learner.indices_unlabeled,
        ignored=learner.indices_ignored,
        validation=learner.indices_validation,
        queried=learner.indices_queried,
        classifier=id(classifier),
        proba=None if classifier is None else run_quietly(classifier.predict_proba, learner.dataset),
    )
    return state


def normalized_labels(labels: Any, multi_label: bool) -> np.ndarray:
    """Valid labels as the learner stores them (int class indices, or a dense 0/1 matrix)."""
    if multi_label:
        return dense_labels(sp.csr_matrix(np.asarray(labels.toarray() if sp.issparse(labels) else labels)))
    return np.asarray(labels).astype(np.int64)


def initialized(machine: PoolLearnerMachine) -> bool:
    return machine.learner is not None and machine.learner.is_initialized


def may_restart(machine: PoolLearnerMachine) -> bool:
    return machine.learner is not None and (not machine.learner.is_initialized or machine.restarts < 3)


def pending(machine: PoolLearnerMachine) -> bool:
    return initialized(machine) and machine.learner.indices_queried.size > 0


class PoolLearnerMachine(RuleBasedStateMachine):
    """Random calls on a PoolBasedActiveLearner over a random pool."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="activetext-fuzz-"))
        self.learner: PoolBasedActiveLearner | None = None
        self.saves = 0
        self.restarts = 0  # (re)starts by the rules: a few, so that runs go deep rather than start over

    def teardown(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- setup ---------------------------------------------------------------------------------------------

    @initialize(setup=pool_setups())
    def build(self, setup: dict[str, Any]) -> None:
        REPORT.example(TEST)
        self.setup = setup
        self.kind, self.n, self.multi_label = setup["kind"], setup["n"], setup["multi_label"]
        self.num_classes = setup["num_classes"]
        target_labels = np.arange(self.num_classes)
        if self.kind == "text":
            built = attempt(TEST, "TextDataset", TextDataset, setup["x"], setup["oracle"], target_labels=target_labels)
            factory = text_factory()
        else:
            built = attempt(TEST, "SklearnDataset", SklearnDataset, setup["x"], setup["oracle"], target_labels)
            factory = feature_factory()
        assert built.ok, f"a valid pool was refused: {built.error!r}"
        self.dataset = built.value
        self.fingerprint = self.dataset.fingerprint()
        self.dataset_y = dense_labels(self.dataset.y).copy()
        self.strategy_name = setup["strategy"]
        strategy = make_strategy(self.strategy_name, self.kind, self.n, setup["seed"], setup["embed_features"])
        criterion = make_criterion(setup["criterion"], self.num_classes, self.multi_label)
        made = attempt(
            TEST,
            "PoolBasedActiveLearner",
            PoolBasedActiveLearner,
            factory,
            strategy,
            self.dataset,
            setup["reuse_model"],
            stopping_criterion=criterion,
            stop_set=setup["stop_set"],
            stop_set_seed=setup["seed"],
        )
        assert made.ok, f"a valid learner was refused: {made.error!r}"
        self.learner = made.value
        if setup["start"] == "initialize":
            outcome, _ = self.call("initialize", "initialize")
            assert outcome.ok, outcome.error
        elif setup["start"] == "initialize_data":
            indices = setup["initial"]
            labels = self.setup["oracle"][indices]
            outcome, _ = self.call("initialize_data", "initialize_data", indices, labels)
            self.expect_success(outcome, "initialize_data")

    # --- helpers -------------------------------------------------------------------------------------------

    def call(self, operation: str, method: str, *args: Any, **kwargs: Any):
        """Call a learner method; on a documented error, check that nothing changed. Return the outcome and
        the snapshot taken before the call."""
        before = snapshot(self.learner)
        outcome = attempt(TEST, operation, getattr(self.learner, method), *args, **kwargs)
        if not outcome.ok:
            assert_same(before, snapshot(self.learner), f"state after a refused {operation} ({outcome.error!r})")
        return outcome, before

    def training_may_fail(self, error: ActiveTextError | None) -> bool:
        """Whether ``error`` is one a valid training call can still raise: TF-IDF finds no words to learn from,
        or the refusing stopping criterion refuses."""
        refused = isinstance(error, InvalidArgumentError) and RefusingCriterion.MESSAGE in str(error)
        return refused or (self.kind == "text" and isinstance(error, EmptyTextError))

    def expect_success(self, outcome, operation: str, *, allowed: type | tuple[type, ...] = ()) -> None:
        if not outcome.ok:
            if isinstance(outcome.error, NotInitializedError) and not self.learner.is_initialized:
                return
            assert self.training_may_fail(outcome.error) or isinstance(outcome.error, allowed), (
                f"valid {operation} raised {outcome.error!r}"
            )

    def labeled(self) -> np.ndarray:
        return self.learner.indices_labeled if self.learner.is_initialized else np.empty(0, dtype=np.int64)

    def unlabeled(self) -> np.ndarray:
        return self.learner.indices_unlabeled if self.learner.is_initialized else np.empty(0, dtype=np.int64)

    def label_row(self, data: st.DataObject) -> tuple[bool, Any]:
        """A label for one document in the forms update_label_at accepts (two times in three), or an invalid one."""
        valid = data.draw(st.integers(0, 2)) > 0
        if self.multi_label:
            row = data.draw(st.lists(st.integers(0, 1), min_size=self.num_classes, max_size=self.num_classes))
            if valid:
                return True, data.draw(st.sampled_from([[row], sp.csr_matrix([row]), np.array([row])]))
            return False, data.draw(st.sampled_from([[[*row, 1]], [[2] * self.num_classes], "label", None, 1]))
        label = data.draw(st.integers(0, self.num_classes - 1))
        if valid:
            return True, data.draw(st.sampled_from([label, np.int64(label), np.array(label), float(label)]))
        invalid = [self.num_classes, -1, float("nan"), label + 0.5, str(label), None, [label, label], [[label], [0, 1]]]
        return False, data.draw(st.sampled_from(invalid))

    # --- rules ---------------------------------------------------------------------------------------------

    @precondition(may_restart)
    @rule(data=st.data())
    def initialize_data(self, data: st.DataObject) -> None:
        self.restarts += 1
        n = self.n
        broken = data.draw(broken_argument("indices", "labels", "ignored", "validation"))
        indices: Any = data.draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n))
        rest = [i for i in range(n) if i not in indices]
        labels = data.draw(labels_for(len(indices), self.num_classes, self.multi_label, valid=broken != "labels"))
        ignored: Any = data.draw(st.none() | st.lists(st.sampled_from(rest), unique=True, max_size=3)) if rest else None
        validation: Any = data.draw(st.none() | st.lists(st.sampled_from(indices), unique=True)) if indices else None
        if broken == "indices":
            indices = data.draw(invalid_indices(n))
        elif broken == "ignored":
            overlap = st.just([indices[0]]) if indices else st.nothing()
            ignored = data.draw(overlap | invalid_indices(n))
        elif broken == "validation":
            outside = st.just([rest[0]]) if rest else st.nothing()
            validation = data.draw(outside | invalid_indices(n))
        retrain = data.draw(st.booleans())
        outcome, _ = self.call(
            "initialize_data",
            "initialize_data",
            indices,
            labels,
            indices_ignored=ignored,
            indices_validation=validation,
            retrain=retrain,
        )
        if broken == "none":
            self.expect_success(outcome, "initialize_data")
        if outcome.ok:
            arguments = (indices, labels, ignored, validation)
            assert broken == "none", f"initialize_data accepted an invalid {broken}: {arguments!r}"
            order = np.argsort(indices)
            np.testing.assert_array_equal(self.learner.indices_labeled, np.sort(np.asarray(indices, dtype=np.int64)))
            if indices:
                expected = normalized_labels(labels, self.multi_label)[order]
                np.testing.assert_array_equal(dense_labels(self.learner.y)[np.sort(indices)], expected)
            assert self.learner.indices_queried.size == 0
            np.testing.assert_array_equal(self.learner.indices_ignored, np.sort(np.asarray(ignored or [], dtype=int)))
            np.testing.assert_array_equal(
                self.learner.indices_validation, np.sort(np.asarray(validation or [], dtype=int))
            )
            if not retrain:
                assert self.learner.classifier is None

    @precondition(may_restart)
    @rule(data=st.data())
    def initialize(self, data: st.DataObject) -> None:
        self.restarts += 1
        choice = data.draw(st.sampled_from(["none", "fitted", "unfitted", "not-a-classifier", "other-label-set"]))
        classifier: Any = None
        if choice == "other-label-set":  # fitted elsewhere: 4 features, 3 classes, single-label
            other = SklearnDataset(np.eye(4), [0, 1, 2, 1], target_labels=np.arange(3))
            classifier = feature_factory().new().fit(other)
            fits = self.kind != "text" and self.dataset.x.shape[1] == 4 and self.num_classes == 3
            choice = "fitted" if fits and not self.multi_label else "not-a-classifier"
        elif choice == "fitted":
            labels = self.setup["oracle"]
            fitted = attempt(TEST, "fit (for initialize)", self.learner.clf_factory.new().fit, self.dataset)
            if not fitted.ok:
                assert self.training_may_fail(fitted.error) or not dense_labels(labels).any(), fitted.error
                return
            classifier = fitted.value
        elif choice == "unfitted":
            classifier = self.learner.clf_factory.new()
        elif choice == "not-a-classifier":
            classifier = data.draw(st.sampled_from([ConfidenceEnhancedLinearSVC(), "svm", 3]))
        outcome, _ = self.call("initialize", "initialize", classifier)
        if choice in ("none", "fitted"):
            self.expect_success(outcome, "initialize")
        else:
            assert isinstance(outcome.error, InvalidArgumentError), f"initialize({classifier!r}) gave {outcome.error!r}"
        if outcome.ok:
            assert self.learner.indices_labeled.size == 0 and self.learner.indices_queried.size == 0
            assert self.learner.classifier is classifier

    def expected_query_error(self) -> type | None:
        """The error a valid query must raise for this strategy, classifier and pool, or None."""
        if self.strategy_name in UNCERTAINTY:
            if self.learner.classifier is None:
                return MissingCapabilityError
            if self.multi_label:
                return InvalidArgumentError
        if self.strategy_name.endswith("coreset") and self.kind == "text" and self.setup["embed_features"]:
            return InvalidArgumentError
        return None

    @precondition(initialized)
    @rule(data=st.data())
    def query_and_update(self, data: st.DataObject) -> None:
        """The loop: a query (valid or not), labels for the pending query (valid or not), or both in a row.

        One rule rather than three, so that hypothesis' swarm testing (which switches rules off at random for a
        whole run) does not leave runs that query but never label."""
        action = data.draw(st.sampled_from(["round", "round", "query", "update"]))
        if action in ("round", "query"):
            choices = ["valid"] if action == "round" else ["valid", "valid", "too-many", "invalid", "kwargs"]
            self.query_with(data, data.draw(st.sampled_from(choices)))
        if action == "query":
            return
        if pending(self):
            self.update_with(data)
            return
        count = data.draw(st.integers(0, 3))
        labels = data.draw(labels_for(count, self.num_classes, self.multi_label, valid=data.draw(st.booleans())))
        outcome, _ = self.call("update", "update", labels)
        assert isinstance(outcome.error, NoPendingQueryError), f"update without a query gave {outcome!r}"

    def query_with(self, data: st.DataObject, choice: str) -> None:
        available = self.unlabeled().size
        kwargs: Any = None
        if choice == "valid" and available:
            num_samples = data.draw(st.integers(1, available))
        elif choice == "too-many":
            num_samples = available + data.draw(st.integers(1, 3))
        elif choice == "kwargs" and available:
            num_samples = 1
            kwargs = data.draw(st.sampled_from([{}, {"unknown": 1}, {"n": 2}, ["n"], "n"]))
        else:
            num_samples = data.draw(invalid_counts())
        outcome, before = self.call("query", "query", num_samples, query_strategy_kwargs=kwargs)
        if choice == "valid" and available and self.learner.is_initialized:
            expected = self.expected_query_error()
            if expected is None:
                self.expect_success(outcome, "query")
            else:
                assert isinstance(outcome.error, expected), f"query should raise {expected}, got {outcome!r}"
        if outcome.ok:
            assert isinstance(num_samples, (int, np.integer)) and 1 <= num_samples <= available
            queried = outcome.value
            assert queried.dtype == np.int64 and queried.shape == (num_samples,)
            assert np.unique(queried).size == num_samples and np.isin(queried, before["unlabeled"]).all()
            np.testing.assert_array_equal(self.learner.indices_queried, queried)
            after = snapshot(self.learner)
            for key in ("y", "labeled", "ignored", "validation", "classifier", "proba", "verdicts"):
                assert_same(before[key], after[key], f"query changed {key}")
        elif choice in ("too-many",) and self.learner.is_initialized:
            assert isinstance(outcome.error, (ActiveTextError,))

    @precondition(lambda self: not initialized(self))
    @rule(data=st.data())
    def before_initialization(self, data: st.DataObject) -> None:
        name, arguments = data.draw(
            st.sampled_from(
                [
                    ("query", (1,)),
                    ("update", ([0],)),
                    ("update_label_at", (0, 0)),
                    ("remove_label_at", (0,)),
                    ("ignore_sample_at", (0,)),
                    ("retrain", ()),
                    ("save", (self.folder / "never",)),
                ]
            )
        )
        outcome, _ = self.call(name, name, *arguments)
        assert isinstance(outcome.error, NotInitializedError), f"{name} before initialization gave {outcome!r}"
        attributes = ("y", "indices_labeled", "indices_unlabeled", "indices_ignored", "indices_validation")
        attribute = data.draw(st.sampled_from(attributes))
        refused = attempt(TEST, attribute, getattr, self.learner, attribute)
        assert isinstance(refused.error, NotInitializedError), f"{attribute} before initialization: {refused!r}"
        assert self.learner.indices_queried.size == 0 and self.learner.classifier is None

    def update_with(self, data: st.DataObject) -> None:
        queried = self.learner.indices_queried if self.learner.is_initialized else np.empty(0, dtype=np.int64)
        broken = data.draw(broken_argument("labels", "validation"))
        labels = data.draw(labels_for(queried.size, self.num_classes, self.multi_label, valid=broken != "labels"))
        validation: Any = None
        if queried.size:
            validation = data.draw(st.none() | st.lists(st.sampled_from(queried.tolist()), unique=True))
        if broken == "validation":
            outside = np.setdiff1d(np.arange(self.n), queried).tolist()
            validation = data.draw((st.just(outside[:1]) if outside else st.nothing()) | invalid_indices(self.n))
        outcome, before = self.call("update", "update", labels, indices_validation=validation)
        if queried.size and broken == "none":
            self.expect_success(outcome, "update")
        if not queried.size and self.learner.is_initialized:
            assert isinstance(outcome.error, NoPendingQueryError), f"update without a query gave {outcome!r}"
        if outcome.ok:
            assert broken == "none", f"update accepted invalid {broken}: {labels!r}, {validation!r}"
            assert self.learner.indices_queried.size == 0
            assert np.isin(queried, self.learner.indices_labeled).all()
            np.testing.assert_array_equal(
                dense_labels(self.learner.y)[queried], normalized_labels(labels, self.multi_label)
            )
            unchanged = np.setdiff1d(np.arange(self.n), queried)
            np.testing.assert_array_equal(dense_labels(self.learner.y)[unchanged], before["y"][unchanged])
            given = np.asarray(validation or [], dtype=np.int64)
            np.testing.assert_array_equal(self.learner.indices_validation, np.union1d(before["validation"], given))

    @precondition(initialized)
    @rule(data=st.data())
    def update_label_at(self, data: st.DataObject) -> None:
        labeled = self.labeled()
        choice = data.draw(st.sampled_from(["labeled", "labeled", "unlabeled", "invalid"]))
        if choice == "labeled" and labeled.size:
            index = int(data.draw(st.sampled_from(labeled.tolist())))
        elif choice == "unlabeled" and self.unlabeled().size:
            index = int(data.draw(st.sampled_from(self.unlabeled().tolist())))
        else:
            choice = "invalid"
            index = data.draw(invalid_index(self.n))
        label_valid, label = self.label_row(data)
        retrain = data.draw(st.booleans())
        outcome, before = self.call("update_label_at", "update_label_at", index, label, retrain=retrain)
        if choice == "labeled" and label_valid:
            self.expect_success(outcome, "update_label_at")
        if outcome.ok:
            assert choice == "labeled" and label_valid
            expected = normalized_labels(label, True)[0] if self.multi_label else int(np.asarray(label))
            np.testing.assert_array_equal(dense_labels(self.learner.y)[index], expected)
            np.testing.assert_array_equal(self.learner.indices_labeled, before["labeled"])
            np.testing.assert_array_equal(self.learner.indices_queried, before["queried"])
            if not retrain:
                assert id(self.learner.classifier) == before["classifier"]

    @precondition(initialized)
    @rule(data=st.data())
    def remove_label_at(self, data: st.DataObject) -> None:
        labeled = self.labeled()
        if labeled.size and data.draw(st.booleans()):
            index, valid = int(data.draw(st.sampled_from(labeled.tolist()))), True
        elif self.unlabeled().size and data.draw(st.booleans()):
            index, valid = int(data.draw(st.sampled_from(self.unlabeled().tolist()))), False
        else:
            index, valid = data.draw(invalid_index(self.n)), False
        retrain = data.draw(st.booleans())
        outcome, _ = self.call("remove_label_at", "remove_label_at", index, retrain=retrain)
        if valid:
            self.expect_success(outcome, "remove_label_at")
        if outcome.ok:
            assert valid
            assert index not in self.learner.indices_labeled and index in self.learner.indices_unlabeled
            assert index not in self.learner.indices_validation
            assert (dense_labels(self.learner.y)[index] == (0 if self.multi_label else -1)).all()

    @precondition(initialized)
    @rule(data=st.data())
    def ignore_sample_at(self, data: st.DataObject) -> None:
        unlabeled, labeled = self.unlabeled(), self.labeled()
        queried = self.learner.indices_queried if self.learner.is_initialized else np.empty(0, dtype=np.int64)
        choice = data.draw(st.sampled_from(["unlabeled", "queried", "labeled", "invalid"]))
        if choice == "queried" and queried.size:
            index = int(data.draw(st.sampled_from(queried.tolist())))
        elif choice in ("unlabeled", "queried") and unlabeled.size:
            choice, index = "unlabeled", int(data.draw(st.sampled_from(unlabeled.tolist())))
        elif choice == "labeled" and labeled.size:
            index = int(data.draw(st.sampled_from(labeled.tolist())))
        else:
            choice, index = "invalid", data.draw(invalid_index(self.n))
        outcome, before = self.call("ignore_sample_at", "ignore_sample_at", index)
        if choice in ("unlabeled", "queried"):
            self.expect_success(outcome, "ignore_sample_at")
        if choice == "labeled":
            assert isinstance(outcome.error, InvalidIndicesError), f"ignoring a labeled document gave {outcome!r}"
        if outcome.ok:
            assert index in self.learner.indices_ignored and index not in self.learner.indices_queried
            np.testing.assert_array_equal(self.learner.indices_queried, before["queried"][before["queried"] != index])
            assert id(self.learner.classifier) == before["classifier"]

    @precondition(initialized)
    @rule()
    def retrain(self) -> None:
        outcome, before = self.call("retrain", "retrain")
        self.expect_success(outcome, "retrain")
        if outcome.ok:
            after = snapshot(self.learner)
            for key in ("y", "labeled", "unlabeled", "ignored", "validation", "queried"):
                assert_same(before[key], after[key], f"retrain changed {key}")

    @precondition(initialized)
    @rule(data=st.data())
    def save_and_load(self, data: st.DataObject) -> None:
        self.saves += 1
        target = self.folder / f"learner-{self.saves}"
        choice = data.draw(
            st.sampled_from(["round-trip", "round-trip", "file", "foreign-folder", "not-a-path", "load-errors"])
        )
        if choice == "not-a-path":
            before = snapshot(self.learner)
            folder = data.draw(st.sampled_from([None, 3, b"folder", "learner\x00"]))
            refused = attempt(TEST, "save (not a path)", self.learner.save, folder)
            assert isinstance(refused.error, InvalidArgumentError), f"save({folder!r}) gave {refused!r}"
            assert_same(before, snapshot(self.learner), "a refused save changed the learner")
            return
        if choice == "file":
            target.write_text("not a learner", encoding="utf-8")
        elif choice == "foreign-folder":
            target.mkdir()
            (target / "notes.txt").write_text("mine", encoding="utf-8")
        before = snapshot(self.learner)
        saved = attempt(TEST, "save", self.learner.save, target)
        assert_same(before, snapshot(self.learner), "save changed the learner")
        if choice in ("file", "foreign-folder"):
            assert not saved.ok and isinstance(saved.error, (InvalidArgumentError, NotInitializedError)), saved.error
            return
        if not self.learner.is_initialized:
            assert isinstance(saved.error, NotInitializedError), saved.error
            return
        assert saved.ok, f"save failed: {saved.error!r}"
        manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
        strategy_saved = manifest["query_strategy"] is not None  # None: its parameters are not JSON
        if choice == "load-errors":
            self.load_errors(target, data)
            return
        if not strategy_saved:
            refused = attempt(TEST, "load", PoolBasedActiveLearner.load, target, self.dataset)
            assert isinstance(refused.error, PersistenceError), refused.error
        loaded = attempt(
            TEST,
            "load",
            PoolBasedActiveLearner.load,
            target,
            self.dataset,
            query_strategy=None if strategy_saved else self.learner.query_strategy,
        )
        assert loaded.ok, f"load failed: {loaded.error!r}"
        after = snapshot(loaded.value)
        before.pop("classifier"), after.pop("classifier")
        assert_same(before, after, "the loaded learner differs")
        self.learner = loaded.value

    def load_errors(self, target: Path, data: st.DataObject) -> None:
        error = data.draw(st.sampled_from(["missing", "other-dataset", "corrupt"]))
        dataset = self.dataset
        if error == "missing":
            target = target.with_name(target.name + "-missing")
            expected: type = SavedStateNotFoundError
        elif error == "other-dataset":
            expected = DatasetMismatchError
            if self.kind == "text":
                texts = list(self.dataset.x)
                texts[0] = texts[0] + "!"
                dataset = TextDataset(texts, target_labels=np.arange(self.num_classes))
            else:
                x = self.dataset.x.toarray() if sp.issparse(self.dataset.x) else self.dataset.x.copy()
                x[0, 0] = 1.0 if x[0, 0] == 0 else -x[0, 0]
                x = sp.csr_matrix(x) if sp.issparse(self.dataset.x) else x
                dataset = SklearnDataset(x, target_labels=np.arange(self.num_classes))
            if self.multi_label:
                expected = DatasetMismatchError  # the label type differs too
        else:
            expected = CorruptSavedStateError
            state = target / "state.npz"
            state.write_bytes(state.read_bytes()[: data.draw(st.integers(0, 40))])
        outcome = attempt(TEST, f"load ({error})", PoolBasedActiveLearner.load, target, dataset)
        assert isinstance(outcome.error, expected), f"load ({error}) gave {outcome!r}"

    # --- invariants ----------------------------------------------------------------------------------------

    @invariant()
    def consistent(self) -> None:
        if self.learner is None:
            return
        assert self.dataset.fingerprint() == self.fingerprint, "the learner changed the dataset's documents"
        np.testing.assert_array_equal(dense_labels(self.dataset.y), self.dataset_y, "the learner wrote dataset.y")
        if not self.learner.is_initialized:
            return
        labeled, unlabeled = self.learner.indices_labeled, self.learner.indices_unlabeled
        ignored, validation = self.learner.indices_ignored, self.learner.indices_validation
        queried = self.learner.indices_queried
        everything = np.concatenate([labeled, unlabeled, ignored])
        np.testing.assert_array_equal(np.sort(everything), np.arange(self.n), "not a partition of the pool")
        assert np.isin(validation, labeled).all(), "a validation document is not labeled"
        assert np.unique(queried).size == queried.size and np.isin(queried, unlabeled).all(), "bad pending query"
        y = dense_labels(self.learner.y)
        unlabeled_or_ignored = np.concatenate([unlabeled, ignored])
        if self.multi_label:
            assert not y[unlabeled_or_ignored].any(), "an unlabeled document has labels"
            assert set(np.unique(y).tolist()) <= {0, 1}
        else:
            assert (y[unlabeled_or_ignored] == -1).all(), "y is not -1 where unlabeled"
            assert ((y[labeled] >= 0) & (y[labeled] < self.num_classes)).all(), "a labeled document has no label"
        if self.learner.classifier is not None:
            assert hasattr(self.learner.classifier, "multi_label_")


PoolLearnerMachine.TestCase.settings = fuzz_settings(200, stateful_step_count=30)
test_pool_learner_state_machine = PoolLearnerMachine.TestCase


# --- the strategies on their own ---------------------------------------------------------------------------


STRATEGY_TEST = "query_strategies"


@fuzz_settings(120)
@given(st.data())
def test_query_strategies_answer_or_refuse(data):
    """``query(clf, dataset, indices_unlabeled, indices_labeled, y, n)`` with random (valid and invalid) pools,
    sizes and classifiers: ``n`` unique unlabeled indices, or a documented error."""
    REPORT.example(STRATEGY_TEST)
    setup = data.draw(pool_setups())
    n_docs, num_classes = setup["n"], setup["num_classes"]
    target_labels = np.arange(num_classes)
    if setup["kind"] == "text":
        dataset = TextDataset(setup["x"], setup["oracle"], target_labels=target_labels)
    else:
        dataset = SklearnDataset(setup["x"], setup["oracle"], target_labels=target_labels)
    strategy = make_strategy(setup["strategy"], setup["kind"], n_docs, setup["seed"], setup["embed_features"])
    labeled = np.asarray(setup["initial"], dtype=np.int64)
    unlabeled = np.setdiff1d(np.arange(n_docs), labeled)
    y = setup["oracle"][labeled]
    clf: Any = None
    if data.draw(st.integers(0, 3)):
        factory = text_factory() if setup["kind"] == "text" else feature_factory()
        fitted = attempt(STRATEGY_TEST, "fit", factory.new().fit, dataset[labeled].with_labels(y))
        if not fitted.ok:
            assert isinstance(fitted.error, EmptyTextError), fitted.error
        clf = fitted.value
    n: Any = data.draw(st.integers(1, max(unlabeled.size, 1)))
    broken = data.draw(broken_argument("indices_unlabeled", "n", "clf"))
    if broken == "indices_unlabeled":
        unlabeled = data.draw(invalid_indices(n_docs))
    elif broken == "n":
        n = data.draw(invalid_counts() | st.just(unlabeled.size + 1))
    elif broken == "clf":
        clf = data.draw(st.sampled_from(["svm", 3, ConfidenceEnhancedLinearSVC()]))
    outcome = attempt(STRATEGY_TEST, type(strategy).__name__, strategy.query, clf, dataset, unlabeled, labeled, y, n)
    if outcome.ok:
        queried = outcome.value
        assert broken in ("none", "clf"), f"{type(strategy).__name__} accepted an invalid {broken}"
        assert queried.shape == (n,) and np.unique(queried).size == n and np.isin(queried, unlabeled).all()


CONSTRUCTION = "pool_learner_construction"
INVALID_LEARNER_ARGUMENTS = {
    "clf_factory": st.sampled_from([None, ConfidenceEnhancedLinearSVC(), "svm"]),
    "query_strategy": st.sampled_from([None, "random", RandomSampling]),
    "dataset": st.sampled_from([None, np.zeros((3, 2)), ["a", "b"]]),
    "stopping_criterion": st.sampled_from(["kappa", 3, KappaAverage]),
    "stop_set": st.sampled_from([0, -1, [], [0, 0], [99], 2.5, "10", [[0]], True]),
    "stop_set_seed": st.sampled_from([-1, 1.5, "0", [0]]),
}


@fuzz_settings(60)
@given(st.data())
def test_pool_learner_construction(data):
    """Constructor arguments with one of them invalid: a documented error, and a learner when none is."""
    REPORT.example(CONSTRUCTION)
    n = data.draw(st.integers(0, 6))
    arguments: dict[str, Any] = {
        "clf_factory": feature_factory(),
        "query_strategy": RandomSampling(seed=0),
        "dataset": SklearnDataset(np.zeros((n, 2)), target_labels=np.arange(2)),
        "stopping_criterion": data.draw(st.sampled_from([None, KappaAverage(2), MaxLabels(3)])),
        "stop_set": data.draw(st.integers(1, 2000) | st.lists(st.integers(0, n - 1), min_size=1, unique=True))
        if n
        else data.draw(st.integers(1, 10)),
        "stop_set_seed": data.draw(st.none() | st.integers(0, 100)),
    }
    broken = data.draw(broken_argument(*INVALID_LEARNER_ARGUMENTS, valid_weight=2))
    if broken != "none":
        arguments[broken] = data.draw(INVALID_LEARNER_ARGUMENTS[broken])
    ignored_when_no_criterion = broken in ("stop_set", "stop_set_seed") and arguments["stopping_criterion"] is None
    # the seed draws a stop set of a given size; a stop set given as indices needs none
    ignored_when_no_criterion |= broken == "stop_set_seed" and not isinstance(arguments["stop_set"], int)
    outcome = attempt(CONSTRUCTION, "PoolBasedActiveLearner", PoolBasedActiveLearner, **arguments)
    if broken == "none" or ignored_when_no_criterion:
        assert outcome.ok, f"valid arguments were refused: {outcome.error!r}"
    else:
        assert not outcome.ok, f"accepted {broken}={arguments[broken]!r}"
    if outcome.ok and arguments["stopping_criterion"] is not None:
        stop_set = outcome.value.indices_stopping
        assert np.unique(stop_set).size == stop_set.size and np.all((stop_set >= 0) & (stop_set < n))


SCORING = "scoring_functions"


@fuzz_settings(100)
@given(st.data())
def test_scoring_functions_answer_or_refuse(data):
    """``breaking_ties``, ``least_confidence`` and ``prediction_entropy`` on random arrays: one finite score per
    row for probability rows, a documented error for anything else."""
    REPORT.example(SCORING)
    rows, columns = data.draw(st.integers(0, 5)), data.draw(st.integers(1, 6))
    cells = data.draw(st.lists(st.floats(0.0, 1.0), min_size=rows * columns, max_size=rows * columns))
    proba: Any = np.asarray(cells, dtype=np.float64).reshape(rows, columns)
    valid = data.draw(st.integers(0, 2)) > 0
    if not valid:
        proba = data.draw(
            st.sampled_from(
                [proba.ravel(), np.zeros((rows, 0)), proba[None], proba.astype(str), None, "proba", [[0.5], [0.5, 0.5]]]
            )
        )
    for score in (breaking_ties, least_confidence, prediction_entropy):
        outcome = attempt(SCORING, score.__name__, score, proba)
        if valid:
            assert outcome.ok, outcome.error
            assert outcome.value.shape == (rows,) and np.isfinite(outcome.value).all()
        else:
            assert isinstance(outcome.error, InvalidArgumentError), f"{score.__name__}({proba!r}) gave {outcome!r}"
