"""``build_report``: a run folder → one self-contained ``report.html`` + ``figures/``.

The page embeds every figure as a base64 PNG and uses no script, font or style sheet
from outside the file, so it opens from disk with networking off. Each section whose
input is missing is replaced by a short note saying what would produce it.
"""

from __future__ import annotations

import base64
import html
import platform
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from painscope.io.atomic import atomic_write_text
from painscope.report import data, figures, tables
from painscope.report.data import Run
from painscope.report.motion import motion_section
from painscope.report.style import save_figure, style_context

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SECTIONS = (
    ("run", "What was run"),
    ("methods", "Headline results (Table 3)"),
    ("confusion", "Confusion matrices"),
    ("per-class", "Per-class metrics"),
    ("qwk", "Temporal consistency: QWK (Table 5)"),
    ("drugtest", "Drug test (Fig. 12)"),
    ("timeline", "Clip relevance over time"),
    ("embedding", "Embedding of videos"),
    ("attention", "Attention maps (Figs. 6–8)"),
    ("motion", "Motion readouts (silhouette)"),
)
N_TIMELINE_VIDEOS = 6
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


@dataclass
class Report:
    """What :func:`build_report` wrote."""

    html_path: Path
    figures: list[Path] = field(default_factory=list)
    sections: dict[str, bool] = field(default_factory=dict)  # section id → has content
    banners: list[str] = field(default_factory=list)


class _Builder:
    def __init__(self, run: Run, figures_dir: Path, drug_run: Run | None = None) -> None:
        self.run = run
        self.drug_run = drug_run
        self.figures_dir = figures_dir
        self.files: list[Path] = []

    def figure(self, fig: Figure, name: str, caption: str) -> str:
        png_path, svg_path, png = save_figure(fig, self.figures_dir, name)
        self.files += [png_path, svg_path]
        rel = f"figures/{name}"
        return (
            f'<figure id="fig-{_esc(name)}">{_img(png, caption)}'
            f"<figcaption>{_esc(caption)} <span class='sub'>Files: {rel}.png, {rel}.svg</span>"
            "</figcaption></figure>"
        )

    def table(self, table: tables.Table) -> str:
        path = self.figures_dir / f"{table.name}.csv"
        self.figures_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, table.to_frame().to_csv(index=False))
        self.files.append(path)
        return render_table(table)


def _img(png: bytes, alt: str) -> str:
    """An <img> with the PNG embedded, shown at its physical size (saved at 150 dpi)."""
    width_px = int.from_bytes(png[16:20], "big")  # PNG IHDR width
    css_width = round(width_px * 96 / 150)
    encoded = base64.b64encode(png).decode("ascii")
    return f'<img alt="{_esc(alt)}" width="{css_width}" src="data:image/png;base64,{encoded}">'


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _note(text: str) -> str:
    return f'<p class="note">{_esc(text)}</p>'


