"""``painscope train``: one model on all labelled videos (for predicting new ones).

1/k of the videos (fold 0 of the CV split, stratified) are held out for model
selection and the learning-rate schedule; the rest train. For scores use
``painscope cv``: this run has no test set. The model is fitted by the same
:func:`painscope.train.cv.fit_fold` as every CV round (one job, no test videos).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from painscope.config.train import TrainConfig
from painscope.evaluate.results import GroupedBy, RunRecorder
from painscope.evaluate.splits import make_folds
from painscope.project import Project, open_project
from painscope.train.cv import FoldContext, FoldJob, fit_fold
from painscope.train.runs import (
    default_source,
    make_run_dir,
    training_entries,
    write_json,
    write_run_config,
)
from painscope.train.schemes import scheme_labels
from painscope.train.sources import SequenceSource


def run_train(
    project: Project | Path | str,
    config: TrainConfig | None = None,
    source: SequenceSource | None = None,
    *,
    name: str = "train",
    progress: bool = True,
) -> Path:
    """Train one ViS4mer per run; returns the run folder (checkpoint ``..._fold0.pt``)."""
    inputs = open_project(project).inputs()
    config = config or inputs.config.train
    source = source or default_source(inputs, config)
    entries = training_entries(inputs.manifest)
    labels, classes = scheme_labels(entries, config.scheme, inputs.manifest.path)
    groups = [e.mouse_id for e in entries] if config.group_by == "mouse_id" else None
    folds = make_folds(labels, config.n_folds, groups=groups, seed=config.seed)
    job = FoldJob(
        source, 0, 1,
        train=tuple(int(i) for i in np.flatnonzero(folds != 0)),
        val=tuple(int(i) for i in np.flatnonzero(folds == 0)),
        test=(), schemes=(config.scheme,),
    )  # fmt: skip
    run = make_run_dir(inputs.root, name)  # only after every input was validated
    with RunRecorder(
        run, "train", 1, grouped_by=GroupedBy.parse(config.group_by),
        expected=((source.name, config.scheme, 1),),
    ):  # fmt: skip
        write_run_config(run, "train", inputs, config, [source], grouped_by=config.group_by)
        context = FoldContext(tuple(entries), {config.scheme: (labels, classes)}, config, run,
                              progress)  # fmt: skip
        (fitted,) = fit_fold(job, context).fits
        write_json(
            run / "history.json", {"best_epoch": fitted.best_epoch, "history": fitted.history}
        )
    return run


__all__: Sequence[str] = ["run_train"]
