"""``painscope train | cv | predict | drugtest``: the ViS4mer pain classifier."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from painscope.cli import app, console, user_errors
from painscope.cli_text import safe


def _train_config(project: Path, **overrides: Any) -> Any:
    """The project's ``train`` settings with command-line overrides (validated)."""
    from painscope.config.base import with_overrides
    from painscope.project import open_project

    return with_overrides(open_project(project).config().train, section="train", **overrides)


def _summary(run: Path) -> None:
    from rich.markup import escape
    from rich.table import Table

    from painscope.evaluate.results import format_ci, read_results

    results = read_results(run)
    if not results.scores:
        return
    table = Table(title="test folds, pooled (95% bootstrap CI)")
    for col in ("method", "scheme", "accuracy", "macro F1", "chance (majority)", "split by"):
        table.add_column(col)
    for (method, scheme), m in results.scores.items():
        table.add_row(
            escape(method), escape(scheme),
            format_ci(m.accuracy, m.ci_accuracy, 3), format_ci(m.macro_f1, m.ci_macro_f1, 3),
            f"{m.chance.majority_accuracy:.3f}", m.grouped_by.value,
        )  # fmt: skip
    console.print(table)
    for line in logreg_wins(results.scores):
        console.print(escape(line))


def logreg_wins(scores: Any) -> list[str]:
    """One plain sentence per (method, scheme) whose ``<method>_logreg`` is more accurate."""
    out = []
    for (method, scheme), m in scores.items():
        base = scores.get((f"{method}_logreg", scheme))
        if base is not None and base.accuracy > m.accuracy:
            out.append(
                f"{method}_logreg (tuned logistic regression on session statistics) beats {method} "
                f"on {scheme} accuracy: {base.accuracy:.3f} vs {m.accuracy:.3f}."
            )
    return out


SCHEME = typer.Option(None, "--scheme", help="Label scheme: 15class, 3class or a manifest column.")
EPOCHS = typer.Option(None, "--epochs", help="Training epochs (default from painscope.yaml).")
TOKENS = typer.Option(None, "--tokens", help="Token view: all, block or mean.")
NAME = typer.Option(None, "--name", help="Run name (folder runs/<date>_<name>).")


@app.command("cv")
@user_errors
def cv_command(
    project: Path = typer.Argument(..., help="Project folder."),
    scheme: list[str] = typer.Option(
        None,
        "--scheme",
        help="Label scheme(s): 15class, 3class or a manifest column; repeat for several.",
    ),
    group_by: str = typer.Option(
        None, "--group-by", help="video (the paper's split) or mouse_id (no mouse in two folds)."
    ),
    epochs: int = EPOCHS,
    tokens: str = TOKENS,
    baseline: bool = typer.Option(
        None, "--baseline/--no-baseline", help="Also run logistic regression."
    ),
    method: list[str] = typer.Option(
        None,
        "--method",
        help="Methods to compare on the same folds (repeat): ours_mask, ours, pooled, raw, "
        "raw_mask, pose, features, motion. Default: the train.tokens view of the token store.",
    ),
    name: str = NAME,
    ray: str | None = typer.Option(
        None,
        "--ray",
        help="Run the (method, round) fits as Ray tasks: local (start a cluster here), auto "
        "(the running one) or HOST:PORT. Same results as the serial run.",
    ),
    jobs: int = typer.Option(
        1,
        "--jobs",
        "-j",
        help="Run the (method, round) fits in this many local worker processes, one torch "
        "thread each (0 = one per CPU). Same results as --jobs 1.",
    ),
) -> None:
    """Cross-validate the classifier (8 folds: test i, validate i+1, train the rest)."""
    from painscope.project import open_project
    from painscope.train.cv import run_cv
    from painscope.train.methods import build_sources

    config = _train_config(
        project, group_by=group_by, epochs=epochs, tokens=tokens, baseline=baseline,
        scheme=scheme[0] if scheme else None,
    )  # fmt: skip
    sources = None
    if method:
        found = open_project(project)
        sources = build_sources(found.root, found.config(), method, config)
    map_jobs = map
    if ray:
        import functools

        from painscope.distributed.ray_cv import ray_map_jobs

        map_jobs = functools.partial(ray_map_jobs, address=ray)  # type: ignore[assignment]
    elif jobs != 1:
        import functools

        from painscope.distributed.local_cv import default_jobs, process_map_jobs

        workers = default_jobs() if jobs <= 0 else jobs
        map_jobs = functools.partial(process_map_jobs, workers=workers)  # type: ignore[assignment]
    run = run_cv(
        project, config, sources, schemes=scheme or None, name=name or "cv", map_jobs=map_jobs
    )
    _summary(run)
    console.print(f"cross-validation run: [bold]{safe(run)}[/]")


