// The chat session: open threads, the current one, and the operations the chat view and
// the commands run (start, send, steer, queue, interrupt, resume, fork, rename, archive,
// undo, compact, rewind). No `vscode` import: the extension and the node integration test
// both drive this class.
import type { CodexProtocol, DisposableLike } from "../protocol/client.js";
import type { EditorSettings, Range, ReviewStartResult, Thread, ThreadStartResult, TurnStartResult } from "../protocol/types.js";
import { parseChatInput, type SelectionContext } from "./chatInput.js";
import type { FileStates } from "./fileStates.js";
import { describeTarget, type ReviewDelivery, type ReviewTarget } from "./review.js";
import { turnOverrides } from "./settings.js";
import { TranscriptStore, threadTitle } from "./transcript.js";
import type { OpenThreadTab } from "./viewMessages.js";

export interface SessionEnvironment {
  /** The workspace folder threads run in. */
  cwd(): string | undefined;
  /** The editor's Codex settings now. */
  settings(): EditorSettings;
  /** Server process generation (threads are resumed on a new process). */
  generation(): number;
  /** `@name` -> absolute path of an existing file, or undefined. */
  resolveMention(name: string): string | undefined;
  /** What file-change cards say beyond the history (the extension's outlives the window). */
  fileStates?: FileStates;
}

/** The chat's open threads, as saved for the next window (see `restore`). */
export interface SavedChat {
  open: string[];
  current: string | null;
}

/** Threads a restored chat reopens at most (the most recent ones). */
const MAX_RESTORED = 10;

/** `codex.undoTurn`'s result (PROTOCOL: `{threadId, turnId, undone, restored, deleted,
 * refused, notes}`); `turnId: null`, `undone: false` and the reason in `notes` when there
 * was nothing to undo. */
export interface UndoResult {
  threadId?: string;
  turnId: string | null;
  undone: boolean;
  restored?: string[];
  deleted?: string[];
  refused?: { path: string; reason: string }[];
  notes: string[];
}

export interface ThreadRunInfo {
  model: string;
  modelProvider: string;
  reasoningEffort: string | null;
  approvalPolicy: string;
}

export type SendResult =
  | { kind: "turn"; threadId: string; turn: TurnStartResult["turn"] }
  | { kind: "shell"; threadId: string }
  /** Added to the running turn `turnId` (`codex/turn/steer`). */
  | { kind: "steer"; threadId: string; turnId: string }
  /** Waiting in the thread's queue for the running turn to end. */
  | { kind: "queued"; threadId: string; id: string }
  | { kind: "empty" };

/** JSON-RPC "invalid params": how the server refuses a steer once the turn has ended. */
const INVALID_PARAMS = -32602;

function errorCode(error: unknown): unknown {
  return typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
}

export class ChatSession implements DisposableLike {
  readonly store: TranscriptStore;
  private openIds: string[] = [];
  private currentId: string | null = null;
  private readonly loadedIn = new Map<string, number>();
  private readonly runInfo = new Map<string, ThreadRunInfo>();
  private readonly threadListeners = new Set<(threadId: string) => void>();
  private readonly listListeners = new Set<() => void>();
  private readonly draftListeners = new Set<(threadId: string, text: string) => void>();
  private readonly subscription: DisposableLike;
  /** Threads whose revert or rollback this session is waiting on (their `thread/reverted`
   * needs no reload: the result carries the thread). */
  private readonly reverting = new Set<string>();
  /** Threads sending their next queued message. */
  private readonly flushing = new Set<string>();
  private queuedCount = 0;

