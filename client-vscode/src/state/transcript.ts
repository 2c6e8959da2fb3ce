// The chat transcript as a plain model: server notifications (and a resumed thread's
// history) in, entries out. No `vscode` import; the chat view renders what this produces.
import type {
  CodexNotification,
  CommandRisk,
  FileUpdateChange,
  PlanStep,
  ReviewOutput,
  Thread,
  ThreadItem,
  TokenUsage,
  Turn,
} from "../protocol/types.js";
import type { SelectionContext } from "./chatInput.js";
import { FileStates } from "./fileStates.js";
import { type McpEntry, mcpEntry } from "./mcp.js";

export type ItemStatus = "inProgress" | "completed" | "failed" | "declined";
export type TurnStatus = Turn["status"];

/** A pending approval shown on an entry (the buttons of its card). */
export interface ApprovalState {
  key: string;
  kind: "command" | "fileChange";
  reason: string | null;
  /** Commands: the model's risk assessment (null when off, failed or too slow). */
  risk?: CommandRisk | null;
  /** Commands: the argv prefix "Always allow" would remember (`proposedExecpolicyAmendment`). */
  amendment?: string[] | null;
}

interface EntryBase {
  /** The item id (or a synthetic id for notices). */
  id: string;
  turnId: string | null;
}

export interface UserEntry extends EntryBase {
  kind: "user";
  text: string;
  /** Mentions, documents and images, as short labels. */
  attachments: string[];
  /** Input added to a running turn (`codex/turn/steer`), not the message that started it. */
  steered: boolean;
}

export interface AgentEntry extends EntryBase {
  kind: "agent";
  text: string;
  streaming: boolean;
}

export interface ReasoningEntry extends EntryBase {
  kind: "reasoning";
  summary: string[];
  content: string[];
  streaming: boolean;
}

export interface CommandEntry extends EntryBase {
  kind: "command";
  command: string;
  cwd: string;
  source: "agent" | "userShell";
  status: ItemStatus;
  output: string;
  exitCode: number | null;
  durationMs: number | null;
  /** What the command does, when it could be classified ("read foo.ts"). */
  actions: string[];
  approval: ApprovalState | null;
}

/** What a file-change card says the files hold: `reverted` = the user took the applied
 * edit back in the editor (Ctrl+Z); `undone` = Codex: Undo Last Turn restored them. */
export type FileOutcome = "proposed" | "applying" | "applied" | "partlyApplied" | "edited" | "undone" | "reverted" | "declined" | "failed";

/** How a change can have landed (what an undo takes back, what the editor can revert). */
const LANDED: readonly FileOutcome[] = ["applied", "partlyApplied", "edited"];

export interface FileChangeView {
  path: string;
  kind: "add" | "delete" | "update";
  movePath: string | null;
  diff: string;
  added: number;
  removed: number;
}

export interface FileChangeEntry extends EntryBase {
  kind: "fileChange";
  status: ItemStatus;
  outcome: FileOutcome;
  changes: FileChangeView[];
  /** Paths whose document holds its text from before the change again (the user reverted
   * the edit in the editor); all of them: `outcome` is "reverted". */
  reverted: string[];
  approval: ApprovalState | null;
}

/** A web search the model made (`webSearch`): its query once known. `failed`: the turn
 * ended before the search did. */
export interface WebSearchEntry extends EntryBase {
  kind: "webSearch";
  query: string;
  status: "inProgress" | "completed" | "failed";
}

export interface NoticeEntry extends EntryBase {
  kind: "notice";
  level: "info" | "warning" | "error";
  text: string;
}

/** The thread's history was compacted (`contextCompaction`): by the user (a turn of its
 * own) or automatically (inside a turn with a user message: the context was full). */
export interface CompactionEntry extends EntryBase {
  kind: "compaction";
  inProgress: boolean;
  automatic: boolean;
}

/** A review began (`enteredReviewMode`): `review` says what is reviewed. */
export interface ReviewStartEntry extends EntryBase {
  kind: "reviewStart";
  review: string;
}

/** A review ended (`exitedReviewMode`): its findings and verdict, or (when the reviewer's
 * answer was not review JSON, `output: null`) its text as markdown. */
