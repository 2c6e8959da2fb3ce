"""Files under `$CODEX_HOME` are the owner's only (0600, folders 0700) whatever the umask:
the helpers themselves, and each writer (rollouts, index, rate limits, auth.json,
config.toml) that uses them. The umask itself is never changed."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex_lsp.core.auth import FileStore
from codex_lsp.core.config.writer import write_atomic
from codex_lsp.core.model.rate_limit_store import RateLimitStore
from codex_lsp.core.private_files import (
    ensure_private_file,
    open_private,
    private_dir,
    write_private_atomic,
)
from codex_lsp.core.threads.index import ListQuery, ThreadIndex
from codex_lsp.core.threads.rollout import RolloutWriter
from codex_lsp.protocol.account import RateLimitSnapshot, RateLimitWindow

from .helpers import make_thread, meta


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o002, 0o000], ids=lambda v: f"umask{v:03o}")
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Run the test under a permissive umask (restored afterwards)."""
    value: int = request.param
    old = os.umask(value)
    try:
        yield value
    finally:
        os.umask(old)


def test_helpers_ignore_the_umask_and_leave_it_alone(tmp_path: Path, umask: int) -> None:
    folder = private_dir(tmp_path / "a" / "b")
    with open_private(folder / "x.jsonl", "xb") as handle:
        handle.write(b"{}\n")
    with open_private(folder / "x.jsonl", "ab") as handle:
        handle.write(b"{}\n")
    ensure_private_file(folder / "db.sqlite")
    write_private_atomic(folder / "state.json", "{}")
    user_file = tmp_path / "user.txt"
    user_file.write_text("made by the agent's tools")
    assert os.umask(umask) == umask  # unchanged
    assert mode(tmp_path / "a") == mode(folder) == 0o700
    for name in ("x.jsonl", "db.sqlite", "state.json"):
        assert mode(folder / name) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == ["db.sqlite", "state.json", "x.jsonl"]
    assert (folder / "x.jsonl").read_bytes() == b"{}\n{}\n"
    assert mode(user_file) == 0o666 & ~umask


def test_existing_files_are_tightened_unless_asked_to_keep_their_mode(tmp_path: Path) -> None:
    for name in ("append.jsonl", "ensured", "replaced.json", "kept.toml"):
        (tmp_path / name).write_text("old\n")
        (tmp_path / name).chmod(0o644)
    open_private(tmp_path / "append.jsonl", "ab").close()
    ensure_private_file(tmp_path / "ensured")
    write_private_atomic(tmp_path / "replaced.json", "new\n")
    write_private_atomic(tmp_path / "kept.toml", "new\n", keep_mode=True)
    write_private_atomic(tmp_path / "new.toml", "new\n", keep_mode=True)
    assert mode(tmp_path / "append.jsonl") == 0o600
    assert mode(tmp_path / "ensured") == 0o600
    assert (tmp_path / "ensured").read_text() == "old\n"
    assert mode(tmp_path / "replaced.json") == 0o600
    assert mode(tmp_path / "kept.toml") == 0o644
    assert (tmp_path / "kept.toml").read_text() == "new\n"
    assert mode(tmp_path / "new.toml") == 0o600
    ensure_private_file(tmp_path / "kept.toml", tighten=False)
    assert mode(tmp_path / "kept.toml") == 0o644


def test_private_dir_keeps_existing_folders_unless_told_to_tighten(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    private_dir(shared / "mine")
    assert mode(shared) == 0o755 and mode(shared / "mine") == 0o700
    private_dir(shared, tighten=True)
    assert mode(shared) == 0o700
    (tmp_path / "file").write_text("")
    with pytest.raises(FileExistsError):
        private_dir(tmp_path / "file")


def test_rollouts_and_their_folders(tmp_path: Path, umask: int) -> None:
    sessions = tmp_path / "home" / "sessions"
    with RolloutWriter.create(sessions, meta("t-1")) as writer:
        writer.append("turn_started", {"turnId": "u-1"})
        writer.release()
        writer.append("turn_started", {"turnId": "u-2"})  # reopened
    path = writer.path
    assert mode(path) == 0o600
    folder = path.parent
    while folder != tmp_path:
        assert mode(folder) == 0o700, folder
        folder = folder.parent
    path.chmod(0o644)  # as an older version left it
    RolloutWriter.open_append(path).close()
    assert mode(path) == 0o600


def test_thread_index_database_and_its_wal(tmp_path: Path, umask: int) -> None:
    home = tmp_path / "home"
    make_thread(home / "sessions", "t-1", created_at=1_700_000_000, text="hello")
    (home / "sessions").chmod(0o755)  # an older version's folder
    index = ThreadIndex(home)
    try:
        page, _cursor = index.list(ListQuery())
        assert [summary.id for summary in page] == ["t-1"]
        files = [p for p in home.iterdir() if p.name.startswith("threads.sqlite")]
        assert {p.name for p in files} >= {"threads.sqlite", "threads.sqlite-wal"}
        for path in files:
            assert mode(path) == 0o600, path
        assert mode(home / "sessions") == 0o700
    finally:
        index.close()


def test_thread_index_tightens_an_older_database(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    ThreadIndex(home).close()
    for path in home.glob("threads.sqlite*"):
        path.chmod(0o644)
    index = ThreadIndex(home)
    try:
        for path in home.glob("threads.sqlite*"):
            assert mode(path) == 0o600, path
    finally:
        index.close()


def test_rate_limits_auth_and_config_files(tmp_path: Path, umask: int) -> None:
    home = tmp_path / "home"
    FileStore(home).save("unit-private-key-0123")
    store = RateLimitStore(home)
    window = RateLimitWindow(used_percent=5.0, window_duration_mins=60, resets_at=None)
    assert store.update(RateLimitSnapshot(primary=window)) is not None
    write_atomic(home / "config.toml", 'model = "m"\n')
    write_atomic(home / "profiles" / "extra.toml", "")
    assert mode(home) == 0o700
    assert mode(home / "profiles") == 0o700
    for name in ("auth.json", "rate_limits.json", "config.toml", "profiles/extra.toml"):
        assert mode(home / name) == 0o600, name
    # An existing rate_limits.json from an older version is replaced with a private one.
    (home / "rate_limits.json").chmod(0o644)
    window = RateLimitWindow(used_percent=50.0, window_duration_mins=60, resets_at=None)
    assert store.update(RateLimitSnapshot(primary=window)) is not None
    assert mode(home / "rate_limits.json") == 0o600
