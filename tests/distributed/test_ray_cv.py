"""``painscope cv --ray``: the same fits as Ray tasks on a local 2-CPU cluster, same results."""

from __future__ import annotations

import functools

import pytest

from tests.distributed.cv_case import assert_parallel_cv_equals_serial

ray = pytest.importorskip("ray")


def test_ray_cv_equals_serial(tmp_path, local_ray):
    import torch

    from painscope.distributed.ray_cv import ray_map_jobs

    torch.set_num_threads(1)  # the tasks' thread count (one CPU each)
    assert_parallel_cv_equals_serial(
        tmp_path, functools.partial(ray_map_jobs, address="auto"), name="ray"
    )
