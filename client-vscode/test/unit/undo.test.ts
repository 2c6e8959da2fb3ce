import { describe, expect, it } from "vitest";
import { describeUndo } from "../../src/state/undo.js";

describe("describeUndo", () => {
  it("names restored, deleted and refused files", () => {
    const report = describeUndo({
      undone: true,
      restored: ["/ws/a.txt"],
      deleted: ["/ws/new.txt"],
      refused: [{ path: "/ws/c.txt", reason: "changed since the turn" }],
    });
    expect(report).toEqual({
      message: "Codex: undid the last turn's file changes: restored a.txt; deleted new.txt; left as they are: c.txt (changed since the turn).",
      warning: true,
    });
  });

  it("copes with an empty or unexpected result", () => {
    expect(describeUndo({ undone: true, restored: [], deleted: [], refused: [] })).toEqual({
      message: "Codex: undid the last turn's file changes: no file needed restoring.",
      warning: false,
    });
    expect(describeUndo(null).warning).toBe(false);
  });

  it("explains a second undo in plain words (the server's notes, without its ids)", () => {
    const report = describeUndo({
      threadId: "019a2b3c-4d5e-7f60-8a9b-0c1d2e3f4a5b",
      turnId: null,
      undone: false,
      restored: [],
      deleted: [],
      refused: [],
      notes: ["Nothing to undo: thread 019a2b3c-4d5e-7f60-8a9b-0c1d2e3f4a5b has no file changes to undo (its file-changing turns were undone (or dropped) already)."],
    });
    expect(report).toEqual({
      message: "Codex: Nothing to undo: this thread has no file changes to undo (its file-changing turns were undone (or dropped) already).",
      warning: false,
    });
    expect(describeUndo({ undone: false, notes: [] }).message).toBe("Codex: Nothing to undo.");
  });
});
