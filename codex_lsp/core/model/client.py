"""One aiohttp session per provider; one attempt of one streamed model request.

The request is a plain HTTP POST whose answer is read as server-sent events (`sse.py`);
aiohttp is imported on first use so the server answers `initialize` fast (the OpenAI SDK,
which this replaced, cost ~0.5 s to import and a third of a streamed delta's CPU).
Every `ModelError` leaving `stream` has its text redacted (`core.redact`): providers echo
the key in their error answers, and transport errors may quote headers. The key and the
credential headers in use are registered as secrets as soon as they are resolved.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from ... import __version__
from ..config.model import ProviderConfig
from ..redact import redact, register_secret, register_secrets, secret_header_values
from ..telemetry.context import current as current_telemetry
from .errors import ModelError, classify_status, root_cause
from .prompt import Prompt
from .rate_limits import parse_rate_limits
from .stream_events import ModelEvent, RateLimits

if TYPE_CHECKING:
    import aiohttp

# Resolves the API key of providers that use OpenAI auth (`requires_openai_auth`).
OpenAIKeySource = Callable[[], str | None]

CONNECT_TIMEOUT = 15.0
USER_AGENT = f"codex-lsp/{__version__}"
DEFAULT_BASE_URL = "https://api.openai.com/v1"


def _env_openai_key() -> str | None:
    return os.environ.get("OPENAI_API_KEY")


def endpoint(base_url: str, path: str) -> str:
    """`path` under `base_url`, joined as the OpenAI SDK did (`.../v1` and `.../v1/` alike)."""
    return (base_url if base_url.endswith("/") else base_url + "/") + path.lstrip("/")


def base_url(provider: ProviderConfig) -> str:
    """The provider's base URL; without one, `OPENAI_BASE_URL` or the OpenAI API (as the
    SDK defaulted)."""
    return provider.base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL


def request_headers(
    key: str, extra: Mapping[str, str], accept: str = "text/event-stream"
) -> dict[str, str]:
    """The headers of a model request: ours, then the provider's (which win, whatever
    their case)."""
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "Accept": accept,
        "User-Agent": USER_AGENT,
    }
    for name, value in extra.items():
        for mine in [h for h in headers if h.lower() == name.lower()]:
            del headers[mine]
        headers[name] = value
    return headers


def error_body(status: int, text: str) -> tuple[object, str]:
    """The body of an error answer (its JSON's `error` object if it has one) and the
    fallback message, as the OpenAI SDK made them."""
    text = text.strip()
    try:
        body: object = json.loads(text)
    except ValueError:
        return text, text or f"Error code: {status}"
    message = f"Error code: {status} - {body}"
    if isinstance(body, dict):
        body = body.get("error", body)
    return body, message


async def _closing(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    """Closes `session` on `ModelClient.aclose` (the thread manager's shutdown), else when
    the event loop shuts its async generators down (`asyncio.run` does on exit) or the
    client that holds this generator is dropped (a client replaced after a config change)."""
    try:
        yield
    finally:
        await session.close()


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
        self._key: str | None = None
        self._headers: dict[str, str] = {}
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        self._closer: AsyncGenerator[None, None] | None = None

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

    def _request_headers(self) -> dict[str, str]:
        key = self.api_key()
        if key != self._key or not self._headers:
            self._headers = request_headers(key, provider_headers(self.provider))
            self._key = key
        return self._headers

    async def _client(self) -> aiohttp.ClientSession:
        """The session (its connection pool), made in the running loop on first use."""
        import aiohttp

        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._session_loop is not loop:
            idle = self.provider.stream_idle_timeout_ms / 1000
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(
                    total=None, sock_connect=CONNECT_TIMEOUT, sock_read=idle
                ),
                trust_env=True,  # proxies from the environment, as the SDK honoured them
            )
            self._session_loop = loop
            self._closer = _closing(self._session)
            await anext(self._closer)
        return self._session

    async def aclose(self) -> None:
        """Close the session and its connections."""
        closer, self._closer, self._session = self._closer, None, None
        if closer is not None:
            await closer.aclose()

    def _redacted(self, error: ModelError) -> ModelError:
        """`error` with the key, header values and key-shaped text taken out of its text
        (in place, so its cause and classification stay)."""
        error.message = redact(error.message, self._key)
        error.args = (error.message,)
        if error.details is not None:
            error.details = redact(error.details, self._key)
        return error

    def _broken(self, message: str) -> ModelError:
        error = ModelError(
            f"the model stream broke: {message}", "responseStreamDisconnected", retry="stream"
        )
        return self._redacted(error)

    async def stream(self, prompt: Prompt, attempt: int = 1) -> AsyncIterator[ModelEvent]:
        """One attempt (`attempt`: its number, for telemetry): yields model events; raises
        `ModelError` (classified, redacted) on failure."""
        from ...lazy import importing

        with importing():  # aiohttp: no garbage collection meanwhile
            import aiohttp

            # The wire translators and stream telemetry load with the first turn.
            from ..telemetry.model_stream import observe_stream, report_request
            from . import chat_wire, responses_wire
            from .sse import StreamError, json_events

        try:
            headers = self._request_headers()
        except ModelError as exc:
            self._redacted(exc)
            raise
        session = await self._client()
        telemetry = current_telemetry()
        started = time.monotonic()
        if self.provider.wire_api == "chat":
            path, body = "/chat/completions", chat_wire.request_body(prompt)
            translate = chat_wire.translate
        else:
            path, body = "/responses", responses_wire.request_body(prompt)
            translate = responses_wire.translate
        try:
            response = await session.post(
                endpoint(base_url(self.provider), path),
                data=json.dumps(body).encode(),
                headers=headers,
                params=self.provider.query_params or None,
            )
        except TimeoutError as exc:
            error = ModelError(
                "timed out connecting to the model", "httpConnectionFailed", retry="request"
            )
            report_request(telemetry, attempt, started, error=error.message)
            raise error from exc
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            error = ModelError(
                f"cannot reach the model at {base_url(self.provider)}: {root_cause(exc)}",
                "httpConnectionFailed",
                retry="request",
            )
            self._redacted(error)
            report_request(telemetry, attempt, started, error=error.message)
            raise error from exc
        done = False
        try:
            if response.status >= 400:
                try:
                    text = await response.text(errors="replace")
                except (aiohttp.ClientError, OSError, TimeoutError):
                    text = ""
                error_json, message = error_body(response.status, text)
                error = classify_status(response.status, error_json, response.headers, message)
                error.rate_limits = parse_rate_limits(response.headers)
                self._redacted(error)
                report_request(telemetry, attempt, started, response.status, error.message)
                # The HTTP error stays as the cause, for debugging (logs redact it).
                raise error from aiohttp.ClientResponseError(
                    response.request_info,
                    response.history,
                    status=response.status,
                    message=response.reason or "",
                    headers=response.headers,
                )
            events: AsyncIterator[Any] = json_events(response.content.readany)
            if telemetry is not None:
                report_request(telemetry, attempt, started, response.status)
                events = observe_stream(events, telemetry)
            snapshot = parse_rate_limits(response.headers)
            if snapshot is not None:
                yield RateLimits(snapshot)
            try:
                async for event in translate(events):
                    yield event
            except ModelError as exc:
                self._redacted(exc)
                raise
            except (StreamError, ValueError) as exc:
                raise self._broken(str(exc)) from exc
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                # Reset, cut short mid-body, or no bytes for `stream_idle_timeout_ms`.
                raise self._broken(root_cause(exc)) from exc
            done = True
        finally:
            if done:
                response.release()
            else:
                response.close()  # an error, or the consumer stopped: drop the connection


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

    async def aclose(self) -> None:
        """Close every client's session and connections (the server's or exec's stop)."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
