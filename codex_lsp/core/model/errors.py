"""Model errors, classified the way clients see them (`codexErrorInfo`) and for retrying."""

from __future__ import annotations

from typing import Any

from ...protocol.account import RateLimitSnapshot
from ...protocol.enums import CodexErrorInfo


class ModelError(Exception):
    """A model request or stream failed.

    `retry` is `"request"` or `"stream"` when retrying may help (counted against
    `request_max_retries` / `stream_max_retries`), else None.
    """

    def __init__(
        self,
        message: str,
        info: CodexErrorInfo,
        *,
        retry: str | None = None,
        retry_after: float | None = None,
        status: int | None = None,
        details: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.info: CodexErrorInfo = info
        self.retry = retry
        self.retry_after = retry_after
        self.status = status
        self.details = details
        # Rate-limit numbers sent with an error answer (a 429 carries them too).
        self.rate_limits: RateLimitSnapshot | None = None


def retry_after_seconds(headers: Any) -> float | None:
    """`retry-after-ms` or `retry-after` (seconds) from response headers, if present."""
    if headers is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            continue
    return None


def _error_body(body: object) -> dict[str, Any]:
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return inner
    return {}


def classify_status(status: int, body: object, headers: Any, message: str) -> ModelError:
    """Turn an HTTP error answer into a ModelError."""
    err = _error_body(body)
    code = str(err.get("code") or err.get("type") or "")
    text = str(err.get("message") or message)
    after = retry_after_seconds(headers)
    if code == "context_length_exceeded":
        return ModelError(text, "contextWindowExceeded", status=status)
    if status in (401, 403):
        return ModelError(text, "unauthorized", status=status)
    if status == 429:
        if code in ("insufficient_quota", "usage_limit_reached", "usage_not_included"):
            return ModelError(text, "usageLimitExceeded", status=status)
        return ModelError(text, "other", retry="request", retry_after=after, status=status)
    if status >= 500:
        return ModelError(
            text, "internalServerError", retry="request", retry_after=after, status=status
        )
    if status in (408, 409):
        return ModelError(text, "other", retry="request", retry_after=after, status=status)
    return ModelError(text, "badRequest", status=status)


def root_cause(exc: BaseException) -> str:
    """The innermost error, readable (through exception groups and causes), e.g.
    `ConnectError: [Errno 111] Connection refused`."""
    while True:
        if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
            exc = exc.exceptions[0]
        elif exc.__cause__ is not None:
            exc = exc.__cause__
        else:
            return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
