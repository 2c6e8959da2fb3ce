// Context control through the extension's ChatSession against the real codex-lsp and the
// mock model (both real processes): compaction (manual, and automatic inside a turn), the
// context meter after it, rewinding (revert and rollback) with the files put back through
// workspace/applyEdit, steering a running turn, and a queued message sent after it.
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ApplyWorkspaceEditParams } from "vscode-languageserver-protocol";
import { nextNotification } from "../../src/protocol/client.js";
import type { CompactionEntry, UserEntry } from "../../src/state/transcript.js";
import { MockModel, PYTHON, SERVER, applyWorkspaceEditOnDisk, startSession, type SessionRig } from "./harness.js";

const available = SERVER !== undefined && PYTHON !== undefined;
const LONG = Array.from({ length: 400 }, () => "lorem").join(" ");
const ADD_NEW = "*** Begin Patch\n*** Add File: new.txt\n+created by turn two\n*** End Patch";

function message(text: string, extra: object = {}): object {
  return { items: [{ type: "message", text }], ...extra };
}

describe.skipIf(!available)("context control against the real server", () => {
  let mock: MockModel;
  let rig: SessionRig | undefined;

  beforeAll(async () => {
    mock = await MockModel.start();
  });

  afterAll(() => {
    mock?.stop();
  });

  afterEach(async () => {
    await rig?.stop();
    rig = undefined;
  });

  /** Send `text` to `threadId` and wait for its turn to complete; the turn's id. */
  async function ask(r: SessionRig, threadId: string, text: string): Promise<string> {
    const done = nextNotification(r.protocol, "codex/turn/completed", (p) => p.threadId === threadId, 60_000);
    await r.session.send(text, threadId);
    const { turn } = await done;
    expect(turn.status).toBe("completed");
    return turn.id;
  }

  async function lastRequest(): Promise<string> {
    return JSON.stringify((await mock.requests()).at(-1)?.body);
  }

  const users = (r: SessionRig, threadId: string): UserEntry[] =>
    r.session.store.entries(threadId).filter((e): e is UserEntry => e.kind === "user");

  it("compacts the conversation: the divider in the chat, the context meter drops, the next request holds the summary", async () => {
    rig = await startSession(mock);
    const r = rig;
    const thread = await r.session.newThread();
    await mock.enqueue(message(`ANSWER-1 ${LONG}`, { usage: { total_tokens: 120_000 } }), message(`ANSWER-2 ${LONG}`, { usage: { total_tokens: 130_000 } }));
    await ask(r, thread.id, "QUESTION-1");
    await ask(r, thread.id, "QUESTION-2");
    const before = r.session.store.meta(thread.id)?.contextUsed ?? 0;
    expect(r.session.store.meta(thread.id)?.tokenUsage?.last.totalTokens).toBe(130_000);
    expect(before).toBeGreaterThan(0.4);

    await mock.enqueue(message("SUMMARY-OF-WORK: two questions answered."));
    const compacted = nextNotification(r.protocol, "codex/thread/compacted", (p) => p.threadId === thread.id, 60_000);
    const known = new Set(r.session.store.turns(thread.id));
    const done = nextNotification(r.protocol, "codex/turn/completed", (p) => p.threadId === thread.id && !known.has(p.turn.id), 60_000);
    const from = r.seen.length;
    await r.session.compact(thread.id);
    const { turnId } = await compacted;
    expect((await done).turn).toMatchObject({ id: turnId, status: "completed" });

    // The item, `thread/compacted`, then the smaller context: in that order.
    const order = r.seen
      .slice(from)
      .map((n) =>
        n.method === "codex/item/started" || n.method === "codex/item/completed" ? `${n.method}:${n.params.item.type}` : n.method,
      )
      .filter((m) => /contextCompaction|compacted|tokenUsage/.test(m));
    expect(order).toEqual([
      "codex/item/started:contextCompaction",
      "codex/item/completed:contextCompaction",
      "codex/thread/compacted",
      "codex/thread/tokenUsage/updated",
    ]);
    const cards = r.session.store.entries(thread.id).filter((e): e is CompactionEntry => e.kind === "compaction");
    expect(cards).toEqual([{ kind: "compaction", id: cards[0]?.id, turnId, inProgress: false, automatic: false }]);
    const meta = r.session.store.meta(thread.id);
    expect(meta?.tokenUsage?.last.totalTokens).toBeLessThan(5_000);
    expect(meta?.contextUsed).toBeLessThan(before / 10);
    expect(meta?.activeTurnId).toBeNull();

    await mock.enqueue(message("ANSWER-3"));
    await ask(r, thread.id, "QUESTION-3");
    const sent = await lastRequest();
    expect(sent).toContain("SUMMARY-OF-WORK");
    for (const q of ["QUESTION-1", "QUESTION-2", "QUESTION-3"]) expect(sent).toContain(q);
    expect(sent).not.toContain("ANSWER-1");
    expect(sent).not.toContain("ANSWER-2");
  });

  it("shows an automatic compaction inside the turn that needed it", async () => {
    rig = await startSession(mock, "model_auto_compact_token_limit = 5000");
    const r = rig;
    const thread = await r.session.newThread();
    await mock.enqueue(message(`ANSWER-1 ${LONG}`, { usage: { total_tokens: 6_000 } }), message("SUMMARY-AUTO"), message("ANSWER-2"));
    await ask(r, thread.id, "QUESTION-1");
    const second = await ask(r, thread.id, "QUESTION-2");
    const kinds = r.session.store
      .entries(thread.id)
      .filter((e) => e.turnId === second)
      .map((e) => (e.kind === "compaction" ? `compaction:${e.automatic ? "automatic" : "manual"}` : e.kind));
    expect(kinds).toEqual(["user", "compaction:automatic", "agent"]);
    expect(r.seen.filter((n) => n.method === "codex/thread/compacted")).toHaveLength(1);
    const sent = await lastRequest();
    expect(sent).toContain("SUMMARY-AUTO");
    expect(sent).not.toContain("ANSWER-1");
  });

  it("rewinds to a turn: the file its apply_patch created is gone (through workspace/applyEdit), its turns leave the chat and the model's view", async () => {
    rig = await startSession(mock, 'approval_policy = "never"');
    const r = rig;
    // workspace/applyEdit as VS Code lands it (no document is open in this test).
    const edits: ApplyWorkspaceEditParams[] = [];
    r.server.connection.onRequest("workspace/applyEdit", (params: ApplyWorkspaceEditParams) => {
      edits.push(params);
      applyWorkspaceEditOnDisk(params.edit);
      return { applied: true };
    });
    const created = path.join(r.dirs.workspace, "new.txt");
    const thread = await r.session.newThread();
    await mock.enqueue(
      message("ANSWER-1"),
      { items: [{ type: "custom_tool_call", name: "apply_patch", input: ADD_NEW, call_id: "p1" }] },
      message("ANSWER-2"),
      message("ANSWER-3"),
    );
    const one = await ask(r, thread.id, "QUESTION-1");
    const two = await ask(r, thread.id, "QUESTION-2");
    const three = await ask(r, thread.id, "QUESTION-3");
    expect(fs.readFileSync(created, "utf8")).toBe("created by turn two\n");
    expect(r.session.store.turns(thread.id)).toEqual([one, two, three]);
    expect(r.session.store.turnsFrom(thread.id, two)).toBe(2);
    const drafts: string[] = [];
    r.session.onDraft((_id, text) => drafts.push(text));

    const applied = edits.length;
    const remaining = await r.session.revert(thread.id, two);
    expect(remaining.turns.map((t) => t.id)).toEqual([one]);
    expect(fs.existsSync(created)).toBe(false);
    // Put back through the editor: a DeleteFile of new.txt.
    expect(edits.slice(applied).flatMap((e) => e.edit.documentChanges ?? [])).toContainEqual({ kind: "delete", uri: pathToFileURL(created).toString() });
    expect(r.session.store.turns(thread.id)).toEqual([one]);
    expect(users(r, thread.id).map((u) => u.text)).toEqual(["QUESTION-1"]);
    expect(r.session.store.entries(thread.id).at(-1)).toMatchObject({ kind: "notice", text: "Rewound 2 turns: the files they changed were restored." });
    expect(drafts).toEqual(["QUESTION-2"]);
    expect(r.seen.filter((n) => n.method === "codex/thread/reverted")).toEqual([{ method: "codex/thread/reverted", params: { threadId: thread.id } }]);

    await mock.enqueue(message("ANSWER-4"));
    const four = await ask(r, thread.id, "QUESTION-4");
    const sent = await lastRequest();
    expect(sent).toContain("QUESTION-1");
    expect(sent).toContain("ANSWER-1");
    for (const gone of ["QUESTION-2", "ANSWER-2", "QUESTION-3", "ANSWER-3"]) expect(sent).not.toContain(gone);

    // Rewind Last Turn: rollback of one turn; the server's history agrees.
    await r.session.rollback(thread.id, 1);
    expect(r.session.store.turns(thread.id)).toEqual([one]);
    expect(drafts).toEqual(["QUESTION-2", "QUESTION-4"]);
    const read = await r.protocol.request("codex/thread/read", { threadId: thread.id, includeTurns: true });
    expect(read.thread.turns.map((t) => t.id)).toEqual([one]);
    expect(four).not.toBe(one);
  });

  it("steers a running turn (its next model request gets the input, shown once) and sends a queued message after it", async () => {
    rig = await startSession(mock);
    const r = rig;
    const thread = await r.session.newThread();
    await mock.enqueue(
      message(`first answer ${"and more ".repeat(40)}`, { delay_ms_between_events: 40 }),
      message("Answered the steer."),
      message("Ran the tests."),
    );
    const delta = nextNotification(r.protocol, "codex/item/agentMessage/delta", (p) => p.threadId === thread.id, 60_000);
    const sent = await r.session.send("go", thread.id);
    const first = sent.kind === "turn" ? sent.turn.id : "";
    const firstDone = nextNotification(r.protocol, "codex/turn/completed", (p) => p.turn.id === first, 60_000);
    const queuedDone = nextNotification(r.protocol, "codex/turn/completed", (p) => p.threadId === thread.id && p.turn.id !== first, 60_000);
    await delta;
    expect(r.session.store.meta(thread.id)?.activeTurnId).toBe(first);

    expect(await r.session.steer("STEER: also mention tests", thread.id)).toEqual({ kind: "steer", threadId: thread.id, turnId: first });
    const queued = await r.session.queue("QUEUED: then run the tests", thread.id);
    expect(queued.kind).toBe("queued");
    expect(r.session.store.meta(thread.id)?.queued.map((q) => q.text)).toEqual(["QUEUED: then run the tests"]);

    expect((await firstDone).turn.status).toBe("completed");
    const inFirst = users(r, thread.id).filter((u) => u.turnId === first);
    expect(inFirst.map((u) => [u.text, u.steered])).toEqual([
      ["go", false],
      ["STEER: also mention tests", true],
    ]);
    const next = await queuedDone;
    expect(next.turn.status).toBe("completed");
    expect(users(r, thread.id).filter((u) => u.turnId === next.turn.id).map((u) => [u.text, u.steered])).toEqual([["QUEUED: then run the tests", false]]);
    expect(r.session.store.meta(thread.id)?.queued).toEqual([]);

    const requests = (await mock.requests()).map((q) => JSON.stringify(q.body));
    expect(requests).toHaveLength(3);
    expect(requests[0]).not.toContain("STEER: also mention tests");
    expect(requests[1]).toContain("STEER: also mention tests");
    expect(requests[1]).not.toContain("QUEUED: then run the tests");
    expect(requests[2]).toContain("QUEUED: then run the tests");
    expect(requests[2]).toContain("Answered the steer.");
  });
});
