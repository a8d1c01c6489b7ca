"""The run folder's results as typed records: one writer, one reader (docs/design.md, "Run folder").

``metrics.json`` holds one :class:`Scores` per (method, scheme) of a ``cv`` run, or one
:class:`DrugTest` per (method, scheme) of a ``drugtest`` run, as
``{method: {scheme: entry}}``; ``run.json`` holds the :class:`RunStatus` (schema version,
``running`` → ``complete`` | ``failed``, how many fold jobs are done), written atomically
and last. :func:`read_results` reads both and either returns typed results or raises a
:class:`ResultsError` naming the file and its schema version — never a ``KeyError``.

Folders written before ``run.json`` existed (schema 1) are read too: their
``metrics.json`` (cv, drugtest) or ``history.json`` (train) was written last, so its
presence marks the run as complete.
"""

from __future__ import annotations

import datetime as _dt
import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from painscope.errors import PainscopeError
from painscope.evaluate.drugtest import DrugTest
from painscope.evaluate.records import (
    SCHEMA_VERSION,
    ResultsError,
    format_ci,
    load_json,
    write_json,
)
from painscope.evaluate.records import JsonObject as _Obj
from painscope.evaluate.records import interval as _interval
from painscope.version import __version__

STATUS_FILE = "run.json"
METRICS_FILE = "metrics.json"
PREDICTIONS_FILE = "predictions.csv"
PREDICTION_COLUMNS = (
    "video_id", "mouse_id", "condition", "timepoint", "group", "method", "scheme", "fold",
    "true_label", "pred_label",
)  # fmt: skip
PROB_PREFIX = "prob_"


class GroupedBy(enum.StrEnum):
    """How CV folds were formed: by video (the paper) or by mouse (no mouse in two folds)."""

    VIDEO = "video"
    MOUSE = "mouse_id"

    @classmethod
    def parse(cls, value: object, where: str = "grouped_by") -> GroupedBy:
        """``video`` | ``mouse_id`` (``mouse``, written by no painscope but by hand, too)."""
        text = str(value)
        if text in ("mouse_id", "mouse"):
            return cls.MOUSE
        if text == "video":
            return cls.VIDEO
        raise ResultsError(f"{where}: {value!r} is neither 'video' nor 'mouse_id'")


