import { describe, expect, it } from "vitest";
import type { WorkspaceEdit } from "vscode-languageserver-protocol";
import { ExpectedEdits, PendingApprovals, reviewOutcome, rewriteWorkspaceEdit } from "../../src/state/approvals.js";

const BASE = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n";
const PROPOSED = BASE.replace("b\n", "B\n").replace("k\n", "K\n");
const ONE_HUNK = BASE.replace("b\n", "B\n");
const URI = "file:///ws/notes.txt";

describe("PendingApprovals", () => {
  it("resolves with the first answer only", async () => {
    const p = new PendingApprovals();
    const answer = p.ask("k");
    expect(p.answer("k", "accept")).toBe(true);
    expect(p.answer("k", "decline")).toBe(false);
    await expect(answer).resolves.toBe("accept");
  });

  it("cancels everything when the server goes away", async () => {
    const p = new PendingApprovals();
    const a = p.ask("a");
    const b = p.ask("b");
    p.answerAll("cancel");
    await expect(Promise.all([a, b])).resolves.toEqual(["cancel", "cancel"]);
    expect(p.keys()).toEqual([]);
  });
});

describe("reviewOutcome", () => {
  const file = (final: string) => ({ uri: URI, kind: "update" as const, base: BASE, proposed: PROPOSED, final });

  it("accepts as proposed without rewriting anything", () => {
    expect(reviewOutcome([file(PROPOSED)], "accept")).toEqual({ decision: "accept", expected: [], summary: "accepted as proposed" });
  });

  it("accepts a partly reverted change and remembers the user's text", () => {
    const outcome = reviewOutcome([file(ONE_HUNK)], "acceptForSession");
    expect(outcome.decision).toBe("acceptForSession");
    expect(outcome.expected).toEqual([{ uri: URI, base: BASE, result: ONE_HUNK }]);
  });

  it("declines when every hunk was reverted", () => {
    expect(reviewOutcome([file(BASE)], "accept").decision).toBe("decline");
  });

  it("keeps a file left unchanged among others that land", () => {
    const other = { uri: "file:///ws/other.txt", kind: "update" as const, base: "x\n", proposed: "y\n", final: "y\n" };
    const outcome = reviewOutcome([file(BASE), other], "accept");
    expect(outcome.decision).toBe("accept");
    expect(outcome.expected).toEqual([{ uri: URI, base: BASE, result: BASE }]);
  });
});

describe("rewriteWorkspaceEdit", () => {
  const serverEdit: WorkspaceEdit = {
    documentChanges: [
      {
        textDocument: { uri: URI, version: 3 },
        edits: [
          { range: { start: { line: 1, character: 0 }, end: { line: 2, character: 0 } }, newText: "B\n" },
          { range: { start: { line: 10, character: 0 }, end: { line: 11, character: 0 } }, newText: "K\n" },
        ],
      },
      { textDocument: { uri: "file:///ws/untouched.txt", version: null }, edits: [] },
    ],
  };

  it("replaces the reviewed file's edits with the user's text", () => {
    const expected = new ExpectedEdits();
    expected.add([{ uri: URI, base: BASE, result: ONE_HUNK }]);
    const { edit, rewritten } = rewriteWorkspaceEdit(serverEdit, expected, () => BASE);
    expect(rewritten).toEqual([URI]);
    const changes = edit.documentChanges ?? [];
    expect(changes).toHaveLength(2);
    const first = changes[0];
    expect(first && "textDocument" in first ? first.textDocument.version : undefined).toBe(3);
    expect(first && "edits" in first ? first.edits : []).toEqual([
      { range: { start: { line: 1, character: 0 }, end: { line: 1, character: 1 } }, newText: "B" },
    ]);
    expect(changes[1]).toBe(serverEdit.documentChanges?.[1]);
    expect(expected.size).toBe(0);
  });

  it("lets the server's edit through when the document changed since the review", () => {
    const expected = new ExpectedEdits();
    expected.add([{ uri: URI, base: BASE, result: ONE_HUNK }]);
    const { edit, rewritten } = rewriteWorkspaceEdit(serverEdit, expected, () => "typed meanwhile\n" + BASE);
    expect(rewritten).toEqual([]);
    expect(edit.documentChanges?.[0]).toEqual(serverEdit.documentChanges?.[0]);
  });

  it("handles the `changes` form and an all-reverted file (no edits)", () => {
    const expected = new ExpectedEdits();
    expected.add([{ uri: URI, base: BASE, result: BASE }]);
    const { edit } = rewriteWorkspaceEdit({ changes: { [URI]: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: "x" }] } }, expected, () => BASE);
    expect(edit.changes?.[URI]).toEqual([]);
  });
});
