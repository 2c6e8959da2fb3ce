import { describe, expect, it } from "vitest";
import { CodexProtocol } from "../../src/protocol/client.js";
import type { EditorSettings, ThreadStartResult } from "../../src/protocol/types.js";
import { ChatSession } from "../../src/state/session.js";
import { FakeEndpoint } from "./fakeEndpoint.js";
import { THREAD, agent, n, thread, turn } from "./fixtures.js";

function startResult(id = THREAD, turns = thread().turns): ThreadStartResult {
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
