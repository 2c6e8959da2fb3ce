"""Computing what a patch does to the files, without writing anything.

`compute_changes` reads each file through `read_text` (later: the editor's open buffer
first, then disk), matches every chunk of an Update in order, and returns one `FileChange`
per file operation with the old and new text, a unified diff and minimal hunks. Operations
see the effects of earlier ones in the same patch (an Update after an Add of the same path
updates the added text).

Semantics (Codex's, with a few deliberate differences):
- A chunk's `@@ <context>` headers are found one after the other, each moving the search
  position after the line it names; the chunk's old lines (context and removed) are then
  looked for from there (see `matching` for the tolerance levels). `*** End of File`
  prefers a match that ends at the last line. A chunk that is not found, in order, is an
  error naming the file and the chunk.
- Unlike Codex, context lines keep the file's own text (a loose match does not rewrite
  their whitespace), an Add of an existing file, a Move onto an existing file and an
  Update or Delete of a missing file are errors, and a Move needs no chunk.
- A chunk with only added lines is inserted after its `@@` context line, or appended at
  the end of the file when it has none (or has `*** End of File`), as Codex does.
- Line endings are kept: unchanged lines keep theirs, added lines take the file's dominant
  one (CRLF files stay CRLF). A file without a trailing newline keeps that state unless the
  patch changes its last line: added or replaced lines always end with a newline. New
  files are written with "\\n".
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from ...text.changes import FileChange
from ...text.diff import added_file_diff, deleted_file_diff, updated_file_diff
from ...text.disk import read_disk_text
from ...text.hunks import Hunk
from ...text.lines import SourceText, detect_eol, split_lines
from .errors import PatchApplyError
from .matching import LineMatcher
from .parser import AddFile, DeleteFile, OpKind, Patch, UpdateChunk, UpdateFile, parse_patch

ReadText = Callable[[Path], str | None]
_BOM = "\ufeff"
_SHOWN_LINES = 40


def compute_changes(
    patch: str | Patch, cwd: Path, read_text: ReadText = read_disk_text
) -> list[FileChange]:
    """Parse (if given text) and apply a patch in memory; raises PatchParseError or
    PatchApplyError with a message for the model."""
    parsed = parse_patch(patch) if isinstance(patch, str) else patch
    base = Path(os.path.abspath(cwd))
    overlay: dict[Path, str | None] = {}

    def current(path: Path, shown: str) -> str | None:
        if path in overlay:
            return overlay[path]
        try:
            return read_text(path)
        except UnicodeDecodeError:
            raise PatchApplyError(
                f"apply_patch: cannot read {shown}: it is not UTF-8 text", path=shown
            ) from None
        except OSError as err:
            raise PatchApplyError(
                f"apply_patch: cannot read {shown}: {err.strerror or err}", path=shown
            ) from None

    changes: list[FileChange] = []
    for op in parsed.operations:
        path = _resolve(base, op.path)
        label = _label(base, path)
        existing = current(path, op.path)
        if isinstance(op, AddFile):
            if existing is not None:
                raise PatchApplyError(
                    f"apply_patch: cannot add {op.path}: the file already exists "
                    "(use '*** Update File:' to change it)",
                    path=op.path,
                )
            text = op.contents
            lines = [f"{line}\n" for line in op.lines]
            hunks = [Hunk(0, [], lines)] if lines else []
            changes.append(
                FileChange(path, "add", None, None, text, added_file_diff(label, lines), hunks)
            )
            overlay[path] = text
        elif isinstance(op, DeleteFile):
            if existing is None:
                raise PatchApplyError(
                    f"apply_patch: cannot delete {op.path}: the file does not exist", path=op.path
                )
            lines = split_lines(existing)
            hunks = [Hunk(0, lines, [])] if lines else []
            changes.append(
                FileChange(
                    path, "delete", None, existing, None, deleted_file_diff(label, lines), hunks
                )
            )
            overlay[path] = None
        else:
            if existing is None:
                raise PatchApplyError(
                    f"apply_patch: cannot update {op.path}: the file does not exist "
                    "(use '*** Add File:' to create it)",
                    path=op.path,
                )
            change = _update(op, path, label, base, existing, current)
            changes.append(change)
            overlay[path] = change.new_text
            if change.move_path is not None:
                overlay[path] = None
                overlay[change.move_path] = change.new_text
    return changes


def summarize(changes: Sequence[FileChange], cwd: Path | None = None) -> str:
    """The success text for the model: one `A`/`M`/`D` line per file, in patch order."""
    base = Path(os.path.abspath(cwd)) if cwd is not None else None
    seen: set[Path] = set()
    lines = ["Success. Updated the following files:"]
    for change in changes:
        path = change.move_path or change.path
        if path in seen:
            continue
        seen.add(path)
        letter = {"add": "A", "delete": "D", "update": "M"}[change.kind]
        lines.append(f"{letter} {_label(base, path) if base is not None else path}")
    return "\n".join(lines)


def _resolve(base: Path, path: str) -> Path:
    return Path(os.path.normpath(os.path.join(base, path)))


def _label(base: Path, path: Path) -> str:
    """How a path is shown in diffs and summaries: relative to the cwd when inside it."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


@dataclass
class _Replacement:
    start: int
    old_length: int
    new: list[str]
    chunk: int

    @property
    def end(self) -> int:
        return self.start + self.old_length


