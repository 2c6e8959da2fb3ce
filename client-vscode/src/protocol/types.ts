// Names derived from the generated protocol types (no shape is written here by hand).
import type {
  ApprovalResult,
  ClientCodexCapabilities,
  CommandRisk,
  EditorSettings,
  ServerNotificationMethod,
  ServerNotifications,
  ThreadStartParams,
  ThreadStartResult,
  Turn,
  TurnStartParams,
} from "./generated.js";

export type * from "./generated.js";

/** Any item of a turn (`ThreadItem` in PROTOCOL.md). */
export type ThreadItem = Turn["items"][number];
export type ThreadItemType = ThreadItem["type"];
/** What the client sends as one `UserInput` of `codex/turn/start`. */
export type UserInputParam = TurnStartParams["input"][number];
/** `SandboxPolicy` as sent with `codex/turn/start`. */
export type SandboxPolicyParam = NonNullable<TurnStartParams["sandboxPolicy"]>;
/** `SandboxPolicy` as the server reports it. */
export type SandboxPolicy = ThreadStartResult["sandbox"];
export type SandboxMode = NonNullable<ThreadStartParams["sandbox"]>;
export type AskForApproval = NonNullable<ThreadStartParams["approvalPolicy"]>;
export type ReasoningEffort = NonNullable<EditorSettings["reasoningEffort"]>;
/** The answer to an approval: a plain decision, or (commands) "run it and remember its
 * prefix" (`acceptWithExecpolicyAmendment`, PROTOCOL.md "Approvals that inform and
 * remember"). */
export type ApprovalDecision = ApprovalResult["decision"];
export type RiskLevel = CommandRisk["riskLevel"];

/** One server notification, tagged with its method. */
export type CodexNotification = {
  [M in ServerNotificationMethod]: { method: M; params: ServerNotifications[M] };
}[ServerNotificationMethod];

/** What this extension declares in `capabilities.experimental.codex`. */
export const CODEX_CLIENT_CAPABILITIES: Required<ClientCodexCapabilities> = {
  approvals: true,
  deltas: true,
};
