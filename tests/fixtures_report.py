"""A synthetic run folder in the layout of docs/design.md ("Run folder"), for report tests.

Predictions are drawn so that better methods are more often right; metrics.json is
computed from them (accuracy, macro F1, confusion, per-class, per-fold) so every
number in the report is consistent with predictions.csv.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from painscope.evaluate.drugtest import drugtest_stats
from painscope.evaluate.metrics import classification_metrics, qwk_table
from painscope.labels import CLASSES_3, CLASSES_15
from painscope.train.schemes import safe_name

METHOD_SKILL = {"ours_mask": 0.55, "ours": 0.45, "raw": 0.3, "pooled": 0.25, "pose": 0.2}
N_FOLDS = 8
N_CLIPS = 40


def _three_of(label15: str) -> str:
    if label15.startswith("formalin"):
        return "inflammatory"
    if label15.startswith("SNI"):
        return "neuropathic"
    return "no pain"


def make_run_folder(
    root: Path,
    rng: np.random.Generator,
    *,
    n_videos: int = 90,
    methods: tuple[str, ...] = tuple(METHOD_SKILL),
    weights: str = "kinetics400",
    grouped_by: str = "mouse",
    drugtest: bool = True,
    clip_relevance: bool = True,
) -> Path:
    """Write a complete cv run folder at ``root`` (and, with ``drugtest``, a drug-test run
    folder ``<root>_drugtest`` beside it that names it as ``trained_run``); return ``root``."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    labels15 = [CLASSES_15[i % len(CLASSES_15)] for i in range(n_videos)]
    videos = pd.DataFrame(
        {
            "video_id": [f"v{i:03d}" for i in range(n_videos)],
            "mouse_id": [f"m{i % 30:02d}" for i in range(n_videos)],
            "label15": labels15,
        }
    )
    videos["condition"] = [
        "baseline" if lab == "D0" else lab.split(" ")[0] for lab in videos["label15"]
    ]
    videos["timepoint"] = [lab.split(" ")[-1] for lab in videos["label15"]]
    videos["fold"] = rng.permutation(np.arange(n_videos) % N_FOLDS)
    videos[["video_id", "mouse_id", "label15", "fold"]].rename(columns={"label15": "label"}).to_csv(
        root / "folds.csv", index=False
    )

    config = {
        "painscope_version": "0.1.0",
        "extract": {"backbone": "swin3d_t", "weights": weights, "clip_seconds": 1.5},
        "train": {"epochs": 200, "lr": 0.001},
        "cv": {"n_folds": N_FOLDS, "group_by": grouped_by},
    }
    (root / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))

    rows = []
    metrics: dict[str, dict[str, dict]] = {}
    for method in methods:
        skill = METHOD_SKILL.get(method, 0.3)
        metrics[method] = {}
        for scheme, names in (("15class", CLASSES_15), ("3class", CLASSES_3)):
            true = [lab if scheme == "15class" else _three_of(lab) for lab in videos["label15"]]
            k = len(names)
            logits = rng.normal(0, 1, (n_videos, k))
            idx = np.array([names.index(t) for t in true])
            logits[np.arange(n_videos), idx] += skill * 4
            probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
            pred = [names[i] for i in probs.argmax(1)]
            for i, v in videos.iterrows():
                row = {
                    "video_id": v["video_id"],
                    "mouse_id": v["mouse_id"],
                    "condition": v["condition"],
                    "timepoint": v["timepoint"],
                    "group": "",
                    "method": method,
                    "scheme": scheme,
                    "fold": int(v["fold"]),
                    "true_label": true[i],
                    "pred_label": pred[i],
                }
                row.update({f"prob_{c}": float(probs[i, j]) for j, c in enumerate(names)})
                rows.append(row)
            metrics[method][scheme] = _metrics(
                true, pred, list(names), videos["fold"], videos["condition"].tolist()
            )
            metrics[method][scheme]["grouped_by"] = grouped_by
            if clip_relevance:
                folder = root / "clip_relevance" / f"{safe_name(method)}_{safe_name(scheme)}"
                folder.mkdir(parents=True, exist_ok=True)
                for vid in videos["video_id"][:12]:
                    t = np.arange(N_CLIPS)
                    rel = np.exp(-0.5 * ((t - rng.uniform(5, 35)) / 4) ** 2) + rng.uniform(
                        0, 0.2, N_CLIPS
                    )
                    np.save(folder / f"{vid}.npy", (rel / rel.sum()).astype(np.float32))
    pd.DataFrame(rows).to_csv(root / "predictions.csv", index=False)
    (root / "metrics.json").write_text(json.dumps(metrics, indent=1))

    if drugtest:
        _drugtest_run(root.parent / f"{root.name}_drugtest", root, methods, rng)
    return root


def _drugtest_run(
    folder: Path, trained: Path, methods: tuple[str, ...], rng: np.random.Generator
) -> None:
    """A drug-test run folder beside ``trained``, as ``painscope drugtest`` writes it."""
    folder.mkdir(parents=True, exist_ok=True)
    config = {"painscope_version": "0.1.0", "command": "drugtest", "trained_run": str(trained)}
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    results: dict[str, dict] = {}
    for method in methods:
        for scheme, names in (("3class", CLASSES_3), ("15class", CLASSES_15)):
            groups, predicted = [], []
            for group, n, no_pain in (
                ("SNI D7", 31, 0.29),
                ("SNI+GBA", 13, 0.71),
                ("SNI+saline", 8, 0.33),
                ("formalin+GBA", 10, 0.59),
            ):
                for _ in range(n):
                    groups.append(group)
                    if rng.random() < no_pain:
                        predicted.append("no pain" if scheme == "3class" else "D0")
                    else:
                        predicted.append(str(rng.choice(names[1:])))
            shares, stats = drugtest_stats(groups, predicted, list(names))
            results.setdefault(method, {})[scheme] = {"drugtest": {**stats, "shares": shares}}
    text = json.dumps(results, default=float)
    (folder / "drugtest.json").write_text(text)
    (folder / "metrics.json").write_text(text)


def _metrics(
    true: list[str], pred: list[str], names: list[str], folds: pd.Series, conditions: list[str]
) -> dict:
    """metrics.json entry exactly as the classifier computes it."""
    index = {c: i for i, c in enumerate(names)}
    m = classification_metrics(
        [index[t] for t in true],
        [index[p] for p in pred],
        names,
        folds.tolist(),
        n_boot=50,
        seed=0,
    )
    m["qwk"] = qwk_table(conditions, true, pred) if len(names) == 15 else None
    return m
