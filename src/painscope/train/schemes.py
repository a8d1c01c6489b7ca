"""Label schemes: which class each manifest row belongs to.

``15class`` and ``3class`` follow the paper's Table 2 (see :mod:`painscope.labels`);
any other name is a manifest column whose distinct values (sorted) become the classes.
Rows without a valid label are an error naming the row: a silently dropped video
would change every score.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from painscope.errors import ManifestError
from painscope.labels import CLASSES_3, CLASSES_15, label_3, label_15
from painscope.manifest import VideoEntry

BUILTIN_SCHEMES = ("15class", "3class")


def entry_value(entry: VideoEntry, column: str) -> str:
    """A standard or extra manifest column of one row ('' when absent)."""
    if column in ("video", "mouse_id", "condition", "timepoint", "group", "view", "video_id"):
        return str(getattr(entry, column))
    return entry.extra.get(column, "")


def scheme_labels(
    entries: Sequence[VideoEntry], scheme: str, manifest_path: Path | str = "manifest.csv"
) -> tuple[list[str], tuple[str, ...]]:
    """Label of every row under ``scheme`` and the scheme's classes (in a fixed order).

    Raises
    ------
    ManifestError
        naming every row whose label is missing or not a class of the scheme.
    """
    problems: list[str] = []
    labels: list[str] = []
    if scheme in BUILTIN_SCHEMES:
        fn, classes = (label_15, CLASSES_15) if scheme == "15class" else (label_3, CLASSES_3)
        for e in entries:
            label = fn(e.condition, e.timepoint) if e.timepoint else None
            if label is None:
                problems.append(
                    f"row {e.row} ({e.video}): condition {e.condition!r} / timepoint "
                    f"{e.timepoint!r} is not a class of the {scheme} scheme "
                    f"(classes: {', '.join(classes)})"
                )
            labels.append(label or "")
        if problems:
            raise ManifestError(Path(manifest_path), problems)
        present = set(labels)
        return labels, tuple(c for c in classes if c in present)
    for e in entries:
        if scheme not in e.extra and not hasattr(e, scheme):
            raise ManifestError(
                Path(manifest_path),
                [f"label scheme {scheme!r} is neither 15class, 3class nor a manifest column"],
            )
        value = entry_value(e, scheme)
        if not value:
            problems.append(f"row {e.row} ({e.video}): column {scheme!r} is empty")
        labels.append(value)
    if problems:
        raise ManifestError(Path(manifest_path), problems)
    return labels, tuple(sorted(set(labels)))


def safe_name(text: str) -> str:
    """File-name-safe version of a method or scheme name."""
    return re.sub(r"[^A-Za-z0-9.+-]+", "-", text).strip("-") or "x"
