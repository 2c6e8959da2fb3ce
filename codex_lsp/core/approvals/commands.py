"""The one approval path of every command the model runs (`shell`, `exec_command`).

Before a command runs, `clear_command` decides with `policy.command_verdict` (known-safe
commands, escalation, a sandbox that cannot be enforced, `danger-full-access`, the
session's standing approvals) and asks the user through the thread's gate when the
verdict says so; a question that only the approval policy asks (not an escalation, not a
sandbox that cannot be enforced) is answered by a remembered rule for the thread's `cwd`
when one matches (the sandbox stays as the verdict says), and proposes one otherwise.
After a sandboxed run failed the way a sandbox denial looks,
`ask_rerun_after_denial` asks whether to run it again unsandboxed (`on-failure`).
The tools only build their item, run the command and report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...protocol.approvals import CommandApprovalParams
from ...protocol.enums import ApprovalDecision
from ..sandbox.backend import detect_backend
from ..sandbox.denial import looks_like_sandbox_denial
from ..tools.command_safety import is_known_safe
from .policy import CommandVerdict, command_verdict, rerun_unsandboxed

if TYPE_CHECKING:
    from ...protocol.items import CommandExecutionItem
    from ..sandbox.plan import SandboxPlan
    from ..tools.base import ToolContext

log = logging.getLogger(__name__)

DECLINED_MESSAGE = "The user declined to run this command."
RERUN_REASON = "The sandbox blocked this command. Run it again without the sandbox?"

_warned: set[str] = set()


def _warn_once(gap: str) -> None:
    """Say once per server that the sandbox cannot be enforced (each command then asks)."""
    if gap not in _warned:
        _warned.add(gap)
        log.warning("%s: commands will ask for approval to run unsandboxed", gap)


@dataclass(frozen=True)
class Clearance:
    """May the command run, and under which plan (None: unsandboxed). When it may not,
    `message` is what the model is told and `cancel` says the user stopped the turn."""

    allowed: bool
    plan: SandboxPlan | None = None
    message: str = ""
    cancel: bool = False


async def ask_command(
    ctx: ToolContext,
    item: CommandExecutionItem,
    argv: list[str],
    reason: str | None,
    rule_cwd: str | None = None,
) -> ApprovalDecision:
    """Ask the user about the command of `item` (no gate: declined); `rule_cwd`: the
    folder a remembered rule proposed with the question would be for (None: none)."""
    if ctx.approvals is None:
        return "decline"
    params = CommandApprovalParams(
        thread_id=ctx.thread_id,
        turn_id=ctx.turn_id,
        item_id=item.id,
        command=item.command,
        cwd=item.cwd,
        command_actions=item.command_actions,
        reason=reason,
    )
    return await ctx.approvals.ask_command(params, argv, rule_cwd)


async def clear_command(
    ctx: ToolContext,
    item: CommandExecutionItem,
    argv: list[str],
    *,
    escalated: bool,
    justification: str | None,
) -> Clearance:
    """Decide whether `argv` (shown as the started `item`) runs, asking when the
    approval policy says so; `acceptForSession` is remembered for (argv, cwd)."""
    plan = ctx.sandbox
    sandboxed_plan = plan is not None and plan.is_sandboxed
    gap = detect_backend().enforcement_gap(plan) if plan is not None and sandboxed_plan else None
    if gap is not None:
        _warn_once(gap)
    gate = ctx.approvals
    verdict = command_verdict(
        ctx.approval_policy,
        full_access=not sandboxed_plan,
        escalated=escalated,
        known_safe=is_known_safe(argv),
        enforcement_gap=gap,
        approved_for_session=gate is not None and gate.command_approved(argv, item.cwd),
    )
    # Only the approval policy's own question can be answered by a remembered rule.
    rememberable = not escalated and gap is None
    if (
        verdict.action == "ask"
        and rememberable
        and gate is not None
        and gate.rule_allows(argv, ctx.cwd)
    ):
        verdict = CommandVerdict("run", sandboxed=verdict.sandboxed)
    if verdict.action == "refuse":
        return Clearance(False, message=f"Command refused: {verdict.reason}.")
    if verdict.action == "ask":
        rule_cwd = ctx.cwd if rememberable else None
        decision = await ask_command(ctx, item, argv, justification or verdict.reason, rule_cwd)
        if decision in ("decline", "cancel"):
            return Clearance(False, message=DECLINED_MESSAGE, cancel=decision == "cancel")
    return Clearance(True, plan=plan if verdict.sandboxed and sandboxed_plan else None)


def offers_rerun(
    ctx: ToolContext, plan: SandboxPlan | None, exit_code: int | None, output: str
) -> bool:
    """Should the user be asked to rerun unsandboxed a command that ran under `plan`
    and ended with `exit_code` and `output`?"""
    return (
        plan is not None
        and plan.is_sandboxed
        and exit_code not in (0, None)
        and ctx.approvals is not None
        and rerun_unsandboxed(ctx.approval_policy)
        and looks_like_sandbox_denial(exit_code or 1, output, plan)
    )


async def ask_rerun_after_denial(
    ctx: ToolContext,
    item: CommandExecutionItem,
    argv: list[str],
    plan: SandboxPlan | None,
    exit_code: int | None,
    output: str,
) -> ApprovalDecision | None:
    """After a sandboxed run that looks denied: the user's answer to running it again
    without the sandbox, or None when no rerun is offered."""
    if not offers_rerun(ctx, plan, exit_code, output):
        return None
    return await ask_command(ctx, item, argv, RERUN_REASON)
