"""Run folders and the inputs every classifier job shares (project, manifest, sources)."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from painscope.config.base import config_hash, to_dict
from painscope.config.train import TrainConfig
from painscope.errors import PainscopeError
from painscope.evaluate.records import write_json as write_json
from painscope.io.atomic import atomic_write_text
from painscope.manifest import Manifest, VideoEntry
from painscope.project import Inputs, Project, open_project
from painscope.train.schemes import safe_name, scheme_labels
from painscope.train.sources import ArrayFileSource, SequenceSource, TokenStoreSource


def open_inputs(project: Project | Path | str, manifest: Path | str | None = None) -> Inputs:
    """Deprecated spelling of ``open_project(project, manifest=manifest).inputs()``."""
    return open_project(project, manifest=manifest).inputs()


def default_source(inputs: Inputs, config: TrainConfig) -> SequenceSource:
    """The token store of the project's extract settings, or the manifest's ``features`` files."""
    has_column = any(e.extra.get("features") for e in inputs.manifest)
    if config.source == "features" or (config.source == "auto" and has_column):
        return ArrayFileSource(inputs.root)
    key = config_hash(inputs.config.extract)
    folder = Project(inputs.root).features_dir(key)
    from painscope.features.lazy import should_load_lazily

    lazy = should_load_lazily(config.load, folder)
    return TokenStoreSource(folder, config.tokens, config.block_size, lazy=lazy)


def training_entries(manifest: Manifest) -> list[VideoEntry]:
    """Rows used for training and CV: those without a treatment ``group``."""
    entries = [e for e in manifest if not e.group]
    if not entries:
        raise PainscopeError(
            f"{manifest.path}: every row has a 'group' value, none is left to train on",
            fix="leave 'group' empty for untreated videos (group marks drug-test videos)",
        )
    return entries


def soft_label(entry: VideoEntry, scheme: str) -> str:
    """The row's label under ``scheme``, or '' when it has none (prediction only)."""
    try:
        return scheme_labels([entry], scheme)[0][0]
    except PainscopeError:
        return ""


def make_run_dir(root: Path, name: str) -> Path:
    """``root/runs/<YYYY-mm-dd_HHMMSS>_<name>`` (a suffix is added if it exists)."""
    stamp = _dt.datetime.now().strftime("%Y-%m-%d_%H%M%S")
    base = Path(root) / "runs" / f"{stamp}_{safe_name(name)}"
    run, i = base, 1
    while run.exists():
        i += 1
        run = base.with_name(f"{base.name}-{i}")
    run.mkdir(parents=True)
    return run


def write_run_config(
    run_dir: Path,
    command: str,
    inputs: Inputs,
    config: TrainConfig,
    sources: Sequence[SequenceSource],
    **extra: Any,
) -> None:
    """``config.yaml``: resolved settings of every stage used, the sources and the version."""
    import yaml

    from painscope.version import __version__

    payload: dict[str, Any] = {
        "painscope_version": __version__,
        "command": command,
        "project": str(inputs.root),
        "manifest": str(inputs.manifest.path),
        "extract": to_dict(inputs.config.extract),
        "extract_key": config_hash(inputs.config.extract),
        "train": to_dict(config),
        "sources": [s.spec for s in sources],
        **extra,
    }
    atomic_write_text(run_dir / "config.yaml", yaml.safe_dump(payload, sort_keys=False))
