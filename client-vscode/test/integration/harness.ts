// Real processes for the integration tests: the mock model (python -m codex_lsp.mock_model)
// and the codex-lsp server over stdio, driven through vscode-jsonrpc with the same
// CodexProtocol / ChatSession modules the extension uses. Everything started here is
// stopped by PID, and every wait has a timeout.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll } from "vitest";
import {
  createProtocolConnection,
  InitializeRequest,
  InitializedNotification,
  ShutdownRequest,
  ExitNotification,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
  type CancellationToken,
} from "vscode-languageserver-protocol/node";
import type { TextEdit, WorkspaceEdit } from "vscode-languageserver-protocol";
import { CodexProtocol, type CancellationTokenLike, type DisposableLike, type RpcEndpoint } from "../../src/protocol/client.js";
import { CODEX_CLIENT_CAPABILITIES, type CodexNotification } from "../../src/protocol/types.js";
import type { FileStates } from "../../src/state/fileStates.js";
import { ChatSession } from "../../src/state/session.js";

const REPO = path.resolve(__dirname, "..", "..", "..");

function firstExisting(candidates: (string | undefined)[]): string | undefined {
  return candidates.find((c): c is string => c !== undefined && c !== "" && fs.existsSync(c));
}

/** The server program: $CODEX_LSP_SERVER, the repo's venv, or /work/venv. */
export const SERVER = firstExisting([
  process.env.CODEX_LSP_SERVER,
  path.join(REPO, ".venv", "bin", "codex-lsp"),
  "/work/venv/bin/codex-lsp",
]);

/** The Python that has codex_lsp (for the mock model): $CODEX_LSP_PYTHON or beside the server. */
export const PYTHON = firstExisting([
  process.env.CODEX_LSP_PYTHON,
  SERVER ? path.join(path.dirname(SERVER), "python") : undefined,
]);

export function killTree(child: ChildProcess | undefined): void {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}

export interface RecordedRequest {
  path: string;
  body: { input?: { type?: string; output?: unknown }[] } & Record<string, unknown>;
}

export class MockModel {
  private constructor(
    private readonly child: ChildProcess,
    /** Base URL of the model API (…/v1). */
    readonly url: string,
    readonly root: string,
  ) {}

