"""The manifest: one CSV row per video, saying which mouse, condition and day it shows.

Columns (``video`` and ``mouse_id`` required; the others may be empty)::

    video,mouse_id,condition,timepoint,group,view
    videos/m01_d0.mp4,m01,SNI,D0,,bottom
    videos/m01_sni_d3.mp4,m01,SNI,D3,,bottom
    videos/m07_sni_gba.mp4,m07,SNI,D7,GBA,bottom

``video`` is a path relative to the project folder (or absolute). A project that
brings its own sequences may leave ``video`` out (or empty) when a row names a
``features`` file: the row's video id is then that file's stem and ``video`` holds
the features path (for messages). Extra columns
are kept: ``features`` (a per-video array file, see the train stage), ``pose``
(a pose file), or any column to use as a custom label scheme.

Validation collects every problem and reports them together, each naming the
row (the header is row 1) and the column.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from painscope.errors import ManifestError
from painscope.labels import (
    normalize_condition,
    normalize_timepoint,
)

REQUIRED_COLUMNS = ("video", "mouse_id")
STANDARD_COLUMNS = ("video", "mouse_id", "condition", "timepoint", "group", "view")
VIEWS = ("bottom", "side", "top")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".wmv", ".mpg", ".mpeg", ".m4v", ".webm")

TEMPLATE = (
    "video,mouse_id,condition,timepoint,group,view\n"
    "# one row per video; paths relative to this folder. Delete these comment lines.\n"
    "# videos/m01_d0.mp4,m01,SNI,D0,,bottom\n"
    "# videos/m01_sni_d3.mp4,m01,SNI,D3,,bottom\n"
    "# videos/m07_sni_gba_d7.mp4,m07,SNI,D7,GBA,bottom\n"
)


@dataclass(frozen=True)
class VideoEntry:
    """One manifest row, with values normalised (``sni`` → ``SNI``, ``day 3`` → ``D3``)."""

    row: int
    video: str
    path: Path
    video_id: str
    mouse_id: str
    condition: str = ""
    timepoint: str = ""
    group: str = ""
    view: str = "bottom"
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Manifest:
    """All rows of a manifest file, in file order."""

    path: Path
    entries: tuple[VideoEntry, ...]

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.entries)

    def column(self, name: str) -> list[str]:
        """Values of a standard or extra column, one per row ('' where empty)."""
        out = []
        for e in self.entries:
            out.append(str(getattr(e, name)) if hasattr(e, name) else e.extra.get(name, ""))
        return out


def video_id_for(video: str, project_dir: Path) -> str:
    """A file-name-safe id for a video: its path inside the project, or name + hash."""
    path = Path(video)
    if not path.is_absolute():
        stem = path.with_suffix("").as_posix()
    else:
        try:
            stem = path.resolve().relative_to(project_dir.resolve()).with_suffix("").as_posix()
        except (ValueError, RuntimeError, OSError):  # outside the project, or a link loop
            digest = hashlib.blake2b(str(path).encode(), digest_size=4).hexdigest()
            stem = f"{path.stem}-{digest}"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem.replace("/", "__")).strip("._") or "video"


# Columns whose name is matched ignoring case, spaces and hyphens (``Mouse ID`` → ``mouse_id``).
KNOWN_COLUMNS = (*STANDARD_COLUMNS, "features", "pose", "fps")


def normalize_header(columns: list[str]) -> list[str]:
    """Header names as painscope spells them: known columns in lower case, others stripped.

    Excel and lab sheets write ``Video``, ``Mouse_ID`` or ``Mouse ID``; those are
    accepted for the known columns. Other (custom label) columns keep their case,
    because ``train.scheme`` names them.
    """
    out = []
    for name in columns:
        text = str(name).replace("\ufeff", "").strip()
        key = re.sub(r"[\s-]+", "_", text.lower())
        out.append(key if key in KNOWN_COLUMNS else text)
    return out


def drop_empty_rows(table):  # type: ignore[no-untyped-def]
    """Rows with every cell empty (Excel's trailing ``,,,,`` lines) left out.

    Row numbers in messages still count the file's lines: the kept rows keep their
    original index.
    """
    cells = table.astype(str).apply(lambda col: col.str.strip())
    return table[(cells != "").any(axis=1)]


def _resolve(path: Path) -> Path | None:
    """``path`` with links followed, or None when a link loops or cannot be followed."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return None


def _features_only_id(features: str) -> str:
    """Id of a row without a video: its features file's stem, made file-name safe."""
    stem = Path(features).stem
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "video"


def read_manifest(
    path: Path | str, project_dir: Path | None = None, *, check_files: bool = True
) -> Manifest:
    """Read and validate a manifest CSV.

    Parameters
    ----------
    path : manifest file.
    project_dir : folder that relative ``video`` paths start from (default: the manifest's folder).
    check_files : require every video file to exist (unless the row has a ``features`` file).

    Raises
    ------
    ManifestError
        listing every bad row and column at once.
    """
    import pandas as pd

    path = Path(path)
    project_dir = Path(project_dir) if project_dir is not None else path.parent
    if not path.exists():
        raise ManifestError(path, ["file not found (run `painscope init` to make a template)"])
    try:
        table = pd.read_csv(
            path, dtype=str, keep_default_na=False, comment="#", skip_blank_lines=True
        )
    except UnicodeDecodeError as err:
        raise ManifestError(
            path,
            [
                f"not UTF-8 text (byte {err.start}: {err.reason}); save it as "
                "'CSV UTF-8' (Excel: File > Save As > CSV UTF-8)"
            ],
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ManifestError(path, [f"not a readable CSV file: {err}"]) from None
    table.columns = normalize_header(list(table.columns))
    clashes = sorted({c for c in table.columns if list(table.columns).count(c) > 1})
    if clashes:
        raise ManifestError(
            path, [f"column(s) {', '.join(clashes)} appear twice (headers ignore case)"]
        )
    table = drop_empty_rows(table)
    if "video" not in table.columns and "features" in table.columns:
        table["video"] = ""  # bring-your-own sequences without videos
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise ManifestError(
            path,
            [f"missing column(s) {', '.join(missing)} (header is: {', '.join(table.columns)})"],
        )

    problems: list[str] = []
    entries: list[VideoEntry] = []
    seen_paths: dict[Path, int] = {}
    seen_ids: dict[str, int] = {}
    extra_cols = [c for c in table.columns if c not in STANDARD_COLUMNS]
    for i, record in zip(table.index, table.to_dict("records"), strict=True):
        row = int(i) + 2  # header is row 1
        values = {k: str(v).strip() for k, v in record.items()}
        video = values["video"]
        if not video and values.get("features"):
            # no video: the row is its features file (id = the file's stem)
            entry_id = _features_only_id(values["features"])
            if entry_id in seen_ids:
                problems.append(
                    f"row {row}, column 'features': its id {entry_id!r} (the file's stem) "
                    f"clashes with row {seen_ids[entry_id]}; rename one of the files"
                )
                continue
            seen_ids[entry_id] = row
            video = values["features"]
        elif not video:
            problems.append(f"row {row}, column 'video': empty (or give a 'features' file)")
            continue
        else:
            entry_id = ""
        video_path = Path(video) if Path(video).is_absolute() else project_dir / video
        has_features = bool(values.get("features"))
        resolved = _resolve(video_path)
        if resolved is None and check_files and not entry_id:
            problems.append(
                f"row {row}, column 'video': {video!r} is a symbolic link that loops "
                "(or cannot be followed); point the row at the real file"
            )
            continue
        if resolved is None:  # like a missing file: the video stage reports it, the batch goes on
            resolved = video_path.absolute()
        if entry_id:
            pass  # features-only row: the features source checks its file
        elif check_files and not has_features and not video_path.exists():
            problems.append(
                f"row {row}, column 'video': file not found: {video_path} "
                "(paths are relative to the project folder)"
            )
        elif video_path.suffix.lower() not in VIDEO_SUFFIXES and not has_features:
            problems.append(
                f"row {row}, column 'video': {video!r} does not look like a video "
                f"(expected one of {', '.join(VIDEO_SUFFIXES)})"
            )
        if entry_id:
            pass
        elif resolved in seen_paths:
            problems.append(
                f"row {row}, column 'video': duplicate of row {seen_paths[resolved]} ({video})"
            )
            continue
        else:
            seen_paths[resolved] = row
        video_id = entry_id or video_id_for(video, project_dir)
        if entry_id:
            pass
        elif video_id in seen_ids:
            problems.append(
                f"row {row}, column 'video': its id {video_id!r} clashes with row "
                f"{seen_ids[video_id]}; rename one of the files"
            )
            continue
        seen_ids[video_id] = row
        if not values["mouse_id"]:
            problems.append(f"row {row}, column 'mouse_id': empty (needed for grouped splits)")

        condition = values.get("condition", "")
        if condition:
            condition = normalize_condition(condition) or condition
        timepoint = values.get("timepoint", "")
        if timepoint:
            canonical = normalize_timepoint(timepoint)
            if canonical is None:
                problems.append(
                    f"row {row}, column 'timepoint': unknown timepoint {timepoint!r} "
                    "(use D0, 1min, 2h, D3, D5, D7, D14 or D21)"
                )
            timepoint = canonical or timepoint
        view = values.get("view", "").lower() or "bottom"
        if view not in VIEWS:
            problems.append(
                f"row {row}, column 'view': unknown view {values.get('view')!r} "
                f"(use {', '.join(VIEWS)})"
            )
        entries.append(
            VideoEntry(
                row=row,
                video=video,
                path=video_path,
                video_id=video_id,
                mouse_id=values["mouse_id"],
                condition=condition,
                timepoint=timepoint,
                group=values.get("group", ""),
                view=view,
                extra={c: values[c] for c in extra_cols},
            )
        )
    if not entries and not problems:
        problems.append("no rows (add one row per video below the header)")
    if problems:
        raise ManifestError(path, problems)
    return Manifest(path=path, entries=tuple(entries))
