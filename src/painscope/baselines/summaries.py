"""What a pose user looks at after motifs are learned: usage per class, transitions, examples.

Functions return data (numpy arrays, pandas tables); the ``plot_*`` helpers draw them
with matplotlib (imported on use) for the motifs command and the report.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from painscope.baselines.bsoid_features import BinnedFeatures


def motif_fractions(labels: np.ndarray, n_motifs: int) -> np.ndarray:
    """Share of time bins in each motif, array of shape (n_motifs,) (zeros for no bins)."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=n_motifs)[:n_motifs]
    return counts / max(1, counts.sum())


def motif_usage(
    labels: Mapping[str, np.ndarray], classes: Mapping[str, str], n_motifs: int
) -> pd.DataFrame:
    """Motif usage per class: the mean over that class's videos of each video's motif shares.

    Parameters
    ----------
    labels : video_id → motif of each time bin, array (n_bins,).
    classes : video_id → class label (videos missing here are left out).

    Returns
    -------
    usage : table indexed by class, columns ``0 .. n_motifs-1`` (rows sum to 1) and
        ``n_videos``. Averaging per video keeps long recordings from dominating.
    """
    rows = []
    for video_id, motif_labels in labels.items():
        if video_id in classes:
            rows.append((classes[video_id], motif_fractions(motif_labels, n_motifs)))
    columns = list(range(n_motifs))
    if not rows:
        return pd.DataFrame(columns=[*columns, "n_videos"])
    frame = pd.DataFrame([r[1] for r in rows], columns=columns)
    frame["class"] = [r[0] for r in rows]
    usage = frame.groupby("class", sort=True)[columns].mean()
    usage["n_videos"] = frame.groupby("class", sort=True).size()
    return usage


def transition_matrix(
    labels: np.ndarray | Sequence[np.ndarray], n_motifs: int, *, include_self: bool = False
) -> np.ndarray:
    """Motif transition probabilities P(next = j | current = i), shape (n_motifs, n_motifs).

    Transitions are counted between consecutive time bins within each video (never
    across videos). With ``include_self=False`` (the usual ethogram view) staying in a
    motif is not a transition, so the matrix shows where a motif goes when it ends.
    Rows of motifs that never transition are zero.
    """
    sequences = [labels] if isinstance(labels, np.ndarray) else list(labels)
    counts = np.zeros((n_motifs, n_motifs), dtype=np.float64)
    for seq in sequences:
        seq = np.asarray(seq, dtype=np.int64)
        if len(seq) < 2:
            continue
        np.add.at(counts, (seq[:-1], seq[1:]), 1.0)
    if not include_self:
        np.fill_diagonal(counts, 0.0)
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def motif_bouts(labels: np.ndarray, features: BinnedFeatures) -> pd.DataFrame:
    """Runs of one motif in consecutive time bins, with their frame ranges.

    Returns
    -------
    bouts : columns motif, start_frame, end_frame (exclusive), n_bins.
    """
    labels = np.asarray(labels, dtype=np.int64)
    if len(labels) == 0:
        return pd.DataFrame(columns=["motif", "start_frame", "end_frame", "n_bins"])
    bins = features.bin_number
    breaks = np.flatnonzero((np.diff(labels) != 0) | (np.diff(bins) != 1)) + 1
    starts = np.r_[0, breaks]
    ends = np.r_[breaks, len(labels)]  # exclusive, in rows
    frames_per_bin = features.fps * features.bin_seconds
    end_frame = np.minimum(
        np.ceil((bins[ends - 1] + 1) * frames_per_bin - 1e-9).astype(np.int64), features.n_frames
    )
    return pd.DataFrame(
        {
            "motif": labels[starts],
            "start_frame": features.bin_start_frame[starts],
            "end_frame": end_frame,
            "n_bins": ends - starts,
        }
    )


def example_frames(
    videos: Mapping[str, tuple[np.ndarray, BinnedFeatures]], n_motifs: int, *, n_examples: int = 3
) -> pd.DataFrame:
    """The longest bouts of each motif, to open in a video player.

    Parameters
    ----------
    videos : video_id → (motif of each bin, the video's binned features).

    Returns
    -------
    examples : columns motif, video_id, start_frame, end_frame (exclusive), start_s,
        end_s, n_bins; up to ``n_examples`` rows per motif, longest first.
    """
    tables = []
    for video_id, (motif_labels, feats) in videos.items():
        bouts = motif_bouts(motif_labels, feats)
        bouts.insert(1, "video_id", video_id)
        bouts["start_s"] = bouts["start_frame"] / feats.fps
        bouts["end_s"] = bouts["end_frame"] / feats.fps
        tables.append(bouts)
    columns = ["motif", "video_id", "start_frame", "end_frame", "start_s", "end_s", "n_bins"]
    if not tables:
        return pd.DataFrame(columns=columns)
    all_bouts = pd.concat(tables, ignore_index=True)
    all_bouts = all_bouts[all_bouts["motif"] < n_motifs]
    ranked = all_bouts.sort_values(
        ["motif", "n_bins", "video_id", "start_frame"], ascending=[True, False, True, True]
    )
    return ranked.groupby("motif").head(n_examples)[columns].reset_index(drop=True)


def plot_transition_matrix(matrix: np.ndarray, path: Path) -> Path:
    """Heat map of a transition matrix, saved as PNG (or whatever ``path``'s suffix says)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = matrix.shape[0]
    fig, ax = plt.subplots(figsize=(1.0 + 0.3 * n, 0.8 + 0.3 * n))
    image = ax.imshow(matrix, cmap="viridis", vmin=0.0, vmax=max(1e-9, float(matrix.max())))
    ax.set_xlabel("next motif")
    ax.set_ylabel("motif")
    ax.set_title("motif transitions")
    fig.colorbar(image, ax=ax, label="P(next | motif)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_motif_usage(usage: pd.DataFrame, path: Path) -> Path:
    """Grouped bars: share of time in each motif, one bar per class."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shares = usage.drop(columns=["n_videos"], errors="ignore")
    n_motifs = shares.shape[1]
    fig, ax = plt.subplots(figsize=(max(4.0, 0.35 * n_motifs * max(1, len(shares))), 3.0))
    width = 0.8 / max(1, len(shares))
    x = np.arange(n_motifs)
    for i, (label, row) in enumerate(shares.iterrows()):
        ax.bar(x + i * width, row.to_numpy(dtype=float), width=width, label=str(label))
    ax.set_xticks(x + 0.4 - width / 2, [str(c) for c in shares.columns])
    ax.set_xlabel("motif")
    ax.set_ylabel("share of time")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