  static async start(): Promise<MockModel> {
    if (!PYTHON) throw new Error("no Python with codex_lsp found (set CODEX_LSP_PYTHON)");
    const child = spawn(PYTHON, ["-m", "codex_lsp.mock_model", "--host", "127.0.0.1", "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    child.stderr?.on("data", () => undefined);
    const lines = createInterface({ input: child.stdout });
    const first = await withTimeout(
      new Promise<string>((resolve, reject) => {
        lines.once("line", resolve);
        child.once("exit", (code) => reject(new Error(`the mock model exited (${code})`)));
      }),
      30_000,
      "mock model start",
    );
    const { url } = JSON.parse(first) as { url: string; port: number };
    return new MockModel(child, url, url.replace(/\/v1\/?$/, ""));
  }

  private async call(method: string, route: string, body?: unknown): Promise<unknown> {
    const response = await withTimeout(
      fetch(`${this.root}${route}`, {
        method,
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
      10_000,
      route,
    );
    if (!response.ok) throw new Error(`${route}: HTTP ${response.status} ${await response.text()}`);
    return response.json();
  }

  enqueue(...responses: unknown[]): Promise<unknown> {
    return this.call("POST", "/_mock/enqueue", responses);
  }

  reset(): Promise<unknown> {
    return this.call("POST", "/_mock/reset", {});
  }

  async requests(): Promise<RecordedRequest[]> {
    return (await this.call("GET", "/_mock/requests")) as RecordedRequest[];
  }

  stop(): void {
    killTree(this.child);
  }
}

/** config.toml pointing the server at the mock (as tests/lsp_client.py `mock_config`);
 * `topLevel` keys go before the provider table. */
export function mockConfig(baseUrl: string, topLevel = ""): string {
  return [
    'model = "gpt-5.1-codex"',
    'model_provider = "mock"',
    topLevel.trim(),
    "[model_providers.mock]",
    'name = "mock"',
    `base_url = "${baseUrl}"`,
    'env_key = "MOCK_API_KEY"',
    'wire_api = "responses"',
    "request_max_retries = 3",
    "stream_max_retries = 3",
    "",
  ].join("\n");
}

/** Run `git args` in `cwd` (a fixed author and committer, bounded in time); its stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, GIT_AUTHOR_NAME: "Ada", GIT_AUTHOR_EMAIL: "ada@example.com", GIT_COMMITTER_NAME: "Ada", GIT_COMMITTER_EMAIL: "ada@example.com" },
  });
}

export function tempDirs(): { home: string; workspace: string; cleanup: () => void } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "codex-vscode-it-"));
  const home = path.join(base, "home");
  const workspace = path.join(base, "ws");
  fs.mkdirSync(home);
  fs.mkdirSync(workspace);
  return { home, workspace, cleanup: () => fs.rmSync(base, { recursive: true, force: true }) };
}

function offsetAt(text: string, pos: { line: number; character: number }): number {
  let offset = 0;
  for (let line = 0; line < pos.line; line++) offset = text.indexOf("\n", offset) + 1;
  return offset + pos.character;
}

/** Apply LSP text edits (as VS Code would) to a text. */
export function applyTextEdits(text: string, edits: TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => offsetAt(text, b.range.start) - offsetAt(text, a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offsetAt(out, e.range.start)) + e.newText + out.slice(offsetAt(out, e.range.end));
  return out;
}

/** Land a `workspace/applyEdit` on disk as an editor with no open documents would: text
 * edits, created, renamed and deleted files (the workspaceEdit capabilities `initialize`
 * declares). */
export function applyWorkspaceEditOnDisk(edit: WorkspaceEdit): void {
  const file = (uri: string) => new URL(uri).pathname;
  for (const change of edit.documentChanges ?? []) {
    if ("textDocument" in change) {
      const target = file(change.textDocument.uri);
      fs.writeFileSync(target, applyTextEdits(fs.readFileSync(target, "utf8"), change.edits as TextEdit[]));
    } else if (change.kind === "create") {
      if (!fs.existsSync(file(change.uri)) || change.options?.overwrite) fs.writeFileSync(file(change.uri), "");
    } else if (change.kind === "rename") {
      fs.renameSync(file(change.oldUri), file(change.newUri));
    } else {
      fs.rmSync(file(change.uri), { recursive: change.options?.recursive ?? false, force: change.options?.ignoreIfNotExists ?? false });
    }
  }
  for (const [uri, edits] of Object.entries(edit.changes ?? {})) {
    fs.writeFileSync(file(uri), applyTextEdits(fs.readFileSync(file(uri), "utf8"), edits));
  }
}

/** vscode-jsonrpc connection as the extension's RpcEndpoint. */
export function endpointFor(connection: ProtocolConnection): RpcEndpoint {
  const wrapToken = (token: CancellationToken): CancellationTokenLike => ({
    get isCancellationRequested() {
      return token.isCancellationRequested;
    },
    onCancellationRequested: (listener: () => void): DisposableLike => token.onCancellationRequested(listener),
  });
  return {
    sendRequest: (method, params) => (params === undefined ? connection.sendRequest(method) : connection.sendRequest(method, params)),
    sendNotification: (method, params) =>
      params === undefined ? connection.sendNotification(method) : connection.sendNotification(method, params),
    onNotification: (method, handler) => connection.onNotification(method, (params: unknown) => handler(params)),
    onRequest: (method, handler) =>
      connection.onRequest(method, (params: unknown, token: CancellationToken) => handler(params, wrapToken(token))),
  };
}

export class CodexServer {
  readonly stderr: string[] = [];

  private constructor(
    readonly child: ChildProcess,
    readonly connection: ProtocolConnection,
    readonly endpoint: RpcEndpoint,
  ) {}

  /** Start `codex-lsp --stdio` with CODEX_HOME = `home`, rooted at `workspace`. */
  static start(home: string, workspace: string): CodexServer {
    if (!SERVER) throw new Error("codex-lsp not found (set CODEX_LSP_SERVER)");
    const child = spawn(SERVER, ["--stdio"], {
      cwd: workspace,
      env: { ...process.env, CODEX_HOME: home, MOCK_API_KEY: "test-key", OPENAI_API_KEY: "" },
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const server = new CodexServer(child, connection, endpointFor(connection));
    child.stderr?.on("data", (chunk: Buffer) => server.stderr.push(chunk.toString()));
    // Standard server -> client traffic the extension gets from vscode-languageclient.
    connection.onNotification("window/logMessage", () => undefined);
    connection.onNotification("window/showMessage", () => undefined);
    connection.onNotification("$/progress", () => undefined);
    connection.onRequest("window/workDoneProgress/create", () => null);
    connection.onRequest("client/registerCapability", () => null);
    connection.listen();
    return server;
  }

  /** `initialize` with the extension's capabilities, then `initialized`. */
  async initialize(workspace: string, codexSettings: object = {}): Promise<unknown> {
    const root = pathToFileURL(workspace).toString();
    const result = await withTimeout(
      this.connection.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: root,
        workspaceFolders: [{ uri: root, name: "ws" }],
        initializationOptions: { codex: codexSettings },
        capabilities: {
          experimental: { codex: CODEX_CLIENT_CAPABILITIES },
          workspace: {
            applyEdit: true,
            workspaceEdit: { documentChanges: true, resourceOperations: ["create", "rename", "delete"] },
          },
          // As vscode-languageclient declares them: code actions as literals (not bare
          // commands), diagnostics with their data.
          textDocument: {
            codeAction: {
              dynamicRegistration: true,
              isPreferredSupport: true,
              dataSupport: true,
              codeActionLiteralSupport: {
                codeActionKind: {
                  valueSet: ["", "quickfix", "refactor", "refactor.extract", "refactor.inline", "refactor.rewrite", "source", "source.organizeImports"],
                },
              },
            },
            publishDiagnostics: { relatedInformation: true, versionSupport: false, codeDescriptionSupport: true, dataSupport: true },
          },
        },
      }),
      30_000,
      "initialize",
    );
    await this.connection.sendNotification(InitializedNotification.type, {});
    return result;
  }

  async stop(): Promise<void> {
    try {
      await withTimeout(this.connection.sendRequest(ShutdownRequest.type), 10_000, "shutdown");
      await this.connection.sendNotification(ExitNotification.type);
      await withTimeout(
        new Promise<void>((resolve) => {
          if (this.child.exitCode !== null) resolve();
          else this.child.once("exit", () => resolve());
        }),
        10_000,
        "server exit",
      );
    } catch {
      // killed below
    } finally {
      this.connection.dispose();
      killTree(this.child);
    }
  }
}

/** The extension's protocol client and chat session on a fresh server: a temporary
 * CODEX_HOME whose config.toml points at `mock` (with `topLevel` keys), a workspace, every
 * notification recorded in `seen`. `stop()` ends it all and removes the directories. */
export interface SessionRig {
  dirs: ReturnType<typeof tempDirs>;
  server: CodexServer;
  protocol: CodexProtocol;
  session: ChatSession;
  seen: CodexNotification[];
  /** The server's InitializeResult. */
  init: unknown;
  /** Stop everything; `keepDirs`: CODEX_HOME and the workspace stay (for a restart). */
  stop(keepDirs?: boolean): Promise<void>;
}

export interface SessionOptions {
  /** A stopped rig's directories: the same CODEX_HOME (its threads) and workspace, as when
   * VS Code and the server start again. */
  dirs?: ReturnType<typeof tempDirs>;
  /** What the chat remembers of file changes (as the extension's workspace state). */
  fileStates?: FileStates;
}

export async function startSession(mock: MockModel, topLevel = "", options: SessionOptions = {}): Promise<SessionRig> {
  await mock.reset();
  const dirs = options.dirs ?? tempDirs();
  if (!options.dirs) fs.writeFileSync(path.join(dirs.home, "config.toml"), mockConfig(mock.url, topLevel));
  const server = CodexServer.start(dirs.home, dirs.workspace);
  const init = await server.initialize(dirs.workspace);
  const protocol = new CodexProtocol(server.endpoint);
  const seen: CodexNotification[] = [];
  protocol.onAny((notification) => seen.push(notification));
  const session = new ChatSession(protocol, {
    cwd: () => dirs.workspace,
    settings: () => ({}),
    generation: () => 1,
    resolveMention: (name) => {
      const p = path.join(dirs.workspace, name);
      return fs.existsSync(p) ? p : undefined;
    },
    fileStates: options.fileStates,
  });
  let stopped = false;
  return {
    dirs,
    server,
    protocol,
    session,
    seen,
    init,
    async stop(keepDirs = false) {
      if (!stopped) {
        stopped = true;
        session.dispose();
        protocol.dispose();
        await server.stop();
      }
      if (!keepDirs) dirs.cleanup();
    },
  };
}

/** Sessions for a test file: one mock model for all its tests, and `start` (as
 * `startSession`) whose rigs are stopped, directories removed, after each test. */
export interface MockRigs {
  readonly mock: MockModel;
  start(topLevel?: string, options?: SessionOptions): Promise<SessionRig>;
}

export function mockRigs(): MockRigs {
  let mock: MockModel | undefined;
  const running: SessionRig[] = [];
  beforeAll(async () => {
    mock = await MockModel.start();
  });
  afterAll(() => mock?.stop());
  afterEach(async () => {
    for (const rig of running.splice(0)) await rig.stop();
  });
  return {
    get mock(): MockModel {
      if (!mock) throw new Error("the mock model is not started (use mockRigs() at the top of a describe)");
      return mock;
    },
    async start(topLevel = "", options: SessionOptions = {}): Promise<SessionRig> {
      const rig = await startSession(this.mock, topLevel, options);
      running.push(rig);
      return rig;
    },
  };
}