class Status(enum.StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"


# ---------------------------------------------------------------- scores of a cv run


@dataclass(frozen=True)
class ClassScores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Chance:
    """Scores of classifiers that ignore the video (fractions)."""

    uniform_accuracy: float
    majority_accuracy: float
    majority_macro_f1: float
    prior_accuracy: float
    uniform_macro_f1: float


@dataclass(frozen=True)
class FoldScores:
    """Test-fold scores, one value per fold (same order as ``fold``)."""

    fold: tuple[int, ...]
    accuracy: tuple[float, ...]
    macro_f1: tuple[float, ...]
    n_videos: tuple[int, ...]
    accuracy_mean: float
    accuracy_sd: float
    macro_f1_mean: float
    macro_f1_sd: float


@dataclass(frozen=True)
class FoldTraining:
    fold: int
    best_epoch: int
    best_val_accuracy: float | None


@dataclass(frozen=True)
class Weights:
    """Backbone weights behind a method's token maps (None for own features and pose)."""

    id: str
    random: bool


@dataclass(frozen=True)
class QwkCell:
    qwk: float | None
    n: int


@dataclass(frozen=True)
class Scores:
    """Every score of one method under one label scheme, pooled over the test folds.

    ``confusion`` is (K, K) counts, rows true and columns predicted, classes in
    ``classes`` order; ``qwk`` is ``{condition | "all": {window: QwkCell}}`` (15-class only).
    """

    n_videos: int
    accuracy: float
    macro_f1: float
    ci_accuracy: tuple[float, float] | None
    ci_macro_f1: tuple[float, float] | None
    classes: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]
    confusion_normalized: tuple[tuple[float, ...], ...]
    per_class: dict[str, ClassScores]
    chance: Chance
    per_fold: FoldScores | None
    qwk: dict[str, dict[str, QwkCell]] | None
    grouped_by: GroupedBy
    n_folds: int
    training: tuple[FoldTraining, ...] = ()
    weights: Weights | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "n_videos": self.n_videos,
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "ci": {
                "accuracy": list(self.ci_accuracy) if self.ci_accuracy else None,
                "macro_f1": list(self.ci_macro_f1) if self.ci_macro_f1 else None,
            },
            "classes": list(self.classes),
            "confusion": {
                "counts": [list(r) for r in self.confusion],
                "normalized": [list(r) for r in self.confusion_normalized],
            },
            "per_class": {c: vars(v).copy() for c, v in self.per_class.items()},
            "chance": vars(self.chance).copy(),
        }
        if self.per_fold is not None:
            out["per_fold"] = {k: list(v) if isinstance(v, tuple) else v
                               for k, v in vars(self.per_fold).items()}  # fmt: skip
        out["qwk"] = (
            None
            if self.qwk is None
            else {c: {w: vars(q).copy() for w, q in ws.items()} for c, ws in self.qwk.items()}
        )
        out["grouped_by"] = self.grouped_by.value
        out["n_folds"] = self.n_folds
        if self.training:
            out["training"] = [vars(t).copy() for t in self.training]
        out["weights"] = vars(self.weights).copy() if self.weights else None
        return out

    @classmethod
    def from_json(cls, value: object, where: str, version: int = SCHEMA_VERSION) -> Scores:
        o = _Obj(value, where, version)
        ci, conf = o.obj("ci"), o.obj("confusion")
        names = tuple(str(c) for c in o.list("classes"))
        per_class = {}
        for c, v in o.obj("per_class").value.items():
            p = _Obj(v, f"{where}.per_class.{c}", version)
            per_class[str(c)] = ClassScores(
                p.num("precision") or 0.0, p.num("recall") or 0.0, p.num("f1") or 0.0,
                p.int("support"),
            )  # fmt: skip
        ch = o.obj("chance")
        chance = Chance(*(ch.num(f.name) or 0.0 for f in _fields(Chance)))
        per_fold = None
        if o.has("per_fold"):
            pf = o.obj("per_fold")
            per_fold = FoldScores(
                tuple(int(x) for x in pf.list("fold")),
                tuple(float(x) if x is not None else math.nan for x in pf.list("accuracy")),
                tuple(float(x) if x is not None else math.nan for x in pf.list("macro_f1")),
                tuple(int(x) for x in pf.list("n_videos")),
                *(pf.num(k) or 0.0 for k in
                  ("accuracy_mean", "accuracy_sd", "macro_f1_mean", "macro_f1_sd")),
            )  # fmt: skip
        qwk = None
        if o.has("qwk"):
            qwk = {
                str(c): {
                    str(w): QwkCell(_Obj(q, f"{where}.qwk", version).num("qwk"),
                                    _Obj(q, f"{where}.qwk", version).int("n"))
                    for w, q in _Obj(ws, f"{where}.qwk.{c}", version).value.items()
                }
                for c, ws in o.obj("qwk").value.items()
            }  # fmt: skip
        training = tuple(
            FoldTraining(t.int("fold"), t.int("best_epoch"), t.num("best_val_accuracy", None))
            for t in (_Obj(x, f"{where}.training", version) for x in o.raw("training", []) or [])
        )
        weights = None
        if o.has("weights"):
            w = o.obj("weights")
            weights = Weights(str(w.raw("id")), bool(w.raw("random")))
        return cls(
            n_videos=o.int("n_videos"),
            accuracy=o.num("accuracy") or 0.0,
            macro_f1=o.num("macro_f1") or 0.0,
            ci_accuracy=_interval(ci.raw("accuracy", None), f"{where}.ci.accuracy", version),
            ci_macro_f1=_interval(ci.raw("macro_f1", None), f"{where}.ci.macro_f1", version),
            classes=names,
            confusion=tuple(tuple(int(x) for x in r) for r in conf.list("counts")),
            confusion_normalized=tuple(tuple(float(x) for x in r) for r in conf.list("normalized")),
            per_class=per_class,
            chance=chance,
            per_fold=per_fold,
            qwk=qwk,
            grouped_by=GroupedBy.parse(o.raw("grouped_by"), f"{where}.grouped_by"),
            n_folds=o.int("n_folds"),
            training=training,
            weights=weights,
        )

    @classmethod
    def from_metrics(cls, metrics: Mapping[str, Any], **fields: Any) -> Scores:
        """From :func:`painscope.evaluate.metrics.classification_metrics`'s dict and the rest."""
        return cls.from_json({**metrics, **fields}, "metrics")


def _fields(cls: type) -> tuple[Any, ...]:
    import dataclasses

    return dataclasses.fields(cls)


# ---------------------------------------------------------------- run status


