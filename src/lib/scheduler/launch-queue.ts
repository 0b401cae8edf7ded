import "server-only";

/**
 * Where claimed tasks wait to be spawned (issue 15 item 0, "Start agents on time"). A pass
 * only decides and claims; its launches (resolve the runtime, hand the run to the executor
 * host, which asks a spawner process) start once its claims are committed, one launch per
 * event-loop turn (`setImmediate`), so the pass's last phases, timers, HTTP requests and
 * chat deltas interleave with a burst of launches instead of waiting behind all of them.
 * FIFO: the order of the claims. A launch that throws is logged and the queue goes on.
 * `dropAll` (the loop halting: a frozen or crashed process spawns nothing more) gives up the
 * launches not yet started.
 */
export class LaunchQueue {
  private readonly items: { start: () => void; drop: () => void }[] = [];
  private scheduled = false;
  private held = false;

  /**
   * Holds the queue from the start of the loop's passes until the first pass's drain has
   * committed its claims (`resume`): launches queued before (a Run now) wait out its decisions.
   */
  hold(): void {
    this.held = true;
  }

  /** Ends `hold`: the queued launches start, one per event-loop turn. */
  resume(): void {
    this.held = false;
    this.schedule();
  }

  /** Queues `start` to run on a later event-loop turn (never synchronously); `drop` runs instead if dropAll comes first. */
  enqueue(start: () => void, drop: () => void): void {
    this.items.push({ start, drop });
    this.schedule();
  }

  /** Calls `drop` of every launch not yet started, and forgets them. */
  dropAll(): void {
    for (const item of this.items.splice(0)) {
      try {
        item.drop();
      } catch (err) {
        console.error("[agentcron] dropping a launch failed", err);
      }
    }
  }

  /** Launches queued and not yet started. */
  get pending(): number {
    return this.items.length;
  }

  private schedule(): void {
    if (this.scheduled || this.held || this.items.length === 0) return;
    this.scheduled = true;
    setImmediate(() => this.runOne());
  }

  private runOne(): void {
    this.scheduled = false;
    if (this.held) return; // resume() schedules again
    const item = this.items.shift();
    try {
      item?.start();
    } catch (err) {
      console.error("[agentcron] launch failed to start", err);
    }
    this.schedule();
  }
}
