"""Checkpoints: one dict with everything needed to use a trained model again.

``{"format": 1, "painscope_version", "method", "scheme", "fold", "classes" (list),
"label_map" ({class: index}), "feature_key", "source" (the source's spec), "tokens_per_clip",
"n_clips", "train_config" (dict), "model_config" (dict), "best_epoch", "best_val_accuracy",
"state_dict", "n_members"}`` (``n_members`` > 1: a :class:`ViS4merEnsemble` of that many
models of one architecture, ``train.ensemble``) — only plain Python values and tensors, so it loads with
``torch.load(weights_only=True)`` (no pickled code runs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from painscope.errors import PainscopeError
from painscope.io.atomic import atomic_path
from painscope.models.ensemble import ViS4merEnsemble
from painscope.models.vis4mer import ViS4mer, ViS4merConfig

FORMAT = 1


def save_checkpoint(path: Path, model: ViS4mer | ViS4merEnsemble, **info: Any) -> None:
    from painscope.version import __version__

    n_members = len(model.members) if isinstance(model, ViS4merEnsemble) else 1
    payload = {
        "format": FORMAT,
        "painscope_version": __version__,
        "model_config": model.config.to_dict(),
        "n_members": n_members,
        **info,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }
    with atomic_path(Path(path)) as tmp:
        torch.save(payload, tmp)


def load_checkpoint(path: Path) -> dict[str, Any]:
    try:
        ckpt = torch.load(Path(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise PainscopeError(f"{path}: checkpoint not found") from None
    except Exception as err:
        raise PainscopeError(
            f"{path}: not a painscope checkpoint ({err})", fix="train again with painscope cv"
        ) from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise PainscopeError(f"{path}: unknown checkpoint format")
    return ckpt


def model_from_checkpoint(ckpt: dict[str, Any]) -> ViS4mer | ViS4merEnsemble:
    config = ViS4merConfig(**ckpt["model_config"])
    n_members = int(ckpt.get("n_members", 1))
    model = ViS4merEnsemble.empty(config, n_members) if n_members > 1 else ViS4mer(config)
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    return model
