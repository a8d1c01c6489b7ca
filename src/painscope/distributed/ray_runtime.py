"""Joining or starting a Ray cluster: one place for ``--ray local|auto|HOST:PORT``."""

from __future__ import annotations

from typing import Any

from painscope.errors import PainscopeError


def require_ray() -> Any:
    """The ``ray`` module, or a clear error saying how to install it."""
    try:
        import ray
    except ImportError:
        raise PainscopeError(
            "--ray needs the ray package, which is not installed",
            fix="pip install 'painscope[ray]'  (or pip install 'ray>=2.9')",
        ) from None
    return ray


def connect(address: str | None = None, *, num_cpus: int | None = None) -> tuple[Any, bool]:
    """Join a running Ray cluster (``auto`` or ``HOST:PORT``) or start a local one.

    ``local`` (or None) starts a local cluster with ``num_cpus`` CPUs (default: all).
    Already connected: nothing happens. Returns ``(ray, started_here)``: a caller that
    started the cluster shuts it down when done.
    """
    ray = require_ray()
    if ray.is_initialized():
        return ray, False
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
    if address and address != "local":
        kwargs["address"] = address
    elif num_cpus is not None:
        kwargs["num_cpus"] = num_cpus
    try:
        ray.init(**kwargs)
    except ConnectionError as err:
        raise PainscopeError(
            f"cannot reach the Ray cluster at {address!r} ({err})",
            fix="start it with `ray start --head` (see docs/cluster.md), or drop the address "
            "to start a local one",
        ) from None
    return ray, True
