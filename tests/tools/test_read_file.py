"""read_file: numbered lines, windows, long lines, errors, and the editor's buffers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codex_lsp.core.events import CoreEvent
from codex_lsp.core.tools.base import ToolCall, ToolCaps, ToolContext, ToolError
from codex_lsp.core.tools.read_file import ReadFileTool
from codex_lsp.core.workspace.view import WorkspaceView


def make_ctx(cwd: Path, workspace: Any = None) -> ToolContext:
    events: list[CoreEvent] = []
    return ToolContext(
        thread_id="t",
        turn_id="u",
        cwd=str(cwd),
        emit=events.append,
        item_started=lambda item: None,
        item_completed=lambda item: None,
        workspace=workspace,
    )


async def read(ctx: ToolContext, **args: Any) -> str:
    call = ToolCall("c1", "read_file", "function_call", json.dumps(args))
    result = await ReadFileTool().run(call, ctx)
    assert result.success
    return result.output


async def read_error(ctx: ToolContext, **args: Any) -> str:
    call = ToolCall("c1", "read_file", "function_call", json.dumps(args))
    with pytest.raises(ToolError) as info:
        await ReadFileTool().run(call, ctx)
    return str(info.value)


async def test_lines_are_numbered(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("alpha\nbeta\ngamma\n")
    out = await read(make_ctx(tmp_path), file_path=str(tmp_path / "a.txt"))
    assert out == "L1: alpha\nL2: beta\nL3: gamma"


async def test_relative_path_is_taken_from_cwd(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.py").write_text("x = 1")
    assert await read(make_ctx(tmp_path), file_path="src/m.py") == "L1: x = 1"


async def test_offset_and_limit(tmp_path: Path) -> None:
    (tmp_path / "n.txt").write_text("".join(f"line {i}\n" for i in range(1, 101)))
    out = await read(make_ctx(tmp_path), file_path="n.txt", offset=10, limit=3)
    assert out == "L10: line 10\nL11: line 11\nL12: line 12"
    last = await read(make_ctx(tmp_path), file_path="n.txt", offset=99, limit=10)
    assert last == "L99: line 99\nL100: line 100"


async def test_default_limit_is_2000_lines(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("x\n" * 2500)
    out = await read(make_ctx(tmp_path), file_path="big.txt")
    lines = out.split("\n")
    assert len(lines) == 2000
    assert lines[-1] == "L2000: x"


async def test_crlf_and_missing_final_newline(tmp_path: Path) -> None:
    (tmp_path / "w.txt").write_bytes(b"one\r\ntwo\r\nthree")
    out = await read(make_ctx(tmp_path), file_path="w.txt")
    assert out == "L1: one\nL2: two\nL3: three"


async def test_blank_lines_are_kept(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("a\n\n\nb\n")
    out = await read(make_ctx(tmp_path), file_path="b.txt")
    assert out == "L1: a\nL2: \nL3: \nL4: b"


async def test_long_lines_are_cut_at_500_bytes(tmp_path: Path) -> None:
    (tmp_path / "long.txt").write_text("a" * 1200 + "\nshort\n")
    out = await read(make_ctx(tmp_path), file_path="long.txt")
    first, second = out.split("\n")
    assert first == "L1: " + "a" * 500
    assert second == "L2: short"


async def test_cut_never_splits_a_utf8_character(tmp_path: Path) -> None:
    # "é" is 2 bytes: after one ASCII byte, byte 500 falls inside a character.
    (tmp_path / "u.txt").write_text("a" + "é" * 400 + "\n" + "日本" * 200 + "\n")
    out = await read(make_ctx(tmp_path), file_path="u.txt")
    first, second = out.split("\n")
    body = first.removeprefix("L1: ")
    assert body == "a" + "é" * 249
    assert len(body.encode()) == 499
    body2 = second.removeprefix("L2: ")
    assert len(body2.encode()) <= 500
    assert body2 == ("日本" * 200)[:166]


async def test_invalid_utf8_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "latin1.txt").write_bytes(b"caf\xe9\nok\n")
    out = await read(make_ctx(tmp_path), file_path="latin1.txt")
    assert out == "L1: caf\ufffd\nL2: ok"


async def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "e.txt").write_text("")
    out = await read(make_ctx(tmp_path), file_path="e.txt")
    assert "is empty" in out


async def test_missing_file(tmp_path: Path) -> None:
    message = await read_error(make_ctx(tmp_path), file_path="nope.txt")
    assert message == f"file not found: {tmp_path / 'nope.txt'}"


async def test_directory(tmp_path: Path) -> None:
    message = await read_error(make_ctx(tmp_path), file_path=str(tmp_path))
    assert "is a directory" in message
    assert "list_dir" in message


async def test_binary_file(tmp_path: Path) -> None:
    (tmp_path / "bin.dat").write_bytes(b"\x7fELF\x00\x01\x02\nmore")
    message = await read_error(make_ctx(tmp_path), file_path="bin.dat")
    assert "binary" in message
    assert "NUL" in message


async def test_offset_past_the_end(tmp_path: Path) -> None:
    (tmp_path / "s.txt").write_text("1\n2\n3\n")
    message = await read_error(make_ctx(tmp_path), file_path="s.txt", offset=4)
    assert message == f"offset 4 is past the end of {tmp_path / 's.txt'} (it has 3 lines)"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"file_path": "x", "offset": 0}, "offset must be a 1-based line number"),
        ({"file_path": "x", "limit": 0}, "limit must be greater than zero"),
        ({"offset": 1}, "invalid arguments for read_file: file_path: Field required"),
        ({"file_path": "x", "limit": "many"}, "invalid arguments for read_file: limit"),
        ({"file_path": "  "}, "the path is empty"),
    ],
)
async def test_bad_arguments(tmp_path: Path, args: dict[str, Any], expected: str) -> None:
    assert expected in await read_error(make_ctx(tmp_path), **args)


class FakeBuffers:
    """A workspace view with only `read_text` (None: not open)."""

    def __init__(self, open_files: dict[Path, str]) -> None:
        self.open_files = open_files
        self.asked: list[Path] = []

    def read_text(self, path: Path) -> str | None:
        self.asked.append(path)
        return self.open_files.get(path)


async def test_open_buffer_wins_over_disk(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text("on disk\n")
    view = FakeBuffers({path: "unsaved 1\nunsaved 2"})
    out = await read(make_ctx(tmp_path, view), file_path="m.py")
    assert out == "L1: unsaved 1\nL2: unsaved 2"
    assert view.asked == [path]


async def test_buffer_of_a_file_not_yet_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "new.py"
    out = await read(make_ctx(tmp_path, FakeBuffers({path: "draft"})), file_path="new.py")
    assert out == "L1: draft"


async def test_closed_file_is_read_from_disk(tmp_path: Path) -> None:
    (tmp_path / "d.txt").write_text("disk\n")
    out = await read(make_ctx(tmp_path, FakeBuffers({})), file_path="d.txt")
    assert out == "L1: disk"


async def test_async_read_text_is_awaited(tmp_path: Path) -> None:
    class AsyncBuffers:
        async def read_text(self, path: Path) -> str | None:
            return "from async\n"

    out = await read(make_ctx(tmp_path, AsyncBuffers()), file_path="any.txt")
    assert out == "L1: from async"


async def test_real_workspace_view(tmp_path: Path) -> None:
    opened = tmp_path / "open.py"
    opened.write_text("saved\n")
    (tmp_path / "closed.py").write_bytes(b"a\x00b")
    view = WorkspaceView(lambda p: "edited\n" if p == opened else None)
    ctx = make_ctx(tmp_path, view)
    assert await read(ctx, file_path="open.py") == "L1: edited"
    # Closed files go through the tool's own disk read (binary check included).
    assert "binary" in await read_error(ctx, file_path="closed.py")
    assert "file not found" in await read_error(ctx, file_path="missing.py")


async def test_buffer_windows_and_binary(tmp_path: Path) -> None:
    path = tmp_path / "w.txt"
    text = "".join(f"b{i}\r\n" for i in range(1, 11))
    ctx = make_ctx(tmp_path, FakeBuffers({path: text, tmp_path / "nul": "a\x00b"}))
    assert await read(ctx, file_path="w.txt", offset=9) == "L9: b9\nL10: b10"
    assert "(it has 10 lines)" in await read_error(ctx, file_path="w.txt", offset=11)
    assert "binary" in await read_error(ctx, file_path="nul")


async def test_buffer_surrogates_become_replacement_chars(tmp_path: Path) -> None:
    path = tmp_path / "s.txt"
    text = b"caf\xe9".decode("utf-8", errors="surrogateescape")
    out = await read(make_ctx(tmp_path, FakeBuffers({path: text})), file_path="s.txt")
    assert out == "L1: caf\ufffd"
    out.encode("utf-8")  # sendable


def test_spec_shape() -> None:
    tool = ReadFileTool()
    spec = tool.spec(ToolCaps())
    assert spec is not None
    assert spec["type"] == "function"
    assert spec["name"] == "read_file"
    assert spec["strict"] is False
    assert spec["parameters"]["required"] == ["file_path"]
    assert set(spec["parameters"]["properties"]) == {"file_path", "offset", "limit"}
    assert tool.parallel_safe is True
