"""The config/* requests."""

from __future__ import annotations

from typing import Any

from .base import WireModel
from .enums import MergeStrategy, WriteStatus
from .paths import AbsoluteDirectory


class ConfigReadParams(WireModel):
    """`codex/config/read` params."""

    cwd: AbsoluteDirectory | None = None


class ConfigOrigin(WireModel):
    """Where a config value came from (`default`, `file`, `profile`, `editor`, `thread`)."""

    layer: str
    file: str | None = None


class ConfigReadResult(WireModel):
    """The effective configuration and, per dotted key path, where each value came from."""

    config: dict[str, Any]
    origins: dict[str, ConfigOrigin]


class ConfigEdit(WireModel):
    """One edit of `config.toml`; `keyPath` is dotted (`model_providers.mock.base_url`)."""

    key_path: str
    value: Any = None
    merge_strategy: MergeStrategy = "replace"


class ConfigValueWriteParams(ConfigEdit):
    """`codex/config/value/write` params."""

    expected_version: str | None = None


class ConfigBatchWriteParams(WireModel):
    """`codex/config/batchWrite` params."""

    edits: list[ConfigEdit]
    expected_version: str | None = None


class ConfigWriteResult(WireModel):
    """Result of a config write: the file's new version."""

    status: WriteStatus
    version: str
    file_path: str
