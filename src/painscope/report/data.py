"""Reading a run folder for the report: every key the report depends on is read here.

The run folder is the contract of docs/design.md ("Run folder"). The report never
indexes ``metrics.json`` or ``drugtest.json`` itself; it calls the accessors below,
so a change of key names in the classifier's outputs is adapted in this one module.
Every accessor returns ``None`` (or an empty container) when its input is absent or
malformed; the report then omits that section with a note instead of failing.

Expected layout (all optional except that at least one must exist)::

    config.yaml        resolved settings; searched (recursively) for ``weights``,
                       ``weights_random``, ``painscope_version``/``version``, ``clip_seconds``
    folds.csv          video_id, mouse_id, label, fold
    predictions.csv    video_id, mouse_id, condition, timepoint, group, method, scheme, fold,
                       true_label, pred_label, prob_<class> ...
    metrics.json       {method: {scheme: {accuracy, macro_f1, ci, per_fold, confusion,
                        classes, per_class, qwk, chance, grouped_by}}}
                       ci = {"accuracy": [lo, hi], "macro_f1": [lo, hi]}
                       per_fold = [{"fold", "accuracy", "macro_f1"}, ...]
                       per_class = {class: {"precision", "recall", "f1", "support"}}
                       qwk = {condition: {"D0-D3", "D3-D7", "D7-D21", "overall"}}
                       chance = float (accuracy of always predicting the majority class)
                                or {"accuracy": float, "macro_f1": float}
                       grouped_by = "mouse" | "video"
    clip_relevance/<method>_<scheme>/<video_id>.npy     (n_clips,)
    drugtest.json      {"groups": {group: {"n_videos", "shares": {class: share},
                        "ci": {class: [lo, hi]}}}, "test": {"name", "statistic", "p_value"}}

Accuracies and shares may be fractions (0–1) or percentages; :func:`as_fraction`
accepts both.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from painscope.errors import PainscopeError

RUN_FILES = ("config.yaml", "predictions.csv", "metrics.json", "drugtest.json")
METHOD_ORDER = (
    "ours_mask",
    "ours+mask",
    "ours",
    "raw_mask",
    "raw",
    "pooled",
    "mean",
    "pose",
    "motion",
    "features",
)
METHOD_NAMES = {
    "ours_mask": "Ours+Mask",
    "ours+mask": "Ours+Mask",
    "ours": "Ours",
    "pooled": "Pooled tokens (mean)",
    "mean": "Pooled tokens (mean)",
    "raw": "Raw video (no background removal)",
    "raw_mask": "Raw video + mask",
    "pose": "Pose baseline (B-SOiD + ViS4mer)",
    "features": "Own features (manifest)",
    "motion": "Motion (silhouette, no weights)",
}
SCHEME_ORDER = ("15class", "3class")
SCHEME_NAMES = {"15class": "15-class", "3class": "3-class"}
QWK_WINDOWS = ("D0-D3", "D3-D7", "D7-D21", "overall")
QWK_WINDOW_NAMES = {
    "D0-D3": "Acute pain (D0 to D3)",
    "D3-D7": "D3 to D7",
    "D7-D21": "Chronic pain (D7 to D21)",
    "overall": "Overall",
}
QWK_CONDITIONS = ("formalin", "SNI", "control", "total", "all")
PROB_PREFIX = "prob_"


@dataclass
class Run:
    """What a run folder holds; missing parts are ``None`` and explained in ``notes``."""

    root: Path
    config: dict[str, Any] = field(default_factory=dict)
    config_text: str | None = None
    folds: pd.DataFrame | None = None
    predictions: pd.DataFrame | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    drugtest: dict[str, Any] | None = None
    drugtest_table: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def load_run(run_dir: Path) -> Run:
    """Read every report input of ``run_dir``; unreadable files become notes, not errors."""
    root = Path(run_dir)
    if not root.is_dir():
        raise PainscopeError(
            f"{root}: no such run folder", fix="pass a folder made by painscope cv / train"
        )
    if not any((root / name).exists() for name in RUN_FILES):
        raise PainscopeError(
            f"{root}: not a run folder (none of {', '.join(RUN_FILES)} is there)",
            fix="pass a folder under PROJECT/runs/ made by painscope cv, train or drugtest",
        )
    run = Run(root=root)
    config_path = root / "config.yaml"
    if config_path.exists():
        import yaml

        run.config_text = config_path.read_text(errors="replace")
        try:
            loaded = yaml.safe_load(run.config_text)
            run.config = loaded if isinstance(loaded, dict) else {}
        except yaml.YAMLError as err:
            run.notes.append(f"config.yaml could not be parsed ({err}); shown as text")
    run.folds = _read_csv(root / "folds.csv", run.notes)
    run.predictions = _read_csv(root / "predictions.csv", run.notes)
    metrics = _read_json(root / "metrics.json", run.notes)
    run.metrics = metrics if isinstance(metrics, dict) else {}
    drug = _read_json(root / "drugtest.json", run.notes)
    run.drugtest = drug if isinstance(drug, dict) else None
    run.drugtest_table = _read_csv(root / "drugtest.csv", run.notes)
    return run


def _read_csv(path: Path, notes: list[str]) -> pd.DataFrame | None:
    if not path.exists():
        return None
    try:
        return pd.read_csv(path, dtype={"video_id": str, "mouse_id": str})
    except (OSError, ValueError) as err:
        notes.append(f"{path.name} could not be read ({err})")
        return None


def _read_json(path: Path, notes: list[str]) -> Any:
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        notes.append(f"{path.name} could not be read ({err})")
        return None


# ---------------------------------------------------------------- numbers


def as_fraction(value: Any) -> float | None:
    """A score or share as a fraction in [0, 1] (percentages > 1 are divided by 100)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(x):
        return None
    return x / 100.0 if x > 1.0 else x


