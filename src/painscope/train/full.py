"""``painscope train``: one model on all labelled videos (for predicting new ones).

1/k of the videos (fold 0 of the CV split, stratified) are held out for model
selection and the learning-rate schedule; the rest train. For scores use
``painscope cv``: this run has no test set.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from painscope.config.base import to_dict
from painscope.config.train import TrainConfig
from painscope.evaluate.splits import make_folds
from painscope.project import Project
from painscope.train.checkpoint import save_checkpoint
from painscope.train.data import load_sequences
from painscope.train.runs import (
    default_source,
    make_run_dir,
    open_inputs,
    training_entries,
    write_json,
    write_run_config,
)
from painscope.train.schemes import safe_name, scheme_labels
from painscope.train.sources import SequenceSource
from painscope.train.trainer import fit


def run_train(
    project: Project | Path | str,
    config: TrainConfig | None = None,
    source: SequenceSource | None = None,
    *,
    name: str = "train",
    progress: bool = True,
) -> Path:
    """Train one ViS4mer per run; returns the run folder (checkpoint ``..._fold0.pt``)."""
    inputs = open_inputs(project)
    config = config or inputs.config.stage("train")
    assert isinstance(config, TrainConfig)
    source = source or default_source(inputs, config)
    entries = training_entries(inputs.manifest)
    labels, classes = scheme_labels(entries, config.scheme, inputs.manifest.path)
    groups = [e.mouse_id for e in entries] if config.group_by == "mouse_id" else None
    folds = make_folds(labels, config.n_folds, groups=groups, seed=config.seed)
    run = make_run_dir(inputs.root, name)
    write_run_config(run, "train", inputs, config, [source], grouped_by=config.group_by)
    idx_train, idx_val = np.flatnonzero(folds != 0), np.flatnonzero(folds == 0)
    source.fit([entries[i] for i in idx_train])
    seqs_train = load_sequences(source, [entries[i] for i in idx_train], progress=progress)
    seqs_val = load_sequences(source, [entries[i] for i in idx_val])
    index = {c: n for n, c in enumerate(classes)}
    y = np.array([index[label] for label in labels])
    tpc = int(getattr(source, "tokens_per_clip", 1))
    result = fit(
        config, seqs_train, y[idx_train], seqs_val, y[idx_val], len(classes),
        tokens_per_clip=tpc, seed=config.seed, description=f"{source.name} {config.scheme}",
        progress=progress,
    )  # fmt: skip
    spec = dict(getattr(source, "spec", {"name": source.name}))
    save_checkpoint(
        run / "checkpoints" / f"{safe_name(source.name)}_{safe_name(config.scheme)}_fold0.pt",
        result.model,
        method=source.name,
        scheme=config.scheme,
        fold=0,
        classes=list(classes),
        label_map=index,
        feature_key=str(spec.get("feature_key", "")),
        source=spec,
        tokens_per_clip=tpc,
        n_clips=config.n_clips,
        train_config=to_dict(config),
        best_epoch=result.best_epoch,
        best_val_accuracy=result.best_val_accuracy,
        history=result.history,
    )
    write_json(run / "history.json", {"best_epoch": result.best_epoch, "history": result.history})
    return run


__all__: Sequence[str] = ["run_train"]
