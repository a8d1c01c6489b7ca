"""Fault campaign, settings and folds: clear errors naming the key, line or class counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from painscope.config import ExtractConfig
from painscope.config.project import load_config
from painscope.config.train import TrainConfig
from painscope.errors import ConfigError, PainscopeError
from painscope.evaluate.splits import make_folds


@pytest.mark.parametrize(("cls", "key"), [(ExtractConfig, "extract"), (TrainConfig, "train")])
def test_unknown_device_is_refused_naming_the_key(cls, key):
    with pytest.raises(ConfigError, match=rf"{key}\.device: unknown device 'banana'"):
        cls(device="banana")


@pytest.mark.parametrize("device", ["auto", "cpu", "cuda", "cuda:1", "mps"])
def test_real_devices_are_accepted(device):
    assert ExtractConfig(device=device).device == device
    assert TrainConfig(device=device).device == device


def test_device_banana_in_yaml(tmp_path: Path):
    (tmp_path / "painscope.yaml").write_text("train:\n  device: banana\n")
    with pytest.raises(ConfigError, match=r"train\.device"):
        load_config(tmp_path / "painscope.yaml")


def test_duplicate_key_names_key_and_lines(tmp_path: Path):
    path = tmp_path / "painscope.yaml"
    path.write_text("extract:\n  batch_size: 4\n  backbone: tiny\n  batch_size: 16\n")
    with pytest.raises(ConfigError, match=r"'batch_size' is given twice \(lines 2 and 4\)"):
        load_config(path)


def test_duplicate_section_is_an_error(tmp_path: Path):
    path = tmp_path / "painscope.yaml"
    path.write_text("train:\n  epochs: 3\nextract:\n  batch_size: 2\ntrain:\n  epochs: 5\n")
    with pytest.raises(ConfigError, match=r"'train' is given twice \(lines 1 and 5\)"):
        load_config(path)


def test_non_utf8_yaml_names_the_line(tmp_path: Path):
    path = tmp_path / "painscope.yaml"
    path.write_bytes("# settings\n# caf\xe9\nextract:\n  batch_size: 4\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(line 2"):
        load_config(path)


def test_yaml_still_loads_and_refuses_python_objects(tmp_path: Path):
    path = tmp_path / "painscope.yaml"
    path.write_text("extract:\n  batch_size: 4\n  backbone: tiny\n")
    assert load_config(path).extract.batch_size == 4
    path.write_text("extract: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def test_too_few_videos_per_class_names_the_counts():
    labels = ["D0"] * 5 + ["D7"] * 4 + ["D14"] * 3
    with pytest.raises(PainscopeError, match=r"D0: 5, D14: 3, D7: 4") as info:
        make_folds(labels, 8)
    assert "train.n_folds to at most 5" in (info.value.fix or "")
    assert make_folds(labels, 3).max() == 2  # a feasible split still works
