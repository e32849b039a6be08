"""The example program of the small-text article, running on activetext.

Only two things differ from the article: the package name (``small_text`` -> ``activetext``) and the corpus,
which is read from the shared 20 Newsgroups copy (``activetext.datasets.fetch_20newsgroups``, or wherever
ACTIVETEXT_DATA points) instead of being downloaded by ``sklearn.datasets.fetch_20newsgroups``.
The article's listing lost some lines in print (``try:``, the ``update`` call, ``np.concatenate``, the call of
``main()``); they are restored here as in the program the article describes.
"""

import numpy as np
from activetext.active_learner import PoolBasedActiveLearner
from activetext.classifiers import ConfidenceEnhancedLinearSVC
from activetext.classifiers.factories import SklearnClassifierFactory
from activetext.query_strategies import PoolExhaustedException, EmptyPoolException
from activetext.query_strategies import RandomSampling
from activetext.data import SklearnDataSet

from activetext.datasets import fetch_20newsgroups
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.metrics import f1_score


def get_twenty_newsgroups_corpus(categories=['rec.sport.baseball', 'rec.sport.hockey']):
    train = fetch_20newsgroups(subset='train', remove=('headers', 'footers', 'quotes'), categories=categories)
    test = fetch_20newsgroups(subset='test', remove=('headers', 'footers', 'quotes'), categories=categories)
    return train, test


def get_train_test():
    train, test = get_twenty_newsgroups_corpus()
    return train, test


def preprocess_data(train, test):
    vectorizer = TfidfVectorizer(stop_words='english')
    x_train = normalize(vectorizer.fit_transform(train.data))
    x_test = normalize(vectorizer.transform(test.data))
    return SklearnDataSet(x_train, train.target), SklearnDataSet(x_test, test.target)


def evaluate(active_learner, train, test):
    y_pred = active_learner.classifier.predict(train)
    y_pred_test = active_learner.classifier.predict(test)
    print('Train accuracy: {:.2f}'.format(f1_score(y_pred, train.y, average='micro')))
    print('Test accuracy: {:.2f}'.format(f1_score(y_pred_test, test.y, average='micro')))


def main():
    # Active learning parameters
    clf_template = ConfidenceEnhancedLinearSVC()
    clf_factory = SklearnClassifierFactory(clf_template)
    query_strategy = RandomSampling()

    text_train, text_test = get_train_test()
    train, test = preprocess_data(text_train, text_test)

    active_learner = PoolBasedActiveLearner(clf_factory, query_strategy, train)
    labeled_indices = initialize_active_learner(active_learner, train.y)

    try:
        perform_active_learning(active_learner, train, labeled_indices, test)
    except PoolExhaustedException:
        print('Error! Not enough samples left to handle the query.')
    except EmptyPoolException:
        print('Error! No more samples left. (Unlabeled pool is empty)')


def perform_active_learning(active_learner, train, labeled_indices, test):
    for i in range(15):
        # ...where each iteration consists of labelling 20 samples
        q_indices = active_learner.query(num_samples=20)
        y = train.y[q_indices]
        active_learner.update(y)

        labeled_indices = np.concatenate([q_indices, labeled_indices])

        print('Iteration #{:d} ({} samples)'.format(i, len(labeled_indices)))
        evaluate(active_learner, train[labeled_indices], test)


def initialize_active_learner(active_learner, y_train):
    indices_pos_label = np.where(y_train == 1)[0]
    indices_neg_label = np.where(y_train == 0)[0]

    x_indices_initial = np.concatenate([np.random.choice(indices_pos_label, 10, replace=False),
                                        np.random.choice(indices_neg_label, 10, replace=False)])

    x_indices_initial = x_indices_initial.astype(int)
    y_initial = [y_train[i] for i in x_indices_initial]

    active_learner.initialize_data(x_indices_initial, y_initial)
    return x_indices_initial


if __name__ == '__main__':
    main()
