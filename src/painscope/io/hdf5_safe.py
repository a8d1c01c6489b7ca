"""Find pickled Python objects in an HDF5 file before pandas / PyTables reads it.

pandas' HDFStore (which DeepLabCut's ``.h5`` pose files are written with, and which
``movement`` reads them through) stores two things as Python pickles, and PyTables
unpickles both on reading:

* object columns of a "fixed" table: a ``VLARRAY`` node whose ``PSEUDOATOM`` is
  ``object`` — the values are arbitrary pickles;
* metadata attributes (``non_index_axes``, ``values_block_0_kind``, ``info``, ...):
  byte strings ending in ``.`` that PyTables passes to ``pickle.loads``.

Unpickling runs code, so a crafted pose file could run anything. This module reads
the file with h5py (which never unpickles), refuses every object node, and reads the
opcodes of every attribute PyTables would unpickle without executing them: plain
lists, tuples, dicts, strings and numbers (all that pandas writes there) need no
code-bearing opcode; a pickle that looks up a class or function or calls one
(``GLOBAL``, ``REDUCE``, ``BUILD``, ...) is reported. A file with no reports is then
safe to hand to pandas.
"""

from __future__ import annotations

import pickletools
from pathlib import Path
from typing import Any

# Opcodes through which a pickle looks up or calls code; plain data needs none of them.
_CODE_OPCODES = frozenset(
    {
        "GLOBAL",
        "STACK_GLOBAL",
        "INST",
        "OBJ",
        "REDUCE",
        "BUILD",
        "NEWOBJ",
        "NEWOBJ_EX",
        "EXT1",
        "EXT2",
        "EXT4",
        "PERSID",
        "BINPERSID",
    }
)


def _pickle_problem(blob: bytes) -> str | None:
    """Why unpickling ``blob`` could run code, or None when it is plain data / not a pickle.

    The opcodes are read with :func:`pickletools.genops`, which parses without executing;
    the first code-bearing opcode (before any parse error, so a valid prefix followed by
    garbage is caught too) is reported.
    """
    try:
        for opcode, arg, _ in pickletools.genops(blob):
            if opcode.name in _CODE_OPCODES:
                named = f" {arg}" if opcode.name in ("GLOBAL", "INST") and arg else ""
                return f"calls code (pickle opcode {opcode.name}{named})"
    except Exception:  # not (or no longer) a pickle: nothing more would be executed
        return None
    return None


def pickled_objects(path: Path | str) -> list[str]:
    """Nodes and attributes of ``path`` whose reading would unpickle code-bearing objects.

    Returns
    -------
    list of human-readable places (``/df_with_missing/block1_values: object column``,
    ``/df_with_missing @info: a pickled object that calls code (pickle opcode GLOBAL
    builtins open)``); empty when the file is safe.

    Raises
    ------
    OSError
        when h5py cannot open the file.
    """
    import h5py
    import numpy as np

    problems: list[str] = []

    def check_attrs(name: str, obj: Any) -> None:
        attrs = obj.attrs
        if _text(attrs.get("CLASS")) == "VLARRAY" and _text(attrs.get("PSEUDOATOM")) == "object":
            problems.append(f"/{name}: a column of pickled Python objects (dtype object)")
        for key in attrs:
            try:
                value = attrs[key]
            except (OSError, TypeError, ValueError):
                continue
            if isinstance(value, np.ndarray) and value.dtype.kind in "SOU" and value.size == 1:
                value = value.reshape(-1)[0]
            if isinstance(value, str):  # variable-length strings come back as str
                value = value.encode("utf-8", "surrogateescape")
            if isinstance(value, bytes | np.bytes_) and bytes(value).endswith(b"."):
                why = _pickle_problem(bytes(value))
                if why:
                    problems.append(f"/{name} @{key}: a pickled object that {why}")

    with h5py.File(path, "r") as handle:
        check_attrs("", handle)
        handle.visititems(check_attrs)
    return problems


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    return "" if value is None else str(value)