def render_table(table: tables.Table) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in table.header)
    body = []
    for row in table.rows:
        cells = []
        for cell in row:
            detail = f"<small>{_esc(cell.detail)}</small>" if cell.detail else ""
            cells.append(f"<td>{_esc(cell.main)}{detail}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="tablewrap"><table id="tab-{_esc(table.name)}">'
        f"<caption>{_esc(table.caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in ENV_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


# ---------------------------------------------------------------- sections


def _banners(run: Run) -> list[str]:
    out = []
    if data.weights_random(run):
        out.append(
            "Random backbone weights: the Video Swin backbone was randomly initialised "
            "(weights: none). These results say nothing about pain; use them only to test the "
            "pipeline. Re-extract with kinetics400 weights (or a local checkpoint)."
        )
    pairs = data.ungrouped(run)
    if pairs:
        every = len(pairs) == len(data.methods(run)) * len(data.schemes(run))
        listed = (
            "every method"
            if every
            else ", ".join(f"{data.method_name(m)} {data.scheme_name(s)}" for m, s in pairs)
        )
        out.append(
            "Cross-validation was not grouped by mouse (grouped_by: video) for "
            f"{listed}: videos of the same mouse can sit in training and test folds, which "
            "inflates scores. Re-run painscope cv with grouping by mouse_id for unbiased numbers."
        )
    return out


def _section_run(b: _Builder) -> str:
    run = b.run
    kv: list[tuple[str, str]] = [("Run folder", str(run.root))]
    kv.append(("painscope version of the run", data.painscope_version(run) or "not recorded"))
    backbones = [str(v) for v in data.find_key(run.config, "backbone")]
    kv.append(("Backbone", ", ".join(dict.fromkeys(backbones)) or "not recorded"))
    weights = data.backbone_weights(run)
    kv.append(("Backbone weights", ", ".join(dict.fromkeys(weights)) or "not recorded"))
    grouping = {
        g
        for m in data.methods(run)
        for s in data.schemes(run)
        if (g := data.grouped_by(data.entry(run, m, s)))
    }
    kv.append(("CV folds grouped by", ", ".join(sorted(grouping)) or "not recorded"))
    kv.append(("Methods", ", ".join(data.method_name(m) for m in data.methods(run)) or "none"))
    kv.append(("Label schemes", ", ".join(data.schemes(run)) or "none"))
    if run.predictions is not None and "video_id" in run.predictions:
        n_videos = run.predictions["video_id"].nunique()
        n_mice = run.predictions["mouse_id"].nunique() if "mouse_id" in run.predictions else "?"
        kv.append(("Data", f"{n_videos} videos of {n_mice} mice"))
    if run.folds is not None and "fold" in run.folds:
        kv.append(("Folds", str(run.folds["fold"].nunique())))
    versions = ", ".join(f"{k} {v}" for k, v in _versions().items())
    kv.append(("Report made with", versions))
    kv.append(("Report made at", datetime.now().isoformat(timespec="seconds")))
    parts = ['<dl class="kv">']
    parts += [f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in kv]
    parts.append("</dl>")
    parts += [_note(n) for n in run.notes]
    counts = _class_counts(run)
    if counts:
        parts.append(counts)
    if run.config_text is not None:
        parts.append(
            "<details><summary>Resolved settings (config.yaml)</summary>"
            f"<pre>{_esc(run.config_text)}</pre></details>"
        )
    else:
        parts.append(_note("config.yaml is missing: settings of this run are unknown."))
    return "".join(parts)


def _class_counts(run: Run) -> str:
    method = data.primary_method(run)
    blocks = []
    for s in data.schemes(run):
        rows = data.video_predictions(run, method, s) if method else None
        if rows is None or "true_label" not in rows:
            continue
        counts = rows["true_label"].astype(str).value_counts()
        e = data.entry(run, method, s) if method else None
        order = [c for c in data.classes(e) if c in counts.index] or list(counts.index)
        table = tables.Table(
            name=f"videos_per_class_{s}",
            caption=f"Videos per class, {data.scheme_name(s)}.",
            header=["Class", "Videos"],
            rows=[[tables.Cell(c), tables.Cell(str(int(counts[c])))] for c in order],
        )
        blocks.append(render_table(table))
    if not blocks:
        return ""
    return "<details><summary>Videos per class</summary>" + "".join(blocks) + "</details>"


def _section_methods(b: _Builder) -> str:
    run = b.run
    table = tables.methods_table(run)
    if table is None:
        return _note("metrics.json has no results: run painscope cv to fill this table.")
    parts = [b.table(table), '<div class="row">']
    names = [
        m
        for m in data.methods(run)
        if any(data.has_scores(data.entry(run, m, s)) for s in data.schemes(run))
    ]
    for s in data.schemes(run):
        entries = [data.entry(run, m, s) for m in names]
        values = [data.score(e, "accuracy") for e in entries]
        if all(v is None for v in values):
            continue
        cis = [data.score_ci(e, "accuracy") for e in entries]
        chance = next((c for e in entries if (c := data.chance_level(e)) is not None), None)
        with style_context():
            fig = figures.methods_figure(
                [data.method_name(m) for m in names],
                values,
                cis,
                chance,
                f"{data.scheme_name(s)} accuracy by method",
            )
            parts.append(
                b.figure(
                    fig,
                    f"methods_accuracy_{s}",
                    f"{data.scheme_name(s)} micro accuracy per method with 95% CI; "
                    "dashed: chance level (majority class).",
                )
            )
    parts.append("</div>")
    return "".join(parts)


def _detail_methods(run: Run, all_methods: bool) -> list[str]:
    primary = data.primary_method(run)
    if primary is None:
        return []
    return data.methods(run) if all_methods else [primary]


def _section_confusion(b: _Builder, all_methods: bool) -> str:
    parts = []
    for m in _detail_methods(b.run, all_methods):
        for s in data.schemes(b.run):
            cm = data.confusion(data.entry(b.run, m, s))
            if cm is None:
                continue
            matrix, names = cm
            title = f"{data.method_name(m)}, {data.scheme_name(s)}"
            parts.append(f"<h3>{_esc(title)}</h3>")
            with style_context():
                fig = figures.confusion_figure(matrix, names, title)
                parts.append(
                    b.figure(
                        fig,
                        f"confusion_{m}_{s}",
                        f"Confusion matrix pooled over test folds, {title}: counts and "
                        "row-normalised (diagonal = recall).",
                    )
                )
    return "".join(parts) or _note("metrics.json has no confusion matrices.")


def _section_per_class(b: _Builder, all_methods: bool) -> str:
    parts = []
    for m in _detail_methods(b.run, all_methods):
        for s in data.schemes(b.run):
            table = tables.per_class_table(b.run, m, s)
            frame = data.per_class(data.entry(b.run, m, s))
            if table is None or frame is None:
                continue
            title = f"{data.method_name(m)}, {data.scheme_name(s)}"
            parts.append(f'<h3>{_esc(title)}</h3><div class="row">')
            with style_context():
                fig = figures.per_class_figure(frame, title)
                parts.append(
                    b.figure(
                        fig, f"per_class_{m}_{s}", f"Precision, recall and F1 per class, {title}."
                    )
                )
            parts.append(b.table(table) + "</div>")
    return "".join(parts) or _note("metrics.json has no per-class metrics.")


def _section_qwk(b: _Builder) -> str:
    method = data.primary_method(b.run)
    table = tables.qwk_table(b.run, method) if method else None
    if table is None:
        return _note(
            "No QWK in metrics.json (needs 15-class results with condition and timepoint)."
        )
    return (
        b.table(table)
        + "<p class='sub'>Within each condition, timepoints are ordered D0 &lt; 1min &lt; 2h &lt; "
        "D3 &lt; D5 &lt; D7 &lt; D14 &lt; D21; QWK is Cohen's kappa with quadratic weights between "
        "the true and predicted order, for the videos whose true timepoint lies in the window.</p>"
    )


def _section_drugtest(b: _Builder) -> str:
    tests = data.drug_tests(b.drug_run) if b.drug_run is not None else []
    tests = [t for t in tests if t.groups]
    if not tests:
        return _note(
            "No drug test for this run (painscope drugtest RUN_DIR writes a run folder with "
            "drugtest.json; it is picked up here when its config names this run)."
        )
    primary = tests[0].method
    parts = []
    if b.drug_run is not None and b.drug_run.root != b.run.root:
        parts.append(f"<p class='sub'>From {_esc(b.drug_run.root)}</p>")
    for i, test in enumerate(t for t in tests if t.method == primary):
        classes = list(dict.fromkeys(c for g in test.groups for c in g.shares))
        label = f"{data.method_name(test.method)}, {data.scheme_name(test.scheme)}"
        name = f"drugtest_{test.method}_{test.scheme}" if test.method else "drugtest"
        if i > 0:  # Fig. 12 is the first (3-class) scheme; the rest as tables only
            parts.append(f"<details><summary>{_esc(label)}</summary>")
            table = tables.drugtest_table(test)
            if table is not None:
                parts.append(b.table(table))
            if test.test:
                parts.append(f"<p><b>Test:</b> {_esc(figures.test_summary(test.test))}</p>")
            parts.append("</details>")
            continue
        if test.method:
            parts.append(f"<h3>{_esc(label)}</h3>")
        with style_context():
            fig = figures.drugtest_figure(test.groups, classes, test.test)
            parts.append(
                b.figure(
                    fig,
                    name,
                    "Share of each group's videos predicted as each class, with 95% CIs "
                    "(models applied without retraining).",
                )
            )
        table = tables.drugtest_table(test)
        if table is not None:
            parts.append(b.table(table))
        if test.test:
            parts.append(f"<p><b>Test:</b> {_esc(figures.test_summary(test.test))}</p>")
        else:
            parts.append(_note("No between-group test (needs two groups and two classes)."))
        pairwise = tables.pairwise_table(test)
        if pairwise is not None:
            parts.append(
                "<details><summary>Pairwise tests</summary>" + b.table(pairwise) + "</details>"
            )
    return "".join(parts)


def _section_timeline(b: _Builder) -> str:
    run = b.run
    method = data.primary_method(run)
    if method is None:
        return _note("No results to draw timelines for.")
    parts = []
    for s in data.schemes(run):
        relevance = data.clip_relevance(run, method, s)
        rows = data.video_predictions(run, method, s)
        if not relevance or rows is None:
            continue
        rows = rows[rows["video_id"].astype(str).isin(relevance)]
        if rows.empty:
            continue
        chosen = _pick_videos(rows, N_TIMELINE_VIDEOS)
        probs = data.probabilities(rows)
        videos = []
        for _, r in chosen.iterrows():
            p = None
            if probs is not None and f"{data.PROB_PREFIX}{r['pred_label']}" in rows:
                p = float(r[f"{data.PROB_PREFIX}{r['pred_label']}"])
            videos.append(
                figures.TimelineVideo(
                    str(r["video_id"]),
                    relevance[str(r["video_id"])],
                    str(r["true_label"]),
                    str(r["pred_label"]),
                    p,
                )
            )
        classes = data.classes(data.entry(run, method, s)) or sorted(
            set(rows["true_label"].astype(str)) | set(rows["pred_label"].astype(str))
        )
        title = f"{data.method_name(method)}, {data.scheme_name(s)}"
        with style_context():
            fig = figures.timeline_figure(videos, classes, data.clip_seconds(run), title)
            parts.append(
                b.figure(
                    fig,
                    f"timeline_{method}_{s}",
                    f"Clip-level relevance over each video ({title}); colour = predicted class. "
                    "High values mark the clips the classifier relied on.",
                )
            )
    if not parts:
        return _note(
            "No clip_relevance/ in this run (painscope cv writes one file per test video)."
        )
    return '<div class="row">' + "".join(parts) + "</div>"


def _pick_videos(rows: pd.DataFrame, n: int) -> pd.DataFrame:
    """Up to n videos, one per true class first (so the panel shows variety)."""
    firsts = rows.drop_duplicates("true_label")
    if len(firsts) >= n:
        return firsts.head(n)
    return pd.concat([firsts, rows.drop(firsts.index).head(n - len(firsts))])


def _section_embedding(b: _Builder) -> str:
    run = b.run
    method = data.primary_method(run)
    parts: list[str] = []
    if method is None:
        return _note("No results to embed.")
    for s in data.schemes(run):
        rows = data.video_predictions(run, method, s)
        probs = data.probabilities(rows) if rows is not None else None
        if rows is None or probs is None or len(rows) < 3:
            continue
        x, names = probs
        points, how = figures.embed_2d(np.log(np.clip(x, 1e-6, 1.0)))
        title = f"{data.method_name(method)}, {data.scheme_name(s)}: {how} of class probabilities"
        classes = data.classes(data.entry(run, method, s)) or names
        with style_context():
            fig = figures.embedding_figure(points, rows["true_label"].astype(str), classes, title)
            parts.append(
                b.figure(
                    fig,
                    f"embedding_{method}_{s}",
                    f"{how} of the videos' predicted class log-probabilities (one dot per "
                    "video, coloured by true class). Well-separated colours = classes the model "
                    "tells apart.",
                )
            )
    if not parts:
        return _note("predictions.csv has no prob_<class> columns to embed.")
    return '<div class="row">' + "".join(parts) + "</div>"


def _section_attention(b: _Builder) -> str:
    folder = b.run.root / "attention"
    pngs = sorted(folder.glob("*.png")) if folder.is_dir() else []
    if not pngs:
        return _note(
            "No attention maps yet: painscope explain VIDEO --clip K --out RUN_DIR/attention "
            "writes Grad-CAM figures there (raw frame, background removed, heat map, mask block)."
        )
    parts = []
    for p in pngs:
        parts.append(
            f"<figure>{_img(p.read_bytes(), 'attention map ' + p.stem)}"
            f"<figcaption>{_esc(p.stem)}: Grad-CAM of the "
            "Video Swin token map (see docs/report.md). Files: "
            f"attention/{_esc(p.name)}</figcaption></figure>"
        )
    return "".join(parts)


# ---------------------------------------------------------------- entry point


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
    drugtest : a drug-test run folder to include; default: this folder's own drugtest.json,
        else the newest sibling run whose config.yaml has ``trained_run`` = this run
    drugtest : a drug-test run folder to include; default: this folder's own drugtest.json,
        else the newest sibling run whose config.yaml has ``trained_run`` = this run

    Returns
    -------
    Report : paths written, which sections have content, the banners shown
    """
    run = data.load_run(run_dir)
    drug_run: Run | None = run if run.drugtest is not None else None
    if drugtest is not None:
        drug_run = data.load_run(drugtest)
    elif drug_run is None and (siblings := data.drugtest_runs(run)):
        drug_run = data.load_run(siblings[-1])
    builder = _Builder(run, run.root / "figures", drug_run)
    out = Path(out) if out is not None else run.root / "report.html"
    bodies = {
        "run": _section_run(builder),
        "methods": _section_methods(builder),
        "confusion": _section_confusion(builder, all_methods),
        "per-class": _section_per_class(builder, all_methods),
        "qwk": _section_qwk(builder),
        "drugtest": _section_drugtest(builder),
        "timeline": _section_timeline(builder),
        "embedding": _section_embedding(builder),
        "attention": _section_attention(builder),
        "motion": motion_section(run.root.parent.parent),  # PROJECT/runs/<run>
    }
    banners = _banners(run)
    report = Report(html_path=out, figures=builder.files, banners=banners)
    report.sections = {k: not v.startswith('<p class="note">') for k, v in bodies.items()}
    title = f"painscope report — {run.root.name}"
    toc = "".join(f'<li><a href="#{sid}">{_esc(name)}</a></li>' for sid, name in SECTIONS)
    banner_html = "".join(
        f'<div class="banner" role="alert"><strong>Warning</strong>{_esc(t)}</div>' for t in banners
    )
    sections_html = "".join(
        f'<section id="{sid}"><h2>{_esc(name)}</h2>{bodies[sid]}</section>'
        for sid, name in SECTIONS
    )
    page = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_esc(title)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{_esc(title)}</h1><p class='sub'>Mouse pain-state classification from video "
        "(background removal, Video Swin token maps, ViS4mer). Every figure is also in "
        "figures/ as PNG and SVG.</p>"
        f"{banner_html}<nav><ol>{toc}</ol></nav>{sections_html}</main></body></html>\n"
    )
    atomic_write_text(out, page)
    return report
