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
});
