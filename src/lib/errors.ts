/**
 * The error catalogue: every machine code the API answers with, and its HTTP status
 * (docs/api.md "Errors"; the codes and the body `{error, message, fields?}` are the
 * contract outside tests use, so a code is never renamed). One place: services throw
 * `new AppError(code, message, { fields })`, route() (http/route.ts) and the proxy
 * answer with the status listed here.
 *
 * No `server-only` and no imports: the proxy bundle and the browser load this module too.
 */
export const ERROR_STATUS = {
  /** A field or the body is invalid; `fields` names each bad field. */
  invalid_request: 400,
  /** AGENTCRON_TOKEN is set and the request carries neither the token nor the sign-in cookie. */
  unauthorized: 401,
  /** The Host header names no allowed origin (API.md "Access"). */
  host_not_allowed: 403,
  /** A state-changing request from an Origin that is not allowed. */
  cross_origin: 403,
  /** No API route at this path. */
  not_found: 404,
  schedule_not_found: 404,
  task_not_found: 404,
  runtime_not_found: 404,
  conversation_not_found: 404,
  message_not_found: 404,
  notification_channel_not_found: 404,
  /** POST /api/session on a server started without AGENTCRON_TOKEN. */
  auth_disabled: 404,
  /** The route exists but not with this method (answered with `Allow`). */
  method_not_allowed: 405,
  /** Run now on a paused, completed or expired schedule. */
  schedule_not_active: 409,
  /** Cancel of a task that already finished. */
  task_finished: 409,
  runtime_name_taken: 409,
  notification_channel_name_taken: 409,
  /** Delete of a runtime that schedules use or a chat reply streams on. */
  runtime_in_use: 409,
  /** A chat reply is still streaming in this conversation. */
  conversation_busy: 409,
  message_not_retryable: 409,
  /** The request body is over LIMITS.bodyMaxBytes. */
  payload_too_large: 413,
  /** The runtime's config cannot run (extra `failureReason`). */
  runtime_unavailable: 422,
  /** Every slot is busy (extra `slotEtaSec`). */
  capacity_full: 429,
  /** Anything unexpected; details go to the server log only. */
  internal_error: 500,
  /** POST /api/backup: the copy could not be written (disk full, permissions). */
  backup_failed: 500,
  /** POST /api/backup on PostgreSQL: back up with pg_dump instead. */
  backup_unsupported: 409,
  /** GET /api/health before boot finished. */
  not_ready: 503,
  /** Run now before the scheduler started. */
  scheduler_not_ready: 503,
} as const;

/** A machine code of the catalogue. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** Entities with a `<entity>_not_found` code. */
export type NotFoundEntity = "schedule" | "task" | "runtime" | "conversation" | "message";

/** The API error body (docs/api.md "Errors"). */
export interface ErrorBody {
  error: ErrorCode;
  message: string;
  fields?: Record<string, string>;
  [extra: string]: unknown;
}

export interface AppErrorOptions {
  /** Per-field problems (`invalid_request`): field name → what is wrong. */
  fields?: Record<string, string>;
  /** Extra top-level body properties (e.g. `slotEtaSec` on `capacity_full`). */
  extra?: Record<string, unknown>;
}

/**
 * The one error type services throw. route() maps it to `{error: code, message,
 * fields?, ...extra}` with the code's status from ERROR_STATUS; anything else becomes a
 * 500 `internal_error` whose details go to the server log only.
 */
export class AppError extends Error {
  /** HTTP status, from ERROR_STATUS. */
  readonly status: number;
  readonly fields?: Record<string, string>;
  readonly extra?: Record<string, unknown>;

  constructor(
    /** Stable machine code from the catalogue, e.g. `schedule_not_found`, `capacity_full`. */
    readonly code: ErrorCode,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message);
    this.name = "AppError";
    this.status = ERROR_STATUS[code];
    this.fields = options.fields;
    this.extra = options.extra;
  }

  /** The response body: code, message, fields when any, then the extra properties. */
  toBody(): ErrorBody {
    return { error: this.code, message: this.message, ...(this.fields ? { fields: this.fields } : {}), ...(this.extra ?? {}) };
  }
}

/** 400 `invalid_request` naming each bad field. */
export function invalidRequest(fields: Record<string, string>, message?: string): AppError {
  const names = Object.keys(fields);
  return new AppError("invalid_request", message ?? `Fix the invalid field${names.length === 1 ? "" : "s"}: ${names.join(", ")}.`, { fields });
}

/** 404 `<entity>_not_found`. */
export function notFound(entity: NotFoundEntity, id: string): AppError {
  return new AppError(`${entity}_not_found`, `No ${entity.replace(/_/g, " ")} with id ${id}.`);
}
