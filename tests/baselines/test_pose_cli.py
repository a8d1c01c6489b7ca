"""``painscope motifs`` and the ``pose`` section of painscope.yaml."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from painscope.cli import app
from painscope.config import config_template, parse_config
from painscope.config.pose import PoseConfig
from painscope.errors import ConfigError
from tests.fixtures.pose import make_project


def test_pose_section_is_in_the_template_and_parses() -> None:
    template = config_template()
    assert "pose:" in template and "likelihood_threshold: 0.6" in template
    config = parse_config({"pose": {"keypoints": ["snout", "tailbase"], "fps": 25}})
    pose = config.pose
    assert isinstance(pose, PoseConfig)
    assert pose.keypoints == ("snout", "tailbase") and pose.fps == 25.0
    assert parse_config({}).pose == PoseConfig()


@pytest.mark.parametrize(
    "bad",
    [{"likelihood_threshold": 1.5}, {"embedding": "tsne"}, {"keypoints": ["a", "a"]}, {"fps": 0}],
)
def test_bad_pose_settings_are_errors(bad: dict) -> None:
    with pytest.raises(ConfigError, match="pose"):
        parse_config({"pose": bad})


def test_motifs_command_writes_summaries(tmp_path: Path) -> None:
    make_project(tmp_path, n_videos=3, seconds=15.0, fps=30.0)
    (tmp_path / "painscope.yaml").write_text("pose:\n  embedding: pca\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["motifs", str(tmp_path), "--out", str(out), "--by", "timepoint"]
    )
    assert result.exit_code == 0, result.output
    usage = pd.read_csv(out / "motif_usage.csv", index_col="class")
    assert set(usage.index) == {"D0", "D7"}
    shares = usage.drop(columns="n_videos").to_numpy()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    n_motifs = shares.shape[1]
    assert n_motifs >= 2
    transitions = pd.read_csv(out / "transitions.csv", index_col="motif").to_numpy()
    assert transitions.shape == (n_motifs, n_motifs)
    assert np.all(np.isclose(transitions.sum(axis=1), 1.0) | (transitions.sum(axis=1) == 0))
    examples = pd.read_csv(out / "examples.csv")
    assert set(examples["motif"]) == set(range(n_motifs))
    assert (examples["end_frame"] > examples["start_frame"]).all()
    sequence = np.load(out / "sequences" / "videos__v0.npy")
    assert sequence.shape == (10, n_motifs)
    assert (out / "figures" / "transitions.png").stat().st_size > 0
    assert (out / "config.yaml").exists()


def test_motifs_command_without_pose_column_says_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "manifest.csv").write_text("video,mouse_id\nvideos/a.mp4,m1\n")
    result = CliRunner().invoke(app, ["motifs", str(tmp_path)])
    assert result.exit_code == 2
    assert "pose" in result.output


def test_legacy_feature_set_needs_six_keypoints() -> None:
    with pytest.raises(ConfigError, match="legacy7"):
        PoseConfig(feature_set="legacy7", keypoints=("a", "b"))
