"""``build_report``: a run folder → one self-contained ``report.html`` + ``figures/``.

The page embeds every figure as a base64 PNG and uses no script, font or style sheet
from outside the file, so it opens from disk with networking off. Each section whose
input is missing is replaced by a short note saying what would produce it
(the sections: :data:`painscope.report.sections.SECTIONS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from painscope.io.atomic import atomic_write_text
from painscope.report import data
from painscope.report.data import Run
from painscope.report.page import CSS, Builder, esc
from painscope.report.sections import SECTIONS, banners

__all__ = ["SECTIONS", "Report", "build_report"]


@dataclass
class Report:
    """What :func:`build_report` wrote."""

    html_path: Path
    figures: list[Path] = field(default_factory=list)
    sections: dict[str, bool] = field(default_factory=dict)  # section id → has content
    banners: list[str] = field(default_factory=list)


def build_report(
    run_dir: Path,
    *,
    out: Path | None = None,
    all_methods: bool = False,
    drugtest: Path | None = None,
) -> Report:
    """Write ``report.html`` (or ``out``) and ``figures/*.png|svg|csv`` for a run folder.

    Parameters
    ----------
    run_dir : run folder (docs/design.md, "Run folder")
    out : HTML path; default ``run_dir/report.html``
    all_methods : confusion matrices and per-class figures for every method, not only the
        primary one (Ours+Mask when present)
    drugtest : a drug-test run folder to include; default: this folder itself when it is a
        drug-test run, else the newest sibling run whose config.yaml has ``trained_run`` =
        this run

    Returns
    -------
    Report : paths written, which sections have content, the banners shown
    """
    run = data.load_run(run_dir)
    drug_run: Run | None = run if run.results.drugtests else None
    if drugtest is not None:
        drug_run = data.load_run(drugtest)
    elif drug_run is None and (siblings := data.drugtest_runs(run)):
        drug_run = data.load_run(siblings[-1])
    builder = Builder(run, run.root / "figures", drug_run, all_methods=all_methods)
    out = Path(out) if out is not None else run.root / "report.html"
    bodies = {section.id: section.render(builder) for section in SECTIONS}
    shown = banners(run)
    report = Report(html_path=out, figures=builder.files, banners=shown)
    report.sections = {k: body.has_content for k, body in bodies.items()}
    title = f"painscope report — {run.root.name}"
    toc = "".join(f'<li><a href="#{s.id}">{esc(s.title)}</a></li>' for s in SECTIONS)
    banner_html = "".join(
        f'<div class="banner" role="alert"><strong>Warning</strong>{esc(t)}</div>' for t in shown
    )
    sections_html = "".join(
        f'<section id="{s.id}"><h2>{esc(s.title)}</h2>{bodies[s.id].html}</section>'
        for s in SECTIONS
    )
    page = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{esc(title)}</h1><p class='sub'>Mouse pain-state classification from video "
        "(background removal, Video Swin token maps, ViS4mer). Every figure is also in "
        "figures/ as PNG and SVG.</p>"
        f"{banner_html}<nav><ol>{toc}</ol></nav>{sections_html}</main></body></html>\n"
    )
    atomic_write_text(out, page)
    return report
