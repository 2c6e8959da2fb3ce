// MCP state: tool-call cards from mcpToolCall items and progress, and the servers' list
// kept current by startup notifications (over an in-memory endpoint).
import { describe, expect, it } from "vitest";
import { CodexProtocol } from "../../src/protocol/client.js";
import type { CodexNotification, McpServerStatus, McpToolCallItem } from "../../src/protocol/types.js";
import { McpServers, mcpCanLogIn, mcpContent, mcpServerDescription, mcpTools, type McpEntry } from "../../src/state/mcp.js";
import { TranscriptStore } from "../../src/state/transcript.js";
import { FakeEndpoint } from "./fakeEndpoint.js";
import { THREAD, TURN, n, thread } from "./fixtures.js";

const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

function call(overrides: Partial<McpToolCallItem> = {}): McpToolCallItem {
  return { type: "mcpToolCall", id: "mcp_1", server: "demo", tool: "steps", status: "inProgress", arguments: { count: 2 }, result: null, error: null, durationMs: null, ...overrides };
}

function progress(message: string, itemId = "mcp_1"): CodexNotification {
  return { method: "codex/item/mcpToolCall/progress", params: { threadId: THREAD, turnId: TURN, itemId, message } };
}

function server(name: string, overrides: Partial<McpServerStatus> = {}): McpServerStatus {
  return { name, authStatus: "unsupported", tools: {}, resources: [], resourceTemplates: [], runtimeStatus: { status: "ready", error: null }, ...overrides };
}

function storeWithThread(): TranscriptStore {
  const store = new TranscriptStore();
  store.load(thread());
  store.takeChanges(THREAD);
  return store;
}

describe("MCP tool-call cards", () => {
  it("shows server, tool, arguments, progress in order, then the result; progress survives completion", () => {
    const store = storeWithThread();
    store.apply(n.turnStarted());
    store.apply(n.started(call()));
    let card = store.entry(THREAD, "mcp_1") as McpEntry;
    expect(card).toMatchObject({ kind: "mcp", server: "demo", tool: "steps", status: "inProgress", progress: [], resultText: "", error: null });
    expect(JSON.parse(card.arguments)).toEqual({ count: 2 });
    store.apply(progress("step 1 of 2"));
    store.apply(progress("step 2 of 2"));
    store.apply(progress("another item's", "mcp_other"));
    expect((store.entry(THREAD, "mcp_1") as McpEntry).progress).toEqual(["step 1 of 2", "step 2 of 2"]);
    const patch = store.takeChanges(THREAD);
    expect(patch?.entries.map((e) => e.id)).toEqual(["mcp_1"]);
    store.apply(n.completed(call({ status: "completed", result: { content: [{ type: "text", text: "did 2 steps" }], structuredContent: {} }, durationMs: 1500 })));
    card = store.entry(THREAD, "mcp_1") as McpEntry;
    expect(card).toMatchObject({ status: "completed", resultText: "did 2 steps", structured: null, images: [], durationMs: 1500, progress: ["step 1 of 2", "step 2 of 2"] });
  });

  it("shows an error, a declined call, structured content and images", () => {
    const store = storeWithThread();
    store.apply(n.completed(call({ id: "e", status: "failed", error: { message: "broken on purpose: x" } })));
    expect(store.entry(THREAD, "e")).toMatchObject({ status: "failed", error: "broken on purpose: x", resultText: "" });
    store.apply(n.completed(call({ id: "d", status: "declined", arguments: {} })));
    expect(store.entry(THREAD, "d")).toMatchObject({ status: "declined", error: null, arguments: "" });
    const structured = { city: "Oslo", celsius: 21.5 };
    store.apply(n.completed(call({ id: "s", status: "completed", result: { content: [{ type: "text", text: JSON.stringify(structured) }], structuredContent: structured } })));
    expect((store.entry(THREAD, "s") as McpEntry).structured).toBeNull();
    store.apply(n.completed(call({ id: "s2", status: "completed", result: { content: [{ type: "text", text: "Sunny" }], structuredContent: structured } })));
    expect(JSON.parse((store.entry(THREAD, "s2") as McpEntry).structured ?? "null")).toEqual(structured);
    store.apply(n.completed(call({ id: "i", status: "completed", result: { content: [{ type: "image", data: PNG, mimeType: "image/png" }], structuredContent: {} } })));
    expect(store.entry(THREAD, "i")).toMatchObject({ images: [{ mimeType: "image/png", data: PNG }], resultText: "" });
  });

  it("keeps non-text blocks as JSON and drops images of unknown types to text", () => {
    const { text, images } = mcpContent([
      { type: "text", text: "a" },
      { type: "resource_link", uri: "demo://readme" },
      { type: "image", data: "x", mimeType: "image/svg+xml" },
    ]);
    expect(images).toEqual([]);
    expect(text.split("\n")).toEqual(["a", '{"type":"resource_link","uri":"demo://readme"}', '{"type":"image","data":"x","mimeType":"image/svg+xml"}']);
  });

  it("carries approval buttons (a command-style approval of the call) until the call completes", () => {
    const store = storeWithThread();
    store.apply(n.started(call()));
    store.setApproval(THREAD, "mcp_1", { key: "k1", kind: "command", reason: "demo wants to run steps" });
    expect((store.entry(THREAD, "mcp_1") as McpEntry).approval?.key).toBe("k1");
    store.apply(progress("step 1 of 2"));
    expect((store.entry(THREAD, "mcp_1") as McpEntry).approval?.key).toBe("k1");
    store.apply(n.completed(call({ status: "declined" })));
    expect((store.entry(THREAD, "mcp_1") as McpEntry).approval).toBeNull();
  });
});

