"""Token views read lazily from the token store: training data larger than RAM.

A :class:`LazyTokenSequence` is a video's token view (``all`` / ``block`` / ``mean``,
see :mod:`painscope.features.views`) that holds only the file's path, its layout and
— for ``block`` — the block position of each clip: O(n_clips) memory instead of the
(n_clips · h · w · C) float16 tokens (≈ 20 MB per 5-min Swin-B video). The rows of
the clips a batch needs are read when it is built (:meth:`take_clips`), through a
memory map that is closed again at once, so the pages read count towards the
operating system's file cache, not towards the process: the resident memory of
``painscope cv`` no longer grows with the number of videos.

The safetensors layout is documented and stable: an 8-byte little-endian header
length N, N bytes of JSON (``{name: {dtype, shape, data_offsets}}``), then the raw
little-endian tensors; offsets count from the end of the header.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from painscope.errors import FeatureStoreError
from painscope.features.views import TokenMode, block_positions, tokens_per_clip

_DTYPES = {"F16": np.float16, "F32": np.float32, "F64": np.float64, "BF16": None}


@dataclass(frozen=True)
class TensorLayout:
    """Where one tensor lies in a safetensors file (byte offset from the file's start)."""

    dtype: np.dtype
    shape: tuple[int, ...]
    offset: int


def tensor_layouts(path: Path) -> dict[str, TensorLayout]:
    """Parse a safetensors header: {tensor name: layout}. Reads only the header."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
            if len(head) != 8:
                raise ValueError("shorter than a safetensors header")
            (n,) = struct.unpack("<Q", head)
            if n > 100_000_000:
                raise ValueError("header length out of range")
            header = json.loads(handle.read(n))
    except FileNotFoundError:
        raise FeatureStoreError(
            f"{path}: feature file not found", fix="run `painscope extract` on the project first"
        ) from None
    except (OSError, ValueError) as err:
        raise FeatureStoreError(
            f"{path}: unreadable feature file ({err})",
            fix="delete it and run `painscope extract` again",
        ) from None
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(info["dtype"])
        if dtype is None:
            raise FeatureStoreError(f"{path}: tensor {name!r} has unsupported dtype {info}")
        out[name] = TensorLayout(
            np.dtype(dtype), tuple(info["shape"]), 8 + n + info["data_offsets"][0]
        )
    return out


class LazyTokenSequence:
    """A video's token view, shape (n_clips · tokens_per_clip, C), read on demand.

    Parameters
    ----------
    path : a token store file (``<video_id>.safetensors``)
    mode : ``all`` | ``block`` | ``mean``
    k : block side for ``block``

    Notes
    -----
    ``take_clips(idx)`` returns exactly what ``token_view(...)`` followed by taking the
    rows of clips ``idx`` returns (same values, same dtype); ``np.asarray(seq)`` loads
    the whole view (for callers that need all of it).
    """

    def __init__(self, path: Path, mode: TokenMode = "all", k: int = 3) -> None:
        self.path = Path(path)
        self.mode: TokenMode = mode
        self.k = k
        layouts = tensor_layouts(self.path)
        if "tokens" not in layouts:
            raise FeatureStoreError(f"{path}: no 'tokens' tensor", fix="run `painscope extract`")
        self._tokens = layouts["tokens"]
        n, h, w, c = self._tokens.shape
        self.n_clips, self.grid, self.channels = n, (h, w), c
        self.tokens_per_clip = tokens_per_clip((h, w), mode, k)
        self._blocks: np.ndarray | None = None
        if mode == "block":
            self._blocks = block_positions(self._read("response", layouts), k)  # (n, 2)

    def _read(self, name: str, layouts: dict[str, TensorLayout]) -> np.ndarray:
        lay = layouts[name]
        mm = np.memmap(self.path, dtype=lay.dtype, mode="r", offset=lay.offset, shape=lay.shape)
        try:
            return np.array(mm)
        finally:
            del mm

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n_clips * self.tokens_per_clip, self.channels)

    @property
    def dtype(self) -> np.dtype:
        return self._tokens.dtype

    @property
    def ndim(self) -> int:
        return 2

    def __len__(self) -> int:
        return self.shape[0]

    def take_clips(self, idx: np.ndarray) -> np.ndarray:
        """Rows of the clips ``idx`` (m,), in that order: (m · tokens_per_clip, C)."""
        idx = np.asarray(idx, dtype=np.int64)
        lay = self._tokens
        mm = np.memmap(self.path, dtype=lay.dtype, mode="r", offset=lay.offset, shape=lay.shape)
        try:
            if self.mode == "all":
                out = np.array(mm[idx])  # (m, h, w, C)
            elif self.mode == "mean":
                out = np.array(mm[idx]).astype(np.float32).mean(axis=(1, 2)).astype(lay.dtype)
            else:
                assert self._blocks is not None
                h, w = self.grid
                kh, kw = min(self.k, h), min(self.k, w)
                pos = self._blocks[idx]  # (m, 2)
                rows = pos[:, 0, None] + np.arange(kh)[None, :]  # (m, kh)
                cols = pos[:, 1, None] + np.arange(kw)[None, :]  # (m, kw)
                out = np.array(mm[idx[:, None, None], rows[:, :, None], cols[:, None, :]])
        finally:
            del mm
        return out.reshape(len(idx) * self.tokens_per_clip, self.channels)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.take_clips(np.arange(self.n_clips))
        return out if dtype is None else out.astype(dtype)


def take_clips(seq: Any, idx: np.ndarray, tokens_per_clip: int) -> np.ndarray:
    """Rows of clips ``idx`` of a sequence, in memory (ndarray) or lazy."""
    if isinstance(seq, LazyTokenSequence):
        return seq.take_clips(idx)
    t = tokens_per_clip
    n = seq.shape[0] // t
    clips = seq[: n * t].reshape(n, t, seq.shape[1])  # (n, t, D)
    return clips[idx].reshape(len(idx) * t, seq.shape[1])


def should_load_lazily(load: str, features_dir: Path) -> bool:
    """``train.load`` → lazy or not; ``auto``: lazy when the store exceeds half the free RAM."""
    if load != "auto":
        return load == "lazy"
    from painscope.io.memory import available_memory

    free = available_memory()
    if free is None:
        return False
    size = sum(p.stat().st_size for p in Path(features_dir).glob("*.safetensors"))
    return size > free // 2