def _as_float(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _ordered(keys: Iterable[str], order: Iterable[str]) -> list[str]:
    keys = list(keys)
    first = [k for k in order if k in keys]
    return first + sorted(k for k in keys if k not in first)


# ---------------------------------------------------------------- metrics.json


def methods(run: Run) -> list[str]:
    """Methods in the run, in the paper's order (Ours+Mask first), then the rest by name."""
    names = [m for m, v in run.metrics.items() if isinstance(v, dict)]
    if not names and run.predictions is not None and "method" in run.predictions:
        names = [str(m) for m in run.predictions["method"].dropna().unique()]
    return _ordered(names, METHOD_ORDER)


def schemes(run: Run) -> list[str]:
    """Label schemes in the run (15class, 3class, then custom ones)."""
    found: set[str] = set()
    for per_scheme in run.metrics.values():
        if isinstance(per_scheme, dict):
            found.update(k for k, v in per_scheme.items() if isinstance(v, dict))
    if not found and run.predictions is not None and "scheme" in run.predictions:
        found.update(str(s) for s in run.predictions["scheme"].dropna().unique())
    return _ordered(found, SCHEME_ORDER)


def primary_method(run: Run) -> str | None:
    """The method the detailed figures show: Ours+Mask when present, else the first one."""
    names = methods(run)
    return names[0] if names else None


def method_name(method: str) -> str:
    return METHOD_NAMES.get(method, method)


def scheme_name(scheme: str) -> str:
    return SCHEME_NAMES.get(scheme, scheme)


def entry(run: Run, method: str, scheme: str) -> dict[str, Any] | None:
    """metrics.json's record for one method and scheme."""
    value = run.metrics.get(method, {})
    value = value.get(scheme) if isinstance(value, dict) else None
    return value if isinstance(value, dict) else None


def score(e: Mapping[str, Any] | None, name: str) -> float | None:
    """Pooled ``accuracy`` or ``macro_f1`` as a fraction."""
    return as_fraction(e.get(name)) if e else None


def score_ci(e: Mapping[str, Any] | None, name: str) -> tuple[float, float] | None:
    """95 % confidence interval (lo, hi) of ``accuracy`` / ``macro_f1`` as fractions."""
    ci = e.get("ci") if e else None
    pair = ci.get(name) if isinstance(ci, dict) else None
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        return None
    lo, hi = as_fraction(pair[0]), as_fraction(pair[1])
    return (lo, hi) if lo is not None and hi is not None else None


def per_fold_scores(e: Mapping[str, Any] | None, name: str) -> list[float]:
    """Test-fold scores (fractions), one per fold."""
    folds = e.get("per_fold") if e else None
    if isinstance(folds, dict):  # {"fold": [...], "accuracy": [...], ...}
        raw = folds.get(name)
        values = [as_fraction(v) for v in raw] if isinstance(raw, list) else []
    elif isinstance(folds, list):  # [{"fold", "accuracy", ...}, ...]
        values = [as_fraction(f.get(name)) for f in folds if isinstance(f, dict)]
    else:
        return []
    return [v for v in values if v is not None]


def per_fold_sd(e: Mapping[str, Any] | None, name: str) -> float | None:
    """Sample standard deviation of the per-fold scores (None with fewer than two folds)."""
    values = per_fold_scores(e, name)
    if len(values) < 2:
        return None
    folds = e.get("per_fold") if e else None
    recorded = _as_float(folds.get(f"{name}_sd")) if isinstance(folds, dict) else None
    return recorded if recorded is not None else float(np.std(values, ddof=1))


CHANCE_ROWS = (("majority", "always the majority class"), ("uniform", "uniform guessing"))


def chance_level(
    e: Mapping[str, Any] | None, name: str = "accuracy", kind: str = "majority"
) -> float | None:
    """Chance level of ``name`` (accuracy | macro_f1) for ``kind`` (majority | uniform).

    ``chance`` may be a float (majority accuracy), ``{"accuracy", "macro_f1"}`` (majority),
    or the classifier's ``{"majority_accuracy", "majority_macro_f1", "uniform_accuracy",
    "uniform_macro_f1", ...}``.
    """
    chance = e.get("chance") if e else None
    if isinstance(chance, dict):
        if f"{kind}_{name}" in chance:
            return as_fraction(chance[f"{kind}_{name}"])
        return as_fraction(chance.get(name)) if kind == "majority" else None
    return as_fraction(chance) if name == "accuracy" and kind == "majority" else None


def has_scores(e: Mapping[str, Any] | None) -> bool:
    """True for a metrics entry with accuracy / macro F1 (a drug-test run's entries have none)."""
    return score(e, "accuracy") is not None or score(e, "macro_f1") is not None


def grouped_by(e: Mapping[str, Any] | None) -> str | None:
    """How CV folds were grouped: ``mouse`` (no leakage) or ``video``."""
    value = e.get("grouped_by") if e else None
    return str(value) if value is not None else None


def classes(e: Mapping[str, Any] | None) -> list[str]:
    value = e.get("classes") if e else None
    return [str(c) for c in value] if isinstance(value, list) else []


def confusion(e: Mapping[str, Any] | None) -> tuple[np.ndarray, list[str]] | None:
    """Pooled confusion matrix (rows true, columns predicted) and its class names."""
    value = e.get("confusion") if e else None
    names = classes(e)
    if isinstance(value, dict):
        labels = value.get("labels", value.get("classes")) or names
        names = [str(c) for c in labels]
        value = value.get("counts", value.get("matrix"))
    if value is None:
        return None
    try:
        matrix = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        return None
    if len(names) != matrix.shape[0]:
        names = [str(i) for i in range(matrix.shape[0])]
    return matrix, names


def per_class(e: Mapping[str, Any] | None) -> pd.DataFrame | None:
    """Per-class precision, recall, F1, support (index: class), from metrics or the confusion."""
    value = e.get("per_class") if e else None
    cols = ["precision", "recall", "f1", "support"]
    if isinstance(value, dict) and value:
        rows = {
            str(c): {k: _as_float(v.get(k)) for k in cols}
            for c, v in value.items()
            if isinstance(v, dict)
        }
        table = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
        order = [c for c in classes(e) if c in table.index]
        return table.loc[order + [c for c in table.index if c not in order]]
    cm = confusion(e)
    if cm is None:
        return None
    matrix, names = cm
    tp = np.diag(matrix)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(matrix.sum(0) > 0, tp / matrix.sum(0), 0.0)
        recall = np.where(matrix.sum(1) > 0, tp / matrix.sum(1), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return pd.DataFrame(
        {"precision": precision, "recall": recall, "f1": f1, "support": matrix.sum(1)},
        index=names,
    )


def qwk(e: Mapping[str, Any] | None) -> pd.DataFrame | None:
    """QWK in the layout of the paper's Table 5: rows conditions, columns time windows."""
    value = e.get("qwk") if e else None
    if not isinstance(value, dict) or not value:
        return None
    conditions = _ordered([c for c, v in value.items() if isinstance(v, dict)], QWK_CONDITIONS)
    if not conditions:
        return None
    windows = _ordered({w for c in conditions for w in value[c]}, QWK_WINDOWS)
    data = [[_qwk_cell(value[c].get(w))[0] for w in windows] for c in conditions]
    index = ["total" if c == "all" else c for c in conditions]
    return pd.DataFrame(data, index=index, columns=windows)


def qwk_counts(e: Mapping[str, Any] | None) -> pd.DataFrame | None:
    """Videos behind each QWK value (same layout as :func:`qwk`), where recorded."""
    value = e.get("qwk") if e else None
    frame = qwk(e)
    if frame is None or not isinstance(value, dict):
        return None
    out = frame.copy().astype(object)
    for cond in frame.index:
        raw = value.get(cond, value.get("all") if cond == "total" else None) or {}
        for w in frame.columns:
            out.loc[cond, w] = _qwk_cell(raw.get(w))[1]
    return out


def _qwk_cell(cell: Any) -> tuple[float | None, int | None]:
    """A QWK value as a number, or the classifier's ``{"qwk": v, "n": n}``."""
    if isinstance(cell, dict):
        n = cell.get("n")
        return _as_float(cell.get("qwk")), int(n) if isinstance(n, int | float) else None
    return _as_float(cell), None


# ---------------------------------------------------------------- predictions.csv


def probability_classes(predictions: pd.DataFrame) -> list[str]:
    """Class names of the ``prob_<class>`` columns that hold values."""
    return [
        c[len(PROB_PREFIX) :]
        for c in predictions.columns
        if c.startswith(PROB_PREFIX) and predictions[c].notna().any()
    ]


def video_predictions(run: Run, method: str, scheme: str) -> pd.DataFrame | None:
    """predictions.csv rows of one method and scheme (one row per video), or None."""
    df = run.predictions
    if df is None or not {"method", "scheme", "video_id"} <= set(df.columns):
        return None
    rows = df[(df["method"].astype(str) == method) & (df["scheme"].astype(str) == scheme)]
    return rows.reset_index(drop=True) if len(rows) else None


def probabilities(rows: pd.DataFrame) -> tuple[np.ndarray, list[str]] | None:
    """(n_videos, n_classes) class probabilities of prediction rows, and the class names."""
    names = [c for c in probability_classes(rows) if rows[PROB_PREFIX + c].notna().all()]
    if not names:
        return None
    return rows[[PROB_PREFIX + c for c in names]].to_numpy(dtype=np.float64), names


def clip_relevance(run: Run, method: str, scheme: str) -> dict[str, np.ndarray]:
    """Per-clip relevance (n_clips,) of each video that has a file, keyed by video id."""
    from painscope.train.schemes import safe_name  # the writer's folder naming

    folder = run.root / "clip_relevance" / f"{safe_name(method)}_{safe_name(scheme)}"
    out: dict[str, np.ndarray] = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.npy")):
        try:
            values = np.load(path).astype(np.float64).ravel()
        except (OSError, ValueError):
            continue
        if values.size and np.isfinite(values).all():
            out[path.stem] = values
    return out


# ---------------------------------------------------------------- drugtest.json


@dataclass(frozen=True)
class DrugGroup:
    """One treated group of the drug test: share of videos predicted as each class."""

    name: str
    n_videos: int | None
    shares: dict[str, float]
    ci: dict[str, tuple[float, float]]


@dataclass(frozen=True)
class DrugTest:
    """The drug test of one method and scheme."""

    method: str
    scheme: str
    groups: list[DrugGroup]
    test: dict[str, Any] | None  # {"name", "statistic", "p_value", "dof"?}
    pairwise: list[dict[str, Any]]  # Fisher tests: group_a, group_b, class, p, p_holm, ...


def drug_tests(run: Run) -> list[DrugTest]:
    """Every drug test in ``drugtest.json``, primary method first, 3-class before others.

    Two layouts are read: the classifier's ``{method: {scheme: {"drugtest": {"groups":
    [names], "classes", "counts", "chi2": {"statistic", "p", "dof"}, "fisher": [...],
    "shares": [{"group", "class", "n_videos", "share", "ci_low", "ci_high"}, ...]}}}}``
    and a flat ``{"groups": {group: {"n_videos", "shares", "ci"}}, "test": {...}}``.
    """
    raw = run.drugtest
    if not isinstance(raw, dict):
        return []
    if isinstance(raw.get("groups"), dict):
        test = raw.get("test") if isinstance(raw.get("test"), dict) else None
        return [DrugTest("", "", _flat_groups(raw["groups"]), test, [])]
    out = []
    for method in _ordered([m for m, v in raw.items() if isinstance(v, dict)], METHOD_ORDER):
        for scheme in _ordered(raw[method], ("3class", "15class")):
            entry = raw[method][scheme]
            block = entry.get("drugtest") if isinstance(entry, dict) else None
            if not isinstance(block, dict) or not isinstance(block.get("shares"), list):
                continue
            chi2 = block.get("chi2")
            test = (
                {
                    "name": "chi-squared test, group × predicted class",
                    "statistic": chi2.get("statistic"),
                    "p_value": chi2.get("p"),
                    "dof": chi2.get("dof"),
                }
                if isinstance(chi2, dict)
                else None
            )
            fisher = [f for f in block.get("fisher") or [] if isinstance(f, dict)]
            out.append(DrugTest(method, scheme, _row_groups(block["shares"]), test, fisher))
    return out


def _flat_groups(groups: dict[str, Any]) -> list[DrugGroup]:
    out = []
    for name, g in groups.items():
        if not isinstance(g, dict) or not isinstance(g.get("shares"), dict):
            continue
        shares = {str(c): as_fraction(v) for c, v in g["shares"].items()}
        ci_raw = g.get("ci")
        ci = {}
        for c, pair in (ci_raw if isinstance(ci_raw, dict) else {}).items():
            if isinstance(pair, list | tuple) and len(pair) == 2:
                lo, hi = _as_float(pair[0]), _as_float(pair[1])
                if lo is not None and hi is not None:
                    ci[str(c)] = (lo, hi)
        n = g.get("n_videos")
        out.append(
            DrugGroup(
                name=str(name),
                n_videos=int(n) if isinstance(n, int | float) else None,
                shares={c: v for c, v in shares.items() if v is not None},
                ci=ci,
            )
        )
    return out


def _row_groups(rows: list[Any]) -> list[DrugGroup]:
    by_group: dict[str, dict[str, Any]] = {}
    for r in rows:
        if not isinstance(r, dict) or "group" not in r or "class" not in r:
            continue
        g = by_group.setdefault(str(r["group"]), {"n": r.get("n_videos"), "shares": {}, "ci": {}})
        share = _as_float(r.get("share"))
        if share is not None:
            g["shares"][str(r["class"])] = share
        lo, hi = _as_float(r.get("ci_low")), _as_float(r.get("ci_high"))
        if lo is not None and hi is not None:
            g["ci"][str(r["class"])] = (lo, hi)
    return [
        DrugGroup(
            name, int(g["n"]) if isinstance(g["n"], int | float) else None, g["shares"], g["ci"]
        )
        for name, g in by_group.items()
    ]


def drugtest_runs(run: Run) -> list[Path]:
    """Sibling run folders holding a drug test of this run (config ``trained_run``), newest last."""
    parent = run.root.resolve().parent
    found = []
    for other in sorted(parent.iterdir()) if parent.is_dir() else []:
        if other.resolve() == run.root.resolve() or not (other / "drugtest.json").exists():
            continue
        import yaml

        try:
            cfg = yaml.safe_load((other / "config.yaml").read_text())
        except (OSError, yaml.YAMLError):
            continue
        trained = cfg.get("trained_run") if isinstance(cfg, dict) else None
        if trained and Path(str(trained)).resolve() == run.root.resolve():
            found.append(other)
    return found


# ---------------------------------------------------------------- config.yaml


def find_key(tree: Any, key: str) -> list[Any]:
    """Every value stored under ``key`` anywhere in a nested dict/list."""
    found: list[Any] = []
    if isinstance(tree, dict):
        for k, v in tree.items():
            if k == key:
                found.append(v)
            found.extend(find_key(v, key))
    elif isinstance(tree, list):
        for v in tree:
            found.extend(find_key(v, key))
    return found


def backbone_weights(run: Run) -> list[str]:
    """Every backbone weights setting in the config (``none`` = random)."""
    return ["none" if v is None else str(v) for v in find_key(run.config, "weights")]


def weights_random(run: Run) -> bool:
    """True when the backbone was randomly initialised (``weights: none`` or
    ``weights_random: true`` anywhere in the config)."""
    if any(v.strip().lower() in ("none", "random", "") for v in backbone_weights(run)):
        return True
    return any(v is True for v in find_key(run.config, "weights_random"))


def painscope_version(run: Run) -> str | None:
    for key in ("painscope_version", "version"):
        values = [v for v in find_key(run.config, key) if isinstance(v, str | int | float)]
        if values:
            return str(values[0])
    return None


def clip_seconds(run: Run) -> float | None:
    """Clip length in seconds (for timeline axes), or None to plot clip indices."""
    for v in find_key(run.config, "clip_seconds"):
        x = _as_float(v)
        if x and x > 0:
            return x
    return None


def ungrouped(run: Run) -> list[tuple[str, str]]:
    """(method, scheme) pairs whose CV folds were not grouped by mouse."""
    return [
        (m, s)
        for m in methods(run)
        for s in schemes(run)
        if (g := grouped_by(entry(run, m, s))) is not None and g != "mouse"
    ]
