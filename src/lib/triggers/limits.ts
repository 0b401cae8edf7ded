/** Bounds of the fire URL (issue 12 item 1; docs/api.md). Client-safe constants. */

/** An `Idempotency-Key` is remembered this long (ms): a repeat within it answers the first task. */
export const HOOK_IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;
/** Largest fire URL body (bytes); its compact JSON is what `{{trigger.body}}` inserts. */
export const HOOK_BODY_MAX_BYTES = 16 * 1024;
/** Longest `Idempotency-Key` (characters; printable ASCII). */
export const IDEMPOTENCY_KEY_MAX = 200;
