"""The report's figures, each a function from plain arrays to a matplotlib Figure.

Call them inside :func:`painscope.report.style.style_context`; save with
:func:`painscope.report.style.save_figure`. They take arrays and names rather than a
run folder, so a script can reuse them for a paper.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from painscope.report.style import (
    GREY,
    OKABE_ITO,
    SEQUENTIAL_CMAP,
    class_colours,
    new_figure,
)

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from painscope.report.data import DrugGroup


def _pct(x: float) -> str:
    return f"{100 * x:.0f}"


def methods_figure(
    names: Sequence[str],
    values: Sequence[float | None],
    cis: Sequence[tuple[float, float] | None],
    chance: float | None,
    title: str,
    metric_label: str = "accuracy (%)",
) -> Figure:
    """Horizontal bars: one score per method with its 95 % CI; the chance level dashed.

    values, cis, chance : fractions in [0, 1]
    """
    n = len(names)
    fig = new_figure(5.5, 0.45 * n + 1.0)
    ax = fig.add_subplot()
    y = np.arange(n)[::-1]
    vals = np.array([np.nan if v is None else 100 * v for v in values])
    colours = [OKABE_ITO[4] if i == 0 else GREY for i in range(n)]
    ax.barh(y, np.nan_to_num(vals), color=colours, height=0.6)
    for yi, ci in zip(y, cis, strict=True):
        if ci is not None:
            ax.plot([100 * ci[0], 100 * ci[1]], [yi, yi], color="black", lw=1.2)
    for yi, v in zip(y, vals, strict=True):
        if np.isfinite(v):
            ax.text(v + 1, yi + 0.3, f"{v:.1f}", va="center", fontsize=7)
    if chance is not None:
        ax.axvline(100 * chance, color="black", ls="--", lw=0.8, label="chance level")
        ax.legend(loc="lower right", frameon=False)
    ax.set_yticks(y, list(names))
    ax.set_xlim(0, 100)
    ax.set_xlabel(metric_label)
    ax.set_title(title)
    return fig


def confusion_figure(matrix: np.ndarray, classes: Sequence[str], title: str) -> Figure:
    """Confusion matrix as counts (left) and row-normalised, i.e. recall per class (right).

    matrix : array of shape (n_classes, n_classes), rows true, columns predicted
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    k = len(classes)
    side = 2.2 + 0.32 * k
    fig = new_figure(2 * side + 0.6, side)
    rows = matrix.sum(1, keepdims=True)
    normalised = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    axes = fig.subplots(1, 2)
    for ax, values, label, fmt in (
        (axes[0], matrix, "videos", "{:.0f}"),
        (axes[1], normalised, "share of true class", "{:.2f}"),
    ):
        vmax = values.max() if values.size and values.max() > 0 else 1.0
        im = ax.imshow(values, cmap=SEQUENTIAL_CMAP, vmin=0, vmax=vmax)
        fontsize = 8 if k <= 6 else 5.5
        for i in range(k):
            for j in range(k):
                v = values[i, j]
                if v == 0 and k > 6:
                    continue
                ax.text(
                    j,
                    i,
                    fmt.format(v),
                    ha="center",
                    va="center",
                    fontsize=fontsize,
                    color="black" if v > 0.6 * vmax else "white",
                )
        ax.set_xticks(range(k), list(classes), rotation=60, ha="right", rotation_mode="anchor")
        ax.set_yticks(range(k), list(classes))
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.spines[:].set_visible(False)
        fig.colorbar(im, ax=ax, shrink=0.8, label=label)
    axes[0].set_title("counts")
    axes[1].set_title("normalised by true class")
    fig.suptitle(title)
    return fig


def per_class_figure(table: pd.DataFrame, title: str) -> Figure:
    """Precision, recall and F1 per class (horizontal grouped bars; support in the labels).

    table : index class names; columns precision, recall, f1, support
    """
    k = len(table)
    fig = new_figure(5.5, 0.42 * k + 1.2)
    ax = fig.add_subplot()
    y = np.arange(k)[::-1].astype(float)
    height = 0.26
    for offset, (col, colour) in zip(
        (height, 0.0, -height),
        (("precision", OKABE_ITO[1]), ("recall", OKABE_ITO[0]), ("f1", OKABE_ITO[4])),
        strict=True,
    ):
        vals = table[col].to_numpy(dtype=float)
        ax.barh(y + offset, np.nan_to_num(vals), height=height, color=colour, label=col)
    labels = [
        f"{c} (n={int(s)})" if s == s and s is not None else str(c)
        for c, s in zip(table.index, table["support"], strict=True)
    ]
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 1)
    ax.set_xlabel("score")
    ax.legend(loc="lower right", frameon=False, ncols=3, bbox_to_anchor=(1, 1))
    ax.set_title(title, loc="left")
    return fig


