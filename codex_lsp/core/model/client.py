"""One `AsyncOpenAI` per provider; one attempt of one streamed model request.

The `openai` SDK is imported on first use so the server answers `initialize` fast.
Every `ModelError` leaving `stream` has its text redacted (`core.redact`): providers echo
the key in their error answers, and transport errors may quote headers. The key and the
credential headers in use are registered as secrets as soon as they are resolved.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from ..config.model import ProviderConfig
from ..redact import redact, register_secret, register_secrets, secret_header_values
from ..telemetry.context import current as current_telemetry
from .errors import ModelError, classify_status, root_cause
from .prompt import Prompt
from .rate_limits import parse_rate_limits
from .stream_events import ModelEvent, RateLimits

if TYPE_CHECKING:
    from openai import AsyncOpenAI

# Resolves the API key of providers that use OpenAI auth (`requires_openai_auth`).
OpenAIKeySource = Callable[[], str | None]


def _env_openai_key() -> str | None:
    return os.environ.get("OPENAI_API_KEY")


class ModelClient:
    """Streams model requests for one provider."""

    def __init__(
        self,
        provider_id: str,
        provider: ProviderConfig,
        openai_key: OpenAIKeySource = _env_openai_key,
    ) -> None:
        self.provider_id = provider_id
        self.provider = provider
        self._openai_key = openai_key
        self._sdk: AsyncOpenAI | None = None
        self._sdk_key: str | None = None

    def api_key(self) -> str:
        """The key for this provider: its `env_key` wins, then the OpenAI login."""
        p = self.provider
        if p.env_key:
            value = os.environ.get(p.env_key)
            if value:
                register_secret(value)
                return value
            if not p.requires_openai_auth:
                hint = f" {p.env_key_instructions}" if p.env_key_instructions else ""
                raise ModelError(
                    f"Missing API key: set the environment variable {p.env_key} for model "
                    f"provider {self.provider_id!r}.{hint}",
                    "unauthorized",
                )
        if p.requires_openai_auth:
            key = self._openai_key()
            if key:
                register_secret(key)
                return key
            raise ModelError(
                f"Not logged in: provider {self.provider_id!r} needs an OpenAI API key "
                "(`codex-lsp login`, or set OPENAI_API_KEY).",
                "unauthorized",
            )
        # Local servers (Ollama, LM Studio) accept any key.
        return "codex-lsp"

    def _client(self) -> AsyncOpenAI:
        key = self.api_key()
        if self._sdk is None or key != self._sdk_key:
            from openai import AsyncOpenAI, Timeout

            _freeze_imports()

            idle = self.provider.stream_idle_timeout_ms / 1000
            headers = provider_headers(self.provider)
            self._sdk = AsyncOpenAI(
                api_key=key,
                base_url=self.provider.base_url,
                max_retries=0,
                timeout=Timeout(idle, connect=15.0),
                default_headers=headers or None,
                default_query=dict(self.provider.query_params) or None,
            )
            self._sdk_key = key
        return self._sdk

    def _redacted(self, error: ModelError) -> ModelError:
        """`error` with the key, header values and key-shaped text taken out of its text
        (in place, so its cause and classification stay)."""
        error.message = redact(error.message, self._sdk_key)
        error.args = (error.message,)
        if error.details is not None:
            error.details = redact(error.details, self._sdk_key)
        return error

    async def stream(self, prompt: Prompt, attempt: int = 1) -> AsyncIterator[ModelEvent]:
        """One attempt (`attempt`: its number, for telemetry): yields model events; raises
        `ModelError` (classified, redacted) on failure."""
        from ...lazy import importing

        with importing():  # the SDK's ~500 modules: no garbage collection meanwhile
            import openai

            # The wire translators and stream telemetry load with the first turn.
            from ..telemetry.model_stream import observe_stream, report_request
            from . import chat_wire, responses_wire

        try:
            client = self._client()
        except ModelError as exc:
            self._redacted(exc)
            raise
        telemetry = current_telemetry()
        started = time.monotonic()
        try:
            # The SDK makes the request and decodes the SSE framing; events come back as
            # plain JSON objects (see responses_wire.translate for why).
            if self.provider.wire_api == "chat":
                path, body = "/chat/completions", chat_wire.request_body(prompt)
                translate = chat_wire.translate
            else:
                path, body = "/responses", responses_wire.request_body(prompt)
                translate = responses_wire.translate
            sdk_stream: Any = await client.post(
                path,
                body=body,
                cast_to=object,
                stream=True,
                stream_cls=openai.AsyncStream[object],
            )
        except openai.APIStatusError as exc:
            error = classify_status(exc.status_code, exc.body, exc.response.headers, exc.message)
            error.rate_limits = parse_rate_limits(exc.response.headers)
            self._redacted(error)
            report_request(telemetry, attempt, started, exc.status_code, error.message)
            raise error from exc
        except openai.APITimeoutError as exc:
            error = ModelError(
                "timed out connecting to the model", "httpConnectionFailed", retry="request"
            )
            report_request(telemetry, attempt, started, error=error.message)
            raise error from exc
        except (openai.APIConnectionError, OSError, BaseExceptionGroup) as exc:
            # httpx2 may raise its connect failures as an ExceptionGroup.
            error = ModelError(
                f"cannot reach the model at {self.provider.base_url}: {root_cause(exc)}",
                "httpConnectionFailed",
                retry="request",
            )
            self._redacted(error)
            report_request(telemetry, attempt, started, error=error.message)
            raise error from exc
        events: Any = sdk_stream
        if telemetry is not None:
            report_request(telemetry, attempt, started, sdk_stream.response.status_code)
            events = observe_stream(sdk_stream, telemetry)
        try:
            snapshot = parse_rate_limits(sdk_stream.response.headers)
            if snapshot is not None:
                yield RateLimits(snapshot)
            async for event in translate(events):
                yield event
        except ModelError as exc:
            self._redacted(exc)
            raise
        except openai.APIStatusError as exc:
            error = classify_status(exc.status_code, exc.body, exc.response.headers, exc.message)
            raise self._redacted(error) from exc
        except (openai.APIError, OSError, ValueError) as exc:
            error = ModelError(
                f"the model stream broke: {exc}", "responseStreamDisconnected", retry="stream"
            )
            raise self._redacted(error) from exc
        except Exception as exc:
            # httpx transport errors (read timeout, peer closed the connection mid-body).
            if isinstance(exc, BaseExceptionGroup) or type(exc).__module__.startswith(
                ("httpx", "httpcore", "h11", "anyio")
            ):
                error = ModelError(
                    f"the model stream broke: {root_cause(exc)}",
                    "responseStreamDisconnected",
                    retry="stream",
                )
                raise self._redacted(error) from exc
            raise
        finally:
            await sdk_stream.close()


def provider_headers(provider: ProviderConfig) -> dict[str, str]:
    """The extra HTTP headers of a provider: `http_headers`, then `env_http_headers` read
    from the environment. Values from the environment, and those of credential-looking
    headers, are registered as secrets."""
    headers = dict(provider.http_headers)
    for header, env in provider.env_http_headers.items():
        if value := os.environ.get(env):
            headers[header] = value
            register_secret(value)
    register_secrets(secret_header_values(headers))
    return headers


_frozen = False


def _freeze_imports() -> None:
    """Move what the SDK import allocated out of the collector's sight, once: a full
    collection of the ~100k long-lived objects otherwise stalls every stream for ~100 ms."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


class ModelClients:
    """Model clients by provider id, created on demand."""

    def __init__(self, openai_key: OpenAIKeySource = _env_openai_key) -> None:
        self._clients: dict[str, ModelClient] = {}
        self._openai_key = openai_key

    def get(self, provider_id: str, provider: ProviderConfig) -> ModelClient:
        """The client for this provider (recreated when its config changed)."""
        client = self._clients.get(provider_id)
        if client is None or client.provider != provider:
            client = ModelClient(provider_id, provider, self._openai_key)
            self._clients[provider_id] = client
        return client
