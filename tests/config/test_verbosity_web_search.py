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
