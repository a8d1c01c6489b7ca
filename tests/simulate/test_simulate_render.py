"""Rendering: landmarks lie on the drawn mouse, the camera maps the cage onto the frame."""

from __future__ import annotations

import numpy as np
import pytest

from painscope.simulate.body import INDEX, LANDMARKS
from painscope.simulate.dataset import VideoSpec, simulate_pose
from painscope.simulate.render import Camera, FrameRenderer, add_clutter, make_rig, sample_lighting

PAWS = [INDEX[n] for n in LANDMARKS if n.endswith("paw")]


@pytest.mark.parametrize("view", ["bottom", "side"])
@pytest.mark.parametrize(("condition", "timepoint"), [("formalin", "1min"), ("SNI", "D7")])
def test_landmarks_lie_on_the_mouse(view, condition, timepoint, rng):
    camera = Camera(view=view)
    sim = simulate_pose(VideoSpec("v", "m001", 1, condition, timepoint), n_frames=900, fps=30)
    # the bare cage: dark droppings could hide a dark mouse pixel from this check
    background = np.clip(make_rig(camera, rng), 0, 255).astype(np.uint8)
    renderer = FrameRenderer(background, camera, sample_lighting(rng), rng)
    xy, scale = camera.project(sim.points)
    for t in range(0, 900, 15):  # every behaviour the video shows
        frame = renderer.clean(
            xy[t], float(scale[t, INDEX["body_center"]]), sim.points[t, PAWS, 2], sim.traits
        )
        cols = np.clip(np.round(xy[t, :, 0]).astype(int), 0, camera.width - 1)
        rows = np.clip(np.round(xy[t, :, 1]).astype(int), 0, camera.height - 1)
        diff = np.abs(frame[rows, cols].astype(int) - background[rows, cols].astype(int)).sum(
            axis=1
        )
        off = [LANDMARKS[i] for i in np.flatnonzero(diff < 30)]
        assert not off, f"frame {t}: {off} not on the mouse"


def test_bottom_camera_maps_cage_to_frame():
    camera = Camera(view="bottom", width=256, height=128)
    corners = np.array([[0.0, 0.0, 0.0], [20.0, 10.0, 0.0]])
    xy, scale = camera.project(corners)
    np.testing.assert_allclose(xy, [[0, 0], [256, 128]])
    np.testing.assert_allclose(scale, 12.8)


def test_side_camera_shrinks_far_side():
    camera = Camera(view="side")
    _, scale = camera.project(np.array([[10.0, 0.0, 1.0], [10.0, 10.0, 1.0]]))
    assert scale[1] < scale[0]


def test_frames_vary_only_by_noise_and_light_without_a_mouse_move(rng):
    camera = Camera()
    background = add_clutter(make_rig(camera, rng), camera, rng)
    renderer = FrameRenderer(background, camera, sample_lighting(rng), rng)
    sim = simulate_pose(VideoSpec("v", "m001", 1, "control", "D0"), n_frames=2, fps=30)
    xy, scale = camera.project(sim.points[0])
    paws = sim.points[0, PAWS, 2]
    a = renderer.render(0.0, xy, float(scale[0]), paws, sim.traits).astype(float)
    b = renderer.render(1 / 30, xy, float(scale[0]), paws, sim.traits).astype(float)
    assert 0.5 < np.abs(a - b).mean() < 10


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_camera_rejects_odd_sizes():
    with pytest.raises(ValueError, match="even"):
        Camera(width=255)
