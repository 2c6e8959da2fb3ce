// Which program to start as the server, and the restart backoff (no `vscode` import).
import * as path from "node:path";
import type { ServerLaunchSettings } from "../state/settings.js";

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where it came from, said in the log. */
  source: "setting" | "python" | "path";
}

/**
 * `codex.server.path` wins; else the `codex-lsp` script beside the selected Python
 * environment's interpreter (when that environment has it); else `codex-lsp` on PATH.
 */
export function resolveServerCommand(
  settings: ServerLaunchSettings,
  pythonExecutable: string | undefined,
  exists: (file: string) => boolean,
  platform: NodeJS.Platform = process.platform,
): ServerCommand {
  if (settings.path !== "") {
    return { command: settings.path, args: settings.args, source: "setting" };
  }
  if (pythonExecutable) {
    const bin = path.dirname(pythonExecutable);
    const names = platform === "win32" ? ["codex-lsp.exe", "Scripts/codex-lsp.exe"] : ["codex-lsp"];
    for (const name of names) {
      const candidate = path.join(bin, name);
      if (exists(candidate)) return { command: candidate, args: settings.args, source: "python" };
    }
  }
  return { command: "codex-lsp", args: settings.args, source: "path" };
}

/** Exponential backoff for restarts after crashes; resets after a healthy run. */
export class Backoff {
  private failures = 0;
  private lastStart = 0;

  constructor(
    private readonly baseMs = 1_000,
    private readonly maxMs = 30_000,
    private readonly healthyMs = 60_000,
    private readonly maxAttempts = 8,
  ) {}

  started(now: number): void {
    this.lastStart = now;
  }

  /** The delay before the next restart, or undefined to give up. */
  crashed(now: number): number | undefined {
    if (this.lastStart !== 0 && now - this.lastStart >= this.healthyMs) this.failures = 0;
    this.failures += 1;
    if (this.failures > this.maxAttempts) return undefined;
    return Math.min(this.maxMs, this.baseMs * 2 ** (this.failures - 1));
  }

  reset(): void {
    this.failures = 0;
  }

  get attempts(): number {
    return this.failures;
  }
}
