// "Codex: Review Changes" against a stubbed `vscode` and a real git repository: the target
// picker's steps, the request it sends, and opening a finding's place from the chat.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CodexProtocol } from "../../src/protocol/client.js";
import { ChatSession } from "../../src/state/session.js";
import { openLocation } from "../../src/vscode/chatView.js";
import { clearReviewFindings, reviewChanges, type ReviewDeps } from "../../src/vscode/review.js";
import { git as gitIn } from "../integration/harness.js";
import { FakeEndpoint } from "./fakeEndpoint.js";
import { THREAD, thread, turn } from "./fixtures.js";
import { Range, stub } from "./vscodeStub.js";

const byLabel = (re: RegExp) => (items: { label: string }[]) => items.find((i) => re.test(i.label));

describe("Codex: Review Changes", () => {
  let repo: string;
  let endpoint: FakeEndpoint;
  let session: ChatSession;
  let revealed: number;
  let deps: ReviewDeps;

  beforeEach(() => {
    stub.reset();
    repo = fs.mkdtempSync(path.join(os.tmpdir(), "codex-review-cmd-"));
    gitIn(repo, "init", "-q", "-b", "main");
    fs.writeFileSync(path.join(repo, "a.txt"), "one\n");
    gitIn(repo, "add", "a.txt");
    gitIn(repo, "commit", "-q", "-m", "First commit");
    fs.writeFileSync(path.join(repo, "a.txt"), "one\ntwo\n");
    gitIn(repo, "commit", "-q", "-am", "Second commit");
    gitIn(repo, "checkout", "-q", "-b", "feature");
    endpoint = new FakeEndpoint()
      .answer("codex/thread/start", () => ({
        thread: thread(),
        model: "m",
        modelProvider: "mock",
        cwd: repo,
        approvalPolicy: "on-request",
        approvalsReviewer: "user",
        sandbox: { type: "readOnly", networkAccess: false },
        reasoningEffort: null,
      }))
      .answer("codex/review/start", (p) => ({ turn: turn("inProgress", [], "turn_rv"), reviewThreadId: (p as { threadId: string }).threadId }))
      .answer("workspace/executeCommand", () => ({}));
    session = new ChatSession(new CodexProtocol(endpoint), { cwd: () => repo, settings: () => ({}), generation: () => 1, resolveMention: () => undefined });
    revealed = 0;
    deps = { session, reveal: () => (revealed += 1), cwd: () => repo };
  });

  afterEach(() => {
    session.dispose();
    fs.rmSync(repo, { recursive: true, force: true });
  });

  it("offers the four targets and reviews uncommitted changes inline on a new thread", async () => {
    stub.pickAnswers.push(byLabel(/Uncommitted/));
    await reviewChanges(deps);
    expect(stub.quickPicks[0]?.labels).toEqual([
      "$(diff) Uncommitted changes",
      "$(git-branch) Against a base branch…",
      "$(git-commit) A commit…",
      "$(edit) Custom instructions…",
    ]);
    expect(endpoint.requests("codex/review/start")).toEqual([{ threadId: THREAD, target: { type: "uncommittedChanges" }, delivery: "inline" }]);
    expect(revealed).toBe(1);
    expect(stub.messages.at(-1)).toMatchObject({ kind: "status", message: "Codex: reviewing uncommitted changes…" });
  });

  it("lists the local branches with main first (the default) and reviews against the chosen one", async () => {
    stub.pickAnswers.push(byLabel(/base branch/), (items) => items[0]);
    await reviewChanges(deps);
    expect(stub.quickPicks[1]?.labels).toEqual(["main", "feature"]);
    expect(endpoint.requests("codex/review/start")).toEqual([{ threadId: THREAD, target: { type: "baseBranch", branch: "main" }, delivery: "inline" }]);
  });

  it("lists the recent commits by title and sends the chosen one's sha and title", async () => {
    stub.pickAnswers.push(byLabel(/A commit/), byLabel(/^First commit$/));
    await reviewChanges(deps);
    expect(stub.quickPicks[1]?.labels).toEqual(["Second commit", "First commit"]);
    const sha = gitIn(repo, "rev-parse", "HEAD~1").trim();
    expect(endpoint.requests("codex/review/start")).toEqual([{ threadId: THREAD, target: { type: "commit", sha, title: "First commit" }, delivery: "inline" }]);
  });

  it("takes custom instructions from an input box", async () => {
    stub.pickAnswers.push(byLabel(/Custom/));
    stub.inputAnswers.push("  Check the error handling  ");
    await reviewChanges(deps);
    expect(endpoint.requests("codex/review/start")).toEqual([{ threadId: THREAD, target: { type: "custom", instructions: "Check the error handling" }, delivery: "inline" }]);
  });

  it("does nothing when a step is dismissed", async () => {
    await reviewChanges(deps);
    stub.pickAnswers.push(byLabel(/base branch/));
    await reviewChanges(deps);
    stub.pickAnswers.push(byLabel(/Custom/));
    stub.inputAnswers.push(undefined);
    await reviewChanges(deps);
    expect(endpoint.requests("codex/review/start")).toEqual([]);
    expect(endpoint.requests("codex/thread/start")).toEqual([]);
    expect(revealed).toBe(0);
  });

  it("names the problem when the folder is not a git repository", async () => {
    fs.rmSync(path.join(repo, ".git"), { recursive: true, force: true });
    stub.pickAnswers.push(byLabel(/A commit/));
    await expect(reviewChanges(deps)).rejects.toThrow(/not a git repository/i);
  });

  it("takes the target and delivery from the command's argument without asking", async () => {
    await reviewChanges(deps, { target: { type: "custom", instructions: "x" }, delivery: "detached" });
    expect(stub.quickPicks).toEqual([]);
    expect(endpoint.requests("codex/review/start")).toEqual([{ threadId: THREAD, target: { type: "custom", instructions: "x" }, delivery: "detached" }]);
  });

  it("clears the findings through codex.clearReview", async () => {
    await clearReviewFindings(deps);
    expect(endpoint.requests("workspace/executeCommand")).toEqual([{ command: "codex.clearReview", arguments: [{}] }]);
  });

  it("opens a finding's file with its lines selected, clamped to the document", async () => {
    const file = path.join(repo, "five.txt");
    fs.writeFileSync(file, "a\nbb\nccc\ndddd\neeeee");
    await openLocation(file, 2, 3);
    await openLocation(file, 4, 99);
    await openLocation(file, 0, 0);
    expect(stub.shownDocuments.map((d) => [d.uri.fsPath, (d.options as { selection: Range }).selection])).toEqual([
      [file, new Range(1, 0, 2, 3)],
      [file, new Range(3, 0, 4, 5)],
      [file, new Range(0, 0, 0, 1)],
    ]);
  });
});
