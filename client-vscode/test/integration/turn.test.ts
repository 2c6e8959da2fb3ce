// The extension's protocol client and chat session against the real codex-lsp server and
// the mock model (both real processes on this machine).
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type CodexProtocol, nextNotification } from "../../src/protocol/client.js";
import type { CodexNotification } from "../../src/protocol/types.js";
import { ExpectedEdits, reviewOutcome, rewriteWorkspaceEdit } from "../../src/state/approvals.js";
import { ChatSession } from "../../src/state/session.js";
import type { AgentEntry, CommandEntry, FileChangeEntry, ReasoningEntry } from "../../src/state/transcript.js";
import { applyUnifiedDiff } from "../../src/state/unifiedDiff.js";
import { type CodexServer, MockModel, PYTHON, SERVER, applyWorkspaceEditOnDisk, startSession, type SessionRig, type tempDirs } from "./harness.js";

const available = SERVER !== undefined && PYTHON !== undefined;
const required = process.env.CODEX_VSCODE_REQUIRE_SERVER === "1";
if (!available) console.warn("integration tests skipped: set CODEX_LSP_SERVER (codex-lsp) and CODEX_LSP_PYTHON");

describe.runIf(required && !available)("integration prerequisites", () => {
  it("finds codex-lsp and its Python", () => {
    expect(SERVER, "codex-lsp (CODEX_LSP_SERVER)").toBeTypeOf("string");
    expect(PYTHON, "Python with codex_lsp (CODEX_LSP_PYTHON)").toBeTypeOf("string");
  });
});

const ORIGINAL = Array.from({ length: 30 }, (_, i) => `line ${i + 1}\n`).join("");
const TWO_HUNKS = `*** Begin Patch
*** Update File: notes.txt
@@
 line 2
-line 3
+line three
 line 4
@@
 line 25
-line 26
+line twenty-six
 line 27
*** End Patch`;

function toolOutputs(body: { input?: { type?: string; output?: unknown }[] }): string[] {
  return (body.input ?? [])
    .filter((i) => i.type === "function_call_output" || i.type === "custom_tool_call_output")
    .map((i) => (typeof i.output === "string" ? i.output : JSON.stringify(i.output)));
}

