"""Approval requests the server sends to clients that declare `experimental.codex.approvals`."""

from __future__ import annotations

import time

from pydantic import Field

from .base import WireModel
from .enums import ApprovalDecision, RiskLevel
from .items import CommandAction, FileUpdateChange


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class CommandRisk(WireModel):
    """What the model's separate assessment says about a command it wants to run."""

    description: str
    risk_level: RiskLevel
    risk_categories: list[str] = Field(default_factory=list)


class CommandApprovalParams(WireModel):
    """`codex/item/commandExecution/requestApproval` params."""

    thread_id: str
    turn_id: str
    item_id: str
    # When the approval was asked for (unix ms): the moment these params are made.
    started_at_ms: int = Field(default_factory=_now_ms)
    command: str
    cwd: str
    command_actions: list[CommandAction]
    reason: str | None = None
    # Null when the assessment is off, failed or took too long.
    risk: CommandRisk | None = None
    # The argv prefix an `acceptWithExecpolicyAmendment` answer would allow from now on.
    proposed_execpolicy_amendment: list[str] | None = None


class FileChangeApprovalParams(WireModel):
    """`codex/item/fileChange/requestApproval` params (unlike Codex, the changes are
    included)."""

    thread_id: str
    turn_id: str
    item_id: str
    started_at_ms: int = Field(default_factory=_now_ms)
    changes: list[FileUpdateChange]
    reason: str | None = None
    grant_root: str | None = None


class ExecpolicyAmendment(WireModel):
    """The argv prefix to remember (Codex's key is snake_case here)."""

    execpolicy_amendment: list[str] = Field(alias="execpolicy_amendment")


class AcceptWithExecpolicyAmendment(WireModel):
    """Run the command and allow commands starting with the prefix from now on, in the
    thread's `cwd` (PROTOCOL.md "Approvals that inform and remember"). An answer to a
    file change approval with it counts as `accept`."""

    accept_with_execpolicy_amendment: ExecpolicyAmendment


def amendment_answer(prefix: list[str]) -> AcceptWithExecpolicyAmendment:
    """The answer that runs the command and remembers `prefix`."""
    inner = ExecpolicyAmendment(execpolicy_amendment=list(prefix))
    return AcceptWithExecpolicyAmendment(accept_with_execpolicy_amendment=inner)


# What a client may answer: a plain decision, or (commands) an accept that remembers a rule.
Decision = ApprovalDecision | AcceptWithExecpolicyAmendment


class ApprovalResult(WireModel):
    """The client's answer to an approval request."""

    decision: Decision
