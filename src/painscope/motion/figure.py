"""Overlay figure: frames of a video with the segmented silhouette, centroid and body axis.

Used for docs/images/motion_*.png (``python -m painscope.motion.figure VIDEO OUT.png``)
and to check a new rig's segmentation by eye.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np


def video_median(path: Path, max_frames: int = 0) -> np.ndarray:
    """Exact per-pixel temporal median of a video's brightness, (H, W) float32."""
    from painscope.background.median import MedianAccumulator
    from painscope.io.video import iter_frames, probe

    info = probe(path)
    acc = MedianAccumulator((info.height, info.width), expected_frames=info.n_frames)
    for frame in iter_frames(path, color="gray"):
        acc.update(frame.image)
        if max_frames and frame.index + 1 >= max_frames:
            break
    return acc.median()


def overlay_figure(
    path: Path | str,
    out: Path | str,
    *,
    n_panels: int = 3,
    title: str = "",
    reference: Sequence[tuple[float, float]] | None = None,
) -> Path:
    """Save ``n_panels`` evenly spaced frames with the silhouette outline, centroid and axis.

    reference : optional (x, y) per decoded frame (e.g. DLC body centre) drawn as a cross.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from painscope.io.video import iter_frames, probe

    path, out = Path(path), Path(out)
    info = probe(path)
    from painscope.motion.track import MotionTracker

    tracker = MotionTracker(video_median(path))
    for frame in iter_frames(path, color="gray"):
        tracker.push(frame)
    tracker.track()  # runs the second pass: the segmenter now holds the background it used
    seg = tracker.segmenter
    total = info.n_frames or 1
    wanted = {int(i) for i in np.linspace(0.1 * total, 0.9 * total, n_panels)}
    fig, axes = plt.subplots(
        1, n_panels, figsize=(3.2 * n_panels, 3.2 * info.height / info.width + 0.5)
    )
    axes = np.atleast_1d(axes)
    k = 0
    for frame in iter_frames(path, color="gray"):
        if frame.index not in wanted:
            continue
        ax = axes[k]
        k += 1
        ax.imshow(frame.image, cmap="gray", vmin=0, vmax=255)
        blob = seg.find(frame.image)
        if blob is not None:
            step = seg.step
            ax.contour(
                np.kron(blob.mask, np.ones((step, step))), levels=[0.5], colors="tab:orange",
                linewidths=1.0,
            )  # fmt: skip
            theta = np.radians(blob.orientation)
            dx, dy = np.cos(theta) * blob.major / 2, np.sin(theta) * blob.major / 2
            ax.plot([blob.x - dx, blob.x + dx], [blob.y - dy, blob.y + dy], color="tab:cyan", lw=1)
            ax.plot(blob.x, blob.y, "o", color="tab:red", ms=4, label="silhouette centroid")
        if reference is not None and frame.index < len(reference):
            rx, ry = reference[frame.index]
            ax.plot(rx, ry, "+", color="lime", ms=9, mew=2, label="pose body centre")
        ax.set_title(f"frame {frame.index}", fontsize=8)
        ax.set_axis_off()
        if k == n_panels:
            break
    handles, labels = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=7, frameon=False)
    fig.suptitle(title or path.name, fontsize=9)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out


if __name__ == "__main__":  # pragma: no cover - docs helper
    overlay_figure(sys.argv[1], sys.argv[2], title=" ".join(sys.argv[3:]))
