"""Settings of ``painscope train`` / ``cv`` / ``predict`` / ``drugtest``: the ViS4mer classifier.

Optimiser defaults are the paper's (= ViS4mer's, see ``reference/SPEC.md``): AdamW,
lr 1e-3, weight decay 0.01, batch 16, dropout 0.2, learning rate × 0.2 after 10 epochs
without improvement of the validation accuracy, up to 200 epochs, focal loss.

The model's size is ``auto`` by default: chosen from the input width and the number of
training videos (:func:`painscope.models.sizing.auto_sizes`), which gives the paper's
d_model 1024 / 3 layers / N 64 for Swin tokens on a paper-size cohort and a small model
for 6 behaviour fractions of 30 mice. The paper's sizes are one setting away
(``d_model: 1024, n_layers: 3, d_state: 64``). Training stops early when the validation
fold has not improved for ``early_stopping`` epochs; videos longer than ``n_clips`` are
pooled (every window counts) rather than subsampled; imbalanced classes get a balanced
focal α (``focal_alpha: auto``). Rows of shares or counts go in on a log-ratio / log
scale (``input_transform: auto``; the paper: ``none``), and a small auto-sized model is
a committee of 5 seeds per round (``ensemble: auto``; the paper: 1) with a linear read-out
of each video's session averages beside its S4 path (``session_path: auto``; the paper:
none). See docs/classifier.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from painscope.config.base import setting
from painscope.config.extract import check_device
from painscope.errors import ConfigError


@dataclass(frozen=True)
class TrainConfig:
    """How token sequences become a pain-state classifier (see docs/classifier.md)."""

    scheme: str = setting(
        "15class",
        "Label scheme: 15class or 3class (paper Table 2), or the name of any manifest column\n"
        "(its distinct values become the classes).",
    )
    source: Literal["auto", "tokens", "features"] = setting(
        "auto",
        "Where each video's sequence comes from: tokens = the token store written by\n"
        "`painscope extract`; features = the array file named in the manifest's `features`\n"
        "column (n_clips x D, .npy/.npz/.csv); auto = features when that column exists.",
    )
    tokens: Literal["all", "block", "mean"] = setting(
        "block",
        "Token view: all = every token of every clip (the paper's 'Ours');\n"
        "block = the k x k block with the greatest response per clip ('Ours+Mask');\n"
        "mean = one pooled token per clip.",
    )
    block_size: int = setting(3, "Side k of the masked block, in tokens (tokens: block).")
    n_clips: int = setting(
        200,
        "Every video is resampled to this many clips (ViS4mer's rule: fewer clips are repeated\n"
        "by even index stepping; more are subsampled - a random sorted subset per epoch when\n"
        "training, evenly spaced when evaluating).",
    )
    model: Literal["s4", "s4d"] = setting(
        "s4", "State-space layer: s4 (NPLR / HiPPO-LegS, as in ViS4mer) or s4d (diagonal)."
    )
    long_videos: Literal["pool", "subsample"] = setting(
        "pool",
        "Videos with more clips than n_clips: pool = average n_clips consecutive chunks (every\n"
        "window counts; random chunk cuts when training); subsample = ViS4mer's rule (a random\n"
        "subset per epoch, evenly spaced clips when evaluating).",
    )
    d_model: int | Literal["auto"] = setting(
        "auto",
        "Width of the first ViS4mer block (halved after each block). auto = from the input\n"
        "width and the number of training videos (1024 for Swin tokens on a paper-size cohort,\n"
        "32 for a few behaviour fractions of 30 mice). The paper: 1024.",
    )
    n_layers: int | Literal["auto"] = setting(
        "auto",
        "Number of S4 blocks (each halves sequence length and width). auto = 3 when d_model\n"
        ">= 256, else 2. The paper: 3.",
    )
    d_state: int | Literal["auto"] = setting(
        "auto",
        "S4 state size N (N/2 complex conjugate pairs are kept). auto = d_model / 4 within\n"
        "[16, 64]. The paper: 64.",
    )
    input_transform: Literal["auto", "none", "log", "clr"] = setting(
        "auto",
        "Scale of every input feature before z-scoring: none = raw (ViS4mer); log = log(x + eps);\n"
        "clr = centred log-ratio (rows of shares); auto = clr when every row sums to 1, log\n"
        "for other non-negative rows (counts), none otherwise; only for the features source\n"
        "(bring-your-own sequences; motion, pose and tokens: none). eps = half the smallest\n"
        "non-zero training value.",
    )
    session_path: Literal["auto", "linear", "none"] = setting(
        "auto",
        "linear = add a linear map of each video's mean (standardized) input to the logits,\n"
        "beside the S4 path (wide and deep; it starts at zero); none = the plain ViS4mer (the\n"
        "paper); auto = linear when d_model: auto chose a small model (<= 128) on one token\n"
        "per clip and the input has a log / clr transform (shares, counts) or at most 64\n"
        "features (motion descriptors, motif shares), else none.",
    )
    session_init: Literal["auto", "zero", "logistic", "logistic_frozen"] = setting(
        "auto",
        "Start of the session path: zero (the plain ViS4mer at step 0); logistic = a logistic\n"
        "regression fitted on the training videos' session statistics (C by inner CV), the S4\n"
        "head at zero, so step 0 is that regression and the S4 path learns what it misses;\n"
        "logistic_frozen = the same with the session path kept fixed; auto = logistic.\n"
        "logistic also adds each feature's sd over the clips to the session statistics.",
    )
    dropout: float = setting(0.2, "Dropout after each S4 layer (channel-wise).")
    loss: Literal["focal", "cross_entropy"] = setting(
        "focal", "focal (Lin et al. 2017, the paper's choice) or cross_entropy (ViS4mer's)."
    )
    focal_gamma: float = setting(2.0, "Focal loss gamma (0 = cross-entropy).")
    focal_alpha: Literal["auto", "none", "balanced"] = setting(
        "auto",
        "Focal loss per-class weight: none, balanced (inverse class frequency), or auto =\n"
        "balanced when the largest training class is >= 1.5 x the smallest. With balanced\n"
        "weights the kept epoch is the one with the best validation balanced accuracy.",
    )
    lr: float | Literal["auto"] = setting(
        "auto",
        "AdamW learning rate (all parameters). auto = 1e-3 x 1024 / d_model, at most 1e-2\n"
        "(the paper's 1e-3 for its d_model 1024; small models get few steps on small\n"
        "cohorts and learn too slowly at 1e-3). The paper: 0.001.",
    )
    weight_decay: float = setting(
        0.01, "AdamW weight decay (S4's A, P, B and log_dt always get 0, see SPEC §3)."
    )
    batch_size: int = setting(16, "Videos per training batch.")
    epochs: int = setting(
        200, "Training epochs at most; the epoch with the best validation accuracy is kept."
    )
    selection: Literal["accuracy", "loss"] = setting(
        "accuracy",
        "Which epoch is kept: accuracy = best validation (balanced) accuracy, ties by lower\n"
        "loss (the paper); loss = lowest validation loss (continuous: on a validation fold of\n"
        "a few videos accuracy moves in steps of 1/n_val and picks a lucky epoch).",
    )
    ensemble: int | Literal["auto"] = setting(
        "auto",
        "Models per cross-validation round, their test probabilities averaged. auto = 5 when\n"
        "d_model: auto chose a small model (<= 128; the 5 share the round's validation fold\n"
        "and differ by seed) on one row per clip (not token blocks), else 1 (the paper).\n"
        "A number N: member m\n"
        "validates on the m-th training fold after the round's own validation fold and\n"
        "trains on the rest, so every non-test video serves model selection once and\n"
        "training otherwise (`painscope train`: the same split, other seeds). Costs\n"
        "`ensemble` x the training time. 1 = the paper's one model per round.",
    )
    early_stopping: int = setting(
        30,
        "Stop when the validation fold has not improved for this many epochs (0 = run every\n"
        "epoch, as the paper).",
    )
    plateau_factor: float = setting(0.2, "ReduceLROnPlateau: factor the learning rate is cut by.")
    plateau_patience: int = setting(
        10, "ReduceLROnPlateau: epochs without better validation accuracy before a cut."
    )
    n_folds: int = setting(8, "Cross-validation folds (round i: test fold i, validate fold i+1).")
    group_by: Literal["video", "mouse_id"] = setting(
        "video",
        "video = split videos (the paper's protocol; one mouse can sit in train and test);\n"
        "mouse_id = no mouse in two folds (StratifiedGroupKFold). Recorded in every output.",
    )
    standardize: bool = setting(
        True,
        "z-score every input feature with the training fold's mean and sd before the model\n"
        "(painscope's addition; ViS4mer feeds raw features). Token features of different videos\n"
        "differ by little next to their shared part; without this the classifier can stall at\n"
        "the majority class.",
    )
    baseline: bool = setting(
        True, "Also run mean-pooled features + logistic regression on the same folds."
    )
    relevance: bool = setting(True, "Save per-clip relevance (gradient x input) for test videos.")
    n_bootstrap: int = setting(
        1000, "Bootstrap resamples (over videos) for 95% confidence intervals."
    )
    seed: int = setting(0, "Random seed (folds, initialisation, batches, bootstrap).")
    device: str = setting("auto", "auto (CUDA when present), cpu, cuda, cuda:1, ...", hash=False)
    load: Literal["auto", "memory", "lazy"] = setting(
        "auto",
        "How token stores are read: memory = every video's tokens in RAM (fastest);\n"
        "lazy = each batch's clips read from disk when it is built (memory independent of the\n"
        "number of videos, for projects larger than RAM); auto = lazy when the store is larger\n"
        "than half the available memory. Results are identical either way.",
        hash=False,
    )

    def __post_init__(self) -> None:
        checks = [
            (self.block_size >= 1, f"train.block_size must be >= 1, got {self.block_size}"),
            (self.n_clips >= 1, f"train.n_clips must be >= 1, got {self.n_clips}"),
            (
                self.d_model == "auto"
                or self.n_layers == "auto"
                or self.d_model >= 2**self.n_layers,
                "train.d_model must be >= 2 ** n_layers",
            ),
            (
                self.d_model == "auto" or self.d_model >= 2,
                f"train.d_model must be >= 2 or auto, got {self.d_model}",
            ),
            (
                self.n_layers == "auto" or self.n_layers >= 1,
                f"train.n_layers must be >= 1 or auto, got {self.n_layers}",
            ),
            (
                self.d_state == "auto" or (self.d_state >= 2 and self.d_state % 2 == 0),
                f"train.d_state must be an even number >= 2 or auto, got {self.d_state}",
            ),
            (self.early_stopping >= 0, "train.early_stopping must be >= 0"),
            (
                self.ensemble == "auto" or self.ensemble >= 1,
                f"train.ensemble must be >= 1 or auto, got {self.ensemble}",
            ),
            (0 <= self.dropout < 1, f"train.dropout must lie in [0, 1), got {self.dropout}"),
            (self.focal_gamma >= 0, f"train.focal_gamma must be >= 0, got {self.focal_gamma}"),
            (self.lr == "auto" or self.lr > 0, f"train.lr must be > 0 or auto, got {self.lr}"),
            (self.weight_decay >= 0, f"train.weight_decay must be >= 0, got {self.weight_decay}"),
            (self.batch_size >= 1, f"train.batch_size must be >= 1, got {self.batch_size}"),
            (self.epochs >= 1, f"train.epochs must be >= 1, got {self.epochs}"),
            (
                0 < self.plateau_factor < 1,
                f"train.plateau_factor must lie in (0, 1), got {self.plateau_factor}",
            ),
            (self.plateau_patience >= 0, "train.plateau_patience must be >= 0"),
            (self.n_folds >= 3, f"train.n_folds must be >= 3, got {self.n_folds}"),
            (self.n_bootstrap >= 0, "train.n_bootstrap must be >= 0"),
            (bool(self.scheme), "train.scheme is empty"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message, fix="see the comments in painscope.yaml")
        check_device(self.device, "train.device")
        if self.n_layers != "auto" and self.n_clips // 2**self.n_layers < 1:
            raise ConfigError(
                f"train.n_clips={self.n_clips} is too short for {self.n_layers} layers "
                "(each halves the sequence)",
                fix="raise n_clips or lower n_layers",
            )
