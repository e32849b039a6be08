"""Transformer loop, activetext side: one (data set, seed) job. Run with activetext's venv (.venv).

    .venv/bin/python benchmarks/transformer_loop/run_activetext.py --dataset sst2 --seed 0 --output /tmp/at.json

Reads the data prepared by compare.py (run ``compare.py --quick`` once first).
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import time

import numpy as np
from common import (
    HYPER_PARAMETERS,
    ScoringTimer,
    accuracy_score,
    forward_throughput,
    load_job_data,
    log,
    parse_args,
    run_loop,
    set_threads,
    write_job,
)

import activetext
from activetext.active_learner import PoolBasedActiveLearner
from activetext.classifiers.transformer import TransformerClassifier, TransformerClassifierFactory
from activetext.data import TextDataset
from activetext.encoders.sentence_transformer import default_model_path
from activetext.query_strategies import BreakingTies

TIMER = ScoringTimer()


class TimedTransformerClassifier(TransformerClassifier):
    """activetext's TransformerClassifier, with the wall time of predict_proba recorded during queries."""

    def predict_proba(self, data):
        return TIMER.wrap(super().predict_proba, data)


class TimedTransformerClassifierFactory(TransformerClassifierFactory):
    def new(self) -> TransformerClassifier:
        return TimedTransformerClassifier(self.model, self.num_classes, **self.kwargs)


def main() -> None:
    args = parse_args(__doc__)
    set_threads(args.threads)
    data = load_job_data(args.work_dir, args.dataset, args.seed)
    model_path = default_model_path()
    num_classes = data["num_classes"]
    throughput = forward_throughput(model_path, num_classes)

    hp = HYPER_PARAMETERS
    kwargs = {
        "num_epochs": hp["num_epochs"],
        "batch_size": hp["batch_size"],
        "learning_rate": hp["learning_rate"],
        "max_length": hp["max_length"],
        "validation_fraction": hp["validation_fraction"],
        "early_stopping_patience": hp["stop_after_epochs_without_improvement"],
        "device": "cpu",
        "seed": args.seed,
    }
    start = time.perf_counter()
    target_labels = np.arange(num_classes)
    pool = TextDataset(data["pool_texts"], data["pool_y"], target_labels=target_labels)
    test = TextDataset(data["test_texts"], data["test_y"], target_labels=target_labels)
    setup_seconds = time.perf_counter() - start  # activetext tokenizes inside fit/predict (timed there)

    np.random.seed(args.seed)  # noqa: NPY002  (nothing should use it; same as the small-text side)
    factory = TimedTransformerClassifierFactory(model_path, num_classes, kwargs)
    learner = PoolBasedActiveLearner(factory, BreakingTies(seed=args.seed), pool)

    def evaluate(active_learner) -> float:
        return accuracy_score(data["test_y"], active_learner.classifier.predict(test))

    log(f"activetext {args.dataset} seed={args.seed}: pool {len(pool)}, test {len(test)}, "
        f"forward {throughput:.0f} docs/s at 128 tokens")
    result = run_loop(learner, TIMER, data["pool_y"], data["initial"], evaluate, args.iterations, args.queries)

    import torch
    import transformers

    settings = {
        "classifier": "activetext.classifiers.transformer.TransformerClassifier (via TransformerClassifierFactory)",
        "kwargs": kwargs,
        "model": model_path,
        "query_strategy": f"BreakingTies(seed={args.seed})",
        "padding": "dynamic (longest document of each batch); inference batches sorted by token length",
        "activetext_module": activetext.__file__,
    }
    versions = {"torch": torch.__version__, "transformers": transformers.__version__,
                "activetext": activetext.__version__}
    write_job(args, "activetext", activetext.__version__, versions, settings, setup_seconds, throughput, result)


if __name__ == "__main__":
    main()
