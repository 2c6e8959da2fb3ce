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
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MockModel, PYTHON, SERVER, git, killTree, mockConfig } from "../integration/harness.js";
import { mcpTables, writeMcpServer } from "../integration/mcpServer.js";

const ROOT = path.resolve(__dirname, "..", "..");
const CODE_SERVER = process.env.CODE_SERVER;
const NODE24 = process.env.CODE_SERVER_NODE;
const CHROMIUM = [process.env.CHROMIUM, "/usr/bin/chromium"].find((p) => p && fs.existsSync(p));
const ready = Boolean(CODE_SERVER && NODE24 && CHROMIUM && SERVER && PYTHON);
const ORIGINAL = Array.from({ length: 30 }, (_, i) => `line ${i + 1}\n`).join("");
const TODO = "buy milk\nwrite tests\nship it\n";
const TODO_PATCH = "*** Begin Patch\n*** Update File: todo.txt\n@@\n buy milk\n-write tests\n+write more tests\n ship it\n*** End Patch";
const SHIP_PATCH = "*** Begin Patch\n*** Update File: todo.txt\n@@\n write tests\n-ship it\n+ship it today\n*** End Patch";
const PATCH = "*** Begin Patch\n*** Update File: notes.txt\n@@\n line 2\n-line 3\n+line three\n line 4\n@@\n line 25\n-line 26\n+line twenty-six\n line 27\n*** End Patch";
/** The extension's chat webviews: the side bar view's (VS Code marks a view's webview with
 * `purpose=webviewView`) and the editor tab's (Codex: Open Chat in Editor). */
