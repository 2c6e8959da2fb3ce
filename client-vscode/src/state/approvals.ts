// Approval bookkeeping and the per-hunk file-change flow, without `vscode`:
//
// 1. `codex/item/fileChange/requestApproval` arrives with the unified diffs. The extension
//    shows current vs proposed in the diff editor; the user reverts hunks (the diff editor's
//    own "revert block" arrows) or edits the proposed text, then accepts or rejects.
// 2. `reviewOutcome` turns what the user left in the proposed documents into the answer:
//    nothing left -> `decline`; else `accept`, remembering the user's text per file.
// 3. The server then sends `workspace/applyEdit` with its own (whole) change.
//    `rewriteWorkspaceEdit` replaces the edits of those files with the user's text, so the
//    edit lands in the editor's buffers and undo history as the user left it, and the
//    server's read-back (hunk by hunk) reports the rejected hunks to the model.
import type { TextDocumentEdit, TextEdit, WorkspaceEdit } from "vscode-languageserver-protocol";
import type { ApprovalDecision } from "../protocol/types.js";
import { minimalReplacement, positionAt } from "./unifiedDiff.js";

/** Approvals waiting for an answer; whichever UI answers first wins. */
export class PendingApprovals<K = string> {
  private readonly waiting = new Map<K, (decision: ApprovalDecision) => void>();

  ask(key: K): Promise<ApprovalDecision> {
    return new Promise((resolve) => {
      this.waiting.set(key, resolve);
    });
  }

  /** True when `key` was still waiting. */
  answer(key: K, decision: ApprovalDecision): boolean {
    const resolve = this.waiting.get(key);
    if (!resolve) return false;
    this.waiting.delete(key);
    resolve(decision);
    return true;
  }

  has(key: K): boolean {
    return this.waiting.has(key);
  }

  keys(): K[] {
    return [...this.waiting.keys()];
  }

  /** Answer everything (e.g. `cancel` when the server goes away). */
  answerAll(decision: ApprovalDecision): void {
    for (const key of this.keys()) this.answer(key, decision);
  }
}

export interface ReviewedFile {
  uri: string;
  kind: "add" | "delete" | "update";
  /** The text the proposal was computed against ("" for an added file). */
  base: string;
  /** The text the server proposed. */
  proposed: string;
  /** What the user left in the proposed document (hunks reverted, text edited). */
  final: string;
}

export interface ExpectedEdit {
  uri: string;
  base: string;
  result: string;
}

export interface ReviewOutcome {
  decision: ApprovalDecision;
  /** Files whose landing edit must be replaced by the user's text. */
  expected: ExpectedEdit[];
  /** For the transcript: "2 of 3 files", "edited by you", ... */
  summary: string;
}

/** The answer for a reviewed change the user chose to accept (`accept` or `acceptForSession`). */
export function reviewOutcome(files: ReviewedFile[], accept: "accept" | "acceptForSession"): ReviewOutcome {
  const expected: ExpectedEdit[] = [];
  let reverted = 0;
  let changed = 0;
  for (const f of files) {
    if (f.kind === "delete" || f.final === f.proposed) continue;
    if (f.kind === "update" && f.final === f.base) {
      reverted++;
      expected.push({ uri: f.uri, base: f.base, result: f.base });
    } else {
      changed++;
      expected.push({ uri: f.uri, base: f.base, result: f.final });
    }
  }
  if (files.length > 0 && reverted === files.length) {
    return { decision: "decline", expected: [], summary: "every hunk reverted" };
  }
  const parts: string[] = [];
  if (changed > 0) parts.push(`${changed} file${changed > 1 ? "s" : ""} edited or partly accepted`);
  if (reverted > 0) parts.push(`${reverted} file${reverted > 1 ? "s" : ""} left unchanged`);
  return { decision: accept, expected, summary: parts.join(", ") || "accepted as proposed" };
}

/** Edits the server will send for approved changes, keyed by document URI. */
export class ExpectedEdits {
  private readonly byUri = new Map<string, ExpectedEdit>();

  add(edits: ExpectedEdit[]): void {
    for (const e of edits) this.byUri.set(e.uri, e);
  }

  take(uri: string): ExpectedEdit | undefined {
    const e = this.byUri.get(uri);
    this.byUri.delete(uri);
    return e;
  }

  has(uri: string): boolean {
    return this.byUri.has(uri);
  }

  clear(): void {
    this.byUri.clear();
  }

  get size(): number {
    return this.byUri.size;
  }
}

function fullEdit(e: ExpectedEdit): TextEdit[] {
  const r = minimalReplacement(e.base, e.result);
  if (r === undefined) return [];
  return [{ range: { start: positionAt(e.base, r.start), end: positionAt(e.base, r.end) }, newText: r.text }];
}

/** The documents a workspace edit changes the text of (in order, each once). */
export function editedUris(edit: WorkspaceEdit): string[] {
  const uris = (edit.documentChanges ?? []).flatMap((change) => ("textDocument" in change ? [change.textDocument.uri] : []));
  uris.push(...Object.keys(edit.changes ?? {}));
  return [...new Set(uris)];
}

/**
 * The server's `workspace/applyEdit` with the files the user reviewed replaced by the
 * user's text. `currentText(uri)` is the document's text now: when it no longer equals
 * the text the user reviewed, the server's edit goes through untouched (it was recomputed).
 * Returns the edit and the URIs it rewrote.
 */
export function rewriteWorkspaceEdit(
  edit: WorkspaceEdit,
  expected: ExpectedEdits,
  currentText: (uri: string) => string | undefined,
): { edit: WorkspaceEdit; rewritten: string[] } {
  const rewritten: string[] = [];
  const pick = (uri: string): ExpectedEdit | undefined => {
    if (!expected.has(uri)) return undefined;
    const e = expected.take(uri);
    if (e === undefined) return undefined;
    const now = currentText(uri) ?? "";
    if (now !== e.base) return undefined;
    rewritten.push(uri);
    return e;
  };
  if (edit.documentChanges) {
    const out: NonNullable<WorkspaceEdit["documentChanges"]> = [];
    const done = new Set<string>();
    for (const change of edit.documentChanges) {
      if (!("textDocument" in change)) {
        out.push(change);
        continue;
      }
      const uri = change.textDocument.uri;
      if (done.has(uri)) continue; // already replaced with the user's whole text
      const e = pick(uri);
      if (e === undefined) {
        out.push(change);
        continue;
      }
      done.add(uri);
      const replaced: TextDocumentEdit = { textDocument: change.textDocument, edits: fullEdit(e) };
      out.push(replaced);
    }
    return { edit: { ...edit, documentChanges: out }, rewritten };
  }
  if (edit.changes) {
    const changes: Record<string, TextEdit[]> = {};
    for (const [uri, edits] of Object.entries(edit.changes)) {
      const e = pick(uri);
      changes[uri] = e === undefined ? edits : fullEdit(e);
    }
    return { edit: { ...edit, changes }, rewritten };
  }
  return { edit, rewritten };
}
