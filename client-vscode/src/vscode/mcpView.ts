// The "MCP Servers" tree: each configured MCP server (status icon, error and auth in its
// tooltip) with its tools as children; Reload (`codex/config/mcpServer/reload`) and Log in
// (`codex/mcpServer/oauth/login`, the URL opened in the browser). Kept current by
// `codex/mcpServer/startupStatus/updated` and `codex/mcpServer/oauthLogin/completed`.
import * as vscode from "vscode";
import type { CodexProtocol } from "../protocol/client.js";
import type { McpServerStatus } from "../protocol/types.js";
import { McpServers, type McpToolView, mcpCanLogIn, mcpServerDescription, mcpTools } from "../state/mcp.js";

export const MCP_VIEW_ID = "codex.mcpServers";

export type McpNode =
  | { kind: "server"; server: McpServerStatus }
  | { kind: "tool"; server: string; tool: McpToolView }
  | { kind: "message"; text: string };

const ICONS: Record<McpServerStatus["runtimeStatus"]["status"], [string, string | undefined]> = {
  starting: ["loading~spin", undefined],
  ready: ["pass-filled", "testing.iconPassed"],
  failed: ["error", "errorForeground"],
  cancelled: ["circle-slash", "disabledForeground"],
  disabled: ["circle-outline", "disabledForeground"],
};

export class McpServersProvider implements vscode.TreeDataProvider<McpNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<McpNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly sub: { dispose(): void };

  constructor(
    readonly servers: McpServers,
    private readonly isReady: () => boolean,
  ) {
    this.sub = servers.onDidChange(() => this.emitter.fire(undefined));
  }

  getChildren(element?: McpNode): McpNode[] {
    if (element?.kind === "server") {
      const tools = mcpTools(element.server);
      if (tools.length) return tools.map((tool) => ({ kind: "tool", server: element.server.name, tool }));
      return [{ kind: "message", text: element.server.runtimeStatus.status === "ready" ? "No tools" : "Tools appear once the server is ready" }];
    }
    if (element) return [];
    if (!this.isReady()) return [{ kind: "message", text: "Waiting for the Codex server…" }];
    if (!this.servers.isLoaded) {
      this.servers.refresh();
      return [];
    }
    if (this.servers.error) return [{ kind: "message", text: `Could not list MCP servers: ${this.servers.error}` }];
    if (this.servers.list.length === 0) return [{ kind: "message", text: "No MCP servers in config.toml ([mcp_servers.<name>])" }];
    return this.servers.list.map((server) => ({ kind: "server", server }));
  }

  getTreeItem(node: McpNode): vscode.TreeItem {
    if (node.kind === "message") return new vscode.TreeItem(node.text);
    if (node.kind === "tool") {
      const t = node.tool;
      const item = new vscode.TreeItem(t.name);
      item.id = `${node.server}/${t.name}`;
      item.description = t.description.split("\n")[0] ?? "";
      const md = new vscode.MarkdownString();
      md.appendMarkdown(`**${t.title}** `);
      md.appendText(`(mcp__${node.server}__${t.name})${t.readOnly ? " · read-only" : ""}\n\n${t.description}`);
      item.tooltip = md;
      item.iconPath = new vscode.ThemeIcon(t.readOnly ? "eye" : "tools");
      item.contextValue = "codexMcpTool";
      return item;
    }
    const s = node.server;
    const ready = s.runtimeStatus.status === "ready";
    const item = new vscode.TreeItem(s.name, ready ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
    item.id = `server/${s.name}`;
    item.description = mcpServerDescription(s);
    const [icon, color] = ICONS[s.runtimeStatus.status];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const md = new vscode.MarkdownString();
    md.appendText(`${s.name}: ${item.description}`);
    if (s.runtimeStatus.error) md.appendText(`\n\n${s.runtimeStatus.error}`);
    if (s.authStatus === "notLoggedIn") md.appendText("\n\nThe server asks for OAuth: Log in from its context menu.");
    item.tooltip = md;
    item.contextValue = mcpCanLogIn(s) ? "codexMcpServer.oauth" : "codexMcpServer";
    return item;
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }
}

export interface McpViewDeps {
  servers: McpServers;
  log: vscode.LogOutputChannel;
}

/** The view's commands (also what the manifest test checks). */
export function registerMcpCommands(deps: McpViewDeps): vscode.Disposable[] {
  const failed = (what: string) => (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    deps.log.warn(`${what}: ${message}`);
    void vscode.window.showErrorMessage(`Codex: ${what}: ${message}`);
  };
  return [
    vscode.commands.registerCommand("codex.mcp.refresh", () => deps.servers.load()),
    vscode.commands.registerCommand("codex.mcp.reload", () => deps.servers.reload().catch(failed("could not reload the MCP servers"))),
    vscode.commands.registerCommand("codex.mcp.login", async (node?: McpNode) => {
      let name = node?.kind === "server" ? node.server.name : undefined;
      if (name === undefined) {
        const choices = deps.servers.list.filter(mcpCanLogIn).map((s) => s.name);
        if (choices.length === 0) {
          void vscode.window.showInformationMessage("Codex: no MCP server asks for a login.");
          return;
        }
        name = await vscode.window.showQuickPick(choices, { placeHolder: "Log in to which MCP server?" });
        if (name === undefined) return;
      }
      try {
        const url = await deps.servers.login(name);
        const opened = await vscode.env.openExternal(vscode.Uri.parse(url, true));
        if (!opened) void vscode.window.showInformationMessage(`Codex: open this URL to log in to ${name}: ${url}`);
      } catch (error) {
        failed(`could not log in to ${name}`)(error);
      }
    }),
  ];
}

/** The view, its commands, and what keeps it current. `onServerUp`/`onServerState`: the
 * server manager's events (the list is read again after each start). */
export function registerMcpView(
  protocol: CodexProtocol,
  isReady: () => boolean,
  onServerState: vscode.Event<unknown>,
  log: vscode.LogOutputChannel,
): vscode.Disposable[] {
  const servers = new McpServers(protocol, isReady);
  const provider = new McpServersProvider(servers, isReady);
  const startup = protocol.on("codex/mcpServer/startupStatus/updated", (n) => servers.applyStartup(n));
  const login = protocol.on("codex/mcpServer/oauthLogin/completed", (n) => {
    servers.refresh();
    if (n.success) void vscode.window.showInformationMessage(`Codex: logged in to the MCP server ${n.name}.`);
    else void vscode.window.showErrorMessage(`Codex: login to the MCP server ${n.name} failed${n.error ? `: ${n.error}` : ""}`);
  });
  return [
    provider,
    new vscode.Disposable(() => {
      startup.dispose();
      login.dispose();
      servers.dispose();
    }),
    vscode.window.createTreeView(MCP_VIEW_ID, { treeDataProvider: provider, showCollapseAll: true }),
    onServerState(() => servers.refresh(200)),
    ...registerMcpCommands({ servers, log }),
  ];
}