def _update(
    op: UpdateFile,
    path: Path,
    label: str,
    base: Path,
    old_text: str,
    current: Callable[[Path, str], str | None],
) -> FileChange:
    move_path: Path | None = None
    new_label = label
    if op.move_path is not None:
        destination = _resolve(base, op.move_path)
        if destination != path:
            if current(destination, op.move_path) is not None:
                raise PatchApplyError(
                    f"apply_patch: cannot move {op.path} to {op.move_path}: "
                    "the destination already exists",
                    path=op.path,
                )
            move_path = destination
            new_label = _label(base, destination)
    source = SourceText(old_text)
    replacements = _match_chunks(op, source, detect_eol(old_text))
    hunks: list[Hunk] = []
    out: list[str] = []
    cursor = 0
    for rep in replacements:
        old_segment = source[rep.start : rep.end]
        matcher = SequenceMatcher(None, old_segment, rep.new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                hunks.append(Hunk(rep.start + i1, old_segment[i1:i2], rep.new[j1:j2], rep.chunk))
        out.append(source.slice_text(cursor, rep.start))
        out.extend(rep.new)
        cursor = rep.end
    out.append(source.slice_text(cursor, len(source)))
    new_text = "".join(out) if replacements else old_text
    diff = updated_file_diff(label, new_label, source, hunks)
    return FileChange(path, "update", move_path, old_text, new_text, diff, hunks)


def _match_chunks(op: UpdateFile, lines: SourceText, eol: str) -> list[_Replacement]:
    matcher = LineMatcher(lines.keys)
    total = len(lines)
    replacements: list[_Replacement] = []
    line_index = 0
    for number, chunk in enumerate(op.chunks, 1):
        for context in chunk.contexts:
            found = matcher.find_context(context, line_index)
            if found is None:
                raise PatchApplyError(
                    f"apply_patch: chunk {number} of {op.path} did not apply: could not find "
                    f"the context line '@@ {context}'{_searched_from(line_index)}",
                    path=op.path,
                    chunk=number,
                )
            line_index = found + 1
        ops = list(chunk.ops)
        old = [text for kind, text in ops if kind != "+"]
        if not old:
            at = line_index if chunk.contexts and not chunk.is_end_of_file else total
            replacements.append(_Replacement(at, 0, [text + eol for _, text in ops], number))
            continue
        start = matcher.find(old, line_index, chunk.is_end_of_file)
        if start is None and old[-1] == "":
            # A trailing empty context line often stands for the file's final newline.
            ops = _without_trailing_blank(ops)
            old = old[:-1]
            start = matcher.find(old, line_index, chunk.is_end_of_file) if old else line_index
        if start is None:
            raise PatchApplyError(
                _not_found(op.path, number, chunk, matcher, line_index),
                path=op.path,
                chunk=number,
            )
        new: list[str] = []
        position = start
        for kind, text in ops:
            if kind == " ":
                new.append(lines[position])
                position += 1
            elif kind == "-":
                position += 1
            else:
                new.append(text + eol)
        replacements.append(_Replacement(start, len(old), new, number))
        line_index = start + len(old)
    return _fix_line_ends(replacements, lines, eol)


def _without_trailing_blank(ops: list[tuple[OpKind, str]]) -> list[tuple[OpKind, str]]:
    """Codex's retry: drop the last old line (an empty one), and a trailing empty new line."""
    ops = list(ops)
    index = max(i for i, (kind, _) in enumerate(ops) if kind != "+")
    if ops[index][0] == " ":
        ops[index] = ("+", "")
    else:
        del ops[index]
    if ops and ops[-1] == ("+", ""):
        ops.pop()
    return ops


def _fix_line_ends(
    replacements: list[_Replacement], lines: SourceText, eol: str
) -> list[_Replacement]:
    """Sort, and keep the invariant that only the very last line may lack a line ending."""
    total = len(lines)
    replacements.sort(key=lambda rep: rep.start)
    merged: list[_Replacement] = []
    for rep in replacements:
        if merged and merged[-1].end > rep.start:
            raise PatchApplyError(
                f"apply_patch: chunks {merged[-1].chunk} and {rep.chunk} overlap", chunk=rep.chunk
            )
        if rep.start == total and rep.old_length == 0 and merged and merged[-1].end == total:
            merged[-1].new.extend(rep.new)  # several insertions at the end of the file
            continue
        merged.append(rep)
    if merged:
        last = merged[-1]
        if last.start == total and last.old_length == 0 and total and not lines[-1].endswith("\n"):
            # Appending after a last line without newline: that line gets one, in the hunk.
            last.start, last.old_length = total - 1, 1
            last.new.insert(0, lines[-1])
    for rep in merged:
        at_end = rep.end == total
        for i, line in enumerate(rep.new):
            if not line.endswith("\n") and not (at_end and i == len(rep.new) - 1):
                rep.new[i] = line + eol
        if rep.start == 0 and lines and lines[0].startswith(_BOM) and rep.new:
            rep.new = [line.removeprefix(_BOM) for line in rep.new]
            rep.new[0] = _BOM + rep.new[0]
    return merged


def _searched_from(line_index: int) -> str:
    return f" (searched from line {line_index + 1} on)" if line_index else ""


def _not_found(
    path: str, number: int, chunk: UpdateChunk, matcher: LineMatcher, line_index: int
) -> str:
    old = chunk.old_lines
    shown = (
        old
        if len(old) <= _SHOWN_LINES
        else [*old[:_SHOWN_LINES], f"... ({len(old) - _SHOWN_LINES} more lines)"]
    )
    message = (
        f"apply_patch: chunk {number} of {path} did not apply: could not find these lines"
        f"{_searched_from(line_index)}:\n" + "\n".join(shown)
    )
    if line_index:
        earlier = matcher.find(old, 0)
        if earlier is not None and earlier < line_index:
            message += (
                f"\n(they are at line {earlier + 1}, before the lines matched by the previous "
                "chunks: chunks must be in file order)"
            )
    return message
