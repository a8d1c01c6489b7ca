"""Fault campaign, pose files: a DeepLabCut .h5 holding pickles is refused, never unpickled."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from painscope.baselines.pose_io import PoseError, load_pose
from painscope.cli import app
from painscope.io.hdf5_safe import pickled_objects
from tests.fixtures.pose import dlc_table, make_project, two_behaviour_trajectory


class _Payload:
    """Unpickling this creates ``marker`` (stands in for any code an attacker would run)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (self.marker, "w"))


def _position(n_frames: int = 300) -> np.ndarray:
    return two_behaviour_trajectory(n_frames, 30.0, np.random.default_rng(0))[0]


def write_object_column_h5(path: Path, marker: Path, n_frames: int = 300) -> Path:
    """A DeepLabCut table plus one object column holding the payload (pandas 'fixed' format)."""
    table = dlc_table(_position(n_frames))
    table[("DLC_sim", "note", "x")] = pd.Series([_Payload(marker)] * n_frames, dtype=object)
    table.to_hdf(path, key="df_with_missing", mode="w")
    assert not marker.exists()
    return path


def write_pickled_attribute_h5(path: Path, marker: Path, n_frames: int = 300) -> Path:
    """A valid DeepLabCut table whose pandas metadata attribute is a code-running pickle."""
    import pickle

    dlc_table(_position(n_frames)).to_hdf(path, key="df_with_missing", mode="w")
    with h5py.File(path, "r+") as handle:
        group = handle["df_with_missing"]
        group.attrs["info"] = np.bytes_(pickle.dumps(_Payload(marker), protocol=0))
    return path


def write_vlen_attribute_h5(path: Path, marker: Path, n_frames: int = 300) -> Path:
    """As above, as a variable-length string (PyTables leaves those alone today; refused anyway)."""
    import pickle

    dlc_table(_position(n_frames)).to_hdf(path, key="df_with_missing", mode="w")
    with h5py.File(path, "r+") as handle:
        blob = pickle.dumps(_Payload(marker), protocol=0).decode("ascii")
        handle["df_with_missing"].attrs.create("info", blob, dtype=h5py.string_dtype())
    return path


MAKERS = {
    "object_column": write_object_column_h5,
    "pickled_attribute": write_pickled_attribute_h5,
    "vlen_attribute": write_vlen_attribute_h5,
}


@pytest.mark.parametrize(
    "value", [[("DLC", "snout", "x")], {"names": ["a", None], "n": 3}, None, ("x", 1.5), "text"]
)
@pytest.mark.parametrize("protocol", [0, 2, 5])
def test_plain_data_pickles_pass_and_code_pickles_do_not(value, protocol, tmp_path) -> None:
    import pickle

    from painscope.io.hdf5_safe import _pickle_problem

    assert _pickle_problem(pickle.dumps(value, protocol=protocol)) is None
    payload = pickle.dumps(_Payload(tmp_path / "m"), protocol=protocol)
    assert "calls code" in (_pickle_problem(payload) or "")
    assert _pickle_problem(payload[:-1] + b"garbage.") is not None  # valid prefix, then junk


@pytest.mark.parametrize("kind", list(MAKERS))
def test_malicious_pose_h5_is_refused_without_unpickling(tmp_path: Path, kind: str) -> None:
    marker = tmp_path / "PWNED"
    path = MAKERS[kind](tmp_path / "v0DLC.h5", marker)
    assert pickled_objects(path)
    with pytest.raises(PoseError, match="pickled Python objects") as info:
        load_pose(path)
    assert str(path) in str(info.value)
    assert not marker.exists()


def test_plain_dlc_h5_still_loads(tmp_path: Path) -> None:
    position = _position(50)
    path = tmp_path / "ok.h5"
    dlc_table(position).to_hdf(path, key="df_with_missing", mode="w")
    assert pickled_objects(path) == []
    pose = load_pose(path)
    np.testing.assert_allclose(pose.position, position)


def test_table_format_dlc_h5_passes_the_scan(tmp_path: Path) -> None:
    # DeepLabCut's own files use format="table", whose metadata attributes are plain pickles
    path = tmp_path / "table.h5"
    dlc_table(_position(50)).to_hdf(path, key="df_with_missing", mode="w", format="table")
    assert pickled_objects(path) == []
    assert load_pose(path).n_frames == 50


def _poisoned_project(root: Path, kind: str) -> Path:
    make_project(root, n_videos=6, seconds=10.0, fps=30.0)
    marker = root / "PWNED"
    MAKERS[kind](root / "pose" / "v0DLC_sim.h5", marker, 300)
    manifest = pd.read_csv(root / "manifest.csv", dtype=str)
    manifest.loc[0, "pose"] = "pose/v0DLC_sim.h5"
    manifest.to_csv(root / "manifest.csv", index=False)
    (root / "painscope.yaml").write_text(
        "train:\n  n_folds: 3\n  epochs: 1\n  n_bootstrap: 0\n  baseline: false\n"
        "  relevance: false\n  n_clips: 4\n  n_layers: 1\n  d_model: 8\n  d_state: 4\n"
        "  scheme: timepoint\npose:\n  embedding: pca\n"
    )
    return marker


@pytest.mark.parametrize("kind", list(MAKERS))
def test_motifs_refuses_a_malicious_pose_file(tmp_path: Path, kind: str) -> None:
    marker = _poisoned_project(tmp_path, kind)
    result = CliRunner().invoke(app, ["motifs", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "pickled Python objects" in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not marker.exists()


def test_cv_pose_refuses_a_malicious_pose_file(tmp_path: Path) -> None:
    marker = _poisoned_project(tmp_path, "object_column")
    result = CliRunner().invoke(app, ["cv", str(tmp_path), "--method", "pose"])
    assert result.exit_code == 2, result.output
    assert "pickled Python objects" in " ".join(result.output.split())
    assert not marker.exists()


def test_pose_symlink_loop_is_a_clear_error_not_a_crash(tmp_path: Path) -> None:
    import os

    make_project(tmp_path, n_videos=4, seconds=10.0, fps=30.0)
    os.symlink(tmp_path / "pose" / "loop.csv", tmp_path / "pose" / "loop.csv")
    manifest = pd.read_csv(tmp_path / "manifest.csv", dtype=str)
    manifest.loc[1, "pose"] = "pose/loop.csv"
    manifest.to_csv(tmp_path / "manifest.csv", index=False)
    (tmp_path / "painscope.yaml").write_text("pose:\n  embedding: pca\n")
    result = CliRunner().invoke(app, ["motifs", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output  # a PoseError, not RuntimeError: Symlink loop
    assert "pose file not found" in " ".join(result.output.split())  # rich wraps long paths
