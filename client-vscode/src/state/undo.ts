// What the user is told after `codex.undoTurn` (see docs/PROTOCOL.md for its result).

export interface UndoReport {
  message: string;
  /** Some files were left as they are (the user changed them since): a warning. */
  warning: boolean;
}

const basename = (p: string): string => p.split(/[\\/]/).pop() ?? p;
const names = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((p): p is string => typeof p === "string").map(basename) : [];

/** The server's notes, for a person: "this thread" / "that turn" instead of their ids. */
export function friendlyNotes(value: unknown): string {
  const notes = Array.isArray(value) ? value.filter((n): n is string => typeof n === "string" && n.trim() !== "") : [];
  return notes
    .map((n) => n.trim().replace(/\bthread [\w-]{6,}/g, "this thread").replace(/\bturn [\w-]{6,}/g, "that turn"))
    .join(" ");
}

/** A one-line summary of an undo result: what was restored, deleted and left alone; or,
 * when nothing was undone, why (the server's notes). */
export function describeUndo(result: unknown): UndoReport {
  const r = (typeof result === "object" && result !== null ? result : {}) as Record<string, unknown>;
  const notes = friendlyNotes(r.notes);
  if (r.undone === false) {
    return { message: `Codex: ${notes || "Nothing to undo."}`, warning: false };
  }
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
  return { message: `Codex: undid the last turn's file changes: ${what}.${notes ? ` ${notes}` : ""}`, warning: refused.length > 0 };
}
