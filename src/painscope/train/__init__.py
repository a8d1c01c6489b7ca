"""Training the classifier: sequence sources, resampling, the trainer, CV, predict, drug test.

Python API::

    from painscope.train import run_cv, run_train, run_predict, run_drugtest
    run = run_cv("my_project")                     # -> runs/<date>_cv
"""

from painscope.train.cv import run_cv
from painscope.train.full import run_train
from painscope.train.predict import run_drugtest, run_predict
from painscope.train.sources import ArrayFileSource, SequenceSource, TokenStoreSource

__all__ = [
    "ArrayFileSource",
    "SequenceSource",
    "TokenStoreSource",
    "run_cv",
    "run_drugtest",
    "run_predict",
    "run_train",
]
