// Status bar text and tooltip (no `vscode` import).
import type { RateLimitSnapshot, RateLimitWindow } from "../protocol/types.js";

export interface StatusInputs {
  model: string | null;
  effort: string | null;
  rateLimits: RateLimitSnapshot | null;
  server: "starting" | "running" | "restarting" | "stopped" | "failed";
  /** Share of the current thread's context window in use, 0..1. */
  contextUsed?: number | null;
}

export function statusText(s: StatusInputs): string {
  if (s.server === "starting") return "$(loading~spin) Codex";
  if (s.server === "restarting") return "$(sync~spin) Codex: restarting";
  if (s.server === "failed") return "$(error) Codex";
  if (s.server === "stopped") return "$(circle-slash) Codex";
  const model = s.model ?? "default model";
  return s.effort ? `$(sparkle) ${model} · ${s.effort}` : `$(sparkle) ${model}`;
}

function windowName(w: RateLimitWindow, fallback: string): string {
  const mins = w.windowDurationMins;
  if (mins === null) return fallback;
  if (mins % 10080 === 0) return `${mins / 10080}-week window`;
  if (mins % 1440 === 0) return `${mins / 1440}-day window`;
  if (mins % 60 === 0) return `${mins / 60}-hour window`;
  return `${mins}-minute window`;
}

export function formatReset(resetsAt: number | null, now: Date = new Date()): string {
  if (resetsAt === null) return "";
  const at = new Date(resetsAt * 1000);
  const minutes = Math.max(0, Math.round((at.getTime() - now.getTime()) / 60_000));
  const clock = at.toISOString().replace("T", " ").slice(0, 16) + " UTC";
  if (minutes < 60) return `resets in ${minutes} min (${clock})`;
  const hours = Math.floor(minutes / 60);
  return `resets in ${hours} h ${minutes % 60} min (${clock})`;
}

/** Markdown for the tooltip. */
export function statusTooltip(s: StatusInputs, now: Date = new Date()): string {
  const lines = [`**Codex** — ${s.model ?? "model from config.toml"}${s.effort ? `, effort ${s.effort}` : ""}`];
  if (s.contextUsed != null) lines.push(`Context window: ${Math.round(s.contextUsed * 100)}% used`);
  const r = s.rateLimits;
  if (r === null) {
    lines.push("Rate limits: not reported yet");
  } else {
    for (const [w, name] of [
      [r.primary, "primary"],
      [r.secondary, "secondary"],
    ] as const) {
      if (!w) continue;
      const reset = formatReset(w.resetsAt, now);
      lines.push(`${windowName(w, name)}: ${Math.round(w.usedPercent)}% used${reset ? `, ${reset}` : ""}`);
    }
    if (r.credits) {
      const c = r.credits;
      lines.push(c.unlimited ? "Credits: unlimited" : `Credits: ${c.hasCredits ? (c.balance ?? "available") : "none left"}`);
    }
  }
  lines.push("", "Click to choose the model");
  return lines.join("  \n");
}

/** "12.3k / 200k tokens (6%)" for the chat footer. */
export function formatTokens(used: number, window: number | null): string {
  const k = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(n >= 100_000 ? 0 : 1)}k` : `${n}`);
  if (window === null || window <= 0) return `${k(used)} tokens`;
  return `${k(used)} / ${k(window)} tokens (${Math.round((used / window) * 100)}%)`;
}
