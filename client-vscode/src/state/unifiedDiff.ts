// Unified diffs as the server writes them (PROTOCOL.md `FileUpdateChange.diff`): parse,
// apply to the text the editor holds, and the smallest single replacement between two texts.
// No `vscode` import.

export interface DiffLine {
  op: " " | "-" | "+";
  text: string;
  /** False when followed by "\ No newline at end of file". */
  newline: boolean;
}

export interface DiffHunk {
  /** 1-based, as in the header (0 for an empty side). */
  oldStart: number;
  oldLength: number;
  newStart: number;
  newLength: number;
  lines: DiffLine[];
}

export interface ParsedDiff {
  oldPath: string | null;
  newPath: string | null;
  hunks: DiffHunk[];
}

const HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

function side(label: string): string | null {
  const path = label.replace(/\t.*$/, "");
  if (path === "/dev/null") return null;
  return path.replace(/^[ab]\//, "");
}

export function parseUnifiedDiff(diff: string): ParsedDiff {
  const result: ParsedDiff = { oldPath: null, newPath: null, hunks: [] };
  let current: DiffHunk | undefined;
  const lines = diff.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  for (const raw of lines) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (current === undefined || line.startsWith("@@")) {
      const header = HEADER.exec(line);
      if (header) {
        current = {
          oldStart: Number(header[1]),
          oldLength: header[2] === undefined ? 1 : Number(header[2]),
          newStart: Number(header[3]),
          newLength: header[4] === undefined ? 1 : Number(header[4]),
          lines: [],
        };
        result.hunks.push(current);
      } else if (line.startsWith("--- ")) {
        result.oldPath = side(line.slice(4));
      } else if (line.startsWith("+++ ")) {
        result.newPath = side(line.slice(4));
      }
      continue;
    }
    if (line.startsWith("\\")) {
      const last = current.lines[current.lines.length - 1];
      if (last) last.newline = false;
      continue;
    }
    const op = line[0];
    if (op === " " || op === "-" || op === "+") {
      current.lines.push({ op, text: line.slice(1), newline: true });
    } else if (line === "") {
      // Some tools drop the space of an empty context line.
      current.lines.push({ op: " ", text: "", newline: true });
    }
  }
  return result;
}

export class DiffApplyError extends Error {}

/** Split keeping each line's own ending; the last line may have none. */
function splitLines(text: string): string[] {
  if (text === "") return [];
  const out = text.match(/[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$/g);
  return out ?? [];
}

function stripEol(line: string): string {
  return line.replace(/(?:\r\n|\n|\r)$/, "");
}

function dominantEol(text: string): string {
  const crlf = (text.match(/\r\n/g) ?? []).length;
  const lf = (text.match(/\n/g) ?? []).length - crlf;
  return crlf > lf ? "\r\n" : "\n";
}

function matchesAt(lines: string[], at: number, expected: string[]): boolean {
  if (at < 0 || at + expected.length > lines.length) return false;
  return expected.every((text, i) => stripEol(lines[at + i] ?? "") === text);
}

/**
 * Apply a unified diff to `text` (the document as the editor holds it). Hunks are placed at
 * their header line, or the nearest place where their old lines match (the file may have
 * moved a little since the diff was made). The file's line endings are kept.
 */
export function applyUnifiedDiff(text: string, diff: string | ParsedDiff): string {
  const parsed = typeof diff === "string" ? parseUnifiedDiff(diff) : diff;
  const lines = splitLines(text);
  const eol = dominantEol(text);
  const out: string[] = [];
  let cursor = 0;
  for (const hunk of parsed.hunks) {
    const old = hunk.lines.filter((l) => l.op !== "+").map((l) => l.text);
    const wanted = Math.max(0, hunk.oldStart - 1);
    let at = -1;
    for (let delta = 0; at < 0; delta++) {
      const below = wanted - delta;
      const above = wanted + delta;
      if (below < cursor && above > lines.length) break;
      if (below >= cursor && matchesAt(lines, below, old)) at = below;
      else if (above >= cursor && matchesAt(lines, above, old)) at = above;
    }
    if (at < 0) {
      throw new DiffApplyError(`hunk @@ -${hunk.oldStart},${hunk.oldLength} does not match the current text`);
    }
    out.push(...lines.slice(cursor, at));
    let index = at;
    for (const line of hunk.lines) {
      if (line.op === "-") {
        index += 1;
        continue;
      }
      if (line.op === " ") {
        // Keep the document's own line (and its ending).
        const own = lines[index] ?? "";
        index += 1;
        out.push(line.newline ? own : stripEol(own));
        continue;
      }
      out.push(line.newline ? line.text + eol : line.text);
    }
    cursor = index;
  }
  out.push(...lines.slice(cursor));
  // A line that lost its ending in the middle (an old last line followed by additions).
  for (let i = 0; i < out.length - 1; i++) {
    const line = out[i] ?? "";
    if (!/(?:\r\n|\n|\r)$/.test(line)) out[i] = line + eol;
  }
  return out.join("");
}

/** The text a change proposes: the new file for `add`, "" for `delete`, else the diff applied. */
export function proposedText(kind: "add" | "delete" | "update", current: string | undefined, diff: string): string {
  if (kind === "delete") return "";
  if (kind === "add") return applyUnifiedDiff("", diff);
  return applyUnifiedDiff(current ?? "", diff);
}

export interface TextReplacement {
  /** Offsets into the old text. */
  start: number;
  end: number;
  text: string;
}

/** The one replacement turning `before` into `after` (common prefix and suffix kept). */
export function minimalReplacement(before: string, after: string): TextReplacement | undefined {
  if (before === after) return undefined;
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before.charCodeAt(endBefore - 1) === after.charCodeAt(endAfter - 1)) {
    endBefore--;
    endAfter--;
  }
  return { start, end: endBefore, text: after.slice(start, endAfter) };
}

/** Offset -> {line, character} (UTF-16, as LSP and VS Code count). */
export function positionAt(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, character: offset - lineStart };
}
