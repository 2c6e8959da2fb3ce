"""How a turn asks the user, waits, and remembers `acceptForSession`.

The transport (LSP custom requests, standard LSP requests, or the terminal) is supplied by
whoever serves the thread; the gate keeps the thread's `waitingOnApproval` flag and the
session's standing approvals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ...protocol.approvals import CommandApprovalParams
from ...protocol.enums import ApprovalDecision
from ..telemetry.context import note_decision

if TYPE_CHECKING:
    from ..text import FileChange


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

    async def ask_command(self, params: CommandApprovalParams) -> ApprovalDecision:
        """Ask whether to run a command. Cancellation abandons the request."""
        ...

    async def apply_changes(self, request: ChangeRequest) -> ChangeOutcome:
        """Confirm (if needed) and land file changes."""
        ...


class ApprovalGate:
    """One thread's approvals."""

    def __init__(
        self, transport: ApprovalTransport, on_waiting: Callable[[bool], None] | None = None
    ) -> None:
        self.transport = transport
        self._on_waiting = on_waiting or (lambda _waiting: None)
        self._commands: set[tuple[tuple[str, ...], str]] = set()
        self._roots: set[Path] = set()

    def command_approved(self, argv: Sequence[str], cwd: str) -> bool:
        """Was this exact command (argv and cwd) accepted for the session?"""
        approved = (tuple(argv), cwd) in self._commands
        if approved:
            note_decision("acceptForSession", "config")
        return approved

    def changes_approved(self, paths: Sequence[Path]) -> bool:
        """Are all these paths under a root accepted for the session?"""
        approved = bool(paths) and all(
            any(p == root or root in p.parents for root in self._roots) for p in paths
        )
        if approved:
            note_decision("acceptForSession", "config")
        return approved

    async def ask_command(
        self, params: CommandApprovalParams, argv: Sequence[str]
    ) -> ApprovalDecision:
        """Ask about a command; `cancel` raises `TurnCancelled` after the caller's cleanup."""
        self._on_waiting(True)
        try:
            decision = await self.transport.ask_command(params)
        finally:
            self._on_waiting(False)
        note_decision(decision)
        if decision == "acceptForSession":
            self._commands.add((tuple(argv), params.cwd))
        return decision

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
