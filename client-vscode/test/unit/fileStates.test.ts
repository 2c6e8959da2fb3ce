// File-change cards that stay true: what landed (partly applied, edited), undone, and
// reverted in the editor; kept across a reload of the thread and of the window (a new store
// on the saved records), and the editor's document changes telling a Ctrl+Z of the applied edit.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as vscodeTypes from "vscode";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CodexProtocol } from "../../src/protocol/client.js";
import { FileStates, RevertTracker, type FileStatesData } from "../../src/state/fileStates.js";
import { ChatSession } from "../../src/state/session.js";
import { TranscriptStore, type FileChangeEntry } from "../../src/state/transcript.js";
import { ApprovalUi } from "../../src/vscode/approvalUi.js";
import { EditorFileStates } from "../../src/vscode/fileStates.js";
import { FakeEndpoint } from "./fakeEndpoint.js";
import { THREAD, change, fileChange, n, startResult, thread, turn, user } from "./fixtures.js";
import { Uri, stub } from "./vscodeStub.js";

const TWO_HUNKS = "--- a/notes.txt\n+++ b/notes.txt\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n@@ -10,3 +10,3 @@\n j\n-k\n+K\n l\n";
const ONE_HUNK = "--- a/notes.txt\n+++ b/notes.txt\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n";

const card = (store: TranscriptStore, id: string) => store.entry(THREAD, id) as FileChangeEntry;

/** A window's store with its records, the thread open. */
function windowStore(): { memory: FileStates; store: TranscriptStore } {
  const memory = new FileStates();
  const store = new TranscriptStore(memory);
  store.load(thread());
  return { memory, store };
}

/** The next window: a new store on what `memory` saved (as JSON), showing `history`. */
function reopened(memory: FileStates, history: ReturnType<typeof thread>): TranscriptStore {
  const store = new TranscriptStore(new FileStates(JSON.parse(JSON.stringify(memory.data()))));
  store.load(history);
  return store;
}

/** A live change of `id` in turn `turnId`: proposed as `proposed`, landed as `landed`. */
function land(store: TranscriptStore, id: string, turnId: string, proposed: string, landed: string, file = "/ws/notes.txt"): void {
  store.apply(n.started(fileChange(id, "inProgress", [change(file, proposed)]), turnId));
  store.apply(n.completed(fileChange(id, "completed", [change(file, landed)]), turnId));
}

describe("FileStates", () => {
  it("merges an item's record, drops empty ones, and saves after each change", () => {
    const saved: FileStatesData[] = [];
    const states = new FileStates(undefined, (data) => saved.push(data));
    states.update("t1", "i1", { landed: "partlyApplied" });
    states.update("t1", "i1", { reverted: ["/ws/a.txt"] });
    expect(states.get("t1", "i1")).toEqual({ landed: "partlyApplied", reverted: ["/ws/a.txt"] });
    states.update("t1", "i1", { reverted: [], landed: undefined });
    expect(states.get("t1", "i1")).toBeUndefined();
    expect(saved.at(-1)).toEqual({});
    states.update("t1", "i2", { undone: true });
    expect(saved.at(-1)).toEqual({ t1: { i2: { undone: true } } });
  });

  it("reads what a previous window saved, ignoring what is not a record", () => {
    const states = new FileStates({ t1: { i1: { undone: true, extra: 1 }, i2: "junk", i3: { landed: "weird" } }, t2: null });
    expect(states.data()).toEqual({ t1: { i1: { undone: true } } });
    expect(new FileStates("junk").data()).toEqual({});
  });

  it("keeps the 500 most recent items of a thread", () => {
    const states = new FileStates();
    for (let i = 0; i < 501; i++) states.update("t1", `i${i}`, { undone: true });
    expect(states.get("t1", "i0")).toBeUndefined();
    expect(states.get("t1", "i1")).toEqual({ undone: true });
    expect(Object.keys(states.data().t1 ?? {})).toHaveLength(500);
  });
});

