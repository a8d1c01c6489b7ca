from __future__ import annotations

import urllib.error
import warnings

import pytest
import torch

from painscope.errors import WeightsError
from painscope.features.backbones import REGISTRY, TokenMapper, build_backbone
from painscope.features.tokens import response_map
from painscope.features.weights import (
    RandomWeightsWarning,
    convert_official,
    load_backbone,
    window_from_table,
)


@pytest.mark.parametrize("name", list(REGISTRY))
def test_registry_builds_every_variant(name):
    spec = REGISTRY[name]
    with torch.device("meta"):  # structure only: no memory, no init cost
        model = build_backbone(name)
    assert model.norm.normalized_shape == (spec.channels,)
    assert model.features[0][0].attn.window_size == list(spec.window_size)


def test_token_map_shapes_square_and_wide():
    torch.manual_seed(0)
    mapper = TokenMapper(build_backbone("tiny")).eval()
    with torch.no_grad():
        tokens, prenorm = mapper(torch.randn(2, 3, 4, 224, 224))
        assert tokens.shape == prenorm.shape == (2, 7, 7, 128)
        wide, _ = mapper(torch.randn(1, 3, 4, 224, 448))
        assert wide.shape == (1, 7, 14, 128)
    # final LayerNorm: each time-averaged token has ~zero mean over channels
    assert tokens.mean(-1).abs().max() < 0.2


def test_response_maps():
    tokens = torch.zeros(1, 3, 3, 4)
    tokens[0, 2, 1] = torch.tensor([3.0, 4.0, 0.0, 0.0])
    contrast = response_map(tokens, tokens, "contrast")
    assert contrast.shape == (1, 3, 3)
    assert contrast[0, 2, 1] == 5.0 and contrast.sum() == 5.0
    assert torch.equal(response_map(tokens, 2 * tokens, "norm")[0, 2, 1], torch.tensor(10.0))


def official_names(state):
    """torchvision → official Video Swin names, written independently of the loader."""
    out = {}
    for key, value in state.items():
        if key.endswith("relative_position_index"):
            continue
        parts = key.split(".")
        if parts[0] == "features":
            index = int(parts[1])
            if index % 2 == 0:
                rest = (
                    ".".join(parts[3:]).replace("mlp.0.", "mlp.fc1.").replace("mlp.3.", "mlp.fc2.")
                )
                key = f"layers.{index // 2}.blocks.{parts[2]}.{rest}"
            else:
                key = f"layers.{index // 2}.downsample.{'.'.join(parts[2:])}"
        elif parts[0] == "head":
            key = "cls_head.fc_cls." + parts[1]
            value = torch.randn(600, *value.shape[1:])  # a Kinetics-600 head
        out["backbone." + key if not key.startswith("cls_head") else key] = value
    return out


@pytest.mark.parametrize("window", [(2, 7, 7), (4, 7, 7)])
def test_official_checkpoint_loads_to_identical_outputs(tmp_path, window):
    torch.manual_seed(1)
    original = build_backbone("tiny", window_size=window)
    path = tmp_path / "swin_tiny_official.pth"
    torch.save({"meta": {"epoch": 30}, "state_dict": official_names(original.state_dict())}, path)
    loaded, info = load_backbone("tiny", str(path))
    assert info.window_size == window and not info.random and "official" in info.source
    x = torch.randn(1, 3, 8, 64, 64)
    with torch.no_grad():
        a, _ = TokenMapper(original)(x)
        b, _ = TokenMapper(loaded)(x)
    assert torch.equal(a, b)


def test_torchvision_state_dict_and_safetensors(tmp_path):
    from safetensors.torch import save_file

    torch.manual_seed(2)
    original = build_backbone("tiny")
    torch.save(original.state_dict(), tmp_path / "tv.pth")
    save_file(
        {k: v.contiguous() for k, v in original.state_dict().items()}, tmp_path / "tv.safetensors"
    )
    x = torch.randn(1, 3, 4, 64, 64)
    for name in ("tv.pth", "tv.safetensors"):
        loaded, info = load_backbone("tiny", str(tmp_path / name))
        with torch.no_grad():
            assert torch.equal(TokenMapper(loaded)(x)[0], TokenMapper(original)(x)[0])
        assert info.id.startswith(f"file:{name}:")


class Payload:
    """Stands for any Python object a malicious checkpoint could carry."""


def test_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "evil.pth"
    torch.save({"state_dict": {"w": torch.zeros(1)}, "obj": Payload()}, path)
    with pytest.raises(WeightsError, match="cannot read the checkpoint safely"):
        load_backbone("tiny", str(path))


def test_wrong_architecture_is_explained(tmp_path):
    torch.save(build_backbone("tiny").state_dict(), tmp_path / "tiny.pth")
    with pytest.raises(WeightsError, match=r"do not fit.*missing|wrong shape"):
        load_backbone("swin3d_t", str(tmp_path / "tiny.pth"))


def test_offline_torchvision_weights_name_url_and_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(WeightsError) as err:
        load_backbone("swin3d_t", "kinetics400")
    assert "swin3d_t-7615ae03.pth" in err.value.fix
    assert str(tmp_path / "hub" / "checkpoints") in err.value.fix


def test_cached_torchvision_file_is_used_without_download(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    (tmp_path / "checkpoints").mkdir()
    torch.save(
        build_backbone("swin3d_t").state_dict(), tmp_path / "checkpoints" / "swin3d_t-7615ae03.pth"
    )
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", pytest.fail)
    _, info = load_backbone("swin3d_t", "kinetics400")
    assert info.id == "torchvision:swin3d_t:kinetics400" and info.mean == (0.485, 0.456, 0.406)


def test_random_weights_warn_loudly():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, info = load_backbone("tiny", "none")
    assert info.random and any(issubclass(w.category, RandomWeightsWarning) for w in caught)


def test_unknown_weights_name():
    with pytest.raises(WeightsError, match="unknown weights 'kinetics600'"):
        load_backbone("tiny", "kinetics600")


def test_official_key_map_and_window():
    state = {
        "backbone.layers.2.blocks.5.mlp.fc2.weight": torch.zeros(1),
        "backbone.layers.1.downsample.reduction.weight": torch.zeros(1),
        "backbone.layers.0.blocks.0.attn.relative_position_index": torch.zeros(1),
        "cls_head.fc_cls.bias": torch.zeros(1),
        "backbone.norm.bias": torch.zeros(1),
    }
    assert sorted(convert_official(state)) == [
        "features.3.reduction.weight",
        "features.4.5.mlp.3.weight",
        "norm.bias",
    ]
    assert window_from_table(2535) == (8, 7, 7) and window_from_table(31 * 169) == (16, 7, 7)