  constructor(
    readonly protocol: CodexProtocol,
    private readonly env: SessionEnvironment,
  ) {
    this.store = new TranscriptStore(env.fileStates);
    this.subscription = protocol.onAny((n) => {
      const threadId = this.store.apply(n);
      if (threadId !== undefined) this.changed(threadId);
      if (n.method === "codex/thread/name/updated" || n.method === "codex/turn/started" || n.method === "codex/turn/completed") {
        if (this.openIds.includes(n.params.threadId)) this.listChanged();
      }
      // Queued messages: back to the input when the user stopped the turn; otherwise the
      // next one goes once the server reports the thread idle (the turn is over there too).
      if (n.method === "codex/turn/completed" && n.params.turn.status === "interrupted") this.returnQueued(n.params.threadId);
      if (n.method === "codex/thread/status/changed" && n.params.status.type === "idle") void this.flushQueue(n.params.threadId);
      // Turns dropped by someone else (the server's `codex.revert`): show what remains.
      if (n.method === "codex/thread/reverted" && this.openIds.includes(n.params.threadId) && !this.reverting.has(n.params.threadId)) {
        const id = n.params.threadId;
        this.reload(id).catch((error: unknown) => {
          this.store.note(id, "error", `Could not re-read this thread: ${String(error)}`);
          this.changed(id);
        });
      }
    });
  }

  // ---- events ------------------------------------------------------------------------

  /** A thread's transcript changed (take its patch from `store`). */
  onThreadChanged(listener: (threadId: string) => void): DisposableLike {
    this.threadListeners.add(listener);
    return { dispose: () => this.threadListeners.delete(listener) };
  }

  /** The open threads or the current one changed. */
  onListChanged(listener: () => void): DisposableLike {
    this.listListeners.add(listener);
    return { dispose: () => this.listListeners.delete(listener) };
  }

  /** Text for the chat's input (queued messages of a stopped turn, a rewound message). */
  onDraft(listener: (threadId: string, text: string) => void): DisposableLike {
    this.draftListeners.add(listener);
    return { dispose: () => this.draftListeners.delete(listener) };
  }

  private draft(threadId: string, text: string): void {
    if (text.trim() === "") return;
    for (const l of [...this.draftListeners]) l(threadId, text);
  }

  changed(threadId: string): void {
    for (const l of [...this.threadListeners]) l(threadId);
  }

  private listChanged(): void {
    for (const l of [...this.listListeners]) l();
  }

  // ---- state -------------------------------------------------------------------------

  get current(): string | null {
    return this.currentId;
  }

  get openThreads(): readonly string[] {
    return this.openIds;
  }

  tabs(): OpenThreadTab[] {
    return this.openIds.map((threadId) => {
      const meta = this.store.meta(threadId);
      return { threadId, title: meta?.title ?? threadId, active: meta?.activeTurnId != null };
    });
  }

  info(threadId: string | null = this.currentId): ThreadRunInfo | undefined {
    return threadId === null ? undefined : this.runInfo.get(threadId);
  }

  select(threadId: string): void {
    if (!this.openIds.includes(threadId)) return;
    this.currentId = threadId;
    this.listChanged();
  }

  close(threadId: string): void {
    this.openIds = this.openIds.filter((id) => id !== threadId);
    this.store.close(threadId);
    this.loadedIn.delete(threadId);
    if (this.currentId === threadId) this.currentId = this.openIds[this.openIds.length - 1] ?? null;
    this.listChanged();
  }

  /** What the next window reopens (`restore`). */
  saved(): SavedChat {
    return { open: [...this.openIds], current: this.currentId };
  }

  /**
   * Reopen the chat of the last window (after a reload): each saved thread is resumed (its
   * history re-rendered) and the saved current one shown, unless the user opened a thread
   * meanwhile. A thread that cannot be resumed (deleted, archived elsewhere) is skipped.
   * Returns the threads reopened.
   */
  async restore(saved: unknown, onError?: (threadId: string, error: unknown) => void): Promise<string[]> {
    const s = (typeof saved === "object" && saved !== null ? saved : {}) as Partial<Record<keyof SavedChat, unknown>>;
    const open = (Array.isArray(s.open) ? s.open : []).filter((id): id is string => typeof id === "string").slice(-MAX_RESTORED);
    const current = typeof s.current === "string" && open.includes(s.current) ? s.current : (open.at(-1) ?? null);
    const reopened: string[] = [];
    for (const id of open) {
      if (this.openIds.includes(id)) continue;
      try {
        await this.openThread(id, false);
        reopened.push(id);
      } catch (error) {
        onError?.(id, error);
      }
    }
    if (current !== null && reopened.includes(current) && this.currentId === null) this.select(current);
    return reopened;
  }

