"""Drawing frames: camera projection, a textured cage with clutter, the mouse, noise.

Everything is numpy + OpenCV on uint8 RGB images of shape (height, width, 3).
The cage image is static within a video (the per-pixel median recovers it), so
background removal matters: the floor has a texture, scratches, a stain, a
shadow, droppings and bedding specks. On top of the drawn mouse come a slow
lighting drift (global gain plus a drifting gradient), a faint flicker and
Gaussian sensor noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from painscope.simulate.body import INDEX, MouseTraits

VIEWS = ("bottom", "side")
CAMERA_DISTANCE_CM = 40.0  # the paper's camera-to-cage distance
_SHIFT = 4  # OpenCV sub-pixel bits
_ONE = 1 << _SHIFT

PAW_CONTACT = np.array([228.0, 150.0, 162.0])  # paw pressed on the floor
PAW_LIFTED = np.array([150.0, 108.0, 116.0])
TAIL = (150, 122, 126)
NOSE = (205, 140, 150)


@dataclass(frozen=True)
class Camera:
    """A fixed camera: ``bottom`` (under the glass floor) or ``side`` (through the long wall).

    The bottom view maps the floor (``cage_cm``) onto the whole frame; the side view
    shows the long wall and the lower 10 cm of the cage from 40 cm away, with the
    perspective shrink of the far side.
    """

    view: str = "bottom"
    width: int = 256
    height: int = 128
    cage_cm: tuple[float, float] = (20.0, 10.0)

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"view must be one of {VIEWS}, got {self.view!r}")
        if self.width % 2 or self.height % 2 or self.width < 32 or self.height < 16:
            raise ValueError(f"frame size must be even and at least 32x16, got {self.size}")

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    @property
    def px_per_cm(self) -> tuple[float, float]:
        return self.width / self.cage_cm[0], self.height / self.cage_cm[1]

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Image coordinates of cage points.

        Parameters
        ----------
        points : array of shape (..., 3), cage (x, y, z) in cm.

        Returns
        -------
        xy : array of shape (..., 2), pixel (column, row), sub-pixel.
        scale : array of shape (...,), pixels per cm at each point.
        """
        sx, sy = self.px_per_cm
        x, y, z = points[..., 0], points[..., 1], points[..., 2]
        if self.view == "bottom":
            return np.stack([x * sx, y * sy], axis=-1), np.full(x.shape, sx)
        k = CAMERA_DISTANCE_CM / (CAMERA_DISTANCE_CM + y)
        eye_z = 3.0  # camera height (cm); the near floor edge sits 6 % above the frame bottom
        row0 = 0.94 * self.height - eye_z * sy
        col = self.width / 2 + (x - self.cage_cm[0] / 2) * sx * k
        row = row0 - (z - eye_z) * sy * k
        return np.stack([col, row], axis=-1), sx * k


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cell: int) -> np.ndarray:
    """Low-frequency noise (unit sd) of ``shape``, varying over about ``cell`` pixels."""
    h, w = shape
    small = rng.standard_normal((max(2, h // cell + 2), max(2, w // cell + 2))).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


def make_rig(camera: Camera, rng: np.random.Generator) -> np.ndarray:
    """The cage as the camera sees it, shared by every video of a data set (float32 RGB)."""
    h, w = camera.height, camera.width
    sx = camera.px_per_cm[0]
    img = np.empty((h, w, 3), np.float32)
    base = np.array([196.0, 192.0, 184.0] if camera.view == "bottom" else [214.0, 214.0, 210.0])
    texture = 9.0 * _smooth_noise(rng, (h, w), 24) + 4.0 * _smooth_noise(rng, (h, w), 6)
    img[:] = base + texture[..., None]
    img += rng.normal(0.0, 2.0, (h, w, 1)).astype(np.float32)  # static grain
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float32)
    if camera.view == "bottom":
        # shadow along one long wall, darker cage rim
        img *= (1.0 - 0.12 * np.exp(-rows / (0.08 * h)))[..., None]
        rim = max(2, round(0.15 * sx))
        img[:rim], img[-rim:], img[:, :rim], img[:, -rim:] = 120, 120, 120, 120
        for _ in range(int(rng.integers(3, 7))):  # scratches on the glass
            p = rng.uniform([0, 0], [w, h])
            q = p + rng.normal(0, 0.25 * w, 2)
            cv2.line(img, tuple(map(int, p)), tuple(map(int, q)), (225, 225, 222), 1, cv2.LINE_AA)
        c = rng.uniform([0.2 * w, 0.2 * h], [0.8 * w, 0.8 * h])  # a faint stain
        r = rng.uniform(0.08, 0.15) * w
        stain = np.exp(-((cols - c[0]) ** 2 + (rows - c[1]) ** 2) / (2 * r * r))
        img -= (14.0 * stain)[..., None] * np.array([0.6, 0.8, 1.0], np.float32)
    else:
        # back wall brighter at the top, floor strip with bedding at the bottom
        img *= (1.0 + 0.05 * (1 - rows / h))[..., None]
        floor_far = camera.project(np.array([0.0, camera.cage_cm[1], 0.0]))[0][1]
        floor = rows > floor_far
        img[floor] = img[floor] * 0.8 + np.array([40.0, 32.0, 20.0], np.float32) * 0.2
        cv2.line(img, (0, int(floor_far)), (w, int(floor_far)), (150, 150, 150), 1, cv2.LINE_AA)
        band = np.exp(-(((cols - rows * 0.8) - rng.uniform(0.2, 0.8) * w) ** 2) / (2 * 60.0**2))
        img += (10.0 * band)[..., None]  # reflection on the front wall
    return img


def add_clutter(rig: np.ndarray, camera: Camera, rng: np.random.Generator) -> np.ndarray:
    """This session's static clutter: droppings and bedding specks (uint8 RGB)."""
    img = rig.copy()
    h, w = camera.height, camera.width
    sx, _ = camera.px_per_cm
    lo_row = 0 if camera.view == "bottom" else int(0.85 * h)
    for _ in range(int(rng.integers(15, 40))):  # bedding specks
        c = (int(rng.uniform(0, w) * _ONE), int(rng.uniform(lo_row, h) * _ONE))
        shade = rng.uniform(90, 170)
        color = (shade, shade * 0.9, shade * 0.75)
        cv2.circle(img, c, int(rng.uniform(0.4, 1.2) * _ONE), color, -1, cv2.LINE_AA, _SHIFT)
    for _ in range(int(rng.integers(1, 6))):  # droppings
        c = (
            int(rng.uniform(0.05, 0.95) * w * _ONE),
            int(rng.uniform(max(lo_row, 4), h - 4) * _ONE),
        )
        axes = (int(0.25 * sx * _ONE), int(0.11 * sx * _ONE))
        angle = float(rng.uniform(0, 180))
        cv2.ellipse(img, c, axes, angle, 0, 360, (62, 50, 40), -1, cv2.LINE_AA, _SHIFT)
    return np.clip(img, 0, 255).astype(np.uint8)


def _pt(xy: np.ndarray) -> tuple[int, int]:
    return (round(float(xy[0]) * _ONE), round(float(xy[1]) * _ONE))


def _segment_ellipse(
    img: np.ndarray, a: np.ndarray, b: np.ndarray, extend: float, half_width: float, color: tuple
) -> None:
    """Filled ellipse along the segment a-b, reaching ``extend`` px beyond each end."""
    d = b - a
    length = float(np.hypot(d[0], d[1]))
    half_len = max(length / 2 + extend, half_width)
    angle = math.degrees(math.atan2(d[1], d[0]))
    axes = (round(half_len * _ONE), round(half_width * _ONE))
    cv2.ellipse(img, _pt((a + b) / 2), axes, angle, 0, 360, color, -1, cv2.LINE_AA, _SHIFT)


def draw_mouse(
    img: np.ndarray,
    xy: np.ndarray,
    scale: float,
    paw_height: np.ndarray,
    traits: MouseTraits,
    view: str,
) -> None:
    """Draw one mouse in place.

    Parameters
    ----------
    img : uint8 array of shape (height, width, 3), modified in place.
    xy : array of shape (12, 2), landmark pixel positions.
    scale : pixels per cm at the mouse.
    paw_height : array of shape (4,), paw heights (cm) for LF, RF, LH, RH; paws on the
        floor are bright pink in the bottom view, lifted paws darker.
    """
    L = traits.body_length_cm * scale
    fur = tuple(int(c) for c in traits.fur)
    ear = tuple(min(255, c + 45) for c in traits.fur)
    p = {name: xy[i] for name, i in INDEX.items()}
    paws = ("left_forepaw", "right_forepaw", "left_hindpaw", "right_hindpaw")

    def draw_paws() -> None:
        for k, name in enumerate(paws):
            lifted = min(max(float(paw_height[k]) / 0.6, 0.0), 1.0)
            color = tuple(float(c) for c in PAW_CONTACT * (1 - lifted) + PAW_LIFTED * lifted)
            radius = round(max(0.045 * L, 1.5) * _ONE)
            cv2.circle(img, _pt(p[name]), radius, color, -1, cv2.LINE_AA, _SHIFT)

    tail_w0 = max(round(0.05 * L), 2)
    tail_w1 = max(round(0.025 * L), 2)
    cv2.line(img, _pt(p["tail_base"]), _pt(p["tail_mid"]), TAIL, tail_w0, cv2.LINE_AA, _SHIFT)
    cv2.line(img, _pt(p["tail_mid"]), _pt(p["tail_tip"]), TAIL, tail_w1, cv2.LINE_AA, _SHIFT)
    if view == "side":
        draw_paws()  # behind the body
    girth = traits.girth
    _segment_ellipse(img, p["tail_base"], p["body_center"], 0.1 * L, 0.18 * L * girth, fur)
    _segment_ellipse(img, p["body_center"], p["neck"], 0.08 * L, 0.15 * L * girth, fur)
    head_len = float(np.hypot(*(p["snout"] - p["neck"])))
    _segment_ellipse(img, p["neck"], p["snout"], 0.06 * head_len + 1.0, 0.09 * L, fur)
    for name in ("left_ear", "right_ear"):
        cv2.circle(img, _pt(p[name]), round(0.045 * L * _ONE), ear, -1, cv2.LINE_AA, _SHIFT)
    cv2.circle(
        img, _pt(p["snout"]), round(max(0.02 * L, 1.0) * _ONE), NOSE, -1, cv2.LINE_AA, _SHIFT
    )
    if view == "bottom":
        draw_paws()  # seen through the glass floor


@dataclass(frozen=True)
class Lighting:
    """Slow lighting drift of one video: a global gain and a gradient, both sinusoidal."""

    gain_amp: float
    gain_period_s: float
    gain_phase: float
    gradient_amp: float
    gradient_period_s: float
    gradient_phase: float
    gradient_angle: float
    flicker: float = 0.004
    noise_sd: float = 2.5


def sample_lighting(rng: np.random.Generator) -> Lighting:
    return Lighting(
        gain_amp=float(rng.uniform(0.02, 0.06)),
        gain_period_s=float(rng.uniform(40, 120)),
        gain_phase=float(rng.uniform(0, 2 * math.pi)),
        gradient_amp=float(rng.uniform(0.02, 0.05)),
        gradient_period_s=float(rng.uniform(60, 180)),
        gradient_phase=float(rng.uniform(0, 2 * math.pi)),
        gradient_angle=float(rng.uniform(0, 2 * math.pi)),
    )


class FrameRenderer:
    """Renders the frames of one video onto its static background.

    Parameters
    ----------
    background : uint8 array of shape (height, width, 3), the cage with clutter.
    camera : the camera.
    lighting : drift parameters.
    rng : random generator for flicker and sensor noise.

    Notes
    -----
    Speed: the slow lighting map is recomputed every ``LIGHT_UPDATE_S`` seconds (its
    periods are 40-180 s), and Gaussian noise comes from random bytes through an
    inverse-CDF lookup table (256 levels), several times faster than drawing normals.
    """

    LIGHT_UPDATE_S = 0.25

    def __init__(
        self, background: np.ndarray, camera: Camera, lighting: Lighting, rng: np.random.Generator
    ) -> None:
        from scipy.special import ndtri

        self.background = background
        self.camera = camera
        self.lighting = lighting
        self.rng = rng
        h, w = camera.height, camera.width
        rows, cols = np.mgrid[0:h, 0:w].astype(np.float32)
        a = lighting.gradient_angle
        ramp = (cols / w - 0.5) * math.cos(a) + (rows / h - 0.5) * math.sin(a)
        self._ramp = np.repeat(ramp[..., None], 3, axis=2)  # (H, W, 3)
        levels = (np.arange(256) + 0.5) / 256
        self._noise_lut = (lighting.noise_sd * ndtri(levels)).astype(np.float32)
        self._light: np.ndarray | None = None
        self._light_t = -math.inf

    def clean(self, xy: np.ndarray, scale: float, paw_height: np.ndarray, traits: MouseTraits):
        """The frame without lighting drift or noise (uint8, (H, W, 3))."""
        img = self.background.copy()
        draw_mouse(img, xy, scale, paw_height, traits, self.camera.view)
        return img

    def _light_map(self, t_s: float) -> np.ndarray:
        """Gain per pixel (H, W, 3) at time ``t_s``, refreshed every LIGHT_UPDATE_S."""
        if self._light is None or not 0 <= t_s - self._light_t < self.LIGHT_UPDATE_S:
            lt = self.lighting
            gain = 1.0 + lt.gain_amp * math.sin(
                2 * math.pi * t_s / lt.gain_period_s + lt.gain_phase
            )
            grad = lt.gradient_amp * math.sin(
                2 * math.pi * t_s / lt.gradient_period_s + lt.gradient_phase
            )
            self._light = (gain + grad * self._ramp).astype(np.float32)
            self._light_t = t_s
        return self._light

    def render(
        self,
        t_s: float,
        xy: np.ndarray,
        scale: float,
        paw_height: np.ndarray,
        traits: MouseTraits,
    ) -> np.ndarray:
        """One frame at time ``t_s`` (uint8, (H, W, 3))."""
        img = self.clean(xy, scale, paw_height, traits).astype(np.float32)
        flicker = 1.0 + self.lighting.flicker * float(self.rng.standard_normal())
        cv2.multiply(img, self._light_map(t_s), dst=img, scale=flicker)
        raw = np.frombuffer(self.rng.bytes(img.size), dtype=np.uint8).reshape(img.shape)
        cv2.add(img, self._noise_lut[raw], dst=img)
        np.clip(img, 0, 255, out=img)
        return img.astype(np.uint8)
