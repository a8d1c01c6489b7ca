from __future__ import annotations

import pytest

from painscope.errors import ManifestError
from painscope.labels import label_3, label_15, normalize_condition, normalize_timepoint
from painscope.manifest import read_manifest, video_id_for
from painscope.project import init_project, open_project


@pytest.fixture
def project(tmp_path):
    init_project(tmp_path)
    for name in ("a.mp4", "b.mp4", "c.avi"):
        (tmp_path / "videos" / name).write_bytes(b"x")
    return tmp_path


def write(project, text):
    (project / "manifest.csv").write_text(text)
    return project / "manifest.csv"


def test_reads_and_normalises(project):
    path = write(
        project,
        "video,mouse_id,condition,timepoint,group,view,features\n"
        "videos/a.mp4,m1,sni,day 3,GBA,Bottom,\n"
        "videos/b.mp4,m2,Sham,d0,,,\n",
    )
    manifest = read_manifest(path)
    a, b = manifest.entries
    assert (a.condition, a.timepoint, a.group, a.view) == ("SNI", "D3", "GBA", "bottom")
    assert (b.condition, b.timepoint, b.view) == ("control", "D0", "bottom")
    assert a.video_id == "videos__a" and a.row == 2
    assert a.extra == {"features": ""}
    assert manifest.column("condition") == ["SNI", "control"]


def test_every_bad_row_is_named(project):
    path = write(
        project,
        "video,mouse_id,condition,timepoint,group,view\n"
        "videos/a.mp4,m1,SNI,D3,,bottom\n"
        "videos/missing.mp4,m1,SNI,D7,,bottom\n"
        "videos/a.mp4,m2,SNI,D7,,bottom\n"
        "videos/b.mp4,,formalin,day 4,,top-down\n"
        ",m3,SNI,D3,,bottom\n",
    )
    with pytest.raises(ManifestError) as err:
        read_manifest(path)
    problems = "\n".join(err.value.problems)
    assert "row 3, column 'video': file not found" in problems
    assert "row 4, column 'video': duplicate of row 2" in problems
    assert "row 5, column 'mouse_id': empty" in problems
    assert "row 5, column 'timepoint': unknown timepoint 'day 4'" in problems
    assert "row 5, column 'view': unknown view 'top-down'" in problems
    assert "row 6, column 'video': empty" in problems
    assert len(err.value.problems) == 6
    assert "manifest.csv" in str(err.value)


def test_missing_columns_and_empty(project):
    path = write(project, "file,mouse\nvideos/a.mp4,m1\n")
    with pytest.raises(ManifestError, match=r"missing column.*video, mouse_id"):
        read_manifest(path)
    path = write(project, "video,mouse_id\n")
    with pytest.raises(ManifestError, match="no rows"):
        read_manifest(path)


def test_template_has_only_comments(project):
    with pytest.raises(ManifestError, match="no rows"):
        open_project(project).manifest()


def test_features_column_allows_missing_video(project):
    (project / "f.npy").write_bytes(b"")
    path = write(project, "video,mouse_id,features\nvideos/none.mp4,m1,f.npy\n")
    assert read_manifest(path).entries[0].extra["features"] == "f.npy"


def test_video_ids_are_file_name_safe(tmp_path):
    assert video_id_for("videos/day 3/m1 (a).mp4", tmp_path) == "videos__day_3__m1_a"
    outside = video_id_for("/elsewhere/m1.mp4", tmp_path)
    assert outside.startswith("m1-") and len(outside) == 11


def test_label_vocabulary():
    assert normalize_condition("Spared Nerve Injury") == "SNI"
    assert normalize_condition("CFA") is None
    assert [normalize_timepoint(t) for t in ("1 min", "2h", "Day14", "d21", "3")] == [
        "1min",
        "2h",
        "D14",
        "D21",
        None,
    ]
    assert label_15("SNI", "D0") == "D0" and label_3("SNI", "D0") == "no pain"
    assert (
        label_15("formalin", "2h") == "formalin 2h" and label_3("formalin", "2h") == "inflammatory"
    )
    assert label_15("SNI", "D5") is None and label_3("SNI", "D5") is None
    assert label_3("control", "D21") == "no pain"


def test_init_keeps_existing_files(tmp_path):
    init_project(tmp_path)
    (tmp_path / "manifest.csv").write_text("mine")
    init_project(tmp_path)
    assert (tmp_path / "manifest.csv").read_text() == "mine"


def test_features_only_manifest_needs_no_video_column(project):
    path = write(
        project,
        "mouse_id,condition,timepoint,features\n"
        "m1,SNI,D3,feats/m1_d3.npy\n"
        "m2,control,D0,other/m2_d0.csv\n",
    )
    m = read_manifest(path)
    assert [e.video_id for e in m] == ["m1_d3", "m2_d0"]
    assert m.entries[0].path == project / "feats/m1_d3.npy"
    path = write(
        project,
        "video,mouse_id,condition,timepoint,features\n"
        ",m1,SNI,D3,feats/m1.npy\n"
        ",m2,SNI,D3,\n"
        ",m3,SNI,D3,elsewhere/m1.npy\n",
    )
    with pytest.raises(ManifestError) as err:
        read_manifest(path)
    text = str(err.value)
    assert "row 3, column 'video': empty" in text
    assert "row 4, column 'features'" in text and "clashes with row 2" in text
