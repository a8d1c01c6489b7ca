"""The report's tables in the paper's layouts, as plain :class:`Table` records.

A cell is a main value and an optional detail line (CI, sd) so the HTML can show
both compactly; :meth:`Table.to_frame` flattens them for CSV.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from painscope.evaluate.results import Scores, format_number, format_range
from painscope.report import data
from painscope.report.data import Run


@dataclass(frozen=True)
class Cell:
    main: str
    detail: str = ""


@dataclass
class Table:
    """A titled table: ``header`` column names, ``rows`` of cells (first cell = row label)."""

    name: str
    caption: str
    header: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        columns: list[str] = []
        for i, h in enumerate(self.header):
            columns.append(h)
            if i and any(r[i].detail for r in self.rows):
                columns.append(f"{h} (detail)")
        records = []
        for row in self.rows:
            rec: list[str] = []
            for i, cell in enumerate(row):
                rec.append(cell.main)
                if i and any(r[i].detail for r in self.rows):
                    rec.append(cell.detail)
            records.append(rec)
        return pd.DataFrame(records, columns=columns)


def _pct(x: float | None, digits: int = 2) -> str:
    return format_number(x, digits, scale=100)


def _num(x: float | None, digits: int = 4) -> str:
    return format_number(x, digits)


def _score_cell(e: Scores | None, name: str) -> Cell:
    value = data.score(e, name)
    as_text = _pct if name == "accuracy" else _num
    scale = 100.0 if name == "accuracy" else 1.0
    sd = data.per_fold_sd(e, name)
    ci = data.score_ci(e, name)
    digits = 1 if name == "accuracy" else 3
    parts = []
    if ci is not None:
        parts.append(f"95% CI {format_range(ci, digits, scale=scale)}")
    if sd is not None:
        parts.append(f"fold sd {as_text(sd, digits)}")
    return Cell(as_text(value), " · ".join(parts))


def methods_table(run: Run) -> Table | None:
    """Paper Table 3: one row per method; accuracy (%) and macro F1 per label scheme,
    each with its 95 % CI and the sd over test folds; a last row gives chance level."""
    schemes = data.schemes(run)
    methods = [
        m for m in data.methods(run) if any(data.has_scores(data.entry(run, m, s)) for s in schemes)
    ]
    if not methods or not schemes:
        return None
    header = ["Method"]
    for s in schemes:
        header += [f"{data.scheme_name(s)} Acc (%)", f"{data.scheme_name(s)} F1"]
    table = Table(
        name="table3_methods",
        caption=(
            "Micro accuracy (%) and macro F1 pooled over the test folds (as the paper's Table 3), "
            "with 95% confidence intervals and the standard deviation over test folds."
        ),
        header=header,
    )
    for m in methods:
        row = [Cell(data.method_name(m))]
        for s in schemes:
            e = data.entry(run, m, s)
            row += [_score_cell(e, "accuracy"), _score_cell(e, "macro_f1")]
        table.rows.append(row)
    for kind, label in data.CHANCE_ROWS:
        chance_row = [Cell("Chance level", label)]
        any_chance = False
        for s in schemes:
            e = next((x for m in methods if (x := data.entry(run, m, s)) is not None), None)
            acc = data.chance_level(e, "accuracy", kind)
            f1 = data.chance_level(e, "macro_f1", kind)
            any_chance = any_chance or acc is not None or f1 is not None
            chance_row += [Cell(_pct(acc)), Cell(_num(f1))]
        if any_chance:
            table.rows.append(chance_row)
    return table


def qwk_table(run: Run, method: str) -> Table | None:
    """Paper Table 5: QWK of the 15-class predictions per condition and time window."""
    e = next(
        (
            x
            for s in data.schemes(run)
            if (x := data.entry(run, method, s)) and data.qwk(x) is not None
        ),
        None,
    )
    frame = data.qwk(e)
    if frame is None:
        return None
    header = ["Condition"] + [data.QWK_WINDOW_NAMES.get(w, w) for w in frame.columns]
    table = Table(
        name=f"table5_qwk_{method}",
        caption=(
            f"Quadratic weighted kappa between true and predicted timepoint order, per condition "
            f"and time window ({data.method_name(method)}; the paper's Table 5)."
        ),
        header=header,
    )
    counts = data.qwk_counts(e)
    for cond, values in frame.iterrows():
        label = {"total": "Total"}.get(str(cond), str(cond))
        ns = counts.loc[cond].tolist() if counts is not None else [None] * len(values)
        table.rows.append(
            [Cell(label)]
            + [
                Cell(_num(v), "" if n is None else f"n={n}")
                for v, n in zip(values.tolist(), ns, strict=True)
            ]
        )
    return table


def per_class_table(run: Run, method: str, scheme: str) -> Table | None:
    """Precision, recall, F1 and support of every class."""
    frame = data.per_class(data.entry(run, method, scheme))
    if frame is None:
        return None
    table = Table(
        name=f"per_class_{method}_{scheme}",
        caption=f"Per-class metrics, {data.method_name(method)}, {data.scheme_name(scheme)}.",
        header=["Class", "Precision", "Recall", "F1", "Videos"],
    )
    for cls, r in frame.iterrows():
        support = r["support"]
        table.rows.append(
            [
                Cell(str(cls)),
                Cell(_num(r["precision"], 3)),
                Cell(_num(r["recall"], 3)),
                Cell(_num(r["f1"], 3)),
                Cell("–" if support != support else f"{int(support)}"),
            ]
        )
    return table


def drugtest_table(test: data.DrugTest) -> Table | None:
    """Share (%) of each group's videos predicted as each class, with 95 % CIs (Table 4)."""
    groups = test.groups
    if not groups:
        return None
    classes = list(dict.fromkeys(c for g in groups for c in g.shares))
    suffix = f"_{test.method}_{test.scheme}" if test.method else ""
    table = Table(
        name=f"table4_drugtest{suffix}",
        caption="Drug test: share (%) of each group's videos predicted as each class.",
        header=["Group", "Videos", *classes],
    )
    for g in groups:
        row = [Cell(g.name), Cell("–" if g.n_videos is None else str(g.n_videos))]
        for c in classes:
            ci = g.ci.get(c)
            detail = f"95% CI {format_range(ci, 1, scale=100)}" if ci else ""
            row.append(Cell(_pct(g.shares.get(c), 1), detail))
        table.rows.append(row)
    return table


def pairwise_table(test: data.DrugTest) -> Table | None:
    """Fisher's exact test of every pair of groups, per class (Holm-adjusted p)."""
    if not test.pairwise:
        return None
    table = Table(
        name=f"drugtest_pairwise_{test.method}_{test.scheme}",
        caption="Pairwise Fisher exact tests: share of videos predicted as the class, "
        "group A vs group B (p adjusted by Holm over all pairs and classes).",
        header=["Class", "Group A", "Group B", "Share A (%)", "Share B (%)", "p", "p (Holm)"],
    )
    for r in test.pairwise:
        table.rows.append(
            [
                Cell(str(r.get("class", ""))),
                Cell(str(r.get("group_a", ""))),
                Cell(str(r.get("group_b", ""))),
                Cell(_pct(_as_float(r.get("share_a")), 1)),
                Cell(_pct(_as_float(r.get("share_b")), 1)),
                Cell(_p(r.get("p"))),
                Cell(_p(r.get("p_holm"))),
            ]
        )
    return table


def _p(value: object) -> str:
    x = _as_float(value)
    if x is None:
        return "–"
    return "< 0.0001" if x < 1e-4 else f"{x:.3g}"


def _as_float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and value == value else None
