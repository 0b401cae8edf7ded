import "server-only";
import { randomUUID } from "node:crypto";
import type { ChatStreamEvent } from "../api-types";
import { DEFAULT_MAX_TURNS } from "../db/constants";
import { withTransaction, type Db } from "../db/client";
import { finalizeTurn, insertTurnMessages, updateStreamingContent } from "../db/queries/chat";
import type { ChatConversationRow, ChatMessageRow } from "../db/schema";
import { AppError } from "../errors";
import { processSingleton } from "../process-singleton";
import { resolveRuntime as registryResolveRuntime, type ResolvedRuntime } from "../runtimes/registry";
import type { RunResult } from "../runtimes/types";
import { systemClock, type Clock } from "../time/clock";
import { registerStream, unregisterStream } from "./active-streams";
import { UNTITLED_CONVERSATION, finalizedContent, getConversation, hasMessages, recentMessages, titleFromMessage } from "./conversations";
import { countHeldByChatPressure } from "../scheduler/chat-pressure";

/** Final status of an assistant message. */
export type FinalMessageStatus = "complete" | "error" | "aborted";

export interface ChatTurnOptions {
  db: Db;
  conversationId: string;
  /** The user's message (validated by messagePostSchema). */
  content: string;
  /** This process's runner id, stamped on the assistant message for boot reconcile. */
  runnerId: string | null;
  clock?: Clock;
  /** Resolves the conversation's runtime (null = default). The registry's; tests inject scripted runtimes. */
  resolveRuntime?: typeof registryResolveRuntime;
  /** Write the received text to the streaming message at most this often (ms). Default 250. */
  flushIntervalMs?: number;
  /** Agent turns per chat reply. Default DEFAULT_MAX_TURNS. */
  maxTurns?: number;
  /**
   * After an abort, wait this long (ms) for the runtime's closing `result` before
   * finalizing without it (a runtime that ignores its signal must not keep the stream
   * registered, which would hold back scheduled starts). Default 10 000.
   */
  abortGraceMs?: number;
}

export interface ChatTurnResult {
  messageId: string;
  status: FinalMessageStatus;
  content: string;
  error: string | null;
}

/** A validated chat turn whose runtime is resolved; nothing is written until `run`. */
export interface PreparedChatTurn {
  conversation: ChatConversationRow;
  /**
   * Writes the user message and a `streaming` assistant message, registers the stream
   * in the active-streams set, runs the agent and sends `status`, `delta`s and one
   * terminal `done`/`error` event through `emit`. Aborting `signal` (client gone, stop
   * button) aborts the agent. The message is finalized and the stream unregistered in
   * one `finally`, whatever happens. Never rejects.
   */
  run(opts: { emit: (event: ChatStreamEvent) => void; signal: AbortSignal }): Promise<ChatTurnResult>;
}

/** Conversations with a reply in flight in this process → the AbortController of its agent. */
const turnsInFlight = () => processSingleton("chat-turns-in-flight", () => new Map<string, AbortController>());

/** Whether a reply is streaming in this conversation in this process. */
export function isConversationStreaming(conversationId: string): boolean {
  return turnsInFlight().has(conversationId);
}

/** How many earlier messages go into the transcript of a runtime without session resume. */
const TRANSCRIPT_MESSAGES_MAX = 40;
const TRANSCRIPT_CHARS_MAX = 60_000;

/**
 * Validates a chat turn before anything is written, so a bad request answers 4xx JSON
 * instead of a stream: the conversation exists, no other reply streams in it, its
 * runtime (the default when it names none) resolves.
 * @throws AppError 404 `conversation_not_found`, 409 `conversation_busy`,
 *   422 `runtime_unavailable`.
 */
export async function prepareChatTurn(opts: ChatTurnOptions): Promise<PreparedChatTurn> {
  const { db } = opts;
  const conversation = await getConversation(opts.conversationId, db);
  if (isConversationStreaming(conversation.id)) {
    throw new AppError("conversation_busy", "A reply is still streaming in this conversation: wait for it or stop it first.");
  }
  let resolved: ResolvedRuntime;
  try {
    resolved = await (opts.resolveRuntime ?? registryResolveRuntime)(db, conversation.runtimeId);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError("runtime_unavailable", `The conversation's runtime cannot run: ${(err as Error)?.message ?? String(err)}`);
  }
  return { conversation, run: async (runOpts) => runChatTurn(opts, conversation, resolved, runOpts.emit, runOpts.signal) };
}

