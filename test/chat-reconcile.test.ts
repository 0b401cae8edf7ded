import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { boot, bootState } from "@/lib/boot";
import { INTERRUPTED_ERROR, reconcileStreamingMessages } from "@/lib/chat/reconcile";
import { getDb } from "@/lib/db/client";
import { getSchedulerHandle } from "@/lib/scheduler/control";
import { RUNNER_STALE_MS } from "@/lib/scheduler/tuning";
import { makeConversation, makeMessage, makeRunner, T0, truncateAll } from "./factories";
import { rowsOf } from "./support/rows";

const message = async (id: string) => (await rowsOf("chatMessages")).find((m) => m.id === id)!;

beforeEach(async () => truncateAll());
afterAll(async () => {
  await getSchedulerHandle()?.stop();
});

describe("boot reconcile of chat messages left streaming", () => {
  it("finalizes a dead runner's streaming messages with what was received, never empty, and leaves live ones alone", async () => {
    const now = T0 + 3_600_000;
    const conv = await makeConversation();
    const stopped = await makeRunner({ heartbeatAt: now - 1_000, stoppedAt: now - 1_000 });
    const silent = await makeRunner({ heartbeatAt: now - RUNNER_STALE_MS - 1 });
    const live = await makeRunner({ heartbeatAt: now - 1_000 });
    const me = await makeRunner({ heartbeatAt: now });

    const partial = await makeMessage({ conversationId: conv.id, role: "assistant", status: "streaming", content: "Half an ans", runnerId: stopped.id });
    const empty = await makeMessage({ conversationId: conv.id, role: "assistant", status: "streaming", content: "", runnerId: silent.id });
    const unknownRunner = await makeMessage({ conversationId: conv.id, role: "assistant", status: "streaming", content: "x", runnerId: "runner_gone" });
    const liveOne = await makeMessage({ conversationId: conv.id, role: "assistant", status: "streaming", content: "still going", runnerId: live.id });
    const mine = await makeMessage({ conversationId: conv.id, role: "assistant", status: "streaming", content: "mine", runnerId: me.id });
    const done = await makeMessage({ conversationId: conv.id, role: "assistant", status: "complete", content: "done", runnerId: stopped.id });

    expect(await reconcileStreamingMessages(getDb(), me.id, now)).toBe(3);
    expect(await message(partial.id)).toMatchObject({ status: "error", content: "Half an ans", error: INTERRUPTED_ERROR, updatedAt: now });
    expect(await message(empty.id)).toMatchObject({ status: "error", content: `(no reply: ${INTERRUPTED_ERROR})` });
    expect(await message(unknownRunner.id)).toMatchObject({ status: "error", content: "x" });
    expect(await message(liveOne.id)).toMatchObject({ status: "streaming", content: "still going" });
    expect(await message(mine.id)).toMatchObject({ status: "streaming" });
    expect(await message(done.id)).toMatchObject({ status: "complete", error: null });
    expect(await reconcileStreamingMessages(getDb(), me.id, now)).toBe(0);
  });

  it("runs at boot", async () => {
    const conv = await makeConversation();
    const dead = await makeRunner({ heartbeatAt: Date.now() - 5_000, stoppedAt: Date.now() - 5_000 });
    const left = await makeMessage({ conversationId: conv.id, role: "assistant", status: "streaming", content: "Interrupted rep", runnerId: dead.id });
    await boot();
    expect(bootState().ready).toBe(true);
    expect(await message(left.id)).toMatchObject({ status: "error", content: "Interrupted rep", error: INTERRUPTED_ERROR });
  });
});
