"""Cross-validation, the paper's evaluation protocol (``painscope cv``).

For each sequence source (method) and label scheme, on the *same* folds: round i
tests fold i, validates fold (i + 1) mod k and trains on the rest (see
:mod:`painscope.evaluate.splits`). Per round, ``source.fit`` sees only the round's
training videos. Optionally a mean-pooled logistic-regression baseline runs on the
same folds (method ``<source>_logreg``). Outputs follow docs/design.md, "Run folder".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from painscope.baselines.logistic import logreg_baseline as tuned_logreg_baseline
from painscope.config.train import TrainConfig
from painscope.evaluate.metrics import classification_metrics, qwk_table
from painscope.evaluate.splits import make_folds, round_roles
from painscope.project import Project
from painscope.train.checkpoint import save_checkpoint
from painscope.train.data import load_sequences
from painscope.train.relevance import clip_relevance
from painscope.train.runs import (
    Inputs,
    default_source,
    make_run_dir,
    open_inputs,
    training_entries,
    write_json,
    write_run_config,
)
from painscope.train.schemes import safe_name, scheme_labels
from painscope.train.sources import SequenceSource
from painscope.train.trainer import fit, predict_proba


def logreg_baseline(
    train_seqs: Sequence[np.ndarray],
    train_y: np.ndarray,
    test_seqs: Sequence[np.ndarray],
    n_classes: int,
    seed: int,
) -> np.ndarray:
    """Mean-pooled sequence → standardised → logistic regression; test probabilities (n, K)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pool = lambda seqs: np.stack([s.astype(np.float32).mean(0) for s in seqs])  # noqa: E731
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed))
    clf.fit(pool(train_seqs), train_y)
    probs = np.zeros((len(test_seqs), n_classes))
    probs[:, clf.classes_] = clf.predict_proba(pool(test_seqs))
    return probs


def prediction_rows(
    entries: Sequence[Any],
    probs: np.ndarray,
    classes: Sequence[str],
    true_labels: Sequence[str],
    method: str,
    scheme: str,
    fold: int | str,
) -> list[dict[str, Any]]:
    rows = []
    for e, p, t in zip(entries, probs, true_labels, strict=True):
        row = {
            "video_id": e.video_id,
            "mouse_id": e.mouse_id,
            "condition": e.condition,
            "timepoint": e.timepoint,
            "group": e.group,
            "method": method,
            "scheme": scheme,
            "fold": fold,
            "true_label": t,
            "pred_label": classes[int(np.argmax(p))],
        }
        row.update({f"prob_{c}": float(v) for c, v in zip(classes, p, strict=True)})
        rows.append(row)
    return rows


