"""The silhouette track of a real video against an independent tracker (DeepLabCut)."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = [pytest.mark.data, pytest.mark.slow]  # about 10 s on a quiet core

N_FRAMES = 900  # the first 30 s keep the test to seconds


def test_open_field_centroid_lies_on_the_dlc_body_centre(shared_data):
    import pandas as pd

    from painscope.io.video import iter_frames
    from painscope.motion import TRACK_COLUMNS, MotionTracker
    from painscope.motion.figure import video_median

    folder = shared_data / "deeplabcut_openfield"
    video = folder / "videos" / "m3v1mp4.mp4"
    pose = folder / "poses_from_ethome" / "openfield_dlc_inference_example.csv"
    if not video.exists() or not pose.exists():
        pytest.skip("DeepLabCut open-field video or its pose file is absent")
    tracker = MotionTracker(video_median(video, max_frames=N_FRAMES))
    for frame in iter_frames(video, color="gray"):
        if frame.index >= N_FRAMES:
            break
        tracker.push(frame)
    track = tracker.track()
    col = {c: i for i, c in enumerate(TRACK_COLUMNS)}
    table = pd.read_csv(pose, header=[0, 1, 2], index_col=0).droplevel(0, axis=1)
    ears_x = (table[("leftear", "x")] + table[("rightear", "x")]) / 2
    ears_y = (table[("leftear", "y")] + table[("rightear", "y")]) / 2
    body = np.column_stack(
        [(ears_x + table[("tailbase", "x")]) / 2, (ears_y + table[("tailbase", "y")]) / 2]
    )[:N_FRAMES]  # (n, 2) px: midpoint of the ears' centre and the tail base
    error = np.hypot(*(track[:, [col["x"], col["y"]]] - body).T)  # (n,) px
    assert track[:, col["found"]].mean() > 0.99
    assert np.median(error) < 6.0  # a 640 x 480 video; the mouse's body is about 120 px long
    assert np.percentile(error, 75) < 10.0
