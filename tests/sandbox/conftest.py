"""Fixtures for the sandbox tests: a workspace with a `.git`, and a directory that is
outside every writable root (the system temp directory is writable, so it lives under
/var/tmp)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A project directory with a file and a `.git` holding a config."""
    root = tmp_path / "project"
    (root / ".git" / "hooks").mkdir(parents=True)
    (root / ".git" / "config").write_text("[core]\n")
    (root / "README.md").write_text("hello\n")
    return root


@pytest.fixture
def outside() -> Iterator[Path]:
    """A directory outside the writable roots (under /var/tmp), removed afterwards."""
    base = Path("/var/tmp")
    if not base.is_dir():
        base = Path.home()
    path = Path(tempfile.mkdtemp(prefix="codex-sandbox-outside-", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
