"""Writers: DeepLabCut pose files are byte-stable; H.264 round trip."""

from __future__ import annotations

import time

import av
import numpy as np
import pandas as pd

from painscope.simulate.body import LANDMARKS
from painscope.simulate.writer import H264Writer, _clear_hdf5_timestamps, write_dlc_pose


def test_pose_files_are_byte_identical_across_time(tmp_path):
    xy = np.random.default_rng(0).uniform(0, 100, (20, 12, 2))
    first = write_dlc_pose(tmp_path / "a" / "v", xy, LANDMARKS)
    time.sleep(1.1)  # HDF5 timestamps have one-second resolution
    second = write_dlc_pose(tmp_path / "b" / "v", xy, LANDMARKS)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    assert _clear_hdf5_timestamps(first[0]) == 0
    np.testing.assert_allclose(
        pd.read_hdf(first[0]).to_numpy().reshape(20, 12, 3)[..., :2], np.round(xy, 3)
    )


def test_h264_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    frames = np.repeat(rng.integers(0, 255, (5, 16, 32, 1), dtype=np.uint8), 3, axis=-1)
    frames = np.kron(frames, np.ones((1, 2, 2, 1), np.uint8))  # (5, 32, 64, 3), smooth blocks
    with H264Writer(tmp_path / "v.mp4", 64, 32, 30.0, crf=0) as writer:
        for frame in frames:
            writer.write(frame)
    with av.open(str(tmp_path / "v.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        decoded = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(stream)])
    assert decoded.shape == frames.shape
    assert np.abs(decoded.astype(int) - frames).mean() < 8


def test_failed_write_leaves_no_file(tmp_path):
    path = tmp_path / "v.mp4"
    try:
        with H264Writer(path, 32, 32, 30.0) as writer:
            writer.write(np.zeros((32, 32, 3), np.uint8))
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert not path.exists() and not list(tmp_path.iterdir())
