// What the user typed in the chat box -> a turn's input or a user shell command.
// No `vscode` import: paths are resolved through the given function.
import type { Range, TurnStartParams } from "../protocol/types.js";

/** A turn's input: at least one item (the schema's `minItems: 1`). */
export type TurnInput = TurnStartParams["input"];

export interface SelectionContext {
  uri: string;
  range: Range | null;
}

export type ParsedInput =
  | { kind: "empty" }
  | { kind: "shell"; command: string }
  | { kind: "turn"; input: TurnInput; mentions: string[] };

/** `@path` tokens (a path of at least one character, not an e-mail address). */
const MENTION = /(^|[\s(])@([^\s@()]+)/g;

export function findMentions(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(MENTION)) {
    const raw = (match[2] ?? "").replace(/[.,;:!?]+$/, "");
    if (raw !== "" && !out.includes(raw)) out.push(raw);
  }
  return out;
}

/**
 * `!cmd` runs `cmd` as a user shell command (`codex/thread/shellCommand`); anything else is
 * a turn: the text, one `mention` per `@path` that resolves to a file, and the editor's
 * selection (or document) as a `document` input when one is given.
 */
export function parseChatInput(
  text: string,
  resolveMention: (name: string) => string | undefined,
  selection?: SelectionContext,
): ParsedInput {
  const trimmed = text.trim();
  if (trimmed === "") return { kind: "empty" };
  if (trimmed.startsWith("!")) {
    const command = trimmed.slice(1).trim();
    return command === "" ? { kind: "empty" } : { kind: "shell", command };
  }
  const input: TurnInput = [{ type: "text", text: trimmed }];
  const mentions: string[] = [];
  for (const name of findMentions(trimmed)) {
    const path = resolveMention(name);
    if (path === undefined) continue;
    mentions.push(name);
    input.push({ type: "mention", name, path });
  }
  if (selection) {
    input.push(selection.range ? { type: "document", uri: selection.uri, range: selection.range } : { type: "document", uri: selection.uri });
  }
  return { kind: "turn", input, mentions };
}

/** The `@…` being typed at the caret, for completion (undefined when not in a mention). */
export function mentionAt(text: string, caret: number): { start: number; query: string } | undefined {
  const before = text.slice(0, caret);
  const match = /(^|[\s(])@([^\s@()]*)$/.exec(before);
  if (!match) return undefined;
  const query = match[2] ?? "";
  return { start: caret - query.length - 1, query };
}
