"""Reading a run folder for the report, through the typed results of
:mod:`painscope.evaluate.results` (docs/design.md, "Run folder").

Only a *complete* run is reported (``run.json`` status ``complete``; a schema-1 folder
with its ``metrics.json``): a killed or failed run is refused with an error saying how
far it got. What the report shows beyond the typed results — the resolved settings,
folds, predictions and per-clip relevance — is read here too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from painscope.errors import PainscopeError
from painscope.evaluate.drugtest import DrugTest as DrugRecord
from painscope.evaluate.results import (
    PROB_PREFIX,
    GroupedBy,
    RunResults,
    Scores,
    read_predictions,
    read_results,
    read_status,
)

RUN_FILES = ("run.json", "config.yaml", "predictions.csv", "metrics.json")
METHOD_ORDER = ("ours_mask", "ours", "raw_mask", "raw", "pooled", "motion", "pose", "features")
METHOD_NAMES = {
    "ours_mask": "Ours+Mask",
    "ours": "Ours",
    "pooled": "Pooled tokens (mean)",
    "raw": "Raw video (no background removal)",
    "raw_mask": "Raw video + mask",
    "motion": "Motion (silhouette, no weights)",
    "pose": "Pose baseline (B-SOiD + ViS4mer)",
    "features": "Own features (manifest)",
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
QWK_CONDITIONS = ("formalin", "SNI", "control", "all")
CHANCE_ROWS = (("majority", "always the majority class"), ("uniform", "uniform guessing"))


@dataclass
class Run:
    """A complete run folder: typed results plus what the report shows beside them."""

    root: Path
    results: RunResults
    config: dict[str, Any] = field(default_factory=dict)
    config_text: str | None = None
    folds: pd.DataFrame | None = None
    predictions: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def load_run(run_dir: Path) -> Run:
    """Read a complete run folder; an incomplete, unreadable or newer one is an error."""
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
    results = read_results(root)
    results.require_complete("the report")
    run = Run(root=root, results=results, predictions=read_predictions(root))
    config_path = root / "config.yaml"
    if config_path.exists():
        import yaml

        run.config_text = config_path.read_text(errors="replace")
        try:
            loaded = yaml.safe_load(run.config_text)
            run.config = loaded if isinstance(loaded, dict) else {}
        except yaml.YAMLError as err:
            run.notes.append(f"config.yaml could not be parsed ({err}); shown as text")
    if (root / "folds.csv").exists():
        run.folds = pd.read_csv(root / "folds.csv", dtype={"video_id": str, "mouse_id": str})
    return run


def _ordered(keys: Iterable[str], order: Iterable[str]) -> list[str]:
    keys = list(dict.fromkeys(keys))
    first = [k for k in order if k in keys]
    return first + sorted(k for k in keys if k not in first)


# ---------------------------------------------------------------- scores


def methods(run: Run) -> list[str]:
    """Methods in the run, in the paper's order (Ours+Mask first), then the rest by name."""
    keys = [*run.results.scores, *run.results.drugtests]
    return _ordered((m for m, _ in keys), METHOD_ORDER)


def schemes(run: Run) -> list[str]:
    """Label schemes in the run (15class, 3class, then custom ones)."""
    keys = [*run.results.scores, *run.results.drugtests]
    return _ordered((s for _, s in keys), SCHEME_ORDER)


def primary_method(run: Run) -> str | None:
    """The method the detailed figures show: Ours+Mask when present, else the first one."""
    names = methods(run)
    return names[0] if names else None


def method_name(method: str) -> str:
    return METHOD_NAMES.get(method, method)


def scheme_name(scheme: str) -> str:
    return SCHEME_NAMES.get(scheme, scheme)


def entry(run: Run, method: str, scheme: str) -> Scores | None:
    """The scores of one method and scheme (None in a drug-test run)."""
    return run.results.scores.get((method, scheme))


def has_scores(e: Scores | None) -> bool:
    """True for a cv entry (a drug-test run has none)."""
    return e is not None


def classes(e: Scores | None) -> list[str]:
    return [] if e is None else list(e.classes)


def score(e: Scores | None, name: str) -> float | None:
    """Pooled ``accuracy`` or ``macro_f1`` (a fraction)."""
    return None if e is None else float(getattr(e, name))


def score_ci(e: Scores | None, name: str) -> tuple[float, float] | None:
    """95 % bootstrap interval (lo, hi) of ``accuracy`` / ``macro_f1``."""
    return None if e is None else getattr(e, f"ci_{name}")


def per_fold_sd(e: Scores | None, name: str) -> float | None:
    """Sample standard deviation of the test-fold scores (None with fewer than two folds)."""
    if e is None or e.per_fold is None or len(e.per_fold.fold) < 2:
        return None
    return float(getattr(e.per_fold, f"{name}_sd"))


def chance_level(e: Scores | None, name: str = "accuracy", kind: str = "majority") -> float | None:
    """Chance level of ``name`` (accuracy | macro_f1) for ``kind`` (majority | uniform)."""
    return None if e is None else float(getattr(e.chance, f"{kind}_{name}"))


def grouped_by_mouse(e: Scores) -> bool:
    return e.grouped_by is GroupedBy.MOUSE


def confusion(e: Scores | None) -> tuple[np.ndarray, list[str]] | None:
    """Pooled confusion matrix (K, K) (rows true, columns predicted) and its class names."""
    if e is None:
        return None
    return np.asarray(e.confusion, dtype=np.float64), list(e.classes)


