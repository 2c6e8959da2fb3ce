"""Parse the `x-codex-*` rate-limit and credits headers into a snapshot."""

from __future__ import annotations

import time
from typing import Any

from ...protocol.account import CreditsSnapshot, RateLimitSnapshot, RateLimitWindow


def _float(headers: Any, name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _window(headers: Any, which: str, now: float) -> RateLimitWindow | None:
    used = _float(headers, f"x-codex-{which}-used-percent")
    if used is None:
        return None
    minutes = _float(headers, f"x-codex-{which}-window-minutes")
    reset = _float(headers, f"x-codex-{which}-reset-at")
    if reset is None:
        after = _float(headers, f"x-codex-{which}-reset-after-seconds")
        reset = now + after if after is not None else None
    return RateLimitWindow(
        used_percent=used,
        window_duration_mins=int(minutes) if minutes is not None else None,
        resets_at=int(reset) if reset is not None else None,
    )


def _bool(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.strip().lower() in ("1", "true", "yes")


def parse_rate_limits(headers: Any, now: float | None = None) -> RateLimitSnapshot | None:
    """A snapshot when any rate-limit header is present, else None. Reset times are absolute."""
    now = time.time() if now is None else now
    primary = _window(headers, "primary", now)
    secondary = _window(headers, "secondary", now)
    has_credits = _bool(headers.get("x-codex-credits-has-credits"))
    credits = None
    if has_credits is not None:
        credits = CreditsSnapshot(
            has_credits=has_credits,
            unlimited=bool(_bool(headers.get("x-codex-credits-unlimited"))),
            balance=headers.get("x-codex-credits-balance"),
        )
    if primary is None and secondary is None and credits is None:
        return None
    return RateLimitSnapshot(primary=primary, secondary=secondary, credits=credits)
