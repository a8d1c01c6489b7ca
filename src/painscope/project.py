"""A project folder: settings, manifest, caches and runs.

::

    project/
      painscope.yaml           settings for every stage
      manifest.csv             one row per video
      cache/background/        one PNG per video (the per-pixel temporal median)
      cache/features/<key>/    one token file per video; <key> = extractor settings hash
      runs/<date>_<name>/      training / evaluation outputs
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from painscope.config import CONFIG_NAME, ProjectConfig, config_template, load_config
from painscope.errors import PainscopeError
from painscope.io.atomic import atomic_write_text
from painscope.manifest import TEMPLATE, Manifest, read_manifest

MANIFEST_NAME = "manifest.csv"


@dataclass(frozen=True)
class Inputs:
    """What a classifier job reads: the project folder, its settings and its manifest."""

    root: Path
    config: ProjectConfig
    manifest: Manifest


@dataclass(frozen=True)
class Project:
    """Paths of one project folder (``manifest_file``: another manifest than manifest.csv)."""

    root: Path
    manifest_file: Path | None = None

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def manifest_path(self) -> Path:
        return self.manifest_file if self.manifest_file is not None else self.root / MANIFEST_NAME

    @property
    def background_dir(self) -> Path:
        return self.root / "cache" / "background"

    def features_dir(self, key: str) -> Path:
        return self.root / "cache" / "features" / key

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def config(self) -> ProjectConfig:
        return load_config(self.config_path)

    def manifest(self, *, check_files: bool = True) -> Manifest:
        return read_manifest(self.manifest_path, self.root, check_files=check_files)

    def inputs(self) -> Inputs:
        """Settings and manifest, validated; video files need not exist (features are read)."""
        return Inputs(self.root, self.config(), self.manifest(check_files=False))


def open_project(root: Project | Path | str, *, manifest: Path | str | None = None) -> Project:
    """A project folder that must exist and hold a manifest.

    ``root`` may also be a manifest CSV: its folder is then the project. ``manifest``
    names another manifest than ``manifest.csv``.
    """
    path = root.root if isinstance(root, Project) else Path(root)
    if manifest is None and isinstance(root, Project):
        manifest = root.manifest_file
    if path.is_file() and path.suffix.lower() == ".csv":
        path, manifest = path.parent, path
    project = Project(path, Path(manifest) if manifest is not None else None)
    if not project.root.is_dir():
        raise PainscopeError(
            f"{project.root}: no such project folder",
            fix=f"run `painscope init {project.root}` first",
        )
    if not project.manifest_path.exists():
        raise PainscopeError(
            f"{project.manifest_path}: the project has no manifest",
            fix=f"run `painscope init {project.root}` and list your videos in manifest.csv",
        )
    return project


def init_project(root: Path | str, *, overwrite: bool = False) -> Project:
    """Create a project folder with a commented ``painscope.yaml`` and a manifest template.

    Existing files are left alone unless ``overwrite`` is true.
    """
    project = Project(Path(root))
    project.root.mkdir(parents=True, exist_ok=True)
    (project.root / "videos").mkdir(exist_ok=True)
    if overwrite or not project.config_path.exists():
        atomic_write_text(project.config_path, config_template())
    if overwrite or not project.manifest_path.exists():
        atomic_write_text(project.manifest_path, TEMPLATE)
    return project
