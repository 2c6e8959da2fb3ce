// Context control: Compact Conversation, Rewind to here (a turn's message in the chat) and
// Rewind Last Turn. The rewinds ask first, in a modal dialog that says how many turns go.
import * as vscode from "vscode";
import type { ChatSession } from "../state/session.js";

export interface ContextDeps {
  session: ChatSession;
  /** Show the chat view. */
  reveal(): void;
}

export const REWIND = "Rewind";
export const REWIND_KEEP_FILES = "Rewind, keep files";

/** The thread a command acts on, or undefined (the user is told why). */
function idleThread(session: ChatSession, threadId: string | null, doing: string): string | undefined {
  if (threadId === null) {
    void vscode.window.showInformationMessage("Codex: no thread is open.");
    return undefined;
  }
  if (session.store.meta(threadId)?.activeTurnId) {
    void vscode.window.showInformationMessage(`Codex: a turn is running; ${doing} once it has ended (or stop it).`);
    return undefined;
  }
  return threadId;
}

/** "Codex: Compact Conversation": the thread's history becomes a summary (a turn of its own). */
export async function compactConversation(d: ContextDeps, threadId: string | null = d.session.current): Promise<void> {
  const id = idleThread(d.session, threadId, "compact the conversation");
  if (id === undefined) return;
  d.reveal();
  await d.session.compact(id);
}

/** Ask before `count` turns go (`removed` says which). True: restore their files; false:
 * keep them; undefined: cancelled. */
export async function confirmRewind(question: string, removed: string, count: number): Promise<boolean | undefined> {
  const [it, they] = count === 1 ? ["it", "it"] : ["they", "them"];
  const choice = await vscode.window.showWarningMessage(
    question,
    {
      modal: true,
      detail: `${removed} The files ${it} changed are restored to how they were before, and Codex no longer sees ${they}. "${REWIND_KEEP_FILES}" leaves the files as they are now.`,
    },
    REWIND,
    REWIND_KEEP_FILES,
  );
  if (choice === REWIND) return true;
  if (choice === REWIND_KEEP_FILES) return false;
  return undefined;
}

/** "Rewind to here" on a turn's message: that turn and every later one go (`codex/thread/revert`). */
export async function rewindTo(d: ContextDeps, threadId: string, turnId: string): Promise<void> {
  if (idleThread(d.session, threadId, "rewind") === undefined) return;
  const count = Math.max(1, d.session.store.turnsFrom(threadId, turnId));
  const removed =
    count === 1
      ? "This turn is removed from the conversation."
      : `This turn and the ${count - 1} after it (${count} turns) are removed from the conversation.`;
  const restoreFiles = await confirmRewind("Rewind to before this message?", removed, count);
  if (restoreFiles === undefined) return;
  await d.session.revert(threadId, turnId, restoreFiles);
}

/** "Codex: Rewind Last Turn" (`codex/thread/rollback`, one turn). */
export async function rewindLastTurn(d: ContextDeps, threadId: string | null = d.session.current): Promise<void> {
  const id = idleThread(d.session, threadId, "rewind");
  if (id === undefined) return;
  if (d.session.store.turns(id).length === 0) {
    void vscode.window.showInformationMessage("Codex: this thread has no turn to rewind.");
    return;
  }
  const restoreFiles = await confirmRewind("Rewind the last turn?", "The last turn is removed from the conversation.", 1);
  if (restoreFiles === undefined) return;
  d.reveal();
  await d.session.rollback(id, 1, restoreFiles);
}
