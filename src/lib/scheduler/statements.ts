import "server-only";
/**
 * The task/schedule reads and the occurrence insert moved to the data layer
 * (src/lib/db/queries/tasks-core.ts, issue 14); re-exported here for the modules that still
 * import them from the scheduler. `prepared`/`cachedQuery` live in src/lib/db/prepared.ts
 * (SQLite only) and are re-exported only until the last caller outside src/lib/db/ moves.
 */
export { insertTaskIfAbsent, selectScheduleById, selectTaskById } from "../db/queries/tasks-core";
export { cachedQuery, prepared } from "../db/prepared";
