import "server-only";
import type { Db } from "../db/client";
import { closeBreaches, openBreach, selectBreaches, selectCostOfDay, selectScheduleCaps, selectUsageTotals, type BreachRow } from "../db/queries/spend";
import { skipQueuedTask } from "../db/queries/slots";
import type { TaskRow } from "../db/schema";
import { recordEvent } from "../events/log";
import { getSpendSettings } from "./settings";
import { usageWindows, utcDayStart } from "./usage";

/** A cap a firing would start over. `scope`: the schedule's rolling 24h / 7d cap, or the global UTC-day cap. */
export interface CapBreach {
  scope: "24h" | "7d" | "day";
  capUsd: number;
  spentUsd: number;
  scheduleId: string | null;
  scheduleName: string | null;
}

const breachKey = (b: Pick<CapBreach, "scope" | "scheduleId">) => (b.scope === "day" ? "day" : `${b.scope}:${b.scheduleId}`);

/**
 * The fire-time cost-cap check of one drain pass (issue 11 item 3): which of the candidates'
 * schedules would start over a cap. Built once per pass, before any claim, with at most five
 * small queries: the candidates' caps and the spend settings, their usage from the hourly
 * rollups (only when some have a cap), today's total (only when a daily cap is set), and
 * the open breaches (primary-key lookups).
 * Spend counts finished tasks (rollups, budgets/usage.ts windows); a running task's spend
 * counts once it finishes (its own per-run cap bounds it meanwhile).
 *
 * Building the gate also closes the open breaches of the schedules (and the day) now under
 * their caps, so the next breach is alerted again: raising a cap lets the next occurrence run.
 */
export class BudgetGate {
  private constructor(
    private readonly byschedule: Map<string, CapBreach>,
    private readonly day: CapBreach | null,
  ) {}

  /**
   * @param scheduleIds schedules of the queued scheduled (not manual-rooted) candidates.
   * @param now UTC ms.
   */
  static async build(db: Db, scheduleIds: string[], now: number): Promise<BudgetGate> {
    const ids = [...new Set(scheduleIds)];
    if (!ids.length) return new BudgetGate(new Map(), null);
    // One statement at a time: `db` is the drain's transaction.
    const caps = await selectScheduleCaps(db, ids);
    const settings = await getSpendSettings(db);
    const byschedule = new Map<string, CapBreach>();
    if (caps.length) {
      const totals = new Map((await selectUsageTotals(db, usageWindows(now), caps.map((c) => c.id), ["h24", "d7"])).map((t) => [t.scheduleId, t]));
      for (const c of caps) {
        const t = totals.get(c.id);
        const spent24h = t?.cost24h ?? 0;
        const spent7d = t?.cost7d ?? 0;
        if (c.maxCostUsd24h != null && spent24h >= c.maxCostUsd24h) byschedule.set(c.id, { scope: "24h", capUsd: c.maxCostUsd24h, spentUsd: spent24h, scheduleId: c.id, scheduleName: c.name });
        else if (c.maxCostUsd7d != null && spent7d >= c.maxCostUsd7d) byschedule.set(c.id, { scope: "7d", capUsd: c.maxCostUsd7d, spentUsd: spent7d, scheduleId: c.id, scheduleName: c.name });
      }
    }
    let day: CapBreach | null = null;
    if (settings.maxCostUsdPerDay != null) {
      const spent = await selectCostOfDay(db, utcDayStart(now));
      if (spent >= settings.maxCostUsdPerDay) day = { scope: "day", capUsd: settings.maxCostUsdPerDay, spentUsd: spent, scheduleId: null, scheduleName: null };
    }
    // Close the breaches whose cause is gone (cap raised or removed, spend aged out).
    const keys = [...ids.flatMap((id) => [`24h:${id}`, `7d:${id}`]), "day"];
    const open = await selectBreaches(db, keys);
    const stillOpen = new Set([...byschedule.values(), ...(day ? [day] : [])].map(breachKey));
    await closeBreaches(db, open.filter((b) => !stillOpen.has(b.key)).map((b) => b.key));
    return new BudgetGate(byschedule, day);
  }

  /** The cap `task` would start over, or null. Manual-rooted tasks are the caller's to exempt. */
  breachFor(task: Pick<TaskRow, "scheduleId">): CapBreach | null {
    if (!task.scheduleId) return null;
    return this.byschedule.get(task.scheduleId) ?? this.day;
  }
}

/**
 * Skips a queued firing over a cap: `skipped` / `budget_exceeded` (guarded on `queued`) and,
 * on the first skip of this breach only (the breach row's insert wins), one `budget_exceeded`
 * event {scope, capUsd, spentUsd} — notified once per cause, not per skipped firing.
 * Call inside the drain's transaction. @returns true when it skipped the task.
 */
export async function skipOverBudget(db: Db, task: Pick<TaskRow, "id" | "scheduleId">, breach: CapBreach, now: number): Promise<boolean> {
  if (!(await skipQueuedTask(db, task.id, "budget_exceeded", now))) return false;
  const row: BreachRow = { key: breachKey({ scope: breach.scope, scheduleId: task.scheduleId }), scope: breach.scope, scheduleId: breach.scope === "day" ? null : task.scheduleId, capUsd: breach.capUsd, spentUsd: breach.spentUsd, since: now };
  if (await openBreach(db, row)) {
    const where = breach.scope === "day" ? "the daily cost cap (Settings)" : `the ${breach.scope} cost cap of "${breach.scheduleName ?? task.scheduleId}"`;
    await recordEvent(db, {
      kind: "budget_exceeded",
      scheduleId: task.scheduleId,
      taskId: task.id,
      message: `Firings skipped: $${breach.spentUsd.toFixed(2)} spent reached ${where} of $${breach.capUsd.toFixed(2)}`,
      data: { scope: breach.scope, capUsd: breach.capUsd, spentUsd: breach.spentUsd },
      createdAt: now,
    });
  }
  return true;
}
