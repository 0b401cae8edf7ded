/**
 * The scheduler's tuning constants, in one place. Durations are milliseconds unless the
 * name says otherwise. Rules come from DESIGN.md "Scheduler loop" and "Policies".
 */

/** How often a runner stamps `runners.heartbeatAt` (liveness). */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/** A runner whose heartbeat is older than this is dead; its running tasks are recovered. */
export const RUNNER_STALE_MS = 30_000;
/**
 * With its liveness timer running (real timers), a pass stamps the heartbeat and looks for
 * dead runners' tasks at most this often: several instances wake each other several times a
 * second (LISTEN/NOTIFY), and those two steps cost round trips on every pass while their
 * bounds are 5 s and 30 s (issue 14 lateness, 2026-12-03). Monotonic ms.
 */
export const PASS_LIVENESS_MIN_INTERVAL_MS = 1_000;

/**
 * Node's timers can fire up to about a millisecond before the wall-clock instant they were
 * armed for (their due time is counted from libuv's cached loop time, and the wall clock is
 * read separately). A wake that fires at most this early waits out the rest instead of
 * running a pass that finds nothing due yet and arms again (issue 15 item 0: one empty pass
 * of 1–2 ms before most per-second occurrences, measured 2026-12-03). Wall ms.
 */
export const EARLY_WAKE_MAX_MS = 5;

/** Retry backoff per attempt (1 m, 5 m, 15 m; the last value repeats). Override: AGENTCRON_RETRY_BACKOFF_SEC="60,300,900". */
export const DEFAULT_RETRY_BACKOFF_MS: readonly number[] = [60_000, 300_000, 900_000];

/** catchUpPolicy `all`: at most this many occurrences are planned per schedule per pass. */
export const CATCH_UP_ALL_MAX_PER_PASS = 100;
/**
 * Missed occurrences are counted by enumeration up to this many, then extrapolated from
 * the mean interval, so a per-second schedule after a day down costs 1,000 steps, not 86,400.
 */
export const MISSED_COUNT_ENUMERATION_CAP = 1_000;
/** catchUpPolicy `skip`: the newest due occurrence still fires when it is at most this late. */
export const ON_TIME_GRACE_MS = 60_000;

/** Generic failures in a row that auto-pause a schedule. */
export const FAILURE_STREAK_PAUSE_AT = 3;
/** Turn-budget breaches in a row that auto-pause a schedule. */
export const TURN_BREACH_STREAK_PAUSE_AT = 5;
/** Breaches within this many cron intervals after a `maxTurns` edit are forgiven. */
export const TURN_BREACH_GRACE_INTERVALS = 2;
/** avgTurnsPerFiring = OLD_WEIGHT · previous + (1 − OLD_WEIGHT) · this firing's turns. */
export const AVG_TURNS_EMA_OLD_WEIGHT = 0.7;

/** Firing metrics older than this are pruned. */
export const METRICS_RETENTION_MS = 30 * 24 * 3600 * 1000;
/** How often old firing metrics are pruned. */
export const METRICS_PRUNE_INTERVAL_MS = 3600 * 1000;
/** The longest the loop sleeps when nothing is due (a safety net, not a poll that does work). */
export const MAX_SLEEP_MS = 3600 * 1000;
/** How long cancel waits for a running task's runtime to stop before writing `cancelled` itself. */
export const CANCEL_WAIT_MS = 10_000;
/** A schedule whose planning threw (not a bad cron) is left alone this long before the next try. */
export const PLAN_ERROR_BACKOFF_MS = 60_000;
/** A due schedule another runner was planning (its row locked, PostgreSQL: ADR 0013) is looked at again after this long. */
export const PLAN_BUSY_BACKOFF_MS = 250;
/** Most queued tasks examined per drain. */
export const DRAIN_BATCH = 200;
/**
 * SQLite: candidates a drain reads beyond its free slots (free + this, up to DRAIN_BATCH;
 * drain.ts): room for the ones held back in the batch (a second task of a serialized schedule, a
 * group or runtime rank). Was 4 × free: a candidate row costs ≈ 10 µs on SQLite whether claimed
 * or not, so 200 read to fill 100 slots was half the drain (ADR 0016 amendment). PostgreSQL reads
 * 2 × free, at least this many (other runners claim candidates read before the cap's lock; ADR 0032).
 */
export const DRAIN_CANDIDATE_SLACK = 16;
/** Due schedules planned per transaction (each in its own savepoint). */
export const PLAN_BATCH = 50;
/** Due schedules planned per pass; more wait for the next pass, armed at once (event-loop fairness). */
export const PLAN_MAX_PER_PASS = 500;
/**
 * The wall clock may drift from the monotonic clock by this much between two checks
 * (each pass and heartbeat) before it counts as a step or a suspend (ADR 0006). NTP slews
 * at most 0.5 ms/s, so 2 s between 5 s heartbeats is never a slew.
 */
export const CLOCK_JUMP_THRESHOLD_MS = 2_000;

/**
 * Quiet-window collections (ADR 0035, scheduler/quiet-collection.ts): a thread's old
 * generation must have grown this much since its last major collection before one is forced.
 * V8 began its own ~4–10 MB above the live heap on the bench's 40–60 MB heaps (2026-12-04),
 * so 2 MiB forces one well before V8 would, about every 10–20 s at the 5-at-once bench's
 * promotion rate, and not at all on an idle server.
 */
export const QUIET_COLLECT_GROWTH_BYTES = 2 * 1024 * 1024;
/** How long after a pass the loop looks for a quiet window: the pass's launches and the runs' ends that poke more passes are past. */
export const QUIET_COLLECT_DELAY_MS = 150;
/** A quiet window must leave at least this long before the next armed wake: the collection (≤ ~40 ms per thread) ends well before it. */
export const QUIET_COLLECT_MIN_LEAD_MS = 300;
