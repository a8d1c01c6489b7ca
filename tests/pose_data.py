"""Synthetic pose data for the pose-baseline tests: trajectories and DeepLabCut files.

Two behaviours, alternating in blocks: "walk" (straight body gliding forward) and
"turn" (body curled, spinning on the spot). Keypoints: snout, neck, centre, tailbase.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

KEYPOINTS = ("snout", "neck", "centre", "tailbase")
# Body offsets from the centre along the body axis (px): straight posture.
_AXIS_OFFSETS = np.array([30.0, 15.0, 0.0, -25.0])


def two_behaviour_trajectory(
    n_frames: int, fps: float, rng: np.random.Generator, *, block_seconds: float = 3.0
) -> tuple[np.ndarray, np.ndarray]:
    """Positions (n_frames, 4, 2) and the behaviour of each frame (0 = walk, 1 = turn)."""
    block = max(1, round(block_seconds * fps))
    behaviour = (np.arange(n_frames) // block) % 2
    centre = np.array([200.0, 200.0])
    heading = 0.0
    position = np.zeros((n_frames, len(KEYPOINTS), 2))
    for t in range(n_frames):
        if behaviour[t] == 0:  # walk: 120 px/s forward, straight body
            heading += rng.normal(0.0, 0.02)
            centre = centre + (120.0 / fps) * np.array([np.cos(heading), np.sin(heading)])
            offsets = _AXIS_OFFSETS
            bend = 0.0
        else:  # turn: still centre, spin 360°/s, curled body (snout towards tail)
            heading += 2 * np.pi / fps
            offsets = _AXIS_OFFSETS * np.array([0.5, 0.8, 1.0, 0.8])
            bend = 1.2
        centre = np.clip(centre, 50.0, 350.0)
        angles = heading + bend * np.array([1.0, 0.5, 0.0, -1.0])
        direction = np.stack([np.cos(angles), np.sin(angles)], axis=1)
        position[t] = centre + offsets[:, None] * direction + rng.normal(0.0, 0.5, (4, 2))
    return position, behaviour


def dlc_table(
    position: np.ndarray, likelihood: np.ndarray | None = None, keypoints=KEYPOINTS
) -> pd.DataFrame:
    """A DeepLabCut-style table: columns (scorer, bodyparts, coords)."""
    n_frames, n_keypoints, _ = position.shape
    if likelihood is None:
        likelihood = np.ones((n_frames, n_keypoints))
    columns = pd.MultiIndex.from_product(
        [["DLC_sim"], list(keypoints), ["x", "y", "likelihood"]],
        names=["scorer", "bodyparts", "coords"],
    )
    data = np.stack([position[..., 0], position[..., 1], likelihood], axis=-1)
    return pd.DataFrame(data.reshape(n_frames, -1), columns=columns)


def write_dlc(
    path: Path, position: np.ndarray, likelihood: np.ndarray | None = None, keypoints=KEYPOINTS
) -> Path:
    """Write a DeepLabCut .csv or .h5 (by suffix)."""
    table = dlc_table(position, likelihood, keypoints)
    if path.suffix == ".h5":
        table.to_hdf(path, key="df_with_missing", mode="w")
    else:
        table.to_csv(path)
    return path


def make_project(
    root: Path,
    n_videos: int,
    *,
    seconds: float = 30.0,
    fps: float = 30.0,
    seed: int = 0,
    fps_column: bool = True,
) -> Path:
    """A project folder with DLC pose files and a manifest (pose + fps columns, no videos)."""
    rng = np.random.default_rng(seed)
    (root / "pose").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n_videos):
        position, _ = two_behaviour_trajectory(round(seconds * fps), fps, rng)
        write_dlc(root / "pose" / f"v{i}DLC_sim.csv", position)
        row = {
            "video": f"videos/v{i}.mp4",
            "mouse_id": f"m{i}",
            "condition": "SNI",
            "timepoint": "D0" if i % 2 else "D7",
            "pose": f"pose/v{i}DLC_sim.csv",
        }
        if fps_column:
            row["fps"] = str(fps)
        rows.append(row)
    pd.DataFrame(rows).to_csv(root / "manifest.csv", index=False)
    return root / "manifest.csv"