@dataclass(frozen=True)
class RunStatus:
    """``run.json``: what a run folder is and how far its command got.

    ``jobs_done`` of ``jobs_total`` counts fold jobs (one per method and CV round) of a
    ``cv`` run; ``train``, ``predict`` and ``drugtest`` runs have one job.
    ``expected`` lists the (method, scheme, n_models) a complete run has checkpoints for.
    """

    command: str
    status: Status
    jobs_done: int = 0
    jobs_total: int = 1
    started: str = ""
    finished: str | None = None
    error: str | None = None
    grouped_by: GroupedBy | None = None
    expected: tuple[tuple[str, str, int], ...] = ()
    painscope_version: str = __version__
    schema_version: int = SCHEMA_VERSION
    legacy: bool = False  # inferred for a folder written before run.json existed

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "painscope_version": self.painscope_version,
            "command": self.command,
            "status": self.status.value,
            "jobs_done": self.jobs_done,
            "jobs_total": self.jobs_total,
            "started": self.started,
            "finished": self.finished,
            "error": self.error,
            "grouped_by": self.grouped_by.value if self.grouped_by else None,
            "expected": [{"method": m, "scheme": s, "n_models": n} for m, s, n in self.expected],
        }

    @classmethod
    def from_json(cls, value: object, where: str) -> RunStatus:
        if not isinstance(value, dict):
            raise ResultsError(f"{where}: not a JSON object", fix="re-run the command")
        version = value.get("schema_version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise ResultsError(f"{where}: no schema_version", fix="re-run the command")
        if version > SCHEMA_VERSION:
            raise ResultsError(
                f"{where}: written with results schema version {version} by painscope "
                f"{value.get('painscope_version')}; this painscope ({__version__}) reads "
                f"versions up to {SCHEMA_VERSION}",
                fix="upgrade painscope to read this run folder",
            )
        o = _Obj(value, where, version)
        try:
            status = Status(o.raw("status"))
        except ValueError:
            raise ResultsError(f"{where}: unknown status {o.raw('status')!r}") from None
        expected = tuple(
            (str(e.raw("method")), str(e.raw("scheme")), e.int("n_models"))
            for e in (_Obj(x, f"{where}.expected", version) for x in o.list("expected"))
        )
        grouped = o.raw("grouped_by", None)
        return cls(
            command=str(o.raw("command")),
            status=status,
            jobs_done=o.int("jobs_done"),
            jobs_total=o.int("jobs_total"),
            started=str(o.raw("started", "")),
            finished=o.raw("finished", None),
            error=o.raw("error", None),
            grouped_by=GroupedBy.parse(grouped, f"{where}.grouped_by") if grouped else None,
            expected=expected,
            painscope_version=str(o.raw("painscope_version", "")),
            schema_version=version,
        )

    @property
    def progress(self) -> str:
        return f"{self.jobs_done} of {self.jobs_total} {'fold jobs' if self.command == 'cv' else 'jobs'} done"


def now() -> str:
    return _dt.datetime.now().isoformat(timespec="seconds")


def write_status(run_dir: Path, status: RunStatus) -> None:
    """Write ``run.json`` atomically."""
    write_json(Path(run_dir) / STATUS_FILE, status.to_json())


def start_status(run_dir: Path, command: str, jobs_total: int = 1, **fields: Any) -> RunStatus:
    """``run.json`` with status ``running`` (the first file of a new run folder)."""
    status = RunStatus(command, Status.RUNNING, 0, jobs_total, started=now(), **fields)
    write_status(run_dir, status)
    return status


def finish_status(
    run_dir: Path, status: RunStatus, error: BaseException | None = None
) -> RunStatus:
    """``run.json`` as ``complete`` (or ``failed`` with the error): the last file written."""
    if error is None:
        done = replace(status, status=Status.COMPLETE, jobs_done=status.jobs_total, finished=now())
    else:
        text = getattr(error, "message", None) or str(error) or type(error).__name__
        done = replace(status, status=Status.FAILED, finished=now(), error=text)
    write_status(run_dir, done)
    return done


# ---------------------------------------------------------------- the whole folder


@dataclass(frozen=True)
class RunResults:
    """Typed contents of a run folder: status, scores (cv) and drug tests (drugtest)."""

    root: Path
    status: RunStatus
    scores: dict[tuple[str, str], Scores] = field(default_factory=dict)
    drugtests: dict[tuple[str, str], DrugTest] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return self.status.status is Status.COMPLETE

    def require_complete(self, what: str) -> None:
        """Raise unless the run finished; says how far it got and how to fix it."""
        if self.complete:
            return
        s = self.status
        how = "failed" if s.status is Status.FAILED else "is incomplete (still running, or killed)"
        error = f": {s.error}" if s.error else ""
        raise IncompleteRunError(
            f"{self.root}: this {s.command} run {how} — {s.progress}{error}; "
            f"{what} needs a complete run",
            fix=f"re-run painscope {s.command} (a new run folder), then pass that folder",
        )

    def metrics_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for (m, s), sc in self.scores.items():
            out.setdefault(m, {})[s] = sc.to_json()
        for (m, s), d in self.drugtests.items():
            out.setdefault(m, {})[s] = d.to_json()
        return out


class IncompleteRunError(PainscopeError):
    """A run folder whose command was killed, failed or is still running."""


def write_results(run_dir: Path, results: RunResults) -> None:
    """``metrics.json`` (call :func:`finish_status` after it: run.json comes last)."""
    write_json(Path(run_dir) / METRICS_FILE, results.metrics_json())


def read_status(run_dir: Path) -> RunStatus:
    """``run.json``, or the status inferred for a schema-1 folder that has none."""
    root = Path(run_dir)
    path = root / STATUS_FILE
    if path.exists():
        return RunStatus.from_json(load_json(path), str(path))
    command = _legacy_command(root)
    finished = {"cv": METRICS_FILE, "drugtest": METRICS_FILE, "train": "history.json",
                "predict": PREDICTIONS_FILE}.get(command, METRICS_FILE)  # fmt: skip
    status = Status.COMPLETE if (root / finished).exists() else Status.RUNNING
    jobs = 1 if status is Status.COMPLETE else 0
    return RunStatus(command, status, jobs, 1, schema_version=1, painscope_version="", legacy=True)


def read_results(run_dir: Path) -> RunResults:
    """Status and ``metrics.json`` of a run folder, typed; a clear error for what is unreadable."""
    root = Path(run_dir)
    status = read_status(root)
    results = RunResults(root=root, status=status)
    path = root / METRICS_FILE
    if not path.exists():
        return results
    where, version = str(path), status.schema_version
    top = _Obj(load_json(path), where, version)
    for method, per_scheme in top.value.items():
        for scheme, value in _Obj(per_scheme, f"{where}: {method}", version).value.items():
            at = f"{where}: {method}.{scheme}"
            if isinstance(value, dict) and "drugtest" in value and "accuracy" not in value:
                results.drugtests[(str(method), str(scheme))] = DrugTest.from_json(
                    value, at, version
                )
            else:
                results.scores[(str(method), str(scheme))] = Scores.from_json(value, at, version)
    return results


def _legacy_command(root: Path) -> str:
    import yaml

    try:
        cfg = yaml.safe_load((root / "config.yaml").read_text())
    except (OSError, yaml.YAMLError):
        return "cv"
    return str(cfg.get("command", "cv")) if isinstance(cfg, dict) else "cv"


# ---------------------------------------------------------------- predictions


@dataclass(frozen=True)
class PredictionRow:
    """One row of ``predictions.csv``: a video's prediction by one method under one scheme."""

    video_id: str
    mouse_id: str
    condition: str
    timepoint: str
    group: str
    method: str
    scheme: str
    fold: int | str  # test fold of a cv run, "ensemble" for predict / drugtest
    true_label: str
    pred_label: str
    probs: dict[str, float]

    def to_record(self) -> dict[str, Any]:
        row = {k: getattr(self, k) for k in PREDICTION_COLUMNS}
        row.update({f"{PROB_PREFIX}{c}": v for c, v in self.probs.items()})
        return row


def prediction_rows(
    entries: Sequence[Any],
    probs: Any,
    classes: Sequence[str],
    true_labels: Sequence[str],
    method: str,
    scheme: str,
    fold: int | str,
) -> list[dict[str, Any]]:
    """Records of ``predictions.csv`` for test videos ``entries`` and probabilities (n, K)."""
    import numpy as np

    rows = []
    for e, p, t in zip(entries, probs, true_labels, strict=True):
        rows.append(
            PredictionRow(
                e.video_id, e.mouse_id, e.condition, e.timepoint, e.group, method, scheme, fold,
                t, classes[int(np.argmax(p))],
                {c: float(v) for c, v in zip(classes, p, strict=True)},
            ).to_record()
        )  # fmt: skip
    return rows


def read_predictions(run_dir: Path) -> Any:
    """``predictions.csv`` as a DataFrame (None when absent); missing columns are an error."""
    import pandas as pd

    path = Path(run_dir) / PREDICTIONS_FILE
    if not path.exists():
        return None
    try:
        frame = pd.read_csv(path, dtype={"video_id": str, "mouse_id": str})
    except (OSError, ValueError) as err:
        raise ResultsError(f"{path}: cannot be read ({err})", fix="re-run the command") from None
    missing = [c for c in PREDICTION_COLUMNS if c not in frame.columns]
    if missing:
        raise ResultsError(f"{path}: no column(s) {', '.join(missing)}", fix="re-run the command")
    return frame


__all__ = [
    "SCHEMA_VERSION",
    "DrugTest",
    "GroupedBy",
    "IncompleteRunError",
    "PredictionRow",
    "ResultsError",
    "RunResults",
    "RunStatus",
    "Scores",
    "Status",
    "format_ci",
    "prediction_rows",
    "read_predictions",
    "read_results",
    "read_status",
]
