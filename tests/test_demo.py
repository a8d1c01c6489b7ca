from __future__ import annotations

import json

import pytest

import painscope.demo as demo
from painscope.config import ExtractConfig
from painscope.config.pose import PoseConfig
from painscope.config.train import TrainConfig


@pytest.fixture
def tiny_demo(monkeypatch):
    def settings(weights):
        return (
            ExtractConfig(backbone="tiny", weights="none", frames_per_clip=4, input_size=64,
                          clip_seconds=0.5, batch_size=8),
            TrainConfig(d_model=16, n_layers=1, d_state=4, epochs=2, n_clips=4, baseline=False,
                        n_bootstrap=20, batch_size=16),
            PoseConfig(embedding="pca", bin_seconds=0.1),
        )  # fmt: skip

    monkeypatch.setattr(demo, "demo_settings", settings)
    monkeypatch.setattr(demo, "DEMO_METHODS", ("ours_mask", "motion", "pose"))
    monkeypatch.setattr(demo, "demo_weights", lambda backbone, **kw: "none")  # offline tests
    monkeypatch.setattr(demo, "DEMO_SCHEMES", ("3class",))


@pytest.mark.slow  # the whole pipeline on a tiny cohort: ~1.5 min on 2 cores
def test_demo_runs_end_to_end_and_resumes(tmp_path, tiny_demo):
    said: list[str] = []
    result = demo.run_demo(tmp_path / "d", minutes=0.04, say=said.append)
    assert result.weights_random
    assert {(r["method"], r["scheme"]) for r in result.headline} == {
        ("ours_mask", "3class"),
        ("motion", "3class"),
        ("pose", "3class"),
    }
    assert all(isinstance(r["collapsed"], bool) for r in result.headline)
    assert demo.summary_sentence(result.headline, True).startswith("With random backbone weights")
    assert (result.project / "cache" / "motion" / "summary.csv").exists()
    for row in result.headline:
        lo, hi = row["accuracy_ci"]
        assert 0 <= lo <= row["accuracy"] <= hi <= 1 and row["grouped_by"] == "video"
    assert result.report is not None and result.report.exists()
    page = result.report.read_text()
    assert "Random backbone weights" in page and "Attention maps" in page
    assert len(list((result.cv_run / "attention").glob("*.png"))) == 2
    drug = json.loads((result.drugtest_run / "metrics.json").read_text())
    assert drug  # the treated groups were scored
    assert said[0].startswith("1/5 simulating")

    again = demo.run_demo(tmp_path / "d", minutes=0.04, say=said.append)
    assert any("reusing the simulated cohort" in s for s in said)
    assert again.cv_run != result.cv_run


def test_demo_refuses_a_folder_that_is_not_a_demo(tmp_path, tiny_demo):
    (tmp_path / "manifest.csv").write_text("video,mouse_id\nx.mp4,m1\n")
    from painscope.errors import PainscopeError

    with pytest.raises(PainscopeError, match="empty folder"):
        demo.run_demo(tmp_path, minutes=0.04, say=lambda _: None)


def test_summary_sentence_names_methods_above_chance():
    row = {"scheme": "3class", "chance": 0.47, "grouped_by": "mouse_id", "collapsed": False}
    rows = [
        {**row, "method": "motion", "accuracy_ci": [0.55, 0.8]},
        {**row, "method": "ours", "accuracy_ci": [0.3, 0.6]},
        {**row, "method": "pose", "accuracy_ci": [0.5, 0.7], "collapsed": True},
    ]
    text = demo.summary_sentence(rows, weights_random=True)
    assert "motion recover" in text and "ours" not in text and "pose" not in text
    assert "grouped by mouse" in text
    assert "no method" in demo.summary_sentence(rows[1:], weights_random=False)
