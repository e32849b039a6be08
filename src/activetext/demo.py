"""The article's scenario as a demo: active learning on 20 Newsgroups, baseball versus hockey.

TF-IDF features, :class:`~activetext.classifiers.ConfidenceEnhancedLinearSVC`, a balanced initial set, then rounds
of querying and labeling in which the true labels play the annotator. :func:`run_demo` returns the learning curve;
``activetext demo`` on the command line shows it and writes it to disk.
"""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.preprocessing import normalize

import activetext
from activetext.active_learner import PoolBasedActiveLearner
from activetext.classifiers import ConfidenceEnhancedLinearSVC
from activetext.classifiers.factories import SklearnClassifierFactory
from activetext.data import SklearnDataset
from activetext.datasets import load_benchmark
from activetext.exceptions import MissingDependencyError
from activetext.initialization import balanced_initialization
from activetext.query_strategies import (
    BreakingTies,
    LeastConfidence,
    PredictionEntropy,
    QueryStrategy,
    RandomSampling,
)
from activetext.utils.curves import normalized_area_under_curve
from activetext.utils.validation import check_positive_int

__all__ = ["DemoConfig", "DemoResult", "DemoStep", "Strategy", "plot_learning_curve", "run_demo"]

CATEGORIES = ("rec.sport.baseball", "rec.sport.hockey")


class Strategy(str, enum.Enum):
    """The query strategies the demo can run."""

    RANDOM = "random"
    LEAST_CONFIDENCE = "least-confidence"
    PREDICTION_ENTROPY = "prediction-entropy"
    BREAKING_TIES = "breaking-ties"

    def build(self, seed: int) -> QueryStrategy:
        """Return the strategy, seeded."""
        classes = {
            Strategy.RANDOM: RandomSampling,
            Strategy.LEAST_CONFIDENCE: LeastConfidence,
            Strategy.PREDICTION_ENTROPY: PredictionEntropy,
            Strategy.BREAKING_TIES: BreakingTies,
        }
        return classes[self](seed=seed)


@dataclass(frozen=True)
class DemoConfig:
    """The demo's settings; the defaults are the article's scenario.

    Attributes
    ----------
    strategy : Strategy
        The query strategy.
    seed : int
        Seeds the initial set and the strategy.
    initial_size : int
        Labels before the first query, balanced over the two classes.
    iterations : int
        Rounds of querying and labeling.
    batch_size : int
        Documents queried per round.
    """

    strategy: Strategy = Strategy.BREAKING_TIES
    seed: int = 0
    initial_size: int = 20
    iterations: int = 15
    batch_size: int = 20

    def __post_init__(self) -> None:
        object.__setattr__(self, "strategy", Strategy(self.strategy))
        check_positive_int(self.seed, name="seed", minimum=0)
        check_positive_int(self.initial_size, name="initial_size", minimum=2)
        check_positive_int(self.iterations, name="iterations", minimum=0)
        check_positive_int(self.batch_size, name="batch_size")


@dataclass(frozen=True)
class DemoStep:
    """The learner after one round: labels used, test scores and the round's timings (seconds)."""

    labels: int
    test_accuracy: float
    test_macro_f1: float
    train_seconds: float
    query_seconds: float


@dataclass
class DemoResult:
    """The learning curve of one demo run and what produced it."""

    config: DemoConfig
    n_train: int
    n_test: int
    steps: list[DemoStep] = field(default_factory=list)

    def to_json(self) -> dict:
        """Return the result as JSON-ready data."""
        config = asdict(self.config)
        config["strategy"] = self.config.strategy.value
        return {
            "activetext_version": activetext.__version__,
            "scenario": {"dataset": "20newsgroups", "categories": list(CATEGORIES), "features": "tf-idf"},
            "config": config,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "normalized_aulc": self.normalized_aulc,
            "steps": [asdict(step) for step in self.steps],
        }

    @property
    def normalized_aulc(self) -> float:
        """The normalized area under the test-accuracy curve (see :func:`normalized_area_under_curve`)."""
        return normalized_area_under_curve(
            [step.labels for step in self.steps], [step.test_accuracy for step in self.steps]
        )


def run_demo(config: DemoConfig, on_step: Callable[[DemoStep], None] | None = None) -> DemoResult:
    """Run the article's scenario and return its learning curve.

    Parameters
    ----------
    config : DemoConfig
        The settings.
    on_step : callable, optional
        Called with each :class:`DemoStep` as soon as it is measured (for progress display).

    Returns
    -------
    DemoResult
    """
    remove = ("headers", "footers", "quotes")
    text_train = load_benchmark("20newsgroups", "train", categories=list(CATEGORIES), remove=remove)
    text_test = load_benchmark("20newsgroups", "test", categories=list(CATEGORIES), remove=remove)
    vectorizer = TfidfVectorizer(stop_words="english")
    train = SklearnDataset(
        normalize(vectorizer.fit_transform(text_train.x)),
        text_train.y,
        target_labels=text_train.target_labels,
    )
    test = SklearnDataset(
        normalize(vectorizer.transform(text_test.x)), text_test.y, target_labels=text_test.target_labels
    )

    learner = PoolBasedActiveLearner(
        SklearnClassifierFactory(ConfidenceEnhancedLinearSVC()), config.strategy.build(config.seed), train
    )
    result = DemoResult(config=config, n_train=len(train), n_test=len(test))

    def record(train_seconds: float, query_seconds: float) -> None:
        predicted = learner.classifier.predict(test)
        step = DemoStep(
            labels=int(learner.indices_labeled.size),
            test_accuracy=float(accuracy_score(test.y, predicted)),
            test_macro_f1=float(f1_score(test.y, predicted, average="macro")),
            train_seconds=train_seconds,
            query_seconds=query_seconds,
        )
        result.steps.append(step)
        if on_step is not None:
            on_step(step)

    initial = balanced_initialization(train.y, config.initial_size, seed=config.seed)
    started = time.perf_counter()
    learner.initialize_data(initial, train.y[initial])
    record(time.perf_counter() - started, 0.0)
    for _ in range(config.iterations):
        started = time.perf_counter()
        queried = learner.query(num_samples=config.batch_size)
        queried_at = time.perf_counter()
        learner.update(train.y[queried])  # the true labels stand in for the annotator
        record(time.perf_counter() - queried_at, queried_at - started)
    return result


def write_results(result: DemoResult, folder: Path) -> tuple[Path, Path]:
    """Write ``results.json`` and ``learning_curve.png`` into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path = folder / "results.json"
    json_path.write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
    plot_path = folder / "learning_curve.png"
    plot_learning_curve(result, plot_path)
    return json_path, plot_path


def plot_learning_curve(result: DemoResult, path: Path) -> None:
    """Draw test accuracy against the number of labels and save it as an image (PNG by the file suffix)."""
    try:
        import matplotlib
    except ImportError as error:
        raise MissingDependencyError('plotting needs matplotlib: pip install "activetext[plot]"') from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [step.labels for step in result.steps]
    accuracy = [step.test_accuracy for step in result.steps]
    figure, axes = plt.subplots(figsize=(6.4, 4.0), dpi=120)
    axes.plot(labels, accuracy, marker="o", label=result.config.strategy.value)
    axes.set_xlabel("labeled documents")
    axes.set_ylabel("test accuracy")
    axes.set_title("20 Newsgroups: baseball vs hockey")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
