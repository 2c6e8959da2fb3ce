// The packaged extension in the real VS Code workbench (code-server 4.139.1 = VS Code
// 1.139.1) in Debian's Chromium, against the real codex-lsp and the mock model: a streamed
// answer in the chat view, then a two-hunk patch reviewed in the native diff editor where
// the user reverts hunk 2 with the diff editor's own arrow and accepts from the editor
// title. Needs `scripts/setup-code-server.sh`; skipped without CODE_SERVER.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { chromium, type Browser, type FrameLocator, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MockModel, PYTHON, SERVER, killTree, mockConfig } from "../integration/harness.js";

const ROOT = path.resolve(__dirname, "..", "..");
const CODE_SERVER = process.env.CODE_SERVER;
const NODE24 = process.env.CODE_SERVER_NODE;
const CHROMIUM = [process.env.CHROMIUM, "/usr/bin/chromium"].find((p) => p && fs.existsSync(p));
const ready = Boolean(CODE_SERVER && NODE24 && CHROMIUM && SERVER && PYTHON);
const ORIGINAL = Array.from({ length: 30 }, (_, i) => `line ${i + 1}\n`).join("");
const PATCH = "*** Begin Patch\n*** Update File: notes.txt\n@@\n line 2\n-line 3\n+line three\n line 4\n@@\n line 25\n-line 26\n+line twenty-six\n line 27\n*** End Patch";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** PIDs of codex-lsp processes started with this CODEX_HOME. */
function serverPids(home: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const environ = fs.readFileSync(`/proc/${entry}/environ`, "utf8");
      if (cmdline.includes("codex-lsp") && environ.split("\0").includes(`CODEX_HOME=${home}`)) pids.push(Number(entry));
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

describe.skipIf(!ready)("extension in the VS Code workbench (code-server)", () => {
  let base: string;
  let mock: MockModel;
  let codeServer: ChildProcess | undefined;
  let browser: Browser;
  let page: Page;
  let chat: FrameLocator;
  const shots = path.join(ROOT, "out", "e2e");

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "codex-workbench-"));
    fs.mkdirSync(shots, { recursive: true });
    const env = { ...process.env, PATH: `${NODE24}:${process.env.PATH}`, XDG_CONFIG_HOME: `${base}/xdg/config`, XDG_DATA_HOME: `${base}/xdg/data` };
    execFileSync("npm", ["run", "package"], { cwd: ROOT, stdio: "ignore", timeout: 120_000 });
    execFileSync(CODE_SERVER!, ["--extensions-dir", `${base}/ext`, "--user-data-dir", `${base}/ud`, "--install-extension", path.join(ROOT, "codex-lsp-vscode.vsix")], { env, stdio: "ignore", timeout: 120_000 });
    mock = await MockModel.start();
    const home = `${base}/home`;
    const ws = `${base}/ws`;
    fs.mkdirSync(home);
    fs.mkdirSync(ws);
    fs.writeFileSync(`${home}/config.toml`, mockConfig(mock.url, 'approval_policy = "untrusted"'));
    fs.writeFileSync(`${ws}/notes.txt`, ORIGINAL);
    fs.mkdirSync(`${base}/ud/User`, { recursive: true });
    fs.writeFileSync(
      `${base}/ud/User/settings.json`,
      JSON.stringify({
        "codex.server.path": SERVER,
        "codex.server.env": { CODEX_HOME: home, MOCK_API_KEY: "test-key" },
        "workbench.startupEditor": "none",
        "security.workspace.trust.enabled": false,
      }),
    );
    const port = await freePort();
    codeServer = spawn(
      CODE_SERVER!,
      ["--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", "--user-data-dir", `${base}/ud`, "--extensions-dir", `${base}/ext`, ws],
      { env, stdio: "ignore", detached: true },
    );
    for (let i = 0; i < 120; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/?folder=${ws}`);
    await page.waitForSelector(".monaco-workbench", { timeout: 60_000 });
    await page.locator('.activitybar [aria-label^="Codex"]').first().click({ timeout: 60_000 });
    chat = page.frameLocator("iframe.webview.ready").first().frameLocator("#active-frame");
    await chat.locator("#input").waitFor({ timeout: 60_000 });
  }, 300_000);

  afterEach((context) => {
    if (context.task.result?.state !== "fail") return;
    // The extension's log, to see why.
    for (const dir of fs.readdirSync(path.join(base, "ud", "logs"), { recursive: true, encoding: "utf8" })) {
      if (dir.endsWith(path.join("codex-lsp.codex-lsp-vscode", "Codex.log"))) {
        console.error(fs.readFileSync(path.join(base, "ud", "logs", dir), "utf8").split("\n").filter((l) => !/\[error\] {2}/.test(l)).slice(-80).join("\n"));
      }
    }
  });

  afterAll(async () => {
    await browser?.close();
    killTree(codeServer);
    mock?.stop();
    if (base) fs.rmSync(base, { recursive: true, force: true });
  });

  it("streams an answer into the chat view", async () => {
    const chunks = ["Hello", " from the", " **mock** model.\n\n", "- one\n", "- two"];
    await mock.enqueue({ items: [{ type: "reasoning", summary: ["Thinking about the greeting."] }, { type: "message", text: chunks.join(""), chunks }] });
    await chat.locator("#input").fill("Say hello");
    await chat.locator("#input").press("Enter");
    const answer = chat.locator(".entry.agent:not(.streaming)").first();
    await answer.waitFor({ timeout: 60_000 });
    expect(await answer.locator("strong").innerText()).toBe("mock");
    expect(await answer.locator("li").allInnerTexts()).toEqual(["one", "two"]);
    expect(await chat.locator(".reasoning summary").innerText()).toContain("Thinking about the greeting.");
    await page.screenshot({ path: path.join(shots, "answer.png") });
  });

  it("reviews a patch in the diff editor: hunk 2 reverted, hunk 1 lands, the model is told", async () => {
    await mock.enqueue({ items: [{ type: "custom_tool_call", name: "apply_patch", input: PATCH, call_id: "p1" }] }, { items: [{ type: "message", text: "Patched." }] });
    await chat.locator("#input").fill("Rename two lines in notes.txt");
    await chat.locator("#input").press("Enter");
    const revert = page.locator(".monaco-diff-editor .codicon-discard");
    await revert.nth(1).waitFor({ timeout: 60_000 });
    expect(await chat.locator(".filechange .badge").innerText()).toBe("waiting for approval");
    await revert.nth(1).click();
    await page.screenshot({ path: path.join(shots, "review.png") });
    await page.locator('.editor-actions [aria-label^="Accept Proposed Change"]').first().click();
    await chat.locator(".entry.agent", { hasText: "Patched." }).waitFor({ timeout: 60_000 });
    expect(await chat.locator(".filechange .badge").innerText()).toBe("partly applied");
    const text = fs.readFileSync(path.join(base, "ws", "notes.txt"), "utf8");
    expect(text).toBe(ORIGINAL.replace("line 3\n", "line three\n"));
    const requests = await mock.requests();
    expect(JSON.stringify(requests.at(-1)?.body)).toContain("rejected these hunks");
    await page.screenshot({ path: path.join(shots, "landed.png") });
  });

  it("restarts a crashed server and resumes the open thread", async () => {
    const home = path.join(base, "home");
    const before = serverPids(home);
    expect(before.length).toBeGreaterThan(0);
    for (const pid of before) process.kill(pid, "SIGKILL");
    await page.locator(".statusbar-item", { hasText: "restarting" }).first().waitFor({ timeout: 30_000 });
    await page.locator(".statusbar-item", { hasText: "gpt-5.1-codex" }).first().waitFor({ timeout: 60_000 });
    expect(serverPids(home).filter((p) => !before.includes(p)).length).toBeGreaterThan(0);
    await mock.enqueue({ items: [{ type: "message", text: "Still here after the restart." }] });
    await chat.locator("#input").fill("Are you there?");
    await chat.locator("#input").press("Enter");
    await chat.locator(".entry.agent", { hasText: "Still here after the restart." }).waitFor({ timeout: 60_000 });
    // The history was resumed on the new process: the earlier answers are still shown.
    expect(await chat.locator(".entry.agent", { hasText: "Patched." }).count()).toBe(1);
    await page.screenshot({ path: path.join(shots, "restarted.png") });
  });
});
