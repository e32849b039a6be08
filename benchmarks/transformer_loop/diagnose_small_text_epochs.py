"""Diagnostic, not part of the comparison: why small-text stays near chance on sst2 in the benchmark.

One fit of small-text's TransformerBasedClassification on 275 random documents of the prepared sst2 pool
(numpy.random.default_rng(7)), evaluated on the prepared 500-document test subsample, with the benchmark's
settings (3 epochs, early stopping + model selection), without early stopping/model selection, and with
small-text's default of 10 epochs. Run with small-text's venv after compare.py has prepared the data:

    benchmarks/.venv-small-text-transformers/bin/python benchmarks/transformer_loop/diagnose_small_text_epochs.py
"""

import json
import time

import numpy as np
import torch
import transformers
from common import DEFAULT_WORK_DIR, load_job_data
from run_small_text import model_path
from small_text import (
    EarlyStopping,
    Metric,
    ModelLoadingStrategy,
    TransformerBasedClassification,
    TransformerModelArguments,
    TransformersDataset,
)

torch.set_num_threads(2)
data = load_job_data(DEFAULT_WORK_DIR, "sst2", 0)
path = model_path()
tokenizer = transformers.AutoTokenizer.from_pretrained(path)
index = np.random.default_rng(7).choice(len(data["pool_y"]), 275, replace=False)
train = TransformersDataset.from_arrays([data["pool_texts"][i] for i in index], data["pool_y"][index], tokenizer,
                                        target_labels=np.arange(2), max_length=64)
test = TransformersDataset.from_arrays(data["test_texts"], data["test_y"], tokenizer, target_labels=np.arange(2),
                                       max_length=64)
model_args = TransformerModelArguments(path, model_loading_strategy=ModelLoadingStrategy.ALWAYS_LOCAL)
settings = [
    ("3 epochs, EarlyStopping(val_loss, patience=0) + ModelSelection (the benchmark)",
     {"early_stopping": EarlyStopping(Metric("val_loss"), patience=0)}, 3),
    ("3 epochs, no early stopping, no model selection", {"early_stopping": "none", "model_selection": "none"}, 3),
    ("10 epochs (small-text's default), no early stopping, no model selection",
     {"early_stopping": "none", "model_selection": "none"}, 10),
]
for name, fit_kwargs, epochs in settings:
    np.random.seed(0)  # noqa: NPY002
    torch.manual_seed(0)
    clf = TransformerBasedClassification(model_args, 2, num_epochs=epochs, lr=5e-5, mini_batch_size=16,
                                         validation_set_size=0.1, device="cpu", verbosity=0,
                                         cache_dir=str(DEFAULT_WORK_DIR / "small_text_cache"))
    start = time.perf_counter()
    clf.fit(train, **fit_kwargs)
    seconds = time.perf_counter() - start
    accuracy = float(np.mean(clf.predict(test) == data["test_y"]))
    print(json.dumps({"setting": name, "test_accuracy": accuracy, "fit_seconds": round(seconds, 1)}), flush=True)
