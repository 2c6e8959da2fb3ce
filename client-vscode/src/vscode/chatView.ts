// The chat webview view: HTML shell with a strict CSP, patches of the transcript batched
// at ~30 fps, and what the user does sent back to the session.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { ChatSession } from "../state/session.js";
import type { SelectionContext } from "../state/chatInput.js";
import { isFromWebview, type FromWebview, type ToWebview } from "../state/viewMessages.js";
import type { ApprovalUi } from "./approvalUi.js";
import { rewindTo } from "./context.js";

export const CHAT_VIEW_ID = "codex.chat";
const FLUSH_MS = 33;

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly dirty = new Set<string>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly session: ChatSession,
    private readonly approvals: ApprovalUi,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const onThread = session.onThreadChanged((id) => this.markDirty(id));
    const onList = session.onListChanged(() => this.sendThreads());
    const onDraft = session.onDraft((_threadId, text) => this.post({ type: "restoreDraft", text }));
    this.disposables.push(
      new vscode.Disposable(() => {
        onThread.dispose();
        onList.dispose();
        onDraft.dispose();
      }),
      vscode.window.onDidChangeTextEditorSelection(() => this.sendContext()),
      vscode.window.onDidChangeActiveTextEditor(() => this.sendContext()),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const media = vscode.Uri.joinPath(this.extensionUri, "media");
    const dist = vscode.Uri.joinPath(this.extensionUri, "dist");
    view.webview.options = { enableScripts: true, localResourceRoots: [media, dist] };
    view.webview.html = this.html(view.webview);
    view.webview.onDidReceiveMessage((m: unknown) => {
      if (isFromWebview(m)) void this.onMessage(m);
    });
    view.onDidDispose(() => {
      this.view = undefined;
      this.ready = false;
    });
    view.onDidChangeVisibility(() => {
      if (view.visible) this.sendAll();
    });
  }

  private html(webview: vscode.Webview): string {
    const nonce = crypto.randomBytes(16).toString("base64");
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "dist", "webview.js"));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "media", "chat.css"));
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join("; ");
    const template = fs.readFileSync(path.join(this.extensionUri.fsPath, "media", "chat.html"), "utf8");
    return template
      .replaceAll("{{csp}}", csp)
      .replaceAll("{{nonce}}", nonce)
      .replaceAll("{{script}}", script.toString())
      .replaceAll("{{style}}", style.toString());
  }

  private post(message: ToWebview): void {
    if (this.view && this.ready) void this.view.webview.postMessage(message);
  }

  reveal(): void {
    if (this.view) this.view.show(true);
    else void vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
  }

  focusInput(text?: string): void {
    this.reveal();
    this.post(text === undefined ? { type: "focusInput" } : { type: "focusInput", text });
  }

  serverStatus(state: string, message: string | null): void {
    this.post({ type: "server", state, message });
  }

  private markDirty(threadId: string): void {
    this.dirty.add(threadId);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    this.flushTimer = undefined;
    const ids = [...this.dirty];
    this.dirty.clear();
    for (const id of ids) {
      // Only the shown thread is rendered; others keep their changes for later.
      if (id !== this.session.current || !this.ready) continue;
      const patch = this.session.store.takeChanges(id);
      if (patch) this.post({ type: "patch", patch });
    }
  }

  private sendThreads(): void {
    this.post({ type: "threads", open: this.session.tabs(), current: this.session.current });
    const current = this.session.current;
    if (current) {
      const snapshot = this.session.store.snapshot(current);
      if (snapshot) this.post({ type: "patch", patch: snapshot });
    }
  }

  private sendAll(): void {
    this.sendThreads();
    this.sendContext();
  }

  /** The active editor's selection, as shown next to "Include selection". */
  selection(): SelectionContext | undefined {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.selection.isEmpty) return undefined;
    const s = editor.selection;
    return {
      uri: editor.document.uri.toString(),
      range: { start: { line: s.start.line, character: s.start.character }, end: { line: s.end.line, character: s.end.character } },
    };
  }

  private sendContext(): void {
    const editor = vscode.window.activeTextEditor;
    const sel = this.selection();
    const label =
      sel && editor
        ? `${path.basename(editor.document.uri.fsPath)}:${editor.selection.start.line + 1}-${editor.selection.end.line + 1}`
        : null;
    this.post({ type: "context", selection: label });
  }

  private async onMessage(m: FromWebview): Promise<void> {
    try {
      switch (m.type) {
        case "ready":
          this.ready = true;
          this.sendAll();
          break;
        case "send": {
          const selection = m.includeSelection ? this.selection() : undefined;
          await this.session.send(m.text, m.threadId, selection);
          break;
        }
        case "steer":
          await this.session.steer(m.text, m.threadId, m.includeSelection ? this.selection() : undefined);
          break;
        case "queue":
          await this.session.queue(m.text, m.threadId, m.includeSelection ? this.selection() : undefined);
          break;
        case "unqueue":
          this.session.unqueue(m.threadId, m.id);
          break;
        case "rewind":
          await rewindTo({ session: this.session, reveal: () => this.reveal() }, m.threadId, m.turnId);
          break;
        case "stop":
          await this.session.interrupt(m.threadId);
          break;
        case "newThread":
          await this.session.newThread();
          break;
        case "selectThread":
          this.session.select(m.threadId);
          break;
        case "closeThread":
          this.session.close(m.threadId);
          break;
        case "approve":
          this.approvals.pending.answer(m.key, m.decision);
          break;
        case "openDiff":
          await this.approvals.openDiff(m.threadId, m.itemId, m.path);
          break;
        case "openTurnDiff": {
          const diff = this.session.store.meta(m.threadId)?.turnDiff;
          if (diff) await this.approvals.showText(`/${m.threadId}/turn.diff`, diff);
          break;
        }
        case "openLink":
          await openLink(m.href);
          break;
        case "openLocation":
          await openLocation(m.path, m.startLine, m.endLine);
          break;
        case "mentionQuery":
          this.post({ type: "mentionResults", requestId: m.requestId, items: await mentionCandidates(m.query) });
          break;
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log.error(`chat: ${m.type} failed: ${message}`);
      void vscode.window.showErrorMessage(`Codex: ${message}`);
    }
  }

  dispose(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const d of this.disposables) d.dispose();
  }
}

