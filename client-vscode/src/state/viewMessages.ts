// Messages between the extension and the chat webview (shared; no `vscode`, no DOM).
import type { ApprovalDecision } from "../protocol/types.js";
import type { TranscriptPatch } from "./transcript.js";

export interface OpenThreadTab {
  threadId: string;
  title: string;
  active: boolean;
}

export type ToWebview =
  | { type: "patch"; patch: TranscriptPatch }
  | { type: "threads"; open: OpenThreadTab[]; current: string | null }
  | { type: "context"; selection: string | null }
  | { type: "mentionResults"; requestId: number; items: { label: string; detail: string }[] }
  | { type: "server"; state: string; message: string | null }
  | { type: "focusInput"; text?: string }
  /** Text back into the input, after what is there (a stopped turn's queued messages, a
   * rewound message). */
  | { type: "restoreDraft"; text: string };

export type FromWebview =
  | { type: "ready" }
  | { type: "send"; threadId: string | null; text: string; includeSelection: boolean }
  /** Enter while a turn runs: the text joins that turn. */
  | { type: "steer"; threadId: string; text: string; includeSelection: boolean }
  /** Alt+Enter while a turn runs: the text waits for the turn to end. */
  | { type: "queue"; threadId: string; text: string; includeSelection: boolean }
  | { type: "unqueue"; threadId: string; id: string }
  /** "Rewind to here" on a turn's message. */
  | { type: "rewind"; threadId: string; turnId: string }
  | { type: "stop"; threadId: string }
  | { type: "newThread" }
  | { type: "selectThread"; threadId: string }
  | { type: "closeThread"; threadId: string }
  | { type: "approve"; key: string; decision: ApprovalDecision }
  | { type: "openDiff"; threadId: string; itemId: string; path: string }
  | { type: "openTurnDiff"; threadId: string }
  | { type: "openLink"; href: string }
  /** A review finding's place: 1-based inclusive lines, as the reviewer wrote them. */
  | { type: "openLocation"; path: string; startLine: number; endLine: number }
  | { type: "mentionQuery"; requestId: number; query: string };

export function isFromWebview(value: unknown): value is FromWebview {
  return typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string";
}
