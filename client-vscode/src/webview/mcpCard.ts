// The chat card of an MCP tool call: server and tool, arguments, status, progress messages,
// the result (text, structured content, images as thumbnails) or the error.
import type { McpEntry } from "../state/mcp.js";
import type { ApprovalState } from "../state/transcript.js";

export interface CardHelpers {
  el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Record<string, string>, ...children: (Node | string)[]): HTMLElementTagNameMap[K];
  badge(status: string): HTMLSpanElement;
  approvalButtons(approval: ApprovalState): HTMLElement;
}

function collapsible(h: CardHelpers, label: string, text: string, open: boolean, cls: string): HTMLDetailsElement {
  const details = h.el("details", { class: `mcp-section ${cls}` });
  if (open) details.open = true;
  details.append(h.el("summary", {}, label), h.el("pre", { class: "output", tabindex: "0", "aria-label": label }, text));
  return details;
}

export function renderMcp(e: McpEntry, h: CardHelpers): HTMLElement {
  const node = h.el("article", { class: `entry mcp status-${e.status}`, "aria-label": `MCP tool ${e.server} ${e.tool}` });
  const name = h.el("span", { class: "mcp-name" }, h.el("span", { class: "muted mcp-server" }, `${e.server} ·`), " ", h.el("strong", { class: "mcp-tool" }, e.tool));
  node.append(h.el("div", { class: "card-head" }, name, h.badge(e.approval ? "proposed" : e.status)));
  if (e.arguments !== "") node.append(collapsible(h, "Arguments", e.arguments, e.status === "inProgress", "mcp-arguments"));
  if (e.approval?.reason) node.append(h.el("div", { class: "reason" }, `Reason: ${e.approval.reason}`));
  if (e.progress.length) {
    const list = h.el("ul", { class: "mcp-progress", "aria-label": "Progress" });
    for (const message of e.progress) list.append(h.el("li", {}, message));
    node.append(list);
  }
  if (e.error !== null) node.append(h.el("div", { class: "mcp-error", role: "alert" }, e.error));
  else if (e.status === "declined") node.append(h.el("div", { class: "muted" }, "Declined: the call did not reach the server."));
  if (e.resultText !== "") node.append(h.el("pre", { class: "output mcp-result", tabindex: "0", "aria-label": "Result" }, e.resultText.length > 20_000 ? `${e.resultText.slice(0, 20_000)}…` : e.resultText));
  if (e.structured !== null) node.append(collapsible(h, "Structured content", e.structured, false, "mcp-structured"));
  if (e.images.length) {
    const row = h.el("div", { class: "mcp-images" });
    for (const image of e.images) {
      const src = `data:${image.mimeType};base64,${image.data}`;
      const img = h.el("img", { class: "mcp-image", src, alt: `Image from ${e.tool}`, title: "Click for full size" });
      img.style.maxWidth = "160px";
      img.style.maxHeight = "120px";
      img.addEventListener("click", () => {
        const full = img.style.maxWidth === "100%";
        img.style.maxWidth = full ? "160px" : "100%";
        img.style.maxHeight = full ? "120px" : "none";
      });
      row.append(img);
    }
    node.append(row);
  }
  if (e.durationMs !== null && e.status !== "inProgress") node.append(h.el("div", { class: "muted" }, `${(e.durationMs / 1000).toFixed(1)} s`));
  if (e.approval) node.append(h.approvalButtons(e.approval));
  return node;
}