def per_class(e: Scores | None) -> pd.DataFrame | None:
    """Per-class precision, recall, F1, support (index: class, in the scheme's order)."""
    if e is None or not e.per_class:
        return None
    rows = {c: vars(v) for c, v in e.per_class.items()}
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=["precision", "recall", "f1", "support"]
    )


def qwk(e: Scores | None) -> pd.DataFrame | None:
    """QWK in the layout of the paper's Table 5: rows conditions, columns time windows."""
    frames = _qwk_frames(e)
    return frames[0] if frames else None


def qwk_counts(e: Scores | None) -> pd.DataFrame | None:
    """Videos behind each QWK value (same layout as :func:`qwk`)."""
    frames = _qwk_frames(e)
    return frames[1] if frames else None


def _qwk_frames(e: Scores | None) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    if e is None or not e.qwk:
        return None
    conditions = _ordered(e.qwk, QWK_CONDITIONS)
    windows = _ordered({w for c in conditions for w in e.qwk[c]}, QWK_WINDOWS)
    index = ["total" if c == "all" else c for c in conditions]
    cells = [[e.qwk[c].get(w) for w in windows] for c in conditions]
    values = [[None if q is None else q.qwk for q in row] for row in cells]
    counts = [[None if q is None else q.n for q in row] for row in cells]
    return (
        pd.DataFrame(values, index=index, columns=windows),
        pd.DataFrame(counts, index=index, columns=windows, dtype=object),
    )


def ungrouped(run: Run) -> list[tuple[str, str]]:
    """(method, scheme) pairs whose CV folds were not grouped by mouse."""
    return [key for key, e in run.results.scores.items() if not grouped_by_mouse(e)]


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
    if df is None:
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


# ---------------------------------------------------------------- drug test


@dataclass(frozen=True)
class DrugGroup:
    """One treated group of the drug test: share of videos predicted as each class."""

    name: str
    n_videos: int | None
    shares: dict[str, float]
    ci: dict[str, tuple[float, float]]


@dataclass(frozen=True)
class DrugTest:
    """The drug test of one method and scheme, as the report's figures and tables use it."""

    method: str
    scheme: str
    groups: list[DrugGroup]
    test: dict[str, Any] | None  # {"name", "statistic", "p_value", "dof"}
    pairwise: list[dict[str, Any]]  # Fisher tests: group_a, group_b, class, p, p_holm, ...


def drug_tests(run: Run) -> list[DrugTest]:
    """Every drug test of a drug-test run, primary method first, 3-class before others."""
    tests = run.results.drugtests
    out = []
    for method in _ordered((m for m, _ in tests), METHOD_ORDER):
        for scheme in _ordered((s for m, s in tests if m == method), ("3class", "15class")):
            out.append(_view(method, scheme, tests[(method, scheme)]))
    return out


def _view(method: str, scheme: str, record: DrugRecord) -> DrugTest:
    groups: dict[str, DrugGroup] = {}
    for r in record.shares:
        g = groups.setdefault(r.group, DrugGroup(r.group, r.n_videos, {}, {}))
        if r.share is not None:
            g.shares[r.cls] = r.share
        if r.ci_low is not None and r.ci_high is not None:
            g.ci[r.cls] = (r.ci_low, r.ci_high)
    chi2 = record.chi2
    test = (
        None
        if chi2 is None
        else {
            "name": "chi-squared test, group × predicted class",
            "statistic": chi2.statistic,
            "p_value": chi2.p,
            "dof": chi2.dof,
        }
    )
    pairwise = [
        {("class" if k == "cls" else k): v for k, v in vars(f).items()} for f in record.fisher
    ]
    return DrugTest(method, scheme, list(groups.values()), test, pairwise)


def drugtest_runs(run: Run) -> list[Path]:
    """Sibling drug-test run folders of this run (config ``trained_run``), newest last."""
    import yaml

    parent = run.root.resolve().parent
    found = []
    for other in sorted(parent.iterdir()) if parent.is_dir() else []:
        if other.resolve() == run.root.resolve() or not other.is_dir():
            continue
        try:
            if read_status(other).command != "drugtest":
                continue
            cfg = yaml.safe_load((other / "config.yaml").read_text())
        except (OSError, yaml.YAMLError, PainscopeError):
            continue
        trained = cfg.get("trained_run") if isinstance(cfg, dict) else None
        if trained and Path(str(trained)).resolve() == run.root.resolve():
            found.append(other)
    return found


# ---------------------------------------------------------------- config.yaml


def _extract_setting(run: Run, key: str) -> Any:
    extract = run.config.get("extract")
    return extract.get(key) if isinstance(extract, dict) else None


def backbone(run: Run) -> str | None:
    value = _extract_setting(run, "backbone")
    return None if value is None else str(value)


def backbone_weights(run: Run) -> str | None:
    """The ``extract.weights`` setting of the run (``none`` = random)."""
    if "extract" not in run.config:
        return None
    value = _extract_setting(run, "weights")
    return "none" if value is None else str(value)


def weights_random(run: Run) -> bool:
    """True when a method's token maps came from a randomly initialised backbone."""
    recorded = [e.weights for e in run.results.scores.values() if e.weights is not None]
    if recorded:
        return any(w.random for w in recorded)
    weights = backbone_weights(run)
    return weights is not None and weights.strip().lower() in ("none", "random", "")


def painscope_version(run: Run) -> str | None:
    value = run.config.get("painscope_version") or run.results.status.painscope_version
    return str(value) if value else None


def clip_seconds(run: Run) -> float | None:
    """Clip length in seconds (for timeline axes), or None to plot clip indices."""
    value = _extract_setting(run, "clip_seconds")
    return float(value) if isinstance(value, int | float) and value > 0 else None
