import "server-only";
import type { ConcurrencyGroupDto } from "../api-types";
import type { Db } from "../db/client";
import { countActiveTasksPerGroup, countRunningInGroup, countSchedulesPerGroup, deleteGroupCap, selectGroupCap, selectGroupCaps, upsertGroupCap } from "../db/queries/concurrency-groups";
import { toIso } from "../time/clock";
import { pokeScheduler } from "../scheduler/control";


/**
 * Every concurrency group (issue 12 item 4): those with a cap (PUT) and those only named by a
 * schedule or a queued/running task, by name, with live counts.
 */
export async function listConcurrencyGroups(db: Db): Promise<ConcurrencyGroupDto[]> {
  const [caps, perSchedule, perTask] = await Promise.all([selectGroupCaps(db), countSchedulesPerGroup(db), countActiveTasksPerGroup(db)]);
  const groups = new Map<string, ConcurrencyGroupDto>();
  const of = (name: string) => {
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { name, maxConcurrent: null, running: 0, queued: 0, schedules: 0, updatedAt: null }));
    return g;
  };
  for (const c of caps) Object.assign(of(c.name), { maxConcurrent: c.maxConcurrent, updatedAt: toIso(c.updatedAt) });
  for (const s of perSchedule) of(s.group).schedules = s.schedules;
  for (const t of perTask) of(t.group)[t.status] = t.n;
  return [...groups.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Sets group `name`'s cap (PUT /api/concurrency-groups/:name): from the next claim on, at most
 * `maxConcurrent` of its tasks run at once. Lowering it below the running count stops no
 * task; new ones wait. Wakes the scheduler (a raised cap may let queued tasks start).
 * @param now UTC ms. Returns the group as listed.
 */
export async function setConcurrencyGroupCap(db: Db, name: string, maxConcurrent: number, now: number): Promise<ConcurrencyGroupDto> {
  await upsertGroupCap(db, name, maxConcurrent, now);
  pokeScheduler("settings_changed");
  return (await listConcurrencyGroups(db)).find((g) => g.name === name)!;
}

/** Removes group `name`'s cap (DELETE): its tasks are then held by the other caps only. True when it had one. */
export async function removeConcurrencyGroupCap(db: Db, name: string): Promise<boolean> {
  const removed = await deleteGroupCap(db, name);
  if (removed) pokeScheduler("settings_changed");
  return removed;
}

/**
 * Group `name`'s cap and running count when it is full (running ≥ its cap), else null (no
 * group, no cap, or room left): why a Run now of a group's schedule is refused while global
 * slots are free.
 */
export async function groupAtCap(db: Db, name: string | null): Promise<{ name: string; maxConcurrent: number; running: number } | null> {
  if (!name) return null;
  const cap = await selectGroupCap(db, name);
  if (!cap) return null;
  const running = await countRunningInGroup(db, name);
  return running >= cap.maxConcurrent ? { name, maxConcurrent: cap.maxConcurrent, running } : null;
}
