import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { boot, bootState } from "@/lib/boot";
import { INTERRUPTED_ERROR, reconcileStreamingMessages } from "@/lib/chat/reconcile";
import { getDb } from "@/lib/db/client";
import { chatMessages } from "@/lib/db/schema";
import { getSchedulerHandle } from "@/lib/scheduler/control";
import { RUNNER_STALE_MS } from "@/lib/scheduler/tuning";
import { makeConversation, makeMessage, makeRunner, T0, truncateAll } from "./factories";

const message = (id: string) => getDb().select().from(chatMessages).where(eq(chatMessages.id, id)).get()!;

beforeEach(() => truncateAll());
afterAll(async () => {
  await getSchedulerHandle()?.stop();
});

describe("boot reconcile of chat messages left streaming", () => {
  it("finalizes a dead runner's streaming messages with what was received, never empty, and leaves live ones alone", () => {
    const now = T0 + 3_600_000;
    const conv = makeConversation();
    const stopped = makeRunner({ heartbeatAt: now - 1_000, stoppedAt: now - 1_000 });
    const silent = makeRunner({ heartbeatAt: now - RUNNER_STALE_MS - 1 });
    const live = makeRunner({ heartbeatAt: now - 1_000 });
    const me = makeRunner({ heartbeatAt: now });

    const partial = makeMessage({ conversationId: conv.id, role: "assistant", status: "streaming", content: "Half an ans", runnerId: stopped.id });
    const empty = makeMessage({ conversationId: conv.id, role: "assistant", status: "streaming", content: "", runnerId: silent.id });
    const unknownRunner = makeMessage({ conversationId: conv.id, role: "assistant", status: "streaming", content: "x", runnerId: "runner_gone" });
    const liveOne = makeMessage({ conversationId: conv.id, role: "assistant", status: "streaming", content: "still going", runnerId: live.id });
    const mine = makeMessage({ conversationId: conv.id, role: "assistant", status: "streaming", content: "mine", runnerId: me.id });
    const done = makeMessage({ conversationId: conv.id, role: "assistant", status: "complete", content: "done", runnerId: stopped.id });

    expect(reconcileStreamingMessages(getDb(), me.id, now)).toBe(3);
    expect(message(partial.id)).toMatchObject({ status: "error", content: "Half an ans", error: INTERRUPTED_ERROR, updatedAt: now });
    expect(message(empty.id)).toMatchObject({ status: "error", content: `(no reply: ${INTERRUPTED_ERROR})` });
    expect(message(unknownRunner.id)).toMatchObject({ status: "error", content: "x" });
    expect(message(liveOne.id)).toMatchObject({ status: "streaming", content: "still going" });
    expect(message(mine.id)).toMatchObject({ status: "streaming" });
    expect(message(done.id)).toMatchObject({ status: "complete", error: null });
    expect(reconcileStreamingMessages(getDb(), me.id, now)).toBe(0);
  });

  it("runs at boot", async () => {
    const conv = makeConversation();
    const dead = makeRunner({ heartbeatAt: Date.now() - 5_000, stoppedAt: Date.now() - 5_000 });
    const left = makeMessage({ conversationId: conv.id, role: "assistant", status: "streaming", content: "Interrupted rep", runnerId: dead.id });
    await boot();
    expect(bootState().ready).toBe(true);
    expect(message(left.id)).toMatchObject({ status: "error", content: "Interrupted rep", error: INTERRUPTED_ERROR });
  });
});
