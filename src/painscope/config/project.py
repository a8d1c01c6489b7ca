"""The whole ``painscope.yaml``: one section per stage.

A stage adds itself by adding its dataclass to ``STAGES``.
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
    """All stage settings of one project."""

    extract: ExtractConfig = field(default_factory=ExtractConfig)
    sections: dict[str, Any] = field(default_factory=dict)

    def stage(self, name: str) -> Any:
        """The settings of stage ``name`` (defaults when the yaml lacks the section)."""
        if name == "extract":
            return self.extract
        if name in self.sections:
            return self.sections[name]
        cls, _ = STAGES[name]
        return cls()


def parse_config(data: dict[str, Any] | None, *, source: str = "painscope.yaml") -> ProjectConfig:
    """Validate a parsed yaml mapping into a :class:`ProjectConfig`."""
    data = dict(data or {})
    unknown = sorted(set(data) - set(STAGES))
    if unknown:
        raise ConfigError(
            f"{source}: unknown section(s) {', '.join(unknown)}",
            fix=f"valid sections are: {', '.join(STAGES)}",
        )
    built: dict[str, Any] = {}
    for name, (cls, _) in STAGES.items():
        try:
            built[name] = from_dict(cls, data.get(name), section=name)
        except ConfigError as err:
            raise ConfigError(f"{source}: {err.message}", fix=err.fix) from None
    extract = built.pop("extract")
    return ProjectConfig(extract=extract, sections=built)


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
