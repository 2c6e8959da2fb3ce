"""The item a user sees for a tool call refused before it ran.

The model is told why in the call's output, as for any failed call; the user gets an item
that starts and completes `failed` at once, of the type a successful call would have shown:

- a command (`shell`, `local_shell`, `exec_command`) with bad arguments or a `workdir` that
  does not exist: a `commandExecution` with the command as far as it could be read, the
  directory it asked for, `exitCode: null` and the reason as its output;
- a patch that does not parse or apply: a `fileChange` naming the files the patch names,
  whose `diff` holds only the reason (as `# ` lines before where hunks would start, which
  unified-diff readers skip);
- a tool that does not exist, or a call to a tool that shows no item of its own (`read_file`,
  `update_plan`, ...) whose arguments are not valid: an `mcpToolCall`, the protocol's item
  for a call to a named tool (`server`, `tool`, `arguments`, `error`). `server` is the MCP
  server an `mcp__<server>__<tool>` name points at, else `codex` (this agent's own tools).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any, Literal

from ...protocol.items import (
    CommandExecutionItem,
    FileChangeItem,
    FileUpdateChange,
    McpToolCallItem,
    PatchChangeKind,
    ThreadItem,
)
from ...protocol.mcp import McpToolCallError
from ..turns.stream_state import new_id
from .base import ToolCall

# The tools whose calls show as a command, and the one that shows as a file change.
COMMAND_TOOLS = frozenset({"shell", "local_shell", "container.exec", "exec_command"})
PATCH_TOOL = "apply_patch"
OWN_SERVER = "codex"

_FILE_HEADER = re.compile(r"^\s*\*\*\* (Add|Delete|Update) File:\s*(.+?)\s*$")
_MOVE_TO = re.compile(r"^\s*\*\*\* Move to:\s*(.+?)\s*$")
_SHOWN_COMMAND_CHARS = 2000
_KINDS: dict[str, Literal["add", "delete", "update"]] = {
    "Add": "add",
    "Delete": "delete",
    "Update": "update",
}


def rejected_item(
    call: ToolCall, reason: str, cwd: str, *, known_tool: bool, invalid_arguments: bool
) -> ThreadItem | None:
    """The failed item to show for `call`, refused for `reason`; None when the user would
    not expect one (a tool that shows no item, refused for something else than its
    arguments, e.g. a file `read_file` cannot find)."""
    if known_tool and call.name in COMMAND_TOOLS:
        return _command_item(call, reason, cwd)
    if known_tool and call.name == PATCH_TOOL:
        return _patch_item(call, reason, cwd)
    if known_tool and not invalid_arguments:
        return None
    server, tool = _server_and_tool(call.name)
    return McpToolCallItem(
        id=new_id("tool"),
        server=server,
        tool=tool,
        status="failed",
        arguments=_arguments(call),
        error=McpToolCallError(message=reason),
    )


def _arguments(call: ToolCall) -> Any:
    """The call's arguments as JSON when they are, else as the text the model sent."""
    try:
        return json.loads(call.payload) if call.payload else None
    except ValueError:
        return call.payload


def _server_and_tool(name: str) -> tuple[str, str]:
    if name.startswith("mcp__"):
        server, sep, tool = name[len("mcp__") :].partition("__")
        if sep and server and tool:
            return server, tool
    return OWN_SERVER, name or "(no name)"


def _command_item(call: ToolCall, reason: str, cwd: str) -> CommandExecutionItem:
    args = _arguments(call)
    command = call.payload
    workdir = None
    if isinstance(args, dict):
        argv, cmd = args.get("command"), args.get("cmd")
        if isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv):
            from .command_actions import command_text

            command = command_text(argv)
        elif isinstance(argv, str) and argv:
            command = argv
        elif isinstance(cmd, str) and cmd:
            command = cmd
        if isinstance(args.get("workdir"), str) and args["workdir"]:
            workdir = os.path.normpath(os.path.join(cwd, args["workdir"]))
    if len(command) > _SHOWN_COMMAND_CHARS:
        command = command[:_SHOWN_COMMAND_CHARS] + "…"
    return CommandExecutionItem(
        id=new_id("cmd"),
        command=command or call.name,
        cwd=workdir or cwd,
        status="failed",
        aggregated_output=reason,
        exit_code=None,
    )


def _patch_text(call: ToolCall) -> str:
    if call.kind == "custom_tool_call":
        return call.payload
    args = _arguments(call)
    text = args.get("input") if isinstance(args, dict) else None
    return text if isinstance(text, str) else ""


def _patch_item(call: ToolCall, reason: str, cwd: str) -> FileChangeItem:
    note = "".join(f"# {line}\n" for line in reason.splitlines() or [reason])
    changes: list[FileUpdateChange] = []
    for line in _patch_text(call).splitlines():
        header = _FILE_HEADER.match(line)
        if header is not None:
            kind = PatchChangeKind(type=_KINDS[header.group(1)])
            path = os.path.normpath(os.path.join(cwd, header.group(2)))
            changes.append(FileUpdateChange(path=path, kind=kind, diff=note))
            continue
        move = _MOVE_TO.match(line)
        if move is not None and changes and changes[-1].kind.type == "update":
            changes[-1].kind.move_path = os.path.normpath(os.path.join(cwd, move.group(1)))
    return FileChangeItem(id=new_id("patch"), status="failed", changes=changes)
