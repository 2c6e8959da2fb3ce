// package.json contributions agree with the code: every command is registered, menus and
// keybindings name real commands, settings the code reads are declared, view ids match.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { editorSettings, launchSettings } from "../../src/state/settings.js";
import { CHAT_VIEW_ID } from "../../src/vscode/chatView.js";
import { registerCommands, type CommandDeps } from "../../src/vscode/commands.js";
import { THREADS_VIEW_ID } from "../../src/vscode/threadsView.js";
import { MCP_VIEW_ID, registerMcpCommands, type McpViewDeps } from "../../src/vscode/mcpView.js";
import { registerRulesCommands, type RulesDeps } from "../../src/vscode/rules.js";
import { commands } from "./vscodeStub.js";

interface Manifest {
  contributes: {
    commands: { command: string }[];
    menus: Record<string, { command: string }[]>;
    keybindings: { command: string; key: string; mac?: string; linux?: string; win?: string }[];
    configuration: { properties: Record<string, unknown> };
    views: Record<string, { id: string }[]>;
    viewsContainers: { activitybar: { id: string }[] };
  };
  activationEvents: string[];
  main: string;
}

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "package.json"), "utf8")) as Manifest;
/** Every key VS Code 1.139 binds by default, per platform (scripts/default-keybindings.mjs). */
const DEFAULT_KEYS = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "default-keybindings.json"), "utf8")) as Record<"linux" | "mac" | "windows", string[]>;

/** A key as VS Code writes it in its defaults (modifiers in its order), lower case. */
const MODIFIERS = ["ctrl", "shift", "alt", "cmd", "meta", "win"];
function normalizeKey(key: string): string {
  return key
    .toLowerCase()
    .split(" ")
    .filter((chord) => chord !== "")
    .map((chord) => {
      const parts = chord.split("+");
      const last = parts.pop() ?? "";
      return [...parts.sort((a, b) => MODIFIERS.indexOf(a) - MODIFIERS.indexOf(b)), last].join("+");
    })
    .join(" ");
}

/** The default keys `key` would take: the same key, or one of a chord it starts or ends. */
function clashes(key: string, defaults: readonly string[]): string[] {
  const ours = normalizeKey(key);
  return defaults.map(normalizeKey).filter((d) => d === ours || d.startsWith(`${ours} `) || ours.startsWith(`${d} `));
}
const contributed = manifest.contributes.commands.map((c) => c.command).sort();

// The server's own commands, registered by vscode-languageclient from executeCommandProvider.
const SERVER_COMMANDS = ["codex.newThread", "codex.ask", "codex.interrupt", "codex.resumeThread", "codex.review", "codex.clearReview", "codex.login", "codex.undoTurn", "codex.compact", "codex.revert"];

describe("package.json", () => {
  it("registers exactly the contributed commands, none clashing with the server's", () => {
    const disposables = [...registerCommands({} as CommandDeps), ...registerMcpCommands({} as McpViewDeps), ...registerRulesCommands({} as RulesDeps)];
    const registered = [...commands.registered.keys()].sort();
    for (const d of disposables) d.dispose();
    expect(registered).toEqual(contributed);
    expect(contributed.filter((c) => SERVER_COMMANDS.includes(c))).toEqual([]);
  });

  it("names only contributed commands in menus and keybindings", () => {
    const named = [...Object.values(manifest.contributes.menus).flat(), ...manifest.contributes.keybindings].map((m) => m.command);
    expect(named.filter((c) => !contributed.includes(c))).toEqual([]);
  });

  it("takes no key VS Code binds by default (Ctrl+Alt+I is its Chat), on Linux, Windows or macOS", () => {
    for (const list of [DEFAULT_KEYS.linux, DEFAULT_KEYS.mac, DEFAULT_KEYS.windows]) expect(list.filter((k) => normalizeKey(k) !== k.toLowerCase())).toEqual([]);
    expect(DEFAULT_KEYS.linux).toContain("ctrl+alt+i");
    const taken = manifest.contributes.keybindings.flatMap((kb) => [
      ...clashes(kb.linux ?? kb.key, DEFAULT_KEYS.linux).map((d) => `${kb.command}: ${d} (Linux)`),
      ...clashes(kb.win ?? kb.key, DEFAULT_KEYS.windows).map((d) => `${kb.command}: ${d} (Windows)`),
      ...clashes(kb.mac ?? kb.key, DEFAULT_KEYS.mac).map((d) => `${kb.command}: ${d} (macOS)`),
    ]);
    expect(taken).toEqual([]);
    expect(manifest.contributes.keybindings.map((kb) => [kb.command, kb.key, kb.mac])).toEqual([
      ["codex.openChat", "ctrl+alt+x", "cmd+alt+x"],
      ["codex.chat.askAboutSelection", "ctrl+alt+k", "ctrl+cmd+k"],
      ["codex.approval.accept", "ctrl+alt+a", "cmd+alt+a"],
      ["codex.approval.reject", "ctrl+shift+alt+backspace", "shift+cmd+alt+backspace"],
    ]);
  });

  it("declares every setting the code reads", () => {
    const read = new Set<string>(["approvals.commandPrompt", "approvals.openDiff", "trace.server"]);
    const reader = { get: <T>(key: string): T | undefined => (read.add(key), undefined) };
    editorSettings(reader);
    launchSettings(reader);
    const declared = Object.keys(manifest.contributes.configuration.properties);
    expect([...read].map((k) => `codex.${k}`).filter((k) => !declared.includes(k))).toEqual([]);
  });

  it("has the views the code registers, in their own activity-bar container", () => {
    const container = manifest.contributes.viewsContainers.activitybar[0]?.id ?? "";
    expect(manifest.contributes.views[container]?.map((v) => v.id)).toEqual([CHAT_VIEW_ID, THREADS_VIEW_ID, MCP_VIEW_ID]);
    expect(manifest.main).toBe("./dist/extension.js");
  });
});