/**
 * The prompt for this turn. With a stored session the runtime resumes it and gets only
 * the new message; without one (first turn, or a runtime that has no sessions) earlier
 * messages are replayed as a transcript so every runtime keeps multi-turn context.
 */
function buildPrompt(conversation: ChatConversationRow, history: ChatMessageRow[], content: string): { prompt: string; resumeSessionId: string | null } {
  if (conversation.sessionId) return { prompt: content, resumeSessionId: conversation.sessionId };
  const usable = history.filter((m) => m.role === "user" || m.status === "complete").slice(-TRANSCRIPT_MESSAGES_MAX);
  if (!usable.length) return { prompt: content, resumeSessionId: null };
  let transcript = usable.map((m) => `${m.role === "user" ? "User" : "Assistant"}: ${m.content}`).join("\n\n");
  if (transcript.length > TRANSCRIPT_CHARS_MAX) transcript = `…${transcript.slice(-TRANSCRIPT_CHARS_MAX)}`;
  return {
    prompt: `The conversation so far:\n\n${transcript}\n\nReply to the user's new message.\n\nUser: ${content}`,
    resumeSessionId: null,
  };
}

async function runChatTurn(
  opts: ChatTurnOptions,
  conversation: ChatConversationRow,
  resolved: ResolvedRuntime,
  emit: (event: ChatStreamEvent) => void,
  signal: AbortSignal,
): Promise<ChatTurnResult> {
  const { db } = opts;
  const clock = opts.clock ?? systemClock;
  const flushIntervalMs = opts.flushIntervalMs ?? 250;
  const abortGraceMs = opts.abortGraceMs ?? 10_000;
  const maxTurns = opts.maxTurns ?? DEFAULT_MAX_TURNS;
  const send = (event: ChatStreamEvent) => {
    try {
      emit(event);
    } catch {
      // The client is gone; the agent is being aborted through `signal`.
    }
  };

  const now = clock.now();
  const userMessageId = randomUUID();
  const messageId = randomUUID();
  // Claim the conversation and register the stream before the first await, then never
  // leave this function without the finally below.
  const controller = new AbortController();
  turnsInFlight().set(conversation.id, controller);
  registerStream(messageId);

  let content = "";
  let dirty = false;
  let sessionId: string | null = conversation.sessionId;
  let result: RunResult | null = null;
  let thrown: unknown = null;
  let flushTimer: ReturnType<typeof setInterval> | undefined;
  let final: ChatTurnResult = { messageId, status: "error", content: "", error: "The chat turn did not start" };

  const flush = async () => {
    if (!dirty) return;
    dirty = false;
    await updateStreamingContent(db, messageId, content, clock.now());
  };
  const append = (text: string) => {
    if (!text) return;
    content += text;
    dirty = true;
    send({ type: "delta", text });
  };

  const onAbort = () => controller.abort(signal.reason ?? "cancelled");
  signal.addEventListener("abort", onAbort, { once: true });

  try {
    // A resumed session already holds the context: the transcript is only for runtimes without one.
    const history = conversation.sessionId ? [] : await recentMessages(conversation.id, TRANSCRIPT_MESSAGES_MAX, db);
    const { prompt, resumeSessionId } = buildPrompt(conversation, history, opts.content);
    const firstMessage = conversation.title === UNTITLED_CONVERSATION && !await hasMessages(conversation.id, db);
    await withTransaction(db, async (tx) =>
      insertTurnMessages(
        tx,
        { conversationId: conversation.id, userMessageId, assistantMessageId: messageId, content: opts.content, runnerId: opts.runnerId, ...(firstMessage ? { title: titleFromMessage(opts.content) } : {}) },
        now,
      ),
    );
    if (signal.aborted) onAbort();
    send({
      type: "status",
      status: "streaming",
      conversationId: conversation.id,
      messageId,
      userMessageId,
      heldBackTasks: await countHeldByChatPressure(db, now),
    });
    flushTimer = setInterval(() => {
      flush().catch((err) => console.error(`[agentcron] chat message ${messageId}: could not save streamed text`, err));
    }, flushIntervalMs);
    flushTimer.unref?.();

    // Text of the current agent turn received as deltas; null until the turn's first delta.
    let turnDeltas: string | null = null;
    const separator = () => (content ? "\n\n" : "");
    const events = resolved.runtime.run({
      prompt,
      maxTurns,
      resumeSessionId,
      signal: controller.signal,
    });
    for await (const event of untilAbortGrace(events, controller.signal, abortGraceMs)) {
      switch (event.type) {
        case "text_delta":
          if (turnDeltas === null) {
            turnDeltas = "";
            if (event.text) append(separator() + event.text);
          } else append(event.text);
          turnDeltas += event.text;
          break;
        case "assistant":
          // The whole turn: its deltas (if any) already streamed; send only what they missed.
          if (turnDeltas !== null) {
            if (event.text.startsWith(turnDeltas)) append(event.text.slice(turnDeltas.length));
            turnDeltas = null;
          } else if (event.text) append(separator() + event.text);
          break;
        case "session":
          sessionId = event.sessionId;
          break;
        case "result":
          result = event.result;
          if (result.sessionId) sessionId = result.sessionId;
          break;
      }
    }
  } catch (err) {
    thrown = err;
  } finally {
    clearInterval(flushTimer);
    signal.removeEventListener("abort", onAbort);
    final = settle(messageId, content, result, thrown, controller.signal, maxTurns);
    if (final.status === "complete" && !content && result?.text) {
      append(result.text);
      final.content = content;
    }
    try {
      const doneAt = clock.now();
      await withTransaction(db, async (tx) =>
        finalizeTurn(
          tx,
          { conversationId: conversation.id, messageId, content: finalizedContent(content, final.status, final.error), status: final.status, error: final.error, sessionId },
          doneAt,
        ),
      );
    } catch (err) {
      console.error(`[agentcron] chat message ${messageId}: could not finalize`, err);
    }
    turnsInFlight().delete(conversation.id);
    unregisterStream(messageId);
  }

  if (final.status === "complete") send({ type: "done", messageId });
  else send({ type: "error", message: final.error ?? "The agent failed", messageId, status: final.status });
  return final;
}