describe("RevertTracker", () => {
  const uri = "file:///ws/notes.txt";

  it("tells the text from before the change (reverted) from the applied text (redo)", () => {
    const tracker = new RevertTracker();
    tracker.applied([{ uri, before: "old\n", after: "new\n" }]);
    expect(tracker.track(THREAD, "turn_1", "fc_1", [{ uri, path: "/ws/notes.txt" }])).toBe(true);
    expect(tracker.textChanged(uri, "new\nmore\n")).toEqual([]);
    expect(tracker.textChanged(uri, "old\n")).toEqual([{ threadId: THREAD, itemId: "fc_1", reverted: ["/ws/notes.txt"] }]);
    // Any other text leaves the mark as it was; the applied text again takes it back.
    expect(tracker.textChanged(uri, "old\ntyped\n")).toEqual([]);
    expect(tracker.textChanged(uri, "new\n")).toEqual([{ threadId: THREAD, itemId: "fc_1", reverted: [] }]);
    expect(tracker.textChanged("file:///ws/other.txt", "old\n")).toEqual([]);
  });

  it("follows later changes of the same file separately", () => {
    const tracker = new RevertTracker();
    tracker.applied([{ uri, before: "x\n", after: "y\n" }]);
    tracker.track(THREAD, "turn_1", "fc_1", [{ uri, path: "/ws/notes.txt" }]);
    tracker.applied([{ uri, before: "y\n", after: "z\n" }]);
    tracker.track(THREAD, "turn_2", "fc_2", [{ uri, path: "/ws/notes.txt" }]);
    // Ctrl+Z once: the second change is taken back; twice: the first too.
    expect(tracker.textChanged(uri, "y\n").map((c) => [c.itemId, c.reverted.length])).toEqual([["fc_2", 1]]);
    expect(tracker.textChanged(uri, "x\n").map((c) => [c.itemId, c.reverted.length])).toEqual([["fc_1", 1]]);
  });

  it("ties an edit to the change only when it landed while the change ran", () => {
    const tracker = new RevertTracker();
    tracker.applied([{ uri, before: "a\n", after: "b\n" }]);
    tracker.forget([uri]);
    expect(tracker.track(THREAD, "turn_1", "fc_1", [{ uri, path: "/ws/notes.txt" }])).toBe(false);
    // An edit that changed nothing is not one to compare with.
    tracker.applied([{ uri, before: "a\n", after: "a\n" }]);
    expect(tracker.track(THREAD, "turn_1", "fc_1", [{ uri, path: "/ws/notes.txt" }])).toBe(false);
  });
});

describe("file-change cards across reloads", () => {
  it("still says partly applied / applied with your edits after a resume in a new window", () => {
    const { memory, store } = windowStore();
    land(store, "fc_1", "turn_1", TWO_HUNKS, ONE_HUNK);
    land(store, "fc_2", "turn_1", ONE_HUNK, ONE_HUNK.replace("+B\n", "+B, yours\n"));
    land(store, "fc_3", "turn_1", ONE_HUNK, ONE_HUNK);
    expect([card(store, "fc_1").outcome, card(store, "fc_2").outcome, card(store, "fc_3").outcome]).toEqual(["partlyApplied", "edited", "applied"]);
    // The history a resume returns says "completed" with what landed, nothing more.
    const history = thread({
      turns: [
        turn(
          "completed",
          [
            user("u1", "edit"),
            fileChange("fc_1", "completed", [change("/ws/notes.txt", ONE_HUNK)]),
            fileChange("fc_2", "completed", [change("/ws/notes.txt", ONE_HUNK.replace("+B\n", "+B, yours\n"))]),
            fileChange("fc_3", "completed", [change("/ws/notes.txt", ONE_HUNK)]),
            fileChange("fc_4", "declined", [change("/ws/notes.txt", ONE_HUNK)]),
          ],
          "turn_1",
        ),
      ],
    });
    const reloaded = reopened(memory, history);
    expect(["fc_1", "fc_2", "fc_3", "fc_4"].map((id) => card(reloaded, id).outcome)).toEqual(["partlyApplied", "edited", "applied", "declined"]);
    // Without the saved records (another window, another editor), the history is all there is.
    const stranger = new TranscriptStore();
    stranger.load(history);
    expect(card(stranger, "fc_1").outcome).toBe("applied");
  });

  it("says undone after Undo Last Turn, also after the thread and the window are reloaded", () => {
    const { memory, store } = windowStore();
    land(store, "fc_1", "turn_1", TWO_HUNKS, ONE_HUNK);
    store.apply(n.started(fileChange("fc_2", "inProgress", [change("/ws/notes.txt", ONE_HUNK)]), "turn_1"));
    store.apply(n.completed(fileChange("fc_2", "declined", [change("/ws/notes.txt", ONE_HUNK)]), "turn_1"));
    store.markUndone(THREAD, "turn_1");
    expect(card(store, "fc_1").outcome).toBe("undone");
    expect(card(store, "fc_2").outcome).toBe("declined");
    const history = thread({
      turns: [turn("completed", [fileChange("fc_1", "completed", [change("/ws/notes.txt", ONE_HUNK)]), fileChange("fc_2", "declined", [change("/ws/notes.txt", ONE_HUNK)])], "turn_1")],
    });
    store.load(history);
    expect(card(store, "fc_1").outcome).toBe("undone");
    expect(card(reopened(memory, history), "fc_1").outcome).toBe("undone");
  });

  it("says reverted in editor when every file is back, and marks each file of a partial revert", () => {
    const { memory, store } = windowStore();
    store.apply(n.started(fileChange("fc_1", "inProgress", [change("/ws/a.txt", ONE_HUNK), change("/ws/b.txt", ONE_HUNK)])));
    store.apply(n.completed(fileChange("fc_1", "completed", [change("/ws/a.txt", ONE_HUNK), change("/ws/b.txt", ONE_HUNK)])));
    store.takeChanges(THREAD);
    store.setReverted(THREAD, "fc_1", ["/ws/a.txt"]);
    expect(card(store, "fc_1")).toMatchObject({ outcome: "applied", reverted: ["/ws/a.txt"] });
    expect(store.takeChanges(THREAD)?.entries.map((e) => e.id)).toEqual(["fc_1"]);
    store.setReverted(THREAD, "fc_1", ["/ws/a.txt", "/ws/b.txt"]);
    expect(card(store, "fc_1").outcome).toBe("reverted");
    // A reload keeps it; redo (the applied text again) takes it back.
    const history = thread({ turns: [turn("completed", [fileChange("fc_1", "completed", [change("/ws/a.txt", ONE_HUNK), change("/ws/b.txt", ONE_HUNK)])])] });
    expect(card(reopened(memory, history), "fc_1").outcome).toBe("reverted");
    store.setReverted(THREAD, "fc_1", []);
    expect(card(store, "fc_1")).toMatchObject({ outcome: "applied", reverted: [] });
    // Undone wins over reverted.
    store.setReverted(THREAD, "fc_1", ["/ws/a.txt", "/ws/b.txt"]);
    store.markUndone(THREAD, "turn_1");
    expect(card(store, "fc_1")).toMatchObject({ outcome: "undone", reverted: [] });
  });
});

