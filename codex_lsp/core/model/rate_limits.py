"""Parse the `x-codex-*` rate-limit and credits headers into a snapshot.

Reset times become absolute unix seconds at receipt: `x-codex-<window>-reset-at` (unix
seconds, milliseconds or an ISO-8601 date) is taken as is; `...-reset-after-seconds` is added
to the time the response arrived, once. The snapshot never holds a relative time, so it does
not drift however long it is kept.
"""

from __future__ import annotations

import math
import time
from datetime import datetime
from typing import Any

from ...protocol.account import CreditsSnapshot, RateLimitSnapshot, RateLimitWindow


def _float(headers: Any, name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _instant(headers: Any, name: str) -> float | None:
    """An absolute time header: unix seconds, unix milliseconds, or ISO 8601."""
    number = _float(headers, name)
    if number is not None:
        return number / 1000 if number > 100_000_000_000 else number
    value = headers.get(name)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None  # a wall-clock time without a zone names no instant
    return moment.timestamp()


def _window(headers: Any, which: str, now: float) -> RateLimitWindow | None:
    used = _float(headers, f"x-codex-{which}-used-percent")
    if used is None:
        return None
    minutes = _float(headers, f"x-codex-{which}-window-minutes")
    reset = _instant(headers, f"x-codex-{which}-reset-at")
    if reset is None:
        after = _float(headers, f"x-codex-{which}-reset-after-seconds")
        reset = now + after if after is not None and after >= 0 else None
    return RateLimitWindow(
        used_percent=used,
        window_duration_mins=int(minutes) if minutes is not None else None,
        resets_at=round(reset) if reset is not None else None,
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
