"""Cross-validation, the paper's evaluation protocol (``painscope cv``).

For each sequence source (method) and label scheme, on the *same* folds: round i
tests fold i, validates fold (i + 1) mod k and trains on the rest (see
:mod:`painscope.evaluate.splits`). Per round, ``source.fit`` sees only the round's
training videos. Optionally a mean-pooled logistic-regression baseline runs on the
same folds (method ``<source>_logreg``). Outputs follow docs/design.md, "Run folder".

The work is a list of :class:`FoldJob` (one per method and round, covering every
scheme), each run by :func:`fit_fold`, which only writes its own checkpoints and
relevance files. ``run_cv`` hands the jobs to a ``map_jobs`` callable (default: the
built-in ``map``, serial), so a parallel runner can be passed in; ``run_train``
(:mod:`painscope.train.full`) fits its one model through the same :func:`fit_fold`.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from painscope.baselines.logistic import logreg_baseline
from painscope.config.base import to_dict
from painscope.config.train import TrainConfig
from painscope.evaluate.metrics import classification_metrics, qwk_table
from painscope.evaluate.results import (
    FoldTraining,
    GroupedBy,
    RunRecorder,
    RunResults,
    RunStatus,
    Scores,
    Weights,
    prediction_rows,
    write_results,
)
from painscope.evaluate.splits import make_folds, round_roles
from painscope.manifest import VideoEntry
from painscope.project import Project, open_project
from painscope.train.checkpoint import save_checkpoint
from painscope.train.data import load_sequences
from painscope.train.relevance import clip_relevance
from painscope.train.runs import (
    default_source,
    make_run_dir,
    training_entries,
    write_run_config,
)
from painscope.train.schemes import safe_name, scheme_labels
from painscope.train.sources import SequenceSource
from painscope.train.trainer import fit_members, predict_proba


@dataclass(frozen=True)
class FoldContext:
    """What every fold job of one run shares (plain values: picklable).

    ``labels[scheme]`` = (label of every entry, classes of the scheme).
    """

    entries: tuple[VideoEntry, ...]
    labels: dict[str, tuple[list[str], tuple[str, ...]]]
    config: TrainConfig
    run_dir: Path
    progress: bool = False


Split = tuple[tuple[int, ...], tuple[int, ...]]


@dataclass(frozen=True)
class FoldJob:
    """One method and one round: train / val / test are indices into ``FoldContext.entries``.

    ``fold`` names the checkpoints and prediction rows; the seed is ``config.seed + fold``
    (ensemble member m: ``+ 1000 m``). ``members``: the (train, val) split of each member
    of a ``train.ensemble`` committee (member 0 = ``train`` / ``val``); members beyond it
    reuse the job's split with their own seed.
    """

    source: SequenceSource
    fold: int
    n_rounds: int
    train: tuple[int, ...]
    val: tuple[int, ...]
    test: tuple[int, ...]
    schemes: tuple[str, ...]
    members: tuple[Split, ...] = ()

    def member_splits(self, n: int) -> list[Split]:
        """The (train, val) split of each of ``n`` members."""
        given = list(self.members[:n]) or [(self.train, self.val)]
        return given + [(self.train, self.val)] * (n - len(given))


def member_splits(folds: np.ndarray, i: int, k: int, n: int) -> tuple[Split, ...]:
    """Round i's committee of n: member m validates on the m-th non-test fold after i.

    Member 0 is the round's own split (validation fold i + 1); the others rotate the
    validation fold over the round's other non-test folds (wrapping when n > k - 1), so
    every non-test video is used for model selection by one member and for training by
    the rest.
    """
    others = [(i + 1 + m) % k for m in range(k - 1)]  # the non-test folds, from i + 1
    out = []
    for m in range(n):
        v = others[m % len(others)]
        train = tuple(int(j) for j in np.flatnonzero((folds != i) & (folds != v)))
        out.append((train, tuple(int(j) for j in np.flatnonzero(folds == v))))
    return tuple(out)


@dataclass(frozen=True)
class FoldFit:
    """Model selection of one scheme in one job."""

    scheme: str
    best_epoch: int
    best_val_accuracy: float | None
    history: list[dict[str, float]]


@dataclass(frozen=True)
class FoldOutcome:
    """What a job returns: its prediction rows (test videos) and its fits."""

    method: str
    fold: int
    rows: list[dict[str, Any]]
    fits: tuple[FoldFit, ...]


MapJobs = Callable[[Callable[[FoldJob], FoldOutcome], Sequence[FoldJob]], Iterable[FoldOutcome]]


def fit_fold(job: FoldJob, context: FoldContext) -> FoldOutcome:
    """Fit one model per scheme on the job's training videos; predict its test videos.

    Writes ``checkpoints/<method>_<scheme>_fold<fold>.pt`` and, with ``config.relevance``,
    ``clip_relevance/<method>_<scheme>/<video_id>.npy`` of the test videos; nothing else.
    """
    config, source, entries = context.config, job.source, context.entries
    if config.input_transform == "auto" and source.spec.get("kind") != "features":
        # auto is measured on bring-your-own rows (shares, counts); the motion source
        # log-scales its own heavy-tailed columns, pose motifs and tokens stay as they were
        config = dataclasses.replace(config, input_transform="none")
    # ensemble: auto = seeds on the round's own split (resolved in fit_members)
    splits = job.member_splits(config.ensemble if isinstance(config.ensemble, int) else 1)
    # the source is fitted on every video a member trains on (never a validation or test
    # video): fitting B-SOiD's motifs on the validation fold too raised the null case's
    # pose accuracy from 0.483 to 0.600-0.667 (BENCHMARKS.md, "Pose baseline fidelity")
    fit_on = sorted(set(job.train).union(*(set(t) for t, _ in splits)))
    known = sorted(set(fit_on).union(*(set(v) for _, v in splits)))
    source.fit([entries[j] for j in fit_on])
    loaded = load_sequences(
        source, [entries[j] for j in known], progress=context.progress and job.n_rounds == 1
    )
    by_index = dict(zip(known, loaded, strict=True))
    test_entries = [entries[j] for j in job.test]
    test_seqs = load_sequences(source, test_entries)
    tpc = int(source.tokens_per_clip)
    method, i = source.name, job.fold
    spec = dict(source.spec)
    if hasattr(source, "save_fitted"):
        # a source that learns (the pose motifs) saves what it learned beside the round's
        # checkpoints, so predict / drugtest rebuild the very sequences this model saw
        fitted = f"checkpoints/{safe_name(method)}_fitted_fold{i}.joblib"
        source.save_fitted(context.run_dir / fitted)
        spec["fitted"] = fitted
    rows: list[dict[str, Any]] = []
    fits: list[FoldFit] = []
    for scheme in job.schemes:
        y_all, classes = context.labels[scheme]
        cls_index = {c: n for n, c in enumerate(classes)}
        y_index = np.array([cls_index[c] for c in y_all])  # (n_entries,)
        true_test = [y_all[j] for j in job.test]
        where = f"round {i + 1}/{job.n_rounds}" if job.n_rounds > 1 else ""
        result = fit_members(
            config, splits, by_index, y_index, len(classes),
            tokens_per_clip=tpc, seed=config.seed + i,
            description=f"{method} {scheme} {where}".strip(), progress=context.progress,
        )  # fmt: skip
        if test_entries:
            probs = predict_proba(result.model, test_seqs, tpc, config.n_clips, config.batch_size)
            rows += prediction_rows(test_entries, probs, classes, true_test, method, scheme, i)
        tag = f"{safe_name(method)}_{safe_name(scheme)}"
        save_checkpoint(
            context.run_dir / "checkpoints" / f"{tag}_fold{i}.pt",
            result.model,
            method=method,
            scheme=scheme,
            fold=i,
            classes=list(classes),
            label_map=cls_index,
            feature_key=str(spec.get("feature_key", "")),
            source=spec,
            tokens_per_clip=tpc,
            n_clips=config.n_clips,
            train_config=to_dict(config),
            best_epoch=result.best_epoch,
            best_val_accuracy=result.best_val_accuracy,
            history=result.history,
            member_best_epochs=[m.best_epoch for m in result.members or [result]],
        )
        fits.append(FoldFit(scheme, result.best_epoch, result.best_val_accuracy, result.history))
        if config.relevance and test_entries:
            out = context.run_dir / "clip_relevance" / tag
            out.mkdir(parents=True, exist_ok=True)
            for e, s in zip(test_entries, test_seqs, strict=True):
                np.save(
                    out / f"{e.video_id}.npy",
                    clip_relevance(result.model, s, tpc, config.n_clips),
                )
        if config.baseline and test_entries:
            # the baseline selects its settings by inner CV on the training videos, so it
            # needs no validation fold: it gets every non-test video (train and validation),
            # as many as ViS4mer uses for fitting and model selection together
            probs_lr = logreg_baseline(
                [by_index[j] for j in known],
                y_index[known],
                test_seqs,
                len(classes),
                config.seed,
            )
            rows += prediction_rows(
                test_entries, probs_lr, classes, true_test, f"{method}_logreg", scheme, i
            )
    return FoldOutcome(method, i, rows, tuple(fits))


def cv_jobs(
    sources: Sequence[SequenceSource],
    folds: np.ndarray,
    k: int,
    schemes: Sequence[str],
    n_members: int = 1,
) -> list[FoldJob]:
    """One job per (source, round), sources outermost (the order of predictions.csv).

    ``n_members`` > 1 (``train.ensemble``): each job carries its committee's splits
    (:func:`member_splits`).
    """
    jobs = []
    for source in sources:
        for i in range(k):
            roles = round_roles(folds, i, k)
            idx = {
                r: tuple(int(j) for j in np.flatnonzero(roles == r))
                for r in ("train", "val", "test")
            }
            members = member_splits(folds, i, k, n_members) if n_members > 1 else ()
            jobs.append(
                FoldJob(
                    source, i, k, idx["train"], idx["val"], idx["test"], tuple(schemes), members
                )
            )
    return jobs


def source_weights(root: Path, source: SequenceSource) -> Weights | None:
    """The backbone weights of a token-store source (from its store's config.yaml), else None."""
    import yaml

    spec = source.spec or {}
    if spec.get("kind") != "tokens":
        return None
    path = Project(root).features_dir(str(spec.get("feature_key", ""))) / "config.yaml"
    try:
        cfg = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(cfg, dict) or "weights_id" not in cfg:
        return None
    return Weights(str(cfg["weights_id"]), bool(cfg.get("weights_random", False)))


def run_cv(
    project: Project | Path | str,
    config: TrainConfig | None = None,
    sources: Sequence[SequenceSource] | None = None,
    *,
    schemes: Sequence[str] | None = None,
    name: str = "cv",
    progress: bool = True,
    map_jobs: MapJobs = map,
) -> Path:
    """Cross-validate every source under every scheme on identical folds.

    Parameters
    ----------
    project : project folder (or a manifest CSV; its folder is the project)
    config : training settings (default: the project's ``train`` section)
    sources : methods to compare (default: the project's token store, or the manifest's
        ``features`` column; see :func:`painscope.train.runs.default_source`)
    schemes : label schemes (default: ``config.scheme``); folds stratify by the first
    map_jobs : ``map_jobs(fit_one, jobs)`` returns the jobs' :class:`FoldOutcome`, in job
        order (lazily or not); default the built-in serial ``map``. ``fit_one`` calls
        ``source.fit``, so a parallel runner must give each job its own copy of the job
        (a process pool or Ray does, by pickling it)

    Returns
    -------
    the run folder ``runs/<date>_<name>``; its ``run.json`` says ``complete`` only when
    every job finished (``failed`` with the error otherwise).
    """
    import pandas as pd

    inputs = open_project(project).inputs()
    config = config or inputs.config.train
    sources = list(sources) if sources else [default_source(inputs, config)]
    schemes = list(schemes) if schemes else [config.scheme]
    entries = training_entries(inputs.manifest)
    labels = {s: scheme_labels(entries, s, inputs.manifest.path) for s in schemes}
    groups = [e.mouse_id for e in entries] if config.group_by == "mouse_id" else None
    folds = make_folds(labels[schemes[0]][0], config.n_folds, groups=groups, seed=config.seed)
    k = config.n_folds
    members = config.ensemble if isinstance(config.ensemble, int) else 1
    jobs = cv_jobs(sources, folds, k, schemes, members)
    methods = [s.name for s in sources]
    if config.baseline:
        methods += [f"{m}_logreg" for m in methods]
    grouped = GroupedBy.parse(config.group_by)

    run = make_run_dir(inputs.root, name)  # only after every input was validated
    with RunRecorder(
        run, "cv", len(jobs), grouped_by=grouped,
        expected=tuple((s.name, sc, k) for s in sources for sc in schemes),
    ) as rec:  # fmt: skip
        write_run_config(
            run, "cv", inputs, config, sources, schemes=schemes, grouped_by=config.group_by
        )
        fold_table = pd.DataFrame(
            {
                "video_id": [e.video_id for e in entries],
                "mouse_id": [e.mouse_id for e in entries],
                "label": labels[schemes[0]][0],
                "fold": folds,
            }
        )
        for i in range(k):
            fold_table[f"round_{i}"] = round_roles(folds, i, k)
        fold_table.to_csv(run / "folds.csv", index=False)

        context = FoldContext(tuple(entries), labels, config, run, progress)
        rows: list[dict[str, Any]] = []
        fit_info: dict[tuple[str, str], list[FoldTraining]] = {}
        for outcome in map_jobs(functools.partial(fit_fold, context=context), jobs):
            rows += outcome.rows
            for f in outcome.fits:
                fit_info.setdefault((outcome.method, f.scheme), []).append(
                    FoldTraining(outcome.fold, f.best_epoch, f.best_val_accuracy)
                )
            rec.advance()

        weights = {s.name: source_weights(inputs.root, s) for s in sources}
        classes = {s: labels[s][1] for s in schemes}
        write_cv_results(run, rec.status, rows, classes, config, fit_info, weights)
    return run


def write_cv_results(
    run: Path,
    status: RunStatus,
    rows: list[dict[str, Any]],
    classes: dict[str, tuple[str, ...]],
    config: TrainConfig,
    fit_info: dict[tuple[str, str], list[FoldTraining]] | None = None,
    weights: dict[str, Weights | None] | None = None,
) -> RunResults:
    """``predictions.csv`` and ``metrics.json`` of a cv run from its prediction rows.

    The caller writes ``run.json`` (:func:`painscope.evaluate.results.finish_status`) last.
    """
    import pandas as pd

    predictions = pd.DataFrame(rows)
    predictions.to_csv(run / "predictions.csv", index=False)
    results = RunResults(
        run, status, scores=summarize(predictions, classes, config, fit_info, weights)
    )
    write_results(run, results)
    return results


def summarize(
    predictions: Any,
    classes: dict[str, tuple[str, ...]],
    config: TrainConfig,
    fit_info: dict[tuple[str, str], list[FoldTraining]] | None = None,
    weights: dict[str, Weights | None] | None = None,
) -> dict[tuple[str, str], Scores]:
    """The :class:`Scores` of every (method, scheme) of a predictions table.

    ``weights`` is keyed by source name; ``<method>_logreg`` rows get their source's.
    """
    out: dict[tuple[str, str], Scores] = {}
    for (method, scheme), part in predictions.groupby(["method", "scheme"], sort=False):
        cls = classes[scheme]
        index = {c: n for n, c in enumerate(cls)}
        m = classification_metrics(
            [index[t] for t in part["true_label"]],
            [index[p] for p in part["pred_label"]],
            cls,
            part["fold"].tolist(),
            n_boot=config.n_bootstrap,
            seed=config.seed,
        )
        qwk = (
            qwk_table(
                part["condition"].tolist(), part["true_label"].tolist(), part["pred_label"].tolist()
            )
            if scheme == "15class"
            else None
        )
        base = str(method).removesuffix("_logreg")
        w = (weights or {}).get(str(method), (weights or {}).get(base))
        out[(str(method), str(scheme))] = Scores.from_metrics(
            m,
            qwk=qwk,
            grouped_by=config.group_by,
            n_folds=config.n_folds,
            training=[vars(t) for t in (fit_info or {}).get((method, scheme), [])],
            weights=vars(w) if w else None,
        )
    return out
