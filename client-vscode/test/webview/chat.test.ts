// The chat webview in a real browser (Debian's Chromium through playwright-core), driven
// with the keyboard only. Skipped when no Chromium is installed ($CHROMIUM or /usr/bin/chromium).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FromWebview, ToWebview } from "../../src/state/viewMessages.js";

const ROOT = path.resolve(__dirname, "..", "..");
const CHROMIUM = [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => p && fs.existsSync(p));

async function posted(page: Page): Promise<FromWebview[]> {
  return page.evaluate(() => (window as unknown as { posted: FromWebview[] }).posted);
}

interface PreviewHooks {
  completeTurn(): void;
  fileCards(): void;
  send(message: ToWebview): void;
  compaction(step: "start" | "done", automatic?: boolean): void;
  commandApproval(id: string, level: "low" | "medium" | "high" | null, prefix: string[] | null): void;
  webSearch(step: "start" | "done", query?: string): void;
}

type PreviewWindow = Window & { codexPreview: PreviewHooks };

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

  it("answers an approval from the keyboard; the buttons say what they do", async () => {
    const buttons = page.locator(".filechange .approval button");
    expect(await buttons.allInnerTexts()).toEqual(["Accept", "Accept for session", "Reject and continue", "Stop the turn"]);
    expect(await buttons.nth(2).getAttribute("title")).toBe("Don't apply it; Codex is told and goes on");
    expect(await buttons.nth(3).getAttribute("title")).toBe("Don't apply it, and stop what Codex is doing");
    await page.locator(".filechange button", { hasText: "Accept" }).first().focus();
    await page.keyboard.press("Enter");
    expect((await posted(page)).at(-1)).toEqual({ type: "approve", key: "k1", decision: "accept" });
  });

  it("opens the reasoning block with the keyboard", async () => {
    await page.locator(".reasoning summary").focus();
    await page.keyboard.press("Enter");
    expect(await page.locator(".reasoning").getAttribute("open")).not.toBeNull();
  });

  it("while a turn runs, Enter steers it and Alt+Enter queues; a queued message can be removed", async () => {
    expect(await page.locator("#send").innerText()).toBe("Steer");
    expect(await page.locator("#queue").isVisible()).toBe(true);
    // No rewinding while a turn runs.
    expect(await page.locator(".entry.user .rewind").isVisible()).toBe(false);
    await page.locator("#input").focus();
    await page.keyboard.type("Also check the README");
    await page.keyboard.press("Enter");
    expect((await posted(page)).at(-1)).toEqual({ type: "steer", threadId: "thr_1", text: "Also check the README", includeSelection: true });
    expect(await page.locator("#input").inputValue()).toBe("");
    // The server's userMessage item shows it, once, marked as input to the running turn.
    const steered = page.locator(".entry.user.steered");
    await steered.waitFor({ timeout: 5_000 });
    expect(await steered.locator(".text").allInnerTexts()).toEqual(["Also check the README"]);
    expect(await steered.locator(".who").innerText()).toBe("You, while Codex worked");
    expect(await steered.locator(".rewind").count()).toBe(0);

    await page.keyboard.type("Then run the tests");
    await page.keyboard.press("Alt+Enter");
    expect((await posted(page)).at(-1)).toEqual({ type: "queue", threadId: "thr_1", text: "Then run the tests", includeSelection: true });
    await page.keyboard.type("And update the changelog");
    await page.locator("#queue").click();
    expect((await posted(page)).at(-1)).toMatchObject({ type: "queue", text: "And update the changelog" });
    const queued = page.locator("#queued li");
    await queued.nth(1).waitFor({ timeout: 5_000 });
    expect(await queued.locator(".queued-text").allInnerTexts()).toEqual(["Then run the tests", "And update the changelog"]);
    expect(await queued.first().locator(".badge").innerText()).toBe("queued");
    fs.mkdirSync(path.join(ROOT, "out", "preview"), { recursive: true });
    await page.screenshot({ path: path.join(ROOT, "out", "preview", "steer-queue.png") });
    await queued.first().getByRole("button", { name: /^Remove queued message/ }).focus();
    await page.keyboard.press("Enter");
    const removal = (await posted(page)).at(-1);
    expect(removal).toMatchObject({ type: "unqueue", threadId: "thr_1" });
    await page.waitForFunction(() => document.querySelectorAll("#queued li").length === 1, undefined, { timeout: 5_000 });
    expect(await queued.locator(".queued-text").allInnerTexts()).toEqual(["And update the changelog"]);
    // The transcript never shows a queued message as sent.
    expect(await page.locator(".entry.user", { hasText: "Then run the tests" }).count()).toBe(0);
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

  it("offers Rewind to here on each finished turn's first message", async () => {
    expect(await page.locator("#send").innerText()).toBe("Send");
    expect(await page.locator("#queue").isVisible()).toBe(false);
    const first = page.locator(".entry.user:not(.steered)").first();
    const rewind = first.getByRole("button", { name: "Rewind to here" });
    expect(await rewind.isVisible()).toBe(true);
    await rewind.focus();
    await page.keyboard.press("Enter");
    expect((await posted(page)).at(-1)).toEqual({ type: "rewind", threadId: "thr_1", turnId: "turn_1" });
    expect(await page.locator(".entry.user.steered .rewind").count()).toBe(0);
  });

  it("shows a compaction as a divider, in progress then done, and the context meter drops", async () => {
    expect(await page.locator("#tokens").innerText()).toContain("12.3k / 200k tokens (6%)");
    await page.evaluate(() => (window as unknown as PreviewWindow).codexPreview.compaction("start"));
    const card = page.locator(".entry.compaction").last();
    await card.waitFor({ timeout: 5_000 });
    expect(await card.innerText()).toBe("Compacting context…");
    expect(await card.getAttribute("role")).toBe("status");
    await page.evaluate(() => (window as unknown as PreviewWindow).codexPreview.compaction("done"));
    await page.locator(".entry.compaction", { hasText: /^Context compacted$/ }).waitFor({ timeout: 5_000 });
    expect(await page.locator("#tokens").innerText()).toContain("3.2k / 200k tokens (2%)");
    expect(await page.locator("#tokens progress").getAttribute("value")).toBe("3200");
    // Automatic: inside a turn the user started, with its own wording.
    await page.evaluate(() => (window as unknown as PreviewWindow).codexPreview.compaction("start", true));
    await page.evaluate(() => (window as unknown as PreviewWindow).codexPreview.compaction("done", true));
    const auto = page.locator(".entry.compaction.automatic");
    await auto.waitFor({ timeout: 5_000 });
    expect(await auto.innerText()).toBe("Context compacted automatically: the context was full");
    await auto.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ROOT, "out", "preview", "compaction.png") });
  });

  it("puts queued or rewound text back into the input, after what is typed there", async () => {
    await page.locator("#input").fill("");
    await page.evaluate(() => (window as unknown as PreviewWindow).codexPreview.send({ type: "restoreDraft", text: "Rename line 3" }));
    expect(await page.locator("#input").inputValue()).toBe("Rename line 3");
    expect(await focused(page)).toBe("textarea#input:");
    await page.evaluate(() => (window as unknown as PreviewWindow).codexPreview.send({ type: "restoreDraft", text: "Then run the tests" }));
    expect(await page.locator("#input").inputValue()).toBe("Rename line 3\n\nThen run the tests");
  });

  it("says what the files hold on each file-change card: partly applied, undone, reverted in editor", async () => {
    await page.evaluate(() => (window as unknown as PreviewWindow).codexPreview.fileCards());
    const card = (id: string) => page.locator(`.entry.filechange[data-item="${id}"]`);
    await card("fc_half").waitFor({ timeout: 5_000 });
    const badges = await page.locator(".entry.filechange > .card-head .badge").allInnerTexts();
    expect(badges.slice(-4)).toEqual(["partly applied", "undone", "reverted in editor", "applied"]);
    expect(await card("fc_reverted").locator(".card-head .badge").getAttribute("title")).toContain("You took this change back in the editor");
    expect(await card("fc_undone").locator(".card-head .badge").getAttribute("title")).toContain("Undo Last Turn");
    // One file of two taken back: that file's row says so.
    const rows = card("fc_half").locator(".files li");
    expect(await rows.nth(0).locator(".badge-reverted").innerText()).toBe("reverted in editor");
    expect(await rows.nth(1).locator(".badge-reverted").count()).toBe(0);
    await card("fc_partly").scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ROOT, "out", "preview", "file-cards.png") });
  });

  it("shows a command approval's risk as a colored badge with its description and categories; Always allow answers with the prefix", async () => {
    await page.evaluate(() => (window as unknown as PreviewWindow).codexPreview.commandApproval("c_high", "high", ["npm", "run", "build:prod"]));
    const card = page.locator('.entry.command[data-item="c_high"]');
    await card.waitFor({ timeout: 5_000 });
    const risk = card.locator(".risk");
    expect(await risk.locator(".risk-badge").innerText()).toBe("High risk");
    expect(await risk.locator(".risk-description").innerText()).toBe("Lists the files of the workspace, with their sizes and owners.");
    expect(await risk.locator(".risk-categories .chip").allInnerTexts()).toEqual(["data loss", "outside the workspace"]);
    expect(await risk.getAttribute("aria-label")).toBe("Risk assessment: high risk");
    // The level's color: red for high (the theme's charts color), green for low below.
    const color = (loc: typeof risk) => loc.evaluate((e) => getComputedStyle(e).backgroundColor);
    const high = await color(risk.locator(".risk-badge"));
    const buttons = card.locator(".approval button");
    expect(await buttons.allInnerTexts()).toEqual(["Run", "Run and don't ask again", 'Always allow "npm run build:prod"', "Decline and continue", "Stop the turn"]);
    expect(await buttons.nth(2).getAttribute("title")).toContain('every command starting with "npm run build:prod" in this folder without asking');
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ROOT, "out", "preview", "command-risk.png") });
    await buttons.nth(2).focus();
    await page.keyboard.press("Enter");
    expect((await posted(page)).at(-1)).toEqual({
      type: "approve",
      key: "key_c_high",
      decision: { acceptWithExecpolicyAmendment: { execpolicy_amendment: ["npm", "run", "build:prod"] } },
    });
    // Low risk: another color; no assessment and no proposed prefix: nothing extra.
    await page.evaluate(() => (window as unknown as PreviewWindow).codexPreview.commandApproval("c_low", "low", null));
    const low = page.locator('.entry.command[data-item="c_low"]');
    await low.waitFor({ timeout: 5_000 });
    expect(await low.locator(".risk-badge").innerText()).toBe("Low risk");
    expect(await color(low.locator(".risk-badge"))).not.toBe(high);
    expect(await low.locator(".approval button").allInnerTexts()).toEqual(["Run", "Run and don't ask again", "Decline and continue", "Stop the turn"]);
    await page.evaluate(() => (window as unknown as PreviewWindow).codexPreview.commandApproval("c_none", null, null));
    const none = page.locator('.entry.command[data-item="c_none"]');
    await none.waitFor({ timeout: 5_000 });
    expect(await none.locator(".risk").count()).toBe(0);
    expect(await none.locator(".approval button").count()).toBe(4);
  });

  it("shows a web search: searching, then the query once done", async () => {
    await page.evaluate(() => (window as unknown as PreviewWindow).codexPreview.webSearch("start"));
    const card = page.locator('.entry.websearch[data-item="ws_1"]');
    await card.waitFor({ timeout: 5_000 });
    expect(await card.locator(".card-head strong").innerText()).toBe("Searching the web…");
    expect(await card.locator(".badge").innerText()).toBe("running");
    expect(await card.locator(".websearch-query").count()).toBe(0);
    await page.evaluate(() => (window as unknown as PreviewWindow).codexPreview.webSearch("done", "vitest 4 <script>alert(1)</script> release notes"));
    await card.locator(".badge", { hasText: /^done$/ }).waitFor({ timeout: 5_000 });
    expect(await card.locator(".card-head strong").innerText()).toBe("Searched the web");
    expect(await card.locator(".websearch-query").innerText()).toBe("vitest 4 <script>alert(1)</script> release notes");
    expect(await card.locator("script").count()).toBe(0);
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(ROOT, "out", "preview", "web-search.png") });
  });

  it("fits a narrow side bar: the thread name and the token meter cut with an ellipsis, whole in their tooltips", async () => {
    await page.setViewportSize({ width: 200, height: 700 });
    try {
      // Nothing wider than the view (no sideways scrolling).
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      expect(await page.locator("#transcript").evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
      // New and Close make room for the name (their names stay for screen readers).
      expect(await page.locator("#new-thread").innerText()).toBe("+");
      expect(await page.locator("#new-thread").getAttribute("aria-label")).toBe("New thread");
      const meter = page.locator("#tokens .tokens-text");
      expect(await meter.evaluate((e) => [getComputedStyle(e).textOverflow, getComputedStyle(e).whiteSpace])).toEqual(["ellipsis", "nowrap"]);
      expect(await meter.evaluate((e) => e.scrollWidth > e.clientWidth)).toBe(true);
      expect(await meter.evaluate((e) => e.getBoundingClientRect().height)).toBeLessThan(30);
      expect(await page.locator("#tokens").getAttribute("title")).toMatch(/^Context window: 3\.2k \/ 200k tokens \(2%\) in use by the last request; /);
      expect(await page.locator("#thread-select").getAttribute("title")).toBe("Rename the numbered lines");
      expect(await page.locator("#thread-select").evaluate((e) => e.getBoundingClientRect().right <= window.innerWidth)).toBe(true);
      expect(await page.locator("#send").evaluate((e) => e.getBoundingClientRect().right <= window.innerWidth)).toBe(true);
      await page.screenshot({ path: path.join(ROOT, "out", "preview", "narrow.png") });
    } finally {
      await page.setViewportSize({ width: 420, height: 900 });
    }
  });
});
