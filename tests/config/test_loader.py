"""Loading config.toml: never fails, and says where the problem is."""

from __future__ import annotations

import hashlib
from pathlib import Path

from codex_lsp.core.config.loader import load_config, locate_key, split_dotted


def write(home: Path, text: str) -> Path:
    """Write `config.toml` under `home`."""
    path = home / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_is_defaults_without_warnings(tmp_path: Path) -> None:
    loaded = load_config(tmp_path)
    assert loaded.config.model is None
    assert loaded.warnings == []
    assert loaded.usable
    assert loaded.version == "sha256:" + hashlib.sha256(b"").hexdigest()


def test_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, 'model = "gpt-5.1"\n\napproval_policy = = "never"\n')
    loaded = load_config(tmp_path)
    assert not loaded.usable
    assert loaded.config.model is None  # defaults
    [problem] = loaded.problems
    assert (problem.line, problem.column) == (3, 19)
    assert str(path) in loaded.warnings[0]
    assert "line 3, column 19" in loaded.warnings[0]
    assert "defaults" in loaded.warnings[0]


def test_unterminated_table_at_end_of_document(tmp_path: Path) -> None:
    write(tmp_path, 'model = "x"\n[profiles.fast')
    [problem] = load_config(tmp_path).problems
    assert problem.line == 2 and problem.column is not None


def test_schema_error_is_located(tmp_path: Path) -> None:
    write(
        tmp_path,
        '# comment\nmodel = "m"\n\n[model_providers.local]\nname = "L"\n'
        'request_max_retries = "lots"\n',
    )
    loaded = load_config(tmp_path)
    assert not loaded.usable
    [problem] = loaded.problems
    assert problem.line == 6
    assert "model_providers.local.request_max_retries" in problem.message
    assert "line 6:" in loaded.warnings[0]


def test_unknown_keys_kept_and_warned_with_lines(tmp_path: Path) -> None:
    write(
        tmp_path,
        'model = "m"\nshiny = 1\n[model_providers.p]\nbase_url = "http://h"\nturbo = true\n'
        '[profiles.fast]\nmodel_turbo = "low"\n',
    )
    loaded = load_config(tmp_path)
    assert loaded.usable
    assert loaded.config.model_extra == {"shiny": 1}
    by_line = {p.line: p.message for p in loaded.problems}
    assert "`shiny`" in by_line[2]
    assert "`model_providers.p.turbo`" in by_line[5]
    assert "`profiles.fast.model_turbo`" in by_line[7]


def test_values_the_server_cannot_use_are_warned_about(tmp_path: Path) -> None:
    write(
        tmp_path,
        'approval_policy = "sometimes"\nmodel_provider = "nowhere"\nprofile = "ghost"\n'
        '[profiles.fast]\nsandbox_mode = "yolo"\n',
    )
    loaded = load_config(tmp_path)
    assert loaded.usable  # thread/start reports these precisely
    text = "\n".join(loaded.warnings)
    assert "approval_policy: 'sometimes' is not one of" in text
    assert "unknown model provider 'nowhere'" in text
    assert "profile 'ghost' is not defined" in text
    assert "profiles.fast.sandbox_mode" in text


def test_locate_key_and_dotted_keys() -> None:
    text = (
        'a = 1\nsandbox_workspace_write.network_access = true\n["model_providers"."x.y"]\n'
        "base_url = 'u'\n"
    )
    assert locate_key(text, ["a"]) == 1
    assert locate_key(text, ["sandbox_workspace_write", "network_access"]) == 2
    assert locate_key(text, ["model_providers", "x.y"]) == 3
    assert locate_key(text, ["model_providers", "x.y", "base_url"]) == 4
    assert locate_key(text, ["nothing"]) is None
    assert split_dotted('a."b.c".d') == ["a", "b.c", "d"]
