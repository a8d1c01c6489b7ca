"""The motion method: segmentation, track, descriptors, stores, extract wiring, source."""

from __future__ import annotations

import numpy as np
import pytest

from painscope.clips.windows import ClipRecord
from painscope.io.video import Frame
from painscope.motion import DESCRIPTOR_COLUMNS, TRACK_COLUMNS, MotionTracker
from painscope.motion.segment import Segmenter, blob_geometry

COL = {c: i for i, c in enumerate(TRACK_COLUMNS)}


def ellipse_frame(
    cx: float, cy: float, a: float, b: float, angle_deg: float, *, shape=(120, 200),
    floor: int = 180, mouse: int = 40, tail: bool = False, noise: float = 2.0, seed: int = 0,
) -> np.ndarray:  # fmt: skip
    """A filled ellipse (semi-axes a, b px, angle from +x) on a noisy uniform floor."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[: shape[0], : shape[1]].astype(np.float64)
    t = np.radians(angle_deg)
    u = (xx - cx) * np.cos(t) + (yy - cy) * np.sin(t)
    v = -(xx - cx) * np.sin(t) + (yy - cy) * np.cos(t)
    image = np.full(shape, float(floor)) + rng.normal(0, noise, shape)
    image[(u / a) ** 2 + (v / b) ** 2 <= 1] = mouse
    if tail:  # a 2-px-wide tail leaving the rear end along the axis
        image[(u < -a) & (u > -2.2 * a) & (np.abs(v) <= 1.0)] = mouse
    return np.clip(image, 0, 255).astype(np.uint8)


@pytest.mark.parametrize(("floor", "mouse"), [(180, 40), (12, 150)])  # dark-on-light, IR
def test_segmenter_finds_centroid_axes_and_orientation(floor, mouse):
    background = np.full((120, 200), float(floor), dtype=np.float32)
    seg = Segmenter(background, step=1)
    blob = seg.find(ellipse_frame(80.0, 50.0, 24, 10, 30.0, floor=floor, mouse=mouse))
    assert blob is not None
    assert blob.x == pytest.approx(80.0, abs=0.5) and blob.y == pytest.approx(50.0, abs=0.5)
    assert blob.area == pytest.approx(np.pi * 24 * 10, rel=0.08)
    assert blob.major == pytest.approx(48, rel=0.08) and blob.minor == pytest.approx(20, rel=0.1)
    assert blob.orientation == pytest.approx(30.0, abs=2.0)


def test_reduced_grid_maps_back_to_original_pixels():
    background = np.full((120, 200), 180.0, dtype=np.float32)
    frame = ellipse_frame(123.0, 71.0, 20, 9, -45.0)
    exact = Segmenter(background, step=1).find(frame)
    coarse = Segmenter(background, step=4).find(frame)
    assert exact is not None and coarse is not None
    assert coarse.x == pytest.approx(exact.x, abs=1.0) and coarse.y == pytest.approx(
        exact.y, abs=1.0
    )
    assert coarse.area == pytest.approx(exact.area, rel=0.15)


@pytest.mark.parametrize(("shape", "step"), [((1024, 1280), 7), ((101, 203), 3), ((64, 64), 4)])
def test_reduction_reads_the_crop_in_place(shape, step):
    """The area reduction of a cropped view equals that of a contiguous copy, bit for bit."""
    import cv2

    rng = np.random.default_rng(step)
    seg = Segmenter(np.zeros(shape, np.float32), step=step)
    h, w = shape[0] // step, shape[1] // step
    for image in (rng.integers(0, 256, shape, dtype=np.uint8), rng.random(shape, np.float32)):
        copy = np.ascontiguousarray(image[: h * step, : w * step])
        expected = cv2.resize(copy, (w, h), interpolation=cv2.INTER_AREA)
        got = seg._reduce(image)
        assert got.shape == (h, w) and got.dtype == image.dtype
        assert np.array_equal(got, expected)


def test_tail_and_soft_shadow_do_not_pull_the_centroid():
    background = np.full((120, 200), 180.0, dtype=np.float32)
    frame = ellipse_frame(100.0, 60.0, 20, 10, 0.0, tail=True).astype(np.float64)
    frame[75:85, 85:115] -= 30  # a soft shadow below the body
    blob = Segmenter(background, step=1).find(np.clip(frame, 0, 255).astype(np.uint8))
    assert blob is not None
    assert blob.x == pytest.approx(100.0, abs=1.0) and blob.y == pytest.approx(60.0, abs=1.0)


def test_geometry_of_a_square():
    mask = np.zeros((10, 10), dtype=bool)
    mask[2:6, 4:8] = True  # 4 x 4 px, centre (5.5, 3.5)
    blob = blob_geometry(mask)
    assert (blob.x, blob.y, blob.area) == (pytest.approx(5.5), pytest.approx(3.5), 16.0)


def _records(n_frames: int, per_clip: int, fps: float) -> list[ClipRecord]:
    return [
        ClipRecord(i, i * per_clip, (i + 1) * per_clip, i * per_clip / fps,
                   (i + 1) * per_clip / fps, ())
        for i in range(n_frames // per_clip)
    ]  # fmt: skip


def test_tracker_speed_immobility_and_missing_frames():
    fps, n = 20.0, 80
    background = np.full((120, 200), 180.0, dtype=np.float32)
    tracker = MotionTracker(background)
    for i in range(n):
        if i < 40:  # still for 2 s, then walks right at 40 px/s
            image = ellipse_frame(60.0, 60.0, 20, 9, 0.0, seed=i)
        else:
            image = ellipse_frame(60.0 + 2.0 * (i - 40), 60.0, 20, 9, 0.0, seed=i)
        if i in (50, 51):  # the mouse vanishes (e.g. occluded): interpolated, flagged
            image = np.full((120, 200), 180, dtype=np.uint8)
        tracker.push(Frame(i, i / fps, image))
    out = tracker.finish(_records(n, 20, fps))
    track, motion = out["motion_track"], out["motion"]
    assert track.shape == (n, len(TRACK_COLUMNS)) and motion.shape == (4, len(DESCRIPTOR_COLUMNS))
    assert track[50, COL["found"]] == 0 and track[49, COL["found"]] == 1
    assert track[50, COL["x"]] == pytest.approx(80.0, abs=1.0)  # interpolated position
    d = {c: j for j, c in enumerate(DESCRIPTOR_COLUMNS)}
    body = float(np.median(track[:, COL["major"]]))  # px: speeds are in body lengths
    assert body == pytest.approx(40.0, rel=0.1)
    assert motion[0, d["speed_median"]] < 2.0 / body and motion[0, d["immobile_share"]] > 0.9
    assert motion[3, d["speed_median"]] == pytest.approx(40.0 / body, rel=0.1)
    assert motion[0, d["locomotion_share"]] == 0.0 and motion[3, d["locomotion_share"]] > 0.9
    assert motion[3, d["immobile_share"]] < 0.1
    assert motion[2, d["missing_share"]] == pytest.approx(0.1)
    assert motion[3, d["net_displacement"]] == pytest.approx(38.0 / body, abs=3.0 / body)
    # a uniform ellipse: the same shape throughout, nothing curled, nothing faint inside
    assert motion[:, d["area_rel"]] == pytest.approx(1.0, abs=0.05)
    assert motion[:, d["elongation_rel"]] == pytest.approx(1.0, abs=0.05)
    assert motion[:, d["curl_share"]].max() == 0.0
    assert motion[:, d["faint_mean"]].max() < 0.3


def test_track_csv_and_summary_units(tmp_path):
    from painscope.motion.store import read_summary, read_track, save_video_motion

    track = np.zeros((30, len(TRACK_COLUMNS)))
    track[:, COL["frame"]] = np.arange(30)
    track[:, COL["time_s"]] = np.arange(30) / 10
    track[:, COL["x"]] = np.arange(30) * 2.0  # 58 px in total
    track[:15, COL["immobile"]] = 1
    track[:, COL["found"]] = 1
    path = save_video_motion(tmp_path, "v1", track, pixels_per_cm=2.0)
    assert path == tmp_path / "cache" / "motion" / "v1.csv"
    header = path.read_text().splitlines()[0].split(",")
    assert header[:5] == ["frame", "time_s", "x", "y", "area"]
    np.testing.assert_allclose(read_track(path), track, atol=1e-3)
    save_video_motion(tmp_path, "v2", track)
    rows = {r["video_id"]: r for r in read_summary(tmp_path / "cache" / "motion" / "summary.csv")}
    assert rows["v1"]["distance_cm"] == pytest.approx(29.0, abs=0.1)
    assert rows["v2"]["distance_px"] == pytest.approx(58.0, abs=0.2)
    assert rows["v1"]["immobile_percent"] == pytest.approx(50.0)


def test_store_keeps_motion_and_reads_old_files(tmp_path):
    from painscope.features.store import VideoFeatures, read_features, write_features

    tokens = np.zeros((3, 2, 2, 4), np.float16)
    base = dict(tokens=tokens, response=np.zeros((3, 2, 2), np.float32),
                clips=np.zeros((3, 4)), meta={"video_id": "a"})  # fmt: skip
    write_features(tmp_path / "old.safetensors", VideoFeatures(**base))
    assert read_features(tmp_path / "old.safetensors").motion is None
    motion = np.arange(3 * 5, dtype=np.float32).reshape(3, 5)
    write_features(tmp_path / "new.safetensors", VideoFeatures(**base, motion=motion))
    np.testing.assert_array_equal(read_features(tmp_path / "new.safetensors").motion, motion)
    with pytest.raises(ValueError, match="motion"):
        write_features(tmp_path / "bad.safetensors", VideoFeatures(**base, motion=motion[:2]))


def test_extract_writes_track_descriptors_and_the_source_reads_them(tmp_path, tiny_config):
    from painscope.config import ProjectConfig
    from painscope.config.train import TrainConfig
    from painscope.features.extract import extract
    from painscope.features.store import read_features
    from painscope.manifest import read_manifest
    from painscope.train.methods import build_sources
    from painscope.train.sources import source_from_spec
    from tests.fixtures.videos import blob_frames, make_project

    frames, corners = blob_frames(40, 64, 128, size=12)
    project = make_project(tmp_path, {"a.mkv": frames})
    summary = extract(project, tiny_config)
    assert summary.results[0].status == "done"
    feats = read_features(summary.features_dir / "videos__a.safetensors")
    assert feats.motion is not None and feats.motion.shape == (4, len(DESCRIPTOR_COLUMNS))
    assert feats.meta["motion_columns"] == list(DESCRIPTOR_COLUMNS)
    from painscope.motion.store import read_track

    track = read_track(tmp_path / "cache" / "motion" / "videos__a.csv")
    assert len(track) == 40 and track[:, COL["found"]].all()
    np.testing.assert_allclose(track[:, COL["x"]], corners[:, 1] + 5.5, atol=0.75)
    assert (tmp_path / "cache" / "motion" / "summary.csv").exists()

    config = ProjectConfig(extract=tiny_config)
    (source,) = build_sources(project, config, ["motion"], TrainConfig())
    entry = read_manifest(project / "manifest.csv", check_files=False).entries[0]
    seq = source.sequence(entry)
    assert seq.shape == (4, len(DESCRIPTOR_COLUMNS)) and seq.dtype == np.float32
    rebuilt = source_from_spec(source.spec, project)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(rebuilt.sequence(entry), seq)


def test_a_mouse_resting_most_of_the_video_is_found_by_the_second_pass():
    """At its resting place the mouse is part of the median; the floor percentile is not."""
    fps, n = 20.0, 100
    frames = [ellipse_frame(60.0, 60.0, 20, 9, 0.0, seed=i) for i in range(70)]
    frames += [ellipse_frame(150.0, 60.0, 20, 9, 0.0, seed=i) for i in range(70, n)]
    median = np.median(np.stack(frames).astype(np.float32), axis=0)  # holds the resting mouse
    tracker = MotionTracker(median)
    for i, image in enumerate(frames):
        tracker.push(Frame(i, i / fps, image))
    track = tracker.finish(_records(n, 20, fps))["motion_track"]
    assert track[:, COL["found"]].all()
    np.testing.assert_allclose(track[:70, COL["x"]], 60.0, atol=1.0)
    np.testing.assert_allclose(track[70:, COL["x"]], 150.0, atol=1.0)
