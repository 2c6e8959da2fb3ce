"""Thread items: the units a turn is made of (messages, reasoning, commands, edits, ...)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from .base import WireModel
from .enums import CommandSource, ItemStatus, McpToolCallStatus
from .mcp import McpToolCallError, McpToolCallResult
from .review_output import ReviewOutput
from .user_input import UserInput


class ReadAction(WireModel):
    """The command reads a file."""

    type: Literal["read"] = "read"
    command: str
    name: str
    path: str | None = None


class ListFilesAction(WireModel):
    """The command lists files."""

    type: Literal["listFiles"] = "listFiles"
    command: str
    path: str | None = None


class SearchAction(WireModel):
    """The command searches file contents or names."""

    type: Literal["search"] = "search"
    command: str
    query: str | None = None
    path: str | None = None


class UnknownAction(WireModel):
    """A command whose effect could not be classified."""

    type: Literal["unknown"] = "unknown"
    command: str


CommandAction = Annotated[
    ReadAction | ListFilesAction | SearchAction | UnknownAction,
    Field(discriminator="type"),
]


class PatchChangeKind(WireModel):
    """What a file change does to its path; `movePath` is set when an update also renames."""

    type: Literal["add", "delete", "update"]
    move_path: str | None = None


class FileUpdateChange(WireModel):
    """One file of a fileChange item with its unified diff (full content for add/delete)."""

    path: str
    kind: PatchChangeKind
    diff: str


class UserMessageItem(WireModel):
    """What the user sent, as they sent it (never the injected instructions)."""

    type: Literal["userMessage"] = "userMessage"
    id: str
    content: list[UserInput]


class AgentMessageItem(WireModel):
    """A message from the agent; `text` equals the concatenation of its deltas."""

    type: Literal["agentMessage"] = "agentMessage"
    id: str
    text: str


class ReasoningItem(WireModel):
    """The model's reasoning: summary parts and, where the provider gives it, raw text."""

    type: Literal["reasoning"] = "reasoning"
    id: str
    summary: list[str] = Field(default_factory=list)
    content: list[str] = Field(default_factory=list)


class CommandExecutionItem(WireModel):
    """A shell command run by the agent or the user."""

    type: Literal["commandExecution"] = "commandExecution"
    id: str
    command: str
    cwd: str
    status: ItemStatus
    source: CommandSource = "agent"
    command_actions: list[CommandAction] = Field(default_factory=list)
    aggregated_output: str | None = None
    exit_code: int | None = None
    duration_ms: int | None = None


class FileChangeItem(WireModel):
    """A set of file edits proposed (and, once approved, applied) by the agent."""

    type: Literal["fileChange"] = "fileChange"
    id: str
    status: ItemStatus
    changes: list[FileUpdateChange] = Field(default_factory=list)


class McpToolCallItem(WireModel):
    """A call to a tool of an MCP server: `result` once it answered, `error` when it failed
    (`declined`: the user refused it; it never reached the server)."""

    type: Literal["mcpToolCall"] = "mcpToolCall"
    id: str
    server: str
    tool: str
    status: McpToolCallStatus
    arguments: Any = None
    result: McpToolCallResult | None = None
    error: McpToolCallError | None = None
    duration_ms: int | None = None

    @field_validator("error", mode="before")
    @classmethod
    def _error_text(cls, value: Any) -> Any:
        """Rollouts written before errors were `{message}` objects hold plain text."""
        return {"message": value} if isinstance(value, str) else value


class WebSearchItem(WireModel):
    """A web search made by the model."""

    type: Literal["webSearch"] = "webSearch"
    id: str
    query: str


class ContextCompactionItem(WireModel):
    """The thread's history was compacted into a summary here."""

    type: Literal["contextCompaction"] = "contextCompaction"
    id: str


class EnteredReviewModeItem(WireModel):
    """A review started; `review` says what is reviewed."""

    type: Literal["enteredReviewMode"] = "enteredReviewMode"
    id: str
    review: str


class ExitedReviewModeItem(WireModel):
    """A review ended: `review` is its rendered text, `output` its findings (null when the
    reviewer's answer was not valid review JSON; `review` then holds that answer)."""

    type: Literal["exitedReviewMode"] = "exitedReviewMode"
    id: str
    review: str
    output: ReviewOutput | None = None


ThreadItem = Annotated[
    UserMessageItem
    | AgentMessageItem
    | ReasoningItem
    | CommandExecutionItem
    | FileChangeItem
    | McpToolCallItem
    | WebSearchItem
    | ContextCompactionItem
    | EnteredReviewModeItem
    | ExitedReviewModeItem,
    Field(discriminator="type"),
]
