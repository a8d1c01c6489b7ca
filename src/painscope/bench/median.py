"""Exact median background pass vs a pure gray decode of the same video, side by side.

``painscope bench median`` (or :func:`bench_median`) decodes one video several ways in one
run and reports frames/s and the ratio to the pure decode pass:

* ``decode``: :func:`~painscope.io.video.iter_frames` gray, nothing else (the floor);
* ``numba (default)``: decode + :class:`~painscope.background.median.MedianAccumulator`
  with its default settings (compiled counting in a worker thread beside the decoder);
* ``numba, caller's thread``: ``overlap=False``, counting in the caller's thread;
* ``numba, one thread``: the same with one decoder thread (one core);
* ``numpy (old)``: decode + the pure-numpy tiled ``np.bincount`` histogram with a 128-frame
  chunk, the algorithm before the compiled loop (run on the first ``old_frames`` frames only:
  it is ~10× slower).

Two more rows run the default pass in fresh processes (median of ``repeats``), where no
memory freed by an earlier pass can be reused, as at the start of every video's extraction:
once as it is, once with the counters and chunk buffers as plain numpy arrays (numpy asks for
transparent huge pages, which the kernel may compact memory for on the spot; see
:mod:`painscope.io.pages`).

Every pass ends with the final chunk added; the median read-out is timed separately (a fixed
cost per video). Rounds are interleaved and the fastest of ``repeats`` kept, so a machine
shared with other jobs biases every variant alike. Before timing, the medians of the numba and
numpy paths are checked to be equal, bit for bit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from painscope.background.median import MedianAccumulator
from painscope.io.video import iter_frames, probe

Row = dict[str, Any]

# name → (MedianAccumulator keyword arguments or None for decode only, decoder threads)
VARIANTS: dict[str, tuple[dict[str, Any] | None, int]] = {
    "decode": (None, 0),
    "decode, one thread": (None, 1),
    "numba (default)": ({"backend": "numba"}, 0),
    "numba, caller's thread": ({"backend": "numba", "overlap": False}, 0),
    "numba, one thread": ({"backend": "numba", "overlap": False}, 1),
    "numpy (old)": ({"backend": "numpy", "overlap": False, "chunk_frames": 128}, 0),
}


def background_pass(
    video: Path, accumulator: dict[str, Any] | None, *, threads: int = 0, max_frames: int = 0
) -> tuple[int, float, float, MedianAccumulator | None]:
    """Decode ``video`` (gray), feeding every frame to a new accumulator.

    Returns
    -------
    (frames decoded, wall seconds, CPU seconds of the whole process (all threads), the
    accumulator); times cover decode + counting up to and including the last chunk
    """
    info = probe(video)
    acc = None
    n = 0
    start, cpu = time.perf_counter(), time.process_time()
    for frame in iter_frames(video, threads=threads):
        if accumulator is not None:
            if acc is None:
                acc = MedianAccumulator(
                    frame.image.shape, expected_frames=info.n_frames, **accumulator
                )
            acc.update(frame.image)
        n += 1
        if max_frames and n >= max_frames:
            break
    if acc is not None:
        acc._flush()
    return n, time.perf_counter() - start, time.process_time() - cpu, acc


_FRESH = """
import json, sys
from pathlib import Path
import numpy as np
from painscope.background import kernels
from painscope.bench.median import background_pass
from painscope.io import pages
kernels.warm_up(np.uint16)  # numba's cache load is not timed
if sys.argv[2] == "numpy":  # the allocation before io/pages.py (this process only)
    pages.zeros = np.zeros