describe.skipIf(!available)("extension protocol client against the real server", () => {
  let mock: MockModel;
  let server: CodexServer;
  let dirs: ReturnType<typeof tempDirs>;
  let protocol: CodexProtocol;
  let session: ChatSession;
  let seen: CodexNotification[];

  beforeAll(async () => {
    mock = await MockModel.start();
  });

  afterAll(() => {
    mock?.stop();
  });

  let rig: SessionRig | undefined;

  /** A fresh server (the one before stopped) with `extraConfig` in its config.toml. */
  async function boot(extraConfig = ""): Promise<void> {
    await rig?.stop();
    rig = await startSession(mock, extraConfig);
    ({ dirs, server, protocol, session, seen } = rig);
    fs.writeFileSync(path.join(dirs.workspace, "notes.txt"), ORIGINAL);
    const init = rig.init as { capabilities: { experimental?: { codex?: { methods: string[] } } } };
    expect(init.capabilities.experimental?.codex?.methods).toContain("codex/turn/start");
  }

  beforeEach(async () => {
    await boot();
  });

  afterEach(async () => {
    await rig?.stop();
    rig = undefined;
  });

  it("runs a turn: streamed deltas assemble into the completed message, in the transcript too", async () => {
    const chunks = ["Hello", " from the", " mock model.\n\n", "A list:\n- one\n", "- two"];
    await mock.enqueue({
      items: [
        { type: "reasoning", summary: ["Thinking about the greeting."] },
        { type: "message", text: chunks.join(""), chunks },
      ],
    });
    const thread = await session.newThread();
    expect(thread.cwd).toBe(dirs.workspace);
    const completed = nextNotification(protocol, "codex/turn/completed", (p) => p.threadId === thread.id, 60_000);
    const sent = await session.send("Say hello about @notes.txt");
    expect(sent.kind).toBe("turn");
    const done = await completed;
    expect(done.turn.status).toBe("completed");

    const deltas = seen.filter((n) => n.method === "codex/item/agentMessage/delta").map((n) => n.params.delta);
    const message = seen.find(
      (n) => n.method === "codex/item/completed" && n.params.item.type === "agentMessage",
    );
    const finalText = message?.method === "codex/item/completed" && message.params.item.type === "agentMessage" ? message.params.item.text : undefined;
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe(finalText);
    expect(finalText).toBe(chunks.join(""));

    // The same notifications through the view-state model.
    const entries = session.store.entries(thread.id);
    expect(entries.map((e) => e.kind)).toEqual(["user", "reasoning", "agent"]);
    expect(entries[0]).toMatchObject({ kind: "user", text: "Say hello about @notes.txt", attachments: ["@notes.txt"] });
    expect((entries[1] as ReasoningEntry).summary.join("")).toContain("Thinking about the greeting.");
    expect(entries[2]).toMatchObject({ text: chunks.join(""), streaming: false } satisfies Partial<AgentEntry>);
    expect(session.store.meta(thread.id)?.activeTurnId).toBeNull();

    // The mention reached the model.
    const requests = await mock.requests();
    expect(JSON.stringify(requests.at(-1)?.body)).toContain("notes.txt");

    // Resume re-renders the same history from thread.turns.
    const fresh = new ChatSession(protocol, { cwd: () => dirs.workspace, settings: () => ({}), generation: () => 2, resolveMention: () => undefined });
    await fresh.openThread(thread.id);
    expect(fresh.store.entries(thread.id).map((e) => e.kind)).toEqual(["user", "reasoning", "agent"]);
    expect((fresh.store.entries(thread.id)[2] as AgentEntry).text).toBe(chunks.join(""));
    fresh.dispose();
  });

  it("answers a command approval and shows the command's output and exit status", async () => {
    await boot('approval_policy = "untrusted"\n');
    await mock.enqueue(
      { items: [{ type: "function_call", name: "shell", arguments: JSON.stringify({ command: ["bash", "-c", "echo approved > ran.txt; echo out"] }), call_id: "c1" }] },
      { items: [{ type: "message", text: "Ran it." }] },
    );
    const asked: string[] = [];
    protocol.handle("codex/item/commandExecution/requestApproval", (params) => {
      asked.push(params.command);
      session.store.setApproval(params.threadId, params.itemId, { key: "k", kind: "command", reason: params.reason });
      return Promise.resolve({ decision: "accept" });
    });
    const thread = await session.newThread();
    const completed = nextNotification(protocol, "codex/turn/completed", (p) => p.threadId === thread.id, 60_000);
    await session.send("run it");
    expect((await completed).turn.status).toBe("completed");
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain("echo approved");
    const cmd = session.store.entries(thread.id).find((e) => e.kind === "command") as CommandEntry;
    expect(cmd).toMatchObject({ status: "completed", exitCode: 0, approval: null });
    expect(cmd.output).toContain("out");
    expect(fs.readFileSync(path.join(dirs.workspace, "ran.txt"), "utf8")).toBe("approved\n");
  });

  it("lands only the hunks the user kept, and the server tells the model which were rejected", async () => {
    await boot('approval_policy = "untrusted"\n');
    await mock.enqueue(
      { items: [{ type: "custom_tool_call", name: "apply_patch", input: TWO_HUNKS, call_id: "p1" }] },
      { items: [{ type: "message", text: "Patched." }] },
    );
    const file = path.join(dirs.workspace, "notes.txt");
    const uri = pathToFileURL(file).toString();
    const expected = new ExpectedEdits();
    // The approval as the extension answers it: the user reverted the second hunk.
    protocol.handle("codex/item/fileChange/requestApproval", (params) => {
      const c = params.changes[0]!;
      const base = fs.readFileSync(file, "utf8");
      const proposed = applyUnifiedDiff(base, c.diff);
      const final = proposed.replace("line twenty-six\n", "line 26\n");
      const outcome = reviewOutcome([{ uri, kind: c.kind.type, base, proposed, final }], "accept");
      expected.add(outcome.expected);
      return Promise.resolve({ decision: outcome.decision });
    });
    // workspace/applyEdit as the extension's middleware + VS Code would handle it.
    server.connection.onRequest("workspace/applyEdit", (params: { edit: Parameters<typeof rewriteWorkspaceEdit>[0] }) => {
      const { edit, rewritten } = rewriteWorkspaceEdit(params.edit, expected, () => fs.readFileSync(file, "utf8"));
      expect(rewritten).toEqual([uri]);
      applyWorkspaceEditOnDisk(edit);
      return { applied: true };
    });
    const thread = await session.newThread();
    const completed = nextNotification(protocol, "codex/turn/completed", (p) => p.threadId === thread.id, 60_000);
    await session.send("rename two lines");
    expect((await completed).turn.status).toBe("completed");

    expect(fs.readFileSync(file, "utf8")).toBe(ORIGINAL.replace("line 3\n", "line three\n"));
    const fc = session.store.entries(thread.id).find((e) => e.kind === "fileChange") as FileChangeEntry;
    expect(fc.status).toBe("completed");
    expect(fc.outcome).toBe("partlyApplied");
    const requests = await mock.requests();
    const notes = toolOutputs(requests.at(-1)!.body).filter((o) => o.includes("rejected these hunks"));
    expect(notes[0]).toContain("notes.txt: hunk 2");
  });

  it("interrupts a running turn (Stop)", async () => {
    await mock.enqueue({ items: [{ type: "message", text: "This answer never ends " .repeat(40) }], hang_after_events: 6 });
    const thread = await session.newThread();
    const started = nextNotification(protocol, "codex/item/agentMessage/delta", (p) => p.threadId === thread.id, 60_000);
    const completed = nextNotification(protocol, "codex/turn/completed", (p) => p.threadId === thread.id, 60_000);
    await session.send("talk forever");
    await started;
    expect(await session.interrupt(thread.id)).toBe(true);
    expect((await completed).turn.status).toBe("interrupted");
    expect(session.store.meta(thread.id)?.activeTurnId).toBeNull();
    const agent = session.store.entries(thread.id).find((e) => e.kind === "agent") as AgentEntry;
    expect(agent.streaming).toBe(false);
    expect(agent.text.startsWith("This answer")).toBe(true);
  });

  it("reads rate limits, models and the account, logs in and out (null-params requests too)", async () => {
    const limits = await protocol.request("codex/account/rateLimits/read", null);
    expect(limits).toHaveProperty("rateLimits");
    const models = await protocol.request("codex/model/list", { limit: 50 });
    expect(Array.isArray(models.data)).toBe(true);
    await protocol.request("codex/account/login/start", { type: "apiKey", apiKey: "sk-test-not-real" });
    expect((await protocol.request("codex/account/read", {})).account).toEqual({ type: "apiKey" });
    await protocol.request("codex/account/logout", null);
    expect((await protocol.request("codex/account/read", {})).account).toBeNull();
  });

  it("lists, renames, forks and archives threads of the workspace", async () => {
    await mock.enqueue({ items: [{ type: "message", text: "ok" }] });
    const thread = await session.newThread();
    const completed = nextNotification(protocol, "codex/turn/completed", (p) => p.threadId === thread.id, 60_000);
    await session.send("first");
    await completed;
    await session.rename(thread.id, "Renamed thread");
    const listed = await protocol.request("codex/thread/list", { cwd: dirs.workspace, limit: 10 });
    expect(listed.data.map((t) => [t.id, t.name])).toContainEqual([thread.id, "Renamed thread"]);
    const fork = await session.fork(thread.id);
    expect(fork.forkedFromId).toBe(thread.id);
    expect(session.openThreads).toEqual([thread.id, fork.id]);
    expect(session.store.entries(fork.id).map((e) => e.kind)).toEqual(["user", "agent"]);
    await session.archive(thread.id);
    const after = await protocol.request("codex/thread/list", { cwd: dirs.workspace, limit: 10 });
    expect(after.data.map((t) => t.id)).not.toContain(thread.id);
    expect(session.openThreads).toEqual([fork.id]);
  });
});