@app.command("train")
@user_errors
def train_command(
    project: Path = typer.Argument(..., help="Project folder."),
    scheme: str = SCHEME,
    epochs: int = EPOCHS,
    tokens: str = TOKENS,
    method: str = typer.Option(
        None, "--method", help="One method (e.g. motion, pose); default: the train.tokens view."
    ),
    name: str = NAME,
) -> None:
    """Train one model on all labelled videos (1/8 held out for model selection)."""
    from painscope.train.full import run_train

    config = _train_config(project, scheme=scheme, epochs=epochs, tokens=tokens)
    source = None
    if method:
        from painscope.project import open_project
        from painscope.train.methods import build_sources

        found = open_project(project)
        (source,) = build_sources(found.root, found.config(), [method], config)
    run = run_train(project, config, source, name=name or "train")
    console.print(f"trained model: [bold]{safe(run / 'checkpoints')}[/]")


@app.command("predict")
@user_errors
def predict_command(
    run: Path = typer.Argument(..., help="Folder of a cv or train run."),
    project: Path = typer.Argument(..., help="Project folder holding the videos' features."),
    manifest: Path = typer.Option(
        None, "--manifest", help="Manifest of the videos (default: the project's)."
    ),
    name: str = NAME,
) -> None:
    """Predict videos with a trained run (fold models averaged) and save per-clip relevance."""
    from painscope.train.predict import run_predict

    out = run_predict(run, project, manifest=manifest, name=name or "predict")
    console.print(f"predictions: [bold]{safe(out / 'predictions.csv')}[/]")


@app.command("drugtest")
@user_errors
def drugtest_command(
    run: Path = typer.Argument(..., help="Folder of a cv or train run (no retraining)."),
    project: Path = typer.Argument(..., help="Project folder; treated videos have a 'group'."),
    group: list[str] = typer.Option(None, "--group", help="Groups to compare (default: all)."),
    manifest: Path = typer.Option(None, "--manifest", help="Manifest (default: the project's)."),
    name: str = NAME,
) -> None:
    """Zero-shot drug test: share of each group's videos predicted per class, CIs and tests."""
    from rich.markup import escape
    from rich.table import Table

    from painscope.evaluate.results import format_ci, read_results
    from painscope.train.predict import run_drugtest

    out = run_drugtest(
        run, project, groups=group or None, manifest=manifest, name=name or "drugtest"
    )
    table = Table(title="share of videos predicted per class (95% Wilson CI)")
    for col in ("method", "scheme", "group", "class", "share"):
        table.add_column(col)
    for (method, scheme), test in read_results(out).drugtests.items():
        for r in test.shares:
            ci = None if r.ci_low is None or r.ci_high is None else (r.ci_low, r.ci_high)
            table.add_row(
                escape(method), escape(scheme), escape(r.group), escape(r.cls),
                f"{r.n_predicted}/{r.n_videos} = {format_ci(r.share, ci)}",
            )  # fmt: skip
    console.print(table)
    console.print(f"drug test: [bold]{safe(out)}[/]")
