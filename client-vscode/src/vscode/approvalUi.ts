// Approvals in the editor: command prompts, and file changes reviewed in the native diff
// editor (current vs proposed) before anything is written. See state/approvals.ts for the
// per-hunk flow and README.md for the design.
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  CancellationToken,
  type ApplyWorkspaceEditParams,
  type ApplyWorkspaceEditRequest,
  type ApplyWorkspaceEditResult,
} from "vscode-languageserver-protocol";
import type { CancellationTokenLike, CodexProtocol } from "../protocol/client.js";
import type { ApprovalDecision, CommandApprovalParams, FileChangeApprovalParams, RiskLevel } from "../protocol/types.js";
import { ExpectedEdits, PendingApprovals, editedUris, reviewOutcome, rewriteWorkspaceEdit, type ReviewedFile } from "../state/approvals.js";
import { commandChoices, describeDecision, formatPrefix, riskLabel, riskLines } from "../state/commandApproval.js";
import type { AppliedText } from "../state/fileStates.js";
import type { TranscriptStore } from "../state/transcript.js";
import { DiffApplyError, proposedText } from "../state/unifiedDiff.js";

export const PROPOSED_SCHEME = "codex-proposed";
export const DIFF_SCHEME = "codex-diff";

/** The open document with this URI (as a string), if any. */
function openDocument(uri: string): vscode.TextDocument | undefined {
  return vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
}

/** Finished reviews whose proposed documents stay readable (a few MB at most). */
const MAX_RETIRED = 50;

/** In-memory, writable documents holding proposed texts (the right side of the diff). */
export class ProposedFileSystem implements vscode.FileSystemProvider {
  private readonly files = new Map<string, { data: Uint8Array; mtime: number; readonly: boolean }>();
  private readonly retired: vscode.Uri[] = [];
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;

