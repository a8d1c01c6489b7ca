"""Foreground segmentation of one frame against the video's median background.

The mouse is the largest connected blob of ``|frame − median| > threshold``
(absolute difference, so a dark mouse on a bright floor and a bright mouse on a
dark IR floor are found alike). The work is done on a copy reduced by an integer
``step`` (area averaging, longest side about :data:`WORK_SIDE` px); every result is
mapped back to pixels of the original video.

Threshold (per frame, adapts to each video's noise)
---------------------------------------------------
Most pixels of a frame are floor, so the difference image is mostly sensor and
compression noise. Its median ``m`` and median absolute deviation ``MAD`` are a
robust noise estimate that the mouse (a few % of the pixels) barely moves::

    threshold = max(FLOOR, m + K · 1.4826 · MAD)      (grey levels, 0–255)

with ``K = 6`` and ``FLOOR = 8``, re-estimated every ``NOISE_EVERY`` (8) frames. A 3 × 3 opening removes isolated noise pixels
and a closing of about ``JOIN_PX`` (8) original pixels (at least 3 × 3 reduced
pixels) joins the parts of a mouse whose middle barely differs from
the floor (bottom-up IR: bright paws and tail, dim belly) before the blobs are
labelled; the closing only decides which pieces form the mouse, its geometry is
measured on the pixels above the threshold. A blob smaller than ``MIN_AREA_SHARE`` of the frame
(0.05 %) is no mouse: the frame is reported as missing.

Refinement (in the blob's bounding box only, so it costs little)
----------------------------------------------------------------
* shadows and reflections are soft: pixels whose difference is below
  ``SHADOW_SHARE`` (35 %) of the blob's 75th-percentile difference are dropped;
* the tail is thin: an opening with a disc of ``TAIL_SHARE`` (30 %) of the blob's
  minor axis removes it (and thin cables), so the centroid is the body's.

The largest remaining blob is the mouse.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

WORK_SIDE = 192  # longest side of the reduced copy, px
NOISE_EVERY = 8  # frames between re-estimates of the noise threshold
K_MAD = 6.0
FLOOR = 12.0
MIN_AREA_SHARE = 5e-4
_MAD_TO_SD = 1.4826
SHADOW_SHARE = 0.35
FAINT_SHARE = 0.6  # "faint" mouse pixels differ from the floor by less than this x the p75
TAIL_SHARE = 0.30
JOIN_PX = 8  # closing diameter in original pixels (at least 3 reduced pixels)


def work_step(shape: tuple[int, int], side: int = WORK_SIDE) -> int:
    """Integer reduction factor so that the longest side is at most about ``side`` px."""
    return max(1, int(np.ceil(max(shape) / side - 1e-9)))


@dataclass(frozen=True)
class Blob:
    """The mouse in one frame, in pixels of the original video.

    x, y : centroid (px); area : px²; major, minor : full axis lengths of the
    ellipse with the blob's second moments (px); orientation : angle of the major
    axis from the image x axis, degrees in [-90, 90) (y points down, so positive
    angles turn clockwise on screen); mask : the blob on the reduced grid (bool);
    faint_share : share of the blob's pixels whose difference from the floor is
    below ``FAINT_SHARE`` of the blob's 75th-percentile difference (paws, tail
    root and the soft rim; NaN when not measured); paw_chiral : the left-right
    asymmetry of the blob's faint and near-floor pixels (:func:`paw_chirality`; NaN
    when not measured).
    """

    x: float
    y: float
    area: float
    major: float
    minor: float
    orientation: float
    mask: np.ndarray
    faint_share: float = float("nan")
    paw_chiral: float = float("nan")


class Segmenter:
    """Finds the mouse in frames of one video.

    Parameters
    ----------
    background : (H, W) float32 temporal median of the video's brightness, 0–255
    step : reduction factor (default: :func:`work_step`)
    """

    def __init__(self, background: np.ndarray, step: int | None = None) -> None:
        import cv2

        self.shape = (int(background.shape[0]), int(background.shape[1]))
        self.step = int(step or work_step(self.shape))
        reduced = self._reduce(background.astype(np.float32))  # (h, w)
        self.background = np.clip(np.floor(reduced + 0.5), 0, 255).astype(np.uint8)
        self.kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        side = max(3, round(JOIN_PX / self.step) | 1)  # about JOIN_PX original pixels
        self.join = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
        h, w = self.background.shape
        self.min_pixels = max(4, int(MIN_AREA_SHARE * h * w))
        self.last_threshold = float("nan")
        self._count = 0
        self.last_reduced = self.background  # the last frame on the reduced grid, uint8

    def _reduce(self, image: np.ndarray) -> np.ndarray:
        """(H, W) → (H // step, W // step) by area averaging (dtype kept)."""
        import cv2

        s = self.step
        if s == 1:
            return image
        h, w = image.shape[0] // s, image.shape[1] // s
        # a view: OpenCV reads rows with their own stride (a contiguous copy of the crop
        # cost 0.3 ms per 1280 × 1024 frame, as much as the resize; same result)
        return cv2.resize(image[: h * s, : w * s], (w, h), interpolation=cv2.INTER_AREA)

    def threshold(self, diff: np.ndarray) -> float:
        """Noise-adaptive threshold of a difference image (see module docstring)."""
        sample = diff[::2, ::2].ravel()  # (n,) uint8, a quarter of the pixels is plenty
        med = _quantile_u8(sample, 0.5)
        mad = _quantile_u8(np.abs(sample.astype(np.int16) - round(med)).astype(np.uint8), 0.5)
        return max(FLOOR, med + K_MAD * _MAD_TO_SD * mad)

    def difference(self, image: np.ndarray, *, reduced: bool = False) -> np.ndarray:
        """|frame − median| of one (H, W) uint8 frame on the reduced grid, uint8 (h, w).

        ``reduced=True``: ``image`` is already on the reduced grid (h, w) uint8.
        """
        import cv2

        if image.ndim == 3:  # RGB: use brightness like the background does
            image = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
        image = np.ascontiguousarray(image, dtype=np.uint8)
        self.last_reduced = image if reduced else self._reduce(image)  # (h, w)
        return cv2.absdiff(self.last_reduced, self.background)

    def with_background(self, reduced_background: np.ndarray) -> Segmenter:
        """A segmenter with the same grid and another (h, w) uint8 background."""
        other = Segmenter.__new__(Segmenter)
        other.__dict__.update(self.__dict__)
        other.background = np.ascontiguousarray(reduced_background, dtype=np.uint8)
        other.last_reduced = other.background
        other._count = 0
        return other

    def find(self, image: np.ndarray, *, reduced: bool = False) -> Blob | None:
        """The mouse in one frame, or None when no mouse-sized blob is found."""
        import cv2

        diff = self.difference(image, reduced=reduced)
        if self._count % NOISE_EVERY == 0:
            self.last_threshold = self.threshold(diff)
        self._count += 1
        raw = cv2.morphologyEx((diff > self.last_threshold).astype(np.uint8), cv2.MORPH_OPEN,
                               self.kernel)  # fmt: skip
        mask = cv2.morphologyEx(raw, cv2.MORPH_CLOSE, self.join)
        box = _largest(mask, self.min_pixels)
        if box is None:
            return None
        (x0, y0, x1, y1), first = box
        crop = diff[y0:y1, x0:x1]
        p75 = _quantile_u8(crop[first], 0.75)
        cut = SHADOW_SHARE * p75
        keep = first.astype(np.uint8)
        if cut > self.last_threshold:  # drop the soft halo, re-join what the cut split
            keep = cv2.morphologyEx(keep & (crop > cut), cv2.MORPH_CLOSE, self.join)
        minor = blob_geometry(first, fast=True).minor  # reduced px
        size = max(3, round(TAIL_SHARE * minor) | 1)
        disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
        refined = cv2.morphologyEx(keep, cv2.MORPH_OPEN, disc)
        inner = _largest(refined, self.min_pixels, margin=0)
        blob = np.zeros(diff.shape, dtype=bool)
        if inner is None:  # refinement removed everything (tiny mouse): keep the first blob
            blob[y0:y1, x0:x1] = first
        else:
            (a0, b0, a1, b1), part = inner
            blob[y0 + b0 : y0 + b1, x0 + a0 : x0 + a1] = part
        # the closing only chose which pieces belong together: measure the pixels that
        # really differ from the floor
        measured = blob & (raw > 0)
        if np.count_nonzero(measured) >= self.min_pixels:
            blob = measured
        geometry = blob_geometry(blob, self.step)
        inside = diff[y0:y1, x0:x1][blob[y0:y1, x0:x1]]  # the box holds the whole blob
        band = (inside >= SHADOW_SHARE * p75) & (inside < FAINT_SHARE * p75)
        faint = float(np.count_nonzero(band)) / max(inside.size, 1)
        ys, xs = np.nonzero(blob[y0:y1, x0:x1])  # the same order as ``inside``
        weight = band.astype(np.float64) - (inside < SHADOW_SHARE * p75)
        paw = paw_chirality(xs, ys, geometry.orientation, weight)
        return dataclasses.replace(geometry, faint_share=faint, paw_chiral=paw)


def quadrant_signs(
    xs: np.ndarray, ys: np.ndarray, orientation: float, centre: tuple[float, float] | None = None
) -> np.ndarray:
    """sign(u) · sign(v) of pixels in the blob's principal-axis frame, (n,) float64.

    xs, ys : (n,) pixel columns and rows; orientation : the major axis, degrees from +x
    (as :attr:`Blob.orientation`); centre : (x, y) origin in the same pixels (default:
    the pixels' mean). u runs along the major axis, v is u turned by +90° in image
    coordinates, so (u, v) is a proper frame: the 180° ambiguity of the axis turns both
    signs and leaves the product unchanged, a mirror image turns it. Summed over pixels
    that are placed mirror-symmetrically about the major axis it is 0; pixels in one
    diagonal pair of quadrants (e.g. the rear left and the front right) move it towards
    +1, so it reads a left-right asymmetry however the mouse faces.
    """
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(ys, dtype=np.float64)
    if x.size == 0:
        return np.zeros(0)
    cx, cy = centre if centre is not None else (float(x.mean()), float(y.mean()))
    c, s = np.cos(np.radians(orientation)), np.sin(np.radians(orientation))
    dx, dy = x - cx, y - cy
    return np.sign(dx * c + dy * s) * np.sign(dy * c - dx * s)


def paw_chirality(xs: np.ndarray, ys: np.ndarray, orientation: float, weight: np.ndarray) -> float:
    """Σ weight · sign(u) · sign(v) / n over a blob's n pixels (:func:`quadrant_signs`).

    In :meth:`Segmenter.find` the weight is +1 for a faint pixel (difference from the
    floor in [SHADOW_SHARE, FAINT_SHARE) x the blob's p75: a lifted paw seen through the
    floor, the soft rim), −1 for a near-floor pixel (below SHADOW_SHARE x p75: a paw
    pressed on the glass) and 0 for the rest of the body. A mouse that holds one hind paw
    up while the other stands moves the value away from 0 (one paw is about 3 % of the
    body's pixels); a left-right symmetric posture leaves it at 0. Invariant to the 180°
    axis ambiguity, negated in a mirror image; 0 for an empty blob.
    """
    if len(xs) == 0:
        return 0.0
    signs = quadrant_signs(xs, ys, orientation)
    return float(np.dot(signs, np.asarray(weight, dtype=np.float64))) / len(signs)


def _quantile_u8(values: np.ndarray, q: float) -> float:
    """The ``q`` quantile (lower value) of uint8 values, from their histogram."""
    counts = np.cumsum(np.bincount(values.ravel(), minlength=256))
    if counts[-1] == 0:
        return 0.0
    return float(np.searchsorted(counts, q * counts[-1]))


def _largest(
    mask: np.ndarray, min_pixels: int, margin: int = 2
) -> tuple[tuple[int, int, int, int], np.ndarray] | None:
    """Bounding box (x0, y0, x1, y1) (+ margin) and the largest component inside it, or None."""
    import cv2

    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 1:
        return None
    best = int(np.argmax(stats[1:, cv2.CC_STAT_AREA])) + 1
    if stats[best, cv2.CC_STAT_AREA] < min_pixels:
        return None
    x, y, w, h = (int(v) for v in stats[best, :4])
    x0, y0 = max(0, x - margin), max(0, y - margin)
    x1, y1 = min(mask.shape[1], x + w + margin), min(mask.shape[0], y + h + margin)
    return (x0, y0, x1, y1), labels[y0:y1, x0:x1] == best


def blob_geometry(blob: np.ndarray, step: int = 1, offset: tuple[int, int] = (0, 0),
                  fast: bool = False) -> Blob:  # fmt: skip
    """Centroid, area, ellipse axes and orientation of a (h, w) bool mask, in original px.

    A reduced pixel (i, j) covers original pixels [i·step, (i+1)·step), so its centre
    is at ((j + 0.5)·step − 0.5, (i + 0.5)·step − 0.5) in original pixel coordinates.
    ``offset`` (x0, y0) places a cropped mask in the reduced frame.
    """
    import cv2

    m = cv2.moments(blob.astype(np.uint8), binaryImage=True)
    n = max(m["m00"], 1.0)
    mx, my = m["m10"] / n + offset[0], m["m01"] / n + offset[1]
    cx = (mx + 0.5) * step - 0.5
    cy = (my + 0.5) * step - 0.5
    # second moments (px²); + step²/12 per axis for the extent of each pixel
    cxx = m["mu20"] / n * step * step + step * step / 12.0
    cyy = m["mu02"] / n * step * step + step * step / 12.0
    cxy = m["mu11"] / n * step * step
    half_tr, det_term = (cxx + cyy) / 2.0, np.sqrt(((cxx - cyy) / 2.0) ** 2 + cxy * cxy)
    lam1, lam2 = half_tr + det_term, max(half_tr - det_term, 0.0)
    angle = 0.5 * np.degrees(np.arctan2(2.0 * cxy, cxx - cyy))  # (-90, 90]
    if angle >= 90.0:
        angle -= 180.0
    return Blob(
        x=float(cx),
        y=float(cy),
        area=float(n * step * step),
        major=float(4.0 * np.sqrt(lam1)),  # a uniform ellipse of semi-axis a has variance a²/4
        minor=float(4.0 * np.sqrt(lam2)),
        orientation=float(angle),
        mask=blob if not fast else np.zeros((0, 0), dtype=bool),
    )
