// Remembered command rules ("Always allow <prefix>"), without `vscode`: what
// `codex/config/read` shows under the key path `approvals.rules` (a list of `{cwd, prefix}`),
// and the list to write back (`codex/config/value/write`, same key path) without one of them.
import type { CodexProtocol } from "../protocol/client.js";
import { formatPrefix } from "./commandApproval.js";

export const RULES_KEY_PATH = "approvals.rules";

export interface RememberedRule {
  /** The workspace root the rule applies in. */
  cwd: string;
  prefix: string[];
  /** Its place in the list as read (what a removal writes back without). */
  index: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The stored list as the server has it (nested under `approvals`, or as a dotted key). */
export function rawRules(config: Record<string, unknown>): unknown[] {
  const approvals = config.approvals;
  const nested = isRecord(approvals) ? approvals.rules : undefined;
  const list = nested ?? config[RULES_KEY_PATH];
  return Array.isArray(list) ? (list as unknown[]) : [];
}

/** The rules in a `codex/config/read` result's config; entries of another shape are left
 * out of the list (and kept when one is removed). */
export function parseRules(config: Record<string, unknown>): RememberedRule[] {
  return parseRuleList(rawRules(config));
}

/** The rules of a stored list (see `parseRules`). */
export function parseRuleList(raw: readonly unknown[]): RememberedRule[] {
  const rules: RememberedRule[] = [];
  raw.forEach((entry, index) => {
    if (!isRecord(entry) || typeof entry.cwd !== "string" || !Array.isArray(entry.prefix)) return;
    const prefix = entry.prefix as unknown[];
    if (prefix.length === 0 || !prefix.every((w): w is string => typeof w === "string")) return;
    rules.push({ cwd: entry.cwd, prefix, index });
  });
  return rules;
}

/** The list to write back once `rule` is removed (everything else as it was read). */
export function withoutRule(raw: readonly unknown[], rule: RememberedRule): unknown[] {
  return raw.filter((_, i) => i !== rule.index);
}

/** Rules of `root` first (then by folder), each folder's by prefix. */
export function sortRules(rules: readonly RememberedRule[], root: string | undefined): RememberedRule[] {
  const rank = (r: RememberedRule) => (root !== undefined && r.cwd === root ? 0 : 1);
  return [...rules].sort((a, b) => rank(a) - rank(b) || a.cwd.localeCompare(b.cwd) || formatPrefix(a.prefix).localeCompare(formatPrefix(b.prefix)));
}

/** The rules as the server has them now, and a way to remove one. */
export class RememberedRules {
  constructor(private readonly protocol: CodexProtocol) {}

  private async readRaw(cwd: string | undefined): Promise<unknown[]> {
    const result = await this.protocol.request("codex/config/read", { cwd: cwd ?? null });
    return rawRules(result.config);
  }

  async list(cwd: string | undefined): Promise<RememberedRule[]> {
    const raw = await this.readRaw(cwd);
    return sortRules(parseRuleList(raw), cwd);
  }

  /** Remove `rule` (read again first, so a rule added meanwhile stays); false when it is no
   * longer there. */
  async remove(rule: Pick<RememberedRule, "cwd" | "prefix">, cwd: string | undefined): Promise<boolean> {
    const raw = await this.readRaw(cwd);
    const same = (r: RememberedRule) => r.cwd === rule.cwd && JSON.stringify(r.prefix) === JSON.stringify(rule.prefix);
    const current = parseRuleList(raw).find(same);
    if (!current) return false;
    // The key path's value is a list; the generated params type says object for any JSON value.
    const value = withoutRule(raw, current) as unknown as Record<string, unknown>;
    await this.protocol.request("codex/config/value/write", { keyPath: RULES_KEY_PATH, value, mergeStrategy: "replace" });
    return true;
  }
}
