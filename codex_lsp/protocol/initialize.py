"""What client and server say about codex at LSP `initialize`."""

from __future__ import annotations

from pydantic import Field

from .base import WireModel
from .enums import AskForApproval, ReasoningEffort, ReasoningSummary, SandboxMode


class ClientCodexCapabilities(WireModel):
    """`capabilities.experimental.codex` of the client: which agent UI it has."""

    approvals: bool = False
    deltas: bool = True


class EditorSettings(WireModel):
    """`initializationOptions.codex` and the `codex` section of `workspace/configuration`."""

    model: str | None = None
    model_provider: str | None = None
    reasoning_effort: ReasoningEffort | None = None
    reasoning_summary: ReasoningSummary | None = None
    approval_policy: AskForApproval | None = None
    sandbox_mode: SandboxMode | None = None
    network_access: bool | None = None
    writable_roots: list[str] | None = None
    profile: str | None = None


class ServerCodexCapabilities(WireModel):
    """`capabilities.experimental.codex` of the server."""

    protocol_version: str = "2"
    methods: list[str] = Field(default_factory=list)
