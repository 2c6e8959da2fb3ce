"""`model_verbosity` and `[tools] web_search`: validated naming the key, layered."""

from __future__ import annotations

from pathlib import Path

import pytest

from codex_lsp.core.config.loader import CONFIG_FILE, LoadedConfig, load_config
from codex_lsp.core.config.settings import SettingsError, ThreadRequest, resolve
from codex_lsp.protocol.initialize import EditorSettings


def _load(tmp_path: Path, text: str) -> LoadedConfig:
    (tmp_path / CONFIG_FILE).write_text(text)
    return load_config(tmp_path)


def test_defaults_send_nothing(tmp_path: Path) -> None:
    loaded = _load(tmp_path, 'model = "gpt-5"\n')
    s = resolve(loaded.config, EditorSettings(), ThreadRequest(), str(tmp_path))
    assert s.model_verbosity is None and s.web_search is False


def test_file_profile_and_thread_overrides(tmp_path: Path) -> None:
    loaded = _load(
        tmp_path,
        'model_verbosity = "high"\n[tools]\nweb_search = true\n'
        '[profiles.quiet]\nmodel_verbosity = "low"\n',
    )
    assert not loaded.problems
    s = resolve(loaded.config, EditorSettings(), ThreadRequest(), str(tmp_path))
    assert (s.model_verbosity, s.web_search) == ("high", True)
    s = resolve(
        loaded.config,
        EditorSettings(),
        ThreadRequest(config={"profile": "quiet", "tools": {"web_search": False}}),
        str(tmp_path),
    )
    assert (s.model_verbosity, s.web_search) == ("low", False)
    s = resolve(
        loaded.config,
        EditorSettings(),
        ThreadRequest(config={"model_verbosity": "medium", "tools.web_search": False}),
        str(tmp_path),
    )
    assert (s.model_verbosity, s.web_search) == ("medium", False)


def test_bad_values_name_the_key(tmp_path: Path) -> None:
    loaded = _load(tmp_path, 'model_verbosity = "loud"\n[tools]\nzap = 1\n')
    assert loaded.usable
    text = "\n".join(loaded.warnings)
    assert "model_verbosity: 'loud' is not one of low, medium, high" in text
    assert "`tools.zap`" in text
    broken = _load(tmp_path, '[tools]\nweb_search = "yes"\n')
    assert not broken.usable
    assert "line 2: tools.web_search" in broken.warnings[0]
    bad_mode = _load(tmp_path, 'web_search = "sometimes"\n')
    assert "web_search: 'sometimes' is not one of disabled, cached, indexed, live" in "\n".join(
        bad_mode.warnings
    )
    with pytest.raises(SettingsError, match="model_verbosity: 'loud'"):
        resolve(
            _load(tmp_path, "").config,
            EditorSettings(),
            ThreadRequest(config={"model_verbosity": "loud"}),
            str(tmp_path),
        )
    with pytest.raises(SettingsError, match=r"tools\.web_search"):
        resolve(
            _load(tmp_path, "").config,
            EditorSettings(),
            ThreadRequest(config={"tools.web_search": "on"}),
            str(tmp_path),
        )


def test_codex_0_169_forms(tmp_path: Path) -> None:
    """Codex 0.169's `[tools.web_search]` table and top-level `web_search` mode."""

    def enabled(text: str, overrides: dict[str, object] | None = None) -> bool:
        loaded = _load(tmp_path, text)
        assert loaded.usable, loaded.warnings
        request = ThreadRequest(config=overrides)
        return resolve(loaded.config, EditorSettings(), request, str(tmp_path)).web_search

    assert enabled('[tools.web_search]\ncontext_size = "low"\n')
    assert enabled('web_search = "live"\n')
    assert enabled('web_search = "cached"\n')
    assert not enabled('web_search = "disabled"\n')
    assert not enabled('web_search = "live"\n[tools]\nweb_search = false\n')
    assert not enabled('web_search = "live"\n', {"web_search": "disabled"})
    assert enabled("", {"web_search": "indexed"})