const OURS = '[src*="extensionId=codex-lsp.codex-lsp-vscode"]';
const SIDEBAR_CHAT = `iframe.webview.ready[src*="purpose=webviewView"]${OURS}`;
const EDITOR_CHAT = `iframe.webview.ready:not([src*="purpose="])${OURS}`;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Poll (the disk, which sends no event) until `condition` holds; fails after `ms`. */
async function waitUntil(condition: () => boolean, ms: number, what: () => string): Promise<void> {
  for (const end = Date.now() + ms; !condition(); ) {
    if (Date.now() > end) throw new Error(`${what()} (waited ${ms} ms)`);
    await new Promise((r) => setTimeout(r, 100));
  }
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
  const consoleLines: string[] = [];
  const shots = path.join(ROOT, "out", "e2e");

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "codex-workbench-"));
    fs.mkdirSync(shots, { recursive: true });
    // TMPDIR: code-server's IPC sockets and the extension host's files go away with `base`.
    fs.mkdirSync(`${base}/tmp`);
    const env = { ...process.env, PATH: `${NODE24}:${process.env.PATH}`, TMPDIR: `${base}/tmp`, XDG_CONFIG_HOME: `${base}/xdg/config`, XDG_DATA_HOME: `${base}/xdg/data` };
    execFileSync("npm", ["run", "package"], { cwd: ROOT, stdio: "ignore", timeout: 120_000 });
    execFileSync(CODE_SERVER!, ["--extensions-dir", `${base}/ext`, "--user-data-dir", `${base}/ud`, "--install-extension", path.join(ROOT, "codex-lsp-vscode.vsix")], { env, stdio: "ignore", timeout: 120_000 });
    mock = await MockModel.start();
    const home = `${base}/home`;
    const ws = `${base}/ws`;
    fs.mkdirSync(home);
    fs.mkdirSync(ws);
    fs.writeFileSync(`${home}/config.toml`, mockConfig(mock.url, 'approval_policy = "untrusted"'));
    fs.writeFileSync(`${ws}/notes.txt`, ORIGINAL);
    fs.writeFileSync(`${ws}/todo.txt`, TODO);
    // The server settings are machine-overridable: in a remote window (code-server) they
    // belong in the remote machine's settings. Those are also what VS Code caches for a
    // reload; user settings are sometimes missing from a reloaded code-server window.
    fs.mkdirSync(`${base}/ud/Machine`, { recursive: true });
    fs.writeFileSync(
      `${base}/ud/Machine/settings.json`,
      JSON.stringify({ "codex.server.path": SERVER, "codex.server.env": { CODEX_HOME: home, MOCK_API_KEY: "test-key" } }),
    );
    fs.mkdirSync(`${base}/ud/User`, { recursive: true });
    fs.writeFileSync(
      `${base}/ud/User/settings.json`,
      JSON.stringify({
        "workbench.startupEditor": "none",
        "security.workspace.trust.enabled": false,
        // The revert-block arrows the review test clicks are the inline diff's; without this the
        // layout (inline below ~900 px of editor width, side by side above) depends on the window.
        "diffEditor.renderSideBySide": false,
      }),
    );
    const port = await freePort();
    codeServer = spawn(
      CODE_SERVER!,
      ["--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", "--user-data-dir", `${base}/ud`, "--extensions-dir", `${base}/ext`, ws],
      { env, stdio: ["ignore", fs.openSync(`${base}/code-server.log`, "a"), fs.openSync(`${base}/code-server.log`, "a")], detached: true },
    );
    // Poll until code-server answers (bounded; fails early when it exits).
    for (const end = Date.now() + 120_000; ; ) {
      if (codeServer.exitCode !== null || codeServer.signalCode !== null) throw new Error(`code-server exited (${codeServer.exitCode ?? codeServer.signalCode})`);
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5_000) })).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > end) throw new Error("code-server did not answer /healthz within 120 s");
      await new Promise((r) => setTimeout(r, 250));
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") consoleLines.push(`${m.type()}: ${m.text().slice(0, 300)}`);
    });
    await page.goto(`http://127.0.0.1:${port}/?folder=${ws}`);
    await page.waitForSelector(".monaco-workbench", { timeout: 60_000 });
    await page.locator('.activitybar [aria-label^="Codex"]').first().click({ timeout: 60_000 });
    chat = page.frameLocator(SIDEBAR_CHAT).frameLocator("#active-frame");
    await chat.locator("#input").waitFor({ timeout: 60_000 });
  }, 300_000);

  afterEach(async (context) => {
    if (context.task.result?.state !== "fail") return;
    // What the workbench showed.
    await page
      ?.screenshot({ path: path.join(shots, `failed-${context.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}.png`), timeout: 10_000 })
      .catch(() => undefined);
    // The workbench's console errors, code-server's output and the settings it was given.
    console.error(`browser console:\n${consoleLines.slice(-40).join("\n")}`);
    for (const file of ["code-server.log", "ud/User/settings.json", "ud/Machine/settings.json"]) {
      const text = fs.existsSync(path.join(base, file)) ? fs.readFileSync(path.join(base, file), "utf8") : "(none)";
      console.error(`${file}:\n${text.slice(-3000)}`);
    }
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

  /** Run a command from the command palette by its exact title. While the workbench is still
   * starting (after a reload) the palette can close again under us (VS Code's own chat input in
   * the secondary side bar takes the focus): then it is reopened, up to a deadline. F1 reaches
   * the workbench even when a webview has the focus. A command that opens a quick pick of its
   * own (in the same widget) is done when that pick's placeholder shows: `nextPlaceholder`. */
  async function runCommand(title: string, deadlineMs = 60_000, nextPlaceholder?: string): Promise<void> {
    const input = page.locator(".quick-input-widget input");
    const row = page.locator(".quick-input-list .monaco-list-row", { has: page.locator(".label-name", { hasText: new RegExp(`^${title}$`) }) }).first();
    const end = Date.now() + deadlineMs;
    for (;;) {
      try {
        if (!(await input.isVisible())) await page.keyboard.press("F1");
        await input.fill(`>${title}`, { timeout: 5_000 });
        // The command's row, or the palette closing under us, whichever comes first.
        const first = await Promise.any([
          row.waitFor({ timeout: 15_000 }).then(() => "row"),
          input.waitFor({ state: "hidden", timeout: 15_000 }).then(() => "closed"),
        ]);
        if (first !== "row") throw new Error("the palette closed");
        await row.click({ timeout: 2_000 });
        if (nextPlaceholder === undefined) await input.waitFor({ state: "hidden", timeout: 10_000 });
        else await page.locator(`.quick-input-widget input[placeholder="${nextPlaceholder}"]`).waitFor({ timeout: 10_000 });
        return;
      } catch (error) {
        if (Date.now() > end) throw new Error(`could not run "${title}" from the command palette`, { cause: error });
        console.warn(`command palette, "${title}": ${String(error).split("\n")[0]}; retrying`);
        if (await input.isVisible()) await page.keyboard.press("Escape");
      }
    }
  }

  /** Open a workspace file with Quick Open (the palette without its ">"). Its history also
   * lists the proposed sides of past reviews (`.../review-N/proposed/...`): not those. */
  async function openWorkspaceFile(name: string): Promise<void> {
    await page.keyboard.press("F1");
    await page.locator(".quick-input-widget input").fill(name, { timeout: 10_000 });
    const row = page
      .locator(".quick-input-list .monaco-list-row", { has: page.locator(".label-name", { hasText: name }) })
      .filter({ hasNot: page.locator(".label-description", { hasText: /review-|proposed/ }) })
      .first();
    await row.click({ timeout: 10_000 });
    await page.locator(".quick-input-widget input").waitFor({ state: "hidden", timeout: 10_000 });
    await page.locator(".tab.active", { hasText: name }).waitFor({ timeout: 10_000 });
  }

  /** Send `question`; the model answers with `patch` (approval policy "untrusted": it waits
   * for approval), accepted with the chat card's Accept button, then with `answer`. The card. */
  async function patchAcceptedInChat(question: string, patch: string, file: string, answer: string): Promise<Locator> {
    await mock.enqueue({ items: [{ type: "custom_tool_call", name: "apply_patch", input: patch }] }, { items: [{ type: "message", text: answer }] });
    await chat.locator("#input").fill(question);
    await chat.locator("#input").press("Enter");
    const card = chat.locator(".entry.filechange", { hasText: file }).last();
    await card.locator(".badge", { hasText: /^waiting for approval$/ }).waitFor({ timeout: 60_000 });
    await card.getByRole("button", { name: "Accept", exact: true }).click();
    await chat.locator(".entry.agent", { hasText: answer }).waitFor({ timeout: 60_000 });
    return card;
  }

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
    await chat.locator(".filechange .badge", { hasText: /^waiting for approval$/ }).waitFor({ timeout: 30_000 });
    // The diff editor's breadcrumbs show the file, not where the proposal is kept.
    const crumbs = page.locator(".editor-group-container.active .monaco-breadcrumbs").first();
    await crumbs.locator(".monaco-breadcrumb-item", { hasText: "notes.txt" }).waitFor({ timeout: 10_000 });
    expect((await crumbs.innerText()).trim()).toBe("notes.txt");
    await revert.nth(1).click();
    await page.screenshot({ path: path.join(shots, "review.png") });
    await page.locator('.editor-actions [aria-label^="Accept Proposed Change"]').first().click();
    await chat.locator(".entry.agent", { hasText: "Patched." }).waitFor({ timeout: 60_000 });
    await chat.locator(".filechange .badge", { hasText: /^partly applied$/ }).waitFor({ timeout: 30_000 });
    const text = fs.readFileSync(path.join(base, "ws", "notes.txt"), "utf8");
    expect(text).toBe(ORIGINAL.replace("line 3\n", "line three\n"));
    const requests = await mock.requests();
    expect(JSON.stringify(requests.at(-1)?.body)).toContain("rejected these hunks");
    await page.screenshot({ path: path.join(shots, "landed.png") });
  });

  it("lands the user's own edit of the proposed text; Undo in the editor takes it back", async () => {
    await mock.enqueue({ items: [{ type: "custom_tool_call", name: "apply_patch", input: TODO_PATCH, call_id: "p2" }] }, { items: [{ type: "message", text: "Todo updated." }] });
    await chat.locator("#input").fill("Update todo.txt");
    await chat.locator("#input").press("Enter");
    // The proposed side of the diff editor is an ordinary, editable editor. (Monaco renders
    // spaces as no-break spaces: \s matches both.)
    const proposedLine = page.locator(".monaco-diff-editor .editor.modified .view-line", { hasText: /^write\smore\stests$/ });
    await proposedLine.waitFor({ timeout: 60_000 });
    await proposedLine.click();
    await page.keyboard.press("End");
    await page.keyboard.type(" first");
    await page.locator(".monaco-diff-editor .editor.modified .view-line", { hasText: /^write\smore\stests\sfirst$/ }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(shots, "edited-proposal.png") });
    await page.keyboard.press("Control+Alt+A");
    await chat.locator(".entry.agent", { hasText: "Todo updated." }).waitFor({ timeout: 60_000 });
    const card = chat.locator(".entry.filechange", { hasText: "todo.txt" }).last();
    await card.locator(".card-head .badge", { hasText: /^applied with your edits$/ }).waitFor({ timeout: 30_000 });
    // The review's editors are gone, the proposed side included (nothing left to save).
    expect(await page.locator(".tabs-container .tab", { hasText: /review-|proposed/ }).count()).toBe(0);
    // The model heard the user's version against its proposal.
    const told = JSON.stringify((await mock.requests()).at(-1)?.body);
    expect(told).toContain("edited your change before accepting it");
    expect(told).toContain("+write more tests first");
    const edited = TODO.replace("write tests", "write more tests first");
    expect(fs.readFileSync(path.join(base, "ws", "todo.txt"), "utf8")).toBe(edited);
    // The change went through the editor: its undo history takes it back, and saving writes that.
    await openWorkspaceFile("todo.txt");
    const editorLines = page.locator(".editor-instance .monaco-editor .view-lines");
    await editorLines.locator(".view-line", { hasText: /^write\smore\stests\sfirst$/ }).waitFor({ timeout: 30_000 });
    await editorLines.click();
    await page.keyboard.press("Control+Z");
    await editorLines.locator(".view-line", { hasText: /^write\stests$/ }).waitFor({ timeout: 10_000 });
    // The chat card follows: the file holds its text from before the change again.
    await card.locator(".card-head .badge", { hasText: /^reverted in editor$/ }).waitFor({ timeout: 10_000 });
    await page.keyboard.press("Control+S");
    await waitUntil(() => fs.readFileSync(path.join(base, "ws", "todo.txt"), "utf8") === TODO, 10_000, () => "the undone text was not saved");
    await page.screenshot({ path: path.join(shots, "undone.png") });
    await runCommand("View: Close All Editors");
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

  it("asks before running a command; Run in the modal prompt runs it", async () => {
    const command = ["bash", "-c", "echo approved > approved.txt"];
    await mock.enqueue(
      { items: [{ type: "function_call", name: "shell", arguments: JSON.stringify({ command }), call_id: "c1" }] },
      { items: [{ type: "message", text: "The command ran." }] },
    );
    await chat.locator("#input").fill("Write approved.txt");
    await chat.locator("#input").press("Enter");
    // VS Code's own modal dialog (approval policy "untrusted", see config.toml).
    const dialog = page.locator(".monaco-dialog-box");
    await dialog.waitFor({ timeout: 60_000 });
    expect(await dialog.innerText()).toContain("Codex wants to run");
    expect(await dialog.innerText()).toContain("echo approved > approved.txt");
    // Its buttons say what they do: declining lets the turn go on, stopping ends it; no
    // "Cancel" of unclear meaning (Escape is the decline).
    const labels = (await dialog.locator(".dialog-buttons .monaco-button").allInnerTexts()).map((t) => t.trim());
    expect([...labels].sort()).toEqual(["Decline and continue", "Run", "Run and don't ask again", "Stop the turn"]);
    expect(await dialog.innerText()).toContain('"Stop the turn" also stops what it is doing');
    // The chat card asks too, with the same choices.
    const card = chat.locator(".entry.command", { hasText: "echo approved > approved.txt" });
    await card.locator(".badge", { hasText: /^waiting for approval$/ }).waitFor({ timeout: 30_000 });
    await card.getByRole("button", { name: "Run", exact: true }).waitFor({ timeout: 30_000 });
    expect(await card.locator(".approval button").allInnerTexts()).toEqual(["Run", "Run and don't ask again", "Decline and continue", "Stop the turn"]);
    expect(fs.existsSync(path.join(base, "ws", "approved.txt"))).toBe(false);
    await page.screenshot({ path: path.join(shots, "command-prompt.png") });
    await dialog.getByRole("button", { name: "Run", exact: true }).click();
    await dialog.waitFor({ state: "detached", timeout: 30_000 });
    await chat.locator(".entry.agent", { hasText: "The command ran." }).waitFor({ timeout: 60_000 });
    expect(fs.readFileSync(path.join(base, "ws", "approved.txt"), "utf8")).toBe("approved\n");
    await card.locator(".muted", { hasText: /^exit 0\b/ }).waitFor({ timeout: 30_000 });
    expect(await card.locator(".badge").innerText()).toBe("done");
    expect(await card.locator(".approval, button").count()).toBe(0);
    await page.screenshot({ path: path.join(shots, "command-ran.png") });
  });

  it("keeps the conversation after Developer: Reload Window: the chat (side bar and editor tab), its cards' states and the model", async () => {
    const USERS = ["Say hello", "Rename two lines in notes.txt", "Update todo.txt", "Are you there?", "Write approved.txt"];
    const userTexts = async (frame: FrameLocator) => (await frame.locator(".entry.user .text").allInnerTexts()).map((u) => u.trim());
    // The chat in an editor tab too: the same session as the side bar's.
    await runCommand("Codex: Open Chat in Editor");
    const editorChat = page.frameLocator(EDITOR_CHAT).frameLocator("#active-frame");
    await editorChat.locator(".entry.agent", { hasText: "The command ran." }).waitFor({ timeout: 60_000 });
    expect(await userTexts(editorChat)).toEqual(USERS);
    expect(await editorChat.locator("body").getAttribute("class")).toMatch(/(^| )editor( |$)/);
    await page.locator(".tabs-container .tab.active", { hasText: "Codex Chat" }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(shots, "chat-in-editor.png") });

    const reloaded = page.waitForEvent("framenavigated", { predicate: (f) => f === page.mainFrame(), timeout: 60_000 });
    await runCommand("Developer: Reload Window");
    await reloaded;
    await page.waitForSelector(".monaco-workbench", { timeout: 60_000 });
    // The extension's contributions are registered once its activity-bar item is back; until
    // then the palette does not list its commands.
    await page.locator('.activitybar [aria-label^="Codex"]').first().waitFor({ timeout: 60_000 });
    // Reveal the chat whether or not the side bar came back on the Codex container (a click on
    // the active activity-bar item would close it).
    await runCommand("Codex: Open Chat");
    await chat.locator("#input").waitFor({ timeout: 60_000 });
    // A new extension host: the last window's chat is reopened by itself (no thread picked).
    await chat.locator(".entry.agent", { hasText: "Still here after the restart." }).waitFor({ timeout: 60_000 });
    expect(await userTexts(chat)).toEqual(USERS);
    expect(await chat.locator(".entry.agent strong", { hasText: "mock" }).count()).toBe(1);
    expect(await chat.locator(".entry.agent", { hasText: "Patched." }).count()).toBe(1);
    expect(await chat.locator(".entry.agent", { hasText: "The command ran." }).count()).toBe(1);
    await chat.locator(".entry.command", { hasText: "echo approved" }).locator(".muted", { hasText: /^exit 0\b/ }).waitFor({ timeout: 10_000 });
    // The file-change cards still say what the files hold (the history says "completed" only).
    const badges = (await chat.locator(".entry.filechange > .card-head .badge").allInnerTexts()).map((b) => b.trim());
    expect(badges).toEqual(["partly applied", "reverted in editor"]);
    expect(await chat.locator("#thread-select").getAttribute("title")).toBe("Say hello");
    // The model in the status bar, and the editor tab back with the same conversation.
    await page.locator(".statusbar-item", { hasText: "gpt-5.1-codex" }).first().waitFor({ timeout: 30_000 });
    await page.locator(".tabs-container .tab", { hasText: "Codex Chat" }).click({ timeout: 30_000 });
    await editorChat.locator(".entry.agent", { hasText: "The command ran." }).waitFor({ timeout: 60_000 });
    expect(await userTexts(editorChat)).toEqual(USERS);
    await page.screenshot({ path: path.join(shots, "resumed-after-reload.png") });
    await chat.locator(".entry.filechange", { hasText: "notes.txt" }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, "card-states.png") });
    // The Threads view lists it as open.
    const threadsHeader = page.locator('.pane-header[aria-label^="Threads"]');
    if ((await threadsHeader.getAttribute("aria-expanded")) === "false") await threadsHeader.click();
    await page.locator('.pane-body .monaco-list-row[aria-label^="Say hello"]', { hasText: "open" }).first().waitFor({ timeout: 60_000 });
    await page.screenshot({ path: path.join(shots, "reloaded-threads.png") });

    // A narrow side bar (dragged to 220 px): the name and the token meter are cut with an
    // ellipsis, whole in their tooltips; nothing scrolls sideways.
    const sidebar = page.locator(".part.sidebar");
    const wide = await sidebar.boundingBox();
    if (!wide) throw new Error("no side bar");
    const dragSash = async (fromX: number, toX: number) => {
      const y = wide.y + wide.height / 2;
      await page.mouse.move(fromX, y);
      await page.mouse.down();
      await page.mouse.move((fromX + toX) / 2, y, { steps: 4 });
      await page.mouse.move(toX, y, { steps: 4 });
      await page.mouse.up();
    };
    // The sash is hit by the mouse: should a drag not take (a hover delay), it is tried again.
    for (let attempt = 1; ; attempt++) {
      const now = (await sidebar.boundingBox()) ?? wide;
      await dragSash(now.x + now.width, wide.x + 220);
      try {
        await expect.poll(async () => (await sidebar.boundingBox())?.width ?? 0, { timeout: 5_000 }).toBeLessThan(240);
        break;
      } catch (error) {
        if (attempt >= 3) throw error;
        console.warn(`narrowing the side bar, attempt ${attempt}: ${String(error).split("\n")[0]}; retrying`);
      }
    }
    const meter = chat.locator("#tokens .tokens-text");
    await expect.poll(() => meter.evaluate((e) => e.scrollWidth > e.clientWidth), { timeout: 10_000 }).toBe(true);
    expect(await chat.locator("#tokens").getAttribute("title")).toMatch(/^Context window: /);
    expect(await chat.locator("#transcript").evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
    expect(await chat.locator("#new-thread").innerText()).toBe("+");
    await page.screenshot({ path: path.join(shots, "narrow-sidebar.png") });
    const narrow = await sidebar.boundingBox();
    if (narrow) await dragSash(narrow.x + narrow.width, wide.x + wide.width);
    // The later steps work in the side bar's chat: the editor tab goes.
    await runCommand("View: Close All Editors");
    await page.locator(".tabs-container .tab", { hasText: "Codex Chat" }).waitFor({ state: "detached", timeout: 10_000 });
  }, 240_000);
  it("asks about the editor's selection (Ctrl+Alt+K); Undo Last Turn reverts the next turn's edit", async () => {
    await openWorkspaceFile("todo.txt");
    const editorLines = page.locator(".editor-instance .monaco-editor .view-lines");
    await editorLines.locator(".view-line", { hasText: /^write\stests$/ }).click({ timeout: 30_000 });
    await page.keyboard.press("Home");
    await page.keyboard.press("Shift+End");
    await mock.enqueue({ items: [{ type: "message", text: "That line is the plan." }] });
    await page.keyboard.press("Control+Alt+K");
    const question = page.locator(".quick-input-widget input");
    await question.waitFor({ timeout: 10_000 });
    expect(await question.inputValue()).toBe("Explain this code.");
    expect(await page.locator(".quick-input-widget").innerText()).toContain("todo.txt:2-2");
    await question.press("Enter");
    await chat.locator(".entry.agent", { hasText: "That line is the plan." }).waitFor({ timeout: 60_000 });
    // The selected text and where it is went to the model.
    const asked = JSON.stringify((await mock.requests()).at(-1)?.body);
    expect(asked).toContain("Explain this code.");
    expect(asked).toContain("lines 2-2 of");
    expect(asked).toMatch(/<document path=\\"[^"\\]*\/todo\.txt\\"[^<]*>\\nwrite tests\\n<\/document>/);

    // A turn that edits the file, accepted from the chat card, then undone.
    const card = await patchAcceptedInChat("Ship it today", SHIP_PATCH, "todo.txt", "Shipping today.");
    const todo = path.join(base, "ws", "todo.txt");
    expect(fs.readFileSync(todo, "utf8")).toBe(TODO.replace("ship it", "ship it today"));
    await runCommand("Codex: Undo Last Turn");
    const dialog = page.locator(".monaco-dialog-box");
    await dialog.waitFor({ timeout: 30_000 });
    await dialog.getByRole("button", { name: "Undo", exact: true }).click();
    await waitUntil(() => fs.readFileSync(todo, "utf8") === TODO, 30_000, () => `todo.txt was not restored: ${JSON.stringify(fs.readFileSync(todo, "utf8"))}`);
    // The user is told what was restored; the editor shows the restored text.
    await page.locator(".notifications-toasts", { hasText: "undid the last turn's file changes: restored todo.txt" }).waitFor({ timeout: 30_000 });
    await card.locator(".badge", { hasText: /^undone$/ }).waitFor({ timeout: 30_000 });
    await editorLines.locator(".view-line", { hasText: /^ship\sit$/ }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: path.join(shots, "undo-turn.png") });
    // The conversation stays, and the model hears about the undo in the next request.
    await mock.enqueue({ items: [{ type: "message", text: "Noted the undo." }] });
    await chat.locator("#input").fill("What changed?");
    await chat.locator("#input").press("Enter");
    await chat.locator(".entry.agent", { hasText: "Noted the undo." }).waitFor({ timeout: 60_000 });
    expect(await chat.locator(".entry.user", { hasText: "Ship it today" }).count()).toBe(1);
    const after = JSON.stringify((await mock.requests()).at(-1)?.body);
    expect(after).toContain("The user undid the file changes of an earlier turn");
    expect(after).toContain("todo.txt");
  });

  it("reviews uncommitted changes: the finding in the chat and the Problems panel; its quick fix starts a turn", async () => {
    // The workspace becomes a git repository with one uncommitted change.
    const ws = path.join(base, "ws");
    const calc = path.join(ws, "calc.py");
    git(ws, "init", "-q", "-b", "main");
    fs.writeFileSync(calc, "def mean(values):\n    return sum(values) / len(values)\n");
    git(ws, "add", ".");
    git(ws, "commit", "-q", "-m", "Initial");
    fs.writeFileSync(calc, "def mean(values):\n    total = 0\n    for v in values[:-1]:\n        total += v\n    return total / len(values)\n");
    const title = "Loop skips the last value";
    const review = {
      findings: [
        {
          title,
          body: "`values[:-1]` drops the last element, so the mean is too small.",
          confidence_score: 0.9,
          priority: 1,
          code_location: { absolute_file_path: calc, line_range: { start: 3, end: 4 } },
        },
      ],
      overall_correctness: "patch is incorrect",
      overall_explanation: "The new loop computes the wrong mean.",
      overall_confidence_score: 0.8,
    };
    await mock.enqueue({ items: [{ type: "message", text: JSON.stringify(review) }] });
    // Codex: Review Changes -> Uncommitted changes.
    await runCommand("Codex: Review Changes", 60_000, "What should Codex review?");
    const targets = page.locator(".quick-input-list .monaco-list-row");
    await targets.first().waitFor({ timeout: 30_000 });
    expect((await targets.allInnerTexts()).map((t) => t.split("\n")[0]?.trim())).toEqual([
      "Uncommitted changes",
      "Against a base branch…",
      "A commit…",
      "Custom instructions…",
    ]);
    await targets.filter({ hasText: "Uncommitted changes" }).click();
    // The chat: "Reviewing: …", then the verdict and the finding.
    await chat.locator(".entry.review-start", { hasText: /^Reviewing: / }).waitFor({ timeout: 60_000 });
    const card = chat.locator(".entry.review").last();
    await card.waitFor({ timeout: 60_000 });
    expect(await card.locator(".verdict").innerText()).toBe("patch is incorrect");
    expect(await card.locator(".finding .prio").allInnerTexts()).toEqual(["P1"]);
    expect(await card.locator(".finding .finding-title").innerText()).toBe(title);
    expect(await card.locator(".finding .finding-where").innerText()).toBe("calc.py:3-4");
    const told = JSON.stringify((await mock.requests()).at(-1)?.body);
    expect(told).toContain("for v in values[:-1]:");
    await page.screenshot({ path: path.join(shots, "review-findings.png") });
    // The Problems panel (opened from its status bar item) lists the finding.
    await page.locator('[id="status.problems"]').click();
    const problem = page.locator(".markers-panel .monaco-list-row", { hasText: title });
    await problem.waitFor({ timeout: 30_000 });
    const row = await problem.innerText();
    expect(row).toContain("codex review");
    expect(row).toContain("P1");
    await page.screenshot({ path: path.join(shots, "review-problems.png") });
    // The finding in the chat opens its lines in the editor.
    await card.locator(".finding-open").click();
    await page.locator(".tab.active", { hasText: "calc.py" }).waitFor({ timeout: 30_000 });
    const editorLines = page.locator(".editor-instance .monaco-editor .view-lines");
    await page.locator(".statusbar-item", { hasText: /Ln 4, Col \d+ \(\d+ selected\)/ }).first().waitFor({ timeout: 10_000 });
    // The lightbulb's quick fix on the flagged line: "Ask Codex to fix: <title>".
    await mock.enqueue({ items: [{ type: "message", text: "Fixed: the loop now covers every value." }] });
    const flagged = editorLines.locator(".view-line", { hasText: /^\s+for\sv\sin\svalues\[:-1\]:$/ });
    const fix = page.locator(".action-widget .monaco-list-row", { hasText: `Ask Codex to fix: ${title}` });
    // The lightbulb in the editor's margin on the flagged line; should its menu not come,
    // Ctrl+. (Quick Fix) opens the same menu. (After the window reload of an earlier step,
    // Ctrl+. at times opens nothing on its first press in code-server.)
    for (let attempt = 1; ; attempt++) {
      await flagged.click();
      if (attempt % 2 === 1) await page.locator(".monaco-editor .lightBulbWidget").first().click({ timeout: 10_000 });
      else await page.keyboard.press("Control+Period");
      try {
        await fix.waitFor({ timeout: 10_000 });
        break;
      } catch (error) {
        const menu = (await page.locator(".action-widget").allInnerTexts()).join(" | ");
        if (attempt >= 4) throw new Error(`no "Ask Codex to fix" in the quick fix menu (menu: ${JSON.stringify(menu)})`, { cause: error });
        console.warn(`quick fix, attempt ${attempt}: menu ${JSON.stringify(menu)}; retrying`);
        await page.keyboard.press("Escape");
      }
    }
    await page.screenshot({ path: path.join(shots, "review-quickfix.png") });
    await fix.click();
    // A new turn on the review's thread: the request names the finding, the chat shows it.
    await chat.locator(".entry.agent", { hasText: "Fixed: the loop now covers every value." }).waitFor({ timeout: 60_000 });
    expect(await chat.locator(".entry.user").last().innerText()).toContain(title);
    const input = ((await mock.requests()).at(-1)?.body.input ?? []) as { role?: string; content?: unknown }[];
    expect(JSON.stringify(input.filter((i) => i.role === "user").at(-1)?.content)).toContain(title);
    await page.screenshot({ path: path.join(shots, "review-fix-turn.png") });
    // Codex: Clear Review Findings empties the Problems panel.
    await runCommand("Codex: Clear Review Findings");
    await problem.waitFor({ state: "detached", timeout: 30_000 });
  });

  it("compacts the conversation (a divider, the context meter drops); Rewind to here drops a turn and restores its file", async () => {
    // Codex: Compact Conversation: the summary replaces the history the model is sent.
    const meter = chat.locator("#tokens progress");
    const before = Number(await meter.getAttribute("value"));
    expect(before).toBeGreaterThan(0);
    await mock.enqueue({ items: [{ type: "message", text: "SUMMARY-OF-THE-SESSION: notes, todo and calc.py were edited and reviewed." }] });
    await runCommand("Codex: Compact Conversation");
    const divider = chat.locator(".entry.compaction", { hasText: /^Context compacted$/ });
    await divider.waitFor({ timeout: 60_000 });
    expect(await divider.getAttribute("role")).toBe("status");
    // The meter follows the token use the server reports after the compaction.
    await expect.poll(async () => Number(await meter.getAttribute("value")), { timeout: 30_000 }).toBeLessThan(before / 2);
    await divider.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, "compacted.png") });

    // A turn after the compaction creates a file (accepted from the chat card).
    const created = path.join(base, "ws", "rewind.txt");
    await patchAcceptedInChat("Create rewind.txt", "*** Begin Patch\n*** Add File: rewind.txt\n+made after the compaction\n*** End Patch", "rewind.txt", "Created rewind.txt.");
    await waitUntil(() => fs.existsSync(created), 30_000, () => "rewind.txt was not created");
    // That turn's first request held the summary, not the older answers.
    const asked = (await mock.requests()).map((r) => JSON.stringify(r.body)).find((b) => b.includes("Create rewind.txt"));
    expect(asked).toContain("SUMMARY-OF-THE-SESSION");
    expect(asked).not.toContain("Still here after the restart.");
    const turnsBefore = await chat.locator(".entry.user").count();

    // Rewind to here on that message: the modal says what goes; Rewind restores the file.
    const message = chat.locator(".entry.user", { hasText: "Create rewind.txt" });
    await message.getByRole("button", { name: "Rewind to here" }).click();
    const dialog = page.locator(".monaco-dialog-box");
    await dialog.waitFor({ timeout: 30_000 });
    const asking = await dialog.innerText();
    expect(asking).toContain("Rewind to before this message?");
    expect(asking).toContain("This turn is removed from the conversation.");
    expect(asking).toContain("The files it changed are restored");
    await page.screenshot({ path: path.join(shots, "rewind-confirm.png") });
    await dialog.getByRole("button", { name: "Rewind", exact: true }).click();
    await dialog.waitFor({ state: "detached", timeout: 30_000 });
    await waitUntil(() => !fs.existsSync(created), 30_000, () => "rewind.txt is still there after the rewind");
    // The chat re-renders from the turns that remain: the compaction stays, the turn is gone,
    // and its message is back in the input to edit and send again.
    await chat.locator(".entry.notice", { hasText: "Rewound 1 turn: the files it changed were restored." }).waitFor({ timeout: 30_000 });
    expect(await chat.locator(".entry.user", { hasText: "Create rewind.txt" }).count()).toBe(0);
    expect(await chat.locator(".entry.agent", { hasText: "Created rewind.txt." }).count()).toBe(0);
    expect(await chat.locator(".entry.user").count()).toBe(turnsBefore - 1);
    expect(await chat.locator(".entry.compaction").count()).toBe(1);
    expect(await chat.locator("#input").inputValue()).toBe("Create rewind.txt");
    await page.screenshot({ path: path.join(shots, "rewound.png") });
  });

  it("shows a stdio MCP server and its tools in the MCP Servers view; a call's card in the chat", async () => {
    // The user adds a server to config.toml and reloads the MCP servers from the view's title.
    const config = path.join(base, "home", "config.toml");
    fs.appendFileSync(config, `\n${mcpTables(writeMcpServer(base), false)}`);
    const header = page.locator('.pane-header[aria-label^="MCP Servers"]');
    if ((await header.getAttribute("aria-expanded")) === "false") await header.click();
    await runCommand("Codex: Reload MCP Servers");
    const pane = page.locator(".pane", { has: header });
    const server = pane.locator(".monaco-list-row", { hasText: "weather" }).first();
    await server.locator(".label-description", { hasText: /^ready · 3 tools$/ }).waitFor({ timeout: 60_000 });
    // Its tools with their descriptions (a ready server's row opens expanded; one first seen
    // while starting is opened here).
    if ((await server.getAttribute("aria-expanded")) === "false") await server.click();
    const tools = pane.locator(".monaco-list-row[aria-level='2']");
    await tools.first().waitFor({ timeout: 30_000 });
    expect((await tools.locator(".label-name").allInnerTexts()).map((t) => t.trim())).toEqual(["echo", "picture", "steps"]);
    expect((await tools.locator(".label-description").allInnerTexts()).map((t) => t.trim())).toEqual(["Repeat the text.", "A tiny picture.", "Work in steps, reporting progress."]);
    await page.screenshot({ path: path.join(shots, "mcp-view.png") });

    // Room for the chat: the MCP Servers and Threads views fold.
    for (const name of ["MCP Servers", "Threads"]) {
      const pane = page.locator(`.pane-header[aria-label^="${name}"]`);
      if ((await pane.getAttribute("aria-expanded")) === "true") await pane.click();
    }
    // The model calls steps: asked first (approval policy "untrusted"), then its card shows
    // the arguments, the progress messages and the result.
    await mock.enqueue(
      { items: [{ type: "function_call", name: "mcp__weather__steps", arguments: JSON.stringify({ count: 2 }), call_id: "m1" }] },
      { items: [{ type: "message", text: "The steps are done." }] },
    );
    await chat.locator("#input").fill("Run the weather steps");
    await chat.locator("#input").press("Enter");
    const dialog = page.locator(".monaco-dialog-box");
    await dialog.waitFor({ timeout: 60_000 });
    expect(await dialog.innerText()).toContain("mcp weather steps");
    await dialog.getByRole("button", { name: "Run", exact: true }).click();
    await chat.locator(".entry.agent", { hasText: "The steps are done." }).waitFor({ timeout: 60_000 });
    const card = chat.locator(".entry.mcp").last();
    expect((await card.locator(".card-head").innerText()).replace(/\s+/g, " ")).toContain("weather · steps");
    expect(await card.locator(".card-head .badge").innerText()).toBe("done");
    expect(await card.locator(".mcp-progress li").allInnerTexts()).toEqual(["step 1 of 2", "step 2 of 2"]);
    expect(await card.locator(".mcp-result").innerText()).toBe("did 2 steps");
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, "mcp-card.png") });
  });
  /** A new, empty thread in the chat (its title in the thread picker). */
  async function newThread(): Promise<void> {
    const count = await chat.locator("#thread-select option").count();
    await chat.locator("#new-thread").click();
    await expect.poll(() => chat.locator("#thread-select option").count(), { timeout: 30_000 }).toBe(count + 1);
    await expect.poll(() => chat.locator(".entry").count(), { timeout: 30_000 }).toBe(0);
  }

  it("shows a command's risk and offers Always allow; the next command with that prefix runs without a prompt; Remembered Commands forgets it", async () => {
    // The assessment on (config.toml is read again for the next thread), a new thread.
    const home = path.join(base, "home");
    const config = path.join(home, "config.toml");
    fs.writeFileSync(config, fs.readFileSync(config, "utf8").replace('approval_policy = "untrusted"\n', 'approval_policy = "untrusted"\nexperimental_sandbox_command_assessment = true\n'));
    await newThread();
    const ws = path.join(base, "ws");
    const description = "Creates an empty file in the project.";
    const shell = (argv: string[], callId: string) => ({ items: [{ type: "function_call", name: "shell", arguments: JSON.stringify({ command: argv }), call_id: callId }] });
    await mock.enqueue(
      shell(["touch", "allowed-1.txt"], "r1"),
      // The server's side request: the model's assessment of the command, as JSON.
      { items: [{ type: "message", text: JSON.stringify({ description, risk_level: "medium", risk_categories: ["files", "workspace"] }) }] },
      { items: [{ type: "message", text: "Made the first file." }] },
    );
    const before = (await mock.requests()).length;
    await chat.locator("#input").fill("Make the first file");
    await chat.locator("#input").press("Enter");
    // The modal names the level and the assessment, and offers to remember the prefix.
    const dialog = page.locator(".monaco-dialog-box");
    await dialog.waitFor({ timeout: 60_000 });
    const asking = await dialog.innerText();
    expect(asking).toContain("Codex wants to run");
    expect(asking).toContain("(medium risk)");
    expect(asking).toContain(`Medium risk: ${description}`);
    expect(asking).toContain("Categories: files, workspace");
    const labels = (await dialog.locator(".dialog-buttons .monaco-button").allInnerTexts()).map((t) => t.trim());
    expect([...labels].sort()).toEqual(['Always allow "touch"', "Decline and continue", "Run", "Run and don't ask again", "Stop the turn"]);
    // The card: the level as a colored badge, the description and the categories, the same choices.
    const card = chat.locator(".entry.command", { hasText: "allowed-1.txt" });
    const risk = card.locator(".risk");
    await risk.waitFor({ timeout: 30_000 });
    expect(await risk.locator(".risk-badge").innerText()).toBe("Medium risk");
    expect(await risk.locator(".risk-description").innerText()).toBe(description);
    expect(await risk.locator(".risk-categories .chip").allInnerTexts()).toEqual(["files", "workspace"]);
    const badgeColor = await risk.locator(".risk-badge").evaluate((e) => getComputedStyle(e).backgroundColor);
    expect(badgeColor).not.toBe(await card.locator(".card-head .badge").evaluate((e) => getComputedStyle(e).backgroundColor));
    expect(await card.locator(".approval button").allInnerTexts()).toEqual(["Run", "Run and don't ask again", 'Always allow "touch"', "Decline and continue", "Stop the turn"]);
    await page.screenshot({ path: path.join(shots, "command-risk.png") });
    await dialog.getByRole("button", { name: 'Always allow "touch"', exact: true }).click();
    await dialog.waitFor({ state: "detached", timeout: 30_000 });
    await chat.locator(".entry.agent", { hasText: "Made the first file." }).waitFor({ timeout: 60_000 });
    expect(fs.existsSync(path.join(ws, "allowed-1.txt"))).toBe(true);
    await card.locator(".muted", { hasText: /^exit 0\b/ }).waitFor({ timeout: 30_000 });
    expect(await card.locator(".risk, .approval").count()).toBe(0);
    // The turn's request, the assessment (no tools), the turn's next request.
    const first = (await mock.requests()).slice(before);
    expect(first).toHaveLength(3);
    expect(first[1]?.body.tools ?? []).toEqual([]);

    // A second command with the prefix: it runs, no prompt comes (a dialog would be seen by
    // the observer) and no assessment is asked for.
    await page.evaluate(() => {
      const w = window as unknown as { codexDialogs: number };
      w.codexDialogs = 0;
      new MutationObserver(() => {
        if (document.querySelector(".monaco-dialog-box")) w.codexDialogs += 1;
      }).observe(document.body, { childList: true, subtree: true });
    });
    await mock.enqueue(shell(["touch", "allowed-2.txt"], "r2"), { items: [{ type: "message", text: "Made the second file." }] });
    await chat.locator("#input").fill("Make the second file");
    await chat.locator("#input").press("Enter");
    await chat.locator(".entry.agent", { hasText: "Made the second file." }).waitFor({ timeout: 60_000 });
    expect(fs.existsSync(path.join(ws, "allowed-2.txt"))).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { codexDialogs: number }).codexDialogs)).toBe(0);
    expect((await mock.requests()).length).toBe(before + 5);
    const second = chat.locator(".entry.command", { hasText: "allowed-2.txt" });
    await second.locator(".muted", { hasText: /^exit 0\b/ }).waitFor({ timeout: 30_000 });
    expect(await second.locator(".badge").innerText()).toBe("done");
    await page.screenshot({ path: path.join(shots, "command-remembered.png") });

    // Codex: Remembered Commands lists the rule; picking it and confirming forgets it.
    const placeholder = "Commands Codex runs without asking: pick one to forget it";
    await runCommand("Codex: Remembered Commands", 60_000, placeholder);
    const rows = page.locator(".quick-input-list .monaco-list-row");
    await rows.first().waitFor({ timeout: 30_000 });
    expect(await rows.count()).toBe(1);
    // The label and the folder, then the detail line (a label of its own).
    expect(await rows.first().locator(".label-name").first().innerText()).toBe("touch");
    expect(await rows.first().locator(".label-description").first().innerText()).toBe("this workspace");
    expect(await rows.first().innerText()).toContain(`Commands starting with this run without asking in ${ws} (still in the sandbox)`);
    await page.screenshot({ path: path.join(shots, "remembered-commands.png") });
    await rows.first().click();
    await dialog.waitFor({ timeout: 30_000 });
    expect(await dialog.innerText()).toContain('Forget "touch"?');
    await dialog.getByRole("button", { name: "Forget", exact: true }).click();
    await page.locator(".notifications-toasts", { hasText: 'forgot "touch"' }).waitFor({ timeout: 30_000 });
    const stored = JSON.parse(fs.readFileSync(path.join(home, "rules", "remembered_commands.json"), "utf8")) as { rules: unknown[] };
    expect(stored.rules).toEqual([]);
  });

  it("shows a web search as a card with its query", async () => {
    const config = path.join(base, "home", "config.toml");
    fs.appendFileSync(config, "\n[tools]\nweb_search = true\n");
    await newThread();
    const query = "code-server 4.139 release notes";
    await mock.enqueue({ items: [{ type: "web_search_call", query }, { type: "message", text: "Here is what is new." }] });
    await chat.locator("#input").fill("What is new in code-server?");
    await chat.locator("#input").press("Enter");
    await chat.locator(".entry.agent", { hasText: "Here is what is new." }).waitFor({ timeout: 60_000 });
    const card = chat.locator(".entry.websearch").last();
    expect(await card.locator(".card-head strong").innerText()).toBe("Searched the web");
    expect(await card.locator(".card-head .badge").innerText()).toBe("done");
    expect(await card.locator(".websearch-query").innerText()).toBe(query);
    const tools = ((await mock.requests()).at(-1)?.body.tools ?? []) as { type?: string }[];
    expect(tools.some((t) => t.type === "web_search")).toBe(true);
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, "web-search.png") });
  });
});
