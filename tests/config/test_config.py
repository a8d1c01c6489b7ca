from __future__ import annotations

import dataclasses

import pytest
import yaml

from painscope.config import (
    ExtractConfig,
    config_hash,
    config_template,
    load_config,
    parse_config,
    write_resolved,
)
from painscope.errors import ConfigError


def test_template_lists_every_setting_and_parses_to_defaults(tmp_path):
    text = config_template()
    for f in dataclasses.fields(ExtractConfig):
        assert f"  {f.name}:" in text
    assert text.count("  # ") >= len(dataclasses.fields(ExtractConfig))
    path = tmp_path / "painscope.yaml"
    path.write_text(text)
    assert load_config(path).extract == ExtractConfig()


def test_unknown_key_and_section_are_named():
    with pytest.raises(ConfigError, match=r"unknown setting.*frames_per_clipp"):
        parse_config({"extract": {"frames_per_clipp": 16}})
    with pytest.raises(ConfigError, match=r"unknown section.*extrct"):
        parse_config({"extrct": {}})


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"frames_per_clip": 15}, "even"),
        ({"frames_per_clip": "32"}, "whole number"),
        ({"input_size": 112}, "multiple of 32"),
        ({"background": "mean"}, "not one of"),
        ({"backbone": "resnet"}, "unknown backbone"),
        ({"clip_seconds": 0}, r"\[0.1, 60\]"),
        ({"normalize": "yes"}, "true or false"),
    ],
)
def test_bad_values(settings, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({"extract": settings})


def test_config_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ExtractConfig().backbone = "tiny"  # type: ignore[misc]


def test_hash_changes_with_results_not_with_batch_size():
    base = ExtractConfig()
    assert config_hash(base) == config_hash(ExtractConfig())
    assert config_hash(base) != config_hash(ExtractConfig(background="none"))
    assert config_hash(base) != config_hash(ExtractConfig(frames_per_clip=16))
    assert config_hash(base) == config_hash(ExtractConfig(batch_size=2, device="cpu"))


def test_resolved_copy_roundtrips(tmp_path):
    config = ExtractConfig(backbone="swin3d_t", frames_per_clip=16)
    write_resolved(config, tmp_path / "c.yaml", extra={"config_hash": config_hash(config)})
    data = yaml.safe_load((tmp_path / "c.yaml").read_text())
    assert data.pop("config_hash") == config_hash(config)
    assert parse_config({"extract": data}).extract == config


def test_bad_yaml_names_the_file(tmp_path):
    path = tmp_path / "painscope.yaml"
    path.write_text("extract: [unclosed\n")
    with pytest.raises(ConfigError, match=r"painscope\.yaml: not valid YAML"):
        load_config(path)


def test_overrides_replace_given_settings_and_validate_again():
    from painscope.config.base import with_overrides

    base = ExtractConfig(backbone="swin3d_t")
    assert with_overrides(base, section="extract", weights=None) is base
    changed = with_overrides(base, section="extract", frames_per_clip=16, weights=None)
    assert changed == ExtractConfig(backbone="swin3d_t", frames_per_clip=16)
    with pytest.raises(ConfigError, match="even"):
        with_overrides(base, section="extract", frames_per_clip=15)
