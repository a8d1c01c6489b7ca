"""``painscope bench classifier``: the classifier on inputs whose signal is known.

Three kinds of bring-your-own projects (manifests without a ``video`` column), each
cross-validated with painscope's default ``train`` settings, folds by mouse:

``truth``   the simulator's true per-window behaviour fractions (the labels the simulator
            writes to ``OUT/labels``), demo cohort, 1-min videos; no rendering.
``pose``    the simulator's exact pose (DeepLabCut files of the same videos) for
            ``--method pose``; no rendering. ``pose0``: the same at effect 0 (null).
``regime``  a small real-like study: few mice, one long session each, three dose groups
            (control / low / high formalin at a small effect), 1.5-s behaviour histograms.
``jabs``    real per-mouse behaviour time series: JABS PTZ seizure study (minute bins of
            6 behaviours, label = PTZ dose), from ``shared/data/jabs_ptz_seizure_events``.

Every result sits beside a **reference**: a plain logistic regression (C = 1) on the log
session fractions of the same videos, on the same folds — what the data allow.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from painscope.io.atomic import atomic_path

WINDOW_SECONDS = 1.5


def _fractions(labels: Sequence[str], names: Sequence[str], per_window: int) -> np.ndarray:
    """Per-window share of every behaviour: (n_windows, len(names)) float32."""
    index = {n: i for i, n in enumerate(names)}
    codes = np.array([index[x] for x in labels], dtype=np.int64)
    n = len(codes) // per_window
    onehot = np.eye(len(names), dtype=np.float32)[codes[: n * per_window]]
    return onehot.reshape(n, per_window, len(names)).mean(1)


def _write_project(out: Path, rows: list[dict[str, str]]) -> Path:
    from painscope.project import init_project

    out.mkdir(parents=True, exist_ok=True)
    if not (out / "painscope.yaml").exists():
        init_project(out)
    columns = list(rows[0])
    lines = [",".join(columns)] + [",".join(r[c] for c in columns) for r in rows]
    with atomic_path(out / "manifest.csv") as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return out / "manifest.csv"


#: simulated per-mouse traits written to truth projects (not ``sensitivity``: that is pain)
TRAITS = ("size", "girth", "speed", "activity")


def truth_project(
    out: Path,
    *,
    minutes: float = 1.0,
    effect: float = 1.0,
    seed: int = 0,
    fps: float = 30.0,
    pose: bool = False,
) -> Path:
    """Demo cohort (untreated), true per-window behaviour fractions; optional exact pose."""
    from painscope.simulate.behaviour import LABELS
    from painscope.simulate.body import LANDMARKS
    from painscope.simulate.dataset import PRESETS, mouse_traits, plan_videos, simulate_pose
    from painscope.simulate.render import Camera
    from painscope.simulate.writer import write_dlc_pose

    out = Path(out)
    camera = Camera(view="bottom", width=256, height=128)
    specs = plan_videos(tuple(c for c in PRESETS["demo"].cohorts if not c.group))
    n_frames = round(minutes * 60 * fps)
    rows = []
    for spec in specs:
        sim = simulate_pose(
            spec, n_frames=n_frames, fps=fps, effect=effect, seed=seed, cage_cm=camera.cage_cm
        )
        feats = _fractions(sim.labels(), LABELS, round(WINDOW_SECONDS * fps))
        path = out / "features" / f"{spec.stem}.npy"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, feats)
        traits = mouse_traits(seed, spec.mouse_index)
        row = {
            "mouse_id": spec.mouse_id,
            "condition": spec.condition,
            "timepoint": spec.timepoint,
            "features": f"features/{spec.stem}.npy",
            # the mouse's body, not its pain: a confound reference (traits_accuracy)
            **{f"trait_{k}": f"{getattr(traits, k):.6g}" for k in TRAITS},
        }
        if pose:
            xy, _ = camera.project(sim.points)  # (n, 12, 2)
            h5, _csv = write_dlc_pose(out / "pose" / spec.stem, xy, LANDMARKS)
            row["pose"] = h5.relative_to(out).as_posix()
            row["fps"] = f"{fps:g}"
        rows.append(row)
    return _write_project(out, rows)


def regime_project(
    out: Path,
    *,
    n_mice: int = 30,
    minutes: float = 31.0,
    effect: float = 0.3,
    seed: int = 0,
    fps: float = 30.0,
) -> Path:
    """One long session per mouse, three dose groups; no rendering (behaviour only).

    Dose d ∈ {0, 1, 2} (control, low, high) scales the formalin 2 h pain levels by
    ``effect · d``; mice differ in sensitivity, activity and day-to-day mood as in the
    simulator.
    """
    from painscope.simulate.behaviour import LABELS, frame_labels, pain_levels, sample_states
    from painscope.simulate.dataset import mouse_traits

    out = Path(out)
    n_frames = round(minutes * 60 * fps)
    names = ("control", "low", "high")
    rows = []
    for m in range(n_mice):
        dose = m % 3
        traits = mouse_traits(seed, m + 1)
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(7, m)))
        levels = pain_levels("formalin", "2h", effect=effect * dose, sensitivity=traits.sensitivity)
        mood = float(np.exp(rng.normal(0.0, 0.15)))
        states = sample_states(n_frames, fps, levels, rng, activity=traits.activity * mood)
        feats = _fractions(frame_labels(states, levels.asym), LABELS, round(WINDOW_SECONDS * fps))
        stem = f"m{m + 1:03d}_{names[dose]}"
        path = out / "features" / f"{stem}.npy"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, feats)
        rows.append(
            {"mouse_id": f"m{m + 1:03d}", "dose": names[dose], "features": f"features/{stem}.npy"}
        )
    return _write_project(out, rows)


def jabs_project(out: Path, data_dir: Path) -> Path:
    """JABS PTZ: per mouse, minute bins × 6 behaviour counts; label = PTZ dose (mg/kg)."""
    import pandas as pd

    out = Path(out)
    bins = pd.read_csv(data_dir / "PTZ_bins.csv", dtype={"MouseID": str})
    meta = pd.read_csv(data_dir / "meta.csv", dtype={"MouseID": str})
    dose = dict(zip(meta["MouseID"], meta["Dosereal"].astype(str), strict=False))
    minute_cols = [c for c in bins.columns if c.isdigit()]
    behaviours = sorted(bins["behavior"].unique())
    rows = []
    for mouse, part in bins.groupby("MouseID", sort=True):
        if mouse not in dose:
            continue
        table = part.set_index("behavior").reindex(behaviours)[minute_cols]
        arr = table.to_numpy(dtype=np.float64).T  # (n_minutes, n_behaviours)
        arr = arr[~np.isnan(arr).any(axis=1)]
        if len(arr) < 4:
            continue
        path = out / "features" / f"{mouse}.npy"
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, arr.astype(np.float32))
        rows.append(
            {"mouse_id": str(mouse), "dose": dose[mouse], "features": f"features/{mouse}.npy"}
        )
    return _write_project(out, rows)


def reference_accuracy(project: Path, run: Path, scheme_column: str | None) -> float:
    """Plain LR (C = 1) on log session fractions, on the run's own folds (test pooled)."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    folds = pd.read_csv(run / "folds.csv", dtype={"video_id": str, "label": str})
    manifest = pd.read_csv(project / "manifest.csv", dtype=str)
    paths = {Path(p).stem: project / p for p in manifest["features"]}
    x = []
    for vid in folds["video_id"]:
        f = np.load(paths[vid]).astype(np.float64)
        f = f / np.maximum(f.sum(1, keepdims=True), 1e-12) if f.min() >= 0 else f
        x.append(np.log(f.mean(0) + 1e-3))
    x_arr = np.stack(x)
    y = folds["label"].to_numpy()
    correct = 0
    rounds = [c for c in folds.columns if c.startswith("round_")]
    for r in rounds:
        roles = folds[r].to_numpy()
        tr, te = roles == "train", roles == "test"
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
        clf.fit(x_arr[tr], y[tr])
        correct += int((clf.predict(x_arr[te]) == y[te]).sum())
    return correct / len(y)


