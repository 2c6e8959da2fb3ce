"""Approvals in a terminal (`codex-lsp exec`): prompts on the controlling TTY; without one,
anything that needs approval is declined (and the model is told)."""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from ..core.approvals.gate import ChangeOutcome, ChangeRequest
from ..core.text import write_changes
from ..protocol.approvals import CommandApprovalParams
from ..protocol.enums import ApprovalDecision

_ANSWERS: dict[str, ApprovalDecision] = {
    "y": "accept",
    "yes": "accept",
    "a": "acceptForSession",
    "always": "acceptForSession",
    "n": "decline",
    "no": "decline",
    "": "decline",
    "s": "cancel",
    "stop": "cancel",
}


class TerminalApprovals:
    """Asks on stderr/stdin."""

    def __init__(self, interactive: bool | None = None, err: TextIO = sys.stderr) -> None:
        self.interactive = sys.stdin.isatty() if interactive is None else interactive
        self.err = err

    async def _prompt(self, text: str) -> ApprovalDecision:
        if not self.interactive:
            self.err.write(f"{text}\n  -> declined (no terminal to ask on)\n")
            self.err.flush()
            return "decline"
        question = f"{text}\n  [y]es / [a]lways this session / [n]o / [s]top the turn: "
        while True:
            self.err.write(question)
            self.err.flush()
            answer = await asyncio.to_thread(sys.stdin.readline)
            decision = _ANSWERS.get(answer.strip().lower())
            if decision is not None:
                return decision

    async def ask_command(self, params: CommandApprovalParams) -> ApprovalDecision:
        """Ask whether to run a command."""
        text = f"\nRun `{params.command}` in {params.cwd}?"
        if params.reason:
            text += f"\n  reason: {params.reason}"
        return await self._prompt(text)

    async def apply_changes(self, request: ChangeRequest) -> ChangeOutcome:
        """Show the diff and ask (when needed), then write to disk."""
        decision: ApprovalDecision = "accept"
        if request.needs_confirmation:
            diffs = "\n".join(change.diff for change in request.changes)
            decision = await self._prompt(f"\n{diffs}\nApply these changes?")
            if decision in ("decline", "cancel"):
                return ChangeOutcome(decision)
        write_changes(request.changes)
        return ChangeOutcome(decision, applied=list(request.changes))
