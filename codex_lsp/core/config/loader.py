"""Load `$CODEX_HOME/config.toml` without ever failing: a broken file means defaults + a warning."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from .model import CodexConfig

CONFIG_FILE = "config.toml"


def codex_home() -> Path:
    """`$CODEX_HOME`, else `~/.codex`."""
    env = os.environ.get("CODEX_HOME")
    return Path(env).expanduser() if env else Path.home() / ".codex"


@dataclass
class LoadedConfig:
    """The parsed file, where it lives, and what was wrong with it."""

    config: CodexConfig
    path: Path
    warnings: list[str] = field(default_factory=list)


def load_config(home: Path) -> LoadedConfig:
    """Read and validate `config.toml` under `home`."""
    path = home / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LoadedConfig(CodexConfig(), path)
    except OSError as exc:
        return LoadedConfig(CodexConfig(), path, [f"{path}: cannot read: {exc.strerror}"])
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # The message carries "(at line L, column C)".
        return LoadedConfig(CodexConfig(), path, [f"{path}: invalid TOML: {exc}; using defaults"])
    try:
        config = CodexConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        return LoadedConfig(CodexConfig(), path, [f"{path}: {problems}; using defaults"])
    warnings = [f"{path}: unknown key `{key}` (kept, ignored)" for key in config.model_extra or {}]
    return LoadedConfig(config, path, warnings)
