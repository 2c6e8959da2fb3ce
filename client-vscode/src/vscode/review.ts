// "Codex: Review Changes" (a picker of review targets, then `codex/review/start` on the
// current thread) and "Codex: Clear Review Findings". The findings reach the Problems panel
// as the server's diagnostics and the chat as the review's card.
import * as vscode from "vscode";
import { localBranches, recentCommits } from "../node/git.js";
import { describeTarget, type ReviewDelivery, type ReviewTarget } from "../state/review.js";
import type { ChatSession } from "../state/session.js";

export interface ReviewDeps {
  session: ChatSession;
  /** Show the chat view. */
  reveal(): void;
  /** The folder git runs in (the workspace's). */
  cwd(): string | undefined;
}

/** What `codex.reviewChanges` may be given (a keybinding's or another extension's args). */
export interface ReviewCommandArgs {
  target?: ReviewTarget;
  delivery?: ReviewDelivery;
  threadId?: string;
}

type Kind = NonNullable<ReviewTarget["type"]>;

const KINDS: { targetKind: Kind; label: string; detail: string }[] = [
  { targetKind: "uncommittedChanges", label: "$(diff) Uncommitted changes", detail: "Staged, unstaged and untracked files against HEAD" },
  { targetKind: "baseBranch", label: "$(git-branch) Against a base branch…", detail: "What this branch changed since it left the base (merge base)" },
  { targetKind: "commit", label: "$(git-commit) A commit…", detail: "One of the last 30 commits" },
  { targetKind: "custom", label: "$(edit) Custom instructions…", detail: "Say what to review" },
];

function needFolder(cwd: string | undefined): string {
  if (cwd === undefined) throw new Error("open a folder to review its changes.");
  return cwd;
}

/** Ask the user what to review; undefined when they dismiss a step. */
export async function pickReviewTarget(cwd: string | undefined): Promise<ReviewTarget | undefined> {
  const choice = await vscode.window.showQuickPick(KINDS, { title: "Codex: Review", placeHolder: "What should Codex review?", matchOnDetail: true });
  if (!choice) return undefined;
  switch (choice.targetKind) {
    case "uncommittedChanges":
      return { type: "uncommittedChanges" };
    case "baseBranch": {
      const branches = await localBranches(needFolder(cwd));
      if (branches.length === 0) throw new Error("this repository has no branches yet.");
      const picked = await vscode.window.showQuickPick(
        branches.map((b) => ({ label: b.name, description: b.current ? "current branch" : "", branch: b.name })),
        { title: "Codex: Review against a base branch", placeHolder: "Base branch (the changes since the merge base are reviewed)" },
      );
      return picked ? { type: "baseBranch", branch: picked.branch } : undefined;
    }
    case "commit": {
      const commits = await recentCommits(needFolder(cwd));
      if (commits.length === 0) throw new Error("this repository has no commits yet.");
      const picked = await vscode.window.showQuickPick(
        commits.map((c) => ({ label: c.title || "(no subject)", description: c.shortSha, detail: `${c.author}, ${c.when}`, commit: c })),
        { title: "Codex: Review a commit", placeHolder: "Commit to review", matchOnDescription: true, matchOnDetail: true },
      );
      return picked ? { type: "commit", sha: picked.commit.sha, title: picked.commit.title } : undefined;
    }
    case "custom": {
      const instructions = await vscode.window.showInputBox({
        title: "Codex: Custom review",
        prompt: "What should the review look at?",
        placeHolder: "e.g. Review src/parser.ts for error handling",
        validateInput: (v) => (v.trim() === "" ? "Say what to review" : undefined),
      });
      return instructions?.trim() ? { type: "custom", instructions: instructions.trim() } : undefined;
    }
  }
}

/** `codex.reviewChanges`: pick a target (unless given), then review on the current thread. */
export async function reviewChanges(d: ReviewDeps, args?: ReviewCommandArgs): Promise<void> {
  const target = args?.target ?? (await pickReviewTarget(d.cwd()));
  if (!target) return;
  d.reveal();
  await d.session.review(target, args?.threadId ?? d.session.current, args?.delivery ?? "inline");
  vscode.window.setStatusBarMessage(`Codex: reviewing ${describeTarget(target)}…`, 5_000);
}

/** `codex.clearReviewFindings`: every review's findings leave the Problems panel. */
export async function clearReviewFindings(d: ReviewDeps): Promise<void> {
  await d.session.clearReview();
  vscode.window.setStatusBarMessage("Codex: review findings cleared", 5_000);
}
