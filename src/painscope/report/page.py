"""The report page's parts: style sheet, figure and table embedding, HTML escaping."""

from __future__ import annotations

import base64
import html
import platform
from pathlib import Path
from typing import TYPE_CHECKING

from painscope.io.atomic import atomic_write_text
from painscope.report import tables
from painscope.report.data import Run
from painscope.report.style import save_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ENV_PACKAGES = ("painscope", "torch", "torchvision", "numpy", "scikit-learn", "matplotlib")

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
 margin:0;color:#1a1a1a;background:#fafafa;line-height:1.45}
main{max-width:1150px;margin:0 auto;padding:1.5rem 2rem 4rem;background:#fff}
h1{font-size:1.6rem;margin:.2rem 0} h2{font-size:1.25rem;border-bottom:2px solid #0072B2;
 padding-bottom:.2rem;margin-top:2.4rem} h3{font-size:1.02rem;margin:1.4rem 0 .4rem}
.sub{color:#555;font-size:.9rem}
nav ol{columns:2;font-size:.92rem;padding-left:1.2rem}
.banner{border:3px solid #D55E00;background:#fff1e6;color:#7a2a00;padding:.8rem 1rem;
 margin:.8rem 0;font-weight:600;border-radius:4px}
.banner strong{font-size:1.1rem;display:block;text-transform:uppercase;letter-spacing:.03em}
.note{border-left:4px solid #999;background:#f3f3f3;padding:.5rem .8rem;color:#444}
.tablewrap{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.88rem}
th,td{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:right;vertical-align:top}
th{background:#f0f4f8;border-bottom:2px solid #bbb}
td:first-child,th:first-child{text-align:left}
td small{display:block;color:#666;font-size:.75rem;white-space:nowrap}
table caption{caption-side:top;text-align:left;color:#444;font-size:.85rem;padding-bottom:.3rem}
.row{display:flex;flex-wrap:wrap;gap:0 2rem;align-items:flex-start}
figure{margin:1rem 0 1.6rem;display:table} figure img{max-width:100%;height:auto;display:block}
figcaption{display:table-caption;caption-side:bottom;font-size:.82rem;color:#555;
 margin-top:.3rem}
pre{background:#f6f6f6;padding:.8rem;overflow:auto;font-size:.8rem;max-height:28rem}
details summary{cursor:pointer;color:#0072B2}
dl.kv{display:grid;grid-template-columns:max-content auto;gap:.15rem 1rem;font-size:.9rem}
dl.kv dt{color:#555} dl.kv dd{margin:0}
"""


class Builder:
    """Collects the figures and tables written while the sections render."""

    def __init__(
        self,
        run: Run,
        figures_dir: Path,
        drug_run: Run | None = None,
        *,
        all_methods: bool = False,
    ) -> None:
        self.run = run
        self.drug_run = drug_run
        self.figures_dir = figures_dir
        self.all_methods = all_methods
        self.files: list[Path] = []

    def figure(self, fig: Figure, name: str, caption: str) -> str:
        png_path, svg_path, png = save_figure(fig, self.figures_dir, name)
        self.files += [png_path, svg_path]
        rel = f"figures/{name}"
        return (
            f'<figure id="fig-{esc(name)}">{img(png, caption)}'
            f"<figcaption>{esc(caption)} <span class='sub'>Files: {rel}.png, {rel}.svg</span>"
            "</figcaption></figure>"
        )

    def table(self, table: tables.Table) -> str:
        path = self.figures_dir / f"{table.name}.csv"
        self.figures_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, table.to_frame().to_csv(index=False))
        self.files.append(path)
        return render_table(table)


def img(png: bytes, alt: str) -> str:
    """An <img> with the PNG embedded, shown at its physical size (saved at 150 dpi)."""
    width_px = int.from_bytes(png[16:20], "big")  # PNG IHDR width
    css_width = round(width_px * 96 / 150)
    encoded = base64.b64encode(png).decode("ascii")
    return f'<img alt="{esc(alt)}" width="{css_width}" src="data:image/png;base64,{encoded}">'


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def render_table(table: tables.Table) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in table.header)
    body = []
    for row in table.rows:
        cells = []
        for cell in row:
            detail = f"<small>{esc(cell.detail)}</small>" if cell.detail else ""
            cells.append(f"<td>{esc(cell.main)}{detail}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="tablewrap"><table id="tab-{esc(table.name)}">'
        f"<caption>{esc(table.caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in ENV_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out