export interface ReviewEntry extends EntryBase {
  kind: "review";
  review: string;
  output: ReviewOutput | null;
}

export type Entry =
  | UserEntry
  | AgentEntry
  | ReasoningEntry
  | CommandEntry
  | FileChangeEntry
  | WebSearchEntry
  | McpEntry
  | NoticeEntry
  | CompactionEntry
  | ReviewStartEntry
  | ReviewEntry;

export interface PlanView {
  turnId: string;
  explanation: string | null;
  steps: PlanStep[];
}

/** A message typed while a turn ran, to be sent as a turn of its own once it ends. */
export interface QueuedMessage {
  id: string;
  text: string;
  /** The editor selection included with it (as when it was typed). */
  selection: SelectionContext | null;
}

export interface ThreadMeta {
  threadId: string;
  title: string;
  cwd: string | null;
  status: "idle" | "active" | "notLoaded" | "systemError";
  waitingOnApproval: boolean;
  activeTurnId: string | null;
  lastTurnStatus: TurnStatus | null;
  plan: PlanView | null;
  tokenUsage: TokenUsage | null;
  /** Share of the context window in use (0..1), when the window is known. */
  contextUsed: number | null;
  turnDiff: string | null;
  /** Messages waiting for the running turn to end, oldest first. */
  queued: QueuedMessage[];
}

/** What changed in one thread since the last `takeChanges`. */
export interface TranscriptPatch {
  threadId: string;
  /** Entries were replaced wholesale (resume, undo): drop what is shown first. */
  reset: boolean;
  /** New or changed entries, in transcript order. */
  entries: Entry[];
  meta: ThreadMeta;
}

class ThreadTranscript {
  readonly entries: Entry[] = [];
  readonly byId = new Map<string, Entry>();
  /** Diffs of file changes as first proposed, to tell a partial application. */
  readonly proposed = new Map<string, string[]>();
  /** How each completed file change landed (before undo or revert marks). */
  readonly landed = new Map<string, FileOutcome>();
  /** The thread's turns in order (what a rewind counts). */
  readonly turnIds: string[] = [];
  meta: ThreadMeta;
  dirty = new Set<string>();
  metaDirty = true;
  reset = false;
  private noticeCount = 0;

  constructor(
    threadId: string,
    /** What the thread's history does not say (partly applied, undone, reverted), kept
     * across reloads of the transcript and of the window. */
    readonly memory: FileStates,
  ) {
    this.meta = {
      threadId,
      title: "New thread",
      cwd: null,
      status: "idle",
      waitingOnApproval: false,
      activeTurnId: null,
      lastTurnStatus: null,
      plan: null,
      tokenUsage: null,
      contextUsed: null,
      turnDiff: null,
      queued: [],
    };
  }

  touch(entry: Entry): void {
    this.dirty.add(entry.id);
  }

  add(entry: Entry): Entry {
    const existing = this.byId.get(entry.id);
    if (existing) {
      Object.assign(existing, entry);
      this.touch(existing);
      return existing;
    }
    this.entries.push(entry);
    this.byId.set(entry.id, entry);
    this.touch(entry);
    return entry;
  }

  notice(turnId: string | null, level: NoticeEntry["level"], text: string): void {
    this.noticeCount += 1;
    this.add({ kind: "notice", id: `notice-${this.noticeCount}`, turnId, level, text });
  }

  /** The user entries of a turn. */
  usersOf(turnId: string): UserEntry[] {
    return this.entries.filter((e): e is UserEntry => e.kind === "user" && e.turnId === turnId);
  }

  /** The card of a landed change: how it landed, then undone / reverted in the editor. */
  fileState(itemId: string, landed: FileOutcome, paths: readonly string[]): { outcome: FileOutcome; reverted: string[] } {
    if (!LANDED.includes(landed)) return { outcome: landed, reverted: [] };
    const record = this.memory.get(this.meta.threadId, itemId);
    if (record?.undone) return { outcome: "undone", reverted: [] };
    const reverted = (record?.reverted ?? []).filter((p) => paths.includes(p));
    const all = paths.length > 0 && paths.every((p) => reverted.includes(p));
    return { outcome: all ? "reverted" : landed, reverted };
  }

