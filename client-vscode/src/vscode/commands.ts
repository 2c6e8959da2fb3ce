// Palette, editor context menu and Threads view commands.
import * as vscode from "vscode";
import type { CodexProtocol } from "../protocol/client.js";
import type { Model } from "../protocol/types.js";
import type { ChatSession } from "../state/session.js";
import { describeUndo } from "../state/undo.js";
import type { ApprovalUi } from "./approvalUi.js";
import type { ChatViewProvider } from "./chatView.js";
import { compactConversation, rewindLastTurn, type ContextDeps } from "./context.js";
import { clearReviewFindings, reviewChanges, type ReviewCommandArgs, type ReviewDeps } from "./review.js";
import type { ServerManager } from "./serverManager.js";
import type { ThreadNode, ThreadsProvider } from "./threadsView.js";

export interface CommandDeps {
  protocol: CodexProtocol;
  session: ChatSession;
  server: ServerManager;
  chat: ChatViewProvider;
  threads: ThreadsProvider;
  approvals: ApprovalUi;
  log: vscode.LogOutputChannel;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Wrap a command: errors are logged and shown, never thrown into VS Code. */
function guarded<A extends unknown[]>(log: vscode.LogOutputChannel, name: string, fn: (...args: A) => unknown) {
  return async (...args: A): Promise<void> => {
    try {
      await fn(...args);
    } catch (error) {
      log.error(`${name}: ${errorText(error)}`);
      void vscode.window.showErrorMessage(`Codex: ${errorText(error)}`);
    }
  };
}

function nodeThreadId(node: ThreadNode | string | undefined): string | undefined {
  if (typeof node === "string") return node;
  return node?.kind === "thread" ? node.thread.id : undefined;
}

async function pickThread(d: CommandDeps): Promise<string | undefined> {
  const page = await d.protocol.request("codex/thread/list", {
    cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? null,
    limit: 50,
    sortKey: "updated_at",
  });
  const picked = await vscode.window.showQuickPick(
    page.data.map((t) => ({
      label: t.name ?? (t.preview.split("\n")[0] || "Untitled thread"),
      description: new Date(t.updatedAt * 1000).toLocaleString(),
      detail: `${t.model ?? "default model"} · ${t.id}`,
      id: t.id,
    })),
    { placeHolder: "Resume which thread?", matchOnDetail: true },
  );
  return picked?.id;
}

export async function selectModel(d: CommandDeps): Promise<void> {
  const models: Model[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: Model[]; nextCursor: string | null } = await d.protocol.request("codex/model/list", { cursor, limit: 100 });
    models.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor !== null && models.length < 500);
  const config = vscode.workspace.getConfiguration("codex");
  const currentModel = config.get<string>("model", "");
  const picked = await vscode.window.showQuickPick(
    [
      { label: "Default", description: "use config.toml", model: undefined as Model | undefined },
      ...models.map((m) => ({
        label: m.displayName || m.model,
        description: `${m.model}${m.isDefault ? " · default" : ""}${m.model === currentModel ? " · current" : ""}`,
        detail: m.description,
        model: m,
      })),
    ],
    { placeHolder: "Model for new turns" },
  );
  if (!picked) return;
  await config.update("model", picked.model?.model ?? "", vscode.ConfigurationTarget.Global);
  const efforts = picked.model?.supportedReasoningEfforts ?? [];
  if (efforts.length === 0) return;
  const effort = await vscode.window.showQuickPick(
    efforts.map((e) => ({
      label: e.reasoningEffort,
      description: e.reasoningEffort === picked.model?.defaultReasoningEffort ? "default" : "",
      detail: e.description,
    })),
    { placeHolder: `Reasoning effort for ${picked.model?.model ?? "the model"}` },
  );
  if (effort) await config.update("reasoningEffort", effort.label, vscode.ConfigurationTarget.Global);
}

