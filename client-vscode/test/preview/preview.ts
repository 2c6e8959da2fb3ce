// A browser page that runs the chat webview outside VS Code with a scripted transcript, for
// screenshots (`npm run preview`, then open out/preview/index.html or screenshot it).
import type { CommandRisk } from "../../src/protocol/types.js";
import { TranscriptStore } from "../../src/state/transcript.js";
import type { FromWebview, ToWebview } from "../../src/state/viewMessages.js";
import { THREAD, agent, change, command, fileChange, finding, n, reviewOutput, thread, tokenUsage, user } from "../unit/fixtures.js";

const posted: FromWebview[] = [];
(window as unknown as { posted: FromWebview[] }).posted = posted;

function send(message: ToWebview): void {
  window.dispatchEvent(new MessageEvent("message", { data: message }));
}

const store = new TranscriptStore();
const FILES = ["notes.txt", "src/app.ts", "src/notes/index.ts", "README.md"];

/** Send what changed in the scripted thread to the page. */
function flush(): void {
  const patch = store.takeChanges(THREAD);
  if (patch) send({ type: "patch", patch });
}

/** What the extension and the server do with the page's steering and queue messages. */
let hostCount = 0;
function host(m: FromWebview): void {
  hostCount += 1;
  if (m.type === "steer") store.apply(n.completed(user(`u_steer_${hostCount}`, m.text)));
  else if (m.type === "queue") store.enqueue(m.threadId, { id: `q${hostCount}`, text: m.text, selection: null });
  else if (m.type === "unqueue") store.dequeue(m.threadId, m.id);
  else return;
  setTimeout(flush, 0);
}

/** Hooks for tests driving the page. */
(window as unknown as { codexPreview: unknown }).codexPreview = {
  /** A command of a turn of its own waiting for approval: with the model's assessment at
   * `level` (none: null) and, with `prefix`, the "Always allow" choice. */
  commandApproval(id: string, level: CommandRisk["riskLevel"] | null, prefix: string[] | null): void {
    const turnId = `turn_${id}`;
    store.apply(n.turnStarted(turnId));
    store.apply(n.started(command(id, "inProgress", null, null), turnId));
    const risk: CommandRisk | null = level && {
      description: "Lists the files of the workspace, with their sizes and owners.",
      riskLevel: level,
      riskCategories: level === "high" ? ["data loss", "outside the workspace"] : ["read-only"],
    };
    store.setApproval(THREAD, id, { key: `key_${id}`, kind: "command", reason: "See what is there", risk, amendment: prefix });
    flush();
  },
  /** A web search of a turn of its own: started (no query yet), then done with `query`. */
  webSearch(step: "start" | "done", query = ""): void {
    const turnId = "turn_ws";
    if (step === "start") store.apply(n.turnStarted(turnId));
    store.apply((step === "start" ? n.started : n.completed)({ type: "webSearch", id: "ws_1", query }, turnId));
    if (step === "done") store.apply(n.turnCompleted("completed", turnId));
    flush();
  },
  completeTurn(): void {
    store.apply(n.completed(agent("m1", "Done.")));
    store.apply(n.turnCompleted());
    flush();
  },
  /** A message from the extension, as it would post it. */
  send,
  /** A compaction: `automatic` inside a turn the user started, else a turn of its own;
   * `done` completes it, with the smaller context the server reports afterwards. */
  compaction(step: "start" | "done", automatic = false): void {
    const turnId = automatic ? "turn_auto" : "turn_compact";
    const item = { type: "contextCompaction" as const, id: `cc_${turnId}` };
    if (step === "start") {
      store.apply(n.turnStarted(turnId));
      if (automatic) store.apply(n.completed(user("u_auto", "Keep going"), turnId));
      store.apply(n.started(item, turnId));
    } else {
      store.apply(n.completed(item, turnId));
      store.apply(tokenUsage(3_200, turnId));
      store.apply(n.turnCompleted("completed", turnId));
    }
    flush();
  },
  /** Finished file changes in each state a card can say: partly applied, undone (Undo Last
   * Turn), reverted in editor (Ctrl+Z), and one file of two reverted. */
  fileCards(): void {
    const one = "--- a/notes.txt\n+++ b/notes.txt\n@@ -1,3 +1,3 @@\n line 1\n-line 2\n+line two\n line 3\n";
    const two = `${one}@@ -8,3 +8,3 @@\n line 8\n-line 9\n+line nine\n line 10\n`;
    const cards: [string, string, string[], string][] = [
      ["fc_partly", "turn_fc1", ["/ws/notes.txt"], "partly"],
      ["fc_undone", "turn_fc2", ["/ws/src/app.ts"], "undone"],
      ["fc_reverted", "turn_fc3", ["/ws/README.md"], "reverted"],
      ["fc_half", "turn_fc4", ["/ws/src/app.ts", "/ws/notes.txt"], "half"],
    ];
    for (const [id, turnId, files, state] of cards) {
      store.apply(n.turnStarted(turnId));
      store.apply(n.started(fileChange(id, "inProgress", files.map((f) => change(f, two))), turnId));
      store.apply(n.completed(fileChange(id, "completed", files.map((f) => change(f, state === "partly" ? one : two))), turnId));
      store.apply(n.turnCompleted("completed", turnId));
      if (state === "undone") store.markUndone(THREAD, turnId);
      if (state === "reverted") store.setReverted(THREAD, id, files);
      if (state === "half") store.setReverted(THREAD, id, files.slice(0, 1));
    }
    flush();
  },
  /** A review turn: "Reviewing: …", a command, then the findings (or, with `structured`
   * false, the reviewer's plain text). */
  showReview(structured = true): void {
    const turnId = structured ? "turn_rv" : "turn_rv2";
    const output = reviewOutput([
      finding("Typo in the comment", 3, "/ws/src/app.ts", 2),
      finding("Loop skips the last line", 1, "/ws/notes.txt", 3, 5),
      finding("Unchecked file outside the change", 2, "/other/lib.ts", 40),
    ]);
    const steps = [
      n.turnStarted(turnId),
      n.completed({ type: "enteredReviewMode", id: `${turnId}_in`, review: "uncommitted changes" }, turnId),
      n.completed(command(`${turnId}_c`, "completed", "notes.txt | 2 +-\n", 0), turnId),
      n.completed(
        structured
          ? { type: "exitedReviewMode", id: `${turnId}_out`, review: "Loop skips the last line", output }
          : { type: "exitedReviewMode", id: `${turnId}_out`, review: "I could not finish: **no diff** found.\n\n- check `git status`", output: null },
        turnId,
      ),
      n.turnCompleted("completed", turnId),
    ];
    for (const step of steps) store.apply(step);
    flush();
  },
};

