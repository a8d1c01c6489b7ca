"""Fixture factory for the fault campaign: bad or unusual videos, manifests and arrays.

Each maker writes into a folder and returns ``{case name: path}``, so a test can
parametrise over every case and a report can count cases tried.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from painscope.io.video import encode_frames
from videos import blob_frames, write_video


def write_depth_video(
    path: Path, frames_rgb: np.ndarray, *, pix_fmt: str, codec: str = "ffv1", fps: float = 10
) -> Path:
    """Encode (n, H, W, 3) uint8 RGB frames at ``pix_fmt`` (e.g. yuv420p10le, gray16le)."""
    container = av.open(str(path), "w")
    stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1000))
    stream.width, stream.height = frames_rgb.shape[2], frames_rgb.shape[1]
    stream.pix_fmt = pix_fmt
    if codec == "libx264":
        stream.options = {"crf": "0", "preset": "ultrafast"}
    encode_frames(container, stream, frames_rgb)
    container.close()
    return path


def textured_rgb(n: int = 9, height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
    """(n, H, W, 3) uint8 gray-ish frames: a fixed texture plus a moving bright square."""
    frames, _ = blob_frames(n, height, width, seed=seed, size=8)
    return np.repeat(frames[..., None], 3, axis=-1)


def bad_videos(folder: Path) -> dict[str, Path]:
    """Videos a lab's folder may hold: broken ones and unusual-but-valid ones.

    Broken: ``zero_byte``, ``not_a_video``, ``truncated`` (first 600 bytes),
    ``directory``, ``unreadable`` (mode 000: broken unless running as root),
    ``wrong_extension`` (an FFV1 .mkv named .mp4 — valid, FFmpeg reads by content). Unusual but valid: ``ten_bit``, ``twelve_bit``, ``gray16``,
    ``odd_size`` (37 × 51).
    """
    folder.mkdir(parents=True, exist_ok=True)
    good = write_video(folder / "good.mkv", blob_frames(12, 48, 64)[0], fps=10)
    cases: dict[str, Path] = {}
    cases["zero_byte"] = folder / "zero.mp4"
    cases["zero_byte"].write_bytes(b"")
    cases["not_a_video"] = folder / "notes.mp4"
    cases["not_a_video"].write_text("this is a text file with a video name\n" * 20)
    cases["truncated"] = folder / "truncated.mkv"
    cases["truncated"].write_bytes(good.read_bytes()[:600])
    cases["directory"] = folder / "folder.mp4"
    cases["directory"].mkdir(exist_ok=True)
    cases["wrong_extension"] = folder / "really_mkv.mp4"
    cases["wrong_extension"].write_bytes(good.read_bytes())
    cases["unreadable"] = folder / "unreadable.mkv"
    cases["unreadable"].write_bytes(good.read_bytes())
    cases["unreadable"].chmod(0)  # still readable when the tests run as root
    rgb = textured_rgb(12)
    cases["ten_bit"] = write_depth_video(folder / "ten.mkv", rgb, pix_fmt="yuv420p10le")
    cases["twelve_bit"] = write_depth_video(folder / "twelve.mkv", rgb, pix_fmt="yuv422p12le")
    cases["gray16"] = write_depth_video(folder / "g16.mkv", rgb, pix_fmt="gray16le")
    cases["odd_size"] = write_video(folder / "odd.mkv", blob_frames(12, 37, 51)[0], fps=10)
    return cases


BROKEN_VIDEO_CASES = ("zero_byte", "not_a_video", "truncated", "directory")
VALID_VIDEO_CASES = ("wrong_extension", "ten_bit", "twelve_bit", "gray16", "odd_size")


def bad_manifests(folder: Path) -> dict[str, Path]:
    """Manifests with one fault each, beside two real video files.

    Faulty: ``missing_column``, ``duplicate_video``, ``unknown_timepoint``,
    ``symlink_loop``, ``non_utf8``. Accepted: ``excel_trailing_rows``,
    ``capital_headers``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "videos").mkdir(exist_ok=True)
    for name in ("a.mkv", "b.mkv"):
        if not (folder / "videos" / name).exists():
            write_video(folder / "videos" / name, blob_frames(8, 16, 32)[0], fps=10)
    loop = folder / "videos" / "loop.mp4"
    if not loop.is_symlink():
        os.symlink(loop, loop)  # a link to itself: resolve() raises RuntimeError
    texts = {
        "missing_column": "video,condition\nvideos/a.mkv,SNI\n",
        "duplicate_video": "video,mouse_id\nvideos/a.mkv,m1\nvideos/./a.mkv,m2\n",
        "unknown_timepoint": "video,mouse_id,timepoint\nvideos/a.mkv,m1,D99\n",
        "symlink_loop": "video,mouse_id\nvideos/a.mkv,m1\nvideos/loop.mp4,m2\n",
        "excel_trailing_rows": "video,mouse_id,condition\nvideos/a.mkv,m1,SNI\n"
        "videos/b.mkv,m2,sham\n,,\n,,\n",
        "capital_headers": "Video,Mouse_ID,Condition\nvideos/a.mkv,m1,SNI\nvideos/b.mkv,m2,sham\n",
    }
    cases = {}
    for name, text in texts.items():
        cases[name] = folder / f"{name}.csv"
        cases[name].write_text(text)
    cases["non_utf8"] = folder / "non_utf8.csv"
    cases["non_utf8"].write_bytes("video,mouse_id\nvideos/a.mkv,m\xfc1\n".encode("latin-1"))
    return cases


FAULTY_MANIFEST_CASES = (
    "missing_column",
    "duplicate_video",
    "unknown_timepoint",
    "symlink_loop",
    "non_utf8",
)
ACCEPTED_MANIFEST_CASES = ("excel_trailing_rows", "capital_headers")


def bad_arrays(folder: Path) -> dict[str, Path]:
    """Per-video feature arrays with one fault each (all must be refused)."""
    folder.mkdir(parents=True, exist_ok=True)
    cases: dict[str, Path] = {}
    cases["empty_npz"] = folder / "empty.npz"
    np.savez(cases["empty_npz"])
    cases["zero_byte_npy"] = folder / "zero.npy"
    cases["zero_byte_npy"].write_bytes(b"")
    cases["nan"] = folder / "nan.npy"
    arr = np.ones((6, 3), np.float32)
    arr[2, 1] = np.nan
    np.save(cases["nan"], arr)
    cases["complex"] = folder / "complex.npy"
    np.save(cases["complex"], np.ones((6, 3)) + 1j)
    cases["object"] = folder / "object.npy"
    np.save(cases["object"], np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    cases["csv_string_cell"] = folder / "strings.csv"
    cases["csv_string_cell"].write_text("f0,f1,f2\n1,2,3\n4,oops,6\n7,8,9\n")
    cases["zero_byte_csv"] = folder / "zero.csv"
    cases["zero_byte_csv"].write_bytes(b"")
    cases["truncated_npy"] = folder / "truncated.npy"
    np.save(cases["truncated_npy"], np.ones((50, 8), np.float32))
    cases["truncated_npy"].write_bytes(cases["truncated_npy"].read_bytes()[:300])
    return cases