  /** Re-derive a file-change card after its record changed. */
  refresh(entry: FileChangeEntry): void {
    const landed = this.landed.get(entry.id);
    if (landed === undefined) return;
    Object.assign(entry, this.fileState(entry.id, landed, entry.changes.map((c) => c.path)));
    this.touch(entry);
  }

  clear(): void {
    this.entries.length = 0;
    this.turnIds.length = 0;
    this.byId.clear();
    this.proposed.clear();
    this.landed.clear();
    this.dirty.clear();
    this.reset = true;
    this.metaDirty = true;
    this.meta.plan = null;
    this.meta.turnDiff = null;
    this.meta.activeTurnId = null;
  }
}

function countLines(diff: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of diff.split("\n")) {
    if (line.startsWith("+++") || line.startsWith("---")) continue;
    if (line.startsWith("+")) added += 1;
    else if (line.startsWith("-")) removed += 1;
  }
  return { added, removed };
}

function fileViews(changes: FileUpdateChange[]): FileChangeView[] {
  return changes.map((c) => ({
    path: c.path,
    kind: c.kind.type,
    movePath: c.kind.movePath,
    diff: c.diff,
    ...countLines(c.diff),
  }));
}

type CommandAction = Extract<ThreadItem, { type: "commandExecution" }>["commandActions"][number];

function describeAction(action: CommandAction): string {
  switch (action.type) {
    case "read":
      return `read ${action.name || (action.path ?? "")}`.trim();
    case "listFiles":
      return `list ${action.path ?? "."}`;
    case "search":
      return `search ${action.query !== null ? JSON.stringify(action.query) : ""}${action.path ? ` in ${action.path}` : ""}`.trim();
    default:
      return "";
  }
}

function userLabel(input: Extract<ThreadItem, { type: "userMessage" }>["content"][number]): string | null {
  switch (input.type) {
    case "mention":
      return `@${input.name}`;
    case "document": {
      const name = decodeURIComponent(input.uri.split("/").pop() ?? input.uri);
      return input.range ? `${name}:${input.range.start.line + 1}-${input.range.end.line + 1}` : name;
    }
    case "image":
      return "image";
    case "localImage":
      return input.path.split(/[\\/]/).pop() ?? "image";
    default:
      return null;
  }
}

function outcomeOf(status: ItemStatus, proposed: string[] | undefined, applied: FileUpdateChange[]): FileOutcome {
  switch (status) {
    case "inProgress":
      return "proposed";
    case "declined":
      return "declined";
    case "failed":
      return "failed";
    case "completed": {
      if (proposed === undefined) return "applied";
      // The server reduces `changes` to what really landed: unticked or reverted hunks, or
      // the user's own text (an added line the proposal never had).
      const proposedLines = new Set(proposed.flatMap(addedLines));
      if (applied.some((c) => addedLines(c.diff).some((line) => !proposedLines.has(line)))) return "edited";
      if (applied.length < proposed.length) return "partlyApplied";
      return applied.every((c, i) => c.diff === proposed[i]) ? "applied" : "partlyApplied";
    }
  }
}

/** The lines a unified diff adds (without their "+"). */
function addedLines(diff: string): string[] {
  return diff.split("\n").filter((line) => line.startsWith("+") && !line.startsWith("+++ ")).map((line) => line.slice(1));
}

