from __future__ import annotations

import numpy as np
import pytest

from painscope.errors import VideoError
from painscope.io.video import file_hash, frame_times, iter_frames, probe
from tests.fixtures.videos import write_video


def test_lossless_gray_roundtrip_exact(tmp_path, rng):
    frames = rng.integers(0, 256, (7, 24, 40), dtype=np.uint8)
    path = write_video(tmp_path / "g.mkv", frames, fps=25)
    decoded = list(iter_frames(path))
    assert [f.index for f in decoded] == list(range(7))
    assert np.array_equal(np.stack([f.image for f in decoded]), frames)
    assert np.allclose([f.time_s for f in decoded], np.arange(7) / 25)
    info = probe(path)
    assert (info.width, info.height) == (40, 24)
    assert info.fps == pytest.approx(25)


def test_rgb_and_odd_size(tmp_path, rng):
    frames = rng.integers(0, 256, (3, 37, 51, 3), dtype=np.uint8)
    path = write_video(tmp_path / "c.mkv", frames)
    rgb = np.stack([f.image for f in iter_frames(path, color="rgb")])
    assert rgb.shape == (3, 37, 51, 3)
    assert np.array_equal(rgb, frames)
    gray = next(iter_frames(path)).image
    assert gray.shape == (37, 51) and gray.dtype == np.uint8


def test_h264_luma_plane_is_brightness(tmp_path):
    # yuv420p: the decoder's Y plane is returned directly (row stride > width here)
    frames = np.full((4, 34, 46, 3), 128, dtype=np.uint8)
    path = write_video(tmp_path / "h.mp4", frames, codec="libx264")
    image = next(iter_frames(path)).image
    assert image.shape == (34, 46)
    assert abs(int(image.mean()) - 126) <= 3  # BT.601 limited-range luma of mid grey


def test_variable_frame_rate_uses_timestamps(tmp_path, rng):
    times = np.array([0.0, 0.033, 0.1, 0.5, 0.52, 1.0])
    frames = rng.integers(0, 256, (6, 16, 16), dtype=np.uint8)
    path = write_video(tmp_path / "vfr.mkv", frames, times_s=times)
    assert np.allclose(frame_times(path), times, atol=1e-3)


def test_random_bytes_named_mp4(tmp_path, rng):
    path = tmp_path / "noise.mp4"
    path.write_bytes(rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    with pytest.raises(VideoError, match=r"noise\.mp4.*not a readable video") as err:
        list(iter_frames(path))
    assert "ffmpeg" in (err.value.fix or "")


def test_empty_and_missing_files(tmp_path):
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(VideoError, match="empty"):
        probe(empty)
    with pytest.raises(VideoError, match="not found"):
        probe(tmp_path / "nope.mp4")


def test_zero_frame_video(tmp_path):
    import av

    path = tmp_path / "zero.mp4"
    container = av.open(str(path), "w")
    stream = container.add_stream("libx264", rate=30)
    stream.width, stream.height, stream.pix_fmt = 16, 16, "yuv420p"
    container.start_encoding()
    container.close()
    with pytest.raises(VideoError, match=r"zero\.mp4: (the file has no video stream|.*no frames)"):
        list(iter_frames(path))


def test_one_frame_video(tmp_path):
    path = write_video(tmp_path / "one.mkv", np.full((1, 8, 8), 77, dtype=np.uint8))
    frames = list(iter_frames(path))
    assert len(frames) == 1 and frames[0].image[0, 0] == 77


def test_truncated_h264_yields_only_intact_frames(tmp_path, rng):
    frames = rng.integers(0, 256, (60, 32, 32), dtype=np.uint8)
    path = write_video(tmp_path / "full.mkv", frames)
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    decoded = list(iter_frames(cut))
    assert 0 < len(decoded) < 60
    assert probe(cut).n_frames in (0, 60)


def test_file_hash_changes_with_content(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"x" * 10)
    b.write_bytes(b"x" * 9 + b"y")
    assert file_hash(a) != file_hash(b) and len(file_hash(a)) == 32


@pytest.mark.data
@pytest.mark.parametrize(
    ("relative", "size", "n_frames"),
    [
        ("vame_bottomup/cropped_video.mp4", (1070, 1064), 749),
        ("lupe_formalin/behavior_clips/walking.mp4", (384, 384), None),
        ("eztrack/Freezing_calibration.wmv", (240, 320), 298),
        ("deeplabcut_testvid/vid.avi", (374, 416), 256),
        ("deeplabcut_openfield/videos/m3v1mp4.mp4", (480, 640), 2330),
    ],
)
def test_real_videos_decode(shared_data, relative, size, n_frames):
    path = shared_data / relative
    if not path.exists():
        pytest.skip(f"{relative} absent")
    count = 0
    for frame in iter_frames(path):
        assert frame.image.shape == size
        count += 1
        if n_frames is None and count > 30:
            break
    if n_frames is not None:
        assert count == n_frames
