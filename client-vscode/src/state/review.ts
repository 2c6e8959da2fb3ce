// Review mode without `vscode` or node: the targets the picker offers, and how a review's
// findings read in the chat (priority, confidence, verdict, location). The chat webview
// bundles this module too.
import type { ReviewFinding, ReviewOutput, ReviewStartParams } from "../protocol/types.js";

export type ReviewTarget = ReviewStartParams["target"];
export type ReviewDelivery = NonNullable<ReviewStartParams["delivery"]>;

export interface GitBranch {
  name: string;
  current: boolean;
}

export interface GitCommit {
  sha: string;
  shortSha: string;
  title: string;
  author: string;
  when: string;
}

/** Field and record separators of the `git` formats below (never in names or subjects). */
const FS = "\x1f";
const RS = "\x1e";

export const BRANCH_FORMAT = `%(HEAD)${FS}%(refname:short)${RS}`;
export const COMMIT_FORMAT = `%H${FS}%h${FS}%s${FS}%an${FS}%ar${RS}`;

/** `git for-each-ref --format=BRANCH_FORMAT refs/heads`: main and master first (the usual
 * base), then the rest in git's order. */
export function parseBranches(output: string): GitBranch[] {
  const branches = output
    .split(RS)
    .map((r) => r.trim())
    .filter((r) => r !== "")
    .map((r) => {
      const [head = "", name = ""] = r.split(FS);
      return { name, current: head.trim() === "*" };
    })
    .filter((b) => b.name !== "");
  const rank = (b: GitBranch) => (b.name === "main" ? 0 : b.name === "master" ? 1 : 2);
  return branches.map((b, i) => ({ b, i })).sort((x, y) => rank(x.b) - rank(y.b) || x.i - y.i).map((x) => x.b);
}

/** `git log --format=COMMIT_FORMAT`. */
export function parseCommits(output: string): GitCommit[] {
  return output
    .split(RS)
    .map((r) => r.replace(/^\n+/, ""))
    .filter((r) => r.trim() !== "")
    .map((r) => {
      const [sha = "", shortSha = "", title = "", author = "", when = ""] = r.split(FS);
      return { sha, shortSha, title, author, when: when.trim() };
    })
    .filter((c) => /^[0-9a-f]{7,64}$/.test(c.sha));
}

/** What the picker and the notifications call a target. */
export function describeTarget(target: ReviewTarget): string {
  switch (target.type) {
    case "baseBranch":
      return `changes against ${target.branch}`;
    case "commit":
      return `commit ${target.sha.slice(0, 7)}${target.title ? `: ${target.title}` : ""}`;
    case "custom":
      return "custom review";
    default:
      return "uncommitted changes";
  }
}

// ---- how findings read -------------------------------------------------------------

export type Priority = ReviewFinding["priority"];

export function priorityLabel(priority: number): string {
  return `P${priority}`;
}

/** The Problems panel's severity for a priority (as the server publishes it). */
export function prioritySeverity(priority: number): "error" | "warning" | "information" {
  return priority <= 1 ? "error" : priority === 2 ? "warning" : "information";
}

/** Confidence as a percentage: the model writes 0..1 (Codex) or, now and then, 0..100. */
export function confidenceLabel(score: number): string {
  if (!Number.isFinite(score)) return "";
  const percent = score <= 1 ? score * 100 : score;
  return `${Math.round(Math.max(0, Math.min(100, percent)))}%`;
}

/** "good", "bad" or "neutral", for the verdict's colour. */
export function verdictTone(overallCorrectness: string): "good" | "bad" | "neutral" {
  const v = overallCorrectness.toLowerCase();
  if (/\b(incorrect|not correct|wrong|fail)/.test(v)) return "bad";
  if (/\b(correct|ok|good|pass)/.test(v)) return "good";
  return "neutral";
}

/** `path:12` or `path:12-14`, the path relative to `cwd` when inside it. */
export function findingLocation(finding: Pick<ReviewFinding, "codeLocation">, cwd: string | null): string {
  const { absoluteFilePath: file, lineRange } = finding.codeLocation;
  const shown = cwd && file.startsWith(`${cwd.replace(/\/+$/, "")}/`) ? file.slice(cwd.replace(/\/+$/, "").length + 1) : file;
  const lines = lineRange.end > lineRange.start ? `${lineRange.start}-${lineRange.end}` : `${lineRange.start}`;
  return `${shown}:${lines}`;
}

/** One line per finding count and the worst priority ("2 findings, worst P1"). */
export function summarizeFindings(output: ReviewOutput): string {
  const n = output.findings.length;
  if (n === 0) return "No findings";
  const worst = Math.min(...output.findings.map((f) => f.priority));
  return `${n} finding${n === 1 ? "" : "s"}, worst ${priorityLabel(worst)}`;
}
