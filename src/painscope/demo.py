"""``painscope demo``: the main job, end to end, on the built-in simulator.

simulate (68 1-min videos of a digital pain-model mouse, with DeepLabCut-format
ground-truth pose) → extract (background removal, Video Swin token maps and the
silhouette track in the same pass) → 8-fold cross-validation with folds grouped by
mouse for the 3-class (headline) and 15-class (secondary) schemes, comparing
Ours+Mask, Ours, the weights-free ``motion`` method and the pose (B-SOiD) baseline,
each beside its logistic baseline, on identical folds → zero-shot drug test → report.

Sized to finish in about 10 minutes on a 2-core laptop CPU: Swin-T at 96² with 4
frames per clip (a 2 × 2 mask of its 3 × 3 token grid), the classifier's ``auto``
sizes and committees (the defaults) on 40 clips per video and at most 100 epochs,
cross-validation fits in one worker process per CPU, and PCA instead of UMAP in the
pose baseline. The videos last 1 minute because a 30-s video holds too few bouts of
each behaviour for any method to separate the pain states with 12 mice (BENCHMARKS.md,
"The demo on 1-min videos"). The backbone uses torchvision's Kinetics-400 weights
(downloaded once when not cached) and is otherwise randomly initialised — which the
demo says loudly, since random features make the video methods' numbers meaningless
for biology (they still exercise every step); ``motion`` and ``pose`` need no weights.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from painscope.config import ExtractConfig
from painscope.config.pose import PoseConfig
from painscope.config.train import TrainConfig
from painscope.errors import WeightsError

DEMO_METHODS = ("ours_mask", "motion", "pose")  # `ours` (every token) is one --method away
DEMO_SCHEMES = ("3class", "15class")  # 3-class is the headline; 15-class is secondary
DEMO_MINUTES = 1.0


@dataclass
class DemoResult:
    project: Path
    features_dir: Path
    cv_run: Path
    drugtest_run: Path | None
    report: Path | None
    weights_random: bool
    headline: list[dict[str, Any]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def demo_weights(
    backbone: str, *, download: bool = True, say: Callable[[str], None] | None = None
) -> str:
    """``kinetics400`` when torchvision's weights are cached or can be downloaded, else ``none``.

    The download (once, into torch's hub cache, with a progress bar) gives up after the
    socket timeout of :func:`painscope.features.weights.download_weights`; the demo then
    runs on random weights and says so loudly.
    """
    from painscope.features.weights import load_backbone

    try:
        load_backbone(backbone, "kinetics400", download=download)
    except WeightsError as err:
        if say is not None and download:
            say(f"    no Kinetics-400 weights ({err.message}); using RANDOM weights")
        return "none"
    return "kinetics400"


def demo_settings(weights: str) -> tuple[ExtractConfig, TrainConfig, PoseConfig]:
    """Laptop-sized settings (the paper's are the defaults of painscope.yaml)."""
    # 4 frames per clip at 96 px: Swin-T costs ~1/4 of 8 frames at 128 px, and the
    # silhouette track (motion) still sees every decoded frame; 96 px gives a 3 x 3
    # token grid, so the feature-space mask keeps a 2 x 2 block (train.block_size)
    extract = ExtractConfig(
        backbone="swin3d_t", weights=weights, frames_per_clip=4, input_size=96, batch_size=8
    )
    # the classifier's defaults (model sizes and committees `auto`), folds by mouse, with
    # a shorter schedule: a 1-min video has 40 clips (the default n_clips 200 would repeat
    # each clip 5 times), and at most 100 epochs, stopping after 20 without improvement
    train = TrainConfig(
        block_size=2,
        n_clips=40,
        epochs=100,
        early_stopping=20,
        group_by="mouse_id",  # a mouse's other days never sit in its test fold's training set
        baseline=True,  # the logistic baseline on the same folds, beside every method
    )
    # PCA instead of UMAP before HDBSCAN: UMAP costs ~1 min per CV round on a laptop
    pose = PoseConfig(embedding="pca")
    return extract, train, pose


def write_settings(
    root: Path, extract: ExtractConfig, train: TrainConfig, pose: PoseConfig
) -> None:
    import yaml

    from painscope.config import to_dict
    from painscope.io.atomic import atomic_write_text

    text = (
        "# painscope demo settings: sized for a laptop CPU (see `painscope init` for the\n"
        "# paper's defaults with every setting explained)\n"
        + yaml.safe_dump(
            {"extract": to_dict(extract), "train": to_dict(train), "pose": to_dict(pose)},
            sort_keys=False,
        )
    )
    atomic_write_text(root / "painscope.yaml", text)


def _same_simulation(root: Path, minutes: float, seed: int) -> bool:
    """True if ``root`` already holds the demo cohort these settings would simulate."""
    import json

    try:
        settings = json.loads((root / "simulation.json").read_text())["settings"]
    except (OSError, ValueError, KeyError):
        return False
    return (
        settings.get("preset") == "demo"
        and settings.get("minutes") == minutes
        and settings.get("seed") == seed
        and (root / "manifest.csv").exists()
    )


def headline(cv_run: Path) -> list[dict[str, Any]]:
    """Accuracy and macro F1 with 95 % CIs for every (method, scheme) of a CV run."""
    from painscope.evaluate.results import read_results

    results = read_results(cv_run)
    results.require_complete("the demo headline")
    return [
        {
            "method": method,
            "scheme": scheme,
            "accuracy": m.accuracy,
            "accuracy_ci": list(m.ci_accuracy) if m.ci_accuracy else None,
            "macro_f1": m.macro_f1,
            "macro_f1_ci": list(m.ci_macro_f1) if m.ci_macro_f1 else None,
            "chance": m.chance.majority_accuracy,
            "n_videos": m.n_videos,
            "grouped_by": m.grouped_by.value,
        }
        for (method, scheme), m in results.scores.items()
    ]


def run_demo(
    folder: Path | str,
    *,
    minutes: float = DEMO_MINUTES,
    seed: int = 0,
    say: Callable[[str], None] = print,
) -> DemoResult:
    """Simulate, extract, cross-validate, drug-test and report in ``folder``."""
    import functools

    from painscope.distributed.local_cv import default_jobs, process_map_jobs
    from painscope.features.extract import extract
    from painscope.simulate import simulate_dataset
    from painscope.train.cv import run_cv
    from painscope.train.methods import build_sources
    from painscope.train.predict import run_drugtest
    from painscope.train.runs import open_inputs

    root = Path(folder)
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    if _same_simulation(root, minutes, seed):
        say(f"1/5 reusing the simulated cohort in {root} (finished steps are skipped)")
    else:
        say(f"1/5 simulating the demo cohort in {root} ...")
        # a previous demo with other settings is replaced; any other folder is refused
        simulate_dataset(
            root, preset="demo", minutes=minutes, seed=seed, workers=default_jobs(),
            overwrite=(root / "simulation.json").exists(),
        )  # fmt: skip
    seconds["simulate"] = time.perf_counter() - start

    weights = demo_weights("swin3d_t", say=say)
    extract_config, train_config, pose_config = demo_settings(weights)
    write_settings(root, extract_config, train_config, pose_config)
    start = time.perf_counter()
    say("2/5 extracting token maps (background removal + Swin-T) and silhouette tracks ...")
    summary = extract(root, extract_config)
    if summary.n_failed:
        bad = next(r for r in summary.results if r.status == "failed")
        raise RuntimeError(f"demo extraction failed: {bad.video}: {bad.reason}")
    seconds["extract"] = time.perf_counter() - start

    start = time.perf_counter()
    say("3/5 8-fold cross-validation: " + ", ".join(DEMO_METHODS) + " ...")
    inputs = open_inputs(root)
    sources = build_sources(root, inputs.config, DEMO_METHODS, train_config)
    cv_run = run_cv(
        root, train_config, sources, schemes=DEMO_SCHEMES, name="demo_cv",
        map_jobs=functools.partial(process_map_jobs, workers=default_jobs()),
    )  # fmt: skip
    seconds["cv"] = time.perf_counter() - start

    start = time.perf_counter()
    say("4/5 zero-shot drug test (GBA vs saline) ...")
    drug_run = run_drugtest(cv_run, root, name="demo_drugtest")
    seconds["drugtest"] = time.perf_counter() - start

    start = time.perf_counter()
    say("5/5 attention maps and report ...")
    from painscope.report.explain import explain_video
    from painscope.report.html import build_report

    for entry in [e for e in inputs.manifest if not e.group][:2]:  # two example videos
        explain_video(
            entry.path, 2, cv_run / "attention", config=extract_config,
            block_size=train_config.block_size,
        )  # fmt: skip

    report = build_report(cv_run, drugtest=drug_run).html_path
    seconds["report"] = time.perf_counter() - start
    return DemoResult(
        project=root,
        features_dir=summary.features_dir,
        cv_run=cv_run,
        drugtest_run=drug_run,
        report=report,
        weights_random=weights == "none",
        headline=mark_collapsed(cv_run, headline(cv_run)),
        seconds=seconds,
    )


def mark_collapsed(cv_run: Path, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``collapsed`` (True when a classifier predicted one class for every video)."""
    import pandas as pd

    try:
        pred = pd.read_csv(cv_run / "predictions.csv", dtype=str)
    except (OSError, ValueError):
        return rows
    n_pred = pred.groupby(["method", "scheme"])["pred_label"].nunique().to_dict()
    return [{**r, "collapsed": n_pred.get((r["method"], r["scheme"]), 2) < 2} for r in rows]


def summary_sentence(rows: list[dict[str, Any]], weights_random: bool) -> str:
    """One sentence: which methods beat majority chance (3-class, 95 % CI, folds by mouse)."""
    beat = [
        r["method"]
        for r in rows
        if r["scheme"] == "3class" and not r.get("collapsed") and r["accuracy_ci"][0] > r["chance"]
    ]
    split = "folds grouped by mouse" if rows and rows[0]["grouped_by"] == "mouse_id" else "folds"
    weights = "random backbone weights" if weights_random else "Kinetics-400 weights"
    if not beat:
        return (
            f"With {weights} and {split}, no method's 3-class accuracy CI lies above majority "
            "chance on this simulated cohort: the demo exercised every step but shows no effect."
        )
    return (
        f"With {weights} and {split}, {', '.join(beat)} recover the simulated pain states: "
        "their 3-class accuracy 95 % CI lies above majority chance."
    )