  /** A new server process is up: resume every open thread on it (history re-read). */
  async serverRestarted(): Promise<void> {
    const interrupted = this.openIds.filter((id) => this.store.meta(id)?.activeTurnId);
    this.loadedIn.clear();
    for (const id of [...this.openIds]) {
      try {
        await this.reload(id);
      } catch (error) {
        this.store.note(id, "error", `Could not resume this thread: ${String(error)}`);
        this.changed(id);
      }
    }
    for (const id of interrupted) {
      this.store.note(id, "warning", "The server stopped during this turn.");
      this.returnQueued(id);
      this.changed(id);
    }
  }

  private adopt(result: ThreadStartResult, focus = true): Thread {
    const thread = result.thread;
    this.store.load(thread);
    this.loadedIn.set(thread.id, this.env.generation());
    this.runInfo.set(thread.id, {
      model: result.model,
      modelProvider: result.modelProvider,
      reasoningEffort: result.reasoningEffort,
      approvalPolicy: result.approvalPolicy,
    });
    if (!this.openIds.includes(thread.id)) this.openIds.push(thread.id);
    if (focus) this.currentId = thread.id;
    this.changed(thread.id);
    this.listChanged();
    return thread;
  }

  // ---- operations --------------------------------------------------------------------

  async newThread(): Promise<Thread> {
    const s = this.env.settings();
    const result = await this.protocol.request("codex/thread/start", {
      cwd: this.env.cwd() ?? null,
      model: s.model ?? null,
      modelProvider: s.modelProvider ?? null,
      approvalPolicy: s.approvalPolicy ?? null,
      sandbox: s.sandboxMode ?? null,
    });
    return this.adopt(result);
  }

  /** Resume a thread (its history re-rendered from `thread.turns`) and show it. */
  async openThread(threadId: string, focus = true): Promise<void> {
    if (this.openIds.includes(threadId) && this.loadedIn.get(threadId) === this.env.generation()) {
      if (focus) this.select(threadId);
      return;
    }
    const result = await this.protocol.request("codex/thread/resume", { threadId });
    this.adopt(result, focus);
  }

  /** Re-read a thread's history from the server (after undo, or a restart). */
  async reload(threadId: string): Promise<void> {
    if (this.loadedIn.get(threadId) !== this.env.generation()) {
      const result = await this.protocol.request("codex/thread/resume", { threadId });
      this.adopt(result, false);
      return;
    }
    const { thread } = await this.protocol.request("codex/thread/read", { threadId, includeTurns: true });
    this.store.load(thread);
    this.changed(threadId);
    this.listChanged();
  }

  async fork(threadId: string): Promise<Thread> {
    const result = await this.protocol.request("codex/thread/fork", { threadId });
    return this.adopt(result);
  }

  async rename(threadId: string, name: string): Promise<void> {
    await this.protocol.request("codex/thread/name/set", { threadId, name });
    const meta = this.store.meta(threadId);
    if (meta) {
      meta.title = name;
      this.listChanged();
    }
  }

  async archive(threadId: string): Promise<void> {
    await this.protocol.request("codex/thread/archive", { threadId });
    if (this.openIds.includes(threadId)) this.close(threadId);
  }

  private async ensureLoaded(threadId: string): Promise<void> {
    if (this.loadedIn.get(threadId) === this.env.generation()) return;
    const result = await this.protocol.request("codex/thread/resume", { threadId });
    this.adopt(result, this.currentId === threadId);
  }

