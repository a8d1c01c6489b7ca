"""The whole ``painscope.yaml``: one typed section per stage.

A stage adds itself by adding its dataclass to ``STAGES`` (template and section names)
and a field to :class:`ProjectConfig` (parsed in :func:`parse_config`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from painscope.config.base import from_dict, yaml_section
from painscope.config.extract import ExtractConfig
from painscope.config.pose import PoseConfig
from painscope.config.train import TrainConfig
from painscope.errors import ConfigError

CONFIG_NAME = "painscope.yaml"

# section name -> (dataclass, title shown in the template)
STAGES: dict[str, tuple[type, str]] = {
    "extract": (ExtractConfig, "painscope extract: video -> token maps"),
    "train": (TrainConfig, "painscope train / cv / predict / drugtest: the ViS4mer classifier"),
    "pose": (PoseConfig, "pose baseline: pose files -> B-SOiD motifs -> per-clip histograms"),
}


@dataclass(frozen=True)
class ProjectConfig:
    """All stage settings of one project (defaults for a section the yaml lacks)."""

    extract: ExtractConfig = field(default_factory=ExtractConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    pose: PoseConfig = field(default_factory=PoseConfig)


def parse_config(data: dict[str, Any] | None, *, source: str = "painscope.yaml") -> ProjectConfig:
    """Validate a parsed yaml mapping into a :class:`ProjectConfig`."""
    data = dict(data or {})
    unknown = sorted(set(data) - set(STAGES))
    if unknown:
        raise ConfigError(
            f"{source}: unknown section(s) {', '.join(unknown)}",
            fix=f"valid sections are: {', '.join(STAGES)}",
        )
    try:
        return ProjectConfig(
            extract=from_dict(ExtractConfig, data.get("extract"), section="extract"),
            train=from_dict(TrainConfig, data.get("train"), section="train"),
            pose=from_dict(PoseConfig, data.get("pose"), section="pose"),
        )
    except ConfigError as err:
        raise ConfigError(f"{source}: {err.message}", fix=err.fix) from None


def load_config(path: Path) -> ProjectConfig:
    """Read and validate a ``painscope.yaml``; a missing file means all defaults."""
    from painscope.config.yaml_io import read_yaml_mapping

    path = Path(path)
    if not path.exists():
        return ProjectConfig()
    data = read_yaml_mapping(path)  # UTF-8, safe YAML, no key twice
    return parse_config(data, source=str(path))


def config_template() -> str:
    """The commented ``painscope.yaml`` that ``painscope init`` writes."""
    head = (
        "# painscope project settings. Every setting is listed with its default.\n"
        "# A resolved copy is saved next to every output, so results stay traceable.\n\n"
    )
    return head + "\n".join(yaml_section(n, cls, title) for n, (cls, title) in STAGES.items())
