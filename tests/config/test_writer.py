"""Editing config.toml: comments kept, validation, versions, atomic replacement."""

from __future__ import annotations

import os
import threading
import tomllib
from pathlib import Path

import pytest

from codex_lsp.core.config.loader import content_version
from codex_lsp.core.config.service import ConfigService
from codex_lsp.core.config.writer import ConfigEdit, ConfigWriteError, apply_edits, write_atomic
from codex_lsp.protocol.initialize import EditorSettings

COMMENTED = """\
# header comment
model = "gpt-5.1-codex"  # inline comment
approval_policy = "on-request"

# providers below
[model_providers.local]
name = "Local"  # the name
base_url = "http://127.0.0.1:1/v1"
http_headers = { X-A = "1" }

# profiles below
[profiles.fast]
model_reasoning_effort = "low"
"""


def edit(key: str, value: object, merge: str = "replace") -> ConfigEdit:
    """A ConfigEdit (typed loosely for brevity)."""
    assert merge in ("replace", "upsert")
    return ConfigEdit(key, value, "upsert" if merge == "upsert" else "replace")


def test_replace_keeps_every_comment() -> None:
    out = apply_edits(COMMENTED, [edit("model", "gpt-5.1"), edit("profiles.fast.model", "m")])
    assert out == COMMENTED.replace('"gpt-5.1-codex"  #', '"gpt-5.1"  #').replace(
        'model_reasoning_effort = "low"\n', 'model_reasoning_effort = "low"\nmodel = "m"\n'
    )


def test_new_top_level_key_goes_with_the_other_top_level_keys() -> None:
    out = apply_edits(COMMENTED, [edit("model_context_window", 1000)])
    lines = out.splitlines()
    assert lines[3] == "model_context_window = 1000"
    assert lines[5] == "# providers below"


def test_null_removes_and_missing_removal_is_a_no_op() -> None:
    out = apply_edits(COMMENTED, [edit("approval_policy", None), edit("nothing.here", None)])
    assert "approval_policy" not in out
    assert "nothing" not in out
    assert "# header comment" in out


def test_upsert_merges_tables_replace_replaces_them() -> None:
    value = {"http_headers": {"X-B": "2"}, "wire_api": "chat"}
    merged = tomllib.loads(apply_edits(COMMENTED, [edit("model_providers.local", value, "upsert")]))
    local = merged["model_providers"]["local"]
    assert local["name"] == "Local"
    assert local["http_headers"] == {"X-A": "1", "X-B": "2"}
    assert local["wire_api"] == "chat"
    replaced = tomllib.loads(apply_edits(COMMENTED, [edit("model_providers.local", value)]))
    assert replaced["model_providers"]["local"] == value


def test_new_tables_have_headers_and_deep_ones_are_inline() -> None:
    out = apply_edits(
        "",
        [
            edit("model_providers.p", {"base_url": "u", "http_headers": {"X": "1"}}),
            edit("sandbox_workspace_write.network_access", True),
            edit("mcp_servers.fs", {"command": "npx", "args": ["-y"], "env": {"A": "1"}}),
        ],
    )
    assert "[model_providers.p]" in out and "[sandbox_workspace_write]" in out
    assert "[mcp_servers.fs]" in out
    assert "[model_providers]" not in out  # super table, no empty header
    assert "http_headers = {" in out and "env = {" in out
    parsed = tomllib.loads(out)
    assert parsed["mcp_servers"]["fs"] == {"command": "npx", "args": ["-y"], "env": {"A": "1"}}
    assert parsed["sandbox_workspace_write"] == {"network_access": True}


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (edit("model.sub", 1), "keyPath"),
        (edit("a..b", 1), "keyPath"),
        (edit("", 1), "keyPath"),
        (edit("x", [1, None]), "value"),
        (edit("x", {"y": None}), "value"),
    ],
)
def test_malformed_edits(bad: ConfigEdit, field: str) -> None:
    with pytest.raises(ConfigWriteError) as err:
        apply_edits(COMMENTED, [edit("model", "ok"), bad])
    assert err.value.index == 1
    assert err.value.field == field


