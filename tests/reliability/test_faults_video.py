"""Fault campaign, videos: any bit depth decodes right; broken files name the file and fix."""

from __future__ import annotations

import os

import av
import numpy as np
import pytest

from painscope.background.median import temporal_median
from painscope.errors import VideoError
from painscope.io.video import encode_frames, iter_frames, probe
from tests.fixtures.faults import BROKEN_VIDEO_CASES, VALID_VIDEO_CASES, bad_videos, textured_rgb
from tests.fixtures.faults import write_depth_video as write_depth


def _gray_stack(path, color="gray") -> np.ndarray:
    return np.stack([f.image for f in iter_frames(path, color=color)])


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return bad_videos(tmp_path_factory.mktemp("videos"))


@pytest.mark.parametrize(
    ("pix_fmt", "codec"),
    [
        ("yuv420p10le", "libx264"),
        ("yuv420p10le", "ffv1"),
        ("yuv422p12le", "ffv1"),
        ("yuv444p16le", "ffv1"),
    ],
)
def test_high_bit_depth_background_matches_8bit_twin(tmp_path, pix_fmt, codec):
    rgb = textured_rgb(9)
    eight = write_depth(tmp_path / "eight.mkv", rgb, pix_fmt="yuv420p", codec=codec)
    deep = write_depth(tmp_path / "deep.mkv", rgb, pix_fmt=pix_fmt, codec=codec)
    frames8, frames_deep = _gray_stack(eight), _gray_stack(deep)
    assert frames_deep.dtype == np.uint8 and frames_deep.shape == frames8.shape == (9, 48, 64)
    bg8, bg_deep = temporal_median(frames8), temporal_median(frames_deep)
    assert abs(float(bg8.mean()) - float(bg_deep.mean())) < 1.0
    assert float(np.abs(bg8 - bg_deep).max()) <= 1.0


@pytest.mark.parametrize("pix_fmt", ["gray16le", "gray10le", "rgb48le"])
def test_other_deep_formats_match_their_8bit_twin(tmp_path, pix_fmt):
    rgb = textured_rgb(5)
    twin_fmt = "bgr0" if pix_fmt.startswith("rgb") else "gray"
    eight = write_depth(tmp_path / "eight.mkv", rgb, pix_fmt=twin_fmt)
    deep = write_depth(tmp_path / "deep.mkv", rgb, pix_fmt=pix_fmt)
    diff = np.abs(_gray_stack(eight).astype(int) - _gray_stack(deep).astype(int))
    assert diff.max() <= 1


def test_ten_bit_rgb_matches_8bit_twin(tmp_path):
    rgb = textured_rgb(3)
    eight = write_depth(tmp_path / "eight.mkv", rgb, pix_fmt="yuv444p")
    deep = write_depth(tmp_path / "deep.mkv", rgb, pix_fmt="yuv444p10le")
    a, b = _gray_stack(eight, "rgb").astype(int), _gray_stack(deep, "rgb").astype(int)
    assert a.shape == b.shape == (3, 48, 64, 3)
    assert np.abs(a - b).max() <= 2


@pytest.mark.parametrize("name", BROKEN_VIDEO_CASES)
def test_broken_video_is_a_video_error_naming_the_file(cases, name):
    with pytest.raises(VideoError) as info:
        list(iter_frames(cases[name]))
    assert str(cases[name]) in str(info.value)
    assert info.value.fix


def test_directory_gets_no_reencode_advice(cases):
    with pytest.raises(VideoError, match="is a directory") as info:
        probe(cases["directory"])
    assert "re-encode" not in str(info.value)


def test_permission_denied_gets_no_reencode_advice(cases, monkeypatch):
    def refuse(*args, **kwargs):
        raise av.error.PermissionError(13, "Permission denied")

    monkeypatch.setattr(av, "open", refuse)
    with pytest.raises(VideoError, match="permission denied") as info:
        probe(cases["ten_bit"])
    assert "re-encode" not in str(info.value)
    assert "permissions" in (info.value.fix or "")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files of mode 000")
def test_unreadable_file_is_permission_denied(cases):
    with pytest.raises(VideoError, match="permission denied") as info:
        probe(cases["unreadable"])
    assert "re-encode" not in str(info.value)


@pytest.mark.parametrize("name", VALID_VIDEO_CASES)
def test_unusual_but_valid_videos_decode(cases, name):
    frames = _gray_stack(cases[name])
    info = probe(cases[name])
    assert frames.dtype == np.uint8
    assert frames.shape[1:] == (info.height, info.width)
    assert frames.shape[0] == 12
    # the moving square (value 250 in 8 bits) is bright in every depth
    assert frames.max() >= 200


def test_rotation_tag_is_reported_not_applied(tmp_path):
    rgb = textured_rgb(3)
    path = tmp_path / "rotated.mp4"
    container = av.open(str(path), "w")
    stream = container.add_stream("libx264", rate=10)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    stream.set_display_rotation(90)
    encode_frames(container, stream, rgb)
    container.close()
    info = probe(path)
    assert abs(info.rotation_deg) == 90
    assert _gray_stack(path).shape == (3, 48, 64)  # as stored