def run_cv(
    project: Project | Path | str,
    config: TrainConfig | None = None,
    sources: Sequence[SequenceSource] | None = None,
    *,
    schemes: Sequence[str] | None = None,
    name: str = "cv",
    progress: bool = True,
) -> Path:
    """Cross-validate every source under every scheme on identical folds.

    Parameters
    ----------
    project : project folder (or a manifest CSV; its folder is the project)
    config : training settings (default: the project's ``train`` section)
    sources : methods to compare (default: the project's token store, or the manifest's
        ``features`` column; see :func:`painscope.train.runs.default_source`)
    schemes : label schemes (default: ``config.scheme``); folds stratify by the first

    Returns
    -------
    the run folder ``runs/<date>_<name>``.
    """
    import pandas as pd

    inputs: Inputs = open_inputs(project)
    config = config or inputs.config.stage("train")
    assert isinstance(config, TrainConfig)
    sources = list(sources) if sources else [default_source(inputs, config)]
    schemes = list(schemes) if schemes else [config.scheme]
    entries = training_entries(inputs.manifest)
    labels = {s: scheme_labels(entries, s, inputs.manifest.path) for s in schemes}
    groups = [e.mouse_id for e in entries] if config.group_by == "mouse_id" else None
    folds = make_folds(labels[schemes[0]][0], config.n_folds, groups=groups, seed=config.seed)
    k = config.n_folds

    run = make_run_dir(inputs.root, name)
    write_run_config(
        run, "cv", inputs, config, sources, schemes=schemes, grouped_by=config.group_by
    )
    fold_table = pd.DataFrame(
        {
            "video_id": [e.video_id for e in entries],
            "mouse_id": [e.mouse_id for e in entries],
            "label": labels[schemes[0]][0],
            "fold": folds,
        }
    )
    for i in range(k):
        fold_table[f"round_{i}"] = round_roles(folds, i, k)
    fold_table.to_csv(run / "folds.csv", index=False)

    rows: list[dict[str, Any]] = []
    fit_info: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for source in sources:
        for i in range(k):
            roles = round_roles(folds, i, k)
            idx = {r: np.flatnonzero(roles == r) for r in ("train", "val", "test")}
            source.fit([entries[j] for j in idx["train"]])
            seqs = {
                r: load_sequences(source, [entries[j] for j in idx[r]])
                for r in ("train", "val", "test")
            }
            tpc = int(source.tokens_per_clip)
            test_entries = [entries[j] for j in idx["test"]]
            for scheme in schemes:
                y_all, classes = labels[scheme]
                cls_index = {c: n for n, c in enumerate(classes)}
                y = {r: np.array([cls_index[y_all[j]] for j in idx[r]]) for r in idx}
                true_test = [y_all[j] for j in idx["test"]]
                method = source.name
                result = fit(
                    config,
                    seqs["train"],
                    y["train"],
                    seqs["val"],
                    y["val"],
                    len(classes),
                    tokens_per_clip=tpc,
                    seed=config.seed + i,
                    description=f"{method} {scheme} round {i + 1}/{k}",
                    progress=progress,
                )
                probs = predict_proba(
                    result.model, seqs["test"], tpc, config.n_clips, config.batch_size
                )
                rows += prediction_rows(test_entries, probs, classes, true_test, method, scheme, i)
                tag = f"{safe_name(method)}_{safe_name(scheme)}"
                save_checkpoint(
                    run / "checkpoints" / f"{tag}_fold{i}.pt",
                    result.model,
                    method=method,
                    scheme=scheme,
                    fold=i,
                    classes=list(classes),
                    label_map=cls_index,
                    feature_key=str(source.spec.get("feature_key", "")),
                    source=dict(source.spec),
                    tokens_per_clip=tpc,
                    n_clips=config.n_clips,
                    train_config=_plain(config),
                    best_epoch=result.best_epoch,
                    best_val_accuracy=result.best_val_accuracy,
                    history=result.history,
                )
                fit_info.setdefault((method, scheme), []).append(
                    {
                        "fold": i,
                        "best_epoch": result.best_epoch,
                        "best_val_accuracy": result.best_val_accuracy,
                    }
                )
                if config.relevance:
                    out = run / "clip_relevance" / tag
                    out.mkdir(parents=True, exist_ok=True)
                    for e, s in zip(test_entries, seqs["test"], strict=True):
                        np.save(
                            out / f"{e.video_id}.npy",
                            clip_relevance(result.model, s, tpc, config.n_clips),
                        )
                if config.baseline:
                    probs_lr = tuned_logreg_baseline(
                        seqs["train"], y["train"], seqs["test"], len(classes), config.seed
                    )
                    rows += prediction_rows(
                        test_entries, probs_lr, classes, true_test, f"{method}_logreg", scheme, i
                    )

    predictions = pd.DataFrame(rows)
    predictions.to_csv(run / "predictions.csv", index=False)
    metrics = summarize(predictions, {s: labels[s][1] for s in schemes}, config, fit_info)
    write_json(run / "metrics.json", metrics)
    return run


def _plain(config: TrainConfig) -> dict[str, Any]:
    from painscope.config.base import to_dict

    return to_dict(config)


def summarize(
    predictions: Any,
    classes: dict[str, tuple[str, ...]],
    config: TrainConfig,
    fit_info: dict[tuple[str, str], list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """``metrics.json``: {method: {scheme: scores}} from a predictions table."""
    out: dict[str, Any] = {}
    for (method, scheme), part in predictions.groupby(["method", "scheme"], sort=False):
        cls = classes[scheme]
        index = {c: n for n, c in enumerate(cls)}
        m = classification_metrics(
            [index[t] for t in part["true_label"]],
            [index[p] for p in part["pred_label"]],
            cls,
            part["fold"].tolist(),
            n_boot=config.n_bootstrap,
            seed=config.seed,
        )
        m["qwk"] = (
            qwk_table(
                part["condition"].tolist(), part["true_label"].tolist(), part["pred_label"].tolist()
            )
            if scheme == "15class"
            else None
        )
        m["grouped_by"] = config.group_by
        m["n_folds"] = config.n_folds
        if fit_info and (method, scheme) in fit_info:
            m["training"] = fit_info[(method, scheme)]
        out.setdefault(method, {})[scheme] = m
    return out
