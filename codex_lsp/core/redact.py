"""Secret redaction for text that leaves the process: error messages, logs, rollouts.

`redact(text)` replaces with `[REDACTED]`:
- every known secret value: the API keys and provider header values in use, registered
  with `register_secret` by whoever obtains them (the model client, the credential
  stores), and any extra values passed in;
- key-shaped text, known or not: `sk-...` and a few other vendors' key prefixes, the token
  after `Bearer`, the value of `Authorization: ...`, `api_key=...`, `"apiKey": "..."`,
  `access_token=...` and the like, and whatever follows "Incorrect API key provided:"
  (what providers answer a wrong key with).

Providers echo keys in their error answers, and the SDK's and HTTP libraries' exceptions
may carry headers: text of that origin goes through here before it reaches a client, a
rollout or a log. The known values are process-wide (like the logging they protect); a
registered value is never removed, since an old key in an old error is still a secret.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterable, Mapping

REDACTED = "[REDACTED]"

# Shorter values are too likely to be ordinary words ("x", "none") to be replaced everywhere.
MIN_SECRET_LENGTH = 8

_lock = threading.Lock()
_known: frozenset[str] = frozenset()
# Longest first, so a key that contains another known value is replaced whole.
_ordered: tuple[str, ...] = ()

# Names whose value is a secret: `api_key`, `apiKey`, `OPENAI_API_KEY`, `x-api-key`,
# `access_token`, `refreshToken`, `client_secret`, `password`, `Authorization`...
_SECRET_NAME = (
    r"(?:[A-Za-z0-9_.-]*(?:api[_-]?key|secret[_-]?key|access[_-]?key|private[_-]?key"
    r"|password|passwd)"
    r"|[A-Za-z0-9_.-]+(?:token|secret)"
    r"|(?:proxy-)?authorization|secret|bearer)"
)
_KEY_VALUE = (
    r"(?<![A-Za-z0-9_.-])"
    rf"(?P<name>{_SECRET_NAME})"
    r"(?P<sep>\\?[\"']?\s*[:=]\s*\\?[\"']?)"
    r"(?P<scheme>(?:bearer|basic|token)\s+)?"
    r"(?!(?:null|true|false|none)\b)(?!(?:bearer|basic|token)\s)"
    r"(?P<value>[^\s\"'\\,;&<>(){}\[\]]+)"
)
_BEARER = r"(?P<scheme>\bbearer\s+)(?P<value>[A-Za-z0-9._~+/=-]{6,})"
_WRONG_KEY = (
    r"(?P<scheme>\b(?:incorrect|invalid|wrong) api key(?: provided)?\s*:\s*)"
    r"(?P<value>[A-Za-z0-9_*~+/=.-]*[A-Za-z0-9_*~+/=-])"
)
_URL_PASSWORD = r"(?P<scheme>://[^/\s:@]+:)(?P<value>[^/\s@]+)(?=@)"
# Key formats of common vendors: OpenAI / Anthropic (`sk-`), Groq, Google, GitHub, Slack,
# and JSON Web Tokens.
_KEY_SHAPES = (
    r"\b(?:sk-[A-Za-z0-9_*-]{12,}"
    r"|gsk_[A-Za-z0-9]{12,}"
    r"|AIza[0-9A-Za-z_-]{20,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}"
    r"|github_pat_[A-Za-z0-9_]{20,}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)"
)


def _keep_name(match: re.Match[str]) -> str:
    return f"{match['name']}{match['sep']}{match['scheme'] or ''}{REDACTED}"


def _keep_scheme(match: re.Match[str]) -> str:
    return f"{match['scheme']}{REDACTED}"


@functools.cache
def _rules() -> tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...]:
    """The patterns, compiled on first use (not at start-up: the server answers
    `initialize` first)."""
    i = re.IGNORECASE
    return (
        (re.compile(_KEY_VALUE, i), _keep_name),
        (re.compile(_BEARER, i), _keep_scheme),
        (re.compile(_WRONG_KEY, i), _keep_scheme),
        (re.compile(_URL_PASSWORD), _keep_scheme),
        (re.compile(_KEY_SHAPES), REDACTED),
    )


def register_secret(value: str | None) -> None:
    """Remember `value` as a secret to redact from now on (short or empty values are not)."""
    global _known, _ordered
    if not value or len(value) < MIN_SECRET_LENGTH or value in _known:
        return
    with _lock:
        known = _known | {value}
        _ordered = tuple(sorted(known, key=len, reverse=True))
        _known = known


def register_secrets(values: Iterable[str | None]) -> None:
    """`register_secret` for each of `values`."""
    for value in values:
        register_secret(value)


_SECRET_HEADER = r"auth|key|token|secret|cookie|password|signature"


def secret_header_values(headers: Mapping[str, str]) -> list[str]:
    """The values of headers whose name says they carry a credential."""
    return [v for name, v in headers.items() if re.search(_SECRET_HEADER, name, re.IGNORECASE)]


def redact(text: str, *secrets: str | None) -> str:
    """`text` without known secrets, `secrets`, or anything shaped like a credential."""
    if not text:
        return text
    for secret in (*_ordered, *secrets):
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _rules():
        text = pattern.sub(replacement, text)
    return text


def redact_optional(text: str | None, *secrets: str | None) -> str | None:
    """`redact` for a value that may be None."""
    return None if text is None else redact(text, *secrets)
