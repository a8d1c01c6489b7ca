"""Run folders for the report tests, written by painscope's own writers.

Predictions are drawn so that better methods are more often right; everything else —
``predictions.csv``, ``metrics.json``, ``run.json``, ``config.yaml`` and the drug-test
run — is written by the functions ``painscope cv`` and ``painscope drugtest`` use
(:func:`painscope.train.cv.write_cv_results`, :func:`painscope.train.predict.write_drugtest_results`,
:func:`painscope.train.runs.write_run_config`, :mod:`painscope.evaluate.results`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from painscope.config import ExtractConfig, ProjectConfig, TrainConfig
from painscope.evaluate.results import FoldTraining, finish_status, prediction_rows, start_status
from painscope.labels import CLASSES_3, CLASSES_15
from painscope.manifest import Manifest, VideoEntry
from painscope.project import Inputs
from painscope.train.cv import write_cv_results
from painscope.train.predict import write_drugtest_results
from painscope.train.runs import write_run_config
from painscope.train.schemes import safe_name

METHOD_SKILL = {"ours_mask": 0.55, "ours": 0.45, "raw": 0.3, "pooled": 0.25, "pose": 0.2}
N_FOLDS = 8
N_CLIPS = 40
SCHEMES = (("15class", CLASSES_15), ("3class", CLASSES_3))


class _Named:
    """Stands in for a sequence source in config.yaml (only its name is written)."""

    tokens_per_clip = 1

    def __init__(self, name: str) -> None:
        self.name = name
        self.spec = {"name": name}


def _three_of(label15: str) -> str:
    if label15.startswith("formalin"):
        return "inflammatory"
    if label15.startswith("SNI"):
        return "neuropathic"
    return "no pain"


def _inputs(root: Path, weights: str, entries: list[VideoEntry]) -> Inputs:
    extract = ExtractConfig(backbone="swin3d_t", weights=weights, clip_seconds=1.5)
    return Inputs(
        root, ProjectConfig(extract=extract), Manifest(root / "manifest.csv", tuple(entries))
    )


def make_run_folder(
    root: Path,
    rng: np.random.Generator,
    *,
    n_videos: int = 90,
    methods: tuple[str, ...] = tuple(METHOD_SKILL),
    weights: str = "kinetics400",
    grouped_by: str = "mouse_id",
    drugtest: bool = True,
    clip_relevance: bool = True,
) -> Path:
    """Write a complete cv run folder at ``root`` (and, with ``drugtest``, a drug-test run
    folder ``<root>_drugtest`` beside it that names it as ``trained_run``); return ``root``."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    labels15 = [CLASSES_15[i % len(CLASSES_15)] for i in range(n_videos)]
    entries = []
    for i, lab in enumerate(labels15):
        condition = "baseline" if lab == "D0" else lab.split(" ")[0]
        entries.append(
            VideoEntry(
                row=i + 2, video=f"videos/v{i:03d}.mp4", path=root / f"v{i:03d}.mp4",
                video_id=f"v{i:03d}", mouse_id=f"m{i % 30:02d}", condition=condition,
                timepoint=lab.split(" ")[-1],
            )
        )  # fmt: skip
    folds = rng.permutation(np.arange(n_videos) % N_FOLDS)
    pd.DataFrame(
        {
            "video_id": [e.video_id for e in entries],
            "mouse_id": [e.mouse_id for e in entries],
            "label": labels15,
            "fold": folds,
        }
    ).to_csv(root / "folds.csv", index=False)
    config = TrainConfig(n_folds=N_FOLDS, group_by=grouped_by, n_bootstrap=50)  # type: ignore[arg-type]
    inputs = _inputs(root.parent, weights, entries)
    status = start_status(root, "cv", len(methods) * N_FOLDS)
    write_run_config(
        root, "cv", inputs, config, [_Named(m) for m in methods],  # type: ignore[list-item]
        schemes=[s for s, _ in SCHEMES], grouped_by=grouped_by,
    )  # fmt: skip

    rows = []
    fit_info: dict[tuple[str, str], list[FoldTraining]] = {}
    for method in methods:
        skill = METHOD_SKILL.get(method, 0.3)
        for scheme, names in SCHEMES:
            true = [lab if scheme == "15class" else _three_of(lab) for lab in labels15]
            k = len(names)
            logits = rng.normal(0, 1, (n_videos, k))
            idx = np.array([names.index(t) for t in true])
            logits[np.arange(n_videos), idx] += skill * 4
            probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
            for fold in range(N_FOLDS):
                test = np.flatnonzero(folds == fold)
                rows += prediction_rows(
                    [entries[j] for j in test], probs[test], names, [true[j] for j in test],
                    method, scheme, fold,
                )  # fmt: skip
                fit_info.setdefault((method, scheme), []).append(FoldTraining(fold, 10, 0.5))
            if clip_relevance:
                folder = root / "clip_relevance" / f"{safe_name(method)}_{safe_name(scheme)}"
                folder.mkdir(parents=True, exist_ok=True)
                for e in entries[:12]:
                    t = np.arange(N_CLIPS)
                    rel = np.exp(-0.5 * ((t - rng.uniform(5, 35)) / 4) ** 2) + rng.uniform(
                        0, 0.2, N_CLIPS
                    )
                    np.save(folder / f"{e.video_id}.npy", (rel / rel.sum()).astype(np.float32))
    write_cv_results(root, status, rows, dict(SCHEMES), config, fit_info)
    finish_status(root, status)

    if drugtest:
        _drugtest_run(root.parent / f"{root.name}_drugtest", root, methods, rng, inputs)
    return root


def _drugtest_run(
    folder: Path, trained: Path, methods: tuple[str, ...], rng: np.random.Generator,
    inputs: Inputs,
) -> None:  # fmt: skip
    """A drug-test run folder beside ``trained``, as ``painscope drugtest`` writes it."""
    folder.mkdir(parents=True, exist_ok=True)
    status = start_status(folder, "drugtest")
    write_run_config(folder, "drugtest", inputs, TrainConfig(), [], trained_run=str(trained))
    rows = []
    n = 0
    for group, count, no_pain in (
        ("SNI D7", 31, 0.29),
        ("SNI+GBA", 13, 0.71),
        ("SNI+saline", 8, 0.33),
        ("formalin+GBA", 10, 0.59),
    ):
        for _ in range(count):
            entry = VideoEntry(
                row=n + 2, video=f"d{n:03d}.mp4", path=folder / f"d{n:03d}.mp4",
                video_id=f"d{n:03d}", mouse_id=f"t{n:02d}", condition="SNI", timepoint="D7",
                group=group,
            )  # fmt: skip
            n += 1
            for method in methods:
                for scheme, names in (("3class", CLASSES_3), ("15class", CLASSES_15)):
                    if rng.random() < no_pain:
                        pred = 0
                    else:
                        pred = 1 + int(rng.integers(len(names) - 1))
                    p = np.full(len(names), 0.1 / (len(names) - 1))
                    p[pred] = 0.9
                    rows += prediction_rows([entry], [p], names, [""], method, scheme, "ensemble")
    rows.sort(key=lambda r: (list(methods).index(r["method"]), r["scheme"] != "3class"))
    write_drugtest_results(folder, status, rows)
    finish_status(folder, status)
