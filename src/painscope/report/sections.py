"""The report's sections as a registry: (id, title, render) in page order.

``render(builder)`` returns a :class:`Body`: its HTML and whether the section has
content (a section without input renders a short note saying what would produce it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from painscope.report import data, figures, tables
from painscope.report.data import Run
from painscope.report.page import Builder, esc, img, note, render_table, versions
from painscope.report.style import style_context

N_TIMELINE_VIDEOS = 6


@dataclass(frozen=True)
class Body:
    """A rendered section: its HTML, and False when it only holds a note."""

    html: str
    has_content: bool = True


def empty(text: str) -> Body:
    """A section without input: the note saying what would fill it."""
    return Body(note(text), has_content=False)


def joined(parts: list[str], missing: str) -> Body:
    return Body("".join(parts)) if parts else empty(missing)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    render: Callable[[Builder], Body]


def banners(run: Run) -> list[str]:
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


def _section_run(b: Builder) -> Body:
    run = b.run
    kv: list[tuple[str, str]] = [("Run folder", str(run.root))]
    kv.append(("painscope version of the run", data.painscope_version(run) or "not recorded"))
    kv.append(("Backbone", data.backbone(run) or "not recorded"))
    kv.append(("Backbone weights", data.backbone_weights(run) or "not recorded"))
    grouping = {e.grouped_by.value for e in run.results.scores.values()}
    kv.append(("CV folds grouped by", ", ".join(sorted(grouping)) or "not recorded"))
    kv.append(("Methods", ", ".join(data.method_name(m) for m in data.methods(run)) or "none"))
    kv.append(("Label schemes", ", ".join(data.schemes(run)) or "none"))
    if run.predictions is not None and "video_id" in run.predictions:
        n_videos = run.predictions["video_id"].nunique()
        n_mice = run.predictions["mouse_id"].nunique() if "mouse_id" in run.predictions else "?"
        kv.append(("Data", f"{n_videos} videos of {n_mice} mice"))
    if run.folds is not None and "fold" in run.folds:
        kv.append(("Folds", str(run.folds["fold"].nunique())))
    kv.append(("Report made with", ", ".join(f"{k} {v}" for k, v in versions().items())))
    kv.append(("Report made at", datetime.now().isoformat(timespec="seconds")))
    parts = ['<dl class="kv">']
    parts += [f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in kv]
    parts.append("</dl>")
    parts += [note(n) for n in run.notes]
    counts = _class_counts(run)
    if counts:
        parts.append(counts)
    if run.config_text is not None:
        parts.append(
            "<details><summary>Resolved settings (config.yaml)</summary>"
            f"<pre>{esc(run.config_text)}</pre></details>"
        )
    else:
        parts.append(note("config.yaml is missing: settings of this run are unknown."))
    return Body("".join(parts))


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


def _section_methods(b: Builder) -> Body:
    run = b.run
    table = tables.methods_table(run)
    if table is None:
        return empty("metrics.json has no results: run painscope cv to fill this table.")
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
    return Body("".join(parts))


def _detail_methods(run: Run, all_methods: bool) -> list[str]:
    primary = data.primary_method(run)
    if primary is None:
        return []
    return data.methods(run) if all_methods else [primary]


def _section_confusion(b: Builder) -> Body:
    parts = []
    for m in _detail_methods(b.run, b.all_methods):
        for s in data.schemes(b.run):
            cm = data.confusion(data.entry(b.run, m, s))
            if cm is None:
                continue
            matrix, names = cm
            title = f"{data.method_name(m)}, {data.scheme_name(s)}"
            parts.append(f"<h3>{esc(title)}</h3>")
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
    return joined(parts, "metrics.json has no confusion matrices.")


def _section_per_class(b: Builder) -> Body:
    parts = []
    for m in _detail_methods(b.run, b.all_methods):
        for s in data.schemes(b.run):
            table = tables.per_class_table(b.run, m, s)
            frame = data.per_class(data.entry(b.run, m, s))
            if table is None or frame is None:
                continue
            title = f"{data.method_name(m)}, {data.scheme_name(s)}"
            parts.append(f'<h3>{esc(title)}</h3><div class="row">')
            with style_context():
                fig = figures.per_class_figure(frame, title)
                parts.append(
                    b.figure(
                        fig, f"per_class_{m}_{s}", f"Precision, recall and F1 per class, {title}."
                    )
                )
            parts.append(b.table(table) + "</div>")
    return joined(parts, "metrics.json has no per-class metrics.")


def _section_qwk(b: Builder) -> Body:
    method = data.primary_method(b.run)
    table = tables.qwk_table(b.run, method) if method else None
    if table is None:
        return empty(
            "No QWK in metrics.json (needs 15-class results with condition and timepoint)."
        )
    return Body(
        b.table(table)
        + "<p class='sub'>Within each condition, timepoints are ordered D0 &lt; 1min &lt; 2h &lt; "
        "D3 &lt; D5 &lt; D7 &lt; D14 &lt; D21; QWK is Cohen's kappa with quadratic weights between "
        "the true and predicted order, for the videos whose true timepoint lies in the window.</p>"
    )


def _section_drugtest(b: Builder) -> Body:
    tests = data.drug_tests(b.drug_run) if b.drug_run is not None else []
    tests = [t for t in tests if t.groups]
    if not tests:
        return empty(
            "No drug test for this run (painscope drugtest RUN_DIR writes a run folder with "
            "drugtest.json; it is picked up here when its config names this run)."
        )
    primary = tests[0].method
    parts = []
    if b.drug_run is not None and b.drug_run.root != b.run.root:
        parts.append(f"<p class='sub'>From {esc(b.drug_run.root)}</p>")
    for i, test in enumerate(t for t in tests if t.method == primary):
        classes = list(dict.fromkeys(c for g in test.groups for c in g.shares))
        label = f"{data.method_name(test.method)}, {data.scheme_name(test.scheme)}"
        name = f"drugtest_{test.method}_{test.scheme}" if test.method else "drugtest"
        if i > 0:  # Fig. 12 is the first (3-class) scheme; the rest as tables only
            parts.append(f"<details><summary>{esc(label)}</summary>")
            table = tables.drugtest_table(test)
            if table is not None:
                parts.append(b.table(table))
            if test.test:
                parts.append(f"<p><b>Test:</b> {esc(figures.test_summary(test.test))}</p>")
            parts.append("</details>")
            continue
        if test.method:
            parts.append(f"<h3>{esc(label)}</h3>")
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
            parts.append(f"<p><b>Test:</b> {esc(figures.test_summary(test.test))}</p>")
        else:
            parts.append(note("No between-group test (needs two groups and two classes)."))
        pairwise = tables.pairwise_table(test)
        if pairwise is not None:
            parts.append(
                "<details><summary>Pairwise tests</summary>" + b.table(pairwise) + "</details>"
            )
    return Body("".join(parts))


def _section_timeline(b: Builder) -> Body:
    run = b.run
    method = data.primary_method(run)
    if method is None:
        return empty("No results to draw timelines for.")
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
        return empty(
            "No clip_relevance/ in this run (painscope cv writes one file per test video)."
        )
    return Body('<div class="row">' + "".join(parts) + "</div>")


def _pick_videos(rows: pd.DataFrame, n: int) -> pd.DataFrame:
    """Up to n videos, one per true class first (so the panel shows variety)."""
    firsts = rows.drop_duplicates("true_label")
    if len(firsts) >= n:
        return firsts.head(n)
    return pd.concat([firsts, rows.drop(firsts.index).head(n - len(firsts))])


def _section_embedding(b: Builder) -> Body:
    run = b.run
    method = data.primary_method(run)
    parts: list[str] = []
    if method is None:
        return empty("No results to embed.")
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
        return empty("predictions.csv has no prob_<class> columns to embed.")
    return Body('<div class="row">' + "".join(parts) + "</div>")


def _section_attention(b: Builder) -> Body:
    folder = b.run.root / "attention"
    pngs = sorted(folder.glob("*.png")) if folder.is_dir() else []
    if not pngs:
        return empty(
            "No attention maps yet: painscope explain VIDEO --clip K --out RUN_DIR/attention "
            "writes Grad-CAM figures there (raw frame, background removed, heat map, mask block)."
        )
    parts = []
    for p in pngs:
        parts.append(
            f"<figure>{img(p.read_bytes(), 'attention map ' + p.stem)}"
            f"<figcaption>{esc(p.stem)}: Grad-CAM of the "
            "Video Swin token map (see docs/report.md). Files: "
            f"attention/{esc(p.name)}</figcaption></figure>"
        )
    return Body("".join(parts))


def _section_motion(b: Builder) -> Body:
    from painscope.report.motion import motion_section

    body = motion_section(b.run.root.parent.parent)  # PROJECT/runs/<run>
    if body is None:
        return empty(
            "No motion readouts: run painscope extract with extract.motion: true (the default "
            "with background: median); it writes cache/motion/summary.csv."
        )
    return Body(body)


SECTIONS: tuple[Section, ...] = (
    Section("run", "What was run", _section_run),
    Section("methods", "Headline results (Table 3)", _section_methods),
    Section("confusion", "Confusion matrices", _section_confusion),
    Section("per-class", "Per-class metrics", _section_per_class),
    Section("qwk", "Temporal consistency: QWK (Table 5)", _section_qwk),
    Section("drugtest", "Drug test (Fig. 12)", _section_drugtest),
    Section("timeline", "Clip relevance over time", _section_timeline),
    Section("embedding", "Embedding of videos", _section_embedding),
    Section("attention", "Attention maps (Figs. 6–8)", _section_attention),
    Section("motion", "Motion readouts (silhouette)", _section_motion),
)
