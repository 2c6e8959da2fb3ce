// Entry point: wires the server process, the protocol client, the chat and threads views,
// approvals, commands and the status bar.
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { CodexProtocol } from "./protocol/client.js";
import { ChatSession } from "./state/session.js";
import { RESTART_KEYS, editorSettings } from "./state/settings.js";
import { ApprovalUi } from "./vscode/approvalUi.js";
import { CHAT_VIEW_ID, ChatViewProvider } from "./vscode/chatView.js";
import { registerCommands } from "./vscode/commands.js";
import { ServerManager } from "./vscode/serverManager.js";
import { CodexStatusBar } from "./vscode/statusBar.js";
import { THREADS_VIEW_ID, ThreadsProvider } from "./vscode/threadsView.js";

let server: ServerManager | undefined;

function toDisposable(d: { dispose(): void }): vscode.Disposable {
  return new vscode.Disposable(() => d.dispose());
}

function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

function resolveMention(name: string): string | undefined {
  const root = workspaceRoot();
  const candidate = path.isAbsolute(name) ? name : root ? path.join(root, name) : undefined;
  return candidate !== undefined && fs.existsSync(candidate) ? candidate : undefined;
}

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel("Codex", { log: true });
  const manager = new ServerManager(log, log);
  server = manager;
  const protocol = new CodexProtocol(manager);
  const session = new ChatSession(protocol, {
    cwd: workspaceRoot,
    settings: () => editorSettings(vscode.workspace.getConfiguration("codex")),
    generation: () => manager.generation,
    resolveMention,
  });
  const approvals = new ApprovalUi(protocol, session.store, (id) => session.changed(id), log);
  const chat = new ChatViewProvider(context.extensionUri, session, approvals, log);
  const threads = new ThreadsProvider(
    protocol,
    (id) => session.openThreads.includes(id),
    () => manager.state === "running",
  );
  const status = new CodexStatusBar();

  manager.middleware.workspace = { handleApplyEdit: approvals.handleApplyEdit };
  // The server's own commands (code actions "Ask Codex ...") go through the chat UI.
  manager.middleware.executeCommand = async (command, args, next) => {
    if (command === "codex.ask") {
      chat.reveal();
      const sent = await session.askFromServer(args[0]);
      if (sent !== undefined) return sent;
    }
    if (command === "codex.newThread") return (await session.newThread()).id;
    if (command === "codex.interrupt") return session.interrupt();
    return next(command, args) as unknown;
  };

  const refreshStatus = () => {
    const settings = editorSettings(vscode.workspace.getConfiguration("codex"));
    const info = session.info();
    const meta = session.current ? session.store.meta(session.current) : undefined;
    status.update({
      model: settings.model ?? info?.model ?? null,
      effort: settings.reasoningEffort ?? info?.reasoningEffort ?? null,
      contextUsed: meta?.contextUsed ?? null,
    });
  };

  context.subscriptions.push(
    log,
    manager,
    protocol,
    session,
    approvals,
    chat,
    threads,
    status,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, chat, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.window.createTreeView(THREADS_VIEW_ID, { treeDataProvider: threads, showCollapseAll: false }),
    ...registerCommands({ protocol, session, server: manager, chat, threads, approvals, log }),
    manager.onDidChangeState((state) => {
      status.update({ server: state });
      chat.serverStatus(state, state === "running" ? null : `Server ${state}`);
      if (state !== "running") approvals.abandonAll();
      threads.refresh(0);
    }),
    manager.onDidStart((generation) => {
      threads.refresh(0);
      protocol
        .request("codex/account/rateLimits/read", null)
        .then((r) => status.setRateLimits(r.rateLimits))
        .catch((e: unknown) => log.debug(`rate limits: ${String(e)}`));
      if (generation > 1) void session.serverRestarted();
    }),
    toDisposable(protocol.on("codex/account/rateLimits/updated", (p) => status.setRateLimits(p.rateLimits))),
    toDisposable(
      protocol.onAny((n) => {
        if (
          n.method === "codex/thread/started" ||
          n.method === "codex/thread/name/updated" ||
          n.method === "codex/thread/archived" ||
          n.method === "codex/thread/unarchived" ||
          n.method === "codex/turn/completed"
        ) {
          threads.refresh();
        }
        if (n.method === "codex/thread/tokenUsage/updated" || n.method === "codex/turn/started") refreshStatus();
      }),
    ),
    toDisposable(session.onListChanged(refreshStatus)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration("codex")) return;
      refreshStatus();
      if (RESTART_KEYS.some((k) => e.affectsConfiguration(k))) {
        void manager.restart("server settings changed");
        return;
      }
      // Model, effort, policy and sandbox apply to the next turn (turn/start overrides);
      // the server is told as well.
      void manager.sendSettings().catch((err: unknown) => log.debug(`didChangeConfiguration: ${String(err)}`));
    }),
  );
  refreshStatus();
  void manager.start();
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
