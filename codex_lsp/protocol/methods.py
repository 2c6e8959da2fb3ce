"""The one method table: every codex/ request and notification with its payload types."""

from __future__ import annotations

from dataclasses import dataclass

from . import account, approvals, config, mcp, model_catalog, notifications, review, thread, turn
from .base import EmptyResult, WireModel


@dataclass(frozen=True)
class RequestSpec:
    """A request's params type (`None` when the params are `null`) and result type."""

    params: type[WireModel] | None
    result: type[WireModel]


PREFIX = "codex/"

# Client -> server requests.
REQUESTS: dict[str, RequestSpec] = {
    "codex/thread/start": RequestSpec(thread.ThreadStartParams, thread.ThreadStartResult),
    "codex/thread/resume": RequestSpec(thread.ThreadResumeParams, thread.ThreadStartResult),
    "codex/thread/fork": RequestSpec(thread.ThreadForkParams, thread.ThreadStartResult),
    "codex/thread/read": RequestSpec(thread.ThreadReadParams, thread.ThreadReadResult),
    "codex/thread/list": RequestSpec(thread.ThreadListParams, thread.ThreadListResult),
    "codex/thread/archive": RequestSpec(thread.ThreadIdParams, EmptyResult),
    "codex/thread/unarchive": RequestSpec(thread.ThreadIdParams, thread.ThreadUnarchiveResult),
    "codex/thread/name/set": RequestSpec(thread.ThreadSetNameParams, EmptyResult),
    "codex/thread/compact/start": RequestSpec(thread.ThreadIdParams, EmptyResult),
    "codex/thread/revert": RequestSpec(thread.ThreadRevertParams, thread.ThreadRevertResult),
    "codex/thread/rollback": RequestSpec(thread.ThreadRollbackParams, thread.ThreadRevertResult),
    "codex/thread/shellCommand": RequestSpec(thread.ThreadShellCommandParams, EmptyResult),
    "codex/turn/start": RequestSpec(turn.TurnStartParams, turn.TurnStartResult),
    "codex/turn/interrupt": RequestSpec(turn.TurnInterruptParams, EmptyResult),
    "codex/turn/steer": RequestSpec(turn.TurnSteerParams, turn.TurnSteerResult),
    "codex/review/start": RequestSpec(review.ReviewStartParams, review.ReviewStartResult),
    "codex/model/list": RequestSpec(model_catalog.ModelListParams, model_catalog.ModelListResult),
    "codex/account/read": RequestSpec(account.AccountReadParams, account.AccountReadResult),
    "codex/account/login/start": RequestSpec(account.LoginApiKeyParams, account.LoginApiKeyResult),
    "codex/account/logout": RequestSpec(None, EmptyResult),
    "codex/account/rateLimits/read": RequestSpec(None, account.RateLimitsReadResult),
    "codex/config/read": RequestSpec(config.ConfigReadParams, config.ConfigReadResult),
    "codex/config/value/write": RequestSpec(
        config.ConfigValueWriteParams, config.ConfigWriteResult
    ),
    "codex/config/batchWrite": RequestSpec(config.ConfigBatchWriteParams, config.ConfigWriteResult),
    "codex/mcpServerStatus/list": RequestSpec(
        mcp.McpServerStatusListParams, mcp.McpServerStatusListResult
    ),
    "codex/mcpServer/oauth/login": RequestSpec(mcp.McpOauthLoginParams, mcp.McpOauthLoginResult),
    "codex/config/mcpServer/reload": RequestSpec(None, EmptyResult),
}

# Server -> client notifications.
NOTIFICATIONS: dict[str, type[WireModel]] = {
    "codex/thread/started": notifications.ThreadStartedNotification,
    "codex/thread/status/changed": notifications.ThreadStatusChangedNotification,
    "codex/thread/archived": notifications.ThreadIdNotification,
    "codex/thread/unarchived": notifications.ThreadIdNotification,
    "codex/thread/name/updated": notifications.ThreadNameUpdatedNotification,
    "codex/thread/compacted": notifications.ThreadCompactedNotification,
    "codex/thread/reverted": notifications.ThreadIdNotification,
    "codex/thread/tokenUsage/updated": notifications.TokenUsageUpdatedNotification,
    "codex/turn/started": notifications.TurnNotification,
    "codex/turn/completed": notifications.TurnNotification,
    "codex/turn/diff/updated": notifications.TurnDiffUpdatedNotification,
    "codex/turn/plan/updated": notifications.TurnPlanUpdatedNotification,
    "codex/item/started": notifications.ItemStartedNotification,
    "codex/item/completed": notifications.ItemCompletedNotification,
    "codex/item/agentMessage/delta": notifications.AgentMessageDeltaNotification,
    "codex/item/reasoning/summaryPartAdded": notifications.ReasoningSummaryPartAddedNotification,
    "codex/item/reasoning/summaryTextDelta": notifications.ReasoningSummaryTextDeltaNotification,
    "codex/item/reasoning/textDelta": notifications.ReasoningTextDeltaNotification,
    "codex/item/commandExecution/outputDelta": notifications.CommandOutputDeltaNotification,
    "codex/item/mcpToolCall/progress": notifications.McpToolCallProgressNotification,
    "codex/rawResponseItem/completed": notifications.RawResponseItemCompletedNotification,
    "codex/serverRequest/resolved": notifications.ServerRequestResolvedNotification,
    "codex/error": notifications.ErrorNotification,
    "codex/account/updated": account.AccountUpdatedNotification,
    "codex/account/login/completed": account.LoginCompletedNotification,
    "codex/account/rateLimits/updated": account.RateLimitsUpdatedNotification,
    "codex/mcpServer/startupStatus/updated": mcp.McpStartupStatusNotification,
    "codex/mcpServer/oauthLogin/completed": mcp.McpOauthLoginCompletedNotification,
}

# Server -> client requests (approvals, for clients with `experimental.codex.approvals`).
SERVER_REQUESTS: dict[str, RequestSpec] = {
    "codex/item/commandExecution/requestApproval": RequestSpec(
        approvals.CommandApprovalParams, approvals.ApprovalResult
    ),
    "codex/item/fileChange/requestApproval": RequestSpec(
        approvals.FileChangeApprovalParams, approvals.ApprovalResult
    ),
}

# Notifications a client with `deltas: false` does not receive.
DELTA_NOTIFICATIONS: frozenset[str] = frozenset(
    {
        "codex/item/agentMessage/delta",
        "codex/item/reasoning/summaryTextDelta",
        "codex/item/reasoning/textDelta",
        "codex/item/commandExecution/outputDelta",
    }
)
