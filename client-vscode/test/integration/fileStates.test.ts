// File-change cards that stay true, through the extension's ChatSession against the real
// codex-lsp and the mock model: a change with a rejected hunk ("partly applied") and one
// undone by Undo Last Turn ("undone") still say so after VS Code and the server restart
// (the same CODEX_HOME, a new window restoring its chat from the saved state); undo goes on
// working after the restart, and a last undo with nothing left explains itself.
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import type { ApplyWorkspaceEditParams } from "vscode-languageserver-protocol";
import { nextNotification } from "../../src/protocol/client.js";
import { ExpectedEdits, reviewOutcome, rewriteWorkspaceEdit } from "../../src/state/approvals.js";
import { FileStates } from "../../src/state/fileStates.js";
import type { FileChangeEntry } from "../../src/state/transcript.js";
import { describeUndo } from "../../src/state/undo.js";
import { applyUnifiedDiff } from "../../src/state/unifiedDiff.js";
import { PYTHON, SERVER, applyWorkspaceEditOnDisk, mockRigs, type SessionRig } from "./harness.js";

const available = SERVER !== undefined && PYTHON !== undefined;
const NOTES = Array.from({ length: 30 }, (_, i) => `line ${i + 1}\n`).join("");
const TODO = "buy milk\nwrite tests\nship it\n";
const TWO_HUNKS = "*** Begin Patch\n*** Update File: notes.txt\n@@\n line 2\n-line 3\n+line three\n line 4\n@@\n line 25\n-line 26\n+line twenty-six\n line 27\n*** End Patch";
const TODO_PATCH = "*** Begin Patch\n*** Update File: todo.txt\n@@\n write tests\n-ship it\n+ship it today\n*** End Patch";

describe.skipIf(!available)("file-change cards across a restart of VS Code and the server", () => {
  const rigs = mockRigs();

  /** Approvals and `workspace/applyEdit` as the extension and VS Code answer them: the user
   * reverts `notes.txt`'s second hunk in the diff editor and keeps everything else. */
  function answerLikeVsCode(r: SessionRig): void {
    const expected = new ExpectedEdits();
    r.protocol.handle("codex/item/fileChange/requestApproval", (params) => {
      const files = params.changes.map((c) => {
        const file = path.isAbsolute(c.path) ? c.path : path.join(r.dirs.workspace, c.path);
        const base = fs.readFileSync(file, "utf8");
        const proposed = applyUnifiedDiff(base, c.diff);
        return { uri: pathToFileURL(file).toString(), kind: c.kind.type, base, proposed, final: proposed.replace("line twenty-six\n", "line 26\n") };
      });
      const outcome = reviewOutcome(files, "accept");
      expected.add(outcome.expected);
      return Promise.resolve({ decision: outcome.decision });
    });
    r.server.connection.onRequest("workspace/applyEdit", (params: ApplyWorkspaceEditParams) => {
      const { edit } = rewriteWorkspaceEdit(params.edit, expected, (uri) => fs.readFileSync(new URL(uri), "utf8"));
      applyWorkspaceEditOnDisk(edit);
      return { applied: true };
    });
  }

  async function ask(r: SessionRig, threadId: string | null, text: string): Promise<string> {
    const done = nextNotification(r.protocol, "codex/turn/completed", () => true, 60_000);
    await r.session.send(text, threadId);
    const { turn } = await done;
    expect(turn.status).toBe("completed");
    return turn.id;
  }

  const cards = (r: SessionRig, threadId: string) =>
    r.session.store
      .entries(threadId)
      .filter((e): e is FileChangeEntry => e.kind === "fileChange")
      .map((e) => [path.basename(e.changes[0]?.path ?? ""), e.outcome]);

  it("keeps partly applied and undone after the restart; undo still works and then says nothing is left", async () => {
    const memory = new FileStates();
    let r = await rigs.start('approval_policy = "untrusted"', { fileStates: memory });
    const notes = path.join(r.dirs.workspace, "notes.txt");
    const todo = path.join(r.dirs.workspace, "todo.txt");
    fs.writeFileSync(notes, NOTES);
    fs.writeFileSync(todo, TODO);
    answerLikeVsCode(r);
    await rigs.mock.enqueue(
      { items: [{ type: "custom_tool_call", name: "apply_patch", input: TWO_HUNKS, call_id: "p1" }] },
      { items: [{ type: "message", text: "Renamed one line." }] },
      { items: [{ type: "custom_tool_call", name: "apply_patch", input: TODO_PATCH, call_id: "p2" }] },
      { items: [{ type: "message", text: "Shipping today." }] },
    );
    const thread = await r.session.newThread();
    await ask(r, thread.id, "rename two lines");
    await ask(r, thread.id, "ship it today");
    expect(fs.readFileSync(notes, "utf8")).toBe(NOTES.replace("line 3\n", "line three\n"));
    expect(fs.readFileSync(todo, "utf8")).toBe(TODO.replace("ship it", "ship it today"));
    expect(cards(r, thread.id)).toEqual([["notes.txt", "partlyApplied"], ["todo.txt", "applied"]]);

    // Undo Last Turn: todo.txt is back, its card says so.
    const undone = await r.session.undoLastTurn(thread.id);
    expect(undone).toMatchObject({ undone: true, restored: [todo] });
    expect(fs.readFileSync(todo, "utf8")).toBe(TODO);
    expect(cards(r, thread.id)).toEqual([["notes.txt", "partlyApplied"], ["todo.txt", "undone"]]);

    // VS Code and the server stop; a new window restores the chat it saved.
    const saved = JSON.parse(JSON.stringify(r.session.saved())) as unknown;
    const data = JSON.parse(JSON.stringify(memory.data())) as unknown;
    const dirs = r.dirs;
    await r.stop(true);
    r = await rigs.start("", { dirs, fileStates: new FileStates(data) });
    answerLikeVsCode(r);
    expect(await r.session.restore(saved)).toEqual([thread.id]);
    expect(r.session.current).toBe(thread.id);
    expect(cards(r, thread.id)).toEqual([["notes.txt", "partlyApplied"], ["todo.txt", "undone"]]);

    // The snapshots were kept with the thread: undo goes on after the restart.
    const again = await r.session.undoLastTurn(thread.id);
    expect(again).toMatchObject({ undone: true, restored: [notes] });
    expect(fs.readFileSync(notes, "utf8")).toBe(NOTES);
    expect(cards(r, thread.id)).toEqual([["notes.txt", "undone"], ["todo.txt", "undone"]]);

    // Nothing left: a normal result whose notes say why (no error), told in plain words.
    const nothing = await r.session.undoLastTurn(thread.id);
    expect(nothing).toMatchObject({ undone: false, turnId: null });
    expect(nothing.notes.join(" ")).toMatch(/^Nothing to undo/);
    const report = describeUndo(nothing);
    expect(report.warning).toBe(false);
    expect(report.message).toMatch(/^Codex: Nothing to undo: this thread has no file changes to undo/);
    expect(report.message).not.toContain(thread.id);
  });
});
