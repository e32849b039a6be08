"""activetext: active learning for text classification.

The learner lives in :mod:`activetext.active_learner`, classifiers in :mod:`activetext.classifiers`, query
strategies in :mod:`activetext.query_strategies`, datasets in :mod:`activetext.data` and the benchmark loaders in
:mod:`activetext.datasets`. Importing this package loads only numpy, scipy and scikit-learn.
"""

__version__ = "0.1.0"
