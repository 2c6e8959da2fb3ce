// MCP servers and MCP tool calls, without `vscode`: the servers' statuses as
// `codex/mcpServerStatus/list` and `codex/mcpServer/startupStatus/updated` report them (the
// "MCP Servers" view renders them), and the chat card of an `mcpToolCall` item.
import type { CodexProtocol } from "../protocol/client.js";
import type { McpServerStatus, McpServerStatusListResult, McpStartupStatusNotification, McpToolCallItem } from "../protocol/types.js";
import type { ApprovalState, ItemStatus } from "./transcript.js";

// ---- tool-call cards --------------------------------------------------------------------

/** An image an MCP tool returned (shown as a thumbnail). */
export interface McpImage {
  mimeType: string;
  data: string;
}

/** The chat card of an `mcpToolCall` item. */
export interface McpEntry {
  kind: "mcp";
  id: string;
  turnId: string | null;
  server: string;
  tool: string;
  status: ItemStatus;
  /** The arguments as pretty JSON ("" when there are none). */
  arguments: string;
  /** `codex/item/mcpToolCall/progress` messages, in order. */
  progress: string[];
  /** The result's text blocks (other non-image blocks as JSON), joined. */
  resultText: string;
  /** The structured content as pretty JSON, or null. */
  structured: string | null;
  images: McpImage[];
  error: string | null;
  durationMs: number | null;
  approval: ApprovalState | null;
}

const IMAGE_TYPES = /^image\/(png|jpeg|gif|webp)$/;

/** Text and images of MCP content blocks. */
export function mcpContent(content: readonly Record<string, unknown>[]): { text: string; images: McpImage[] } {
  const texts: string[] = [];
  const images: McpImage[] = [];
  for (const block of content) {
    if (block.type === "text" && typeof block.text === "string") {
      texts.push(block.text);
    } else if (block.type === "image" && typeof block.data === "string" && typeof block.mimeType === "string" && IMAGE_TYPES.test(block.mimeType)) {
      images.push({ mimeType: block.mimeType, data: block.data });
    } else {
      texts.push(JSON.stringify(block));
    }
  }
  return { text: texts.join("\n"), images };
}

function pretty(value: Record<string, unknown> | null | undefined): string {
  return value && Object.keys(value).length > 0 ? JSON.stringify(value, null, 2) : "";
}

/** The card of an `mcpToolCall` item; `prior`: the card so far (its progress and approval). */
export function mcpEntry(item: McpToolCallItem, turnId: string | null, done: boolean, prior: McpEntry | undefined): McpEntry {
  const { text, images } = mcpContent(item.result?.content ?? []);
  const structured = pretty(item.result?.structuredContent);
  return {
    kind: "mcp",
    id: item.id,
    turnId,
    server: item.server,
    tool: item.tool,
    status: item.status,
    arguments: pretty(item.arguments),
    progress: prior?.progress ?? [],
    resultText: text,
    // Structured content usually repeats the text: shown only when it says more.
    structured: structured !== "" && structured !== text && JSON.stringify(item.result?.structuredContent) !== text ? structured : null,
    images,
    error: item.error?.message ?? null,
    durationMs: item.durationMs,
    approval: done ? null : (prior?.approval ?? null),
  };
}

// ---- servers -----------------------------------------------------------------------------

export type McpRunState = McpServerStatus["runtimeStatus"]["status"];

export interface McpToolView {
  name: string;
  title: string;
  description: string;
  readOnly: boolean;
}

