"""Shared SSE primitives and helpers for the wire renderers."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from codex_lsp.mock_model.script import estimate_tokens

__all__ = [
    "CONTEXT_LENGTH_EXCEEDED_MESSAGE",
    "DONE",
    "SseEvent",
    "context_length_error_body",
    "default_error_body",
    "input_estimate",
    "new_id",
]

CONTEXT_LENGTH_EXCEEDED_MESSAGE = (
    "Your input exceeds the context window of this model. Please adjust your input and try again."
)


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One server-sent event: ``data`` is a JSON object (or a raw string such as ``[DONE]``).

    ``event`` (the ``event:`` line) is set on the Responses wire and omitted on the chat wire.
    """

    data: dict[str, Any] | str
    event: str | None = None

    def encode(self) -> bytes:
        """Serialize to the on-the-wire bytes, terminated by a blank line."""
        payload = (
            self.data
            if isinstance(self.data, str)
            else json.dumps(self.data, separators=(",", ":"), ensure_ascii=False)
        )
        head = f"event: {self.event}\n" if self.event else ""
        return f"{head}data: {payload}\n\n".encode()


DONE = SseEvent("[DONE]")


def new_id(prefix: str) -> str:
    """A fresh OpenAI-looking id such as ``msg_0123abcd...``."""
    return f"{prefix}{secrets.token_hex(12)}"


def input_estimate(body: Any) -> int:
    """Estimate input tokens from the request body."""
    if body is None:
        return 0
    return estimate_tokens(json.dumps(body, separators=(",", ":"), default=str))


_DEFAULT_ERRORS: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid request (mock model).", "invalid_request_error", None),
    401: (
        "Incorrect API key provided (mock model).",
        "invalid_request_error",
        "invalid_api_key",
    ),
    403: ("You are not allowed to access this resource (mock model).", "permission_denied", None),
    404: ("The requested resource was not found (mock model).", "invalid_request_error", None),
    429: (
        "Rate limit reached for requests (mock model). Please try again later.",
        "requests",
        "rate_limit_exceeded",
    ),
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    502: ("Bad gateway (mock model).", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
}


def default_error_body(status: int) -> dict[str, Any]:
    """An OpenAI-style error body for ``status``."""
    message, etype, code = _DEFAULT_ERRORS.get(
        status,
        (
            f"Mock model error (HTTP {status}).",
            "server_error" if status >= 500 else "invalid_request_error",
            None,
        ),
    )
    return {"error": {"message": message, "type": etype, "param": None, "code": code}}


def context_length_error_body() -> dict[str, Any]:
    """The chat-wire (HTTP 400) body for a context-length failure."""
    return {
        "error": {
            "message": CONTEXT_LENGTH_EXCEEDED_MESSAGE,
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        }
    }
