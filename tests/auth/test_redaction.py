"""`core.redact`: known secrets and key-shaped text leave error messages and logs; the
model client's errors and the credential stores use it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from codex_lsp.core.auth import FileStore, MemoryStore
from codex_lsp.core.config.model import ProviderConfig
from codex_lsp.core.model.client import ModelClient, provider_headers
from codex_lsp.core.model.errors import ModelError
from codex_lsp.core.model.prompt import Prompt
from codex_lsp.core.redact import REDACTED, redact, register_secret
from codex_lsp.logs import ClientLogHandler, RedactingFilter
from codex_lsp.mock_model import MockModelServer, error_response


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Incorrect API key provided: sk-proj-abc1******************************xyz9. "
            "You can find your API key at https://platform.openai.com/account/api-keys.",
            "Incorrect API key provided: [REDACTED]. You can find your API key at "
            "https://platform.openai.com/account/api-keys.",
        ),
        ("Incorrect API key provided: oops123.", "Incorrect API key provided: [REDACTED]."),
        ("key sk-ant-api03-AbCdEf0123456789 bad", "key [REDACTED] bad"),
        ("Authorization: Bearer abc.def.ghi-123", "Authorization: Bearer [REDACTED]"),
        ("authorization=Basic dXNlcjpwYXNz", "authorization=Basic [REDACTED]"),
        ("sent bearer tok_0123456789", "sent bearer [REDACTED]"),
        (
            "{'Authorization': 'Bearer abcdefgh123', 'X-Api-Key': 'hello-world-1'}",
            "{'Authorization': 'Bearer [REDACTED]', 'X-Api-Key': '[REDACTED]'}",
        ),
        (
            '{"type": "apiKey", "apiKey": "plainvalue"}',
            '{"type": "apiKey", "apiKey": "[REDACTED]"}',
        ),
        ('{\\"apiKey\\": \\"plainvalue\\"}', '{\\"apiKey\\": \\"[REDACTED]\\"}'),
        ("GET /v1/models?api_key=abc&limit=2", "GET /v1/models?api_key=[REDACTED]&limit=2"),
        ("OPENAI_API_KEY=from-env", "OPENAI_API_KEY=[REDACTED]"),
        ('"access_token": "t0k3n", "refresh_token": "r3fr3sh"', None),
        (
            "proxy at https://me:hunter2@proxy.local:8080",
            "proxy at https://me:[REDACTED]@proxy.local:8080",
        ),
        ("gsk_0123456789abcdefXYZ and ghp_0123456789abcdefghijABCD", "[REDACTED] and [REDACTED]"),
    ],
)
def test_key_shaped_text_is_redacted(text: str, expected: str | None) -> None:
    clean = redact(text)
    if expected is not None:
        assert clean == expected
    else:
        assert "t0k3n" not in clean and "r3fr3sh" not in clean
    assert redact(clean) == clean  # redacting twice changes nothing


@pytest.mark.parametrize(
    "text",
    [
        "max_output_tokens: 100, input_tokens=5",
        '"tokenUsage": {"total": 3}, "refreshToken": false, "apiKey": null',
        "the desk-organizer-project-planner and risk-assessment-flow",
        "unexpected token: '}' at line 1",
        "Not logged in: provider 'mock' needs an OpenAI API key (`codex-lsp login`).",
        "cannot reach the model at http://127.0.0.1:9/v1: ConnectError: refused",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


def test_known_secrets_are_redacted_wherever_they_appear() -> None:
    value = "plain-looking-credential-77c1"
    assert redact(f"project {value} revoked") == f"project {value} revoked"
    register_secret(value)
    assert redact(f"project {value} revoked; again:{value}") == (
        f"project {REDACTED} revoked; again:{REDACTED}"
    )
    assert redact("one off x-extra-secret-1", "x-extra-secret-1") == f"one off {REDACTED}"
    register_secret("short")  # too short to redact everywhere
    assert redact("a short word") == "a short word"


def test_credential_stores_register_the_keys_they_see(tmp_path: Path) -> None:
    memory_key, file_key = "memory-store-key-5a1e", "file-store-key-93bd"
    MemoryStore().save(memory_key)
    (tmp_path / "auth.json").write_text(f'{{"OPENAI_API_KEY": "{file_key}"}}')
    assert redact(file_key) == file_key  # not seen yet
    assert FileStore(tmp_path).load() == file_key
    assert redact(f"{memory_key} {file_key}") == f"{REDACTED} {REDACTED}"


def test_provider_headers_from_the_environment_are_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ORG_HEADER_ENV", "env-header-value-c0ffee")
    provider = ProviderConfig(
        http_headers={"X-Custom-Token": "static-token-value-1", "User-Agent": "agent/1.0 (x)"},
        env_http_headers={"X-Org": "ORG_HEADER_ENV"},
    )
    headers = provider_headers(provider)
    assert headers["X-Org"] == "env-header-value-c0ffee"
    text = "echo env-header-value-c0ffee static-token-value-1 agent/1.0 (x)"
    assert redact(text) == f"echo {REDACTED} {REDACTED} agent/1.0 (x)"


@pytest.mark.parametrize("wire_api", ["responses", "chat"])
async def test_model_errors_never_carry_the_key(
    wire_api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = f"unit-{wire_api}-provider-key-1f2e3d"
    monkeypatch.setenv("UNIT_PROVIDER_KEY", key)
    echo = f"key {key} is not valid here; Authorization: Bearer {key}"
    async with MockModelServer() as mock:
        mock.enqueue(error_response(401, body={"error": {"message": echo}}))
        provider = ProviderConfig(
            base_url=mock.url,
            env_key="UNIT_PROVIDER_KEY",
            wire_api=wire_api,  # type: ignore[arg-type]
        )
        client = ModelClient("unit", provider)
        prompt = Prompt(model="m", instructions="i", input=[])
        with pytest.raises(ModelError) as caught:
            async for _event in client.stream(prompt):
                pass
    error = caught.value
    assert mock.requests[-1].headers["authorization"] == f"Bearer {key}"
    assert error.info == "unauthorized" and error.status == 401
    assert error.message == f"key {REDACTED} is not valid here; Authorization: Bearer {REDACTED}"
    assert str(error) == error.message
    assert error.__cause__ is not None  # the SDK's error stays for debugging (logs redact it)


def test_filter_redacts_message_args_and_traceback() -> None:
    sent: list[str] = []
    handler = ClientLogHandler(lambda _level, text: sent.append(text))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise RuntimeError("Incorrect API key provided: leaked-in-traceback-1")
        except RuntimeError:
            logger.error("login %s failed", {"apiKey": "leaked-in-args-1"}, exc_info=True)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    assert sent == ["tests.redaction: login {'apiKey': '[REDACTED]'} failed"]

    args = ("Bearer abcdefgh",)
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "msg %s", args, None)
    try:
        raise ValueError("api_key=leaked-value")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record) is True
    formatted = logging.Formatter().format(record)
    assert "leaked-value" not in formatted and "api_key=[REDACTED]" in formatted
    assert formatted.startswith("msg Bearer [REDACTED]")
