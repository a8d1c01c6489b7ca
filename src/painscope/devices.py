"""Which torch device a stage runs on: one resolver for extraction and training."""

from __future__ import annotations

import torch

from painscope.errors import ConfigError


def resolve_device(name: str, *, setting: str = "device") -> torch.device:
    """``auto`` → CUDA when a GPU is visible, else CPU; any other name is checked.

    Parameters
    ----------
    name : ``auto``, ``cpu``, ``cuda``, ``cuda:1``, ...
    setting : the settings key the name came from (named in the error)

    Raises
    ------
    ConfigError
        an unknown device name, or CUDA asked for where none is visible.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise ConfigError(
            f"{setting}: unknown device {name!r}", fix=f"set {setting}: auto, cpu or cuda"
        ) from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            f"{setting} is {name!r} but no CUDA GPU is visible",
            fix=f"set {setting}: auto (or cpu)",
        )
    return device


def compute_dtype(device: torch.device, precision: str) -> torch.dtype:
    """bf16 on CUDA under ``auto``, or when bf16 is asked for; fp32 otherwise."""
    bf16 = precision in ("bf16", "bf16-model") or (precision == "auto" and device.type == "cuda")
    return torch.bfloat16 if bf16 else torch.float32
