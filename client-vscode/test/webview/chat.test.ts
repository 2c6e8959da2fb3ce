// The chat webview in a real browser (Debian's Chromium through playwright-core), driven
// with the keyboard only. Skipped when no Chromium is installed ($CHROMIUM or /usr/bin/chromium).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FromWebview } from "../../src/state/viewMessages.js";

const ROOT = path.resolve(__dirname, "..", "..");
const CHROMIUM = [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && fs.existsSync(p));

async function posted(page: Page): Promise<FromWebview[]> {
  return page.evaluate(() => (window as unknown as { posted: FromWebview[] }).posted);
}

async function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement;
    return el ? `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}:${(el.textContent ?? "").trim().slice(0, 30)}` : "";
  });
}

describe.skipIf(!CHROMIUM)("chat webview (keyboard only)", () => {
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    execFileSync(process.execPath, [path.join(ROOT, "scripts", "preview.mjs")], { cwd: ROOT, stdio: "ignore", timeout: 60_000 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      timeout: 30_000,
    });
    page = await browser.newPage({ viewport: { width: 420, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(pathToFileURL(path.join(ROOT, "out", "preview", "index.html")).toString());
    await page.waitForSelector(".entry.agent", { timeout: 10_000 });
    expect(errors).toEqual([]);
  });

  afterAll(async () => {
    // playwright uses (and removes) a fresh profile of its own.
    await browser?.close();
  });

  it("renders the transcript safely", async () => {
    expect(await page.locator("#transcript script").count()).toBe(0);
    expect(await page.locator(".entry.agent").innerText()).toContain("<script>alert(1)</script>");
    expect(await page.locator(".checklist li").count()).toBe(3);
    expect(await page.locator(".filechange .badge").innerText()).toBe("waiting for approval");
    expect(await page.locator("#tokens").innerText()).toContain("12.3k / 200k tokens (6%)");
  });

  it("reaches the input with Tab and stops the running turn with Escape", async () => {
    await page.locator("#thread-select").focus();
    for (let i = 0; i < 40 && (await focused(page)) !== "textarea#input:"; i++) await page.keyboard.press("Tab");
    expect(await focused(page)).toBe("textarea#input:");
    await page.keyboard.press("Escape");
    expect((await posted(page)).at(-1)).toEqual({ type: "stop", threadId: "thr_1" });
  });

  it("answers an approval from the keyboard", async () => {
    await page.locator(".filechange button", { hasText: "Accept" }).first().focus();
    await page.keyboard.press("Enter");
    expect((await posted(page)).at(-1)).toEqual({ type: "approve", key: "k1", decision: "accept" });
  });

  it("opens the reasoning block with the keyboard", async () => {
    await page.locator(".reasoning summary").focus();
    await page.keyboard.press("Enter");
    expect(await page.locator(".reasoning").getAttribute("open")).not.toBeNull();
  });

  it("completes an @mention with the arrow keys and sends with Enter once the turn is over", async () => {
    await page.evaluate(() => (window as unknown as { codexPreview: { completeTurn(): void } }).codexPreview.completeTurn());
    await page.locator("#input").focus();
    await page.keyboard.type("Compare @notes");
    await page.waitForSelector("#mentions:not([hidden]) li", { timeout: 5_000 });
    expect(await page.locator("#mentions li").allInnerTexts()).toEqual(["notes.txt", "src/notes/index.ts"]);
    await page.keyboard.press("ArrowDown");
    await page.keyboard.press("Enter");
    expect(await page.locator("#input").inputValue()).toBe("Compare @src/notes/index.ts ");
    await page.keyboard.type("with the README");
    await page.keyboard.press("Enter");
    expect((await posted(page)).at(-1)).toEqual({
      type: "send",
      threadId: "thr_1",
      text: "Compare @src/notes/index.ts with the README",
      includeSelection: true,
    });
    expect(await page.locator("#input").inputValue()).toBe("");
  });

  it("switches threads from the keyboard", async () => {
    await page.locator("#thread-select").focus();
    await page.keyboard.press("ArrowDown");
    expect((await posted(page)).at(-1)).toEqual({ type: "selectThread", threadId: "thr_2" });
  });

  it("shows a review's verdict and findings, worst first; a finding opens its place (mouse and keyboard)", async () => {
    await page.evaluate(() => (window as unknown as { codexPreview: { showReview(structured?: boolean): void } }).codexPreview.showReview());
    const start = page.locator(".entry.review-start").first();
    await start.waitFor({ timeout: 5_000 });
    expect(await start.innerText()).toBe("Reviewing: uncommitted changes");
    const card = page.locator(".entry.review").first();
    expect(await card.locator(".verdict").innerText()).toBe("patch is incorrect");
    expect(await card.locator(".verdict").getAttribute("class")).toContain("verdict-bad");
    expect(await card.innerText()).toContain("The new loop misses the last element.");
    expect(await card.locator(".muted").first().innerText()).toBe("3 findings, worst P1 · confidence 80%");
    // Worst first; paths relative to the thread's folder when inside it.
    expect(await card.locator(".finding .prio").allInnerTexts()).toEqual(["P1", "P2", "P3"]);
    expect(await card.locator(".finding .finding-title").allInnerTexts()).toEqual(["Loop skips the last line", "Unchecked file outside the change", "Typo in the comment"]);
    expect(await card.locator(".finding .finding-where").allInnerTexts()).toEqual(["notes.txt:3-5", "/other/lib.ts:40", "src/app.ts:2"]);
    expect(await card.locator(".finding").first().locator(".markdown").innerText()).toBe("Body of Loop skips the last line.");
    expect(await card.locator(".finding .prio-1").evaluate((e) => getComputedStyle(e).backgroundColor)).not.toBe(
      await card.locator(".finding .prio-3").evaluate((e) => getComputedStyle(e).backgroundColor),
    );
    await card.locator(".finding-open").first().click();
    expect((await posted(page)).at(-1)).toEqual({ type: "openLocation", path: "/ws/notes.txt", startLine: 3, endLine: 5 });
    await card.locator(".finding-open").nth(2).focus();
    await page.keyboard.press("Enter");
    expect((await posted(page)).at(-1)).toEqual({ type: "openLocation", path: "/ws/src/app.ts", startLine: 2, endLine: 2 });
    await card.scrollIntoViewIfNeeded();
    fs.mkdirSync(path.join(ROOT, "out", "preview"), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, "out", "preview", "review.png") });
  });

  it("shows a review without structured output as its (safe) markdown text", async () => {
    await page.evaluate(() => (window as unknown as { codexPreview: { showReview(structured?: boolean): void } }).codexPreview.showReview(false));
    const card = page.locator(".entry.review").nth(1);
    await card.waitFor({ timeout: 5_000 });
    expect(await card.locator(".badge").innerText()).toBe("no structured findings");
    expect(await card.locator(".markdown strong").innerText()).toBe("no diff");
    expect(await card.locator(".markdown code").innerText()).toBe("git status");
    expect(await card.locator(".finding").count()).toBe(0);
  });
});
