"""Strict reading and writing of the run folder's JSON files, and the score formatter.

:class:`JsonObject` reads one JSON object and turns every missing key or wrong type
into a :class:`ResultsError` naming the file, the key path and the schema version.
"""

from __future__ import annotations

import json
import math
import numbers
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from painscope.errors import PainscopeError
from painscope.io.atomic import atomic_write_text

SCHEMA_VERSION = 2


class ResultsError(PainscopeError):
    """A run folder's results cannot be read (missing key, wrong type, newer schema)."""


# ---------------------------------------------------------------- strict JSON reading


class JsonObject:
    """A JSON object being read, remembering where it came from for error messages."""

    def __init__(self, value: object, where: str, version: int) -> None:
        if not isinstance(value, dict):
            raise ResultsError(
                f"{where}: expected an object, found {type(value).__name__} "
                f"(schema version {version})",
                fix="re-run the command that made this run folder",
            )
        self.value, self.where, self.version = value, where, version

    def _missing(self, key: str) -> ResultsError:
        return ResultsError(
            f"{self.where}: no '{key}' (schema version {self.version}; this painscope reads "
            f"versions 1-{SCHEMA_VERSION})",
            fix="re-run the command that made this run folder with this painscope",
        )

    def has(self, key: str) -> bool:
        return self.value.get(key) is not None

    def raw(self, key: str, default: Any = ...) -> Any:
        if key not in self.value:
            if default is ...:
                raise self._missing(key)
            return default
        return self.value[key]

    def obj(self, key: str) -> JsonObject:
        return JsonObject(self.raw(key), f"{self.where}.{key}", self.version)

    def num(self, key: str, default: Any = ...) -> float | None:
        return number(self.raw(key, default), f"{self.where}.{key}", self.version)

    def int(self, key: str, default: Any = ...) -> int:
        value = self.raw(key, default)
        if isinstance(value, bool) or not isinstance(value, numbers.Integral | float):
            raise ResultsError(f"{self.where}.{key}: expected a whole number, got {value!r}")
        if value != int(value):
            raise ResultsError(f"{self.where}.{key}: expected a whole number, got {value!r}")
        return int(value)

    def list(self, key: str) -> list[Any]:
        value = self.raw(key)
        if not isinstance(value, list):
            raise ResultsError(f"{self.where}.{key}: expected a list, got {value!r}")
        return value


def number(value: object, where: str, version: int) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ResultsError(f"{where}: expected a number, got {value!r} (schema version {version})")
    return float(value) if math.isfinite(float(value)) else None


def interval(value: object, where: str, version: int) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ResultsError(f"{where}: expected [low, high], got {value!r}")
    lo, hi = number(value[0], where, version), number(value[1], where, version)
    return None if lo is None or hi is None else (lo, hi)


# ---------------------------------------------------------------- writing


def write_json(path: Path, payload: Any) -> None:
    """Strict JSON, written atomically: NaN and ±inf become null."""
    text = json.dumps(_clean(payload), indent=1, default=_json_default, allow_nan=False)
    atomic_write_text(Path(path), text)


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "dtype") and hasattr(value, "tolist"):
        return _clean(value.tolist())
    return value


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value)}")


def load_json(path: Path) -> Any:
    """A JSON file, or a :class:`ResultsError` naming it."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ResultsError(
            f"{path}: cannot be read ({err})", fix="re-run the command that made this run folder"
        ) from None


# ---------------------------------------------------------------- formatting


def format_number(x: float | None, digits: int = 2, *, scale: float = 1.0) -> str:
    """``x × scale`` with ``digits`` decimals (``scale=100``: percent); ``–`` for None."""
    return "–" if x is None else f"{scale * x:.{digits}f}"


def _finite(ci: Sequence[float | None] | None) -> bool:
    return ci is not None and len(ci) == 2 and all(x is not None and math.isfinite(x) for x in ci)


def format_range(ci: Sequence[float] | None, digits: int = 2, *, scale: float = 1.0) -> str:
    """An interval as ``0.55–0.82`` (the report's detail lines); '' without one."""
    if ci is None or not _finite(ci):
        return ""
    return (
        f"{format_number(ci[0], digits, scale=scale)}–{format_number(ci[1], digits, scale=scale)}"
    )


def format_ci(
    value: float | None, ci: Sequence[float] | None, digits: int = 2, *, scale: float = 1.0
) -> str:
    """``0.70 [0.55, 0.82]`` (CLI tables, demo, benchmarks); ``–`` for a missing value,
    no bracket without an interval."""
    if value is None or not math.isfinite(value):
        return "–"
    text = format_number(value, digits, scale=scale)
    if ci is not None and _finite(ci):
        lo, hi = (format_number(x, digits, scale=scale) for x in ci)
        text += f" [{lo}, {hi}]"
    return text
