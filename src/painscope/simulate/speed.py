"""Rendering speed of the simulator: ``python -m painscope.simulate.speed [n_frames]``.

Pin it to one core for a per-core figure: ``taskset -c 0 python -m painscope.simulate.speed``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from painscope.simulate.dataset import VideoSpec, _seed, simulate_pose, simulate_video
from painscope.simulate.render import Camera, make_rig


def measure(n_frames: int = 1800, *, fps: float = 30.0) -> dict[str, float]:
    """Frames per second for the ground truth alone and for a whole written video."""
    spec = VideoSpec("speed", "m001", 1, "SNI", "D7")
    start = time.perf_counter()
    simulate_pose(spec, n_frames=n_frames, fps=fps)
    pose_s = time.perf_counter() - start
    camera = Camera()
    rig = make_rig(camera, np.random.default_rng(_seed(0, 0)))
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        simulate_video(spec, Path(tmp), camera=camera, rig=rig, n_frames=n_frames, fps=fps)
        video_s = time.perf_counter() - start
    return {"pose_fps": n_frames / pose_s, "video_fps": n_frames / video_s, "fps": fps}


if __name__ == "__main__":
    result = measure(int(sys.argv[1]) if len(sys.argv) > 1 else 1800)
    print(
        f"ground truth only: {result['pose_fps']:.0f} frames/s; whole video (pose, render, "
        f"H.264, pose/label files) at 256x128: {result['video_fps']:.0f} frames/s = "
        f"{result['video_fps'] / result['fps']:.1f}x real time at {result['fps']:g} fps"
    )
