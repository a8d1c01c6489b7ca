"""A picture of simulated frames with their ground-truth landmarks overlaid.

``python -m painscope.simulate.preview docs/images/simulated_frame.png`` makes the
figure in docs/simulate.md: one row per (view, behaviour), frames enlarged, each
landmark drawn as a coloured dot.
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from painscope.simulate.behaviour import STATE_INDEX
from painscope.simulate.body import INDEX, LANDMARKS
from painscope.simulate.dataset import VideoSpec, _seed, _video_rngs, simulate_pose
from painscope.simulate.render import Camera, FrameRenderer, add_clutter, make_rig, sample_lighting

# One colour per landmark (RGB): head warm, paws green/blue, body and tail yellow.
COLORS = {
    "snout": (255, 40, 40),
    "left_ear": (255, 140, 0),
    "right_ear": (255, 200, 0),
    "neck": (255, 90, 200),
    "left_forepaw": (0, 200, 0),
    "right_forepaw": (120, 255, 120),
    "body_center": (255, 255, 0),
    "left_hindpaw": (0, 90, 255),
    "right_hindpaw": (0, 220, 255),
    "tail_base": (180, 0, 255),
    "tail_mid": (220, 120, 255),
    "tail_tip": (255, 255, 255),
}


def overlay(frame: np.ndarray, xy: np.ndarray, *, zoom: int = 3) -> np.ndarray:
    """``frame`` (H, W, 3) enlarged ``zoom`` times with the 12 landmarks ``xy`` (12, 2) drawn."""
    big = cv2.resize(frame, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
    for name, i in INDEX.items():
        c = (round(float(xy[i, 0]) * zoom), round(float(xy[i, 1]) * zoom))
        cv2.circle(big, c, zoom + 2, (0, 0, 0), -1)
        cv2.circle(big, c, zoom + 1, COLORS[name], -1)
    return big


def _save_small_png(image: np.ndarray, path: Path, n_colors: int = 32) -> None:
    """Save RGB ``image`` as a palette PNG: frame colours reduced, landmark colours exact."""
    from PIL import Image

    marks = np.zeros(image.shape[:2], bool)
    for color in (*COLORS.values(), (0, 0, 0)):
        marks |= np.all(image == np.array(color, np.uint8), axis=-1)
    reduced = np.asarray(
        Image.fromarray(image).quantize(colors=n_colors, dither=Image.Dither.NONE).convert("RGB")
    ).copy()
    reduced[marks] = image[marks]
    colors, index = np.unique(reduced.reshape(-1, 3), axis=0, return_inverse=True)
    out = Image.fromarray(index.reshape(image.shape[:2]).astype(np.uint8), mode="P")
    out.putpalette(colors.astype(np.uint8).ravel().tolist())
    out.save(path, optimize=True)


def example_frame(
    view: str, condition: str, timepoint: str, behaviour: str, *, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A rendered frame (H, W, 3) in the middle of a ``behaviour`` bout, and its landmarks."""
    camera = Camera(view=view)
    fps, n_frames = 30.0, 1800
    for mouse in range(1, 40):
        spec = VideoSpec("preview", f"m{mouse:03d}", mouse, condition, timepoint)
        sim = simulate_pose(spec, n_frames=n_frames, fps=fps, seed=seed)
        hits = np.flatnonzero(sim.states == STATE_INDEX[behaviour])
        if len(hits) > 2 * fps:
            t = int(hits[len(hits) // 2])
            break
    else:
        raise RuntimeError(f"no {behaviour} bout found for {condition} {timepoint}")
    *_, rng_clutter, rng_light, rng_noise = _video_rngs(seed, spec)
    background = add_clutter(
        make_rig(camera, np.random.default_rng(_seed(seed, 0))), camera, rng_clutter
    )
    renderer = FrameRenderer(background, camera, sample_lighting(rng_light), rng_noise)
    xy, scale = camera.project(sim.points[t])
    paw_z = sim.points[t, [INDEX[n] for n in LANDMARKS if n.endswith("paw")], 2]
    frame = renderer.render(t / fps, xy, float(scale[INDEX["body_center"]]), paw_z, sim.traits)
    return frame, xy


def make_figure(path: Path) -> Path:
    """Write the docs figure: bottom view grooming, licking, guarding; side view rearing."""
    panels = []
    for view, condition, timepoint, behaviour in (
        ("bottom", "control", "D7", "grooming"),
        ("bottom", "formalin", "1min", "licking"),
        ("bottom", "SNI", "D7", "guarding"),
        ("side", "control", "D0", "rearing"),
    ):
        frame, xy = example_frame(view, condition, timepoint, behaviour)
        big = overlay(frame, xy, zoom=2)
        label = f"{view} view - {condition} {timepoint} - {behaviour}"
        cv2.putText(big, label, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        panels.append(big)
    grid = np.vstack([np.hstack(panels[:2]), np.hstack(panels[2:])])
    path.parent.mkdir(parents=True, exist_ok=True)
    _save_small_png(grid, path)
    return path


if __name__ == "__main__":
    print(make_figure(Path(sys.argv[1] if len(sys.argv) > 1 else "simulated_frame.png")))
