"""Applying trained runs to new videos: ``painscope predict`` and ``painscope drugtest``.

The fold models of a run (``checkpoints/<method>_<scheme>_fold<i>.pt``) form an
ensemble: their class probabilities are averaged. No retraining happens — for the
drug test this is the paper's zero-shot protocol (Table 4).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from painscope.config.train import TrainConfig
from painscope.errors import PainscopeError
from painscope.evaluate.drugtest import drugtest_stats
from painscope.manifest import VideoEntry
from painscope.project import Project
from painscope.train.checkpoint import load_checkpoint, model_from_checkpoint
from painscope.train.cv import prediction_rows
from painscope.train.data import load_sequences
from painscope.train.relevance import clip_relevance
from painscope.train.runs import make_run_dir, open_inputs, soft_label, write_json, write_run_config
from painscope.train.schemes import safe_name
from painscope.train.sources import SequenceSource, source_from_spec


def run_checkpoints(run_dir: Path) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Checkpoints of a run grouped by (method, scheme), sorted by fold."""
    files = sorted((Path(run_dir) / "checkpoints").glob("*.pt"))
    if not files:
        raise PainscopeError(
            f"{run_dir}: no checkpoints found",
            fix="pass the folder of a `painscope cv` or `painscope train` run",
        )
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for f in files:
        ckpt = load_checkpoint(f)
        out.setdefault((ckpt["method"], ckpt["scheme"]), []).append(ckpt)
    for cks in out.values():
        cks.sort(key=lambda c: str(c["fold"]))
    return out


def apply_run(
    run_dir: Path,
    root: Path,
    entries: Sequence[VideoEntry],
    *,
    sources: dict[str, SequenceSource] | None = None,
    relevance_dir: Path | None = None,
) -> list[dict[str, Any]]:
    """Ensemble predictions of every (method, scheme) of a run: rows of predictions.csv."""
    rows: list[dict[str, Any]] = []
    for (method, scheme), ckpts in run_checkpoints(run_dir).items():
        first = ckpts[0]
        source = (sources or {}).get(method)
        if source is None:
            try:
                source = source_from_spec(first["source"], root)
            except PainscopeError as err:
                # e.g. the pose baseline: its motif model is refitted in every CV round
                warnings.warn(f"method {method!r} skipped: {err.message}", stacklevel=2)
                continue
        seqs = load_sequences(source, entries)
        tpc, n_clips, classes = (
            int(first["tokens_per_clip"]),
            int(first["n_clips"]),
            first["classes"],
        )
        models = [model_from_checkpoint(c) for c in ckpts]
        from painscope.train.trainer import predict_proba

        probs = np.mean([predict_proba(m, seqs, tpc, n_clips) for m in models], axis=0)
        true = [soft_label(e, scheme) if soft_label(e, scheme) in classes else "" for e in entries]
        rows += prediction_rows(entries, probs, classes, true, method, scheme, "ensemble")
        if relevance_dir is not None:
            out = relevance_dir / f"{safe_name(method)}_{safe_name(scheme)}"
            out.mkdir(parents=True, exist_ok=True)
            for e, s, p in zip(entries, seqs, probs, strict=True):
                target = int(np.argmax(p))
                rel = np.mean([clip_relevance(m, s, tpc, n_clips, target) for m in models], axis=0)
                np.save(out / f"{e.video_id}.npy", rel.astype(np.float32))
    return rows


def run_predict(
    run_dir: Path | str,
    project: Project | Path | str,
    *,
    manifest: Path | str | None = None,
    name: str = "predict",
    sources: dict[str, SequenceSource] | None = None,
) -> Path:
    """Predict every row of the manifest with a trained run; returns the new run folder.

    ``predictions.csv`` (fold = ``ensemble``, ``prob_<class>`` averaged over the fold
    models) and ``clip_relevance/<method>_<scheme>/<video_id>.npy``.
    """
    import pandas as pd

    inputs = open_inputs(project, manifest)
    entries = list(inputs.manifest)
    out = make_run_dir(inputs.root, name)
    config = inputs.config.stage("train")
    assert isinstance(config, TrainConfig)
    write_run_config(out, "predict", inputs, config, [], trained_run=str(run_dir))
    rows = apply_run(
        Path(run_dir), inputs.root, entries, sources=sources, relevance_dir=out / "clip_relevance"
    )
    pd.DataFrame(rows).to_csv(out / "predictions.csv", index=False)
    return out


def run_drugtest(
    run_dir: Path | str,
    project: Project | Path | str,
    *,
    groups: Sequence[str] | None = None,
    manifest: Path | str | None = None,
    name: str = "drugtest",
    sources: dict[str, SequenceSource] | None = None,
) -> Path:
    """Zero-shot drug test: trained models on the rows with a ``group`` (paper Table 4).

    Writes predictions.csv, drugtest.csv (group, class, share, Wilson 95 % CI per method
    and scheme), drugtest.json and metrics.json (``{method: {scheme: {"drugtest": ...}}}``).
    """
    import pandas as pd

    inputs = open_inputs(project, manifest)
    entries = [e for e in inputs.manifest if e.group and (not groups or e.group in groups)]
    if not entries:
        have = sorted({e.group for e in inputs.manifest if e.group})
        raise PainscopeError(
            f"{inputs.manifest.path}: no rows in group(s) {', '.join(groups or []) or '(any)'}",
            fix="set the 'group' column of treated videos "
            f"(groups present: {', '.join(have) or 'none'})",
        )
    out = make_run_dir(inputs.root, name)
    config = inputs.config.stage("train")
    assert isinstance(config, TrainConfig)
    write_run_config(out, "drugtest", inputs, config, [], trained_run=str(run_dir))
    rows = apply_run(
        Path(run_dir), inputs.root, entries, sources=sources, relevance_dir=out / "clip_relevance"
    )
    predictions = pd.DataFrame(rows)
    predictions.to_csv(out / "predictions.csv", index=False)
    table: list[dict[str, Any]] = []
    results: dict[str, Any] = {}
    for (method, scheme), part in predictions.groupby(["method", "scheme"], sort=False):
        classes = [
            c[len("prob_") :]
            for c in part.columns
            if c.startswith("prob_") and part[c].notna().all()
        ]
        shares, stats = drugtest_stats(part["group"].tolist(), part["pred_label"].tolist(), classes)
        table += [{"method": method, "scheme": scheme, **r} for r in shares]
        results.setdefault(method, {})[scheme] = {"drugtest": {**stats, "shares": shares}}
    pd.DataFrame(table).to_csv(out / "drugtest.csv", index=False)
    write_json(out / "drugtest.json", results)
    write_json(out / "metrics.json", results)
    return out