def test_unparseable_file_is_refused_with_position() -> None:
    with pytest.raises(ConfigWriteError) as err:
        apply_edits('model = "x"\n[broken\n', [edit("model", "y")])
    assert "line 2" in str(err.value)


@pytest.fixture
def service(tmp_path: Path) -> ConfigService:
    """A service over a commented config.toml."""
    (tmp_path / "config.toml").write_text(COMMENTED)
    return ConfigService(tmp_path)


def test_write_reloads_and_versions(service: ConfigService) -> None:
    old = service.current_version()
    assert old == content_version(COMMENTED.encode())
    outcome = service.write([edit("model", "gpt-5.1")], old)
    assert outcome.status == "ok"
    assert outcome.version == content_version(service.path.read_bytes())
    assert service.loaded.config.model == "gpt-5.1"
    assert service.loaded.version == outcome.version
    with pytest.raises(ConfigWriteError) as err:
        service.write([edit("model", "again")], old)
    assert err.value.field == "expectedVersion"
    assert "changed" in str(err.value)
    assert service.loaded.config.model == "gpt-5.1"


def test_invalid_results_are_refused_and_nothing_is_written(service: ConfigService) -> None:
    for bad in (
        edit("approval_policy", "sometimes"),
        edit("model_providers.local.stream_max_retries", -1),
        edit("model_provider", "nowhere"),
        edit("profile", "ghost"),
        edit("profiles.fast.model_reasoning_effort", "max"),
    ):
        with pytest.raises(ConfigWriteError) as err:
            service.write([edit("model", "fine"), bad], None)
        assert err.value.index == 1, bad
        assert bad.key_path in str(err.value)
        assert service.path.read_text() == COMMENTED


def test_a_problem_already_in_the_file_does_not_block_other_edits(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('approval_policy = "sometimes"\n')
    service = ConfigService(tmp_path)
    service.write([edit("model", "gpt-5.1")], None)
    assert service.loaded.config.model == "gpt-5.1"
    service.write([edit("approval_policy", "never")], None)  # and it can be fixed
    assert service.loaded.warnings == []


def test_write_creates_the_file(tmp_path: Path) -> None:
    service = ConfigService(tmp_path / "new-home")
    empty = service.current_version()
    outcome = service.write([edit("model", "gpt-5.1")], empty)
    assert (tmp_path / "new-home" / "config.toml").read_text() == 'model = "gpt-5.1"\n'
    assert outcome.version != empty


def test_empty_batch_only_reports_the_version(service: ConfigService) -> None:
    outcome = service.write([], None)
    assert outcome.version == service.current_version()
    assert service.path.read_text() == COMMENTED


def test_overridden_status(service: ConfigService) -> None:
    editor = EditorSettings(model="from-editor")
    assert service.write([edit("model", "gpt-5.1")], None, editor).status == "okOverridden"
    assert service.write([edit("review_model", "r")], None, editor).status == "ok"


def test_concurrent_writes_with_one_version_only_one_wins(service: ConfigService) -> None:
    version = service.current_version()
    results: list[str] = []

    def attempt(value: str) -> None:
        try:
            service.write([edit("model", value)], version)
            results.append("ok")
        except ConfigWriteError:
            results.append("refused")

    threads = [threading.Thread(target=attempt, args=(f"m{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert sorted(results) == ["ok"] + ["refused"] * 7


def test_refresh_picks_up_hand_edits(service: ConfigService) -> None:
    assert not service.refresh()
    service.path.write_text(COMMENTED.replace("gpt-5.1-codex", "gpt-5.1") + "\n")
    assert service.refresh()
    assert service.loaded.config.model == "gpt-5.1"


def test_write_atomic_keeps_mode_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("a = 1\n")
    os.chmod(path, 0o640)
    write_atomic(path, "a = 2\n")
    assert path.read_text() == "a = 2\n"
    assert path.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]
