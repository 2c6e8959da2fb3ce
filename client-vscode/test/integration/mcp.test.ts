// MCP through the extension's modules against the real codex-lsp, the mock model and a real
// stdio MCP server written here with the `mcp` SDK: the servers' status list (a ready server
// with its tools, a broken one failed with its error) as the MCP Servers view reads it, and
// an MCP tool call's chat card (arguments, progress messages, result, image).
import { describe, expect, it } from "vitest";
import { nextNotification } from "../../src/protocol/client.js";
import { McpServers, mcpServerDescription, mcpTools, type McpEntry } from "../../src/state/mcp.js";
import { PYTHON, SERVER, mockRigs, tempDirs } from "./harness.js";
import { mcpTables, writeMcpServer } from "./mcpServer.js";

const available = SERVER !== undefined && PYTHON !== undefined;

describe.skipIf(!available)("MCP servers and tool calls through the extension's modules", () => {
  const rigs = mockRigs();

  it("lists a ready stdio server with its tools and a failed one; a tool call's card shows progress and the result", async () => {
    const scripts = tempDirs();
    try {
      const script = writeMcpServer(scripts.workspace);
      const r = await rigs.start(`approval_policy = "never"\n${mcpTables(script)}`);
      const servers = new McpServers(r.protocol, () => true);
      r.protocol.on("codex/mcpServer/startupStatus/updated", (n) => servers.applyStartup(n, 50));
      const settled = () => ["weather", "broken"].every((name) => {
        const s = servers.list.find((x) => x.name === name);
        return s !== undefined && s.runtimeStatus.status !== "starting" && (name !== "weather" || Object.keys(s.tools).length > 0);
      });
      // Both servers settle (ready with tools, or failed), as the view sees them.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`MCP servers did not settle: ${JSON.stringify(servers.list.map((s) => s.runtimeStatus))}`)), 60_000);
        const sub = servers.onDidChange(() => {
          if (!settled()) return;
          clearTimeout(timer);
          sub.dispose();
          resolve();
        });
        void servers.load();
      });
      const weather = servers.list.find((s) => s.name === "weather");
      const broken = servers.list.find((s) => s.name === "broken");
      expect(weather?.runtimeStatus).toEqual({ status: "ready", error: null });
      expect(weather?.authStatus).toBe("unsupported");
      expect(mcpTools(weather!).map((t) => [t.name, t.description, t.readOnly])).toEqual([
        ["echo", "Repeat the text.", true],
        ["picture", "A tiny picture.", false],
        ["steps", "Work in steps, reporting progress.", false],
      ]);
      expect(mcpServerDescription(weather!)).toBe("ready · 3 tools");
      expect(broken?.runtimeStatus.status).toBe("failed");
      expect(broken?.runtimeStatus.error).toMatch(/no-such-mcp-server-xyz/);
      servers.dispose();

      // The model calls steps (progress) and picture (an image); the chat's cards follow.
      await rigs.mock.enqueue(
        { items: [{ type: "function_call", name: "mcp__weather__steps", arguments: JSON.stringify({ count: 3 }), call_id: "c_steps" }] },
        { items: [{ type: "function_call", name: "mcp__weather__picture", arguments: "{}", call_id: "c_pic" }] },
        { items: [{ type: "message", text: "Did the steps." }] },
      );
      const thread = await r.session.newThread();
      const done = nextNotification(r.protocol, "codex/turn/completed", () => true, 60_000);
      await r.session.send("Use the weather tools", thread.id);
      expect((await done).turn.status).toBe("completed");
      const cards = r.session.store.entries(thread.id).filter((e): e is McpEntry => e.kind === "mcp");
      expect(cards.map((c) => [c.server, c.tool, c.status])).toEqual([
        ["weather", "steps", "completed"],
        ["weather", "picture", "completed"],
      ]);
      const [steps, picture] = cards;
      expect(JSON.parse(steps!.arguments)).toEqual({ count: 3 });
      expect(steps!.progress).toEqual(["step 1 of 3", "step 2 of 3", "step 3 of 3"]);
      expect(steps!.resultText).toBe("did 3 steps");
      expect(steps!.error).toBeNull();
      expect(typeof steps!.durationMs).toBe("number");
      expect(picture!.images).toHaveLength(1);
      expect(picture!.images[0]?.mimeType).toBe("image/png");
      expect(picture!.images[0]?.data).toMatch(/^iVBOR/);
      // The result reached the model.
      const requests = await rigs.mock.requests();
      expect(JSON.stringify(requests[1]?.body)).toContain("did 3 steps");
    } finally {
      scripts.cleanup();
    }
  });
});
