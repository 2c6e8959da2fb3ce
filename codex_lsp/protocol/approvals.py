"""Approval requests the server sends to clients that declare `experimental.codex.approvals`."""

from __future__ import annotations

from .base import WireModel
from .enums import ApprovalDecision
from .items import CommandAction, FileUpdateChange


class CommandApprovalParams(WireModel):
    """`codex/item/commandExecution/requestApproval` params."""

    thread_id: str
    turn_id: str
    item_id: str
    command: str
    cwd: str
    command_actions: list[CommandAction]
    reason: str | None = None


class FileChangeApprovalParams(WireModel):
    """`codex/item/fileChange/requestApproval` params (the changes are included)."""

    thread_id: str
    turn_id: str
    item_id: str
    changes: list[FileUpdateChange]
    reason: str | None = None
    grant_root: str | None = None


class ApprovalResult(WireModel):
    """The client's answer to an approval request."""

    decision: ApprovalDecision
