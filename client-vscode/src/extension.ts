// Entry point: wires the server process, the protocol client, the chat and threads views,
// approvals, commands and the status bar.
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { CodexProtocol } from "./protocol/client.js";
import { FileStates } from "./state/fileStates.js";
import { ChatSession } from "./state/session.js";
import { RESTART_KEYS, editorSettings } from "./state/settings.js";
import { ApprovalUi } from "./vscode/approvalUi.js";
import { CHAT_PANEL_TYPE, CHAT_VIEW_ID, ChatViewProvider } from "./vscode/chatView.js";
import { registerCommands } from "./vscode/commands.js";
import { EditorFileStates } from "./vscode/fileStates.js";
import { registerMcpView } from "./vscode/mcpView.js";
import { registerRulesCommands } from "./vscode/rules.js";
import { ServerManager } from "./vscode/serverManager.js";
import { CodexStatusBar } from "./vscode/statusBar.js";
import { THREADS_VIEW_ID, ThreadsProvider } from "./vscode/threadsView.js";

let server: ServerManager | undefined;

/** Workspace-state keys: the chat's open threads (reopened after a reload) and what the
 * file-change cards say beyond the threads' history. */
const SAVED_CHAT = "codex.chat.saved";
const FILE_STATES = "codex.fileStates";

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
  const fileStates = new FileStates(context.workspaceState.get(FILE_STATES), (data) => {
    void context.workspaceState.update(FILE_STATES, data);
  });
  const session = new ChatSession(protocol, {
    cwd: workspaceRoot,
    settings: () => editorSettings(vscode.workspace.getConfiguration("codex")),
    generation: () => manager.generation,
    resolveMention,
    fileStates,
  });
  const approvals = new ApprovalUi(protocol, session.store, (id) => session.changed(id), log);
  const editorStates = new EditorFileStates(protocol, session, approvals);
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

  /** The model config.toml names (shown until a thread reports its own). */
  let configModel: string | null = null;
  const refreshStatus = () => {
    const settings = editorSettings(vscode.workspace.getConfiguration("codex"));
    const info = session.info();
    const meta = session.current ? session.store.meta(session.current) : undefined;
    status.update({
      model: settings.model ?? info?.model ?? configModel,
      effort: settings.reasoningEffort ?? info?.reasoningEffort ?? null,
      contextUsed: meta?.contextUsed ?? null,
    });
  };

  // The chat of the last window comes back once the first server is up; until then what is
  // saved stays as it is.
  let restoreStarted = false;
  let restored = false;
  const saveChat = () => {
    if (restored) void context.workspaceState.update(SAVED_CHAT, session.saved());
  };
  const restoreChat = async () => {
    try {
      const reopened = await session.restore(context.workspaceState.get(SAVED_CHAT), (id, error) =>
        log.warn(`could not reopen thread ${id}: ${error instanceof Error ? error.message : String(error)}`),
      );
      if (reopened.length) log.info(`reopened ${reopened.length} thread(s) of the last window`);
    } finally {
      restored = true;
      saveChat();
      refreshStatus();
      threads.refresh(0);
    }
  };

  context.subscriptions.push(
    log,
    manager,
    protocol,
    session,
    approvals,
    chat,
    editorStates,
    threads,
    status,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, chat, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.window.registerWebviewPanelSerializer(CHAT_PANEL_TYPE, chat),
    vscode.window.createTreeView(THREADS_VIEW_ID, { treeDataProvider: threads, showCollapseAll: false }),
    ...registerCommands({ protocol, session, server: manager, chat, threads, approvals, log }),
    ...registerMcpView(protocol, () => manager.state === "running", manager.onDidChangeState, log),
    ...registerRulesCommands({ protocol, root: workspaceRoot, log }),
    manager.onDidChangeState((state) => {
      status.update({ server: state });
      chat.serverStatus(state, state === "running" ? null : `Server ${state}`);
      if (state !== "running") approvals.abandonAll();
      threads.refresh(0);
    }),
    manager.onDidStart(() => {
      threads.refresh(0);
      protocol
        .request("codex/account/rateLimits/read", null)
        .then((r) => status.setRateLimits(r.rateLimits))
        .catch((e: unknown) => log.debug(`rate limits: ${String(e)}`));
      protocol
        .request("codex/config/read", { cwd: workspaceRoot() ?? null })
        .then((r) => {
          configModel = typeof r.config.model === "string" && r.config.model !== "" ? r.config.model : null;
          refreshStatus();
        })
        .catch((e: unknown) => log.debug(`config: ${String(e)}`));
      if (restoreStarted) {
        void session.serverRestarted();
      } else {
        restoreStarted = true;
        void restoreChat();
      }
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
    toDisposable(
      session.onListChanged(() => {
        refreshStatus();
        saveChat();
      }),
    ),
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
