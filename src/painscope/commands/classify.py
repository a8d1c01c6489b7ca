"""``painscope train | cv | predict | drugtest``: the ViS4mer pain classifier."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from painscope.cli import app, console, user_errors


def _train_config(project: Path, **overrides: Any) -> Any:
    """The project's ``train`` settings with command-line overrides (validated)."""
    from painscope.config.base import with_overrides
    from painscope.train.runs import open_inputs

    return with_overrides(open_inputs(project).config.stage("train"), section="train", **overrides)


def _summary(run: Path) -> None:
    from rich.table import Table

    metrics_path = run / "metrics.json"
    if not metrics_path.exists():
        return
    metrics = json.loads(metrics_path.read_text())
    table = Table(title="test folds, pooled (95% bootstrap CI)")
    for col in ("method", "scheme", "accuracy", "macro F1", "chance (majority)", "split by"):
        table.add_column(col)
    for method, by_scheme in metrics.items():
        for scheme, m in by_scheme.items():
            if "accuracy" not in m:
                continue
            ci = m["ci"]["accuracy"] or [float("nan")] * 2
            cf = m["ci"]["macro_f1"] or [float("nan")] * 2
            table.add_row(
                method,
                scheme,
                f"{m['accuracy']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]",
                f"{m['macro_f1']:.3f} [{cf[0]:.3f}, {cf[1]:.3f}]",
                f"{m['chance']['majority_accuracy']:.3f}",
                m["grouped_by"],
            )
    console.print(table)


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
) -> None:
    """Cross-validate the classifier (8 folds: test i, validate i+1, train the rest)."""
    from painscope.train.cv import run_cv
    from painscope.train.methods import build_sources
    from painscope.train.runs import open_inputs

    config = _train_config(
        project, group_by=group_by, epochs=epochs, tokens=tokens, baseline=baseline,
        scheme=scheme[0] if scheme else None,
    )  # fmt: skip
    sources = None
    if method:
        inputs = open_inputs(project)
        sources = build_sources(inputs.root, inputs.config, method, config)
    run = run_cv(project, config, sources, schemes=scheme or None, name=name or "cv")
    _summary(run)
    console.print(f"cross-validation run: [bold]{run}[/]")


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
        from painscope.train.methods import build_sources
        from painscope.train.runs import open_inputs

        inputs = open_inputs(project)
        (source,) = build_sources(inputs.root, inputs.config, [method], config)
    run = run_train(project, config, source, name=name or "train")
    console.print(f"trained model: [bold]{run / 'checkpoints'}[/]")


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
    console.print(f"predictions: [bold]{out / 'predictions.csv'}[/]")


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
    import pandas as pd
    from rich.table import Table

    from painscope.train.predict import run_drugtest

    out = run_drugtest(
        run, project, groups=group or None, manifest=manifest, name=name or "drugtest"
    )
    shares = pd.read_csv(out / "drugtest.csv")
    table = Table(title="share of videos predicted per class (95% Wilson CI)")
    for col in ("method", "scheme", "group", "class", "share"):
        table.add_column(col)
    for r in shares.itertuples():
        table.add_row(
            str(r.method), str(r.scheme), str(r.group), str(r._4),
            f"{r.n_predicted}/{r.n_videos} = {r.share:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]",
        )  # fmt: skip
    console.print(table)
    console.print(f"drug test: [bold]{out}[/]")
