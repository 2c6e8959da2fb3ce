// A small stand-in for the `vscode` module (aliased in vitest.config.mts), enough for the
// modules under test: URIs, a file-system provider registry, documents, prompts, commands.
import * as fs from "node:fs";
import * as nodePath from "node:path";

export class Disposable {
  constructor(private readonly fn: () => void) {}
  dispose(): void {
    this.fn();
  }
}

export class EventEmitter<T> {
  private listeners: ((e: T) => void)[] = [];
  event = (listener: (e: T) => void) => {
    this.listeners.push(listener);
    return new Disposable(() => (this.listeners = this.listeners.filter((l) => l !== listener)));
  };
  fire(e: T): void {
    for (const l of this.listeners) l(e);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
    readonly query = "",
  ) {}
  static file(p: string): Uri {
    return new Uri("file", p);
  }
  static from(c: { scheme: string; path: string; query?: string }): Uri {
    return new Uri(c.scheme, c.path, c.query ?? "");
  }
  static parse(s: string): Uri {
    const i = s.indexOf(":");
    const [rest = "", query = ""] = s.slice(i + 1).split("?");
    return new Uri(s.slice(0, i), decodeURIComponent(rest.replace(/^\/\//, "")), decodeURIComponent(query));
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    const query = this.query ? `?${encodeURIComponent(this.query)}` : "";
    return this.scheme === "file" ? `file://${this.path}${query}` : `${this.scheme}:${this.path}${query}`;
  }
}

export enum FileType {
  File = 1,
}
export enum FileChangeType {
  Changed = 1,
  Created = 2,
  Deleted = 3,
}
export enum FilePermission {
  Readonly = 1,
}
export class FileSystemError extends Error {
  static FileNotFound(what?: unknown): FileSystemError {
    return new FileSystemError(`not found: ${String(what)}`);
  }
  static NoPermissions(what?: unknown): FileSystemError {
    return new FileSystemError(`no permissions: ${String(what)}`);
  }
}
export class TabInputTextDiff {
  constructor(
    readonly original: Uri,
    readonly modified: Uri,
  ) {}
}
export class TabInputText {
  constructor(readonly uri: Uri) {}
}
export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}
export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(startLine: number, startCharacter: number, endLine: number, endCharacter: number) {
    this.start = new Position(startLine, startCharacter);
    this.end = new Position(endLine, endCharacter);
  }
}
export enum ConfigurationTarget {
  Global = 1,
}

interface Provider {
  readFile(uri: Uri): Uint8Array;
  writeFile(uri: Uri, content: Uint8Array, options: unknown): void;
}

/** Text changes of documents (`workspace.onDidChangeTextDocument`); tests fire them. */
export interface DocumentChange {
  document: { uri: Uri; getText(): string };
  contentChanges: unknown[];
}

export const stub = {
  documentChanges: new EventEmitter<DocumentChange>(),
  providers: new Map<string, Provider>(),
  /** Read-only documents (`registerTextDocumentContentProvider`), by scheme. */
  contentProviders: new Map<string, { provideTextDocumentContent(uri: Uri): string }>(),
  commands: [] as { id: string; args: unknown[] }[],
  /** Prompts shown: their buttons' titles, and the title of the one that is the modal's close
   * affordance (Escape), if any. */
  messages: [] as { kind: string; message: string; items: string[]; closeAffordance?: string; modal?: boolean; detail?: string }[],
  /** What the next prompt answers (undefined: dismissed / left open). */
  nextChoice: undefined as string | undefined,
  config: {} as Record<string, unknown>,
  openTabs: [] as { input: unknown }[],
  closedTabs: [] as unknown[],
  /** Quick picks shown (their item labels and options), and how each is answered: a
   * function choosing among the items (undefined: dismissed). */
  quickPicks: [] as { labels: string[]; options: unknown }[],
  pickAnswers: [] as ((items: { label: string }[]) => { label: string } | undefined)[],
  /** Input boxes shown, and their answers in order. */
  inputBoxes: [] as unknown[],
  inputAnswers: [] as (string | undefined)[],
  shownDocuments: [] as { uri: Uri; options: unknown }[],
  reset(): void {
    this.quickPicks = [];
    this.pickAnswers = [];
    this.inputBoxes = [];
    this.inputAnswers = [];
    this.shownDocuments = [];
    this.providers.clear();
    this.contentProviders.clear();
    this.commands.length = 0;
    this.messages.length = 0;
    this.nextChoice = undefined;
    this.config = {};
    this.openTabs = [];
    this.closedTabs = [];
    workspace.textDocuments.length = 0;
  },
};

function textOf(uri: Uri): string {
  const provider = stub.providers.get(uri.scheme);
  if (provider) return new TextDecoder().decode(provider.readFile(uri));
  const content = stub.contentProviders.get(uri.scheme);
  if (content) return content.provideTextDocumentContent(uri);
  return fs.readFileSync(uri.fsPath, "utf8");
}

export const workspace = {
  workspaceFolders: undefined as { uri: Uri }[] | undefined,
  onDidChangeTextDocument: (listener: (e: DocumentChange) => void) => stub.documentChanges.event(listener),
  textDocuments: [] as unknown[],
  asRelativePath(uri: Uri | string): string {
    return nodePath.basename(typeof uri === "string" ? uri : uri.fsPath);
  },
  registerFileSystemProvider(scheme: string, provider: Provider) {
    stub.providers.set(scheme, provider);
    return new Disposable(() => stub.providers.delete(scheme));
  },
  registerTextDocumentContentProvider(scheme: string, provider: { provideTextDocumentContent(uri: Uri): string }) {
    stub.contentProviders.set(scheme, provider);
    return new Disposable(() => stub.contentProviders.delete(scheme));
  },
  fs: {
    readFile(uri: Uri): Promise<Uint8Array> {
      return Promise.resolve(new TextEncoder().encode(textOf(uri)));
    },
  },
  openTextDocument(uri: Uri) {
    const text = textOf(uri);
    const lines = text.split("\n");
    return Promise.resolve({
      uri,
      getText: () => text,
      isDirty: false,
      save: () => Promise.resolve(true),
      lineCount: lines.length,
      lineAt: (line: number) => ({ text: lines[line] ?? "" }),
    });
  },
  getConfiguration() {
    return { get: <T>(key: string, fallback?: T) => (key in stub.config ? (stub.config[key] as T) : fallback) };
  },
};

interface MessageItem {
  title: string;
  isCloseAffordance?: boolean;
}

/** A prompt: its items are strings or `MessageItem`s (the first object that is not one is
 * the options); it answers `stub.nextChoice` (the item with that title). */
function prompt(kind: string) {
  return (message: string, ...rest: unknown[]) => {
    const isItem = (r: unknown): r is MessageItem | string => typeof r === "string" || (typeof r === "object" && r !== null && "title" in r);
    const items = rest.filter(isItem);
    const options = rest.find((r): r is { modal?: boolean; detail?: string } => typeof r === "object" && r !== null && !isItem(r));
    const title = (i: MessageItem | string) => (typeof i === "string" ? i : i.title);
    const close = items.find((i): i is MessageItem => typeof i === "object" && i.isCloseAffordance === true);
    stub.messages.push({
      kind,
      message,
      items: items.map(title),
      ...(close ? { closeAffordance: close.title } : {}),
      ...(options ? { modal: options.modal, detail: options.detail } : {}),
    });
    return Promise.resolve(items.find((i) => title(i) === stub.nextChoice));
  };
}

export const window = {
  showWarningMessage: prompt("warning"),
  showInformationMessage: prompt("info"),
  showErrorMessage: prompt("error"),
  showTextDocument(doc: { uri: Uri }, options?: unknown) {
    stub.shownDocuments.push({ uri: doc.uri, options });
    return Promise.resolve(undefined);
  },
  showQuickPick<T extends { label: string }>(items: T[] | Promise<T[]>, options?: unknown): Promise<T | undefined> {
    return Promise.resolve(items).then((list) => {
      stub.quickPicks.push({ labels: list.map((i) => i.label), options });
      const answer = stub.pickAnswers.shift();
      return answer ? (answer(list) as T | undefined) : undefined;
    });
  },
  showInputBox(options?: unknown): Promise<string | undefined> {
    stub.inputBoxes.push(options);
    return Promise.resolve(stub.inputAnswers.shift());
  },
  setStatusBarMessage(text: string) {
    stub.messages.push({ kind: "status", message: text, items: [] });
    return new Disposable(() => undefined);
  },
  activeTextEditor: undefined,
  tabGroups: {
    get all() {
      return [{ tabs: stub.openTabs }];
    },
    activeTabGroup: { activeTab: undefined },
    close(tabs: unknown[]) {
      stub.closedTabs.push(...tabs);
      stub.openTabs = stub.openTabs.filter((t) => !tabs.includes(t));
      return Promise.resolve(true);
    },
  },
};

export const commands = {
  registered: new Map<string, (...args: unknown[]) => unknown>(),
  registerCommand(id: string, fn: (...args: unknown[]) => unknown) {
    if (this.registered.has(id)) throw new Error(`command '${id}' already exists`);
    this.registered.set(id, fn);
    return new Disposable(() => this.registered.delete(id));
  },
  executeCommand(id: string, ...args: unknown[]) {
    stub.commands.push({ id, args });
    if (id === "vscode.diff") stub.openTabs.push({ input: new TabInputTextDiff(args[0] as Uri, args[1] as Uri) });
    return Promise.resolve(undefined);
  },
};

export const languages = {
  setTextDocumentLanguage: (doc: unknown) => Promise.resolve(doc),
};

export const path = nodePath;
