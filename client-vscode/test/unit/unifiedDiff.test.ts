import { describe, expect, it } from "vitest";
import {
  DiffApplyError,
  applyUnifiedDiff,
  minimalReplacement,
  parseUnifiedDiff,
  positionAt,
  proposedText,
} from "../../src/state/unifiedDiff.js";
import { NOTES as ORIGINAL, NOTES_TWO_HUNKS as TWO_HUNKS } from "./fixtures.js";

describe("unified diffs", () => {
  it("parses headers, paths and hunks", () => {
    const parsed = parseUnifiedDiff(TWO_HUNKS);
    expect(parsed.oldPath).toBe("notes.txt");
    expect(parsed.hunks).toHaveLength(2);
    expect(parsed.hunks[1]).toMatchObject({ oldStart: 23, oldLength: 7, newStart: 23, newLength: 7 });
  });

  it("applies the server's diff to the document", () => {
    const out = applyUnifiedDiff(ORIGINAL, TWO_HUNKS);
    expect(out).toBe(ORIGINAL.replace("line 3\n", "line three\n").replace("line 26\n", "line twenty-six\n"));
  });

  it("keeps CRLF line endings", () => {
    const crlf = ORIGINAL.replace(/\n/g, "\r\n");
    const out = applyUnifiedDiff(crlf, TWO_HUNKS);
    expect(out).toBe(crlf.replace("line 3\r\n", "line three\r\n").replace("line 26\r\n", "line twenty-six\r\n"));
  });

  it("finds a hunk that moved (lines were added above it)", () => {
    const shifted = "new top\nnew top 2\n" + ORIGINAL;
    const out = applyUnifiedDiff(shifted, TWO_HUNKS);
    expect(out.startsWith("new top\nnew top 2\nline 1\nline 2\nline three\n")).toBe(true);
  });

  it("handles a missing final newline", () => {
    const diff = "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n";
    expect(applyUnifiedDiff("a\nb", diff)).toBe("a\nc");
    const addNewline = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-b\n\\ No newline at end of file\n+b\n";
    expect(applyUnifiedDiff("b", addNewline)).toBe("b\n");
  });

  it("builds an added file from its diff, and deletes to empty", () => {
    const add = "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1,2 @@\n+hello\n+world\n";
    expect(proposedText("add", undefined, add)).toBe("hello\nworld\n");
    expect(proposedText("delete", "x\n", "--- a/x\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n")).toBe("");
  });

  it("refuses a diff that does not match", () => {
    expect(() => applyUnifiedDiff("something else\n", TWO_HUNKS)).toThrow(DiffApplyError);
  });

  it("finds the one replacement between two texts and its positions", () => {
    const before = "a\nb\nc\n";
    const after = "a\nB\nc\n";
    const r = minimalReplacement(before, after);
    expect(r).toEqual({ start: 2, end: 3, text: "B" });
    expect(positionAt(before, 2)).toEqual({ line: 1, character: 0 });
    expect(minimalReplacement(before, before)).toBeUndefined();
    expect(positionAt("x\r\ny", 3)).toEqual({ line: 1, character: 0 });
  });
});
