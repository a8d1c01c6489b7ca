"""B-SOiD's six body parts found by name; the pose source uses them unless told otherwise."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from painscope.baselines.body_parts import bsoid_body_parts
from painscope.baselines.sequences import PoseMotifSource
from painscope.config.pose import PoseConfig
from painscope.manifest import read_manifest
from tests.fixtures.pose import two_behaviour_trajectory, write_dlc

SIMULATOR_12 = (
    "snout", "left_ear", "right_ear", "neck", "left_forepaw", "right_forepaw", "body_center",
    "left_hindpaw", "right_hindpaw", "tail_base", "tail_mid", "tail_tip",
)  # fmt: skip


@pytest.mark.parametrize(
    ("keypoints", "expected"),
    [
        (SIMULATOR_12,
         ("snout", "right_forepaw", "left_forepaw", "right_hindpaw", "left_hindpaw", "tail_base")),
        # B-SOiD's own bottom-up DeepLabCut model
        (("Snout", "Front Paw R", "Front Paw L", "Hind Paw R", "Hind Paw L", "Butt/Proximal Tail"),
         ("Snout", "Front Paw R", "Front Paw L", "Hind Paw R", "Hind Paw L", "Butt/Proximal Tail")),
        (("nose", "forePawL", "forePawR", "hindPawL", "hindPawR", "tailbase", "tailtip"),
         ("nose", "forePawR", "forePawL", "hindPawR", "hindPawL", "tailbase")),
        (("forepaw_l", "forepaw_r", "hindpaw_l", "hindpaw_r", "Nose", "TailBase"),
         ("Nose", "forepaw_r", "forepaw_l", "hindpaw_r", "hindpaw_l", "TailBase")),
    ],
)  # fmt: skip
def test_finds_the_six_parts_in_bsoid_order(
    keypoints: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert bsoid_body_parts(keypoints) == expected


@pytest.mark.parametrize(
    "keypoints",
    [
        ("snout", "neck", "centre", "tailbase"),  # no paws
        ("nose", "paw1", "paw2", "paw3", "paw4", "tail_base"),  # paws without side / end
        ("Nose", "Left_fhip", "Right_fhip", "Left_bhip", "Right_bhip", "Tail_base"),  # top view
        ("snout", "nose", "lf_forepaw", "right_forepaw", "left_hindpaw", "right_hindpaw",
         "tail_base"),  # two snouts: ambiguous
    ],
)  # fmt: skip
def test_missing_or_ambiguous_part_gives_none(keypoints: tuple[str, ...]) -> None:
    assert bsoid_body_parts(keypoints) is None


@pytest.fixture(scope="module")
def twelve_point_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three 20-s videos tracked with the simulator's 12 landmarks."""
    root = tmp_path_factory.mktemp("pose12")
    (root / "pose").mkdir()
    rng = np.random.default_rng(0)
    rows = []
    for i in range(3):
        four, _ = two_behaviour_trajectory(600, 30.0, rng)  # (600, 4, 2)
        position = np.concatenate([four, four[:, [0, 1, 2, 3]] + 5.0, four + 9.0], axis=1)
        write_dlc(root / "pose" / f"v{i}.csv", position, keypoints=SIMULATOR_12)
        rows.append({"video": f"videos/v{i}.mp4", "mouse_id": f"m{i}", "pose": f"pose/v{i}.csv",
                     "fps": "30"})  # fmt: skip
    pd.DataFrame(rows).to_csv(root / "manifest.csv", index=False)
    return root


def test_source_uses_bsoid_parts_by_default_and_all_on_request(twelve_point_project: Path) -> None:
    entries = read_manifest(
        twelve_point_project / "manifest.csv", twelve_point_project, check_files=False
    ).entries
    fast = PoseConfig(embedding="pca")
    assert fast.body_parts == "bsoid"
    source = PoseMotifSource(twelve_point_project, fast)
    source.fit(entries[:2])
    assert source.keypoints_ == bsoid_body_parts(SIMULATOR_12)
    assert source.features(entries[2]).values.shape[1] == 15 + 15 + 6  # C(6,2)·2 + 6
    every = PoseMotifSource(twelve_point_project, replace(fast, body_parts="all"))
    every.fit(entries[:2])
    assert every.keypoints_ == SIMULATOR_12
    assert every.features(entries[2]).values.shape[1] == 66 + 66 + 12


def test_explicit_keypoints_win_over_body_parts(twelve_point_project: Path) -> None:
    entries = read_manifest(
        twelve_point_project / "manifest.csv", twelve_point_project, check_files=False
    ).entries
    chosen = ("snout", "neck", "tail_base")
    source = PoseMotifSource(twelve_point_project, PoseConfig(embedding="pca", keypoints=chosen))
    source.fit(entries[:2])
    assert source.keypoints_ == chosen
