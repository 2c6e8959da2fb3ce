"""How a turn asks the user, waits, and remembers `acceptForSession` and rules.

The transport (LSP custom requests, standard LSP requests, or the terminal) is supplied by
whoever serves the thread; the gate keeps the thread's `waitingOnApproval` flag and the
session's standing approvals. Its `advisor` (given by the thread manager, which knows the
thread's settings and model) holds the remembered command rules of `$CODEX_HOME` and, when
configured, the model's risk assessment: a command approval then carries `risk` and
`proposedExecpolicyAmendment`, and an `acceptWithExecpolicyAmendment` answer stores the
rule (PROTOCOL.md "Approvals that inform and remember").
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ...protocol.approvals import (
    AcceptWithExecpolicyAmendment,
    CommandApprovalParams,
    CommandRisk,
    Decision,
)
from ...protocol.enums import ApprovalDecision
from ..telemetry.context import note_decision
from .rules import RuleStore, is_safe_prefix, prefix_matches, propose_prefix

if TYPE_CHECKING:
    from ..text import FileChange

log = logging.getLogger(__name__)

# The model's assessment of the command about to be asked about (None: none).
Assessor = Callable[[CommandApprovalParams, Sequence[str]], Awaitable[CommandRisk | None]]


@dataclass(frozen=True)
class CommandAdvisor:
    """What a thread's command approvals consult: the remembered rules, and the risk
    assessment (None: `experimental_sandbox_command_assessment` is off)."""

    rules: RuleStore
    assess: Assessor | None = None


class TurnCancelled(Exception):
    """The user answered `cancel`: the turn ends `interrupted`."""


@dataclass
class ChangeRequest:
    """File changes to land, asking the user first when `needs_confirmation`."""

    thread_id: str
    turn_id: str
    item_id: str
    changes: Sequence[FileChange]
    needs_confirmation: bool
    reason: str | None
    grant_root: str | None = None
    # Computes the same changes again against what the files hold now (the user typed
    # meanwhile); raises the tool's error when they no longer apply. None: cannot.
    recompute: Callable[[], list[FileChange]] | None = None


@dataclass
class ChangeOutcome:
    """What the user decided and what really landed (a subset of hunks when partial)."""

    decision: ApprovalDecision
    applied: list[FileChange] = field(default_factory=list)
    # Per file path, the 1-based numbers of the hunks the user left out.
    rejected_hunks: dict[str, list[int]] = field(default_factory=dict)
    # Per file path, where the user edited the proposal before accepting it: a unified diff
    # from the proposed text to what landed.
    user_edited: dict[str, str] = field(default_factory=dict)
    error: str | None = None


class ApprovalTransport(Protocol):
    """Reaches the user: an editor (custom or standard LSP requests) or a terminal."""

    async def ask_command(self, params: CommandApprovalParams) -> Decision:
        """Ask whether to run a command. Cancellation abandons the request."""
        ...

    async def apply_changes(self, request: ChangeRequest) -> ChangeOutcome:
        """Confirm (if needed) and land file changes."""
        ...


class ApprovalGate:
    """One thread's approvals."""

    def __init__(
        self,
        transport: ApprovalTransport,
        on_waiting: Callable[[bool], None] | None = None,
        advisor: Callable[[], CommandAdvisor] | None = None,
    ) -> None:
        self.transport = transport
        # Made at each question, so a rule stored meanwhile (another server) applies.
        self._advisor = advisor
        self._on_waiting = on_waiting or (lambda _waiting: None)
        self._commands: set[tuple[tuple[str, ...], str]] = set()
        self._roots: set[Path] = set()

    def command_approved(self, argv: Sequence[str], cwd: str) -> bool:
        """Was this exact command (argv and cwd) accepted for the session?"""
        approved = (tuple(argv), cwd) in self._commands
        if approved:
            note_decision("acceptForSession", "config")
        return approved

    def advisor(self) -> CommandAdvisor | None:
        """The rules and assessment of the thread's commands (None: no rules here)."""
        return self._advisor() if self._advisor is not None else None

    def rule_allows(self, argv: Sequence[str], rule_cwd: str) -> bool:
        """Does a remembered rule let `argv` run without asking in a thread whose cwd is
        `rule_cwd`?"""
        advisor = self.advisor()
        rule = advisor.rules.allows(argv, rule_cwd) if advisor is not None else None
        if rule is not None:
            log.info("command allowed by the remembered rule %r for %s", rule.prefix, rule.cwd)
            note_decision("approved_for_session", "config")
        return rule is not None

    def changes_approved(self, paths: Sequence[Path]) -> bool:
        """Are all these paths under a root accepted for the session?"""
        approved = bool(paths) and all(
            any(p == root or root in p.parents for root in self._roots) for p in paths
        )
        if approved:
            note_decision("acceptForSession", "config")
        return approved

    async def ask_command(
        self, params: CommandApprovalParams, argv: Sequence[str], rule_cwd: str | None = None
    ) -> ApprovalDecision:
        """Ask about a command (with the risk assessment when configured, and a rule for
        `rule_cwd` proposed when one would spare this question next time; None: a rule
        would not); an accepted amendment is remembered and answers `accept`. `cancel`
        raises `TurnCancelled` after the caller's cleanup."""
        advisor = self.advisor()
        if advisor is not None and advisor.assess is not None:
            params.risk = await advisor.assess(params, argv)
        if advisor is not None and rule_cwd is not None:
            params.proposed_execpolicy_amendment = propose_prefix(argv)
        self._on_waiting(True)
        try:
            answer = await self.transport.ask_command(params)
        finally:
            self._on_waiting(False)
        note_decision(answer)
        if isinstance(answer, AcceptWithExecpolicyAmendment):
            prefix = answer.accept_with_execpolicy_amendment.execpolicy_amendment
            self._remember(advisor, rule_cwd, prefix, argv)
            return "accept"
        if answer == "acceptForSession":
            self._commands.add((tuple(argv), params.cwd))
        return answer

    def _remember(
        self,
        advisor: CommandAdvisor | None,
        rule_cwd: str | None,
        prefix: Sequence[str],
        argv: Sequence[str],
    ) -> None:
        """Store an accepted amendment: a safe prefix of this very command, for a question
        a rule can spare (anything else only runs the command)."""
        if advisor is None or rule_cwd is None:
            log.warning("an amendment was accepted where no rule applies: the command runs once")
            return
        if not is_safe_prefix(prefix) or not prefix_matches(prefix, argv):
            log.warning(
                "refusing to remember %r: not a safe prefix of this command (it runs once)",
                list(prefix),
            )
            return
        try:
            advisor.rules.add(rule_cwd, prefix)
        except OSError as exc:
            log.warning("cannot save the remembered rule %r: %s", list(prefix), exc)

    async def apply_changes(self, request: ChangeRequest, root: Path) -> ChangeOutcome:
        """Land file changes, asking first when the request says so."""
        if request.needs_confirmation:
            self._on_waiting(True)
        try:
            outcome = await self.transport.apply_changes(request)
        finally:
            if request.needs_confirmation:
                self._on_waiting(False)
        if request.needs_confirmation:
            note_decision(outcome.decision)
        if outcome.decision == "acceptForSession":
            self._roots.add(root)
        return outcome
