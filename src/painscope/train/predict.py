"""Applying trained runs to new videos: ``painscope predict`` and ``painscope drugtest``.

The fold models of a run (``checkpoints/<method>_<scheme>_fold<i>.pt``) form an
ensemble: their class probabilities are averaged. No retraining happens — for the
drug test this is the paper's zero-shot protocol (Table 4).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from painscope.errors import PainscopeError
from painscope.evaluate.drugtest import DrugTest, drugtest_stats
from painscope.evaluate.results import (
    IncompleteRunError,
    RunRecorder,
    RunResults,
    RunStatus,
    prediction_rows,
    read_status,
    write_results,
)
from painscope.manifest import VideoEntry
from painscope.project import Project, open_project
from painscope.train.checkpoint import load_checkpoint, model_from_checkpoint
from painscope.train.data import load_sequences
from painscope.train.relevance import clip_relevance
from painscope.train.runs import make_run_dir, soft_label, write_run_config
from painscope.train.schemes import safe_name
from painscope.train.sources import SequenceSource, source_from_spec


def run_checkpoints(run_dir: Path) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Checkpoints of a *complete* run grouped by (method, scheme), sorted by fold.

    Refuses a run folder whose command was killed or failed, and one whose checkpoints
    are not exactly the fold models its ``run.json`` expects: an ensemble never averages
    a partial set of folds nor mixes methods.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise PainscopeError(
            f"{run_dir}: no such run folder", fix="pass the folder of a cv or train run"
        )
    status = read_status(run_dir)
    RunResults(run_dir, status).require_complete("predicting with its models")
    files = sorted((run_dir / "checkpoints").glob("*.pt"))
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
    _check_model_sets(run_dir, status, out)
    return out


def _check_model_sets(
    run_dir: Path, status: RunStatus, found: dict[tuple[str, str], list[dict[str, Any]]]
) -> None:
    have = {key: sorted(int(c["fold"]) for c in cks) for key, cks in found.items()}
    if status.expected:
        want = {(m, s): list(range(n)) for m, s, n in status.expected}
    else:  # a schema-1 folder: every (method, scheme) needs the same folds 0..k-1
        k = max(len(v) for v in have.values())
        want = {key: list(range(k)) for key in have}
    problems = [
        f"{m} {s}: fold models {have.get((m, s), [])} instead of {folds}"
        for (m, s), folds in want.items()
        if have.get((m, s)) != folds
    ] + [f"{m} {s}: not part of this run" for (m, s) in have if (m, s) not in want]
    if problems:
        raise IncompleteRunError(
            f"{run_dir}: the checkpoints do not form complete ensembles ({'; '.join(problems)})",
            fix=f"re-run painscope {status.command}, then pass the new run folder",
        )


def apply_run(
    run_dir: Path,
    root: Path,
    entries: Sequence[VideoEntry],
    *,
    sources: dict[str, SequenceSource] | None = None,
    relevance_dir: Path | None = None,
    checkpoints: dict[tuple[str, str], list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """Ensemble predictions of every (method, scheme) of a run: rows of predictions.csv.

    Each fold model sees the sequences of the source it was trained on: one source for
    the token stores and motion descriptors, but the pose baseline's motifs were refitted
    in every round, so each fold model gets its own round's fitted motifs. ``sources``
    (by method) overrides that; ``checkpoints``: :func:`run_checkpoints` of ``run_dir``
    when already loaded.
    """
    from painscope.train.trainer import predict_proba

    rows: list[dict[str, Any]] = []
    rebuilt: dict[str, list[np.ndarray]] = {}  # source spec → sequences of entries
    for (method, scheme), ckpts in (checkpoints or run_checkpoints(run_dir)).items():
        try:
            seqs_per_model = [
                _sequences_for(c, method, root, run_dir, entries, sources, rebuilt) for c in ckpts
            ]
        except PainscopeError as err:
            warnings.warn(f"method {method!r} skipped: {err.message} ({err.fix})", stacklevel=2)
            continue
        first = ckpts[0]
        tpc, n_clips, classes = (
            int(first["tokens_per_clip"]),
            int(first["n_clips"]),
            first["classes"],
        )
        models = [model_from_checkpoint(c) for c in ckpts]
        per_model = [
            predict_proba(m, seqs, tpc, n_clips)  # (n_videos, n_classes)
            for m, seqs in zip(models, seqs_per_model, strict=True)
        ]
        probs = np.mean(per_model, axis=0)
        true = [soft_label(e, scheme) if soft_label(e, scheme) in classes else "" for e in entries]
        rows += prediction_rows(entries, probs, classes, true, method, scheme, "ensemble")
        if relevance_dir is not None:
            out = relevance_dir / f"{safe_name(method)}_{safe_name(scheme)}"
            out.mkdir(parents=True, exist_ok=True)
            for v, (e, p) in enumerate(zip(entries, probs, strict=True)):
                target = int(np.argmax(p))
                rel = np.mean(
                    [
                        clip_relevance(m, seqs[v], tpc, n_clips, target)
                        for m, seqs in zip(models, seqs_per_model, strict=True)
                    ],
                    axis=0,
                )
                np.save(out / f"{e.video_id}.npy", rel.astype(np.float32))
    return rows


def _sequences_for(
    ckpt: dict[str, Any],
    method: str,
    root: Path,
    run_dir: Path,
    entries: Sequence[VideoEntry],
    sources: dict[str, SequenceSource] | None,
    rebuilt: dict[str, list[np.ndarray]],
) -> list[np.ndarray]:
    """The sequences of ``entries`` from the source one checkpoint was trained on (cached)."""

    given = (sources or {}).get(method)
    key = f"given:{method}" if given is not None else json.dumps(ckpt["source"], sort_keys=True)
    if key not in rebuilt:
        source = given or source_from_spec(ckpt["source"], root, run_dir)
        rebuilt[key] = load_sequences(source, entries)
    return rebuilt[key]


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

    inputs = open_project(project, manifest=manifest).inputs()
    entries = list(inputs.manifest)
    models = run_checkpoints(Path(run_dir))  # refuses an incomplete run before any output
    out = make_run_dir(inputs.root, name)
    with RunRecorder(out, "predict"):
        write_run_config(out, "predict", inputs, inputs.config.train, [], trained_run=str(run_dir))
        rows = apply_run(
            Path(run_dir), inputs.root, entries, sources=sources,
            relevance_dir=out / "clip_relevance", checkpoints=models,
        )  # fmt: skip
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
    and scheme) and metrics.json (``{method: {scheme: {"drugtest": ...}}}``, see
    :class:`painscope.evaluate.drugtest.DrugTest`).
    """

    inputs = open_project(project, manifest=manifest).inputs()
    entries = [e for e in inputs.manifest if e.group and (not groups or e.group in groups)]
    if not entries:
        have = sorted({e.group for e in inputs.manifest if e.group})
        raise PainscopeError(
            f"{inputs.manifest.path}: no rows in group(s) {', '.join(groups or []) or '(any)'}",
            fix="set the 'group' column of treated videos "
            f"(groups present: {', '.join(have) or 'none'})",
        )
    models = run_checkpoints(Path(run_dir))  # refuses an incomplete run before any output
    out = make_run_dir(inputs.root, name)
    with RunRecorder(out, "drugtest") as rec:
        write_run_config(out, "drugtest", inputs, inputs.config.train, [], trained_run=str(run_dir))
        rows = apply_run(
            Path(run_dir), inputs.root, entries, sources=sources,
            relevance_dir=out / "clip_relevance", checkpoints=models,
        )  # fmt: skip
        write_drugtest_results(out, rec.status, rows)
    return out


def write_drugtest_results(out: Path, status: RunStatus, rows: list[dict[str, Any]]) -> RunResults:
    """``predictions.csv``, ``drugtest.csv`` and ``metrics.json`` of a drug-test run.

    ``rows``: ensemble prediction rows of the treated videos. The caller writes
    ``run.json`` (:func:`painscope.evaluate.results.finish_status`) last.
    """
    import pandas as pd

    predictions = pd.DataFrame(rows)
    predictions.to_csv(out / "predictions.csv", index=False)
    table: list[dict[str, Any]] = []
    tests: dict[tuple[str, str], DrugTest] = {}
    for (method, scheme), part in predictions.groupby(["method", "scheme"], sort=False):
        classes = [
            c[len("prob_") :]
            for c in part.columns
            if c.startswith("prob_") and part[c].notna().all()
        ]
        shares, stats = drugtest_stats(part["group"].tolist(), part["pred_label"].tolist(), classes)
        table += [{"method": method, "scheme": scheme, **r} for r in shares]
        tests[(str(method), str(scheme))] = DrugTest.from_stats(shares, stats)
    pd.DataFrame(table).to_csv(out / "drugtest.csv", index=False)
    results = RunResults(out, status, drugtests=tests)
    write_results(out, results)
    return results
