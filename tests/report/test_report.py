"""painscope report: the HTML report, its figures and tables, from synthetic run folders."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from painscope.cli import app
from painscope.errors import PainscopeError
from painscope.labels import CLASSES_3, CLASSES_15
from painscope.report import build_report, data
from painscope.report.html import SECTIONS, Report
from painscope.report.style import class_colours
from tests.fixtures.report import make_run_folder, random_ungrouped_run


@pytest.fixture(scope="module")
def full_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, str]:
    """A report of a complete run with random weights and CV not grouped by mouse."""
    run = random_ungrouped_run(tmp_path_factory.mktemp("run_full"), seed=0)
    report = build_report(run)
    return report, report.html_path.read_text()


@pytest.fixture(scope="module")
def clean_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, str]:
    """A run with pretrained weights, mouse-grouped CV, no drug test and no clip relevance."""
    run = make_run_folder(
        tmp_path_factory.mktemp("run_clean"),
        np.random.default_rng(1),
        n_videos=30,
        methods=("ours", "pose"),
        drugtest=False,
        clip_relevance=False,
    )
    report = build_report(run)
    return report, report.html_path.read_text()


def test_report_has_every_section(full_report: tuple[Report, str]) -> None:
    report, page = full_report
    for section in SECTIONS:
        assert f'<section id="{section.id}">' in page
        assert section.title.replace("&", "&amp;") in page
    # every section except the attention maps (made by painscope explain) has content
    assert {k for k, has in report.sections.items() if not has} == {"attention", "motion"}
    assert "painscope explain" in page


def test_report_tables_follow_the_papers_layouts(full_report: tuple[Report, str]) -> None:
    _, page = full_report
    table3 = re.search(r'<table id="tab-table3_methods">.*?</table>', page, re.S)
    assert table3 is not None
    for name in ("Ours+Mask", "Ours", "Raw video", "Pooled tokens", "Pose baseline", "Chance"):
        assert name in table3.group(0)
    for column in ("15-class Acc (%)", "15-class F1", "3-class Acc (%)", "3-class F1"):
        assert column in table3.group(0)
    assert "95% CI" in table3.group(0) and "fold sd" in table3.group(0)
    qwk = re.search(r'<table id="tab-table5_qwk_ours_mask">.*?</table>', page, re.S)
    assert qwk is not None
    for label in ("formalin", "SNI", "control", "Total", "Acute pain (D0 to D3)", "Overall"):
        assert label in qwk.group(0)
    assert 'id="tab-per_class_ours_mask_15class"' in page
    assert 'id="tab-table4_drugtest_ours_mask_3class"' in page
    assert 'id="tab-drugtest_pairwise_ours_mask_3class"' in page
    assert "chi-squared test" in page and "p = " in page


def test_table3_numbers_match_metrics_json(full_report: tuple[Report, str]) -> None:
    report, page = full_report
    metrics = json.loads((report.html_path.parent / "metrics.json").read_text())
    acc = metrics["ours_mask"]["15class"]["accuracy"]
    f1 = metrics["pose"]["3class"]["macro_f1"]
    row = re.search(r"<tr><td>Ours\+Mask</td>.*?</tr>", page, re.S)
    assert row is not None and f"{100 * acc:.2f}" in row.group(0)
    assert f"{f1:.4f}" in page


def test_report_is_self_contained(full_report: tuple[Report, str]) -> None:
    _, page = full_report
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert "@import" not in page and "url(" not in page
    assert page.count('src="data:image/png;base64,') >= 10


def test_banners_when_weights_random_or_cv_not_grouped(
    full_report: tuple[Report, str], clean_report: tuple[Report, str]
) -> None:
    report, page = full_report
    assert len(report.banners) == 2
    assert page.count('class="banner"') == 2
    assert "Random backbone weights" in page
    assert "not grouped by mouse" in page
    clean, clean_page = clean_report
    assert clean.banners == []
    assert 'class="banner"' not in clean_page


def test_every_figure_saved_as_png_and_svg(full_report: tuple[Report, str]) -> None:
    report, page = full_report
    pngs = [p for p in report.figures if p.suffix == ".png"]
    svgs = [p for p in report.figures if p.suffix == ".svg"]
    assert len(pngs) == len(svgs) >= 10
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        svg = png.with_suffix(".svg")
        assert svg in svgs and ET.parse(svg).getroot().tag.endswith("svg")
        assert f'id="fig-{png.stem}"' in page
    names = {p.stem for p in pngs}
    for expected in (
        "confusion_ours_mask_15class",
        "confusion_ours_mask_3class",
        "per_class_ours_mask_15class",
        "drugtest_ours_mask_3class",
        "timeline_ours_mask_15class",
        "embedding_ours_mask_15class",
        "methods_accuracy_15class",
    ):
        assert expected in names
    assert (report.html_path.parent / "figures" / "table3_methods.csv").exists()


def test_missing_inputs_are_noted_not_fatal(clean_report: tuple[Report, str]) -> None:
    report, page = clean_report
    assert not report.sections["drugtest"] and "No drug test" in page
    assert not report.sections["timeline"] and "No clip_relevance" in page
    assert report.sections["methods"] and report.sections["confusion"]


def test_metrics_only_run(tmp_path: Path) -> None:
    run = make_run_folder(tmp_path / "run", np.random.default_rng(2), n_videos=30,
                          methods=("ours",), drugtest=False)  # fmt: skip
    for name in ("predictions.csv", "folds.csv", "config.yaml"):
        (run / name).unlink()
    shutil.rmtree(run / "clip_relevance")
    report = build_report(run)
    page = report.html_path.read_text()
    assert report.sections["methods"] and report.sections["per-class"]
    assert not report.sections["embedding"] and not report.sections["timeline"]
    assert "config.yaml is missing" in page


def test_not_a_run_folder(tmp_path: Path) -> None:
    with pytest.raises(PainscopeError, match="not a run folder"):
        build_report(tmp_path)


def test_cli_report(tmp_path: Path) -> None:
    run = make_run_folder(tmp_path / "run", np.random.default_rng(3), n_videos=30,
                          methods=("ours",), grouped_by="video", drugtest=False)  # fmt: skip
    result = CliRunner().invoke(app, ["report", str(run)])
    assert result.exit_code == 0, result.output
    assert (run / "report.html").exists()
    flat = " ".join(result.output.split())
    assert "report.html" in flat and "not grouped by mouse" in flat
    bad = CliRunner().invoke(app, ["report", str(tmp_path / "nowhere")])
    assert bad.exit_code == 2
    assert "no such run folder" in " ".join(bad.output.split())


# ---------------------------------------------------------------- accessors


def test_weights_random_from_the_config_when_no_store_recorded_them(tmp_path: Path) -> None:
    run = make_run_folder(tmp_path / "a", np.random.default_rng(4), n_videos=30,
                          methods=("ours",), drugtest=False, clip_relevance=False)  # fmt: skip
    assert not data.weights_random(data.load_run(run))
    rand = make_run_folder(tmp_path / "b", np.random.default_rng(4), n_videos=30, weights="none",
                           methods=("ours",), drugtest=False, clip_relevance=False)  # fmt: skip
    assert data.weights_random(data.load_run(rand))


def test_per_fold_sd_and_ci(full_report: tuple[Report, str]) -> None:
    report, _ = full_report
    run = data.load_run(report.html_path.parent)
    e = data.entry(run, "ours", "3class")
    assert e is not None and e.per_fold is not None
    sd = data.per_fold_sd(e, "accuracy")
    assert sd == pytest.approx(np.std(e.per_fold.accuracy, ddof=1))
    ci = data.score_ci(e, "accuracy")
    assert ci is not None and ci[0] <= e.accuracy <= ci[1]


@pytest.mark.parametrize(
    "classes",
    [CLASSES_15, CLASSES_3, ("a", "b", "c", "d"), tuple(f"k{i}" for i in range(12))],
)
def test_class_colours_are_distinct(classes: tuple[str, ...]) -> None:
    colours = class_colours(classes)
    assert list(colours) == list(classes)
    assert len(set(colours.values())) == len(classes)


def test_drugtest_run_is_reported_on_its_own(full_report: tuple[Report, str]) -> None:
    report, _ = full_report
    drug_dir = report.html_path.parent.parent / f"{report.html_path.parent.name}_drugtest"
    drug = build_report(drug_dir)
    page = drug.html_path.read_text()
    assert drug.sections["drugtest"] and not drug.sections["confusion"]
    assert "SNI+GBA" in page and "formalin+GBA" in page
    assert "metrics.json has no results" in page  # no Table 3 for a drug-test run