/** Entry for an item (started, completed, or replayed from history). */
function entryFor(item: ThreadItem, turnId: string, done: boolean, t: ThreadTranscript): Entry {
  switch (item.type) {
    case "userMessage": {
      const text = item.content
        .map((c) => (c.type === "text" ? c.text : ""))
        .filter((s) => s !== "")
        .join("\n");
      const attachments = item.content.map(userLabel).filter((s): s is string => s !== null);
      const steered = t.usersOf(turnId).some((e) => e.id !== item.id);
      return { kind: "user", id: item.id, turnId, text, attachments, steered };
    }
    case "agentMessage":
      return { kind: "agent", id: item.id, turnId, text: item.text, streaming: !done };
    case "reasoning":
      return {
        kind: "reasoning",
        id: item.id,
        turnId,
        summary: [...item.summary],
        content: [...item.content],
        streaming: !done,
      };
    case "commandExecution": {
      const prior = t.byId.get(item.id);
      return {
        kind: "command",
        id: item.id,
        turnId,
        command: item.command,
        cwd: item.cwd,
        source: item.source,
        status: item.status,
        output: item.aggregatedOutput ?? (prior?.kind === "command" ? prior.output : ""),
        exitCode: item.exitCode,
        durationMs: item.durationMs,
        actions: item.commandActions.map(describeAction).filter((s) => s !== ""),
        approval: done ? null : prior?.kind === "command" ? prior.approval : null,
      };
    }
    case "fileChange": {
      const prior = t.byId.get(item.id);
      const base = { kind: "fileChange", id: item.id, turnId, status: item.status, changes: fileViews(item.changes) } as const;
      if (!done) {
        if (!t.proposed.has(item.id)) t.proposed.set(item.id, item.changes.map((c) => c.diff));
        return { ...base, outcome: "proposed", reverted: [], approval: prior?.kind === "fileChange" ? prior.approval : null };
      }
      const proposed = t.proposed.get(item.id);
      let landed = outcomeOf(item.status, proposed, item.changes);
      if (proposed !== undefined && (landed === "partlyApplied" || landed === "edited")) {
        t.memory.update(t.meta.threadId, item.id, { landed });
      } else if (proposed === undefined && landed === "applied") {
        // A resumed history says "completed" only: how it landed was remembered here.
        landed = t.memory.get(t.meta.threadId, item.id)?.landed ?? landed;
      }
      t.landed.set(item.id, landed);
      return { ...base, ...t.fileState(item.id, landed, item.changes.map((c) => c.path)), approval: null };
    }
    case "mcpToolCall": {
      const prior = t.byId.get(item.id);
      return mcpEntry(item, turnId, done, prior?.kind === "mcp" ? prior : undefined);
    }
    case "webSearch": {
      // The query may only come with the completed item: a started one without it keeps
      // what was shown.
      const prior = t.byId.get(item.id);
      const query = item.query || (prior?.kind === "webSearch" ? prior.query : "");
      return { kind: "webSearch", id: item.id, turnId, query, status: done ? "completed" : "inProgress" };
    }
    case "contextCompaction":
      return { kind: "compaction", id: item.id, turnId, inProgress: !done, automatic: t.usersOf(turnId).length > 0 };
    case "enteredReviewMode":
      return { kind: "reviewStart", id: item.id, turnId, review: item.review };
    case "exitedReviewMode":
      return { kind: "review", id: item.id, turnId, review: item.review, output: item.output };
  }
}

/** Transcripts of every thread this window has open. */
export class TranscriptStore {
  private readonly threads = new Map<string, ThreadTranscript>();

  /** `memory`: what file-change cards say beyond the history (see fileStates.ts); the
   * extension's is saved in the workspace state. */
  constructor(readonly memory: FileStates = new FileStates()) {}

  private thread(threadId: string): ThreadTranscript {
    let t = this.threads.get(threadId);
    if (!t) {
      t = new ThreadTranscript(threadId, this.memory);
      this.threads.set(threadId, t);
    }
    return t;
  }

  has(threadId: string): boolean {
    return this.threads.has(threadId);
  }

  threadIds(): string[] {
    return [...this.threads.keys()];
  }

  entries(threadId: string): readonly Entry[] {
    return this.threads.get(threadId)?.entries ?? [];
  }

  entry(threadId: string, itemId: string): Entry | undefined {
    return this.threads.get(threadId)?.byId.get(itemId);
  }

  meta(threadId: string): ThreadMeta | undefined {
    return this.threads.get(threadId)?.meta;
  }

  close(threadId: string): void {
    this.threads.delete(threadId);
  }

