"""Measurements behind BENCHMARKS.md, "Motion" (run with ``python -m painscope.motion.bench``).

``cost PROJECT N``
    extract the first N videos of PROJECT with motion off, on, off again (backgrounds
    cached first, each store deleted before its run); prints wall and CPU seconds and
    the on / mean(off) ratios. Use the tiny backbone so the backbone does not hide it.
``track VIDEO POSE_CSV``
    the silhouette track of VIDEO against a DeepLabCut CSV's body centre (``body_center``
    when present, else the midpoint of the ears' centre and ``tailbase``): median and
    90th-percentile pixel error.
``probe PROJECT``
    how well the stored per-clip descriptors see behaviour: a logistic regression from
    one clip's model input to the majority behaviour of its frames in the simulator's
    ``labels/<stem>.csv`` (folds by mouse; balanced accuracy). Pain labels are not used.
"""

from __future__ import annotations

import dataclasses
import resource
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return float(r.ru_utime + r.ru_stime)


def extract_cost(root: Path, n: int) -> dict[str, float]:
    """Wall and CPU seconds of extracting ``n`` videos with motion off / on / off."""
    from painscope.config import config_hash
    from painscope.features.extract import extract
    from painscope.project import open_project

    proj = open_project(root)
    cfg = proj.config().extract
    only = [e.video for e in proj.manifest(check_files=False)][:n]
    off, on = dataclasses.replace(cfg, motion=False), dataclasses.replace(cfg, motion=True)
    extract(root, off, only=only)  # backgrounds are cached by this warm-up
    out: dict[str, float] = {}
    for name, config in (("off", off), ("on", on), ("off2", off)):
        shutil.rmtree(proj.features_dir(config_hash(config)), ignore_errors=True)
        wall, cpu = time.perf_counter(), _cpu_s()
        summary = extract(root, config, only=only)
        out[name], out[name + "_cpu"] = time.perf_counter() - wall, _cpu_s() - cpu
        assert summary.count("done") == len(only), summary.results
    out["wall_ratio"] = 2 * out["on"] / (out["off"] + out["off2"])
    out["cpu_ratio"] = 2 * out["on_cpu"] / (out["off_cpu"] + out["off2_cpu"])
    return out


def track_error(video: Path, pose_csv: Path) -> dict[str, float]:
    """Median / p90 distance (px) between the silhouette centroid and the pose body centre."""
    import pandas as pd

    from painscope.io.video import iter_frames
    from painscope.motion import TRACK_COLUMNS, MotionTracker
    from painscope.motion.figure import video_median

    tracker = MotionTracker(video_median(video))
    started = time.perf_counter()
    for frame in iter_frames(video, color="gray"):
        tracker.push(frame)
    seconds = time.perf_counter() - started
    track = tracker.track()
    col = {c: i for i, c in enumerate(TRACK_COLUMNS)}
    table = pd.read_csv(pose_csv, header=[0, 1, 2], index_col=0).droplevel(0, axis=1)
    parts = {p for p, _ in table.columns}
    if "body_center" in parts:
        body = table[["body_center"]].to_numpy()[:, :2]
    else:
        ex = (table[("leftear", "x")] + table[("rightear", "x")]) / 2
        ey = (table[("leftear", "y")] + table[("rightear", "y")]) / 2
        body = np.column_stack([(ex + table[("tailbase", "x")]) / 2,
                                (ey + table[("tailbase", "y")]) / 2])  # fmt: skip
    n = min(len(body), len(track))
    err = np.hypot(*(track[:n, [col["x"], col["y"]]] - body[:n]).T)  # (n,) px
    return {
        "frames": float(n),
        "found_share": float(track[:, col["found"]].mean()),
        "median_px": float(np.nanmedian(err)),
        "p90_px": float(np.nanpercentile(err, 90)),
        "body_length_px": float(np.median(track[:, col["major"]])),
        "ms_per_frame": 1000 * seconds / max(1, len(track)),
    }


def behaviour_probe(root: Path, n_folds: int = 6) -> dict[str, float]:
    """Balanced accuracy of clip descriptors → the clip's majority true behaviour."""
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.model_selection import GroupKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from painscope.config import config_hash
    from painscope.features.store import feature_path, read_features
    from painscope.motion.source import model_input
    from painscope.project import open_project

    proj = open_project(root)
    folder = proj.features_dir(config_hash(proj.config().extract))
    xs, ys, groups = [], [], []
    for entry in proj.manifest(check_files=False):
        stem = Path(entry.video).stem
        behaviour = pd.read_csv(Path(root) / "labels" / f"{stem}.csv")["behaviour"].to_numpy()
        feats = read_features(feature_path(folder, entry.video_id))
        assert feats.motion is not None, "extract with extract.motion: true first"
        x = model_input(feats.motion, feats.meta["motion_columns"])  # (n_clips, D)
        for row, clip in zip(x, feats.clips, strict=True):
            frames = behaviour[int(clip[0]) : max(int(clip[1]), int(clip[0]) + 1)]
            if len(frames):
                values, counts = np.unique(frames, return_counts=True)
                xs.append(row)
                ys.append(values[counts.argmax()])
                groups.append(entry.mouse_id)
    model = make_pipeline(StandardScaler(),
                          LogisticRegression(max_iter=3000, class_weight="balanced"))  # fmt: skip
    pred = cross_val_predict(model, np.stack(xs), np.asarray(ys), groups=groups,
                             cv=GroupKFold(n_folds))  # fmt: skip
    return {
        "clips": float(len(ys)),
        "behaviours": float(len(set(ys))),
        "balanced_accuracy": float(balanced_accuracy_score(ys, pred)),
        "chance": 1.0 / len(set(ys)),
    }


if __name__ == "__main__":  # pragma: no cover - measurement entry point
    warnings.simplefilter("ignore")
    what, *args = sys.argv[1:]
    if what == "cost":
        result = extract_cost(Path(args[0]), int(args[1]))
    elif what == "probe":
        result = behaviour_probe(Path(args[0]))
    else:
        result = track_error(Path(args[0]), Path(args[1]))
    print({k: round(v, 3) for k, v in result.items()})
