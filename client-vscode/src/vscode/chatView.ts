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
/** The chat as an editor tab (`Codex: Open Chat in Editor`); restored after a reload. */
export const CHAT_PANEL_TYPE = "codex.chatEditor";
const FLUSH_MS = 33;

/** One webview showing the chat: the side bar view or the editor tab. */
interface Surface {
  readonly kind: "sidebar" | "editor";
  readonly webview: vscode.Webview;
  ready: boolean;
  reveal(preserveFocus: boolean): void;
}

/**
 * The chat in webviews: the side bar view (which VS Code lets the user move to the
 * secondary side bar or the panel) and, on demand, an editor tab. Both show the same
 * session: the current thread, its transcript (patches batched at ~30 fps and sent to
 * every open chat) and the approvals; what the user does in either goes to the session.
 */
export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.WebviewPanelSerializer, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private panel: vscode.WebviewPanel | undefined;
  private readonly surfaces = new Set<Surface>();
  /** The chat the user used last: where `reveal` and text for the input go. */
  private lastActive: Surface | undefined;
  private readonly dirty = new Set<string>();
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly session: ChatSession,
    private readonly approvals: ApprovalUi,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const onThread = session.onThreadChanged((id) => this.markDirty(id));
    const onList = session.onListChanged(() => this.sendThreads());
    const onDraft = session.onDraft((_threadId, text) => {
      const target = this.target();
      if (target) this.post(target, { type: "restoreDraft", text });
    });
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
    const surface: Surface = {
      kind: "sidebar",
      webview: view.webview,
      ready: false,
      reveal: (preserveFocus) => view.show(preserveFocus),
    };
    this.attach(surface, view, () => (this.view = undefined));
    view.onDidChangeVisibility(() => {
      if (!view.visible) return;
      this.lastActive = surface;
      if (surface.ready) this.sendAll(surface);
    });
  }

  /** `Codex: Open Chat in Editor`: the chat as an editor tab (shown again if open). */
  openInEditor(): void {
    if (this.panel) {
      this.panel.reveal(undefined, false);
      return;
    }
    const panel = vscode.window.createWebviewPanel(CHAT_PANEL_TYPE, "Codex Chat", vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: this.roots(),
    });
    this.adoptPanel(panel);
  }

  /** A chat tab of the last window (VS Code restores it after a reload). */
  deserializeWebviewPanel(panel: vscode.WebviewPanel): Promise<void> {
    this.adoptPanel(panel);
    return Promise.resolve();
  }

  private adoptPanel(panel: vscode.WebviewPanel): void {
    this.panel?.dispose();
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, "media", "codex.svg");
    const surface: Surface = {
      kind: "editor",
      webview: panel.webview,
      ready: false,
      reveal: (preserveFocus) => panel.reveal(undefined, preserveFocus),
    };
    this.attach(surface, panel, () => {
      if (this.panel === panel) this.panel = undefined;
    });
    panel.onDidChangeViewState(() => {
      if (panel.active) this.lastActive = surface;
    });
    this.lastActive = surface;
  }

  private roots(): vscode.Uri[] {
    return [vscode.Uri.joinPath(this.extensionUri, "media"), vscode.Uri.joinPath(this.extensionUri, "dist")];
  }

  /** Load the page into a surface and route its messages until its host (the view or the
   * tab) is disposed; then `disposed` runs. */
  private attach(surface: Surface, host: { onDidDispose: vscode.Event<void> }, disposed: () => void): void {
    this.surfaces.add(surface);
    surface.webview.options = { enableScripts: true, localResourceRoots: this.roots() };
    surface.webview.html = this.html(surface.webview, surface.kind);
    const messages = surface.webview.onDidReceiveMessage((m: unknown) => {
      if (isFromWebview(m)) void this.onMessage(surface, m);
    });
    host.onDidDispose(() => {
      messages.dispose();
      this.surfaces.delete(surface);
      surface.ready = false;
      if (this.lastActive === surface) this.lastActive = undefined;
      disposed();
    });
  }

  private html(webview: vscode.Webview, surface: Surface["kind"]): string {
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
      .replaceAll("{{style}}", style.toString())
      .replaceAll("{{surface}}", surface);
  }

  private post(surface: Surface, message: ToWebview): void {
    if (surface.ready) void surface.webview.postMessage(message);
  }

  private broadcast(message: ToWebview): void {
    for (const surface of this.surfaces) this.post(surface, message);
  }

  /** The chat to show things in: the one used last, else the side bar's. */
  private target(): Surface | undefined {
    return this.lastActive ?? [...this.surfaces].find((s) => s.kind === "sidebar") ?? [...this.surfaces][0];
  }

  /** Show the chat the user used last (the side bar's when none is open). */
  reveal(): void {
    const target = this.lastActive;
    if (target) target.reveal(true);
    else if (this.view) this.view.show(true);
    else void vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
  }

  /** `Codex: Open Chat`: the side bar's chat, its input focused (`text` put in it). */
  focusInput(text?: string): void {
    const sidebar = [...this.surfaces].find((s) => s.kind === "sidebar");
    if (sidebar) this.lastActive = sidebar;
    if (this.view) this.view.show(false);
    else void vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    if (sidebar) this.post(sidebar, text === undefined ? { type: "focusInput" } : { type: "focusInput", text });
  }

  serverStatus(state: string, message: string | null): void {
    this.broadcast({ type: "server", state, message });
  }

  private markDirty(threadId: string): void {
    this.dirty.add(threadId);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const ids = [...this.dirty];
    this.dirty.clear();
    if (![...this.surfaces].some((s) => s.ready)) return;
    for (const id of ids) {
      // Only the shown thread is rendered; others keep their changes for later.
      if (id !== this.session.current) continue;
      const patch = this.session.store.takeChanges(id);
      if (patch) this.broadcast({ type: "patch", patch });
    }
  }

  private threadsMessage(): ToWebview {
    return { type: "threads", open: this.session.tabs(), current: this.session.current };
  }

  private sendThreads(): void {
    this.broadcast(this.threadsMessage());
    const current = this.session.current;
    const snapshot = current ? this.session.store.snapshot(current) : undefined;
    if (snapshot) this.broadcast({ type: "patch", patch: snapshot });
  }

  /** Everything, to one chat (it just loaded, or was shown again). The others get what is
   * pending first, so no change is taken from them. */
  private sendAll(surface: Surface): void {
    this.flush();
    this.post(surface, this.threadsMessage());
    const current = this.session.current;
    const snapshot = current ? this.session.store.snapshot(current) : undefined;
    if (snapshot) this.post(surface, { type: "patch", patch: snapshot });
    this.post(surface, { type: "context", selection: this.selectionLabel() });
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

  private selectionLabel(): string | null {
    const editor = vscode.window.activeTextEditor;
    return this.selection() && editor
      ? `${path.basename(editor.document.uri.fsPath)}:${editor.selection.start.line + 1}-${editor.selection.end.line + 1}`
      : null;
  }

  private sendContext(): void {
    this.broadcast({ type: "context", selection: this.selectionLabel() });
  }

  private async onMessage(surface: Surface, m: FromWebview): Promise<void> {
    if (m.type !== "ready" && m.type !== "mentionQuery") this.lastActive = surface;
    try {
      switch (m.type) {
        case "ready":
          this.flush();
          surface.ready = true;
          this.sendAll(surface);
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
          if (diff) await this.approvals.showText("/turn.diff", diff, m.threadId);
          break;
        }
        case "openLink":
          await openLink(m.href);
          break;
        case "openLocation":
          await openLocation(m.path, m.startLine, m.endLine);
          break;
        case "mentionQuery":
          this.post(surface, { type: "mentionResults", requestId: m.requestId, items: await mentionCandidates(m.query) });
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
    this.panel?.dispose();
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
