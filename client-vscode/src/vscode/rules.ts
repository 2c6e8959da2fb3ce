// Codex: Remembered Commands: the command prefixes "Always allow" stored (per workspace
// root, read with `codex/config/read`), in a quick pick; picking one (and confirming)
// removes it, so Codex asks again before running such commands.
import * as path from "node:path";
import * as vscode from "vscode";
import type { CodexProtocol } from "../protocol/client.js";
import { formatPrefix } from "../state/commandApproval.js";
import { RememberedRules, type RememberedRule } from "../state/rules.js";

export const RULES_COMMAND = "codex.rules.show";

export interface RulesDeps {
  protocol: CodexProtocol;
  /** The workspace root (its rules are listed first). */
  root: () => string | undefined;
  log: vscode.LogOutputChannel;
}

interface RuleItem extends vscode.QuickPickItem {
  rule: RememberedRule;
}

/** Where a rule applies, as the list says it. */
function folderLabel(cwd: string, root: string | undefined): string {
  if (cwd === root) return "this workspace";
  const home = process.env.HOME;
  return home && cwd.startsWith(`${home}${path.sep}`) ? `~${cwd.slice(home.length)}` : cwd;
}

export async function showRememberedCommands(deps: RulesDeps): Promise<void> {
  const rules = new RememberedRules(deps.protocol);
  const root = deps.root();
  const failed = (what: string, error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    deps.log.warn(`${what}: ${message}`);
    void vscode.window.showErrorMessage(`Codex: ${what}: ${message}`);
  };
  let list: RememberedRule[];
  try {
    list = await rules.list(root);
  } catch (error) {
    failed("could not read the remembered commands", error);
    return;
  }
  if (list.length === 0) {
    void vscode.window.showInformationMessage('Codex: no remembered commands. "Always allow" on a command approval adds one.');
    return;
  }
  const items: RuleItem[] = list.map((rule) => ({
    label: formatPrefix(rule.prefix),
    description: folderLabel(rule.cwd, root),
    detail: `Commands starting with this run without asking in ${rule.cwd} (still in the sandbox)`,
    rule,
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title: "Codex: Remembered Commands",
    placeHolder: "Commands Codex runs without asking: pick one to forget it",
    matchOnDescription: true,
  });
  if (!picked) return;
  const prefix = formatPrefix(picked.rule.prefix);
  const FORGET = "Forget";
  const confirm = await vscode.window.showWarningMessage(
    `Forget "${prefix}"?`,
    { modal: true, detail: `Codex will ask again before running commands starting with "${prefix}" in ${picked.rule.cwd}.` },
    FORGET,
  );
  if (confirm !== FORGET) return;
  try {
    const removed = await rules.remove(picked.rule, root);
    deps.log.info(`remembered command "${prefix}" in ${picked.rule.cwd}: ${removed ? "removed" : "already gone"}`);
    void vscode.window.showInformationMessage(removed ? `Codex: forgot "${prefix}"; commands starting with it are asked about again.` : `Codex: "${prefix}" was no longer remembered.`);
  } catch (error) {
    failed(`could not forget "${prefix}"`, error);
  }
}

export function registerRulesCommands(deps: RulesDeps): vscode.Disposable[] {
  return [vscode.commands.registerCommand(RULES_COMMAND, () => showRememberedCommands(deps))];
}
