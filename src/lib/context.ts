import "server-only";
import { getDb, type Db } from "./db/client";
import { schedulerClock } from "./scheduler/loop";
import type { Clock } from "./time/clock";

/**
 * What a service call runs against (issue 14 item 1): the database handle and the clock.
 * Route handlers get one per request from `route()` (http/route.ts) and pass `ctx.db` and
 * `ctx.clock.now()` on, so no route reads the wall clock or opens the database by itself, and a
 * test's injected clock (the scheduler's) is the one every route sees.
 */
export interface ServiceContext {
  readonly db: Db;
  readonly clock: Clock;
}

/** The context of a request in this process: its database and the scheduler's clock (the system clock before boot). */
export function requestContext(): ServiceContext {
  return { db: getDb(), clock: schedulerClock() };
}
