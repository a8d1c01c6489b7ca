"""Sub-benchmarks for issue 7: backbone levers (ablation), classifier step, background memory.

Backbone levers are timed *side by side*: every repeat runs each lever once, in turn, so a
machine that gets busier (other jobs, thermal limits) slows all of them alike, and each
lever's speed-up is a ratio to torchvision eager fp32 measured in the same run.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

Row = dict[str, Any]

# dense bf16 tensor-core peaks (datasheet, FLOP/s) for an MFU estimate; other cards: none
BF16_PEAK = {"H100": 989e12, "H200": 989e12, "A100": 312e12}


@dataclass(frozen=True)
class Lever:
    """One backbone configuration: attention kernel, precision, memory layout, compile."""

    attention: str = "torchvision"
    precision: str = "fp32"  # fp32 | bf16 (autocast) | bf16-model (weights cast)
    channels_last: bool = False
    compile: bool = False

    @property
    def label(self) -> str:
        parts = [
            "torchvision eager" if self.attention == "torchvision" else "sdpa",
            self.precision,
        ]
        if self.channels_last:
            parts.append("channels-last-3d")
        if self.compile:
            parts.append("compiled")
        return " ".join(parts)


def default_levers(device: torch.device, *, compile: bool) -> list[Lever]:
    """Baseline first, then one lever added at a time (the ablation)."""
    levers = [Lever(), Lever(attention="sdpa")]
    if device.type == "cuda":
        levers += [
            Lever(precision="bf16"),
            Lever(attention="sdpa", precision="bf16"),
            Lever(attention="sdpa", precision="bf16-model"),
            Lever(attention="sdpa", precision="bf16-model", channels_last=True),
        ]
        if compile:
            levers += [
                Lever(precision="bf16-model", compile=True),
                Lever(attention="sdpa", precision="bf16-model", compile=True),
            ]
    elif compile:
        levers.append(Lever(attention="sdpa", compile=True))
    return levers


def flops_per_clip(name: str, frames_per_clip: int, input_size: int) -> float:
    """Forward FLOPs of one clip through the token mapper (torch's FLOP counter, CPU)."""
    from torch.utils.flop_counter import FlopCounterMode

    from painscope.features.backbones import TokenMapper, build_backbone

    with torch.device("meta"):
        mapper = TokenMapper(build_backbone(name)).eval()
        x = torch.empty(1, 3, frames_per_clip, input_size, input_size)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        mapper(x)
    return float(counter.get_total_flops())


def _make_step(
    name: str, lever: Lever, device: torch.device, x: torch.Tensor, state: dict[str, Any]
) -> Callable[[], None]:
    import copy

    from painscope.features.fast_swin import apply_speedups

    mapper = apply_speedups(
        copy.deepcopy(state["reference"]).to(device),
        attention=lever.attention,
        cast_bf16=lever.precision == "bf16-model",
        compile=lever.compile,
    )
    inp = x.to(torch.bfloat16) if lever.precision == "bf16-model" else x
    if lever.channels_last:
        mapper = mapper.to(memory_format=torch.channels_last_3d)
        inp = inp.contiguous(memory_format=torch.channels_last_3d)
    autocast = lever.precision == "bf16"

    def step() -> None:
        with (
            torch.inference_mode(),
            torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast),
        ):
            mapper(inp)

    return step


def bench_backbone_levers(
    variants: list[tuple[str, int]],
    *,
    device: torch.device,
    batch_size: int,
    input_size: int = 224,
    repeats: int = 3,
    compile: bool = False,
    levers: list[Lever] | None = None,
) -> list[Row]:
    """Clips/s of every lever for each (variant, frames_per_clip), with the speed-up over
    torchvision eager fp32 timed in the same run; GPU memory and MFU on CUDA."""
    from painscope.features.backbones import TokenMapper, build_backbone

    sync = device.type == "cuda"
    gpu = torch.cuda.get_device_name(device) if sync else ""
    peak = next((v for k, v in BF16_PEAK.items() if k in gpu), None)
    rows: list[Row] = []
    for name, frames in variants:
        torch.manual_seed(0)
        state = {"reference": TokenMapper(build_backbone(name)).eval()}
        x = torch.randn(batch_size, 3, frames, input_size, input_size, device=device)
        chosen = levers or default_levers(device, compile=compile)
        steps = []
        for lever in chosen:
            step = _make_step(name, lever, device, x, state)
            step()  # warm-up (and compilation)
            if sync:
                torch.cuda.synchronize()
            steps.append(step)
        times: list[list[float]] = [[] for _ in chosen]
        memory: list[float] = [0.0 for _ in chosen]
        for _ in range(repeats):
            for i, step in enumerate(steps):
                if sync:
                    torch.cuda.reset_peak_memory_stats()
                    torch.cuda.synchronize()
                start = time.perf_counter()
                step()
                if sync:
                    torch.cuda.synchronize()
                    memory[i] = max(memory[i], torch.cuda.max_memory_allocated() / 2**20)
                times[i].append(time.perf_counter() - start)
        flops = flops_per_clip(name, frames, input_size)
        base = statistics.median(times[0])
        for i, lever in enumerate(chosen):
            seconds = statistics.median(times[i])
            row: Row = {
                "bench": "backbone-levers",
                "variant": f"{name} T{frames} {input_size}² batch {batch_size}: {lever.label}",
                "value": batch_size / seconds,
                "unit": "clips/s",
                "speedup_vs_eager_fp32": base / seconds,
                "spread": (min(times[i]), max(times[i])),
                "device": str(device),
                "tflop_per_clip": flops / 1e12,
                "achieved_tflops": flops * batch_size / seconds / 1e12,
            }
            if sync:
                row["gpu_max_allocated_mb"] = memory[i]
                if peak is not None and lever.precision != "fp32":
                    row["mfu_bf16_est"] = flops * batch_size / seconds / peak
            rows.append(row)
        del state, steps
    return rows


