"""Training one ViS4mer: AdamW, focal loss, ReduceLROnPlateau on validation accuracy.

Sizes set to ``auto`` are resolved here from the input width and the number of
training videos (:mod:`painscope.models.sizing`). Training stops after
``early_stopping`` epochs without a better validation score. With balanced class
weights (``focal_alpha: balanced``, or ``auto`` on imbalanced training classes) the
validation score is balanced accuracy (mean recall over the classes present), so a
model that predicts only the majority class is not the one kept.

The original ViS4mer code steps ``ReduceLROnPlateau`` with validation accuracy but in
the default mode 'min', so the rate drops when accuracy stops *falling* (SPEC §4).
Here it runs in mode 'max' on validation accuracy. The kept model is the epoch with
the best validation accuracy (ties: lower validation loss, then earlier epoch).
Reproducible on CPU for a given seed (initialisation, batch order, dropout).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from painscope.config.train import TrainConfig
from painscope.devices import resolve_device
from painscope.features.lazy import LazyTokenSequence
from painscope.models.ensemble import ViS4merEnsemble
from painscope.models.focal import focal_loss
from painscope.models.transform import apply_transform, resolve_transform
from painscope.models.vis4mer import ViS4mer, ViS4merConfig
from painscope.train.data import batch_tensor
from painscope.train.optim import make_optimizer


def model_config(
    config: TrainConfig,
    d_input: int,
    n_classes: int,
    tokens_per_clip: int,
    n_train: int = 0,
    transform: tuple[str, float] = ("none", 0.0),
) -> ViS4merConfig:
    """The architecture for this input; ``auto`` sizes use ``n_train`` (training videos);
    ``transform``: the resolved input transform and its ε (:mod:`painscope.models.transform`)."""
    from painscope.models.sizing import auto_session_path, auto_sizes

    d_model, n_layers, d_state = auto_sizes(
        config.d_model,
        config.n_layers,
        config.d_state,
        d_input=d_input,
        n_train=n_train,
        n_clips=config.n_clips,
    )
    return ViS4merConfig(
        d_input=d_input,
        n_classes=n_classes,
        l_max=config.n_clips * tokens_per_clip,
        d_model=d_model,
        n_layers=n_layers,
        d_state=d_state,
        dropout=config.dropout,
        mode=config.model,
        long_videos=config.long_videos,
        input_transform=transform[0],
        input_eps=transform[1],
        session_path=auto_session_path(
            config.session_path,
            d_model,
            chosen=config.d_model == "auto",
            transformed=transform[0] != "none",
            d_input=d_input,
            tokens_per_clip=tokens_per_clip,
        ),
        session_spread=session_init(config) != "zero",
    )


def session_init(config: TrainConfig) -> str:
    """``train.session_init`` resolved: ``auto`` is ``logistic`` (measured in BENCHMARKS.md,
    "Session path started from the logistic regression")."""
    return "logistic" if config.session_init == "auto" else config.session_init


def use_balanced(config: TrainConfig, y: np.ndarray) -> bool:
    """Whether focal α is balanced: always, never, or (auto) when classes are imbalanced."""
    if config.focal_alpha != "auto":
        return config.focal_alpha == "balanced"
    counts = np.bincount(np.asarray(y, dtype=np.int64))
    counts = counts[counts > 0]
    return bool(counts.size > 1 and counts.max() >= 1.5 * counts.min())


def balanced_accuracy(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Mean recall over the classes present in ``target``."""
    recalls = [float((pred[target == c] == c).float().mean()) for c in target.unique()]
    return float(np.mean(recalls)) if recalls else 0.0


@dataclass
class FitResult:
    """A trained model at its kept epoch; for a committee, ``model`` is the ensemble and
    ``best_epoch`` / ``best_val_accuracy`` / ``history`` are member 0's (``members``: all;
    empty for a single model)."""

    model: ViS4mer | ViS4merEnsemble
    best_epoch: int
    best_val_accuracy: float
    history: list[dict[str, float]] = field(default_factory=list)
    members: list[FitResult] = field(default_factory=list)


def class_weights(y: np.ndarray, n_classes: int) -> torch.Tensor:
    """Inverse-frequency α for focal loss (classes absent from training get weight 0)."""
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    w = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / n_classes, 0.0)
    return torch.tensor(w, dtype=torch.float32)


def _loss(
    config: TrainConfig, logits: torch.Tensor, y: torch.Tensor, alpha: torch.Tensor | None
) -> torch.Tensor:
    gamma = config.focal_gamma if config.loss == "focal" else 0.0
    return focal_loss(logits, y, gamma=gamma, alpha=alpha)


