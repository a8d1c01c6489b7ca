"""Per-video feature arrays brought by the user (``features`` column of the manifest).

One file per video, shape (n_clips, D): ``.npy``, ``.npz`` (array ``features``, or the
only / first array) or ``.csv`` (one row per clip, with or without a header row).
Everything that is not a finite real number is refused with the file, and for a
CSV the row and column, named: nothing is silently dropped, cast or unpickled.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from painscope.errors import FeatureStoreError

ARRAY_SUFFIXES = (".npy", ".npz", ".csv")
_FIX_SAVE = "save one row per clip and one column per feature, e.g. np.save(path, array)"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _read_csv(path: Path) -> np.ndarray:
    """A numeric (n_rows, n_columns) float64 array; a non-numeric cell is an error naming it."""
    import pandas as pd

    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, header=None)
    except pd.errors.EmptyDataError:
        raise FeatureStoreError(f"{path}: the CSV file is empty", fix=_FIX_SAVE) from None
    first = [str(v).strip() for v in table.iloc[0]]
    has_header = not all(_is_number(v) or v.lower() in ("", "nan") for v in first)
    names = first if has_header else [str(i + 1) for i in range(table.shape[1])]
    body = table.iloc[1:] if has_header else table
    out = np.empty(body.shape, dtype=np.float64)
    for j in range(body.shape[1]):
        column = body.iloc[:, j].astype(str).str.strip()
        values = pd.to_numeric(column.where(column != "", "nan"), errors="coerce")
        bad = values.isna() & ~column.str.lower().isin(["", "nan"])
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            line = i + (2 if has_header else 1)
            raise FeatureStoreError(
                f"{path}: row {line}, column {names[j]!r}: {column.iloc[i]!r} is not a number",
                fix="every cell must be a number (one row per clip, one column per feature)",
            )
        out[:, j] = values.to_numpy(dtype=np.float64)
    return out


def _read_npz(path: Path) -> np.ndarray:
    with np.load(path, allow_pickle=False) as z:
        if not z.files:
            raise FeatureStoreError(
                f"{path}: the .npz file holds no arrays",
                fix="save the features into it, e.g. np.savez(path, features=array)",
            )
        key = "features" if "features" in z.files else z.files[0]
        return z[key]


def load_array_file(path: Path) -> np.ndarray:
    """A per-video array (n_clips, D) float32 from .npy, .npz or .csv (see module docstring).

    Raises
    ------
    FeatureStoreError
        missing, empty, truncated or unreadable file; object, string or complex data;
        a non-numeric CSV cell (row and column named); NaN or infinity (first clip named);
        any shape other than (n_clips, D) or (n_clips,).
    """
    path = Path(path)
    if not path.exists():
        raise FeatureStoreError(f"{path}: feature array file not found")
    if path.is_dir():
        raise FeatureStoreError(f"{path}: is a directory, not a feature array file")
    suffix = path.suffix.lower()
    if suffix not in ARRAY_SUFFIXES:
        raise FeatureStoreError(
            f"{path}: unknown feature file type {suffix!r}", fix="use .npy, .npz or .csv"
        )
    if path.stat().st_size == 0:
        raise FeatureStoreError(f"{path}: the file is empty (0 bytes)", fix=_FIX_SAVE)
    try:
        if suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
        elif suffix == ".npz":
            arr = _read_npz(path)
        else:
            arr = _read_csv(path)
    except FeatureStoreError:
        raise
    except PermissionError:
        raise FeatureStoreError(
            f"{path}: permission denied", fix="make the file readable (e.g. chmod a+r FILE)"
        ) from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as err:
        raise FeatureStoreError(
            f"{path}: unreadable feature array ({type(err).__name__}: {err})",
            fix="write the file again; " + _FIX_SAVE,
        ) from None
    arr = np.asarray(arr)
    if np.iscomplexobj(arr):
        raise FeatureStoreError(
            f"{path}: the features are complex numbers ({arr.dtype})",
            fix="save real features, e.g. np.abs(array) or np.concatenate([array.real, "
            "array.imag], axis=1)",
        )
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise FeatureStoreError(
            f"{path}: feature array is not numeric ({arr.dtype})", fix=_FIX_SAVE
        )
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise FeatureStoreError(
            f"{path}: expected an array of shape (n_clips, D), got {arr.shape}", fix=_FIX_SAVE
        )
    arr = arr.astype(np.float32)
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        raise FeatureStoreError(
            f"{path}: non-finite values (first in clip {bad})", fix="fill or drop those clips"
        )
    return arr
