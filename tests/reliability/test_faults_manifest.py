"""Fault campaign, manifests: every fault is a ManifestError naming the row; never a traceback."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from painscope.cli import app
from painscope.errors import ManifestError
from painscope.manifest import read_manifest
from tests.fixtures.faults import ACCEPTED_MANIFEST_CASES, FAULTY_MANIFEST_CASES, bad_manifests


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return bad_manifests(tmp_path_factory.mktemp("manifests"))


@pytest.mark.parametrize("name", FAULTY_MANIFEST_CASES)
def test_faulty_manifest_is_a_manifest_error(cases, name):
    with pytest.raises(ManifestError) as info:
        read_manifest(cases[name])
    assert str(cases[name]) in str(info.value)


def test_symlink_loop_is_reported_on_its_row(cases):
    with pytest.raises(ManifestError) as info:
        read_manifest(cases["symlink_loop"])
    assert info.value.problems == [
        "row 3, column 'video': 'videos/loop.mp4' is a symbolic link that loops "
        "(or cannot be followed); point the row at the real file"
    ]


def test_non_utf8_manifest_says_how_to_save_it(cases):
    with pytest.raises(ManifestError, match="CSV UTF-8"):
        read_manifest(cases["non_utf8"])


@pytest.mark.parametrize("name", ACCEPTED_MANIFEST_CASES)
def test_excel_quirks_are_accepted(cases, name):
    manifest = read_manifest(cases[name])
    assert [e.mouse_id for e in manifest] == ["m1", "m2"]
    assert [e.condition for e in manifest] == ["SNI", "control"]
    assert [e.row for e in manifest] == [2, 3]


def test_custom_label_columns_keep_their_case(tmp_path):
    (tmp_path / "a.mkv").write_bytes(b"x")
    (tmp_path / "m.csv").write_text("VIDEO,Mouse ID,Pain_Score\na.mkv,m1,high\n")
    entry = read_manifest(tmp_path / "m.csv").entries[0]
    assert entry.mouse_id == "m1"
    assert entry.extra == {"Pain_Score": "high"}


def test_same_column_twice_ignoring_case_is_an_error(tmp_path):
    (tmp_path / "a.mkv").write_bytes(b"x")
    (tmp_path / "m.csv").write_text("video,Video,mouse_id\na.mkv,a.mkv,m1\n")
    with pytest.raises(ManifestError, match="appear twice"):
        read_manifest(tmp_path / "m.csv")


def test_symlink_loop_through_cv_is_a_clean_error(cases):
    root = cases["symlink_loop"].parent
    (root / "manifest.csv").write_text(cases["symlink_loop"].read_text())
    result = CliRunner().invoke(app, ["cv", str(root)])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)


def test_symlink_loop_fails_its_row_and_extract_goes_on(cases, tiny_config):
    from painscope.features.extract import extract
    from painscope.project import init_project

    root = cases["symlink_loop"].parent
    init_project(root)
    (root / "manifest.csv").write_text(cases["symlink_loop"].read_text())
    summary = extract(root, tiny_config)
    status = {r.video: r for r in summary.results}
    assert status["videos/a.mkv"].status == "done"
    assert status["videos/loop.mp4"].status == "failed"
    assert "symbolic link that loops" in status["videos/loop.mp4"].reason
