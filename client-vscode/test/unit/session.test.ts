import { describe, expect, it, vi } from "vitest";
import { CodexProtocol } from "../../src/protocol/client.js";
import type { EditorSettings } from "../../src/protocol/types.js";
import { ChatSession } from "../../src/state/session.js";
import { FakeEndpoint } from "./fakeEndpoint.js";
import { THREAD, agent, n, startResult, thread, turn, user } from "./fixtures.js";

function setup(settings: EditorSettings = {}) {
  const endpoint = new FakeEndpoint()
    .answer("codex/thread/start", () => startResult())
    .answer("codex/thread/resume", (p) => startResult((p as { threadId: string }).threadId, [turn("completed", [agent("m_old", "from history")], "t_old")]))
    .answer("codex/turn/start", () => ({ turn: turn("inProgress") }))
    .answer("codex/thread/shellCommand", () => ({}))
    .answer("codex/turn/interrupt", () => ({}))
    .answer("workspace/executeCommand", () => ({ undone: true }))
    .answer("codex/thread/read", () => ({ thread: thread({ turns: [] }) }))
    .answer("codex/review/start", (p) => {
      const { threadId, delivery } = p as { threadId: string; delivery: string };
      return { turn: turn("inProgress", [], "turn_rv"), reviewThreadId: delivery === "detached" ? "thr_rv" : threadId };
    });
  const protocol = new CodexProtocol(endpoint);
  let generation = 1;
  const session = new ChatSession(protocol, {
    cwd: () => "/ws",
    settings: () => settings,
    generation: () => generation,
    resolveMention: (name) => (name === "a.ts" ? "/ws/a.ts" : undefined),
  });
  return { endpoint, protocol, session, bump: () => (generation += 1) };
}

describe("CodexProtocol", () => {
  it("sends null-params requests with {} (pygls needs params), and dispatches notifications by method", async () => {
    const endpoint = new FakeEndpoint().answer("codex/account/logout", () => ({}));
    const protocol = new CodexProtocol(endpoint);
    await protocol.request("codex/account/logout", null);
    expect(endpoint.sent[0]).toEqual({ method: "codex/account/logout", params: {}, hasParams: true });
    const seen: string[] = [];
    protocol.on("codex/item/agentMessage/delta", (p) => seen.push(p.delta));
    endpoint.emit("codex/item/agentMessage/delta", { threadId: "t", turnId: "u", itemId: "i", delta: "x" });
    endpoint.emit("codex/turn/started", { threadId: "t", turn: turn("inProgress") });
    expect(seen).toEqual(["x"]);
  });

  it("answers server requests through typed handlers", async () => {
    const endpoint = new FakeEndpoint();
    const protocol = new CodexProtocol(endpoint);
    protocol.handle("codex/item/commandExecution/requestApproval", (params) => Promise.resolve({ decision: params.command === "ls" ? "accept" : "decline" }));
    const { answer } = endpoint.ask("codex/item/commandExecution/requestApproval", { threadId: "t", turnId: "u", itemId: "i", command: "ls", cwd: "/", commandActions: [], reason: null });
    await expect(answer).resolves.toEqual({ decision: "accept" });
  });
});

