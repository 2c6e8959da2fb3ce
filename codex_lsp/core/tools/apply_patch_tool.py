"""The `apply_patch` tool: parse, compute against what the user sees, approve, land.

The change is computed against the workspace view (the open buffer if any, else the disk),
checked against the sandbox's writable roots (`..` and escaping symlinks included), then
landed through the approval transport: the editor (which may confirm hunk by hunk) or the
disk. The fileChange item ends with what really landed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...protocol.items import FileChangeItem
from ..approvals.gate import ChangeOutcome, ChangeRequest, TurnCancelled
from ..approvals.policy import patch_verdict
from ..text import FileChange, read_disk_text, write_changes
from ..turns.stream_state import new_id
from .apply_patch import (
    ApplyPatchError,
    compute_changes,
    custom_tool_spec,
    function_tool_spec,
    summarize,
)
from .base import ToolCall, ToolCaps, ToolContext, ToolError, ToolResult
from .file_changes import edited_note, rejected_note, wire_changes


def _patch_text(call: ToolCall) -> str:
    if call.kind == "custom_tool_call":
        return call.payload
    try:
        args: Any = json.loads(call.payload or "{}")
    except json.JSONDecodeError as exc:
        raise ToolError(f"invalid arguments for apply_patch: not JSON ({exc.msg})") from None
    text = args.get("input") if isinstance(args, dict) else None
    if not isinstance(text, str):
        raise ToolError("invalid arguments for apply_patch: `input` (the patch text) is required")
    return text


def _touched(change: FileChange) -> list[Path]:
    return [change.path, *([change.move_path] if change.move_path is not None else [])]


class ApplyPatchTool:
    """Edits files with the `*** Begin Patch` format."""

    name = "apply_patch"
    parallel_safe = False

    def spec(self, caps: ToolCaps) -> dict[str, Any] | None:
        return custom_tool_spec() if caps.freeform_tools else function_tool_spec()

    async def run(self, call: ToolCall, ctx: ToolContext) -> ToolResult:
        read = ctx.workspace.read_text if ctx.workspace is not None else read_disk_text
        patch = _patch_text(call)
        try:
            changes = compute_changes(patch, Path(ctx.cwd), read)
        except ApplyPatchError as exc:
            raise ToolError(str(exc)) from None
        if not changes:
            raise ToolError("apply_patch: the patch changes nothing")
        paths = [p for change in changes for p in _touched(change)]
        plan = ctx.sandbox
        inside = plan is None or all(plan.allows_write(p) for p in paths)
        gate = ctx.approvals
        policy = ctx.approval_policy
        verdict = patch_verdict(
            policy,
            full_access=plan is not None and not plan.is_sandboxed,
            inside_roots=inside,
            approved_for_session=gate is not None and gate.changes_approved(paths),
        )
        item = FileChangeItem(
            id=new_id("patch"), status="inProgress", changes=wire_changes(changes)
        )
        ctx.item_started(item)
        if verdict == "refuse":
            item.status = "declined"
            ctx.item_completed(item)
            outside = [str(p) for p in paths if plan is not None and not plan.allows_write(p)]
            raise ToolError(
                "apply_patch refused: these paths are outside the writable roots of the "
                f"sandbox and the approval policy is `never`: {', '.join(outside)}"
            )
        if ctx.snapshots is not None:
            ctx.snapshots.before_changes(changes)
        outcome = await self._land(
            ctx,
            item.id,
            changes,
            verdict == "ask",
            lambda: compute_changes(patch, Path(ctx.cwd), read),
        )
        if ctx.snapshots is not None:
            await ctx.snapshots.after_changes(outcome.applied)
        return self._finish(ctx, item, changes, outcome)

    async def _land(
        self,
        ctx: ToolContext,
        item_id: str,
        changes: list[FileChange],
        ask: bool,
        recompute: Callable[[], list[FileChange]],
    ) -> ChangeOutcome:
        if ctx.approvals is None:
            # No editor and no terminal: the policy said "apply" or we refuse to guess.
            if ask:
                return ChangeOutcome("decline", error="no one to ask for approval")
            write_changes(changes)
            return ChangeOutcome("accept", applied=list(changes))
        request = ChangeRequest(
            thread_id=ctx.thread_id,
            turn_id=ctx.turn_id,
            item_id=item_id,
            changes=changes,
            needs_confirmation=ask,
            reason=None,
            grant_root=ctx.cwd,
            recompute=recompute,
        )
        return await ctx.approvals.apply_changes(request, Path(ctx.cwd))

    def _finish(
        self,
        ctx: ToolContext,
        item: FileChangeItem,
        changes: list[FileChange],
        outcome: ChangeOutcome,
    ) -> ToolResult:
        if outcome.decision in ("decline", "cancel") or not outcome.applied:
            item.status = "declined" if outcome.error is None else "failed"
            ctx.item_completed(item)
            if outcome.decision == "cancel":
                raise TurnCancelled()
            if outcome.error is not None:
                raise ToolError(f"apply_patch failed: {outcome.error}")
            raise ToolError("The user declined this patch; no file was changed.")
        item.status = "completed"
        item.changes = wire_changes(outcome.applied)
        ctx.item_completed(item)
        text = summarize(outcome.applied, Path(ctx.cwd))
        if outcome.rejected_hunks:
            text += "\n" + rejected_note(outcome.rejected_hunks)
        if outcome.user_edited:
            text += "\n" + edited_note(outcome.user_edited)
        return ToolResult(text)
