"""Rate-limit headers -> absolute snapshots; the store announces changes and persists them."""

from __future__ import annotations

import json
import os
from pathlib import Path

from codex_lsp.core.model.rate_limit_store import RATE_LIMITS_FILE, RateLimitStore
from codex_lsp.core.model.rate_limits import parse_rate_limits
from codex_lsp.protocol.account import RateLimitSnapshot, RateLimitWindow

NOW = 1_763_700_000.0


def window(used: float, resets_at: int | None, minutes: int = 300) -> RateLimitWindow:
    """A window with the given numbers."""
    return RateLimitWindow(used_percent=used, window_duration_mins=minutes, resets_at=resets_at)


def test_absolute_reset_formats() -> None:
    for value in ("1763710000", "1763710000000", "2025-11-21T07:26:40Z", "1763710000.4"):
        headers = {"x-codex-primary-used-percent": "1", "x-codex-primary-reset-at": value}
        snapshot = parse_rate_limits(headers, now=NOW)
        assert snapshot is not None and snapshot.primary is not None
        assert snapshot.primary.resets_at == 1_763_710_000, value


def test_relative_reset_is_converted_once_at_receipt() -> None:
    headers = {
        "x-codex-secondary-used-percent": "12.5",
        "x-codex-secondary-window-minutes": "10080",
        "x-codex-secondary-reset-after-seconds": "90",
    }
    snapshot = parse_rate_limits(headers, now=NOW)
    assert snapshot is not None
    assert snapshot.primary is None
    assert snapshot.secondary == window(12.5, int(NOW) + 90, 10080)


def test_credits_and_nothing() -> None:
    snapshot = parse_rate_limits(
        {"x-codex-credits-has-credits": "True", "x-codex-credits-balance": "3"}, now=NOW
    )
    assert snapshot is not None and snapshot.credits is not None
    assert snapshot.credits.has_credits and not snapshot.credits.unlimited
    assert snapshot.credits.balance == "3"
    assert parse_rate_limits({"content-type": "text/event-stream"}) is None
    bad = {"x-codex-primary-used-percent": "nan"}
    assert parse_rate_limits(bad) is None


def test_store_announces_changes_only_and_persists(tmp_path: Path) -> None:
    store = RateLimitStore(tmp_path)
    assert store.latest() == RateLimitSnapshot()
    first = RateLimitSnapshot(primary=window(10, 2000))
    assert store.update(first) == first
    assert store.update(first.model_copy()) is None
    changed = RateLimitSnapshot(primary=window(11, 2000))
    assert store.update(changed) == changed
    saved = json.loads((tmp_path / RATE_LIMITS_FILE).read_text())
    assert saved == {"rateLimits": changed.wire()}
    assert RateLimitStore(tmp_path).latest() == changed


def test_reset_jitter_is_not_a_change_and_the_first_instant_is_kept(tmp_path: Path) -> None:
    store = RateLimitStore(tmp_path)
    store.update(RateLimitSnapshot(primary=window(5, 5000), secondary=window(1, 9000)))
    assert (
        store.update(RateLimitSnapshot(primary=window(5, 5001), secondary=window(1, 9000))) is None
    )
    # Another window changed: the jittered one keeps its stored instant.
    announced = store.update(RateLimitSnapshot(primary=window(5, 5001), secondary=window(2, 9000)))
    assert announced is not None and announced.primary is not None
    assert announced.primary.resets_at == 5000
    # A real new window (reset moved on) is a change.
    assert store.update(RateLimitSnapshot(primary=window(0, 23000), secondary=window(2, 9000)))


def test_store_sees_other_processes_and_survives_garbage(tmp_path: Path) -> None:
    mine = RateLimitStore(tmp_path)
    other = RateLimitStore(tmp_path)
    snapshot = RateLimitSnapshot(primary=window(70, 4242))
    other.update(snapshot)
    assert mine.latest() == snapshot
    path = tmp_path / RATE_LIMITS_FILE
    path.write_text("{not json")
    os.utime(path, ns=(1, 1))
    assert RateLimitStore(tmp_path).latest() == RateLimitSnapshot()
