"""Writing a simulated video's outputs: H.264 video, DeepLabCut pose files, labels.

Videos are H.264 (libx264 through PyAV) with fixed settings and one encoder
thread, so the same frames always give the same bytes. Pose files follow
DeepLabCut's layout — a pandas DataFrame with column levels
``scorer / bodyparts / coords`` (``x``, ``y``, ``likelihood``), one row per
frame — as ``.h5`` (key ``df_with_missing``) and ``.csv``, so DeepLabCut,
movement and sleap-io read them.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import numpy as np

from painscope.io.atomic import atomic_path

SCORER = "DLC_sim"
H5_KEY = "df_with_missing"


class H264Writer:
    """Stream RGB frames into an H.264 ``.mp4`` file (written atomically on close).

    Parameters
    ----------
    path : output file.
    width, height : frame size (even numbers).
    fps : frame rate.
    crf : x264 constant rate factor (0 = lossless luma; 18 looks transparent).
    """

    def __init__(self, path: Path, width: int, height: int, fps: float, *, crf: int = 18) -> None:
        import av

        self.path = Path(path)
        self._atomic = atomic_path(self.path)
        tmp = self._atomic.__enter__()
        self._container = av.open(str(tmp), mode="w", format="mp4")
        rate = Fraction(fps).limit_denominator(1001)
        stream = self._container.add_stream("libx264", rate=rate)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.thread_count = 1
        stream.options = {"crf": str(crf), "preset": "veryfast", "threads": "1"}
        self._stream = stream
        self.n_frames = 0

    def write(self, frame: np.ndarray) -> None:
        """Append one frame: uint8 array of shape (height, width, 3), RGB."""
        import av

        video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
        for packet in self._stream.encode(video_frame):
            self._container.mux(packet)
        self.n_frames += 1

    def close(self, *, keep: bool = True) -> None:
        """Flush the encoder and move the file into place (or discard it)."""
        if keep:
            for packet in self._stream.encode():
                self._container.mux(packet)
        self._container.close()
        if keep:
            self._atomic.__exit__(None, None, None)
        else:
            self._atomic.__exit__(RuntimeError, RuntimeError("discarded"), None)

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(keep=exc_type is None)


def dlc_dataframe(xy: np.ndarray, bodyparts: tuple[str, ...], likelihood: np.ndarray | None = None):
    """A DeepLabCut-style DataFrame.

    Parameters
    ----------
    xy : array of shape (n_frames, n_bodyparts, 2), pixel coordinates.
    bodyparts : names, in ``xy`` order.
    likelihood : array of shape (n_frames, n_bodyparts); 1 where omitted.
    """
    import pandas as pd

    n_frames, n_parts, _ = xy.shape
    if likelihood is None:
        likelihood = np.ones((n_frames, n_parts))
    values = np.concatenate([xy, likelihood[..., None]], axis=2).reshape(n_frames, -1)
    columns = pd.MultiIndex.from_product(
        [[SCORER], list(bodyparts), ["x", "y", "likelihood"]],
        names=["scorer", "bodyparts", "coords"],
    )
    return pd.DataFrame(values.astype(np.float64), columns=columns)


def write_dlc_pose(
    stem: Path, xy: np.ndarray, bodyparts: tuple[str, ...], *, decimals: int = 3
) -> tuple[Path, Path]:
    """Write ``<stem>DLC_sim.h5`` and ``.csv``; returns both paths.

    Coordinates are rounded to ``decimals`` so the .h5 and .csv hold the same numbers.
    The .h5 carries no HDF5 timestamps, so equal poses give equal bytes.
    """
    import pandas as pd

    df = dlc_dataframe(np.round(xy, decimals), bodyparts)
    h5 = stem.with_name(f"{stem.name}{SCORER}.h5")
    csv = stem.with_name(f"{stem.name}{SCORER}.csv")
    with atomic_path(h5) as tmp:
        with pd.HDFStore(tmp, mode="w") as store:
            store.put(H5_KEY, df, format="table", track_times=False, complevel=4, complib="zlib")
        _clear_hdf5_timestamps(tmp)
    with atomic_path(csv) as tmp:
        df.to_csv(tmp, float_format=f"%.{decimals}f")
    return h5, csv


# A version-1 HDF5 object-header "modification time" message (type 0x12, 8 bytes):
# type, size, flags, 3 reserved | version 1, 3 reserved, seconds since 1970 (little endian).
_MTIME_MESSAGE = re.compile(rb"\x12\x00\x08\x00\x00\x00\x00\x00\x01\x00\x00\x00(.{4})", re.DOTALL)


def _clear_hdf5_timestamps(path: Path) -> int:
    """Zero the object modification times PyTables writes on groups despite ``track_times``.

    Only version-1 object headers (PyTables' default, no checksums) hold this message
    layout; a match is changed only when its value is a recent time, so array data that
    happens to look alike is left alone. Returns the number of timestamps cleared.
    """
    import time

    data = bytearray(Path(path).read_bytes())
    now = time.time()
    cleared = 0
    for match in _MTIME_MESSAGE.finditer(bytes(data)):
        seconds = int.from_bytes(match.group(1), "little")
        if now - 30 * 86400 < seconds < now + 86400:
            data[match.start(1) : match.end(1)] = b"\x00\x00\x00\x00"
            cleared += 1
    if cleared:
        Path(path).write_bytes(bytes(data))
    return cleared


def write_labels(path: Path, fps: float, labels: list[str], speed_cm_s: np.ndarray) -> Path:
    """Per-frame ground truth: ``frame,time_s,behaviour,speed_cm_s``."""
    lines = ["frame,time_s,behaviour,speed_cm_s"]
    for i, (label, speed) in enumerate(zip(labels, speed_cm_s, strict=True)):
        lines.append(f"{i},{i / fps:.4f},{label},{speed:.3f}")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
    return path
