// The Threads tree: this workspace's threads (`codex/thread/list` with `cwd`, paged).
import * as vscode from "vscode";
import type { CodexProtocol } from "../protocol/client.js";
import type { Thread } from "../protocol/types.js";
import { threadTitle } from "../state/transcript.js";

export const THREADS_VIEW_ID = "codex.threads";
const PAGE = 30;

export type ThreadNode = { kind: "thread"; thread: Thread } | { kind: "more" } | { kind: "message"; text: string };

function ago(seconds: number, now = Date.now() / 1000): string {
  const d = Math.max(0, now - seconds);
  if (d < 60) return "just now";
  if (d < 3600) return `${Math.floor(d / 60)} min ago`;
  if (d < 86400) return `${Math.floor(d / 3600)} h ago`;
  return `${Math.floor(d / 86400)} d ago`;
}

export class ThreadsProvider implements vscode.TreeDataProvider<ThreadNode>, vscode.Disposable {
  private threads: Thread[] = [];
  private cursor: string | null = null;
  private loaded = false;
  private error: string | null = null;
  private readonly emitter = new vscode.EventEmitter<ThreadNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly protocol: CodexProtocol,
    private readonly isOpen: (threadId: string) => boolean,
    private readonly isReady: () => boolean,
  ) {}

  private cwd(): string | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }

  /** Reload the first page (debounced: notifications come in bursts). */
  refresh(delayMs = 300): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.load(false);
    }, delayMs);
  }

  async load(more: boolean): Promise<void> {
    if (!this.isReady()) {
      this.loaded = false;
      this.emitter.fire(undefined);
      return;
    }
    try {
      const page = await this.protocol.request("codex/thread/list", {
        cwd: this.cwd() ?? null,
        limit: PAGE,
        sortKey: "updated_at",
        cursor: more ? this.cursor : null,
      });
      this.threads = more ? [...this.threads, ...page.data] : page.data;
      this.cursor = page.nextCursor;
      this.error = null;
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    }
    this.loaded = true;
    this.emitter.fire(undefined);
  }

  find(threadId: string): Thread | undefined {
    return this.threads.find((t) => t.id === threadId);
  }

  getChildren(element?: ThreadNode): ThreadNode[] {
    if (element) return [];
    if (!this.isReady()) return [{ kind: "message", text: "Waiting for the Codex server…" }];
    if (!this.loaded) {
      void this.load(false);
      return [];
    }
    if (this.error) return [{ kind: "message", text: `Could not list threads: ${this.error}` }];
    const nodes: ThreadNode[] = this.threads.map((thread) => ({ kind: "thread", thread }));
    if (this.cursor) nodes.push({ kind: "more" });
    return nodes;
  }

  getTreeItem(node: ThreadNode): vscode.TreeItem {
    if (node.kind === "more") {
      const item = new vscode.TreeItem("Load more…");
      item.command = { command: "codex.threads.loadMore", title: "Load more" };
      return item;
    }
    if (node.kind === "message") return new vscode.TreeItem(node.text);
    const t = node.thread;
    const item = new vscode.TreeItem(threadTitle(t));
    item.id = t.id;
    const open = this.isOpen(t.id);
    item.description = `${open ? "open · " : ""}${ago(t.updatedAt)}`;
    const md = new vscode.MarkdownString();
    md.appendText(`${threadTitle(t)}\n\n`);
    md.appendText(`${t.model ?? "model from config"} · ${t.modelProvider}\n`);
    md.appendText(`created ${new Date(t.createdAt * 1000).toLocaleString()}, updated ${ago(t.updatedAt)}\n`);
    if (t.forkedFromId) md.appendText(`forked from ${t.forkedFromId}\n`);
    md.appendText(t.id);
    item.tooltip = md;
    item.iconPath = new vscode.ThemeIcon(t.status.type === "active" ? "loading~spin" : open ? "comment-discussion" : "comment");
    item.contextValue = "codexThread";
    item.command = { command: "codex.threads.open", title: "Open", arguments: [node] };
    return item;
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.emitter.dispose();
  }
}
