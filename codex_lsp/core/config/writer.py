"""Edit `config.toml` in place: tomlkit keeps the user's comments and formatting.

`apply_edits` turns the file's text plus edits into new text; `check_result` refuses a
result the server could not use; `write_atomic` replaces the file safely (temp file in the
same directory, fsync, `os.replace`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeGuard

import tomlkit
from pydantic import ValidationError
from tomlkit.container import Container
from tomlkit.exceptions import ParseError, TOMLKitError
from tomlkit.items import AoT, InlineTable, Table

from ..private_files import write_private_atomic
from .loader import split_dotted
from .model import CodexConfig, semantic_problems
from .settings import BUILTIN_PROVIDERS

MergeStrategy = Literal["replace", "upsert"]
EditField = Literal["keyPath", "value", "expectedVersion"]


@dataclass(frozen=True)
class ConfigEdit:
    """Set (or with `value=None`, remove) the value at a dotted key path."""

    key_path: str
    value: Any
    merge: MergeStrategy = "replace"


class ConfigWriteError(ValueError):
    """A write was refused. `index` is the edit at fault, `field` the request field."""

    def __init__(
        self,
        message: str,
        *,
        field: EditField | None = None,
        index: int | None = None,
        kind: str = "value_error",
    ) -> None:
        super().__init__(message)
        self.field = field
        self.index = index
        self.kind = kind


def parse_key_path(key_path: str) -> list[str]:
    """`model_providers.mock.base_url` -> its keys; quotes protect dots (`a."b.c"`)."""
    parts = split_dotted(key_path)
    if not key_path.strip() or any(not p for p in parts):
        raise ConfigWriteError(f"invalid key path {key_path!r}", field="keyPath")
    return parts


TableLike = Container | Table | InlineTable


def _is_table(value: object) -> TypeGuard[TableLike]:
    return isinstance(value, Container | Table | InlineTable)


def _check_value(value: Any, where: str) -> None:
    """TOML has no null: refuse it anywhere inside a value."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_value(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(item, f"{where}[{index}]")
    elif value is None:
        raise ConfigWriteError(f"{where}: null is only allowed as the whole value (removal)")
    elif not isinstance(value, str | int | float | bool):
        raise ConfigWriteError(f"{where}: {type(value).__name__} cannot be written to TOML")


# Tables at most this deep get a `[header]` (`[profiles.fast]`, `[model_providers.x]`);
# deeper ones are written inline (`http_headers = { X-Team = "core" }`).
HEADER_TABLE_DEPTH = 2


def _to_item(value: Any, depth: int, inline: bool = False) -> Any:
    """A tomlkit item for a JSON value placed `depth` keys deep."""
    if isinstance(value, Mapping):
        inline = inline or depth > HEADER_TABLE_DEPTH
        table: Table | InlineTable = tomlkit.inline_table() if inline else tomlkit.table()
        for key, item in value.items():
            table[key] = _to_item(item, depth + 1, inline)
        return table
    if isinstance(value, list):
        array = tomlkit.array()
        for item in value:
            array.append(_to_item(item, depth + 1, inline=True))
        return array
    return tomlkit.item(value)


def _spaced(item: Any) -> Any:
    """A new header table ends with a blank line, so the next table does not stick to it."""
    if isinstance(item, Table):
        item.add(tomlkit.nl())
    return item


def _with_new_top_level(doc: tomlkit.TOMLDocument, key: str, item: Any) -> tomlkit.TOMLDocument:
    """`doc` with a new top-level value after its last top-level value (before any table
    and the comments that introduce it).

    tomlkit's public API only appends, so the document is rebuilt entry by entry with the
    new key in place; `parsing(True)` keeps tomlkit from adding blank lines of its own.
    """
    entries = list(doc.body)
    last = None
    for index, (body_key, body_item) in enumerate(entries):
        if body_key is not None and not isinstance(body_item, Table | AoT):
            last = index
    if last is None or isinstance(item, Table):
        doc[key] = item
        return doc
    rebuilt = tomlkit.document()
    rebuilt.parsing(True)
    for index, (body_key, body_item) in enumerate(entries):
        if body_key is None:
            rebuilt.add(body_item)
        else:
            rebuilt.append(body_key, body_item)
        if index == last:
            rebuilt.append(key, item)
    rebuilt.parsing(False)
    return rebuilt


def _child_table(parent: TableLike, key: str, super_table: bool) -> TableLike:
    if isinstance(parent, InlineTable):
        parent[key] = tomlkit.inline_table()
    else:
        parent[key] = tomlkit.table(is_super_table=super_table)
    child = parent[key]
    assert _is_table(child)
    return child


