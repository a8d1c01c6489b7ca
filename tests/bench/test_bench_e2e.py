"""``painscope bench e2e``: rows, ratios and the Markdown table (child processes: slow)."""

from __future__ import annotations

import pytest


@pytest.mark.slow
def test_bench_e2e_rows_and_ratios(tmp_path):
    from painscope.bench.e2e import bench_e2e, markdown
    from painscope.bench.extract import synthetic_video

    video = synthetic_video(tmp_path / "v.mp4", seconds=2, width=96, height=64)
    rows = bench_e2e(video, workers=2, n_videos=2, real_backbone=None, say=lambda *_: None)
    stages = [(r["stage"], r["variant"]) for r in rows]
    assert stages[0] == ("pure gray decode", "60 frames (median of 3)")
    assert [s[0] for s in stages[1:3]] == ["background pass"] * 2  # with / without numba's load
    assert ("extract tiny, 2 videos", "workers 2") in stages
    assert rows[0]["x_decode"] == 1.0 and all(r["seconds"] > 0 for r in rows)
    assert "speedup_vs_1_worker" in rows[-1] and "| extract tiny, 2 videos |" in markdown(rows)
