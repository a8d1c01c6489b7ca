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
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from painscope.errors import PainscopeError
from painscope.evaluate.drugtest import DrugTest
from painscope.evaluate.records import (
    SCHEMA_VERSION,
    ResultsError,
    format_ci,
    format_number,
    format_range,
    load_json,
    write_json,
)
from painscope.evaluate.records import JsonObject as _Obj
from painscope.evaluate.scores import (
    Chance,
    ClassScores,
    FoldScores,
    FoldTraining,
    GroupedBy,
    QwkCell,
    Scores,
    Weights,
)
from painscope.version import __version__

STATUS_FILE = "run.json"
METRICS_FILE = "metrics.json"
PREDICTIONS_FILE = "predictions.csv"
PREDICTION_COLUMNS = (
    "video_id", "mouse_id", "condition", "timepoint", "group", "method", "scheme", "fold",
    "true_label", "pred_label",
)  # fmt: skip
PROB_PREFIX = "prob_"


class Status(enum.StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"


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


class RunRecorder:
    """``run.json`` of a run folder while a command fills it: ``running`` from the start,
    ``complete`` when the ``with`` block ends normally, ``failed`` (with the error) when it
    raises — written last either way. ``advance`` records finished jobs as they come.

    >>> with RunRecorder(run, "cv", len(jobs)) as rec:   # doctest: +SKIP
    ...     for job in jobs: ...; rec.advance()
    """

    def __init__(self, run_dir: Path, command: str, jobs_total: int = 1, **fields: Any) -> None:
        self.run_dir = Path(run_dir)
        self.status = start_status(self.run_dir, command, jobs_total, **fields)

    def advance(self) -> None:
        """One more job done."""
        self.status = replace(self.status, jobs_done=self.status.jobs_done + 1)
        write_status(self.run_dir, self.status)

    def __enter__(self) -> RunRecorder:
        return self

    def __exit__(self, kind: Any, error: BaseException | None, trace: Any) -> Literal[False]:
        self.status = finish_status(self.run_dir, self.status, error)
        return False  # an error propagates


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
        if s.legacy:
            got = "it has no run.json and not the file an older painscope wrote last"
        else:
            got = s.progress + (f": {s.error}" if s.error else "")
        raise IncompleteRunError(
            f"{self.root}: this {s.command} run {how} — {got}; {what} needs a complete run",
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
    "Chance",
    "ClassScores",
    "DrugTest",
    "FoldScores",
    "FoldTraining",
    "GroupedBy",
    "IncompleteRunError",
    "PredictionRow",
    "QwkCell",
    "ResultsError",
    "RunResults",
    "RunStatus",
    "Scores",
    "Status",
    "Weights",
    "format_ci",
    "format_number",
    "format_range",
    "prediction_rows",
    "read_predictions",
    "read_results",
    "read_status",
]