  /** Send what the user typed to a thread (a new one when none is given or open). */
  async send(text: string, threadId: string | null = this.currentId, selection?: SelectionContext): Promise<SendResult> {
    const parsed = parseChatInput(text, (n) => this.env.resolveMention(n), selection);
    if (parsed.kind === "empty") return { kind: "empty" };
    let target = threadId;
    if (target === null || !this.openIds.includes(target)) target = (await this.newThread()).id;
    await this.ensureLoaded(target);
    if (parsed.kind === "shell") {
      await this.protocol.request("codex/thread/shellCommand", { threadId: target, command: parsed.command });
      return { kind: "shell", threadId: target };
    }
    this.nameIfNew(target, threadTitle({ id: target, name: null, preview: text }));
    const result = await this.protocol.request("codex/turn/start", {
      threadId: target,
      input: parsed.input,
      ...turnOverrides(this.env.settings()),
    });
    return { kind: "turn", threadId: target, turn: result.turn };
  }

  /**
   * More input for the running turn of a thread (`codex/turn/steer`): the server shows it as
   * a user message of that turn (nothing is added here, so it is never shown twice) and the
   * model gets it with its next request. With no turn running it is sent as a new turn; a
   * `!cmd` is queued (a shell command cannot join a turn), and so is a message the server
   * refuses because the turn ended meanwhile.
   */
  async steer(text: string, threadId: string | null = this.currentId, selection?: SelectionContext): Promise<SendResult> {
    const turnId = threadId === null ? null : this.store.meta(threadId)?.activeTurnId;
    if (threadId === null || !turnId) return this.send(text, threadId, selection);
    const parsed = parseChatInput(text, (n) => this.env.resolveMention(n), selection);
    if (parsed.kind === "empty") return { kind: "empty" };
    if (parsed.kind === "shell") return this.queue(text, threadId, selection);
    try {
      await this.protocol.request("codex/turn/steer", { threadId, expectedTurnId: turnId, input: parsed.input });
      return { kind: "steer", threadId, turnId };
    } catch (error) {
      if (errorCode(error) !== INVALID_PARAMS) throw error;
      return this.queue(text, threadId, selection);
    }
  }

  /**
   * Keep a message for after the running turn: it is sent as a turn of its own once the
   * thread is idle (one per turn, oldest first), or returned to the input when the user
   * stops the turn. Sent at once when no turn runs.
   */
  async queue(text: string, threadId: string | null = this.currentId, selection?: SelectionContext): Promise<SendResult> {
    if (text.trim() === "") return { kind: "empty" };
    if (threadId === null || !this.openIds.includes(threadId)) return this.send(text, threadId, selection);
    this.queuedCount += 1;
    const id = `queued-${this.queuedCount}`;
    this.store.enqueue(threadId, { id, text, selection: selection ?? null });
    this.changed(threadId);
    await this.flushQueue(threadId);
    return { kind: "queued", threadId, id };
  }

  /** Remove a queued message before it is sent; false when it is gone already. */
  unqueue(threadId: string, id: string): boolean {
    const removed = this.store.dequeue(threadId, id);
    if (removed) this.changed(threadId);
    return removed !== undefined;
  }

  /** Send the oldest queued message of a thread no turn runs in. */
  private async flushQueue(threadId: string): Promise<void> {
    const meta = this.store.meta(threadId);
    if (!meta || meta.activeTurnId || meta.queued.length === 0 || this.flushing.has(threadId)) return;
    const next = this.store.dequeue(threadId);
    if (!next) return;
    this.flushing.add(threadId);
    this.changed(threadId);
    try {
      await this.send(next.text, threadId, next.selection ?? undefined);
    } catch (error) {
      this.store.requeue(threadId, next);
      this.store.note(threadId, "error", `The queued message was not sent: ${error instanceof Error ? error.message : String(error)}`);
      this.changed(threadId);
    } finally {
      this.flushing.delete(threadId);
    }
  }