async function openLink(href: string): Promise<void> {
  if (/^(https?|mailto):/i.test(href)) {
    await vscode.env.openExternal(vscode.Uri.parse(href));
    return;
  }
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (!root) return;
  const [file, line] = href.replace(/^file:\/\//, "").split("#L");
  const target = path.isAbsolute(file ?? "") ? vscode.Uri.file(file ?? "") : vscode.Uri.joinPath(root, file ?? "");
  const doc = await vscode.workspace.openTextDocument(target);
  const n = Math.max(0, Number(line ?? "1") - 1);
  await vscode.window.showTextDocument(doc, { selection: new vscode.Range(n, 0, n, 0) });
}

/** Open a file with lines `startLine..endLine` (1-based, inclusive) selected, clamped to the
 * document. */
export async function openLocation(file: string, startLine: number, endLine: number): Promise<void> {
  const root = vscode.workspace.workspaceFolders?.[0]?.uri;
  const uri = path.isAbsolute(file) || !root ? vscode.Uri.file(file) : vscode.Uri.joinPath(root, file);
  const doc = await vscode.workspace.openTextDocument(uri);
  const last = Math.max(0, doc.lineCount - 1);
  const start = Math.min(last, Math.max(0, Math.floor(startLine) - 1));
  const end = Math.min(last, Math.max(start, Math.floor(endLine) - 1));
  const selection = new vscode.Range(start, 0, end, doc.lineAt(end).text.length);
  await vscode.window.showTextDocument(doc, { selection, preview: true });
}

const EXCLUDE = "**/{node_modules,.git,dist,out,build,.venv,venv,__pycache__}/**";

async function mentionCandidates(query: string): Promise<{ label: string; detail: string }[]> {
  const safe = query.replace(/[{}[\]*?!]/g, "");
  const pattern = safe === "" ? "**/*" : `**/*${safe}*`;
  const files = await vscode.workspace.findFiles(pattern, EXCLUDE, 40);
  return files
    .map((f) => vscode.workspace.asRelativePath(f, false))
    .sort((a, b) => a.length - b.length || a.localeCompare(b))
    .slice(0, 12)
    .map((rel) => ({ label: rel, detail: path.dirname(rel) === "." ? "" : path.dirname(rel) }));
}
