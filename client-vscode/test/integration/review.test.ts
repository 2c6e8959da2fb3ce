// Review mode through the extension's ChatSession against the real codex-lsp and the mock
// model (both real processes): a review of the uncommitted changes of a temporary git
// repository, its findings in the exitedReviewMode item (and the chat's review entry), the
// diagnostics the Problems panel shows, the "Ask Codex to fix: <title>" quick fix run the
// way the extension runs it, codex.clearReview; then a detached review whose reviewer
// answered in plain text.
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { CodeAction, Diagnostic, PublishDiagnosticsParams } from "vscode-languageserver-protocol";
import { CodexProtocol, nextNotification } from "../../src/protocol/client.js";
import type { CodexNotification, ReviewOutput } from "../../src/protocol/types.js";
import { ChatSession } from "../../src/state/session.js";
import type { AgentEntry, ReviewEntry, ReviewStartEntry, UserEntry } from "../../src/state/transcript.js";
import { CodexServer, MockModel, PYTHON, SERVER, git, mockConfig, tempDirs } from "./harness.js";

const available = SERVER !== undefined && PYTHON !== undefined;

const CALC = ["def mean(values):", "    total = 0", "    for v in values[:-1]:", "        total += v", "    return total / len(values)", ""].join("\n");
const CALC_BEFORE = ["def mean(values):", "    return sum(values) / len(values)", ""].join("\n");
const UTIL = ["import os", "", "def home():", "    return os.environ['HOME']", ""].join("\n");

/** Resolves with the first publishDiagnostics for `uri` that satisfies `predicate`. */
function diagnosticsFor(
  published: PublishDiagnosticsParams[],
  listeners: Set<() => void>,
  uri: string,
  predicate: (d: Diagnostic[]) => boolean,
  timeoutMs = 60_000,
): Promise<Diagnostic[]> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const hit = published.find((p) => p.uri === uri && predicate(p.diagnostics));
      if (!hit) return false;
      clearTimeout(timer);
      listeners.delete(listener);
      resolve(hit.diagnostics);
      return true;
    };
    const listener = () => void check();
    const timer = setTimeout(() => {
      listeners.delete(listener);
      reject(new Error(`no matching publishDiagnostics for ${uri} within ${timeoutMs} ms: ${JSON.stringify(published.filter((p) => p.uri === uri))}`));
    }, timeoutMs);
    listeners.add(listener);
    check();
  });
}