def drugtest_figure(
    groups: Sequence[DrugGroup], classes: Sequence[str], test: dict[str, Any] | None
) -> Figure:
    """Share of videos predicted as each class, per treated group, with 95 % CIs (Fig. 12).

    The between-group test (name, statistic, p) is written under the title.
    """
    n_groups, k = len(groups), len(classes)
    colours = class_colours(classes)
    fig = new_figure(min(11.0, max(5.0, 0.5 * n_groups * max(k, 2) + 1.5)), 3.6)
    ax = fig.add_subplot()
    width = 0.8 / max(k, 1)
    x = np.arange(n_groups)
    for j, c in enumerate(classes):
        shares = np.array([100 * g.shares.get(c, np.nan) for g in groups])
        lo = np.array([100 * g.ci[c][0] if c in g.ci else np.nan for g in groups])
        hi = np.array([100 * g.ci[c][1] if c in g.ci else np.nan for g in groups])
        pos = x - 0.4 + width * (j + 0.5)
        ax.bar(pos, np.nan_to_num(shares), width=width * 0.92, color=colours[c], label=c)
        err = np.vstack([np.clip(shares - lo, 0, None), np.clip(hi - shares, 0, None)])
        ok = np.isfinite(err).all(0)
        if ok.any():
            ax.errorbar(pos[ok], shares[ok], yerr=err[:, ok], fmt="none", ecolor="black", lw=1)
        for p, s, top in zip(pos, shares, np.fmax(hi, shares), strict=True):
            if np.isfinite(s):
                ax.text(p, top + 1, f"{s:.0f}", ha="center", va="bottom", fontsize=6.5)
    ax.set_xticks(x, [f"{g.name}\n(n={g.n_videos})" if g.n_videos else g.name for g in groups])
    ax.set_ylim(0, 118)
    ax.set_yticks(range(0, 101, 20))
    ax.set_ylabel("videos predicted as class (%)")
    ax.legend(frameon=False, ncols=min(k, 5), loc="upper left", bbox_to_anchor=(0, 1.02))
    title = "Drug test: predicted class per group"
    if test:
        title += "\n" + test_summary(test)
    ax.set_title(title, fontsize=9)
    return fig


def test_summary(test: dict[str, Any]) -> str:
    """One line: ``chi-squared = 11.20, p = 0.004``."""
    name = str(test.get("name", "test"))
    parts = [name]
    stat, p = test.get("statistic"), test.get("p_value")
    if isinstance(stat, int | float):
        parts.append(f"statistic = {stat:.2f}")
    if isinstance(p, int | float):
        parts.append(f"p = {p:.3g}" if p >= 1e-4 else "p < 0.0001")
    return ", ".join(parts)


@dataclass(frozen=True)
class TimelineVideo:
    """One row of the clip-relevance timeline."""

    video_id: str
    relevance: np.ndarray  # (n_clips,)
    true_label: str
    pred_label: str
    pred_prob: float | None


def timeline_figure(
    videos: Sequence[TimelineVideo],
    classes: Sequence[str],
    clip_seconds: float | None,
    title: str = "",
) -> Figure:
    """Per-video clip relevance over time, one panel per video, coloured by predicted class.

    The filled area shows which stretches of the video the classifier relied on; the
    panel title gives true → predicted class (and the predicted probability).
    """
    colours = class_colours(classes)
    n = len(videos)
    fig = new_figure(5.6, 0.95 * n + 0.8)
    axes = np.atleast_1d(fig.subplots(n, 1, sharex=True))
    for ax, v in zip(axes, videos, strict=True):
        t = np.arange(v.relevance.size, dtype=float)
        if clip_seconds:
            t = t * clip_seconds / 60.0
        colour = colours.get(v.pred_label, GREY)
        ax.fill_between(t, v.relevance, color=colour, alpha=0.45, lw=0, step="mid")
        ax.step(t, v.relevance, color=colour, lw=0.9, where="mid")
        mark = "✓" if v.true_label == v.pred_label else "✗"
        prob = f" (p={v.pred_prob:.2f})" if v.pred_prob is not None else ""
        ax.set_title(
            f"{v.video_id}: true {v.true_label} → predicted {v.pred_label}{prob} {mark}",
            loc="left",
            fontsize=8,
        )
        ax.set_yticks([])
        ax.set_ylim(0, None)
        ax.spines["left"].set_visible(False)
    axes[-1].set_xlabel("time (min)" if clip_seconds else "clip")
    if title:
        fig.suptitle(title)
    return fig


def embedding_figure(
    points: np.ndarray, labels: Sequence[str], classes: Sequence[str], title: str
) -> Figure:
    """2-D embedding of videos, one dot per video, coloured by (true) class.

    points : array of shape (n_videos, 2)
    """
    colours = class_colours(classes)
    fig = new_figure(5.6, 3.9)
    ax = fig.add_subplot()
    labels = list(labels)
    for c in classes:
        sel = np.array([lab == c for lab in labels])
        if sel.any():
            ax.scatter(
                points[sel, 0],
                points[sel, 1],
                s=16,
                color=colours[c],
                label=c,
                lw=0.3,
                edgecolor="white",
            )
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title)
    ax.legend(
        frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, markerscale=1.2
    )
    return fig


def embed_2d(x: np.ndarray, seed: int = 0) -> tuple[np.ndarray, str]:
    """2-D embedding of rows of ``x`` (n, d): t-SNE when n ≥ 20, else PCA. Returns (points, name).

    t-SNE (scikit-learn, PCA initialisation, fixed seed) keeps local neighbourhoods; with
    few videos it is unstable, so PCA is used instead.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[0]
    if n >= 20 and x.shape[1] >= 2:
        from sklearn.manifold import TSNE

        perplexity = float(min(30, max(5, n // 4)))
        pts = TSNE(
            n_components=2,
            perplexity=perplexity,
            init="pca",
            random_state=seed,
            max_iter=500,
            # exact gradients are faster than Barnes-Hut below a few hundred points
            method="exact" if n <= 300 else "barnes_hut",
        ).fit_transform(x)
        return np.asarray(pts), "t-SNE"
    from sklearn.decomposition import PCA

    if x.shape[1] < 2 or n < 2:
        pts = np.zeros((n, 2))
        pts[:, : min(x.shape[1], 2)] = x[:, :2]
        return pts, "raw"
    return np.asarray(PCA(n_components=2, random_state=seed).fit_transform(x)), "PCA"
