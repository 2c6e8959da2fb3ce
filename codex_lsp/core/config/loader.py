"""Load `$CODEX_HOME/config.toml` without ever failing: a broken file means defaults + a warning.

Every problem names the file and, when it can be found, the line (and for syntax errors the
column), so the editor can tell the user exactly what to fix.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .model import CodexConfig, semantic_problems, unknown_keys
from .settings import BUILTIN_PROVIDERS

CONFIG_FILE = "config.toml"
VERSION_PREFIX = "sha256:"


def content_version(data: bytes) -> str:
    """The version of a config file: a hash of its bytes (`sha256:<hex>`; empty when missing)."""
    return VERSION_PREFIX + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class ConfigProblem:
    """Something wrong in `config.toml`: where, what, and whether the file was ignored."""

    path: Path
    message: str
    line: int | None = None
    column: int | None = None
    fatal: bool = False

    def __str__(self) -> str:
        where = ""
        if self.line is not None:
            where = f" line {self.line}"
            if self.column is not None:
                where += f", column {self.column}"
            where += ":"
        tail = "; using the built-in defaults until it is fixed" if self.fatal else ""
        return f"{self.path}:{where} {self.message}{tail}"


@dataclass
class LoadedConfig:
    """The parsed file, where it lives, its version, and what was wrong with it."""

    config: CodexConfig
    path: Path
    warnings: list[str] = field(default_factory=list)
    problems: list[ConfigProblem] = field(default_factory=list)
    version: str = field(default_factory=lambda: content_version(b""))

    @property
    def usable(self) -> bool:
        """False when the file could not be used at all (the config is the defaults)."""
        return not any(p.fatal for p in self.problems)


_TOML_POSITION = re.compile(r"^(?P<msg>.*?)\s*\(at line (?P<line>\d+), column (?P<col>\d+)\)$")


def toml_error_position(exc: tomllib.TOMLDecodeError, text: str) -> tuple[str, int, int]:
    """The message, line and column of a TOML syntax error (tomllib puts them in the text)."""
    message = str(exc)
    match = _TOML_POSITION.match(message)
    if match:
        return match["msg"], int(match["line"]), int(match["col"])
    if message.endswith("(at end of document)"):
        lines = text.splitlines() or [""]
        return message.removesuffix("(at end of document)").strip(), len(lines), len(lines[-1]) + 1
    return message, 1, 1


_HEADER = re.compile(r"^\s*\[\[?(?P<key>[^\[\]]+)\]\]?\s*(#.*)?$")
_ASSIGNMENT = re.compile(r"""^\s*(?P<key>[A-Za-z0-9_\-."' ]+?)\s*=""")


def split_dotted(key: str) -> list[str]:
    """`a."b.c".d` -> `["a", "b.c", "d"]` (TOML dotted keys; quotes protect dots)."""
    parts: list[str] = []
    current = ""
    quote: str | None = None
    for char in key:
        if quote:
            if char == quote:
                quote = None
            else:
                current += char
        elif char in "\"'":
            quote = char
        elif char == ".":
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return parts


def locate_key(text: str, loc: tuple[Any, ...] | list[Any]) -> int | None:
    """The 1-based line where the key at `loc` (or the nearest enclosing key) is written."""
    path = [str(p) for p in loc]
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = split_dotted(header["key"])
            if table and table == path[: len(table)] and len(table) == len(path):
                return number
            continue
        assignment = _ASSIGNMENT.match(line)
        if assignment:
            full = table + split_dotted(assignment["key"])
            if full == path[: len(full)]:
                return number
    return None


def parse_config_text(path: Path, text: str) -> LoadedConfig:
    """Parse and validate the text of `config.toml` found at `path`."""
    version = content_version(text.encode("utf-8"))
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, line, column = toml_error_position(exc, text)
        problem = ConfigProblem(path, f"invalid TOML: {message}", line, column, fatal=True)
        return _loaded(CodexConfig(), path, [problem], version)
    try:
        config = CodexConfig.model_validate(raw)
    except ValidationError as exc:
        problems = [
            ConfigProblem(
                path,
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}",
                locate_key(text, err["loc"]),
                fatal=True,
            )
            for err in exc.errors()
        ]
        return _loaded(CodexConfig(), path, problems, version)
    problems = [
        ConfigProblem(path, f"unknown key `{'.'.join(loc)}` (kept, ignored)", locate_key(text, loc))
        for loc in unknown_keys(config)
    ]
    problems += [
        ConfigProblem(path, f"{'.'.join(loc)}: {message}", locate_key(text, loc))
        for loc, message in semantic_problems(config, BUILTIN_PROVIDERS)
    ]
    return _loaded(config, path, problems, version)


def _loaded(
    config: CodexConfig, path: Path, problems: list[ConfigProblem], version: str
) -> LoadedConfig:
    return LoadedConfig(config, path, [str(p) for p in problems], problems, version)


def load_config(home: Path) -> LoadedConfig:
    """Read and validate `config.toml` under `home`; never raises."""
    path = home / CONFIG_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return LoadedConfig(CodexConfig(), path)
    except OSError as exc:
        problem = ConfigProblem(path, f"cannot read: {exc.strerror}", fatal=True)
        return _loaded(CodexConfig(), path, [problem], content_version(b""))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problem = ConfigProblem(path, "not valid UTF-8", line, fatal=True)
        return _loaded(CodexConfig(), path, [problem], content_version(data))
    return parse_config_text(path, text)
