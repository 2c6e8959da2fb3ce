"""The configuration service: the loaded `config.toml`, its layered view, and safe writes.

Writes are optimistic: every version of the file is a hash of its bytes. A write naming an
`expected_version` that is no longer the file's is refused, so two editors (or an editor and
a human with a text editor) never silently overwrite each other. Writes within one process
are serialized by a lock, and across processes by an advisory lock file where the platform
has `fcntl`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ...protocol.initialize import EditorSettings
from ..private_files import open_private, private_dir
from .loader import CONFIG_FILE, LoadedConfig, content_version, load_config
from .origins import LayeredConfig, build_layers
from .settings import ThreadRequest

if TYPE_CHECKING:
    from .writer import ConfigEdit

log = logging.getLogger(__name__)

LOCK_FILE = ".config.toml.lock"


@dataclass(frozen=True)
class WriteOutcome:
    """A successful write: `overridden` when a higher layer still hides a written value."""

    status: Literal["ok", "okOverridden"]
    version: str
    path: Path


class ConfigService:
    """Owns `$CODEX_HOME/config.toml` for one server process."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = home / CONFIG_FILE
        self._lock = threading.Lock()
        self._stamp = self._file_stamp()
        self.loaded: LoadedConfig = load_config(home)

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def reload(self) -> LoadedConfig:
        """Read the file again (after a write, or when it changed on disk)."""
        self._stamp = self._file_stamp()
        self.loaded = load_config(self.home)
        return self.loaded

    def refresh(self) -> bool:
        """Reload when the file changed on disk since it was read (e.g. edited by hand)."""
        if self._file_stamp() == self._stamp:
            return False
        with self._lock:
            loaded = self.reload()
        log.info("%s changed on disk: reloaded", self.path)
        for warning in loaded.warnings:
            log.warning("%s", warning)
        return True

    def current_version(self) -> str:
        """The version of the file on disk now (a missing file has the empty version)."""
        try:
            return content_version(self.path.read_bytes())
        except FileNotFoundError:
            return content_version(b"")

    def read(self, editor: EditorSettings, request: ThreadRequest | None = None) -> LayeredConfig:
        """The effective config for this editor (and thread request) with every origin."""
        return build_layers(self.loaded.config, str(self.path), editor, request)

    def write(
        self,
        edits: Sequence[ConfigEdit],
        expected_version: str | None,
        editor: EditorSettings | None = None,
    ) -> WriteOutcome:
        """Apply `edits` to the file atomically, then reload it. Raises `ConfigWriteError`.

        With no edits nothing is written and the current version is returned.
        """
        # tomlkit loads with the first write, not at start-up (codex_lsp/lazy.py).
        from .writer import ConfigWriteError, apply_edits, check_result, write_atomic

        with self._lock, _file_lock(self.home / LOCK_FILE):
            try:
                data = self.path.read_bytes()
            except FileNotFoundError:
                data = b""
            version = content_version(data)
            if expected_version is not None and expected_version != version:
                raise ConfigWriteError(
                    f"{self.path} changed since version {expected_version} (it is now "
                    f"{version}); read it again and retry",
                    field="expectedVersion",
                    kind="config_version_conflict",
                )
            if not edits:
                return WriteOutcome("ok", version, self.path)
            try:
                old_text = data.decode("utf-8")
            except UnicodeDecodeError:
                raise ConfigWriteError(
                    f"{self.path} is not valid UTF-8; fix it by hand first",
                    kind="config_file_invalid",
                ) from None
            new_text = apply_edits(old_text, edits)
            check_result(old_text, new_text, edits)
            if new_text != old_text:
                write_atomic(self.path, new_text)
            self.reload()
            new_version = content_version(new_text.encode("utf-8"))
        overridden = editor is not None and self._overridden(edits, editor)
        return WriteOutcome("okOverridden" if overridden else "ok", new_version, self.path)

    def _overridden(self, edits: Sequence[ConfigEdit], editor: EditorSettings) -> bool:
        """True when a value just written is hidden by the profile or editor layer."""
        layered = self.read(editor)
        for edit in edits:
            if edit.value is None:
                continue
            origin = layered.origin_of(edit.key_path)
            if origin is not None and origin.layer in ("profile", "editor", "thread"):
                return True
        return False


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on `path` (no-op where `fcntl` is missing)."""
    try:
        import fcntl
    except ImportError:  # Windows: the in-process lock still holds
        yield
        return
    private_dir(path.parent)
    with open_private(path, "ab") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
