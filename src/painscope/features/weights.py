"""Loading backbone weights: torchvision's Kinetics-400 enums, local files, or none.

``weights`` (``ExtractConfig.weights``) is one of

``kinetics400`` / ``kinetics400_imagenet22k``
    torchvision's published weights. Downloaded once into torch's hub cache
    (``$TORCH_HOME/hub/checkpoints``, the file name torchvision itself uses, so
    torchvision finds it too) with a progress bar, a socket timeout and the
    SHA-256 prefix check torchvision's file names carry; offline, the error names
    the URL and the folder to put the file in. ``PAINSCOPE_WEIGHTS_URL`` (a mirror
    folder URL, e.g. ``http://lab-server/weights/``) replaces download.pytorch.org
    for labs behind a firewall.
a path to ``.pth`` / ``.pt`` / ``.pth.tar`` / ``.safetensors``
    either a torchvision ``state_dict`` or a checkpoint of the official Video Swin
    release (mmaction format, ``{"state_dict": {"backbone.…": …}}``, e.g. the paper's
    ``swin_base_patch244_window877_kinetics600_22k.pth``), converted by key mapping
    (SPEC.md §5). The temporal window is read off the relative-position table, so
    checkpoints trained with another window (e.g. 16 × 7 × 7) load exactly.
``none``
    random initialisation — loud warning, recorded in every output. The draw is
    seeded (:data:`NONE_SEED`), so every run, resumed or extended extraction gets the
    same network; the weights id ``none@seed0`` records the seed.

Checkpoints are read with ``torch.load(weights_only=True)`` (or safetensors):
no arbitrary Python objects are ever unpickled.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from painscope.errors import WeightsError
from painscope.features.backbones import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    build_backbone,
    get_spec,
)

NONE = "none"
NONE_SEED = 0  # fixed: the same settings give the same random network, hence the same features
DOWNLOAD_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class WeightsInfo:
    """Where a backbone's weights came from, and the input statistics that go with them."""

    id: str
    source: str
    random: bool
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    window_size: tuple[int, int, int] = (8, 7, 7)


class RandomWeightsWarning(UserWarning):
    """The backbone has random weights: features carry no pretrained knowledge."""


# ---------------------------------------------------------------- official → torchvision


def _official_key(key: str) -> str | None:
    """torchvision name for an official Video Swin key, or None to drop it."""
    if key.startswith("cls_head.") or key.endswith("relative_position_index"):
        return None
    key = key.removeprefix("backbone.")
    block = re.fullmatch(r"layers\.(\d+)\.blocks\.(\d+)\.(.+)", key)
    if block:
        stage, index, rest = int(block.group(1)), block.group(2), block.group(3)
        rest = rest.replace("mlp.fc1.", "mlp.0.").replace("mlp.fc2.", "mlp.3.")
        return f"features.{2 * stage}.{index}.{rest}"
    down = re.fullmatch(r"layers\.(\d+)\.downsample\.(.+)", key)
    if down:
        return f"features.{2 * int(down.group(1)) + 1}.{down.group(2)}"
    if key.startswith(("patch_embed.", "norm.")):
        return key
    return None


def is_official_format(state: dict[str, Any]) -> bool:
    return any(k.startswith(("backbone.", "layers.")) for k in state)


