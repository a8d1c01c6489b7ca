"""Text from users (file names, manifest values, error messages) made safe for rich.

rich reads ``[...]`` as markup: a video called ``m01 [/] day3.mp4`` makes rich raise
``MarkupError`` and a ``[red]`` in a name silently hides text. Every user string
printed through a rich console, table or progress bar goes through :func:`safe`.
"""

from __future__ import annotations

from rich.markup import escape


def safe(text: object) -> str:
    """``text`` as a string whose square brackets rich prints literally."""
    return escape(str(text))
