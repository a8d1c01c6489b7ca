"""Per-clip motif histograms and PoseMotifSource: clip windows, fold isolation, errors."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import painscope.baselines.sequences as sequences_module
from painscope.baselines.bsoid_features import pose_features
from painscope.baselines.pose_io import PoseError
from painscope.baselines.sequences import PoseMotifSource, clip_histograms, n_clips_for
from painscope.config.pose import PoseConfig
from painscope.manifest import VideoEntry, read_manifest
from tests.fixtures.pose import make_project, two_behaviour_trajectory, write_dlc

FAST = PoseConfig(embedding="pca")


def entries_of(root: Path) -> tuple[VideoEntry, ...]:
    return read_manifest(root / "manifest.csv", root, check_files=False).entries


@pytest.mark.parametrize(
    ("n_frames", "fps", "n_clips"),
    [(9000, 30.0, 200), (450, 30.0, 10), (449, 30.0, 9), (7200, 60.0, 80), (749, 25.0, 19),
     (8991, 29.97, 200), (1000, 12.5, 53)],
)  # fmt: skip
def test_n_clips_is_floor_of_duration_over_clip_length(
    n_frames: int, fps: float, n_clips: int
) -> None:
    assert n_clips_for(n_frames, fps, 1.5) == n_clips


@settings(max_examples=30, deadline=None)
@given(
    fps=st.sampled_from([25.0, 29.97, 30.0, 50.0, 60.0, 12.5]),
    seconds=st.floats(min_value=1.5, max_value=20.0),
    n_motifs=st.integers(min_value=1, max_value=7),
    seed=st.integers(0, 1000),
)
def test_histograms_sum_to_one_and_match_clip_count(
    fps: float, seconds: float, n_motifs: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    n_frames = max(2, round(seconds * fps))
    feats = pose_features(rng.uniform(0, 100, (n_frames, 2, 2)), fps)
    motifs = rng.integers(0, n_motifs, feats.n_bins)
    n_clips = n_clips_for(n_frames, fps, 1.5)
    hist = clip_histograms(
        motifs, feats.bin_number, bin_seconds=0.1, clip_seconds=1.5, n_clips=n_clips,
        n_motifs=n_motifs,
    )  # fmt: skip
    assert hist.shape == (n_clips, n_motifs) == (math.floor(n_frames / fps / 1.5 + 1e-9), n_motifs)
    assert hist.dtype == np.float32
    np.testing.assert_allclose(hist.sum(axis=1), 1.0, rtol=1e-6)


def test_histogram_counts_bins_of_each_clip() -> None:
    # 30 bins of 0.1 s = 2 clips of 1.5 s: clip 0 all motif 1, clip 1 one-third motif 0.
    motifs = np.r_[np.ones(15, int), np.zeros(5, int), np.full(10, 2)]
    hist = clip_histograms(
        motifs, np.arange(30), bin_seconds=0.1, clip_seconds=1.5, n_clips=2, n_motifs=3
    )
    np.testing.assert_allclose(hist, [[0, 1, 0], [1 / 3, 0, 2 / 3]], rtol=1e-6)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pose_project")
    make_project(root, n_videos=4, seconds=30.0, fps=30.0)
    return root


def test_source_gives_one_histogram_per_clip(project: Path) -> None:
    entries = entries_of(project)
    source = PoseMotifSource(project, FAST)
    assert source.name == "pose"
    source.fit(entries[:3])
    assert source.keypoints_ == ("snout", "neck", "centre", "tailbase")
    for entry in entries:
        seq = source.sequence(entry)
        assert seq.shape == (20, source.n_motifs)  # 30 s / 1.5 s
        assert seq.dtype == np.float32
        np.testing.assert_allclose(seq.sum(axis=1), 1.0, rtol=1e-6)
    assert source.n_motifs >= 2


def test_fit_reads_only_training_videos(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entries = entries_of(project)
    train, test = entries[:3], entries[3:]
    opened: list[Path] = []
    real_load = sequences_module.load_pose

    def spy(path, **kwargs):  # type: ignore[no-untyped-def]
        opened.append(Path(path))
        return real_load(path, **kwargs)

    monkeypatch.setattr(sequences_module, "load_pose", spy)
    source = PoseMotifSource(project, FAST)
    source.fit(train)
    test_files = {source.pose_path(e) for e in test}
    assert opened and not test_files & set(opened)
    source.sequence(test[0])  # test videos are read only when labelled
    assert source.pose_path(test[0]) in opened


def test_fitted_model_does_not_depend_on_test_videos(project: Path, tmp_path: Path) -> None:
    """Altering (or deleting) the test fold's pose files leaves every learned part unchanged."""
    entries = entries_of(project)
    train, test = entries[:3], entries[3:]
    reference = PoseMotifSource(project, FAST)
    reference.fit(train)

    # A copy of the project whose test-fold pose file holds a different animal altogether.
    other = make_project(tmp_path, n_videos=4, seconds=30.0, fps=30.0).parent
    for entry in train:
        (other / entry.extra["pose"]).write_bytes((project / entry.extra["pose"]).read_bytes())
    rng = np.random.default_rng(99)
    position, _ = two_behaviour_trajectory(900, 30.0, rng)
    write_dlc(other / test[0].extra["pose"], position[:, ::-1] * 3.0 + 50.0)
    altered = PoseMotifSource(other, FAST)
    altered.fit(entries_of(other)[:3])

    (other / test[0].extra["pose"]).unlink()  # and with the test file gone
    deleted = PoseMotifSource(other, FAST)
    deleted.fit(entries_of(other)[:3])

    probe = np.concatenate([reference.features(e).values for e in entries])
    for model in (altered.model_, deleted.model_):
        assert model is not None and reference.model_ is not None
        np.testing.assert_array_equal(model.scaler_.mean_, reference.model_.scaler_.mean_)
        np.testing.assert_array_equal(model.embedding_, reference.model_.embedding_)
        np.testing.assert_array_equal(model.cluster_labels_, reference.model_.cluster_labels_)
        np.testing.assert_array_equal(model.predict(probe), reference.model_.predict(probe))


