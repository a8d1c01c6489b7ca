from __future__ import annotations

import numpy as np
import pytest
import torch

from painscope.clips.transforms import output_geometry, prepare_clip
from painscope.clips.windows import ClipSampler
from painscope.io.video import Frame


def run_sampler(times, clip_seconds=1.5, frames_per_clip=32, fps=0.0):
    sampler = ClipSampler(clip_seconds, frames_per_clip)
    clips = []
    for i, t in enumerate(times):
        clips += sampler.push(Frame(i, float(t), np.full((2, 2), i % 256, dtype=np.uint8)))
    clips += sampler.finish(fps)
    return clips, sampler


def test_five_minutes_at_30fps_gives_200_clips():
    clips, sampler = run_sampler(np.arange(9000) / 30)
    assert len(clips) == 200
    assert sampler.duration_s() == pytest.approx(300.0)
    first, last = clips[0][0], clips[-1][0]
    assert (first.start_frame, first.end_frame) == (0, 45)
    assert (last.start_frame, last.end_frame) == (8955, 9000)
    assert (last.start_s, last.end_s) == (pytest.approx(298.5), pytest.approx(300.0))
    for record, frames in clips:
        idx = record.frame_indices
        assert len(idx) == 32 == len(frames)
        assert len(set(idx)) == 32  # 45 frames, 32 distinct samples
        assert record.start_frame <= min(idx) and max(idx) < record.end_frame
        assert frames[0][0, 0] == idx[0] % 256


def test_25fps_and_16_frames():
    clips, _ = run_sampler(np.arange(25 * 6) / 25, frames_per_clip=16)
    assert len(clips) == 4
    rec = clips[1][0]
    assert rec.start_frame == 38 and rec.end_frame == 75  # 1.5 s = frame 37.5
    assert list(rec.frame_indices) == sorted(rec.frame_indices)


def test_short_video_gives_fewer_clips_and_too_short_gives_none():
    clips, _ = run_sampler(np.arange(100) / 30)  # 3.33 s
    assert len(clips) == 2
    clips, sampler = run_sampler(np.arange(30) / 30)  # 1.0 s
    assert clips == [] and sampler.duration_s() == pytest.approx(1.0)


def test_variable_frame_rate_samples_by_time():
    # 10 fps for 1.5 s then 100 fps: samples follow time, not frame counts
    times = np.concatenate([np.arange(15) / 10, 1.5 + np.arange(150) / 100])
    clips, _ = run_sampler(times, frames_per_clip=6)
    assert len(clips) == 2
    slow, fast = clips[0][0], clips[1][0]
    assert slow.frame_indices == (1, 3, 6, 8, 11, 13)  # 0.125 s, 0.375 s, ... at 10 fps
    assert fast.start_frame == 15
    sample_times = [times[i] for i in fast.frame_indices]
    assert np.allclose(sample_times, 1.5 + (np.arange(6) + 0.5) * 0.25, atol=0.011)


def test_low_frame_rate_repeats_frames():
    clips, _ = run_sampler(np.arange(30) / 10, frames_per_clip=32)  # 10 fps
    assert len(clips) == 2
    assert len(set(clips[0][0].frame_indices)) == 15


@pytest.mark.parametrize(
    ("mode", "scaled", "canvas"),
    [
        ("pad", (112, 224), (224, 224)),
        ("fit", (224, 448), (224, 448)),
        ("stretch", (224, 224), (224, 224)),
    ],
)
def test_geometry_for_a_2_to_1_cage(mode, scaled, canvas):
    assert output_geometry(500, 1000, mode, 224) == (scaled, canvas)


def test_pad_keeps_the_whole_field_of_view():
    frames = [np.zeros((50, 100), dtype=np.uint8) for _ in range(2)]
    for f in frames:
        f[:, :3] = 255  # content at the left edge
        f[:, -3:] = 255  # and at the right edge
    clip = prepare_clip(
        frames,
        background=None,
        difference="absolute",
        resize="pad",
        input_size=64,
        mean=(0, 0, 0),
        std=(1, 1, 1),
    )
    assert clip.shape == (3, 2, 64, 64)
    image = clip[0, 0]
    assert image[16:48, 0].min() > 0.5 and image[16:48, -1].min() > 0.5  # edges kept
    assert image[:15].abs().max() == 0 and image[49:].abs().max() == 0  # padding rows are 0
    assert torch.equal(clip[0], clip[1]) and torch.equal(clip[1], clip[2])  # gray → 3 channels


def test_background_subtraction_and_normalisation():
    frames = [np.full((8, 8), 110, dtype=np.uint8)]
    bg = np.full((8, 8), 100.0, dtype=np.float32)
    clip = prepare_clip(
        frames,
        background=bg,
        difference="absolute",
        resize="stretch",
        input_size=8,
        mean=(0.5, 0.5, 0.5),
        std=(0.25, 0.25, 0.25),
    )
    assert torch.allclose(clip, torch.full_like(clip, (10 / 255 - 0.5) / 0.25))


def test_rgb_frames_keep_channels():
    frame = np.zeros((4, 4, 3), dtype=np.uint8)
    frame[..., 1] = 255
    clip = prepare_clip(
        [frame],
        background=None,
        difference="absolute",
        resize="stretch",
        input_size=4,
        mean=(0, 0, 0),
        std=(1, 1, 1),
        normalize=False,
    )
    assert clip[1].min() == 1.0 and clip[0].max() == 0.0 and clip[2].max() == 0.0