  /** Show a thread from `thread/start`, `thread/resume` or `thread/read` (turns included). */
  load(thread: Thread): void {
    const t = this.thread(thread.id);
    t.clear();
    t.meta.title = threadTitle(thread);
    t.meta.cwd = thread.cwd;
    t.meta.status = thread.status.type;
    t.meta.waitingOnApproval = thread.status.type === "active" && thread.status.activeFlags.includes("waitingOnApproval");
    for (const turn of thread.turns) {
      t.turnIds.push(turn.id);
      for (const item of turn.items) {
        if (item.type === "fileChange") t.proposed.delete(item.id);
        t.add(entryFor(item, turn.id, turn.status !== "inProgress" || item.type === "userMessage", t));
      }
      if (turn.status === "failed") t.notice(turn.id, "error", turn.error?.message ?? "The turn failed");
      if (turn.status === "interrupted") t.notice(turn.id, "warning", "Turn interrupted");
      t.meta.lastTurnStatus = turn.status;
      if (turn.status === "inProgress") t.meta.activeTurnId = turn.id;
    }
  }

  /** The file changes of `turnId` were undone: their cards say so (also after a reload of
   * the thread or of the window). */
  markUndone(threadId: string, turnId: string): void {
    const t = this.thread(threadId);
    for (const entry of t.entries) {
      if (entry.kind !== "fileChange" || entry.turnId !== turnId || !LANDED.includes(t.landed.get(entry.id) ?? "proposed")) continue;
      this.memory.update(threadId, entry.id, { undone: true, reverted: [] });
      t.refresh(entry);
    }
  }

  /** The documents of `paths` hold their text from before the change `itemId` again (the
   * user reverted its edit in the editor), or no longer. */
  setReverted(threadId: string, itemId: string, paths: string[]): void {
    this.memory.update(threadId, itemId, { reverted: paths });
    const t = this.threads.get(threadId);
    const entry = t?.byId.get(itemId);
    if (t && entry?.kind === "fileChange") t.refresh(entry);
  }

  /** How many turns a rewind to `turnId` drops (it and every later one); 0 when unknown. */
  turnsFrom(threadId: string, turnId: string): number {
    const ids = this.threads.get(threadId)?.turnIds ?? [];
    const at = ids.indexOf(turnId);
    return at < 0 ? 0 : ids.length - at;
  }

  /** The thread's turn ids, oldest first. */
  turns(threadId: string): readonly string[] {
    return this.threads.get(threadId)?.turnIds ?? [];
  }

  /** What the user typed to start `turnId` (empty when it had no user message). */
  turnText(threadId: string, turnId: string): string {
    return this.threads.get(threadId)?.usersOf(turnId)[0]?.text ?? "";
  }

  /** Queue a message for after the running turn. */
  enqueue(threadId: string, message: QueuedMessage): void {
    const t = this.thread(threadId);
    t.meta.queued.push(message);
    t.metaDirty = true;
  }

  /** Take a queued message out (sent, or removed by the user); undefined when not there. */
  dequeue(threadId: string, id?: string): QueuedMessage | undefined {
    const t = this.threads.get(threadId);
    if (!t) return undefined;
    const at = id === undefined ? 0 : t.meta.queued.findIndex((q) => q.id === id);
    if (at < 0 || at >= t.meta.queued.length) return undefined;
    t.metaDirty = true;
    return t.meta.queued.splice(at, 1)[0];
  }

  /** Put a message back at the front of the queue (its send failed). */
  requeue(threadId: string, message: QueuedMessage): void {
    const t = this.thread(threadId);
    t.meta.queued.unshift(message);
    t.metaDirty = true;
  }

  /** A local note in a thread (e.g. "server restarted"). */
  note(threadId: string, level: NoticeEntry["level"], text: string): void {
    this.thread(threadId).notice(null, level, text);
  }

  /** Show or clear the approval buttons on an item's card. */
  setApproval(threadId: string, itemId: string, approval: ApprovalState | null): void {
    const entry = this.threads.get(threadId)?.byId.get(itemId);
    if (entry && (entry.kind === "command" || entry.kind === "fileChange" || entry.kind === "mcp")) {
      entry.approval = approval;
      if (entry.kind === "fileChange" && approval === null && entry.status === "inProgress") {
        entry.outcome = "applying";
      }
      this.threads.get(threadId)?.touch(entry);
    }
  }

