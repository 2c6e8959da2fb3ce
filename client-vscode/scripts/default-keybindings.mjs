#!/usr/bin/env node
// Writes test/unit/fixtures/default-keybindings.json: every key VS Code binds by default
// (Linux, macOS and Windows), read from the real workbench of code-server
// ("Preferences: Open Default Keyboard Shortcuts (JSON)"). The web workbench picks the
// platform's keybindings from the browser's user agent, so each platform is one page load.
// test/unit/manifest.test.ts checks the extension's keybindings against it. Needs
// CODE_SERVER and CODE_SERVER_NODE (npm run setup:e2e) and Debian's chromium.
/* global document -- the page.evaluate and waitForFunction callbacks run in the browser */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { chromium } from "playwright-core";

const CODE_SERVER = process.env.CODE_SERVER;
const NODE24 = process.env.CODE_SERVER_NODE;
if (!CODE_SERVER || !NODE24) throw new Error("set CODE_SERVER and CODE_SERVER_NODE (npm run setup:e2e)");
const OUT = path.join(import.meta.dirname, "..", "test", "unit", "fixtures", "default-keybindings.json");
const AGENTS = {
  linux: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
  mac: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
  windows: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
};

const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, "127.0.0.1", () => {
    const address = s.address();
    s.close(() => resolve(typeof address === "object" && address ? address.port : 0));
  });
});
const base = fs.mkdtempSync(path.join(os.tmpdir(), "codex-keybindings-"));
for (const dir of ["ws", "tmp", "ud/User"]) fs.mkdirSync(path.join(base, dir), { recursive: true });
fs.writeFileSync(path.join(base, "ud/User/settings.json"), JSON.stringify({ "workbench.startupEditor": "none" }));
const env = { ...process.env, PATH: `${NODE24}:${process.env.PATH}`, TMPDIR: `${base}/tmp`, XDG_CONFIG_HOME: `${base}/xdg/config`, XDG_DATA_HOME: `${base}/xdg/data` };
const server = spawn(CODE_SERVER, ["--auth", "none", "--bind-addr", `127.0.0.1:${port}`, "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", "--user-data-dir", `${base}/ud`, "--extensions-dir", `${base}/ext`, `${base}/ws`], { env, stdio: "ignore", detached: true });
// code-server and what it started go with this script, however it ends (a signal included).
const stopServer = () => {
  try {
    process.kill(-server.pid, "SIGKILL");
  } catch {
    // gone already
  }
  fs.rmSync(base, { recursive: true, force: true });
};
process.on("exit", stopServer);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    stopServer();
    process.exit(1);
  });
}
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"] });

/** The default keybindings JSON as the workbench shows it to `userAgent`. */
async function defaults(userAgent) {
  const page = await browser.newPage({ viewport: { width: 2400, height: 900 }, userAgent });
  await page.goto(`http://127.0.0.1:${port}/?folder=${base}/ws`);
  await page.waitForSelector(".monaco-workbench", { timeout: 60_000 });
  const editor = page.locator(".editor-instance .monaco-editor .view-lines");
  for (const end = Date.now() + 60_000; !(await editor.isVisible()); ) {
    if (Date.now() > end) throw new Error("the default keybindings did not open");
    await page.keyboard.press("F1");
    await page.locator(".quick-input-widget input").fill(">Preferences: Open Default Keyboard Shortcuts (JSON)");
    await page.locator(".quick-input-list .monaco-list-row").first().click({ timeout: 10_000 }).catch(() => undefined);
    await editor.waitFor({ timeout: 10_000 }).catch(() => undefined);
  }
  await editor.click();
  await page.keyboard.press("Control+Home");
  // The editor renders only what is on screen: page through it, keeping each line by its
  // place, until nothing new shows. A page that skipped lines (the editor sometimes moves two)
  // is paged back.
  const lines = new Map();
  const rendered = () => [...document.querySelectorAll(".editor-instance .monaco-editor .view-lines .view-line")].map((e) => [parseFloat(e.style.top), e.textContent ?? ""]);
  let covered = -1;
  for (let unchanged = 0; unchanged < 5; ) {
    const seen = await page.evaluate(rendered);
    const tops = seen.map(([top]) => top);
    const before = lines.size;
    for (const [top, text] of seen) lines.set(top, text.replace(/\u00a0/g, " "));
    unchanged = lines.size === before ? unchanged + 1 : 0;
    const sorted = [...tops].sort((x, y) => x - y);
    const lineHeight = Math.min(...sorted.slice(1).map((t, i) => t - (sorted[i] ?? 0)));
    const gap = covered >= 0 && Math.min(...tops) > covered + lineHeight * 1.5;
    if (!gap) covered = Math.max(covered, ...tops);
    const top = Math.min(...tops);
    await page.keyboard.press(gap ? "PageUp" : "PageDown");
    // Until the editor moved (at the end it does not: bounded).
    await page.waitForFunction(([query, was]) => Math.min(...[...document.querySelectorAll(query)].map((e) => parseFloat(e.style.top))) !== was, [".editor-instance .monaco-editor .view-lines .view-line", top], { timeout: 1_000 }).catch(() => undefined);
  }
  await page.close();
  const text = [...lines.entries()].sort((a, b) => a[0] - b[0]).map(([, line]) => line).join("\n");
  const json = text.split("\n").filter((l) => !l.trim().startsWith("//")).join("\n").replace(/,\s*\]/, "]");
  return JSON.parse(json);
}

try {
  for (const end = Date.now() + 120_000; ; ) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > end) throw new Error("code-server did not answer within 120 s");
    await new Promise((r) => setTimeout(r, 250));
  }
  const version = JSON.parse(fs.readFileSync(path.join(path.dirname(fs.realpathSync(CODE_SERVER)), "..", "..", "lib", "vscode", "package.json"), "utf8")).version;
  const out = { source: `VS Code ${version} (code-server), Preferences: Open Default Keyboard Shortcuts (JSON); scripts/default-keybindings.mjs` };
  for (const [platform, agent] of Object.entries(AGENTS)) {
    const bindings = await defaults(agent);
    out[platform] = [...new Set(bindings.map((b) => b.key))].sort();
    console.log(`${platform}: ${bindings.length} bindings, ${out[platform].length} keys`);
  }
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, `${JSON.stringify(out, null, 1)}\n`);
  console.log(`wrote ${OUT}`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  stopServer();
  // The browser's own processes; bounded, should it not answer.
  await Promise.race([browser.close(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  process.exit(process.exitCode ?? 0);
}
