import { json, otherMethods, readJson, route } from "@/lib/http/route";
import { runtimeTestSchema } from "@/lib/runtimes/config";
import { testRuntime } from "@/lib/runtimes/runtime-test";

export const dynamic = "force-dynamic";
type Params = { id: string };

/**
 * POST /api/runtimes/:id/test {prompt?} → 200 {status, text, turns, error, failureReason,
 * durationMs}: a one-turn run ("Test runtime" in Settings). 404 runtime_not_found.
 */
export const POST = route<Params>(async (req, { id }) => {
  // The body is optional: a bare POST tests with the default prompt.
  const body = req.headers.get("content-type") ? await readJson(req, runtimeTestSchema) : {};
  return json(await testRuntime(id, body.prompt));
});

export const { GET, HEAD, PUT, PATCH, DELETE } = otherMethods({ POST });
