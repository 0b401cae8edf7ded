/**
 * The one error type services throw. Route handlers map it to
 * `{error: code, message, fields?}` with `status`; anything else becomes a 500 whose
 * details go to the server log only.
 */
export class AppError extends Error {
  constructor(
    /** Stable machine code from API.md, e.g. `schedule_not_found`, `capacity_full`. */
    readonly code: string,
    /** HTTP status to answer with. */
    readonly status: number,
    message: string,
    /** Per-field problems for `invalid_request`: field name → what is wrong. */
    readonly fields?: Record<string, string>,
    /** Extra top-level body properties (e.g. `slotEtaSec` on `capacity_full`). */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

/** 400 `invalid_request` naming each bad field. */
export function invalidRequest(fields: Record<string, string>, message?: string): AppError {
  const names = Object.keys(fields);
  return new AppError(
    "invalid_request",
    400,
    message ?? `Fix the invalid field${names.length === 1 ? "" : "s"}: ${names.join(", ")}.`,
    fields,
  );
}

/** 404 `<entity>_not_found`. */
export function notFound(entity: string, id: string): AppError {
  return new AppError(`${entity}_not_found`, 404, `No ${entity.replace(/_/g, " ")} with id ${id}.`);
}
