"""Scores of one method under one label scheme: the entries of a cv run's ``metrics.json``.

Written by :func:`painscope.train.cv.summarize`, read by :func:`painscope.evaluate.results.read_results`.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from painscope.evaluate.records import SCHEMA_VERSION, ResultsError
from painscope.evaluate.records import JsonObject as _Obj
from painscope.evaluate.records import interval as _interval


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
    return dataclasses.fields(cls)
