"""Process trees on Linux via /proc: descendants, liveness, and killing a whole tree
(process group plus every descendant, including those that started their own session).
On systems without /proc only the process group is signalled."""

from __future__ import annotations

import asyncio
import os
import signal
import time

# One implementation of the /proc walk and of pidfd signalling, shared with the launcher
# process (which cannot import anything from codex_lsp).
from .launcher import Targets, children_of, descendants, is_alive, killpg_quietly

__all__ = ["children_of", "descendants", "is_alive", "kill_process_tree"]

POLL_INTERVAL_S = 0.005
HAVE_PROC = os.path.isdir("/proc/self/task")


def _anything_alive(targets: Targets, pgid: int) -> bool:
    """Is any tracked process alive? Without /proc nothing is tracked: ask the group."""
    if HAVE_PROC:
        return bool(targets.alive())
    try:
        os.killpg(pgid, 0)
    except OSError:
        return False
    return True


async def kill_process_tree(
    pid: int | None, pgid: int, grace: float = 0.1, *, include_root: bool = True
) -> None:
    """Stop, then SIGTERM, then (after `grace` seconds) SIGKILL the process group `pgid`
    and every descendant of `pid` (None when that process was already reaped: its pid
    may belong to someone else by now, so only the group is signalled). With
    `include_root=False`, `pid` itself (the command's launcher, a subreaper that adopts
    the tree's orphans) is only searched, never signalled: it exits by itself once the
    tree is gone.

    The tree is frozen first (SIGSTOP, rescanned until no new pid appears) so nothing
    forks away or gets reparented between listing and signalling; SIGTERM is followed by
    SIGCONT so handlers can run. Returns once none of the processes is alive (zombies
    left for their new parent to reap count as dead), or after `grace` + 0.5 s at most.
    """
    targets = Targets()
    spared = pid if pid is not None and not include_root else None

    def scan(roots: list[int]) -> set[int]:
        if spared is not None:
            return descendants([spared, *roots]) - {spared}
        return descendants(roots)

    try:
        killpg_quietly(pgid, signal.SIGSTOP)
        if pid is not None:
            targets.add(scan([pid]))
        targets.signal(signal.SIGSTOP)
        for _ in range(10):  # stopped processes cannot fork: the scan converges
            if not targets.add(scan(list(targets.fds))):
                break
            targets.signal(signal.SIGSTOP)
        for sig in (signal.SIGTERM, signal.SIGCONT):
            killpg_quietly(pgid, sig)
            targets.signal(sig)
        deadline = time.monotonic() + max(0.0, grace)
        while _anything_alive(targets, pgid) and time.monotonic() < deadline:
            await asyncio.sleep(POLL_INTERVAL_S)
            targets.add(scan(targets.alive()))
        hard_deadline = time.monotonic() + 0.5
        while True:
            targets.add(scan(targets.alive()))
            killpg_quietly(pgid, signal.SIGKILL)
            targets.signal(signal.SIGKILL)
            if not _anything_alive(targets, pgid) or time.monotonic() >= hard_deadline:
                break
            await asyncio.sleep(POLL_INTERVAL_S)
    finally:
        targets.close()
