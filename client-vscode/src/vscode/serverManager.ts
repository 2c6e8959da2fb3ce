// Starts, restarts (with backoff) and stops the codex-lsp process through
// vscode-languageclient, and is the `RpcEndpoint` the protocol client talks through.
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  TransportKind,
  type ClientCapabilities,
  type FeatureState,
  type LanguageClientOptions,
  type Middleware,
  type ServerOptions,
  type StaticFeature,
} from "vscode-languageclient/node";
import type { CancellationTokenLike, DisposableLike, RpcEndpoint } from "../protocol/client.js";
import { CODEX_CLIENT_CAPABILITIES } from "../protocol/types.js";
import { Backoff, resolveServerCommand, type ServerCommand } from "../server/launch.js";
import { editorSettings, launchSettings } from "../state/settings.js";
import { pythonExecutable } from "./python.js";

export type ServerState = "starting" | "running" | "restarting" | "stopped" | "failed";

/** Declares `capabilities.experimental.codex` (PROTOCOL.md "Initialization"). */
class CodexCapabilitiesFeature implements StaticFeature {
  getState(): FeatureState {
    return { kind: "static" };
  }
  fillClientCapabilities(capabilities: ClientCapabilities): void {
    const experimental = (capabilities.experimental ?? {}) as Record<string, unknown>;
    experimental.codex = { ...CODEX_CLIENT_CAPABILITIES };
    capabilities.experimental = experimental;
  }
  initialize(): void {}
  clear(): void {}
}

function onPath(command: string): boolean {
  if (path.isAbsolute(command) || command.includes("/") || command.includes("\\")) {
    return fs.existsSync(command);
  }
  const exts = process.platform === "win32" ? (process.env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";") : [""];
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    for (const ext of exts) {
      if (fs.existsSync(path.join(dir, command + ext))) return true;
    }
  }
  return false;
}

type NotificationHandler = (params: unknown) => void;
type RequestHandler = (params: unknown, token: CancellationTokenLike) => Promise<unknown>;

