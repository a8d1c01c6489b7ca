"""The ``painscope`` command line: one subcommand per job.

Each job lives in its own module under ``painscope/commands`` and registers
itself on :data:`app`; the modules are listed in ``COMMAND_MODULES``.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from painscope.cli_text import safe
from painscope.errors import PainscopeError

app = typer.Typer(
    name="painscope",
    help="Mouse pain-state classification from video (background removal, Video Swin, ViS4mer).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

COMMAND_MODULES = (
    "painscope.commands.project",
    "painscope.commands.extract",
    "painscope.commands.bench",
    "painscope.commands.pose",
    "painscope.commands.demo",
    "painscope.commands.explain",
    "painscope.commands.classify",
    "painscope.commands.simulate",
    "painscope.commands.report",
)


def user_errors(func: F) -> F:
    """Print a :class:`PainscopeError` as a short message (no traceback) and exit 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PainscopeError as err:
            console.print(f"[bold red]error:[/] {safe(err.message)}", markup=True, highlight=False)
            if err.fix:
                console.print(f"[bold]fix:[/] {safe(err.fix)}", markup=True, highlight=False)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    if version:
        from painscope.version import __version__

        typer.echo(__version__)
        raise typer.Exit()


for _name in COMMAND_MODULES:
    importlib.import_module(_name)


def main() -> None:
    app()
