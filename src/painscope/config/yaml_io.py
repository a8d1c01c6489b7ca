"""Reading ``painscope.yaml`` strictly: safe YAML, UTF-8, and no key given twice.

PyYAML's ``safe_load`` keeps the last of two equal keys without a word, so a
setting edited in two places silently loses one edit; here a repeated key is an
error naming the key and both lines. Only plain YAML types are built (SafeLoader:
no Python objects).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from painscope.errors import ConfigError


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a mapping key given twice."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
        line = key_node.start_mark.line + 1
        if key in seen:
            raise ConfigError(
                f"{loader.name}: key {key!r} is given twice (lines {seen[key]} and {line})",
                fix=f"keep one '{key}:' in that section and delete the other",
            )
        seen[key] = line
    loader.flatten_mapping(node)  # type: ignore[no-untyped-call]
    return dict(loader.construct_pairs(node, deep=True))  # type: ignore[no-untyped-call]


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _mapping_without_duplicates,  # type: ignore[arg-type]
)


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """The top-level mapping of a YAML settings file ({} when the file is empty).

    Raises
    ------
    ConfigError
        the file is not UTF-8, not valid YAML, repeats a key, or is not a mapping.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = path.read_bytes()[: err.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}: not UTF-8 text (line {line}: byte {err.object[err.start]:#04x})",
            fix="save the file as UTF-8 (most editors: Save As > Encoding: UTF-8)",
        ) from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read it ({err.strerror})") from None
    loader = _StrictLoader(text)
    loader.name = str(path)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as err:
        raise ConfigError(
            f"{path}: not valid YAML ({err})", fix="fix the syntax at that line"
        ) from None
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected sections such as 'extract:' at the top level")
    return data