@torch.no_grad()
def predict_proba(
    model: ViS4mer | ViS4merEnsemble,
    seqs: Sequence[np.ndarray],
    tokens_per_clip: int,
    n_clips: int,
    batch_size: int = 16,
) -> np.ndarray:
    """Class probabilities (n_videos, n_classes); evaluation resampling (evenly spaced)."""
    device = next(model.parameters()).device
    model.eval()
    out = []
    for start in range(0, len(seqs), batch_size):
        x = batch_tensor(
            seqs[start : start + batch_size],
            tokens_per_clip,
            n_clips,
            long_videos=getattr(model.config, "long_videos", "pool"),
        )
        out.append(torch.softmax(model(torch.from_numpy(x).to(device)), -1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, model.config.n_classes))


def set_standardization(model: ViS4mer, train_seqs: Sequence[np.ndarray]) -> None:
    """Per-feature mean and 1/sd over every token of the training sequences, after the
    model's input transform."""
    c = model.config
    train_seqs = [
        apply_transform(torch.from_numpy(np.asarray(s, dtype=np.float64)), c.input_transform, c.input_eps).numpy()
        if c.input_transform != "none" else s
        for s in train_seqs
    ]  # fmt: skip
    n = sum(len(s) for s in train_seqs)
    total = sum(np.asarray(s, dtype=np.float64).sum(axis=0) for s in train_seqs)
    mean = total / n  # (D,)
    sq = sum(((np.asarray(s, dtype=np.float64) - mean) ** 2).sum(axis=0) for s in train_seqs)
    sd = np.sqrt(sq / max(n - 1, 1))
    model.input_mean.copy_(torch.from_numpy(mean).float())
    model.input_scale.copy_(torch.from_numpy(1.0 / np.maximum(sd, 1e-6)).float())


def set_session_scaling(
    model: ViS4mer, train_seqs: Sequence[np.ndarray], tokens_per_clip: int, n_clips: int
) -> np.ndarray:
    """The session path's ε (half the smallest non-zero training mean) and the mean and
    1/sd over training videos of :meth:`ViS4mer.session_statistic`, each video resampled
    to ``n_clips`` as at evaluation (what the path sees).

    Returns the training videos' z-scored statistics, (n_videos, S · D): what the session
    head reads."""
    raw = np.stack([np.asarray(s, np.float64).mean(0) for s in train_seqs])  # (n_videos, D)
    positive = raw[raw > 0]
    model.session_eps.fill_(float(positive.min() / 2) if positive.size else 1e-6)
    long = model.config.long_videos
    with torch.no_grad():
        stats = torch.cat([
            model.session_statistic(torch.from_numpy(
                batch_tensor(train_seqs[i : i + 64], tokens_per_clip, n_clips, long_videos=long)
            ))
            for i in range(0, len(train_seqs), 64)
        ]).double().numpy()  # (n_videos, S · D)  # fmt: skip
    spread = stats.std(0, ddof=1) if len(stats) > 1 else np.ones(stats.shape[1])
    model.session_mean.copy_(torch.from_numpy(stats.mean(0)).float())
    model.session_scale.copy_(torch.from_numpy(1.0 / np.maximum(spread, 1e-6)).float())
    return (stats - stats.mean(0)) / np.maximum(spread, 1e-6)


#: logistic starts already fitted, keyed by their inputs (see :func:`start_from_logistic`)
StartCache = dict[str, tuple[np.ndarray, np.ndarray]]


def start_from_logistic(
    model: ViS4mer,
    stats: np.ndarray,
    y: np.ndarray,
    *,
    seed: int,
    balanced: bool,
    cache: StartCache | None = None,
) -> None:
    """``session_init: logistic``: the session head takes a logistic regression tuned by inner
    CV on the training videos' z-scored session statistics ``stats`` (n_videos, F), and the
    S4 head starts at zero — so before the first step the model *is* that regression, and
    training adds what the S4 path finds beyond it (the kept epoch may be that start).

    The regression depends only on (stats, y, seed, balanced): with a ``cache`` shared by
    a committee's members on the same training videos it is fitted once, not per member."""
    import hashlib

    from painscope.baselines.logistic import tuned_logistic

    assert model.session_head is not None
    key = hashlib.sha1(
        np.ascontiguousarray(stats).tobytes() + np.asarray(y, np.int64).tobytes()
        + f"{seed}/{balanced}/{model.config.n_classes}/{stats.shape}".encode()
    ).hexdigest()  # fmt: skip
    if cache is None or key not in cache:
        start = tuned_logistic(stats, y, model.config.n_classes, seed, balanced=balanced)
        if cache is None:
            cache = {}
        cache[key] = start
    coef, intercept = cache[key]  # (K, F), (K,)
    with torch.no_grad():
        model.session_head.weight.copy_(torch.from_numpy(coef).float())
        model.session_head.bias.copy_(torch.from_numpy(intercept).float())
        model.head.weight.zero_()
        model.head.bias.zero_()


