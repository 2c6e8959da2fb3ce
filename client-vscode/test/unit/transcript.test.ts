import { describe, expect, it } from "vitest";
import { TranscriptStore, type AgentEntry, type CommandEntry, type FileChangeEntry, type ReasoningEntry, type ReviewEntry, type UserEntry } from "../../src/state/transcript.js";
import { THREAD, TURN, agent, change, command, fileChange, finding, n, reviewOutput, thread, tokenUsage, turn, user } from "./fixtures.js";

function storeWithThread(): TranscriptStore {
  const store = new TranscriptStore();
  store.load(thread());
  store.takeChanges(THREAD);
  return store;
}

const DIFF_TWO_HUNKS = "--- a/notes.txt\n+++ b/notes.txt\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -10,3 +10,3 @@\n j\n-k\n+K\n l\n";
const DIFF_ONE_HUNK = "--- a/notes.txt\n+++ b/notes.txt\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n";

describe("TranscriptStore", () => {
  it("assembles streamed agent deltas and takes the completed text as authoritative", () => {
    const store = storeWithThread();
    store.apply(n.turnStarted());
    store.apply(n.started(agent("msg_1", "")));
    for (const d of ["Hel", "lo, ", "**world**"]) store.apply(n.agentDelta("msg_1", d));
    const streaming = store.entry(THREAD, "msg_1") as AgentEntry;
    expect(streaming.text).toBe("Hello, **world**");
    expect(streaming.streaming).toBe(true);
    store.apply(n.completed(agent("msg_1", "Hello, **world**!")));
    const done = store.entry(THREAD, "msg_1") as AgentEntry;
    expect(done.text).toBe("Hello, **world**!");
    expect(done.streaming).toBe(false);
  });

  it("creates an agent entry for a delta that arrives before item/started", () => {
    const store = storeWithThread();
    store.apply(n.agentDelta("msg_x", "early"));
    expect((store.entry(THREAD, "msg_x") as AgentEntry).text).toBe("early");
  });

  it("keeps reasoning summary parts apart", () => {
    const store = storeWithThread();
    store.apply(n.started({ type: "reasoning", id: "rs_1", summary: [], content: [] }));
    store.apply(n.summaryPart("rs_1", 0));
    store.apply(n.summaryDelta("rs_1", 0, "**Plan** "));
    store.apply(n.summaryDelta("rs_1", 0, "first"));
    store.apply(n.summaryPart("rs_1", 1));
    store.apply(n.summaryDelta("rs_1", 1, "second"));
    const e = store.entry(THREAD, "rs_1") as ReasoningEntry;
    expect(e.summary).toEqual(["**Plan** first", "second"]);
    expect(e.streaming).toBe(true);
  });

  it("shows command output live, then the exit status", () => {
    const store = storeWithThread();
    store.apply(n.started(command("cmd_1", "inProgress", null, null)));
    store.apply(n.outputDelta("cmd_1", "total 0\n"));
    store.apply(n.outputDelta("cmd_1", "a.txt\n"));
    let e = store.entry(THREAD, "cmd_1") as CommandEntry;
    expect(e.output).toBe("total 0\na.txt\n");
    expect(e.actions).toEqual(["list ."]);
    store.apply(n.completed(command("cmd_1", "completed", "total 0\na.txt\n", 0)));
    e = store.entry(THREAD, "cmd_1") as CommandEntry;
    expect(e.status).toBe("completed");
    expect(e.exitCode).toBe(0);
    expect(e.durationMs).toBe(120);
  });

  it("keeps streamed output when the completed item has none", () => {
    const store = storeWithThread();
    store.apply(n.started(command("cmd_2", "inProgress", null, null)));
    store.apply(n.outputDelta("cmd_2", "partial"));
    store.apply(n.completed(command("cmd_2", "failed", null, null)));
    expect((store.entry(THREAD, "cmd_2") as CommandEntry).output).toBe("partial");
  });

  it("tells applied, partly applied, edited and declined file changes apart", () => {
    const store = storeWithThread();
    store.apply(n.started(fileChange("fc_1", "inProgress", [change("/ws/notes.txt", DIFF_TWO_HUNKS)])));
    expect((store.entry(THREAD, "fc_1") as FileChangeEntry).outcome).toBe("proposed");
    store.setApproval(THREAD, "fc_1", { key: "k", kind: "fileChange", reason: "fix it" });
    expect((store.entry(THREAD, "fc_1") as FileChangeEntry).approval?.reason).toBe("fix it");
    store.setApproval(THREAD, "fc_1", null);
    expect((store.entry(THREAD, "fc_1") as FileChangeEntry).outcome).toBe("applying");
    // The server reduced the change to the hunk that landed.
    store.apply(n.completed(fileChange("fc_1", "completed", [change("/ws/notes.txt", DIFF_ONE_HUNK)])));
    const partly = store.entry(THREAD, "fc_1") as FileChangeEntry;
    expect(partly.outcome).toBe("partlyApplied");
    expect(partly.changes[0]).toMatchObject({ added: 1, removed: 1 });

    store.apply(n.started(fileChange("fc_2", "inProgress", [change("/ws/notes.txt", DIFF_ONE_HUNK)])));
    store.apply(n.completed(fileChange("fc_2", "completed", [change("/ws/notes.txt", DIFF_ONE_HUNK)])));
    expect((store.entry(THREAD, "fc_2") as FileChangeEntry).outcome).toBe("applied");

    // The user rewrote the proposed line before accepting: a "+" line the proposal lacks.
    store.apply(n.started(fileChange("fc_4", "inProgress", [change("/ws/notes.txt", DIFF_ONE_HUNK)])));
    const rewritten = DIFF_ONE_HUNK.replace("\n+B\n", "\n+B, reworded\n");
    expect(rewritten).not.toBe(DIFF_ONE_HUNK);
    store.apply(n.completed(fileChange("fc_4", "completed", [change("/ws/notes.txt", rewritten)])));
    expect((store.entry(THREAD, "fc_4") as FileChangeEntry).outcome).toBe("edited");

    store.apply(n.started(fileChange("fc_3", "inProgress", [change("/ws/notes.txt", DIFF_ONE_HUNK)])));
    store.apply(n.completed(fileChange("fc_3", "declined", [change("/ws/notes.txt", DIFF_ONE_HUNK)])));
    expect((store.entry(THREAD, "fc_3") as FileChangeEntry).outcome).toBe("declined");
  });

  it("marks an undone turn's file changes, also after the thread is reloaded", () => {
    const store = storeWithThread();
    store.apply(n.started(fileChange("fc_1", "inProgress", [change("/ws/notes.txt", DIFF_ONE_HUNK)])));
    store.apply(n.completed(fileChange("fc_1", "completed", [change("/ws/notes.txt", DIFF_ONE_HUNK)])));
    store.apply(n.started(fileChange("fc_2", "inProgress", [change("/ws/notes.txt", DIFF_ONE_HUNK)])));
    store.apply(n.completed(fileChange("fc_2", "declined", [change("/ws/notes.txt", DIFF_ONE_HUNK)])));
    store.markUndone(THREAD, "turn_1");
    expect((store.entry(THREAD, "fc_1") as FileChangeEntry).outcome).toBe("undone");
    expect((store.entry(THREAD, "fc_2") as FileChangeEntry).outcome).toBe("declined");
    expect(store.takeChanges(THREAD)?.entries?.some((e) => e.id === "fc_1")).toBe(true);
    // The history from the server does not say so: the mark outlives the reload.
    const landed = fileChange("fc_1", "completed", [change("/ws/notes.txt", DIFF_ONE_HUNK)]);
    store.load(thread({ turns: [turn("completed", [agent("m0", "earlier")], "turn_0"), turn("completed", [landed], "turn_1")] }));
    expect((store.entry(THREAD, "fc_1") as FileChangeEntry).outcome).toBe("undone");
  });

  it("tracks the plan, token use against the context window, and the running turn", () => {
    const store = storeWithThread();
    store.apply(n.turnStarted());
    expect(store.meta(THREAD)?.activeTurnId).toBe("turn_1");
    store.apply({
      method: "codex/turn/plan/updated",
      params: {
        threadId: THREAD,
        turnId: "turn_1",
        explanation: "Two steps",
        plan: [
          { step: "Read", status: "completed" },
          { step: "Write", status: "inProgress" },
        ],
      },
    });
    const breakdown = { totalTokens: 50_000, inputTokens: 45_000, cachedInputTokens: 0, outputTokens: 5_000, reasoningOutputTokens: 1_000 };
    store.apply({
      method: "codex/thread/tokenUsage/updated",
      params: { threadId: THREAD, turnId: "turn_1", tokenUsage: { total: breakdown, last: breakdown, modelContextWindow: 200_000 } },
    });
    const meta = store.meta(THREAD);
    expect(meta?.plan?.steps.map((s) => s.status)).toEqual(["completed", "inProgress"]);
    expect(meta?.contextUsed).toBeCloseTo(0.25);
    store.apply(n.turnCompleted("interrupted"));
    expect(store.meta(THREAD)?.activeTurnId).toBeNull();
    expect(store.meta(THREAD)?.lastTurnStatus).toBe("interrupted");
    const notices = store.entries(THREAD).filter((e) => e.kind === "notice");
    expect(notices.at(-1)).toMatchObject({ level: "warning", text: "Turn interrupted" });
  });

  it("ends streaming and clears approvals when the turn completes", () => {
    const store = storeWithThread();
    store.apply(n.turnStarted());
    store.apply(n.agentDelta("msg_1", "cut"));
    store.apply(n.started(command("cmd_1", "inProgress", null, null)));
    store.setApproval(THREAD, "cmd_1", { key: "k1", kind: "command", reason: null });
    store.apply(n.turnCompleted("interrupted"));
    expect((store.entry(THREAD, "msg_1") as AgentEntry).streaming).toBe(false);
    expect((store.entry(THREAD, "cmd_1") as CommandEntry).approval).toBeNull();
  });

  it("shows a web search: started without its query, completed with it; one the turn cut short stops", () => {
    const store = new TranscriptStore();
    store.load(thread());
    store.apply(n.turnStarted());
    store.apply(n.started({ type: "webSearch", id: "ws_1", query: "" }));
    expect(store.entry(THREAD, "ws_1")).toEqual({ kind: "webSearch", id: "ws_1", turnId: TURN, query: "", status: "inProgress" });
    store.apply(n.completed({ type: "webSearch", id: "ws_1", query: "vitest release notes" }));
    expect(store.entry(THREAD, "ws_1")).toMatchObject({ query: "vitest release notes", status: "completed" });
    // A second search: its query known from the start, then the turn is interrupted.
    store.apply(n.started({ type: "webSearch", id: "ws_2", query: "lsp 3.18" }));
    store.apply(n.completed({ type: "webSearch", id: "ws_2", query: "" }));
    expect(store.entry(THREAD, "ws_2")).toMatchObject({ query: "lsp 3.18", status: "completed" });
    store.apply(n.started({ type: "webSearch", id: "ws_3", query: "" }));
    store.apply(n.turnCompleted("interrupted"));
    expect(store.entry(THREAD, "ws_3")).toMatchObject({ status: "failed" });
    // From a resumed history.
    store.load(thread({ turns: [turn("completed", [{ type: "webSearch", id: "ws_1", query: "vitest release notes" }])] }));
    expect(store.entry(THREAD, "ws_1")).toMatchObject({ kind: "webSearch", query: "vitest release notes", status: "completed" });
  });

  it("shows errors, with retries as warnings", () => {
    const store = storeWithThread();
    store.apply({
      method: "codex/error",
      params: { threadId: THREAD, turnId: "turn_1", error: { message: "Rate limited", codexErrorInfo: "usageLimitExceeded", additionalDetails: null }, willRetry: true },
    });
    expect(store.entries(THREAD).at(-1)).toMatchObject({ kind: "notice", level: "warning", text: "Rate limited (retrying…)" });
  });

  it("re-renders a resumed thread's history from thread.turns", () => {
    const store = new TranscriptStore();
    store.load(
      thread({
        name: "Fix the tests",
        turns: [
          turn("completed", [
            { type: "userMessage", id: "u1", content: [{ type: "text", text: "hi" }, { type: "mention", name: "a.ts", path: "/ws/a.ts" }, { type: "document", uri: "file:///ws/b.ts", range: { start: { line: 2, character: 0 }, end: { line: 4, character: 0 } } }] },
            { type: "reasoning", id: "r1", summary: ["thought"], content: [] },
            agent("m1", "hello"),
            command("c1", "completed", "out", 0),
          ]),
          turn("failed", [agent("m2", "partial")], "turn_2"),
        ],
      }),
    );
    const entries = store.entries(THREAD);
    expect(entries.map((e) => e.kind)).toEqual(["user", "reasoning", "agent", "command", "agent", "notice"]);
    expect(entries[0]).toMatchObject({ text: "hi", attachments: ["@a.ts", "b.ts:3-5"] });
    expect(entries.every((e) => !("streaming" in e) || e.streaming === false)).toBe(true);
    expect(store.meta(THREAD)?.title).toBe("Fix the tests");
  });

  it("produces incremental patches: only what changed, and a reset after load", () => {
    const store = new TranscriptStore();
    store.load(thread({ turns: [turn("completed", [agent("m0", "old")], "t0")] }));
    const first = store.takeChanges(THREAD);
    expect(first?.reset).toBe(true);
    expect(first?.entries.map((e) => e.id)).toEqual(["m0"]);
    expect(store.takeChanges(THREAD)).toBeUndefined();
    store.apply(n.agentDelta("m1", "a"));
    store.apply(n.agentDelta("m1", "b"));
    const second = store.takeChanges(THREAD);
    expect(second?.reset).toBe(false);
    expect(second?.entries).toHaveLength(1);
    expect(second?.entries[0]).toMatchObject({ id: "m1", text: "ab" });
    // Patches are copies: later deltas don't change what was sent.
    store.apply(n.agentDelta("m1", "c"));
    expect(second?.entries[0]).toMatchObject({ text: "ab" });
  });

  it("shows a review: the target while it runs, then its findings and verdict (or its text)", () => {
    const store = storeWithThread();
    store.apply(n.turnStarted());
    store.apply(n.started({ type: "enteredReviewMode", id: "rv_1", review: "uncommitted changes" }));
    store.apply(n.completed({ type: "enteredReviewMode", id: "rv_1", review: "uncommitted changes" }));
    expect(store.entry(THREAD, "rv_1")).toEqual({ kind: "reviewStart", id: "rv_1", turnId: "turn_1", review: "uncommitted changes" });
    store.apply(n.started(command("c1", "inProgress", null, null)));
    const output = reviewOutput([finding("Off by one", 1, "/ws/a.ts", 3, 4), finding("Typo", 3, "/ws/b.ts", 10)]);
    store.apply(n.completed({ type: "exitedReviewMode", id: "rv_2", review: "**Off by one**", output }));
    store.apply(n.turnCompleted());
    const review = store.entry(THREAD, "rv_2") as ReviewEntry;
    expect(review).toMatchObject({ kind: "review", turnId: "turn_1", review: "**Off by one**" });
    expect(review.output?.findings.map((f) => [f.title, f.priority, f.codeLocation.lineRange])).toEqual([
      ["Off by one", 1, { start: 3, end: 4 }],
      ["Typo", 3, { start: 10, end: 10 }],
    ]);
    expect(store.entries(THREAD).map((e) => e.kind)).toEqual(["reviewStart", "command", "review"]);
    // Patches carry copies of the findings (the webview gets them whole).
    const patch = store.takeChanges(THREAD);
    expect(patch?.entries.find((e) => e.id === "rv_2")).toEqual(review);
    expect(patch?.entries.find((e) => e.id === "rv_2")).not.toBe(review);
    // A reviewer answer that was not review JSON: the text, no output.
    store.apply(n.completed({ type: "exitedReviewMode", id: "rv_3", review: "Looks fine to me.", output: null }));
    expect(store.entry(THREAD, "rv_3")).toMatchObject({ kind: "review", review: "Looks fine to me.", output: null });
  });

  it("re-renders a review turn from a resumed thread's history", () => {
    const store = new TranscriptStore();
    const output = reviewOutput([finding("Leak", 0, "/ws/a.ts", 7)]);
    store.load(
      thread({
        turns: [
          turn("completed", [
            { type: "enteredReviewMode", id: "rv_1", review: "changes against main" },
            { type: "reasoning", id: "r1", summary: ["Reading the diff"], content: [] },
            { type: "exitedReviewMode", id: "rv_2", review: "Leak", output },
          ]),
        ],
      }),
    );
    expect(store.entries(THREAD).map((e) => e.kind)).toEqual(["reviewStart", "reasoning", "review"]);
    expect((store.entry(THREAD, "rv_2") as ReviewEntry).output).toEqual(output);
  });

  it("ignores notifications of threads it does not show, except to start tracking turns", () => {
    const store = new TranscriptStore();
    expect(store.apply({ method: "codex/thread/name/updated", params: { threadId: "other", name: "x", threadName: "x" } })).toBeUndefined();
    expect(store.apply({ method: "codex/account/updated", params: { authMode: "apiKey" } })).toBeUndefined();
  });

  it("shows a manual compaction as a divider, in progress then done; the context meter drops with the usage that follows", () => {
    const store = storeWithThread();
    store.apply(tokenUsage(150_000, "turn_0"));
    expect(store.meta(THREAD)?.contextUsed).toBeCloseTo(0.75);
    store.apply(n.turnStarted("turn_c"));
    store.apply(n.started({ type: "contextCompaction", id: "cc_1" }, "turn_c"));
    expect(store.entry(THREAD, "cc_1")).toEqual({ kind: "compaction", id: "cc_1", turnId: "turn_c", inProgress: true, automatic: false });
    store.apply(n.completed({ type: "contextCompaction", id: "cc_1" }, "turn_c"));
    store.apply({ method: "codex/thread/compacted", params: { threadId: THREAD, turnId: "turn_c" } });
    store.apply(tokenUsage(4_000, "turn_c"));
    store.apply(n.turnCompleted("completed", "turn_c"));
    expect(store.entry(THREAD, "cc_1")).toMatchObject({ inProgress: false, automatic: false });
    expect(store.meta(THREAD)?.contextUsed).toBeCloseTo(0.02);
    expect(store.meta(THREAD)?.tokenUsage?.last.totalTokens).toBe(4_000);
    const patch = store.takeChanges(THREAD);
    expect(patch?.entries.map((e) => e.kind)).toEqual(["compaction"]);
    expect(patch?.meta.tokenUsage?.last.totalTokens).toBe(4_000);
  });

  it("marks a compaction inside a turn with a user message as automatic, live and from history", () => {
    const store = storeWithThread();
    store.apply(n.turnStarted());
    store.apply(n.completed(user("u1", "go on")));
    store.apply(n.completed(command("c1", "completed", "ok", 0)));
    store.apply(n.started({ type: "contextCompaction", id: "cc_auto" }));
    expect(store.entry(THREAD, "cc_auto")).toMatchObject({ kind: "compaction", inProgress: true, automatic: true });
    // An item the server never completed is done when its turn is.
    store.apply(n.turnCompleted());
    expect(store.entry(THREAD, "cc_auto")).toMatchObject({ inProgress: false, automatic: true });

    const loaded = new TranscriptStore();
    loaded.load(
      thread({
        turns: [
          turn("completed", [{ type: "contextCompaction", id: "cc_m" }], "turn_m"),
          turn("completed", [user("u2", "next"), { type: "contextCompaction", id: "cc_a" }, agent("m2", "done")], "turn_a"),
        ],
      }),
    );
    expect(loaded.entries(THREAD).map((e) => (e.kind === "compaction" ? `${e.id}:${e.automatic}:${e.inProgress}` : e.kind))).toEqual([
      "cc_m:false:false",
      "user",
      "cc_a:true:false",
      "agent",
    ]);
  });

  it("tells steering input from the message that started the turn", () => {
    const store = storeWithThread();
    store.apply(n.turnStarted());
    store.apply(n.started(user("u1", "go")));
    store.apply(n.completed(user("u1", "go")));
    store.apply(n.agentDelta("m1", "working"));
    store.apply(n.started(user("u2", "also mention tests")));
    store.apply(n.completed(user("u2", "also mention tests")));
    const users = store.entries(THREAD).filter((e): e is UserEntry => e.kind === "user");
    expect(users.map((u) => [u.text, u.steered])).toEqual([
      ["go", false],
      ["also mention tests", true],
    ]);
    // From history the same.
    store.load(thread({ turns: [turn("completed", [user("u1", "go"), agent("m1", "a"), user("u2", "also")])] }));
    expect(store.entries(THREAD).filter((e): e is UserEntry => e.kind === "user").map((u) => u.steered)).toEqual([false, true]);
  });

  it("counts the turns a rewind drops and keeps the queue across reloads", () => {
    const store = new TranscriptStore();
    store.load(thread({ turns: [turn("completed", [user("u1", "one")], "t1"), turn("completed", [user("u2", "two")], "t2")] }));
    store.apply(n.turnStarted("t3"));
    store.apply(n.turnStarted("t3"));
    expect(store.turns(THREAD)).toEqual(["t1", "t2", "t3"]);
    expect(store.turnsFrom(THREAD, "t1")).toBe(3);
    expect(store.turnsFrom(THREAD, "t3")).toBe(1);
    expect(store.turnsFrom(THREAD, "nope")).toBe(0);
    expect(store.turnText(THREAD, "t2")).toBe("two");
    expect(store.turnText(THREAD, "t3")).toBe("");

    store.enqueue(THREAD, { id: "q1", text: "first", selection: null });
    store.enqueue(THREAD, { id: "q2", text: "second", selection: null });
    expect(store.takeChanges(THREAD)?.meta.queued.map((q) => q.text)).toEqual(["first", "second"]);
    store.load(thread({ turns: [turn("completed", [user("u1", "one")], "t1")] }));
    expect(store.turns(THREAD)).toEqual(["t1"]);
    expect(store.meta(THREAD)?.queued.map((q) => q.id)).toEqual(["q1", "q2"]);
    expect(store.dequeue(THREAD, "q2")?.text).toBe("second");
    expect(store.dequeue(THREAD, "q2")).toBeUndefined();
    const first = store.dequeue(THREAD);
    expect(first?.id).toBe("q1");
    expect(store.dequeue(THREAD)).toBeUndefined();
    store.requeue(THREAD, first!);
    expect(store.takeChanges(THREAD)?.meta.queued.map((q) => q.id)).toEqual(["q1"]);
  });
});
