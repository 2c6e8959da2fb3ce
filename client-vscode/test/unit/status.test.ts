import { describe, expect, it } from "vitest";
import { formatReset, formatTokens, statusText, statusTooltip } from "../../src/state/status.js";

const NOW = new Date("2025-01-01T12:00:00Z");

describe("status bar", () => {
  it("shows model and effort, or the server state", () => {
    expect(statusText({ model: "gpt-5.1-codex", effort: "high", rateLimits: null, server: "running" })).toBe("$(sparkle) gpt-5.1-codex · high");
    expect(statusText({ model: null, effort: null, rateLimits: null, server: "running" })).toBe("$(sparkle) default model");
    expect(statusText({ model: "m", effort: null, rateLimits: null, server: "restarting" })).toContain("restarting");
  });

  it("puts rate-limit use and reset times in the tooltip", () => {
    const resetsAt = Math.floor(NOW.getTime() / 1000) + 90 * 60;
    const tooltip = statusTooltip(
      {
        model: "m",
        effort: "low",
        server: "running",
        contextUsed: 0.42,
        rateLimits: {
          primary: { usedPercent: 37.4, windowDurationMins: 300, resetsAt },
          secondary: { usedPercent: 5, windowDurationMins: 10080, resetsAt: null },
          credits: { hasCredits: true, unlimited: false, balance: "12.50" },
        },
      },
      NOW,
    );
    expect(tooltip).toContain("5-hour window: 37% used, resets in 1 h 30 min (2025-01-01 13:30 UTC)");
    expect(tooltip).toContain("1-week window: 5% used");
    expect(tooltip).toContain("Credits: 12.50");
    expect(tooltip).toContain("Context window: 42% used");
  });

  it("formats resets and tokens", () => {
    expect(formatReset(null)).toBe("");
    expect(formatReset(Math.floor(NOW.getTime() / 1000) + 600, NOW)).toBe("resets in 10 min (2025-01-01 12:10 UTC)");
    expect(formatTokens(12_345, 200_000)).toBe("12.3k / 200k tokens (6%)");
    expect(formatTokens(800, null)).toBe("800 tokens");
  });
});
