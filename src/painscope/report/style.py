"""One figure style for every painscope figure: colour-blind-safe colours, one font, sizes.

Colours
-------
Categorical colours come from the Okabe–Ito palette (safe for the common forms of
colour blindness). The 15-class scheme has more classes than any safe palette has
hues, so its classes are coloured by *condition family* (formalin, SNI, control each
one Okabe–Ito hue, D0 grey) with lightness rising with the timepoint; other schemes
with more than eight classes use evenly spaced viridis colours. Continuous values
(confusion matrices) use ``viridis``; attention heat maps use ``inferno``.

Figures are built on :class:`matplotlib.figure.Figure` directly (no pyplot global state),
inside :func:`style_context`, and written by :func:`save_figure` as PNG and SVG.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

OKABE_ITO = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#000000",  # black
)
GREY = "#999999"
SEQUENTIAL_CMAP = "viridis"
HEATMAP_CMAP = "inferno"
FAMILY_COLOURS = {"formalin": "#D55E00", "SNI": "#0072B2", "control": "#009E73"}
# Named 3-class colours so "no pain" is the same colour in every figure.
THREE_CLASS_COLOURS = {"no pain": "#009E73", "inflammatory": "#D55E00", "neuropathic": "#0072B2"}

RC: dict[Any, Any] = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: identical rendering everywhere
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "standard",  # constrained layout already fits; "tight" costs a draw
    "svg.fonttype": "none",  # keep text as text in SVG so journals can edit it
    "svg.hashsalt": "painscope",  # deterministic SVG ids
    "image.cmap": SEQUENTIAL_CMAP,
}


@contextlib.contextmanager
def style_context() -> Iterator[None]:
    """Apply the painscope style (and the headless Agg backend) for the enclosed figures."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    with matplotlib.rc_context(RC):
        yield


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure not registered with pyplot (freed when it goes out of scope)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), layout="constrained")


def _mix(colour: str, towards: str, amount: float) -> str:
    from matplotlib.colors import to_hex, to_rgb

    a, b = to_rgb(colour), to_rgb(towards)
    return to_hex(
        (
            a[0] + (b[0] - a[0]) * amount,
            a[1] + (b[1] - a[1]) * amount,
            a[2] + (b[2] - a[2]) * amount,
        )
    )


def class_colours(classes: Sequence[str]) -> dict[str, str]:
    """A colour per class name (see module docstring for the rules)."""
    classes = list(classes)
    if all(c in THREE_CLASS_COLOURS for c in classes):
        return {c: THREE_CLASS_COLOURS[c] for c in classes}
    if len(classes) <= len(OKABE_ITO):
        return {c: OKABE_ITO[i] for i, c in enumerate(classes)}
    families: dict[str, list[str]] = {}
    for c in classes:
        family = c.split(" ", 1)[0] if " " in c else ""
        families.setdefault(family if family in FAMILY_COLOURS else "", []).append(c)
    if set(families) - {""} and len(families.get("", [])) <= 1:
        out = {c: GREY for c in families.get("", [])}
        for family, members in families.items():
            if family == "":
                continue
            n = len(members)
            for i, c in enumerate(members):
                # dark (early timepoint) → light (late timepoint), never washed out
                out[c] = _mix(FAMILY_COLOURS[family], "#000000", 0.35 * (1 - i / max(n - 1, 1)))
                out[c] = _mix(out[c], "#FFFFFF", 0.45 * i / max(n - 1, 1))
        return out
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    cmap = colormaps[SEQUENTIAL_CMAP]
    return {c: to_hex(cmap(i / max(len(classes) - 1, 1))) for i, c in enumerate(classes)}


def save_figure(fig: Figure, folder: Path, name: str) -> tuple[Path, Path, bytes]:
    """Write ``folder/name.png`` and ``folder/name.svg``; return both paths and the PNG bytes.

    The PNG bytes are what the HTML report embeds, so the report and the files agree.
    """
    from painscope.io.atomic import atomic_write_bytes

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    png = io.BytesIO()
    fig.savefig(png, format="png")
    svg = io.BytesIO()
    fig.savefig(svg, format="svg", metadata={"Date": None})
    png_path, svg_path = folder / f"{name}.png", folder / f"{name}.svg"
    atomic_write_bytes(png_path, png.getvalue())
    atomic_write_bytes(svg_path, svg.getvalue())
    return png_path, svg_path, png.getvalue()