  /** Apply one notification; returns the thread it changed (if any). */
  apply(n: CodexNotification): string | undefined {
    switch (n.method) {
      case "codex/thread/started": {
        const t = this.threads.get(n.params.thread.id);
        if (t) {
          t.meta.title = threadTitle(n.params.thread);
          t.metaDirty = true;
        }
        return t ? n.params.thread.id : undefined;
      }
      case "codex/thread/name/updated": {
        const t = this.threads.get(n.params.threadId);
        if (!t) return undefined;
        if (n.params.name) t.meta.title = n.params.name;
        t.metaDirty = true;
        return n.params.threadId;
      }
      case "codex/thread/status/changed": {
        const t = this.threads.get(n.params.threadId);
        if (!t) return undefined;
        const s = n.params.status;
        t.meta.status = s.type;
        t.meta.waitingOnApproval = s.type === "active" && s.activeFlags.includes("waitingOnApproval");
        t.metaDirty = true;
        return n.params.threadId;
      }
      case "codex/thread/tokenUsage/updated": {
        const t = this.thread(n.params.threadId);
        const usage = n.params.tokenUsage;
        t.meta.tokenUsage = usage;
        t.meta.contextUsed =
          usage.modelContextWindow && usage.modelContextWindow > 0
            ? Math.min(1, usage.last.totalTokens / usage.modelContextWindow)
            : null;
        t.metaDirty = true;
        return n.params.threadId;
      }
      case "codex/turn/started": {
        const t = this.thread(n.params.threadId);
        if (!t.turnIds.includes(n.params.turn.id)) t.turnIds.push(n.params.turn.id);
        t.meta.activeTurnId = n.params.turn.id;
        t.meta.status = "active";
        t.meta.plan = null;
        t.meta.turnDiff = null;
        t.metaDirty = true;
        return n.params.threadId;
      }
      case "codex/turn/completed": {
        const t = this.thread(n.params.threadId);
        const turn = n.params.turn;
        if (t.meta.activeTurnId === turn.id) t.meta.activeTurnId = null;
        t.meta.lastTurnStatus = turn.status;
        t.meta.status = "idle";
        t.meta.waitingOnApproval = false;
        t.metaDirty = true;
        // Anything still streaming is done now.
        for (const e of t.entries) {
          if (e.turnId !== turn.id) continue;
          if ((e.kind === "agent" || e.kind === "reasoning") && e.streaming) {
            e.streaming = false;
            t.touch(e);
          }
          if (e.kind === "compaction" && e.inProgress) {
            e.inProgress = false;
            t.touch(e);
          }
          if (e.kind === "webSearch" && e.status === "inProgress") {
            e.status = "failed";
            t.touch(e);
          }
          if ((e.kind === "command" || e.kind === "fileChange") && e.approval) {
            e.approval = null;
            t.touch(e);
          }
        }
        if (turn.status === "failed") t.notice(turn.id, "error", turn.error?.message ?? "The turn failed");
        if (turn.status === "interrupted") t.notice(turn.id, "warning", "Turn interrupted");
        return n.params.threadId;
      }
      case "codex/turn/plan/updated": {
        const t = this.thread(n.params.threadId);
        t.meta.plan = { turnId: n.params.turnId, explanation: n.params.explanation, steps: n.params.plan };
        t.metaDirty = true;
        return n.params.threadId;
      }
      case "codex/turn/diff/updated": {
        const t = this.thread(n.params.threadId);
        t.meta.turnDiff = n.params.diff;
        t.metaDirty = true;
        return n.params.threadId;
      }
      case "codex/item/started":
      case "codex/item/completed": {
        const t = this.thread(n.params.threadId);
        const done = n.method === "codex/item/completed";
        t.add(entryFor(n.params.item, n.params.turnId, done, t));
        if (done && n.params.item.type === "fileChange") t.proposed.delete(n.params.item.id);
        return n.params.threadId;
      }
      case "codex/item/agentMessage/delta": {
        const t = this.thread(n.params.threadId);
        let e = t.byId.get(n.params.itemId);
        if (!e) e = t.add({ kind: "agent", id: n.params.itemId, turnId: n.params.turnId, text: "", streaming: true });
        if (e.kind !== "agent") return undefined;
        e.text += n.params.delta;
        t.touch(e);
        return n.params.threadId;
      }
      case "codex/item/reasoning/summaryPartAdded":
      case "codex/item/reasoning/summaryTextDelta":
      case "codex/item/reasoning/textDelta": {
        const t = this.thread(n.params.threadId);
        let e = t.byId.get(n.params.itemId);
        if (!e) {
          e = t.add({ kind: "reasoning", id: n.params.itemId, turnId: n.params.turnId, summary: [], content: [], streaming: true });
        }
        if (e.kind !== "reasoning") return undefined;
        if (n.method === "codex/item/reasoning/textDelta") {
          appendAt(e.content, n.params.contentIndex, n.params.delta);
        } else if (n.method === "codex/item/reasoning/summaryTextDelta") {
          appendAt(e.summary, n.params.summaryIndex, n.params.delta);
        } else {
          appendAt(e.summary, n.params.summaryIndex, "");
        }
        t.touch(e);
        return n.params.threadId;
      }
      case "codex/item/commandExecution/outputDelta": {
        const t = this.thread(n.params.threadId);
        const e = t.byId.get(n.params.itemId);
        if (!e || e.kind !== "command") return undefined;
        e.output += n.params.delta;
        t.touch(e);
        return n.params.threadId;
      }
      case "codex/item/mcpToolCall/progress": {
        const t = this.thread(n.params.threadId);
        const e = t.byId.get(n.params.itemId);
        if (!e || e.kind !== "mcp") return undefined;
        e.progress.push(n.params.message);
        t.touch(e);
        return n.params.threadId;
      }
      case "codex/error": {
        const t = this.thread(n.params.threadId);
        const details = n.params.error.additionalDetails ? `\n${n.params.error.additionalDetails}` : "";
        const retry = n.params.willRetry ? " (retrying…)" : "";
        t.notice(n.params.turnId, n.params.willRetry ? "warning" : "error", `${n.params.error.message}${retry}${details}`);
        return n.params.threadId;
      }
      case "codex/thread/archived": {
        const t = this.threads.get(n.params.threadId);
        if (!t) return undefined;
        t.notice(null, "info", "Thread archived");
        return n.params.threadId;
      }
      default:
        return undefined;
    }
  }

