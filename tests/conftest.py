from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def shared_data() -> Path:
    """Real mouse videos beside the project (../shared/data); skip when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _quiet_random_weights():
    from painscope.features.weights import RandomWeightsWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomWeightsWarning)
        yield


@pytest.fixture
def tiny_config():
    from painscope.config import ExtractConfig

    return ExtractConfig(
        backbone="tiny",
        weights="none",
        frames_per_clip=4,
        clip_seconds=0.5,
        input_size=64,
        batch_size=4,
    )


@pytest.fixture(scope="module")
def local_ray():
    """A 2-CPU Ray cluster for a test module, run outside pytest's process.

    The head is started by ``ray start --head --block`` in its own session and the
    tests join it as a client (as ``--ray auto`` does on a real cluster). Started with
    ``ray.init()`` inside pytest instead, Ray would make pytest a process-group leader,
    share that group with its reaper and install a SIGTERM handler that ends the process
    with status 1 — a stray SIGTERM to the group once ended a CI run mid-suite with no
    report. Skipped where Ray's local processes cannot start.
    """
    ray = pytest.importorskip("ray")
    with pytest.MonkeyPatch.context() as env:
        # No token authentication on this private loopback cluster (Ray 2.60 turns it on
        # for `ray start`; the head and this driver would then need the same token).
        env.setenv("RAY_AUTH_MODE", "disabled")
        head = _start_ray_head(num_cpus=2)
        if isinstance(head, str):
            pytest.skip(f"a local Ray cluster cannot start here: {head}")
        process, address = head
        try:
            ray.init(address=address, log_to_driver=False)
        except Exception as err:
            _stop_ray_head(process)
            pytest.skip(f"cannot join the local Ray cluster at {address}: {err}")
        yield ray
        ray.shutdown()
        _stop_ray_head(process)


def _start_ray_head(num_cpus: int, timeout_s: float = 60.0):
    """``(process, "HOST:PORT")`` of a running ``ray start --head --block``, or why not.

    The head inherits this process's environment (the fixture's ``RAY_AUTH_MODE``).
    """
    import socket
    import subprocess
    import sys
    import tempfile
    import time

    import ray

    cli = Path(sys.executable).with_name("ray")
    if not cli.exists():
        return f"{cli} is missing"
    host = ray.util.get_node_ip_address()  # what Ray binds to, and resolves 127.0.0.1 to
    with socket.socket() as sock:  # a free port for the head's GCS
        sock.bind((host, 0))
        port = sock.getsockname()[1]
    command = [
        str(cli), "start", "--head", "--block", "--disable-usage-stats",
        f"--num-cpus={num_cpus}", "--num-gpus=0", "--include-dashboard=false",
        f"--port={port}",
    ]  # fmt: skip
    # The head's log goes to a file, not a pipe (a full pipe would block the head); the
    # head keeps its own descriptor, so ours is closed once the wait is over.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=log
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log.seek(0)
                return f"ray start exited with {process.returncode}: {log.read()[-500:]!r}"
            try:
                with socket.create_connection((host, port), timeout=1):
                    return process, f"{host}:{port}"
            except OSError:
                time.sleep(0.2)
    _stop_ray_head(process)
    return f"ray start did not listen on port {port} within {timeout_s:.0f} s"


def _stop_ray_head(process) -> None:
    """Stop the head and every process it started (its own session's group)."""
    import os
    import signal
    import subprocess

    # A SIGTERM lets the raylet and GCS exit; `ray start` itself would then wait up to
    # 30 s to drain a node that no longer exists, so the group gets a SIGKILL after 5 s.
    for sig, wait_s in ((signal.SIGTERM, 5), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue
