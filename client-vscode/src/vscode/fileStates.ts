// Keeps the file-change cards true after a change landed: the applied edit's texts are
// taken as it lands (`workspace/applyEdit`), tied to the item when it completes, and each
// later change of those documents is compared with them. Ctrl+Z of the applied edit (or
// anything that puts the old text back) marks the card "reverted in editor"; Ctrl+Y
// (the applied text again) takes the mark back. See state/fileStates.ts.
import * as path from "node:path";
import * as vscode from "vscode";
import type { CodexProtocol, DisposableLike } from "../protocol/client.js";
import { RevertTracker } from "../state/fileStates.js";
import type { ChatSession } from "../state/session.js";
import type { ApprovalUi } from "./approvalUi.js";

/** The same document, however the URI was spelled (the server's vs VS Code's encoding). */
export function canonicalUri(uri: string): string {
  try {
    return vscode.Uri.parse(uri).toString();
  } catch {
    return uri;
  }
}

export class EditorFileStates implements vscode.Disposable {
  readonly tracker = new RevertTracker();
  private readonly disposables: (vscode.Disposable | DisposableLike)[] = [];

  constructor(
    protocol: CodexProtocol,
    private readonly session: ChatSession,
    approvals: ApprovalUi,
  ) {
    this.disposables.push(
      approvals.onDidApplyEdit((texts) => this.tracker.applied(texts.map((t) => ({ ...t, uri: canonicalUri(t.uri) })))),
      protocol.onAny((n) => {
        if (n.method !== "codex/item/started" && n.method !== "codex/item/completed") return;
        const { item, threadId, turnId } = n.params;
        if (item.type !== "fileChange") return;
        const files = item.changes
          .filter((c) => c.kind.type === "update" && c.kind.movePath === null)
          .map((c) => ({ path: c.path, uri: this.uriOf(c.path, threadId) }));
        if (n.method === "codex/item/started") this.tracker.forget(files.map((f) => f.uri));
        else if (item.status === "completed") this.tracker.track(threadId, turnId, item.id, files);
      }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0) return;
        for (const change of this.tracker.textChanged(e.document.uri.toString(), e.document.getText())) {
          // Undone (Codex: Undo Last Turn): the card says so, whatever the editor does next.
          if (this.session.store.memory.get(change.threadId, change.itemId)?.undone) continue;
          this.session.store.setReverted(change.threadId, change.itemId, change.reverted);
          this.session.changed(change.threadId);
        }
      }),
    );
  }

  private uriOf(p: string, threadId: string): string {
    if (path.isAbsolute(p)) return vscode.Uri.file(p).toString();
    const cwd = this.session.store.meta(threadId)?.cwd ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? process.cwd();
    return vscode.Uri.file(path.join(cwd, p)).toString();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
