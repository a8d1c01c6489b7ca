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
    """A local Ray cluster of 2 CPUs (no network, no dashboard) for a test module."""
    ray = pytest.importorskip("ray")
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    except Exception as err:  # a sandbox that cannot start Ray's local processes
        pytest.skip(f"a local Ray cluster cannot start here: {err}")
    yield ray
    ray.shutdown()
