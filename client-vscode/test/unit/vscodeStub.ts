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
  ) {}
  static file(p: string): Uri {
    return new Uri("file", p);
  }
  static from(c: { scheme: string; path: string }): Uri {
    return new Uri(c.scheme, c.path);
  }
  static parse(s: string): Uri {
    const i = s.indexOf(":");
    return new Uri(s.slice(0, i), decodeURIComponent(s.slice(i + 1).replace(/^\/\//, "")));
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return this.scheme === "file" ? `file://${this.path}` : `${this.scheme}:${this.path}`;
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

export const stub = {
  providers: new Map<string, Provider>(),
  commands: [] as { id: string; args: unknown[] }[],
  messages: [] as { kind: string; message: string; items: string[]; modal?: boolean; detail?: string }[],
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
  return fs.readFileSync(uri.fsPath, "utf8");
}

export const workspace = {
  workspaceFolders: undefined as { uri: Uri }[] | undefined,
  textDocuments: [] as unknown[],
  asRelativePath(uri: Uri | string): string {
    return nodePath.basename(typeof uri === "string" ? uri : uri.fsPath);
  },
  registerFileSystemProvider(scheme: string, provider: Provider) {
    stub.providers.set(scheme, provider);
    return new Disposable(() => stub.providers.delete(scheme));
  },
  registerTextDocumentContentProvider() {
    return new Disposable(() => undefined);
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

function prompt(kind: string) {
  return (message: string, ...rest: unknown[]) => {
    const items = rest.filter((r): r is string => typeof r === "string");
    const options = rest.find((r): r is { modal?: boolean; detail?: string } => typeof r === "object" && r !== null);
    stub.messages.push({ kind, message, items, ...(options ? { modal: options.modal, detail: options.detail } : {}) });
    return Promise.resolve(stub.nextChoice);
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