def fit(
    config: TrainConfig,
    train_seqs: Sequence[np.ndarray],
    train_y: np.ndarray,
    val_seqs: Sequence[np.ndarray],
    val_y: np.ndarray,
    n_classes: int,
    *,
    tokens_per_clip: int = 1,
    seed: int = 0,
    description: str = "train",
    progress: bool = True,
    start_seed: int | None = None,
    start_cache: StartCache | None = None,
) -> FitResult:
    """Train one ViS4mer and return it at its best validation epoch.

    Parameters
    ----------
    train_seqs, val_seqs : sequences of shape (n_tokens, D), any length
    train_y, val_y : int class indices
    seed : seeds the model's initialisation and the batch order
    start_seed, start_cache : seed of the logistic start's inner folds (default ``seed``)
        and a cache of starts shared by the members of one committee
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    device = resolve_device(config.device, setting="train.device")
    d_input = int(train_seqs[0].shape[1])
    transform = resolve_transform(config.input_transform, train_seqs)
    model = ViS4mer(
        model_config(
            config, d_input, n_classes, tokens_per_clip, len(train_seqs), transform=transform
        )
    )
    if config.standardize:
        set_standardization(model, train_seqs)
    balanced = use_balanced(config, train_y)
    init = session_init(config)
    start_logistic = bool(model.config.session_path) and init != "zero"
    if model.config.session_path:
        stats = set_session_scaling(model, train_seqs, tokens_per_clip, config.n_clips)
        if start_logistic:
            start_from_logistic(
                model, stats, np.asarray(train_y), balanced=balanced, cache=start_cache,
                seed=seed if start_seed is None else start_seed,
            )  # fmt: skip
            if init == "logistic_frozen":
                assert model.session_head is not None
                model.session_head.requires_grad_(False)
    model = model.to(device)
    from painscope.models.sizing import auto_lr

    optimizer = make_optimizer(model, auto_lr(config.lr, model.config.d_model), config.weight_decay)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, mode="max", factor=config.plateau_factor, patience=config.plateau_patience
    )
    alpha = class_weights(train_y, n_classes).to(device) if balanced else None
    long = config.long_videos
    lazy_val = any(isinstance(s, LazyTokenSequence) for s in val_seqs)
    # in memory: the validation batch is built once; lazily read stores rebuild it batch by
    # batch each epoch, so memory does not grow with the number of validation videos
    val_x = None if lazy_val else torch.from_numpy(
        batch_tensor(val_seqs, tokens_per_clip, config.n_clips, long_videos=long)
    ).to(device)  # fmt: skip

    def val_batches() -> Iterator[torch.Tensor]:
        for s in range(0, len(val_seqs), config.batch_size):
            if val_x is not None:
                yield val_x[s : s + config.batch_size]
            else:
                part = val_seqs[s : s + config.batch_size]
                x = batch_tensor(part, tokens_per_clip, config.n_clips, long_videos=long)
                yield torch.from_numpy(x).to(device)

    val_t = torch.from_numpy(np.asarray(val_y, dtype=np.int64)).to(device)
    best: tuple[float, float, int] = (-1.0, float("inf"), -1)
    best_key: tuple[float, float] = (-float("inf"), -float("inf"))
    # with balanced α the validation loss is weighted the same way (a loss that the
    # majority class dominates would prefer majority-leaning epochs)
    val_alpha = class_weights(train_y, n_classes).to(device) if balanced else None
    best_state: dict[str, Any] = {}
    history: list[dict[str, float]] = []
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} {task.fields[info]}"),
        TimeRemainingColumn(),
    )
    best_acc = 0.0

    def evaluate() -> tuple[float, float, float]:
        """(validation loss, accuracy, score): score is the balanced accuracy when α is."""
        model.eval()
        with torch.no_grad():
            val_logits = torch.cat([model(x) for x in val_batches()])
            loss = float(_loss(config, val_logits, val_t, val_alpha))
            pred = val_logits.argmax(-1)
            acc = float((pred == val_t).float().mean())
            return loss, acc, balanced_accuracy(pred, val_t) if balanced else acc

    if start_logistic:  # the starting regression is a candidate too ("epoch -1")
        val_loss, best_acc, score = evaluate()
        best = (score, val_loss, -1)
        best_key = (-val_loss, score) if config.selection == "loss" else (score, -val_loss)
        best_state = copy.deepcopy(model.state_dict())
    with Progress(*columns, disable=not progress, transient=True) as bar:
        task = bar.add_task(description, total=config.epochs, info="")
        for epoch in range(config.epochs):
            model.train()
            order = rng.permutation(len(train_seqs))
            total, n_seen = 0.0, 0
            for start in range(0, len(order), config.batch_size):
                idx = order[start : start + config.batch_size]
                x = batch_tensor(
                    [train_seqs[i] for i in idx], tokens_per_clip, config.n_clips, rng, long
                )
                y = torch.from_numpy(np.asarray(train_y)[idx].astype(np.int64)).to(device)
                logits = model(torch.from_numpy(x).to(device))
                loss = _loss(config, logits, y, alpha)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                total += float(loss.detach()) * len(idx)
                n_seen += len(idx)
            val_loss, val_acc, score = evaluate()
            scheduler.step(score)
            key = (-val_loss, score) if config.selection == "loss" else (score, -val_loss)
            history.append(
                {
                    "epoch": epoch,
                    "train_loss": total / max(n_seen, 1),
                    "val_loss": val_loss,
                    "val_accuracy": val_acc,
                    "val_score": score,
                    "lr": optimizer.param_groups[0]["lr"],
                }
            )
            if key > best_key:
                best, best_key, best_acc = (score, val_loss, epoch), key, val_acc
                best_state = copy.deepcopy(model.state_dict())
            bar.update(
                task,
                advance=1,
                info=f"loss {total / max(n_seen, 1):.3f} val loss {val_loss:.3f} "
                f"val acc {val_acc:.3f} (best {best[0]:.3f} @ {best[2]})",
            )
            if config.early_stopping and epoch - best[2] >= config.early_stopping:
                break
    model.load_state_dict(best_state)
    model.eval()
    return FitResult(model=model, best_epoch=best[2], best_val_accuracy=best_acc, history=history)


def fit_members(
    config: TrainConfig,
    splits: Sequence[tuple[Sequence[int], Sequence[int]]],
    seqs: dict[int, np.ndarray],
    y: np.ndarray,
    n_classes: int,
    *,
    tokens_per_clip: int = 1,
    seed: int = 0,
    description: str = "train",
    progress: bool = True,
) -> FitResult:
    """``config.ensemble`` models, member m on ``splits[m]`` with seed ``seed + 1000 m``;
    members on the same training videos share one logistic start (inner folds seeded by
    ``seed``), fitted once.

    Parameters
    ----------
    splits : (train, val) indices of each member (keys of ``seqs``, positions of ``y``);
        members beyond the given splits reuse ``splits[0]`` with their own seed
    seqs : sequence of every video a member uses, shape (n_tokens, D)
    y : int class index of every video (indexed like ``seqs``' keys)

    ``ensemble: auto`` resolves from the model size (:func:`~painscope.models.sizing.
    auto_ensemble`): 5 seeds on the round's own split for a small model chosen by
    ``d_model: auto``, else 1. One
    member returns :func:`fit`'s result unchanged; more return their
    :class:`~painscope.models.ensemble.ViS4merEnsemble` (mean probability).
    """
    from painscope.models.sizing import auto_ensemble

    train0 = list(splits[0][0])
    d_input = int(seqs[train0[0]].shape[1])
    d_model = model_config(config, d_input, 2, tokens_per_clip, len(train0)).d_model
    n = auto_ensemble(
        config.ensemble, d_model, chosen=config.d_model == "auto", tokens_per_clip=tokens_per_clip
    )
    splits = list(splits[:n]) + [splits[0]] * (n - len(splits[:n]))
    starts: StartCache = {}  # members on the same training videos share one logistic start
    results = []
    for m, (train, val) in enumerate(splits):
        tag = f" member {m + 1}/{n}" if n > 1 else ""
        results.append(
            fit(
                config,
                [seqs[j] for j in train],
                np.asarray(y)[list(train)],
                [seqs[j] for j in val],
                np.asarray(y)[list(val)],
                n_classes,
                tokens_per_clip=tokens_per_clip,
                seed=seed + 1000 * m,
                description=description + tag,
                progress=progress,
                start_seed=seed,
                start_cache=starts,
            )
        )
    if len(results) == 1:
        return results[0]
    first = results[0]
    ensemble = ViS4merEnsemble([r.model for r in results]).eval()  # type: ignore[misc]
    return FitResult(ensemble, first.best_epoch, first.best_val_accuracy, first.history, results)
