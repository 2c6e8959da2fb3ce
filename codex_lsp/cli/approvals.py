"""Approvals in a terminal (`codex-lsp exec`): prompts on the controlling TTY; without one,
anything that needs approval is declined (and the model is told), or, for the demo,
approved with a line saying so (`auto_approve`).

A command prompt shows the model's risk assessment when `config.toml` has
`experimental_sandbox_command_assessment = true`, and offers `[p]` to run the command and
always allow the proposed prefix in this folder (remembered under `$CODEX_HOME`).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from typing import TextIO

from ..core.approvals.gate import ChangeOutcome, ChangeRequest
from ..core.text import write_changes
from ..core.tools.file_changes import wire_changes
from ..protocol.approvals import CommandApprovalParams, Decision, amendment_answer
from ..protocol.enums import ApprovalDecision
from ..server.diff_text import ChangeView, change_prompt

# Lines of diff an approval prompt in the terminal shows.
TERMINAL_DIFF_LINES = 400

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

    def __init__(
        self,
        interactive: bool | None = None,
        err: TextIO = sys.stderr,
        *,
        auto_approve: str | None = None,
        cwd: str | None = None,
    ) -> None:
        self.interactive = sys.stdin.isatty() if interactive is None else interactive
        self.err = err
        # Paths in prompts are shown relative to this folder.
        self.cwd = cwd
        # Without a terminal: approve, saying this (None: decline).
        self.auto_approve = auto_approve

    async def _prompt(
        self, text: str, extra: Mapping[str, Decision] | None = None, extra_choice: str = ""
    ) -> Decision:
        if not self.interactive:
            if self.auto_approve is not None:
                self.err.write(f"{text}\n  -> approved automatically ({self.auto_approve})\n")
                self.err.flush()
                return "accept"
            self.err.write(f"{text}\n  -> declined (no terminal to ask on)\n")
            self.err.flush()
            return "decline"
        answers: dict[str, Decision] = {**_ANSWERS, **(extra or {})}
        question = (
            f"{text}\n{extra_choice}  [y]es / [a]lways this session / [n]o / [s]top the turn: "
        )
        while True:
            self.err.write(question)
            self.err.flush()
            answer = await asyncio.to_thread(sys.stdin.readline)
            decision = answers.get(answer.strip().lower())
            if decision is not None:
                return decision

    async def ask_command(self, params: CommandApprovalParams) -> Decision:
        """Ask whether to run a command."""
        text = f"\nRun `{params.command}` in {params.cwd}?"
        if params.reason:
            text += f"\n  reason: {params.reason}"
        if params.risk is not None:
            from ..core.approvals.risk import risk_line

            text += f"\n  {risk_line(params.risk).replace('Risk:', 'risk:', 1)}"
        prefix = params.proposed_execpolicy_amendment
        if not prefix:
            return await self._prompt(text)
        choice = f'  [p] run it, and always allow "{" ".join(prefix)}" in this folder\n'
        return await self._prompt(text, {"p": amendment_answer(prefix)}, choice)

    async def apply_changes(self, request: ChangeRequest) -> ChangeOutcome:
        """Show the diff and ask (when needed), then write to disk."""
        decision: ApprovalDecision = "accept"
        if request.needs_confirmation:
            views = [ChangeView.of(c, self.cwd) for c in wire_changes(request.changes)]
            text = change_prompt(views, request.reason, limit=TERMINAL_DIFF_LINES)
            if self.err.isatty():
                text = _colored(text)
            answer = await self._prompt(f"\n{text}\nApply these changes?")
            decision = answer if isinstance(answer, str) else "accept"
            if decision in ("decline", "cancel"):
                return ChangeOutcome(decision)
        write_changes(request.changes)
        return ChangeOutcome(decision, applied=list(request.changes))


def _colored(prompt: str) -> str:
    """The diff lines of a prompt in colour: added green, removed red, hunk headers cyan."""
    out = []
    for line in prompt.split("\n"):
        if line.startswith(("+++", "---")):
            out.append(f"\x1b[1m{line}\x1b[0m")
        elif line.startswith("+"):
            out.append(f"\x1b[32m{line}\x1b[0m")
        elif line.startswith("-"):
            out.append(f"\x1b[31m{line}\x1b[0m")
        elif line.startswith("@@"):
            out.append(f"\x1b[36m{line}\x1b[0m")
        else:
            out.append(line)
    return "\n".join(out)
