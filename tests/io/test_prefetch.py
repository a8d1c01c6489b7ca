"""The decode thread changes nothing but timing: same items, errors re-raised, bounded."""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest

from painscope.errors import VideoError
from painscope.features.extractor import Extractor
from painscope.features.jobs import VideoJob
from painscope.features.pipeline import extract_video
from painscope.io.prefetch import prefetch
from tests.fixtures.videos import blob_frames, write_video


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_prefetch_yields_every_item_in_order(depth):
    assert list(prefetch(iter(range(50)), depth)) == list(range(50))


def test_producer_error_reaches_the_consumer_unchanged(tmp_path):
    def frames():
        yield 1
        raise VideoError(tmp_path / "bad.mp4", "truncated", fix="copy it again")

    got = []
    with pytest.raises(VideoError, match=r"bad\.mp4"):
        for item in prefetch(frames(), 2):
            got.append(item)
    assert got == [1]


def test_queue_stays_bounded_and_an_early_stop_ends_the_thread():
    made = []

    def items():
        for i in range(1000):
            made.append(i)
            yield i

    before = threading.active_count()
    stream = prefetch(items(), 2)
    assert next(stream) == 0
    threading.Event().wait(0.3)  # let the producer fill the queue
    assert len(made) <= 1 + 2 + 1  # consumed + queued + one waiting to be put
    stream.close()  # consumer stops early (e.g. the backbone raised)
    assert threading.active_count() == before


def test_tokens_with_and_without_the_decode_thread_are_identical(tmp_path, tiny_config):
    frames, _ = blob_frames(30, 48, 64)
    video = write_video(tmp_path / "a.mkv", frames, fps=20)
    extractor = Extractor(dataclasses.replace(tiny_config, batch_size=2))  # one set of weights
    results = []
    for depth in (0, 3):
        config = dataclasses.replace(extractor.config, prefetch=depth)
        job = VideoJob("a", "a.mkv", video)
        results.append(extract_video(job, config, extractor, key=extractor.key).features)
    assert np.array_equal(results[0].tokens, results[1].tokens)
    assert np.array_equal(results[0].response, results[1].response)
    assert results[0].meta["clip_frame_indices"] == results[1].meta["clip_frame_indices"]