  set(uri: vscode.Uri, text: string, readonly = false): void {
    this.files.set(uri.toString(), { data: new TextEncoder().encode(text), mtime: Date.now(), readonly });
    this.emitter.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  delete(uri: vscode.Uri): void {
    if (this.files.delete(uri.toString())) this.emitter.fire([{ type: vscode.FileChangeType.Deleted, uri }]);
  }

  /** A finished review's document stays readable, read-only: VS Code's editor history and
   * Quick Open still list it, and reopened it shows what was proposed instead of a broken
   * editor. Only the last `MAX_RETIRED` are kept. */
  retire(uri: vscode.Uri): void {
    const f = this.files.get(uri.toString());
    if (!f) return;
    this.files.set(uri.toString(), { ...f, readonly: true });
    this.retired.push(uri);
    this.emitter.fire([{ type: vscode.FileChangeType.Changed, uri }]);
    while (this.retired.length > MAX_RETIRED) {
      const oldest = this.retired.shift();
      if (oldest) this.delete(oldest);
    }
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    const f = this.files.get(uri.toString());
    if (!f) throw vscode.FileSystemError.FileNotFound(uri);
    return {
      type: vscode.FileType.File,
      ctime: f.mtime,
      mtime: f.mtime,
      size: f.data.byteLength,
      permissions: f.readonly ? vscode.FilePermission.Readonly : undefined,
    };
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  createDirectory(): void {}

  readFile(uri: vscode.Uri): Uint8Array {
    const f = this.files.get(uri.toString());
    if (!f) throw vscode.FileSystemError.FileNotFound(uri);
    return f.data;
  }

  writeFile(uri: vscode.Uri, content: Uint8Array): void {
    const f = this.files.get(uri.toString());
    if (!f) throw vscode.FileSystemError.FileNotFound(uri);
    if (f.readonly) throw vscode.FileSystemError.NoPermissions(uri);
    this.files.set(uri.toString(), { data: content, mtime: Date.now(), readonly: false });
    this.emitter.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  rename(): void {
    throw vscode.FileSystemError.NoPermissions("proposed documents cannot be renamed");
  }
}

interface ReviewFile {
  path: string;
  target: vscode.Uri;
  left: vscode.Uri;
  right: vscode.Uri;
  reviewed: Omit<ReviewedFile, "final">;
  /** The diff could not be placed on the current text: whole accept/reject only. */
  wholeOnly: boolean;
}

interface Review {
  key: string;
  params: FileChangeApprovalParams;
  files: ReviewFile[];
}

type Decision = ApprovalDecision;

export const CHANGE_CHOICES: readonly (readonly [string, Decision])[] = [
  ["Accept", "accept"],
  ["Accept for Session", "acceptForSession"],
  ["Reject and continue", "decline"],
  ["Stop the turn", "cancel"],
];
/** What the modal says about the last two buttons (a dismissed prompt is a decline). */
const COMMAND_HELP = '"Decline and continue" tells Codex no and lets it go on; "Stop the turn" also stops what it is doing.';

/** The modal's icon follows the assessed risk: blue (info) for low, yellow (warning) for
 * medium or none, red (error) for high. */
function promptFor(risk: RiskLevel | undefined): typeof vscode.window.showWarningMessage {
  if (risk === "high") return vscode.window.showErrorMessage;
  if (risk === "low") return vscode.window.showInformationMessage;
  return vscode.window.showWarningMessage;
}

/** A virtual document's path: the file's place in the workspace (what the diff editor's
 * breadcrumbs and title show), absolute outside it. */
function shownPath(uri: vscode.Uri): string {
  const relative = vscode.workspace.asRelativePath(uri, false).replaceAll("\\", "/");
  return relative === uri.fsPath || path.isAbsolute(relative) ? uri.path : `/${relative}`;
}

export class ApprovalUi implements vscode.Disposable {
  readonly pending = new PendingApprovals<string>();
  readonly expected = new ExpectedEdits();
  private readonly reviews = new Map<string, Review>();
  private readonly diffs = new Map<string, string>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly diffEmitter = new vscode.EventEmitter<vscode.Uri>();
  private readonly appliedEmitter = new vscode.EventEmitter<AppliedText[]>();
  /** An edit landed through `workspace/applyEdit`: each changed document's text before and
   * after (what tells a later Ctrl+Z of it). */
  readonly onDidApplyEdit = this.appliedEmitter.event;
  private counter = 0;

  constructor(
    private readonly protocol: CodexProtocol,
    private readonly store: TranscriptStore,
    private readonly changed: (threadId: string) => void,
    private readonly log: vscode.LogOutputChannel,
    private readonly fsProvider = new ProposedFileSystem(),
  ) {
    this.disposables.push(
      vscode.workspace.registerFileSystemProvider(PROPOSED_SCHEME, this.fsProvider, { isCaseSensitive: true }),
      vscode.workspace.registerTextDocumentContentProvider(DIFF_SCHEME, {
        onDidChange: this.diffEmitter.event,
        provideTextDocumentContent: (uri) => this.diffs.get(uri.toString()) ?? "",
      }),
      protocol.handle("codex/item/commandExecution/requestApproval", (params, token) => this.askCommand(params, token)),
      protocol.handle("codex/item/fileChange/requestApproval", (params, token) => this.askFileChange(params, token)),
    );
  }

  /** `middleware.workspace.handleApplyEdit`: land reviewed files as the user left them,
   * then save what landed. The server wants the disk to hold approved text before the
   * agent's next command and writes it itself otherwise; saving here keeps VS Code's view
   * of the file current (a write behind its back makes the next save a conflict). */
  handleApplyEdit = async (
    params: ApplyWorkspaceEditParams,
    next: ApplyWorkspaceEditRequest.HandlerSignature,
  ): Promise<ApplyWorkspaceEditResult> => {
    let edit = params.edit;
    if (this.expected.size > 0) {
      const result = rewriteWorkspaceEdit(params.edit, this.expected, (uri) => this.currentText(uri));
      if (result.rewritten.length) this.log.info(`applying the reviewed text of ${result.rewritten.join(", ")} instead of the server's edit`);
      edit = result.edit;
    }
    const uris = editedUris(edit);
    const before = new Map(uris.map((uri) => [uri, this.currentText(uri)]));
    const result = (await next(edit === params.edit ? params : { ...params, edit }, CancellationToken.None)) as ApplyWorkspaceEditResult;
    if (result.applied) {
      const texts: AppliedText[] = [];
      for (const uri of uris) {
        const was = before.get(uri);
        const now = this.currentText(uri);
        if (was !== undefined && now !== undefined) texts.push({ uri, before: was, after: now });
      }
      if (texts.length) this.appliedEmitter.fire(texts);
      await this.saveEdited(uris);
    }
    return result;
  };

  private async saveEdited(uris: string[]): Promise<void> {
    for (const uri of uris) {
      const doc = openDocument(uri);
      if (!doc?.isDirty) continue;
      let problem: string | undefined;
      try {
        if (!(await doc.save())) problem = "the save was refused";
      } catch (error) {
        problem = String(error);
      }
      if (problem === undefined) continue;
      // The change is in the editor; the server writes the file itself, so VS Code will see
      // it as changed on disk: the user should know why.
      const message = `Codex changed ${vscode.workspace.asRelativePath(doc.uri)} but VS Code could not save it (${problem}); Codex wrote the file itself.`;
      this.log.warn(message);
      void vscode.window.showWarningMessage(message);
    }
  }

  private currentText(uri: string): string | undefined {
    const open = openDocument(uri);
    if (open) return open.getText();
    try {
      return fs.readFileSync(vscode.Uri.parse(uri).fsPath, "utf8");
    } catch {
      return undefined;
    }
  }

  // ---- commands ----------------------------------------------------------------------

  private async askCommand(params: CommandApprovalParams, token: CancellationTokenLike): Promise<{ decision: Decision }> {
    const key = `${params.threadId}/${params.itemId}/${++this.counter}`;
    // Older servers send neither field.
    const risk = params.risk ?? null;
    const amendment = params.proposedExecpolicyAmendment ?? null;
    this.store.setApproval(params.threadId, params.itemId, { key, kind: "command", reason: params.reason, risk, amendment });
    this.changed(params.threadId);
    const answer = this.pending.ask(key);
    const sub = token.onCancellationRequested(() => this.pending.answer(key, "cancel"));
    const modal = vscode.workspace.getConfiguration("codex").get<string>("approvals.commandPrompt", "modal") === "modal";
    const choices = commandChoices(amendment);
    const facts = [...riskLines(risk), `in ${params.cwd}`, params.reason ? `Reason: ${params.reason}` : ""].filter(Boolean);
    const help = [COMMAND_HELP];
    if (amendment?.length) {
      help.push(
        `Always allow runs it now and, from now on, every command starting with "${formatPrefix(amendment)}" in this folder without asking (still in the sandbox; Codex: Remembered Commands lists and removes them).`,
      );
    }
    // The decline is the modal's close affordance (Escape), so VS Code adds no "Cancel" of
    // its own whose meaning would be unclear.
    const items: vscode.MessageItem[] = choices.map(({ label, decision }) => ({ title: label, isCloseAffordance: modal && decision === "decline" }));
    const level = risk ? ` (${riskLabel(risk.riskLevel).toLowerCase()})` : "";
    void promptFor(risk?.riskLevel)(
      modal ? `Codex wants to run: ${params.command}${level}` : `Codex wants to run: ${params.command} (${facts.join("; ")})`,
      { modal, detail: `${facts.join("\n")}\n\n${help.join("\n")}` },
      ...items,
    ).then((choice) => {
      const decision = choices.find((c) => c.label === choice?.title)?.decision;
      // A dismissed modal is a decline; a dismissed toast leaves the card's buttons.
      if (decision !== undefined || modal) this.pending.answer(key, decision ?? "decline");
    });
    const decision = await answer;
    sub.dispose();
    this.store.setApproval(params.threadId, params.itemId, null);
    this.changed(params.threadId);
    this.log.info(`command approval for ${params.command} in ${params.cwd}: ${describeDecision(decision)}`);
    if (typeof decision === "object") {
      const prefix = formatPrefix(decision.acceptWithExecpolicyAmendment.execpolicy_amendment);
      vscode.window.setStatusBarMessage(`Codex: always allowing "${prefix}" here`, 10_000);
    }
    return { decision };
  }

  // ---- file changes ------------------------------------------------------------------

  private targetUri(p: string, threadId: string): vscode.Uri {
    if (path.isAbsolute(p)) return vscode.Uri.file(p);
    const cwd = this.store.meta(threadId)?.cwd ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
    return vscode.Uri.file(path.join(cwd, p));
  }

  private async readCurrent(uri: vscode.Uri): Promise<string | undefined> {
    const open = openDocument(uri.toString());
    if (open) return open.getText();
    try {
      const bytes = await vscode.workspace.fs.readFile(uri);
      return new TextDecoder().decode(bytes);
    } catch {
      return undefined;
    }
  }

  private async prepare(key: string, params: FileChangeApprovalParams): Promise<Review> {
    const files: ReviewFile[] = [];
    for (const change of params.changes) {
      const kind = change.kind.type;
      const target = this.targetUri(change.path, params.threadId);
      const shown = this.targetUri(change.kind.movePath ?? change.path, params.threadId);
      const current = kind === "add" ? "" : ((await this.readCurrent(target)) ?? "");
      let proposed: string;
      let wholeOnly = kind === "delete" || change.kind.movePath !== null;
      try {
        proposed = proposedText(kind, current, change.diff);
      } catch (error) {
        if (!(error instanceof DiffApplyError)) throw error;
        this.log.warn(`${change.path}: ${error.message}; showing the diff itself`);
        proposed = change.diff;
        wholeOnly = true;
      }
      // The file's own path (breadcrumbs, title); the review in the query keeps each
      // review's documents apart.
      const review = `review-${this.counter}`;
      const right = vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: shownPath(shown), query: review });
      this.fsProvider.set(right, proposed, wholeOnly);
      let left = target;
      if (kind === "add") {
        left = vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: shownPath(shown), query: `${review}-original` });
        this.fsProvider.set(left, "", true);
      }
      files.push({
        path: change.path,
        target,
        left,
        right,
        wholeOnly,
        reviewed: { uri: target.toString(), kind, base: current, proposed },
      });
    }
    return { key, params, files };
  }

  async openReviewDiff(file: ReviewFile, preserveFocus = false): Promise<void> {
    const name = path.basename(file.path);
    const title = file.wholeOnly ? `Codex: ${name} (proposed change)` : `Codex: ${name} (current ↔ proposed, editable)`;
    await vscode.commands.executeCommand("vscode.diff", file.left, file.right, title, { preview: false, preserveFocus });
  }

  private async askFileChange(params: FileChangeApprovalParams, token: CancellationTokenLike): Promise<{ decision: Decision }> {
    const key = `${params.threadId}/${params.itemId}/${++this.counter}`;
    const review = await this.prepare(key, params);
    this.reviews.set(key, review);
    this.store.setApproval(params.threadId, params.itemId, { key, kind: "fileChange", reason: params.reason });
    this.changed(params.threadId);
    const answer = this.pending.ask(key);
    const sub = token.onCancellationRequested(() => this.pending.answer(key, "cancel"));
    const first = review.files[0];
    const openDiff = vscode.workspace.getConfiguration("codex").get<boolean>("approvals.openDiff", true);
    if (first && openDiff) {
      await this.openReviewDiff(first).catch((e: unknown) => this.log.warn(`opening the diff: ${String(e)}`));
    }
    const names = review.files.map((f) => path.basename(f.path)).join(", ");
    if (openDiff) {
      // The diff editor's title (check / cross) and the chat card answer; a notification
      // could not be taken back once answered there.
      vscode.window.setStatusBarMessage(`Codex: review the proposed change to ${names}, then accept (check) or reject (cross)`, answer);
    } else {
      const REVIEW = "Review";
      void vscode.window
        .showInformationMessage(
          `Codex wants to change ${names}${params.reason ? ` (${params.reason})` : ""}.`,
          REVIEW,
          ...CHANGE_CHOICES.map(([title]) => title),
        )
        .then((choice) => {
          if (choice === REVIEW && first) void this.openReviewDiff(first);
          const decision = CHANGE_CHOICES.find(([title]) => title === choice)?.[1];
          if (decision !== undefined) this.pending.answer(key, decision);
        });
    }
    let decision = await answer;
    sub.dispose();
    if (decision === "accept" || decision === "acceptForSession") {
      const reviewed: ReviewedFile[] = [];
      for (const f of review.files) {
        const doc = await vscode.workspace.openTextDocument(f.right);
        const final = f.wholeOnly ? f.reviewed.proposed : doc.getText();
        if (doc.isDirty) await doc.save();
        reviewed.push({ ...f.reviewed, final });
      }
      const outcome = reviewOutcome(reviewed, decision);
      decision = outcome.decision;
      this.expected.add(outcome.expected);
      this.log.info(`file change ${params.itemId}: ${describeDecision(decision)} (${outcome.summary})`);
    } else {
      this.log.info(`file change ${params.itemId}: ${describeDecision(decision)}`);
    }
    await this.closeReview(review);
    this.store.setApproval(params.threadId, params.itemId, null);
    this.changed(params.threadId);
    return { decision };
  }

  private async closeReview(review: Review): Promise<void> {
    this.reviews.delete(review.key);
    const uris = new Set(review.files.flatMap((f) => [f.right.toString(), f.left.toString()]));
    // The proposed text has been read: drop what is unsaved on the proposed side, or VS Code
    // keeps a dirty document (in a tab of its own) that asks to be saved later.
    for (const f of review.files) {
      if (openDocument(f.right.toString())) {
        await vscode.commands.executeCommand("workbench.action.files.revert", f.right).then(undefined, () => undefined);
      }
    }
    // The diff, and the proposed side if it is open on its own (the user opened it, or
    // closing the diff left it behind).
    for (let pass = 0; pass < 2; pass++) {
      const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((tab) => {
        const input = tab.input;
        if (input instanceof vscode.TabInputTextDiff) return uris.has(input.modified.toString());
        return input instanceof vscode.TabInputText && uris.has(input.uri.toString());
      });
      if (tabs.length) await vscode.window.tabGroups.close(tabs).then(undefined, () => false);
    }
    for (const f of review.files) {
      this.fsProvider.retire(f.right);
      if (f.left.scheme === PROPOSED_SCHEME) this.fsProvider.retire(f.left);
    }
  }

  /** Answer the approval shown in the active diff editor (editor title buttons). */
  answerActive(decision: Decision): boolean {
    const active = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    const uri = active instanceof vscode.TabInputTextDiff ? active.modified : vscode.window.activeTextEditor?.document.uri;
    if (!uri || uri.scheme !== PROPOSED_SCHEME) return false;
    for (const review of this.reviews.values()) {
      if (review.files.some((f) => f.right.toString() === uri.toString())) return this.pending.answer(review.key, decision);
    }
    return false;
  }

  /** "Open diff" on a file-change card: the live review, or the item's diff as text. */
  async openDiff(threadId: string, itemId: string, filePath: string): Promise<void> {
    for (const review of this.reviews.values()) {
      if (review.params.threadId !== threadId || review.params.itemId !== itemId) continue;
      const file = review.files.find((f) => f.path === filePath) ?? review.files[0];
      if (file) return this.openReviewDiff(file);
    }
    const entry = this.store.entry(threadId, itemId);
    const change = entry?.kind === "fileChange" ? entry.changes.find((c) => c.path === filePath) : undefined;
    if (!change) return;
    await this.showText(`${shownPath(this.targetUri(filePath, threadId))}.diff`, change.diff, `${threadId}/${itemId}`);
  }

  /** A read-only text (a diff) in an editor: `pathName` is what its title and breadcrumbs
   * show, `key` tells documents of the same name apart. */
  async showText(pathName: string, text: string, key = ""): Promise<void> {
    const uri = vscode.Uri.from({ scheme: DIFF_SCHEME, path: pathName, query: key });
    this.diffs.set(uri.toString(), text);
    this.diffEmitter.fire(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, "diff");
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  /** The server went away: nothing pending can be answered any more. */
  abandonAll(): void {
    this.pending.answerAll("cancel");
    this.expected.clear();
  }

  dispose(): void {
    this.abandonAll();
    for (const d of this.disposables) d.dispose();
    this.diffEmitter.dispose();
    this.appliedEmitter.dispose();
  }
}
