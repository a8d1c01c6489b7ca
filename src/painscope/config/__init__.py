"""Project settings: one frozen dataclass per stage, read from ``painscope.yaml``."""

from painscope.config.base import config_hash, from_dict, to_dict, write_resolved
from painscope.config.extract import ExtractConfig
from painscope.config.pose import PoseConfig
from painscope.config.project import (
    CONFIG_NAME,
    ProjectConfig,
    config_template,
    load_config,
    parse_config,
)
from painscope.config.train import TrainConfig

__all__ = [
    "CONFIG_NAME",
    "ExtractConfig",
    "PoseConfig",
    "ProjectConfig",
    "TrainConfig",
    "config_hash",
    "config_template",
    "from_dict",
    "load_config",
    "parse_config",
    "to_dict",
    "write_resolved",
]
