"""Run a producer (decode → background removal → resize) in a thread, ahead of its consumer.

PyAV decoding, numpy and torch's CPU kernels release the GIL, so a decode thread and the
backbone overlap: on a GPU the backbone never waits for the decoder while the queue has
items, and on a CPU the decoder fills the gaps of the backbone's threads.

Guarantees of :func:`prefetch`:

* order and values are exactly the producer's (one producer thread, a FIFO queue);
* memory is bounded: at most ``depth`` items wait in the queue (plus one being made);
* an exception in the producer is re-raised in the consumer, the original object (so a
  :class:`~painscope.errors.VideoError` keeps the video's path and its fix);
* if the consumer stops early (an error in the backbone, ``break``), the producer thread is
  told to stop and joined; it never outlives the loop.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(items: Iterable[T], depth: int, *, name: str = "painscope-prefetch") -> Iterator[T]:
    """Yield ``items`` in order while a background thread produces up to ``depth`` ahead.

    ``depth`` 0 iterates in the calling thread (no thread, no queue).
    """
    if depth <= 0:
        yield from items
        return
    buffer: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as error:  # handed to the consumer, re-raised there
            put(_Failure(error))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator's open files close in the thread that used them
        put(_DONE)

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()