  /** Changes of a thread since the last call (undefined when nothing changed). */
  takeChanges(threadId: string): TranscriptPatch | undefined {
    const t = this.threads.get(threadId);
    if (!t || (!t.reset && !t.metaDirty && t.dirty.size === 0)) return undefined;
    const entries = t.reset ? [...t.entries] : t.entries.filter((e) => t.dirty.has(e.id));
    const patch: TranscriptPatch = {
      threadId,
      reset: t.reset,
      entries: entries.map((e) => structuredClone(e)),
      meta: structuredClone(t.meta),
    };
    t.dirty.clear();
    t.metaDirty = false;
    t.reset = false;
    return patch;
  }

  /** Everything shown for a thread (a new webview, or switching threads). */
  snapshot(threadId: string): TranscriptPatch | undefined {
    const t = this.threads.get(threadId);
    if (!t) return undefined;
    t.dirty.clear();
    t.metaDirty = false;
    t.reset = false;
    return { threadId, reset: true, entries: t.entries.map((e) => structuredClone(e)), meta: structuredClone(t.meta) };
  }
}

function appendAt(parts: string[], index: number, delta: string): void {
  while (parts.length <= index) parts.push("");
  parts[index] = (parts[index] ?? "") + delta;
}

export function threadTitle(thread: Pick<Thread, "name" | "preview" | "id">): string {
  if (thread.name) return thread.name;
  const preview = thread.preview.trim().split("\n")[0] ?? "";
  if (preview !== "") return preview.length > 60 ? `${preview.slice(0, 57)}…` : preview;
  return "New thread";
}