export class ServerManager implements RpcEndpoint, vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly notificationHandlers = new Map<string, Set<NotificationHandler>>();
  private readonly requestHandlers = new Map<string, RequestHandler>();
  private readonly backoff = new Backoff();
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private stopping = false;
  private stateValue: ServerState = "stopped";
  private generationValue = 0;
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  private readonly startedEmitter = new vscode.EventEmitter<number>();
  /** Fires with the new state. */
  readonly onDidChangeState = this.stateEmitter.event;
  /** Fires with the generation number each time a server process is up and initialized. */
  readonly onDidStart = this.startedEmitter.event;
  /** Middleware the approval UI plugs in (`workspace/applyEdit`). */
  middleware: Middleware = {};
  lastCommand: ServerCommand | undefined;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly trace: vscode.LogOutputChannel,
  ) {}

  get state(): ServerState {
    return this.stateValue;
  }

  /** Increases with each server process: threads must be resumed on a new one. */
  get generation(): number {
    return this.generationValue;
  }

  get languageClient(): LanguageClient | undefined {
    return this.client;
  }

  private setState(state: ServerState): void {
    this.stateValue = state;
    this.stateEmitter.fire(state);
  }

  private workspaceRoot(): string | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }

  private async command(): Promise<ServerCommand> {
    const settings = launchSettings(vscode.workspace.getConfiguration("codex"));
    const python = settings.path === "" ? await pythonExecutable(vscode.workspace.workspaceFolders?.[0]?.uri, this.log) : undefined;
    return resolveServerCommand(settings, python, (f) => fs.existsSync(f));
  }

  async start(): Promise<void> {
    this.stopping = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.disposeClient();
    this.setState(this.backoff.attempts > 0 ? "restarting" : "starting");
    const command = await this.command();
    this.lastCommand = command;
    if (!onPath(command.command)) {
      const where = vscode.workspace.getConfiguration("codex").inspect<string>("server.path");
      this.log.info(
        `codex.server.path: user ${JSON.stringify(where?.globalValue)}, workspace ${JSON.stringify(where?.workspaceValue)}, ` +
          `folder ${JSON.stringify(where?.workspaceFolderValue)}; the selected Python environment has no codex-lsp; PATH=${process.env.PATH ?? ""}`,
      );
      this.fail(
        `Codex: the server program "${command.command}" was not found. Install codex-lsp (pip install codex-lsp) ` +
          "or set codex.server.path.",
      );
      return;
    }
    const settings = launchSettings(vscode.workspace.getConfiguration("codex"));
    this.log.info(`starting ${command.command} ${command.args.join(" ")} (from ${command.source})`);
    const serverOptions: ServerOptions = {
      command: command.command,
      args: command.args,
      transport: TransportKind.stdio,
      options: { cwd: this.workspaceRoot(), env: { ...process.env, ...settings.env } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
      outputChannel: this.log,
      traceOutputChannel: this.trace,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: () => ({ codex: editorSettings(vscode.workspace.getConfiguration("codex")) }),
      middleware: this.middleware,
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue, handled: true }),
        closed: () => {
          if (!this.stopping) this.crashed();
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
    };
    const client = new LanguageClient("codex", "Codex", serverOptions, clientOptions);
    client.registerFeature(new CodexCapabilitiesFeature());
    for (const [method, handlers] of this.notificationHandlers) {
      client.onNotification(method, (params: unknown) => {
        for (const h of [...handlers]) h(params);
      });
    }
    for (const [method, handler] of this.requestHandlers) {
      client.onRequest(method, (params: unknown, token: vscode.CancellationToken) => handler(params, token));
    }
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      if (this.client !== client || this.stopping) return;
      this.log.error(`the server did not start: ${String(error)}`);
      this.crashed();
      return;
    }
    if (this.client !== client) return;
    this.backoff.started(Date.now());
    this.generationValue += 1;
    this.setState("running");
    const info = client.initializeResult?.serverInfo;
    this.log.info(`server running${info ? `: ${info.name} ${info.version ?? ""}` : ""} (generation ${this.generationValue})`);
    this.startedEmitter.fire(this.generationValue);
  }

  private fail(message: string): void {
    this.log.error(message);
    this.setState("failed");
    void vscode.window.showErrorMessage(message, "Open Settings", "Show Logs").then((choice) => {
      if (choice === "Open Settings") void vscode.commands.executeCommand("workbench.action.openSettings", "codex.server");
      if (choice === "Show Logs") this.log.show();
    });
  }

  private crashed(): void {
    if (this.restartTimer) return;
    const delay = this.backoff.crashed(Date.now());
    if (delay === undefined) {
      this.fail("Codex: the server keeps stopping; it will not be restarted. See the Codex log, then run 'Codex: Restart Server'.");
      return;
    }
    const seconds = Math.round(delay / 100) / 10;
    const message = `Codex: the server stopped unexpectedly; restarting in ${seconds} s (attempt ${this.backoff.attempts}).`;
    this.log.warn(message);
    void vscode.window.setStatusBarMessage(message, delay + 2000);
    this.setState("restarting");
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.start();
    }, delay);
  }

  /** Restart on request (settings changed, user command): no backoff. */
  async restart(reason: string): Promise<void> {
    this.log.info(`restarting the server: ${reason}`);
    this.backoff.reset();
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    await this.disposeClient();
    this.setState("stopped");
  }

  private async disposeClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    try {
      if (client.state === State.Running || client.state === State.Starting) await client.stop(5000);
    } catch (error) {
      this.log.warn(`stopping the server: ${String(error)}`);
    }
    try {
      await client.dispose(2000);
    } catch {
      // already stopped
    }
  }

  /** Send the editor settings to a running server (`workspace/didChangeConfiguration`). */
  async sendSettings(): Promise<void> {
    if (this.client?.state !== State.Running) return;
    await this.client.sendNotification("workspace/didChangeConfiguration", {
      settings: { codex: editorSettings(vscode.workspace.getConfiguration("codex")) },
    });
  }

  // ---- RpcEndpoint -------------------------------------------------------------------

  /** The running client; while the server starts or restarts, wait for it (up to 60 s). */
  private async running(): Promise<LanguageClient> {
    if (this.stateValue === "starting" || this.stateValue === "restarting") {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          sub.dispose();
          reject(new Error("The Codex server did not start within 60 s (see the Codex log)."));
        }, 60_000);
        const sub = this.onDidChangeState((state) => {
          if (state === "starting" || state === "restarting") return;
          clearTimeout(timer);
          sub.dispose();
          resolve();
        });
      });
    }
    const client = this.client;
    if (!client || client.state !== State.Running) {
      throw new Error(this.stateValue === "failed" ? "The Codex server is not running (see the Codex log)." : "The Codex server is not running.");
    }
    return client;
  }

  async sendRequest(method: string, params?: object): Promise<unknown> {
    const client = await this.running();
    return params === undefined ? client.sendRequest(method) : client.sendRequest(method, params);
  }

  async sendNotification(method: string, params?: object): Promise<void> {
    const client = await this.running();
    await (params === undefined ? client.sendNotification(method) : client.sendNotification(method, params));
  }

  onNotification(method: string, handler: NotificationHandler): DisposableLike {
    let handlers = this.notificationHandlers.get(method);
    if (!handlers) {
      handlers = new Set();
      this.notificationHandlers.set(method, handlers);
      const all = handlers;
      this.client?.onNotification(method, (params: unknown) => {
        for (const h of [...all]) h(params);
      });
    }
    handlers.add(handler);
    return { dispose: () => handlers.delete(handler) };
  }

  onRequest(method: string, handler: RequestHandler): DisposableLike {
    this.requestHandlers.set(method, handler);
    this.client?.onRequest(method, (params: unknown, token: vscode.CancellationToken) => handler(params, token));
    return { dispose: () => this.requestHandlers.delete(method) };
  }

  setTrace(on: boolean): Promise<void> {
    return vscode.workspace
      .getConfiguration("codex")
      .update("trace.server", on ? "verbose" : "off", vscode.ConfigurationTarget.Global) as Promise<void>;
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
    this.startedEmitter.dispose();
  }
}