def _upsert(target: TableLike, value: Mapping[str, Any], depth: int) -> None:
    """Merge `value` into the table at `depth` keys deep, key by key."""
    inline = isinstance(target, InlineTable)
    for key, item in value.items():
        current = target.get(key)
        if isinstance(item, Mapping) and _is_table(current):
            _upsert(current, item, depth + 1)
            continue
        target[key] = _spaced(_to_item(item, depth + 1, inline))


def apply_edit(doc: tomlkit.TOMLDocument, edit: ConfigEdit) -> tomlkit.TOMLDocument:
    """Apply one edit to a parsed document; the result is `doc` or a rebuilt copy of it."""
    path = parse_key_path(edit.key_path)
    if edit.value is not None:
        _check_value(edit.value, edit.key_path)
    parent: TableLike = doc
    for depth, key in enumerate(path[:-1]):
        child = parent.get(key)
        if child is None:
            if edit.value is None:
                return doc  # removing something that is not there
            leaf_is_table = isinstance(edit.value, Mapping)
            child = _child_table(parent, key, depth < len(path) - 2 or leaf_is_table)
        elif not _is_table(child):
            where = ".".join(path[: depth + 1])
            raise ConfigWriteError(
                f"{edit.key_path}: `{where}` holds a {type(child.unwrap()).__name__}, not a table",
                field="keyPath",
            )
        parent = child
    last = path[-1]
    if edit.value is None:
        if last in parent:
            del parent[last]
        return doc
    current = parent.get(last)
    if edit.merge == "upsert" and isinstance(edit.value, Mapping) and _is_table(current):
        _upsert(current, edit.value, len(path))
        return doc
    item = _spaced(_to_item(edit.value, len(path), inline=isinstance(parent, InlineTable)))
    if current is None and parent is doc:
        return _with_new_top_level(doc, last, item)
    parent[last] = item
    return doc


def apply_edits(text: str, edits: Sequence[ConfigEdit]) -> str:
    """The new text of the file after `edits` (in order); comments and layout are kept."""
    try:
        doc = tomlkit.parse(text)
    except ParseError as exc:
        raise ConfigWriteError(
            f"config.toml has a syntax error at line {exc.line}, column {exc.col}; "
            "fix it by hand first",
            kind="config_file_invalid",
        ) from None
    for index, edit in enumerate(edits):
        try:
            doc = apply_edit(doc, edit)
        except ConfigWriteError as exc:
            raise ConfigWriteError(
                str(exc), field=exc.field or "value", index=index, kind=exc.kind
            ) from None
        except (TOMLKitError, ValueError, TypeError) as exc:
            raise ConfigWriteError(
                f"{edit.key_path}: cannot write this value: {exc}", field="value", index=index
            ) from None
    new_text = tomlkit.dumps(doc)
    return new_text.rstrip("\n") + "\n" if new_text.strip() else ""


def _problems(text: str) -> list[tuple[tuple[str, ...], str]]:
    """Schema and semantic problems of a config text (empty when it is usable)."""
    raw = tomllib.loads(text)
    try:
        config = CodexConfig.model_validate(raw)
    except ValidationError as exc:
        return [(tuple(str(p) for p in e["loc"]), e["msg"]) for e in exc.errors()]
    return semantic_problems(config, BUILTIN_PROVIDERS)


def _edit_at_fault(loc: tuple[str, ...], edits: Sequence[ConfigEdit]) -> int:
    """The last edit whose key path contains or is inside `loc` (else the last edit)."""
    for index in range(len(edits) - 1, -1, -1):
        try:
            path = tuple(parse_key_path(edits[index].key_path))
        except ConfigWriteError:
            continue
        shorter = min(len(path), len(loc))
        if path[:shorter] == loc[:shorter]:
            return index
    return len(edits) - 1


def check_result(old_text: str, new_text: str, edits: Sequence[ConfigEdit]) -> None:
    """Refuse the edits when they introduce a problem the old file did not have."""
    try:
        after = _problems(new_text)
    except tomllib.TOMLDecodeError as exc:  # tomlkit wrote something tomllib rejects
        raise ConfigWriteError(f"the edited file would not be valid TOML: {exc}") from None
    try:
        before = set(_problems(old_text))
    except tomllib.TOMLDecodeError:
        before = set()
    new = [p for p in after if p not in before]
    if not new:
        return
    loc, message = new[0]
    index = _edit_at_fault(loc, edits)
    key_path, where = edits[index].key_path, ".".join(loc)
    prefix = key_path if where == key_path else f"{key_path}: {where}"
    raise ConfigWriteError(
        f"{prefix}: {message}",
        field="value",
        index=index,
        kind="config_validation_error",
    )


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text`: temp file in the same directory, fsync, `os.replace`.

    The file keeps the mode it had, and is created 0600 (config.toml may hold provider
    headers); missing folders are created 0700.
    """
    write_private_atomic(path, text, keep_mode=True)