def bench_train_step(
    *, seq_len: int, batch_size: int, device: torch.device, repeats: int = 3, d_model: int = 1024
) -> list[Row]:
    """ViS4mer at the paper's size (d_input = d_model = 1024, 3 layers, d_state 64):
    one forward + focal loss + backward + AdamW step, ``seq_len`` tokens per video
    (``d_model`` smaller only for tests)."""
    from painscope.models import FocalLoss, ViS4mer, ViS4merConfig
    from painscope.train.optim import make_optimizer

    torch.manual_seed(0)
    model = (
        ViS4mer(ViS4merConfig(d_input=d_model, n_classes=3, l_max=seq_len, d_model=d_model))
        .to(device)
        .train()
    )
    optimizer = make_optimizer(model, 1e-3, 0.01)
    loss_fn = FocalLoss()
    x = torch.randn(batch_size, seq_len, d_model, device=device)
    y = torch.randint(0, 3, (batch_size,), device=device)
    sync = device.type == "cuda"

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        optimizer.step()

    step()
    times = []
    for _ in range(repeats):
        if sync:
            torch.cuda.synchronize()
        start = time.perf_counter()
        step()
        if sync:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    seconds = statistics.median(times)
    row: Row = {
        "bench": "train-step",
        "variant": f"ViS4mer d{d_model} 3 layers L={seq_len} batch {batch_size} fwd+bwd+AdamW",
        "value": seconds,
        "unit": "s/step",
        "videos_per_s": batch_size / seconds,
        "device": str(device),
    }
    if sync:
        row["gpu_max_allocated_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return [row]


_MEMORY_SCRIPT = """
import json, resource, sys
from pathlib import Path


def peak_kb():
    # VmHWM: this process's own peak RSS (ru_maxrss can carry the parent's over exec)
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


import torch
from painscope.background.stage import compute_background
from painscope.config import ExtractConfig
from painscope.features.extractor import Extractor
from painscope.io.video import probe

video = Path(sys.argv[1])
config = ExtractConfig(backbone="tiny", weights="none", device="cpu", prefetch=int(sys.argv[2]))
extractor = Extractor(config)
loaded = peak_kb()
bg = compute_background(video, probe(video), device=torch.device("cpu"),
                        prefetch_depth=2 * config.prefetch)
print(json.dumps({"loaded_kb": loaded, "peak_kb": peak_kb(), "n_frames": bg.n_frames}))
"""


def bench_background_memory(video: Path, *, prefetch: int = 4) -> list[Row]:
    """Peak host RSS of the exact background (decode + histogram + median) of ``video``,
    measured in a fresh Python process so nothing else counts (Linux ``ru_maxrss``)."""
    import os

    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_SCRIPT, str(video), str(prefetch)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    seconds = time.perf_counter() - started
    result = json.loads(out.stdout.strip().splitlines()[-1])
    from painscope.io.video import probe

    info = probe(video)
    return [
        {
            "bench": "background-memory",
            "variant": f"exact median {info.width}x{info.height}, {result['n_frames']} frames, "
            "peak RSS of the whole process",
            "value": result["peak_kb"] / 2**20,
            "unit": "GiB",
            "process_before_mb": result["loaded_kb"] / 2**10,
            "background_delta_mb": (result["peak_kb"] - result["loaded_kb"]) / 2**10,
            "frames_per_s": result["n_frames"] / seconds,
        }
    ]
