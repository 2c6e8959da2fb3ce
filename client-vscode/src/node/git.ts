// Local branches and recent commits for the review target picker: `git` run as a child
// process in the workspace folder (no shell, bounded in time and output). No `vscode` import.
import { execFile } from "node:child_process";
import { BRANCH_FORMAT, COMMIT_FORMAT, parseBranches, parseCommits, type GitBranch, type GitCommit } from "../state/review.js";

const TIMEOUT_MS = 10_000;
const MAX_OUTPUT = 4 * 1024 * 1024;

/** Run `git args` in `cwd`; rejects with git's own message when it fails. */
export function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      { cwd, timeout: TIMEOUT_MS, maxBuffer: MAX_OUTPUT, windowsHide: true, env: { ...process.env, GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" } },
      (error, stdout, stderr) => {
        if (error) {
          const why = stderr.trim().split("\n")[0] || error.message;
          reject(new Error(`git ${args[0] ?? ""}: ${why}`));
          return;
        }
        resolve(stdout);
      },
    );
  });
}

/** Local branches, main/master first. */
export async function localBranches(cwd: string): Promise<GitBranch[]> {
  return parseBranches(await git(cwd, ["for-each-ref", `--format=${BRANCH_FORMAT}`, "refs/heads"]));
}

/** The last `count` commits of HEAD (none in a repository without commits). */
export async function recentCommits(cwd: string, count = 30): Promise<GitCommit[]> {
  try {
    return parseCommits(await git(cwd, ["log", `-n${count}`, `--format=${COMMIT_FORMAT}`]));
  } catch (error) {
    // A fresh repository: "does not have any commits yet".
    if (/does not have any commits|bad default revision/i.test(String(error))) return [];
    throw error;
  }
}
