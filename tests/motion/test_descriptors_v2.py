"""Version-2 descriptors: the faint (lifted-paw) band, scale-free sizes, model input kind,
and stores of an older motion design being redone."""

from __future__ import annotations

import numpy as np
import pytest

from painscope.baselines.logistic import row_kind
from painscope.motion import DESCRIPTOR_COLUMNS, MOTION_VERSION
from painscope.motion.descriptors import clip_descriptors, kinematics
from painscope.motion.segment import Segmenter
from painscope.motion.source import model_input
from tests.motion.test_motion import ellipse_frame


def _with_paw(paw_grey: int) -> np.ndarray:
    image = ellipse_frame(100.0, 60.0, 30, 12, 0.0, noise=1.0).astype(np.int16)
    yy, xx = np.mgrid[:120, :200]
    image[(xx - 80) ** 2 + (yy - 70) ** 2 <= 16] = paw_grey  # a paw of radius 4 px under the body
    return np.clip(image, 0, 255).astype(np.uint8)


def test_a_lifted_paw_is_faint_a_pressed_one_is_not():
    seg = Segmenter(np.full((120, 200), 180.0, dtype=np.float32), step=1)
    pressed = seg.find(_with_paw(170))  # nearly floor-bright: under 35 % of the body's contrast
    lifted = seg.find(_with_paw(110))  # half way between fur (40) and floor (180)
    plain = seg.find(ellipse_frame(100.0, 60.0, 30, 12, 0.0, noise=1.0))
    assert pressed is not None and lifted is not None and plain is not None
    assert lifted.faint_share > pressed.faint_share + 0.02
    assert lifted.faint_share > plain.faint_share + 0.02
    assert 0.0 <= plain.faint_share < 0.1  # only the anti-aliased rim


def _descriptors(scale: float) -> np.ndarray:
    n, fps = 60, 20.0
    t = np.arange(n) / fps
    x = 50 + scale * np.where(np.arange(n) < 30, 0.0, 20.0 * (t - 1.5))  # still, then walks
    xy = np.column_stack([x, np.full(n, 60.0)])
    major, minor = np.full(n, 40.0 * scale), np.full(n, 16.0 * scale)
    major[40:50] *= 0.7  # a curled stretch
    area = np.pi * major * minor / 4
    energy = np.r_[np.nan, np.full(n - 1, 0.05)] * area
    kin = kinematics(t, xy, area, major, np.zeros(n), energy)
    kin["faint_share"] = np.full(n, 0.05)
    return clip_descriptors([(0, 30), (30, 60)], xy, area, major, minor, np.ones(n, bool), kin)


def test_descriptors_do_not_depend_on_the_camera_scale():
    near, far = _descriptors(2.0), _descriptors(1.0)
    np.testing.assert_allclose(near, far, rtol=1e-4, atol=1e-5)
    d = {c: j for j, c in enumerate(DESCRIPTOR_COLUMNS)}
    assert near[1, d["curl_share"]] == pytest.approx(10 / 30)
    assert near[0, d["locomotion_share"]] == 0.0 and near[1, d["locomotion_share"]] > 0.9
    assert near[1, d["speed_median"]] == pytest.approx(20.0 / 40.0, rel=0.05)  # BL/s


def test_model_input_is_real_valued_not_a_composition():
    seq = model_input(_descriptors(1.0), list(DESCRIPTOR_COLUMNS))
    assert np.isfinite(seq).all() and seq.min() < 0  # log of a still mouse's speed
    assert row_kind([seq]) == "general"


def test_a_store_of_an_older_motion_design_is_redone(tmp_path):
    from painscope.features.pipeline import is_done
    from painscope.features.store import VideoFeatures, write_features

    video = tmp_path / "a.mp4"
    video.write_bytes(b"x")
    stat = video.stat()
    base = {"config_hash": "k", "video_size": stat.st_size, "video_mtime": stat.st_mtime}
    for version, done in ((MOTION_VERSION, True), (MOTION_VERSION - 1, False)):
        meta = {**base, "video_id": "a", "motion_version": version}
        feats = VideoFeatures(tokens=np.zeros((2, 1, 1, 4), np.float16),
                              response=np.zeros((2, 1, 1), np.float32), clips=np.zeros((2, 4)),
                              meta=meta, motion=np.zeros((2, 3), np.float32))  # fmt: skip
        path = tmp_path / f"v{version}.safetensors"
        write_features(path, feats)
        assert is_done(path, "k", video) is done
