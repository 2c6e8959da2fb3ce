import { describe, expect, it } from "vitest";
import { Backoff, resolveServerCommand } from "../../src/server/launch.js";
import { editorSettings, launchSettings, sandboxPolicy, turnOverrides, type SettingsReader } from "../../src/state/settings.js";

function reader(values: Record<string, unknown>): SettingsReader {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

describe("settings", () => {
  it("sends only what the user set (config.toml decides the rest)", () => {
    expect(editorSettings(reader({ model: "", reasoningEffort: "", approvalPolicy: "" }))).toEqual({});
    expect(
      editorSettings(
        reader({ model: " gpt-5.1-codex ", reasoningEffort: "high", approvalPolicy: "untrusted", sandboxMode: "workspace-write", networkAccess: false, writableRoots: ["/tmp/x", 3], reasoningEffortBogus: 1 }),
      ),
    ).toEqual({ model: "gpt-5.1-codex", reasoningEffort: "high", approvalPolicy: "untrusted", sandboxMode: "workspace-write", networkAccess: false, writableRoots: ["/tmp/x"] });
  });

  it("drops values outside the protocol's enums", () => {
    expect(editorSettings(reader({ reasoningEffort: "extreme", sandboxMode: "yolo" }))).toEqual({});
  });

  it("maps the sandbox mode to a per-turn sandbox policy", () => {
    expect(sandboxPolicy({ sandboxMode: "read-only" })).toEqual({ type: "readOnly" });
    expect(sandboxPolicy({ sandboxMode: "workspace-write", writableRoots: ["/a"], networkAccess: true })).toEqual({ type: "workspaceWrite", writableRoots: ["/a"], networkAccess: true });
    expect(sandboxPolicy({ sandboxMode: "danger-full-access" })).toEqual({ type: "dangerFullAccess" });
    expect(sandboxPolicy({})).toBeUndefined();
    expect(turnOverrides({ model: "m", reasoningEffort: "low", approvalPolicy: "never" })).toEqual({ model: "m", effort: "low", approvalPolicy: "never" });
  });

  it("reads the launch settings", () => {
    expect(launchSettings(reader({ "server.path": "/opt/codex-lsp", "server.args": ["--log-level", 2], "server.env": { CODEX_HOME: "/h", BAD: 1 } }))).toEqual({
      path: "/opt/codex-lsp",
      args: ["--log-level"],
      env: { CODEX_HOME: "/h" },
    });
  });
});

describe("server command", () => {
  const none = () => false;
  it("prefers codex.server.path", () => {
    expect(resolveServerCommand({ path: "/x/codex-lsp", args: ["-v"], env: {} }, "/venv/bin/python", () => true)).toEqual({ command: "/x/codex-lsp", args: ["-v"], source: "setting" });
  });
  it("uses the selected Python environment when it has codex-lsp", () => {
    const exists = (f: string) => f === "/venv/bin/codex-lsp";
    expect(resolveServerCommand({ path: "", args: [], env: {} }, "/venv/bin/python", exists, "linux")).toEqual({ command: "/venv/bin/codex-lsp", args: [], source: "python" });
  });
  it("falls back to codex-lsp on PATH", () => {
    expect(resolveServerCommand({ path: "", args: [], env: {} }, "/venv/bin/python", none, "linux").source).toBe("path");
    expect(resolveServerCommand({ path: "", args: [], env: {} }, undefined, none).command).toBe("codex-lsp");
  });
});

describe("restart backoff", () => {
  it("doubles up to a cap, gives up after the attempts, and resets after a healthy run", () => {
    const b = new Backoff(1000, 8000, 60_000, 5);
    b.started(0);
    expect([b.crashed(10), b.crashed(20), b.crashed(30), b.crashed(40), b.crashed(50)]).toEqual([1000, 2000, 4000, 8000, 8000]);
    expect(b.crashed(60)).toBeUndefined();
    b.started(100);
    expect(b.crashed(100 + 60_000)).toBe(1000);
  });
});
