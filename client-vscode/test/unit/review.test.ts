// Review mode's pure parts (target descriptions, how findings read) and the git listing the
// target picker runs, against real repositories made with the `git` program.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localBranches, recentCommits } from "../../src/node/git.js";
import {
  confidenceLabel,
  describeTarget,
  findingLocation,
  parseBranches,
  parseCommits,
  priorityLabel,
  prioritySeverity,
  summarizeFindings,
  verdictTone,
} from "../../src/state/review.js";
import { git as gitIn } from "../integration/harness.js";
import { finding, reviewOutput } from "./fixtures.js";

const HAS_GIT = (() => {
  try {
    execFileSync("git", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

describe("review targets and findings", () => {
  it("describes each target", () => {
    expect(describeTarget({ type: "uncommittedChanges" })).toBe("uncommitted changes");
    expect(describeTarget({ type: "baseBranch", branch: "main" })).toBe("changes against main");
    expect(describeTarget({ type: "commit", sha: "0123456789abcdef", title: "Fix the loop" })).toBe("commit 0123456: Fix the loop");
    expect(describeTarget({ type: "commit", sha: "0123456789abcdef", title: null })).toBe("commit 0123456");
    expect(describeTarget({ type: "custom", instructions: "look at x" })).toBe("custom review");
  });

  it("labels priority, severity, confidence and verdict", () => {
    expect([0, 1, 2, 3].map(priorityLabel)).toEqual(["P0", "P1", "P2", "P3"]);
    expect([0, 1, 2, 3].map(prioritySeverity)).toEqual(["error", "error", "warning", "information"]);
    expect(confidenceLabel(0.8)).toBe("80%");
    expect(confidenceLabel(1)).toBe("100%");
    expect(confidenceLabel(73)).toBe("73%");
    expect(confidenceLabel(Number.NaN)).toBe("");
    expect(verdictTone("patch is incorrect")).toBe("bad");
    expect(verdictTone("patch is correct")).toBe("good");
    expect(verdictTone("unclear")).toBe("neutral");
  });

  it("shows where a finding is, relative to the thread's folder when inside it", () => {
    expect(findingLocation(finding("a", 1, "/ws/src/a.ts", 3, 5), "/ws")).toBe("src/a.ts:3-5");
    expect(findingLocation(finding("a", 1, "/ws/src/a.ts", 3), "/ws/")).toBe("src/a.ts:3");
    expect(findingLocation(finding("a", 1, "/elsewhere/a.ts", 3), "/ws")).toBe("/elsewhere/a.ts:3");
    expect(findingLocation(finding("a", 1, "/wsx/a.ts", 3), "/ws")).toBe("/wsx/a.ts:3");
  });

  it("summarizes the findings by count and worst priority", () => {
    expect(summarizeFindings(reviewOutput([]))).toBe("No findings");
    expect(summarizeFindings(reviewOutput([finding("a", 2, "/a", 1)]))).toBe("1 finding, worst P2");
    expect(summarizeFindings(reviewOutput([finding("a", 2, "/a", 1), finding("b", 0, "/b", 1)]))).toBe("2 findings, worst P0");
  });

  it("parses git's branch and commit listings (main and master first)", () => {
    const branches = parseBranches(" \x1ffeature\x1e\n*\x1fwork\x1e\n \x1fmaster\x1e\n \x1fmain\x1e\n");
    expect(branches).toEqual([
      { name: "main", current: false },
      { name: "master", current: false },
      { name: "feature", current: false },
      { name: "work", current: true },
    ]);
    const sha = "a".repeat(40);
    expect(parseCommits(`${sha}\x1faaaaaaa\x1fFix: a | b\x1fAda\x1f2 days ago\x1e\n`)).toEqual([
      { sha, shortSha: "aaaaaaa", title: "Fix: a | b", author: "Ada", when: "2 days ago" },
    ]);
    expect(parseCommits("")).toEqual([]);
  });
});

describe.skipIf(!HAS_GIT)("git listing for the target picker (real repositories)", () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "codex-review-git-"));
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("lists local branches and the last commits with their titles", async () => {
    const repo = path.join(dir, "repo");
    fs.mkdirSync(repo);
    gitIn(repo, "init", "-q", "-b", "master");
    for (let i = 1; i <= 35; i++) {
      fs.writeFileSync(path.join(repo, "f.txt"), `${i}\n`);
      gitIn(repo, "add", "f.txt");
      gitIn(repo, "commit", "-q", "-m", `Commit number ${i}`, "-m", "A body that is not the title.");
    }
    gitIn(repo, "branch", "zeta");
    gitIn(repo, "checkout", "-q", "-b", "feature/x");
    const branches = await localBranches(repo);
    expect(branches.map((b) => b.name)).toEqual(["master", "feature/x", "zeta"]);
    expect(branches.find((b) => b.current)?.name).toBe("feature/x");
    const commits = await recentCommits(repo);
    expect(commits).toHaveLength(30);
    expect(commits[0]).toMatchObject({ title: "Commit number 35", author: "Ada" });
    expect(commits[0]?.sha).toBe(gitIn(repo, "rev-parse", "HEAD").trim());
    expect(commits.at(-1)?.title).toBe("Commit number 6");
  });

  it("lists nothing in a repository without commits, and names the error outside one", async () => {
    const empty = path.join(dir, "empty");
    fs.mkdirSync(empty);
    gitIn(empty, "init", "-q");
    expect(await recentCommits(empty)).toEqual([]);
    expect(await localBranches(empty)).toEqual([]);
    const plain = path.join(dir, "plain");
    fs.mkdirSync(plain);
    await expect(localBranches(plain)).rejects.toThrow(/git for-each-ref: .*not a git repository/i);
  });
});
