"""Fault campaign, names: ``[/]`` or ``[red]`` in a file name never breaks or hides output."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from painscope.cli import app
from painscope.cli_text import safe

NAMES = ["lab [/] day3", "mouse [red]hidden[/red] 7", "cage [bold"]


def _flat(text: str) -> str:
    return "".join(text.split())  # rich wraps long paths across lines


def test_safe_keeps_brackets_literal() -> None:
    from rich.console import Console

    console = Console(record=True, width=200)
    console.print(f"[bold]{safe('a [/] b [red]c[/red]')}[/]")
    assert console.export_text().strip() == "a [/] b [red]c[/red]"


@pytest.mark.parametrize("name", NAMES)
def test_init_prints_a_markup_like_folder_name(tmp_path: Path, name: str) -> None:
    root = tmp_path / name
    result = CliRunner().invoke(app, ["init", str(root)])
    assert result.exit_code == 0, result.output
    assert _flat(str(root)) in _flat(result.output)


@pytest.mark.parametrize("name", NAMES)
def test_error_naming_a_markup_like_path_is_printed_whole(tmp_path: Path, name: str) -> None:
    root = tmp_path / name
    root.mkdir(parents=True)
    (root / "manifest.csv").write_text("video,mouse_id\nvideos/x [/] y.mp4,m1\n")
    result = CliRunner().invoke(app, ["cv", str(root)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # typer.Exit(2), not a MarkupError
    assert _flat("videos/x [/] y.mp4") in _flat(result.output)
    assert _flat(name) in _flat(result.output)
