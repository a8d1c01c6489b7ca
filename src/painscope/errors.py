"""Exceptions for user mistakes and bad input.

Every error names the file (and row/column/key where there is one) and says
what to do next. The CLI prints these without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class PainscopeError(Exception):
    """Base class: a problem the user can fix. ``fix`` says how."""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(message if fix is None else f"{message}\n  fix: {fix}")


class ConfigError(PainscopeError):
    """A setting in painscope.yaml (or passed in code) is invalid."""


class ManifestError(PainscopeError):
    """One or more rows of manifest.csv are invalid; ``problems`` lists them all."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"{path}: {len(problems)} problem(s) in the manifest:\n{lines}",
            fix="edit the rows named above (row numbers count the header as row 1)",
        )


class VideoError(PainscopeError):
    """A video cannot be decoded or is unusable (too short, no frames, ...)."""

    def __init__(self, path: Path | str, problem: str, *, fix: str | None = None) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}", fix=fix)


class WeightsError(PainscopeError):
    """Backbone weights are missing, unreadable or do not fit the architecture."""


class FeatureStoreError(PainscopeError):
    """A feature file is missing, corrupt or was made with other settings."""
