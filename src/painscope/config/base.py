"""Shared machinery for the per-stage config dataclasses.

Each stage (extract, train, ...) has one frozen dataclass whose fields carry a
``help`` text in their metadata. From those this module builds: the commented
``painscope.yaml`` template, strict parsing (unknown keys are an error naming
the key), the resolved copy saved next to every output, and a stable hash of the
settings that change results (fields with ``metadata["hash"] = False``, such as
batch size or device, are left out of the hash).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar, get_args, get_origin

from painscope.errors import ConfigError

C = TypeVar("C")


def setting(default: Any, help: str, *, hash: bool = True) -> Any:
    """A dataclass field with a help text (shown in painscope.yaml)."""
    return dataclasses.field(default=default, metadata={"help": help, "hash": hash})


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    """Check ``value`` against a simple annotation (bool/int/float/str/Literal/Optional)."""
    origin = get_origin(annotation)
    if origin is typing.Literal:
        allowed = get_args(annotation)
        if value not in allowed:
            raise ConfigError(
                f"{where}: {value!r} is not one of {', '.join(map(repr, allowed))}",
                fix=f"set {where} to one of the allowed values",
            )
        return value
    if origin in (typing.Union, types.UnionType):
        args = get_args(annotation)
        if value is None and type(None) in args:
            return None
        last: ConfigError | None = None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, where)
            except ConfigError as err:
                last = err
        assert last is not None
        raise last
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        (item_type, _ellipsis) = get_args(annotation)
        return tuple(_coerce(v, item_type, where) for v in value)
    if annotation is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected a whole number, got {value!r}")
        return value
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if annotation is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected text, got {value!r}")
        return value
    return value


def from_dict(cls: type[C], data: Mapping[str, Any] | None, *, section: str) -> C:
    """Build a stage config from a mapping; unknown keys and wrong types are errors."""
    data = dict(data or {})
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(
            f"unknown setting(s) in section '{section}': {', '.join(unknown)}",
            fix=f"valid settings are: {', '.join(sorted(names))}",
        )
    kwargs = {k: _coerce(v, hints[k], f"{section}.{k}") for k, v in data.items()}
    return cls(**kwargs)


def with_overrides(config: C, *, section: str, **overrides: Any) -> C:
    """``config`` with the given settings replaced (``None`` = keep), validated again."""
    changes = {k: v for k, v in overrides.items() if v is not None}
    if not changes:
        return config
    return from_dict(type(config), {**to_dict(config), **changes}, section=section)


def to_dict(config: Any) -> dict[str, Any]:
    """Plain-python view (tuples become lists) for YAML/JSON."""
    out = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def config_hash(config: Any, *, length: int = 12) -> str:
    """Stable short hash of the settings that change results."""
    relevant = {
        f.name: getattr(config, f.name)
        for f in dataclasses.fields(config)
        if f.metadata.get("hash", True)
    }
    blob = json.dumps(relevant, sort_keys=True, default=list).encode()
    return hashlib.blake2b(blob, digest_size=16).hexdigest()[:length]


def yaml_section(name: str, cls: type, title: str) -> str:
    """A commented YAML section listing every setting of ``cls`` with its default."""
    import yaml

    lines = [f"# --- {title} ---", f"{name}:"]
    for f in dataclasses.fields(cls):
        default = f.default
        if isinstance(default, tuple):
            default = list(default)
        for help_line in f.metadata.get("help", "").splitlines():
            lines.append(f"  # {help_line}")
        dumped = yaml.safe_dump({f.name: default}, default_flow_style=True).strip()
        lines.append(f"  {dumped[1:-1]}" if dumped.startswith("{") else f"  {dumped}")
    return "\n".join(lines) + "\n"


def write_resolved(config: Any, path: Path, *, extra: Mapping[str, Any] | None = None) -> None:
    """Save the resolved settings (every value, defaults included) as YAML."""
    import yaml

    from painscope.io.atomic import atomic_write_text

    payload: dict[str, Any] = {}
    if extra:
        payload.update(extra)
    payload.update(to_dict(config))
    atomic_write_text(path, yaml.safe_dump(payload, sort_keys=False))
