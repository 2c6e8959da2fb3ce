"""Account, login, token usage and rate-limit shapes."""

from __future__ import annotations

from typing import Literal

from .base import WireModel
from .enums import AuthMode


class ApiKeyAccount(WireModel):
    """Logged in with an API key (the key itself is never sent back)."""

    type: Literal["apiKey"] = "apiKey"


class AccountReadParams(WireModel):
    """`codex/account/read` params."""

    refresh_token: bool | None = None


class AccountReadResult(WireModel):
    """`codex/account/read` result."""

    account: ApiKeyAccount | None = None
    requires_openai_auth: bool


class LoginApiKeyParams(WireModel):
    """`codex/account/login/start` params."""

    type: Literal["apiKey"] = "apiKey"
    api_key: str


class LoginApiKeyResult(WireModel):
    """`codex/account/login/start` result."""

    type: Literal["apiKey"] = "apiKey"


class AccountUpdatedNotification(WireModel):
    """`codex/account/updated`: the login state changed (`authMode` null when logged out)."""

    auth_mode: AuthMode | None = None


class LoginCompletedNotification(WireModel):
    """`codex/account/login/completed`: sent after every login attempt."""

    login_id: str | None = None
    success: bool
    error: str | None = None


class TokenUsageBreakdown(WireModel):
    """Token counts of one model response or of a whole thread."""

    total_tokens: int = 0
    input_tokens: int = 0
    cached_input_tokens: int = 0
    output_tokens: int = 0
    reasoning_output_tokens: int = 0


class TokenUsage(WireModel):
    """Thread totals, the last response, and the model's context window."""

    total: TokenUsageBreakdown
    last: TokenUsageBreakdown
    model_context_window: int | None = None


class RateLimitWindow(WireModel):
    """One rate-limit window; `resetsAt` in unix seconds."""

    used_percent: float
    window_duration_mins: int | None = None
    resets_at: int | None = None


class CreditsSnapshot(WireModel):
    """Credits left on the account."""

    has_credits: bool
    unlimited: bool
    balance: str | None = None


class RateLimitSnapshot(WireModel):
    """The latest rate-limit state reported by the model backend."""

    primary: RateLimitWindow | None = None
    secondary: RateLimitWindow | None = None
    credits: CreditsSnapshot | None = None


class RateLimitsReadResult(WireModel):
    """`codex/account/rateLimits/read` result."""

    rate_limits: RateLimitSnapshot


class RateLimitsUpdatedNotification(WireModel):
    """`codex/account/rateLimits/updated`."""

    rate_limits: RateLimitSnapshot
