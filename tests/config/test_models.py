"""Model presets, context windows, pagination, and a provider's own model list."""

from __future__ import annotations

import pytest

from codex_lsp.core.config.model import ProviderConfig
from codex_lsp.core.config.settings import context_window_for
from codex_lsp.core.model.catalog import (
    InvalidModelCursor,
    ModelCatalog,
    ModelCatalogError,
    decode_cursor,
    encode_cursor,
    paginate,
    preset_models,
)
from codex_lsp.core.model.presets import PRESETS, known_auto_compact_limit
from codex_lsp.mock_model import MockModelServer


def test_presets_are_consistent() -> None:
    assert len({p.model for p in PRESETS}) == len(PRESETS)
    for preset in PRESETS:
        efforts = [o.effort for o in preset.efforts]
        assert preset.default_effort in efforts
        assert all(o.description for o in preset.efforts)
        assert 0 < preset.auto_compact_token_limit < preset.context_window


def test_context_windows_come_from_the_presets() -> None:
    assert context_window_for("gpt-5.1-codex", None) == 272_000
    assert context_window_for("gpt-5.1-codex", 1000) == 1000
    assert context_window_for("gpt-4.1-mini", None) == 1_047_576
    assert context_window_for("gpt-oss:20b", None) == 131_072
    assert context_window_for("llama3", None) is None
    assert known_auto_compact_limit("gpt-5.1-codex") == 244_800


def test_preset_listing() -> None:
    models = preset_models("gpt-5.1-codex", include_hidden=False)
    assert [m.id for m in models if m.is_default] == ["gpt-5.1-codex"]
    assert not any(m.hidden for m in models)
    hidden = preset_models("gpt-5", include_hidden=False)
    assert [m.id for m in hidden if m.is_default] == ["gpt-5"]  # configured: shown anyway
    custom = preset_models("my-finetune", include_hidden=False)
    assert custom[0].id == "my-finetune" and custom[0].is_default


def test_pagination() -> None:
    models = preset_models("gpt-5.1-codex", include_hidden=True)
    pages = []
    cursor = None
    while True:
        page, cursor = paginate(models, cursor, 3)
        pages.append(page)
        if cursor is None:
            break
    assert [m for p in pages for m in p] == models
    assert all(len(p) == 3 for p in pages[:-1])
    assert paginate(models, None, None) == (models, None)
    assert decode_cursor(encode_cursor(7)) == 7
    for bad in ("garbage", encode_cursor(0)[:-2] + "!!", "eyJvZmZzZXQiOiAtMX0="):
        with pytest.raises(InvalidModelCursor):
            decode_cursor(bad)


async def test_provider_models_listed_and_cached() -> None:
    now = [0.0]
    catalog = ModelCatalog(lambda: None, ttl_s=30, clock=lambda: now[0], timeout_s=2)
    server = MockModelServer(models=["a", "b"])
    await server.start()
    provider = ProviderConfig(name="Local", base_url=server.url, wire_api="chat")
    try:
        models = await catalog.models("local", provider, "b")
        assert [(m.id, m.is_default) for m in models] == [("a", False), ("b", True)]
        assert models[0].description == "Served by Local."
        missing = await catalog.models("local", provider, "c")
        assert missing[0].id == "c" and missing[0].is_default
    finally:
        await server.stop()
    # Cached for a while, then fetched again (and the failure is explained).
    assert [m.id for m in await catalog.models("local", provider, "a")] == ["a", "b"]
    now[0] = 31.0
    with pytest.raises(ModelCatalogError) as err:
        await catalog.models("local", provider, "a")
    assert "'local'" in str(err.value) and server.url in str(err.value)


async def test_provider_errors_are_explained() -> None:
    server = MockModelServer(require_api_key="secret")
    await server.start()
    try:
        catalog = ModelCatalog(lambda: None)
        provider = ProviderConfig(base_url=server.url, env_key="NO_SUCH_KEY_VAR_FOR_TEST")
        with pytest.raises(ModelCatalogError) as err:
            await catalog.models("p", provider, "m")
        assert "NO_SUCH_KEY_VAR_FOR_TEST" in str(err.value)
        with pytest.raises(ModelCatalogError) as err:
            await catalog.models("p", ProviderConfig(base_url=server.url), "m")
        assert "HTTP 401" in str(err.value)
    finally:
        await server.stop()
