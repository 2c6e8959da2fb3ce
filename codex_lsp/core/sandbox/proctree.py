"""Process trees on Linux via /proc: descendants, liveness, and killing a whole tree
(process group plus every descendant, including those that started their own session).
On systems without /proc only the process group is signalled."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Iterable

POLL_INTERVAL_S = 0.005
HAVE_PROC = os.path.isdir("/proc/self/task")


def children_of(pid: int) -> list[int]:
    """The direct children of `pid` (all its threads' children), [] if it is gone."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as handle:
                found.extend(int(part) for part in handle.read().split())
        except (OSError, ValueError):
            continue
    return found


def descendants(pids: Iterable[int]) -> set[int]:
    """`pids` and all their descendants that are alive now."""
    seen: set[int] = set()
    todo = list(pids)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        todo.extend(children_of(pid))
    return seen


def is_alive(pid: int) -> bool:
    """True if `pid` exists and is not a zombie (an exited process not yet reaped)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return False
    except OSError:
        return _signal_alive(pid)
    state = data[data.rfind(b")") + 2 : data.rfind(b")") + 3]
    return state not in (b"Z", b"X", b"")


def _signal_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Targets:
    """The processes being killed, held by pidfd where the kernel has them (a pid that
    exits and is reused by an unrelated process is then never signalled)."""

    def __init__(self) -> None:
        self.fds: dict[int, int | None] = {}

    def add(self, pids: Iterable[int]) -> bool:
        """Track new pids; True if any was new."""
        new = False
        for pid in pids:
            if pid in self.fds or pid <= 1:
                continue
            new = True
            fd: int | None = None
            with contextlib.suppress(OSError, AttributeError):
                fd = os.pidfd_open(pid)
            self.fds[pid] = fd
        return new

    def signal(self, sig: int) -> None:
        for pid, fd in self.fds.items():
            with contextlib.suppress(OSError):
                if fd is not None:
                    signal.pidfd_send_signal(fd, sig)
                else:
                    os.kill(pid, sig)

    def alive(self) -> list[int]:
        return [pid for pid in self.fds if is_alive(pid)]

    def close(self) -> None:
        for fd in self.fds.values():
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.fds.clear()


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pgid, sig)


def _anything_alive(targets: _Targets, pgid: int) -> bool:
    """Is any tracked process alive? Without /proc nothing is tracked: ask the group."""
    if HAVE_PROC:
        return bool(targets.alive())
    try:
        os.killpg(pgid, 0)
    except OSError:
        return False
    return True


async def kill_process_tree(pid: int | None, pgid: int, grace: float = 0.1) -> None:
    """Stop, then SIGTERM, then (after `grace` seconds) SIGKILL the process group `pgid`
    and every descendant of `pid` (None when that process was already reaped: its pid
    may belong to someone else by now, so only the group is signalled).

    The tree is frozen first (SIGSTOP, rescanned until no new pid appears) so nothing
    forks away or gets reparented between listing and signalling; SIGTERM is followed by
    SIGCONT so handlers can run. Returns once none of the processes is alive (zombies
    left for their new parent to reap count as dead), or after `grace` + 0.5 s at most.
    """
    targets = _Targets()
    try:
        _killpg(pgid, signal.SIGSTOP)
        if pid is not None:
            targets.add(descendants([pid]))
        targets.signal(signal.SIGSTOP)
        for _ in range(10):  # stopped processes cannot fork: the scan converges
            if not targets.add(descendants(list(targets.fds))):
                break
            targets.signal(signal.SIGSTOP)
        for sig in (signal.SIGTERM, signal.SIGCONT):
            _killpg(pgid, sig)
            targets.signal(sig)
        deadline = time.monotonic() + max(0.0, grace)
        while _anything_alive(targets, pgid) and time.monotonic() < deadline:
            await asyncio.sleep(POLL_INTERVAL_S)
            targets.add(descendants(targets.alive()))
        hard_deadline = time.monotonic() + 0.5
        while True:
            targets.add(descendants(targets.alive()))
            _killpg(pgid, signal.SIGKILL)
            targets.signal(signal.SIGKILL)
            if not _anything_alive(targets, pgid) or time.monotonic() >= hard_deadline:
                break
            await asyncio.sleep(POLL_INTERVAL_S)
    finally:
        targets.close()
