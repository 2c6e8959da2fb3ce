// The chat session: open threads, the current one, and the operations the chat view and
// the commands run (start, send, interrupt, resume, fork, rename, archive, undo). No
// `vscode` import: the extension and the node integration test both drive this class.
import type { CodexProtocol, DisposableLike } from "../protocol/client.js";
import type { EditorSettings, Range, ReviewStartResult, Thread, ThreadStartResult, TurnStartResult } from "../protocol/types.js";
import { parseChatInput, type SelectionContext } from "./chatInput.js";
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
  | { kind: "empty" };

export class ChatSession implements DisposableLike {
  readonly store = new TranscriptStore();
  private openIds: string[] = [];
  private currentId: string | null = null;
  private readonly loadedIn = new Map<string, number>();
  private readonly runInfo = new Map<string, ThreadRunInfo>();
  private readonly threadListeners = new Set<(threadId: string) => void>();
  private readonly listListeners = new Set<() => void>();
  private readonly subscription: DisposableLike;

  constructor(
    readonly protocol: CodexProtocol,
    private readonly env: SessionEnvironment,
  ) {
    this.subscription = protocol.onAny((n) => {
      const threadId = this.store.apply(n);
      if (threadId !== undefined) this.changed(threadId);
      if (n.method === "codex/thread/name/updated" || n.method === "codex/turn/started" || n.method === "codex/turn/completed") {
        if (this.openIds.includes(n.params.threadId)) this.listChanged();
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

  /** `codex.undoTurn` (server command), then the history is read again. */
  async undoLastTurn(threadId: string | null = this.currentId): Promise<unknown> {
    if (threadId === null) throw new Error("No thread is open.");
    await this.ensureLoaded(threadId);
    const result = await this.protocol.executeCommand("codex.undoTurn", { threadId });
    const undone = result as { undone?: unknown; turnId?: unknown } | null;
    if (undone?.undone === true && typeof undone.turnId === "string") this.store.markUndone(threadId, undone.turnId);
    await this.reload(threadId);
    return result;
  }

  dispose(): void {
    this.subscription.dispose();
    this.threadListeners.clear();
    this.listListeners.clear();
  }
}

function isPosition(value: unknown): value is Range["start"] {
  const p = value as { line?: unknown; character?: unknown } | null;
  return typeof p === "object" && p !== null && typeof p.line === "number" && typeof p.character === "number";
}

function isRange(value: unknown): value is Range {
  const r = value as { start?: unknown; end?: unknown } | null;
  return typeof r === "object" && r !== null && isPosition(r.start) && isPosition(r.end);
}
