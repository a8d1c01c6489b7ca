"""A per-video lock file, kept alive by a heartbeat, so runs sharing a project never collide.

The holder creates ``<video_id>.lock`` with ``O_CREAT | O_EXCL`` (atomic, also on NFS v3+),
writes ``pid host start-time`` into it, and touches it every ``heartbeat_s`` seconds from a
daemon thread. Another run treats the lock as **stale**, removes it and takes it, when

* its mtime is older than ``stale_after × heartbeat_s`` (120 s by default) — whatever its PID
  or host: the holder was killed, suspended or lost its node; or
* it names this very host and a PID that no longer exists (a run killed here: reclaimed at
  once, without waiting for the heartbeat to age).

A live PID alone never keeps a lock: a PID reused by an unrelated process, or a run on
another node that died, is reclaimed once its heartbeat stops. On a shared file system the
hosts' clocks must agree to within the stale age (NTP does this).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

HEARTBEAT_S = 15.0
STALE_AFTER = 8.0  # heartbeats


@contextlib.contextmanager
def video_lock(
    lock: Path, *, heartbeat_s: float = HEARTBEAT_S, stale_after: float = STALE_AFTER
) -> Iterator[bool]:
    """Yield True if this process now holds ``lock`` (False: another live run has it).

    While the ``with`` block runs, a thread touches the lock every ``heartbeat_s`` seconds;
    the lock is removed when the block ends (also on an exception).
    """
    lock = Path(lock)
    host = socket.gethostname()
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            if lock_is_stale(lock, host=host, max_age_s=heartbeat_s * stale_after):
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
                continue
            yield False
            return
        with os.fdopen(fd, "w") as handle:
            handle.write(f"{os.getpid()} {host} {time.time():.0f}\n")
        stop = threading.Event()
        beat = threading.Thread(
            target=_heartbeat, args=(lock, heartbeat_s, stop), name="painscope-lock", daemon=True
        )
        beat.start()
        try:
            yield True
        finally:
            stop.set()
            beat.join()
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
        return
    yield False


def clear_stale_locks(
    folder: Path, *, heartbeat_s: float = HEARTBEAT_S, stale_after: float = STALE_AFTER
) -> int:
    """Remove the stale ``*.lock`` files in ``folder`` (see :func:`lock_is_stale`); returns
    how many. A run killed after writing a video's tokens but before dropping its lock leaves
    a lock that no later run would touch (the video counts as done): this sweep clears it."""
    folder = Path(folder)
    if not folder.exists():
        return 0
    host = socket.gethostname()
    removed = 0
    for lock in folder.glob("*.lock"):
        if lock_is_stale(lock, host=host, max_age_s=heartbeat_s * stale_after):
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
                removed += 1
    return removed


def _heartbeat(lock: Path, every_s: float, stop: threading.Event) -> None:
    while not stop.wait(every_s):
        with contextlib.suppress(OSError):
            os.utime(lock)


def lock_is_stale(lock: Path, *, host: str | None = None, max_age_s: float) -> bool:
    """True when ``lock``'s heartbeat stopped (mtime older than ``max_age_s``), when it names
    a dead PID on this host, or when it is unreadable (a run killed while writing it)."""
    host = host or socket.gethostname()
    try:
        age = time.time() - lock.stat().st_mtime
    except FileNotFoundError:
        return True
    if age > max_age_s:
        return True
    try:
        pid_text, lock_host, _started = lock.read_text().split()
        pid = int(pid_text)
    except (OSError, ValueError):
        return age > 5.0  # being written right now, or garbage left by a killed run
    if lock_host == host:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, another user's
            return False
        return _is_zombie(pid)
    return False


def _is_zombie(pid: int) -> bool:
    """A killed worker whose parent died too stays a zombie until init reaps it (in some
    containers, never): it holds no lock. Linux only; elsewhere False."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]
