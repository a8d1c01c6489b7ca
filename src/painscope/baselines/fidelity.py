"""Where the pose baseline loses signal: one logistic probe per stage, on the same folds.

``python -m painscope.baselines.fidelity PROJECT [--run RUN]`` takes a bench pose project
(``painscope bench-classifier OUT --cases pose``: its manifest has the simulator's exact
pose *and* its true per-window behaviour fractions as ``features``) and the folds of one
of its cross-validation runs (``runs/*/folds.csv``, folds by mouse). Every stage's
per-video sequences go through painscope's own logistic baseline
(:func:`painscope.baselines.logistic.logreg_baseline`, inner-CV tuned), trained on each
round's training videos and scored on its test videos, so the accuracies are comparable
from stage to stage and with the run's own ``pose_logreg`` row:

- true behaviour fractions (what the simulator's ground truth allows), and the same with
  labels merged the way the motifs merge them (asymmetric gait → walking, guarding →
  resting): the cost of each merge;
- the raw B-SOiD bin features (session mean / sd of every feature);
- the motif histograms, soft and hard, for each keypoint choice (``pose.body_parts``),
  with the number of motifs, embedding dimensions and HDBSCAN noise share per round.

Motifs are refitted per round (``PoseMotifSource.fit``), never on the round's test videos.

``fit_on`` chooses the videos a round fits the motifs and its logistic regression on:
``train`` (default) = the videos with role ``train`` in ``folds.csv``, what ``painscope
cv`` fits the motifs on; ``nontest`` = train *and* validation videos (one fold more). The
probe used ``nontest`` before; on the bench pose project that one fold moved the
soft-motif probe from 0.667 to 0.783, which is why it disagreed with cv's
``pose_logreg`` (0.667): a different training set, not a leak. (cv's logistic baseline
now gets every non-test video, as ``nontest``; its motif fit stays on ``train``, because
the ``nontest`` motif fit raised the null case's pose accuracy.)
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np


def _folds(project: Path, run: Path | None) -> Any:
    import pandas as pd

    if run is None:
        runs = sorted(project.glob("runs/*/folds.csv"))
        if not runs:
            raise SystemExit(f"no runs/*/folds.csv under {project}: run painscope cv first")
        path = runs[-1]
    else:
        path = run / "folds.csv"
    return pd.read_csv(path, dtype={"video_id": str, "label": str})


def probe(
    seqs: list[np.ndarray],
    y: np.ndarray,
    rounds: list[np.ndarray],
    train: list[np.ndarray] | None = None,
) -> float:
    """Pooled test accuracy of the tuned logistic baseline over the rounds.

    Parameters
    ----------
    seqs : one (n_windows, D) array per video.
    y : (n_videos,) int class of each video.
    rounds : per round, a boolean (n_videos,) mask of its test videos.
    train : per round, a boolean (n_videos,) mask of its training videos; None = every
        non-test video.
    """
    from painscope.baselines.logistic import logreg_baseline

    correct = 0
    n_classes = int(y.max()) + 1
    masks = train if train is not None else [~t for t in rounds]
    for test, fit in zip(rounds, masks, strict=True):
        if (fit & test).any():
            raise ValueError("a round trains on one of its test videos")
        tr, te = np.flatnonzero(fit), np.flatnonzero(test)
        p = logreg_baseline([seqs[i] for i in tr], y[tr], [seqs[i] for i in te], n_classes, 0)
        correct += int((p.argmax(1) == y[te]).sum())
    return correct / int(sum(t.sum() for t in rounds))


def _merged(fractions: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    return np.stack([fractions[:, g].sum(1) for g in groups], axis=1)


def round_masks(folds: Any, fit_on: str = "train") -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per round of ``folds.csv``: (test masks, training masks), boolean (n_videos,) each.

    ``fit_on`` = ``train``: role ``train`` only (what ``painscope cv`` fits the motifs
    on); ``nontest``: train and validation videos.
    """
    columns = [c for c in folds.columns if c.startswith("round_")]
    tests = [(folds[c] == "test").to_numpy() for c in columns]
    if fit_on == "nontest":
        return tests, [~t for t in tests]
    if fit_on != "train":
        raise ValueError(f"fit_on must be 'train' or 'nontest', got {fit_on!r}")
    return tests, [(folds[c] == "train").to_numpy() for c in columns]