function script(): void {
  store.load(thread({ name: "Rename the numbered lines" }));
  const diff = "--- a/notes.txt\n+++ b/notes.txt\n@@ -1,4 +1,4 @@\n line 1\n line 2\n-line 3\n+line three\n line 4\n";
  const steps = [
    n.turnStarted(),
    n.completed({ type: "userMessage", id: "u1", content: [{ type: "text", text: "Rename line 3 and explain the change." }, { type: "mention", name: "notes.txt", path: "/ws/notes.txt" }] }),
    n.started({ type: "reasoning", id: "r1", summary: [], content: [] }),
    n.summaryPart("r1", 0),
    n.summaryDelta("r1", 0, "**Looking at notes.txt**\n\nThe file has thirty numbered lines; line 3 should be spelled out."),
    n.completed({ type: "reasoning", id: "r1", summary: ["**Looking at notes.txt**\n\nThe file has thirty numbered lines; line 3 should be spelled out."], content: [] }),
    n.started(command("c1", "inProgress", null, null)),
    n.outputDelta("c1", "total 4\n-rw-r--r-- 1 me me 271 notes.txt\n"),
    n.completed(command("c1", "completed", "total 4\n-rw-r--r-- 1 me me 271 notes.txt\n", 0)),
    n.started(fileChange("f1", "inProgress", [change("/ws/notes.txt", diff)])),
    {
      method: "codex/turn/plan/updated",
      params: { threadId: THREAD, turnId: "turn_1", explanation: null, plan: [ { step: "Read notes.txt", status: "completed" }, { step: "Rename line 3", status: "inProgress" }, { step: "Explain", status: "pending" } ] },
    },
    {
      method: "codex/thread/tokenUsage/updated",
      params: { threadId: THREAD, turnId: "turn_1", tokenUsage: { total: { totalTokens: 18_400, inputTokens: 17_000, cachedInputTokens: 0, outputTokens: 1_400, reasoningOutputTokens: 300 }, last: { totalTokens: 12_345, inputTokens: 11_000, cachedInputTokens: 0, outputTokens: 1_345, reasoningOutputTokens: 200 }, modelContextWindow: 200_000 } },
    },
    n.started(agent("m1", "")),
    n.agentDelta("m1", "I renamed **line 3** to `line three`:\n\n```diff\n-line 3\n+line three\n```\n\nSee [the docs](https://example.com) and <script>alert(1)</script>"),
  ] as const;
  for (const s of steps) store.apply(s as Parameters<TranscriptStore["apply"]>[0]);
  store.setApproval(THREAD, "f1", { key: "k1", kind: "fileChange", reason: "Spell out line 3" });
  send({ type: "threads", open: [{ threadId: THREAD, title: "Rename the numbered lines", active: true }, { threadId: "thr_2", title: "Other thread", active: false }], current: THREAD });
  flush();
  send({ type: "context", selection: "notes.txt:3-5" });
}

(window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
  postMessage(m: FromWebview) {
    posted.push(m);
    host(m);
    if (m.type === "ready") setTimeout(script, 0);
    if (m.type === "mentionQuery") {
      const items = FILES.filter((f) => f.includes(m.query)).map((f) => ({ label: f, detail: "" }));
      setTimeout(() => send({ type: "mentionResults", requestId: m.requestId, items }), 0);
    }
  },
  getState: () => undefined,
  setState: () => undefined,
});
