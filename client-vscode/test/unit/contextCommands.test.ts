// "Codex: Compact Conversation", "Rewind to here" and "Codex: Rewind Last Turn" against a
// stubbed `vscode`: what they ask, and the requests they send for each answer.
import { beforeEach, describe, expect, it } from "vitest";
import { CodexProtocol } from "../../src/protocol/client.js";
import { ChatSession } from "../../src/state/session.js";
import { REWIND, REWIND_KEEP_FILES, compactConversation, rewindLastTurn, rewindTo, type ContextDeps } from "../../src/vscode/context.js";
import { FakeEndpoint } from "./fakeEndpoint.js";
import { THREAD, agent, n, startResult, thread, turn, user } from "./fixtures.js";
import { stub } from "./vscodeStub.js";

const history = [
  turn("completed", [user("u1", "one"), agent("m1", "first")], "t1"),
  turn("completed", [user("u2", "two"), agent("m2", "second")], "t2"),
  turn("completed", [user("u3", "three"), agent("m3", "third")], "t3"),
];

describe("context control commands", () => {
  let endpoint: FakeEndpoint;
  let session: ChatSession;
  let deps: ContextDeps;
  let revealed: number;

  beforeEach(() => {
    stub.reset();
    endpoint = new FakeEndpoint()
      .answer("codex/thread/resume", () => startResult(THREAD, history))
      .answer("codex/thread/compact/start", () => ({}))
      .answer("codex/thread/revert", (p) => ({ thread: thread({ turns: history.slice(0, history.findIndex((t) => t.id === (p as { beforeTurnId: string }).beforeTurnId)) }) }))
      .answer("codex/thread/rollback", () => ({ thread: thread({ turns: history.slice(0, 2) }) }));
    session = new ChatSession(new CodexProtocol(endpoint), { cwd: () => "/ws", settings: () => ({}), generation: () => 1, resolveMention: () => undefined });
    revealed = 0;
    deps = { session, reveal: () => (revealed += 1) };
  });

  it("compacts the current thread, and says why not when none is open or a turn runs", async () => {
    await compactConversation(deps);
    expect(stub.messages.at(-1)).toMatchObject({ kind: "info", message: "Codex: no thread is open." });
    await session.openThread(THREAD);
    endpoint.emit("codex/turn/started", n.turnStarted("t4").params);
    await compactConversation(deps);
    expect(stub.messages.at(-1)?.message).toContain("a turn is running");
    endpoint.emit("codex/turn/completed", n.turnCompleted("completed", "t4").params);
    await compactConversation(deps);
    expect(endpoint.requests("codex/thread/compact/start")).toEqual([{ threadId: THREAD }]);
    expect(revealed).toBe(1);
  });

  it("asks before rewinding to a turn, naming how many turns go and that their files are restored", async () => {
    await session.openThread(THREAD);
    stub.nextChoice = undefined; // dismissed: nothing happens
    await rewindTo(deps, THREAD, "t2");
    const asked = stub.messages.at(-1);
    expect(asked).toMatchObject({ kind: "warning", message: "Rewind to before this message?", modal: true, items: [REWIND, REWIND_KEEP_FILES] });
    expect(asked?.detail).toContain("This turn and the 1 after it (2 turns) are removed from the conversation.");
    expect(asked?.detail).toContain("The files they changed are restored");
    expect(endpoint.requests("codex/thread/revert")).toEqual([]);

    stub.nextChoice = REWIND;
    await rewindTo(deps, THREAD, "t2");
    expect(endpoint.requests("codex/thread/revert")).toEqual([{ threadId: THREAD, beforeTurnId: "t2", restoreFiles: true }]);
    expect(session.store.turns(THREAD)).toEqual(["t1"]);
  });

  it("rewinds and keeps the files with the second button; a single turn is named as one", async () => {
    await session.openThread(THREAD);
    stub.nextChoice = REWIND_KEEP_FILES;
    await rewindTo(deps, THREAD, "t3");
    expect(stub.messages.at(-1)?.detail).toContain("This turn is removed from the conversation. The files it changed are restored");
    expect(endpoint.requests("codex/thread/revert")).toEqual([{ threadId: THREAD, beforeTurnId: "t3", restoreFiles: false }]);
  });

  it("rewinds the last turn from the palette (rollback of one turn)", async () => {
    await rewindLastTurn(deps);
    expect(stub.messages.at(-1)?.message).toBe("Codex: no thread is open.");
    await session.openThread(THREAD);
    stub.nextChoice = REWIND;
    await rewindLastTurn(deps);
    expect(stub.messages.at(-1)).toMatchObject({ message: "Rewind the last turn?", modal: true });
    expect(stub.messages.at(-1)?.detail).toContain("The last turn is removed from the conversation.");
    expect(endpoint.requests("codex/thread/rollback")).toEqual([{ threadId: THREAD, numTurns: 1, restoreFiles: true }]);
    expect(session.store.turns(THREAD)).toEqual(["t1", "t2"]);
    // A thread with no turn left has nothing to rewind.
    endpoint.answer("codex/thread/rollback", () => ({ thread: thread({ turns: [] }) }));
    await rewindLastTurn(deps);
    expect(session.store.turns(THREAD)).toEqual([]);
    const asked = stub.messages.length;
    await rewindLastTurn(deps);
    expect(stub.messages.length).toBe(asked + 1);
    expect(stub.messages.at(-1)?.message).toBe("Codex: this thread has no turn to rewind.");
  });
});
