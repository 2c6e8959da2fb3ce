"""The tools a thread offers the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..threads.loaded import LoadedThread
from .apply_patch_tool import ApplyPatchTool
from .base import Tool, ToolCaps
from .exec_command import ExecCommandTool, WriteStdinTool
from .grep_files import GrepFilesTool
from .list_dir import ListDirTool
from .pty_sessions import ExecSessions
from .read_file import ReadFileTool
from .registry import ToolRegistry
from .shell import ShellTool
from .update_plan import UpdatePlanTool
from .view_image import ViewImageTool

if TYPE_CHECKING:
    from ..mcp.manager import McpManager


def default_registry(*, freeform_tools: bool, extra: list[Tool] | None = None) -> ToolRegistry:
    """Every built-in tool; `freeform_tools` where the provider supports custom tools (the
    Responses API), so `apply_patch` is offered as a freeform grammar tool there."""
    tools: list[Tool] = [
        ShellTool(),
        ApplyPatchTool(),
        ReadFileTool(),
        ListDirTool(),
        GrepFilesTool(),
        UpdatePlanTool(),
        ViewImageTool(),
        *(extra or []),
    ]
    return ToolRegistry(tools, ToolCaps(freeform_tools=freeform_tools))


def thread_tools(thread: LoadedThread, mcp: McpManager | None = None) -> ToolRegistry:
    """The tools of a thread's next turn (freeform tools on the Responses API only), with
    the tools of the MCP servers ready now. The thread's interactive exec sessions live as
    long as the thread is loaded."""
    if thread.exec_sessions is None:
        thread.exec_sessions = ExecSessions()
    sessions = thread.exec_sessions
    extra: list[Tool] = [ExecCommandTool(sessions), WriteStdinTool(sessions)]
    if mcp is not None:
        extra.extend(mcp.model_tools())
    return default_registry(
        freeform_tools=thread.settings.provider.wire_api == "responses", extra=extra
    )


def reviewer_tools(thread: LoadedThread) -> ToolRegistry:
    """What a reviewer may use: read files, list and search them, run commands (in its
    read-only sandbox). Nothing that edits, no long-lived sessions."""
    tools: list[Tool] = [ShellTool(), ReadFileTool(), ListDirTool(), GrepFilesTool()]
    return ToolRegistry(tools, ToolCaps(freeform_tools=False))
