"""Controlled benchmark: does the pipeline recover planted effects, and not invent them?

For each effect size (``--effect 0`` = behaviour independent of the label, null data)
simulate a cohort, extract token maps with and without background removal, and
cross-validate on identical folds:

``ours_mask``  background removed + feature-space mask (the paper's "Ours+Mask")
``ours``       background removed, all tokens ("Ours")
``raw``        raw video, all tokens (the ablation)
``pose``       ground-truth pose → B-SOiD motifs (the pose baseline with perfect tracking)
``motion``     silhouette descriptors from the same extract pass (no weights, no pose)

Results (accuracy / macro F1 with 95 % bootstrap CIs, chance levels) go to
``OUT/controlled.json`` and a Markdown table ``OUT/controlled.md`` for BENCHMARKS.md.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

METHODS = ("ours_mask", "ours", "raw", "pose", "motion")


def run_controlled(
    out_dir: Path | str,
    *,
    effects: Sequence[float] = (0.0, 0.5, 1.0),
    minutes: float = 0.25,
    scheme: str = "3class",
    methods: Sequence[str] = METHODS,
    seed: int = 0,
    group_by: str = "video",
    say: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Run the benchmark; returns one row per (effect, method)."""
    from painscope.demo import demo_settings, demo_weights, headline, write_settings
    from painscope.features.extract import extract
    from painscope.project import open_project
    from painscope.simulate import simulate_dataset
    from painscope.train.cv import run_cv
    from painscope.train.methods import build_sources

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    weights = demo_weights("swin3d_t")
    extract_config, train_config, pose_config = demo_settings(weights)
    train_config = dataclasses.replace(train_config, group_by=group_by)  # type: ignore[arg-type]
    rows: list[dict[str, Any]] = []
    for effect in effects:
        root = out / f"effect_{effect:g}"
        start = time.perf_counter()
        say(f"effect {effect:g}: simulate")
        simulate_dataset(root, preset="demo", minutes=minutes, effect=effect, seed=seed,
                         treated=False)  # fmt: skip
        write_settings(root, extract_config, train_config, pose_config)
        needs = {"median": {"ours_mask", "ours", "pooled", "motion"}, "none": {"raw", "raw_mask"}}
        for background in ("median", "none"):
            if not needs[background] & set(methods):
                continue
            say(f"effect {effect:g}: extract (background {background})")
            cfg = dataclasses.replace(extract_config, background=background)  # type: ignore[arg-type]
            summary = extract(root, cfg)
            if summary.n_failed:
                raise RuntimeError(f"extraction failed in {root}")
        say(f"effect {effect:g}: cross-validate {', '.join(methods)}")
        sources = build_sources(root, open_project(root).config(), methods, train_config)
        run = run_cv(root, train_config, sources, schemes=[scheme], name="controlled")
        seconds = time.perf_counter() - start
        for row in headline(run):  # one per method (one scheme)
            rows.append({"effect": effect, **row, "weights": weights, "run": str(run),
                         "seconds": seconds})  # fmt: skip
    (out / "controlled.json").write_text(json.dumps(rows, indent=1))
    (out / "controlled.md").write_text(markdown_table(rows))
    return rows


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    from painscope.evaluate.results import format_ci

    lines = [
        "| effect | method | accuracy [95% CI] | macro F1 [95% CI] | chance (majority) | n |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        acc = format_ci(r["accuracy"], r["accuracy_ci"], 3)
        f1 = format_ci(r["macro_f1"], r["macro_f1_ci"], 3)
        lines.append(
            f"| {r['effect']:g} | {r['method']} | {acc} | {f1} | {r['chance']:.3f} "
            f"| {r['n_videos']} |"
        )
    return "\n".join(lines) + "\n"
