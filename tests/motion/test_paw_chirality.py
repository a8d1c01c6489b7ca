"""Version-3 descriptors: the left-right (chiral) asymmetry of the paws seen through the floor."""

from __future__ import annotations

import numpy as np
import pytest

from painscope.motion import DESCRIPTOR_COLUMNS
from painscope.motion.descriptors import clip_descriptors, kinematics
from painscope.motion.segment import Segmenter, blob_geometry, quadrant_signs
from tests.motion.test_motion import ellipse_frame


def _quadrant_mean(mask: np.ndarray) -> float:
    ys, xs = np.nonzero(mask)
    return float(quadrant_signs(xs, ys, blob_geometry(mask, fast=True).orientation).mean())


def test_quadrant_asymmetry_sign_is_kept_by_a_half_turn_and_negated_by_a_mirror():
    yy, xx = np.mgrid[:81, :121].astype(np.float64)
    u, v = (
        (xx - 60) * np.cos(0.4) + (yy - 40) * np.sin(0.4),
        -(xx - 60) * np.sin(0.4) + (yy - 40) * np.cos(0.4),
    )
    body = (u / 45) ** 2 + (v / 18) ** 2 <= 1
    assert abs(_quadrant_mean(body)) < 0.02  # mirror-symmetric about its axis
    # the rear-left quadrant (u < 0, v > 0: sign -1) missing: the +1 quadrants dominate
    notched = body & ~((u < 0) & (v > 0))
    d = _quadrant_mean(notched)
    assert d > 0.03  # the notch also moves the centroid and tilts the axis
    assert _quadrant_mean(np.rot90(notched, 2)) == pytest.approx(d, abs=1e-9)
    assert _quadrant_mean(np.flipud(notched)) == pytest.approx(-d, abs=1e-9)
    assert _quadrant_mean(np.fliplr(notched)) == pytest.approx(-d, abs=1e-9)


def _two_paws(left_grey: int, right_grey: int) -> np.ndarray:
    """A mouse facing +x; hind paws of radius 4 px at its rear, one on each side."""
    image = ellipse_frame(100.0, 60.0, 30, 12, 0.0, noise=1.0).astype(np.int16)
    yy, xx = np.mgrid[:120, :200]
    image[(xx - 80) ** 2 + (yy - 54) ** 2 <= 16] = left_grey
    image[(xx - 80) ** 2 + (yy - 66) ** 2 <= 16] = right_grey
    return np.clip(image, 0, 255).astype(np.uint8)


LIFTED, PRESSED = 110, 165  # half-way to the floor (180) / nearly floor-bright


def test_one_paw_up_one_down_reads_as_chiral_and_follows_the_mirror():
    seg = Segmenter(np.full((120, 200), 180.0, dtype=np.float32), step=1)
    asymmetric = seg.find(_two_paws(PRESSED, LIFTED))
    turned = seg.find(np.ascontiguousarray(np.rot90(_two_paws(PRESSED, LIFTED), 2)))
    mirrored = seg.find(np.ascontiguousarray(np.flipud(_two_paws(PRESSED, LIFTED))))
    swapped = seg.find(_two_paws(LIFTED, PRESSED))  # the other paw up
    both_down = seg.find(_two_paws(PRESSED, PRESSED))
    both_up = seg.find(_two_paws(LIFTED, LIFTED))
    found = (asymmetric, turned, mirrored, swapped, both_down, both_up)
    assert all(b is not None for b in found)
    assert asymmetric.paw_chiral < -0.03  # two paws of ~50 px each in a ~1130 px body
    assert turned.paw_chiral == pytest.approx(asymmetric.paw_chiral, abs=0.01)
    assert mirrored.paw_chiral == pytest.approx(-asymmetric.paw_chiral, abs=0.01)
    assert swapped.paw_chiral == pytest.approx(-asymmetric.paw_chiral, abs=0.01)
    assert abs(both_down.paw_chiral) < 0.01 and abs(both_up.paw_chiral) < 0.01


def test_clip_descriptors_summarise_the_per_frame_paw_chirality():
    n, fps = 60, 20.0
    t = np.arange(n) / fps
    xy = np.column_stack([np.full(n, 50.0), np.full(n, 60.0)])
    major, minor = np.full(n, 40.0), np.full(n, 16.0)
    area = np.pi * major * minor / 4
    kin = kinematics(t, xy, area, major, np.zeros(n), np.r_[np.nan, np.full(n - 1, 0.01)] * area)
    kin["paw_chiral"] = np.r_[np.full(30, 0.04), np.tile([0.0, 0.02], 15)]
    d = {c: j for j, c in enumerate(DESCRIPTOR_COLUMNS)}
    out = clip_descriptors([(0, 30), (30, 60)], xy, area, major, minor, np.ones(n, bool), kin)
    assert out[0, d["paw_chiral_mean"]] == pytest.approx(0.04, abs=1e-6)
    assert out[0, d["paw_chiral_sd"]] == pytest.approx(0.0, abs=1e-6)
    assert out[1, d["paw_chiral_mean"]] == pytest.approx(0.01, abs=1e-6)
    assert out[1, d["paw_chiral_sd"]] == pytest.approx(0.01, abs=1e-6)
