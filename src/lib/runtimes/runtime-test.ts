import "server-only";
import type { RuntimeTestDto } from "../api-types";
import { getDb, type Db } from "../db/client";
import { referencedValues } from "./agent-env";
import { buildRuntime } from "./registry";
import { redactValues } from "./secrets";
import { getRuntime } from "./service";
import type { RunResult } from "./types";

/** Prompt of the Settings page's "Test runtime" button when none is given. */
export const DEFAULT_TEST_PROMPT = "Reply with the single word: pong";
/** A test run is one turn and is aborted after this long (ms). */
export const RUNTIME_TEST_TIMEOUT_MS = 60_000;

/** The answer of testRuntime (its shape lives in the api-types leaf). */
export type RuntimeTestResult = RuntimeTestDto;

/**
 * Runs a one-turn prompt through a stored runtime so a user can check its config
 * (POST /api/runtimes/:id/test). Failures are answered, not thrown: they are what the
 * user wants to see. Values of the variables the config names (`${NAME}`, apiKeyEnv) are
 * replaced by `[redacted]` in `text` and `error`.
 * @throws AppError 404 `runtime_not_found`, 422 `runtime_unavailable` (invalid stored config).
 */
export async function testRuntime(id: string, prompt = DEFAULT_TEST_PROMPT, db: Db = getDb(), timeoutMs = RUNTIME_TEST_TIMEOUT_MS): Promise<RuntimeTestResult> {
  const { row, runtime } = buildRuntime(await getRuntime(id, db));
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort("timeout"), timeoutMs);
  const started = Date.now();
  let result: RunResult | null = null;
  try {
    for await (const event of runtime.run({ prompt, maxTurns: 1, signal: controller.signal })) {
      if (event.type === "result") result = event.result;
    }
  } finally {
    clearTimeout(timer);
  }
  // The values of the variables the config names (its key …) never go back in the answer.
  const secrets = referencedValues(row.kind, row.config);
  const redact = (s: string | null) => (s === null ? null : redactValues(s, secrets));
  const turns = result?.turns ?? 0;
  return {
    responded: result !== null && (result.status === "success" || (result.status === "max_turns" && turns >= 1)),
    status: result?.status ?? "error",
    text: redact(result?.text ?? null),
    turns,
    error: redact(result?.error ?? (result ? null : "The runtime ended without a result")),
    failureReason: result?.failureReason ?? (result?.status === "error" ? "agent_error" : null),
    durationMs: Date.now() - started,
  };
}