describe("ChatSession", () => {
  it("starts a thread on the first message and sends the turn with the editor's overrides", async () => {
    const { endpoint, session } = setup({ model: "gpt-5.1-codex-max", reasoningEffort: "high", sandboxMode: "read-only" });
    const result = await session.send("look at @a.ts");
    expect(result.kind).toBe("turn");
    expect(endpoint.requests("codex/thread/start")).toEqual([
      { cwd: "/ws", model: "gpt-5.1-codex-max", modelProvider: null, approvalPolicy: null, sandbox: "read-only" },
    ]);
    expect(endpoint.requests("codex/turn/start")).toEqual([
      {
        threadId: THREAD,
        input: [
          { type: "text", text: "look at @a.ts" },
          { type: "mention", name: "a.ts", path: "/ws/a.ts" },
        ],
        model: "gpt-5.1-codex-max",
        effort: "high",
        sandboxPolicy: { type: "readOnly" },
      },
    ]);
    expect(session.current).toBe(THREAD);
    expect(session.tabs()).toEqual([{ threadId: THREAD, title: "look at @a.ts", active: false }]);
  });

  it("runs !cmd as a user shell command", async () => {
    const { endpoint, session } = setup();
    await session.newThread();
    await session.send("!git status");
    expect(endpoint.requests("codex/thread/shellCommand")).toEqual([{ threadId: THREAD, command: "git status" }]);
    expect(endpoint.requests("codex/turn/start")).toEqual([]);
  });

  it("interrupts the running turn and reports when none runs", async () => {
    const { endpoint, session } = setup();
    await session.newThread();
    expect(await session.interrupt()).toBe(false);
    endpoint.emit("codex/turn/started", n.turnStarted("turn_9").params);
    expect(await session.interrupt()).toBe(true);
    expect(endpoint.requests("codex/turn/interrupt")).toEqual([{ threadId: THREAD, turnId: "turn_9" }]);
  });

  it("resumes open threads on a new server process, history re-rendered", async () => {
    const { endpoint, session, bump } = setup();
    await session.newThread();
    bump();
    await session.serverRestarted();
    expect(endpoint.requests("codex/thread/resume")).toEqual([{ threadId: THREAD }]);
    expect(session.store.entries(THREAD).map((e) => e.id)).toEqual(["m_old"]);
    // Already resumed on this generation: the next message goes straight to turn/start.
    await session.send("again");
    expect(endpoint.requests("codex/thread/resume")).toHaveLength(1);
  });

  it("keeps several threads open and switches between them", async () => {
    const { session } = setup();
    await session.newThread();
    await session.openThread("thr_2");
    expect(session.openThreads).toEqual([THREAD, "thr_2"]);
    expect(session.current).toBe("thr_2");
    session.select(THREAD);
    expect(session.current).toBe(THREAD);
    session.close(THREAD);
    expect(session.current).toBe("thr_2");
  });

  it("undoes the last turn through the server command, then re-reads the thread", async () => {
    const { endpoint, session } = setup();
    await session.newThread();
    await session.undoLastTurn();
    expect(endpoint.requests("workspace/executeCommand")).toEqual([{ command: "codex.undoTurn", arguments: [{ threadId: THREAD }] }]);
    expect(endpoint.requests("codex/thread/read")).toEqual([{ threadId: THREAD, includeTurns: true }]);
  });

  it("says why when there is nothing left to undo: a result with notes, or (older servers) invalid params", async () => {
    const { endpoint, session } = setup();
    await session.newThread();
    const why = `Nothing to undo: thread ${THREAD} has no file changes to undo (its file-changing turns were undone (or dropped) already).`;
    endpoint.answer("workspace/executeCommand", () => ({ threadId: THREAD, turnId: null, undone: false, restored: [], deleted: [], refused: [], notes: [why] }));
    expect(await session.undoLastTurn()).toMatchObject({ turnId: null, undone: false, notes: [why] });
    // Nothing changed: the thread is not re-read.
    expect(endpoint.requests("codex/thread/read")).toEqual([]);
    endpoint.answer("workspace/executeCommand", () => {
      throw Object.assign(new Error(why), { code: -32602 });
    });
    expect(await session.undoLastTurn()).toEqual({ threadId: THREAD, turnId: null, undone: false, notes: [why] });
    // Other failures are errors.
    endpoint.answer("workspace/executeCommand", () => {
      throw Object.assign(new Error("boom"), { code: -32603 });
    });
    await expect(session.undoLastTurn()).rejects.toThrow("boom");
  });

  it("reopens the chat of the last window: the saved threads resumed, the current one shown", async () => {
    const { endpoint, session } = setup();
    endpoint.answer("codex/thread/resume", (p) => {
      const { threadId } = p as { threadId: string };
      if (threadId === "thr_gone") throw Object.assign(new Error("unknown thread id thr_gone"), { code: -32602 });
      return startResult(threadId, [turn("completed", [user(`u_${threadId}`, `hello ${threadId}`), agent(`m_${threadId}`, "hi")], `t_${threadId}`)]);
    });
    const failed: string[] = [];
    const reopened = await session.restore({ open: ["thr_a", "thr_gone", "thr_b"], current: "thr_a" }, (id) => failed.push(id));
    expect(reopened).toEqual(["thr_a", "thr_b"]);
    expect(failed).toEqual(["thr_gone"]);
    expect(session.openThreads).toEqual(["thr_a", "thr_b"]);
    expect(session.current).toBe("thr_a");
    expect(session.store.entries("thr_a").map((e) => e.kind)).toEqual(["user", "agent"]);
    expect(session.info("thr_a")?.model).toBe("gpt-5.1-codex");
    expect(session.saved()).toEqual({ open: ["thr_a", "thr_b"], current: "thr_a" });
    // Nothing saved, or something that is not a saved chat: nothing happens.
    const fresh = setup();
    expect(await fresh.session.restore(undefined)).toEqual([]);
    expect(await fresh.session.restore({ open: "thr_a" })).toEqual([]);
    expect(fresh.endpoint.requests("codex/thread/resume")).toEqual([]);
  });

  it("leaves the thread the user opened meanwhile shown", async () => {
    const { session } = setup();
    const started = await session.newThread();
    await session.restore({ open: ["thr_a"], current: "thr_a" });
    expect(session.openThreads).toEqual([started.id, "thr_a"]);
    expect(session.current).toBe(started.id);
  });

  it("reviews inline on the current thread, starting one when none is open", async () => {
    const { endpoint, session } = setup();
    const result = await session.review({ type: "uncommittedChanges" });
    expect(result.reviewThreadId).toBe(THREAD);
    expect(endpoint.requests("codex/thread/start")).toHaveLength(1);
    expect(endpoint.requests("codex/review/start")).toEqual([{ threadId: THREAD, target: { type: "uncommittedChanges" }, delivery: "inline" }]);
    expect(session.current).toBe(THREAD);
    expect(session.tabs()).toEqual([{ threadId: THREAD, title: "Review: uncommitted changes", active: false }]);
    await session.review({ type: "baseBranch", branch: "main" });
    expect(session.tabs()[0]?.title).toBe("Review: uncommitted changes");
    expect(endpoint.requests("codex/thread/start")).toHaveLength(1);
    expect(endpoint.requests("codex/review/start").at(-1)).toEqual({ threadId: THREAD, target: { type: "baseBranch", branch: "main" }, delivery: "inline" });
  });

  it("opens and shows the new thread of a detached review", async () => {
    const { endpoint, session } = setup();
    await session.newThread();
    await session.review({ type: "commit", sha: "abc1234", title: "Fix" }, THREAD, "detached");
    expect(endpoint.requests("codex/thread/resume")).toEqual([{ threadId: "thr_rv" }]);
    expect(session.openThreads).toEqual([THREAD, "thr_rv"]);
    expect(session.current).toBe("thr_rv");
  });

  it("runs the server's codex.ask (a finding's quick fix) on the named thread, with its place", async () => {
    const { endpoint, session } = setup();
    await session.newThread();
    const range = { start: { line: 2, character: 0 }, end: { line: 4, character: 0 } };
    // A thread this window does not have open is resumed and shown first.
    const sent = await session.askFromServer({ text: "Fix: Off by one", uri: "file:///ws/a.ts", range, threadId: "thr_2" });
    expect(sent).toMatchObject({ kind: "turn", threadId: "thr_2" });
    expect(endpoint.requests("codex/thread/resume")).toEqual([{ threadId: "thr_2" }]);
    expect(session.current).toBe("thr_2");
    expect(endpoint.requests("codex/turn/start").at(-1)).toMatchObject({
      threadId: "thr_2",
      input: [
        { type: "text", text: "Fix: Off by one" },
        { type: "document", uri: "file:///ws/a.ts", range },
      ],
    });
    // Without a thread: the current one; a malformed range is dropped; no text: not ours.
    await session.askFromServer({ text: "Explain", uri: "file:///ws/a.ts", range: { start: 1 } });
    expect(endpoint.requests("codex/turn/start").at(-1)).toMatchObject({
      threadId: "thr_2",
      input: [{ type: "text", text: "Explain" }, { type: "document", uri: "file:///ws/a.ts" }],
    });
    expect(await session.askFromServer({ uri: "file:///ws/a.ts" })).toBeUndefined();
    expect(await session.askFromServer(undefined)).toBeUndefined();
  });

  it("clears review findings through the server's codex.clearReview", async () => {
    const { endpoint, session } = setup();
    await session.clearReview();
    await session.clearReview(THREAD);
    expect(endpoint.requests("workspace/executeCommand")).toEqual([
      { command: "codex.clearReview", arguments: [{}] },
      { command: "codex.clearReview", arguments: [{ threadId: THREAD }] },
    ]);
  });
});

