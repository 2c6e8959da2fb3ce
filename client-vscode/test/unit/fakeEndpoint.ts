// An in-memory RpcEndpoint: scripted answers to requests, notifications pushed by the test.
import type { CancellationTokenLike, DisposableLike, RpcEndpoint } from "../../src/protocol/client.js";

type Answer = (params: unknown) => unknown;

export class FakeEndpoint implements RpcEndpoint {
  readonly sent: { method: string; params: unknown; hasParams: boolean }[] = [];
  private readonly answers = new Map<string, Answer>();
  private readonly notificationHandlers = new Map<string, ((p: unknown) => void)[]>();
  private readonly requestHandlers = new Map<string, (p: unknown, t: CancellationTokenLike) => Promise<unknown>>();

  answer(method: string, fn: Answer): this {
    this.answers.set(method, fn);
    return this;
  }

  sendRequest(method: string, params?: object): Promise<unknown> {
    this.sent.push({ method, params, hasParams: params !== undefined });
    const fn = this.answers.get(method);
    if (!fn) return Promise.reject(new Error(`no answer scripted for ${method}`));
    try {
      return Promise.resolve(fn(params));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  sendNotification(method: string, params?: object): Promise<void> {
    this.sent.push({ method, params, hasParams: params !== undefined });
    return Promise.resolve();
  }

  onNotification(method: string, handler: (params: unknown) => void): DisposableLike {
    const list = this.notificationHandlers.get(method) ?? [];
    list.push(handler);
    this.notificationHandlers.set(method, list);
    return { dispose: () => list.splice(list.indexOf(handler), 1) };
  }

  onRequest(method: string, handler: (params: unknown, token: CancellationTokenLike) => Promise<unknown>): DisposableLike {
    this.requestHandlers.set(method, handler);
    return { dispose: () => this.requestHandlers.delete(method) };
  }

  emit(method: string, params: unknown): void {
    for (const h of this.notificationHandlers.get(method) ?? []) h(params);
  }

  /** The server asks; returns the client's answer and a function that cancels the request. */
  ask(method: string, params: unknown): { answer: Promise<unknown>; cancel: () => void } {
    const handler = this.requestHandlers.get(method);
    if (!handler) throw new Error(`no handler for ${method}`);
    const listeners: (() => void)[] = [];
    let cancelled = false;
    const token: CancellationTokenLike = {
      get isCancellationRequested() {
        return cancelled;
      },
      onCancellationRequested(l) {
        listeners.push(l);
        return { dispose: () => undefined };
      },
    };
    return {
      answer: handler(params, token),
      cancel: () => {
        cancelled = true;
        for (const l of listeners) l();
      },
    };
  }

  requests(method: string): unknown[] {
    return this.sent.filter((s) => s.method === method).map((s) => s.params);
  }
}