/** A server's tools, by name. */
export function mcpTools(server: McpServerStatus): McpToolView[] {
  return Object.entries(server.tools)
    .map(([name, tool]) => {
      const t = tool ?? {};
      const annotations = (t.annotations ?? {}) as Record<string, unknown>;
      return {
        name,
        title: typeof t.title === "string" ? t.title : typeof annotations.title === "string" ? annotations.title : name,
        description: typeof t.description === "string" ? t.description.trim() : "",
        readOnly: annotations.readOnlyHint === true,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

const RUN_LABEL: Record<McpRunState, string> = {
  starting: "starting",
  ready: "ready",
  failed: "failed",
  cancelled: "cancelled",
  disabled: "disabled",
};

const AUTH_LABEL: Record<McpServerStatus["authStatus"], string> = {
  unsupported: "",
  notLoggedIn: "not logged in",
  bearerToken: "bearer token",
  oAuth: "logged in (OAuth)",
};

/** One line under the server's name: its state, tool count and auth. */
export function mcpServerDescription(server: McpServerStatus): string {
  const parts = [RUN_LABEL[server.runtimeStatus.status]];
  if (server.runtimeStatus.status === "ready") {
    const n = Object.keys(server.tools).length;
    parts.push(`${n} tool${n === 1 ? "" : "s"}`);
  }
  const auth = AUTH_LABEL[server.authStatus];
  if (auth) parts.push(auth);
  return parts.join(" · ");
}

/** Whether the server can be logged in to (an HTTP server that asks for OAuth). */
export function mcpCanLogIn(server: McpServerStatus): boolean {
  return server.authStatus === "notLoggedIn" || server.authStatus === "oAuth";
}

/** Every page of `codex/mcpServerStatus/list`. */
export async function listMcpServers(protocol: CodexProtocol, pageSize = 100): Promise<McpServerStatus[]> {
  const all: McpServerStatus[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const result: McpServerStatusListResult = await protocol.request("codex/mcpServerStatus/list", { cursor, limit: pageSize });
    all.push(...result.data);
    cursor = result.nextCursor;
    if (cursor === null) break;
  }
  return all;
}

/** The configured servers as the server last reported them, kept current by the startup
 * notifications (a full list follows each, debounced, for the tools). */
export class McpServers {
  private servers: McpServerStatus[] = [];
  private loadError: string | null = null;
  private loaded = false;
  private readonly listeners = new Set<() => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0;

  constructor(
    private readonly protocol: CodexProtocol,
    private readonly isReady: () => boolean = () => true,
  ) {}

  get list(): readonly McpServerStatus[] {
    return this.servers;
  }

  get error(): string | null {
    return this.loadError;
  }

  get isLoaded(): boolean {
    return this.loaded;
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  /** A server's startup status changed: shown at once; the full list is read after `delayMs`. */
  applyStartup(n: McpStartupStatusNotification, delayMs = 250): void {
    const server = this.servers.find((s) => s.name === n.name);
    if (server) {
      server.runtimeStatus = { status: n.status, error: n.error };
      if (n.status !== "ready") server.tools = {};
    } else {
      const added: McpServerStatus = { name: n.name, authStatus: "unsupported", tools: {}, resources: [], resourceTemplates: [], runtimeStatus: { status: n.status, error: n.error } };
      this.servers = [...this.servers, added].sort((a, b) => a.name.localeCompare(b.name));
    }
    this.changed();
    this.refresh(delayMs);
  }

  /** Read the list again (debounced). */
  refresh(delayMs = 0): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.load();
    }, delayMs);
  }

  /** Read the list now; a later load wins over an earlier one still running. */
  async load(): Promise<void> {
    const generation = ++this.generation;
    if (!this.isReady()) {
      this.loaded = false;
      this.servers = [];
      this.changed();
      return;
    }
    try {
      const servers = await listMcpServers(this.protocol);
      if (generation !== this.generation) return;
      this.servers = servers;
      this.loadError = null;
    } catch (error) {
      if (generation !== this.generation) return;
      this.loadError = error instanceof Error ? error.message : String(error);
    }
    this.loaded = true;
    this.changed();
  }

  /** `codex/config/mcpServer/reload`: config.toml read again, servers restarted. */
  async reload(): Promise<void> {
    await this.protocol.request("codex/config/mcpServer/reload", null);
    await this.load();
  }

  /** `codex/mcpServer/oauth/login`: the URL to open in a browser. */
  async login(name: string): Promise<string> {
    const result = await this.protocol.request("codex/mcpServer/oauth/login", { name });
    return result.authorizationUrl;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.listeners.clear();
  }
}
