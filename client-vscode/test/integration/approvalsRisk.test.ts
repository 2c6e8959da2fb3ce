// Approvals that inform and remember, through the extension's modules against the real
// codex-lsp and the mock model: a command approval carries the model's risk assessment and
// a proposed prefix; "Always allow" (as the prompt and the card answer it) runs the command
// and the next one with that prefix runs without asking; Codex: Remembered Commands reads
// the rule and forgets it, after which such a command is asked about again. A web search
// becomes a card with its query.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { nextNotification } from "../../src/protocol/client.js";
import type { ApprovalDecision, CommandApprovalParams } from "../../src/protocol/types.js";
import { commandChoices } from "../../src/state/commandApproval.js";
import { RememberedRules } from "../../src/state/rules.js";
import type { CommandEntry, WebSearchEntry } from "../../src/state/transcript.js";
import { PYTHON, SERVER, mockRigs, type SessionRig } from "./harness.js";

const available = SERVER !== undefined && PYTHON !== undefined;
const DESCRIPTION = "Creates an empty file in the project.";
const QUERY = "vscode 1.139 release notes";

function shell(argv: string[], callId: string): unknown {
  return { items: [{ type: "function_call", name: "shell", arguments: JSON.stringify({ command: argv }), call_id: callId }] };
}

function message(text: string): unknown {
  return { items: [{ type: "message", text }] };
}

/** The mock's answer to the server's risk assessment request. */
function assessment(level: string, categories: string[]): unknown {
  return message(JSON.stringify({ description: DESCRIPTION, risk_level: level, risk_categories: categories }));
}

/** Send `text` on a new or the given thread; resolves once the turn completed. */
async function turn(r: SessionRig, text: string, threadId?: string): Promise<string> {
  const id = threadId ?? (await r.session.newThread()).id;
  const done = nextNotification(r.protocol, "codex/turn/completed", (p) => p.threadId === id, 60_000);
  await r.session.send(text, id);
  expect((await done).turn.status).toBe("completed");
  return id;
}

describe.skipIf(!available)("approvals that inform and remember, web search (real server)", () => {
  const rigs = mockRigs();

  it("shows the risk, remembers the prefix with Always allow, runs the next such command without asking; Remembered Commands forgets it", async () => {
    const r = await rigs.start('approval_policy = "untrusted"\nexperimental_sandbox_command_assessment = true\n');
    const ws = r.dirs.workspace;
    await rigs.mock.enqueue(
      shell(["touch", "one.txt"], "c1"),
      assessment("medium", ["files"]),
      message("Made one."),
      shell(["touch", "two.txt"], "c2"),
      message("Made two."),
      shell(["touch", "three.txt"], "c3"),
      assessment("medium", ["files"]),
      message("Declined."),
    );
    const asked: CommandApprovalParams[] = [];
    const cardLevels: (string | undefined)[] = [];
    let answer: (params: CommandApprovalParams) => ApprovalDecision = () => "decline";
    r.protocol.handle("codex/item/commandExecution/requestApproval", (params) => {
      asked.push(params);
      // What the card shows while it waits (as ApprovalUi sets it).
      r.session.store.setApproval(params.threadId, params.itemId, { key: "k", kind: "command", reason: params.reason, risk: params.risk, amendment: params.proposedExecpolicyAmendment });
      const card = r.session.store.entry(params.threadId, params.itemId) as CommandEntry | undefined;
      cardLevels.push(card?.approval?.risk?.riskLevel);
      return Promise.resolve({ decision: answer(params) });
    });
    // The user picks "Always allow <prefix>", as the modal and the card offer it.
    answer = (params) => {
      const always = commandChoices(params.proposedExecpolicyAmendment).find((c) => typeof c.decision === "object");
      if (!always) throw new Error(`no "Always allow" offered for ${params.command}`);
      return always.decision;
    };
    const threadId = await turn(r, "make one");
    expect(asked).toHaveLength(1);
    const first = asked[0]!;
    expect(first.risk).toEqual({ description: DESCRIPTION, riskLevel: "medium", riskCategories: ["files"] });
    expect(cardLevels).toEqual(["medium"]);
    const prefix = first.proposedExecpolicyAmendment;
    expect(prefix?.[0]).toBe("touch");
    expect(["touch", "one.txt"].slice(0, prefix!.length)).toEqual(prefix);
    expect(fs.existsSync(path.join(ws, "one.txt"))).toBe(true);

    // The same prefix again: no prompt, it runs (the prefix must not cover one.txt only).
    expect(prefix).toEqual(["touch"]);
    await turn(r, "make two", threadId);
    expect(asked).toHaveLength(1);
    expect(fs.existsSync(path.join(ws, "two.txt"))).toBe(true);
    const cards = r.session.store.entries(threadId).filter((e): e is CommandEntry => e.kind === "command");
    expect(cards.map((c) => [c.command.includes("two.txt"), c.status, c.approval])).toContainEqual([true, "completed", null]);

    // Codex: Remembered Commands: the rule, for this workspace; forgetting it writes the rest.
    const rules = new RememberedRules(r.protocol);
    const listed = await rules.list(ws);
    expect(listed.map((rule) => [rule.cwd, rule.prefix])).toEqual([[ws, ["touch"]]]);
    expect(await rules.remove(listed[0]!, ws)).toBe(true);
    expect(await rules.list(ws)).toEqual([]);

    // Asked about again (and declined: nothing runs).
    answer = () => "decline";
    await turn(r, "make three", threadId);
    expect(asked).toHaveLength(2);
    expect(asked[1]?.command).toContain("three.txt");
    expect(fs.existsSync(path.join(ws, "three.txt"))).toBe(false);
  });

  it("shows a web search as a card with its query", async () => {
    const r = await rigs.start("[tools]\nweb_search = true\n");
    await rigs.mock.enqueue({ items: [{ type: "web_search_call", query: QUERY }, { type: "message", text: "Searched." }] });
    const started: string[] = [];
    r.protocol.on("codex/item/started", (n) => {
      if (n.item.type === "webSearch") started.push(n.item.id);
    });
    const threadId = await turn(r, "what is new in vscode?");
    const cards = r.session.store.entries(threadId).filter((e): e is WebSearchEntry => e.kind === "webSearch");
    expect(cards.map((c) => [c.query, c.status])).toEqual([[QUERY, "completed"]]);
    expect(started).toEqual([cards[0]!.id]);
    const tools = ((await rigs.mock.requests()).at(-1)?.body.tools ?? []) as { type?: string }[];
    expect(tools.some((t) => t.type === "web_search")).toBe(true);
  });
});