describe("EditorFileStates (the editor's documents)", () => {
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as unknown as vscodeTypes.LogOutputChannel;
  let dir: string;
  let file: string;
  let endpoint: FakeEndpoint;
  let session: ChatSession;
  let ui: ApprovalUi;
  let states: EditorFileStates;

  beforeEach(async () => {
    stub.reset();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "codex-filestates-"));
    file = path.join(dir, "notes.txt");
    fs.writeFileSync(file, "a\nb\nc\n");
    endpoint = new FakeEndpoint().answer("codex/thread/resume", () => startResult());
    const protocol = new CodexProtocol(endpoint);
    session = new ChatSession(protocol, { cwd: () => dir, settings: () => ({}), generation: () => 1, resolveMention: () => undefined });
    ui = new ApprovalUi(protocol, session.store, () => undefined, log);
    states = new EditorFileStates(protocol, session, ui);
    await session.openThread(THREAD);
  });

  afterEach(() => {
    states.dispose();
    ui.dispose();
    session.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The change lands as VS Code applies it: the edit, then the item completes. */
  async function landChange(): Promise<void> {
    endpoint.emit("codex/item/started", { threadId: THREAD, turnId: "turn_1", item: fileChange("fc_1", "inProgress", [change(file, ONE_HUNK)]), startedAtMs: 1 });
    const edit = { edit: { documentChanges: [{ textDocument: { uri: `file://${file}`, version: null }, edits: [{ range: { start: { line: 1, character: 0 }, end: { line: 1, character: 1 } }, newText: "B" }] }] } };
    await ui.handleApplyEdit(edit, () => {
      fs.writeFileSync(file, "a\nB\nc\n");
      return Promise.resolve({ applied: true });
    });
    endpoint.emit("codex/item/completed", { threadId: THREAD, turnId: "turn_1", item: fileChange("fc_1", "completed", [change(file, ONE_HUNK)]), completedAtMs: 2 });
  }

  const typed = (text: string) => stub.documentChanges.fire({ document: { uri: Uri.file(file), getText: () => text }, contentChanges: [{}] });

  it("marks the card reverted in editor on Ctrl+Z of the applied edit, and applied again on redo", async () => {
    await landChange();
    expect(card(session.store, "fc_1").outcome).toBe("applied");
    typed("a\nb\nc\n");
    expect(card(session.store, "fc_1")).toMatchObject({ outcome: "reverted", reverted: [file] });
    typed("a\nB\nc\n");
    expect(card(session.store, "fc_1").outcome).toBe("applied");
  });

  it("keeps an undone card undone whatever the editor does next", async () => {
    await landChange();
    session.store.markUndone(THREAD, "turn_1");
    typed("a\nb\nc\n");
    typed("a\nB\nc\n");
    expect(card(session.store, "fc_1").outcome).toBe("undone");
  });
});
