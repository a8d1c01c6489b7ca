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
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from painscope.labels import CLASSES_3, CLASSES_15

METHOD_SKILL = {"ours+mask": 0.55, "ours": 0.45, "raw": 0.3, "mean": 0.25, "pose": 0.2}
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
    """Write a complete run folder under ``root`` and return it."""
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
            metrics[method][scheme] = _metrics(true, pred, list(names), videos["fold"], rng)
            metrics[method][scheme]["grouped_by"] = grouped_by
            if clip_relevance:
                folder = root / "clip_relevance" / f"{method}_{scheme}"
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
        groups = {}
        for name, n, no_pain in (
            ("SNI D7 (untreated)", 31, 0.29),
            ("SNI + GBA", 13, 0.71),
            ("SNI + saline", 8, 0.33),
            ("formalin + GBA", 10, 0.59),
        ):
            shares = {"no pain": no_pain, "inflammatory": 0.1, "neuropathic": 0.9 - no_pain}
            ci = {c: [max(0.0, s - 0.15), min(1.0, s + 0.15)] for c, s in shares.items()}
            groups[name] = {"n_videos": n, "shares": shares, "ci": ci}
        test = {
            "name": "chi-squared (groups × predicted class)",
            "statistic": 11.2,
            "p_value": 0.004,
        }
        (root / "drugtest.json").write_text(json.dumps({"groups": groups, "test": test}))
        pd.DataFrame([{"group": g, **v["shares"]} for g, v in groups.items()]).to_csv(
            root / "drugtest.csv", index=False
        )
    return root


def _metrics(
    true: list[str], pred: list[str], names: list[str], folds: pd.Series, rng: np.random.Generator
) -> dict:
    t, p = np.array(true), np.array(pred)
    acc = float((t == p).mean())
    f1 = float(f1_score(t, p, labels=names, average="macro", zero_division=0))
    per_fold = []
    for f in range(N_FOLDS):
        sel = (folds == f).to_numpy()
        per_fold.append(
            {
                "fold": f,
                "accuracy": float((t[sel] == p[sel]).mean()),
                "macro_f1": float(
                    f1_score(t[sel], p[sel], labels=names, average="macro", zero_division=0)
                ),
            }
        )
    prec, rec, f1s, sup = precision_recall_fscore_support(t, p, labels=names, zero_division=0)
    counts = pd.Series(true).value_counts()
    qwk = {
        cond: {w: float(rng.uniform(0.05, 0.6)) for w in ("D0-D3", "D3-D7", "D7-D21", "overall")}
        for cond in ("formalin", "SNI", "control", "total")
    }
    return {
        "accuracy": acc,
        "macro_f1": f1,
        "ci": {"accuracy": [acc - 0.05, acc + 0.05], "macro_f1": [f1 - 0.05, f1 + 0.05]},
        "per_fold": per_fold,
        "confusion": confusion_matrix(t, p, labels=names).tolist(),
        "classes": names,
        "per_class": {
            c: {
                "precision": float(prec[i]),
                "recall": float(rec[i]),
                "f1": float(f1s[i]),
                "support": int(sup[i]),
            }
            for i, c in enumerate(names)
        },
        "qwk": qwk if len(names) == 15 else {},
        "chance": float(counts.max() / counts.sum()),
    }