describe.skipIf(!available)("review mode against the real server", () => {
  let mock: MockModel;
  let server: CodexServer;
  let dirs: ReturnType<typeof tempDirs>;
  let protocol: CodexProtocol;
  let session: ChatSession;
  let seen: CodexNotification[];
  let published: PublishDiagnosticsParams[];
  let listeners: Set<() => void>;
  let calc: string;
  let util: string;

  beforeAll(async () => {
    mock = await MockModel.start();
  });

  afterAll(() => {
    mock?.stop();
  });

  beforeEach(async () => {
    await mock.reset();
    dirs = tempDirs();
    fs.writeFileSync(path.join(dirs.home, "config.toml"), mockConfig(mock.url));
    const ws = dirs.workspace;
    calc = path.join(ws, "calc.py");
    util = path.join(ws, "util.py");
    git(ws, "init", "-q", "-b", "main");
    fs.writeFileSync(calc, CALC_BEFORE);
    fs.writeFileSync(util, UTIL);
    git(ws, "add", ".");
    git(ws, "commit", "-q", "-m", "mean()");
    // The uncommitted change under review.
    fs.writeFileSync(calc, CALC);
    server = CodexServer.start(dirs.home, ws);
    published = [];
    listeners = new Set();
    server.connection.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
      published.push(p);
      for (const l of [...listeners]) l();
    });
    const init = (await server.initialize(ws)) as {
      capabilities: { experimental?: { codex?: { methods: string[] } }; executeCommandProvider?: { commands: string[] } };
    };
    expect(init.capabilities.experimental?.codex?.methods).toContain("codex/review/start");
    expect(init.capabilities.executeCommandProvider?.commands).toEqual(expect.arrayContaining(["codex.ask", "codex.review", "codex.clearReview"]));
    protocol = new CodexProtocol(server.endpoint);
    seen = [];
    protocol.onAny((notification) => seen.push(notification));
    session = new ChatSession(protocol, { cwd: () => ws, settings: () => ({}), generation: () => 1, resolveMention: () => undefined });
  });

  afterEach(async () => {
    session?.dispose();
    protocol?.dispose();
    await server?.stop();
    dirs?.cleanup();
  });

  it("reviews uncommitted changes inline: findings in the item and the chat, diagnostics per file, the quick fix, clear", async () => {
    const answer = {
      findings: [
        {
          title: "Loop skips the last value",
          body: "`values[:-1]` drops the last element, so the mean is wrong.",
          confidence_score: 0.9,
          priority: 1,
          code_location: { absolute_file_path: calc, line_range: { start: 3, end: 4 } },
        },
        {
          title: "Division by zero on an empty list",
          body: "`len(values)` is 0 for `[]`.",
          confidence_score: 0.6,
          priority: 3,
          code_location: { absolute_file_path: calc, line_range: { start: 5, end: 5 } },
        },
        {
          title: "HOME may be unset",
          body: "Use `os.environ.get`.",
          confidence_score: 0.4,
          priority: 2,
          code_location: { absolute_file_path: util, line_range: { start: 4, end: 4 } },
        },
      ],
      overall_correctness: "patch is incorrect",
      overall_explanation: "The new loop computes the wrong mean.",
      overall_confidence_score: 0.85,
    };
    await mock.enqueue({ items: [{ type: "message", text: JSON.stringify(answer) }] });
    const thread = await session.newThread();
    const calcUri = pathToFileURL(calc).toString();
    const utilUri = pathToFileURL(util).toString();
    const calcDiagnostics = diagnosticsFor(published, listeners, calcUri, (d) => d.length === 2);
    const utilDiagnostics = diagnosticsFor(published, listeners, utilUri, (d) => d.length === 1);
    const completed = nextNotification(protocol, "codex/turn/completed", (p) => p.threadId === thread.id, 90_000);

    const result = await session.review({ type: "uncommittedChanges" });
    expect(result.reviewThreadId).toBe(thread.id);
    expect(session.current).toBe(thread.id);
    const done = await completed;
    expect(done.turn.status).toBe("completed");
    const turnId = result.turn.id;

    // The items, in order, as the chat holds them.
    const entries = session.store.entries(thread.id);
    const start = entries.find((e): e is ReviewStartEntry => e.kind === "reviewStart");
    const review = entries.find((e): e is ReviewEntry => e.kind === "review");
    expect(start?.review).toMatch(/uncommitted/i);
    expect(entries.indexOf(start!)).toBeLessThan(entries.indexOf(review!));
    expect(entries.filter((e) => e.kind === "agent")).toEqual([]);
    const expected: ReviewOutput = {
      findings: answer.findings.map((f) => ({
        title: f.title,
        body: f.body,
        confidenceScore: f.confidence_score,
        priority: f.priority as 0 | 1 | 2 | 3,
        codeLocation: { absoluteFilePath: f.code_location.absolute_file_path, lineRange: f.code_location.line_range },
      })),
      overallCorrectness: "patch is incorrect",
      overallExplanation: "The new loop computes the wrong mean.",
      overallConfidenceScore: 0.85,
    };
    expect(review?.output).toEqual(expected);
    // The item on the wire carries the same output.
    const item = seen.find((n) => n.method === "codex/item/completed" && n.params.item.type === "exitedReviewMode");
    expect(item?.method === "codex/item/completed" && item.params.item.type === "exitedReviewMode" ? item.params.item.output : null).toEqual(expected);
    // The diff of the uncommitted change reached the reviewer.
    const request = JSON.stringify((await mock.requests()).at(-1)?.body);
    expect(request).toContain("for v in values[:-1]:");

    // Diagnostics: whole lines, severity by priority, code P<n>, title + body, data.
    const lines = CALC.split("\n");
    const check = (d: Diagnostic | undefined, f: (typeof answer.findings)[number], index: number, severity: number, fileLines: string[]) => {
      const { start: first, end: last } = f.code_location.line_range;
      expect(d?.range.start).toEqual({ line: first - 1, character: 0 });
      expect([{ line: last - 1, character: fileLines[last - 1]?.length }, { line: last, character: 0 }]).toContainEqual(d?.range.end);
      expect(d).toMatchObject({ severity, source: "codex review", code: `P${f.priority}`, message: `${f.title}\n\n${f.body}` });
      expect(d?.data).toEqual({ threadId: thread.id, turnId, findingIndex: index });
    };
    const inCalc = await calcDiagnostics;
    check(inCalc.find((d) => d.code === "P1"), answer.findings[0]!, 0, 1, lines);
    check(inCalc.find((d) => d.code === "P3"), answer.findings[1]!, 1, 3, lines);
    check((await utilDiagnostics)[0], answer.findings[2]!, 2, 2, UTIL.split("\n"));

    // The lightbulb: the code action of the P1 finding, run the way the extension runs the
    // server's codex.ask (its executeCommand middleware -> ChatSession.askFromServer).
    await server.connection.sendNotification("textDocument/didOpen", { textDocument: { uri: calcUri, languageId: "python", version: 1, text: CALC } });
    const p1 = inCalc.find((d) => d.code === "P1")!;
    const actions = await server.connection.sendRequest<CodeAction[]>("textDocument/codeAction", {
      textDocument: { uri: calcUri },
      range: p1.range,
      context: { diagnostics: [p1], only: ["quickfix"] },
    });
    const fix = actions.find((a) => a.title === "Ask Codex to fix: Loop skips the last value");
    expect(fix, JSON.stringify(actions)).toBeDefined();
    expect(fix).toMatchObject({ kind: "quickfix", isPreferred: true, command: { command: "codex.ask" } });
    const arg = fix!.command!.arguments![0] as { text: string; uri: string; threadId: string };
    expect(arg).toMatchObject({ uri: calcUri, threadId: thread.id });
    await mock.enqueue({ items: [{ type: "message", text: "Fixed: the loop now covers every value." }] });
    const fixed = nextNotification(protocol, "codex/turn/completed", (p) => p.threadId === thread.id && p.turn.id !== turnId, 90_000);
    const sent = await session.askFromServer(arg);
    expect(sent).toMatchObject({ kind: "turn", threadId: thread.id });
    expect((await fixed).turn.status).toBe("completed");
    const after = session.store.entries(thread.id);
    const user = after.filter((e): e is UserEntry => e.kind === "user").at(-1);
    expect(user?.text).toContain("Loop skips the last value");
    expect(user?.attachments).toEqual([expect.stringMatching(/^calc\.py:\d+-\d+$/)]);
    expect((after.at(-1) as AgentEntry).text).toBe("Fixed: the loop now covers every value.");
    // The fix turn's request names the finding, and (inline delivery) the review's result is
    // in the thread's history.
    const fixRequest = JSON.stringify((await mock.requests()).at(-1)?.body);
    expect(fixRequest).toContain("Loop skips the last value");
    expect(fixRequest).toContain("HOME may be unset");

    // Codex: Clear Review Findings.
    const calcCleared = diagnosticsFor(published, listeners, calcUri, (d) => d.length === 0);
    const utilCleared = diagnosticsFor(published, listeners, utilUri, (d) => d.length === 0);
    await session.clearReview();
    await calcCleared;
    await utilCleared;
  });

  it("runs a detached review on a new thread, shown in the chat; a plain-text answer gives output null", async () => {
    await mock.enqueue({ items: [{ type: "message", text: "I looked at the change and it reads fine to me." }] });
    const parent = await session.newThread();
    const order: string[] = [];
    protocol.onAny((n) => {
      if (n.method === "codex/thread/started") order.push(`thread/started ${n.params.thread.id}`);
      if (n.method === "codex/turn/started") order.push(`turn/started ${n.params.threadId}`);
    });
    const completed = nextNotification(protocol, "codex/turn/completed", (p) => p.threadId !== parent.id, 90_000);
    const result = await session.review({ type: "custom", instructions: "Review calc.py for numeric edge cases." }, parent.id, "detached");
    const reviewThread = result.reviewThreadId;
    expect(reviewThread).not.toBe(parent.id);
    expect(session.openThreads).toEqual([parent.id, reviewThread]);
    expect(session.current).toBe(reviewThread);
    expect((await completed).threadId).toBe(reviewThread);
    expect(order.indexOf(`thread/started ${reviewThread}`)).toBeGreaterThanOrEqual(0);
    expect(order.indexOf(`thread/started ${reviewThread}`)).toBeLessThan(order.indexOf(`turn/started ${reviewThread}`));
    // The chat shows the review (as it streamed in, then as the thread's history says).
    for (const when of ["live", "re-read"]) {
      if (when === "re-read") await session.reload(reviewThread);
      const entries = session.store.entries(reviewThread);
      expect(entries.map((e) => e.kind).filter((k) => k.startsWith("review")), when).toEqual(["reviewStart", "review"]);
      const review = entries.find((e): e is ReviewEntry => e.kind === "review");
      expect(review?.output, when).toBeNull();
      expect(review?.review, when).toContain("it reads fine to me");
    }
    expect(session.store.entries(parent.id).filter((e) => e.kind === "review")).toEqual([]);
    // The custom instructions reached the reviewer.
    expect(JSON.stringify((await mock.requests()).at(-1)?.body)).toContain("numeric edge cases");
  });
});
