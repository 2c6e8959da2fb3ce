"""The latest rate-limit snapshot, kept under `$CODEX_HOME` so it survives a restart.

Reset times are absolute (unix seconds) from the moment a response is received, so they
never drift: a snapshot read back after a restart names the same instant. A backend that
sends relative reset times (`...-reset-after-seconds`) yields an absolute time that can move
by a second or two between responses (rounding, latency); such jitter is not a change, and the
instant first stored is kept.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from pydantic import ValidationError

from ...protocol.account import RateLimitSnapshot, RateLimitWindow
from ..private_files import write_private_atomic

log = logging.getLogger(__name__)

RATE_LIMITS_FILE = "rate_limits.json"

# Reset instants closer than this are the same instant measured twice.
RESET_JITTER_S = 5


def _same_window(old: RateLimitWindow | None, new: RateLimitWindow | None) -> bool:
    if old is None or new is None:
        return old is new
    if (old.used_percent, old.window_duration_mins) != (new.used_percent, new.window_duration_mins):
        return False
    if old.resets_at is None or new.resets_at is None:
        return old.resets_at == new.resets_at
    return abs(old.resets_at - new.resets_at) <= RESET_JITTER_S


def _stable(old: RateLimitWindow | None, new: RateLimitWindow | None) -> RateLimitWindow | None:
    """`new`, keeping the stored reset instant when the two differ by jitter only."""
    if old is not None and new is not None and _same_window(old, new):
        return new.model_copy(update={"resets_at": old.resets_at})
    return new


def same_snapshot(old: RateLimitSnapshot, new: RateLimitSnapshot) -> bool:
    """Equal up to reset-time jitter."""
    return (
        _same_window(old.primary, new.primary)
        and _same_window(old.secondary, new.secondary)
        and old.credits == new.credits
    )


class RateLimitStore:
    """Holds the latest snapshot; persists it atomically (mode 0600) whenever it changes."""

    def __init__(self, home: Path) -> None:
        self.path = home / RATE_LIMITS_FILE
        self._lock = threading.Lock()
        self._mtime_ns: int | None = None
        self._snapshot = RateLimitSnapshot()
        self._load()

    def _load(self) -> None:
        try:
            stat = self.path.stat()
            if stat.st_mtime_ns == self._mtime_ns:
                return
            data = json.loads(self.path.read_text(encoding="utf-8"))
            snapshot = RateLimitSnapshot.model_validate(data.get("rateLimits", data))
        except FileNotFoundError:
            return
        except (OSError, ValueError, AttributeError, ValidationError) as exc:
            log.warning("ignoring unreadable %s: %s", self.path, exc)
            return
        self._mtime_ns = stat.st_mtime_ns
        self._snapshot = snapshot

    def latest(self) -> RateLimitSnapshot:
        """The newest snapshot, including one another server process wrote meanwhile."""
        with self._lock:
            self._load()
            return self._snapshot

    def update(self, snapshot: RateLimitSnapshot) -> RateLimitSnapshot | None:
        """Record a snapshot from a response. Returns what to announce, or None when it is
        the same as the last one (reset jitter ignored: the stored instant is kept)."""
        with self._lock:
            self._load()
            if same_snapshot(self._snapshot, snapshot):
                return None
            snapshot = RateLimitSnapshot(
                primary=_stable(self._snapshot.primary, snapshot.primary),
                secondary=_stable(self._snapshot.secondary, snapshot.secondary),
                credits=snapshot.credits,
            )
            self._snapshot = snapshot
            text = json.dumps({"rateLimits": snapshot.wire()}, indent=2) + "\n"
            try:
                write_private_atomic(self.path, text)
                self._mtime_ns = self.path.stat().st_mtime_ns
            except OSError as exc:
                log.warning("cannot save rate limits to %s: %s", self.path, exc)
            return snapshot