describe("MCP servers", () => {
  it("describes tools (sorted, read-only marked) and servers", () => {
    const s = server("demo", {
      tools: {
        steps: { name: "steps", description: "Work in steps.\nMore.", inputSchema: {} },
        echo: { name: "echo", description: "Repeat the text.", annotations: { readOnlyHint: true } },
      },
    });
    expect(mcpTools(s)).toEqual([
      { name: "echo", title: "echo", description: "Repeat the text.", readOnly: true },
      { name: "steps", title: "steps", description: "Work in steps.\nMore.", readOnly: false },
    ]);
    expect(mcpServerDescription(s)).toBe("ready · 2 tools");
    expect(mcpServerDescription(server("web", { authStatus: "notLoggedIn", runtimeStatus: { status: "failed", error: "401" } }))).toBe("failed · not logged in");
    expect(mcpCanLogIn(server("web", { authStatus: "notLoggedIn" }))).toBe(true);
    expect(mcpCanLogIn(server("local"))).toBe(false);
  });

  it("lists every page, applies startup notifications at once, then reads the list again", async () => {
    const endpoint = new FakeEndpoint();
    let phase = 0;
    endpoint.answer("codex/mcpServerStatus/list", (p) => {
      const cursor = (p as { cursor: string | null }).cursor;
      if (phase === 0) return cursor === null ? { data: [server("a")], nextCursor: "1" } : { data: [server("b", { runtimeStatus: { status: "starting", error: null } })], nextCursor: null };
      return { data: [server("a"), server("b", { tools: { t: { name: "t" } } })], nextCursor: null };
    });
    const protocol = new CodexProtocol(endpoint);
    const servers = new McpServers(protocol);
    const changes: string[][] = [];
    servers.onDidChange(() => changes.push(servers.list.map((s) => `${s.name}:${s.runtimeStatus.status}`)));
    protocol.on("codex/mcpServer/startupStatus/updated", (p) => servers.applyStartup(p, 0));
    await servers.load();
    expect(servers.isLoaded).toBe(true);
    expect(changes.at(-1)).toEqual(["a:ready", "b:starting"]);
    expect(endpoint.requests("codex/mcpServerStatus/list")).toEqual([{ cursor: null, limit: 100 }, { cursor: "1", limit: 100 }]);

    phase = 1;
    const reread = new Promise<void>((resolve) => {
      const sub = servers.onDidChange(() => {
        if (servers.list.find((s) => s.name === "b")?.tools.t) {
          sub.dispose();
          resolve();
        }
      });
    });
    endpoint.emit("codex/mcpServer/startupStatus/updated", { name: "b", status: "ready", error: null });
    // At once: b is ready (before the list is read again).
    expect(changes.at(-1)).toEqual(["a:ready", "b:ready"]);
    // A server the list did not know yet is added, in name order.
    endpoint.emit("codex/mcpServer/startupStatus/updated", { name: "0new", status: "failed", error: "spawn failed" });
    expect(servers.list[0]?.runtimeStatus).toEqual({ status: "failed", error: "spawn failed" });
    await reread;
    servers.dispose();
  });

  it("reports a failed list, reloads and logs in through the protocol methods", async () => {
    const endpoint = new FakeEndpoint()
      .answer("codex/mcpServerStatus/list", () => {
        throw new Error("boom");
      })
      .answer("codex/config/mcpServer/reload", () => ({}))
      .answer("codex/mcpServer/oauth/login", () => ({ authorizationUrl: "http://127.0.0.1:1/authorize?x=1" }));
    const servers = new McpServers(new CodexProtocol(endpoint));
    await servers.load();
    expect(servers.error).toBe("boom");
    await servers.reload();
    expect(endpoint.sent.map((s) => s.method)).toEqual(["codex/mcpServerStatus/list", "codex/config/mcpServer/reload", "codex/mcpServerStatus/list"]);
    expect(await servers.login("web")).toBe("http://127.0.0.1:1/authorize?x=1");
    expect(endpoint.requests("codex/mcpServer/oauth/login")).toEqual([{ name: "web" }]);
  });

  it("shows nothing while the server is not running", async () => {
    const endpoint = new FakeEndpoint();
    const servers = new McpServers(new CodexProtocol(endpoint), () => false);
    await servers.load();
    expect(servers.isLoaded).toBe(false);
    expect(endpoint.sent).toEqual([]);
  });
});
