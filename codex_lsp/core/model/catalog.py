"""The models a user can pick: OpenAI's presets, or what a custom provider serves.

For the `openai` provider the list is the built-in presets (`presets.py`). For any other
provider it is the provider's own `GET {base_url}/models` (e.g. the models an Ollama server
has pulled), fetched with a short timeout and cached briefly. Pages are cut with an opaque
cursor.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ...protocol.model_catalog import Model, ReasoningEffortOption
from ..config.model import ProviderConfig
from ..redact import redact
from .client import (
    ModelClient,
    OpenAIKeySource,
    base_url,
    endpoint,
    error_body,
    provider_headers,
    request_headers,
)
from .errors import ModelError, root_cause
from .presets import PRESETS, ModelPreset

OPENAI_PROVIDER = "openai"
LIST_TIMEOUT_S = 5.0
CACHE_TTL_S = 30.0


class ModelCatalogError(RuntimeError):
    """The provider's model list could not be fetched; the message says why."""


class InvalidModelCursor(ValueError):
    """A cursor this server did not hand out."""


def preset_model(preset: ModelPreset, is_default: bool) -> Model:
    """The wire entry of a preset."""
    return Model(
        id=preset.model,
        model=preset.model,
        display_name=preset.display_name,
        description=preset.description,
        hidden=preset.hidden,
        is_default=is_default,
        default_reasoning_effort=preset.default_effort,
        supported_reasoning_efforts=[
            ReasoningEffortOption(reasoning_effort=o.effort, description=o.description)
            for o in preset.efforts
        ],
    )


def _plain_model(model_id: str, description: str, is_default: bool) -> Model:
    return Model(
        id=model_id,
        model=model_id,
        display_name=model_id,
        description=description,
        hidden=False,
        is_default=is_default,
        default_reasoning_effort=None,
        supported_reasoning_efforts=[],
    )


def preset_models(configured: str, include_hidden: bool) -> list[Model]:
    """The presets (hidden ones only on request, or when configured); the configured model is
    flagged as default and listed first when it is not a preset."""
    models = [
        preset_model(p, p.model == configured)
        for p in PRESETS
        if include_hidden or not p.hidden or p.model == configured
    ]
    if not any(m.is_default for m in models):
        models.insert(0, _plain_model(configured, "The model set in your configuration.", True))
    return models


def encode_cursor(offset: int) -> str:
    """An opaque cursor for the page starting at `offset`."""
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_cursor(cursor: str) -> int:
    """The offset inside a cursor; `InvalidModelCursor` when it is not one of ours."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        offset = data["offset"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise InvalidModelCursor(f"invalid cursor {cursor!r}") from exc
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidModelCursor(f"invalid cursor {cursor!r}")
    return offset


def paginate(
    models: Sequence[Model], cursor: str | None, limit: int | None
) -> tuple[list[Model], str | None]:
    """One page and the cursor of the next (None on the last page)."""
    start = decode_cursor(cursor) if cursor else 0
    end = len(models) if limit is None else start + limit
    next_cursor = encode_cursor(end) if end < len(models) else None
    return list(models[start:end]), next_cursor


@dataclass
class _Cached:
    expires: float
    ids: list[str]


class ModelCatalog:
    """Lists models per provider; the lists of custom providers are cached for a moment."""

    def __init__(
        self,
        openai_key: OpenAIKeySource,
        *,
        timeout_s: float = LIST_TIMEOUT_S,
        ttl_s: float = CACHE_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._openai_key = openai_key
        self._timeout_s = timeout_s
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[str, _Cached] = {}

    async def models(
        self,
        provider_id: str,
        provider: ProviderConfig,
        configured: str,
        include_hidden: bool = False,
    ) -> list[Model]:
        """Every model of the provider; `configured` is flagged `isDefault`."""
        if provider_id == OPENAI_PROVIDER:
            return preset_models(configured, include_hidden)
        ids = await self.provider_model_ids(provider_id, provider)
        name = provider.name or provider_id
        models = [_plain_model(i, f"Served by {name}.", i == configured) for i in ids]
        if configured not in ids:
            note = f"The configured model; provider {provider_id!r} does not list it."
            models.insert(0, _plain_model(configured, note, True))
        return models

    async def provider_model_ids(self, provider_id: str, provider: ProviderConfig) -> list[str]:
        """`GET {base_url}/models` of a provider (cached for a short while)."""
        key = json.dumps([provider_id, provider.model_dump(mode="json")], sort_keys=True)
        cached = self._cache.get(key)
        now = self._clock()
        if cached is not None and cached.expires > now:
            return list(cached.ids)
        ids = await self._fetch(provider_id, provider)
        self._cache[key] = _Cached(now + self._ttl_s, ids)
        return list(ids)

    async def _fetch(self, provider_id: str, provider: ProviderConfig) -> list[str]:
        import aiohttp

        where = f"provider {provider_id!r} at {provider.base_url or 'the default OpenAI URL'}"
        try:
            key = ModelClient(provider_id, provider, self._openai_key).api_key()
        except ModelError as exc:
            raise ModelCatalogError(f"cannot list the models of {where}: {exc}") from exc
        headers = request_headers(key, provider_headers(provider), accept="application/json")
        timeout = aiohttp.ClientTimeout(total=self._timeout_s)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout, trust_env=True) as session,
                session.get(
                    endpoint(base_url(provider), "/models"),
                    headers=headers,
                    params=provider.query_params or None,
                ) as response,
            ):
                text = await response.text(errors="replace")
                if response.status >= 400:
                    message = error_body(response.status, text)[1]
                    raise ModelCatalogError(
                        f"cannot list the models of {where}: HTTP {response.status}: "
                        + redact(message, key)
                    )
                return [str(m["id"]) for m in json.loads(text)["data"]]
        except TimeoutError as exc:
            raise ModelCatalogError(
                f"cannot list the models of {where}: no answer within {self._timeout_s:g}s"
            ) from exc
        except (aiohttp.ClientError, OSError, ValueError, LookupError, TypeError) as exc:
            raise ModelCatalogError(
                f"cannot list the models of {where}: {redact(root_cause(exc), key)}"
            ) from exc
