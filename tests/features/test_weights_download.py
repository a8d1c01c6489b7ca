"""Downloading torchvision weights: a local HTTP server on 127.0.0.1 stands in for the net."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
from functools import partial
from pathlib import Path

import pytest
import torch

from painscope.errors import WeightsError
from painscope.features.weights import download_weights, load_backbone


@pytest.fixture
def server(tmp_path):
    """Serve ``tmp_path / 'www'`` on 127.0.0.1; yields (base URL, folder)."""
    www = tmp_path / "www"
    www.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(www)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", www
    finally:
        httpd.shutdown()
        httpd.server_close()


def _state_dict_bytes() -> bytes:
    buffer = io.BytesIO()
    torch.save({"w": torch.arange(6.0).reshape(2, 3)}, buffer)
    return buffer.getvalue()


def test_download_checks_the_hash_in_the_name(server, tmp_path):
    base, www = server
    data = _state_dict_bytes()
    good = f"model-{hashlib.sha256(data).hexdigest()[:8]}.pth"
    (www / good).write_bytes(data)
    (www / "model-00000000.pth").write_bytes(data)
    dest = download_weights(f"{base}/{good}", tmp_path / "hub" / good, progress=False)
    assert dest.read_bytes() == data
    state = torch.load(dest, weights_only=True)
    assert torch.equal(state["w"], torch.arange(6.0).reshape(2, 3))
    bad = tmp_path / "hub" / "model-00000000.pth"
    with pytest.raises(WeightsError, match="SHA-256"):
        download_weights(f"{base}/model-00000000.pth", bad, progress=False)
    assert not bad.exists() and not list(bad.parent.glob(".tmp-*"))  # nothing half-written


def test_missing_file_and_closed_port_fail_clearly(server, tmp_path):
    base, _ = server
    with pytest.raises(WeightsError, match="HTTPError"):
        download_weights(f"{base}/absent.pth", tmp_path / "absent.pth", progress=False)
    with pytest.raises(WeightsError, match="cannot download"):
        download_weights("http://127.0.0.1:9/x.pth", tmp_path / "x.pth", timeout_s=2,
                         progress=False)  # fmt: skip


def test_kinetics_weights_land_in_torch_hub_cache(server, tmp_path, monkeypatch):
    """load_backbone downloads into $TORCH_HOME/hub/checkpoints under torchvision's name."""
    import torchvision.models.video as tvv

    from painscope.demo import demo_weights

    base, www = server
    url = tvv.Swin3D_T_Weights.KINETICS400_V1.url
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("PAINSCOPE_WEIGHTS_URL", base + "/")
    # the mirror holds a file of the right name but other content: hash check refuses it,
    # and the demo falls back to random weights with a message
    (www / Path(url).name).write_bytes(_state_dict_bytes())
    messages: list[str] = []
    assert demo_weights("swin3d_t", say=messages.append) == "none"
    assert "SHA-256" in messages[0] and "RANDOM" in messages[0]
    cached = tmp_path / "torch" / "hub" / "checkpoints" / Path(url).name
    assert not cached.exists()
    # a file already in the cache is read from there, no download is attempted
    from painscope.features.weights import _torchvision_state

    cached.write_bytes(_state_dict_bytes())
    monkeypatch.setenv("PAINSCOPE_WEIGHTS_URL", "http://127.0.0.1:9/")
    state, weights = _torchvision_state("swin3d_t", "kinetics400")
    assert list(state) == ["w"] and weights.url == url
    with pytest.raises(WeightsError, match="do not fit"):  # and checked against the model
        load_backbone("swin3d_t", "kinetics400")
