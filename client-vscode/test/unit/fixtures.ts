// Notification builders shaped exactly like the generated protocol types.
import type {
  CodexNotification,
  FileUpdateChange,
  ReviewFinding,
  ReviewOutput,
  Thread,
  ThreadItem,
  ThreadStartResult,
  Turn,
} from "../../src/protocol/types.js";

export const THREAD = "thr_1";
export const TURN = "turn_1";

export function thread(overrides: Partial<Thread> = {}): Thread {
  return {
    id: THREAD,
    preview: "",
    name: null,
    modelProvider: "mock",
    model: "gpt-5.1-codex",
    cwd: "/ws",
    path: null,
    createdAt: 1_700_000_000,
    updatedAt: 1_700_000_000,
    status: { type: "idle" },
    forkedFromId: null,
    ephemeral: false,
    source: "appServer",
    sessionId: overrides.id ?? THREAD,
    cliVersion: "0.1.0",
    projectId: null,
    turns: [],
    ...overrides,
  };
}

/** What `codex/thread/start` (and resume) answer for thread `id` with `turns`. */
export function startResult(id = THREAD, turns: Turn[] = []): ThreadStartResult {
  return {
    thread: thread({ id, turns }),
    model: "gpt-5.1-codex",
    modelProvider: "mock",
    cwd: "/ws",
    approvalPolicy: "on-request",
    approvalsReviewer: "user",
    sandbox: { type: "workspaceWrite", writableRoots: [], networkAccess: false },
    reasoningEffort: "medium",
  };
}

export function turn(status: Turn["status"], items: ThreadItem[] = [], id = TURN): Turn {
  return { id, status, items, error: null };
}

export const n = {
  turnStarted: (id = TURN): CodexNotification => ({
    method: "codex/turn/started",
    params: { threadId: THREAD, turn: turn("inProgress", [], id) },
  }),
  turnCompleted: (status: Turn["status"] = "completed", id = TURN): CodexNotification => ({
    method: "codex/turn/completed",
    params: { threadId: THREAD, turn: turn(status, [], id) },
  }),
  started: (item: ThreadItem, turnId = TURN): CodexNotification => ({
    method: "codex/item/started",
    params: { threadId: THREAD, turnId, item, startedAtMs: 1 },
  }),
  completed: (item: ThreadItem, turnId = TURN): CodexNotification => ({
    method: "codex/item/completed",
    params: { threadId: THREAD, turnId, item, completedAtMs: 2 },
  }),
  agentDelta: (itemId: string, delta: string): CodexNotification => ({
    method: "codex/item/agentMessage/delta",
    params: { threadId: THREAD, turnId: TURN, itemId, delta },
  }),
  summaryPart: (itemId: string, summaryIndex: number): CodexNotification => ({
    method: "codex/item/reasoning/summaryPartAdded",
    params: { threadId: THREAD, turnId: TURN, itemId, summaryIndex },
  }),
  summaryDelta: (itemId: string, summaryIndex: number, delta: string): CodexNotification => ({
    method: "codex/item/reasoning/summaryTextDelta",
    params: { threadId: THREAD, turnId: TURN, itemId, summaryIndex, delta },
  }),
  outputDelta: (itemId: string, delta: string): CodexNotification => ({
    method: "codex/item/commandExecution/outputDelta",
    params: { threadId: THREAD, turnId: TURN, itemId, delta },
  }),
};

export function user(id: string, text: string): ThreadItem {
  return { type: "userMessage", id, content: [{ type: "text", text }] };
}

/** `codex/thread/tokenUsage/updated` with the context at `last` tokens of a 200k window. */
export function tokenUsage(last: number, turnId = TURN): CodexNotification {
  const breakdown = (total: number) => ({ totalTokens: total, inputTokens: total, cachedInputTokens: 0, outputTokens: 0, reasoningOutputTokens: 0 });
  return {
    method: "codex/thread/tokenUsage/updated",
    params: { threadId: THREAD, turnId, tokenUsage: { total: breakdown(500_000), last: breakdown(last), modelContextWindow: 200_000 } },
  };
}

export function agent(id: string, text: string): ThreadItem {
  return { type: "agentMessage", id, text };
}

export function command(
  id: string,
  status: "inProgress" | "completed" | "failed" | "declined",
  output: string | null,
  exitCode: number | null,
): ThreadItem {
  return {
    type: "commandExecution",
    id,
    command: "ls -la",
    cwd: "/ws",
    status,
    source: "agent",
    commandActions: [{ type: "listFiles", command: "ls -la", path: null }],
    aggregatedOutput: output,
    exitCode,
    durationMs: status === "inProgress" ? null : 120,
  };
}

export function change(path: string, diff: string): FileUpdateChange {
  return { path, kind: { type: "update", movePath: null }, diff };
}

export function fileChange(
  id: string,
  status: "inProgress" | "completed" | "failed" | "declined",
  changes: FileUpdateChange[],
): ThreadItem {
  return { type: "fileChange", id, status, changes };
}

/** A 30-line file, and the server's diff (apply_patch/diff.py: 3 lines of context) renaming
 * lines 3 and 26. */
export const NOTES = Array.from({ length: 30 }, (_, i) => `line ${i + 1}\n`).join("");
export const NOTES_TWO_HUNKS = [
  "--- a/notes.txt",
  "+++ b/notes.txt",
  "@@ -1,6 +1,6 @@",
  " line 1",
  " line 2",
  "-line 3",
  "+line three",
  " line 4",
  " line 5",
  " line 6",
  "@@ -23,7 +23,7 @@",
  " line 23",
  " line 24",
  " line 25",
  "-line 26",
  "+line twenty-six",
  " line 27",
  " line 28",
  " line 29",
  "",
].join("\n");

/** A review's structured output: `findings` as given, a verdict of "patch is incorrect". */
export function reviewOutput(findings: ReviewFinding[]): ReviewOutput {
  return {
    findings,
    overallCorrectness: "patch is incorrect",
    overallExplanation: "The new loop misses the last element.",
    overallConfidenceScore: 0.8,
  };
}

export function finding(title: string, priority: ReviewFinding["priority"], file: string, start: number, end = start): ReviewFinding {
  return {
    title,
    body: `Body of ${title}.`,
    confidenceScore: 0.9,
    priority,
    codeLocation: { absoluteFilePath: file, lineRange: { start, end } },
  };
}
