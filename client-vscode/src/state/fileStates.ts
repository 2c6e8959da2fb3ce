// What a file-change card says the files hold after the change landed, kept true:
// partly applied and applied with your edits (known only while the change is reviewed),
// undone (Codex: Undo Last Turn) and reverted in editor (Ctrl+Z of the applied edit). A
// thread's history says only "completed", so `FileStates` remembers these per item (the
// extension saves them in the workspace state: a window reload or a resume shows them again),
// and `RevertTracker` watches the changed documents for their text from before the change.
// No `vscode` import.

/** What is known of one landed file change beyond its status. */
export interface FileRecord {
  /** How it landed, when not as proposed. */
  landed?: "partlyApplied" | "edited";
  /** Its turn was undone (`codex.undoTurn`). */
  undone?: boolean;
  /** Paths whose document holds its text from before the change again. */
  reverted?: string[];
}

/** threadId -> itemId -> record (plain JSON, for the workspace state). */
export type FileStatesData = Record<string, Record<string, FileRecord>>;

/** Threads and items per thread kept (the oldest go first). */
const MAX_THREADS = 200;
const MAX_ITEMS = 500;

function isEmpty(r: FileRecord): boolean {
  return r.landed === undefined && r.undone !== true && (r.reverted === undefined || r.reverted.length === 0);
}

/** The records, bounded, with a callback that saves them after each change. */
export class FileStates {
  private readonly threads = new Map<string, Map<string, FileRecord>>();

  constructor(
    initial?: unknown,
    private readonly save?: (data: FileStatesData) => void,
  ) {
    if (typeof initial !== "object" || initial === null) return;
    for (const [threadId, items] of Object.entries(initial as Record<string, unknown>)) {
      if (typeof items !== "object" || items === null) continue;
      const map = new Map<string, FileRecord>();
      for (const [itemId, raw] of Object.entries(items as Record<string, unknown>)) {
        const record = parseRecord(raw);
        if (record) map.set(itemId, record);
      }
      if (map.size) this.threads.set(threadId, map);
    }
  }

  get(threadId: string, itemId: string): FileRecord | undefined {
    return this.threads.get(threadId)?.get(itemId);
  }

  /** Merge `change` into an item's record (an empty record is dropped) and save. */
  update(threadId: string, itemId: string, change: FileRecord): void {
    let items = this.threads.get(threadId);
    const next: FileRecord = { ...items?.get(itemId), ...change };
    if (next.reverted !== undefined && next.reverted.length === 0) delete next.reverted;
    if (next.undone !== true) delete next.undone;
    if (next.landed === undefined) delete next.landed;
    if (items === undefined) {
      if (isEmpty(next)) return;
      items = new Map();
    }
    // Most recently changed last: the oldest are dropped past the bounds.
    this.threads.delete(threadId);
    this.threads.set(threadId, items);
    items.delete(itemId);
    if (!isEmpty(next)) items.set(itemId, next);
    while (items.size > MAX_ITEMS) items.delete(items.keys().next().value as string);
    if (items.size === 0) this.threads.delete(threadId);
    while (this.threads.size > MAX_THREADS) this.threads.delete(this.threads.keys().next().value as string);
    this.save?.(this.data());
  }

  data(): FileStatesData {
    const out: FileStatesData = {};
    for (const [threadId, items] of this.threads) out[threadId] = Object.fromEntries(items);
    return out;
  }
}

function parseRecord(raw: unknown): FileRecord | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const record: FileRecord = {};
  if (r.landed === "partlyApplied" || r.landed === "edited") record.landed = r.landed;
  if (r.undone === true) record.undone = true;
  if (Array.isArray(r.reverted)) record.reverted = r.reverted.filter((p): p is string => typeof p === "string");
  return isEmpty(record) ? undefined : record;
}

/** A document's text just before and just after an edit landed (`workspace/applyEdit`). */
export interface AppliedText {
  uri: string;
  before: string;
  after: string;
}

interface TrackedFile {
  uri: string;
  path: string;
  before: string;
  after: string;
  reverted: boolean;
}

interface TrackedItem {
  threadId: string;
  turnId: string;
  itemId: string;
  files: TrackedFile[];
}

/** A tracked item whose reverted files changed: `reverted` lists them now. */
export interface RevertChange {
  threadId: string;
  itemId: string;
  reverted: string[];
}

/** Items tracked, edits remembered, and the largest text compared. */
const MAX_TRACKED = 100;
const MAX_CAPTURES = 200;
const MAX_TEXT = 2_000_000;

/**
 * Which landed file changes the editor took back. The applied edit's texts (before and
 * after) are captured as it lands, attached to the item when it completes, and every later
 * text of the document is compared with them: equal to the text before, the file is
 * reverted in the editor; equal to the text after (redo), it is not. Any other text leaves
 * the mark as it was.
 */
export class RevertTracker {
  private readonly captures = new Map<string, AppliedText>();
  private items: TrackedItem[] = [];

  /** An edit landed (the server's change, an undo, a rewind): the latest per document. */
  applied(texts: readonly AppliedText[]): void {
    for (const t of texts) {
      this.captures.delete(t.uri);
      if (t.before === t.after || t.before.length > MAX_TEXT || t.after.length > MAX_TEXT) continue;
      this.captures.set(t.uri, t);
    }
    while (this.captures.size > MAX_CAPTURES) this.captures.delete(this.captures.keys().next().value as string);
  }

  /** A file change started: edits of these documents before now are not its own. */
  forget(uris: readonly string[]): void {
    for (const uri of uris) this.captures.delete(uri);
  }

  /** A file change completed (landed): follow its documents. False when no edit of them
   * was seen (nothing to compare with). */
  track(threadId: string, turnId: string, itemId: string, files: readonly { uri: string; path: string }[]): boolean {
    const tracked: TrackedFile[] = [];
    for (const f of files) {
      const capture = this.captures.get(f.uri);
      if (!capture) continue;
      this.captures.delete(f.uri);
      tracked.push({ uri: f.uri, path: f.path, before: capture.before, after: capture.after, reverted: false });
    }
    if (tracked.length === 0) return false;
    this.items = this.items.filter((i) => !(i.threadId === threadId && i.itemId === itemId));
    this.items.push({ threadId, turnId, itemId, files: tracked });
    if (this.items.length > MAX_TRACKED) this.items.splice(0, this.items.length - MAX_TRACKED);
    return true;
  }

  /** A document's text now; the items whose reverted files this changes. */
  textChanged(uri: string, text: string): RevertChange[] {
    const out: RevertChange[] = [];
    for (const item of this.items) {
      let changed = false;
      for (const f of item.files) {
        if (f.uri !== uri) continue;
        const reverted = text === f.before ? true : text === f.after ? false : f.reverted;
        if (reverted !== f.reverted) {
          f.reverted = reverted;
          changed = true;
        }
      }
      if (changed) out.push({ threadId: item.threadId, itemId: item.itemId, reverted: item.files.filter((f) => f.reverted).map((f) => f.path) });
    }
    return out;
  }
}
