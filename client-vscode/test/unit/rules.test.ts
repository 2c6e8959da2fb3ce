// Remembered commands: the rules as `codex/config/read` shows them (approvals.rules), the
// list written back without one, and the Codex: Remembered Commands quick pick.
import type * as vscodeTypes from "vscode";
import { beforeEach, describe, expect, it } from "vitest";
import { CodexProtocol } from "../../src/protocol/client.js";
import { RULES_KEY_PATH, RememberedRules, parseRules, sortRules, withoutRule } from "../../src/state/rules.js";
import { showRememberedCommands } from "../../src/vscode/rules.js";
import { FakeEndpoint } from "./fakeEndpoint.js";
import { stub } from "./vscodeStub.js";

const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as unknown as vscodeTypes.LogOutputChannel;

const RULES = [
  { cwd: "/other", prefix: ["cargo", "build"] },
  { cwd: "/ws", prefix: ["npm", "test"] },
  { cwd: "/ws", prefix: [] },
  "not a rule",
  { cwd: "/ws", prefix: ["git", "status"] },
];

/** A server whose config holds `rules`; writes of approvals.rules replace them. */
function server(rules: unknown[]): { endpoint: FakeEndpoint; protocol: CodexProtocol; rules: () => unknown[] } {
  let stored = rules;
  const endpoint = new FakeEndpoint()
    .answer("codex/config/read", () => ({ config: { model: "m", approvals: { rules: stored } }, origins: {} }))
    .answer("codex/config/value/write", (p) => {
      const params = p as { keyPath: string; value: unknown[] };
      if (params.keyPath !== RULES_KEY_PATH) throw new Error(`unexpected key ${params.keyPath}`);
      stored = params.value;
      return { status: "ok", version: "v2", filePath: "/home/config.toml", overriddenMetadata: null };
    });
  return { endpoint, protocol: new CodexProtocol(endpoint), rules: () => stored };
}

describe("remembered rules", () => {
  beforeEach(() => stub.reset());

  it("reads approvals.rules (nested or as a dotted key), leaving out entries of another shape", () => {
    const nested = parseRules({ approvals: { rules: RULES } });
    expect(nested.map((r) => [r.cwd, r.prefix.join(" "), r.index])).toEqual([
      ["/other", "cargo build", 0],
      ["/ws", "npm test", 1],
      ["/ws", "git status", 4],
    ]);
    expect(parseRules({ "approvals.rules": RULES })).toEqual(nested);
    expect(parseRules({})).toEqual([]);
    expect(parseRules({ approvals: { rules: "nope" } })).toEqual([]);
    // This workspace's first, then by folder and prefix.
    expect(sortRules(nested, "/ws").map((r) => r.prefix.join(" "))).toEqual(["git status", "npm test", "cargo build"]);
  });

  it("writes back everything else as it was read, malformed entries included", () => {
    const rule = parseRules({ approvals: { rules: RULES } })[1]!;
    expect(withoutRule(RULES, rule)).toEqual([RULES[0], RULES[2], RULES[3], RULES[4]]);
  });

  it("removes a rule by reading the list again and writing the rest to approvals.rules", async () => {
    const s = server(RULES);
    const rules = new RememberedRules(s.protocol);
    const listed = await rules.list("/ws");
    expect(listed.map((r) => r.prefix.join(" "))).toEqual(["git status", "npm test", "cargo build"]);
    // A rule added meanwhile (by another window) stays.
    const added = { cwd: "/ws", prefix: ["make"] };
    s.endpoint.answer("codex/config/read", () => ({ config: { approvals: { rules: [added, ...RULES] } }, origins: {} }));
    expect(await rules.remove(listed[1]!, "/ws")).toBe(true);
    const write = s.endpoint.sent.find((m) => m.method === "codex/config/value/write");
    expect(write?.params).toEqual({ keyPath: "approvals.rules", value: [added, RULES[0], RULES[2], RULES[3], RULES[4]], mergeStrategy: "replace" });
    expect(s.endpoint.sent.find((m) => m.method === "codex/config/read")?.params).toEqual({ cwd: "/ws" });
    // Gone already: nothing written.
    s.endpoint.sent.length = 0;
    s.endpoint.answer("codex/config/read", () => ({ config: { approvals: { rules: [] } }, origins: {} }));
    expect(await rules.remove(listed[1]!, "/ws")).toBe(false);
    expect(s.endpoint.sent.some((m) => m.method === "codex/config/value/write")).toBe(false);
  });

  it("Codex: Remembered Commands lists them; picking one and confirming Forget removes it", async () => {
    const s = server(RULES);
    stub.pickAnswers.push((items) => items.find((i) => i.label === "npm test"));
    stub.nextChoice = "Forget";
    await showRememberedCommands({ protocol: s.protocol, root: () => "/ws", log });
    expect(stub.quickPicks[0]?.labels).toEqual(["git status", "npm test", "cargo build"]);
    expect(stub.quickPicks[0]?.options).toMatchObject({ title: "Codex: Remembered Commands" });
    expect(stub.messages[0]).toMatchObject({ kind: "warning", modal: true, message: 'Forget "npm test"?', items: ["Forget"] });
    expect(stub.messages[0]?.detail).toBe('Codex will ask again before running commands starting with "npm test" in /ws.');
    expect(s.rules()).toEqual([RULES[0], RULES[2], RULES[3], RULES[4]]);
    expect(stub.messages.at(-1)).toMatchObject({ kind: "info", message: 'Codex: forgot "npm test"; commands starting with it are asked about again.' });
  });

  it("writes nothing when the pick or the confirmation is dismissed; says so when there is nothing", async () => {
    const s = server(RULES);
    stub.pickAnswers.push(() => undefined);
    await showRememberedCommands({ protocol: s.protocol, root: () => "/ws", log });
    stub.pickAnswers.push((items) => items[0]);
    await showRememberedCommands({ protocol: s.protocol, root: () => "/ws", log });
    expect(stub.messages.map((m) => m.message)).toEqual(['Forget "git status"?']);
    expect(s.endpoint.sent.some((m) => m.method === "codex/config/value/write")).toBe(false);
    const empty = server([]);
    await showRememberedCommands({ protocol: empty.protocol, root: () => "/ws", log });
    expect(stub.messages.at(-1)).toMatchObject({ kind: "info", message: 'Codex: no remembered commands. "Always allow" on a command approval adds one.' });
    expect(stub.quickPicks).toHaveLength(2);
  });

  it("tells the user when the server cannot be read", async () => {
    const endpoint = new FakeEndpoint();
    await showRememberedCommands({ protocol: new CodexProtocol(endpoint), root: () => "/ws", log });
    expect(stub.messages.at(-1)).toMatchObject({ kind: "error", message: expect.stringContaining("could not read the remembered commands") as unknown });
  });
});