describe("ChatSession: context control", () => {
  const history = [
    turn("completed", [user("u1", "one"), agent("m1", "first")], "t1"),
    turn("completed", [user("u2", "two"), agent("m2", "second")], "t2"),
    turn("completed", [user("u3", "three"), agent("m3", "third")], "t3"),
  ];

  /** A session showing THREAD with three turns; revert/rollback answer with what remains
   * (announcing `thread/reverted` first, as the server does). */
  async function withHistory() {
    const s = setup();
    s.endpoint
      .answer("codex/thread/resume", () => startResult(THREAD, history))
      .answer("codex/thread/compact/start", () => ({}))
      .answer("codex/thread/revert", (p) => {
        const { beforeTurnId } = p as { beforeTurnId: string };
        s.endpoint.emit("codex/thread/reverted", { threadId: THREAD });
        return { thread: thread({ turns: history.slice(0, history.findIndex((t) => t.id === beforeTurnId)) }) };
      })
      .answer("codex/thread/rollback", (p) => {
        const { numTurns } = p as { numTurns: number };
        s.endpoint.emit("codex/thread/reverted", { threadId: THREAD });
        return { thread: thread({ turns: history.slice(0, history.length - numTurns) }) };
      })
      .answer("codex/turn/steer", (p) => ({ turnId: (p as { expectedTurnId: string }).expectedTurnId }));
    await s.session.openThread(THREAD);
    const drafts: string[] = [];
    s.session.onDraft((threadId, text) => drafts.push(`${threadId}: ${text}`));
    return { ...s, drafts };
  }

  const users = (session: ChatSession) => session.store.entries(THREAD).filter((e) => e.kind === "user").map((e) => (e.kind === "user" ? e.text : ""));

  it("compacts the current thread through codex/thread/compact/start", async () => {
    const { endpoint, session } = await withHistory();
    expect(await session.compact()).toBe(THREAD);
    expect(endpoint.requests("codex/thread/compact/start")).toEqual([{ threadId: THREAD }]);
    session.close(THREAD);
    await expect(session.compact()).rejects.toThrow("No thread is open.");
  });

  it("rewinds to a turn: the chat shows the turns that remain, says so, and puts the message back in the input", async () => {
    const { endpoint, session, drafts } = await withHistory();
    expect(session.store.turnsFrom(THREAD, "t2")).toBe(2);
    const remaining = await session.revert(THREAD, "t2");
    expect(endpoint.requests("codex/thread/revert")).toEqual([{ threadId: THREAD, beforeTurnId: "t2", restoreFiles: true }]);
    expect(remaining.turns.map((t) => t.id)).toEqual(["t1"]);
    expect(users(session)).toEqual(["one"]);
    expect(session.store.turns(THREAD)).toEqual(["t1"]);
    expect(session.store.entries(THREAD).at(-1)).toMatchObject({ kind: "notice", level: "info", text: "Rewound 2 turns: the files they changed were restored." });
    expect(drafts).toEqual([`${THREAD}: two`]);
    // Its own `thread/reverted` needs no second read of the thread.
    expect(endpoint.requests("codex/thread/read")).toEqual([]);
  });

  it("rewinds the last turn (rollback), keeping the files when asked", async () => {
    const { endpoint, session, drafts } = await withHistory();
    await session.rollback(THREAD, 1, false);
    expect(endpoint.requests("codex/thread/rollback")).toEqual([{ threadId: THREAD, numTurns: 1, restoreFiles: false }]);
    expect(users(session)).toEqual(["one", "two"]);
    expect(session.store.entries(THREAD).at(-1)).toMatchObject({ text: "Rewound 1 turn: its file changes were kept." });
    expect(drafts).toEqual([`${THREAD}: three`]);
  });

  it("re-reads a thread that was reverted by someone else (the server's codex.revert)", async () => {
    const { endpoint, session } = await withHistory();
    endpoint.emit("codex/thread/reverted", { threadId: THREAD });
    await vi.waitFor(() => expect(endpoint.requests("codex/thread/read")).toEqual([{ threadId: THREAD, includeTurns: true }]));
    await vi.waitFor(() => expect(users(session)).toEqual([]));
    endpoint.emit("codex/thread/reverted", { threadId: "not-open" });
    expect(endpoint.requests("codex/thread/read")).toHaveLength(1);
  });

  it("steers the running turn with what the user typed, without showing it before the server does", async () => {
    const { endpoint, session } = await withHistory();
    // No turn running: a new turn.
    expect(await session.steer("plain")).toMatchObject({ kind: "turn" });
    endpoint.emit("codex/turn/started", n.turnStarted("t4").params);
    const before = session.store.entries(THREAD).length;
    expect(await session.steer("also @a.ts")).toEqual({ kind: "steer", threadId: THREAD, turnId: "t4" });
    expect(endpoint.requests("codex/turn/steer")).toEqual([
      { threadId: THREAD, expectedTurnId: "t4", input: [{ type: "text", text: "also @a.ts" }, { type: "mention", name: "a.ts", path: "/ws/a.ts" }] },
    ]);
    expect(session.store.entries(THREAD)).toHaveLength(before);
    // The server's item shows it, once.
    endpoint.emit("codex/item/completed", n.completed(user("u_s", "also @a.ts"), "t4").params);
    expect(users(session).filter((u) => u === "also @a.ts")).toHaveLength(1);
    // A shell command cannot join a turn, and a turn that ended meanwhile takes no input:
    // both wait in the queue.
    expect(await session.steer("!ls")).toMatchObject({ kind: "queued" });
    endpoint.answer("codex/turn/steer", () => {
      throw Object.assign(new Error("turn t4 has ended"), { code: -32602 });
    });
    expect(await session.steer("too late")).toMatchObject({ kind: "queued" });
    expect(session.store.meta(THREAD)?.queued.map((q) => q.text)).toEqual(["!ls", "too late"]);
    expect(endpoint.requests("codex/thread/shellCommand")).toEqual([]);
    // Other failures are the user's to see.
    endpoint.answer("codex/turn/steer", () => {
      throw Object.assign(new Error("boom"), { code: -32603 });
    });
    await expect(session.steer("x")).rejects.toThrow("boom");
  });

  it("sends queued messages one turn at a time once the thread is idle; one can be removed first", async () => {
    const { endpoint, session } = await withHistory();
    endpoint.emit("codex/turn/started", n.turnStarted("t4").params);
    await session.queue("later one");
    await session.queue("later two");
    const third = await session.queue("later three");
    expect(third).toMatchObject({ kind: "queued", threadId: THREAD });
    expect(session.unqueue(THREAD, third.kind === "queued" ? third.id : "")).toBe(true);
    expect(session.store.meta(THREAD)?.queued.map((q) => q.text)).toEqual(["later one", "later two"]);
    expect(endpoint.requests("codex/turn/start")).toEqual([]);
    // turn/completed alone is not enough: the server is done with the turn once it says idle.
    endpoint.emit("codex/turn/completed", n.turnCompleted("completed", "t4").params);
    expect(endpoint.requests("codex/turn/start")).toEqual([]);
    endpoint.emit("codex/thread/status/changed", { threadId: THREAD, status: { type: "idle" } });
    await vi.waitFor(() => expect(endpoint.requests("codex/turn/start")).toHaveLength(1));
    expect(endpoint.requests("codex/turn/start")[0]).toMatchObject({ threadId: THREAD, input: [{ type: "text", text: "later one" }] });
    expect(session.store.meta(THREAD)?.queued.map((q) => q.text)).toEqual(["later two"]);
    endpoint.emit("codex/turn/started", n.turnStarted("t5").params);
    endpoint.emit("codex/turn/completed", n.turnCompleted("failed", "t5").params);
    endpoint.emit("codex/thread/status/changed", { threadId: THREAD, status: { type: "idle" } });
    await vi.waitFor(() => expect(endpoint.requests("codex/turn/start")).toHaveLength(2));
    expect(endpoint.requests("codex/turn/start")[1]).toMatchObject({ input: [{ type: "text", text: "later two" }] });
    expect(session.store.meta(THREAD)?.queued).toEqual([]);
    // Nothing queued and no turn running: queueing sends at once.
    expect(await session.queue("now")).toMatchObject({ kind: "queued" });
    expect(endpoint.requests("codex/turn/start")).toHaveLength(3);
  });

  it("returns the queued messages to the input when the user stops the turn", async () => {
    const { endpoint, session, drafts } = await withHistory();
    endpoint.emit("codex/turn/started", n.turnStarted("t4").params);
    await session.queue("first");
    await session.queue("second");
    endpoint.emit("codex/turn/completed", n.turnCompleted("interrupted", "t4").params);
    endpoint.emit("codex/thread/status/changed", { threadId: THREAD, status: { type: "idle" } });
    expect(drafts).toEqual([`${THREAD}: first\n\nsecond`]);
    expect(session.store.meta(THREAD)?.queued).toEqual([]);
    expect(endpoint.requests("codex/turn/start")).toEqual([]);
  });

  it("puts a queued message back when it cannot be sent, and says why", async () => {
    const { endpoint, session } = await withHistory();
    endpoint.emit("codex/turn/started", n.turnStarted("t4").params);
    await session.queue("later");
    endpoint.answer("codex/turn/start", () => {
      throw new Error("the server is gone");
    });
    endpoint.emit("codex/turn/completed", n.turnCompleted("completed", "t4").params);
    endpoint.emit("codex/thread/status/changed", { threadId: THREAD, status: { type: "idle" } });
    await vi.waitFor(() => expect(session.store.entries(THREAD).at(-1)).toMatchObject({ kind: "notice", level: "error", text: "The queued message was not sent: the server is gone" }));
    expect(session.store.meta(THREAD)?.queued.map((q) => q.text)).toEqual(["later"]);
  });
});