n, wall, cpu, _ = background_pass(Path(sys.argv[1]), {})
print(json.dumps([wall, cpu]))
"""

#: allocator of the accumulator's counters and chunk buffers → label
ALLOCATORS = {
    "pages": "numba (default), fresh process",
    "numpy": "numba, fresh process, numpy arrays (huge-page request: before)",
}


def fresh_process_passes(video: Path, *, repeats: int = 2) -> dict[str, tuple[float, float]]:
    """Median (wall s, CPU s) of the default background pass in fresh processes, per allocator.

    A fresh process cannot reuse memory freed by an earlier pass, so the first touch of the
    counters costs what it costs at the start of every video's extraction. Rounds are
    interleaved; the median of ``repeats`` is kept (the compaction stall comes and goes).
    """
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in ALLOCATORS}
    for _ in range(max(1, repeats)):
        for name in ALLOCATORS:
            out = subprocess.run(
                [sys.executable, "-c", _FRESH, str(video), name],
                capture_output=True,
                text=True,
                check=True,
            )
            wall, cpu = json.loads(out.stdout.strip().splitlines()[-1])
            times[name].append((float(wall), float(cpu)))
    return {
        name: (float(np.median([t[0] for t in got])), float(np.median([t[1] for t in got])))
        for name, got in times.items()
    }


def bench_median(
    video: Path, *, repeats: int = 2, old_frames: int = 300, say: Any = None
) -> list[Row]:
    """Time every variant of :data:`VARIANTS` on ``video``; rows for the bench table.

    Each row: ``name`` (a key of :data:`VARIANTS`), ``variant``, ``value`` (frames/s, wall clock), ``vs_decode`` (wall time per
    frame ÷ that of the pure decode with the same decoder threads; 1.0 = as fast as decoding),
    ``cpu_frames_per_s`` and ``cpu_vs_decode`` (the same from the process's CPU time, all
    threads: robust on a machine shared with other jobs), ``frames``; accumulator rows also
    carry ``readout_s`` (the median read-out) and ``memory_mib`` (counters + chunk buffers).
    """
    info = probe(video)
    # warm-up: compiles (or loads the cached) numba loops, and checks numba == numpy
    check = {"max_frames": min(old_frames, 100)}
    *_, fast = background_pass(video, {"backend": "numba"}, **check)
    *_, ref = background_pass(video, {"backend": "numpy"}, **check)
    assert fast is not None and ref is not None
    if not np.array_equal(fast.median(), ref.median()):
        raise AssertionError("numba and numpy medians differ: please report this bug")
    wall: dict[str, float] = {}  # best frames/s
    cpu: dict[str, float] = {}
    frames: dict[str, int] = {}
    readout: dict[str, float] = {}
    memory: dict[str, float] = {}
    for _ in range(max(1, repeats)):
        for name, (kwargs, threads) in VARIANTS.items():
            limit = old_frames if name == "numpy (old)" else 0
            n, seconds, cpu_s, acc = background_pass(
                video, kwargs, threads=threads, max_frames=limit
            )
            wall[name] = max(wall.get(name, 0.0), n / seconds)
            cpu[name] = max(cpu.get(name, 0.0), n / cpu_s)
            frames[name] = n
            if acc is not None:
                start = time.perf_counter()
                acc.median()
                readout[name] = min(readout.get(name, np.inf), time.perf_counter() - start)
                buffers = sum(b.nbytes for b in acc._buffers)
                memory[name] = (acc.counts_.nbytes + buffers) / 2**20
            if say is not None:
                say(f"  {name}: {n / seconds:.0f} frames/s wall, {n / cpu_s:.0f} per CPU-s")
    floor = {0: "decode", 1: "decode, one thread"}
    rows = []
    for name, (kwargs, threads) in VARIANTS.items():
        row: Row = {
            "bench": "median",
            "name": name,
            "variant": f"{name} ({info.width}x{info.height}, {frames[name]} frames)",
            "value": wall[name],
            "unit": "frames/s",
            "vs_decode": wall[floor[threads]] / wall[name],
            "cpu_frames_per_s": cpu[name],
            "cpu_vs_decode": cpu[floor[threads]] / cpu[name],
            "frames": frames[name],
        }
        if kwargs is not None:
            row["readout_s"] = readout[name]
            row["memory_mib"] = memory[name]
        rows.append(row)
    decode_wall, decode_cpu = frames["decode"] / wall["decode"], frames["decode"] / cpu["decode"]
    for name, (seconds, cpu_s) in fresh_process_passes(video, repeats=repeats).items():
        rows.append(
            {"bench": "median", "name": f"fresh {name}", "unit": "frames/s",
             "variant": f"{ALLOCATORS[name]} ({info.width}x{info.height}, {frames['decode']} frames)",
             "value": frames["decode"] / seconds, "vs_decode": seconds / decode_wall,
             "cpu_frames_per_s": frames["decode"] / cpu_s, "cpu_vs_decode": cpu_s / decode_cpu,
             "frames": frames["decode"]}
        )  # fmt: skip
    return rows


def markdown(rows: list[Row]) -> str:
    """The rows as a Markdown table (as in BENCHMARKS.md)."""
    lines = [
        "| variant | frames/s (wall) | wall ÷ decode | frames per CPU-s | CPU ÷ decode "
        "| read-out | memory |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        readout = f"{row['readout_s']:.2f} s" if "readout_s" in row else ""
        memory = f"{row['memory_mib']:.0f} MiB" if "memory_mib" in row else ""
        lines.append(
            f"| {row['variant']} | {row['value']:.0f} | {row['vs_decode']:.2f}× "
            f"| {row['cpu_frames_per_s']:.0f} | {row['cpu_vs_decode']:.2f}× | {readout} "
            f"| {memory} |"
        )
    return "\n".join(lines)
