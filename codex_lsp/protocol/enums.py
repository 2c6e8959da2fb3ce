"""String enumerations shared by many wire models."""

from __future__ import annotations

from typing import Literal

SandboxMode = Literal["read-only", "workspace-write", "danger-full-access"]
AskForApproval = Literal["untrusted", "on-failure", "on-request", "never"]
ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh"]
ReasoningSummary = Literal["auto", "concise", "detailed", "none"]
TurnStatus = Literal["inProgress", "completed", "interrupted", "failed"]
ItemStatus = Literal["inProgress", "completed", "failed", "declined"]
McpToolCallStatus = Literal["inProgress", "completed", "failed", "declined"]
CommandSource = Literal["agent", "userShell"]
ThreadSortKey = Literal["created_at", "updated_at"]
ActiveFlag = Literal["waitingOnApproval", "waitingOnUserInput"]
ApprovalDecision = Literal["accept", "acceptForSession", "decline", "cancel"]
# Codex also has `auto_review` (a reviewing sub-agent); every approval here goes to the user.
ApprovalsReviewer = Literal["user"]
# Where a thread comes from; Codex also has `cli`, `vscode`, `exec`, custom and sub-agent
# sources. Every thread of this server is an app-server thread.
SessionSource = Literal["appServer"]
RiskLevel = Literal["low", "medium", "high"]
MergeStrategy = Literal["replace", "upsert"]
WriteStatus = Literal["ok", "okOverridden"]
AuthMode = Literal["apiKey"]
CodexErrorInfo = Literal[
    "contextWindowExceeded",
    "usageLimitExceeded",
    "unauthorized",
    "badRequest",
    "httpConnectionFailed",
    "responseStreamDisconnected",
    "sandboxError",
    "internalServerError",
    "other",
]