  /** Every queued message of a thread back to the chat's input. */
  private returnQueued(threadId: string): void {
    const texts: string[] = [];
    for (let m = this.store.dequeue(threadId); m; m = this.store.dequeue(threadId)) texts.push(m.text);
    if (texts.length === 0) return;
    this.changed(threadId);
    this.draft(threadId, texts.join("\n\n"));
  }

  /**
   * The server's `codex.ask` command (its "Ask Codex ..." code actions, and a review
   * finding's "Ask Codex to fix: <title>"): `{text, uri?, range?, threadId?}`. The turn runs
   * on the named thread (resumed if this window does not have it open) and that thread is
   * shown; without a thread, on the current one. Undefined when the argument is not one.
   */
  async askFromServer(argument: unknown): Promise<SendResult | undefined> {
    const arg = (typeof argument === "object" && argument !== null ? argument : {}) as Record<string, unknown>;
    if (typeof arg.text !== "string") return undefined;
    const selection: SelectionContext | undefined =
      typeof arg.uri === "string" ? { uri: arg.uri, range: isRange(arg.range) ? arg.range : null } : undefined;
    let threadId = this.currentId;
    if (typeof arg.threadId === "string") {
      threadId = arg.threadId;
      await this.openThread(threadId);
    }
    return this.send(arg.text, threadId, selection);
  }

  /**
   * Review (`codex/review/start`) on a thread (a new one when none is open). Inline, the
   * review is a turn of that thread; detached, a new thread, which is opened and shown.
   */
  async review(target: ReviewTarget, threadId: string | null = this.currentId, delivery: ReviewDelivery = "inline"): Promise<ReviewStartResult> {
    let parent = threadId;
    if (parent === null || !this.openIds.includes(parent)) parent = (await this.newThread()).id;
    await this.ensureLoaded(parent);
    this.nameIfNew(parent, `Review: ${describeTarget(target)}`);
    const result = await this.protocol.request("codex/review/start", { threadId: parent, target, delivery });
    if (result.reviewThreadId === parent) this.select(parent);
    else await this.openThread(result.reviewThreadId);
    return result;
  }

  /** `codex.clearReview`: the review findings leave the Problems panel. */
  clearReview(threadId?: string): Promise<unknown> {
    return this.protocol.executeCommand("codex.clearReview", threadId === undefined ? {} : { threadId });
  }

  /** A thread's first turn names it in the selector (until the server's name arrives). */
  private nameIfNew(threadId: string, title: string): void {
    const meta = this.store.meta(threadId);
    if (meta && (meta.title === "New thread" || meta.title === "")) {
      meta.title = title;
      this.listChanged();
    }
  }

  /** Stop the running turn of a thread; false when none runs. */
  async interrupt(threadId: string | null = this.currentId): Promise<boolean> {
    if (threadId === null) return false;
    const turnId = this.store.meta(threadId)?.activeTurnId;
    if (!turnId) return false;
    await this.protocol.request("codex/turn/interrupt", { threadId, turnId });
    return true;
  }

  /** `codex.undoTurn` (server command), then the history is read again. Nothing left to
   * undo is a result with `undone: false` and the reason in `notes` (older servers refuse
   * it with "invalid params": the same result is made of their message). */
  async undoLastTurn(threadId: string | null = this.currentId): Promise<UndoResult> {
    if (threadId === null) throw new Error("No thread is open.");
    await this.ensureLoaded(threadId);
    let raw: unknown;
    try {
      raw = await this.protocol.executeCommand("codex.undoTurn", { threadId });
    } catch (error) {
      if (errorCode(error) !== INVALID_PARAMS) throw error;
      return { threadId, turnId: null, undone: false, notes: [error instanceof Error ? error.message : String(error)] };
    }
    const result = undoResult(raw);
    if (result.undone && result.turnId !== null) this.store.markUndone(threadId, result.turnId);
    if (result.undone) await this.reload(threadId);
    return result;
  }