def convert_official(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename an official Video Swin state dict to torchvision's names (head dropped)."""
    out = {}
    for key, value in state.items():
        new = _official_key(key)
        if new is not None:
            out[new] = value
    return out


def window_from_table(table_rows: int, spatial: tuple[int, int] = (7, 7)) -> tuple[int, int, int]:
    """Window (Wt, Wh, Ww) whose relative-position table has ``table_rows`` rows."""
    per_t = (2 * spatial[0] - 1) * (2 * spatial[1] - 1)
    if table_rows % per_t:
        raise WeightsError(
            f"relative-position table with {table_rows} rows does not fit a {spatial} spatial window"
        )
    return ((table_rows // per_t + 1) // 2, *spatial)


# ---------------------------------------------------------------- reading files


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Tensors of a checkpoint file, unwrapping ``state_dict`` / ``model`` containers."""
    path = Path(path)
    if not path.exists():
        raise WeightsError(
            f"{path}: weights file not found",
            fix="check extract.weights in painscope.yaml (a path, kinetics400, or none)",
        )
    if path.is_dir():
        raise WeightsError(
            f"{path}: is a directory, not a weights file",
            fix="set extract.weights to the .pth/.pt/.safetensors file itself",
        )
    try:
        with open(path, "rb"):
            pass
    except PermissionError:
        raise WeightsError(
            f"{path}: permission denied (the weights file exists but cannot be read)",
            fix="fix the file's permissions (e.g. `chmod a+r FILE`) or copy it somewhere readable",
        ) from None
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state: Any = load_file(str(path))
        else:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as err:  # pickle refusal, corrupt zip, ...
        raise WeightsError(
            f"{path}: cannot read the checkpoint safely ({type(err).__name__}: {err})",
            fix="re-save it as tensors only: torch.save(model.state_dict(), 'weights.pth'), "
            "or convert to .safetensors",
        ) from None
    for wrapper in ("state_dict", "model", "module"):
        if isinstance(state, dict) and wrapper in state and isinstance(state[wrapper], dict):
            state = state[wrapper]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"{path}: not a state dict of tensors")
    return {k.removeprefix("module."): v for k, v in state.items()}


def _hub_file(url: str) -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(url).name


def weights_url(url: str) -> str:
    """``url``, or the same file name under ``$PAINSCOPE_WEIGHTS_URL`` when that is set."""
    import os

    mirror = os.environ.get("PAINSCOPE_WEIGHTS_URL", "").strip()
    return f"{mirror.rstrip('/')}/{Path(url).name}" if mirror else url


def download_weights(
    url: str, dest: Path, *, timeout_s: float = DOWNLOAD_TIMEOUT_S, progress: bool = True
) -> Path:
    """Download ``url`` to ``dest`` atomically, checking the SHA-256 prefix in its name.

    torchvision's file names end in ``-<first hex digits of the SHA-256>.pth``; a file
    whose hash does not match is deleted and refused. ``timeout_s`` bounds every socket
    wait (connecting and each read), so an offline machine fails in seconds.

    Raises
    ------
    WeightsError : no network, HTTP error, timeout, or a hash mismatch.
    """
    import hashlib
    import sys
    import urllib.request

    from painscope.io.atomic import atomic_path

    dest = Path(dest)
    match = torch.hub.HASH_REGEX.search(dest.name)
    prefix = match.group(1) if match else ""
    digest = hashlib.sha256()
    try:
        with (
            urllib.request.urlopen(url, timeout=timeout_s) as response,
            atomic_path(dest) as tmp,
            open(tmp, "wb") as handle,
        ):
            total = int(response.headers.get("Content-Length") or 0) or None
            from tqdm import tqdm

            with tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                      desc=f"downloading {dest.name}", disable=not progress,
                      file=sys.stderr) as bar:  # fmt: skip
                while chunk := response.read(1 << 16):
                    handle.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
            handle.flush()
            if prefix and not digest.hexdigest().startswith(prefix):
                raise WeightsError(
                    f"{url}: downloaded file has SHA-256 {digest.hexdigest()[:12]}…, "
                    f"its name promises {prefix}",
                    fix="download again (the transfer was corrupted or the mirror holds "
                    "another file)",
                )
    except WeightsError:
        raise
    except Exception as err:  # URLError, socket timeout, HTTP errors, disk errors
        raise WeightsError(
            f"cannot download {url} ({type(err).__name__}: {err})",
            fix=f"on a machine with internet, download {url} and put it at {dest} "
            "(or set extract.weights to a local file path)",
        ) from None
    return dest


def _torchvision_state(
    backbone: str, name: str, *, download: bool = True
) -> tuple[dict[str, torch.Tensor], Any]:
    import torchvision.models.video as tvv

    spec = get_spec(backbone)
    choices = dict(spec.torchvision_weights)
    if name not in choices:
        raise WeightsError(
            f"backbone {backbone} has no torchvision weights named {name!r}",
            fix=f"use one of {', '.join(choices) or '(none: use a local file or none)'}",
        )
    enum_name, member = choices[name].split(".")
    weights = getattr(getattr(tvv, enum_name), member)
    cached = _hub_file(weights.url)
    if cached.exists():
        return read_state_dict(cached), weights
    if not download:
        raise WeightsError(
            f"{choices[name]} is not in torch's cache ({cached})",
            fix=f"download {weights.url} to {cached}, or run `painscope extract` once online",
        )
    download_weights(weights_url(weights.url), cached)
    return read_state_dict(cached), weights


# ---------------------------------------------------------------- entry point


def load_backbone(
    backbone: str, weights: str, *, download: bool = True
) -> tuple[nn.Module, WeightsInfo]:
    """Build ``backbone`` and load ``weights`` into it (see module docstring).

    ``download=False`` uses torchvision weights only when they are already cached.

    Returns the model in eval mode and a :class:`WeightsInfo`.
    """
    spec = get_spec(backbone)
    if weights == NONE:
        warnings.warn(
            f"backbone {backbone} uses RANDOM weights (weights: none): features will not carry "
            "Kinetics knowledge; use this for tests only",
            RandomWeightsWarning,
            stacklevel=2,
        )
        with torch.random.fork_rng(devices=[]):  # leaves the caller's random state alone
            torch.manual_seed(NONE_SEED)
            model = build_backbone(backbone)
        return model, WeightsInfo(
            id=f"{NONE}@seed{NONE_SEED}",
            source=f"random initialisation (torch seed {NONE_SEED})",
            random=True,
            window_size=spec.window_size,
        )

    if weights in dict(spec.torchvision_weights):
        state, tv = _torchvision_state(backbone, weights, download=download)
        mean = tuple(tv.transforms.keywords.get("mean", IMAGENET_MEAN))
        std = tuple(tv.transforms.keywords.get("std", IMAGENET_STD))
        model = build_backbone(backbone)
        _load_into(model, state, source=tv.url)
        return model, WeightsInfo(
            id=f"torchvision:{backbone}:{weights}",
            source=tv.url,
            random=False,
            mean=mean,  # type: ignore[arg-type]
            std=std,  # type: ignore[arg-type]
            window_size=spec.window_size,
        )

    path = Path(weights).expanduser()
    if not path.exists() and not any(sep in weights for sep in "/\\.") and weights != NONE:
        raise WeightsError(
            f"unknown weights {weights!r} for {backbone}",
            fix=f"use {', '.join([*dict(spec.torchvision_weights), NONE])} or a file path",
        )
    state = read_state_dict(path)
    official = is_official_format(state)
    if official:
        state = convert_official(state)
    tables = [v for k, v in state.items() if k.endswith("relative_position_bias_table")]
    window = window_from_table(tables[0].shape[0]) if tables else spec.window_size
    model = build_backbone(backbone, window_size=window)
    _load_into(model, state, source=str(path))
    from painscope.io.video import file_hash

    return model, WeightsInfo(
        id=f"file:{path.name}:{file_hash(path)[:12]}",
        source=str(path.resolve()) + (" (official Video Swin format)" if official else ""),
        random=False,
        window_size=window,
    )


def _load_into(model: nn.Module, state: dict[str, torch.Tensor], *, source: str) -> None:
    """Strict load apart from the classification head and recomputed buffers."""
    state = {k: v for k, v in state.items() if not k.startswith("head.")}
    expected = {k: v for k, v in model.state_dict().items() if not k.startswith("head.")}
    expected = {k: v for k, v in expected.items() if not k.endswith("relative_position_index")}
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected) - {k for k in state if "position_index" in k})
    mismatched = [
        f"{k}: file {tuple(state[k].shape)} vs model {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    if missing or unexpected or mismatched:
        details = []
        if missing:
            details.append(f"missing {len(missing)} (e.g. {', '.join(missing[:3])})")
        if unexpected:
            details.append(f"unexpected {len(unexpected)} (e.g. {', '.join(unexpected[:3])})")
        if mismatched:
            details.append(f"wrong shape {len(mismatched)} (e.g. {mismatched[0]})")
        raise WeightsError(
            f"{source}: weights do not fit the {type(model).__name__} backbone: "
            + "; ".join(details),
            fix="check that extract.backbone matches the checkpoint (swin3d_t / s / b)",
        )
    model.load_state_dict({k: state[k] for k in expected}, strict=False)
