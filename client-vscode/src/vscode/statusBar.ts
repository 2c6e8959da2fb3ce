// Status bar: model and effort; tooltip with rate-limit use and reset times.
import * as vscode from "vscode";
import type { RateLimitSnapshot } from "../protocol/types.js";
import { statusText, statusTooltip, type StatusInputs } from "../state/status.js";

export class CodexStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("codex.status", vscode.StatusBarAlignment.Right, 100);
  private inputs: StatusInputs = { model: null, effort: null, rateLimits: null, server: "stopped" };

  constructor() {
    this.item.name = "Codex";
    this.item.command = "codex.selectModel";
    this.render();
    this.item.show();
  }

  update(change: Partial<StatusInputs>): void {
    this.inputs = { ...this.inputs, ...change };
    this.render();
  }

  setRateLimits(rateLimits: RateLimitSnapshot): void {
    this.update({ rateLimits });
  }

  private render(): void {
    this.item.text = statusText(this.inputs);
    const tooltip = new vscode.MarkdownString(statusTooltip(this.inputs));
    tooltip.supportThemeIcons = true;
    this.item.tooltip = tooltip;
    this.item.backgroundColor =
      this.inputs.server === "failed" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
