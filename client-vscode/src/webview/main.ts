// The chat webview: renders transcript patches, sends what the user does to the extension.
// Everything model-produced goes through textContent or the safe markdown renderer.
import type { CommandRisk } from "../protocol/types.js";
import { type CommandChoice, commandChoices, riskLabel } from "../state/commandApproval.js";
import type { ApprovalState, CompactionEntry, Entry, QueuedMessage, ReviewEntry, ThreadMeta, TranscriptPatch, WebSearchEntry } from "../state/transcript.js";
import type { FromWebview, OpenThreadTab, ToWebview } from "../state/viewMessages.js";
import { formatTokens } from "../state/status.js";
import { confidenceLabel, findingLocation, priorityLabel, summarizeFindings, verdictTone } from "../state/review.js";
import { closeOpenFence, renderMarkdown } from "./markdown.js";
import { renderMcp } from "./mcpCard.js";

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (m: FromWebview): void => vscode.postMessage(m);

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} missing`);
  return node as T;
}

const transcriptEl = byId<HTMLDivElement>("transcript");
const planEl = byId<HTMLDivElement>("plan");
const tokensEl = byId<HTMLDivElement>("tokens");
const threadSelect = byId<HTMLSelectElement>("thread-select");
const newThreadBtn = byId<HTMLButtonElement>("new-thread");
const closeThreadBtn = byId<HTMLButtonElement>("close-thread");
const input = byId<HTMLTextAreaElement>("input");
const sendBtn = byId<HTMLButtonElement>("send");
const queueBtn = byId<HTMLButtonElement>("queue");
const queuedList = byId<HTMLUListElement>("queued");
const stopBtn = byId<HTMLButtonElement>("stop");
const selectionBox = byId<HTMLInputElement>("include-selection");
const selectionLabel = byId<HTMLLabelElement>("selection-label");
const mentionList = byId<HTMLUListElement>("mentions");
const statusEl = byId<HTMLDivElement>("status");
const diffBtn = byId<HTMLButtonElement>("turn-diff");

let currentThread: string | null = null;
let currentMeta: ThreadMeta | null = null;
const nodes = new Map<string, HTMLElement>();
let stickToBottom = true;

transcriptEl.addEventListener("scroll", () => {
  stickToBottom = transcriptEl.scrollHeight - transcriptEl.scrollTop - transcriptEl.clientHeight < 40;
});

// ---- rendering ------------------------------------------------------------------------

const STATUS_LABEL: Record<string, string> = {
  inProgress: "running",
  completed: "done",
  failed: "failed",
  declined: "declined",
  proposed: "waiting for approval",
  applying: "applying",
  applied: "applied",
  partlyApplied: "partly applied",
  edited: "applied with your edits",
  undone: "undone",
  reverted: "reverted in editor",
};

/** What each file-change badge means (its tooltip). */
const OUTCOME_TITLE: Record<string, string> = {
  applied: "The change is in the files as Codex proposed it.",
  partlyApplied: "Some of the proposed hunks were rejected; the files hold the rest.",
  edited: "The files hold the change as you edited it before accepting.",
  undone: "Codex: Undo Last Turn put the files back as they were before this change.",
  reverted: "You took this change back in the editor (Undo); the files hold the text from before it.",
};

function badge(status: string): HTMLSpanElement {
  const node = el("span", { class: `badge badge-${status}` }, STATUS_LABEL[status] ?? status);
  const title = OUTCOME_TITLE[status];
  if (title) node.title = title;
  return node;
}

/** The file-change approval buttons: label, what it answers, and what it does (tooltip).
 * "… and continue" declines and lets the turn go on; "Stop the turn" declines and
 * interrupts it. Commands: `commandChoices` (with "Always allow <prefix>" when proposed). */
const CHANGE_CHOICES: CommandChoice[] = [
  { label: "Accept", decision: "accept", title: "Apply the change as it is in the diff editor" },
  { label: "Accept for session", decision: "acceptForSession", title: "Apply it, and further changes in this folder without asking in this thread" },
  { label: "Reject and continue", decision: "decline", title: "Don't apply it; Codex is told and goes on" },
  { label: "Stop the turn", decision: "cancel", title: "Don't apply it, and stop what Codex is doing" },
];

function approvalButtons(approval: ApprovalState): HTMLDivElement {
  const row = el("div", { class: "approval", role: "group", "aria-label": "Approval" });
  const choices = approval.kind === "command" ? commandChoices(approval.amendment) : CHANGE_CHOICES;
  choices.forEach(({ label, decision, title }, i) => {
    const always = typeof decision === "object";
    const b = el("button", { class: i === 0 ? "primary" : always ? "secondary always-allow" : "secondary", type: "button", title }, label);
    b.addEventListener("click", () => post({ type: "approve", key: approval.key, decision }));
    row.append(b);
  });
  return row;
}

/** The model's assessment of a command waiting for approval: the level as a colored badge,
 * what the command does, the categories as chips. Nothing without one. */
function riskBlock(risk: CommandRisk | null | undefined): HTMLElement | null {
  if (!risk) return null;
  const level = risk.riskLevel;
  const node = el("div", { class: `risk risk-${level}`, role: "note", "aria-label": `Risk assessment: ${riskLabel(level).toLowerCase()}` });
  node.append(el("span", { class: `badge risk-badge risk-${level}` }, riskLabel(level)), el("span", { class: "risk-description" }, risk.description));
  if (risk.riskCategories.length) {
    const chips = el("div", { class: "chips risk-categories", "aria-label": "Risk categories" });
    for (const c of risk.riskCategories) chips.append(el("span", { class: "chip" }, c));
    node.append(chips);
  }
  return node;
}

/** A web search: the query (once the model sent it), searching or done. */
function renderWebSearch(e: WebSearchEntry): HTMLElement {
  const node = el("article", { class: `entry websearch status-${e.status}`, "aria-label": "Web search" });
  const title = e.status === "inProgress" ? "Searching the web…" : e.status === "failed" ? "Web search stopped" : "Searched the web";
  node.append(el("div", { class: "card-head" }, el("strong", {}, title), badge(e.status)));
  if (e.query !== "") node.append(el("div", { class: "websearch-query", title: e.query }, el("q", {}, e.query)));
  return node;
}

/** A path relative to the thread's directory when it is inside it. */
function relative(p: string): string {
  const cwd = currentMeta?.cwd;
  if (cwd && p.startsWith(`${cwd}/`)) return p.slice(cwd.length + 1);
  return p;
}

function markdownBlock(text: string): HTMLDivElement {
  const body = el("div", { class: "markdown" });
  body.innerHTML = renderMarkdown(text);
  return body;
}

/** The review's card: verdict, explanation, confidence, then the findings (worst first), each
 * a button that opens its place in the editor. Without structured output: the text. */
function renderReview(e: ReviewEntry): HTMLElement {
  const node = el("article", { class: "entry review", "aria-label": "Review" });
  const head = el("div", { class: "card-head" }, el("strong", {}, "Review"));
  node.append(head);
  const out = e.output;
  if (out === null) {
    head.append(el("span", { class: "badge" }, "no structured findings"));
    node.append(markdownBlock(e.review));
    return node;
  }
  const tone = verdictTone(out.overallCorrectness);
  head.append(el("span", { class: `badge verdict verdict-${tone}` }, out.overallCorrectness || "no verdict"));
  if (out.overallExplanation) node.append(markdownBlock(out.overallExplanation));
  const confidence = confidenceLabel(out.overallConfidenceScore);
  node.append(el("div", { class: "muted" }, `${summarizeFindings(out)}${confidence ? ` · confidence ${confidence}` : ""}`));
  if (out.findings.length === 0) return node;
  const list = el("ol", { class: "findings", "aria-label": "Findings" });
  const ordered = out.findings.map((f, i) => ({ f, i })).sort((a, b) => a.f.priority - b.f.priority || a.i - b.i);
  for (const { f } of ordered) {
    const where = findingLocation(f, currentMeta?.cwd ?? null);
    const open = el(
      "button",
      { class: "finding-open", type: "button", title: `Open ${where}` },
      el("span", { class: `prio prio-${f.priority}`, "aria-label": `priority ${f.priority}` }, priorityLabel(f.priority)),
      el("span", { class: "finding-title" }, f.title),
      el("span", { class: "finding-where" }, where),
    );
    const { absoluteFilePath, lineRange } = f.codeLocation;
    open.addEventListener("click", () => post({ type: "openLocation", path: absoluteFilePath, startLine: lineRange.start, endLine: lineRange.end }));
    const item = el("li", { class: `finding finding-p${f.priority}` }, open, markdownBlock(f.body));
    const score = confidenceLabel(f.confidenceScore);
    if (score) item.append(el("div", { class: "muted" }, `confidence ${score}`));
    list.append(item);
  }
  node.append(list);
  return node;
}

/** A divider across the transcript: the history before it was compacted into a summary. */
function renderCompaction(e: CompactionEntry): HTMLElement {
  const label = e.inProgress
    ? "Compacting context…"
    : e.automatic
      ? "Context compacted automatically: the context was full"
      : "Context compacted";
  const node = el("div", { class: `entry compaction${e.inProgress ? " in-progress" : ""}${e.automatic ? " automatic" : ""}`, role: "status" });
  node.append(el("span", { class: "rule", "aria-hidden": "true" }), el("span", { class: "label" }, label), el("span", { class: "rule", "aria-hidden": "true" }));
  return node;
}

function renderEntry(e: Entry): HTMLElement {
  switch (e.kind) {
    case "user": {
      const node = el("article", { class: `entry user${e.steered ? " steered" : ""}`, "aria-label": "You" });
      const who = el("div", { class: "who" }, el("span", {}, e.steered ? "You, while Codex worked" : "You"));
      const turnId = e.turnId;
      if (!e.steered && turnId !== null) {
        // Rewind: this turn and every later one go (asked first, in a modal dialog).
        const rewind = el("button", { class: "link rewind", type: "button", title: "Remove this turn and every later one; restore the files they changed" }, "Rewind to here");
        rewind.addEventListener("click", () => {
          if (currentThread) post({ type: "rewind", threadId: currentThread, turnId });
        });
        who.append(rewind);
      }
      node.append(who, el("div", { class: "text" }, e.text));
      if (e.attachments.length) {
        const chips = el("div", { class: "chips" });
        for (const a of e.attachments) chips.append(el("span", { class: "chip" }, a));
        node.append(chips);
      }
      return node;
    }
    case "agent": {
      const node = el("article", { class: `entry agent${e.streaming ? " streaming" : ""}`, "aria-label": "Codex" });
      const body = el("div", { class: "markdown" });
      body.innerHTML = renderMarkdown(e.streaming ? closeOpenFence(e.text) : e.text);
      node.append(el("div", { class: "who" }, "Codex"), body);
      return node;
    }
    case "reasoning": {
      const details = el("details", { class: "entry reasoning" });
      const title = e.summary.find((s) => s.trim() !== "")?.split("\n")[0]?.replace(/\*\*/g, "") ?? "Reasoning";
      details.append(el("summary", {}, `${e.streaming ? "Thinking: " : "Thought: "}${title}`));
      const body = el("div", { class: "markdown" });
      body.innerHTML = renderMarkdown([...e.summary, ...e.content].join("\n\n"));
      details.append(body);
      return details;
    }
    case "command": {
      const node = el("article", { class: `entry command status-${e.status}`, "aria-label": `Command ${e.command}` });
      const head = el("div", { class: "card-head" });
      head.append(
        el("code", { class: "cmd" }, `${e.source === "userShell" ? "!" : "$"} ${e.command}`),
        badge(e.approval ? "proposed" : e.status),
      );
      node.append(head);
      if (e.actions.length) node.append(el("div", { class: "muted" }, e.actions.join(" · ")));
      const risk = riskBlock(e.approval?.risk);
      if (risk) node.append(risk);
      if (e.approval?.reason) node.append(el("div", { class: "reason" }, `Reason: ${e.approval.reason}`));
      if (e.output !== "") {
        const pre = el("pre", { class: "output", tabindex: "0", "aria-label": "Output" });
        pre.textContent = e.output.length > 20_000 ? `…${e.output.slice(-20_000)}` : e.output;
        node.append(pre);
      }
      if (e.status !== "inProgress") {
        const exit = e.exitCode === null ? "no exit code" : `exit ${e.exitCode}`;
        const time = e.durationMs === null ? "" : ` · ${(e.durationMs / 1000).toFixed(1)} s`;
        node.append(el("div", { class: "muted" }, `${exit}${time} · ${e.cwd}`));
      }
      if (e.approval) node.append(approvalButtons(e.approval));
      return node;
    }
    case "fileChange": {
      const node = el("article", { class: `entry filechange outcome-${e.outcome}`, "aria-label": "File changes" });
      const head = el("div", { class: "card-head" });
      head.append(el("strong", {}, `${e.changes.length} file${e.changes.length === 1 ? "" : "s"} changed`), badge(e.outcome));
      node.append(head);
      const list = el("ul", { class: "files" });
      for (const c of e.changes) {
        const name = c.movePath ? `${relative(c.path)} → ${relative(c.movePath)}` : relative(c.path);
        const open = el("button", { class: "link", type: "button", title: `Open diff of ${name}` }, "Open diff");
        open.addEventListener("click", () => post({ type: "openDiff", threadId: currentThread ?? "", itemId: e.id, path: c.path }));
        const row = el(
          "li",
          {},
          el("span", { class: `kind kind-${c.kind}` }, c.kind === "add" ? "A" : c.kind === "delete" ? "D" : "M"),
          el("span", { class: "path", title: name }, name),
        );
        // One file of several taken back in the editor (all of them: the card's badge says so).
        if (e.outcome !== "reverted" && e.reverted.includes(c.path)) {
          row.append(el("span", { class: "badge badge-reverted", title: OUTCOME_TITLE.reverted ?? "" }, "reverted in editor"));
        }
        row.append(el("span", { class: "added" }, `+${c.added}`), el("span", { class: "removed" }, `-${c.removed}`), open);
        list.append(row);
      }
      node.append(list);
      if (e.approval?.reason) node.append(el("div", { class: "reason" }, `Reason: ${e.approval.reason}`));
      if (e.approval) {
        node.append(
          el("div", { class: "muted" }, "Review the diff: revert the hunks you don't want or edit the proposed text, then accept."),
          approvalButtons(e.approval),
        );
      }
      return node;
    }
    case "webSearch":
      return renderWebSearch(e);
    case "mcp":
      return renderMcp(e, { el, badge, approvalButtons });
    case "notice":
      return el("div", { class: `entry notice notice-${e.level}`, role: e.level === "error" ? "alert" : "status" }, e.text);
    case "compaction":
      return renderCompaction(e);
    case "reviewStart":
      return el("div", { class: "entry review-start", role: "status" }, `Reviewing: ${e.review}`);
    case "review":
      return renderReview(e);
  }
}

const IDLE_PLACEHOLDER = input.placeholder;
const RUNNING_PLACEHOLDER = "Codex is working. Enter adds this to the running turn; Alt+Enter queues it for when the turn ends.";

/** The input's buttons and hints: while a turn runs, Enter steers it and Alt+Enter queues. */
function renderRunning(running: boolean): void {
  stopBtn.disabled = !running;
  sendBtn.textContent = running ? "Steer" : "Send";
  sendBtn.title = running ? "Add this to the running turn: Codex reads it at its next step (Enter)" : "Send (Enter)";
  queueBtn.hidden = !running;
  input.placeholder = running ? RUNNING_PLACEHOLDER : IDLE_PLACEHOLDER;
  // No rewinding while a turn runs (the server refuses it).
  document.body.classList.toggle("turn-running", running);
}

/** Messages waiting for the running turn to end; each can be removed before it goes. */
function renderQueued(queued: readonly QueuedMessage[]): void {
  queuedList.replaceChildren();
  queuedList.hidden = queued.length === 0;
  for (const q of queued) {
    const remove = el("button", { class: "link", type: "button", title: "Remove this queued message", "aria-label": `Remove queued message: ${q.text}` }, "Remove");
    remove.addEventListener("click", () => {
      if (currentThread) post({ type: "unqueue", threadId: currentThread, id: q.id });
    });
    queuedList.append(el("li", { class: "queued-item" }, el("span", { class: "badge" }, "queued"), el("span", { class: "queued-text" }, q.text), remove));
  }
}

function renderMeta(meta: ThreadMeta): void {
  currentMeta = meta;
  const running = meta.activeTurnId !== null;
  renderRunning(running);
  renderQueued(meta.queued);
  diffBtn.hidden = !meta.turnDiff;
  // Plan as a checklist.
  planEl.replaceChildren();
  if (meta.plan && meta.plan.steps.length) {
    planEl.hidden = false;
    planEl.append(el("div", { class: "plan-title" }, "Plan"));
    if (meta.plan.explanation) planEl.append(el("div", { class: "muted" }, meta.plan.explanation));
    const list = el("ul", { class: "checklist", role: "list" });
    for (const step of meta.plan.steps) {
      const mark = step.status === "completed" ? "☑" : step.status === "inProgress" ? "◐" : "☐";
      list.append(
        el(
          "li",
          { class: `step step-${step.status}`, "aria-label": `${step.step}: ${step.status}` },
          el("span", { class: "mark", "aria-hidden": "true" }, mark),
          el("span", {}, step.step),
        ),
      );
    }
    planEl.append(list);
  } else {
    planEl.hidden = true;
  }
  // Tokens against the context window.
  tokensEl.replaceChildren();
  const usage = meta.tokenUsage;
  if (usage) {
    const used = usage.last.totalTokens;
    const window = usage.modelContextWindow;
    const bar = el("progress", { max: String(window ?? 1), value: String(Math.min(used, window ?? used)), "aria-label": "Context window used" });
    const text = `${formatTokens(used, window)} · total ${formatTokens(usage.total.totalTokens, null)}`;
    // Cut with an ellipsis in a narrow side bar; the whole text in the tooltip.
    tokensEl.title = `Context window: ${formatTokens(used, window)} in use by the last request; ${formatTokens(usage.total.totalTokens, null)} in this thread so far`;
    tokensEl.append(bar, el("span", { class: "tokens-text" }, text));
  } else {
    tokensEl.removeAttribute("title");
  }
  statusEl.textContent = meta.waitingOnApproval ? "Waiting for your approval" : running ? "Working… (Enter steers, Alt+Enter queues)" : "";
}

function applyPatch(patch: TranscriptPatch): void {
  if (patch.threadId !== currentThread) return;
  currentMeta = patch.meta;
  if (patch.reset) {
    transcriptEl.replaceChildren();
    nodes.clear();
  }
  for (const entry of patch.entries) {
    const fresh = renderEntry(entry);
    fresh.dataset.item = entry.id;
    const old = nodes.get(entry.id);
    if (old) {
      // Keep a reasoning block open/closed as the user left it.
      if (old instanceof HTMLDetailsElement && fresh instanceof HTMLDetailsElement) fresh.open = old.open;
      old.replaceWith(fresh);
    } else {
      transcriptEl.append(fresh);
    }
    nodes.set(entry.id, fresh);
  }
  renderMeta(patch.meta);
  if (stickToBottom) transcriptEl.scrollTop = transcriptEl.scrollHeight;
}

function renderThreads(open: OpenThreadTab[], current: string | null): void {
  threadSelect.replaceChildren();
  if (open.length === 0) threadSelect.append(el("option", { value: "" }, "No thread yet: type below to start one"));
  for (const t of open) {
    const option = el("option", { value: t.threadId, title: t.title }, `${t.active ? "● " : ""}${t.title}`);
    option.selected = t.threadId === current;
    threadSelect.append(option);
  }
  // A narrow side bar cuts the name: the whole of it in the tooltip.
  threadSelect.title = open.find((t) => t.threadId === current)?.title ?? "Open threads";
  closeThreadBtn.disabled = current === null;
  if (current !== currentThread) {
    currentThread = current;
    transcriptEl.replaceChildren();
    nodes.clear();
    currentMeta = null;
    if (current === null) {
      renderRunning(false);
      renderQueued([]);
      planEl.hidden = true;
      tokensEl.replaceChildren();
    }
  }
  vscode.setState({ currentThread, draft: input.value });
}

// ---- input ------------------------------------------------------------------------------

let mentionRequest = 0;
let mentionStart = -1;
let mentionActive = 0;

function hideMentions(): void {
  mentionList.hidden = true;
  mentionList.replaceChildren();
  input.setAttribute("aria-expanded", "false");
  input.removeAttribute("aria-activedescendant");
  mentionStart = -1;
}

function mentionQuery(): void {
  const caret = input.selectionStart;
  const before = input.value.slice(0, caret);
  const match = /(^|[\s(])@([^\s@()]*)$/.exec(before);
  if (!match) {
    hideMentions();
    return;
  }
  const query = match[2] ?? "";
  mentionStart = caret - query.length - 1;
  mentionRequest += 1;
  post({ type: "mentionQuery", requestId: mentionRequest, query });
}

function highlightMention(index: number): void {
  const items = [...mentionList.children] as HTMLElement[];
  if (items.length === 0) return;
  mentionActive = (index + items.length) % items.length;
  items.forEach((item, i) => item.setAttribute("aria-selected", i === mentionActive ? "true" : "false"));
  const active = items[mentionActive];
  if (active) {
    input.setAttribute("aria-activedescendant", active.id);
    active.scrollIntoView({ block: "nearest" });
  }
}

function acceptMention(label: string): void {
  if (mentionStart < 0) return;
  const caret = input.selectionStart;
  const value = input.value;
  input.value = `${value.slice(0, mentionStart)}@${label} ${value.slice(caret)}`;
  const pos = mentionStart + label.length + 2;
  input.setSelectionRange(pos, pos);
  hideMentions();
  input.focus();
}

/** Send what is typed: a new turn, or (while a turn runs) input for that turn; `later`
 * (Alt+Enter) queues it for when the running turn ends instead. */
function send(later = false): void {
  const text = input.value;
  if (text.trim() === "") return;
  const includeSelection = selectionBox.checked && !selectionBox.disabled;
  if (currentMeta?.activeTurnId && currentThread) {
    post({ type: later ? "queue" : "steer", threadId: currentThread, text, includeSelection });
  } else {
    post({ type: "send", threadId: currentThread, text, includeSelection });
  }
  input.value = "";
  vscode.setState({ currentThread, draft: "" });
  hideMentions();
}

input.addEventListener("keydown", (ev) => {
  if (!mentionList.hidden) {
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      ev.preventDefault();
      highlightMention(mentionActive + (ev.key === "ArrowDown" ? 1 : -1));
      return;
    }
    if (ev.key === "Enter" || ev.key === "Tab") {
      const active = mentionList.children[mentionActive] as HTMLElement | undefined;
      if (active?.dataset.label) {
        ev.preventDefault();
        acceptMention(active.dataset.label);
        return;
      }
    }
    if (ev.key === "Escape") {
      ev.preventDefault();
      hideMentions();
      return;
    }
  }
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    send(ev.altKey);
  } else if (ev.key === "Escape" && currentMeta?.activeTurnId && currentThread) {
    post({ type: "stop", threadId: currentThread });
  }
});
input.addEventListener("input", () => {
  mentionQuery();
  vscode.setState({ currentThread, draft: input.value });
});
sendBtn.addEventListener("click", () => send());
queueBtn.addEventListener("click", () => send(true));
stopBtn.addEventListener("click", () => {
  if (currentThread) post({ type: "stop", threadId: currentThread });
});
newThreadBtn.addEventListener("click", () => post({ type: "newThread" }));
closeThreadBtn.addEventListener("click", () => {
  if (currentThread) post({ type: "closeThread", threadId: currentThread });
});
threadSelect.addEventListener("change", () => {
  if (threadSelect.value) post({ type: "selectThread", threadId: threadSelect.value });
});
diffBtn.addEventListener("click", () => {
  if (currentThread) post({ type: "openTurnDiff", threadId: currentThread });
});
transcriptEl.addEventListener("click", (ev) => {
  const target = ev.target instanceof Element ? ev.target.closest("a[data-href]") : null;
  if (target) {
    ev.preventDefault();
    post({ type: "openLink", href: target.getAttribute("data-href") ?? "" });
  }
});

window.addEventListener("message", (event: MessageEvent<ToWebview>) => {
  const m = event.data;
  switch (m.type) {
    case "patch":
      applyPatch(m.patch);
      break;
    case "threads":
      renderThreads(m.open, m.current);
      break;
    case "context":
      selectionBox.disabled = m.selection === null;
      selectionLabel.textContent = m.selection === null ? "No selection" : `Include ${m.selection}`;
      selectionLabel.title = m.selection === null ? "Select code in an editor to include it" : `Include the selection ${m.selection} with the message`;
      break;
    case "mentionResults": {
      if (m.requestId !== mentionRequest || mentionStart < 0) return;
      mentionList.replaceChildren();
      m.items.forEach((item, i) => {
        const li = el("li", { id: `mention-${i}`, role: "option", "aria-selected": "false" }, el("span", {}, item.label), el("span", { class: "muted" }, item.detail));
        li.dataset.label = item.label;
        li.addEventListener("mousedown", (ev) => {
          ev.preventDefault();
          acceptMention(item.label);
        });
        mentionList.append(li);
      });
      mentionList.hidden = m.items.length === 0;
      input.setAttribute("aria-expanded", m.items.length ? "true" : "false");
      highlightMention(0);
      break;
    }
    case "server":
      statusEl.textContent = m.message ?? "";
      break;
    case "focusInput":
      if (m.text !== undefined) input.value = m.text;
      input.focus();
      break;
    case "restoreDraft":
      input.value = input.value.trim() === "" ? m.text : `${input.value.replace(/\s+$/, "")}\n\n${m.text}`;
      vscode.setState({ currentThread, draft: input.value });
      input.focus();
      break;
  }
});

const saved = vscode.getState() as { draft?: string } | undefined;
if (saved?.draft) input.value = saved.draft;
post({ type: "ready" });
