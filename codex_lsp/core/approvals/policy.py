"""When a command or a file change needs the user's approval.

- `untrusted`: known-safe commands run sandboxed, anything else is asked about; escalation
  is asked about; patches are asked about.
- `on-failure`: commands run sandboxed and, when the sandbox denied one, the user is asked
  whether to rerun it unsandboxed; escalation is asked about; patches inside the writable
  roots apply.
- `on-request`: commands run sandboxed; escalation requested by the model is asked about;
  patches inside the writable roots apply.
- `never`: commands run sandboxed and failures go back to the model; escalation is refused
  (the model is told); patches inside the writable roots apply.

MCP tool calls: under `untrusted` every call is asked about; otherwise a tool annotated
`readOnlyHint` runs, any other is asked about unless the policy is `never`. A tool accepted
for the session runs.

Writes outside the writable roots are asked about (refused under `never`). When no sandbox
backend can enforce the policy, a command is asked about (refused under `never`) rather
than run unsandboxed silently. `danger-full-access` runs everything unsandboxed; only
`untrusted` still asks about commands that are not known to be safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ...protocol.enums import AskForApproval

Action = Literal["run", "ask", "refuse"]


@dataclass(frozen=True)
class CommandVerdict:
    """What to do with a command, and whether it runs inside the sandbox."""

    action: Action
    sandboxed: bool
    reason: str | None = None


def command_verdict(
    policy: AskForApproval,
    *,
    full_access: bool,
    escalated: bool,
    known_safe: bool,
    enforcement_gap: str | None,
    approved_for_session: bool,
) -> CommandVerdict:
    """Decide before running a command."""
    if full_access:
        if policy == "untrusted" and not known_safe and not approved_for_session:
            return CommandVerdict("ask", sandboxed=False)
        return CommandVerdict("run", sandboxed=False)
    if escalated:
        if approved_for_session:
            return CommandVerdict("run", sandboxed=False)
        if policy == "never":
            return CommandVerdict(
                "refuse",
                sandboxed=False,
                reason="approval policy is `never`: commands cannot run outside the sandbox",
            )
        return CommandVerdict("ask", sandboxed=False)
    if enforcement_gap is not None:
        if approved_for_session:
            return CommandVerdict("run", sandboxed=False)
        if policy == "never":
            return CommandVerdict(
                "refuse",
                sandboxed=False,
                reason=f"{enforcement_gap}; approval policy `never` forbids running unsandboxed",
            )
        return CommandVerdict("ask", sandboxed=False, reason=enforcement_gap)
    if policy == "untrusted" and not known_safe and not approved_for_session:
        return CommandVerdict("ask", sandboxed=True)
    return CommandVerdict("run", sandboxed=True)


def rerun_unsandboxed(policy: AskForApproval) -> bool:
    """After the sandbox denied a command: ask to run it again without the sandbox?"""
    return policy == "on-failure"


def patch_verdict(
    policy: AskForApproval, *, full_access: bool, inside_roots: bool, approved_for_session: bool
) -> Action:
    """Decide before applying a file change."""
    if approved_for_session:
        return "run"
    if policy == "untrusted":
        return "ask"
    if full_access or inside_roots:
        return "run"
    return "refuse" if policy == "never" else "ask"


def mcp_call_verdict(
    policy: AskForApproval, *, read_only: bool, approved_for_session: bool
) -> Literal["run", "ask"]:
    """Decide before calling an MCP tool."""
    if approved_for_session:
        return "run"
    if policy == "untrusted":
        return "ask"
    if read_only or policy == "never":
        return "run"
    return "ask"
