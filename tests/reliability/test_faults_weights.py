"""Fault campaign, weights: ``none`` is the same network every time; unreadable files say so."""

from __future__ import annotations

import builtins
from pathlib import Path

import pytest
import torch

from painscope.errors import WeightsError
from painscope.features.weights import load_backbone, read_state_dict


def test_random_weights_are_the_same_on_every_load():
    first, info = load_backbone("tiny", "none")
    torch.manual_seed(1234)  # whatever the caller's random state
    second, _ = load_backbone("tiny", "none")
    a, b = first.state_dict(), second.state_dict()
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert info.id == "none@seed0" and info.random


def test_random_weights_leave_the_callers_random_state_alone():
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    load_backbone("tiny", "none")
    assert torch.equal(torch.rand(3), expected)


def test_unreadable_weights_file_is_permission_denied(tmp_path: Path, monkeypatch):
    path = tmp_path / "weights.pth"
    torch.save({"w": torch.zeros(2)}, path)

    def guarded_open(file, *args, **kwargs):  # root ignores chmod, so refuse by hand
        if Path(file) == path:
            raise PermissionError(13, "Permission denied", str(file))
        return builtins.open(file, *args, **kwargs)

    monkeypatch.setattr("painscope.features.weights.open", guarded_open, raising=False)
    with pytest.raises(WeightsError, match="permission denied") as info:
        read_state_dict(path)
    assert "re-save" not in str(info.value)


def test_weights_path_that_is_a_directory(tmp_path: Path):
    with pytest.raises(WeightsError, match="is a directory"):
        read_state_dict(tmp_path)