/** Maps how the run ended to the message's final status and error text. */
function settle(
  messageId: string,
  content: string,
  result: RunResult | null,
  thrown: unknown,
  signal: AbortSignal,
  maxTurns: number,
): ChatTurnResult {
  if (result?.status === "success") return { messageId, status: "complete", content, error: null };
  if (signal.aborted) {
    const reason = signal.reason;
    return { messageId, status: "aborted", content, error: reason === "cancelled" ? "Stopped by the user" : `Stopped: ${String(reason)}` };
  }
  if (result?.status === "max_turns") {
    return { messageId, status: "error", content, error: result.error ?? `Stopped at the turn budget of ${maxTurns} agent turns` };
  }
  const error =
    result?.error ?? (thrown ? `The runtime failed: ${(thrown as Error)?.message ?? String(thrown)}` : "The runtime ended without a result");
  return { messageId, status: "error", content, error };
}

/**
 * Iterates `source` until it ends, or until `graceMs` after `signal` aborts — whichever
 * comes first — so a runtime that ignores its abort signal cannot keep a chat stream
 * (and the chat pressure it exerts) alive forever.
 */
async function* untilAbortGrace<T>(source: AsyncIterable<T>, signal: AbortSignal, graceMs: number): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const graceOver = new Promise<"grace_over">((resolve) => {
    const arm = () => {
      graceTimer = setTimeout(() => resolve("grace_over"), graceMs);
      graceTimer.unref?.();
    };
    if (signal.aborted) arm();
    else signal.addEventListener("abort", arm, { once: true });
  });
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), graceOver]);
      if (next === "grace_over") {
        void Promise.resolve(iterator.return?.()).catch(() => {});
        return;
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    clearTimeout(graceTimer);
  }
}