def traits_accuracy(project: Path, run: Path) -> float | None:
    """Plain LR (C = 1) on the simulated mice's body traits (size, girth, speed, activity;
    manifest columns ``trait_*``), on the run's own folds: how far a classifier gets from
    what differs between these particular mice rather than from pain. At effect 0 a pose
    method can reach it (pose shows body size and pace; behaviour fractions do not), so a
    null case above chance is read against it. None when the project has no traits."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    manifest = pd.read_csv(project / "manifest.csv", dtype=str)
    columns = [f"trait_{k}" for k in TRAITS]
    if not set(columns) <= set(manifest.columns):
        return None
    folds = pd.read_csv(run / "folds.csv", dtype={"video_id": str, "label": str})
    by_video = {Path(p).stem: i for i, p in enumerate(manifest["features"])}
    x = manifest[columns].astype(float).to_numpy()[[by_video[v] for v in folds["video_id"]]]
    y = folds["label"].to_numpy()
    correct = 0
    for r in [c for c in folds.columns if c.startswith("round_")]:
        roles = folds[r].to_numpy()
        tr, te = roles == "train", roles == "test"
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
        clf.fit(x[tr], y[tr])
        correct += int((clf.predict(x[te]) == y[te]).sum())
    return correct / len(y)


def cross_validate(
    project: Path,
    *,
    scheme: str,
    method: str = "features",
    overrides: dict[str, Any] | None = None,
    name: str = "bench",
) -> dict[str, Any]:
    """``painscope cv`` (default settings, folds by mouse) and the reference; one result row."""
    from painscope.config.base import with_overrides
    from painscope.train.cv import run_cv
    from painscope.train.methods import build_sources
    from painscope.train.runs import open_inputs

    inputs = open_inputs(project)
    config = with_overrides(
        inputs.config.train,
        section="train",
        group_by="mouse_id",
        relevance=False,
        **(overrides or {}),
    )
    sources = build_sources(Path(project), inputs.config, [method], config)
    wall, cpu = time.perf_counter(), time.process_time()
    run = run_cv(project, config, sources, schemes=[scheme], name=name, progress=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    metrics = json.loads((run / "metrics.json").read_text())
    row: dict[str, Any] = {"project": str(project), "scheme": scheme, "method": method}
    for key, label in ((method, "vis4mer"), (f"{method}_logreg", "logreg")):
        m = metrics.get(key, {}).get(scheme)
        if m:
            row[label] = {
                "accuracy": m["accuracy"],
                "accuracy_ci": m["ci"]["accuracy"],
                "macro_f1": m["macro_f1"],
                "macro_f1_ci": m["ci"]["macro_f1"],
            }
            row["majority_accuracy"] = m["chance"]["majority_accuracy"]
            row["majority_macro_f1"] = m["chance"]["majority_macro_f1"]
    row["reference_logreg_accuracy"] = reference_accuracy(Path(project), run, None)
    row["traits_accuracy"] = traits_accuracy(Path(project), run)
    row["wall_s"], row["cpu_s"], row["run"] = round(wall, 1), round(cpu, 1), str(run)
    return row


def run_bench(
    out: Path,
    cases: Sequence[str],
    *,
    seed: int = 0,
    shared_data: Path | None = None,
    say: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Build each case's project under ``out`` and cross-validate it; rows also to JSON."""
    out = Path(out)
    rows: list[dict[str, Any]] = []
    for case in cases:
        say(f"[bold]{case}[/bold] ...")
        if case in ("truth", "truth0", "truth15"):
            effect = 0.0 if case == "truth0" else 1.0
            project = out / f"truth_effect{effect:g}"
            if not (project / "manifest.csv").exists():
                truth_project(project, effect=effect, seed=seed)
            scheme = "15class" if case == "truth15" else "3class"
            rows.append(cross_validate(project, scheme=scheme, name=case))
        elif case in ("pose", "pose0"):
            effect = 0.0 if case == "pose0" else 1.0
            project = out / f"pose_effect{effect:g}"
            if not (project / "manifest.csv").exists():
                truth_project(project, effect=effect, seed=seed, pose=True)
            rows.append(cross_validate(project, scheme="3class", method="pose", name=case))
        elif case.startswith("regime"):
            # regime, regime:EFFECT:MICE:MINUTES
            parts = case.split(":")
            effect = float(parts[1]) if len(parts) > 1 else 0.3
            n_mice = int(parts[2]) if len(parts) > 2 else 30
            minutes = float(parts[3]) if len(parts) > 3 else 31.0
            project = out / f"regime_e{effect:g}_m{n_mice}_t{minutes:g}"
            if not (project / "manifest.csv").exists():
                regime_project(project, n_mice=n_mice, minutes=minutes, effect=effect, seed=seed)
            rows.append(cross_validate(project, scheme="dose", name="regime"))
        elif case == "jabs":
            data = (shared_data or Path("/work/shared/data")) / "jabs_ptz_seizure_events"
            if not data.is_dir():
                say(f"skipping jabs: {data} not found")
                continue
            project = out / "jabs_ptz"
            if not (project / "manifest.csv").exists():
                jabs_project(project, data)
            rows.append(cross_validate(project, scheme="dose", name=case))
        else:
            raise ValueError(f"unknown case {case!r}")
        rows[-1]["case"] = case
        say(json.dumps(rows[-1], indent=1))
    with atomic_path(out / "classifier.json") as tmp:
        tmp.write_text(json.dumps(rows, indent=1))
    return rows


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """One line per case: ViS4mer, painscope's LR baseline, the reference LR, chance, time."""

    from painscope.evaluate.results import format_ci

    def fmt(m: dict[str, Any] | None, key: str) -> str:
        return format_ci(m[key], m.get(f"{key}_ci"), 3) if m else "–"

    lines = [
        "| case | scheme | ViS4mer acc | ViS4mer macro F1 | LR baseline acc | reference LR acc "
        "| mouse-traits LR acc | majority acc / F1 | wall s | CPU s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        traits = r.get("traits_accuracy")
        lines.append(
            f"| {r['case']} | {r['scheme']} | {fmt(r.get('vis4mer'), 'accuracy')} | "
            f"{fmt(r.get('vis4mer'), 'macro_f1')} | {fmt(r.get('logreg'), 'accuracy')} | "
            f"{r['reference_logreg_accuracy']:.3f} | "
            f"{'–' if traits is None else f'{traits:.3f}'} | {r.get('majority_accuracy', 0):.3f} / "
            f"{r.get('majority_macro_f1', 0):.3f} | {r['wall_s']} | {r['cpu_s']} |"
        )
    return "\n".join(lines)