  /** Compact a thread's history (`codex/thread/compact/start`): a turn of its own whose
   * `contextCompaction` item the chat shows; the token use that follows shows the freed
   * window. */
  async compact(threadId: string | null = this.currentId): Promise<string> {
    if (threadId === null) throw new Error("No thread is open.");
    await this.ensureLoaded(threadId);
    await this.protocol.request("codex/thread/compact/start", { threadId });
    return threadId;
  }

  /** Rewind to before `beforeTurnId` (`codex/thread/revert`): that turn and every later one
   * leave the thread, and the files they changed are put back unless `restoreFiles` is
   * false. The chat re-renders from the thread the server returns; the rewound message
   * goes back to the input. */
  async revert(threadId: string, beforeTurnId: string, restoreFiles = true): Promise<Thread> {
    return this.dropTurns(threadId, beforeTurnId, restoreFiles, () =>
      this.protocol.request("codex/thread/revert", { threadId, beforeTurnId, restoreFiles }),
    );
  }

  /** The last `numTurns` turns, the same way (`codex/thread/rollback`). */
  async rollback(threadId: string, numTurns = 1, restoreFiles = true): Promise<Thread> {
    const first = this.store.turns(threadId).at(-numTurns);
    return this.dropTurns(threadId, first, restoreFiles, () =>
      this.protocol.request("codex/thread/rollback", { threadId, numTurns, restoreFiles }),
    );
  }

  private async dropTurns(
    threadId: string,
    firstDropped: string | undefined,
    restoreFiles: boolean,
    request: () => Promise<{ thread: Thread }>,
  ): Promise<Thread> {
    await this.ensureLoaded(threadId);
    const text = firstDropped === undefined ? "" : this.store.turnText(threadId, firstDropped);
    const before = this.store.turns(threadId).length;
    this.reverting.add(threadId);
    let thread: Thread;
    try {
      ({ thread } = await request());
    } finally {
      this.reverting.delete(threadId);
    }
    this.store.load(thread);
    const dropped = Math.max(0, before - thread.turns.length);
    const [they, their] = dropped === 1 ? ["it", "its"] : ["they", "their"];
    const files = restoreFiles ? `the files ${they} changed were restored` : `${their} file changes were kept`;
    this.store.note(threadId, "info", `Rewound ${dropped} turn${dropped === 1 ? "" : "s"}: ${files}.`);
    this.changed(threadId);
    this.listChanged();
    this.draft(threadId, text);
    return thread;
  }

  dispose(): void {
    this.subscription.dispose();
    this.draftListeners.clear();
    this.threadListeners.clear();
    this.listListeners.clear();
  }
}

function undoResult(raw: unknown): UndoResult {
  const r = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
  return {
    threadId: typeof r.threadId === "string" ? r.threadId : undefined,
    turnId: typeof r.turnId === "string" ? r.turnId : null,
    undone: r.undone === true,
    restored: strings(r.restored),
    deleted: strings(r.deleted),
    refused: Array.isArray(r.refused)
      ? r.refused.flatMap((f) => {
          const item = (typeof f === "object" && f !== null ? f : {}) as Record<string, unknown>;
          return typeof item.path === "string" ? [{ path: item.path, reason: typeof item.reason === "string" ? item.reason : "not restored" }] : [];
        })
      : [],
    notes: strings(r.notes),
  };
}

function isPosition(value: unknown): value is Range["start"] {
  const p = value as { line?: unknown; character?: unknown } | null;
  return typeof p === "object" && p !== null && typeof p.line === "number" && typeof p.character === "number";
}

function isRange(value: unknown): value is Range {
  const r = value as { start?: unknown; end?: unknown } | null;
  return typeof r === "object" && r !== null && isPosition(r.start) && isPosition(r.end);
}
