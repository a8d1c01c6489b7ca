"""Named methods — the rows of the paper's Table 3 — as sequence sources.

``ours_mask``  background removed, masked block of tokens per clip ("Ours+Mask")
``ours``       background removed, every token ("Ours")
``pooled``     background removed, one mean token per clip
``raw``        raw video (``extract.background: none``), every token
``raw_mask``   raw video, masked block
``pose``       B-SOiD motif histograms per clip from the manifest's ``pose`` files
``features``   the manifest's ``features`` files (bring your own sequences)
``motion``     per-clip silhouette descriptors (speed, turning, area, elongation, motion
               energy, immobility) from the token store: no weights, no pose

The token methods read the token store of the project's extract settings; ``raw``
and ``raw_mask`` read the store of the same settings with ``background: none``
(run ``painscope extract PROJECT --background none`` first).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from painscope.config import ProjectConfig, config_hash
from painscope.config.train import TrainConfig
from painscope.errors import PainscopeError
from painscope.features.lazy import should_load_lazily
from painscope.project import Project
from painscope.train.sources import ArrayFileSource, SequenceSource, TokenStoreSource

METHODS = ("ours_mask", "ours", "pooled", "raw", "raw_mask", "pose", "features", "motion")
_TOKEN_METHODS = {
    "ours_mask": ("median", "block"),
    "ours": ("median", "all"),
    "pooled": ("median", "mean"),
    "raw": ("none", "all"),
    "raw_mask": ("none", "block"),
}


def build_sources(
    root: Path, config: ProjectConfig, names: Sequence[str], train: TrainConfig
) -> list[SequenceSource]:
    """One source per method name, in the order given."""
    sources: list[SequenceSource] = []
    for name in names:
        if name in _TOKEN_METHODS:
            background, mode = _TOKEN_METHODS[name]
            extract = dataclasses.replace(config.extract, background=background)  # type: ignore[arg-type]
            folder = Project(root).features_dir(config_hash(extract))
            if not folder.is_dir():
                hint = " --background none" if background == "none" else ""
                raise PainscopeError(
                    f"method {name!r}: no token store at {folder}",
                    fix=f"run `painscope extract {root}{hint}` first",
                )
            lazy = should_load_lazily(train.load, folder)
            sources.append(TokenStoreSource(folder, mode, train.block_size, name=name, lazy=lazy))  # type: ignore[arg-type]
        elif name == "pose":
            from painscope.baselines.sequences import PoseMotifSource

            sources.append(
                PoseMotifSource(root, config.pose, clip_seconds=config.extract.clip_seconds)
            )
        elif name == "features":
            sources.append(ArrayFileSource(root))
        elif name == "motion":
            from painscope.motion.source import MotionSource

            extract = dataclasses.replace(config.extract, background="median")
            folder = Project(root).features_dir(config_hash(extract))
            if not folder.is_dir() or not extract.motion:
                raise PainscopeError(
                    f"method 'motion': no token store with motion descriptors at {folder}",
                    fix=f"run `painscope extract {root}` first (with extract.motion: true)",
                )
            sources.append(MotionSource(folder))
        else:
            raise PainscopeError(
                f"unknown method {name!r}", fix=f"use one or more of {', '.join(METHODS)}"
            )
    return sources
