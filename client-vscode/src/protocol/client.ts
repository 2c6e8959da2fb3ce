// The typed protocol client shared by the extension (over vscode-languageclient) and the
// node integration tests (over a vscode-jsonrpc connection). No `vscode` import here.
import {
  SERVER_NOTIFICATION_METHODS,
  type ClientRequestMethod,
  type ClientRequests,
  type ServerNotificationMethod,
  type ServerNotifications,
  type ServerRequestMethod,
  type ServerRequests,
} from "./generated.js";
import type { CodexNotification } from "./types.js";

export interface DisposableLike {
  dispose(): void;
}

export interface CancellationTokenLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): DisposableLike;
}

/** The slice of a JSON-RPC connection this client needs. `LanguageClient` and
 * vscode-jsonrpc's `MessageConnection` both fit (through the small adapters). */
export interface RpcEndpoint {
  /** `params === undefined` sends a request without params (the server's `null`). */
  sendRequest(method: string, params?: object): Promise<unknown>;
  sendNotification(method: string, params?: object): Promise<void>;
  onNotification(method: string, handler: (params: unknown) => void): DisposableLike;
  onRequest(
    method: string,
    handler: (params: unknown, token: CancellationTokenLike) => Promise<unknown>,
  ): DisposableLike;
}

type Params<M extends ClientRequestMethod> = ClientRequests[M]["params"];
type Result<M extends ClientRequestMethod> = ClientRequests[M]["result"];

export type NotificationListener = (notification: CodexNotification) => void;

/** Typed `codex/` requests, notifications and server requests over an endpoint. */
export class CodexProtocol implements DisposableLike {
  private readonly listeners = new Set<NotificationListener>();
  private readonly disposables: DisposableLike[] = [];

  constructor(private readonly endpoint: RpcEndpoint) {
    for (const method of SERVER_NOTIFICATION_METHODS) {
      this.disposables.push(
        endpoint.onNotification(method, (params) => {
          this.dispatch({ method, params } as CodexNotification);
        }),
      );
    }
  }

  private dispatch(notification: CodexNotification): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(notification);
      } catch (error) {
        console.error(`codex: a listener of ${notification.method} failed`, error);
      }
    }
  }

  /**
   * Send a `codex/` request; its params and result are typed by the method. Methods whose
   * params are `null` are sent with `{}`: vscode-jsonrpc cannot send `"params": null`, and
   * pygls 2.1 rejects a custom request without `params` (the server ignores them).
   */
  request<M extends ClientRequestMethod>(method: M, params: Params<M>): Promise<Result<M>> {
    return this.endpoint.sendRequest(method, params ?? {}) as Promise<Result<M>>;
  }

  /** `workspace/executeCommand` of one of the server's commands (`codex.undoTurn`, ...). */
  executeCommand(command: string, argument?: object): Promise<unknown> {
    return this.endpoint.sendRequest("workspace/executeCommand", {
      command,
      arguments: argument === undefined ? [] : [argument],
    });
  }

  /** Every `codex/` notification, in arrival order. */
  onAny(listener: NotificationListener): DisposableLike {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** One kind of notification. */
  on<M extends ServerNotificationMethod>(
    method: M,
    listener: (params: ServerNotifications[M]) => void,
  ): DisposableLike {
    return this.onAny((n) => {
      if (n.method === method) listener(n.params as ServerNotifications[M]);
    });
  }

  /** Answer a server request (approvals). */
  handle<M extends ServerRequestMethod>(
    method: M,
    handler: (
      params: ServerRequests[M]["params"],
      token: CancellationTokenLike,
    ) => Promise<ServerRequests[M]["result"]>,
  ): DisposableLike {
    const registration = this.endpoint.onRequest(method, (params, token) =>
      handler(params as ServerRequests[M]["params"], token),
    );
    this.disposables.push(registration);
    return registration;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    this.listeners.clear();
  }
}

/** A promise that resolves with the first notification matching `predicate`. */
export function nextNotification<M extends ServerNotificationMethod>(
  protocol: CodexProtocol,
  method: M,
  predicate: (params: ServerNotifications[M]) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<ServerNotifications[M]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no ${method} within ${timeoutMs} ms`));
    }, timeoutMs);
    const sub = protocol.on(method, (params) => {
      if (!predicate(params)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(params);
    });
  });
}
