/**
 * A small push → pull bridge: callbacks (process output, SDK hooks) push AgentEvents,
 * the runtime's async generator pulls them in order. Unbounded on purpose: producers
 * are agent processes whose output rate is bounded by the model, and dropping an
 * event would lose a turn.
 */
import type { AgentEvent } from "./types";

export class EventChannel {
  private queue: AgentEvent[] = [];
  private waiter: (() => void) | null = null;
  private closed = false;

  push(...events: AgentEvent[]): void {
    if (this.closed) return;
    this.queue.push(...events);
    this.wake();
  }

  /** No more events after the queued ones. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  async *drain(): AsyncGenerator<AgentEvent> {
    for (;;) {
      while (this.queue.length) yield this.queue.shift()!;
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}
