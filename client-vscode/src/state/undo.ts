// What the user is told after `codex.undoTurn` (see docs/PROTOCOL.md for its result).

export interface UndoReport {
  message: string;
  /** Some files were left as they are (the user changed them since): a warning. */
  warning: boolean;
}

const basename = (p: string): string => p.split(/[\\/]/).pop() ?? p;
const names = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((p): p is string => typeof p === "string").map(basename) : [];

/** A one-line summary of an undo result: what was restored, deleted and left alone. */
export function describeUndo(result: unknown): UndoReport {
  const r = (typeof result === "object" && result !== null ? result : {}) as Record<string, unknown>;
  const restored = names(r.restored);
  const deleted = names(r.deleted);
  const refused = Array.isArray(r.refused)
    ? r.refused.flatMap((f) => {
        const item = (typeof f === "object" && f !== null ? f : {}) as Record<string, unknown>;
        return typeof item.path === "string" ? [`${basename(item.path)} (${typeof item.reason === "string" ? item.reason : "not restored"})`] : [];
      })
    : [];
  const parts: string[] = [];
  if (restored.length) parts.push(`restored ${restored.join(", ")}`);
  if (deleted.length) parts.push(`deleted ${deleted.join(", ")}`);
  if (refused.length) parts.push(`left as they are: ${refused.join("; ")}`);
  const what = parts.length ? parts.join("; ") : "no file needed restoring";
  return { message: `Codex: undid the last turn's file changes: ${what}.`, warning: refused.length > 0 };
}