def test_refit_on_other_fold_changes_the_model(project: Path) -> None:
    entries = entries_of(project)
    source = PoseMotifSource(project, FAST)
    source.fit(entries[:2])
    first = source.model_
    source.fit(entries[2:])
    assert source.model_ is not first
    assert source.model_ is not None and first is not None
    assert not np.array_equal(source.model_.scaler_.mean_, first.scaler_.mean_)


def test_missing_keypoint_in_test_video_names_file_and_keypoint(project: Path) -> None:
    entries = entries_of(project)
    source = PoseMotifSource(project, replace(FAST, keypoints=("snout", "tailbase", "tail_tip")))
    with pytest.raises(PoseError) as info:
        source.fit(entries[:2])
    assert "tail_tip" in str(info.value) and "v0DLC_sim.csv" in str(info.value)


def test_entry_without_pose_column_is_an_error(project: Path) -> None:
    entry = replace(entries_of(project)[0], extra={})
    with pytest.raises(PoseError, match="no pose file") as info:
        PoseMotifSource(project, FAST).pose_path(entry)
    assert "pose" in (info.value.fix or "")


def test_fps_comes_from_config_then_manifest(project: Path) -> None:
    entry = entries_of(project)[0]
    assert PoseMotifSource(project, FAST).fps_for(entry) == 30.0
    assert PoseMotifSource(project, replace(FAST, fps=60.0)).fps_for(entry) == 60.0
    no_fps = replace(entry, extra={"pose": entry.extra["pose"]})
    with pytest.raises(PoseError, match="frame rate unknown") as info:
        PoseMotifSource(project, FAST).fps_for(no_fps)
    assert "pose.fps" in (info.value.fix or "")


def test_sequence_before_fit_is_an_error(project: Path) -> None:
    with pytest.raises(PoseError, match="fit"):
        PoseMotifSource(project, FAST).sequence(entries_of(project)[0])


@pytest.mark.data
def test_real_bsoid_files_train_on_one_label_the_other(tmp_path: Path) -> None:
    folder = Path("/work/shared/data/bsoid_bottomup/pose")
    if not folder.is_dir():
        pytest.skip("shared data not available")
    files = sorted(folder.glob("raw_clip*DLC*.h5"))
    rows = "".join(f"videos/clip{i}.mp4,m{i},{f}\n" for i, f in enumerate(files))
    (tmp_path / "manifest.csv").write_text("video,mouse_id,pose\n" + rows)
    entries = entries_of(tmp_path)
    source = PoseMotifSource(tmp_path, replace(FAST, fps=60.0, adaptive_threshold=True))
    source.fit(entries[:1])
    assert len(source.keypoints_) == 6
    seq = source.sequence(entries[1])
    assert seq.shape == (80, source.n_motifs)  # 7200 frames at 60 fps = 120 s = 80 clips
    assert source.n_motifs >= 2
    np.testing.assert_allclose(seq.sum(axis=1), 1.0, rtol=1e-6)