export function registerCommands(d: CommandDeps): vscode.Disposable[] {
  const { session, log } = d;
  const reg = <A extends unknown[]>(id: string, fn: (...args: A) => unknown) =>
    vscode.commands.registerCommand(id, guarded(log, id, fn));
  const selectionOf = (editor: vscode.TextEditor | undefined) => {
    if (!editor || editor.selection.isEmpty) return undefined;
    const s = editor.selection;
    return {
      uri: editor.document.uri.toString(),
      range: { start: { line: s.start.line, character: s.start.character }, end: { line: s.end.line, character: s.end.character } },
    };
  };

  const reviewDeps = (): ReviewDeps => ({
    session,
    reveal: () => d.chat.reveal(),
    cwd: () => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
  });

  const contextDeps = (): ContextDeps => ({ session, reveal: () => d.chat.reveal() });

  return [
    reg("codex.chat.compact", () => compactConversation(contextDeps())),
    reg("codex.chat.rewindLastTurn", () => rewindLastTurn(contextDeps())),
    reg("codex.reviewChanges", (args?: ReviewCommandArgs) => reviewChanges(reviewDeps(), args)),
    reg("codex.clearReviewFindings", () => clearReviewFindings(reviewDeps())),
    reg("codex.chat.newThread", async () => {
      await session.newThread();
      d.chat.focusInput();
    }),
    reg("codex.chat.ask", async (text?: unknown) => {
      const question =
        typeof text === "string" ? text : await vscode.window.showInputBox({ prompt: "Ask Codex", placeHolder: "What should Codex do?" });
      if (!question) return;
      d.chat.reveal();
      await session.send(question);
    }),
    reg("codex.chat.askAboutSelection", async () => {
      const editor = vscode.window.activeTextEditor;
      const selection = selectionOf(editor);
      if (!editor || !selection) {
        void vscode.window.showInformationMessage("Codex: select some code first.");
        return;
      }
      const question = await vscode.window.showInputBox({
        prompt: `Ask Codex about ${vscode.workspace.asRelativePath(editor.document.uri)}:${editor.selection.start.line + 1}-${editor.selection.end.line + 1}`,
        value: "Explain this code.",
      });
      if (!question) return;
      d.chat.reveal();
      await session.send(question, session.current, selection);
    }),
    reg("codex.chat.interrupt", async () => {
      if (!(await session.interrupt())) void vscode.window.showInformationMessage("Codex: no turn is running.");
    }),
    reg("codex.chat.resumeThread", async (node?: ThreadNode | string) => {
      const threadId = nodeThreadId(node) ?? (await pickThread(d));
      if (!threadId) return;
      await session.openThread(threadId);
      d.chat.reveal();
      d.threads.refresh(0);
    }),
    reg("codex.chat.undoLastTurn", async () => {
      const threadId = session.current;
      if (!threadId) {
        void vscode.window.showInformationMessage("Codex: no thread is open.");
        return;
      }
      const ok = await vscode.window.showWarningMessage(
        "Undo the file changes of the last turn that changed files?",
        { modal: true, detail: "Files go back to how they were before that turn (files you changed since are left alone). The conversation stays, and Codex is told." },
        "Undo",
      );
      if (ok !== "Undo") return;
      const report = describeUndo(await session.undoLastTurn(threadId));
      if (report.warning) void vscode.window.showWarningMessage(report.message);
      else void vscode.window.showInformationMessage(report.message);
    }),
    reg("codex.account.login", async () => {
      const apiKey = await vscode.window.showInputBox({
        prompt: "OpenAI API key for Codex",
        password: true,
        ignoreFocusOut: true,
        placeHolder: "sk-…",
        validateInput: (v) => (v.trim() === "" ? "Enter a key" : undefined),
      });
      if (!apiKey) return;
      await d.protocol.request("codex/account/login/start", { type: "apiKey", apiKey: apiKey.trim() });
      void vscode.window.showInformationMessage("Codex: logged in with an API key.");
    }),
    reg("codex.account.logout", async () => {
      await d.protocol.request("codex/account/logout", null);
      void vscode.window.showInformationMessage("Codex: logged out.");
    }),
    reg("codex.selectModel", () => selectModel(d)),
    reg("codex.showLogs", () => log.show(true)),
    reg("codex.toggleTrace", async () => {
      const on = vscode.workspace.getConfiguration("codex").get<string>("trace.server", "off") === "off";
      await d.server.setTrace(on);
      log.show(true);
      void vscode.window.showInformationMessage(`Codex: wire trace ${on ? "on (see the Codex log)" : "off"}.`);
    }),
    reg("codex.restartServer", () => d.server.restart("requested by the user")),
    reg("codex.openChat", () => d.chat.focusInput()),
    reg("codex.openChatInEditor", () => d.chat.openInEditor()),
    // Threads view.
    reg("codex.threads.refresh", async () => d.threads.load(false)),
    reg("codex.threads.loadMore", async () => d.threads.load(true)),
    reg("codex.threads.open", async (node?: ThreadNode) => {
      const threadId = nodeThreadId(node);
      if (!threadId) return;
      await session.openThread(threadId);
      d.chat.reveal();
      d.threads.refresh(0);
    }),
    reg("codex.threads.fork", async (node?: ThreadNode) => {
      const threadId = nodeThreadId(node) ?? session.current;
      if (!threadId) return;
      await session.fork(threadId);
      d.chat.reveal();
      d.threads.refresh(0);
    }),
    reg("codex.threads.rename", async (node?: ThreadNode) => {
      const threadId = nodeThreadId(node) ?? session.current;
      if (!threadId) return;
      const known = d.threads.find(threadId);
      const name = await vscode.window.showInputBox({
        prompt: "Thread name",
        value: known?.name ?? session.store.meta(threadId)?.title ?? "",
      });
      if (name === undefined || name.trim() === "") return;
      await session.rename(threadId, name.trim());
      d.threads.refresh(0);
    }),
    reg("codex.threads.archive", async (node?: ThreadNode) => {
      const threadId = nodeThreadId(node) ?? session.current;
      if (!threadId) return;
      await session.archive(threadId);
      d.threads.refresh(0);
    }),
    // Proposed-change diff editor title.
    reg("codex.approval.accept", () => {
      if (!d.approvals.answerActive("accept")) void vscode.window.showInformationMessage("Codex: no pending change here.");
    }),
    reg("codex.approval.reject", () => {
      if (!d.approvals.answerActive("decline")) void vscode.window.showInformationMessage("Codex: no pending change here.");
    }),
  ];
}
