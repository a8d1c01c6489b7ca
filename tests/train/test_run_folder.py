"""The run-folder contract: typed results, run.json status, refusing incomplete runs."""

from __future__ import annotations

import dataclasses
import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from painscope.cli import app
from painscope.commands.classify import logreg_wins
from painscope.config import ExtractConfig, TrainConfig, config_hash
from painscope.errors import PainscopeError
from painscope.evaluate.results import (
    SCHEMA_VERSION,
    GroupedBy,
    IncompleteRunError,
    ResultsError,
    RunStatus,
    Status,
    format_ci,
    read_results,
    read_status,
    write_status,
)
from painscope.report import build_report
from painscope.train import TokenStoreSource, run_cv, run_drugtest, run_predict
from painscope.train.full import run_train
from tests.fixtures.tokens import make_token_project

TINY = {
    "d_model": 16, "n_layers": 1, "d_state": 8, "n_clips": 6, "epochs": 2, "batch_size": 8,
    "dropout": 0.0, "n_bootstrap": 50, "device": "cpu", "lr": 0.01, "scheme": "3class",
    "n_folds": 4, "tokens": "mean", "relevance": False,
}  # fmt: skip


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def cv_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete 4-fold cv run grouped by mouse, with the logistic baseline."""
    root = tmp_path_factory.mktemp("project")
    project = make_token_project(
        root, np.random.default_rng(0), per_class=6, treated={"GBA": 3, "saline": 3}
    )
    config = TrainConfig(**{**TINY, "group_by": "mouse_id", "baseline": True})
    torch.set_num_threads(1)  # module fixtures run before the autouse one; same arithmetic
    return run_cv(project, config, progress=False)


def _copy(run: Path, tmp_path: Path) -> Path:
    """A copy of a run folder inside the same project (runs/…)."""
    target = run.parent / f"{run.name}_{tmp_path.name}"
    shutil.copytree(run, target)
    return target


def _runs(run: Path) -> set[str]:
    return {p.name for p in run.parent.iterdir()}


def test_cv_writes_complete_status_last_and_typed_results(cv_run: Path) -> None:
    status = read_status(cv_run)
    assert status.status is Status.COMPLETE and status.schema_version == SCHEMA_VERSION
    assert status.jobs_done == status.jobs_total == 4  # one source x 4 rounds
    assert status.expected == (("pooled", "3class", 4),)
    files = {p.name: p.stat().st_mtime_ns for p in cv_run.iterdir() if p.is_file()}
    assert max(files, key=lambda n: files[n]) == "run.json"
    results = read_results(cv_run)
    assert set(results.scores) == {("pooled", "3class"), ("pooled_logreg", "3class")}
    scores = results.scores[("pooled", "3class")]
    assert scores.grouped_by is GroupedBy.MOUSE and scores.n_folds == 4
    assert len(scores.training) == 4 and scores.per_fold is not None
    # the typed record writes back exactly what metrics.json holds
    raw = json.loads((cv_run / "metrics.json").read_text())
    assert results.metrics_json() == raw


def test_report_of_a_mouse_grouped_cv_has_no_grouping_banner(cv_run: Path, tmp_path: Path) -> None:
    """`painscope cv --group-by mouse_id` then `painscope report`: no 'not grouped' banner."""
    run = _copy(cv_run, tmp_path)
    report = build_report(run)
    page = report.html_path.read_text()
    assert report.banners == []
    assert "not grouped by mouse" not in page
    assert "mouse_id" in page  # "CV folds grouped by"


def test_killed_run_is_refused_by_report_predict_and_drugtest(cv_run: Path, tmp_path: Path) -> None:
    run = _copy(cv_run, tmp_path)
    status = read_status(run)
    write_status(run, dataclasses.replace(status, status=Status.RUNNING, jobs_done=1))
    (run / "metrics.json").unlink()
    before = _runs(run)
    for call in (
        lambda: build_report(run),
        lambda: run_predict(run, run.parent.parent),
        lambda: run_drugtest(run, run.parent.parent),
    ):
        with pytest.raises(IncompleteRunError) as err:
            call()
        text = str(err.value)
        assert str(run) in text and "incomplete" in text
        assert "1 of 4 fold jobs done" in text and "re-run painscope cv" in text
    assert _runs(run) == before  # no stray run folder


def test_failed_cv_is_marked_failed_and_refused(tmp_path: Path) -> None:
    project = make_token_project(tmp_path, np.random.default_rng(1), per_class=4)

    def dies_after_one(fn, jobs):  # type: ignore[no-untyped-def]
        yield fn(jobs[0])
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        run_cv(project, TrainConfig(**TINY), progress=False, map_jobs=dies_after_one)
    (run,) = (project.root / "runs").iterdir()
    status = read_status(run)
    assert status.status is Status.FAILED and status.jobs_done == 1
    assert status.error == "disk full"
    with pytest.raises(IncompleteRunError, match="failed"):
        build_report(run)
    result = CliRunner().invoke(app, ["report", str(run)])
    assert result.exit_code == 2 and "disk full" in result.output


def test_predict_never_averages_a_partial_set_of_folds(cv_run: Path, tmp_path: Path) -> None:
    run = _copy(cv_run, tmp_path)
    (run / "checkpoints" / "pooled_3class_fold3.pt").unlink()
    with pytest.raises(IncompleteRunError, match=r"fold models \[0, 1, 2\] instead of"):
        run_predict(run, run.parent.parent)
    # a checkpoint of another method is not mixed in either
    shutil.copy(run / "checkpoints" / "pooled_3class_fold0.pt", run / "checkpoints" / "x.pt")
    with pytest.raises(IncompleteRunError, match="complete ensembles"):
        run_predict(run, run.parent.parent)


def test_schema_1_folder_is_read_and_a_newer_schema_is_refused(
    cv_run: Path, tmp_path: Path
) -> None:
    legacy = _copy(cv_run, tmp_path)
    (legacy / "run.json").unlink()  # as painscope <= 0.1.0 wrote it
    results = read_results(legacy)
    assert results.complete and results.status.legacy
    assert results.scores[("pooled", "3class")].grouped_by is GroupedBy.MOUSE
    assert build_report(legacy).banners == []
    (legacy / "metrics.json").unlink()  # an old run killed before its end
    with pytest.raises(IncompleteRunError):
        build_report(legacy)

    newer = _copy(cv_run, tmp_path / "n")
    payload = json.loads((newer / "run.json").read_text())
    (newer / "run.json").write_text(json.dumps({**payload, "schema_version": 99}))
    with pytest.raises(ResultsError, match=r"run\.json: written with results schema version 99"):
        read_results(newer)


def test_a_missing_key_names_the_file_the_key_and_the_version(cv_run: Path, tmp_path: Path) -> None:
    run = _copy(cv_run, tmp_path)
    metrics = json.loads((run / "metrics.json").read_text())
    del metrics["pooled"]["3class"]["n_folds"]
    (run / "metrics.json").write_text(json.dumps(metrics))
    with pytest.raises(ResultsError) as err:
        build_report(run)
    text = str(err.value)
    assert "metrics.json: pooled.3class: no 'n_folds'" in text
    assert f"schema version {SCHEMA_VERSION}" in text
    (run / "metrics.json").write_text("{not json")
    with pytest.raises(ResultsError, match=r"metrics\.json: cannot be read"):
        read_results(run)


def test_validation_failures_leave_no_run_folder(tmp_path: Path) -> None:
    project = make_token_project(tmp_path, np.random.default_rng(2), per_class=2)
    runs = project.root / "runs"
    with pytest.raises(PainscopeError, match="cannot make 8 folds"):
        run_cv(project, TrainConfig(**{**TINY, "n_folds": 8}), progress=False)
    with pytest.raises(PainscopeError, match="cannot make 8 folds"):
        run_train(project, TrainConfig(**{**TINY, "n_folds": 8, "group_by": "mouse_id"}))
    with pytest.raises(PainscopeError):
        run_cv(project, TrainConfig(**TINY), schemes=["no_such_column"], progress=False)
    with pytest.raises(PainscopeError, match="no such run folder"):
        run_predict(tmp_path / "nowhere", project.root)
    with pytest.raises(PainscopeError, match="no rows in group"):
        run_drugtest(tmp_path / "nowhere", project.root)
    bad = CliRunner().invoke(app, ["cv", str(project.root), "--epochs", "0"])
    assert bad.exit_code == 2
    assert not runs.exists() or not any(runs.iterdir())


def test_fold_jobs_are_picklable_and_a_custom_map_gives_identical_results(
    cv_run: Path, tmp_path: Path
) -> None:
    project_root = cv_run.parent.parent
    seen = []

    def recording_map(fn, jobs):  # type: ignore[no-untyped-def]
        for job in jobs:
            seen.append(pickle.loads(pickle.dumps(job)).fold)
        return [fn(job) for job in jobs]

    config = TrainConfig(**{**TINY, "group_by": "mouse_id", "baseline": True})
    again = run_cv(project_root, config, progress=False, map_jobs=recording_map, name="again")
    assert seen == [0, 1, 2, 3]
    first = json.loads((cv_run / "metrics.json").read_text())
    second = json.loads((again / "metrics.json").read_text())
    assert first == second
    assert (cv_run / "predictions.csv").read_text() == (again / "predictions.csv").read_text()


def test_train_shares_fit_fold_and_predict_uses_its_single_model(cv_run: Path) -> None:
    project_root = cv_run.parent.parent
    folder = project_root / "cache" / "features" / config_hash(ExtractConfig())
    run = run_train(project_root, TrainConfig(**TINY), TokenStoreSource(folder, "mean"),
                    progress=False, name="final")  # fmt: skip
    status = read_status(run)
    assert status.status is Status.COMPLETE and status.expected == (("pooled", "3class", 1),)
    assert json.loads((run / "history.json").read_text())["best_epoch"] >= 0
    out = run_predict(run, project_root)
    assert read_status(out).status is Status.COMPLETE


def test_format_ci_and_the_logreg_sentence(cv_run: Path) -> None:
    assert format_ci(0.7, (0.55, 0.82)) == "0.70 [0.55, 0.82]"
    assert format_ci(0.7, None, 3) == "0.700"
    assert format_ci(None, (0.1, 0.2)) == "–"
    scores = read_results(cv_run).scores
    model = scores[("pooled", "3class")]
    better = dataclasses.replace(model, accuracy=model.accuracy + 0.1)
    worse = dataclasses.replace(model, accuracy=max(0.0, model.accuracy - 0.1))
    (line,) = logreg_wins({("pooled", "3class"): model, ("pooled_logreg", "3class"): better})
    assert line.startswith("pooled_logreg") and "beats pooled on 3class accuracy" in line
    assert logreg_wins({("pooled", "3class"): model, ("pooled_logreg", "3class"): worse}) == []


def test_status_roundtrips() -> None:
    status = RunStatus("cv", Status.RUNNING, 2, 8, started="t", grouped_by=GroupedBy.VIDEO,
                       expected=(("ours", "3class", 8),))  # fmt: skip
    assert RunStatus.from_json(status.to_json(), "run.json") == status


@pytest.mark.slow
def test_cv_killed_with_sigkill_is_recognised(tmp_path: Path) -> None:
    """kill -9 during `painscope cv`: the folder stays 'running' and nothing reads it as whole."""
    import os
    import signal
    import subprocess
    import sys
    import time

    project = make_token_project(tmp_path, np.random.default_rng(5), per_class=6,
                                 train={**TINY, "epochs": 30})  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys; from painscope.cli import main; main()",
         "cv", str(project.root)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            found = list((project.root / "runs").glob("*/run.json"))
            if found:
                try:
                    status = read_status(found[0].parent)
                except ResultsError:
                    status = None
                if status is not None and status.jobs_done >= 1:
                    break
            time.sleep(0.05)
        assert proc.poll() is None, "cv finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    (run,) = (project.root / "runs").iterdir()
    status = read_status(run)
    assert status.status is Status.RUNNING and 1 <= status.jobs_done < status.jobs_total
    with pytest.raises(IncompleteRunError, match="incomplete"):
        build_report(run)
    with pytest.raises(IncompleteRunError, match="incomplete"):
        run_predict(run, project.root)
