// The approval UI against a stubbed `vscode`: the diff review, per-hunk acceptance through
// the rewritten workspace/applyEdit, command prompts, and abandoned requests.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as vscodeTypes from "vscode";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ApplyWorkspaceEditParams } from "vscode-languageserver-protocol";
import { CodexProtocol } from "../../src/protocol/client.js";
import { TranscriptStore, type CommandEntry, type FileChangeEntry } from "../../src/state/transcript.js";
import { ApprovalUi, DIFF_SCHEME, PROPOSED_SCHEME } from "../../src/vscode/approvalUi.js";
import { FakeEndpoint } from "./fakeEndpoint.js";
import { NOTES as ORIGINAL, NOTES_TWO_HUNKS as DIFF, THREAD, TURN, change, command, fileChange, n, thread } from "./fixtures.js";
import { TabInputText, type Uri, stub, workspace } from "./vscodeStub.js";

const BOTH = ORIGINAL.replace("line 3\n", "line three\n").replace("line 26\n", "line twenty-six\n");
const FIRST_ONLY = ORIGINAL.replace("line 3\n", "line three\n");

const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as unknown as vscodeTypes.LogOutputChannel;

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("ApprovalUi", () => {
  let dir: string;
  let file: string;
  let endpoint: FakeEndpoint;
  let store: TranscriptStore;
  let ui: ApprovalUi;

  beforeEach(() => {
    stub.reset();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "codex-approval-"));
    file = path.join(dir, "notes.txt");
    fs.writeFileSync(file, ORIGINAL);
    endpoint = new FakeEndpoint();
    store = new TranscriptStore();
    store.load(thread({ cwd: dir }));
    ui = new ApprovalUi(new CodexProtocol(endpoint), store, () => undefined, log);
    store.apply(n.started(fileChange("fc_1", "inProgress", [change(file, DIFF)])));
  });

  afterEach(() => {
    ui.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function request() {
    return endpoint.ask("codex/item/fileChange/requestApproval", {
      threadId: THREAD,
      turnId: TURN,
      itemId: "fc_1",
      changes: [change(file, DIFF)],
      reason: "rename two lines",
      grantRoot: null,
    });
  }

  function proposedUri(): Uri {
    const diff = stub.commands.find((c) => c.id === "vscode.diff");
    if (!diff) throw new Error("no diff editor opened");
    return diff.args[1] as Uri;
  }

  function pendingKey(): string {
    const entry = store.entry(THREAD, "fc_1") as FileChangeEntry;
    if (!entry.approval) throw new Error("no approval on the card");
    return entry.approval.key;
  }

  const serverEdit = (): ApplyWorkspaceEditParams => ({
    label: "Codex: edit notes.txt",
    edit: {
      documentChanges: [
        {
          textDocument: { uri: `file://${file}`, version: null },
          edits: [
            { range: { start: { line: 2, character: 0 }, end: { line: 3, character: 0 } }, newText: "line three\n" },
            { range: { start: { line: 25, character: 0 }, end: { line: 26, character: 0 } }, newText: "line twenty-six\n" },
          ],
        },
      ],
    },
  });

  it("shows current vs proposed in the diff editor, and lands only the hunks the user kept", async () => {
    const { answer } = request();
    await until(() => stub.commands.some((c) => c.id === "vscode.diff"), "the diff editor");
    const [left, right] = stub.commands.find((c) => c.id === "vscode.diff")!.args as [Uri, Uri];
    expect(left.toString()).toBe(`file://${file}`);
    expect(right.scheme).toBe(PROPOSED_SCHEME);
    // The file's own (workspace) path, for the diff editor's breadcrumbs; the review in the query.
    expect(right.path).toBe("/notes.txt");
    expect(right.query).toMatch(/^review-\d+$/);
    const provider = stub.providers.get(PROPOSED_SCHEME)!;
    expect(new TextDecoder().decode(provider.readFile(right))).toBe(BOTH);
    expect((store.entry(THREAD, "fc_1") as FileChangeEntry).approval?.reason).toBe("rename two lines");
    expect(stub.messages.at(-1)).toMatchObject({ kind: "status", message: expect.stringContaining("review the proposed change to notes.txt") as unknown });

    // The user reverts the second hunk in the diff editor (the right side is editable).
    provider.writeFile(proposedUri(), new TextEncoder().encode(FIRST_ONLY), {});
    // The user also opened the proposed side on its own (e.g. from Quick Open).
    stub.openTabs.push({ input: new TabInputText(right) });
    ui.pending.answer(pendingKey(), "accept");
    await expect(answer).resolves.toEqual({ decision: "accept" });
    expect(stub.closedTabs).toHaveLength(2);
    // Reopened from the editor history, the proposal is still there, read-only.
    expect(new TextDecoder().decode(provider.readFile(right))).toBe(FIRST_ONLY);
    expect(() => provider.writeFile(right, new TextEncoder().encode("x"), {})).toThrow(/no permissions/);
    expect((store.entry(THREAD, "fc_1") as FileChangeEntry).approval).toBeNull();

    // The server's whole edit arrives; what lands is the user's text.
    let landed: ApplyWorkspaceEditParams | undefined;
    const result = await ui.handleApplyEdit(serverEdit(), (p) => {
      landed = p;
      return Promise.resolve({ applied: true });
    });
    expect(result).toEqual({ applied: true });
    const docChange = landed?.edit.documentChanges?.[0];
    expect(docChange && "edits" in docChange ? docChange.edits : []).toEqual([
      { range: { start: { line: 2, character: 5 }, end: { line: 2, character: 6 } }, newText: "three" },
    ]);
    // Later edits go through untouched.
    const again = serverEdit();
    await ui.handleApplyEdit(again, (p) => {
      landed = p;
      return Promise.resolve({ applied: true });
    });
    expect(landed).toBe(again);
  });

  it("saves the documents an applied edit changed (VS Code's view of the file stays current)", async () => {
    const saved: string[] = [];
    const doc = (uri: string, isDirty: boolean) => ({
      uri: { toString: () => uri },
      getText: () => ORIGINAL,
      isDirty,
      save: () => {
        saved.push(uri);
        return Promise.resolve(true);
      },
    });
    const other = `file://${path.join(dir, "other.txt")}`;
    workspace.textDocuments.push(doc(`file://${file}`, true), doc(other, true));
    await ui.handleApplyEdit(serverEdit(), () => Promise.resolve({ applied: false }));
    expect(saved).toEqual([]);
    await ui.handleApplyEdit(serverEdit(), () => Promise.resolve({ applied: true }));
    // Only the edited document; an unrelated dirty one is the user's business.
    expect(saved).toEqual([`file://${file}`]);
    // A refused save is shown to the user, not only logged.
    workspace.textDocuments.length = 0;
    workspace.textDocuments.push({ uri: { toString: () => `file://${file}`, fsPath: file }, getText: () => ORIGINAL, isDirty: true, save: () => Promise.resolve(false) });
    await ui.handleApplyEdit(serverEdit(), () => Promise.resolve({ applied: true }));
    expect(stub.messages.at(-1)).toMatchObject({ kind: "warning", message: expect.stringContaining("could not save it (the save was refused)") as unknown });
  });

  it("opens a finished change's diff as a read-only document named after the file", async () => {
    store.apply(n.completed(fileChange("fc_1", "completed", [change(file, DIFF)])));
    await ui.openDiff(THREAD, "fc_1", file);
    const shown = stub.shownDocuments.at(-1)?.uri;
    // Its title and breadcrumbs show the file (`notes.txt.diff`); which change it is goes in the query.
    expect([shown?.scheme, shown?.path, shown?.query]).toEqual([DIFF_SCHEME, "/notes.txt.diff", `${THREAD}/fc_1`]);
    expect(await workspace.openTextDocument(shown!).then((d) => d.getText())).toBe(DIFF);
  });

  it("declines when the user reverted every hunk before accepting", async () => {
    const { answer } = request();
    await until(() => stub.commands.some((c) => c.id === "vscode.diff"), "the diff editor");
    stub.providers.get(PROPOSED_SCHEME)!.writeFile(proposedUri(), new TextEncoder().encode(ORIGINAL), {});
    ui.pending.answer(pendingKey(), "accept");
    await expect(answer).resolves.toEqual({ decision: "decline" });
    expect(ui.expected.size).toBe(0);
  });

  it("asks with a notification when the diff editor is not opened by itself", async () => {
    stub.config["approvals.openDiff"] = false;
    stub.nextChoice = "Stop the turn";
    const { answer } = request();
    await expect(answer).resolves.toEqual({ decision: "cancel" });
    expect(stub.messages.at(-1)?.items).toEqual(["Review", "Accept", "Accept for Session", "Reject and continue", "Stop the turn"]);
    expect(stub.commands.some((c) => c.id === "vscode.diff")).toBe(false);
  });

  it("gives up when the server abandons the request (turn interrupted)", async () => {
    const { answer, cancel } = request();
    await until(() => stub.commands.some((c) => c.id === "vscode.diff"), "the diff editor");
    cancel();
    await expect(answer).resolves.toEqual({ decision: "cancel" });
    expect(stub.providers.get(PROPOSED_SCHEME)!.readFile.bind(null, proposedUri())).toThrow();
  });

  it("asks about commands with a modal prompt mapping to the four decisions", async () => {
    store.apply(n.started(command("cmd_1", "inProgress", null, null)));
    stub.nextChoice = "Run and don't ask again";
    const { answer } = endpoint.ask("codex/item/commandExecution/requestApproval", {
      threadId: THREAD,
      turnId: TURN,
      itemId: "cmd_1",
      command: "rm -rf build",
      cwd: dir,
      commandActions: [],
      reason: "clean the build",
    });
    await expect(answer).resolves.toEqual({ decision: "acceptForSession" });
    // The buttons say what they do: declining lets the turn go on, stopping ends it. The
    // decline is the close affordance (Escape): VS Code adds no "Cancel" of its own.
    expect(stub.messages[0]).toMatchObject({
      kind: "warning",
      modal: true,
      message: "Codex wants to run: rm -rf build",
      items: ["Run", "Run and don't ask again", "Decline and continue", "Stop the turn"],
      closeAffordance: "Decline and continue",
    });
    expect(stub.messages[0]?.detail).toContain("Reason: clean the build");
    expect(stub.messages[0]?.detail).toContain('"Stop the turn" also stops what it is doing');
  });

  it("answers each command button with its decision", async () => {
    for (const [title, decision] of [["Run", "accept"], ["Decline and continue", "decline"], ["Stop the turn", "cancel"]] as const) {
      const itemId = `cmd_${decision}`;
      store.apply(n.started(command(itemId, "inProgress", null, null)));
      stub.nextChoice = title;
      const { answer } = endpoint.ask("codex/item/commandExecution/requestApproval", {
        threadId: THREAD, turnId: TURN, itemId, command: "make", cwd: dir, commandActions: [], reason: null,
      });
      await expect(answer).resolves.toEqual({ decision });
    }
  });

  it("shows the risk assessment in the prompt (its icon by level) and on the card; Always allow answers with the prefix", async () => {
    store.apply(n.started(command("cmd_r", "inProgress", null, null)));
    const risk = { description: "Deletes the build directory.", riskLevel: "high" as const, riskCategories: ["data loss", "filesystem"] };
    const params = {
      threadId: THREAD, turnId: TURN, itemId: "cmd_r", command: "cargo clean", cwd: dir, commandActions: [], reason: "clean the build",
      risk, proposedExecpolicyAmendment: ["cargo", "clean"],
    };
    // Dismissed (Escape): a decline.
    await expect(endpoint.ask("codex/item/commandExecution/requestApproval", params).answer).resolves.toEqual({ decision: "decline" });
    // High risk: the error icon (red); the level in the message, the assessment in the detail.
    expect(stub.messages[0]).toMatchObject({
      kind: "error",
      modal: true,
      message: "Codex wants to run: cargo clean (high risk)",
      items: ["Run", "Run and don't ask again", 'Always allow "cargo clean"', "Decline and continue", "Stop the turn"],
      closeAffordance: "Decline and continue",
    });
    const detail = stub.messages[0]?.detail ?? "";
    expect(detail.split("\n").slice(0, 4)).toEqual(["High risk: Deletes the build directory.", "Categories: data loss, filesystem", `in ${dir}`, "Reason: clean the build"]);
    expect(detail).toContain('Always allow runs it now and, from now on, every command starting with "cargo clean" in this folder without asking (still in the sandbox');
    // As a notification (left open): the card shows the same while it waits, and its Always
    // allow button answers.
    stub.config["approvals.commandPrompt"] = "notification";
    const { answer } = endpoint.ask("codex/item/commandExecution/requestApproval", params);
    await until(() => (store.entry(THREAD, "cmd_r") as CommandEntry).approval !== null, "the card's buttons");
    expect(stub.messages[1]).toMatchObject({ kind: "error", modal: false });
    expect(stub.messages[1]?.message).toBe(`Codex wants to run: cargo clean (High risk: Deletes the build directory.; Categories: data loss, filesystem; in ${dir}; Reason: clean the build)`);
    const card = store.entry(THREAD, "cmd_r") as CommandEntry;
    expect(card.approval).toMatchObject({ kind: "command", risk, amendment: ["cargo", "clean"] });
    expect(ui.pending.answer(card.approval!.key, { acceptWithExecpolicyAmendment: { execpolicy_amendment: ["cargo", "clean"] } })).toBe(true);
    await expect(answer).resolves.toEqual({ decision: { acceptWithExecpolicyAmendment: { execpolicy_amendment: ["cargo", "clean"] } } });
    expect((store.entry(THREAD, "cmd_r") as CommandEntry).approval).toBeNull();
    expect(stub.messages.at(-1)).toMatchObject({ kind: "status", message: 'Codex: always allowing "cargo clean" here' });
  });

  it("answers Always allow from the modal; low risk gets the info icon, none adds nothing", async () => {
    store.apply(n.started(command("cmd_low", "inProgress", null, null)));
    stub.nextChoice = 'Always allow "npm test"';
    const low = endpoint.ask("codex/item/commandExecution/requestApproval", {
      threadId: THREAD, turnId: TURN, itemId: "cmd_low", command: "npm test -- --run", cwd: dir, commandActions: [], reason: null,
      risk: { description: "Runs the tests.", riskLevel: "low", riskCategories: [] }, proposedExecpolicyAmendment: ["npm", "test"],
    });
    await expect(low.answer).resolves.toEqual({ decision: { acceptWithExecpolicyAmendment: { execpolicy_amendment: ["npm", "test"] } } });
    expect(stub.messages[0]).toMatchObject({ kind: "info", message: "Codex wants to run: npm test -- --run (low risk)" });
    expect(stub.messages[0]?.detail?.split("\n")[0]).toBe("Low risk: Runs the tests.");
    store.apply(n.started(command("cmd_none", "inProgress", null, null)));
    stub.messages.length = 0;
    stub.nextChoice = "Run";
    const none = endpoint.ask("codex/item/commandExecution/requestApproval", {
      threadId: THREAD, turnId: TURN, itemId: "cmd_none", command: "make", cwd: dir, commandActions: [], reason: null,
      risk: null, proposedExecpolicyAmendment: null,
    });
    await expect(none.answer).resolves.toEqual({ decision: "accept" });
    expect(stub.messages[0]).toMatchObject({ kind: "warning", message: "Codex wants to run: make", items: ["Run", "Run and don't ask again", "Decline and continue", "Stop the turn"] });
    expect(stub.messages[0]?.detail).not.toMatch(/risk|Always allow/i);
  });

  it("tells what an applied edit changed in each document (before and after)", async () => {
    const seen: { uri: string; before: string; after: string }[][] = [];
    ui.onDidApplyEdit((texts) => seen.push(texts));
    let text = ORIGINAL;
    workspace.textDocuments.push({ uri: { toString: () => `file://${file}`, fsPath: file }, getText: () => text, isDirty: false, save: () => Promise.resolve(true) });
    await ui.handleApplyEdit(serverEdit(), () => Promise.resolve({ applied: false }));
    expect(seen).toEqual([]);
    await ui.handleApplyEdit(serverEdit(), () => {
      text = BOTH;
      return Promise.resolve({ applied: true });
    });
    expect(seen).toEqual([[{ uri: `file://${file}`, before: ORIGINAL, after: BOTH }]]);
  });

  it("takes a dismissed modal as a decline", async () => {
    store.apply(n.started(command("cmd_2", "inProgress", null, null)));
    const { answer } = endpoint.ask("codex/item/commandExecution/requestApproval", {
      threadId: THREAD, turnId: TURN, itemId: "cmd_2", command: "make", cwd: dir, commandActions: [], reason: null,
    });
    await expect(answer).resolves.toEqual({ decision: "decline" });
  });
});