def stage_table(
    project: Path, run: Path | None = None, fit_on: str = "train"
) -> list[dict[str, Any]]:
    """One row per stage: name, probe accuracy, and motif diagnostics where they apply."""
    from painscope.baselines.sequences import PoseMotifSource
    from painscope.config.pose import PoseConfig
    from painscope.manifest import read_manifest
    from painscope.simulate.behaviour import LABELS

    project = Path(project)
    folds = _folds(project, run)
    entries = {
        e.video_id: e
        for e in read_manifest(project / "manifest.csv", project, check_files=False).entries
    }
    order = [entries[v] for v in folds["video_id"]]
    classes = sorted(folds["label"].unique())
    y = np.array([classes.index(c) for c in folds["label"]])
    rounds, fits = round_masks(folds, fit_on)
    rows: list[dict[str, Any]] = []

    def add(name: str, seqs: list[np.ndarray], **extra: Any) -> None:
        rows.append({"stage": name, "accuracy": round(probe(seqs, y, rounds, fits), 3), **extra})
        print(json.dumps(rows[-1]), flush=True)

    if all(e.extra.get("features") for e in order):
        truth = [np.load(project / e.extra["features"]).astype(np.float64) for e in order]
        if truth[0].shape[1] == len(LABELS):
            i = {n: k for k, n in enumerate(LABELS)}
            walk = [i["walking"], i["asymmetric_gait"]]
            others = [[i["rearing"]], [i["grooming"]], [i["licking"]]]
            add("true behaviour fractions", truth)
            groups = [walk, *others, [i["resting"]], [i["guarding"]]]
            add("  asymmetric gait merged into walking", [_merged(t, groups) for t in truth])
            groups = [walk, *others, [i["resting"], i["guarding"]]]
            add("  and guarding merged into resting", [_merged(t, groups) for t in truth])

    base = PoseConfig()
    for parts in ("all", "bsoid"):
        config = replace(base, body_parts=parts)
        source = PoseMotifSource(project, config)
        feats: list[Any] = []
        soft: list[list[np.ndarray]] = [[] for _ in order]
        hard: list[list[np.ndarray]] = [[] for _ in order]
        diag = []
        for fit in fits:
            source.fit([e for e, t in zip(order, fit, strict=True) if t])
            model = source.model_
            assert model is not None
            if not feats:  # keypoints are chosen by the first fit
                feats = [source.features(e) for e in order]
                width = feats[0].values.shape[1]
                add(f"raw bin features, body_parts {parts} ({width})", [f.values for f in feats])
            diag.append(
                (model.n_motifs_, model.n_components_, float((model.cluster_labels_ < 0).mean()))
            )
            for k, f in enumerate(feats):
                labels = model.predict(f.values)
                hard[k].append(source.histograms(f, labels))
                soft[k].append(source.histograms(f, labels, model.predict_proba(f.values)))
        info = {
            "motifs": [d[0] for d in diag],
            "dims": [d[1] for d in diag],
            "noise": round(float(np.mean([d[2] for d in diag])), 3),
        }
        for kind, per in (("soft", soft), ("hard", hard)):
            correct = 0
            for r, (test, fit) in enumerate(zip(rounds, fits, strict=True)):
                seqs = [per[k][r] for k in range(len(order))]
                correct += round(probe(seqs, y, [test], [fit]) * int(test.sum()))
            rows.append({"stage": f"motifs {kind}, body_parts {parts}",
                         "accuracy": round(correct / len(order), 3), **info})  # fmt: skip
            print(json.dumps(rows[-1]), flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--run", type=Path, default=None, help="run folder with folds.csv")
    parser.add_argument(
        "--fit-on", choices=("train", "nontest"), default="train",
        help="train: the round's training videos (as painscope cv); nontest: train + validation",
    )  # fmt: skip
    args = parser.parse_args(argv)
    rows = stage_table(args.project, args.run, args.fit_on)
    (args.project / "fidelity.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
