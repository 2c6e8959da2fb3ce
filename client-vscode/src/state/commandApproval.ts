// What a command approval offers and says, shared by VS Code's modal prompt and the chat
// card (no `vscode`, no DOM): the buttons (with "Always allow <prefix>" when the server
// proposes a remembered rule), and the model's risk assessment as text.
import type { ApprovalDecision, CommandRisk, RiskLevel } from "../protocol/types.js";

export interface CommandChoice {
  /** The button's label. */
  label: string;
  decision: ApprovalDecision;
  /** What the button does (its tooltip on the card). */
  title: string;
}

/** A word of an argv prefix as a shell would need it (quoted when it has to be). */
function shellWord(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/** An argv prefix as one line (`npm test`, `git 'log -1'`). */
export function formatPrefix(prefix: readonly string[]): string {
  return prefix.map(shellWord).join(" ");
}

/** The label of the "Always allow" button for `prefix`. */
export function alwaysAllowLabel(prefix: readonly string[]): string {
  return `Always allow "${formatPrefix(prefix)}"`;
}

/** The answer that runs the command and remembers `prefix` for its folder. */
export function amendmentDecision(prefix: readonly string[]): ApprovalDecision {
  return { acceptWithExecpolicyAmendment: { execpolicy_amendment: [...prefix] } };
}

/** The buttons of a command approval, in order. "… and continue" declines and lets the
 * turn go on; "Stop the turn" declines and interrupts it. `amendment`: the prefix the server
 * proposes to remember (`proposedExecpolicyAmendment`), or null. */
export function commandChoices(amendment: readonly string[] | null | undefined): CommandChoice[] {
  const choices: CommandChoice[] = [
    { label: "Run", decision: "accept", title: "Run this command" },
    { label: "Run and don't ask again", decision: "acceptForSession", title: "Run it, and this exact command again without asking in this thread" },
  ];
  if (amendment && amendment.length > 0) {
    const prefix = formatPrefix(amendment);
    choices.push({
      label: alwaysAllowLabel(amendment),
      decision: amendmentDecision(amendment),
      title: `Run it, and from now on every command starting with "${prefix}" in this folder without asking (still in the sandbox; Codex: Remembered Commands lists and removes them)`,
    });
  }
  choices.push(
    { label: "Decline and continue", decision: "decline", title: "Don't run it; Codex is told and goes on" },
    { label: "Stop the turn", decision: "cancel", title: "Don't run it, and stop what Codex is doing" },
  );
  return choices;
}

const LEVELS: Record<RiskLevel, string> = { low: "Low risk", medium: "Medium risk", high: "High risk" };

/** "High risk" for a level (unknown levels as they come). */
export function riskLabel(level: RiskLevel): string {
  return LEVELS[level] ?? `${String(level)} risk`;
}

/** The assessment as lines of plain text (the modal prompt's detail), empty without one. */
export function riskLines(risk: CommandRisk | null | undefined): string[] {
  if (!risk) return [];
  const lines = [`${riskLabel(risk.riskLevel)}: ${risk.description.trim() || "no description"}`];
  if (risk.riskCategories.length) lines.push(`Categories: ${risk.riskCategories.join(", ")}`);
  return lines;
}

/** A decision as a log line says it (`accept`, `always allow "npm test"`). */
export function describeDecision(decision: ApprovalDecision): string {
  if (typeof decision === "string") return decision;
  return `always allow "${formatPrefix(decision.acceptWithExecpolicyAmendment.execpolicy_amendment)}"`;
}
